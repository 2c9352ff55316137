//! The plain data a `#[swarm_test]` attribute describes.
//!
//! Every type here is produced by the one parser in this crate, used by the
//! macro at compile time and by the runtime (`Spec::builder`, `Fault::parse`).

use serde::{Deserialize, Serialize};

/// Virtual or wall milliseconds.
pub type Millis = u64;

/// The shape of the swarm's communication graph.
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
    CpuSpike { load: f64, target: Target },
    /// Memory grows at `rate_mb_per_s`; the agent is killed at its limit.
    MemoryLeak { rate_mb_per_s: f64, target: Target },
    /// Extra one-way delay on every link, plus uniform jitter.
    Latency { delay_ms: Millis, jitter_ms: Millis },
    /// Each message is dropped with this probability.
    PacketLoss { rate: f64 },
    /// Latency and packet loss together.
    NetworkIssue { delay_ms: Millis, jitter_ms: Millis, loss: f64 },
    /// A network partition.
    Partition { cut: Partition },
    /// The agent dies; optionally restarts after a delay.
    Crash { target: Target, restart_after_ms: Option<Millis> },
    /// The agent is paused: no heartbeats, no progress; resumes at heal.
    Hang { target: Target },
    /// The agent answers this fraction of tasks with errors.
    ErrorRate { rate: f64, target: Target },
    /// A market shock: volatility level in 0..=1 moves the regime.
    Volatility { level: f64 },
}

/// A fault with its schedule: `NAME[(ARGS)] [@ START] [for DURATION]`.
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
}
