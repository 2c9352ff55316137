//! The task ledger: proof that every task ended exactly once.
//!
//! Each task is dispatched once and must end exactly once: completed, or failed with a reason.
//! Reroutes are recorded on the way. Any other history is a violation the harness reports:
//! a task never ended (lost), ended twice, or had its effect applied twice (duplicated).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::task::TaskId;
use crate::topology::AgentId;

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The result reached the client.
    Completed {
        /// The agent that executed it.
        by: AgentId,
    },
    /// The task could not be done; the reason says why.
    Failed {
        /// Why, in words a user can act on.
        reason: String,
    },
}

#[derive(Debug, Clone, Default)]
struct Entry {
    dispatched_at_us: u64,
    assigned: Vec<AgentId>,
    effects: u32,
    endings: Vec<Ending>,
}

/// Exactly-once accounting for tasks.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: BTreeMap<TaskId, Entry>,
    rerouted: u64,
    open: u64,
    violations: Vec<String>,
}

/// The ledger's verdict at the end of a run (or at any moment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Audit {
    /// Tasks handed to the swarm.
    pub dispatched: u64,
    /// Tasks whose result reached the client.
    pub completed: u64,
    /// Tasks that failed with a reason.
    pub failed: u64,
    /// Reroutes of a task to another agent (a task may be rerouted more than once).
    pub rerouted: u64,
    /// Tasks still without an ending.
    pub in_flight: u64,
    /// Tasks that ended more than once or whose effect was applied more than once.
    pub duplicated: u64,
}

impl Ledger {
    /// Records a new task. Dispatching an id twice is a violation.
    pub fn dispatched(&mut self, task: TaskId, now_us: u64) {
        if self.entries.contains_key(&task) {
            self.violations.push(format!("{task} was dispatched twice"));
            return;
        }
        self.entries.insert(
            task,
            Entry {
                dispatched_at_us: now_us,
                ..Entry::default()
            },
        );
        self.open += 1;
    }

    /// Records that `agent` was chosen to execute `task`. A second assignment is a reroute.
    pub fn assigned(&mut self, task: TaskId, agent: AgentId) {
        let entry = self.entries.entry(task).or_default();
        if !entry.assigned.is_empty() {
            self.rerouted += 1;
        }
        entry.assigned.push(agent);
    }

    /// Records that the task's effect (e.g. its order) was applied.
    pub fn effect_applied(&mut self, task: TaskId) {
        self.entries.entry(task).or_default().effects += 1;
    }

    /// Records how the task ended.
    pub fn ended(&mut self, task: TaskId, ending: Ending) {
        match self.entries.get_mut(&task) {
            Some(entry) => {
                if entry.endings.is_empty() {
                    self.open -= 1;
                }
                entry.endings.push(ending);
            }
            None => self
                .violations
                .push(format!("{task} ended but was never dispatched")),
        }
    }

    /// Tasks dispatched and not ended yet (O(1)).
    pub fn open(&self) -> u64 {
        self.open
    }

    /// Whether the task has ended.
    pub fn has_ended(&self, task: TaskId) -> bool {
        self.entries
            .get(&task)
            .is_some_and(|e| !e.endings.is_empty())
    }

    /// How the task ended first, if it has.
    pub fn ending(&self, task: TaskId) -> Option<&Ending> {
        self.entries.get(&task).and_then(|e| e.endings.first())
    }

    /// When the task was dispatched, in virtual microseconds.
    pub fn dispatched_at_us(&self, task: TaskId) -> Option<u64> {
        self.entries.get(&task).map(|e| e.dispatched_at_us)
    }

    /// The agents the task was assigned to, in order.
    pub fn assignments(&self, task: TaskId) -> &[AgentId] {
        self.entries
            .get(&task)
            .map(|e| e.assigned.as_slice())
            .unwrap_or(&[])
    }

    /// Counts of every kind.
    pub fn audit(&self) -> Audit {
        let mut audit = Audit {
            dispatched: self.entries.len() as u64,
            rerouted: self.rerouted,
            ..Audit::default()
        };
        for entry in self.entries.values() {
            match entry.endings.first() {
                None => audit.in_flight += 1,
                Some(Ending::Completed { .. }) => audit.completed += 1,
                Some(Ending::Failed { .. }) => audit.failed += 1,
            }
            if entry.endings.len() > 1 || entry.effects > 1 {
                audit.duplicated += 1;
            }
        }
        audit
    }

    /// Every way the history broke exactly-once, in words; empty when it held.
    /// Tasks still in flight count as lost here: call it when the run is over.
    pub fn violations(&self) -> Vec<String> {
        let mut found = self.violations.clone();
        for (task, entry) in &self.entries {
            match entry.endings.len() {
                0 => found.push(format!(
                    "{task} was lost: dispatched, assigned to {:?}, never completed or failed",
                    entry.assigned
                )),
                1 => {}
                n => found.push(format!("{task} ended {n} times: {:?}", entry.endings)),
            }
            if entry.effects > 1 {
                found.push(format!(
                    "{task} was done {} times (its order was applied more than once)",
                    entry.effects
                ));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_history_has_no_violations() {
        let mut ledger = Ledger::default();
        ledger.dispatched(TaskId(1), 0);
        ledger.assigned(TaskId(1), 2);
        ledger.assigned(TaskId(1), 3);
        ledger.effect_applied(TaskId(1));
        ledger.ended(TaskId(1), Ending::Completed { by: 3 });
        ledger.dispatched(TaskId(2), 5);
        ledger.ended(
            TaskId(2),
            Ending::Failed {
                reason: "no agent".into(),
            },
        );
        let audit = ledger.audit();
        assert_eq!((audit.completed, audit.failed, audit.rerouted), (1, 1, 1));
        assert!(ledger.violations().is_empty());
    }

    #[test]
    fn lost_and_duplicated_tasks_are_violations() {
        let mut ledger = Ledger::default();
        ledger.dispatched(TaskId(1), 0);
        ledger.dispatched(TaskId(2), 0);
        ledger.effect_applied(TaskId(2));
        ledger.effect_applied(TaskId(2));
        ledger.ended(TaskId(2), Ending::Completed { by: 0 });
        ledger.ended(TaskId(3), Ending::Completed { by: 0 });
        let v = ledger.violations();
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v.iter().any(|m| m.contains("task#1 was lost")));
        assert!(v.iter().any(|m| m.contains("task#2 was done 2 times")));
        assert!(v.iter().any(|m| m.contains("never dispatched")));
        assert_eq!(ledger.audit().duplicated, 1);
    }
}
