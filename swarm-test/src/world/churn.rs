//! Agents joining and leaving a run, pinned dispatch, and the market signal the autoscaler
//! reads. A joining agent starts like the agents of setup (the driver starts its process,
//! which becomes ready); a leaving agent drains first, then leaves and its process stops.

use swarm_test_spec::Role;

use super::{Effects, World, MEMORY_LIMIT_MB};
use crate::core::{Task, TaskId};
use crate::topology::AgentId;

impl World {
    /// A new agent with `role` joins now; the driver starts its process.
    pub(crate) fn add_agent(&mut self, fx: &mut (impl Effects + ?Sized), role: Role) -> AgentId {
        let now = fx.now_us();
        let agent = self.core.add_agent(now, role);
        let mut own_role = role;
        if let Some(capabilities) = self.agents.add(agent, &mut own_role) {
            self.core.set_own_agent(agent, own_role, capabilities);
        }
        if self.went_silent.len() <= agent {
            self.went_silent.resize(agent + 1, Vec::new());
        }
        self.trace
            .record(now, format_args!("agent {agent} ({}) joins", role.as_str()));
        fx.spawn(self, agent);
        agent
    }

    /// `agent` takes no new work; see [`World::retire_drained`].
    pub(crate) fn drain_agent(&mut self, now_us: u64, agent: AgentId) {
        self.core.drain_agent(now_us, agent);
        self.trace
            .record(now_us, format_args!("agent {agent} drains"));
    }

    /// Retires every draining agent that holds nothing any more (its process stops, on
    /// purpose); returns them.
    pub(crate) fn retire_drained(&mut self, fx: &mut (impl Effects + ?Sized)) -> Vec<AgentId> {
        let now = fx.now_us();
        let done = self.core.retire_drained(now);
        for &agent in &done {
            fx.retire(agent);
            self.trace
                .record(now, format_args!("agent {agent} drained and removed"));
        }
        done
    }

    /// Whether some agent is still draining.
    pub(crate) fn draining(&self) -> bool {
        !self.core.leaving_agents().is_empty()
    }

    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    pub(crate) fn dispatch_to(
        &mut self,
        fx: &mut (impl Effects + ?Sized),
        task: Task,
        pool: &[AgentId],
    ) -> TaskId {
        let now = fx.now_us();
        let label = format!("{:?}", task.kind());
        let id = self.core.dispatch_to(now, task, pool);
        self.trace.record(
            now,
            format_args!("dispatch {id} {label} to agents {pool:?}"),
        );
        self.drain(fx);
        id
    }

    /// Mean memory utilisation (memory / [`MEMORY_LIMIT_MB`]) of `agents`, 0 for none.
    pub(crate) fn memory_utilisation(
        &self,
        fx: &(impl Effects + ?Sized),
        agents: &[AgentId],
    ) -> f64 {
        if agents.is_empty() {
            return 0.0;
        }
        let total: f64 = agents
            .iter()
            .map(|&a| fx.memory_mb(self, a).min(MEMORY_LIMIT_MB))
            .sum();
        total / agents.len() as f64 / MEMORY_LIMIT_MB
    }

    /// The market volatility the autoscaler sees, 0..=1: the highest `volatility(level)`
    /// fault in force, 0 without one.
    pub(crate) fn market_volatility(&self) -> f64 {
        self.active.volatility()
    }
}

#[cfg(test)]
mod tests {
    use swarm_test_spec::{FaultSpec, Role, SpecBuilder};

    use crate::core::Task;
    use crate::driver::sim::Sim;

    fn sim(agents: u64) -> Sim {
        let spec = SpecBuilder::new("t", "sim::membership")
            .with("topology", "mesh")
            .with("agents", agents)
            .build()
            .unwrap();
        let mut sim = Sim::new(&spec, 1).unwrap();
        sim.setup().unwrap();
        sim
    }

    #[test]
    fn a_joiner_becomes_ready_and_serves() {
        let mut sim = sim(2);
        let new = sim.add_agent(Role::MomentumTrader);
        assert!(!sim.agents()[new].state.is_available());
        sim.run_until(sim.now_us() + 200_000).unwrap();
        assert!(sim.agents()[new].state.is_available());
        let task = sim.dispatch_to(Task::trade("SPY"), &[new]);
        sim.run_until_ended(task).unwrap();
        assert_eq!(sim.agents()[new].executed, 1);
        assert!(sim.core().ledger().violations().is_empty());
    }

    #[test]
    fn a_leaver_drains_before_it_is_removed() {
        let mut sim = sim(3);
        let task = sim.dispatch_to(Task::trade("SPY"), &[2]);
        sim.drain_agent(2);
        assert!(sim.retire_drained().is_empty(), "task still on agent 2");
        assert!(sim.draining());
        sim.run_until_ended(task).unwrap();
        assert_eq!(sim.retire_drained(), vec![2]);
        assert!(!sim.draining());
        assert_eq!(sim.core().ledger().audit().completed, 1);
        assert_eq!(sim.core().topology().live_len(), 2);
    }

    #[test]
    fn version_faults_hit_only_their_targets() {
        let mut sim = sim(4);
        let fault = FaultSpec::parse("error_rate(1.0)").unwrap();
        sim.apply_fault_to(&fault, &[3]);
        let bad = sim.dispatch_to(Task::trade("SPY"), &[3]);
        let good = sim.dispatch_to(Task::trade("QQQ"), &[1]);
        sim.run_until_settled().unwrap();
        let ledger = sim.core().ledger();
        assert!(matches!(
            ledger.ending(bad),
            Some(crate::core::Ending::Failed { .. })
        ));
        assert!(matches!(
            ledger.ending(good),
            Some(crate::core::Ending::Completed { .. })
        ));
        assert_eq!(sim.fault_outcomes().last().unwrap().targets, vec![3]);
        assert_eq!(sim.market_volatility(), 0.0);
    }
}
