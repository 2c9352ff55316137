//! Run configuration from the environment (see [`Config`]).

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
/// `SWARM_TEST_CHECK_DETERMINISM`.
pub const CHECK_DETERMINISM_VAR: &str = "SWARM_TEST_CHECK_DETERMINISM";
/// `SWARM_TEST_REGRESSIONS`.
pub const REGRESSIONS_VAR: &str = "SWARM_TEST_REGRESSIONS";
/// `SWARM_TEST_SEED_SHARD`.
pub const SEED_SHARD_VAR: &str = "SWARM_TEST_SEED_SHARD";
/// `SWARM_TEST_REQUIRE_REACHED`.
pub const REQUIRE_REACHED_VAR: &str = "SWARM_TEST_REQUIRE_REACHED";
/// `SWARM_TEST_SHRINK`.
pub const SHRINK_VAR: &str = "SWARM_TEST_SHRINK";
/// `SWARM_TEST_SHRINK_BUDGET`.
pub const SHRINK_BUDGET_VAR: &str = "SWARM_TEST_SHRINK_BUDGET";
/// `SWARM_TEST_SHRUNK`.
pub const SHRUNK_VAR: &str = "SWARM_TEST_SHRUNK";
/// The default of `SWARM_TEST_SHRINK_BUDGET`: runs a shrink may spend. The default value is 200.
pub const DEFAULT_SHRINK_BUDGET: u64 = 200;
/// `SWARM_TEST_FAULT_INJECT_BUG`: plants a deliberate bug, so the harness's own tests can
/// prove that it catches one. Not for users.
#[doc(hidden)]
pub const INJECT_BUG_VAR: &str = "SWARM_TEST_FAULT_INJECT_BUG";

/// Where agents run.
///
/// ```
/// use swarm_test::Mode;
///
/// assert_eq!(Mode::default(), Mode::Mock);
/// assert_eq!(Mode::Live.as_str(), "live");
/// ```
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

/// Where the seeds that failed while exploring are kept (`SWARM_TEST_REGRESSIONS`). See the
/// [`Config`] docs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Regressions {
    /// `swarm-test-regressions/` in the directory of the test's source file. The default.
    #[default]
    Beside,
    /// Neither read nor written.
    Off,
    /// In this directory instead.
    Dir(PathBuf),
}

/// One of several disjoint slices of a many-seed run (`SWARM_TEST_SEED_SHARD=K/M`): the
/// `index`-th (1-based) of `count`. Seed `i` of the run belongs to slice `i % count + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 1 to `count`.
    pub index: u64,
    /// M, at least 1.
    pub count: u64,
}

impl Shard {
    /// Whether the `i`-th seed of the run (0 is the test's own) is in this slice.
    pub fn contains(self, i: u64) -> bool {
        i % self.count + 1 == self.index
    }
}

/// Whether a failing seed is shrunk (`SWARM_TEST_SHRINK`). See the [`Config`] docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shrink {
    /// Shrink a seed that fails while exploring (`SWARM_TEST_SEEDS` above 1). The default.
    #[default]
    Exploring,
    /// Shrink any failing seed, a replayed one too (`1`).
    Always,
    /// Never shrink (`0`).
    Off,
}

/// A deliberate bug planted by `SWARM_TEST_FAULT_INJECT_BUG`, so the harness's tests (and the
/// tests of each strategy and each fault kind) can prove it is caught. Mock mode only, but for
/// the live agents' own `agent_*` bugs. Not for users.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedBug {
    /// `drop_rerouted`: the first task the swarm reroutes is dropped on the way, with its
    /// timer, as a coordinator that forgot it while rerouting would: the task is lost.
    DropRerouted,
    /// `agent_panics`: live agent 1 panics on the first trade it is given, after the
    /// handshake (its process exits with status 101), as a buggy agent would.
    AgentPanics,
    /// `agent_segfaults`: live agent 1 writes through a null pointer on the first trade it
    /// is given (SIGSEGV), as a memory-unsafe agent would.
    AgentSegfaults,
    /// `inert_<fault>` (`inert_crash`, `inert_latency`, … one per fault kind): every fault of
    /// that kind starts on its targets and is reported and traced as usual, but does nothing,
    /// as a fault injector that never struck would.
    Inert(&'static str),
    /// `round_robin_sticks`: `round_robin` gives every task to the first candidate by id.
    RoundRobinSticks,
    /// `least_loaded_lowest_id`: `least_loaded` breaks ties by the lowest id (the tie-break
    /// issue 13 found), so a flow of tasks that find every agent idle piles onto one.
    LeastLoadedLowestId,
    /// `specialized_ignores_capability`: `specialized` forgets the capability a task needs.
    SpecializedIgnoresCapability,
    /// `consensus_ignores_quorum`: every consensus round is reached, whatever its votes.
    ConsensusIgnoresQuorum,
    /// `adaptive_ignores_health`: `adaptive` scores load alone, blind to each agent's recent
    /// errors and latency.
    AdaptiveIgnoresHealth,
}

/// Every bug but the `inert_<fault>` ones, by the name written in the variable.
const BUGS: [(&str, InjectedBug); 8] = [
    ("drop_rerouted", InjectedBug::DropRerouted),
    ("agent_panics", InjectedBug::AgentPanics),
    ("agent_segfaults", InjectedBug::AgentSegfaults),
    ("round_robin_sticks", InjectedBug::RoundRobinSticks),
    ("least_loaded_lowest_id", InjectedBug::LeastLoadedLowestId),
    (
        "specialized_ignores_capability",
        InjectedBug::SpecializedIgnoresCapability,
    ),
    (
        "consensus_ignores_quorum",
        InjectedBug::ConsensusIgnoresQuorum,
    ),
    (
        "adaptive_ignores_health",
        InjectedBug::AdaptiveIgnoresHealth,
    ),
];

/// The `inert_<fault>` names, in [`swarm_test_spec::FAULT_NAMES`]' order.
const INERT: [&str; 10] = [
    "inert_cpu_spike",
    "inert_memory_leak",
    "inert_latency",
    "inert_packet_loss",
    "inert_network_issue",
    "inert_partition",
    "inert_crash",
    "inert_hang",
    "inert_error_rate",
    "inert_volatility",
];

impl InjectedBug {
    /// The name as written in the variable.
    pub fn as_str(self) -> &'static str {
        if let InjectedBug::Inert(fault) = self {
            return INERT
                .iter()
                .find(|n| n.strip_prefix("inert_") == Some(fault))
                .copied()
                .unwrap_or("inert");
        }
        BUGS.iter()
            .find(|(_, bug)| *bug == self)
            .map_or("none", |(name, _)| name)
    }

    /// The bug named `name`, if there is one.
    pub fn parse(name: &str) -> Option<InjectedBug> {
        if let Some(fault) = name.strip_prefix("inert_") {
            let fault = swarm_test_spec::FAULT_NAMES.iter().find(|&&f| f == fault)?;
            return Some(InjectedBug::Inert(fault));
        }
        BUGS.iter().find(|(n, _)| *n == name).map(|(_, bug)| *bug)
    }
}

/// Run configuration from the environment: mode, backend, seeds, report directory,
/// determinism check, regression seeds.
///
/// Parsing is a pure function of a lookup, so it is tested without touching the process
/// environment. An invalid value is an error naming the variable, the value and the choices;
/// nothing runs.
///
/// | variable | values | meaning |
/// |---|---|---|
/// | `SWARM_TEST_MODE` | `mock` (default), `live` | where agents run |
/// | `SWARM_TEST_BACKEND` | `process` (default), `e2b` | the live backend |
/// | `SWARM_TEST_SEED` | `u64` | replay this one seed (regression seeds are not run) |
/// | `SWARM_TEST_SEEDS` | `N` ≥ 1 (default 1) | run N seeds per test: the test's own, then N − 1 more |
/// | `SWARM_TEST_CHECK_DETERMINISM` | `1`, `0` (default) | run each seed twice and compare |
/// | `SWARM_TEST_REGRESSIONS` | `beside` (default), `off`, a directory | where failing seeds are kept |
/// | `SWARM_TEST_REPORT` | directory | also write each run's report file there as JSON (with its event trace, see `internals::review::file`); a failed run also writes its timeline page |
/// | `SWARM_TEST_SEED_SHARD` | `K/M`, 1 ≤ K ≤ M | run the K-th of M disjoint slices of the seeds |
/// | `SWARM_TEST_SHRINK` | unset, `1`, `0` | shrink a seed failing while exploring / any failing seed / none |
/// | `SWARM_TEST_SHRINK_BUDGET` | `N` (default 200) | the most runs one shrink spends |
/// | `SWARM_TEST_SHRUNK` | attribute keys | run a shrunk case: `agents`, `trades`, `inject`, `timeout` over the test's own |
/// | `SWARM_TEST_REQUIRE_REACHED` | `1`, `0` (default) | fail when a sometimes-condition was never reached |
///
/// # Shards
///
/// `SWARM_TEST_SEED_SHARD=K/M` runs only the exploration seeds `i` with `i % M + 1 == K`, so M
/// machines (a CI matrix) explore the same `SWARM_TEST_SEEDS` seeds without overlap; the
/// regression seeds run in every slice.
///
/// # Shrinking
///
/// A seed that fails under `SWARM_TEST_SEEDS` (with `SWARM_TEST_SHRINK=1`, any failing seed)
/// is shrunk in mock mode: a greedy search, within `SWARM_TEST_SHRINK_BUDGET` runs, for a
/// smaller run of the same seed that fails the same way. The failure prints it as attribute
/// keys and a replay command with `SWARM_TEST_SHRUNK='agents = 2, inject = ["crash(1)"]'`;
/// the regressions file keeps it beside the seed and replays it first.
///
/// # Many seeds
///
/// `SWARM_TEST_SEEDS=1000 cargo test` runs every test with 1,000 seeds: the test's own seed
/// first (the only one whose snapshot is asserted), then a fixed sequence derived from it
/// ([`nth_seed`](crate::internals::nth_seed)). The first failing seed stops the test; the failure names
/// it (`seed 17 of 1000`) and prints a command that replays exactly that run,
/// `SWARM_TEST_SEED=<seed> cargo test -p <crate> -- --exact <test>`.
///
/// # Regression seeds
///
/// A seed that fails while exploring (`SWARM_TEST_SEEDS` above 1) is appended to a regressions
/// file, like proptest's: `swarm-test-regressions/<test>.txt` in the directory of the test's
/// source file, `<test>` being the test's path with `::` written `__`. Every later run of the
/// test (unless `SWARM_TEST_SEED` picks one seed) replays the seeds in that file first, before
/// its own seed, so a bug found once by exploration stays covered. Commit the file; delete a
/// line once its failure is fixed and covered by a test of its own. The file holds one
/// `seed N` per line, with `#` comments. `SWARM_TEST_REGRESSIONS=off` neither reads nor writes
/// it; `SWARM_TEST_REGRESSIONS=./some/dir` (any value with a `/`) keeps the files in that
/// directory instead.
///
/// # Determinism check
///
/// `SWARM_TEST_CHECK_DETERMINISM=1` runs each seed twice in the same process, like madsim's
/// `MADSIM_TEST_CHECK_DETERMINISM`, and compares the two runs: the number of trace events, the
/// hash of the whole event trace and the report. Any difference fails the test with the seed,
/// both runs' figures and the first differing lines of the two reports. It finds state that
/// leaks between runs (statics, thread-locals), iteration over hash maps, wall-clock reads, and
/// unseeded randomness, in the library or in a test body. The snapshot is asserted once.
/// It is for mock mode: in live mode (where wall time and the OS scheduler decide timings,
/// so two runs never match) it prints one line saying so and runs each seed once.
///
/// ```
/// use swarm_test::{Config, Mode};
///
/// let env = |key: &str| (key == "SWARM_TEST_SEEDS").then(|| "5".to_owned());
/// let config = Config::from_lookup(env)?;
/// assert_eq!(config.mode, Mode::Mock);
/// assert_eq!(config.seeds, 5);
/// # Ok::<(), swarm_test::ConfigError>(())
/// ```
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
    /// `SWARM_TEST_CHECK_DETERMINISM`: run each seed twice and compare. The default value is
    /// `false`.
    pub check_determinism: bool,
    /// `SWARM_TEST_REGRESSIONS`: where failing seeds are kept. The default value is
    /// [`Regressions::Beside`].
    pub regressions: Regressions,
    /// `SWARM_TEST_SEED_SHARD`: run only this slice of the seeds. The default is all of them.
    pub shard: Option<Shard>,
    /// `SWARM_TEST_REQUIRE_REACHED`: fail when a sometimes-condition was never reached. The
    /// default value is `false`.
    pub require_reached: bool,
    /// `SWARM_TEST_SHRINK`: when a failing seed is shrunk. The default value is
    /// [`Shrink::Exploring`].
    pub shrink: Shrink,
    /// `SWARM_TEST_SHRINK_BUDGET`: the most runs a shrink spends. The default value is
    /// [`DEFAULT_SHRINK_BUDGET`].
    pub shrink_budget: u64,
    /// `SWARM_TEST_SHRUNK`: attribute keys that override the test's own (a shrunk case, as
    /// printed by a shrink). Checked by the harness against the test's spec.
    pub shrunk: Option<String>,
    /// `SWARM_TEST_FAULT_INJECT_BUG`: a deliberate bug. The default value is none.
    #[doc(hidden)]
    pub inject_bug: Option<InjectedBug>,
}

/// An environment variable with a value swarm-test cannot use.
///
/// ```
/// use swarm_test::Config;
///
/// let env = |key: &str| (key == "SWARM_TEST_MODE").then(|| "staging".to_owned());
/// let e = Config::from_lookup(env).unwrap_err();
/// assert!(e.to_string().starts_with("SWARM_TEST_MODE=\"staging\" is not valid"));
/// ```
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
        let check_determinism = match get(CHECK_DETERMINISM_VAR).as_deref().map(str::trim) {
            None | Some("0" | "false" | "no" | "off") => false,
            Some("1" | "true" | "yes" | "on") => true,
            Some(other) => {
                return Err(bad(
                    CHECK_DETERMINISM_VAR,
                    other,
                    "expected `1` (run each seed twice and compare) or `0` (unset means `0`)",
                ))
            }
        };
        let regressions =
            match get(REGRESSIONS_VAR).as_deref().map(str::trim) {
                None | Some("beside") => Regressions::Beside,
                Some("off") => Regressions::Off,
                Some(dir) if dir.contains(['/', '\\']) => Regressions::Dir(PathBuf::from(dir)),
                Some(other) => return Err(bad(
                    REGRESSIONS_VAR,
                    other,
                    "expected `beside` (a `swarm-test-regressions/` directory beside the test's \
                     source; unset means `beside`), `off`, or a directory path with a `/`, \
                     like `./regressions`",
                )),
            };
        let inject_bug = match get(INJECT_BUG_VAR).as_deref().map(str::trim) {
            None | Some("none") => None,
            Some(name) => match InjectedBug::parse(name) {
                Some(bug) => Some(bug),
                None => {
                    let names: Vec<&str> = BUGS.iter().map(|(n, _)| *n).chain(INERT).collect();
                    return Err(bad(
                        INJECT_BUG_VAR,
                        name,
                        &format!(
                            "expected one of `{}`, `none` (unset means `none`)",
                            names.join("`, `")
                        ),
                    ));
                }
            },
        };
        let shard = match get(SEED_SHARD_VAR) {
            None => None,
            Some(v) => Some(parse_shard(&v).ok_or_else(|| {
                bad(
                    SEED_SHARD_VAR,
                    &v,
                    "expected K/M with 1 <= K <= M, the K-th of M disjoint slices of the seeds, \
                     e.g. `SWARM_TEST_SEED_SHARD=1/4`",
                )
            })?),
        };
        let flag = |var: &'static str, what: &str| match get(var).as_deref().map(str::trim) {
            None | Some("0" | "false" | "no" | "off") => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some(other) => Err(bad(
                var,
                other,
                &format!("expected `1` ({what}) or `0` (unset means `0`)"),
            )),
        };
        let require_reached = flag(
            REQUIRE_REACHED_VAR,
            "fail when a sometimes-condition was never reached",
        )?;
        let shrink = match get(SHRINK_VAR).as_deref().map(str::trim) {
            None => Shrink::Exploring,
            Some("1" | "true" | "yes" | "on") => Shrink::Always,
            Some("0" | "false" | "no" | "off") => Shrink::Off,
            Some(other) => {
                return Err(bad(
                    SHRINK_VAR,
                    other,
                    "expected `1` (shrink any failing seed, a replayed one too) or `0` (never \
                     shrink); unset shrinks a seed that fails under SWARM_TEST_SEEDS",
                ))
            }
        };
        let shrink_budget = match get(SHRINK_BUDGET_VAR) {
            None => DEFAULT_SHRINK_BUDGET,
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                bad(
                    SHRINK_BUDGET_VAR,
                    &v,
                    "expected a number of runs, e.g. `SWARM_TEST_SHRINK_BUDGET=500` (unset \
                     means 200)",
                )
            })?,
        };
        let shrunk = get(SHRUNK_VAR).map(|v| v.trim().to_owned());
        Ok(Config {
            mode,
            backend,
            seed,
            seeds,
            report_dir,
            check_determinism,
            regressions,
            shard,
            require_reached,
            shrink,
            shrink_budget,
            shrunk,
            inject_bug,
        })
    }
}

/// `K/M` with `1 <= K <= M`.
fn parse_shard(text: &str) -> Option<Shard> {
    let (k, m) = text.trim().split_once('/')?;
    let (index, count) = (k.trim().parse::<u64>().ok()?, m.trim().parse::<u64>().ok()?);
    (index >= 1 && index <= count).then_some(Shard { index, count })
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
                shrink_budget: DEFAULT_SHRINK_BUDGET,
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
            (CHECK_DETERMINISM_VAR, "1"),
            (REGRESSIONS_VAR, "/tmp/regressions"),
            (INJECT_BUG_VAR, "drop_rerouted"),
        ])
        .unwrap();
        assert_eq!(c.mode, Mode::Live);
        assert_eq!(c.backend, Backend::E2b);
        assert_eq!(c.seed, Some(42));
        assert_eq!(c.seeds, 100);
        assert_eq!(c.report_dir, Some(PathBuf::from("/tmp/r")));
        assert!(c.check_determinism);
        assert_eq!(
            c.regressions,
            Regressions::Dir(PathBuf::from("/tmp/regressions"))
        );
        assert_eq!(c.inject_bug, Some(InjectedBug::DropRerouted));
    }

    #[test]
    fn every_planted_bug_reads_back_by_its_name() {
        for name in BUGS.iter().map(|(n, _)| *n).chain(INERT) {
            let c = with(&[(INJECT_BUG_VAR, name)]).unwrap();
            let bug = c.inject_bug.unwrap_or_else(|| panic!("{name}"));
            assert_eq!(bug.as_str(), name);
        }
        assert_eq!(
            InjectedBug::parse("inert_crash"),
            Some(InjectedBug::Inert("crash"))
        );
        assert_eq!(INERT.len(), swarm_test_spec::FAULT_NAMES.len());
        let e = with(&[(INJECT_BUG_VAR, "inert_meteor")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`inert_volatility`, `none`"), "{e}");
    }

    #[test]
    fn determinism_check_and_regressions_have_defaults_and_words() {
        let c = with(&[]).unwrap();
        assert!(!c.check_determinism);
        assert_eq!(c.regressions, Regressions::Beside);
        assert_eq!(c.inject_bug, None);
        for (value, on) in [("true", true), ("yes", true), ("0", false), ("off", false)] {
            let c = with(&[(CHECK_DETERMINISM_VAR, value)]).unwrap();
            assert_eq!(c.check_determinism, on, "{value}");
        }
        assert_eq!(
            with(&[(REGRESSIONS_VAR, "off")]).unwrap().regressions,
            Regressions::Off
        );
        assert_eq!(
            with(&[(REGRESSIONS_VAR, "beside")]).unwrap().regressions,
            Regressions::Beside
        );
        assert_eq!(
            with(&[(REGRESSIONS_VAR, "./seeds")]).unwrap().regressions,
            Regressions::Dir(PathBuf::from("./seeds"))
        );
        assert_eq!(with(&[(INJECT_BUG_VAR, "none")]).unwrap().inject_bug, None);
    }

    #[test]
    fn bad_new_values_name_variable_value_and_choices() {
        let e = with(&[(CHECK_DETERMINISM_VAR, "twice")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "SWARM_TEST_CHECK_DETERMINISM=\"twice\" is not valid: expected `1` (run each seed \
             twice and compare) or `0` (unset means `0`)"
        );
        let e = with(&[(REGRESSIONS_VAR, "of")]).unwrap_err().to_string();
        assert!(
            e.starts_with("SWARM_TEST_REGRESSIONS=\"of\" is not valid: expected `beside`")
                && e.contains("`off`")
                && e.contains("`./regressions`"),
            "{e}"
        );
        let e = with(&[(INJECT_BUG_VAR, "drop_everything")])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "SWARM_TEST_FAULT_INJECT_BUG=\"drop_everything\" is not valid: expected one of \
                 `drop_rerouted`, `agent_panics`, `agent_segfaults`, `round_robin_sticks`, "
            ) && e.ends_with("`inert_volatility`, `none` (unset means `none`)"),
            "{e}"
        );
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

    #[test]
    fn shards_shrinking_and_reached_conditions_are_read() {
        let c = with(&[
            (SEED_SHARD_VAR, "2/3"),
            (REQUIRE_REACHED_VAR, "1"),
            (SHRINK_VAR, "0"),
            (SHRINK_BUDGET_VAR, "7"),
            (SHRUNK_VAR, " agents = 3 "),
        ])
        .unwrap();
        assert_eq!(c.shard, Some(Shard { index: 2, count: 3 }));
        assert!(c.require_reached);
        assert_eq!((c.shrink, c.shrink_budget), (Shrink::Off, 7));
        assert_eq!(c.shrunk.as_deref(), Some("agents = 3"));
        assert_eq!(with(&[(SHRINK_VAR, "1")]).unwrap().shrink, Shrink::Always);
        let d = with(&[]).unwrap();
        assert_eq!(
            (d.shard, d.shrink, d.require_reached),
            (None, Shrink::Exploring, false)
        );
        for bad in ["0/3", "4/3", "1", "a/b", "1/0", "-1/2"] {
            let e = with(&[(SEED_SHARD_VAR, bad)]).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "SWARM_TEST_SEED_SHARD={bad:?} is not valid: expected K/M with 1 <= K <= M, \
                     the K-th of M disjoint slices of the seeds, e.g. `SWARM_TEST_SEED_SHARD=1/4`"
                )
            );
        }
        let e = with(&[(SHRINK_VAR, "maybe")]).unwrap_err().to_string();
        assert!(
            e.starts_with("SWARM_TEST_SHRINK=\"maybe\" is not valid: expected `1`"),
            "{e}"
        );
        let e = with(&[(SHRINK_BUDGET_VAR, "lots")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("SWARM_TEST_SHRINK_BUDGET=\"lots\""), "{e}");
        let e = with(&[(REQUIRE_REACHED_VAR, "2")]).unwrap_err().to_string();
        assert!(e.contains("SWARM_TEST_REQUIRE_REACHED=\"2\""), "{e}");
    }

    #[test]
    fn shards_are_disjoint_and_cover_every_seed() {
        for count in 1..=7u64 {
            for i in 0..100u64 {
                let owners = (1..=count)
                    .filter(|&index| Shard { index, count }.contains(i))
                    .count();
                assert_eq!(owners, 1, "seed {i} of {count} shards");
            }
        }
    }
}
