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
//! The crate root is the vocabulary of a test: the attribute, [`Swarm`], [`Report`] and its
//! parts, [`Spec`] / [`SpecBuilder`] / [`FaultSpec`], [`Config`] / [`Mode`], [`Topology`],
//! [`Task`] and the errors; [`Agent`] and its vocabulary for testing your own agents. The machinery (the coordination core, the drivers, the market,
//! the wire, …) is in [`internals`], for benches, tooling and advanced users, with no
//! stability promise.
//! [`internals::review`] turns report files into a cross-pattern report, diffs and timelines
//! (the `swarm-test` command).

#![warn(missing_docs, unreachable_pub)]

mod agent;
mod backend;
mod config;
mod core;
mod deploy;
mod driver;
mod error;
mod fault_handle;
mod harness;
mod market;
pub(crate) mod metrics;
mod patterns;
mod program;
mod report;
mod review;
mod rng;
pub mod roles;
mod scale;
mod site;
mod summary;
mod swarm;
mod topology;
mod wire;
mod world;

use driver::{live, sim};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use agent::{
    Agent, AgentCtx, AgentError, AgentRng, Capability, Decision, MarketView, Payload, TimerId,
};
pub use config::{Config, ConfigError, Mode};
pub use core::{AgentState, Proposal, RoundOutcome, Task, TaskId, Vote};
pub use error::{InjectError, ProposalError, RunError, SetupError, SwarmError};
pub use fault_handle::{FaultHandle, IntoFaultSpec};
pub use harness::sometimes;
pub use market::{HoldReason, Side};
pub use report::{
    AgentReport, BreakerReport, ConsensusRound, DeployStep, DetectionReport, FaultReport,
    HealthReport, LatencyReport, MessagesReport, PromotionReport, RecoveryReport, Report,
    RotationWindow, ScaleEvent, SinglePointOfFailure, TasksReport, TopologyReport,
};
pub use swarm::{Completed, Swarm};
pub use swarm_test_macros::swarm_test;
pub use swarm_test_spec::{
    FaultSpec, Regime, Role, Spec, SpecBuilder, SpecError, Strategy, TopologyKind,
};
pub use topology::{AgentId, Topology};

/// Everything a test file needs: `use swarm_test::prelude::*;`.
pub mod prelude {
    pub use crate::{swarm_test, AgentState, Proposal, Report, Swarm, SwarmError, Task};
    pub use crate::{Agent, AgentCtx, AgentError, AgentId, Capability, Decision, Payload};
    pub use crate::{FaultSpec, Role, Strategy, TimerId, TopologyKind, Vote};
}

/// The machinery under the test vocabulary, for benches, the reference scenarios' own tests,
/// tooling and advanced users: the coordination core, both drivers, the market, the
/// controllers, the wire and the backends. No stability promise: names here may change in
/// any release (as insta's `internals`).
///
/// ```
/// use swarm_test::internals::sim::Sim;
/// use swarm_test::{SpecBuilder, Task};
///
/// let spec = SpecBuilder::new("t", "doc").with("topology", "ring").with("agents", 4u64).build()?;
/// let mut sim = Sim::new(&spec, 7)?;
/// sim.setup()?;
/// let task = sim.dispatch(Task::trade("SPY"));
/// sim.run_until_ended(task)?;
/// assert_eq!(sim.core().ledger().audit().completed, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod internals {
    pub use crate::error::chain;
    /// Where agents run: local processes today, behind the backend traits.
    pub mod backend {
        pub use crate::backend::*;
    }
    /// The sans-IO coordination core: routing, health, failover, consensus, the ledger.
    pub mod core {
        pub use crate::core::*;
    }
    /// The deployment controllers: blue-green, canary, strategy rotation.
    pub mod deploy {
        pub use crate::deploy::*;
    }
    /// The live driver: the agent program and its environment.
    pub mod live {
        pub use crate::live::*;
    }
    /// The trading model: price paths, orders, fills, positions, risk.
    pub mod market {
        pub use crate::market::*;
    }
    /// The seeded random streams of mock mode.
    pub mod rng {
        pub use crate::rng::*;
    }
    /// The autoscaler and its volatility signal.
    pub mod scale {
        pub use crate::scale::*;
    }
    /// The mock driver: a discrete-event simulation in virtual time.
    pub mod sim {
        pub use crate::sim::*;
    }
    /// Report files, the cross-pattern report, diffs and timeline pages (the `swarm-test`
    /// command).
    pub mod review {
        pub use crate::review::*;
    }
    /// The summary table and plots over many runs' reports (`cargo scenarios`).
    pub mod summary {
        pub use crate::summary::*;
    }
    /// Agent programs in any language: the protocol of `PROTOCOL.md` and its decoder.
    pub mod program {
        pub use crate::program::*;
    }
    /// The agent protocol: frames and messages.
    pub mod wire {
        pub use crate::wire::*;
    }
    pub use crate::config::{
        Backend, Regressions, Shard, Shrink, BACKEND_VAR, CHECK_DETERMINISM_VAR,
        DEFAULT_SHRINK_BUDGET, MODE_VAR, REGRESSIONS_VAR, REPORT_VAR, REQUIRE_REACHED_VAR,
        SEEDS_VAR, SEED_SHARD_VAR, SEED_VAR, SHRINK_BUDGET_VAR, SHRINK_VAR, SHRUNK_VAR,
    };
    pub use crate::harness::{derive_seed, nth_seed};
    pub use crate::topology::HIERARCHY_FANOUT;
    pub use swarm_test_spec::{
        Analysis, DeployKind, DeploySpec, FaultKind, MarketSpec, Partition, Roster, ScaleSpec,
        Target,
    };
}
