//! What a deployment pattern needs of the swarm it runs on: one face for both drivers.
//!
//! The patterns (autoscaling, blue-green, canary, strategy mix and rotation) are written once
//! against [`Host`]. The simulator implements it directly, in virtual time
//! ([`Sim`](crate::sim::Sim)); the live driver implements it with `live::LiveHost`, which
//! lets real time pass on the test's runtime while the controller's actor does the work. The
//! calls are synchronous: a pattern decides, the host carries the decision out and lets time
//! run until the pattern asks again.

use swarm_test_spec::{FaultSpec, Role};

use crate::core::{Core, Task, TaskId};
use crate::market::TradesReport;
use crate::sim::Sim;
use crate::topology::AgentId;

/// A swarm a pattern can drive: its clock, its membership, its traffic and its measurements.
///
/// Time moves only inside the `run_*` calls (in live mode, real time also passes between
/// them, which the patterns never rely on). Every `run_*` call fails when the test's timeout
/// is reached, with what was still pending.
pub(crate) trait Host {
    /// Time since the run started, µs (virtual in mock mode, monotonic wall time live).
    fn now_us(&self) -> u64;
    /// When setup finished (agents ready), µs.
    fn ready_at_us(&self) -> Option<u64>;
    /// Lets the swarm run until `t_us`.
    fn run_until(&mut self, t_us: u64) -> Result<(), String>;
    /// Lets the swarm run until the trade flow is done and nothing is open.
    fn run_until_idle(&mut self) -> Result<(), String>;
    /// Lets the swarm run until every dispatched task has ended.
    fn run_until_settled(&mut self) -> Result<(), String>;
    /// Starts `n` trades of the built-in flow.
    fn start_trades(&mut self, n: u64);
    /// The tasks the built-in flow dispatched so far, counted.
    fn flow_dispatched(&self) -> usize;
    /// A new agent with `role` joins now; it becomes ready once started.
    fn add_agent(&mut self, role: Role) -> AgentId;
    /// `agent` takes no new work; [`Host::retire_drained`] removes it once it holds nothing.
    fn drain_agent(&mut self, agent: AgentId);
    /// Removes every draining agent that holds nothing any more.
    fn retire_drained(&mut self);
    /// Whether some agent is still draining.
    fn draining(&self) -> bool;
    /// `agent`'s CPU load, 0..=1 per core (modelled in mock mode, measured live).
    fn cpu_load(&self, agent: AgentId) -> f64;
    /// Mean memory utilisation (memory / limit) of `agents`, 0 for none.
    fn memory_utilisation(&self, agents: &[AgentId]) -> f64;
    /// The highest `volatility(level)` fault in force, 0 without one.
    fn market_volatility(&self) -> f64;
    /// Hands a task to the swarm now.
    fn dispatch(&mut self, task: Task) -> TaskId;
    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId;
    /// Starts `fault` now on exactly `targets` (a new version's agents).
    fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]);
    /// The trades report, positions marked to market now.
    fn trades_report(&mut self) -> TradesReport;
    /// Runs `f` on the coordination core (live: under the controller's lock, so keep it
    /// short and never wait inside).
    fn with_core<R>(&self, f: impl FnOnce(&Core) -> R) -> R;
}

impl Host for Sim {
    fn now_us(&self) -> u64 {
        Sim::now_us(self)
    }
    fn ready_at_us(&self) -> Option<u64> {
        Sim::ready_at_us(self)
    }
    fn run_until(&mut self, t_us: u64) -> Result<(), String> {
        Sim::run_until(self, t_us).map_err(|e| e.to_string())
    }
    fn run_until_idle(&mut self) -> Result<(), String> {
        Sim::run_until_idle(self).map_err(|e| e.to_string())
    }
    fn run_until_settled(&mut self) -> Result<(), String> {
        Sim::run_until_settled(self).map_err(|e| e.to_string())
    }
    fn start_trades(&mut self, n: u64) {
        Sim::start_trades(self, n);
    }
    fn flow_dispatched(&self) -> usize {
        self.flow_tasks().len()
    }
    fn add_agent(&mut self, role: Role) -> AgentId {
        Sim::add_agent(self, role)
    }
    fn drain_agent(&mut self, agent: AgentId) {
        Sim::drain_agent(self, agent);
    }
    fn retire_drained(&mut self) {
        Sim::retire_drained(self);
    }
    fn draining(&self) -> bool {
        Sim::draining(self)
    }
    fn cpu_load(&self, agent: AgentId) -> f64 {
        Sim::cpu_load(self, agent)
    }
    fn memory_utilisation(&self, agents: &[AgentId]) -> f64 {
        Sim::memory_utilisation(self, agents)
    }
    fn market_volatility(&self) -> f64 {
        Sim::market_volatility(self)
    }
    fn dispatch(&mut self, task: Task) -> TaskId {
        Sim::dispatch(self, task)
    }
    fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId {
        Sim::dispatch_to(self, task, pool)
    }
    fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]) {
        Sim::apply_fault_to(self, fault, targets);
    }
    fn trades_report(&mut self) -> TradesReport {
        Sim::trades_report(self)
    }
    fn with_core<R>(&self, f: impl FnOnce(&Core) -> R) -> R {
        f(self.core())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_test_spec::SpecBuilder;

    fn sim() -> Sim {
        let spec = SpecBuilder::new("t", "patterns::host")
            .with("topology", "mesh")
            .with("agents", 3u64)
            .build()
            .unwrap();
        let mut sim = Sim::new(&spec, 7).unwrap();
        sim.setup().unwrap();
        sim
    }

    /// Drives a host through the trait only, as the patterns do.
    fn join_and_leave<H: Host>(host: &mut H) -> (AgentId, usize) {
        let joined = host.add_agent(Role::MomentumTrader);
        let t = host.now_us() + 1_000_000;
        host.run_until(t).unwrap();
        host.drain_agent(joined);
        host.retire_drained();
        let active = host.with_core(|c| c.active_agents().len());
        (joined, active)
    }

    #[test]
    fn the_simulator_is_a_host_through_the_trait_alone() {
        let mut sim = sim();
        let (joined, active) = join_and_leave(&mut sim);
        assert_eq!(joined, 3);
        assert_eq!(active, 3, "the joiner left again");
        assert!(!Host::draining(&sim), "an idle joiner drains at once");
        assert!(sim.core().topology().is_retired(joined));
        assert!(Host::now_us(&sim) >= 1_000_000);
    }

    #[test]
    fn settled_and_idle_wait_for_the_work() {
        let mut sim = sim();
        Host::start_trades(&mut sim, 5);
        Host::run_until_idle(&mut sim).unwrap();
        assert_eq!(sim.flow_dispatched(), 5);
        let task = Host::dispatch(&mut sim, Task::trade("SPY"));
        Host::run_until_settled(&mut sim).unwrap();
        assert!(sim.core().ledger().has_ended(task));
    }
}
