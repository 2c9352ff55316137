//! The live controller's state and what it does with each event: frames from agents, timers,
//! and the core's outputs. One lock around it; no await while it is held.
//!
//! The controller is the swarm's switch and its client. A core [`Output::Transmit`] between
//! agents passes the switch (edge check, partition, loss, extra latency) and reaches the
//! receiver's process as a `Deliver` frame; it counts as delivered, and the core hears of it,
//! when the receiver acknowledges it. [`Output::Execute`] becomes a `Work` frame; the answer
//! (a trade decision, or an error) goes back into the core. Timers (task timeouts, faults,
//! trade arrivals, heartbeats) live in one ordered table, as in the simulator.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use swarm_test_spec::{FaultSpec, Regime, Spec};
use tokio::sync::{mpsc, oneshot};

use crate::backend::{Backend, Control, Launch};
use crate::core::{
    roles_for, Core, Endpoint, Envelope, Hop, Message, Output, Proposal, RoundId, Step, Task,
    TaskId, WorkResult, HEARTBEAT_INTERVAL_US,
};
use crate::market::{Market, RegimeSegment, TradeOutcome, TradingDesk, BAR_MS, WARMUP_BARS};
use crate::rng::SimRng;
use crate::sim::{task_of, Active, FaultOutcome, Flow, Model, NextTrade, Recovery, Trace};
use crate::topology::{AgentId, Topology};
use crate::wire::{
    FromAgent, MarketEvent, ToAgent, TradeRequest, WireError, WorkOrder, WorkOutcome,
};

use super::agent::AgentEnv;

/// Heartbeat and resource-sampling period, µs: the core's heartbeat interval, so live
/// heartbeats run on mock mode's schedule. The default value is 100 ms.
pub const TICK_US: u64 = HEARTBEAT_INTERVAL_US;

/// Heartbeats an agent may miss before the trace says so. The default value is 3.
pub const MISSED_HEARTBEATS: u64 = 3;

/// Window over which an agent's CPU load is measured, µs. The default value is 1 s.
pub const CPU_WINDOW_US: u64 = 1_000_000;

/// The market clock at controller time `now_us` (as in mock mode).
pub(crate) fn market_ms(now_us: u64) -> u64 {
    WARMUP_BARS * BAR_MS + now_us / 1_000
}

/// Something that arrived from an agent's reader task.
#[derive(Debug)]
pub(crate) enum Inbound {
    Frame {
        agent: AgentId,
        epoch: u32,
        msg: FromAgent,
        at: Instant,
    },
    Closed {
        agent: AgentId,
        epoch: u32,
        error: Option<WireError>,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Timer {
    Deliver(Envelope),
    TaskTimeout(TaskId),
    FaultStart(usize),
    FaultEnd(usize),
    Restart(AgentId),
    Arrival,
    Tick,
    RoundTimeout(RoundId),
}

/// The controller's link to one running agent process.
#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) frames: mpsc::UnboundedSender<Vec<u8>>,
    pub(crate) control: Box<dyn Control>,
    pub(crate) tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// One agent as the controller sees its process.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) epoch: u32,
    pub(crate) link: Option<Link>,
    pub(crate) alive: bool,
    pub(crate) ready: bool,
    /// Killed on purpose (a crash fault, the memory limit, teardown): its end is no error.
    pub(crate) killed: bool,
    pub(crate) pid: Option<u32>,
    pub(crate) exit: Option<String>,
    pub(crate) last_seen_us: u64,
    pub(crate) missing: bool,
    pub(crate) cpu_samples: VecDeque<(u64, f64)>,
    pub(crate) cpu_load: f64,
    pub(crate) rss_mb: f64,
    /// The ping of the latest heartbeat tick, until the agent answers it: its answer is the
    /// agent's heartbeat timer firing (see `health.rs`).
    pub(crate) tick_ping: Option<u64>,
    /// When the process went silent (killed, or found paused), µs, each time it did.
    pub(crate) went_silent: Vec<u64>,
}

#[derive(Debug, Clone)]
struct PendingWork {
    agent: AgentId,
    epoch: u32,
    task: TaskId,
    plan: Arc<[Hop]>,
    hop: usize,
    decided_ms: u64,
}

/// Everything the controller knows. See the module docs.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) start: Instant,
    pub(crate) core: Core,
    pub(crate) desk: TradingDesk,
    model: Model,
    pub(crate) net_rng: SimRng,
    work_rng: SimRng,
    pub(crate) fault_rng: SimRng,
    pub(crate) faults: Vec<FaultSpec>,
    pub(crate) outcomes: Vec<FaultOutcome>,
    /// Per fault, the agents it was given explicitly (a deployment's new version), if any.
    pub(crate) pinned: Vec<Option<Vec<AgentId>>>,
    pub(crate) active: Active,
    pub(crate) calm_before: BTreeMap<usize, RegimeSegment>,
    /// Every market change sent to the agents, in order: a (re)started agent gets them all.
    market_log: Vec<MarketEvent>,
    pub(crate) trace: Trace,
    timers: BTreeMap<(u64, u64), Timer>,
    timer_seq: u64,
    pub(crate) slots: Vec<Slot>,
    backend: Box<dyn Backend>,
    launch: Launch,
    env: AgentEnv,
    pub(crate) inbox: mpsc::UnboundedSender<Inbound>,
    pub(crate) flow: Flow,
    pub(crate) ready_at_us: Option<u64>,
    pub(crate) dropped: u64,
    pub(crate) delivered: u64,
    ended_waiters: BTreeMap<TaskId, Vec<oneshot::Sender<()>>>,
    pub(crate) decided_waiters: BTreeMap<RoundId, Vec<oneshot::Sender<()>>>,
    /// Votes asked of agents and not answered yet: round, voter, the voter's epoch.
    pub(crate) vote_requests: BTreeMap<(RoundId, AgentId), u32>,
    /// Which fault each reroute and failure is owed to (as in mock mode; see `live/faults.rs`).
    pub(crate) recovery: Recovery,
    /// The market time each open round's voters judge (the first ask's), ms.
    pub(crate) round_market_ms: BTreeMap<RoundId, u64>,
    idle_waiters: Vec<oneshot::Sender<()>>,
    pub(crate) next_seq: u64,
    /// Deliveries awaiting the receiver's acknowledgement: receiver, its epoch, the message,
    /// when it was sent (µs).
    pub(crate) deliveries: BTreeMap<u64, (AgentId, u32, Envelope, u64)>,
    works: BTreeMap<u64, PendingWork>,
    pub(crate) pings: BTreeMap<u64, (AgentId, Instant)>,
    pub(crate) pong_waiters: BTreeMap<u64, oneshot::Sender<u64>>,
    /// Controller ↔ agent heartbeat round trips, µs.
    pub(crate) round_trips_us: Vec<u64>,
    /// Protocol errors and agent failures: each fails the run.
    pub(crate) errors: Vec<String>,
    pub(crate) stopping: bool,
}

impl State {
    pub(crate) fn new(
        spec: &Spec,
        seed: u64,
        backend: Box<dyn Backend>,
        launch: Launch,
        env: AgentEnv,
        inbox: mpsc::UnboundedSender<Inbound>,
    ) -> Result<State, String> {
        // The same splits, in the same order, as the simulator: the agents rebuild the market
        // from the seed with the first one.
        let mut root = SimRng::new(seed);
        let topology = Topology::new(spec.topology, spec.agents);
        let roles = roles_for(spec.topology, spec.agents, spec.roles.as_ref());
        let core = Core::new(topology, &roles, spec.strategy)?;
        let market = Market::new(&spec.market, root.split("market")).map_err(|e| e.to_string())?;
        Ok(State {
            start: Instant::now(),
            core,
            desk: TradingDesk::new(market),
            model: Model::default(),
            net_rng: root.split("net"),
            work_rng: root.split("work"),
            fault_rng: root.split("faults"),
            outcomes: vec![FaultOutcome::default(); spec.inject.len()],
            pinned: vec![None; spec.inject.len()],
            faults: spec.inject.clone(),
            active: Active::default(),
            calm_before: BTreeMap::new(),
            market_log: Vec::new(),
            trace: Trace::default(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            slots: (0..spec.agents).map(|_| Slot::default()).collect(),
            backend,
            launch,
            env,
            inbox,
            flow: Flow::default(),
            ready_at_us: None,
            dropped: 0,
            delivered: 0,
            ended_waiters: BTreeMap::new(),
            decided_waiters: BTreeMap::new(),
            vote_requests: BTreeMap::new(),
            recovery: Recovery::new(spec.inject.len()),
            round_market_ms: BTreeMap::new(),
            idle_waiters: Vec::new(),
            next_seq: 0,
            deliveries: BTreeMap::new(),
            works: BTreeMap::new(),
            pings: BTreeMap::new(),
            pong_waiters: BTreeMap::new(),
            round_trips_us: Vec::new(),
            errors: Vec::new(),
            stopping: false,
        })
    }

    /// Wall time since the run started, µs (a monotonic clock).
    pub(crate) fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    pub(crate) fn schedule_at(&mut self, at_us: u64, timer: Timer) {
        self.timer_seq += 1;
        self.timers.insert((at_us, self.timer_seq), timer);
    }

    /// When the next timer is due, µs.
    pub(crate) fn next_deadline_us(&self) -> Option<u64> {
        self.timers.keys().next().map(|&(at, _)| at)
    }

    /// Fires every timer due by now.
    pub(crate) fn fire_due_timers(&mut self) {
        let now = self.now_us();
        while let Some((&key, _)) = self.timers.iter().next() {
            if key.0 > now {
                break;
            }
            let timer = self.timers.remove(&key).expect("key just seen");
            self.on_timer(timer);
            self.drain();
        }
    }

    /// Starts (or restarts) agent `agent`'s program.
    pub(crate) fn start_agent(&mut self, agent: AgentId) -> Result<(), String> {
        let slot = &mut self.slots[agent];
        slot.epoch += 1;
        let epoch = slot.epoch;
        let mut launch = self.launch.clone();
        let env = AgentEnv {
            agent,
            ..self.env.clone()
        };
        launch
            .env
            .push((super::agent::AGENT_VAR.to_owned(), env.value()));
        let role = self.core.agents()[agent].role.as_str().to_owned();
        launch.env.push((super::agent::ROLE_VAR.to_owned(), role));
        let started = match self.backend.start(agent, &launch) {
            Ok(started) => started,
            Err(e) => {
                self.slots[agent].exit = Some(e.clone());
                return Err(e);
            }
        };
        let (frames, rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(super::io::write_frames(started.input, rx));
        let reader = tokio::spawn(super::io::read_frames(
            agent,
            epoch,
            started.output,
            self.inbox.clone(),
        ));
        let now = self.now_us();
        let slot = &mut self.slots[agent];
        slot.pid = started.control.pid();
        slot.link = Some(Link {
            frames,
            control: started.control,
            tasks: vec![writer, reader],
        });
        slot.alive = true;
        slot.ready = false;
        slot.killed = false;
        slot.exit = None;
        slot.last_seen_us = now;
        slot.missing = false;
        slot.tick_ping = None;
        slot.cpu_samples.clear();
        // A new process builds its market from the seed: bring it up to date.
        for event in self.market_log.clone() {
            self.send(agent, &ToAgent::Market(event));
        }
        Ok(())
    }

    /// Sends a market change to every running agent and logs it for agents started later.
    pub(crate) fn broadcast_market(&mut self, event: MarketEvent) {
        let message = ToAgent::Market(event.clone());
        for agent in 0..self.slots.len() {
            self.send(agent, &message);
        }
        self.market_log.push(event);
    }

    /// `Swarm::set_regime`: the desk's market and every agent's follow `regime` from now on.
    pub(crate) fn set_regime(&mut self, regime: Regime) {
        let now = self.now_us();
        let at_ms = market_ms(now);
        self.desk.market.set_regime(at_ms, regime);
        self.broadcast_market(MarketEvent::Regime { at_ms, regime });
        self.trace
            .record(now, format_args!("market regime set to {regime}"));
    }

    /// Sends a frame to `agent` if its process runs. `false` if it does not.
    pub(crate) fn send(&mut self, agent: AgentId, message: &ToAgent) -> bool {
        let slot = &self.slots[agent];
        let Some(link) = slot.link.as_ref().filter(|_| slot.alive) else {
            return false;
        };
        match crate::wire::encode(message) {
            Ok(bytes) => link.frames.send(bytes).is_ok(),
            Err(e) => {
                self.errors.push(e);
                false
            }
        }
    }

    /// Kills `agent`'s process on purpose (a crash fault, the memory limit).
    pub(crate) fn kill(&mut self, agent: AgentId, why: &str) {
        let now = self.now_us();
        let slot = &mut self.slots[agent];
        if !slot.alive {
            return;
        }
        slot.alive = false;
        slot.killed = true;
        slot.went_silent.push(now);
        if let Some(link) = slot.link.as_mut() {
            link.control.kill();
        }
        self.trace.record(now, format_args!("agent {agent} {why}"));
    }

    pub(crate) fn on_inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Frame {
                agent,
                epoch,
                msg,
                at,
            } => {
                if self.slots[agent].epoch == epoch {
                    self.on_frame(agent, msg, at);
                }
            }
            Inbound::Closed {
                agent,
                epoch,
                error,
            } => {
                if self.slots[agent].epoch == epoch {
                    self.on_closed(agent, error);
                }
            }
        }
        self.drain();
    }

    pub(crate) fn protocol_error(&mut self, agent: AgentId, what: String) {
        let now = self.now_us();
        self.trace
            .record(now, format_args!("agent {agent} protocol error: {what}"));
        self.errors.push(what);
        self.kill(agent, "killed after a protocol error");
    }

    fn on_frame(&mut self, agent: AgentId, msg: FromAgent, at: Instant) {
        let now = self.now_us();
        self.slots[agent].last_seen_us = now;
        if !self.slots[agent].ready
            && !matches!(msg, FromAgent::Ready { .. } | FromAgent::Failed { .. })
        {
            return self.protocol_error(
                agent,
                format!("agent {agent} sent {msg:?} before its handshake (`ready`)"),
            );
        }
        match msg {
            FromAgent::Ready {
                run,
                agent: who,
                pid,
            } => {
                if run != self.env.run || who != agent || self.slots[agent].ready {
                    return self.protocol_error(
                        agent,
                        format!(
                            "agent {agent} sent a handshake for run {run:?}, agent {who} (expected run {:?}, agent {agent}, once): \
                             another run's agent, or a stale process",
                            self.env.run
                        ),
                    );
                }
                let slot = &mut self.slots[agent];
                slot.ready = true;
                slot.pid = slot.pid.or(Some(pid));
                if slot.epoch > 1 {
                    self.core.agent_restarted(now, agent);
                    self.trace
                        .record(now, format_args!("agent {agent} restarted (pid {pid})"));
                } else {
                    self.core.agent_ready(now, agent);
                    self.trace
                        .record(now, format_args!("agent {agent} ready (pid {pid})"));
                }
            }
            FromAgent::Delivered { seq } => match self.deliveries.remove(&seq) {
                Some((to, _, envelope, sent_us)) if to == agent => {
                    if envelope.msg.is_heartbeat() && now - sent_us > HEARTBEAT_INTERVAL_US {
                        // Held by a paused receiver: stale by the time it resumed (as in mock).
                        self.dropped += 1;
                        return;
                    }
                    self.delivered += 1;
                    self.core.handle_delivery(now, envelope);
                }
                _ => self.protocol_error(
                    agent,
                    format!("agent {agent} acknowledged delivery {seq}, which it was not sent"),
                ),
            },
            FromAgent::WorkDone { work, outcome } => match self.works.remove(&work) {
                Some(pending) if pending.agent == agent => self.work_done(pending, outcome),
                _ => self.protocol_error(
                    agent,
                    format!("agent {agent} answered work {work}, which it was not given"),
                ),
            },
            FromAgent::Pong { seq } => {
                if self.slots[agent].tick_ping == Some(seq) {
                    self.heartbeat(agent);
                }
                if let Some((_, sent)) = self.pings.remove(&seq) {
                    let rtt = at.saturating_duration_since(sent).as_micros() as u64;
                    self.round_trips_us.push(rtt);
                    if let Some(waiter) = self.pong_waiters.remove(&seq) {
                        let _ = waiter.send(rtt);
                    }
                }
                if self.slots[agent].missing {
                    self.slots[agent].missing = false;
                    self.trace
                        .record(now, format_args!("agent {agent} answers heartbeats again"));
                }
            }
            FromAgent::Voted { round, vote } => self.voted(agent, round, vote),
            FromAgent::Failed { message } => {
                self.trace
                    .record(now, format_args!("agent {agent} failed: {message}"));
                self.errors.push(message);
            }
        }
    }

    fn on_closed(&mut self, agent: AgentId, error: Option<WireError>) {
        let now = self.now_us();
        let slot = &mut self.slots[agent];
        let deliberate = slot.killed || self.stopping;
        slot.alive = false;
        let exit = slot
            .link
            .as_mut()
            .map(|l| l.control.reap())
            .unwrap_or_default();
        slot.exit = Some(exit.clone());
        if let Some(link) = slot.link.take() {
            for task in link.tasks {
                task.abort();
            }
        }
        self.trace
            .record(now, format_args!("agent {agent} exited: {exit}"));
        if let Some(e) = error.filter(|_| !deliberate) {
            self.errors.push(e.to_string());
        }
        let lost: Vec<u64> = self
            .deliveries
            .iter()
            .filter(|(_, (to, _, _, _))| *to == agent)
            .map(|(&seq, _)| seq)
            .collect();
        self.dropped += lost.len() as u64;
        for seq in lost {
            if let Some((_, _, envelope, _)) = self.deliveries.remove(&seq) {
                self.blame_stalled(task_of(&envelope.msg), agent);
            }
        }
        let held: Vec<TaskId> = self
            .works
            .values()
            .filter(|w| w.agent == agent)
            .map(|w| w.task)
            .collect();
        for task in held {
            self.blame_stalled(Some(task), agent);
        }
        self.works.retain(|_, w| w.agent != agent);
    }

    fn work_done(&mut self, pending: PendingWork, outcome: WorkOutcome) {
        let now = self.now_us();
        let PendingWork {
            agent,
            epoch,
            task,
            plan,
            hop,
            decided_ms,
        } = pending;
        if self.slots[agent].epoch != epoch {
            return; // Work from before a restart died with that process.
        }
        let result = match outcome {
            WorkOutcome::Error { message } => {
                self.trace.record(
                    now,
                    format_args!("agent {agent} answered {task} with an error"),
                );
                self.blame_errors(task, agent);
                WorkResult::Error(message)
            }
            WorkOutcome::Done { decision } => {
                if plan[hop].step == Step::Execute {
                    if let Some(symbol) = self.core.trade_symbol(task).map(str::to_owned) {
                        let Some(decision) = decision else {
                            return self.protocol_error(
                                agent,
                                format!("agent {agent} executed trade {task} without a decision"),
                            );
                        };
                        self.settle(agent, task, &symbol, decision, decided_ms);
                    } else {
                        self.trace
                            .record(now, format_args!("agent {agent} executed {task}"));
                    }
                }
                WorkResult::Done
            }
        };
        let before = Recovery::before(self.core.ledger(), task);
        let error = matches!(result, WorkResult::Error(_));
        self.core
            .handle_work_done(now, agent, task, plan, hop, result);
        if error {
            self.gave_up(before);
        }
    }

    /// The exchange: the desk books the agent's decision, once per task.
    fn settle(
        &mut self,
        agent: AgentId,
        task: TaskId,
        symbol: &str,
        decision: crate::market::Decision,
        decided_ms: u64,
    ) {
        let now = self.now_us();
        if !self.core.begin_effect(task) {
            self.trace.record(
                now,
                format_args!("agent {agent} executed {task} again: duplicate order suppressed"),
            );
            return;
        }
        let role = self.core.agents()[agent].role;
        let arrives = market_ms(now + self.model.exchange_us(&mut self.net_rng));
        let outcome: TradeOutcome =
            self.desk
                .settle(role, decision, decided_ms, arrives, &mut self.work_rng);
        self.trace.record(
            now,
            format_args!("agent {agent} executed {task} on {symbol}: {outcome:?}"),
        );
    }

    fn on_timer(&mut self, timer: Timer) {
        let now = self.now_us();
        match timer {
            Timer::Deliver(envelope) => self.deliver(envelope),
            Timer::TaskTimeout(task) => {
                if !self.core.ledger().has_ended(task) {
                    let on = self.core.ledger().assignments(task).last().copied();
                    self.trace
                        .record(now, format_args!("{task} timed out on agent {on:?}"));
                }
                let before = Recovery::before(self.core.ledger(), task);
                self.core.handle_timeout(now, task);
                self.gave_up(before);
            }
            Timer::FaultStart(i) => self.start_fault(i),
            Timer::FaultEnd(i) => self.heal_fault(i),
            Timer::Restart(agent) if self.slots[agent].alive => {} // Restarted already.
            Timer::Restart(agent) => {
                if let Err(e) = self.start_agent(agent) {
                    self.trace
                        .record(now, format_args!("agent {agent} could not restart: {e}"));
                }
            }
            Timer::Arrival => {
                self.flow.scheduled = false;
                // As in mock mode (`sim::flow`): a vote first under `consensus`, a capability
                // under `specialized`.
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
                    self.flow.scheduled = true;
                    self.schedule_at(now + gap, Timer::Arrival);
                }
            }
            Timer::Tick => {
                self.tick();
                self.schedule_at(now + TICK_US, Timer::Tick);
            }
            Timer::RoundTimeout(round) => self.core.handle_round_timeout(now, round),
        }
    }

    /// Hands a task to the swarm now.
    pub(crate) fn dispatch(&mut self, task: Task) -> TaskId {
        let now = self.now_us();
        let label = format!("{:?}", task.kind());
        let id = self.core.dispatch(now, task);
        self.trace
            .record(now, format_args!("dispatch {id} {label}"));
        self.drain();
        id
    }

    /// Starts `n` more trades of the built-in flow.
    pub(crate) fn start_trades(&mut self, n: u64) {
        self.flow.remaining += n;
        if n > 0 && !self.flow.scheduled {
            self.flow.scheduled = true;
            let now = self.now_us();
            self.schedule_at(now, Timer::Arrival);
        }
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.flow.remaining == 0 && self.core.ledger().open() == 0 && self.core.open_rounds() == 0
    }

    pub(crate) fn wait_ended(&mut self, task: TaskId) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.core.ledger().has_ended(task) {
            let _ = tx.send(());
        } else {
            self.ended_waiters.entry(task).or_default().push(tx);
        }
        rx
    }

    pub(crate) fn wait_idle(&mut self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.is_idle() {
            let _ = tx.send(());
        } else {
            self.idle_waiters.push(tx);
        }
        rx
    }

    /// Wakes nobody: drops every waiter, so their receivers see the driver stopped.
    pub(crate) fn abandon_waiters(&mut self) {
        self.pong_waiters.clear();
        self.ended_waiters.clear();
        self.decided_waiters.clear();
        self.idle_waiters.clear();
    }

    /// Carries out the core's outputs, then wakes whoever waits on what changed.
    pub(crate) fn drain(&mut self) {
        while let Some(output) = self.core.poll_output() {
            let now = self.now_us();
            self.core.observe(now, &output);
            match output {
                Output::Transmit(envelope) => {
                    if let (Endpoint::Client, Message::Task { task, hop: 0, .. }) =
                        (envelope.from, &envelope.msg)
                    {
                        self.recovery.attempt_started(*task);
                    }
                    self.transmit(envelope)
                }
                Output::Execute {
                    agent,
                    task,
                    step,
                    plan,
                    hop,
                } => self.execute(agent, task, step, plan, hop),
                Output::Timer { task, at_us } => self.schedule_at(at_us, Timer::TaskTimeout(task)),
                Output::Ended(task) => self.task_ended(task),
                Output::Health(event) => self.on_health(event),
                Output::FailedOver { task, attempts } => self.failed_over(task, attempts),
                Output::CastVote {
                    agent,
                    round,
                    symbol,
                } => self.ask_vote(agent, round, symbol),
                Output::RoundTimer { round, at_us } => {
                    self.schedule_at(at_us, Timer::RoundTimeout(round))
                }
                Output::Decided(round) => self.round_decided(round),
            }
        }
        if self.is_idle() {
            for tx in self.idle_waiters.drain(..) {
                let _ = tx.send(());
            }
        }
    }

    fn task_ended(&mut self, task: TaskId) {
        let now = self.now_us();
        let ending = self.core.ledger().ending(task).cloned();
        self.trace
            .record(now, format_args!("{task} ended: {ending:?}"));
        self.recovery
            .ended(task, self.core.ledger(), now, &mut self.outcomes);
        for tx in self.ended_waiters.remove(&task).unwrap_or_default() {
            let _ = tx.send(());
        }
    }

    fn execute(&mut self, agent: AgentId, task: TaskId, step: Step, plan: Arc<[Hop]>, hop: usize) {
        let now = self.now_us();
        let decided_ms = market_ms(now);
        let trade = match (step, self.core.trade_symbol(task)) {
            (Step::Execute, Some(symbol)) => {
                let role = self.core.agents()[agent].role;
                Some(TradeRequest {
                    symbol: symbol.to_owned(),
                    at_ms: decided_ms,
                    position: self.desk.portfolio.strategy_position(role, symbol),
                })
            }
            _ => None,
        };
        self.next_seq += 1;
        let work = self.next_seq;
        let order = WorkOrder {
            work,
            task,
            step,
            trade,
        };
        self.blame_work(task, agent);
        if self.send(agent, &ToAgent::Work(order)) {
            let epoch = self.slots[agent].epoch;
            self.works.insert(
                work,
                PendingWork {
                    agent,
                    epoch,
                    task,
                    plan,
                    hop,
                    decided_ms,
                },
            );
        }
        // A dead agent's work dies with it: the client's timeout reroutes the task.
    }

    /// Whether any agent process is still registered as running.
    pub(crate) fn pids(&self) -> Vec<Option<u32>> {
        self.slots
            .iter()
            .map(|s| s.pid.filter(|_| s.alive))
            .collect()
    }

    /// Kills and reaps every agent process. Safe to call more than once.
    pub(crate) fn kill_all(&mut self) {
        self.stopping = true;
        for slot in &mut self.slots {
            slot.alive = false;
            if let Some(mut link) = slot.link.take() {
                link.control.kill();
                slot.exit = Some(link.control.reap());
                for task in link.tasks {
                    task.abort();
                }
            }
        }
    }
}
