//! The mock-mode driver: a discrete-event simulation in virtual time.
//!
//! One event queue ordered by `(time, sequence)`, one seeded RNG split per component, no wall
//! clock and no threads: the same seed gives the same events, in the same order, on any
//! machine. The driver keeps the event queue and the network and process models (link
//! latencies, service and start-up times, memory, alive and hung processes); everything a run
//! does with its events is the [`World`](crate::world)'s, shared with the live driver.
//!
//! Heartbeats cost one timer event per agent per
//! [`HEARTBEAT_INTERVAL_US`], plus one message per peer
//! (two in a mesh or ring). A dead agent's timer stops; a hung agent's timer keeps running
//! but sends nothing, and heartbeats that reach a hung agent are dropped (it would find them
//! stale when it resumes). The core is never told that an agent crashed, hung or restarted:
//! it notices from the heartbeats (a restarted process's heartbeats carry a new incarnation).
//!
//! The built-in trade flow sends one trade per arrival, symbols SPY, QQQ, AAPL, TSLA in turn.
//! Under `strategy = "specialized"` each trade requires the capability `trade_execution`;
//! under `strategy = "consensus"` each trade is first put to a vote
//! ([`Proposal::trade`], default threshold) and sent only if the vote is reached.
//!
//! Faults in mock mode are modelled effects on agents, links and the market:
//!
//! | fault | effect in mock mode |
//! |---|---|
//! | `cpu_spike(load)` | target's service time × `1 / (1 − load)` (at most × 10); reported CPU = load |
//! | `memory_leak(rate)` | target's memory grows at `rate` MB/s from 128 MB; at 1024 MB it is killed (crash) |
//! | `latency(delay, jitter)` | every link gets `delay + U(0, jitter)` more one-way latency |
//! | `packet_loss(rate)` | every message is dropped with probability `rate` |
//! | `network_issue` | latency and packet loss together |
//! | `partition(halves \| isolate = T)` | messages between the two sides are dropped |
//! | `crash(T)` | target is dead: drops messages, loses work in progress; `restart = D`, or the end of `for D`, brings it back empty |
//! | `hang(T)` | target is paused: messages and work wait until the fault heals, then resume |
//! | `error_rate(rate)` | target answers each task (or its pipeline stage of a task) with an error with probability `rate` |
//! | `volatility(level)` | market shock: the price model's volatility follows `level` |

#[cfg(test)]
mod coordination_tests;
#[cfg(test)]
pub(crate) mod testing;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use swarm_test_spec::{FaultKind, FaultSpec, Role, Spec};

use crate::config::{InjectedBug, Mode};
use crate::core::{
    AgentRecord, Core, Endpoint, Envelope, Proposal, RoundId, Step, Task, TaskId, WorkResult,
    HEARTBEAT_INTERVAL_US,
};
use crate::error::{InjectError, ProposalError, RunError, SetupError};
use crate::market::TradingDesk;
use crate::rng::SimRng;
use crate::topology::AgentId;
use crate::wire::MarketEvent;
use crate::world::{hangs, Booking, Effects, Timer, Work, World, MS};

pub use crate::world::{
    Applied, FaultOutcome, Model, Trace, BASE_MEMORY_MB, MAX_SLOWDOWN, MEMORY_LIMIT_MB,
    READY_QUORUM, SYMBOLS, TRACE_TAIL,
};

#[derive(Debug, Clone)]
enum Event {
    Ready(AgentId),
    Deliver(Envelope),
    /// An agent finished `work`, in its process incarnation `epoch`.
    WorkDone {
        work: Work,
        epoch: u32,
    },
    /// A timer of the world.
    World(Timer),
    OutOfMemory(AgentId),
    /// An agent's heartbeat timer, for the process incarnation `epoch`.
    Tick(AgentId, u32),
    /// A voter decides its vote.
    Vote {
        agent: AgentId,
        round: RoundId,
        symbol: String,
        epoch: u32,
    },
}

/// A simulated swarm in virtual time. See the module docs.
#[derive(Debug)]
pub struct Sim {
    world: World,
    io: Io,
}

/// The simulator's side of a run: the event queue and the process model. It implements the
/// world's [`Effects`].
#[derive(Debug)]
struct Io {
    now_us: u64,
    seq: u64,
    /// Events due, by `(time, sequence)`: a heap of small keys, since only the earliest is
    /// ever taken; the events themselves wait in `slots`, reused, so queueing one allocates
    /// nothing once the run is warm.
    queue: BinaryHeap<Reverse<(u64, u64, u32)>>,
    /// Events due after a fixed delay (none, or one heartbeat interval: every heartbeat
    /// timer): each lane is in `(time, sequence)` order as it is filled, since the clock
    /// never goes back, so they bypass the heap, which then holds only what is in flight.
    lanes: [VecDeque<(u64, u64, u32)>; 2],
    slots: Vec<Option<Event>>,
    free: Vec<u32>,
    deadline_us: u64,
    /// Per agent: alive, and a restart epoch that voids work from before a crash.
    alive: Vec<bool>,
    epoch: Vec<u32>,
    memory_mb: Vec<f64>,
    /// Events queued that are not background (see `is_background`).
    pending_work: u64,
    /// Votes cast: round, voter, when.
    votes_cast: Vec<(RoundId, AgentId, u64)>,
    /// The run's seed and the events processed so far, for a failed run's error.
    seed: u64,
    steps: u64,
}

impl Io {
    fn schedule(&mut self, after_us: u64, event: Event) {
        self.schedule_at(self.now_us + after_us, event);
    }

    fn schedule_at(&mut self, at_us: u64, event: Event) {
        if !is_background(&event) {
            self.pending_work += 1;
        }
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        // Sequences are unique, so the slot never decides the order: it is the same on
        // every run.
        let key = (at_us, self.seq, slot);
        match at_us.checked_sub(self.now_us) {
            Some(0) => self.lanes[0].push_back(key),
            Some(HEARTBEAT_INTERVAL_US) => self.lanes[1].push_back(key),
            _ => self.queue.push(Reverse(key)),
        }
    }

    /// The earliest key: the heap's top or a lane's front. `None` when nothing is queued;
    /// `Some(None)` names the heap, `Some(Some(i))` lane `i`.
    fn earliest(&self) -> Option<((u64, u64, u32), Option<usize>)> {
        let mut best = self.queue.peek().map(|&Reverse(key)| (key, None));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(&key) = lane.front() {
                if best.is_none_or(|(b, _)| key < b) {
                    best = Some((key, Some(i)));
                }
            }
        }
        best
    }

    /// When the next event is due, if any.
    fn next_at(&self) -> Option<u64> {
        self.earliest().map(|((at, _, _), _)| at)
    }

    /// Takes the earliest event out of the queue.
    fn pop(&mut self) -> Option<Event> {
        let (_, from) = self.earliest()?;
        let (_, _, slot) = match from {
            None => self.queue.pop().map(|Reverse(key)| key),
            Some(i) => self.lanes[i].pop_front(),
        }?;
        self.free.push(slot);
        self.slots[slot as usize].take()
    }
}

impl Effects for Io {
    fn now_us(&self) -> u64 {
        self.now_us
    }

    fn mode(&self) -> Mode {
        Mode::Mock
    }

    /// A spike's load, else the agent's share of busy time.
    fn cpu_load(&self, world: &World, agent: AgentId) -> f64 {
        world.active.cpu_load(agent).unwrap_or_else(|| {
            let busy = world.core.agents()[agent].in_flight.min(4) as f64;
            busy / 4.0
        })
    }

    /// What it had plus what active leaks added since.
    fn memory_mb(&self, world: &World, agent: AgentId) -> f64 {
        let now = self.now_us;
        let leaking: f64 = world
            .active
            .iter()
            .filter(|f| f.targets.contains(&agent))
            .filter_map(|f| match f.spec.kind {
                FaultKind::MemoryLeak { rate_mb_per_s, .. } => {
                    Some(rate_mb_per_s * (now - f.at_us) as f64 / 1e6)
                }
                _ => None,
            })
            .sum();
        (self.memory_mb[agent] + leaking).min(MEMORY_LIMIT_MB)
    }

    fn schedule(&mut self, at_us: u64, timer: Timer) {
        self.schedule_at(at_us, Event::World(timer));
    }

    fn is_alive(&self, agent: AgentId) -> bool {
        self.alive[agent]
    }

    fn kill(&mut self, agent: AgentId) {
        self.alive[agent] = false;
    }

    // A hang is modelled where work and messages meet the agent (`World::active`).
    fn pause(&mut self, _world: &mut World, _agent: AgentId) {}

    fn resume(&mut self, _world: &mut World, _agent: AgentId) {}

    fn restart(&mut self, world: &mut World, agent: AgentId) {
        self.alive[agent] = true;
        self.epoch[agent] += 1;
        self.memory_mb[agent] = BASE_MEMORY_MB;
        world
            .trace
            .record(self.now_us, format_args!("agent {agent} restarted"));
        // The new process heartbeats with a new incarnation: that is how the swarm learns it
        // restarted.
        self.schedule(0, Event::Tick(agent, self.epoch[agent]));
    }

    fn spawn(&mut self, world: &mut World, agent: AgentId) {
        self.alive.push(true);
        self.epoch.push(0);
        self.memory_mb.push(BASE_MEMORY_MB);
        let startup = world.model.startup_us(&mut world.work_rng);
        self.schedule(startup, Event::Ready(agent));
    }

    fn retire(&mut self, _agent: AgentId) {}

    fn agent_fault(&mut self, _world: &mut World, agent: AgentId, fault: &Applied, on: bool) {
        // A CPU spike and an error rate act through `World::active`; a leak grows memory.
        let FaultKind::MemoryLeak { rate_mb_per_s, .. } = fault.spec.kind else {
            return;
        };
        if on {
            let secs = (MEMORY_LIMIT_MB - BASE_MEMORY_MB) / rate_mb_per_s.max(f64::MIN_POSITIVE);
            let until = fault
                .spec
                .for_ms
                .map_or(f64::INFINITY, |d| d as f64 / 1_000.0);
            if secs <= until {
                self.schedule((secs * 1e6) as u64, Event::OutOfMemory(agent));
            }
        } else {
            let grown = rate_mb_per_s * (self.now_us - fault.at_us) as f64 / 1e6;
            self.memory_mb[agent] = (self.memory_mb[agent] + grown).min(MEMORY_LIMIT_MB);
        }
    }

    fn market(&mut self, _event: MarketEvent) {}

    fn link_us(&mut self, model: &Model, rng: &mut SimRng, between_agents: bool) -> u64 {
        match between_agents {
            true => model.link_us(rng),
            false => model.client_link_us(rng),
        }
    }

    fn send(&mut self, _world: &mut World, envelope: Envelope, after_us: u64) {
        self.schedule(after_us, Event::Deliver(envelope));
    }

    fn execute(&mut self, world: &mut World, work: Work) {
        let agent = work.agent;
        let role = world.core.agents()[agent].role;
        let base = world.model.service_us(role, work.step, &mut world.work_rng);
        let slowdown = world.active.slowdown(agent);
        if slowdown > 1.0 {
            world.blame_slowed(work.task, agent);
        }
        let took = (base as f64 * slowdown) as u64;
        let epoch = self.epoch[agent];
        self.schedule(took, Event::WorkDone { work, epoch });
    }

    fn cast_vote(&mut self, world: &mut World, agent: AgentId, round: RoundId, symbol: String) {
        let role = world.core.agents()[agent].role;
        let think = world
            .model
            .service_us(role, Step::Forward, &mut world.work_rng);
        let epoch = self.epoch[agent];
        self.schedule(
            think,
            Event::Vote {
                agent,
                round,
                symbol,
                epoch,
            },
        );
    }
}

impl Sim {
    /// A swarm for `spec`, seeded with `seed`, agents not started yet.
    pub fn new(spec: &Spec, seed: u64) -> Result<Sim, RunError> {
        let world = World::new(spec, seed)?;
        let n = spec.agents;
        Ok(Sim {
            world,
            io: Io {
                now_us: 0,
                seq: 0,
                queue: BinaryHeap::new(),
                lanes: Default::default(),
                slots: Vec::new(),
                free: Vec::new(),
                deadline_us: spec.timeout_ms.saturating_mul(MS),
                alive: vec![true; n],
                epoch: vec![0; n],
                memory_mb: vec![BASE_MEMORY_MB; n],
                pending_work: 0,
                votes_cast: Vec::new(),
                seed,
                steps: 0,
            },
        })
    }

    /// Virtual time now, in microseconds since the run started.
    pub fn now_us(&self) -> u64 {
        self.io.now_us
    }

    /// The run's world (the harness reads its typed faults).
    pub(crate) fn world(&self) -> &World {
        &self.world
    }

    /// The coordination core.
    pub fn core(&self) -> &Core {
        &self.world.core
    }

    /// The trading desk (market, portfolio, execution).
    pub fn desk(&self) -> &TradingDesk {
        &self.world.desk
    }

    /// From now on, prices follow `regime` (no effect on a replayed bar file).
    pub fn set_regime(&mut self, regime: swarm_test_spec::Regime) {
        self.world.set_regime(&mut self.io, regime);
    }

    /// The trades report, positions marked to market now.
    pub fn trades_report(&mut self) -> crate::market::TradesReport {
        self.world.trades_report(self.io.now_us)
    }

    /// The event trace.
    pub fn trace(&self) -> &Trace {
        &self.world.trace
    }

    /// The timing model.
    pub fn model(&self) -> &Model {
        &self.world.model
    }

    /// Messages dropped by the network (loss, partitions, dead receivers).
    pub fn dropped(&self) -> u64 {
        self.world.dropped
    }

    /// Messages delivered (client and agent links), the simulator's unit of work.
    pub fn delivered(&self) -> u64 {
        self.world.delivered
    }

    /// Heartbeats delivered (part of [`Sim::delivered`]).
    pub fn heartbeats_delivered(&self) -> u64 {
        self.world.heartbeats_delivered
    }

    /// When `agent`'s process went silent (crashed or hung), µs, each time it did.
    pub fn went_silent(&self, agent: AgentId) -> &[u64] {
        &self.world.went_silent[agent]
    }

    /// Votes cast so far: round, voter, when (µs). A voter casts only while its process runs.
    pub fn votes_cast(&self) -> &[(RoundId, AgentId, u64)] {
        &self.io.votes_cast
    }

    /// When setup finished (agents ready), in µs.
    pub fn ready_at_us(&self) -> Option<u64> {
        self.world.ready_at_us
    }

    /// What each fault did so far, in the order they were given.
    pub fn fault_outcomes(&self) -> &[FaultOutcome] {
        &self.world.outcomes
    }

    /// The faults of this run.
    pub fn fault_specs(&self) -> &[FaultSpec] {
        &self.world.faults
    }

    /// The memory an agent reports, MB: what it had plus what active leaks added since.
    pub fn memory_mb(&self, agent: AgentId) -> f64 {
        self.io.memory_mb(&self.world, agent)
    }

    /// The CPU load an agent reports, 0..=1: a spike's load, else its share of busy time.
    pub fn cpu_load(&self, agent: AgentId) -> f64 {
        self.io.cpu_load(&self.world, agent)
    }

    /// Starts the agents and runs until at least [`READY_QUORUM`] of them are ready, then
    /// schedules the faults relative to that moment.
    pub fn setup(&mut self) -> Result<(), RunError> {
        let n = self.io.alive.len();
        for agent in 0..n {
            let at = self.world.model.startup_us(&mut self.world.work_rng);
            self.io.schedule(at, Event::Ready(agent));
        }
        let needed = (n as f64 * READY_QUORUM).ceil() as usize;
        while self.world.ready_count() < n {
            if !self.step()? {
                break;
            }
        }
        let ready = self.world.ready_count();
        if ready < needed {
            return Err(SetupError::NotReady {
                ready,
                agents: n,
                needed,
                percent: READY_QUORUM * 100.0,
            }
            .into());
        }
        self.world.ready(&mut self.io);
        Ok(())
    }

    /// Hands a task to the swarm now.
    pub fn dispatch(&mut self, task: Task) -> TaskId {
        self.world.dispatch(&mut self.io, task)
    }

    /// Starts the built-in trade flow: `n` trades arriving with exponential gaps.
    pub fn start_trades(&mut self, n: u64) {
        self.world.start_trades(&mut self.io, n);
    }

    /// The tasks the built-in flow dispatched so far.
    pub fn flow_tasks(&self) -> &[TaskId] {
        &self.world.flow.tasks
    }

    /// Runs until every dispatched task has ended, every vote is decided and the trade flow
    /// is done.
    pub fn run_until_idle(&mut self) -> Result<(), RunError> {
        while !self.world.is_idle() {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Runs until `task` has ended.
    pub fn run_until_ended(&mut self, task: TaskId) -> Result<(), RunError> {
        while !self.world.core.ledger().has_ended(task) {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Runs until every dispatched task has ended (the built-in trade flow aside).
    pub fn run_until_settled(&mut self) -> Result<(), RunError> {
        while self.world.core.ledger().open() > 0 {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Runs until `round` is decided.
    pub fn run_until_decided(&mut self, round: RoundId) -> Result<(), RunError> {
        while self.world.core.decision(round).is_none() {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Runs every event up to virtual time `t_us`, then sets the clock to it.
    pub fn run_until(&mut self, t_us: u64) -> Result<(), RunError> {
        while self.io.next_at().is_some_and(|t| t <= t_us) {
            self.step_any()?;
        }
        self.check_deadline(t_us)?;
        self.io.now_us = self.io.now_us.max(t_us);
        Ok(())
    }

    /// Puts `proposal` to a vote now; the round ends with a decision
    /// ([`Core::decision`]). Errors: an invalid proposal.
    pub fn propose(&mut self, proposal: Proposal) -> Result<RoundId, ProposalError> {
        self.world.propose(&mut self.io, proposal)
    }

    /// Adds a fault at run time, `spec.at_ms` from now (at once for 0), lasting `spec.for_ms`,
    /// through the same effects as the faults of the attribute. Returns its index in
    /// [`Sim::fault_specs`] and [`Sim::fault_outcomes`]; an error if its target cannot exist
    /// in this swarm (e.g. `hub` outside a star).
    pub fn inject(&mut self, spec: FaultSpec) -> Result<usize, InjectError> {
        self.world.inject(&mut self.io, spec)
    }

    /// Heals fault `index` now (see [`Sim::inject`]); one that has not started yet never will.
    /// Healing a fault that already healed does nothing.
    pub fn heal(&mut self, index: usize) {
        self.world.heal(&mut self.io, index);
    }

    /// Plants a deliberate bug, so tests can prove the harness catches it. Not for users.
    #[doc(hidden)]
    pub fn inject_bug(&mut self, bug: InjectedBug) {
        self.world.inject_bug(bug);
    }

    /// A new agent with `role` joins now; it becomes ready after a modelled start-up time.
    pub fn add_agent(&mut self, role: Role) -> AgentId {
        self.world.add_agent(&mut self.io, role)
    }

    /// `agent` takes no new work; see [`Sim::retire_drained`].
    pub fn drain_agent(&mut self, agent: AgentId) {
        self.world.drain_agent(self.io.now_us, agent);
    }

    /// Retires every draining agent that holds nothing any more; returns them.
    pub fn retire_drained(&mut self) -> Vec<AgentId> {
        self.world.retire_drained(&mut self.io)
    }

    /// Whether some agent is still draining.
    pub fn draining(&self) -> bool {
        self.world.draining()
    }

    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    pub fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId {
        self.world.dispatch_to(&mut self.io, task, pool)
    }

    /// The market volatility the autoscaler sees, 0..=1: the highest `volatility(level)`
    /// fault in force, 0 without one.
    pub fn market_volatility(&self) -> f64 {
        self.world.market_volatility()
    }

    /// Mean memory utilisation (memory / limit) of `agents`, 0 for none.
    pub fn memory_utilisation(&self, agents: &[AgentId]) -> f64 {
        self.world.memory_utilisation(&self.io, agents)
    }

    /// Starts `fault` now on exactly `targets` (its own target is ignored), for its duration
    /// if it has one. Agent faults only (`error_rate`, `cpu_spike`, `hang`, `crash`,
    /// `memory_leak`); it is reported with the run's other faults.
    pub fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]) {
        self.world.apply_fault_to(&mut self.io, fault, targets);
    }

    /// Agents, for reports.
    pub fn agents(&self) -> &[AgentRecord] {
        self.world.core.agents()
    }

    /// Whether an agent's process is alive (mock: not crashed).
    pub fn is_alive(&self, agent: AgentId) -> bool {
        self.io.alive[agent]
    }

    fn check_deadline(&self, t_us: u64) -> Result<(), RunError> {
        if t_us > self.io.deadline_us {
            let audit = self.world.core.ledger().audit();
            return Err(RunError::Timeout {
                timeout_ms: self.io.deadline_us / MS,
                what: format!(
                    "{} of {} tasks still in flight, {} trades not yet sent",
                    audit.in_flight, audit.dispatched, self.world.flow.remaining
                ),
                seed: self.io.seed,
                now_us: t_us,
                steps: self.io.steps,
            });
        }
        Ok(())
    }

    /// Processes the next event, unless only background events (heartbeat timers and
    /// heartbeats) are left: then the swarm is idle, as if the queue were empty, and
    /// `Ok(false)` says so. Heartbeats go on forever; they alone never keep a run going.
    fn step(&mut self) -> Result<bool, RunError> {
        if self.io.pending_work == 0 {
            return Ok(false);
        }
        self.step_any()
    }

    /// Processes the next event, background or not. `Ok(false)` when there is none.
    fn step_any(&mut self) -> Result<bool, RunError> {
        let Some(at) = self.io.next_at() else {
            return Ok(false);
        };
        self.check_deadline(at)?;
        let Some(event) = self.io.pop() else {
            return Ok(false);
        };
        if !is_background(&event) {
            self.io.pending_work -= 1;
        }
        self.io.now_us = at;
        self.io.steps += 1;
        self.handle(event);
        self.world.drain(&mut self.io);
        Ok(true)
    }

    fn handle(&mut self, event: Event) {
        let Sim { world, io } = self;
        let now = io.now_us;
        match event {
            Event::Ready(agent) => {
                if io.alive[agent] {
                    world.core.agent_ready(now, agent);
                    world.trace.record(now, format_args!("agent {agent} ready"));
                    io.schedule(0, Event::Tick(agent, io.epoch[agent]));
                }
            }
            Event::Tick(agent, epoch) => {
                if !io.alive[agent] || io.epoch[agent] != epoch {
                    return; // A dead process's timer dies with it.
                }
                if !world.active.is_hung(agent) {
                    let cpu = io.cpu_load(world, agent);
                    world.core.handle_tick(now, agent, epoch, cpu);
                }
                io.schedule(HEARTBEAT_INTERVAL_US, Event::Tick(agent, epoch));
            }
            Event::Vote {
                agent,
                round,
                symbol,
                epoch,
            } => {
                if !io.alive[agent] || io.epoch[agent] != epoch {
                    return; // A crashed voter never answers.
                }
                if world.active.is_hung(agent) {
                    let event = Event::Vote {
                        agent,
                        round,
                        symbol,
                        epoch,
                    };
                    return self.defer_until_resumed(agent, event);
                }
                let vote = world.vote_of(now, agent, &symbol);
                io.votes_cast.push((round, agent, now));
                world.core.handle_vote_cast(now, agent, round, vote);
            }
            Event::World(timer) => world.on_timer(io, timer),
            Event::Deliver(envelope) => self.deliver(envelope),
            Event::WorkDone { work, epoch } => {
                let (agent, task) = (work.agent, work.task);
                if !io.alive[agent] || io.epoch[agent] != epoch {
                    world.blame_killed(Some(task), agent);
                    return; // Work in progress dies with the agent.
                }
                if world.active.is_hung(agent) {
                    world.blame_held(Some(task), agent);
                    return self.defer_until_resumed(agent, Event::WorkDone { work, epoch });
                }
                let result = self.finish_work(&work);
                self.world.work_done(now, work, result);
            }
            Event::OutOfMemory(agent) => {
                if io.alive[agent] {
                    io.memory_mb[agent] = MEMORY_LIMIT_MB;
                    world.out_of_memory(io, agent);
                }
            }
        }
    }

    fn deliver(&mut self, envelope: Envelope) {
        let now = self.io.now_us;
        let heartbeat = envelope.msg.is_heartbeat();
        if let Endpoint::Agent(agent) = envelope.to {
            let task = crate::world::task_of(&envelope.msg);
            if !self.io.alive[agent] {
                self.world.dropped += 1;
                if !heartbeat {
                    self.world
                        .trace
                        .record(now, format_args!("message to dead agent {agent} dropped"));
                }
                self.world.blame_killed(task, agent);
                return;
            }
            if self.world.active.is_hung(agent) {
                if heartbeat {
                    self.world.dropped += 1; // Stale by the time it resumes.
                    return;
                }
                self.world.blame_held(task, agent);
                return self.defer_until_resumed(agent, Event::Deliver(envelope));
            }
        }
        self.world.delivered(now, envelope);
    }

    /// Holds an event for a hung agent until its hang heals (checked again then).
    fn defer_until_resumed(&mut self, agent: AgentId, event: Event) {
        let resume = self
            .world
            .active
            .iter()
            .filter(|f| f.targets.contains(&agent) && hangs(&f.spec.kind))
            .filter_map(|f| f.spec.for_ms.map(|d| f.at_us + d * MS))
            .max();
        match resume {
            Some(at) => self.io.schedule_at(at.max(self.io.now_us + 1), event),
            None => self.world.dropped += 1, // Hung for good: nothing it holds will ever move.
        }
    }

    fn finish_work(&mut self, work: &Work) -> WorkResult {
        let now = self.io.now_us;
        let (agent, task) = (work.agent, work.task);
        let step = work.plan[work.hop].step;
        if step == Step::Forward {
            return WorkResult::Done;
        }
        if self
            .world
            .work_rng
            .chance(self.world.active.error_rate(agent))
        {
            self.world.answered_with_error(now, agent, task);
            return WorkResult::Error(format!("agent {agent} answered with an injected error"));
        }
        if step != Step::Execute {
            return WorkResult::Done; // A pipeline stage's work has no market effect.
        }
        match self.world.executed(now, agent, task, Booking::Decide) {
            Ok(()) => WorkResult::Done,
            Err(message) => WorkResult::Error(message),
        }
    }
}

impl crate::driver::Driver for Sim {
    fn with<R>(&mut self, f: impl FnOnce(&mut World, &mut dyn Effects) -> R) -> R {
        f(&mut self.world, &mut self.io)
    }
    fn view<R>(&self, f: impl FnOnce(&World, &dyn Effects) -> R) -> R {
        f(&self.world, &self.io)
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
}

/// Heartbeat timers and heartbeats: they run in the background for ever, so they never count
/// as work that keeps a run going.
fn is_background(event: &Event) -> bool {
    match event {
        Event::Tick(..) => true,
        Event::Deliver(envelope) => envelope.msg.is_heartbeat(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::sim::testing::{run, spec};

    #[test]
    fn same_seed_same_events() {
        let s = spec(&[
            ("topology", "star"),
            ("agents", "5"),
            ("inject", "crash(1) @ 100ms"),
        ]);
        let (a, b) = (run(&s, 9), run(&s, 9));
        assert_eq!(a.trace().hash(), b.trace().hash());
        assert_eq!(a.trace().events(), b.trace().events());
        assert_ne!(a.trace().hash(), run(&s, 10).trace().hash());
    }

    #[test]
    fn round_robin_over_a_mesh_is_even() {
        let sim = run(&spec(&[("topology", "mesh"), ("agents", "5")]), 1);
        let executed: Vec<u64> = sim.agents().iter().map(|a| a.executed).collect();
        assert_eq!(executed, vec![4; 5]);
        assert!(sim.core().ledger().violations().is_empty());
    }

    #[test]
    fn a_crashed_spoke_is_routed_around() {
        let s = spec(&[
            ("topology", "star"),
            ("agents", "5"),
            ("trades", "40"),
            ("inject", "crash(2) @ 200ms"),
        ]);
        let sim = run(&s, 3);
        let audit = sim.core().ledger().audit();
        assert!(
            sim.core().ledger().violations().is_empty(),
            "{:?}",
            sim.core().ledger().violations()
        );
        assert_eq!(audit.completed, 40);
        assert!(audit.rerouted > 0, "tasks on the dead spoke were rerouted");
        let outcome = &sim.fault_outcomes()[0];
        assert_eq!(outcome.targets, vec![2]);
        assert!(outcome.detected_us.is_some() && outcome.recovered_us.is_some());
    }

    #[test]
    fn a_dead_hub_is_replaced_by_the_lowest_spoke() {
        let s = spec(&[
            ("topology", "star"),
            ("agents", "4"),
            ("inject", "crash(hub)"),
        ]);
        let sim = run(&s, 3);
        let audit = sim.core().ledger().audit();
        assert_eq!(
            audit.completed,
            20,
            "{:?}",
            sim.core().ledger().violations()
        );
        assert_eq!(sim.core().root(), Some(1));
        assert!(sim.core().health_log().iter().any(|e| matches!(
            e,
            crate::core::HealthEvent::Promoted {
                failed: 0,
                successor: 1,
                ..
            }
        )));
        assert!(sim.core().ledger().violations().is_empty());
        assert!(sim.core().edge_violations().is_empty());
    }

    #[test]
    fn with_no_spoke_alive_tasks_fail_saying_no_hub_is_available() {
        let s = spec(&[
            ("topology", "star"),
            ("agents", "3"),
            ("inject", "crash(1)"),
            ("inject", "crash(2)"),
            ("inject", "crash(hub) @ 1s"),
        ]);
        let mut sim = Sim::new(&s, 3).unwrap();
        sim.setup().unwrap();
        sim.run_until(sim.now_us() + 2_000_000).unwrap();
        // The hub saw its spokes die; nobody is left to see the hub die but the client.
        let id = sim.dispatch(Task::trade("SPY"));
        sim.run_until_ended(id).unwrap();
        let Some(crate::core::Ending::Failed { reason }) = sim.core().ledger().ending(id) else {
            panic!("the task should fail");
        };
        assert!(
            reason.starts_with("no hub is available: hub 0 failed at"),
            "{reason}"
        );
        assert!(reason.contains("no spoke is alive"), "{reason}");
    }

    #[test]
    fn hangs_resume_and_duplicates_are_suppressed() {
        let s = spec(&[
            ("topology", "mesh"),
            ("agents", "3"),
            ("trades", "30"),
            ("inject", "hang(0) @ 100ms for 3s"),
        ]);
        let sim = run(&s, 5);
        let audit = sim.core().ledger().audit();
        assert_eq!(audit.completed, 30);
        assert_eq!(audit.duplicated, 0);
        assert!(sim.core().ledger().violations().is_empty());
    }

    #[test]
    fn every_fault_keeps_exactly_once() {
        let faults = [
            "cpu_spike(0.9, target = all)",
            "memory_leak(2000)",
            "latency(50ms, jitter = 10ms) @ 100ms for 1s",
            "packet_loss(0.2)",
            "network_issue",
            "partition(halves) @ 100ms for 2s",
            "crash(random, restart = 1s) @ 50ms",
            "hang(random) @ 100ms for 2s",
            "error_rate(0.3, target = all)",
            "volatility(0.9) @ 100ms for 1s",
        ];
        for topology in ["mesh", "hierarchical", "ring", "star"] {
            for fault in faults {
                for seed in 0..3 {
                    let s = spec(&[("topology", topology), ("agents", "6"), ("inject", fault)]);
                    let sim = run(&s, seed);
                    let v = sim.core().ledger().violations();
                    assert!(v.is_empty(), "{topology} with {fault}, seed {seed}: {v:?}");
                    assert!(sim.core().edge_violations().is_empty());
                }
            }
        }
    }
}
