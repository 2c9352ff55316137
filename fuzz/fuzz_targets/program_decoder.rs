//! Fuzz target: the agent-program line decoder (`program::decode_answer`, `PROTOCOL.md`) on
//! arbitrary lines, against each kind of outstanding request.
//!
//! Run from `fuzz/`: `cargo +nightly fuzz run program_decoder -- -runs=1000000`. The property:
//! whatever a program writes, the decoder returns an answer to the outstanding request (same
//! id, a type that answers it) or an error naming the line, and never panics. `cargo test`
//! runs a similar property through proptest
//! (`program::decode::tests::arbitrary_lines_never_panic`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use swarm_test::internals::program::{decode_answer, Answer, Expected, Request, PROTOCOL_VERSION};

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the outstanding request and its id.
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let id = u64::from(knob >> 3);
    let request = match knob & 7 {
        0 => Request::Hello { id, protocol: PROTOCOL_VERSION, agent: 0 },
        1 => Request::Trade {
            id,
            now_ms: 0,
            symbol: "SPY".into(),
            market: Default::default(),
            position: Default::default(),
        },
        2 => Request::Vote {
            id,
            now_ms: 0,
            proposal: swarm_test::internals::program::ProposalInfo { symbol: "SPY".into() },
            market: Default::default(),
        },
        3 => Request::Timer { id, now_ms: 0, tag: "t".into() },
        4 => Request::Stop { id, now_ms: 0 },
        _ => Request::Shutdown,
    };
    let expected = if matches!(request, Request::Shutdown) {
        Expected::nothing()
    } else {
        Expected::answering(&request)
    };
    let line = String::from_utf8_lossy(rest);
    match decode_answer(17, &line, &expected) {
        Ok(answer) => {
            assert_eq!(Some(answer.id()), expected.id, "an answer to another request");
            let kind = match answer {
                Answer::Ready { protocol, .. } => {
                    assert_eq!(protocol, PROTOCOL_VERSION);
                    "ready"
                }
                Answer::Decision { .. } => "decision",
                Answer::Ballot { .. } => "ballot",
                Answer::Done { .. } => "done",
                Answer::Error { .. } => "error",
            };
            assert!(expected.answer_types().contains(&kind), "{kind} answers {}", expected.request);
        }
        Err(e) => assert!(e.to_string().starts_with("line 17 `")),
    }
});
