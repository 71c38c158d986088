//! JSON through the browser's own parser and serializer (`JSON.parse`,
//! `JSON.stringify`, `Response.json()`), converted to and from Rust types
//! by `serde-wasm-bindgen`: the main WASM module then carries no JSON
//! parser of its own. Browser only.

use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::JsValue;

/// `value` as JSON text.
pub(crate) fn to_string(value: &impl Serialize) -> Result<String, String> {
    // JSON's shapes: maps as objects, `None` as `null`, numbers as numbers.
    let js = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())?;
    stringify(&js)
}

/// Apart from the generic half above, so that its code is there once, not
/// once per type written.
fn stringify(js: &JsValue) -> Result<String, String> {
    js_sys::JSON::stringify(js)
        .map_err(|e| describe(&e))?
        .as_string()
        .ok_or_else(|| "not serialisable".to_owned())
}

/// JSON text as a `T`.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    from_value(js_sys::JSON::parse(text).map_err(|e| describe(&e))?)
}

/// A value the browser parsed, as a `T`.
pub(crate) fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// What a JavaScript exception says.
pub(crate) fn describe(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
