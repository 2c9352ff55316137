//! Membership changes of a running swarm, and tasks pinned to a pool of agents.
//!
//! Autoscaling and deployments change who serves: new agents join (they start, become ready,
//! and get edges per the topology kind), leaving agents drain (no new work; what they hold
//! finishes) and are then retired. A deployment splits traffic between versions by pinning
//! each task to the agents of one version: the router only picks executors from that pool,
//! retries included.
//!
//! Kept apart from the coordinator so it can be ported as a unit: the coordinator holds one
//! [`Membership`] and asks [`Membership::eligible`] when it picks executors.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use swarm_test_spec::Role;

use super::Core;
use crate::core::agent::{AgentRecord, AgentState};
use crate::core::task::{Task, TaskId};
use crate::topology::AgentId;

/// Draining agents and pinned tasks.
#[derive(Debug, Default)]
pub(crate) struct Membership {
    draining: BTreeSet<AgentId>,
    pins: BTreeMap<TaskId, Arc<[AgentId]>>,
}

impl Membership {
    /// Whether `agent` may be picked to execute `task`: not draining, and in the task's pool
    /// if it has one.
    pub(crate) fn eligible(&self, task: TaskId, agent: AgentId) -> bool {
        !self.draining.contains(&agent)
            && self
                .pins
                .get(&task)
                .is_none_or(|pool| pool.contains(&agent))
    }

    /// The pool `task` is pinned to, if any.
    pub(crate) fn pool(&self, task: TaskId) -> Option<&[AgentId]> {
        self.pins.get(&task).map(|p| &p[..])
    }

    /// Whether `agent` is draining (or retired).
    pub(crate) fn is_draining(&self, agent: AgentId) -> bool {
        self.draining.contains(&agent)
    }
}

impl Core {
    /// A new agent with `role` joins: it gets the next id and its edges, and starts in
    /// [`AgentState::Starting`]; the driver calls [`Core::agent_ready`] when it is up.
    pub fn add_agent(&mut self, _now_us: u64, role: Role) -> AgentId {
        let id = self.topology.add_agent();
        debug_assert_eq!(id, self.agents.len());
        self.agents.push(AgentRecord::new(id, role));
        self.joined(id);
        id
    }

    /// `agent` takes no new tasks from now on; the tasks it holds finish. Retire it with
    /// [`Core::retire_agent`] once [`Core::is_drained`].
    pub fn drain_agent(&mut self, _now_us: u64, agent: AgentId) {
        self.membership.draining.insert(agent);
    }

    /// Whether `agent` is draining (or retired).
    pub fn is_draining(&self, agent: AgentId) -> bool {
        self.membership.draining.contains(&agent)
    }

    /// Whether a draining `agent` holds nothing any more: no work in progress and no open task
    /// assigned to it (whose result could still pass through it). A failed agent holds
    /// nothing by definition: what it held died with it and failover reroutes it, so waiting
    /// for it to drain would wait forever.
    pub fn is_drained(&self, agent: AgentId) -> bool {
        if self.agents[agent].state == AgentState::Failed {
            return true;
        }
        self.agents[agent].in_flight == 0
            && self.tasks.keys().all(|&task| {
                self.ledger.has_ended(task) || self.ledger.assignments(task).last() != Some(&agent)
            })
    }

    /// Takes a drained `agent` out of the swarm: [`AgentState::Removed`], no edges.
    pub fn retire_agent(&mut self, _now_us: u64, agent: AgentId) {
        self.membership.draining.insert(agent);
        self.agents[agent].state = AgentState::Removed;
        self.touch(agent);
        self.topology.retire(agent);
    }

    /// Draining agents not yet retired.
    pub fn leaving_agents(&self) -> Vec<AgentId> {
        (0..self.agents.len())
            .filter(|&a| self.is_draining(a) && !self.topology.is_retired(a))
            .collect()
    }

    /// Retires every draining agent that holds nothing any more (see [`Core::is_drained`]);
    /// returns them, for the driver to stop their processes.
    pub fn retire_drained(&mut self, now_us: u64) -> Vec<AgentId> {
        let done: Vec<AgentId> = self
            .leaving_agents()
            .into_iter()
            .filter(|&a| self.is_drained(a))
            .collect();
        for &agent in &done {
            self.retire_agent(now_us, agent);
        }
        done
    }

    /// Agents that serve or will: not draining, not retired, not failed.
    pub fn active_agents(&self) -> Vec<AgentId> {
        self.agents
            .iter()
            .filter(|a| !self.membership.draining.contains(&a.id))
            .filter(|a| matches!(a.state, AgentState::Starting) || a.state.is_available())
            .map(|a| a.id)
            .collect()
    }

    /// Like [`Core::dispatch`], but only agents in `pool` may execute the task (retries
    /// included). Forwarders on the way (a hub, a coordinator) are not restricted.
    pub fn dispatch_to(&mut self, now_us: u64, task: Task, pool: &[AgentId]) -> TaskId {
        let id = TaskId(self.next_task);
        self.next_task += 1;
        self.membership.pins.insert(id, pool.into());
        self.ledger.dispatched(id, now_us);
        self.tasks.insert(id, task);
        self.route(now_us, id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Output;
    use crate::topology::Topology;
    use swarm_test_spec::{Strategy, TopologyKind};

    fn core(n: usize) -> Core {
        let topology = Topology::new(TopologyKind::Mesh, n);
        let mut core = Core::new(
            topology,
            &vec![Role::MomentumTrader; n],
            Strategy::RoundRobin,
        )
        .unwrap();
        for a in 0..n {
            core.agent_ready(0, a);
        }
        core
    }

    /// The executor the core sent `task` to.
    fn executor(core: &mut Core) -> AgentId {
        let mut to = None;
        while let Some(out) = core.poll_output() {
            if let Output::Transmit(env) = out {
                if let crate::core::Endpoint::Agent(a) = env.to {
                    to = Some(a);
                }
            }
        }
        to.expect("a task was sent")
    }

    #[test]
    fn pinned_tasks_stay_in_their_pool() {
        let mut core = core(4);
        for _ in 0..6 {
            core.dispatch_to(0, Task::trade("SPY"), &[2, 3]);
            assert!([2, 3].contains(&executor(&mut core)));
        }
        core.dispatch(0, Task::trade("SPY"));
        assert_eq!(executor(&mut core), 0, "unpinned tasks use everyone");
    }

    #[test]
    fn joiners_get_edges_and_serve_once_ready() {
        let mut core = core(2);
        let new = core.add_agent(0, Role::MomentumTrader);
        assert_eq!(new, 2);
        assert_eq!(core.topology().degree(new), 2);
        assert_eq!(core.agents()[new].state, AgentState::Starting);
        assert_eq!(core.active_agents(), vec![0, 1, 2]);
        core.dispatch_to(0, Task::trade("SPY"), &[new]);
        assert!(
            core.ledger().audit().failed == 1,
            "a starting agent takes no work"
        );
        core.agent_ready(0, new);
        core.dispatch_to(0, Task::trade("SPY"), &[new]);
        assert_eq!(executor(&mut core), new);
    }

    #[test]
    fn draining_agents_finish_then_retire() {
        let mut core = core(3);
        let task = core.dispatch_to(0, Task::trade("SPY"), &[2]);
        assert_eq!(executor(&mut core), 2);
        core.drain_agent(0, 2);
        assert!(!core.is_drained(2), "{task} is still assigned to it");
        assert_eq!(core.active_agents(), vec![0, 1]);
        for _ in 0..4 {
            core.dispatch(0, Task::trade("QQQ"));
            assert_ne!(executor(&mut core), 2, "no new work while draining");
        }
        core.retire_agent(0, 2);
        assert_eq!(core.agents()[2].state, AgentState::Removed);
        assert_eq!(core.topology().degree(2), 0);
        assert_eq!(core.topology().live_len(), 2);
    }
}
