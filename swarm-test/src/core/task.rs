//! Tasks: the unit of work the swarm must account for exactly once.

use serde::{Deserialize, Serialize};

/// A task's identity. Results carry it, so duplicates can be recognised and dropped.
///
/// ```
/// use swarm_test::TaskId;
///
/// assert_eq!(TaskId(7).to_string(), "task#7");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskId(pub u64);

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "task#{}", self.0)
    }
}

/// Per-task bookkeeping indexed by task id: ids are dense and sequential, so a vector slot
/// per task is O(1) where a map would search (this sits on the per-message path).
/// Iteration is in id order, so it is deterministic.
#[derive(Debug, Clone)]
pub(crate) struct TaskTable<T> {
    slots: Vec<Option<T>>,
}

impl<T> Default for TaskTable<T> {
    fn default() -> Self {
        TaskTable { slots: Vec::new() }
    }
}

impl<T> TaskTable<T> {
    /// The entry of `task`.
    pub(crate) fn get(&self, task: &TaskId) -> Option<&T> {
        self.slots.get(task.0 as usize)?.as_ref()
    }

    /// Sets the entry of `task`, returning the previous one.
    pub(crate) fn insert(&mut self, task: TaskId, value: T) -> Option<T> {
        let i = task.0 as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i].replace(value)
    }

    /// Clears the entry of `task`, returning it.
    pub(crate) fn remove(&mut self, task: &TaskId) -> Option<T> {
        self.slots.get_mut(task.0 as usize)?.take()
    }

    /// Every entry, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (TaskId, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((TaskId(i as u64), v.as_ref()?)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_table_is_a_map_by_id() {
        let mut t = TaskTable::default();
        assert_eq!(t.insert(TaskId(3), 'c'), None);
        assert_eq!(t.insert(TaskId(1), 'a'), None);
        assert_eq!(t.insert(TaskId(3), 'C'), Some('c'));
        assert_eq!(t.get(&TaskId(3)), Some(&'C'));
        assert_eq!(t.get(&TaskId(9)), None);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            vec![(TaskId(1), &'a'), (TaskId(3), &'C')]
        );
        assert_eq!(t.remove(&TaskId(1)), Some('a'));
        assert_eq!(t.remove(&TaskId(1)), None);
    }
}
