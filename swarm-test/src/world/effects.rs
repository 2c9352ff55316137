//! The world's side of its drivers: the [`Effects`] a driver implements, the [`Timer`]s it
//! keeps for the world, and the pieces of [`Work`] it carries out.

use std::sync::Arc;

use crate::core::{Envelope, Hop, RoundId, Step, TaskId};
use crate::rng::SimRng;
use crate::topology::AgentId;
use crate::wire::MarketEvent;

use super::{Applied, Model, World};

/// A timer the world asks its driver to keep, and to hand back through [`World::on_timer`]
/// when it is due.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Timer {
    /// The client's timeout of a task's attempt.
    TaskTimeout(TaskId),
    /// Fault `index` starts.
    FaultStart(usize),
    /// Fault `index` heals.
    FaultEnd(usize),
    /// An agent's process restarts (a crash's `restart = D`, or its end).
    Restart(AgentId),
    /// The built-in trade flow's next trade arrives.
    Arrival,
    /// A consensus round's deadline.
    RoundTimeout(RoundId),
    /// A timer an agent set ([`AgentCtx::set_timer`](crate::AgentCtx::set_timer)).
    Agent(AgentId, crate::agent::TimerId),
}

/// A piece of work the core gave an agent: the driver carries it out (a modelled service time
/// in mock mode, a `Work` frame live) and hands the result to [`World::work_done`].
#[derive(Debug, Clone)]
pub(crate) struct Work {
    /// Who does it.
    pub(crate) agent: AgentId,
    /// For which task.
    pub(crate) task: TaskId,
    /// What kind of step.
    pub(crate) step: Step,
    /// The task's plan, and which hop of it this is.
    pub(crate) plan: Arc<[Hop]>,
    /// Index of this hop in `plan`.
    pub(crate) hop: usize,
}

/// How a trade reaches the exchange: decided by the world from the agent's role (mock), or
/// decided by the agent's own process (live).
#[derive(Debug, Clone)]
pub(crate) enum Booking {
    /// The role's signal decides now, on the desk's market.
    Decide,
    /// The agent's process decided this, at market time `decided_ms`.
    Settle {
        /// The agent's decision.
        decision: crate::market::Intent,
        /// The market time it judged.
        decided_ms: u64,
    },
}

/// How the world reaches the outside: what a driver implements. Every method acts now (at
/// [`Effects::now_us`]); none calls back into the world except through the `world` it is given.
pub(crate) trait Effects {
    /// The run's time, µs since it started (virtual in mock mode, monotonic wall time live).
    fn now_us(&self) -> u64;
    /// Hands `timer` back through [`World::on_timer`] at `at_us`.
    fn schedule(&mut self, at_us: u64, timer: Timer);
    /// Mock or live.
    fn mode(&self) -> crate::config::Mode;
    /// The CPU load `agent` reports, of one core (modelled in mock mode, measured live).
    fn cpu_load(&self, world: &World, agent: AgentId) -> f64;
    /// The memory `agent` reports, MB (modelled in mock mode, resident memory live).
    fn memory_mb(&self, world: &World, agent: AgentId) -> f64;
    /// Whether `agent`'s process runs (paused counts as running).
    fn is_alive(&self, agent: AgentId) -> bool;
    /// Kills `agent`'s process on purpose (a crash fault, the memory limit).
    fn kill(&mut self, agent: AgentId);
    /// Pauses `agent`'s process (a hang).
    fn pause(&mut self, world: &mut World, agent: AgentId);
    /// Resumes `agent`'s paused process (a hang healed).
    fn resume(&mut self, world: &mut World, agent: AgentId);
    /// Starts a new process for `agent`, which had one before (a crash's restart).
    fn restart(&mut self, world: &mut World, agent: AgentId);
    /// Starts the first process of `agent`, which just joined the core.
    fn spawn(&mut self, world: &mut World, agent: AgentId);
    /// Stops `agent`'s process quietly: it drained and left the swarm.
    fn retire(&mut self, agent: AgentId);
    /// An agent-side fault (`cpu_spike`, `memory_leak`, `error_rate`) starts (`on`) or heals
    /// on `agent`: a modelled effect in mock mode, a real one live.
    fn agent_fault(&mut self, world: &mut World, agent: AgentId, fault: &Applied, on: bool);
    /// The desk's market changed (a regime, a shock, its end): agents that keep their own
    /// copy of the market must hear of it.
    fn market(&mut self, event: MarketEvent);
    /// A message's base latency over its link (`between_agents`, or client ↔ agent), drawn
    /// from `rng`: the network model. 0 where the network is real.
    fn link_us(&mut self, model: &Model, rng: &mut SimRng, between_agents: bool) -> u64;
    /// Whether the switch refuses a message between agents `a` and `b` (the live switch
    /// refuses messages off the topology's edges). The default: it never does.
    fn refuses(&mut self, _world: &mut World, _a: AgentId, _b: AgentId) -> bool {
        false
    }
    /// Sends `envelope` to its receiver, to arrive `after_us` from now.
    fn send(&mut self, world: &mut World, envelope: Envelope, after_us: u64);
    /// Carries out `work`; its result goes to [`World::work_done`].
    fn execute(&mut self, world: &mut World, work: Work);
    /// Asks `agent` for its vote in `round` on a trade in `symbol`.
    fn cast_vote(&mut self, world: &mut World, agent: AgentId, round: RoundId, symbol: String);
    /// The core is about to credit a failover of `task`'s first `attempts` attempts.
    fn failing_over(&mut self, _world: &mut World, _task: TaskId, _attempts: usize) {}
    /// `task` ended (waiters may wake).
    fn ended(&mut self, _task: TaskId) {}
    /// `round` was decided (waiters may wake).
    fn decided(&mut self, _round: RoundId) {}
}
