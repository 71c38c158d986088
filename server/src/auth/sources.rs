//! Finding the one access token of a request among the places API.md allows
//! ("Presenting the access token"); which places are enabled is a setting
//! (`config::TokenSources`).

use axum::http::{HeaderMap, Uri, header};
use jotpass_shared::ACCESS_TOKEN_HEADER;

use crate::{
    config::{TokenSource, TokenSources},
    error::ApiError,
};

/// Finds the request's one access token, if any.
///
/// Runs on every request, before routing, so that a token in a disabled place
/// or a second token is refused everywhere with `400 invalid_request`.
/// `form_tokens` are the `access_token` values of a form-encoded body (the
/// body is read by the caller, which owns the body limit).
pub fn find_token(
    enabled: TokenSources,
    headers: &HeaderMap,
    uri: &Uri,
    form_tokens: Vec<String>,
) -> Result<Option<String>, ApiError> {
    let mut found: Vec<(TokenSource, String)> = Vec::new();

    for value in headers.get_all(ACCESS_TOKEN_HEADER) {
        let value = value
            .to_str()
            .map_err(|_| not_ascii(TokenSource::Header))?
            .trim();
        if !value.is_empty() {
            found.push((TokenSource::Header, value.to_owned()));
        }
    }
    for value in headers.get_all(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| not_ascii(TokenSource::Bearer))?
            .trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        // Other schemes (Basic on the token endpoint) are not access tokens.
        if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
            found.push((TokenSource::Bearer, rest.trim().to_owned()));
        }
    }
    for value in form_tokens {
        if !value.is_empty() {
            found.push((TokenSource::Form, value));
        }
    }
    if let Some(query) = uri.query() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| ApiError::InvalidRequest("The query string is malformed.".into()))?;
        for (key, value) in pairs {
            if key == "access_token" && !value.is_empty() {
                found.push((TokenSource::Query, value));
            }
        }
    }

    if let Some((source, _)) = found.iter().find(|(s, _)| !enabled.contains(*s)) {
        return Err(ApiError::InvalidRequest(format!(
            "Access tokens are not accepted in the {}.",
            source.as_sent()
        )));
    }
    if found.len() > 1 {
        return Err(ApiError::InvalidRequest(
            "More than one access token was sent; send exactly one.".into(),
        ));
    }
    Ok(found.pop().map(|(_, token)| token))
}

fn not_ascii(source: TokenSource) -> ApiError {
    ApiError::InvalidRequest(format!("The {} is not valid ASCII.", source.as_sent()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn all() -> TokenSources {
        TokenSources::parse("header,bearer,form,query").unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn each_source_yields_its_token() {
        let uri: Uri = "/api/me".parse().unwrap();
        let h = headers(&[("x-access-token", "a.b.c")]);
        assert_eq!(
            find_token(all(), &h, &uri, vec![]).unwrap().as_deref(),
            Some("a.b.c")
        );
        let h = headers(&[("authorization", "bearer a.b.c")]);
        assert_eq!(
            find_token(all(), &h, &uri, vec![]).unwrap().as_deref(),
            Some("a.b.c")
        );
        let q: Uri = "/api/me?x=1&access_token=a.b.c".parse().unwrap();
        assert_eq!(
            find_token(all(), &HeaderMap::new(), &q, vec![])
                .unwrap()
                .as_deref(),
            Some("a.b.c")
        );
        assert_eq!(
            find_token(all(), &HeaderMap::new(), &uri, vec!["a.b.c".into()])
                .unwrap()
                .as_deref(),
            Some("a.b.c")
        );
    }

    #[test]
    fn empty_values_and_other_schemes_count_as_absent() {
        let uri: Uri = "/api/me?access_token=".parse().unwrap();
        let h = headers(&[("x-access-token", ""), ("authorization", "Basic YTpi")]);
        assert_eq!(
            find_token(all(), &h, &uri, vec![String::new()]).unwrap(),
            None
        );
        let h = headers(&[("authorization", "Bearer ")]);
        assert_eq!(find_token(all(), &h, &uri, vec![]).unwrap(), None);
    }

    #[test]
    fn two_tokens_even_equal_ones_are_refused() {
        let uri: Uri = "/api/me".parse().unwrap();
        let h = headers(&[("x-access-token", "t"), ("authorization", "Bearer t")]);
        assert!(matches!(
            find_token(all(), &h, &uri, vec![]),
            Err(ApiError::InvalidRequest(_))
        ));
        let h = headers(&[("x-access-token", "t"), ("x-access-token", "t")]);
        assert!(find_token(all(), &h, &uri, vec![]).is_err());
    }

    #[test]
    fn a_disabled_source_is_named_in_the_error() {
        let enabled = TokenSources::parse("header,bearer,form").unwrap();
        let q: Uri = "/healthz?access_token=abc".parse().unwrap();
        match find_token(enabled, &HeaderMap::new(), &q, vec![]) {
            Err(ApiError::InvalidRequest(m)) => assert!(m.contains("query parameter access_token")),
            other => panic!("{other:?}"),
        }
    }
}

/// No header, query or form value makes the token search panic, and a
/// single token in an enabled place is always the one found.
#[cfg(test)]
mod properties {
    use axum::http::{HeaderMap, HeaderValue, Uri};
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_request_parts_are_answered(
            header in proptest::collection::vec(any::<u8>(), 0..80),
            auth in proptest::collection::vec(any::<u8>(), 0..80),
            query in "[ -~]{0,80}",
            form in proptest::collection::vec(any::<String>(), 0..3),
        ) {
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_bytes(&header) {
                headers.insert("x-access-token", v);
            }
            if let Ok(v) = HeaderValue::from_bytes(&auth) {
                headers.insert("authorization", v);
            }
            let all = TokenSources::parse("header,bearer,form,query").unwrap();
            if let Ok(uri) = format!("/api/me?{query}").parse::<Uri>() {
                let _ = find_token(all, &headers, &uri, form);
            }
        }

        #[test]
        fn one_token_in_the_header_is_found(token in "[A-Za-z0-9._-]{1,200}") {
            let mut headers = HeaderMap::new();
            headers.insert("x-access-token", HeaderValue::from_str(&token).unwrap());
            let uri: Uri = "/api/me".parse().unwrap();
            let enabled = TokenSources::parse("header").unwrap();
            prop_assert_eq!(find_token(enabled, &headers, &uri, vec![]).unwrap(), Some(token));
        }
    }
}
