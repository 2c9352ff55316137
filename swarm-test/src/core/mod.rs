//! The sans-IO coordination core: agents, tasks, routing strategies, heartbeats and failure
//! detection, failover and promotion, circuit breakers, consensus, and the exactly-once
//! ledger.
//!
//! Nothing here reads a clock, sleeps or does I/O; drivers (`crate::sim` in mock mode) feed it
//! timestamped inputs and carry out its outputs.

mod agent;
mod breaker;
pub mod consensus;
mod coordinator;
mod failover;
pub mod health;
mod index;
mod ledger;
mod outcomes;
mod planner;
mod planted;
mod routing;
mod task;
mod voting;

pub use agent::{
    roles_for, AgentRecord, AgentState, DEGRADED_CPU, DEGRADED_ERROR_RATE, EWMA_WEIGHT,
};
pub use breaker::{
    Admit, Breaker, BreakerConfig, BreakerState, Transition, BREAKER_COOL_DOWN_US, BREAKER_FAILURES,
};
pub use consensus::{
    tally, Proposal, RoundId, RoundOutcome, Vote, DEFAULT_THRESHOLD, MIN_VOTERS, VOTE_TIMEOUT_US,
};
pub use coordinator::{
    Core, Endpoint, Envelope, Hop, Message, Output, Step, WorkResult, MAX_ATTEMPTS,
    TASK_TIMEOUT_US, TIMEOUT_PER_HOP_US,
};
pub use health::{Detector, HealthEvent, Heard, FAILURE_TIMEOUT_US, HEARTBEAT_INTERVAL_US};
pub use ledger::{Audit, Ending, Ledger};
pub use routing::{adaptive_score, router_for, Adaptive, LeastLoaded, RoundRobin, Router};
pub use task::{Task, TaskId, TaskKind};
