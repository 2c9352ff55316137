//! One line from an agent program into an [`Answer`], or a [`ProtocolError`] that names the
//! line and what was expected (`PROTOCOL.md`, "Violations").
//!
//! The decoder is a pure function of the line and the outstanding request ([`Expected`]), so
//! it can be fuzzed and tested without a process.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::message::{Action, Answer, Ballot, Effects, Request, PROTOCOL_VERSION};

/// The longest line a program may write, in bytes (`PROTOCOL.md`, "Framing"). The default
/// value is 1 MiB.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How much of an offending line an error quotes, in characters. The default value is 200.
const QUOTE_CHARS: usize = 200;

/// The request an answer must answer: its id, type and what it was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The outstanding request's id, `None` when nothing is outstanding.
    pub id: Option<u64>,
    /// Its `type` (`"trade"`, …).
    pub request: &'static str,
    /// A word on what it was about (`"SPY"`), possibly empty.
    pub about: String,
}

impl Expected {
    /// What answers `request`.
    pub fn answering(request: &Request) -> Expected {
        let about = match request {
            Request::Trade { symbol, .. } => symbol.clone(),
            Request::Vote { proposal, .. } => proposal.symbol.clone(),
            Request::Message { from, .. } => format!("from agent {from}"),
            Request::Timer { tag, .. } => format!("`{tag}`"),
            _ => String::new(),
        };
        Expected {
            id: request.id(),
            request: request.kind(),
            about,
        }
    }

    /// Nothing is outstanding: any line is unsolicited.
    pub fn nothing() -> Expected {
        Expected {
            id: None,
            request: "none",
            about: String::new(),
        }
    }

    /// The answer types that may answer this request.
    pub fn answer_types(&self) -> &'static [&'static str] {
        match self.request {
            "hello" => &["ready"],
            "trade" => &["decision", "error"],
            "vote" => &["ballot", "error"],
            "none" | "shutdown" => &[],
            _ => &["done", "error"],
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(id) = self.id else {
            return f.write_str("no line (no request is outstanding)");
        };
        let types: Vec<String> = self
            .answer_types()
            .iter()
            .map(|t| format!("`{t}`"))
            .collect();
        write!(f, "{} with \"id\":{id} answering ", types.join(" or "))?;
        write!(f, "request {id} ({}", self.request)?;
        if !self.about.is_empty() {
            write!(f, " {}", self.about)?;
        }
        f.write_str(")")?;
        if self.request == "hello" {
            write!(f, " with \"protocol\":{PROTOCOL_VERSION}")?;
        }
        Ok(())
    }
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// Not JSON.
    #[error("bad JSON ({0})")]
    BadJson(String),
    /// JSON, but not an object with a string `type`.
    #[error("not a JSON object with a string \"type\"")]
    NoType,
    /// A `type` the protocol does not have.
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    /// A known answer type that does not answer the outstanding request.
    #[error("a `{0}` does not answer this request")]
    WrongAnswer(String),
    /// An answer to another request.
    #[error("answers request {got}, not the outstanding one")]
    WrongId {
        /// The id the line carries.
        got: String,
    },
    /// `ready` with another protocol version.
    #[error("wrong protocol version {got} (this framework speaks {PROTOCOL_VERSION})")]
    WrongVersion {
        /// The version the program stated.
        got: String,
    },
    /// A missing or wrongly typed field.
    #[error("bad field: {0}")]
    BadField(String),
    /// A line while no request is outstanding.
    #[error("a line while no request is outstanding")]
    Unsolicited,
    /// A line over [`MAX_LINE_BYTES`].
    #[error("a line of {0} bytes, over the limit of {MAX_LINE_BYTES}")]
    TooLong(usize),
}

/// A line that breaks the protocol: which line, what it said, what is wrong and what was
/// expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} `{text}`: {violation}; expected {expected}")]
pub struct ProtocolError {
    /// The line's number on the program's stdout, from 1.
    pub line: u64,
    /// The line (its first characters, if long).
    pub text: String,
    /// What is wrong.
    pub violation: Violation,
    /// What was expected.
    pub expected: Expected,
}

/// Decodes line number `line_no` (without its `\n`) as the answer to `expected`.
///
/// ```
/// use swarm_test::internals::program::{decode_answer, Answer, Expected, Request};
///
/// let stop = Request::Stop { id: 9, now_ms: 1500 };
/// let answer = decode_answer(4, r#"{"type":"done","id":9}"#, &Expected::answering(&stop))?;
/// assert!(matches!(answer, Answer::Done { id: 9, .. }));
///
/// let err = decode_answer(5, "{oops", &Expected::answering(&stop)).unwrap_err();
/// assert!(err.to_string().starts_with("line 5 `{oops`: bad JSON"), "{err}");
/// # Ok::<(), swarm_test::internals::program::ProtocolError>(())
/// ```
pub fn decode_answer(
    line_no: u64,
    line: &str,
    expected: &Expected,
) -> Result<Answer, ProtocolError> {
    let fail = |violation: Violation| ProtocolError {
        line: line_no,
        text: quote(line),
        violation,
        expected: expected.clone(),
    };
    if line.len() > MAX_LINE_BYTES {
        return Err(fail(Violation::TooLong(line.len())));
    }
    let value: Value =
        serde_json::from_str(line).map_err(|e| fail(Violation::BadJson(e.to_string())))?;
    let Value::Object(object) = value else {
        return Err(fail(Violation::NoType));
    };
    let Some(Value::String(kind)) = object.get("type") else {
        return Err(fail(Violation::NoType));
    };
    let kind = kind.clone();
    if !ANSWER_TYPES.contains(&kind.as_str()) {
        return Err(fail(Violation::UnknownType(kind)));
    }
    let Some(want) = expected.id else {
        return Err(fail(Violation::Unsolicited));
    };
    match object.get("id") {
        Some(Value::Number(n)) if n.as_u64() == Some(want) => {}
        Some(other) => {
            return Err(fail(Violation::WrongId {
                got: other.to_string(),
            }))
        }
        None => return Err(fail(Violation::BadField("missing field `id`".into()))),
    }
    if !expected.answer_types().contains(&kind.as_str()) {
        return Err(fail(Violation::WrongAnswer(kind)));
    }
    typed(want, &kind, object).map_err(fail)
}

/// Every answer type of the protocol.
const ANSWER_TYPES: [&str; 5] = ["ready", "decision", "ballot", "done", "error"];

#[derive(Deserialize)]
struct ReadyLine {
    protocol: Value,
    capabilities: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ActionName {
    Buy,
    Sell,
    Hold,
}

#[derive(Deserialize)]
struct DecisionLine {
    action: ActionName,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    quantity: Option<u64>,
    #[serde(default)]
    limit: Option<f64>,
}

#[derive(Deserialize)]
struct BallotLine {
    vote: Ballot,
}

#[derive(Deserialize)]
struct ErrorLine {
    message: String,
}

fn field<T: DeserializeOwned>(object: &Map<String, Value>) -> Result<T, Violation> {
    serde_json::from_value(Value::Object(object.clone()))
        .map_err(|e| Violation::BadField(e.to_string()))
}

/// The typed answer of a line whose `type` and `id` fit.
fn typed(id: u64, kind: &str, object: Map<String, Value>) -> Result<Answer, Violation> {
    if kind == "ready" {
        let ready: ReadyLine = field(&object)?;
        return match ready.protocol.as_u64() {
            Some(v) if v == u64::from(PROTOCOL_VERSION) => Ok(Answer::Ready {
                id,
                protocol: PROTOCOL_VERSION,
                capabilities: ready.capabilities,
            }),
            _ => Err(Violation::WrongVersion {
                got: ready.protocol.to_string(),
            }),
        };
    }
    let effects: Effects = field(&object)?;
    if let Some(bad) = effects.timers.iter().find(|t| t.tag.is_empty()) {
        return Err(Violation::BadField(format!(
            "a timer after {} ms has an empty `tag`",
            bad.after_ms
        )));
    }
    match kind {
        "decision" => {
            let line: DecisionLine = field(&object)?;
            let order = |name: &str| -> Result<(u64, Option<f64>), Violation> {
                let quantity = match line.quantity {
                    Some(q) if q >= 1 => q,
                    _ => {
                        return Err(Violation::BadField(format!(
                            "a `{name}` needs `quantity`, an integer >= 1"
                        )))
                    }
                };
                if let Some(limit) = line.limit {
                    if !(limit.is_finite() && limit > 0.0) {
                        return Err(Violation::BadField(
                            "`limit` must be a positive price".into(),
                        ));
                    }
                }
                Ok((quantity, line.limit))
            };
            let action = match line.action {
                ActionName::Hold => Action::Hold,
                ActionName::Buy => {
                    let (quantity, limit) = order("buy")?;
                    Action::Buy {
                        symbol: line.symbol.clone(),
                        quantity,
                        limit,
                    }
                }
                ActionName::Sell => {
                    let (quantity, limit) = order("sell")?;
                    Action::Sell {
                        symbol: line.symbol.clone(),
                        quantity,
                        limit,
                    }
                }
            };
            Ok(Answer::Decision {
                id,
                action,
                effects,
            })
        }
        "ballot" => {
            let line: BallotLine = field(&object)?;
            Ok(Answer::Ballot {
                id,
                vote: line.vote,
                effects,
            })
        }
        "error" => {
            let line: ErrorLine = field(&object)?;
            Ok(Answer::Error {
                id,
                message: line.message,
                effects,
            })
        }
        _ => Ok(Answer::Done { id, effects }),
    }
}

/// The first [`QUOTE_CHARS`] characters of `line`, with `…` if cut.
pub(crate) fn quote(line: &str) -> String {
    let mut chars = line.chars();
    let head: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::message::ProposalInfo;

    fn trade(id: u64) -> Expected {
        Expected::answering(&Request::Trade {
            id,
            now_ms: 0,
            symbol: "SPY".into(),
            market: Default::default(),
            position: Default::default(),
        })
    }

    fn hello() -> Expected {
        Expected::answering(&Request::Hello {
            id: 1,
            protocol: PROTOCOL_VERSION,
            agent: 0,
        })
    }

    fn violation(line: &str, expected: &Expected) -> Violation {
        decode_answer(3, line, expected).unwrap_err().violation
    }

    #[test]
    fn the_protocol_documents_answers_decode() {
        let ready = r#"{"type":"ready","id":1,"protocol":1,"capabilities":["trade_execution","momentum_detection"]}"#;
        assert_eq!(
            decode_answer(1, ready, &hello()).unwrap(),
            Answer::Ready {
                id: 1,
                protocol: 1,
                capabilities: vec!["trade_execution".into(), "momentum_detection".into()]
            }
        );
        let sell = r#"{"type":"decision","id":3,"action":"sell","symbol":"SPY","quantity":5,"limit":412.0}"#;
        assert_eq!(
            decode_answer(2, sell, &trade(3)).unwrap(),
            Answer::Decision {
                id: 3,
                action: Action::Sell {
                    symbol: Some("SPY".into()),
                    quantity: 5,
                    limit: Some(412.0)
                },
                effects: Effects::default()
            }
        );
        let vote = Expected::answering(&Request::Vote {
            id: 4,
            now_ms: 0,
            proposal: ProposalInfo {
                symbol: "SPY".into(),
            },
            market: Default::default(),
        });
        let ballot = decode_answer(3, r#"{"type":"ballot","id":4,"vote":"buy"}"#, &vote).unwrap();
        assert!(matches!(
            ballot,
            Answer::Ballot {
                vote: Ballot::Buy,
                ..
            }
        ));
        let message = Expected::answering(&Request::Message {
            id: 5,
            now_ms: 0,
            from: 2,
            payload: Value::Null,
        });
        let done = r#"{"type":"done","id":5,"send":[{"to":4,"payload":{"signal":"buy"}}],"timers":[{"after_ms":500,"tag":"rebalance"}]}"#;
        let effects = decode_answer(4, done, &message).unwrap().effects();
        assert_eq!(effects.send[0].to, 4);
        assert_eq!(effects.timers[0].tag, "rebalance");
        let doc = include_str!("../../../PROTOCOL.md");
        for line in [ready, sell, done] {
            assert!(doc.contains(line), "PROTOCOL.md shows {line}");
        }
    }

    #[test]
    fn each_violation_names_the_line_and_what_was_expected() {
        let err =
            decode_answer(7, r#"{"type":"decision","id":3,"action":"buy""#, &trade(3)).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("line 7 `{\"type\":\"decision\""), "{text}");
        assert!(text.contains("bad JSON"), "{text}");
        assert!(
            text.ends_with(
                "expected `decision` or `error` with \"id\":3 answering request 3 (trade SPY)"
            ),
            "{text}"
        );
        assert_eq!(violation("[1,2]", &trade(3)), Violation::NoType);
        assert_eq!(
            violation(r#"{"type":"order","id":3}"#, &trade(3)),
            Violation::UnknownType("order".into())
        );
        assert_eq!(
            violation(r#"{"type":"done","id":3}"#, &trade(3)),
            Violation::WrongAnswer("done".into())
        );
        assert_eq!(
            violation(r#"{"type":"decision","id":2,"action":"hold"}"#, &trade(3)),
            Violation::WrongId { got: "2".into() }
        );
        assert_eq!(
            violation(
                r#"{"type":"ready","id":1,"protocol":2,"capabilities":[]}"#,
                &hello()
            ),
            Violation::WrongVersion { got: "2".into() }
        );
        let text = decode_answer(
            1,
            r#"{"type":"ready","id":1,"protocol":2,"capabilities":[]}"#,
            &hello(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            text.contains("wrong protocol version 2") && text.contains("\"protocol\":1"),
            "{text}"
        );
        assert!(matches!(
            violation(r#"{"type":"decision","id":3,"action":"buy"}"#, &trade(3)),
            Violation::BadField(m) if m.contains("quantity")
        ));
        assert!(matches!(
            violation(r#"{"type":"decision","id":3}"#, &trade(3)),
            Violation::BadField(m) if m.contains("missing field `action`")
        ));
        assert!(matches!(
            violation(r#"{"type":"decision","id":3,"action":"short","quantity":1}"#, &trade(3)),
            Violation::BadField(m) if m.contains("short")
        ));
        assert_eq!(
            violation(r#"{"type":"done","id":3}"#, &Expected::nothing()),
            Violation::Unsolicited
        );
        let long = format!("\"{}\"", "x".repeat(MAX_LINE_BYTES));
        assert!(matches!(violation(&long, &trade(3)), Violation::TooLong(_)));
        assert!(decode_answer(1, &long, &trade(3))
            .unwrap_err()
            .text
            .ends_with('…'));
    }

    #[test]
    fn an_error_answer_keeps_the_programs_message() {
        let answer = decode_answer(
            2,
            r#"{"type":"error","id":3,"message":"no price"}"#,
            &trade(3),
        )
        .unwrap();
        assert!(matches!(answer, Answer::Error { message, .. } if message == "no price"));
    }

    proptest::proptest! {
        /// Whatever a program writes, the decoder answers with a value or an error, and an
        /// error always names the line number it was given.
        #[test]
        fn arbitrary_lines_never_panic(line in ".{0,200}", id in 0u64..5) {
            match decode_answer(9, &line, &trade(id)) {
                Ok(answer) => proptest::prop_assert_eq!(answer.id(), id),
                Err(e) => proptest::prop_assert!(e.to_string().starts_with("line 9 `")),
            }
        }
    }
}
