//! The frame decoder against arbitrary bytes: it returns frames or errors, never panics, and
//! never claims a frame it has not seen whole.

use proptest::prelude::*;
use swarm_test::internals::wire::{encode, Decoder, FromAgent, ToAgent, WireError, MAX_PREAMBLE};

/// Feeds `bytes` in `chunks` and drains the decoder after each, then finishes.
fn drain<T: serde::de::DeserializeOwned>(
    mut decoder: Decoder,
    bytes: &[u8],
    chunk: usize,
) -> (usize, Option<WireError>) {
    let mut frames = 0;
    for piece in bytes.chunks(chunk.max(1)) {
        decoder.push(piece);
        loop {
            match decoder.next_frame::<T>() {
                Ok(Some(_)) => frames += 1,
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, decoder.finish().err())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_are_errors_or_frames_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..4_096),
        chunk in 1usize..64,
    ) {
        let (_, err) = drain::<FromAgent>(Decoder::new("agent 0"), &bytes, chunk);
        if let Some(e) = err {
            prop_assert!(e.to_string().contains("agent 0"), "{}", e);
        }
        let (_, err) = drain::<ToAgent>(Decoder::with_preamble("agent 1", MAX_PREAMBLE), &bytes, chunk);
        if let Some(e) = err {
            prop_assert!(e.to_string().contains("agent 1"), "{}", e);
        }
    }

    #[test]
    fn valid_frames_with_corrupted_bytes_never_panic(
        seqs in proptest::collection::vec(any::<u64>(), 1..20),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        chunk in 1usize..64,
    ) {
        let mut bytes = Vec::new();
        for &seq in &seqs {
            bytes.extend(encode(&FromAgent::Pong { seq }).unwrap());
        }
        let clean = bytes.clone();
        for (at, value) in &flips {
            let i = at % bytes.len();
            bytes[i] = *value;
        }
        let (frames, err) = drain::<FromAgent>(Decoder::new("agent 2"), &bytes, chunk);
        if bytes == clean {
            prop_assert_eq!(frames, seqs.len());
            prop_assert!(err.is_none());
        } else {
            prop_assert!(frames <= seqs.len());
        }
    }

    #[test]
    fn a_stream_cut_anywhere_is_truncated_or_whole(
        seqs in proptest::collection::vec(any::<u64>(), 1..10),
        cut in any::<usize>(),
    ) {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for &seq in &seqs {
            bytes.extend(encode(&FromAgent::Pong { seq }).unwrap());
            ends.push(bytes.len());
        }
        let cut = cut % (bytes.len() + 1);
        let (frames, err) = drain::<FromAgent>(Decoder::new("agent 3"), &bytes[..cut], 7);
        prop_assert_eq!(frames, ends.iter().filter(|&&e| e <= cut).count());
        let at_boundary = cut == 0 || ends.contains(&cut);
        prop_assert_eq!(err.is_none(), at_boundary);
        if let Some(e) = err {
            prop_assert!(matches!(e, WireError::Truncated { .. }), "{}", e);
        }
    }
}
