//! Our own body extractors, so every malformed body gets an API error body:
//! `415` for a missing or other `Content-Type`, `400 invalid_request` for
//! unparseable bytes, `422 invalid_input` (naming the field) for well-formed
//! bodies of the wrong shape. The body was already read (and limited to
//! 64 KiB) by the middleware in `http::middleware`.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

/// A JSON or `application/x-www-form-urlencoded` body.
#[derive(Debug)]
pub struct JsonOrForm<T>(pub T);

#[derive(PartialEq)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return BodyKind::Other;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        BodyKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}

/// Whether the request carries a form-encoded body.
pub(super) fn is_form(headers: &HeaderMap) -> bool {
    body_kind(headers) == BodyKind::Form
}

async fn read_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|_| ApiError::InvalidRequest("The request body could not be read.".into()))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if body_kind(req.headers()) != BodyKind::Json {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&read_bytes(req, state).await?).map(Self)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match body_kind(req.headers()) {
            BodyKind::Json => parse_json(&read_bytes(req, state).await?).map(Self),
            BodyKind::Form => parse_form(&read_bytes(req, state).await?).map(Self),
            BodyKind::Other => Err(ApiError::UnsupportedMediaType),
        }
    }
}

/// JSON text to `T`: syntax errors are `400`, shape errors `422`.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::InvalidRequest("The request body is not valid JSON.".into()))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        shape_error(&path, &e.into_inner().to_string())
    })
}

/// Form fields to `T`. Every field of our forms is a string, so any error is
/// about a missing field or a repeated one.
fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| shape_error(".", &e.to_string()))
}

fn shape_error(path: &str, message: &str) -> ApiError {
    // serde reports a missing field at the parent ("."), naming it in the message.
    let field = if path == "." {
        message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("body")
            .to_owned()
    } else {
        path.to_owned()
    };
    let message = if message.starts_with("missing field") {
        format!("The field {field} is required.")
    } else if message.starts_with("invalid type") {
        format!("The field {field} has the wrong type.")
    } else {
        format!("The field {field} is not valid.")
    };
    ApiError::invalid_field(&field, message)
}

#[cfg(test)]
mod tests {
    use jotpass_shared::CredentialsRequest;

    use super::*;

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::InvalidInput { fields, .. } => fields.keys().map(str::to_owned).collect(),
            other => panic!("expected invalid_input, got {other:?}"),
        }
    }

    #[test]
    fn json_shape_errors_name_the_field() {
        let e = parse_json::<CredentialsRequest>(br#"{"username":"a"}"#).unwrap_err();
        assert_eq!(fields(e), ["password"]);
        let e = parse_json::<CredentialsRequest>(br#"{"username":5,"password":"x"}"#).unwrap_err();
        assert_eq!(fields(e), ["username"]);
        let e = parse_json::<CredentialsRequest>(b"[]").unwrap_err();
        assert_eq!(fields(e), ["body"]);
    }

    #[test]
    fn unparseable_json_is_an_invalid_request() {
        assert!(matches!(
            parse_json::<CredentialsRequest>(b"{not json"),
            Err(ApiError::InvalidRequest(_))
        ));
    }

    #[test]
    fn form_bodies_parse_and_name_missing_fields() {
        let c: CredentialsRequest = parse_form(b"username=al%20ice&password=p%26w").unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.expose().as_str()),
            ("al ice", "p&w")
        );
        let e = parse_form::<CredentialsRequest>(b"username=alice").unwrap_err();
        assert_eq!(fields(e), ["password"]);
    }

    #[test]
    fn content_types_are_recognised_with_parameters() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        assert!(body_kind(&h) == BodyKind::Json);
        h.insert(
            header::CONTENT_TYPE,
            "Application/X-WWW-Form-Urlencoded".parse().unwrap(),
        );
        assert!(is_form(&h));
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(body_kind(&h) == BodyKind::Other);
    }
}

/// No body makes the parsers panic; a well-formed one round-trips.
#[cfg(test)]
mod properties {
    use jotpass_shared::{CredentialsRequest, NoteRequest, Redacted};
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_bytes_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_json::<CredentialsRequest>(&bytes);
            let _ = parse_json::<NoteRequest>(&bytes);
            let _ = parse_form::<CredentialsRequest>(&bytes);
        }

        #[test]
        fn credentials_round_trip_as_json_and_as_a_form(username in any::<String>(), password in any::<String>()) {
            let sent = CredentialsRequest {
                username,
                password: Redacted::new(password),
                device_token: None,
            };
            let json = serde_json::to_vec(&sent).unwrap();
            prop_assert_eq!(parse_json::<CredentialsRequest>(&json).unwrap(), sent.clone());
            let form = serde_urlencoded::to_string(&sent).unwrap();
            prop_assert_eq!(parse_form::<CredentialsRequest>(form.as_bytes()).unwrap(), sent);
        }
    }
}
