//! Agents joining and leaving a simulated swarm, pinned dispatch, and the signals the
//! autoscaler reads (market volatility).
//!
//! A joining agent starts like the agents of setup (a modelled start-up time, then ready); a
//! leaving agent drains first. A deployment's new version can carry a fault on exactly its
//! agents ([`Sim::apply_fault_to`]), which shows in the report's faults like any other.

use swarm_test_spec::{FaultSpec, Role};

use super::faults::{BASE_MEMORY_MB, MEMORY_LIMIT_MB};
use super::model::MS;
use super::{Event, FaultOutcome, Sim};
use crate::core::{Task, TaskId};
use crate::topology::AgentId;

impl Sim {
    /// A new agent with `role` joins now; it becomes ready after a modelled start-up time.
    pub fn add_agent(&mut self, role: Role) -> AgentId {
        let now = self.now_us;
        let agent = self.core.add_agent(now, role);
        self.alive.push(true);
        self.epoch.push(0);
        self.memory_mb.push(BASE_MEMORY_MB);
        self.went_silent.push(Vec::new());
        let startup = self.model.startup_us(&mut self.work_rng);
        self.schedule(startup, Event::Ready(agent));
        self.trace
            .record(now, format_args!("agent {agent} ({}) joins", role.as_str()));
        agent
    }

    /// `agent` takes no new work; see [`Sim::retire_drained`].
    pub fn drain_agent(&mut self, agent: AgentId) {
        self.core.drain_agent(self.now_us, agent);
        self.trace
            .record(self.now_us, format_args!("agent {agent} drains"));
    }

    /// Retires every draining agent that holds nothing any more; returns them.
    pub fn retire_drained(&mut self) -> Vec<AgentId> {
        let now = self.now_us;
        let done = self.core.retire_drained(now);
        for &agent in &done {
            self.trace
                .record(now, format_args!("agent {agent} drained and removed"));
        }
        done
    }

    /// Whether some agent is still draining.
    pub fn draining(&self) -> bool {
        !self.core.leaving_agents().is_empty()
    }

    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    pub fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId {
        let label = format!("{:?}", task.kind());
        let id = self.core.dispatch_to(self.now_us, task, pool);
        self.trace.record(
            self.now_us,
            format_args!("dispatch {id} {label} to agents {pool:?}"),
        );
        self.drain();
        id
    }

    /// Runs until every dispatched task has ended (the built-in trade flow aside).
    pub fn run_until_settled(&mut self) -> Result<(), super::SimError> {
        while self.core.ledger().open() > 0 {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// The market volatility the autoscaler sees, 0..=1: the highest `volatility(level)`
    /// fault in force, 0 without one.
    pub fn market_volatility(&self) -> f64 {
        self.active.volatility()
    }

    /// Mean memory utilisation (memory / limit) of `agents`, 0 for none.
    pub fn memory_utilisation(&self, agents: &[AgentId]) -> f64 {
        if agents.is_empty() {
            return 0.0;
        }
        let total: f64 = agents.iter().map(|&a| self.memory_mb(a)).sum();
        total / agents.len() as f64 / MEMORY_LIMIT_MB
    }

    /// Starts `fault` now on exactly `targets` (its own target is ignored), for its duration
    /// if it has one. Agent faults only (`error_rate`, `cpu_spike`, `hang`, `crash`,
    /// `memory_leak`); it is reported with the run's other faults.
    pub fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]) {
        let index = self.faults.len();
        self.faults.push(fault.clone());
        self.outcomes.push(FaultOutcome::default());
        self.recovery.add_fault();
        self.apply_fault(index, targets.to_vec());
        if let Some(d) = fault.for_ms {
            self.schedule(d * MS, Event::FaultEnd(index));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_test_spec::SpecBuilder;

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
