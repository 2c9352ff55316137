//! Tasks: the unit of work the swarm must account for exactly once.

use serde::{Deserialize, Serialize};

/// A task's identity. Results carry it, so duplicates can be recognised and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskId(pub u64);

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "task#{}", self.0)
    }
}

/// What a task asks the swarm to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Decide on `symbol` and, if the agent's logic says so, trade it.
    Trade {
        /// The instrument, e.g. `"SPY"`.
        symbol: String,
    },
    /// A unit of analysis work with no market effect (e.g. a forecast or a risk check).
    Work {
        /// A label for reports.
        name: String,
    },
    /// A message passed around a ring for `hops` hops, then answered to the client directly
    /// by the last agent (a data-flow workload; ring topology only).
    Relay {
        /// Agent-to-agent hops.
        hops: u32,
    },
}

/// A task to dispatch to the swarm.
///
/// ```
/// use swarm_test::Task;
///
/// let task = Task::trade("SPY").requires("trade_execution");
/// assert_eq!(task.capability(), Some("trade_execution"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    kind: TaskKind,
    capability: Option<String>,
}

impl Task {
    /// A trade decision on `symbol`.
    pub fn trade(symbol: impl Into<String>) -> Self {
        Task {
            kind: TaskKind::Trade {
                symbol: symbol.into(),
            },
            capability: None,
        }
    }

    /// A unit of work with no market effect.
    pub fn work(name: impl Into<String>) -> Self {
        Task {
            kind: TaskKind::Work { name: name.into() },
            capability: None,
        }
    }

    /// A message passed around the ring for `hops` hops (ring topology only).
    pub fn relay(hops: u32) -> Self {
        Task {
            kind: TaskKind::Relay { hops },
            capability: None,
        }
    }

    /// Only agents with `capability` may execute this task (see `Role::capabilities`).
    pub fn requires(mut self, capability: impl Into<String>) -> Self {
        self.capability = Some(capability.into());
        self
    }

    /// What the task asks for.
    pub fn kind(&self) -> &TaskKind {
        &self.kind
    }

    /// The capability an executor must have, if any.
    pub fn capability(&self) -> Option<&str> {
        self.capability.as_deref()
    }
}
