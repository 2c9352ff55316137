//! Why an agent could not answer a task.

use crate::topology::AgentId;

/// An agent's error. Returned from [`Agent::on_trade`](super::Agent::on_trade), it fails the
/// task with its message (counted, rerouted by the strategy's rules); it is not a crash.
///
/// ```
/// use swarm_test::AgentError;
///
/// let e = AgentError::new("feed is stale");
/// assert_eq!(e.to_string(), "feed is stale");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The market has no such symbol.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
    /// A message was sent to an agent that is not a topology neighbour.
    #[error("agent {to} is not a neighbour of agent {from}")]
    NotANeighbour {
        /// The sender.
        from: AgentId,
        /// The intended receiver.
        to: AgentId,
    },
    /// The agent's own reason.
    #[error("{0}")]
    Failed(String),
}

impl AgentError {
    /// An error with the agent's own message.
    pub fn new(message: impl Into<String>) -> Self {
        AgentError::Failed(message.into())
    }
}
