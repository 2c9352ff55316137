//! The Report: what a run measured, and the summary that is snapshotted.
//!
//! Durations are `f64` milliseconds (virtual in mock mode) rounded to the microsecond, rates
//! are `f64` in `0..=1` rounded to four decimals, counts are `u64`. Every collection is
//! ordered, so the same seed serialises to the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use swarm_test_spec::{Role, TopologyKind};

use crate::config::Mode;
use crate::core::{AgentState, BreakerState, Vote};
use crate::market::TradesReport;
use crate::topology::AgentId;

/// Everything one run measured. It serialises with serde; the snapshot is its YAML.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn check(report: &Report) {
///     assert_eq!(report.tasks.lost, 0);
///     assert!(report.latency.p99_ms >= report.latency.p50_ms);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The test's name (with its case suffix, if any).
    pub name: String,
    /// The seed this run used; `SWARM_TEST_SEED=<seed>` replays it.
    pub seed: u64,
    /// `mock` or `live`.
    pub mode: Mode,
    /// Virtual (mock) or wall (live) time from the start of setup to the end of the run, ms.
    pub duration_ms: f64,
    /// Time until the agents were ready, ms.
    pub setup_ms: f64,
    /// The communication graph in force at the end of the run (a promotion after a failed
    /// hub or coordinator, and scaling, change it; see `health.promotions`).
    pub topology: TopologyReport,
    /// Every agent, by id.
    pub agents: Vec<AgentReport>,
    /// Exactly-once accounting of tasks.
    pub tasks: TasksReport,
    /// End-to-end task latency (dispatch → result at the client).
    pub latency: LatencyReport,
    /// Completed tasks per second, from the first dispatch to the last completion.
    pub throughput_per_s: f64,
    /// Completed / dispatched.
    pub success_rate: f64,
    /// Messages between agents, and messages the network dropped.
    pub messages: MessagesReport,
    /// Trading outcome.
    pub trades: TradesReport,
    /// One entry per injected fault, in the order given.
    pub faults: Vec<FaultReport>,
    /// Heartbeats, failure detections, recoveries, promotions, circuit breakers, and the
    /// single points of failure left in the live graph.
    #[serde(default)]
    pub health: HealthReport,
    /// Scale events (the autoscaler's decisions), in time order.
    pub scaling: Vec<ScaleEvent>,
    /// Progressive-delivery steps (blue-green, canary); empty without a deployment pattern.
    pub deploy: Vec<DeployStep>,
    /// Strategy weights over time (`deploy = "strategy_mix"` or `"rotation"`), one entry per
    /// window; left out of the summary when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotation: Vec<RotationWindow>,
    /// Consensus rounds, in order.
    pub consensus: Vec<ConsensusRound>,
    /// Why tasks failed, one line per failed task, ordered by task id.
    pub failures: Vec<String>,
}

impl Report {
    /// A sometimes-assertion from a report body: records whether `cond` held for the
    /// condition `name` in this run, and returns `cond` (see [`sometimes`](crate::sometimes)).
    pub fn sometimes(&self, name: &str, cond: bool) -> bool {
        crate::harness::sometimes(name, cond)
    }
}

/// The communication graph, as reported.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn ring_has_no_single_point_of_failure(report: &Report) {
///     let t: &swarm_test::TopologyReport = &report.topology;
///     assert_eq!((t.kind, t.edges), (TopologyKind::Ring, t.agents));
///     assert!(t.single_points_of_failure.is_empty());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyReport {
    /// Mesh, hierarchical, ring or star.
    pub kind: TopologyKind,
    /// Number of agents.
    pub agents: u64,
    /// Number of edges.
    pub edges: u64,
    /// Longest shortest path, in hops.
    pub diameter: u64,
    /// Agents whose loss would split the swarm, with the groups it would split into.
    pub single_points_of_failure: Vec<SinglePointOfFailure>,
}

/// An articulation point of the graph.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn star_hangs_on_its_hub(report: &Report) {
///     let spof: &swarm_test::SinglePointOfFailure = &report.topology.single_points_of_failure[0];
///     assert_eq!(spof.agent, 0);
///     assert_eq!(spof.splits_into.len(), report.agents.len() - 1);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinglePointOfFailure {
    /// The agent.
    pub agent: AgentId,
    /// The groups the rest of the swarm would split into without it.
    pub splits_into: Vec<Vec<AgentId>>,
}

/// One agent at the end of the run.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn every_agent_worked(report: &Report) {
///     for agent in &report.agents {
///         let agent: &swarm_test::AgentReport = agent;
///         assert!(agent.executed > 0, "agent {} ({:?}) did nothing", agent.id, agent.role);
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReport {
    /// Index.
    pub id: AgentId,
    /// Trading role.
    pub role: Role,
    /// The agent's type when it is the user's own (`Breakout`), or `None` for a built-in role
    /// (the role names its type); see [`AgentReport::type_name`]. Written as `type` in report
    /// files, only for user agents.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub agent_type: Option<String>,
    /// Number of connections.
    pub degree: u64,
    /// State as the coordination layer last saw it.
    pub state: AgentState,
    /// Tasks it executed.
    pub executed: u64,
    /// Tasks it answered with an error.
    pub errors: u64,
    /// CPU load it reports at the end, 0..=1.
    pub cpu: f64,
    /// Memory it reports at the end, MB.
    pub memory_mb: f64,
}

impl AgentReport {
    /// The agent's type: the user's type name, or the built-in role's name.
    pub fn type_name(&self) -> &str {
        self.agent_type.as_deref().unwrap_or(self.role.as_str())
    }
}

/// Task accounting.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn exactly_once(report: &Report) {
///     let t: swarm_test::TasksReport = report.tasks;
///     assert_eq!((t.lost, t.duplicated), (0, 0));
///     assert_eq!(t.completed + t.failed, t.dispatched);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TasksReport {
    /// Handed to the swarm.
    pub dispatched: u64,
    /// Result reached the client.
    pub completed: u64,
    /// Ended with a reason (see `Report::failures`).
    pub failed: u64,
    /// Reroutes to another agent.
    pub rerouted: u64,
    /// Never ended: always 0 in a passing run.
    pub lost: u64,
    /// Ended twice or done twice: always 0 in a passing run.
    pub duplicated: u64,
    /// The largest share of executed tasks taken by one agent, 0..=1.
    pub max_share: f64,
}

/// Latency percentiles from a histogram (3 significant digits), ms.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn fast_enough(report: &Report) {
///     let l: swarm_test::LatencyReport = report.latency;
///     assert!(l.p50_ms <= l.p95_ms && l.p95_ms <= l.p99_ms && l.p99_ms <= l.max_ms);
///     assert!(l.p99_ms < 250.0);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

/// Message counts.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn nothing_dropped(report: &Report) {
///     let m: swarm_test::MessagesReport = report.messages;
///     assert!(m.heartbeats <= m.sent);
///     assert_eq!(m.dropped, 0);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesReport {
    /// Messages sent between agents: tasks, results, votes and heartbeats.
    pub sent: u64,
    /// The heartbeats among them.
    #[serde(default)]
    pub heartbeats: u64,
    /// Messages the network dropped (loss, partition, dead receiver).
    pub dropped: u64,
}

/// What one fault did, measured.
///
/// A reroute or a failure is owed to a fault when the fault *acted on* the attempt the swarm
/// gave up: it dropped, delayed or held one of the attempt's messages, killed or paused the
/// agent holding its work, slowed that work, or answered it with an error. "The swarm gave up"
/// means the coordination layer rerouted or failed the task, after the client's timeout or an
/// error answer. A fault that acted on nothing the swarm gave up on (a volatility shock, a mild
/// CPU spike) has zero counts, and `detected_after_ms: null` unless the failure detector
/// declared one of its targets failed; several faults acting on one
/// attempt are all credited.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn recovered_within_two_seconds(report: &Report) {
///     let crash = &report.faults[0];
///     assert!(crash.tasks_rerouted > 0 && crash.tasks_failed == 0);
///     assert!(crash.recovered_after_ms.unwrap() < 2_000.0);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// The fault spec, normalised.
    pub name: String,
    /// The agents it hit (empty for swarm-wide faults).
    pub targets: Vec<AgentId>,
    /// When it started, ms after setup (`null` if it never started).
    pub at_ms: Option<f64>,
    /// When it healed, ms after setup (`null` if it lasted to the end).
    pub healed_at_ms: Option<f64>,
    /// From its start until the swarm first noticed it, ms: the first client timeout or error
    /// answer, on an attempt it acted on, that made the swarm reroute or fail the task. (A
    /// failure detector that declares a target failed is another way of noticing; the first
    /// way counts.) `null` if the swarm never noticed.
    pub detected_after_ms: Option<f64>,
    /// From its start until the first completion of a task it had caused to be rerouted, ms:
    /// the swarm worked around it. `null` if no task it rerouted completed. Minus
    /// `detected_after_ms`, this is the time to recover once noticed.
    pub recovered_after_ms: Option<f64>,
    /// Tasks with at least one attempt given up (rerouted or failed) because of it.
    pub tasks_affected: u64,
    /// Of those, tasks rerouted to another agent because of it (at least once).
    #[serde(default)]
    pub tasks_rerouted: u64,
    /// Of those, tasks that ended failed because of it (see `Report::failures` for why).
    #[serde(default)]
    pub tasks_failed: u64,
}

/// One scaling decision.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn scaled_out_once(report: &Report) {
///     let out: Vec<&swarm_test::ScaleEvent> =
///         report.scaling.iter().filter(|e| e.to > e.from).collect();
///     assert_eq!(out.len(), 1, "{}", out.iter().map(|e| e.reason.as_str()).collect::<String>());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleEvent {
    /// When, ms.
    pub at_ms: f64,
    /// Agents before.
    pub from: u64,
    /// Agents after.
    pub to: u64,
    /// Why.
    pub reason: String,
}

/// One step of a progressive delivery. Per-version lists are `[old, new]`: blue and green,
/// or stable and canary (see `versions`).
///
/// ```
/// # use swarm_test::prelude::*;
/// fn canary_promoted(report: &Report) {
///     let last: &swarm_test::DeployStep = report.deploy.last().expect("a deployment");
///     assert_eq!(last.outcome, "promoted", "{}: {}", last.phase, last.reason);
///     assert_eq!(last.weights, [0, 100]);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployStep {
    /// When the step was decided, ms after setup.
    pub at_ms: f64,
    /// `step 1`, `step 1 (5 %)`, `promote`, `rollback`, `scale_down`.
    pub phase: String,
    /// The versions' names, `[old, new]`.
    pub versions: Vec<String>,
    /// The weights of each version in this step, percent.
    pub weights: Vec<u64>,
    /// Requests routed to each version in this step.
    pub observed: Vec<u64>,
    /// Error rate of each version, 0..=1 (a request is an error when its first attempt
    /// failed or timed out).
    pub error_rates: Vec<f64>,
    /// p99 latency of each version's completed requests, ms.
    pub p99_ms: Vec<f64>,
    /// What the analysis decided: `passed`, `failed`, `inconclusive`, `promoted`,
    /// `rolled_back`, `scaled_down`.
    pub outcome: String,
    /// Why, with the figures.
    pub reason: String,
}

/// The strategy weights after one rotation window. Maps are keyed by strategy (role) name.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn weights_add_up(report: &Report) {
///     for window in &report.rotation {
///         let window: &swarm_test::RotationWindow = window;
///         let total: f64 = window.weights.values().sum();
///         assert!((total - 1.0).abs() < 1e-3, "at {} ms: {total}", window.at_ms);
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotationWindow {
    /// End of the window, ms after setup.
    pub at_ms: f64,
    /// Share of traffic for the next window, 0..=1.
    pub weights: BTreeMap<String, f64>,
    /// Requests served in the window.
    pub requests: BTreeMap<String, u64>,
    /// Error rate in the window, 0..=1.
    pub error_rates: BTreeMap<String, f64>,
    /// Net PnL over the window.
    pub pnl: BTreeMap<String, f64>,
}

/// One consensus round.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn every_round_reached(report: &Report) {
///     for round in &report.consensus {
///         let round: &swarm_test::ConsensusRound = round;
///         assert!(round.reached, "{}: {}", round.proposal, round.reason);
///         assert!(round.agreeing.len() as u64 >= round.quorum);
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsensusRound {
    /// What was proposed.
    pub proposal: String,
    /// Votes cast.
    pub votes: u64,
    /// Winning votes / votes cast.
    pub agreement: f64,
    /// Whether the quorum was reached.
    pub reached: bool,
    /// When it was decided, ms after setup.
    #[serde(default)]
    pub at_ms: f64,
    /// The agent that ran it.
    #[serde(default)]
    pub proposer: Option<AgentId>,
    /// The live voters asked.
    #[serde(default)]
    pub voters: Vec<AgentId>,
    /// Agreeing votes needed: ceil(live voters × threshold).
    #[serde(default)]
    pub quorum: u64,
    /// The choice with the most votes.
    #[serde(default)]
    pub choice: Option<Vote>,
    /// The voters who chose it.
    #[serde(default)]
    pub agreeing: Vec<AgentId>,
    /// Why it was or was not reached.
    #[serde(default)]
    pub reason: String,
}

/// The swarm's health over the run: what failure detection saw and what it did about it.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn hub_replaced(report: &Report) {
///     let h: &swarm_test::HealthReport = &report.health;
///     assert_eq!(h.promotions.len(), 1);
///     assert_eq!(h.root, Some(h.promotions[0].promoted));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HealthReport {
    /// How often agents send heartbeats, ms.
    pub heartbeat_interval_ms: f64,
    /// Silence after which a peer suspects an agent, ms.
    pub failure_timeout_ms: f64,
    /// The star's hub or the hierarchy's coordinator at the end (none for mesh and ring, or
    /// when it failed with nobody to replace it).
    pub root: Option<AgentId>,
    /// Agents declared failed, in time order.
    pub detections: Vec<DetectionReport>,
    /// Agents heard from again after failing or restarting, in time order.
    pub recoveries: Vec<RecoveryReport>,
    /// Hubs, coordinators or parents replaced, in time order.
    pub promotions: Vec<PromotionReport>,
    /// Circuit-breaker transitions, in time order.
    pub breakers: Vec<BreakerReport>,
    /// Ring stage visits skipped because the stage was failed or its breaker open.
    pub stages_skipped: u64,
    /// Messages not sent because a promotion had moved their link away from a failed agent
    /// after they were planned (their task or vote was rerouted or timed out).
    pub stale_sends: u64,
    /// Articulation points of the live graph at the end (failed agents left out), with the
    /// live groups their loss would split the rest into.
    pub live_single_points_of_failure: Vec<SinglePointOfFailure>,
}

/// An agent declared failed.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn crash_detected_quickly(report: &Report) {
///     let d: &swarm_test::DetectionReport = &report.health.detections[0];
///     assert_eq!(d.agent, 1);
///     assert!(d.detected_after_ms.is_some_and(|ms| ms < report.health.failure_timeout_ms * 2.0));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionReport {
    /// The agent.
    pub agent: AgentId,
    /// When it was declared failed, ms after setup.
    pub at_ms: f64,
    /// From the moment its process went silent (crash or hang) to detection, ms; none when
    /// it was not silent (cut off by a partition, or lost to packet loss).
    pub detected_after_ms: Option<f64>,
    /// The peers whose suspicion condemned it (empty: the client's timeout did, as nobody
    /// else was left to watch it).
    pub by: Vec<AgentId>,
}

/// An agent heard from again.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn came_back_as_a_new_process(report: &Report) {
///     let r: &swarm_test::RecoveryReport = &report.health.recoveries[0];
///     assert!(r.restarted && r.was_failed, "agent {} at {} ms", r.agent, r.at_ms);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryReport {
    /// The agent.
    pub agent: AgentId,
    /// When, ms after setup.
    pub at_ms: f64,
    /// Whether it came back as a new process (its work was lost).
    pub restarted: bool,
    /// Whether it had been declared failed (a quick restart may go unnoticed until then).
    pub was_failed: bool,
}

/// A replacement of a failed hub, coordinator or parent.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn lowest_child_takes_over(report: &Report) {
///     let p: &swarm_test::PromotionReport = &report.health.promotions[0];
///     assert_eq!((p.failed, p.promoted, p.role.as_str()), (0, 1, "hub"));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionReport {
    /// When, ms after setup.
    pub at_ms: f64,
    /// The failed agent.
    pub failed: AgentId,
    /// The agent promoted in its place (the lowest-id live child).
    pub promoted: AgentId,
    /// `hub`, `coordinator` or `parent`.
    pub role: String,
    /// The agents whose edge moved to the promoted agent.
    pub moved: Vec<AgentId>,
}

/// A circuit breaker's state change.
///
/// ```
/// # use swarm_test::prelude::*;
/// fn breakers_logged(report: &Report) {
///     for b in &report.health.breakers {
///         let b: &swarm_test::BreakerReport = b;
///         assert_ne!(b.from, b.to, "agent {} at {} ms: {}", b.agent, b.at_ms, b.reason);
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerReport {
    /// Whose breaker.
    pub agent: AgentId,
    /// When, ms after setup.
    pub at_ms: f64,
    /// Before.
    pub from: BreakerState,
    /// After.
    pub to: BreakerState,
    /// Why.
    pub reason: String,
}

/// Rounds to `decimals` places, for stable, readable snapshots.
pub(crate) fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let r = (x * scale).round() / scale;
    if r == 0.0 {
        0.0 // no "-0.0"
    } else {
        r
    }
}

/// Microseconds to milliseconds, rounded to the microsecond.
pub(crate) fn ms(us: u64) -> f64 {
    round(us as f64 / 1_000.0, 3)
}
