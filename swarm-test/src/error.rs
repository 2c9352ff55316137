//! Errors a test body can meet when it drives the swarm.

use std::time::Duration;

use crate::core::TaskId;

/// Why an operation on a [`Swarm`](crate::Swarm) did not succeed.
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

impl From<crate::sim::SimError> for SwarmError {
    fn from(e: crate::sim::SimError) -> Self {
        match e {
            crate::sim::SimError::Setup(m) => SwarmError::Setup(m),
            crate::sim::SimError::Timeout { timeout_ms, what } => SwarmError::Timeout {
                limit: Duration::from_millis(timeout_ms),
                what,
            },
        }
    }
}
