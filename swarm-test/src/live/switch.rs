//! The switch: every message between endpoints passes here. A message between two agents
//! goes only along a topology edge; partitions and packet loss drop it, latency faults hold it
//! (`delay + U(0, jitter)`, from the run's seeded network RNG), then it reaches its receiver's
//! process as a `Deliver` frame. Results for the client are delivered to the core directly (the
//! controller is the client). A message for a dead agent is dropped and counted.

use crate::core::{Endpoint, Envelope};
use crate::sim::{delays, loses, task_of};
use crate::wire::ToAgent;

use super::state::{State, Timer};

impl State {
    /// The switch: edge check, partition, loss and extra latency, then delivery.
    pub(crate) fn transmit(&mut self, envelope: Envelope) {
        let now = self.now_us();
        let n = self.slots.len();
        let task = task_of(&envelope.msg);
        if let (Endpoint::Agent(a), Endpoint::Agent(b)) = (envelope.from, envelope.to) {
            if !self.core.topology().is_edge(a, b) {
                self.dropped += 1;
                self.trace.record(
                    now,
                    format_args!("switch refused a message {a} -> {b}: no such edge"),
                );
                return;
            }
            let cut = self.active.separating(a, b, n);
            if !cut.is_empty() {
                self.blame(task, cut);
                self.dropped += 1;
                self.trace
                    .record(now, format_args!("partition dropped a message {a} -> {b}"));
                return;
            }
        }
        let loss = self.active.loss();
        if loss > 0.0 && self.net_rng.chance(loss) {
            self.blame(task, self.active.blame(None, loses));
            self.dropped += 1;
            self.trace.record(
                now,
                format_args!(
                    "packet loss dropped a message {:?} -> {:?}",
                    envelope.from, envelope.to
                ),
            );
            return;
        }
        let (delay, jitter) = self.active.extra_delay_us();
        let extra = delay
            + if jitter > 0 {
                self.net_rng.below(jitter + 1)
            } else {
                0
            };
        if extra > 0 {
            self.blame(task, self.active.blame(None, delays));
            self.schedule_at(now + extra, Timer::Deliver(envelope));
        } else {
            self.deliver(envelope);
        }
    }

    pub(crate) fn deliver(&mut self, envelope: Envelope) {
        let now = self.now_us();
        let Endpoint::Agent(agent) = envelope.to else {
            self.delivered += 1;
            self.core.handle_delivery(now, envelope);
            return;
        };
        self.next_seq += 1;
        let seq = self.next_seq;
        let message = ToAgent::Deliver {
            seq,
            envelope: envelope.clone(),
        };
        self.blame_held(task_of(&envelope.msg), agent);
        if self.send(agent, &message) {
            let epoch = self.slots[agent].epoch;
            self.deliveries.insert(seq, (agent, epoch, envelope, now));
        } else {
            self.blame_stalled(task_of(&envelope.msg), agent);
            self.dropped += 1;
            self.trace
                .record(now, format_args!("message to dead agent {agent} dropped"));
        }
    }
}
