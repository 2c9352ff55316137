//! Fuzz target: `wire::Decoder` on arbitrary bytes, pushed in arbitrary pieces.
//!
//! Run from `fuzz/`: `cargo +nightly fuzz run wire_decoder` (add `-- -runs=1000000` for a
//! bounded run). The property: whatever arrives, the decoder returns frames or a `WireError`
//! and never panics, and its work stays linear (bytes moved inside its buffer never exceed
//! the bytes pushed). `cargo test` runs the same property through proptest
//! (`wire::frame::tests::arbitrary_bytes_never_panic`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use swarm_test::wire::{Decoder, FromAgent, ToAgent};

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the decoder, the message type and the size of the pushes.
    let Some((&knob, stream)) = data.split_first() else {
        return;
    };
    let mut decoder = match knob & 1 {
        0 => Decoder::new("fuzz"),
        _ => Decoder::with_preamble("fuzz", usize::from(knob >> 4) * 64),
    };
    let piece = 1 + usize::from((knob >> 1) & 7) * 37;
    for chunk in stream.chunks(piece) {
        decoder.push(chunk);
        loop {
            let frame = match knob & 2 {
                0 => decoder.next_frame::<ToAgent>().map(|f| f.is_some()),
                _ => decoder.next_frame::<FromAgent>().map(|f| f.is_some()),
            };
            if frame != Ok(true) {
                break;
            }
        }
    }
    let _ = decoder.finish();
    assert!(decoder.bytes_moved() <= stream.len() as u64);
});
