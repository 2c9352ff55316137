//! The agent protocol: versioned, length-prefixed frames carrying serde messages.
//!
//! One duplex byte stream per agent (a local process's stdin/stdout, or a process in a remote
//! sandbox), the same for every live backend. [`frame`] is the framing and its errors;
//! [`message`] is what the controller and an agent say to each other.
//!
//! Nothing here panics on input: a malformed, oversized, truncated or unexpected frame is a
//! [`WireError`] that names the agent and the frame (its index in the agent's stream).

pub mod frame;
pub mod message;

pub use frame::{
    encode, Decoder, EncodeError, WireError, HEADER_LEN, MAGIC, MAX_FRAME, MAX_PREAMBLE, VERSION,
};
pub use message::{
    AgentFault, FromAgent, MarketEvent, ToAgent, TradeRequest, WorkOrder, WorkOutcome,
};
