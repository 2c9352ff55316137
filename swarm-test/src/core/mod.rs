//! The sans-IO coordination core: agents, tasks, routing and the exactly-once ledger.
//!
//! Nothing here reads a clock, sleeps or does I/O; drivers (`crate::sim` in mock mode) feed it
//! timestamped inputs and carry out its outputs.

mod agent;
mod coordinator;
mod ledger;
mod routing;
mod task;

pub use agent::{roles_for, Agent, AgentState};
pub use coordinator::{
    Core, Endpoint, Envelope, Hop, Message, Output, Step, WorkResult, MAX_ATTEMPTS,
    TASK_TIMEOUT_US, TIMEOUT_PER_HOP_US,
};
pub use ledger::{Audit, Ending, Ledger};
pub use routing::{router_for, RoundRobin, Router};
pub use task::{Task, TaskId, TaskKind};
