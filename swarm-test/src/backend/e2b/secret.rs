//! Secrets that never print: the API key and the envd access tokens.
//!
//! [`Secret`] has no `Display`, and its `Debug` shows only that a value is there, so a secret
//! inside any struct, error, panic message or log line reads `Secret(<redacted>)`. The value
//! leaves the type only through `Secret::expose`, at the one place a header is built.

use std::fmt;

/// A value that is never printed. See the module docs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for a request header. Never format it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("e2b_planted_0123456789");
        let shown = format!("{s:?} {:?} {:#?}", Some(&s), vec![s.clone()]);
        assert!(!shown.contains("planted"), "{shown}");
        assert!(shown.contains("Secret(<redacted>)"));
        assert_eq!(s.expose(), "e2b_planted_0123456789");
    }
}
