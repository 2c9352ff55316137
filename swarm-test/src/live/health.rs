//! Heartbeats and resource usage: the controller pings every agent each [`TICK_US`], measures
//! the round trips, names agents that stop answering, and samples each agent's CPU time and
//! resident memory from the backend (killing an agent whose memory reaches the limit, as the
//! mock model does). Also the live run's view for the report.

use std::time::Instant;

use swarm_test_spec::FaultSpec;
use tokio::sync::oneshot;

use super::state::{market_ms, State, CPU_WINDOW_US, MISSED_HEARTBEATS, TICK_US};
use crate::core::Core;
use crate::sim::FaultOutcome;
use crate::topology::AgentId;
use crate::wire::ToAgent;

impl State {
    /// Heartbeats and resource sampling.
    pub(crate) fn tick(&mut self) {
        let now = self.now_us();
        for agent in 0..self.slots.len() {
            if !self.slots[agent].alive {
                continue;
            }
            self.next_seq += 1;
            let seq = self.next_seq;
            self.pings.insert(seq, (agent, Instant::now()));
            self.send(agent, &ToAgent::Ping { seq });
            let slot = &mut self.slots[agent];
            if slot.ready
                && !slot.missing
                && now.saturating_sub(slot.last_seen_us) > MISSED_HEARTBEATS * TICK_US
            {
                slot.missing = true;
                self.trace.record(
                    now,
                    format_args!("agent {agent} missed {MISSED_HEARTBEATS} heartbeats"),
                );
            }
            self.sample(agent, now);
        }
        // Forget pings that will never be answered (dead or paused agents).
        let horizon = std::time::Duration::from_micros(10 * TICK_US);
        self.pings.retain(|_, (_, sent)| sent.elapsed() < horizon);
        let pings = &self.pings;
        self.pong_waiters.retain(|seq, _| pings.contains_key(seq));
    }

    fn sample(&mut self, agent: AgentId, now: u64) {
        let slot = &mut self.slots[agent];
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
        if usage.rss_mb >= crate::sim::MEMORY_LIMIT_MB {
            let limit = crate::sim::MEMORY_LIMIT_MB;
            self.kill(agent, &format!("killed: memory reached {limit} MB"));
        }
    }

    /// Pings `agent` now; the receiver gets the round trip, µs, when the pong arrives.
    pub(crate) fn ping(&mut self, agent: AgentId) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        self.next_seq += 1;
        let seq = self.next_seq;
        self.pings.insert(seq, (agent, Instant::now()));
        if self.send(agent, &ToAgent::Ping { seq }) {
            self.pong_waiters.insert(seq, tx);
        }
        rx
    }
}

impl crate::metrics::Measured for State {
    fn mode(&self) -> crate::config::Mode {
        crate::config::Mode::Live
    }
    fn trades_report(&mut self) -> crate::market::TradesReport {
        let now = self.now_us();
        self.desk.report(market_ms(now)).rounded()
    }
    fn core(&self) -> &Core {
        &self.core
    }
    fn ready_at_us(&self) -> Option<u64> {
        self.ready_at_us
    }
    fn fault_specs(&self) -> &[FaultSpec] {
        &self.faults
    }
    fn fault_outcomes(&self) -> &[FaultOutcome] {
        &self.outcomes
    }
    fn now_us(&self) -> u64 {
        State::now_us(self)
    }
    fn cpu_load(&self, agent: AgentId) -> f64 {
        self.slots[agent].cpu_load
    }
    fn memory_mb(&self, agent: AgentId) -> f64 {
        self.slots[agent].rss_mb
    }
    fn dropped(&self) -> u64 {
        self.dropped
    }
}
