//! The live controller's state and what it does with each event: frames from agents and
//! timers. One lock around it; no await while it is held.
//!
//! The controller is the swarm's switch and its client. What a run does with its events is
//! the [`World`]'s, shared with the mock driver; the controller's [`Controller`] is the world's
//! [`Effects`](crate::world::Effects) live (`effects.rs`): a message between agents passes
//! the world's switch and reaches the receiver's process as a `Deliver` frame; it counts as
//! delivered, and the core hears of it, when the receiver acknowledges it. Work becomes a
//! `Work` frame; the answer (a trade decision, or an error) goes back into the world. Timers
//! (task timeouts, faults, trade arrivals, heartbeats) live in one ordered table, as in the
//! simulator.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use swarm_test_spec::Spec;
use tokio::sync::{mpsc, oneshot};

use crate::backend::{Backend, Control, Launch};
use crate::core::{Envelope, RoundId, Step, TaskId, Vote, WorkResult, HEARTBEAT_INTERVAL_US};
use crate::topology::AgentId;
use crate::wire::{FromAgent, MarketEvent, WireError, WorkOutcome};
use crate::world::{task_of, Booking, Timer, Work, World};

use super::agent::AgentEnv;
pub(crate) use super::io::Inbound;

/// Heartbeat and resource-sampling period, µs: the core's heartbeat interval, so live
/// heartbeats run on mock mode's schedule. The default value is 100 ms.
pub const TICK_US: u64 = HEARTBEAT_INTERVAL_US;

/// Heartbeats an agent may miss before the trace says so. The default value is 3.
pub const MISSED_HEARTBEATS: u64 = 3;

/// Window over which an agent's CPU load is measured, µs. The default value is 1 s.
pub const CPU_WINDOW_US: u64 = 1_000_000;

/// A timer of the controller: the world's, a message the switch holds, or the heartbeat tick.
#[derive(Debug, Clone)]
pub(crate) enum LiveTimer {
    World(Timer),
    Deliver(Envelope),
    Tick,
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
}

/// Work sent to an agent's process, until it answers.
#[derive(Debug, Clone)]
pub(crate) struct PendingWork {
    pub(crate) work: Work,
    pub(crate) epoch: u32,
    /// The market time the agent judges, ms.
    pub(crate) decided_ms: u64,
}

/// Everything the controller knows: the run's [`World`] and the controller's [`Controller`].
#[derive(Debug)]
pub(crate) struct Locked {
    pub(crate) world: World,
    pub(crate) io: Controller,
}

/// The controller's side of a run: processes, frames, the real clock, timers and waiters.
#[derive(Debug)]
pub(crate) struct Controller {
    pub(crate) start: Instant,
    /// Every market change sent to the agents, in order: a (re)started agent gets them all.
    pub(crate) market_log: Vec<MarketEvent>,
    pub(crate) timers: BTreeMap<(u64, u64), LiveTimer>,
    pub(crate) timer_seq: u64,
    pub(crate) slots: Vec<Slot>,
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) launch: Launch,
    pub(crate) env: AgentEnv,
    pub(crate) inbox: mpsc::UnboundedSender<Inbound>,
    pub(crate) ended_waiters: BTreeMap<TaskId, Vec<oneshot::Sender<()>>>,
    pub(crate) decided_waiters: BTreeMap<RoundId, Vec<oneshot::Sender<()>>>,
    pub(crate) idle_waiters: Vec<oneshot::Sender<()>>,
    /// Votes asked of agents and not answered yet: round, voter, the voter's epoch.
    pub(crate) vote_requests: BTreeMap<(RoundId, AgentId), u32>,
    /// The market time each open round's voters judge (the first ask's), ms.
    pub(crate) round_market_ms: BTreeMap<RoundId, u64>,
    pub(crate) next_seq: u64,
    /// Deliveries awaiting the receiver's acknowledgement: receiver, its epoch, the message,
    /// when it was sent (µs).
    pub(crate) deliveries: BTreeMap<u64, (AgentId, u32, Envelope, u64)>,
    pub(crate) works: BTreeMap<u64, PendingWork>,
    pub(crate) pings: BTreeMap<u64, (AgentId, Instant)>,
    pub(crate) pong_waiters: BTreeMap<u64, oneshot::Sender<u64>>,
    /// Controller ↔ agent heartbeat round trips, µs.
    pub(crate) round_trips_us: Vec<u64>,
    /// Protocol errors and agent failures: each fails the run.
    pub(crate) errors: Vec<String>,
    pub(crate) stopping: bool,
}

impl Locked {
    pub(crate) fn new(
        spec: &Spec,
        seed: u64,
        backend: Box<dyn Backend>,
        launch: Launch,
        env: AgentEnv,
        inbox: mpsc::UnboundedSender<Inbound>,
    ) -> Result<Locked, String> {
        // The same world as the simulator's, with the same RNG splits: the agents rebuild the
        // market from the seed with the first one.
        let world = World::new(spec, seed).map_err(|e| e.to_string())?;
        Ok(Locked {
            world,
            io: Controller {
                start: Instant::now(),
                market_log: Vec::new(),
                timers: BTreeMap::new(),
                timer_seq: 0,
                slots: (0..spec.agents).map(|_| Slot::default()).collect(),
                backend,
                launch,
                env,
                inbox,
                ended_waiters: BTreeMap::new(),
                decided_waiters: BTreeMap::new(),
                idle_waiters: Vec::new(),
                vote_requests: BTreeMap::new(),
                round_market_ms: BTreeMap::new(),
                next_seq: 0,
                deliveries: BTreeMap::new(),
                works: BTreeMap::new(),
                pings: BTreeMap::new(),
                pong_waiters: BTreeMap::new(),
                round_trips_us: Vec::new(),
                errors: Vec::new(),
                stopping: false,
            },
        })
    }

    /// Wall time since the run started, µs (a monotonic clock).
    pub(crate) fn now_us(&self) -> u64 {
        self.io.now_us()
    }

    /// When the next timer is due, µs.
    pub(crate) fn next_deadline_us(&self) -> Option<u64> {
        self.io.timers.keys().next().map(|&(at, _)| at)
    }

    /// Fires every timer due by now.
    pub(crate) fn fire_due_timers(&mut self) {
        let now = self.now_us();
        while let Some((&key, _)) = self.io.timers.iter().next() {
            if key.0 > now {
                break;
            }
            let timer = self.io.timers.remove(&key).expect("key just seen");
            match timer {
                LiveTimer::World(timer) => self.world.on_timer(&mut self.io, timer),
                LiveTimer::Deliver(envelope) => self.io.deliver(&mut self.world, envelope),
                LiveTimer::Tick => {
                    self.tick();
                    self.io.schedule_at(now + TICK_US, LiveTimer::Tick);
                }
            }
            self.drain();
        }
    }

    /// Setup finished now: the faults are scheduled relative to this moment, and the
    /// heartbeat tick starts.
    pub(crate) fn ready(&mut self) {
        self.world.ready(&mut self.io);
        let now = self.now_us();
        self.io.schedule_at(now, LiveTimer::Tick);
    }

    /// Starts agent `agent`'s first program (setup).
    pub(crate) fn start_agent(&mut self, agent: AgentId) -> Result<(), String> {
        self.io.start_agent(&mut self.world, agent)
    }

    /// `Swarm::set_regime`: the desk's market and every agent's follow `regime` from now on.
    pub(crate) fn set_regime(&mut self, regime: swarm_test_spec::Regime) {
        self.world.set_regime(&mut self.io, regime);
    }

    pub(crate) fn on_inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Frame {
                agent,
                epoch,
                msg,
                at,
            } => {
                if self.io.slots[agent].epoch == epoch {
                    self.on_frame(agent, msg, at);
                }
            }
            Inbound::Closed {
                agent,
                epoch,
                error,
            } => {
                if self.io.slots[agent].epoch == epoch {
                    self.on_closed(agent, error);
                }
            }
        }
        self.drain();
    }

    /// `agent` broke the protocol: the run fails on it, and its process is killed.
    pub(crate) fn protocol_error(&mut self, agent: AgentId, what: String) {
        let now = self.now_us();
        self.world
            .trace
            .record(now, format_args!("agent {agent} protocol error: {what}"));
        self.io.errors.push(what);
        self.world
            .kill(&mut self.io, agent, "killed after a protocol error");
    }

    fn on_frame(&mut self, agent: AgentId, msg: FromAgent, at: Instant) {
        let now = self.now_us();
        self.io.slots[agent].last_seen_us = now;
        if !self.io.slots[agent].ready
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
                if run != self.io.env.run || who != agent || self.io.slots[agent].ready {
                    return self.protocol_error(
                        agent,
                        format!(
                            "agent {agent} sent a handshake for run {run:?}, agent {who} (expected run {:?}, agent {agent}, once): \
                             another run's agent, or a stale process",
                            self.io.env.run
                        ),
                    );
                }
                let slot = &mut self.io.slots[agent];
                slot.ready = true;
                slot.pid = slot.pid.or(Some(pid));
                if slot.epoch > 1 {
                    self.world.core.agent_restarted(now, agent);
                    self.world
                        .trace
                        .record(now, format_args!("agent {agent} restarted (pid {pid})"));
                } else {
                    self.world.core.agent_ready(now, agent);
                    self.world
                        .trace
                        .record(now, format_args!("agent {agent} ready (pid {pid})"));
                }
            }
            FromAgent::Delivered { seq } => match self.io.deliveries.remove(&seq) {
                Some((to, _, envelope, sent_us)) if to == agent => {
                    if envelope.msg.is_heartbeat() && now - sent_us > HEARTBEAT_INTERVAL_US {
                        // Held by a paused receiver: stale by the time it resumed (as in mock).
                        self.world.dropped += 1;
                        return;
                    }
                    self.world.delivered(now, envelope);
                }
                _ => self.protocol_error(
                    agent,
                    format!("agent {agent} acknowledged delivery {seq}, which it was not sent"),
                ),
            },
            FromAgent::WorkDone { work, outcome } => match self.io.works.remove(&work) {
                Some(pending) if pending.work.agent == agent => self.work_done(pending, outcome),
                _ => self.protocol_error(
                    agent,
                    format!("agent {agent} answered work {work}, which it was not given"),
                ),
            },
            FromAgent::Pong { seq } => {
                if self.io.slots[agent].tick_ping == Some(seq) {
                    self.heartbeat(agent);
                }
                if let Some((_, sent)) = self.io.pings.remove(&seq) {
                    let rtt = at.saturating_duration_since(sent).as_micros() as u64;
                    self.io.round_trips_us.push(rtt);
                    if let Some(waiter) = self.io.pong_waiters.remove(&seq) {
                        let _ = waiter.send(rtt);
                    }
                }
                if self.io.slots[agent].missing {
                    self.io.slots[agent].missing = false;
                    self.world
                        .trace
                        .record(now, format_args!("agent {agent} answers heartbeats again"));
                }
            }
            FromAgent::Voted { round, vote } => self.voted(agent, round, vote),
            FromAgent::Failed { message } => {
                self.world
                    .trace
                    .record(now, format_args!("agent {agent} failed: {message}"));
                self.io.errors.push(message);
            }
        }
    }

    fn on_closed(&mut self, agent: AgentId, error: Option<WireError>) {
        let now = self.now_us();
        let slot = &mut self.io.slots[agent];
        let deliberate = slot.killed || self.io.stopping;
        slot.alive = false;
        let exit = slot
            .link
            .as_mut()
            .map(|l| l.control.reap_after_close())
            .unwrap_or_default();
        let tail = slot
            .link
            .as_ref()
            .map(|l| l.control.stderr_tail())
            .unwrap_or_default();
        slot.exit = Some(exit.clone());
        if let Some(link) = slot.link.take() {
            for task in link.tasks {
                task.abort();
            }
        }
        self.world
            .trace
            .record(now, format_args!("agent {agent} exited: {exit}"));
        if !deliberate {
            // Nobody killed it: not a fault, a bug in the agent or the machine (a panic, an
            // abort, a segfault, the OOM killer). It fails the run.
            let role = self.world.agents.type_name(agent);
            let cause = error.map_or(String::new(), |e| format!(" ({e})"));
            let tail = match tail.is_empty() {
                true => "it wrote nothing to stderr".to_owned(),
                false => format!(
                    "the last lines of its stderr:\n      {}",
                    tail.join("\n      ")
                ),
            };
            self.io.errors.push(format!(
                "agent {agent} ({role}) died on its own, with no fault on it: {exit}{cause}; {tail}"
            ));
        }
        let lost: Vec<u64> = self
            .io
            .deliveries
            .iter()
            .filter(|(_, (to, _, _, _))| *to == agent)
            .map(|(&seq, _)| seq)
            .collect();
        self.world.dropped += lost.len() as u64;
        for seq in lost {
            if let Some((_, _, envelope, _)) = self.io.deliveries.remove(&seq) {
                self.world.blame_killed(task_of(&envelope.msg), agent);
            }
        }
        let held: Vec<TaskId> = self
            .io
            .works
            .values()
            .filter(|w| w.work.agent == agent)
            .map(|w| w.work.task)
            .collect();
        for task in held {
            self.world.blame_killed(Some(task), agent);
        }
        self.io.works.retain(|_, w| w.work.agent != agent);
    }

    fn work_done(&mut self, pending: PendingWork, outcome: WorkOutcome) {
        let now = self.now_us();
        let PendingWork {
            work,
            epoch,
            decided_ms,
        } = pending;
        let (agent, task) = (work.agent, work.task);
        if self.io.slots[agent].epoch != epoch {
            return; // Work from before a restart died with that process.
        }
        let result = match outcome {
            WorkOutcome::Error { message } => {
                self.world.answered_with_error(now, agent, task);
                WorkResult::Error(message)
            }
            WorkOutcome::Done { decision } => {
                if work.plan[work.hop].step == Step::Execute {
                    let trade = self.world.core.trade_symbol(task).is_some();
                    let how = match decision {
                        Some(decision) => Booking::Settle {
                            decision,
                            decided_ms,
                        },
                        None if trade => {
                            return self.protocol_error(
                                agent,
                                format!("agent {agent} executed trade {task} without a decision"),
                            );
                        }
                        None => Booking::Decide,
                    };
                    if let Err(message) = self.world.executed(now, agent, task, how) {
                        return self.world.work_done(now, work, WorkResult::Error(message));
                    }
                }
                WorkResult::Done
            }
        };
        self.world.work_done(now, work, result);
    }

    pub(crate) fn wait_ended(&mut self, task: TaskId) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.world.core.ledger().has_ended(task) {
            let _ = tx.send(());
        } else {
            self.io.ended_waiters.entry(task).or_default().push(tx);
        }
        rx
    }

    pub(crate) fn wait_idle(&mut self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.world.is_idle() {
            let _ = tx.send(());
        } else {
            self.io.idle_waiters.push(tx);
        }
        rx
    }

    /// The receiver hears when `round` is decided.
    pub(crate) fn wait_decided(&mut self, round: RoundId) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.world.core.decision(round).is_some() {
            let _ = tx.send(());
        } else {
            self.io.decided_waiters.entry(round).or_default().push(tx);
        }
        rx
    }

    /// Wakes nobody: drops every waiter, so their receivers see the driver stopped.
    pub(crate) fn abandon_waiters(&mut self) {
        self.io.pong_waiters.clear();
        self.io.ended_waiters.clear();
        self.io.decided_waiters.clear();
        self.io.idle_waiters.clear();
    }

    /// Carries out the core's outputs, then wakes whoever waits on an idle swarm.
    pub(crate) fn drain(&mut self) {
        self.world.drain(&mut self.io);
        if self.world.is_idle() {
            for tx in self.io.idle_waiters.drain(..) {
                let _ = tx.send(());
            }
        }
    }

    /// `agent` answered a vote request (a late answer to a closed round is kept out by the
    /// core).
    pub(crate) fn voted(&mut self, agent: AgentId, round: RoundId, vote: Vote) {
        let now = self.now_us();
        if self.io.vote_requests.remove(&(round, agent)).is_none() {
            return self.protocol_error(
                agent,
                format!(
                    "agent {agent} voted in round {}, where it was not asked to",
                    round.0
                ),
            );
        }
        self.world.trace.record(
            now,
            format_args!("agent {agent} votes {} in round {}", vote.as_str(), round.0),
        );
        self.world.core.handle_vote_cast(now, agent, round, vote);
    }

    /// OS process ids of the agents whose processes run now.
    pub(crate) fn pids(&self) -> Vec<Option<u32>> {
        self.io
            .slots
            .iter()
            .map(|s| s.pid.filter(|_| s.alive))
            .collect()
    }

    /// Kills and reaps every agent process. Safe to call more than once.
    pub(crate) fn kill_all(&mut self) {
        self.io.stopping = true;
        for slot in &mut self.io.slots {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::process::ProcessBackend;
    use crate::backend::Launch;
    use crate::core::AgentState;
    use crate::driver::live::AgentEnv;
    use crate::world::{Effects, MEMORY_LIMIT_MB};
    use swarm_test_spec::Role;
    use swarm_test_spec::SpecBuilder;

    /// A controller state for a 3-agent mesh whose agent program is `sleep 30` (started, never
    /// ready: enough to see membership without the handshake).
    fn state() -> Locked {
        let spec = SpecBuilder::new("t", "live::membership")
            .with("topology", "mesh")
            .with("agents", 3u64)
            .build()
            .unwrap();
        let launch = Launch {
            program: "sleep".into(),
            args: vec!["30".into()],
            env: Vec::new(),
        };
        let env = AgentEnv {
            run: "r".into(),
            agent: 0,
            seed: 1,
            test: "t".into(),
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let backend = Box::new(ProcessBackend::new().unwrap());
        Locked::new(&spec, 1, backend, launch, env, tx).unwrap()
    }

    #[test]
    fn a_joiner_gets_a_slot_and_a_process_and_a_retired_one_loses_it() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _context = runtime.enter();
        let mut s = state();
        let joined = s.world.add_agent(&mut s.io, Role::PairsTrader);
        s.drain();
        assert_eq!(joined, 3);
        assert_eq!(s.io.slots.len(), 4);
        assert_eq!(s.world.core.agents()[joined].state, AgentState::Starting);
        assert_eq!(s.world.core.agents()[joined].role, Role::PairsTrader);
        let pid = s.pids()[joined].expect("its process runs");
        assert!(s.io.errors.is_empty(), "{:?}", s.io.errors);

        let now = s.now_us();
        s.world.drain_agent(now, joined);
        assert!(s.world.draining());
        let retired = s.world.retire_drained(&mut s.io);
        assert_eq!(retired, vec![joined], "it holds nothing");
        assert!(!s.world.draining());
        assert_eq!(s.world.core.agents()[joined].state, AgentState::Removed);
        assert!(s.io.slots[joined].killed, "killed on purpose: no error");
        assert_eq!(s.pids()[joined], None);
        s.kill_all();
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn load_is_read_from_the_measured_slots() {
        let mut s = state();
        s.io.slots[0].rss_mb = MEMORY_LIMIT_MB / 2.0;
        s.io.slots[1].cpu_load = 1.6; // two threads busy (`Driver::cpu_load` caps it at 1)
        s.io.slots[2].rss_mb = MEMORY_LIMIT_MB * 2.0; // over the limit counts as the limit
        assert_eq!(s.world.memory_utilisation(&s.io, &[0]), 0.5);
        assert_eq!(s.world.memory_utilisation(&s.io, &[0, 2]), 0.75);
        assert_eq!(s.world.memory_utilisation(&s.io, &[]), 0.0);
        assert_eq!(s.io.cpu_load(&s.world, 1), 1.6);
        assert_eq!(s.io.cpu_load(&s.world, 9), 0.0, "no such agent");
        assert_eq!(s.world.market_volatility(), 0.0, "no volatility fault");
    }
}
