//! The lines of the agent protocol (`PROTOCOL.md`) as serde types.
//!
//! [`Request`]s go from the framework to the program, one JSON object per line; the program's
//! [`Answer`]s come back through [`decode_answer`](super::decode_answer), which checks them
//! against the outstanding request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The protocol version this framework speaks (`PROTOCOL.md`, "Versions"). The default value
/// is 1.
pub const PROTOCOL_VERSION: u32 = 1;

/// Who the agent is, stated in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// The agent's id in the swarm.
    pub id: u64,
    /// Its role name.
    pub role: String,
    /// The agents it may send messages to (its topology edges), ascending.
    pub neighbours: Vec<u64>,
}

/// One symbol's market data in a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The price now.
    pub mid: f64,
    /// The last mid prices, one per bar, oldest first, ending with `mid`.
    pub history: Vec<f64>,
}

/// The market data of a request: one [`Quote`] per symbol, in symbol order.
pub type Market = BTreeMap<String, Quote>;

/// What a vote request asks about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalInfo {
    /// The symbol the proposal would trade.
    pub symbol: String,
}

/// A line from the framework to the program.
///
/// ```
/// use swarm_test::internals::program::Request;
///
/// let line = Request::Timer { id: 6, now_ms: 700, tag: "rebalance".into() }.to_line();
/// assert_eq!(line, "{\"type\":\"timer\",\"id\":6,\"now_ms\":700,\"tag\":\"rebalance\"}\n");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// The handshake: the framework's version and the agent's id.
    Hello {
        /// Request id.
        id: u64,
        /// The framework's protocol version.
        protocol: u32,
        /// The agent's id in the swarm.
        agent: u64,
    },
    /// The run starts: who the agent is in it, its seed and the market.
    Start {
        /// Request id.
        id: u64,
        /// Run time, ms.
        now_ms: u64,
        /// The agent.
        agent: AgentInfo,
        /// The agent's own seed.
        seed: u64,
        /// Market data.
        market: Market,
    },
    /// A trade task reached the agent.
    Trade {
        /// Request id.
        id: u64,
        /// Run time, ms.
        now_ms: u64,
        /// The task's symbol.
        symbol: String,
        /// Market data.
        market: Market,
        /// The agent's signed quantity per symbol (missing = 0).
        position: BTreeMap<String, i64>,
    },
    /// A consensus round asks the agent's vote.
    Vote {
        /// Request id.
        id: u64,
        /// Run time, ms.
        now_ms: u64,
        /// What is proposed.
        proposal: ProposalInfo,
        /// Market data.
        market: Market,
    },
    /// A neighbour's message.
    Message {
        /// Request id.
        id: u64,
        /// Run time, ms.
        now_ms: u64,
        /// The sender.
        from: u64,
        /// What it sent.
        payload: serde_json::Value,
    },
    /// A timer the program set fired.
    Timer {
        /// Request id.
        id: u64,
        /// Run time, ms.
        now_ms: u64,
        /// The tag the program gave it.
        tag: String,
    },
    /// The run ends.
    Stop {
        /// Request id.
        id: u64,
        /// Run time, ms.
        now_ms: u64,
    },
    /// The program should exit; no answer.
    Shutdown,
}

impl Request {
    /// The request's id, `None` for [`Request::Shutdown`] (which has no answer).
    pub fn id(&self) -> Option<u64> {
        match self {
            Request::Hello { id, .. }
            | Request::Start { id, .. }
            | Request::Trade { id, .. }
            | Request::Vote { id, .. }
            | Request::Message { id, .. }
            | Request::Timer { id, .. }
            | Request::Stop { id, .. } => Some(*id),
            Request::Shutdown => None,
        }
    }

    /// The request's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::Start { .. } => "start",
            Request::Trade { .. } => "trade",
            Request::Vote { .. } => "vote",
            Request::Message { .. } => "message",
            Request::Timer { .. } => "timer",
            Request::Stop { .. } => "stop",
            Request::Shutdown => "shutdown",
        }
    }

    /// The line to write: compact JSON and `\n`.
    pub fn to_line(&self) -> String {
        // Serializing these types cannot fail: every map key is a string and every float is
        // finite or becomes `null`.
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }
}

/// A message to a neighbour, carried by an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendEffect {
    /// The neighbour.
    pub to: u64,
    /// What to send.
    pub payload: serde_json::Value,
}

/// A timer to set, carried by an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerEffect {
    /// When it fires, ms after the request's `now_ms`.
    pub after_ms: u64,
    /// What the `timer` request will carry.
    pub tag: String,
}

/// What an answer asks the framework to do besides answering: messages and timers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Effects {
    /// Messages to neighbours, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub send: Vec<SendEffect>,
    /// Timers to set, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timers: Vec<TimerEffect>,
}

/// What a `decision` says to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Buy `quantity` of `symbol` (the request's symbol when `None`), at `limit` or better.
    Buy {
        /// The symbol, if not the request's.
        symbol: Option<String>,
        /// How many, ≥ 1.
        quantity: u64,
        /// The limit price; a market order without it.
        limit: Option<f64>,
    },
    /// Sell, as [`Action::Buy`].
    Sell {
        /// The symbol, if not the request's.
        symbol: Option<String>,
        /// How many, ≥ 1.
        quantity: u64,
        /// The limit price; a market order without it.
        limit: Option<f64>,
    },
    /// Do nothing.
    Hold,
}

/// A vote's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
    /// Do nothing.
    Hold,
}

/// A line from the program, checked against the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The handshake's answer.
    Ready {
        /// The request it answers.
        id: u64,
        /// The program's protocol version (equal to [`PROTOCOL_VERSION`] once decoded).
        protocol: u32,
        /// What the router matches tasks against.
        capabilities: Vec<String>,
    },
    /// A trade request's answer.
    Decision {
        /// The request it answers.
        id: u64,
        /// What to do.
        action: Action,
        /// Messages and timers.
        effects: Effects,
    },
    /// A vote request's answer.
    Ballot {
        /// The request it answers.
        id: u64,
        /// The vote.
        vote: Ballot,
        /// Messages and timers.
        effects: Effects,
    },
    /// The answer to start, message, timer and stop.
    Done {
        /// The request it answers.
        id: u64,
        /// Messages and timers.
        effects: Effects,
    },
    /// The agent's own error: for a trade, a failed task with this message.
    Error {
        /// The request it answers.
        id: u64,
        /// What went wrong, in the program's words.
        message: String,
        /// Messages and timers.
        effects: Effects,
    },
}

impl Answer {
    /// The id of the request it answers.
    pub fn id(&self) -> u64 {
        match self {
            Answer::Ready { id, .. }
            | Answer::Decision { id, .. }
            | Answer::Ballot { id, .. }
            | Answer::Done { id, .. }
            | Answer::Error { id, .. } => *id,
        }
    }

    /// The answer's messages and timers (none for `ready`).
    pub fn effects(&self) -> Effects {
        match self {
            Answer::Ready { .. } => Effects::default(),
            Answer::Decision { effects, .. }
            | Answer::Ballot { effects, .. }
            | Answer::Done { effects, .. }
            | Answer::Error { effects, .. } => effects.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of `PROTOCOL.md` are what these types write.
    #[test]
    fn requests_serialize_as_the_protocol_document_shows() {
        let hello = Request::Hello {
            id: 1,
            protocol: PROTOCOL_VERSION,
            agent: 3,
        };
        let start = Request::Start {
            id: 2,
            now_ms: 0,
            agent: AgentInfo {
                id: 3,
                role: "generic_trader".into(),
                neighbours: vec![2, 4],
            },
            seed: 7,
            market: [(
                "SPY".to_owned(),
                Quote {
                    mid: 412.31,
                    history: vec![412.31],
                },
            )]
            .into(),
        };
        let doc = include_str!("../../../PROTOCOL.md");
        let line = hello.to_line();
        assert!(doc.contains(line.trim_end()), "{line}");
        let start = start.to_line();
        assert!(doc.contains(start.trim_end()), "{start}");
        let stop = Request::Stop {
            id: 9,
            now_ms: 1500,
        }
        .to_line();
        assert!(doc.contains(stop.trim_end()), "{stop}");
        let shutdown = Request::Shutdown.to_line();
        assert!(doc.contains(shutdown.trim_end()), "{shutdown}");
        let back: Request = serde_json::from_str(&line).unwrap();
        assert_eq!(back, hello);
        assert_eq!(hello.id(), Some(1));
        assert_eq!(Request::Shutdown.id(), None);
    }
}
