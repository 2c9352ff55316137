//! Errors, one enum per operation: setting a swarm up ([`SetupError`]), running it
//! ([`RunError`]), putting a proposal to a vote ([`ProposalError`]), injecting a fault
//! ([`InjectError`]), and what a test body meets when it drives the swarm ([`SwarmError`]).
//! Messages are lowercase and name the problem and the fix.

use std::time::Duration;

use crate::core::TaskId;

/// Why an operation on a [`Swarm`](crate::Swarm) did not succeed.
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
/// async fn no_hub(swarm: &mut Swarm) {
///     let err = swarm.inject("crash(hub)").await.unwrap_err();
///     assert!(matches!(err, SwarmError::Fault { .. }), "{err}");
/// }
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SwarmError {
    /// The task ended without a result; the reason says why (e.g. no agent was available).
    #[error("{task} failed: {reason}")]
    TaskFailed {
        /// Which task.
        task: TaskId,
        /// Why, in words a user can act on.
        reason: String,
    },
    /// The run reached the test's `timeout`.
    #[error("timed out after {:?} (the test's `timeout`): {what}", limit)]
    Timeout {
        /// The limit.
        limit: Duration,
        /// What was still pending.
        what: String,
    },
    /// Setup failed (agents did not become ready, an invalid roster, …).
    #[error("setup failed: {0}")]
    Setup(String),
    /// A proposal could not be put to a vote (e.g. its threshold is outside `(0, 1]`).
    #[error("the proposal could not be put to a vote: {0}")]
    Proposal(String),
    /// A fault given to [`Swarm::inject`](crate::Swarm::inject) is not valid (its text does
    /// not parse) or cannot hit anything in this swarm (e.g. `hub` outside a star).
    #[error("fault `{fault}` cannot be injected: {reason}")]
    Fault {
        /// The fault as given.
        fault: String,
        /// Why, naming the valid choices.
        reason: String,
    },
    /// The live swarm could not go on (an agent broke the protocol, the controller stopped).
    #[error("the live swarm failed: {0}")]
    Live(String),
}

impl From<RunError> for SwarmError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Setup(e) => SwarmError::Setup(e.to_string()),
            RunError::Timeout {
                timeout_ms, what, ..
            } => SwarmError::Timeout {
                limit: Duration::from_millis(timeout_ms),
                what,
            },
        }
    }
}

impl From<ProposalError> for SwarmError {
    fn from(e: ProposalError) -> Self {
        SwarmError::Proposal(e.to_string())
    }
}

/// Why a swarm could not be set up.
///
/// ```
/// use swarm_test::SetupError;
///
/// let e = SetupError::NotReady { ready: 2, agents: 5, needed: 4, percent: 80.0 };
/// assert_eq!(e.to_string(), "only 2 of 5 agents became ready; at least 4 (80%) are needed");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The roster does not list one role per agent.
    #[error("the roster has {roles} agents but the topology has {agents}")]
    Roster {
        /// Roles given.
        roles: usize,
        /// Agents in the topology.
        agents: usize,
    },
    /// The market could not be built (a bar file that does not read, say).
    #[error("{0}")]
    Market(String),
    /// Fewer agents than the quorum became ready.
    #[error(
        "only {ready} of {agents} agents became ready; at least {needed} ({percent}%) are needed"
    )]
    NotReady {
        /// Agents that became ready.
        ready: usize,
        /// Agents started.
        agents: usize,
        /// The quorum.
        needed: usize,
        /// The quorum, as a share of the agents, %.
        percent: f64,
    },
    /// The live controller could not start the swarm (each agent's reason is named).
    #[error("{0}")]
    Live(String),
}

/// Why a run could not go on: set up, or within the test's timeout. A timeout says where the
/// run got to: its seed, its virtual time and how many events it had processed.
///
/// ```
/// use swarm_test::RunError;
///
/// let e = RunError::Timeout {
///     timeout_ms: 60_000,
///     what: "3 of 20 tasks still in flight".into(),
///     seed: 7,
///     now_us: 60_000_500,
///     steps: 1234,
/// };
/// assert!(e.to_string().starts_with("timed out after 60000 ms of virtual time"));
/// assert!(e.to_string().contains("seed 7"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Setup failed.
    #[error("setup failed: {0}")]
    Setup(#[from] SetupError),
    /// Virtual time reached the test's timeout.
    #[error(
        "timed out after {timeout_ms} ms of virtual time: {what} (seed {seed}, at {:.3} ms, after {steps} events)",
        *now_us as f64 / 1_000.0
    )]
    Timeout {
        /// The limit.
        timeout_ms: u64,
        /// What was still pending.
        what: String,
        /// The run's seed (`SWARM_TEST_SEED=<seed>` replays it).
        seed: u64,
        /// The virtual time of the event that would have passed the limit, µs.
        now_us: u64,
        /// Events processed until then.
        steps: u64,
    },
}

/// Why a proposal could not be put to a vote.
///
/// ```
/// use swarm_test::ProposalError;
///
/// let e = ProposalError::Threshold { threshold: 1.5 };
/// assert!(e.to_string().contains("must be in (0, 1]"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProposalError {
    /// The threshold is outside `(0, 1]`.
    #[error("the proposal's threshold must be in (0, 1], like 0.66; found {threshold}")]
    Threshold {
        /// The threshold given.
        threshold: f64,
    },
}

/// Why a fault cannot hit anything in this swarm.
///
/// ```
/// use swarm_test::InjectError;
///
/// let e = InjectError::NoSuchAgent { index: 9, last: 3 };
/// assert_eq!(e.to_string(), "target agent 9 does not exist: the swarm has agents 0..=3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InjectError {
    /// `hub` outside a star, `coordinator` outside a hierarchy.
    #[error("target `{target}` needs a {needs} topology, but this swarm is a {found}")]
    NeedsTopology {
        /// The target named.
        target: &'static str,
        /// The topology it needs.
        needs: &'static str,
        /// This swarm's topology.
        found: &'static str,
    },
    /// An agent index past the last agent.
    #[error("target agent {index} does not exist: the swarm has agents 0..={last}")]
    NoSuchAgent {
        /// The index named.
        index: usize,
        /// The last agent's id.
        last: usize,
    },
    /// A role no agent has.
    #[error("target `role:{role}` matches no agent in this swarm")]
    NoRole {
        /// The role named.
        role: &'static str,
    },
}

/// `e` and its sources, `: `-separated, for the places that keep an error as text (the
/// failure of a test, a line on stderr).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// A panic payload's message (`panic!("...")` gives a `&str` or a `String`): for the failure
/// of a test and for an agent's panic, in both modes.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a non-string payload)".to_owned()
    }
}
