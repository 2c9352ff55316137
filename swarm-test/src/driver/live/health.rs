//! Heartbeats and resource usage: the controller pings every agent each [`TICK_US`], measures
//! the round trips, names agents that stop answering, and samples each agent's CPU time and
//! resident memory from the backend (killing an agent whose memory reaches the limit, as the
//! mock model does). Also the live run's view for the report.
//!
//! The ping of each tick is also the agent's heartbeat timer: when the agent's process answers
//! it, the controller calls [`Core::handle_tick`] for that agent, as the simulator does at each
//! of its timer events, and the heartbeats the core then emits pass the switch (edges,
//! partitions, loss, latency) and reach their receivers' processes like any message. A killed
//! or paused (SIGSTOP) process answers nothing, so it sends no heartbeats, exactly as a dead or
//! hung agent's timer sends nothing in mock mode; its peers stop hearing it and the core's
//! failure detector declares it failed (then promotes a successor if it led others). A
//! heartbeat that a paused receiver acknowledges only after it resumes is stale and dropped,
//! as mock mode drops heartbeats that reach a hung agent.

use std::time::Instant;

use swarm_test_spec::FaultKind;
use tokio::sync::oneshot;

use super::state::{Locked, CPU_WINDOW_US, MISSED_HEARTBEATS, TICK_US};
use crate::topology::AgentId;
use crate::wire::ToAgent;
use crate::world::MEMORY_LIMIT_MB;

impl Locked {
    /// Heartbeats and resource sampling.
    pub(crate) fn tick(&mut self) {
        let now = self.now_us();
        for agent in 0..self.io.slots.len() {
            if !self.io.slots[agent].alive {
                continue;
            }
            self.io.next_seq += 1;
            let seq = self.io.next_seq;
            self.io.pings.insert(seq, (agent, Instant::now()));
            self.io.send_frame(agent, &ToAgent::Ping { seq });
            if self.io.slots[agent].ready {
                if self.io.slots[agent].tick_ping.is_some() {
                    self.note_silence(agent);
                }
                self.io.slots[agent].tick_ping = Some(seq);
            }
            let slot = &mut self.io.slots[agent];
            if slot.ready
                && !slot.missing
                && now.saturating_sub(slot.last_seen_us) > MISSED_HEARTBEATS * TICK_US
            {
                slot.missing = true;
                self.world.trace.record(
                    now,
                    format_args!("agent {agent} missed {MISSED_HEARTBEATS} heartbeats"),
                );
            }
            self.sample(agent, now);
        }
        // Forget pings that will never be answered (dead or paused agents).
        let horizon = std::time::Duration::from_micros(10 * TICK_US);
        self.io
            .pings
            .retain(|_, (_, sent)| sent.elapsed() < horizon);
        let pings = &self.io.pings;
        self.io
            .pong_waiters
            .retain(|seq, _| pings.contains_key(seq));
    }

    /// `agent`'s process answered this tick's ping: its heartbeat timer fires (see the module
    /// docs). The incarnation is the restart count, as in mock mode.
    pub(crate) fn heartbeat(&mut self, agent: AgentId) {
        let now = self.now_us();
        let slot = &mut self.io.slots[agent];
        slot.tick_ping = None;
        let incarnation = slot.epoch.saturating_sub(1);
        let cpu = slot.cpu_load.clamp(0.0, 1.0);
        self.world.core.handle_tick(now, agent, incarnation, cpu);
    }

    /// `agent`'s process left a tick's ping unanswered: it went silent (once per silence).
    /// When a hang fault paused it, the silence began with the fault; otherwise with the last
    /// frame heard from it.
    fn note_silence(&mut self, agent: AgentId) {
        let slot = &self.io.slots[agent];
        if self.world.went_silent[agent]
            .last()
            .is_some_and(|&t| t >= slot.last_seen_us)
        {
            return;
        }
        let paused = self
            .world
            .active
            .iter()
            .filter(|f| f.targets.contains(&agent) && matches!(f.spec.kind, FaultKind::Hang { .. }))
            .map(|f| f.at_us)
            .max();
        let since = paused.unwrap_or(slot.last_seen_us).max(slot.last_seen_us);
        self.world.went_silent[agent].push(since);
    }

    fn sample(&mut self, agent: AgentId, now: u64) {
        let slot = &mut self.io.slots[agent];
        let Some(usage) = slot.link.as_mut().and_then(|l| l.control.usage()) else {
            return;
        };
        slot.rss_mb = usage.rss_mb;
        slot.cpu_samples.push_back((now, usage.cpu_s));
        while slot.cpu_samples.len() > 2 && now - slot.cpu_samples[1].0 >= CPU_WINDOW_US {
            slot.cpu_samples.pop_front();
        }
        if let (Some(&(t0, c0)), Some(&(t1, c1))) =
            (slot.cpu_samples.front(), slot.cpu_samples.back())
        {
            if t1 > t0 {
                slot.cpu_load = ((c1 - c0) / ((t1 - t0) as f64 / 1e6)).max(0.0);
            }
        }
        if usage.rss_mb >= MEMORY_LIMIT_MB {
            self.world.out_of_memory(&mut self.io, agent);
        }
    }

    /// Pings `agent` now; the receiver gets the round trip, µs, when the pong arrives.
    pub(crate) fn ping(&mut self, agent: AgentId) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        self.io.next_seq += 1;
        let seq = self.io.next_seq;
        self.io.pings.insert(seq, (agent, Instant::now()));
        if self.io.send_frame(agent, &ToAgent::Ping { seq }) {
            self.io.pong_waiters.insert(seq, tx);
        }
        rx
    }
}
