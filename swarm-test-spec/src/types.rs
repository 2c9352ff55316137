//! The plain data a `#[swarm_test]` attribute describes.
//!
//! Every type here is produced by the one parser in this crate, used by the
//! macro at compile time and by the runtime (`Spec::builder`, `FaultSpec::parse`).

use serde::{Deserialize, Serialize};

/// Virtual or wall milliseconds.
pub type Millis = u64;

/// The shape of the swarm's communication graph.
///
/// ```
/// use swarm_test_spec::TopologyKind;
///
/// assert_eq!(TopologyKind::parse("star").unwrap(), TopologyKind::Star);
/// assert_eq!(TopologyKind::Hierarchical.as_str(), "hierarchical");
/// assert!(TopologyKind::parse("tree").unwrap_err().to_string().contains("mesh"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopologyKind {
    /// Every agent is connected to every other agent.
    Mesh,
    /// A tree: a coordinator at the root, leaders and workers below (fan-out 4).
    Hierarchical,
    /// A bidirectional ring; tasks flow through it as a pipeline.
    Ring,
    /// A hub connected to every spoke; spokes are not connected to each other.
    Star,
}

/// How the coordination layer picks the agent that executes a task.
///
/// ```
/// use swarm_test_spec::Strategy;
///
/// let s: Strategy = "least_loaded".parse().unwrap();
/// assert_eq!(s, Strategy::LeastLoaded);
/// assert_eq!(Strategy::NAMES.len(), Strategy::ALL.len());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Each eligible agent in turn.
    RoundRobin,
    /// The agent with the fewest tasks in flight, ties broken by id.
    LeastLoaded,
    /// An agent with the task's required capability, least loaded first.
    Specialized,
    /// Agents vote; a decision needs a quorum.
    Consensus,
    /// A score from load, error rate, latency and capability match.
    Adaptive,
}

/// A market regime for the seeded price paths.
///
/// ```
/// use swarm_test_spec::Regime;
///
/// assert_eq!(Regime::parse("volatile").unwrap(), Regime::Volatile);
/// assert_eq!(Regime::Crash.to_string(), "crash");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Low drift, low volatility.
    Calm,
    /// Positive drift.
    Trending,
    /// High volatility.
    Volatile,
    /// Strong negative drift, high volatility and downward jumps.
    Crash,
}

/// Where market data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketSpec {
    /// Seeded synthetic price paths in a regime.
    Regime(Regime),
    /// Bars replayed from a CSV file (`market = "file:path/to/bars.csv"`).
    File(String),
}

/// An agent's trading role; it decides the agent's capabilities and logic.
///
/// ```
/// use swarm_test_spec::Role;
///
/// assert_eq!(Role::parse("risk_manager").unwrap(), Role::RiskManager);
/// assert!(Role::ALL.contains(&Role::MomentumTrader));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// forecast, trend_analysis, pattern_recognition
    NeuralForecaster,
    /// momentum_detection, breakout_analysis, trade_execution
    MomentumTrader,
    /// statistical_analysis, mean_reversion, pair_trading
    MeanReversionTrader,
    /// risk_assessment, position_sizing, stop_loss_management
    RiskManager,
    /// optimization, allocation, rebalancing
    PortfolioOptimizer,
    /// pair_trading, statistical_analysis, trade_execution
    PairsTrader,
    /// arbitrage, trade_execution
    ArbitrageTrader,
    /// data_collection, market_data
    DataCollector,
    /// generic_trading
    GenericTrader,
}

/// A roster: roles with counts, in order (`"momentum_trader*2, pairs_trader"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster(pub Vec<(Role, usize)>);

/// Which agents a fault hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The star's hub.
    Hub,
    /// The elected leader (mesh: lowest live id; other topologies: the root/hub/stage 0).
    Leader,
    /// The hierarchical coordinator (root).
    Coordinator,
    /// One agent drawn from the seeded RNG.
    Random,
    /// Every agent.
    All,
    /// The agent with this index.
    Index(usize),
    /// Every agent with this role.
    Role(Role),
    /// This fraction of the agents (0 < f <= 1), drawn from the seeded RNG.
    Fraction(f64),
}

/// What a `partition` fault cuts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partition {
    /// Two halves by index (lower half, upper half); no message crosses.
    Halves,
    /// The target agents are cut off from everyone else.
    Isolate(Target),
}

/// One fault and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "fault")]
pub enum FaultKind {
    /// Slower service: service time multiplied by `1 / (1 - load)`, capped.
    CpuSpike {
        /// CPU load in 0..=1. The default value is 0.9.
        load: f64,
        /// Who is hit. The default value is [`Target::Random`].
        target: Target,
    },
    /// Memory grows at `rate_mb_per_s`; the agent is killed at its limit.
    MemoryLeak {
        /// Growth in MB per second, in 0..=10000. The default value is 20.
        rate_mb_per_s: f64,
        /// Who is hit. The default value is [`Target::Random`].
        target: Target,
    },
    /// Extra one-way delay on every link, plus uniform jitter.
    Latency {
        /// Added delay. The default value is 100 ms.
        delay_ms: Millis,
        /// Uniform jitter on top of the delay. The default value is 0.
        jitter_ms: Millis,
    },
    /// Each message is dropped with this probability.
    PacketLoss {
        /// Drop probability in 0..=1. The default value is 0.1.
        rate: f64,
    },
    /// Latency and packet loss together.
    NetworkIssue {
        /// Added delay. The default value is 200 ms.
        delay_ms: Millis,
        /// Uniform jitter on top of the delay. The default value is 0.
        jitter_ms: Millis,
        /// Drop probability in 0..=1. The default value is 0.05.
        loss: f64,
    },
    /// A network partition.
    Partition {
        /// What is cut off. The default value is [`Partition::Halves`].
        cut: Partition,
    },
    /// The agent dies; optionally restarts after a delay.
    Crash {
        /// Who dies. The default value is [`Target::Random`].
        target: Target,
        /// Restart this long after the crash; `None` (the default) means never.
        restart_after_ms: Option<Millis>,
    },
    /// The agent is paused: no heartbeats, no progress; resumes at heal.
    Hang {
        /// Who hangs. The default value is [`Target::Random`].
        target: Target,
    },
    /// The agent answers this fraction of tasks with errors.
    ErrorRate {
        /// Error probability in 0..=1. The default value is 0.2.
        rate: f64,
        /// Who is hit. The default value is [`Target::Random`].
        target: Target,
    },
    /// A market shock: volatility level in 0..=1 moves the regime.
    Volatility {
        /// Volatility in 0..=1. The default value is 0.85.
        level: f64,
    },
}

/// A fault with its schedule: `NAME[(ARGS)] [@ START] [for DURATION]`.
///
/// ```
/// use swarm_test_spec::FaultSpec;
///
/// let crash = FaultSpec::parse("crash(1) @ 2s for 500ms").unwrap();
/// assert_eq!((crash.at_ms, crash.for_ms), (2_000, Some(500)));
/// assert_eq!(crash.text, "crash(1) @ 2s for 500ms");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// The fault.
    pub kind: FaultKind,
    /// When it starts, in milliseconds from the start of the run. The default value is 0.
    pub at_ms: Millis,
    /// How long it lasts; `None` means until the end of the run.
    pub for_ms: Option<Millis>,
    /// The text it was parsed from, normalised, for reports.
    pub text: String,
}

/// Whether and how the run's summary is snapshotted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotSetting {
    /// Snapshot under the test's name. The default.
    Auto,
    /// No snapshot.
    Off,
    /// Snapshot under this name.
    Named(String),
    /// `snapshot = "bands"`: under `SWARM_TEST_SEEDS=N`, snapshot each metric's distribution
    /// over the N seeds (min, p50, p95, max) instead of one seed's report.
    Bands,
}
