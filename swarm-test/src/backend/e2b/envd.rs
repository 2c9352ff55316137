//! The envd client: processes over Connect (HTTP/1.1), files, health.
//!
//! Every request carries `E2b-Sandbox-Id` and `E2b-Sandbox-Port` (so header routing works
//! through `E2B_SANDBOX_URL` as well as the per-sandbox host) and `X-Access-Token` when the
//! sandbox has one. `Start` is a server stream of envelopes (`envelope`): a `start`
//! event, `data` and `keepalive` events, one `end` event, the end-of-stream envelope. A stream
//! that stops sending, even keepalives, for `IDLE_LIMIT` is taken for dead.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use super::envelope::{encode, Decoder, Envelope};
use super::error::{body_message, E2bError};
use super::rest::encode as encode_query;
use super::secret::Secret;
use super::settings::ENVD_PORT;

/// The keepalive interval asked of envd, seconds.
pub(crate) const KEEPALIVE_S: u64 = 10;
/// Silence after which a stream is taken for dead: three missed keepalives.
pub(crate) const IDLE_LIMIT: Duration = Duration::from_secs(3 * KEEPALIVE_S);

/// A process to start.
#[derive(Debug, Clone, Default)]
pub struct ProcessSpec {
    /// The program.
    pub cmd: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment variables added.
    pub envs: BTreeMap<String, String>,
    /// Working directory (default: the user's home).
    pub cwd: Option<String>,
    /// Whether stdin stays open for [`Envd::send_input`].
    pub stdin: bool,
    /// The process's lifetime (`Connect-Timeout-Ms`); `None` is unlimited.
    pub timeout: Option<Duration>,
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The exit code; -1 when a signal killed it (absent on the wire means 0).
    pub code: i32,
    /// Whether it exited by itself.
    pub exited: bool,
    /// `exit status 3`, `signal: killed`, ...
    pub status: String,
    /// envd's error text, when it failed.
    pub error: Option<String>,
}

/// One event of a running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessEvent {
    /// Bytes on stdout.
    Stdout(Vec<u8>),
    /// Bytes on stderr.
    Stderr(Vec<u8>),
    /// The end.
    End(Exit),
}

/// Signals envd can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `SIGNAL_SIGKILL`.
    Kill,
    /// `SIGNAL_SIGTERM`.
    Term,
}

/// envd of one sandbox.
#[derive(Debug, Clone)]
pub struct Envd {
    http: reqwest::Client,
    base: String,
    sandbox: String,
    token: Option<Secret>,
}

impl Envd {
    /// envd at `base` for sandbox `sandbox`.
    pub fn new(
        http: reqwest::Client,
        base: String,
        sandbox: String,
        token: Option<Secret>,
    ) -> Envd {
        Envd {
            http,
            base,
            sandbox,
            token,
        }
    }

    /// The same client with another access token.
    pub fn with_token(&self, token: Secret) -> Envd {
        Envd {
            token: Some(token),
            ..self.clone()
        }
    }

    /// The sandbox it talks to.
    pub fn sandbox(&self) -> &str {
        &self.sandbox
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("E2b-Sandbox-Id", &self.sandbox)
            .header("E2b-Sandbox-Port", ENVD_PORT.to_string());
        if let Some(token) = &self.token {
            r = r.header("X-Access-Token", token.expose());
        }
        r
    }

    fn transport(&self, e: reqwest::Error) -> E2bError {
        E2bError::Transport {
            url: self.base.clone(),
            message: e.to_string(),
        }
    }

    /// An error answer: Connect's `{"code": "not_found", ...}`, or the proxy's JSON or HTML.
    fn failure(&self, status: u16, body: &[u8]) -> E2bError {
        let code = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("HTTP {status}"));
        E2bError::Envd {
            sandbox: self.sandbox.clone(),
            code,
            message: body_message(body),
        }
    }

    /// `GET /health`: `true` on 204.
    pub async fn health(&self) -> Result<bool, E2bError> {
        let r = self
            .request(reqwest::Method::GET, "/health")
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        Ok(r.status().is_success())
    }

    /// `POST /files?path=...` as `application/octet-stream`.
    pub async fn upload(
        &self,
        path: &str,
        bytes: impl Into<reqwest::Body>,
    ) -> Result<(), E2bError> {
        let r = self
            .request(
                reqwest::Method::POST,
                &format!("/files?path={}", encode_query(path)),
            )
            .header("Content-Type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(|e| self.transport(e))?;
        if status != 200 {
            return Err(self.failure(status, &body));
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(a)) if !a.is_empty() => Ok(()),
            _ => Err(E2bError::Protocol(
                "the upload answer does not describe the written file".into(),
            )),
        }
    }

    /// `GET /files?path=...`: the file's bytes.
    pub async fn download(&self, path: &str) -> Result<Vec<u8>, E2bError> {
        let r = self
            .request(
                reqwest::Method::GET,
                &format!("/files?path={}", encode_query(path)),
            )
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(|e| self.transport(e))?;
        if status != 200 {
            return Err(self.failure(status, &body));
        }
        Ok(body.to_vec())
    }

    /// A unary Connect call: JSON in, JSON out.
    async fn unary(&self, method: &str, body: Value) -> Result<Value, E2bError> {
        let r = self
            .request(reqwest::Method::POST, &format!("/process.Process/{method}"))
            .header("Content-Type", "application/json")
            .header("Connect-Protocol-Version", "1")
            .timeout(Duration::from_secs(30))
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await.map_err(|e| self.transport(e))?;
        if status != 200 {
            return Err(self.failure(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| E2bError::Protocol(format!("{method}'s answer is not JSON: {e}")))
    }

    /// `SendInput`: bytes to the process's stdin.
    pub async fn send_input(&self, pid: u32, bytes: &[u8]) -> Result<(), E2bError> {
        let body = json!({"process": {"pid": pid}, "input": {"stdin": B64.encode(bytes)}});
        self.unary("SendInput", body).await.map(drop)
    }

    /// `SendSignal`: SIGKILL or SIGTERM (envd has no other).
    pub async fn send_signal(&self, pid: u32, signal: Signal) -> Result<(), E2bError> {
        let signal = match signal {
            Signal::Kill => "SIGNAL_SIGKILL",
            Signal::Term => "SIGNAL_SIGTERM",
        };
        let body = json!({"process": {"pid": pid}, "signal": signal});
        self.unary("SendSignal", body).await.map(drop)
    }

    /// `CloseStdin`: the process reads end of file.
    pub async fn close_stdin(&self, pid: u32) -> Result<(), E2bError> {
        self.unary("CloseStdin", json!({"process": {"pid": pid}}))
            .await
            .map(drop)
    }

    /// `Start`: starts a process; the stream's first event (its pid) is already read.
    pub async fn start(&self, spec: &ProcessSpec) -> Result<ProcessStream, E2bError> {
        let mut process = json!({"cmd": spec.cmd, "args": spec.args, "envs": spec.envs});
        if let Some(cwd) = &spec.cwd {
            process["cwd"] = json!(cwd);
        }
        let body = encode(&json!({"process": process, "stdin": spec.stdin}));
        let mut r = self
            .request(reqwest::Method::POST, "/process.Process/Start")
            .header("Content-Type", "application/connect+json")
            .header("Connect-Protocol-Version", "1")
            .header("Connect-Content-Encoding", "identity")
            .header("Connect-Accept-Encoding", "identity")
            .header("Keepalive-Ping-Interval", KEEPALIVE_S.to_string());
        if let Some(t) = spec.timeout {
            r = r.header("Connect-Timeout-Ms", t.as_millis().to_string());
        }
        let response = r.body(body).send().await.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.bytes().await.map_err(|e| self.transport(e))?;
            return Err(self.failure(status, &body));
        }
        let mut stream = ProcessStream {
            sandbox: self.sandbox.clone(),
            response,
            decoder: Decoder::default(),
            pid: 0,
            done: false,
        };
        match stream.message().await? {
            Some(v) => match v["event"]["start"]["pid"].as_u64() {
                Some(pid) => stream.pid = pid as u32,
                None => {
                    return Err(E2bError::Protocol(format!(
                        "the first event of a process stream is not `start`: {v}"
                    )))
                }
            },
            None => {
                return Err(E2bError::Protocol(
                    "the process stream ended before its start event".into(),
                ))
            }
        }
        Ok(stream)
    }
}

/// A started process's event stream.
#[derive(Debug)]
pub struct ProcessStream {
    sandbox: String,
    response: reqwest::Response,
    decoder: Decoder,
    pid: u32,
    done: bool,
}

impl ProcessStream {
    /// The process id in the sandbox.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn ended(&self, message: impl Into<String>) -> E2bError {
        E2bError::StreamEnded {
            sandbox: self.sandbox.clone(),
            message: message.into(),
        }
    }

    /// The next message envelope; `None` after a clean end of stream.
    async fn message(&mut self) -> Result<Option<Value>, E2bError> {
        loop {
            match self.decoder.next() {
                Ok(Some(Envelope::Message(v))) => return Ok(Some(v)),
                Ok(Some(Envelope::End(Ok(())))) => {
                    self.done = true;
                    return Ok(None);
                }
                Ok(Some(Envelope::End(Err(e)))) => {
                    self.done = true;
                    return Err(E2bError::Envd {
                        sandbox: self.sandbox.clone(),
                        code: e.code,
                        message: e.message,
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(E2bError::Protocol(e.to_string())),
            }
            if self.done {
                return Ok(None);
            }
            match tokio::time::timeout(IDLE_LIMIT, self.response.chunk()).await {
                Err(_) => {
                    return Err(self.ended(format!(
                        "no event, not even a keepalive, for {} s",
                        IDLE_LIMIT.as_secs()
                    )))
                }
                Ok(Ok(Some(bytes))) => self.decoder.push(&bytes),
                Ok(Ok(None)) => {
                    let detail = match self.decoder.finish() {
                        Ok(()) => "no end-of-stream envelope".to_owned(),
                        Err(e) => e.to_string(),
                    };
                    return Err(self.ended(detail));
                }
                Ok(Err(e)) => return Err(self.ended(format!("the connection failed: {e}"))),
            }
        }
    }

    /// The next output or the end; keepalives are skipped. `Ok(None)` after the end.
    pub async fn next(&mut self) -> Result<Option<ProcessEvent>, E2bError> {
        loop {
            let Some(v) = self.message().await? else {
                return Ok(None);
            };
            let event = &v["event"];
            if let Some(data) = event.get("data") {
                let bytes = |k: &str| data.get(k).and_then(|s| s.as_str()).map(|s| B64.decode(s));
                match (bytes("stdout"), bytes("stderr")) {
                    (Some(Ok(b)), _) => return Ok(Some(ProcessEvent::Stdout(b))),
                    (_, Some(Ok(b))) => return Ok(Some(ProcessEvent::Stderr(b))),
                    _ => continue, // pty output, or bad base64: not ours to read.
                }
            }
            if let Some(end) = event.get("end") {
                return Ok(Some(ProcessEvent::End(Exit {
                    code: end["exitCode"].as_i64().unwrap_or(0) as i32,
                    exited: end["exited"].as_bool().unwrap_or(false),
                    status: end["status"].as_str().unwrap_or("").to_owned(),
                    error: end["error"].as_str().map(str::to_owned),
                })));
            }
            // keepalive, or an event kind this client does not know.
        }
    }

    /// Reads to the end: stdout, stderr and how the process ended.
    pub async fn wait(mut self) -> Result<(Vec<u8>, Vec<u8>, Exit), E2bError> {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        loop {
            match self.next().await? {
                Some(ProcessEvent::Stdout(b)) => out.extend(b),
                Some(ProcessEvent::Stderr(b)) => err.extend(b),
                Some(ProcessEvent::End(exit)) => {
                    // The end-of-stream envelope may still carry an error.
                    while self.message().await?.is_some() {}
                    return Ok((out, err, exit));
                }
                None => return Err(self.ended("the stream ended without an end event")),
            }
        }
    }
}
