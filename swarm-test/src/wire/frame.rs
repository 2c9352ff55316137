//! Framing: a fixed header, then a JSON payload.
//!
//! ```text
//! +-----+-----+-----+---------+----------------+----------------------+
//! | 'S' | 'W' | 'T' | version | length (u32 BE) | payload (JSON bytes) |
//! +-----+-----+-----+---------+----------------+----------------------+
//! ```
//!
//! The [`Decoder`] is incremental: feed it bytes as they arrive ([`Decoder::push`]) and take
//! whole frames out ([`Decoder::next_frame`]); at end of stream, [`Decoder::finish`] says whether a
//! frame was cut off. It never panics and never waits: every malformed, oversized or truncated
//! frame is a [`WireError`] that names the peer and the frame's position in the stream.
//!
//! Before its first frame, a peer may print a short preamble (the test binary an agent runs in
//! prints libtest's `running 1 test` line on stdout). A decoder made with
//! [`Decoder::with_preamble`] skips up to that many bytes before the first magic; after the
//! first frame, every byte must be framed.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The three bytes every frame starts with.
pub const MAGIC: [u8; 3] = *b"SWT";

/// The protocol version this build speaks. A peer with another version is refused with an
/// error naming both.
pub const VERSION: u8 = 2;

/// Header size: magic, version, length.
pub const HEADER_LEN: usize = 8;

/// Largest payload accepted, in bytes. The default value is 1 MiB: messages are small (a task,
/// a decision), so anything larger is a broken or hostile peer, refused before buffering it.
pub const MAX_FRAME: usize = 1 << 20;

/// Largest preamble skipped before the first frame. The default value is 64 KiB.
pub const MAX_PREAMBLE: usize = 64 << 10;

/// A frame that could not be read, naming the peer (`agent 3`) and the frame (its index in the
/// peer's stream, from 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The header did not start with [`MAGIC`].
    #[error(
        "{peer} sent frame #{frame} with a bad header {found:02x?} (expected it to start with \
         `SWT`): its output is not swarm-test frames; did something print to the agent's stdout?"
    )]
    BadMagic {
        /// Who sent it.
        peer: String,
        /// Which frame.
        frame: u64,
        /// The first header bytes seen.
        found: Vec<u8>,
    },
    /// The peer speaks another protocol version.
    #[error(
        "{peer} sent frame #{frame} in protocol version {found}, but this build speaks version \
         {expected}: the agent binary and the controller come from different swarm-test versions"
    )]
    Version {
        /// Who sent it.
        peer: String,
        /// Which frame.
        frame: u64,
        /// The version in the frame.
        found: u8,
        /// [`VERSION`].
        expected: u8,
    },
    /// The declared payload length is above [`MAX_FRAME`].
    #[error("{peer} sent frame #{frame} of {len} bytes, above the limit of {max} bytes")]
    Oversized {
        /// Who sent it.
        peer: String,
        /// Which frame.
        frame: u64,
        /// The declared length.
        len: u64,
        /// [`MAX_FRAME`].
        max: usize,
    },
    /// The payload is not a message of the expected type.
    #[error("{peer} sent frame #{frame} that is not a valid message: {detail}")]
    Malformed {
        /// Who sent it.
        peer: String,
        /// Which frame.
        frame: u64,
        /// What the JSON decoder said.
        detail: String,
    },
    /// The stream ended inside a frame.
    #[error(
        "{peer}'s stream ended inside frame #{frame}: {have} of {need} bytes arrived (the agent \
         died while writing, or its output was cut)"
    )]
    Truncated {
        /// Who sent it.
        peer: String,
        /// Which frame.
        frame: u64,
        /// Bytes of the frame received.
        have: usize,
        /// Bytes the frame needs (header, plus payload once the header is known).
        need: usize,
    },
    /// No frame started within [`MAX_PREAMBLE`] bytes (or before the stream ended).
    #[error(
        "{peer} never sent a frame: {skipped} bytes of other output came first ({preview:?}); \
         the agent program did not start (is the test binary's test filter right?)"
    )]
    NoFrame {
        /// Who it was.
        peer: String,
        /// Bytes skipped.
        skipped: usize,
        /// The start of what was skipped, as text.
        preview: String,
    },
    /// A well-formed frame that makes no sense at this point of the protocol.
    #[error("{peer} sent frame #{frame} that was not expected: {what}")]
    Unexpected {
        /// Who sent it.
        peer: String,
        /// Which frame.
        frame: u64,
        /// What was wrong with it.
        what: String,
    },
}

/// Why a message could not be made into a frame.
///
/// ```
/// use swarm_test::internals::wire::{encode, EncodeError, MAX_FRAME};
///
/// let big = "x".repeat(MAX_FRAME);
/// assert!(matches!(encode(&big), Err(EncodeError::Oversized { .. })));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The message does not serialize to JSON (a map with non-string keys, say).
    #[error("a message could not be encoded")]
    Json(#[source] serde_json::Error),
    /// The encoded message is longer than a frame may be.
    #[error("a message of {len} bytes is above the frame limit of {MAX_FRAME} bytes")]
    Oversized {
        /// The payload's length, bytes.
        len: usize,
    },
}

/// One message as a frame: header plus JSON payload.
///
/// ```
/// use swarm_test::internals::wire::{encode, Decoder, HEADER_LEN};
///
/// let bytes = encode(&vec![1u32, 2, 3]).unwrap();
/// assert_eq!(&bytes[..3], b"SWT");
/// let mut decoder = Decoder::new("agent 0");
/// decoder.push(&bytes);
/// assert_eq!(decoder.next_frame::<Vec<u32>>().unwrap(), Some(vec![1, 2, 3]));
/// assert_eq!(bytes.len(), HEADER_LEN + "[1,2,3]".len());
/// ```
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = vec![MAGIC[0], MAGIC[1], MAGIC[2], VERSION, 0, 0, 0, 0];
    serde_json::to_writer(&mut bytes, message).map_err(EncodeError::Json)?;
    let len = bytes.len() - HEADER_LEN;
    if len > MAX_FRAME {
        return Err(EncodeError::Oversized { len });
    }
    bytes[4..8].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(bytes)
}

/// An incremental frame decoder for one peer's stream. See the module docs.
///
/// Decoding is linear in the stream's length however it is pushed: a frame taken out only
/// moves a read offset, and the consumed front of the buffer is dropped when the next push
/// comes, once it is at least as long as what is left (so every byte is moved at most once
/// per time the buffer halves: [`Decoder::bytes_moved`] never exceeds the bytes pushed).
#[derive(Debug, Clone)]
pub struct Decoder {
    peer: String,
    /// Bytes received; those before `start` are consumed.
    buf: Vec<u8>,
    start: usize,
    moved: u64,
    frames: u64,
    preamble: usize,
    skipped: usize,
    preview: Vec<u8>,
    failed: bool,
}

impl Decoder {
    /// A decoder for `peer` (named in errors, e.g. `"agent 3"`) that expects frames from the
    /// first byte.
    pub fn new(peer: impl Into<String>) -> Self {
        Decoder {
            peer: peer.into(),
            buf: Vec::new(),
            start: 0,
            moved: 0,
            frames: 0,
            preamble: 0,
            skipped: 0,
            preview: Vec::new(),
            failed: false,
        }
    }

    /// A decoder that skips up to `limit` bytes of other output before the first frame.
    pub fn with_preamble(peer: impl Into<String>, limit: usize) -> Self {
        Decoder {
            preamble: limit,
            ..Decoder::new(peer)
        }
    }

    /// The peer's name, as used in errors.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes moved inside the buffer so far, to drop consumed bytes: at most the bytes
    /// pushed, whatever the sizes of the pushes and frames (the decoder's work is linear).
    pub fn bytes_moved(&self) -> u64 {
        self.moved
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        let left = self.buf.len() - self.start;
        if self.start > 0 && self.start >= left {
            // Drop the consumed front: it is at least as long as what moves.
            self.buf.copy_within(self.start.., 0);
            self.buf.truncate(left);
            self.moved += left as u64;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The bytes received and not consumed yet.
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Marks the first `n` pending bytes consumed.
    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed. After an error the decoder
    /// stays failed: the stream cannot be resynchronised, so it returns the same kind of error.
    pub fn next_frame<T: DeserializeOwned>(&mut self) -> Result<Option<T>, WireError> {
        if self.failed {
            return Err(self.error_after_failure());
        }
        let result = self.next_inner();
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn next_inner<T: DeserializeOwned>(&mut self) -> Result<Option<T>, WireError> {
        if self.frames == 0 && self.preamble > 0 && !self.skip_preamble()? {
            return Ok(None);
        }
        let buf = self.pending();
        if buf.len() < HEADER_LEN {
            // Reject a bad magic as soon as it shows, without waiting for a whole header.
            let seen = buf.len().min(MAGIC.len());
            if buf[..seen] != MAGIC[..seen] {
                return Err(self.bad_magic());
            }
            return Ok(None);
        }
        if buf[..3] != MAGIC {
            return Err(self.bad_magic());
        }
        if buf[3] != VERSION {
            return Err(WireError::Version {
                peer: self.peer.clone(),
                frame: self.frames,
                found: buf[3],
                expected: VERSION,
            });
        }
        let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        if len as usize > MAX_FRAME {
            return Err(WireError::Oversized {
                peer: self.peer.clone(),
                frame: self.frames,
                len: u64::from(len),
                max: MAX_FRAME,
            });
        }
        let end = HEADER_LEN + len as usize;
        if buf.len() < end {
            return Ok(None);
        }
        let parsed = serde_json::from_slice::<T>(&buf[HEADER_LEN..end]);
        let frame = self.frames;
        self.consume(end);
        self.frames += 1;
        parsed.map(Some).map_err(|e| WireError::Malformed {
            peer: self.peer.clone(),
            frame,
            detail: e.to_string(),
        })
    }

    /// Drops bytes before the first magic. `Ok(true)` once a frame start is at the front.
    fn skip_preamble(&mut self) -> Result<bool, WireError> {
        let buf = self.pending();
        let found = buf.windows(MAGIC.len()).position(|w| w == MAGIC);
        let drop = match found {
            Some(at) => at,
            // Keep a possible partial magic at the end.
            None => buf.len().saturating_sub(MAGIC.len() - 1),
        };
        if drop > 0 {
            let room = 200usize.saturating_sub(self.preview.len());
            let seen = buf[..drop.min(room)].to_vec();
            self.preview.extend_from_slice(&seen);
            self.skipped += drop;
            self.consume(drop);
        }
        if self.skipped > self.preamble {
            return Err(self.no_frame());
        }
        if found.is_some() {
            self.preamble = 0;
        }
        Ok(found.is_some())
    }

    /// Call at end of stream: an error if bytes of an unfinished frame (or only a preamble)
    /// remain.
    pub fn finish(&mut self) -> Result<(), WireError> {
        if self.failed {
            return Err(self.error_after_failure());
        }
        if self.frames == 0 && self.preamble > 0 {
            let _ = self.skip_preamble();
            if self.pending().len() < MAGIC.len() {
                let rest = self.pending().to_vec();
                self.skipped += rest.len();
                self.preview.extend_from_slice(&rest);
                self.consume(rest.len());
                return Err(self.no_frame());
            }
        }
        let buf = self.pending();
        if buf.is_empty() {
            return Ok(());
        }
        let need = if buf.len() >= HEADER_LEN {
            let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
            HEADER_LEN + len as usize
        } else {
            HEADER_LEN
        };
        let have = buf.len();
        self.failed = true;
        Err(WireError::Truncated {
            peer: self.peer.clone(),
            frame: self.frames,
            have,
            need,
        })
    }

    fn bad_magic(&self) -> WireError {
        WireError::BadMagic {
            peer: self.peer.clone(),
            frame: self.frames,
            found: self.pending()[..self.pending().len().min(HEADER_LEN)].to_vec(),
        }
    }

    fn no_frame(&self) -> WireError {
        WireError::NoFrame {
            peer: self.peer.clone(),
            skipped: self.skipped,
            preview: String::from_utf8_lossy(&self.preview).into_owned(),
        }
    }

    fn error_after_failure(&self) -> WireError {
        WireError::Unexpected {
            peer: self.peer.clone(),
            frame: self.frames,
            what: "the stream already had a framing error; nothing after it can be read".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_with(version: u8, len: u32, payload: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(version);
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn frames_split_anywhere_decode_whole() {
        let mut stream = encode(&"hello").unwrap();
        stream.extend(encode(&42u64).unwrap());
        for cut in 0..stream.len() {
            let mut d = Decoder::new("agent 1");
            d.push(&stream[..cut]);
            let mut got = Vec::new();
            while let Some(v) = d.next_frame::<serde_json::Value>().unwrap() {
                got.push(v);
            }
            d.push(&stream[cut..]);
            while let Some(v) = d.next_frame::<serde_json::Value>().unwrap() {
                got.push(v);
            }
            assert_eq!(got, vec![serde_json::json!("hello"), serde_json::json!(42)]);
            assert_eq!(d.frames(), 2);
            d.finish().unwrap();
        }
    }

    #[test]
    fn errors_name_the_peer_and_the_frame() {
        let mut d = Decoder::new("agent 3");
        d.push(&encode(&1u8).unwrap());
        d.push(b"XYZ\x01\0\0\0\x01a");
        assert_eq!(d.next_frame::<u8>().unwrap(), Some(1));
        let e = d.next_frame::<u8>().unwrap_err().to_string();
        assert!(
            e.starts_with("agent 3 sent frame #1 with a bad header"),
            "{e}"
        );
        assert!(
            d.next_frame::<u8>().is_err(),
            "a failed stream stays failed"
        );

        let mut d = Decoder::new("agent 0");
        d.push(&frame_with(9, 2, b"{}"));
        let e = d.next_frame::<u8>().unwrap_err();
        assert!(matches!(e, WireError::Version { found: 9, .. }), "{e}");

        let mut d = Decoder::new("agent 0");
        d.push(&frame_with(VERSION, u32::MAX, b""));
        let e = d.next_frame::<u8>().unwrap_err().to_string();
        assert!(
            e.contains("4294967295 bytes, above the limit of 1048576"),
            "{e}"
        );

        let mut d = Decoder::new("agent 2");
        d.push(&frame_with(VERSION, 5, b"nope!"));
        let e = d.next_frame::<u8>().unwrap_err().to_string();
        assert!(
            e.starts_with("agent 2 sent frame #0 that is not a valid message"),
            "{e}"
        );
    }

    #[test]
    fn a_cut_stream_is_truncated_not_silent() {
        let bytes = encode(&"a longer message").unwrap();
        let mut d = Decoder::new("agent 4");
        d.push(&bytes[..bytes.len() - 3]);
        assert_eq!(d.next_frame::<String>().unwrap(), None);
        let e = d.finish().unwrap_err();
        assert_eq!(
            e,
            WireError::Truncated {
                peer: "agent 4".into(),
                frame: 0,
                have: bytes.len() - 3,
                need: bytes.len()
            }
        );
    }

    #[test]
    fn a_preamble_is_skipped_only_before_the_first_frame() {
        let mut d = Decoder::with_preamble("agent 5", 100);
        d.push(b"\nrunning 1 test\n");
        assert_eq!(d.next_frame::<u8>().unwrap(), None);
        d.push(&encode(&7u8).unwrap());
        assert_eq!(d.next_frame::<u8>().unwrap(), Some(7));
        d.push(b"noise");
        assert!(matches!(
            d.next_frame::<u8>(),
            Err(WireError::BadMagic { .. })
        ));

        let mut d = Decoder::with_preamble("agent 6", 10);
        d.push(b"running 0 tests, and a lot more text");
        let e = d.next_frame::<u8>().unwrap_err().to_string();
        assert!(e.contains("agent 6 never sent a frame"), "{e}");
        assert!(e.contains("running 0 tests"), "{e}");

        let mut d = Decoder::with_preamble("agent 7", 100);
        d.push(b"running 0 tests\n");
        assert_eq!(d.next_frame::<u8>().unwrap(), None);
        let e = d.finish().unwrap_err().to_string();
        assert!(e.contains("agent 7 never sent a frame: 16 bytes"), "{e}");
    }

    /// Many small frames in one push: the decoder moves each byte at most once (the old
    /// decoder shifted the whole rest of the buffer after every frame: 16 MiB of small frames
    /// in one push took minutes). Counted, not timed.
    #[test]
    fn one_large_push_decodes_in_linear_work() {
        let frames = 50_000u64;
        let mut stream = Vec::new();
        for i in 0..frames {
            stream.extend(encode(&i).unwrap());
        }
        let mut d = Decoder::new("agent 1");
        d.push(&stream);
        for i in 0..frames {
            assert_eq!(d.next_frame::<u64>().unwrap(), Some(i));
        }
        assert_eq!(d.next_frame::<u64>().unwrap(), None);
        d.finish().unwrap();
        assert!(
            d.bytes_moved() <= stream.len() as u64,
            "{} bytes moved for a stream of {}",
            d.bytes_moved(),
            stream.len()
        );

        // The same stream in pushes that cut frames anywhere: still linear, still whole.
        let mut d = Decoder::new("agent 2");
        let mut got = 0;
        for chunk in stream.chunks(4_093) {
            d.push(chunk);
            while let Some(v) = d.next_frame::<u64>().unwrap() {
                assert_eq!(v, got);
                got += 1;
            }
        }
        assert_eq!(got, frames);
        assert!(
            d.bytes_moved() <= stream.len() as u64,
            "{}",
            d.bytes_moved()
        );
    }

    proptest::proptest! {
        /// Messages split at arbitrary points (the frame boundaries included) decode whole and
        /// in order, the decoder's moves stay within the bytes pushed, and nothing is left.
        #[test]
        fn any_split_decodes_every_frame(
            messages in proptest::collection::vec(".{0,40}", 0..40),
            cuts in proptest::collection::vec(0usize..64, 0..60),
        ) {
            let mut stream = Vec::new();
            for m in &messages {
                stream.extend(encode(m).unwrap());
            }
            let mut d = Decoder::new("agent 3");
            let mut got = Vec::new();
            let mut at = 0usize;
            for cut in cuts.into_iter().chain([usize::MAX]) {
                let end = at.saturating_add(cut).min(stream.len());
                d.push(&stream[at..end]);
                at = end;
                while let Some(v) = d.next_frame::<String>().unwrap() {
                    got.push(v);
                }
            }
            proptest::prop_assert_eq!(&got, &messages);
            proptest::prop_assert!(d.bytes_moved() <= stream.len() as u64);
            proptest::prop_assert!(d.finish().is_ok());
        }

        /// Whatever bytes arrive, in whatever pieces, with or without a preamble allowance, the
        /// decoder returns frames or errors and never panics (the wire fuzz target's property,
        /// run in `cargo test`; see `fuzz/fuzz_targets/wire_decoder.rs`).
        #[test]
        fn arbitrary_bytes_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), 0..12),
            magic_first in proptest::prelude::any::<bool>(),
            preamble in 0usize..64,
        ) {
            let mut d = Decoder::with_preamble("agent 4", preamble);
            let mut first = true;
            for mut chunk in chunks {
                if first && magic_first {
                    // Often a real header, so the fuzzing reaches the length and payload.
                    let mut header = vec![MAGIC[0], MAGIC[1], MAGIC[2], VERSION, 0, 0, 0];
                    header.push(chunk.len() as u8);
                    header.append(&mut chunk);
                    chunk = header;
                }
                first = false;
                d.push(&chunk);
                for _ in 0..4 {
                    if !matches!(d.next_frame::<serde_json::Value>(), Ok(Some(_))) {
                        break;
                    }
                }
            }
            let _ = d.finish();
        }
    }

    #[test]
    fn oversized_messages_are_refused_when_encoding() {
        let big = "x".repeat(MAX_FRAME + 1);
        assert!(encode(&big)
            .unwrap_err()
            .to_string()
            .contains("above the frame limit"));
    }
}
