//! The values an attribute key takes, and the checks on their type and form.
//!
//! The attribute has three kinds of literal: strings, integers and bools, held in a [`Value`].
//! Each key expects one kind; a value of another kind is an error that shows the expected form
//! (`` `agents` expects an integer like `agents = 5`, found a string `"five"` ``).

use serde::{Deserialize, Serialize};

use crate::error::{backticked, excerpt, SpecError};
use crate::types::{MarketSpec, Regime, SnapshotSetting, Strategy, TopologyKind};

/// One value from the attribute: a string, an integer or a bool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    /// `"ring"`
    Str(String),
    /// `5`
    Int(u64),
    /// `true`
    Bool(bool),
}

impl Value {
    /// "a string", "an integer" or "a bool", for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("a string `{:?}`", excerpt(s)),
            Value::Int(n) => format!("an integer `{n}`"),
            Value::Bool(b) => format!("a bool `{b}`"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// The value as a string, or an error naming the expected form.
pub(crate) fn string(key: &str, value: Value) -> Result<String, SpecError> {
    match value {
        Value::Str(s) => Ok(s),
        other => {
            let (example, choices) = match key {
                "topology" => ("\"ring\"", Some(TopologyKind::NAMES)),
                "strategy" => ("\"round_robin\"", Some(Strategy::NAMES)),
                "market" => ("\"calm\"", Some(Regime::NAMES)),
                "roles" => ("\"momentum_trader*2, risk_manager\"", None),
                "inject" => ("\"crash(hub) @ 2s\"", None),
                _ => ("\"30s\"", None),
            };
            let choices = match choices {
                Some(names) => format!(" (one of {})", backticked(names.iter().copied())),
                None => String::new(),
            };
            Err(SpecError::new(format!(
                "`{key}` expects a string like `{key} = {example}`{choices}, found {}",
                other.describe()
            )))
        }
    }
}

/// The value as an integer, or an error naming the expected form.
pub(crate) fn int(key: &str, value: Value) -> Result<u64, SpecError> {
    match value {
        Value::Int(n) => Ok(n),
        other => {
            let example = match key {
                "agents" => "5",
                "trades" => "20",
                _ => "42",
            };
            Err(SpecError::new(format!(
                "`{key}` expects an integer like `{key} = {example}`, found {}",
                other.describe()
            )))
        }
    }
}

/// `"calm"` and the other regimes, or `"file:PATH"`.
pub(crate) fn market(text: &str) -> Result<MarketSpec, SpecError> {
    if let Some(path) = text.strip_prefix("file:") {
        if path.trim().is_empty() {
            return Err(SpecError::new(
                "`market = \"file:PATH\"` needs a path after `file:`",
            ));
        }
        return Ok(MarketSpec::File(path.to_owned()));
    }
    Regime::parse(text)
        .map(MarketSpec::Regime)
        .map_err(|e| SpecError::new(format!("{e}, or `file:PATH` for a data file")))
}

/// `true`, `false` or a name.
pub(crate) fn snapshot(value: Value) -> Result<SnapshotSetting, SpecError> {
    const EXPECTED: &str =
        "`snapshot` expects `true`, `false` or a snapshot name like `snapshot = \"ring_failover\"`";
    match value {
        Value::Bool(true) => Ok(SnapshotSetting::Auto),
        Value::Bool(false) => Ok(SnapshotSetting::Off),
        Value::Str(name) if name == "bands" => Ok(SnapshotSetting::Bands),
        Value::Str(name)
            if !name.is_empty()
                && name.len() <= 100
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            Ok(SnapshotSetting::Named(name))
        }
        Value::Str(name) => Err(SpecError::new(format!(
            "{EXPECTED}; a name is 1 to 100 letters, digits, `_` or `-`, found `{:?}`",
            excerpt(&name)
        ))),
        other => Err(SpecError::new(format!(
            "{EXPECTED}, found {}",
            other.describe()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SpecBuilder;

    #[test]
    fn wrong_types() {
        let mut b = SpecBuilder::new("t", "m");
        let e = b.set("agents", "five".into()).unwrap_err();
        assert_eq!(e.key(), Some("agents"));
        assert_eq!(
            e.to_string(),
            "`agents` expects an integer like `agents = 5`, found a string `\"five\"`"
        );
        let e = b.set("topology", 3u64.into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`topology` expects a string like `topology = \"ring\"` (one of `mesh`, `hierarchical`, \
             `ring`, `star`), found an integer `3`"
        );
        let e = b.set("snapshot", 3u64.into()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`snapshot` expects `true`, `false` or a snapshot name"),
            "{e}"
        );
        let e = b.set("timeout", true.into()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`timeout` expects a string like `timeout = \"30s\"`"),
            "{e}"
        );
        // A failed set does not count as setting the key.
        b.set("agents", 5u64.into()).unwrap();
    }

    #[test]
    fn values_convert() {
        assert_eq!(Value::from("x"), Value::Str("x".into()));
        assert_eq!(Value::from(String::from("x")), Value::Str("x".into()));
        assert_eq!(Value::from(7u64), Value::Int(7));
        assert_eq!(Value::from(true), Value::Bool(true));
    }

    #[test]
    fn markets_and_snapshots() {
        assert_eq!(market("calm"), Ok(MarketSpec::Regime(Regime::Calm)));
        assert_eq!(
            market("file:bars.csv"),
            Ok(MarketSpec::File("bars.csv".into()))
        );
        assert!(market("file: ").is_err());
        assert_eq!(
            snapshot(Value::Str("a-b_1".into())),
            Ok(SnapshotSetting::Named("a-b_1".into()))
        );
        assert!(snapshot(Value::Str("x".repeat(101))).is_err());
        assert_eq!(
            snapshot(Value::Str("bands".into())),
            Ok(SnapshotSetting::Bands)
        );
        assert!(snapshot(Value::Str("a/b".into())).is_err());
    }
}
