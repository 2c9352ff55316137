//! Agent programs in any language: external processes that speak the agent protocol of
//! `PROTOCOL.md` (newline-delimited JSON over stdin/stdout) and act as agents of the swarm.
//!
//! - [`message`]: the protocol's lines as serde types, and their encoding.
//! - [`decode`]: one line from a program into an answer, or a precise [`ProtocolError`].
//! - [`child`]: a running program process, asked one request at a time.
//! - [`agent`]: [`ProgramAgent`], the [`Agent`](crate::Agent) that forwards each hook to a program.
//!
//! The first two are sans-IO: they turn bytes into values and back, and never touch a process.

pub mod agent;
pub mod child;
pub mod decode;
pub mod message;

pub use agent::ProgramAgent;
pub use decode::{decode_answer, Expected, ProtocolError};
pub use message::{
    Action, AgentInfo, Answer, Ballot, Effects, Market, ProposalInfo, Quote, Request, SendEffect,
    TimerEffect, PROTOCOL_VERSION,
};
