//! Where an access token may be presented (API.md, "Presenting the access
//! token"), which places are enabled, and finding the one token of a request.

use axum::http::{HeaderMap, Uri, header};
use jotpass_shared::ACCESS_TOKEN_HEADER;

use crate::error::ApiError;

/// One place a token can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `x-access-token: <jwt>`.
    Header,
    /// `Authorization: Bearer <jwt>` (RFC 6750 §2.1).
    Bearer,
    /// `access_token` in a form-encoded body (RFC 6750 §2.2).
    Form,
    /// `?access_token=<jwt>` (RFC 6750 §2.3): off by default, URLs leak.
    Query,
}

impl TokenSource {
    const ALL: [Self; 4] = [Self::Header, Self::Bearer, Self::Form, Self::Query];

    /// The name used in `JOTPASS_TOKEN_SOURCES`.
    pub fn setting_name(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Bearer => "bearer",
            Self::Form => "form",
            Self::Query => "query",
        }
    }

    /// How error messages name the place, as it was sent.
    pub fn as_sent(self) -> &'static str {
        match self {
            Self::Header => "header x-access-token",
            Self::Bearer => "Authorization header (Bearer)",
            Self::Form => "form field access_token",
            Self::Query => "query parameter access_token",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The set of enabled sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSources(u8);

impl TokenSources {
    /// Parses `header,bearer,form,query` (any subset, any order, at least one).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut bits = 0;
        for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let source = TokenSource::ALL
                .into_iter()
                .find(|s| s.setting_name().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!("expected a comma-separated list of header, bearer, form, query; got {name:?}")
                })?;
            bits |= source.bit();
        }
        if bits == 0 {
            return Err("expected at least one of header, bearer, form, query".to_owned());
        }
        Ok(Self(bits))
    }

    pub fn contains(self, source: TokenSource) -> bool {
        self.0 & source.bit() != 0
    }
}

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
    fn sources_parse_in_any_order_and_refuse_unknown_names() {
        let s = TokenSources::parse("query, header").unwrap();
        assert!(s.contains(TokenSource::Query) && s.contains(TokenSource::Header));
        assert!(!s.contains(TokenSource::Bearer));
        assert!(TokenSources::parse("cookie").is_err());
        assert!(TokenSources::parse(",").is_err());
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
