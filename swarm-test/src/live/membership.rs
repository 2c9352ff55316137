//! Agents joining and leaving a live swarm, pinned dispatch, and the measurements the
//! deployment patterns read, as `sim/membership.rs` does in mock mode.
//!
//! A joining agent gets the core's next id, a new slot and a process of its own (the test
//! binary re-executed, as at setup, told its role through [`ROLE_VAR`](super::agent::ROLE_VAR)
//! since the test's roster does not list it); it becomes ready through the handshake. A
//! leaving agent drains first; once it holds nothing it is retired and its process killed on
//! purpose (reaped by the reader's close, never reported as an error). Load is measured: CPU
//! from the process's CPU time over [`CPU_WINDOW_US`](super::CPU_WINDOW_US), memory from its
//! resident set against [`MEMORY_LIMIT_MB`].

use swarm_test_spec::{FaultKind, FaultSpec, Role};

use super::state::{market_ms, Slot, State};
use crate::core::{Task, TaskId};
use crate::market::TradesReport;
use crate::sim::MEMORY_LIMIT_MB;
use crate::topology::AgentId;

impl State {
    /// A new agent with `role` joins now: its process starts and it becomes ready through the
    /// handshake. A process that cannot start is traced and left `Starting`: the patterns
    /// wait only for agents that can still come up, and the run's errors name it.
    pub(crate) fn add_agent(&mut self, role: Role) -> AgentId {
        let now = self.now_us();
        let agent = self.core.add_agent(now, role);
        while self.slots.len() <= agent {
            self.slots.push(Slot::default());
        }
        self.trace
            .record(now, format_args!("agent {agent} ({}) joins", role.as_str()));
        if let Err(e) = self.start_agent(agent) {
            self.trace
                .record(now, format_args!("agent {agent} did not start: {e}"));
            self.errors
                .push(format!("joining agent {agent} did not start: {e}"));
        }
        self.drain();
        agent
    }

    /// `agent` takes no new work; see [`State::retire_drained`].
    pub(crate) fn drain_agent(&mut self, agent: AgentId) {
        let now = self.now_us();
        self.core.drain_agent(now, agent);
        self.trace.record(now, format_args!("agent {agent} drains"));
        self.drain();
    }

    /// Retires every draining agent that holds nothing any more and kills its process (on
    /// purpose: its exit is no error); returns them.
    pub(crate) fn retire_drained(&mut self) -> Vec<AgentId> {
        let now = self.now_us();
        let done: Vec<AgentId> = (0..self.slots.len())
            .filter(|&a| {
                self.core.is_draining(a)
                    && !self.core.topology().is_retired(a)
                    && self.core.is_drained(a)
            })
            .collect();
        for &agent in &done {
            self.core.retire_agent(now, agent);
            let slot = &mut self.slots[agent];
            if slot.alive {
                slot.alive = false;
                slot.killed = true;
                if let Some(link) = slot.link.as_mut() {
                    link.control.kill();
                }
            }
            self.trace
                .record(now, format_args!("agent {agent} drained and removed"));
        }
        self.drain();
        done
    }

    /// Whether some agent is still draining.
    pub(crate) fn draining(&self) -> bool {
        (0..self.slots.len())
            .any(|a| self.core.is_draining(a) && !self.core.topology().is_retired(a))
    }

    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    pub(crate) fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId {
        let now = self.now_us();
        let label = format!("{:?}", task.kind());
        let id = self.core.dispatch_to(now, task, pool);
        self.trace.record(
            now,
            format_args!("dispatch {id} {label} to agents {pool:?}"),
        );
        self.drain();
        id
    }

    /// `agent`'s measured CPU load over the last window, 0..=1 (one core).
    pub(crate) fn cpu_load_of(&self, agent: AgentId) -> f64 {
        self.slots
            .get(agent)
            .map_or(0.0, |s| s.cpu_load.clamp(0.0, 1.0))
    }

    /// Mean measured memory utilisation (resident memory / limit) of `agents`, 0 for none.
    pub(crate) fn memory_utilisation(&self, agents: &[AgentId]) -> f64 {
        if agents.is_empty() {
            return 0.0;
        }
        let total: f64 = agents
            .iter()
            .map(|&a| self.slots.get(a).map_or(0.0, |s| s.rss_mb))
            .map(|mb| mb.min(MEMORY_LIMIT_MB))
            .sum();
        total / agents.len() as f64 / MEMORY_LIMIT_MB
    }

    /// The highest `volatility(level)` fault in force, 0 without one (as in mock mode).
    pub(crate) fn market_volatility(&self) -> f64 {
        self.active
            .iter()
            .filter_map(|f| match f.spec.kind {
                FaultKind::Volatility { level } => Some(level),
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// Starts `fault` now on exactly `targets` (its own target is ignored), for its duration
    /// if it has one; reported with the run's other faults.
    pub(crate) fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]) {
        let mut fault = fault.clone();
        fault.at_ms = 0;
        self.add_fault(fault, Some(targets.to_vec()));
        self.drain();
    }

    /// The trades report, positions marked to market now.
    pub(crate) fn trades_now(&mut self) -> TradesReport {
        let now = self.now_us();
        self.desk.report(market_ms(now)).rounded()
    }
}
