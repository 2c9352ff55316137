//! The messages of the agent protocol, both directions.
//!
//! The controller is the swarm's switch and its client: agents never talk to each other
//! directly. A message between two agents reaches its receiver as [`ToAgent::Deliver`] (after
//! the controller checked the edge and applied the network's faults) and counts as delivered
//! when the receiver acknowledges it ([`FromAgent::Delivered`]): a dead agent never does, and a
//! paused one only once it runs again, exactly as in mock mode.
//!
//! A conversation:
//!
//! ```text
//! agent → Ready { run, agent, pid }            once, after start-up (the handshake)
//! ctrl  → Deliver { seq, envelope }            agent → Delivered { seq }
//! ctrl  → Work(WorkOrder { work, .. })         agent → WorkDone { work, outcome }
//! ctrl  → Ping { seq }                         agent → Pong { seq }
//! ctrl  → Vote { round, trade }                agent → Voted { round, vote }
//! ctrl  → Fault(..) / Market(..)               (no answer; Market also on a restart)
//! ctrl  → Shutdown, or closes stdin            agent exits
//! ```

use serde::{Deserialize, Serialize};
use swarm_test_spec::Regime;

use crate::core::{Envelope, RoundId, Step, TaskId, Vote};
use crate::market::Intent;
use crate::topology::AgentId;

/// Controller → agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToAgent {
    /// A message reached this agent; acknowledge it with [`FromAgent::Delivered`].
    Deliver {
        /// Acknowledgement id, unique per agent process.
        seq: u64,
        /// The message.
        envelope: Envelope,
    },
    /// Do one step of a task.
    Work(WorkOrder),
    /// A heartbeat; answer with [`FromAgent::Pong`].
    Ping {
        /// Echoed back.
        seq: u64,
    },
    /// Cast a vote in a consensus round: the agent decides what its role would do about the
    /// trade now (the same logic as a mock-mode voter) and answers with [`FromAgent::Voted`].
    Vote {
        /// The round, echoed back.
        round: RoundId,
        /// The trade put to the vote, as a decision request.
        trade: TradeRequest,
    },
    /// Start or stop a fault inside the agent.
    Fault(AgentFault),
    /// The market changed (a volatility shock or its end); agents keep their own copy.
    Market(MarketEvent),
    /// Exit now.
    Shutdown,
}

/// One step of a task for an agent to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// Id echoed in [`FromAgent::WorkDone`].
    pub work: u64,
    /// The task.
    pub task: TaskId,
    /// Which part of it.
    pub step: Step,
    /// For the execution step of a trade: what to decide on.
    pub trade: Option<TradeRequest>,
}

/// What a trading agent decides on: a symbol at a market time, knowing its strategy's position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeRequest {
    /// The instrument.
    pub symbol: String,
    /// Market time of the decision, ms.
    pub at_ms: u64,
    /// The agent's strategy's current position in `symbol`, shares (the desk keeps the book).
    pub position: i64,
}

/// A fault carried out inside an agent process. `id` pairs a start with its [`AgentFault::Heal`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentFault {
    /// Burn CPU: busy `load` of every 10 ms period (a duty cycle), until healed.
    CpuSpike {
        /// Pairs with `Heal`.
        id: u32,
        /// Share of one core, 0..=1.
        load: f64,
    },
    /// Allocate and touch memory at `rate_mb_per_s`, up to `limit_mb` in all; healing stops the
    /// growth but keeps what leaked (as in mock mode).
    MemoryLeak {
        /// Pairs with `Heal`.
        id: u32,
        /// MB per second.
        rate_mb_per_s: f64,
        /// Most MB to allocate.
        limit_mb: f64,
    },
    /// Answer each step of work (an execution or a pipeline stage, not a plain forward) with
    /// an error with probability `rate`, as mock mode does.
    ErrorRate {
        /// Pairs with `Heal`.
        id: u32,
        /// 0..=1.
        rate: f64,
    },
    /// End fault `id`.
    Heal {
        /// Which one.
        id: u32,
    },
}

/// A change of the market that agents must mirror: each agent decides on its own copy of the
/// market, so every change the controller makes to its desk's market is sent to every agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketEvent {
    /// `Swarm::set_regime`: prices follow `regime` (at its documented σ) from market time
    /// `at_ms` on. Replayed bars are not affected.
    Regime {
        /// Market time, ms.
        at_ms: u64,
        /// The regime from then on.
        regime: Regime,
    },
    /// `volatility(level)` from market time `at_ms` on.
    Shock {
        /// Pairs with `Calm`.
        id: u32,
        /// Market time, ms.
        at_ms: u64,
        /// 0..=1.
        level: f64,
    },
    /// Shock `id` ends at `at_ms`: the regime before it comes back.
    Calm {
        /// Which shock.
        id: u32,
        /// Market time, ms.
        at_ms: u64,
    },
}

/// Agent → controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromAgent {
    /// The handshake: the agent is up. `run` must match the run's token.
    Ready {
        /// The run token from the agent's environment.
        run: String,
        /// Which agent it is.
        agent: AgentId,
        /// Its OS process id (inside its sandbox, for remote backends).
        pid: u32,
    },
    /// A [`ToAgent::Deliver`] arrived.
    Delivered {
        /// Its `seq`.
        seq: u64,
    },
    /// A [`ToAgent::Work`] is done.
    WorkDone {
        /// Its `work` id.
        work: u64,
        /// What came of it.
        outcome: WorkOutcome,
    },
    /// Answer to a [`ToAgent::Ping`].
    Pong {
        /// Its `seq`.
        seq: u64,
    },
    /// Answer to a [`ToAgent::Vote`].
    Voted {
        /// Its `round`.
        round: RoundId,
        /// The agent's vote.
        vote: Vote,
    },
    /// The agent cannot go on (bad configuration, a frame it could not read); it exits next.
    Failed {
        /// Why, in words a user can act on.
        message: String,
    },
}

/// What an agent's work came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkOutcome {
    /// Done; for a trade, the agent's decision.
    Done {
        /// The decision, for a trade's execution step.
        decision: Option<Intent>,
    },
    /// The agent answered with an error (the controller retries elsewhere).
    Error {
        /// What it said.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Endpoint, Hop, Message};
    use crate::market::HoldReason;
    use crate::wire::{encode, Decoder};

    #[test]
    fn every_message_round_trips() {
        let to = vec![
            ToAgent::Deliver {
                seq: 1,
                envelope: Envelope {
                    from: Endpoint::Client,
                    to: Endpoint::Agent(2),
                    msg: Message::Task {
                        task: TaskId(7),
                        plan: vec![Hop {
                            agent: 2,
                            step: Step::Execute,
                        }]
                        .into(),
                        hop: 0,
                    },
                },
            },
            ToAgent::Work(WorkOrder {
                work: 3,
                task: TaskId(7),
                step: Step::Execute,
                trade: Some(TradeRequest {
                    symbol: "SPY".into(),
                    at_ms: 2_000,
                    position: -5,
                }),
            }),
            ToAgent::Ping { seq: 9 },
            ToAgent::Fault(AgentFault::CpuSpike { id: 0, load: 0.9 }),
            ToAgent::Fault(AgentFault::Heal { id: 0 }),
            ToAgent::Market(MarketEvent::Shock {
                id: 1,
                at_ms: 10,
                level: 0.85,
            }),
            ToAgent::Market(MarketEvent::Calm { id: 1, at_ms: 20 }),
            ToAgent::Market(MarketEvent::Regime {
                at_ms: 30,
                regime: Regime::Crash,
            }),
            ToAgent::Shutdown,
        ];
        let from = vec![
            FromAgent::Ready {
                run: "r".into(),
                agent: 1,
                pid: 42,
            },
            FromAgent::WorkDone {
                work: 3,
                outcome: WorkOutcome::Done {
                    decision: Some(Intent::Hold(HoldReason::NotEnoughHistory {
                        have: 1,
                        need: 20,
                    })),
                },
            },
            FromAgent::WorkDone {
                work: 4,
                outcome: WorkOutcome::Error {
                    message: "injected".into(),
                },
            },
        ];
        let mut d = Decoder::new("agent 1");
        for m in &to {
            d.push(&encode(m).unwrap());
        }
        for m in &to {
            assert_eq!(d.next_frame::<ToAgent>().unwrap().as_ref(), Some(m));
        }
        for m in &from {
            d.push(&encode(m).unwrap());
        }
        for m in &from {
            assert_eq!(d.next_frame::<FromAgent>().unwrap().as_ref(), Some(m));
        }
    }

    #[test]
    fn a_message_of_the_wrong_direction_is_malformed() {
        let mut d = Decoder::new("agent 8");
        d.push(&encode(&ToAgent::Shutdown).unwrap());
        let e = d.next_frame::<FromAgent>().unwrap_err().to_string();
        assert!(
            e.starts_with("agent 8 sent frame #0 that is not a valid message"),
            "{e}"
        );
    }
}
