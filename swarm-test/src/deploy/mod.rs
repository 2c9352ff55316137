//! Progressive delivery and strategy rotation, sans-IO.
//!
//! Three controllers, each a state machine that takes timestamped observations and returns
//! decisions, like the coordination core: no clock, no I/O, no randomness of its own (the
//! driver passes uniform draws from its seeded RNG when a request is routed).
//!
//! - [`BlueGreen`]: traffic weights stepped from blue to green, analysis per step (success
//!   rate, p99), rollback when green's error rate exceeds the threshold after a minimum of
//!   requests; the old version is scaled down after a delay.
//! - [`Canary`]: weight steps to a few canary agents; checks per step judged Argo-style
//!   (failure limit, consecutive inconclusive limit) or Flagger-style (failed-check
//!   threshold); promotion (then more agents) or rollback.
//! - [`Rotation`]: several strategies share the traffic; adaptive weights move toward the
//!   strategies with the lowest error rate and the best recent PnL.
//!
//! The driver's loop is the same for the two deployments: [`BlueGreen::route`] a request
//! (`None` while the step waits for its results), send it, [`BlueGreen::record`] its outcome,
//! and [`BlueGreen::poll`] for the next [`Action`].

mod blue_green;
mod canary;
mod rotation;
mod tally;

pub use blue_green::BlueGreen;
pub use canary::{Canary, Check};
pub use rotation::{Rotation, RotationSample, ADAPT_RATE, MIN_WEIGHT, PNL_TILT};
pub use tally::{p99_us, Tally};

use serde::{Deserialize, Serialize};

/// The two versions of a deployment: the one serving now, and the one being introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Version {
    /// Blue, or the canary's stable version.
    Old,
    /// Green, or the canary.
    New,
}

impl Version {
    /// Index into per-version arrays: old 0, new 1.
    pub fn index(self) -> usize {
        match self {
            Version::Old => 0,
            Version::New => 1,
        }
    }
}

/// What one routed request came to, as the deployment's analysis sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestOutcome {
    /// The version answered without an error (its first attempt succeeded).
    pub ok: bool,
    /// End-to-end latency, µs, if the request completed.
    pub latency_us: Option<u64>,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// A step's analysis passed: route with the next weights.
    NextStep,
    /// A step's analysis failed but the limits allow another try: repeat it.
    RepeatStep,
    /// The new version takes all traffic; a canary adds `add_agents` of it.
    Promote {
        /// Agents of the new version to add.
        add_agents: usize,
    },
    /// Back to the old version for all traffic.
    Rollback,
    /// Remove this version's agents (after draining them): the delay has passed.
    ScaleDown(Version),
}

/// One step of a deployment, as recorded for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// When the step was decided, µs.
    pub at_us: u64,
    /// `"step 1"`, `"promote"`, `"rollback"`, `"scale_down"`, ….
    pub phase: String,
    /// Weights of `[old, new]`, percent.
    pub weights: [u64; 2],
    /// Requests routed to `[old, new]` in this step.
    pub routed: [u64; 2],
    /// Error rate of `[old, new]` in this step (0 where none were served).
    pub error_rates: [f64; 2],
    /// p99 latency of `[old, new]` in this step, µs (0 where none completed).
    pub p99_us: [u64; 2],
    /// What the analysis decided: `passed`, `failed`, `inconclusive`, `promoted`, …
    pub outcome: String,
    /// Why, with the figures.
    pub reason: String,
}

/// Whether the deployment ended, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Stepping through the weights.
    Progressing,
    /// The new version took over; the old one is scaled down after the delay.
    Promoted,
    /// Back on the old version; the new one is scaled down after the delay.
    RolledBack,
    /// The losing version has been scaled down.
    Done,
}
