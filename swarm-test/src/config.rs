//! Run configuration from the environment: mode, backend, seeds, report directory.
//!
//! Parsing is a pure function of a lookup, so it is tested without touching the process
//! environment. An invalid value is an error naming the variable, the value and the choices;
//! nothing runs.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `SWARM_TEST_MODE`.
pub const MODE_VAR: &str = "SWARM_TEST_MODE";
/// `SWARM_TEST_BACKEND`.
pub const BACKEND_VAR: &str = "SWARM_TEST_BACKEND";
/// `SWARM_TEST_SEED`.
pub const SEED_VAR: &str = "SWARM_TEST_SEED";
/// `SWARM_TEST_SEEDS`.
pub const SEEDS_VAR: &str = "SWARM_TEST_SEEDS";
/// `SWARM_TEST_REPORT`.
pub const REPORT_VAR: &str = "SWARM_TEST_REPORT";

/// Where agents run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// In-process, virtual time, deterministic from the seed. The default.
    #[default]
    Mock,
    /// Real agents (local processes or E2B sandboxes), real time.
    Live,
}

impl Mode {
    /// The name as written in `SWARM_TEST_MODE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Mock => "mock",
            Mode::Live => "live",
        }
    }
}

/// The live backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Agents are local OS processes. The default.
    #[default]
    Process,
    /// Agents run in E2B cloud sandboxes.
    E2b,
}

/// The run configuration read from `SWARM_TEST_*` variables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// `SWARM_TEST_MODE`: the default value is `mock`.
    pub mode: Mode,
    /// `SWARM_TEST_BACKEND`: the default value is `process`.
    pub backend: Backend,
    /// `SWARM_TEST_SEED`: replay this seed instead of the test's own.
    pub seed: Option<u64>,
    /// `SWARM_TEST_SEEDS`: how many seeds to run per test. The default value is 1.
    pub seeds: u64,
    /// `SWARM_TEST_REPORT`: also write each run's report as JSON into this directory.
    pub report_dir: Option<PathBuf>,
}

/// An environment variable with a value swarm-test cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?} is not valid: {expected}")]
pub struct ConfigError {
    /// The variable.
    pub var: &'static str,
    /// Its value.
    pub value: String,
    /// What would be valid.
    pub expected: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads configuration through `lookup` (a variable's value, or `None` when unset).
    /// Empty values count as unset.
    ///
    /// ```
    /// use swarm_test::{Config, Mode};
    ///
    /// let config = Config::from_lookup(|var| (var == "SWARM_TEST_SEEDS").then(|| "8".into())).unwrap();
    /// assert_eq!((config.mode, config.seeds), (Mode::Mock, 8));
    ///
    /// let err = Config::from_lookup(|var| (var == "SWARM_TEST_MODE").then(|| "bogus".into()));
    /// assert!(err.unwrap_err().to_string().contains("expected one of `mock`, `live`"));
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |var| lookup(var).filter(|v| !v.trim().is_empty());
        let bad = |var: &'static str, value: &str, expected: &str| ConfigError {
            var,
            value: value.to_owned(),
            expected: expected.to_owned(),
        };
        let mode = match get(MODE_VAR).as_deref().map(str::trim) {
            None | Some("mock") => Mode::Mock,
            Some("live") => Mode::Live,
            Some(other) => {
                return Err(bad(
                    MODE_VAR,
                    other,
                    "expected one of `mock`, `live` (unset means `mock`)",
                ))
            }
        };
        let backend = match get(BACKEND_VAR).as_deref().map(str::trim) {
            None | Some("process") => Backend::Process,
            Some("e2b") => Backend::E2b,
            Some(other) => {
                return Err(bad(
                    BACKEND_VAR,
                    other,
                    "expected one of `process`, `e2b` (unset means `process`)",
                ))
            }
        };
        let seed = match get(SEED_VAR) {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                bad(
                    SEED_VAR,
                    &v,
                    "expected an unsigned 64-bit integer, e.g. `SWARM_TEST_SEED=42`",
                )
            })?),
        };
        let seeds = match get(SEEDS_VAR) {
            None => 1,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(bad(
                        SEEDS_VAR,
                        &v,
                        "expected a number of seeds of at least 1, e.g. `SWARM_TEST_SEEDS=100`",
                    ))
                }
            },
        };
        let report_dir = get(REPORT_VAR).map(PathBuf::from);
        Ok(Config {
            mode,
            backend,
            seed,
            seeds,
            report_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |var| pairs.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_are_mock_one_seed() {
        assert_eq!(
            with(&[]).unwrap(),
            Config {
                seeds: 1,
                ..Config::default()
            }
        );
        assert_eq!(with(&[(MODE_VAR, "")]).unwrap().mode, Mode::Mock);
    }

    #[test]
    fn every_variable_is_read() {
        let c = with(&[
            (MODE_VAR, "live"),
            (BACKEND_VAR, "e2b"),
            (SEED_VAR, "42"),
            (SEEDS_VAR, "100"),
            (REPORT_VAR, "/tmp/r"),
        ])
        .unwrap();
        assert_eq!(c.mode, Mode::Live);
        assert_eq!(c.backend, Backend::E2b);
        assert_eq!(c.seed, Some(42));
        assert_eq!(c.seeds, 100);
        assert_eq!(c.report_dir, Some(PathBuf::from("/tmp/r")));
    }

    #[test]
    fn bad_values_name_variable_value_and_choices() {
        let e = with(&[(MODE_VAR, "bogus")]).unwrap_err().to_string();
        assert_eq!(
            e,
            "SWARM_TEST_MODE=\"bogus\" is not valid: expected one of `mock`, `live` (unset means `mock`)"
        );
        let e = with(&[(BACKEND_VAR, "docker")]).unwrap_err().to_string();
        assert!(
            e.contains("SWARM_TEST_BACKEND=\"docker\"") && e.contains("`e2b`"),
            "{e}"
        );
        let e = with(&[(SEED_VAR, "-1")]).unwrap_err().to_string();
        assert!(e.contains("SWARM_TEST_SEED=\"-1\""), "{e}");
        let e = with(&[(SEEDS_VAR, "0")]).unwrap_err().to_string();
        assert!(e.contains("at least 1"), "{e}");
    }
}
