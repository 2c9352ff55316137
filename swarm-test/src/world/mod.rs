//! One run of a swarm, driver-neutral: the coordination core, the trading desk, the fault book
//! and its blame, the trace, the built-in trade flow, and what happens on each of the core's
//! outputs, on each timer, when a fault starts or heals, when agents join or leave and when a
//! vote closes. Written once; both drivers run it.
//!
//! The world never reads a clock, spawns a task or touches a process: it reaches the outside
//! through [`Effects`] (send a message, schedule a timer, kill, pause or resume an agent, read
//! the time), which the mock driver implements with its event queue and its network and
//! process models, and the live driver with real processes, the wire and the real clock.
//!
//! Call order, for a driver: build it with [`World::new`]; hand it every due [`Timer`] through
//! [`World::on_timer`]; after each event (a timer, a delivery, an answer from an agent), call
//! [`World::drain`] so the core's outputs are carried out.
//!
//! Where the two drivers once differed, the world picks one semantics for both:
//! - a crash target that a memory leak killed stays dead when the crash heals (only agents a
//!   crash killed restart; [`World::heal_fault`]);
//! - a message or work that meets a dead agent blames the fault that killed it, the one the
//!   fault book recorded ([`World::blame_killed`]), not every kill-type fault on the agent;
//! - network randomness: a message's loss is drawn only under a lossy fault, its jitter always
//!   (`U(0, jitter)`, a draw even for 0), and heartbeats draw from their own stream, so they
//!   never shift the draws of task messages ([`World::transmit`]);
//! - a fault's detection by the failure detector is the time the detector declared the agent
//!   failed (the health event's time), not the time the driver handled the event
//!   ([`World::on_health`]).

mod agents;
mod churn;
mod effects;
mod faults;
mod flow;
mod inject;
mod model;
mod playout;
mod recovery;
mod rounds;
mod strike;
mod trace;

use std::collections::BTreeMap;

use swarm_test_spec::{FaultSpec, Regime, Spec};

use crate::config::InjectedBug;
use crate::core::{
    roles_for, Core, Endpoint, Envelope, HealthEvent, Message, Output, Proposal, Task, TaskId,
    WorkResult,
};
use crate::error::SetupError;
use crate::market::{Market, RegimeSegment, TradeOutcome, TradingDesk, BAR_MS, WARMUP_BARS};
use crate::rng::SimRng;
use crate::topology::{AgentId, Topology};
use crate::wire::MarketEvent;

pub(crate) use agents::{agent_rng, build as build_agent, first_divergent, Agents};
pub(crate) use effects::{Booking, Effects, Timer, Work};
pub(crate) use faults::{delays, errs, hangs, kills, loses, Active};
pub use faults::{Applied, BASE_MEMORY_MB, MAX_SLOWDOWN, MEMORY_LIMIT_MB};
pub use flow::SYMBOLS;
pub(crate) use flow::{Flow, NextTrade};
pub use model::Model;
pub(crate) use model::MS;
pub(crate) use playout::Pending;
pub(crate) use recovery::Recovery;
pub use trace::{Trace, TRACE_TAIL};

/// How many rounds of agent-to-agent messages one event carries out; a longer exchange goes
/// on at the next event. The default value is 64.
pub(crate) const AGENT_MESSAGE_ROUNDS: usize = 64;

/// Share of agents that must become ready during setup. The default value is 0.8.
pub const READY_QUORUM: f64 = 0.8;

/// The market clock at run time `now_us`: runs start [`WARMUP_BARS`] bars into the price
/// path, so the agents' signals have history from the first trade. The same in both modes.
pub(crate) fn market_ms(now_us: u64) -> u64 {
    WARMUP_BARS * BAR_MS + now_us / MS
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

/// One run's driver-neutral state. See the module docs.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) core: Core,
    /// The agents' code: one [`Agent`](crate::Agent) per agent.
    pub(crate) agents: Agents,
    pub(crate) desk: TradingDesk,
    pub(crate) model: Model,
    /// Task messages' latencies and losses, and the exchange's latency.
    pub(crate) net_rng: SimRng,
    /// Heartbeats' latencies and losses: their own stream, so heartbeats do not shift the
    /// draws of task messages.
    pub(crate) heartbeat_rng: SimRng,
    /// Service and start-up times, trade gaps, injected errors, executions.
    pub(crate) work_rng: SimRng,
    /// Fault targets (`random`, fractions).
    pub(crate) fault_rng: SimRng,
    pub(crate) faults: Vec<FaultSpec>,
    /// How many of `faults` the attribute scheduled (the first ones; the rest were added
    /// while the run went on).
    pub(crate) scheduled: usize,
    pub(crate) outcomes: Vec<FaultOutcome>,
    /// Per fault: started on exactly the agents a deployment gave (its new version's), not
    /// on the targets its spec names.
    pub(crate) pinned: Vec<bool>,
    pub(crate) active: Active,
    /// The market regime before each volatility fault, restored when it heals.
    pub(crate) calm_before: BTreeMap<usize, RegimeSegment>,
    pub(crate) trace: Trace,
    pub(crate) flow: Flow,
    /// Which fault each reroute and failure is owed to.
    pub(crate) recovery: Recovery,
    /// When setup finished (agents ready), µs.
    pub(crate) ready_at_us: Option<u64>,
    /// Messages dropped (partitions, loss, dead or paused receivers, refused).
    pub(crate) dropped: u64,
    /// Messages delivered (client and agent links).
    pub(crate) delivered: u64,
    /// Heartbeats delivered (part of `delivered`).
    pub(crate) heartbeats_delivered: u64,
    /// Per agent: when its process went silent (crashed or hung), in order.
    pub(crate) went_silent: Vec<Vec<u64>>,
    /// A deliberate bug, for testing the harness (`SWARM_TEST_FAULT_INJECT_BUG`).
    pub(crate) bug: Option<InjectedBug>,
    /// The rerouted task the `drop_rerouted` bug dropped.
    pub(crate) bug_dropped: Option<TaskId>,
}

impl World {
    /// The world of a run of `spec` with `seed`. The run's RNG is split in one order in both
    /// modes (market, net, work, faults, heartbeats), so a seed means the same market and the
    /// same fault targets in mock and live mode; live agents rebuild the market from the first
    /// split.
    pub(crate) fn new(spec: &Spec, seed: u64) -> Result<World, SetupError> {
        let mut root = SimRng::new(seed);
        let topology = Topology::new(spec.topology, spec.agents);
        let mut roles = roles_for(spec.topology, spec.agents, spec.roles.as_ref());
        let (agents, own) = Agents::new(spec.agent_factory, seed, &mut roles);
        let mut core = Core::new(topology, &roles, spec.strategy)?;
        for (id, capabilities) in own {
            core.set_own_agent(id, roles[id], capabilities);
        }
        let market = Market::new(&spec.market, root.split("market"))
            .map_err(|e| SetupError::Market(e.to_string()))?;
        Ok(World {
            core,
            agents,
            desk: TradingDesk::new(market),
            model: Model::default(),
            net_rng: root.split("net"),
            work_rng: root.split("work"),
            fault_rng: root.split("faults"),
            // Split last: the streams split before it keep their seeds.
            heartbeat_rng: root.split("heartbeats"),
            outcomes: vec![FaultOutcome::default(); spec.inject.len()],
            faults: spec.inject.clone(),
            scheduled: spec.inject.len(),
            pinned: vec![false; spec.inject.len()],
            active: Active::default(),
            calm_before: BTreeMap::new(),
            trace: Trace::default(),
            flow: Flow::default(),
            recovery: Recovery::new(spec.inject.len()),
            ready_at_us: None,
            dropped: 0,
            delivered: 0,
            heartbeats_delivered: 0,
            went_silent: vec![Vec::new(); spec.agents],
            bug: None,
            bug_dropped: None,
        })
    }

    /// Setup finished now: the attribute's faults are scheduled relative to this moment.
    pub(crate) fn ready(&mut self, fx: &mut (impl Effects + ?Sized)) {
        let now = fx.now_us();
        self.ready_at_us = Some(now);
        for (i, fault) in self.faults.iter().enumerate() {
            fx.schedule(now + fault.at_ms * MS, Timer::FaultStart(i));
            if let Some(d) = fault.for_ms {
                fx.schedule(now + (fault.at_ms + d) * MS, Timer::FaultEnd(i));
            }
        }
    }

    /// Agents the core counts as available (ready, not failed), for setup's quorum.
    pub(crate) fn ready_count(&self) -> usize {
        self.core.available_agents()
    }

    /// Hands a task to the swarm now.
    pub(crate) fn dispatch(&mut self, fx: &mut (impl Effects + ?Sized), task: Task) -> TaskId {
        let now = fx.now_us();
        let label = format!("{:?}", task.kind());
        let id = self.core.dispatch(now, task);
        self.trace
            .record(now, format_args!("dispatch {id} {label}"));
        self.drain(fx);
        id
    }

    /// Starts `n` more trades of the built-in flow, arriving with exponential gaps.
    pub(crate) fn start_trades(&mut self, fx: &mut (impl Effects + ?Sized), n: u64) {
        self.flow.remaining += n;
        if n > 0 && !self.flow.scheduled {
            self.flow.scheduled = true;
            fx.schedule(fx.now_us(), Timer::Arrival);
        }
    }

    /// Whether the trade flow is done and no task or vote is open.
    pub(crate) fn is_idle(&self) -> bool {
        self.flow.remaining == 0 && self.core.ledger().open() == 0 && self.core.open_rounds() == 0
    }

    /// From now on, prices follow `regime` (no effect on a replayed bar file).
    pub(crate) fn set_regime(&mut self, fx: &mut (impl Effects + ?Sized), regime: Regime) {
        let now = fx.now_us();
        let at_ms = market_ms(now);
        self.desk.market.set_regime(at_ms, regime);
        fx.market(MarketEvent::Regime { at_ms, regime });
        self.trace
            .record(now, format_args!("market regime set to {regime}"));
    }

    /// The trades report, positions marked to market at `now_us`.
    pub(crate) fn trades_report(&mut self, now_us: u64) -> crate::market::TradesReport {
        self.desk.report(market_ms(now_us)).rounded()
    }

    /// A timer the world scheduled is due.
    pub(crate) fn on_timer(&mut self, fx: &mut (impl Effects + ?Sized), timer: Timer) {
        let now = fx.now_us();
        match timer {
            Timer::TaskTimeout(task) => {
                if !self.core.ledger().has_ended(task) {
                    let on = self.core.ledger().assignments(task).last().copied();
                    self.trace
                        .record(now, format_args!("{task} timed out on agent {on:?}"));
                }
                let before = Recovery::before(self.core.ledger(), task);
                self.core.handle_timeout(now, task);
                self.recovery
                    .gave_up(before, self.core.ledger(), now, &mut self.outcomes);
            }
            Timer::FaultStart(i) => self.start_fault(fx, i),
            Timer::FaultEnd(i) => self.heal_fault(fx, i),
            Timer::Restart(agent) => {
                if !fx.is_alive(agent) {
                    fx.restart(self, agent);
                }
            }
            Timer::Arrival => {
                self.flow.scheduled = false;
                match self.flow.next(self.core.strategy()) {
                    None => return,
                    Some(NextTrade::Vote(symbol)) => {
                        match self.propose(fx, Proposal::trade(symbol)) {
                            Ok(round) => {
                                self.flow.rounds.insert(round, symbol.to_owned());
                            }
                            Err(e) => self
                                .trace
                                .record(now, format_args!("no vote on {symbol}: {e}")),
                        }
                    }
                    Some(NextTrade::Dispatch(task)) => {
                        let id = self.dispatch(fx, task);
                        self.flow.tasks.push(id);
                    }
                }
                if self.flow.remaining > 0 {
                    let gap = self.model.trade_gap_us(&mut self.work_rng);
                    self.flow.scheduled = true;
                    fx.schedule(now + gap, Timer::Arrival);
                }
            }
            Timer::RoundTimeout(round) => self.core.handle_round_timeout(now, round),
            Timer::Agent(agent, timer) => {
                if fx.is_alive(agent) {
                    let role = self.core.agents()[agent].role;
                    let desk = &mut self.desk;
                    self.agents.call(
                        agent,
                        role,
                        "on_timer",
                        now,
                        market_ms(now),
                        &mut desk.market,
                        &desk.portfolio,
                        self.core.topology(),
                        |a, ctx| a.on_timer(ctx, timer),
                    );
                }
            }
        }
    }

    /// Carries out the core's outputs, until it has none.
    pub(crate) fn drain(&mut self, fx: &mut (impl Effects + ?Sized)) {
        self.carry_out_agents(fx);
        // An agent whose code panicked dies, as its process would.
        for agent in std::mem::take(&mut self.agents.fresh_panics) {
            self.kill(fx, agent, "its code panicked");
        }
        while let Some(output) = self.core.poll_output() {
            self.core.observe(fx.now_us(), &output);
            match output {
                Output::Transmit(envelope) => {
                    if let (Endpoint::Client, Message::Task { task, hop: 0, .. }) =
                        (envelope.from, &envelope.msg)
                    {
                        self.recovery.attempt_started(*task);
                        if self.bug_drops(fx.now_us(), *task) {
                            continue;
                        }
                    }
                    self.transmit(fx, envelope)
                }
                Output::Execute {
                    agent,
                    task,
                    step,
                    plan,
                    hop,
                } => fx.execute(
                    self,
                    Work {
                        agent,
                        task,
                        step,
                        plan,
                        hop,
                    },
                ),
                Output::Timer { task, at_us } => {
                    if self.bug_dropped != Some(task) {
                        fx.schedule(at_us, Timer::TaskTimeout(task))
                    }
                }
                Output::Ended(task) => self.task_ended(fx, task),
                Output::CastVote {
                    agent,
                    round,
                    symbol,
                } => fx.cast_vote(self, agent, round, symbol),
                Output::RoundTimer { round, at_us } => {
                    fx.schedule(at_us, Timer::RoundTimeout(round))
                }
                Output::Decided(round) => self.round_decided(fx, round),
                Output::Health(event) => self.on_health(fx.now_us(), event),
                Output::FailedOver { task, attempts } => {
                    fx.failing_over(self, task, attempts);
                    let now = fx.now_us();
                    let ledger = self.core.ledger();
                    self.recovery
                        .failed_over(task, attempts, ledger, now, &mut self.outcomes);
                }
            }
        }
    }

    fn task_ended(&mut self, fx: &mut (impl Effects + ?Sized), task: TaskId) {
        let now = fx.now_us();
        let ending = self.core.ledger().ending(task).cloned();
        self.trace
            .record(now, format_args!("{task} ended: {ending:?}"));
        self.recovery
            .ended(task, self.core.ledger(), now, &mut self.outcomes);
        fx.ended(task);
    }

    /// A health event from the core: traced; a failure the detector declared is the first
    /// detection of the faults acting on that agent, at the detector's time (`at_us`), whether
    /// or not a task had to be rerouted.
    pub(crate) fn on_health(&mut self, now_us: u64, event: HealthEvent) {
        self.trace.record(now_us, format_args!("health: {event:?}"));
        if let HealthEvent::Failed { agent, at_us, .. } = event {
            for fault in self.active.iter().filter(|f| f.targets.contains(&agent)) {
                self.outcomes[fault.index].detected_us.get_or_insert(at_us);
            }
        }
    }

    /// The switch: partitions, loss and extra latency, with their blame, then the driver
    /// sends the message on. Loss is drawn only under a lossy fault; jitter is always drawn
    /// (`U(0, jitter)`); a heartbeat draws from the heartbeat stream, a task's message from the
    /// network stream, so heartbeats never shift a task's draws. A dropped heartbeat is
    /// counted but not traced.
    pub(crate) fn transmit(&mut self, fx: &mut (impl Effects + ?Sized), envelope: Envelope) {
        let now = fx.now_us();
        let n = self.core.agents().len();
        let heartbeat = envelope.msg.is_heartbeat();
        let task = task_of(&envelope.msg);
        let mut latency = match (envelope.from, envelope.to) {
            (Endpoint::Agent(a), Endpoint::Agent(b)) => {
                if fx.refuses(self, a, b) {
                    return;
                }
                let cut = self.active.separating(a, b, n);
                if !cut.is_empty() {
                    self.dropped += 1;
                    if !heartbeat {
                        self.trace
                            .record(now, format_args!("partition dropped a message {a} -> {b}"));
                    }
                    self.blame(task, cut);
                    return;
                }
                let rng = stream(&mut self.net_rng, &mut self.heartbeat_rng, heartbeat);
                fx.link_us(&self.model, rng, true)
            }
            _ => {
                let rng = stream(&mut self.net_rng, &mut self.heartbeat_rng, heartbeat);
                fx.link_us(&self.model, rng, false)
            }
        };
        let loss = self.active.loss();
        if self.stream(heartbeat).chance(loss) {
            self.dropped += 1;
            if !heartbeat {
                self.trace.record(
                    now,
                    format_args!(
                        "packet loss dropped a message {:?} -> {:?}",
                        envelope.from, envelope.to
                    ),
                );
            }
            let lossy = self.active.blame(None, loses);
            self.blame(task, lossy);
            return;
        }
        let (delay, jitter) = self.active.extra_delay_us();
        let extra = delay + self.stream(heartbeat).below(jitter + 1);
        if extra > 0 {
            let delaying = self.active.blame(None, delays);
            self.blame(task, delaying);
        }
        latency += extra;
        fx.send(self, envelope, latency);
    }

    fn stream(&mut self, heartbeat: bool) -> &mut SimRng {
        stream(&mut self.net_rng, &mut self.heartbeat_rng, heartbeat)
    }

    /// A message reached its receiver (after the driver's own checks): counted, and handed to
    /// the core.
    pub(crate) fn delivered(&mut self, now_us: u64, envelope: Envelope) {
        self.delivered += 1;
        if envelope.msg.is_heartbeat() {
            self.heartbeats_delivered += 1;
        }
        self.core.handle_delivery(now_us, envelope);
    }

    /// An agent finished a piece of work with `result`: the core hears of it; an error answer
    /// that made it give up on the attempt credits the faults blamed on it.
    pub(crate) fn work_done(&mut self, now_us: u64, work: Work, result: WorkResult) {
        let Work {
            agent,
            task,
            plan,
            hop,
            ..
        } = work;
        let before = Recovery::before(self.core.ledger(), task);
        let error = matches!(result, WorkResult::Error(_));
        self.core
            .handle_work_done(now_us, agent, task, plan, hop, result);
        if error {
            self.recovery
                .gave_up(before, self.core.ledger(), now_us, &mut self.outcomes);
        }
    }

    /// `agent` answered `task` with an error at `now_us`: traced, and its error-rate faults
    /// are blamed.
    pub(crate) fn answered_with_error(&mut self, now_us: u64, agent: AgentId, task: TaskId) {
        self.trace.record(
            now_us,
            format_args!("agent {agent} answered {task} with an error"),
        );
        let errors = self.active.blame(Some(agent), errs);
        self.recovery.blame(task, errors);
    }

    /// `agent` executed `task` at `now_us`: a trade goes to the exchange (once per task: an
    /// execution again is a suppressed duplicate), anything else is traced. `Err`: the agent
    /// answered the trade with an error (or panicked), with its message; nothing is booked.
    pub(crate) fn executed(
        &mut self,
        now_us: u64,
        agent: AgentId,
        task: TaskId,
        how: Booking,
    ) -> Result<(), String> {
        let Some(symbol) = self.core.trade_symbol(task).map(str::to_owned) else {
            self.trace
                .record(now_us, format_args!("agent {agent} executed {task}"));
            return Ok(());
        };
        if self.core.effect_applied(task) {
            self.trace.record(
                now_us,
                format_args!("agent {agent} executed {task} again: duplicate order suppressed"),
            );
            return Ok(());
        }
        let role = self.core.agents()[agent].role;
        let arrives = market_ms(now_us + self.model.exchange_us(&mut self.net_rng));
        let outcome: TradeOutcome = match how {
            Booking::Decide => {
                let decided = market_ms(now_us);
                let (agents, topology) = (&mut self.agents, self.core.topology());
                let traded = self.desk.trade_with(
                    role,
                    decided,
                    arrives,
                    &mut self.work_rng,
                    |market, portfolio| {
                        agents
                            .trade(
                                agent, role, now_us, decided, market, portfolio, topology, &symbol,
                            )
                            .map(|d| d.into_intent(role, decided, market))
                    },
                );
                match traded {
                    Ok(outcome) => outcome,
                    Err(message) => {
                        self.trace.record(
                            now_us,
                            format_args!("agent {agent} answered {task} with an error: {message}"),
                        );
                        return Err(message);
                    }
                }
            }
            Booking::Settle {
                decision,
                decided_ms,
            } => self
                .desk
                .settle(role, decision, decided_ms, arrives, &mut self.work_rng),
        };
        self.core.begin_effect(task);
        self.trace.record(
            now_us,
            format_args!("agent {agent} executed {task} on {symbol}: {outcome:?}"),
        );
        Ok(())
    }

    /// What the agents' hooks sent and set: timers are scheduled; a message reaches a live
    /// neighbour's `on_message` at once (mock mode: not yet through the network model), in
    /// the order sent, and what that sends is carried out in turn, up to
    /// [`AGENT_MESSAGE_ROUNDS`] rounds per event (the rest at the next).
    fn carry_out_agents(&mut self, fx: &mut (impl Effects + ?Sized)) {
        let now = fx.now_us();
        for _ in 0..AGENT_MESSAGE_ROUNDS {
            let sent = self.agents.take_outboxes();
            if sent.is_empty() {
                return;
            }
            for (from, messages, timers) in sent {
                for (timer, after_us) in timers {
                    fx.schedule(now + after_us, Timer::Agent(from, timer));
                }
                for (to, payload) in messages {
                    if !fx.is_alive(to) {
                        self.dropped += 1;
                        continue;
                    }
                    self.delivered += 1;
                    let role = self.core.agents()[to].role;
                    let desk = &mut self.desk;
                    self.agents.call(
                        to,
                        role,
                        "on_message",
                        now,
                        market_ms(now),
                        &mut desk.market,
                        &desk.portfolio,
                        self.core.topology(),
                        |a, ctx| a.on_message(ctx, from, &payload),
                    );
                }
            }
        }
    }

    /// Kills `agent` (if its process runs): the process dies, its silence begins, the trace
    /// says `why`.
    pub(crate) fn kill(&mut self, fx: &mut (impl Effects + ?Sized), agent: AgentId, why: &str) {
        if !fx.is_alive(agent) {
            return;
        }
        let now = fx.now_us();
        fx.kill(agent);
        self.went_silent[agent].push(now);
        self.trace.record(now, format_args!("agent {agent} {why}"));
    }

    /// `agent`'s memory reached [`MEMORY_LIMIT_MB`]: it is killed, and the leak is its killer.
    pub(crate) fn out_of_memory(&mut self, fx: &mut (impl Effects + ?Sized), agent: AgentId) {
        if !fx.is_alive(agent) {
            return;
        }
        let leaks = self.active.blame(Some(agent), kills);
        if let Some(&leak) = leaks.first() {
            self.recovery.killed(agent, leak);
        }
        self.kill(
            fx,
            agent,
            &format!("killed: memory reached {MEMORY_LIMIT_MB} MB"),
        );
    }
}

/// The stream a message draws from: heartbeats have their own.
fn stream<'a>(net: &'a mut SimRng, heartbeats: &'a mut SimRng, heartbeat: bool) -> &'a mut SimRng {
    match heartbeat {
        true => heartbeats,
        false => net,
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
    use swarm_test_spec::{FaultSpec, SpecBuilder};

    use super::*;
    use crate::core::RoundId;

    /// Effects that record what the world asked for, on a fixed clock.
    #[derive(Default)]
    struct Recorder {
        now_us: u64,
        sent: Vec<(Envelope, u64)>,
    }

    impl Effects for Recorder {
        fn now_us(&self) -> u64 {
            self.now_us
        }
        fn mode(&self) -> crate::config::Mode {
            crate::config::Mode::Mock
        }
        fn cpu_load(&self, _world: &World, _agent: AgentId) -> f64 {
            0.0
        }
        fn memory_mb(&self, _world: &World, _agent: AgentId) -> f64 {
            BASE_MEMORY_MB
        }
        fn schedule(&mut self, _at_us: u64, _timer: Timer) {}
        fn is_alive(&self, _agent: AgentId) -> bool {
            true
        }
        fn kill(&mut self, _agent: AgentId) {}
        fn pause(&mut self, _world: &mut World, _agent: AgentId) {}
        fn resume(&mut self, _world: &mut World, _agent: AgentId) {}
        fn restart(&mut self, _world: &mut World, _agent: AgentId) {}
        fn spawn(&mut self, _world: &mut World, _agent: AgentId) {}
        fn retire(&mut self, _agent: AgentId) {}
        fn agent_fault(&mut self, _: &mut World, _: AgentId, _: &Applied, _: bool) {}
        fn market(&mut self, _event: MarketEvent) {}
        fn link_us(&mut self, _model: &Model, _rng: &mut SimRng, _between_agents: bool) -> u64 {
            0
        }
        fn send(&mut self, _world: &mut World, envelope: Envelope, after_us: u64) {
            self.sent.push((envelope, after_us));
        }
        fn execute(&mut self, _world: &mut World, _work: Work) {}
        fn cast_vote(&mut self, _: &mut World, _: AgentId, _: RoundId, _: String) {}
    }

    fn world(inject: &[&str]) -> World {
        let mut b = SpecBuilder::new("t", "world")
            .with("topology", "mesh")
            .with("agents", 4u64);
        for fault in inject {
            b = b.with("inject", *fault);
        }
        World::new(&b.build().unwrap(), 7).unwrap()
    }

    fn between(a: AgentId, b: AgentId, msg: Message) -> Envelope {
        Envelope {
            from: Endpoint::Agent(a),
            to: Endpoint::Agent(b),
            msg,
        }
    }

    fn heartbeat() -> Message {
        Message::Heartbeat {
            incarnation: 0,
            cpu: 0.0,
        }
    }

    /// The next draw of a stream, without moving it.
    fn peek(rng: &SimRng) -> u64 {
        rng.clone().next_u64()
    }

    #[test]
    fn heartbeats_draw_from_their_own_stream_and_jitter_is_always_drawn() {
        let mut w = world(&[]);
        let mut fx = Recorder::default();
        let latency = FaultSpec::parse("latency(10ms, jitter = 4ms)").unwrap();
        w.inject(&mut fx, latency).unwrap();
        let task_stream = peek(&w.net_rng);
        let beat_stream = peek(&w.heartbeat_rng);
        w.transmit(&mut fx, between(0, 1, heartbeat()));
        assert_eq!(
            peek(&w.net_rng),
            task_stream,
            "a heartbeat leaves the task stream"
        );
        assert_ne!(peek(&w.heartbeat_rng), beat_stream, "it draws its jitter");
        let (_, after) = fx.sent.pop().unwrap();
        assert!((10_000..=14_000).contains(&after), "{after}");

        // Jitter 0 still draws (`U(0, 0)`), so a fault's jitter never shifts later draws.
        let mut w = world(&[]);
        w.inject(&mut fx, FaultSpec::parse("latency(10ms)").unwrap())
            .unwrap();
        let mut expected = w.heartbeat_rng.clone();
        expected.below(1);
        w.transmit(&mut fx, between(0, 1, heartbeat()));
        assert_eq!(peek(&w.heartbeat_rng), expected.next_u64());
        assert_eq!(fx.sent.pop().unwrap().1, 10_000);
    }

    #[test]
    fn loss_is_drawn_only_under_a_lossy_fault() {
        let mut w = world(&[]);
        let mut fx = Recorder::default();
        let mut expected = w.heartbeat_rng.clone();
        expected.below(1); // the jitter draw, no loss draw
        w.transmit(&mut fx, between(0, 1, heartbeat()));
        assert_eq!(peek(&w.heartbeat_rng), expected.next_u64());
        w.inject(&mut fx, FaultSpec::parse("packet_loss(1.0)").unwrap())
            .unwrap();
        w.transmit(&mut fx, between(0, 1, heartbeat()));
        assert_eq!(fx.sent.len(), 1, "a loss of 1 drops every message");
        assert_eq!(w.dropped, 1);
    }

    #[test]
    fn the_detector_s_time_is_the_detection_time() {
        let mut w = world(&[]);
        let mut fx = Recorder {
            now_us: 1_000,
            ..Recorder::default()
        };
        let hang = w
            .inject(&mut fx, FaultSpec::parse("hang(2)").unwrap())
            .unwrap();
        fx.now_us = 900_000; // the driver handles the event later than it happened
        let failed = HealthEvent::Failed {
            agent: 2,
            at_us: 400_000,
            by: vec![1, 3],
        };
        w.on_health(fx.now_us, failed);
        assert_eq!(w.outcomes[hang].detected_us, Some(400_000));
    }
}
