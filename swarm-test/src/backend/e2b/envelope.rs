//! Connect streaming envelopes, decoded without I/O.
//!
//! An envelope is one flag byte, a 4-byte big-endian length, then that many bytes of JSON;
//! flag `0x02` marks the end-of-stream envelope, whose JSON is `{}` or `{"error": {...}}`
//! (E2B.md part (b)). Bytes arrive in whatever pieces the network makes: [`Decoder::push`]
//! takes any split, [`Decoder::next`] yields whole envelopes, and nothing here panics on any
//! input (a proptest below feeds it arbitrary bytes in arbitrary splits).

use serde_json::Value;

/// Envelope flag: the payload is compressed (never negotiated here, so an error).
const COMPRESSED: u8 = 0x01;
/// Envelope flag: the end-of-stream envelope.
const END_STREAM: u8 = 0x02;
/// The largest envelope accepted: envd's output chunks are far smaller.
pub(crate) const MAX_ENVELOPE: usize = 16 << 20;

/// One decoded envelope.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Envelope {
    /// A message.
    Message(Value),
    /// The end of the stream: `Ok` or the error it carried.
    End(Result<(), ConnectError>),
}

/// A Connect error, from an end-of-stream envelope or a unary answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectError {
    /// `not_found`, `unavailable`, ...
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// Why bytes are not a Connect stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EnvelopeError {
    /// The compressed flag, which was never negotiated.
    #[error("a compressed envelope, but no compression was negotiated")]
    Compressed,
    /// A length beyond [`MAX_ENVELOPE`].
    #[error("an envelope of {0} bytes, more than the {MAX_ENVELOPE} accepted")]
    TooLarge(usize),
    /// A payload that is not JSON.
    #[error("an envelope that is not JSON: {0}")]
    NotJson(String),
    /// Bytes after the end-of-stream envelope, or a stream cut inside an envelope.
    #[error("{0}")]
    Framing(String),
}

/// Decodes envelopes from bytes pushed in any pieces. See the module docs.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    buf: Vec<u8>,
    ended: bool,
}

impl Decoder {
    /// Adds bytes as they arrived.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole envelope, `None` until more bytes arrive.
    pub(crate) fn next(&mut self) -> Result<Option<Envelope>, EnvelopeError> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        if self.ended {
            return Err(EnvelopeError::Framing(
                "bytes after the end-of-stream envelope".into(),
            ));
        }
        let flag = self.buf[0];
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if flag & COMPRESSED != 0 {
            return Err(EnvelopeError::Compressed);
        }
        if len > MAX_ENVELOPE {
            return Err(EnvelopeError::TooLarge(len));
        }
        if self.buf.len() < 5 + len {
            return Ok(None);
        }
        let payload: Vec<u8> = self.buf.drain(..5 + len).skip(5).collect();
        let value: Value = if payload.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&payload).map_err(|e| EnvelopeError::NotJson(e.to_string()))?
        };
        if flag & END_STREAM == 0 {
            return Ok(Some(Envelope::Message(value)));
        }
        self.ended = true;
        Ok(Some(Envelope::End(match value.get("error") {
            None | Some(Value::Null) => Ok(()),
            Some(error) => Err(ConnectError {
                code: error["code"].as_str().unwrap_or("unknown").to_owned(),
                message: error["message"].as_str().unwrap_or("").to_owned(),
            }),
        })))
    }

    /// At the end of the bytes: an error if the stream stopped inside an envelope.
    pub(crate) fn finish(&self) -> Result<(), EnvelopeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(EnvelopeError::Framing(format!(
                "the stream ended inside an envelope ({} bytes left over)",
                self.buf.len()
            )))
        }
    }
}

/// Encodes one message envelope (for request bodies).
pub(crate) fn encode(payload: &Value) -> Vec<u8> {
    let json = serde_json::to_vec(payload).expect("JSON values serialise");
    let mut out = Vec::with_capacity(5 + json.len());
    out.push(0);
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(&json);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn end(payload: &Value) -> Vec<u8> {
        let mut e = encode(payload);
        e[0] = END_STREAM;
        e
    }

    fn decode_all(bytes: &[u8], split: usize) -> Result<Vec<Envelope>, EnvelopeError> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for piece in bytes.chunks(split.max(1)) {
            d.push(piece);
            while let Some(e) = d.next()? {
                out.push(e);
            }
        }
        d.finish()?;
        Ok(out)
    }

    #[test]
    fn whole_and_split_streams_decode_alike() {
        let mut stream = encode(&json!({"event": {"start": {"pid": 7}}}));
        stream.extend(encode(&json!({"event": {"keepalive": {}}})));
        stream.extend(end(&json!({})));
        let whole = decode_all(&stream, stream.len()).unwrap();
        for split in 1..8 {
            assert_eq!(decode_all(&stream, split).unwrap(), whole, "split {split}");
        }
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[2], Envelope::End(Ok(())));
    }

    #[test]
    fn an_error_in_the_end_frame_is_kept() {
        let stream = end(&json!({"error": {"code": "unavailable", "message": "gone"}}));
        let got = decode_all(&stream, 2).unwrap();
        assert_eq!(
            got,
            vec![Envelope::End(Err(ConnectError {
                code: "unavailable".into(),
                message: "gone".into()
            }))]
        );
    }

    #[test]
    fn a_cut_stream_and_bad_frames_are_errors() {
        let stream = encode(&json!({"a": 1}));
        assert!(matches!(
            decode_all(&stream[..stream.len() - 1], 3),
            Err(EnvelopeError::Framing(_))
        ));
        assert_eq!(
            decode_all(&[1, 0, 0, 0, 0], 5),
            Err(EnvelopeError::Compressed)
        );
        assert!(matches!(
            decode_all(&[0, 0xff, 0xff, 0xff, 0xff], 5),
            Err(EnvelopeError::TooLarge(_))
        ));
        assert!(matches!(
            decode_all(&[0, 0, 0, 0, 1, b'x'], 6),
            Err(EnvelopeError::NotJson(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Arbitrary bytes in arbitrary splits: errors at worst, never a panic.
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), split in 1usize..40) {
            let _ = decode_all(&bytes, split);
        }

        /// Valid streams of random messages decode to the same envelopes at every split.
        #[test]
        fn any_split_of_a_valid_stream_decodes(texts in proptest::collection::vec(".{0,40}", 0..6), split in 1usize..30) {
            let mut stream = Vec::new();
            for t in &texts {
                stream.extend(encode(&json!({"event": {"data": {"stdout": t}}})));
            }
            stream.extend(end(&json!({})));
            let got = decode_all(&stream, split).unwrap();
            prop_assert_eq!(got.len(), texts.len() + 1);
            for (e, t) in got.iter().zip(&texts) {
                prop_assert_eq!(e, &Envelope::Message(json!({"event": {"data": {"stdout": t}}})));
            }
        }
    }
}
