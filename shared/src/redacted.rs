//! [`Redacted`]: the one wrapper for values that must never be printed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A value that travels as itself (serde sees straight through it) but whose
/// `Debug` prints `[redacted]`, so a request body, a config or a row that
/// holds a password, a token or a hash can derive `Debug` safely.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Named so that every use stands out in review.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_serializes_as_its_value_and_debugs_as_redacted() {
        let secret = Redacted::new("hunter2".to_owned());
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""hunter2""#);
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let back: Redacted<String> = serde_json::from_str(r#""hunter2""#).unwrap();
        assert_eq!(back, secret);
    }
}
