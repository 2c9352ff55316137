//! # swarm-test
//!
//! Deterministic, fast tests for swarms of trading agents.
//!
//! ```
//! use swarm_test::prelude::*;
//!
//! // The harness sets up a ring of five agents, runs the trade simulation with a CPU spike
//! // on one of them, checks that no task was lost or done twice, snapshots the performance
//! // summary, and tears everything down.
//! #[swarm_test(topology = "ring", agents = 5, inject = "cpu_spike", snapshot = false)]
//! fn ring_survives_cpu_spike() {}
//!
//! // With a report parameter, the body checks outcomes after the run.
//! #[swarm_test(topology = "star", agents = 7, trades = 24, snapshot = false)]
//! fn star_routes_through_the_hub(report: &Report) {
//!     assert_eq!(report.tasks.completed, 24);
//!     assert_eq!(report.tasks.lost, 0);
//! }
//! ```
//!
//! `SWARM_TEST_MODE=mock` (the default) runs everything in-process in virtual time,
//! deterministic from a seed. See the README for modes, environment variables and reviewing
//! snapshots.
//!
//! Layout: [`core`] is the sans-IO coordination core; [`scale`] (autoscaler) and [`deploy`]
//! (blue-green, canary, strategy rotation) are sans-IO controllers; `sim` drives them in
//! virtual time;
//! `market` is the trading model; [`Report`] is what a run measured.

#![warn(missing_docs, unreachable_pub)]

pub mod backend;
mod config;
pub mod core;
pub mod deploy;
mod error;
mod fault_handle;
mod harness;
pub mod live;
pub mod market;
pub(crate) mod metrics;
mod patterns;
mod regressions;
mod report;
pub mod rng;
pub mod scale;
pub mod sim;
mod site;
pub mod summary;
mod swarm;
mod teardown;
mod topology;
pub mod wire;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use config::{
    Backend, Config, ConfigError, Mode, Regressions, BACKEND_VAR, CHECK_DETERMINISM_VAR, MODE_VAR,
    REGRESSIONS_VAR, REPORT_VAR, SEEDS_VAR, SEED_VAR,
};
#[doc(hidden)]
pub use config::{InjectedBug, INJECT_BUG_VAR};
pub use core::{Agent, AgentState, Decision, Proposal, Task, TaskId, Vote};
pub use error::SwarmError;
pub use fault_handle::{FaultHandle, IntoFaultSpec};
pub use harness::{derive_seed, nth_seed};
pub use report::{
    AgentReport, BreakerReport, ConsensusRound, DeployStep, DetectionReport, FaultReport,
    HealthReport, LatencyReport, MessagesReport, PromotionReport, RecoveryReport, Report,
    RotationWindow, ScaleEvent, SinglePointOfFailure, TasksReport, TopologyReport,
};
pub use swarm::{Completed, Swarm};
pub use swarm_test_macros::swarm_test;
pub use swarm_test_spec::{
    Analysis, DeployKind, DeploySpec, FaultKind, FaultSpec, MarketSpec, Partition, Regime, Role,
    Roster, ScaleSpec, Spec, SpecBuilder, SpecError, Strategy, Target, TopologyKind,
};
pub use topology::{AgentId, Topology, HIERARCHY_FANOUT};

/// Everything a test file needs: `use swarm_test::prelude::*;`.
pub mod prelude {
    pub use crate::{swarm_test, AgentState, Decision, Proposal, Report, Swarm, SwarmError, Task};
    pub use crate::{FaultSpec, Role, Strategy, TopologyKind};
}
