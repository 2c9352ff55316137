//! Frame decoding speed: 16 MiB of small frames through `wire::Decoder`, pushed at once and
//! in 64 KiB pieces.
//!
//! `cargo bench -p swarm-test --bench wire` prints the wall time and MiB/s of each way, and
//! the bytes the decoder moved inside its buffer (at most the bytes pushed: decoding is linear
//! however the stream arrives). Figures vary with the machine; compare the two ways.

use std::time::Instant;

use swarm_test::internals::wire::{encode, Decoder};

/// The stream: `n` frames of a small message each, about 16 MiB in all.
fn stream() -> (Vec<u8>, u64) {
    let mut bytes = Vec::new();
    let mut n = 0u64;
    while bytes.len() < 16 << 20 {
        bytes.extend(encode(&("SPY", n)).expect("a small message encodes"));
        n += 1;
    }
    (bytes, n)
}

fn decode(bytes: &[u8], piece: usize, frames: u64) -> (f64, u64) {
    let start = Instant::now();
    let mut decoder = Decoder::new("bench");
    let mut got = 0u64;
    for chunk in bytes.chunks(piece) {
        decoder.push(chunk);
        while decoder
            .next_frame::<(String, u64)>()
            .expect("the bench stream is well formed")
            .is_some()
        {
            got += 1;
        }
    }
    assert_eq!(got, frames, "every frame decoded");
    (start.elapsed().as_secs_f64(), decoder.bytes_moved())
}

fn main() {
    let (bytes, frames) = stream();
    let mib = bytes.len() as f64 / f64::from(1 << 20);
    println!("{frames} frames, {mib:.1} MiB");
    println!(
        "{:<14} {:>9} {:>9} {:>14}",
        "pushes", "wall s", "MiB/s", "bytes moved"
    );
    for (name, piece) in [("one push", bytes.len()), ("64 KiB each", 64 << 10)] {
        let (wall_s, moved) = decode(&bytes, piece, frames);
        println!("{name:<14} {wall_s:>9.3} {:>9.0} {moved:>14}", mib / wall_s);
    }
}
