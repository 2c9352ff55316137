//! The two drivers of a [`World`]: `sim` (mock mode: an event queue in virtual time, network
//! and process models, one seeded RNG) and `live` (tokio, the wire, the real clock, agents as
//! processes through a [`backend`](crate::backend)). Each implements the world's
//! [`Effects`]; neither imports the other.
//!
//! [`Driver`] is what code above the drivers (the deployment patterns, the report) needs of a
//! running swarm, in either mode: the world and the effects, and a clock that runs. The
//! imperative [`Swarm`](crate::Swarm) puts the async face on it.

pub(crate) mod live;
pub(crate) mod sim;

use swarm_test_spec::{FaultSpec, Role};

use crate::core::{Core, Task, TaskId};
use crate::market::TradesReport;
use crate::topology::AgentId;
use crate::world::{Effects, World};

/// How soon the play-out looks again at a fault whose moment has come but that the live
/// actor has not handled yet, µs. The default value is 2 ms.
const PLAY_OUT_POLL_US: u64 = 2_000;

/// What a caller waits for while the swarm runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Until {
    /// Every one of these tasks ended.
    Ended(Vec<TaskId>),
    /// This round was decided.
    Decided(crate::core::RoundId),
    /// The trade flow is done and no task or vote is open.
    Idle,
    /// This much more time passed.
    After(std::time::Duration),
}

/// A running swarm, in either mode: its world, its effects, and its clock.
///
/// Time moves only inside the `run_*` calls (in live mode, real time also passes between
/// them, which callers never rely on). Every `run_*` call fails when the test's timeout is
/// reached, with what was still pending. The other calls act now and return at once.
pub(crate) trait Driver {
    /// Runs `f` on the world and the effects, now (live: under the controller's lock; the
    /// core's outputs are carried out after it). Keep it short and never wait inside.
    fn with<R>(&mut self, f: impl FnOnce(&mut World, &mut dyn Effects) -> R) -> R;
    /// Looks at the world and the effects, now.
    fn view<R>(&self, f: impl FnOnce(&World, &dyn Effects) -> R) -> R;
    /// Lets the swarm run until `t_us`.
    fn run_until(&mut self, t_us: u64) -> Result<(), String>;
    /// Lets the swarm run until the trade flow is done and nothing is open.
    fn run_until_idle(&mut self) -> Result<(), String>;
    /// Lets the swarm run until every dispatched task has ended.
    fn run_until_settled(&mut self) -> Result<(), String>;

    /// Lets the swarm run until every fault the attribute scheduled has played out (started,
    /// ended, detected: see [`World::pending_fault`]), then until it is idle again.
    fn run_until_faults_played_out(&mut self) -> Result<(), String> {
        while let Some(pending) = self.view(|w, fx| w.pending_fault(fx.now_us())) {
            // Live: the actor may not have handled a timer that is due yet; look again soon.
            let now = self.now_us();
            let until = match pending.due_us > now {
                true => pending.due_us,
                false => now + PLAY_OUT_POLL_US,
            };
            self.run_until(until)?;
        }
        self.run_until_idle()
    }

    /// Time since the run started, µs (virtual in mock mode, monotonic wall time live).
    fn now_us(&self) -> u64 {
        self.view(|_, fx| fx.now_us())
    }
    /// When setup finished (agents ready), µs.
    fn ready_at_us(&self) -> Option<u64> {
        self.view(|w, _| w.ready_at_us)
    }
    /// Starts `n` trades of the built-in flow.
    fn start_trades(&mut self, n: u64) {
        self.with(|w, fx| w.start_trades(fx, n));
    }
    /// The tasks the built-in flow dispatched so far, counted.
    fn flow_dispatched(&self) -> usize {
        self.view(|w, _| w.flow.tasks.len())
    }
    /// A new agent with `role` joins now; it becomes ready once started.
    fn add_agent(&mut self, role: Role) -> AgentId {
        self.with(|w, fx| w.add_agent(fx, role))
    }
    /// `agent` takes no new work; [`Driver::retire_drained`] removes it once it holds nothing.
    fn drain_agent(&mut self, agent: AgentId) {
        self.with(|w, fx| w.drain_agent(fx.now_us(), agent));
    }
    /// Removes every draining agent that holds nothing any more.
    fn retire_drained(&mut self) {
        self.with(|w, fx| w.retire_drained(fx));
    }
    /// Whether some agent is still draining.
    fn draining(&self) -> bool {
        self.view(|w, _| w.draining())
    }
    /// `agent`'s CPU load, 0..=1 of one core (modelled in mock mode, measured live).
    fn cpu_load(&self, agent: AgentId) -> f64 {
        self.view(|w, fx| match agent < w.core.agents().len() {
            true => fx.cpu_load(w, agent).clamp(0.0, 1.0),
            false => 0.0,
        })
    }
    /// Mean memory utilisation (memory / limit) of `agents`, 0 for none.
    fn memory_utilisation(&self, agents: &[AgentId]) -> f64 {
        self.view(|w, fx| w.memory_utilisation(fx, agents))
    }
    /// The highest `volatility(level)` fault in force, 0 without one.
    fn market_volatility(&self) -> f64 {
        self.view(|w, _| w.market_volatility())
    }
    /// Hands a task to the swarm now.
    fn dispatch(&mut self, task: Task) -> TaskId {
        self.with(|w, fx| w.dispatch(fx, task))
    }
    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId {
        self.with(|w, fx| w.dispatch_to(fx, task, pool))
    }
    /// Starts `fault` now on exactly `targets` (a new version's agents).
    fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]) {
        self.with(|w, fx| w.apply_fault_to(fx, fault, targets));
    }
    /// The trades report, positions marked to market now.
    fn trades_report(&mut self) -> TradesReport {
        self.with(|w, fx| w.trades_report(fx.now_us()))
    }
    /// Runs `f` on the coordination core.
    fn with_core<R>(&self, f: impl FnOnce(&Core) -> R) -> R {
        self.view(|w, _| f(&w.core))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;
    use swarm_test_spec::SpecBuilder;

    fn sim() -> Sim {
        let spec = SpecBuilder::new("t", "driver")
            .with("topology", "mesh")
            .with("agents", 3u64)
            .build()
            .unwrap();
        let mut sim = Sim::new(&spec, 7).unwrap();
        sim.setup().unwrap();
        sim
    }

    /// Drives a host through the trait only, as the patterns do.
    fn join_and_leave<H: Driver>(host: &mut H) -> (AgentId, usize) {
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
        assert!(!Driver::draining(&sim), "an idle joiner drains at once");
        assert!(sim.core().topology().is_retired(joined));
        assert!(Driver::now_us(&sim) >= 1_000_000);
    }

    #[test]
    fn settled_and_idle_wait_for_the_work() {
        let mut sim = sim();
        Driver::start_trades(&mut sim, 5);
        Driver::run_until_idle(&mut sim).unwrap();
        assert_eq!(sim.flow_dispatched(), 5);
        let task = Driver::dispatch(&mut sim, Task::trade("SPY"));
        Driver::run_until_settled(&mut sim).unwrap();
        assert!(sim.core().ledger().has_ended(task));
    }
}
