//! The mock-mode driver: a discrete-event simulation in virtual time.
//!
//! One event queue ordered by `(time, sequence)`, one seeded RNG split per component, no wall
//! clock and no threads: the same seed gives the same events, in the same order, on any
//! machine. The driver carries out the [`Core`]'s outputs with modelled latencies and service
//! times, applies faults, and runs the trade logic at the executor.
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

#[cfg(test)]
mod coordination_tests;
mod faults;
mod flow;
mod inject;
mod membership;
mod model;
mod recovery;
#[cfg(test)]
mod testing;
mod trace;
mod voting;

use std::collections::BTreeMap;
use std::sync::Arc;

use swarm_test_spec::{FaultKind, FaultSpec, Spec};

use crate::config::InjectedBug;
use crate::core::{
    roles_for, Agent, Core, Endpoint, Envelope, HealthEvent, Hop, Message, Output, Proposal,
    RoundId, Step, Task, TaskId, WorkResult, HEARTBEAT_INTERVAL_US,
};
use crate::market::{Market, RegimeSegment, TradingDesk, BAR_MS, WARMUP_BARS};
use crate::rng::SimRng;
use crate::topology::{AgentId, Topology};

pub(crate) use faults::{
    check, delays, errs, hangs, kills, loses, slows, targets_when_due, Active,
};
pub use faults::{Applied, BASE_MEMORY_MB, MAX_SLOWDOWN, MEMORY_LIMIT_MB};
pub use flow::SYMBOLS;
pub(crate) use flow::{Flow, NextTrade};
pub use model::Model;
pub(crate) use recovery::{Before, Recovery};
pub use trace::{Trace, TRACE_TAIL};

use model::MS;

/// The market clock at simulated time `now_us`: runs start [`WARMUP_BARS`] bars into the
/// price path, so the agents' signals have history from the first trade.
fn market_ms(now_us: u64) -> u64 {
    WARMUP_BARS * BAR_MS + now_us / MS
}

/// Share of agents that must become ready during setup. The default value is 0.8.
pub const READY_QUORUM: f64 = 0.8;

#[derive(Debug, Clone)]
enum Event {
    Ready(AgentId),
    Deliver(Envelope),
    WorkDone {
        agent: AgentId,
        task: TaskId,
        plan: Arc<[Hop]>,
        hop: usize,
        epoch: u32,
    },
    Timeout(TaskId),
    FaultStart(usize),
    FaultEnd(usize),
    Restart(AgentId),
    OutOfMemory(AgentId),
    Arrival,
    /// An agent's heartbeat timer, for the process incarnation `epoch`.
    Tick(AgentId, u32),
    /// A voter decides its vote.
    Vote {
        agent: AgentId,
        round: RoundId,
        symbol: String,
        epoch: u32,
    },
    RoundTimeout(RoundId),
}

/// What a fault did, measured. How a reroute or a failure is owed to a fault is described in
/// the `recovery` module: a fault is credited when it acted on the attempt the swarm gave up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultOutcome {
    /// The agents it hit.
    pub targets: Vec<AgentId>,
    /// When it started, µs.
    pub at_us: Option<u64>,
    /// When it healed, µs.
    pub healed_us: Option<u64>,
    /// The first time the swarm noticed it, µs: a client timeout or an error answer, on an
    /// attempt this fault acted on, that made the coordination layer reroute or fail the task;
    /// or the failure detector declaring one of its targets failed, whichever came first.
    pub detected_us: Option<u64>,
    /// The first time a task this fault had caused to be rerouted completed, µs.
    pub recovered_us: Option<u64>,
    /// Tasks with at least one attempt given up (rerouted or failed) because of it.
    pub tasks_affected: u64,
    /// Tasks rerouted to another agent because of it.
    pub tasks_rerouted: u64,
    /// Tasks that ended failed because of it.
    pub tasks_failed: u64,
}

/// A simulated swarm in virtual time. See the module docs.
#[derive(Debug)]
pub struct Sim {
    now_us: u64,
    seq: u64,
    queue: BTreeMap<(u64, u64), Event>,
    core: Core,
    model: Model,
    net_rng: SimRng,
    /// Heartbeats' latencies and losses: their own stream, so heartbeats do not shift the
    /// draws of task messages.
    heartbeat_rng: SimRng,
    work_rng: SimRng,
    fault_rng: SimRng,
    desk: TradingDesk,
    faults: Vec<FaultSpec>,
    outcomes: Vec<FaultOutcome>,
    active: faults::Active,
    /// Per agent: alive, and a restart epoch that voids work from before a crash.
    alive: Vec<bool>,
    epoch: Vec<u32>,
    memory_mb: Vec<f64>,
    trace: Trace,
    deadline_us: u64,
    flow: Flow,
    ready_at_us: Option<u64>,
    dropped: u64,
    delivered: u64,
    /// The market regime before each volatility fault, restored when it heals.
    calm_before: BTreeMap<usize, RegimeSegment>,
    heartbeats_delivered: u64,
    /// Events queued that are not background (see `is_background`).
    pending_work: u64,
    /// Per agent: when its process went silent (crashed or hung), in order.
    went_silent: Vec<Vec<u64>>,
    /// Votes cast: round, voter, when.
    votes_cast: Vec<(RoundId, AgentId, u64)>,
    /// Which fault each reroute and failure is owed to.
    recovery: recovery::Recovery,
    /// A deliberate bug, for testing the harness (`SWARM_TEST_FAULT_INJECT_BUG`).
    bug: Option<InjectedBug>,
    /// The rerouted task the `drop_rerouted` bug dropped.
    bug_dropped: Option<TaskId>,
}

/// Why a simulation could not go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// Setup failed.
    #[error("setup failed: {0}")]
    Setup(String),
    /// Virtual time reached the test's timeout.
    #[error("timed out after {timeout_ms} ms of virtual time: {what}")]
    Timeout {
        /// The limit.
        timeout_ms: u64,
        /// What was still pending.
        what: String,
    },
}

impl Sim {
    /// A swarm for `spec`, seeded with `seed`, agents not started yet.
    pub fn new(spec: &Spec, seed: u64) -> Result<Sim, SimError> {
        let mut root = SimRng::new(seed);
        let topology = Topology::new(spec.topology, spec.agents);
        let roles = roles_for(spec.topology, spec.agents, spec.roles.as_ref());
        let core = Core::new(topology, &roles, spec.strategy).map_err(SimError::Setup)?;
        let market = Market::new(&spec.market, root.split("market"))
            .map_err(|e| SimError::Setup(e.to_string()))?;
        let desk = TradingDesk::new(market);
        let n = spec.agents;
        Ok(Sim {
            now_us: 0,
            seq: 0,
            queue: BTreeMap::new(),
            core,
            model: Model::default(),
            net_rng: root.split("net"),
            work_rng: root.split("work"),
            fault_rng: root.split("faults"),
            // Split last: the streams split before it keep their seeds.
            heartbeat_rng: root.split("heartbeats"),
            desk,
            outcomes: vec![FaultOutcome::default(); spec.inject.len()],
            faults: spec.inject.clone(),
            active: faults::Active::default(),
            alive: vec![true; n],
            epoch: vec![0; n],
            memory_mb: vec![BASE_MEMORY_MB; n],
            trace: Trace::default(),
            deadline_us: spec.timeout_ms.saturating_mul(MS),
            flow: Flow::default(),
            ready_at_us: None,
            dropped: 0,
            delivered: 0,
            calm_before: BTreeMap::new(),
            heartbeats_delivered: 0,
            pending_work: 0,
            went_silent: vec![Vec::new(); n],
            votes_cast: Vec::new(),
            recovery: recovery::Recovery::new(spec.inject.len()),
            bug: None,
            bug_dropped: None,
        })
    }

    /// Virtual time now, in microseconds since the run started.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// The coordination core.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The trading desk (market, portfolio, execution).
    pub fn desk(&self) -> &TradingDesk {
        &self.desk
    }

    /// From now on, prices follow `regime` (no effect on a replayed bar file).
    pub fn set_regime(&mut self, regime: swarm_test_spec::Regime) {
        self.desk.market.set_regime(market_ms(self.now_us), regime);
        self.trace
            .record(self.now_us, format_args!("market regime set to {regime}"));
    }

    /// The trades report, positions marked to market now.
    pub fn trades_report(&mut self) -> crate::market::TradesReport {
        self.desk.report(market_ms(self.now_us)).rounded()
    }

    /// The event trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The timing model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Messages dropped by the network (loss, partitions, dead receivers).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Messages delivered (client and agent links), the simulator's unit of work.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Heartbeats delivered (part of [`Sim::delivered`]).
    pub fn heartbeats_delivered(&self) -> u64 {
        self.heartbeats_delivered
    }

    /// When `agent`'s process went silent (crashed or hung), µs, each time it did.
    pub fn went_silent(&self, agent: AgentId) -> &[u64] {
        &self.went_silent[agent]
    }

    /// Votes cast so far: round, voter, when (µs). A voter casts only while its process runs.
    pub fn votes_cast(&self) -> &[(RoundId, AgentId, u64)] {
        &self.votes_cast
    }

    /// When setup finished (agents ready), in µs.
    pub fn ready_at_us(&self) -> Option<u64> {
        self.ready_at_us
    }

    /// What each fault did so far, in the order they were given.
    pub fn fault_outcomes(&self) -> &[FaultOutcome] {
        &self.outcomes
    }

    /// The faults of this run.
    pub fn fault_specs(&self) -> &[FaultSpec] {
        &self.faults
    }

    /// The memory an agent reports, MB: what it had plus what active leaks added since.
    pub fn memory_mb(&self, agent: AgentId) -> f64 {
        let leaking: f64 = self
            .active
            .iter()
            .filter(|f| f.targets.contains(&agent))
            .filter_map(|f| match f.spec.kind {
                FaultKind::MemoryLeak { rate_mb_per_s, .. } => {
                    Some(rate_mb_per_s * (self.now_us - f.at_us) as f64 / 1e6)
                }
                _ => None,
            })
            .sum();
        (self.memory_mb[agent] + leaking).min(MEMORY_LIMIT_MB)
    }

    /// The CPU load an agent reports, 0..=1: a spike's load, else its share of busy time.
    pub fn cpu_load(&self, agent: AgentId) -> f64 {
        self.active.cpu_load(agent).unwrap_or_else(|| {
            let busy = self.core.agents()[agent].in_flight.min(4) as f64;
            busy / 4.0
        })
    }

    /// Starts the agents and runs until at least [`READY_QUORUM`] of them are ready, then
    /// schedules the faults relative to that moment.
    pub fn setup(&mut self) -> Result<(), SimError> {
        for agent in 0..self.alive.len() {
            let at = self.model.startup_us(&mut self.work_rng);
            self.schedule(at, Event::Ready(agent));
        }
        let needed = (self.alive.len() as f64 * READY_QUORUM).ceil() as usize;
        while self.ready_count() < self.alive.len() {
            if !self.step()? {
                break;
            }
        }
        let ready = self.ready_count();
        if ready < needed {
            return Err(SimError::Setup(format!(
                "only {ready} of {} agents became ready; at least {needed} ({}%) are needed",
                self.alive.len(),
                READY_QUORUM * 100.0
            )));
        }
        self.ready_at_us = Some(self.now_us);
        let start = self.now_us;
        for (i, fault) in self.faults.clone().iter().enumerate() {
            self.schedule_at(start + fault.at_ms * MS, Event::FaultStart(i));
            if let Some(d) = fault.for_ms {
                self.schedule_at(start + (fault.at_ms + d) * MS, Event::FaultEnd(i));
            }
        }
        Ok(())
    }

    fn ready_count(&self) -> usize {
        self.core
            .agents()
            .iter()
            .filter(|a| a.state.is_available())
            .count()
    }

    /// Hands a task to the swarm now.
    pub fn dispatch(&mut self, task: Task) -> TaskId {
        let label = format!("{:?}", task.kind());
        let id = self.core.dispatch(self.now_us, task);
        self.trace
            .record(self.now_us, format_args!("dispatch {id} {label}"));
        self.drain();
        id
    }

    /// Starts the built-in trade flow: `n` trades arriving with exponential gaps.
    pub fn start_trades(&mut self, n: u64) {
        self.flow.remaining += n;
        if self.flow.remaining == n && n > 0 {
            self.schedule(0, Event::Arrival);
        }
    }

    /// The tasks the built-in flow dispatched so far.
    pub fn flow_tasks(&self) -> &[TaskId] {
        &self.flow.tasks
    }

    /// Runs until every dispatched task has ended, every vote is decided and the trade flow
    /// is done.
    pub fn run_until_idle(&mut self) -> Result<(), SimError> {
        while self.flow.remaining > 0
            || self.core.ledger().open() > 0
            || self.core.open_rounds() > 0
        {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Runs until `task` has ended.
    pub fn run_until_ended(&mut self, task: TaskId) -> Result<(), SimError> {
        while !self.core.ledger().has_ended(task) {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Runs every event up to virtual time `t_us`, then sets the clock to it.
    pub fn run_until(&mut self, t_us: u64) -> Result<(), SimError> {
        while self.queue.keys().next().is_some_and(|&(t, _)| t <= t_us) {
            self.step_any()?;
        }
        self.check_deadline(t_us)?;
        self.now_us = self.now_us.max(t_us);
        Ok(())
    }

    fn check_deadline(&self, t_us: u64) -> Result<(), SimError> {
        if t_us > self.deadline_us {
            let audit = self.core.ledger().audit();
            return Err(SimError::Timeout {
                timeout_ms: self.deadline_us / MS,
                what: format!(
                    "{} of {} tasks still in flight, {} trades not yet sent",
                    audit.in_flight, audit.dispatched, self.flow.remaining
                ),
            });
        }
        Ok(())
    }

    /// Processes the next event. `Ok(false)` when there is none.
    /// Processes the next event, unless only background events (heartbeat timers and
    /// heartbeats) are left: then the swarm is idle, as if the queue were empty, and
    /// `Ok(false)` says so. Heartbeats go on forever; they alone never keep a run going.
    fn step(&mut self) -> Result<bool, SimError> {
        if self.pending_work == 0 {
            return Ok(false);
        }
        self.step_any()
    }

    /// Processes the next event, background or not. `Ok(false)` when there is none.
    fn step_any(&mut self) -> Result<bool, SimError> {
        let Some((&(at, seq), _)) = self.queue.iter().next() else {
            return Ok(false);
        };
        self.check_deadline(at)?;
        let event = self.queue.remove(&(at, seq)).expect("key just seen");
        if !is_background(&event) {
            self.pending_work -= 1;
        }
        self.now_us = at;
        self.handle(event);
        self.drain();
        Ok(true)
    }

    fn schedule(&mut self, after_us: u64, event: Event) {
        self.schedule_at(self.now_us + after_us, event);
    }

    fn schedule_at(&mut self, at_us: u64, event: Event) {
        if !is_background(&event) {
            self.pending_work += 1;
        }
        self.seq += 1;
        self.queue.insert((at_us, self.seq), event);
    }

    fn handle(&mut self, event: Event) {
        let now = self.now_us;
        match event {
            Event::Ready(agent) => {
                if self.alive[agent] {
                    self.core.agent_ready(now, agent);
                    self.trace.record(now, format_args!("agent {agent} ready"));
                    self.schedule(0, Event::Tick(agent, self.epoch[agent]));
                }
            }
            Event::Tick(agent, epoch) => {
                if !self.alive[agent] || self.epoch[agent] != epoch {
                    return; // A dead process's timer dies with it.
                }
                if !self.active.is_hung(agent) {
                    let cpu = self.cpu_load(agent);
                    self.core.handle_tick(now, agent, epoch, cpu);
                }
                self.schedule(HEARTBEAT_INTERVAL_US, Event::Tick(agent, epoch));
            }
            Event::Vote {
                agent,
                round,
                symbol,
                epoch,
            } => {
                if !self.alive[agent] || self.epoch[agent] != epoch {
                    return; // A crashed voter never answers.
                }
                if self.active.is_hung(agent) {
                    let event = Event::Vote {
                        agent,
                        round,
                        symbol,
                        epoch,
                    };
                    return self.defer_until_resumed(agent, event);
                }
                let vote = self.vote_of(agent, &symbol);
                self.votes_cast.push((round, agent, now));
                self.core.handle_vote_cast(now, agent, round, vote);
            }
            Event::RoundTimeout(round) => self.core.handle_round_timeout(now, round),
            Event::Arrival => {
                match self.flow.next(self.core.strategy()) {
                    None => return,
                    Some(NextTrade::Vote(symbol)) => match self.propose(Proposal::trade(symbol)) {
                        Ok(round) => {
                            self.flow.rounds.insert(round, symbol.to_owned());
                        }
                        Err(e) => self
                            .trace
                            .record(now, format_args!("no vote on {symbol}: {e}")),
                    },
                    Some(NextTrade::Dispatch(task)) => {
                        let id = self.dispatch(task);
                        self.flow.tasks.push(id);
                    }
                }
                if self.flow.remaining > 0 {
                    let gap = self.model.trade_gap_us(&mut self.work_rng);
                    self.schedule(gap, Event::Arrival);
                }
            }
            Event::Deliver(envelope) => self.deliver(envelope),
            Event::WorkDone {
                agent,
                task,
                plan,
                hop,
                epoch,
            } => {
                if !self.alive[agent] || self.epoch[agent] != epoch {
                    let killer = self.recovery.killer(agent);
                    self.recovery.blame(task, killer);
                    return; // Work in progress dies with the agent.
                }
                if self.active.is_hung(agent) {
                    let hangs = self.active.blame(Some(agent), faults::hangs);
                    self.recovery.blame(task, hangs);
                    let event = Event::WorkDone {
                        agent,
                        task,
                        plan,
                        hop,
                        epoch,
                    };
                    return self.defer_until_resumed(agent, event);
                }
                let result = self.finish_work(agent, task, &plan, hop);
                let before = recovery::Recovery::before(self.core.ledger(), task);
                let error = matches!(result, WorkResult::Error(_));
                self.core
                    .handle_work_done(now, agent, task, plan, hop, result);
                if error {
                    self.recovery
                        .gave_up(before, self.core.ledger(), now, &mut self.outcomes);
                }
            }
            Event::Timeout(task) => {
                if !self.core.ledger().has_ended(task) {
                    let on = self.core.ledger().assignments(task).last().copied();
                    self.trace
                        .record(now, format_args!("{task} timed out on agent {on:?}"));
                }
                let before = recovery::Recovery::before(self.core.ledger(), task);
                self.core.handle_timeout(now, task);
                self.recovery
                    .gave_up(before, self.core.ledger(), now, &mut self.outcomes);
            }
            Event::FaultStart(i) => self.start_fault(i),
            Event::FaultEnd(i) => self.heal_fault(i),
            Event::OutOfMemory(agent) => {
                if self.alive[agent] {
                    let leaks = self.active.blame(Some(agent), faults::kills);
                    if let Some(&leak) = leaks.first() {
                        self.recovery.killed(agent, leak);
                    }
                    self.memory_mb[agent] = MEMORY_LIMIT_MB;
                    self.trace.record(
                        now,
                        format_args!("agent {agent} killed: memory reached {MEMORY_LIMIT_MB} MB"),
                    );
                    self.kill(agent);
                }
            }
            Event::Restart(agent) => {
                if self.alive[agent] {
                    return; // Already back (restarted by an overlapping crash's end).
                }
                self.alive[agent] = true;
                self.epoch[agent] += 1;
                self.memory_mb[agent] = BASE_MEMORY_MB;
                self.trace
                    .record(now, format_args!("agent {agent} restarted"));
                // The new process heartbeats with a new incarnation: that is how the swarm
                // learns it restarted.
                self.schedule(0, Event::Tick(agent, self.epoch[agent]));
            }
        }
    }

    fn deliver(&mut self, envelope: Envelope) {
        let heartbeat = envelope.msg.is_heartbeat();
        if let Endpoint::Agent(agent) = envelope.to {
            let task = task_of(&envelope.msg);
            if !self.alive[agent] {
                self.dropped += 1;
                if !heartbeat {
                    self.trace.record(
                        self.now_us,
                        format_args!("message to dead agent {agent} dropped"),
                    );
                }
                let killer = self.recovery.killer(agent);
                self.blame(task, killer);
                return;
            }
            if self.active.is_hung(agent) {
                if heartbeat {
                    self.dropped += 1; // Stale by the time it resumes.
                    return;
                }
                let hangs = self.active.blame(Some(agent), faults::hangs);
                self.blame(task, hangs);
                return self.defer_until_resumed(agent, Event::Deliver(envelope));
            }
        }
        self.delivered += 1;
        if heartbeat {
            self.heartbeats_delivered += 1;
        }
        self.core.handle_delivery(self.now_us, envelope);
    }

    /// Holds an event for a hung agent until its hang heals (checked again then).
    fn defer_until_resumed(&mut self, agent: AgentId, event: Event) {
        let resume = self
            .active
            .iter()
            .filter(|f| f.targets.contains(&agent) && matches!(f.spec.kind, FaultKind::Hang { .. }))
            .filter_map(|f| f.spec.for_ms.map(|d| f.at_us + d * MS))
            .max();
        match resume {
            Some(at) => self.schedule_at(at.max(self.now_us + 1), event),
            None => self.dropped += 1, // Hung for good: nothing it holds will ever move.
        }
    }

    fn finish_work(
        &mut self,
        agent: AgentId,
        task: TaskId,
        plan: &[Hop],
        hop: usize,
    ) -> WorkResult {
        let now = self.now_us;
        if plan[hop].step == Step::Forward {
            return WorkResult::Done;
        }
        if self.work_rng.chance(self.active.error_rate(agent)) {
            self.trace.record(
                now,
                format_args!("agent {agent} answered {task} with an error"),
            );
            let errs = self.active.blame(Some(agent), faults::errs);
            self.recovery.blame(task, errs);
            return WorkResult::Error(format!("agent {agent} answered with an injected error"));
        }
        if plan[hop].step != Step::Execute {
            return WorkResult::Done; // A pipeline stage's work has no market effect.
        }
        if let Some(symbol) = self.core.trade_symbol(task).map(str::to_owned) {
            if self.core.begin_effect(task) {
                let role = self.core.agents()[agent].role;
                let arrives = now + self.model.exchange_us(&mut self.net_rng);
                let (decided, arrives) = (market_ms(now), market_ms(arrives));
                let outcome = self
                    .desk
                    .trade(role, &symbol, decided, arrives, &mut self.work_rng);
                self.trace.record(
                    now,
                    format_args!("agent {agent} executed {task} on {symbol}: {outcome:?}"),
                );
            } else {
                self.trace.record(
                    now,
                    format_args!("agent {agent} executed {task} again: duplicate order suppressed"),
                );
            }
        } else {
            self.trace
                .record(now, format_args!("agent {agent} executed {task}"));
        }
        WorkResult::Done
    }

    /// `faults` acted on the task `task` is about, if it is about one.
    fn blame(&mut self, task: Option<TaskId>, faults: impl IntoIterator<Item = usize>) {
        if let Some(task) = task {
            self.recovery.blame(task, faults);
        }
    }

    /// Carries out the core's outputs.
    fn drain(&mut self) {
        while let Some(output) = self.core.poll_output() {
            self.core.observe(self.now_us, &output);
            match output {
                Output::Transmit(envelope) => {
                    if let (Endpoint::Client, Message::Task { task, hop: 0, .. }) =
                        (envelope.from, &envelope.msg)
                    {
                        self.recovery.attempt_started(*task);
                        if self.bug_drops(*task) {
                            continue;
                        }
                    }
                    self.transmit(envelope)
                }
                Output::Execute {
                    agent,
                    task,
                    step,
                    plan,
                    hop,
                } => {
                    let role = self.core.agents()[agent].role;
                    let base = self.model.service_us(role, step, &mut self.work_rng);
                    let slowdown = self.active.slowdown(agent);
                    if slowdown > 1.0 {
                        let spikes = self.active.blame(Some(agent), faults::slows);
                        self.recovery.blame(task, spikes);
                    }
                    let took = (base as f64 * slowdown) as u64;
                    let epoch = self.epoch[agent];
                    self.schedule(
                        took,
                        Event::WorkDone {
                            agent,
                            task,
                            plan,
                            hop,
                            epoch,
                        },
                    );
                }
                Output::Timer { task, at_us } => {
                    if self.bug_dropped != Some(task) {
                        self.schedule_at(at_us, Event::Timeout(task))
                    }
                }
                Output::Ended(task) => self.task_ended(task),
                Output::CastVote {
                    agent,
                    round,
                    symbol,
                } => {
                    let role = self.core.agents()[agent].role;
                    let think = self
                        .model
                        .service_us(role, Step::Forward, &mut self.work_rng);
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
                Output::RoundTimer { round, at_us } => {
                    self.schedule_at(at_us, Event::RoundTimeout(round))
                }
                Output::Decided(round) => self.round_decided(round),
                Output::Health(event) => {
                    self.trace
                        .record(self.now_us, format_args!("health: {event:?}"));
                    if let HealthEvent::Failed { agent, at_us, .. } = event {
                        // Heartbeats noticed a fault on this agent: that is its detection,
                        // whether or not a task had to be rerouted.
                        for fault in self.active.iter().filter(|f| f.targets.contains(&agent)) {
                            self.outcomes[fault.index].detected_us.get_or_insert(at_us);
                        }
                    }
                }
                Output::FailedOver { task, attempts } => {
                    let now = self.now_us;
                    let ledger = self.core.ledger();
                    self.recovery
                        .failed_over(task, attempts, ledger, now, &mut self.outcomes);
                }
            }
        }
    }

    fn task_ended(&mut self, task: TaskId) {
        let now = self.now_us;
        let ending = self.core.ledger().ending(task).cloned();
        self.trace
            .record(now, format_args!("{task} ended: {ending:?}"));
        self.recovery
            .ended(task, self.core.ledger(), now, &mut self.outcomes);
    }

    fn transmit(&mut self, envelope: Envelope) {
        let n = self.alive.len();
        let heartbeat = envelope.msg.is_heartbeat();
        let task = task_of(&envelope.msg);
        let rng = match heartbeat {
            true => &mut self.heartbeat_rng,
            false => &mut self.net_rng,
        };
        let mut latency = match (envelope.from, envelope.to) {
            (Endpoint::Agent(a), Endpoint::Agent(b)) => {
                let cut = self.active.separating(a, b, n);
                if !cut.is_empty() {
                    self.dropped += 1;
                    if !heartbeat {
                        self.trace.record(
                            self.now_us,
                            format_args!("partition dropped a message {a} -> {b}"),
                        );
                    }
                    self.blame(task, cut);
                    return;
                }
                self.model.link_us(rng)
            }
            _ => self.model.client_link_us(rng),
        };
        if rng.chance(self.active.loss()) {
            self.dropped += 1;
            if !heartbeat {
                self.trace.record(
                    self.now_us,
                    format_args!(
                        "packet loss dropped a message {:?} -> {:?}",
                        envelope.from, envelope.to
                    ),
                );
            }
            let lossy = self.active.blame(None, faults::loses);
            self.blame(task, lossy);
            return;
        }
        let (delay, jitter) = self.active.extra_delay_us();
        let extra = delay + rng.below(jitter + 1);
        if extra > 0 {
            let delaying = self.active.blame(None, faults::delays);
            self.blame(task, delaying);
        }
        latency += extra;
        self.schedule(latency, Event::Deliver(envelope));
    }

    fn start_fault(&mut self, index: usize) {
        let now = self.now_us;
        if self.outcomes[index].healed_us.is_some() {
            return; // Healed by the test body before it started.
        }
        let spec = self.faults[index].clone();
        let Some(targets) = faults::targets_when_due(
            &spec,
            self.core.topology().kind(),
            self.core.agents(),
            &mut self.fault_rng,
            &mut self.trace,
            &mut self.outcomes[index],
            now,
        ) else {
            return;
        };
        self.apply_fault(index, targets);
    }

    /// Starts fault `index` now on `targets`: its effects, its report entry, its trace line.
    fn apply_fault(&mut self, index: usize, targets: Vec<AgentId>) {
        let now = self.now_us;
        let spec = self.faults[index].clone();
        self.trace.record(
            now,
            format_args!("fault `{}` starts on agents {targets:?}", spec.text),
        );
        self.outcomes[index].targets = targets.clone();
        self.outcomes[index].at_us = Some(now);
        match &spec.kind {
            FaultKind::Crash {
                restart_after_ms, ..
            } => {
                for &agent in &targets {
                    if self.alive[agent] {
                        self.recovery.killed(agent, index);
                    }
                    self.kill(agent);
                    if let Some(d) = restart_after_ms {
                        self.schedule(d * MS, Event::Restart(agent));
                    }
                }
            }
            FaultKind::MemoryLeak { rate_mb_per_s, .. } => {
                let secs =
                    (MEMORY_LIMIT_MB - BASE_MEMORY_MB) / rate_mb_per_s.max(f64::MIN_POSITIVE);
                let until = spec.for_ms.map_or(f64::INFINITY, |d| d as f64 / 1_000.0);
                if secs <= until {
                    for &agent in &targets {
                        self.schedule((secs * 1e6) as u64, Event::OutOfMemory(agent));
                    }
                }
            }
            FaultKind::Hang { .. } => {
                for &agent in &targets {
                    self.went_silent[agent].push(now);
                }
            }
            FaultKind::Volatility { level } => {
                if let Some(before) = self.desk.market.segment_at(market_ms(now)) {
                    self.calm_before.insert(index, before);
                }
                self.desk.market.volatility_shock(market_ms(now), *level);
            }
            _ => {}
        }
        self.active.start(Applied {
            index,
            spec,
            targets,
            at_us: now,
        });
    }

    fn heal_fault(&mut self, index: usize) {
        let now = self.now_us;
        if let Some(applied) = self.active.heal(index) {
            self.outcomes[index].healed_us = Some(now);
            self.trace
                .record(now, format_args!("fault `{}` heals", applied.spec.text));
            if let FaultKind::MemoryLeak { rate_mb_per_s, .. } = applied.spec.kind {
                let grown = rate_mb_per_s * (now - applied.at_us) as f64 / 1e6;
                for &agent in &applied.targets {
                    self.memory_mb[agent] = (self.memory_mb[agent] + grown).min(MEMORY_LIMIT_MB);
                }
            }
            if let Some(before) = self.calm_before.remove(&index) {
                self.desk.market.set_segment(market_ms(now), before);
            }
            if let FaultKind::Crash { .. } = applied.spec.kind {
                // The crash is over: the agents a crash killed restart, unless another crash
                // still holds them (an agent a leak killed stays dead).
                let crash = |k: &FaultKind| matches!(k, FaultKind::Crash { .. });
                for &agent in &applied.targets {
                    let by_crash = self
                        .recovery
                        .killer(agent)
                        .is_some_and(|k| crash(&self.faults[k].kind));
                    let held = !self.active.blame(Some(agent), crash).is_empty();
                    if !self.alive[agent] && by_crash && !held {
                        self.schedule(0, Event::Restart(agent));
                    }
                }
            }
        }
    }

    fn kill(&mut self, agent: AgentId) {
        if !self.alive[agent] {
            return;
        }
        self.alive[agent] = false;
        self.went_silent[agent].push(self.now_us);
        self.trace
            .record(self.now_us, format_args!("agent {agent} crashed"));
    }

    /// Agents, for reports.
    pub fn agents(&self) -> &[Agent] {
        self.core.agents()
    }

    /// Whether an agent's process is alive (mock: not crashed).
    pub fn is_alive(&self, agent: AgentId) -> bool {
        self.alive[agent]
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

/// The task a message is about, if it is about one (not a heartbeat or a vote).
pub(crate) fn task_of(msg: &Message) -> Option<TaskId> {
    match msg {
        Message::Task { task, .. } | Message::Result { task, .. } => Some(*task),
        Message::Heartbeat { .. } | Message::VoteRequest { .. } | Message::VoteReply { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testing::{run, spec};

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
