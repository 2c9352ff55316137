//! The two tasks per agent that move bytes: one writes frames to its stdin, one reads and
//! decodes frames from its stdout and hands them to the controller, stamped with their arrival.

use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::topology::AgentId;
use crate::wire::{Decoder, FromAgent, WireError, MAX_PREAMBLE};

/// Something that arrived from an agent's reader task.
#[derive(Debug)]
pub(crate) enum Inbound {
    Frame {
        agent: AgentId,
        epoch: u32,
        msg: FromAgent,
        at: Instant,
    },
    Closed {
        agent: AgentId,
        epoch: u32,
        error: Option<WireError>,
    },
}

/// Writes queued frames in order; ends when the queue closes (the agent's stdin closes with
/// it, and the agent exits) or the agent is gone.
pub(crate) async fn write_frames(
    mut input: Box<dyn AsyncWrite + Send + Unpin>,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(frame) = frames.recv().await {
        if input.write_all(&frame).await.is_err() {
            return;
        }
        // Write whatever else is queued before flushing, without waiting for more.
        while let Ok(more) = frames.try_recv() {
            if input.write_all(&more).await.is_err() {
                return;
            }
        }
        if input.flush().await.is_err() {
            return;
        }
    }
}

/// Reads frames until end of stream or the first error; always reports how the stream ended.
pub(crate) async fn read_frames(
    agent: AgentId,
    epoch: u32,
    mut output: Box<dyn AsyncRead + Send + Unpin>,
    inbox: mpsc::UnboundedSender<Inbound>,
) {
    let mut decoder = Decoder::with_preamble(format!("agent {agent}"), MAX_PREAMBLE);
    let mut buf = vec![0u8; 64 << 10];
    let error = loop {
        let n = match output.read(&mut buf).await {
            Ok(0) | Err(_) => break decoder.finish().err(),
            Ok(n) => n,
        };
        decoder.push(&buf[..n]);
        let at = Instant::now();
        let failed = loop {
            match decoder.next_frame::<FromAgent>() {
                Ok(Some(msg)) => {
                    let frame = Inbound::Frame {
                        agent,
                        epoch,
                        msg,
                        at,
                    };
                    if inbox.send(frame).is_err() {
                        return; // The controller is gone.
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        if failed.is_some() {
            break failed;
        }
    };
    let _ = inbox.send(Inbound::Closed {
        agent,
        epoch,
        error,
    });
}
