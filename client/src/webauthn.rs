//! The browser's WebAuthn API, for passkeys: the server's options go in as
//! JSON and the authenticator's answer comes out as JSON
//! (`PublicKeyCredential.parse…OptionsFromJSON` and `toJSON()`, WebAuthn
//! Level 3), so no binary field is converted by hand. Browser only.

use js_sys::{Function, JSON, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::json::describe;

/// Why the browser gave no credential.
#[derive(Clone, Debug)]
pub enum WebauthnError {
    /// No WebAuthn here, or not the JSON helpers (a browser from before 2024).
    Unsupported,
    /// The person cancelled, no authenticator answered, or it refused.
    NotAllowed,
    Other(String),
}

impl WebauthnError {
    pub fn message(&self) -> String {
        match self {
            Self::Unsupported => "This browser cannot use passkeys.".to_owned(),
            Self::NotAllowed => {
                "No passkey was used (cancelled, or none for this site).".to_owned()
            }
            Self::Other(why) => format!("The passkey did not work: {why}"),
        }
    }
}

/// `navigator.credentials.create()` with the server's `{"publicKey": …}`.
pub async fn create(options: &Value) -> Result<Value, WebauthnError> {
    ceremony(options, "parseCreationOptionsFromJSON", "create").await
}

/// `navigator.credentials.get()` with the server's `{"publicKey": …}`.
pub async fn get(options: &Value) -> Result<Value, WebauthnError> {
    ceremony(options, "parseRequestOptionsFromJSON", "get").await
}

async fn ceremony(options: &Value, parse: &str, call: &str) -> Result<Value, WebauthnError> {
    let window: JsValue = leptos::prelude::window().into();
    let credential_type = get_property(&window, "PublicKeyCredential")?;
    let parse: Function = get_property(&credential_type, parse)?
        .dyn_into()
        .map_err(|_| WebauthnError::Unsupported)?;
    let public_key = JSON::parse(&options["publicKey"].to_string())
        .map_err(|e| WebauthnError::Other(describe(&e)))?;
    let parsed = parse
        .call1(&credential_type, &public_key)
        .map_err(|e| WebauthnError::Other(describe(&e)))?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &parsed)
        .map_err(|e| WebauthnError::Other(describe(&e)))?;

    let navigator = get_property(&window, "navigator")?;
    let credentials = get_property(&navigator, "credentials")?;
    let call: Function = get_property(&credentials, call)?
        .dyn_into()
        .map_err(|_| WebauthnError::Unsupported)?;
    let promise: Promise = call
        .call1(&credentials, &request)
        .map_err(|e| WebauthnError::Other(describe(&e)))?
        .dyn_into()
        .map_err(|_| WebauthnError::Unsupported)?;
    let credential = JsFuture::from(promise).await.map_err(|e| {
        let name = Reflect::get(&e, &"name".into())
            .ok()
            .and_then(|n| n.as_string());
        if name.as_deref() == Some("NotAllowedError") {
            WebauthnError::NotAllowed
        } else {
            WebauthnError::Other(describe(&e))
        }
    })?;
    let to_json: Function = get_property(&credential, "toJSON")?
        .dyn_into()
        .map_err(|_| WebauthnError::Unsupported)?;
    let answer = to_json
        .call0(&credential)
        .map_err(|e| WebauthnError::Other(describe(&e)))?;
    let text = JSON::stringify(&answer)
        .map_err(|e| WebauthnError::Other(describe(&e)))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| WebauthnError::Other(e.to_string()))
}

fn get_property(target: &JsValue, name: &str) -> Result<JsValue, WebauthnError> {
    Reflect::get(target, &name.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
        .ok_or(WebauthnError::Unsupported)
}
