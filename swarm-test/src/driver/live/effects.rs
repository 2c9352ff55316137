//! The world's effects, live: real processes, frames and the real clock.
//!
//! | fault | effect in live mode (process backend) |
//! |---|---|
//! | `cpu_spike(load)` | a thread in the target burns CPU `load` of every 10 ms; measured CPU rises |
//! | `memory_leak(rate)` | the target allocates and writes `rate` MB/s; at 1024 MB resident the controller kills it |
//! | `latency(delay, jitter)` | the switch holds every message `delay + U(0, jitter)` before delivering it |
//! | `packet_loss(rate)` | the switch drops each message with probability `rate` |
//! | `network_issue` | latency and loss together |
//! | `partition(halves \| isolate = T)` | the switch drops messages between the two sides |
//! | `crash(T)` | SIGKILL; `restart = D` starts a new process after `D`, empty-handed |
//! | `hang(T)` | SIGSTOP, and SIGCONT when the fault heals: what it holds waits, then moves |
//! | `error_rate(rate)` | the target answers each execution or pipeline stage with an error with probability `rate` |
//! | `volatility(level)` | the controller's and every agent's market take the shock (an agent restarted later too) |
//!
//! Targets, blame and recovery are the world's, as in mock mode. The switch (partitions, loss,
//! latency: [`World::transmit`]) is the world's too; here a message between agents must
//! also follow a topology edge, and then reaches its receiver's process as a `Deliver` frame.
//! Results for the client are delivered to the core directly (the controller is the client).
//! A message for a dead agent is dropped and counted.

use tokio::sync::mpsc;

use swarm_test_spec::FaultKind;

use super::agent::{AgentEnv, AGENT_VAR, ROLE_VAR};
use super::state::{Controller, Link, LiveTimer, PendingWork};
use crate::config::Mode;
use crate::core::{Endpoint, Envelope, RoundId, Step, TaskId};
use crate::rng::SimRng;
use crate::topology::AgentId;
use crate::wire::{AgentFault, MarketEvent, ToAgent, TradeRequest, WorkOrder};
use crate::world::{
    market_ms, task_of, Applied, Effects, Model, Timer, Work, World, MEMORY_LIMIT_MB,
};

impl Controller {
    /// Wall time since the run started, µs (a monotonic clock).
    pub(crate) fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    pub(crate) fn schedule_at(&mut self, at_us: u64, timer: LiveTimer) {
        self.timer_seq += 1;
        self.timers.insert((at_us, self.timer_seq), timer);
    }

    /// Sends a frame to `agent` if its process runs. `false` if it does not.
    pub(crate) fn send_frame(&mut self, agent: AgentId, message: &ToAgent) -> bool {
        let slot = &self.slots[agent];
        let Some(link) = slot.link.as_ref().filter(|_| slot.alive) else {
            return false;
        };
        match crate::wire::encode(message) {
            Ok(bytes) => link.frames.send(bytes).is_ok(),
            Err(e) => {
                self.errors.push(crate::error::chain(&e));
                false
            }
        }
    }

    /// Starts (or restarts) agent `agent`'s program.
    pub(crate) fn start_agent(&mut self, world: &mut World, agent: AgentId) -> Result<(), String> {
        let slot = &mut self.slots[agent];
        slot.epoch += 1;
        let epoch = slot.epoch;
        let mut launch = self.launch.clone();
        let env = AgentEnv {
            agent,
            ..self.env.clone()
        };
        launch.env.push((AGENT_VAR.to_owned(), env.value()));
        let role = world.core.agents()[agent].role.as_str().to_owned();
        launch.env.push((ROLE_VAR.to_owned(), role));
        let started = match self.backend.start(agent, &launch) {
            Ok(started) => started,
            Err(e) => {
                let why = crate::error::chain(&e);
                self.slots[agent].exit = Some(why.clone());
                return Err(why);
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
            self.send_frame(agent, &ToAgent::Market(event));
        }
        Ok(())
    }

    /// Hands a message that passed the switch to its receiver: to the core for the client,
    /// as a `Deliver` frame to an agent's process.
    pub(crate) fn deliver(&mut self, world: &mut World, envelope: Envelope) {
        let now = self.now_us();
        let Endpoint::Agent(agent) = envelope.to else {
            world.delivered(now, envelope);
            return;
        };
        self.next_seq += 1;
        let seq = self.next_seq;
        let message = ToAgent::Deliver {
            seq,
            envelope: envelope.clone(),
        };
        let task = task_of(&envelope.msg);
        world.blame_held(task, agent);
        if self.send_frame(agent, &message) {
            let epoch = self.slots[agent].epoch;
            self.deliveries.insert(seq, (agent, epoch, envelope, now));
        } else {
            world.blame_killed(task, agent);
            world.dropped += 1;
            if !envelope.msg.is_heartbeat() {
                world
                    .trace
                    .record(now, format_args!("message to dead agent {agent} dropped"));
            }
        }
    }

    /// SIGSTOP (`pause`) or SIGCONT an agent's process.
    fn signal(&mut self, world: &mut World, agent: AgentId, pause: bool) {
        let now = self.now_us();
        let Some(link) = self.slots[agent].link.as_mut() else {
            return;
        };
        let result = if pause {
            link.control.pause()
        } else {
            link.control.resume()
        };
        let what = if pause {
            "paused (SIGSTOP)"
        } else {
            "resumed (SIGCONT)"
        };
        match result {
            Ok(()) => world
                .trace
                .record(now, format_args!("agent {agent} {what}")),
            Err(e) => world.trace.record(
                now,
                format_args!("agent {agent} not {what}: {}", crate::error::chain(&e)),
            ),
        }
    }

    fn stop(&mut self, agent: AgentId) {
        let slot = &mut self.slots[agent];
        if slot.alive {
            slot.alive = false;
            slot.killed = true;
            if let Some(link) = slot.link.as_mut() {
                link.control.kill();
            }
        }
    }
}

impl Effects for Controller {
    fn now_us(&self) -> u64 {
        Controller::now_us(self)
    }

    fn mode(&self) -> Mode {
        Mode::Live
    }

    /// Measured from the process's CPU time over [`CPU_WINDOW_US`](super::CPU_WINDOW_US).
    fn cpu_load(&self, _world: &World, agent: AgentId) -> f64 {
        self.slots.get(agent).map_or(0.0, |s| s.cpu_load)
    }

    /// The process's resident memory.
    fn memory_mb(&self, _world: &World, agent: AgentId) -> f64 {
        self.slots.get(agent).map_or(0.0, |s| s.rss_mb)
    }

    fn schedule(&mut self, at_us: u64, timer: Timer) {
        self.schedule_at(at_us, LiveTimer::World(timer));
    }

    fn is_alive(&self, agent: AgentId) -> bool {
        self.slots[agent].alive
    }

    /// SIGKILL, on purpose: its exit is no error.
    fn kill(&mut self, agent: AgentId) {
        self.stop(agent);
    }

    fn pause(&mut self, world: &mut World, agent: AgentId) {
        self.signal(world, agent, true);
    }

    fn resume(&mut self, world: &mut World, agent: AgentId) {
        self.signal(world, agent, false);
    }

    fn restart(&mut self, world: &mut World, agent: AgentId) {
        if let Err(e) = self.start_agent(world, agent) {
            let now = self.now_us();
            world
                .trace
                .record(now, format_args!("agent {agent} could not restart: {e}"));
        }
    }

    /// A process that cannot start is traced and left `Starting`: the patterns wait only for
    /// agents that can still come up, and the run's errors name it.
    fn spawn(&mut self, world: &mut World, agent: AgentId) {
        while self.slots.len() <= agent {
            self.slots.push(Default::default());
        }
        if let Err(e) = self.start_agent(world, agent) {
            let now = self.now_us();
            world
                .trace
                .record(now, format_args!("agent {agent} did not start: {e}"));
            self.errors
                .push(format!("joining agent {agent} did not start: {e}"));
        }
    }

    /// Killed on purpose (reaped by the reader's close, never reported as an error).
    fn retire(&mut self, agent: AgentId) {
        self.stop(agent);
    }

    fn agent_fault(&mut self, _world: &mut World, agent: AgentId, fault: &Applied, on: bool) {
        let id = fault.index as u32;
        let frame = match (on, &fault.spec.kind) {
            (false, _) => AgentFault::Heal { id },
            (true, FaultKind::CpuSpike { load, .. }) => AgentFault::CpuSpike { id, load: *load },
            (true, FaultKind::MemoryLeak { rate_mb_per_s, .. }) => AgentFault::MemoryLeak {
                id,
                rate_mb_per_s: *rate_mb_per_s,
                limit_mb: MEMORY_LIMIT_MB,
            },
            (true, FaultKind::ErrorRate { rate, .. }) => AgentFault::ErrorRate { id, rate: *rate },
            (true, _) => return,
        };
        self.send_frame(agent, &ToAgent::Fault(frame));
    }

    /// Sends a market change to every running agent and logs it for agents started later.
    fn market(&mut self, event: MarketEvent) {
        let message = ToAgent::Market(event.clone());
        for agent in 0..self.slots.len() {
            self.send_frame(agent, &message);
        }
        self.market_log.push(event);
    }

    /// The network is real: no modelled latency.
    fn link_us(&mut self, _model: &Model, _rng: &mut SimRng, _between_agents: bool) -> u64 {
        0
    }

    fn refuses(&mut self, world: &mut World, a: AgentId, b: AgentId) -> bool {
        if world.core.topology().is_edge(a, b) {
            return false;
        }
        world.dropped += 1;
        let now = self.now_us();
        world.trace.record(
            now,
            format_args!("switch refused a message {a} -> {b}: no such edge"),
        );
        true
    }

    fn send(&mut self, world: &mut World, envelope: Envelope, after_us: u64) {
        match after_us {
            0 => self.deliver(world, envelope),
            _ => {
                let at = self.now_us() + after_us;
                self.schedule_at(at, LiveTimer::Deliver(envelope));
            }
        }
    }

    /// A `Work` frame; a dead agent's work dies with it (the client's timeout reroutes the
    /// task), a paused one holds it, a spiked one does it slowly.
    fn execute(&mut self, world: &mut World, work: Work) {
        let now = self.now_us();
        let (agent, task) = (work.agent, work.task);
        let decided_ms = market_ms(now);
        let trade = match (work.step, world.core.trade_symbol(task)) {
            (Step::Execute, Some(symbol)) => {
                let role = world.core.agents()[agent].role;
                Some(TradeRequest {
                    symbol: symbol.to_owned(),
                    at_ms: decided_ms,
                    position: world.desk.portfolio.strategy_position(role, symbol),
                })
            }
            _ => None,
        };
        self.next_seq += 1;
        let order = WorkOrder {
            work: self.next_seq,
            task,
            step: work.step,
            trade,
        };
        if !self.slots[agent].alive {
            world.blame_killed(Some(task), agent);
        }
        world.blame_held(Some(task), agent);
        world.blame_slowed(task, agent);
        if self.send_frame(agent, &ToAgent::Work(order)) {
            let epoch = self.slots[agent].epoch;
            let key = self.next_seq;
            self.works.insert(
                key,
                PendingWork {
                    work,
                    epoch,
                    decided_ms,
                },
            );
        }
    }

    /// A `Vote` frame to the voter's process. A dead voter never answers: the round's timer
    /// closes the round without it.
    fn cast_vote(&mut self, world: &mut World, agent: AgentId, round: RoundId, symbol: String) {
        let now = self.now_us();
        let role = world.core.agents()[agent].role;
        // One market moment per round: voters asked a few ms apart in wall time would
        // otherwise straddle a bar boundary (bars are 10 ms) and judge different prices.
        let at_ms = *self.round_market_ms.entry(round).or_insert(market_ms(now));
        let trade = TradeRequest {
            position: world.desk.portfolio.strategy_position(role, &symbol),
            symbol,
            at_ms,
        };
        if self.send_frame(agent, &ToAgent::Vote { round, trade }) {
            let epoch = self.slots[agent].epoch;
            self.vote_requests.insert((round, agent), epoch);
        }
    }

    /// Failover after a failure the detector declared: the agents that held the task and are
    /// no longer available died or were paused with its work, which is blamed on the fault
    /// that killed them or the hangs that hold them (the live switch learns of a death only
    /// when the process's pipe closes, which may come after the detector).
    fn failing_over(&mut self, world: &mut World, task: TaskId, attempts: usize) {
        let now = self.now_us();
        world.trace.record(now, format_args!("{task} failed over"));
        let assigned = world.core.ledger().assignments(task);
        let held: Vec<AgentId> = assigned[..attempts.min(assigned.len())]
            .iter()
            .copied()
            .filter(|&a| !world.core.agents()[a].state.is_available())
            .collect();
        for agent in held {
            if !self.slots[agent].alive {
                world.blame_killed(Some(task), agent);
            }
            world.blame_held(Some(task), agent);
        }
    }

    fn ended(&mut self, task: TaskId) {
        for tx in self.ended_waiters.remove(&task).unwrap_or_default() {
            let _ = tx.send(());
        }
    }

    fn decided(&mut self, round: RoundId) {
        self.round_market_ms.remove(&round);
        for tx in self.decided_waiters.remove(&round).unwrap_or_default() {
            let _ = tx.send(());
        }
    }
}
