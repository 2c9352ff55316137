//! What the core and its driver exchange: the messages that travel between endpoints, and
//! the outputs the core asks its driver to carry out.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::core::consensus::{RoundId, Vote};
use crate::core::health::HealthEvent;
use crate::core::task::TaskId;
use crate::topology::AgentId;

/// One end of a message: the client that submits tasks (the test harness) or an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// The harness, outside the topology.
    Client,
    /// An agent.
    Agent(AgentId),
}

/// What an agent does with a task when it reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Pass it on to the next agent of the plan.
    Forward,
    /// Do one pipeline stage of work, then pass it on.
    Stage,
    /// Execute the task and send the result back.
    Execute,
}

/// One agent on a task's plan and what it does there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// The agent.
    pub agent: AgentId,
    /// Its part.
    pub step: Step,
}

/// What travels between endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// A task on its way along its plan; `hop` indexes the receiving agent in `plan`.
    Task {
        /// Which task.
        task: TaskId,
        /// The agents it visits, ingress first, executor last.
        plan: Arc<[Hop]>,
        /// The receiver's position in `plan`.
        hop: usize,
    },
    /// A result on its way back to the client along `route` (executor first, ingress last).
    Result {
        /// Which task.
        task: TaskId,
        /// The agent that executed it.
        by: AgentId,
        /// The agents it travels through.
        route: Arc<[AgentId]>,
        /// The receiver's position in `route`.
        hop: usize,
    },
    /// "I am alive": sent to each peer every heartbeat interval.
    Heartbeat {
        /// The sender's incarnation, bumped each time its process restarts.
        incarnation: u32,
        /// The sender's CPU load, 0..=1.
        cpu: f64,
    },
    /// The proposer asks a voter for its vote.
    VoteRequest {
        /// Which round.
        round: RoundId,
        /// The symbol voted on.
        symbol: String,
    },
    /// A voter's answer to the proposer.
    VoteReply {
        /// Which round.
        round: RoundId,
        /// The answer.
        vote: Vote,
    },
}

impl Message {
    /// Whether this is a heartbeat (drivers may treat them as cheap, droppable traffic).
    pub fn is_heartbeat(&self) -> bool {
        matches!(self, Message::Heartbeat { .. })
    }
}

/// A message with its endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Sender.
    pub from: Endpoint,
    /// Receiver.
    pub to: Endpoint,
    /// Payload.
    pub msg: Message,
}

/// What an agent's work on a task came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkResult {
    /// Done.
    Done,
    /// The agent answered with an error; the task will be retried elsewhere.
    Error(String),
}

/// What the core asks its driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Deliver this message (after the link's latency, or never if the network drops it).
    Transmit(Envelope),
    /// Let `agent` do its `step` of `task`, then call [`Core::handle_work_done`](super::Core::handle_work_done).
    Execute {
        /// Who works.
        agent: AgentId,
        /// On what.
        task: TaskId,
        /// Which part.
        step: Step,
        /// The plan, to continue it afterwards.
        plan: Arc<[Hop]>,
        /// Position of `agent` in `plan`.
        hop: usize,
    },
    /// Call [`Core::handle_timeout`](super::Core::handle_timeout) for `task` at `at_us` (if it has not ended by then).
    Timer {
        /// Which task.
        task: TaskId,
        /// When, in microseconds.
        at_us: u64,
    },
    /// The task ended (completed or failed); drivers wake whoever waits on it.
    Ended(TaskId),
    /// Let `agent` decide its vote on `symbol`, then call [`Core::handle_vote_cast`](super::Core::handle_vote_cast).
    CastVote {
        /// The voter.
        agent: AgentId,
        /// The round.
        round: RoundId,
        /// What it votes on.
        symbol: String,
    },
    /// Call [`Core::handle_round_timeout`](super::Core::handle_round_timeout) for `round` at `at_us`.
    RoundTimer {
        /// The round.
        round: RoundId,
        /// When, µs.
        at_us: u64,
    },
    /// The round was decided ([`Core::decision`](super::Core::decision)).
    Decided(RoundId),
    /// Something changed in the swarm's health (for traces and metrics).
    Health(HealthEvent),
    /// Failover rerouted (or, with nowhere to go, failed) `task` because an agent it still
    /// had to pass was declared failed or restarted. `attempts` is how many attempts it had
    /// before, so a driver can tell what the failover did (for metrics).
    FailedOver {
        /// The task.
        task: TaskId,
        /// Its attempts before the failover.
        attempts: usize,
    },
}
