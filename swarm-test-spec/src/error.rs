//! The one error type of the grammar.
//!
//! A [`SpecError`] is a precise, lowercase message plus, where one key of the attribute is at
//! fault, that key's name. The macro uses [`SpecError::key`] to put the error on the offending
//! token; the runtime prints the message as it is. Both therefore show the same words.

use std::fmt;

/// Why an attribute, a fault spec, a roster or a duration was rejected.
///
/// The message names what was wrong, shows the valid choices where there are choices, and
/// suggests a close match for a misspelt name ("did you mean `ring`?").
///
/// ```
/// use swarm_test_spec::TopologyKind;
///
/// let err = TopologyKind::parse("rign").unwrap_err();
/// assert!(err.to_string().contains("did you mean `ring`?"));
/// assert_eq!(err.key(), None); // not tied to a key until a `SpecBuilder` reports it
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    key: Option<String>,
    message: String,
}

impl SpecError {
    /// An error with this message, not tied to a key.
    pub fn new(message: impl Into<String>) -> Self {
        SpecError {
            key: None,
            message: message.into(),
        }
    }

    /// The same error, blamed on `key` (only if no key was named yet).
    pub fn with_key(mut self, key: &str) -> Self {
        if self.key.is_none() {
            self.key = Some(key.to_owned());
        }
        self
    }

    /// The attribute key at fault (`"agents"`, `"inject"`, …), if the error is about one key.
    ///
    /// For an unknown key this is the unknown key as written. Errors about a missing key name
    /// the missing key.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The message, without the key.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` put in front of the message (`"context: message"`).
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}

/// `` `a`, `b`, `c` `` for a list of names.
pub(crate) fn backticked<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, name) in names.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(name);
        out.push('`');
    }
    out
}

/// A short, printable excerpt of user input for an error message.
pub(crate) fn excerpt(input: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = input.chars().take(MAX).collect();
    if input.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_message() {
        let err = SpecError::new("bad thing").with_key("agents");
        assert_eq!(err.to_string(), "bad thing");
        assert_eq!(err.key(), Some("agents"));
        assert_eq!(err.message(), "bad thing");
    }

    #[test]
    fn first_key_wins() {
        let err = SpecError::new("x").with_key("inject").with_key("agents");
        assert_eq!(err.key(), Some("inject"));
    }

    #[test]
    fn context_prefixes() {
        let err = SpecError::new("unknown target").context("`crash`");
        assert_eq!(err.message(), "`crash`: unknown target");
    }

    #[test]
    fn backticks_and_excerpts() {
        assert_eq!(backticked(["a", "b"]), "`a`, `b`");
        assert_eq!(backticked([]), "");
        assert_eq!(excerpt("short"), "short");
        let long = "x".repeat(100);
        assert_eq!(excerpt(&long).chars().count(), 41);
    }
}
