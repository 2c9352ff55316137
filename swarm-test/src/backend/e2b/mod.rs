//! The E2B backend: every agent runs in its own E2B sandbox (feature `e2b`).
//!
//! For each agent the backend creates a sandbox (template `SWARM_TEST_E2B_TEMPLATE`, tagged
//! with the metadata `swarm-test-run`, `swarm-test-owner`, `swarm-test-test` and
//! `swarm-test-agent`), uploads the test binary into it, and starts it through envd with the
//! agent variables; the process's stdout stream (`Start`) and `SendInput` carry the same wire
//! as a local child's pipes. A restarted agent gets a new process in the same sandbox.
//!
//! Faults: a kill is envd's `SendSignal` SIGKILL; pause and resume, which envd has no signal
//! for, run a helper (`kill -STOP` / `kill -CONT`) in the sandbox; usage is read from the
//! sandbox's `/proc` by a helper once a second; CPU and memory faults run inside the agent, as
//! with local processes, and network faults in the controller.
//!
//! Leases and cleanup (`lease`): each sandbox is created with a short timeout
//! (`SWARM_TEST_E2B_LEASE`) that a heartbeat renews while the run lasts; teardown deletes
//! every sandbox of the run, also after a panic or a timeout (the backend's drop) and on
//! SIGINT/SIGTERM (the reaper's hook); a SIGKILLed run's sandboxes end when their lease does;
//! [`gc`] finds and deletes what earlier runs left.
//!
//! The HTTP work runs on a runtime of its own (two threads, started once per process), so
//! the live driver's runtime only sees in-memory pipes.

pub mod envd;
mod envelope;
pub mod error;
mod gc;
mod lease;
mod limiter;
pub mod rest;
pub mod secret;
pub mod settings;
mod usage;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Backend, BackendError, Control, Launch, SignalError, StartError, Started, Usage};
use crate::topology::AgentId;
use envd::{Envd, Exit, ProcessEvent, ProcessSpec, Signal};
pub use error::E2bError;
pub use gc::{gc, gc_with, GcReport};
use lease::Lease;
use limiter::{Limits, Slot};
use rest::{NewSandbox, Rest};
pub use secret::Secret;
pub use settings::Settings;

/// Where the agent program is uploaded: relative, so it lands in the default user's home.
const AGENT_PATH: &str = "swarm-test-agent";

/// How long reaping waits for a killed process's end event.
const REAP_WAIT: Duration = Duration::from_secs(10);

/// The metadata tags.
pub const TAG_RUN: &str = "swarm-test-run";
/// The owner tag (`SWARM_TEST_E2B_OWNER`, default `$USER@$HOSTNAME`).
pub const TAG_OWNER: &str = "swarm-test-owner";
/// The test tag (the test's path).
pub const TAG_TEST: &str = "swarm-test-test";

/// The E2B runtime: HTTP clients and streams live here, never in the driver's runtime.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("swarm-test-e2b")
            .enable_all()
            .build()
            .expect("a tokio runtime for the E2B client")
    })
}

/// Runs `future` on the E2B runtime and waits for it, from any thread (also from inside
/// another runtime, which it blocks meanwhile). The clients' futures must run there: their
/// connections live on it.
pub fn block<T: Send + 'static>(
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .expect("the E2B runtime runs every task to its end")
}

/// The limits of this test process, from the first settings seen.
fn limits(settings: &Settings) -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(|| Limits::new(settings.create_rate, settings.max_sandboxes))
}

/// The test binary's bytes, read once per process.
fn agent_binary(path: &std::path::Path) -> Result<Arc<Vec<u8>>, StartError> {
    static BINARY: Mutex<Option<(std::path::PathBuf, Arc<Vec<u8>>)>> = Mutex::new(None);
    let mut cached = BINARY.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((p, bytes)) = cached.as_ref() {
        if p == path {
            return Ok(Arc::clone(bytes));
        }
    }
    let bytes = Arc::new(
        std::fs::read(path).map_err(|source| StartError::ReadProgram {
            path: path.to_owned(),
            source,
        })?,
    );
    *cached = Some((path.to_owned(), Arc::clone(&bytes)));
    Ok(bytes)
}

/// One agent's sandbox, with its place under the cap.
#[derive(Debug)]
struct Sandbox {
    envd: Envd,
    _slot: Slot,
}

/// An agent's sandbox, created by the first start of the agent and kept for its restarts.
type SandboxCell = Arc<tokio::sync::OnceCell<Sandbox>>;

/// Runs agents in E2B sandboxes. See the module docs.
#[derive(Debug)]
pub struct E2bBackend {
    rest: Rest,
    test: String,
    lease: Lease,
    sandboxes: BTreeMap<AgentId, SandboxCell>,
    creates: u64,
}

impl E2bBackend {
    /// A backend for the test at `test_path`, with the settings from the environment.
    pub fn new(test_path: &str) -> Result<E2bBackend, BackendError> {
        let settings = Settings::from_env()?;
        E2bBackend::with_settings(settings, test_path)
    }

    /// A backend with explicit settings.
    pub fn with_settings(settings: Settings, test_path: &str) -> Result<E2bBackend, BackendError> {
        lease::install_signal_hook()?;
        let rest = Rest::new(Arc::new(settings))?;
        let lease = Lease::start(rest.clone());
        Ok(E2bBackend {
            rest,
            test: test_path.to_owned(),
            lease,
            sandboxes: BTreeMap::new(),
            creates: 0,
        })
    }

    /// The run id this backend tags its sandboxes with.
    pub fn run_id(&self) -> &str {
        self.lease.run()
    }

    /// What creating `agent`'s sandbox takes: the create, then the agent program's upload.
    fn create(
        &mut self,
        agent: AgentId,
        program: &std::path::Path,
    ) -> Result<
        impl std::future::Future<Output = Result<Sandbox, E2bError>> + Send + 'static,
        StartError,
    > {
        self.creates += 1;
        let settings = Arc::clone(self.rest.settings());
        let metadata = BTreeMap::from([
            (TAG_RUN.to_owned(), self.lease.run().to_owned()),
            (TAG_OWNER.to_owned(), settings.owner.clone()),
            (TAG_TEST.to_owned(), self.test.clone()),
            ("swarm-test-agent".to_owned(), agent.to_string()),
        ]);
        let new = NewSandbox {
            template: settings.template.clone(),
            timeout_s: settings.lease_s,
            metadata,
            env_vars: BTreeMap::new(),
            idempotency_key: format!("swarm-test-{}-{agent}-{}", self.lease.run(), self.creates),
        };
        let binary = agent_binary(program)?;
        let (rest, lease) = (self.rest.clone(), self.lease.clone());
        Ok(async move {
            let slot = limits(rest.settings()).create_slot().await?;
            let created = rest.create(&new).await?;
            lease.add(&created.id);
            let envd = rest.envd(&created);
            envd.upload(AGENT_PATH, (*binary).clone()).await?;
            Ok(Sandbox { envd, _slot: slot })
        })
    }
}

impl Drop for E2bBackend {
    fn drop(&mut self) {
        if let Err(e) = self.lease.end() {
            eprintln!("swarm-test: {e}");
        }
    }
}

/// Quotes a word for `sh -c`.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// How an end event reads in a failure message.
fn describe(exit: &Exit) -> String {
    if exit.exited {
        format!("exited with status {}", exit.code)
    } else if exit.status == "signal: killed" {
        "killed (SIGKILL)".into()
    } else {
        format!("ended: {}", exit.status)
    }
}

impl Backend for E2bBackend {
    /// Returns once the process runs: the sandbox is created on the agent's first start (the
    /// program uploaded into it) and kept for its restarts. Setup's readiness wait starts
    /// after every agent has started, so a slow create or upload does not count against it.
    fn start(&mut self, agent: AgentId, launch: &Launch) -> Result<Started, StartError> {
        let cell = Arc::clone(self.sandboxes.entry(agent).or_default());
        let create = self.create(agent, &launch.program)?;
        let mut line = format!("chmod +x {AGENT_PATH} && exec ./{AGENT_PATH}");
        for arg in &launch.args {
            line.push(' ');
            line.push_str(&shell_quote(arg));
        }
        let spec = ProcessSpec {
            cmd: "/bin/sh".into(),
            args: vec!["-c".into(), line],
            envs: launch.env.iter().cloned().collect(),
            cwd: None,
            stdin: true,
            timeout: None,
        };
        let proc = Arc::new(Proc::default());
        let (input, from_driver) = tokio::io::duplex(1 << 16);
        let (to_driver, output) = tokio::io::duplex(1 << 16);
        let starting = Arc::clone(&proc);
        let (started, is_started) = tokio::sync::oneshot::channel::<Result<(), StartError>>();
        runtime().spawn(async move {
            let sandbox = match cell.get_or_try_init(|| create).await {
                Ok(sandbox) => sandbox,
                Err(source) => {
                    let why = StartError::Sandbox {
                        agent,
                        what: "'s E2B sandbox",
                        source,
                    };
                    starting.ended.set(crate::error::chain(&why));
                    return drop(started.send(Err(why)));
                }
            };
            let stream = match sandbox.envd.start(&spec).await {
                Ok(stream) => stream,
                Err(source) => {
                    let why = StartError::Sandbox {
                        agent,
                        what: "did not start in its E2B sandbox",
                        source,
                    };
                    starting.ended.set(crate::error::chain(&why));
                    return drop(started.send(Err(why)));
                }
            };
            let pid = stream.pid();
            let _ = starting.envd.set(sandbox.envd.clone());
            let _ = starting.pid.set(pid);
            if starting.cancelled.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = sandbox.envd.send_signal(pid, Signal::Kill).await;
            }
            let poller =
                usage::Poller::start(sandbox.envd.clone(), pid, Arc::clone(&starting.ended));
            *starting.poller.lock().unwrap_or_else(|p| p.into_inner()) = Some(poller);
            runtime().spawn(pump_input(sandbox.envd.clone(), pid, from_driver));
            let _ = started.send(Ok(()));
            pump_output(stream, to_driver, &starting.ended).await;
        });
        block(is_started).unwrap_or(Err(StartError::Abandoned { agent }))?;
        Ok(Started {
            input: Box::new(input),
            output: Box::new(output),
            control: Box::new(SandboxControl {
                proc,
                reaped: false,
            }),
        })
    }
}

/// The process's events: stdout into the driver's pipe, stderr to ours, the end recorded.
async fn pump_output(
    mut stream: envd::ProcessStream,
    mut to_driver: tokio::io::DuplexStream,
    ended: &Ended,
) {
    let how = loop {
        match stream.next().await {
            // A driver that stopped reading is no reason to stop draining to the end.
            Ok(Some(ProcessEvent::Stdout(b))) => drop(to_driver.write_all(&b).await),
            Ok(Some(ProcessEvent::Stderr(b))) => {
                use std::io::Write;
                let _ = std::io::stderr().write_all(&b);
            }
            Ok(Some(ProcessEvent::End(exit))) => break describe(&exit),
            Ok(None) => break "its stream ended without an end event".into(),
            Err(e) => break format!("lost: {e}"),
        }
    };
    drop(to_driver);
    ended.set(how);
}

/// The driver's frames to the process's stdin, in order; end of file closes its stdin.
async fn pump_input(envd: Envd, pid: u32, mut from_driver: tokio::io::DuplexStream) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match from_driver.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = envd.close_stdin(pid).await;
                return;
            }
            Ok(n) => {
                if envd.send_input(pid, &buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// How an agent's process ended, once it has.
#[derive(Debug, Default)]
pub(crate) struct Ended {
    how: Mutex<Option<String>>,
    changed: tokio::sync::Notify,
}

impl Ended {
    fn set(&self, how: String) {
        self.how
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(how);
        self.changed.notify_waiters();
    }

    pub(crate) fn get(&self) -> Option<String> {
        self.how.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn wait(&self) -> String {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(how) = self.get() {
                return how;
            }
            changed.await;
        }
    }
}

/// One agent process in a sandbox, as its start task fills it in.
#[derive(Debug, Default)]
struct Proc {
    envd: OnceLock<Envd>,
    pid: OnceLock<u32>,
    ended: Arc<Ended>,
    /// A kill asked for before the process had a pid.
    cancelled: std::sync::atomic::AtomicBool,
    poller: Mutex<Option<usage::Poller>>,
}

/// The controller's hold on a process in a sandbox.
#[derive(Debug)]
struct SandboxControl {
    proc: Arc<Proc>,
    reaped: bool,
}

impl SandboxControl {
    /// Runs `kill -SIG <pid>` in the sandbox: envd's SendSignal knows only KILL and TERM.
    fn helper_signal(&self, signal: &'static str) -> Result<(), SignalError> {
        if let Some(how) = self.proc.ended.get() {
            return Err(SignalError::Ended { how });
        }
        let (Some(envd), Some(&pid)) = (self.proc.envd.get(), self.proc.pid.get()) else {
            return Err(SignalError::Starting);
        };
        let envd = envd.clone();
        let spec = ProcessSpec {
            cmd: "/bin/sh".into(),
            args: vec!["-c".into(), format!("kill -{signal} {pid}")],
            timeout: Some(Duration::from_secs(10)),
            ..ProcessSpec::default()
        };
        let (_, err, exit) =
            block(async move { envd.start(&spec).await?.wait().await }).map_err(|source| {
                SignalError::Sandbox {
                    signal: if signal == "STOP" {
                        "SIGSTOP"
                    } else {
                        "SIGCONT"
                    },
                    pid,
                    source,
                }
            })?;
        if exit.code == 0 {
            Ok(())
        } else {
            Err(SignalError::Refused {
                signal,
                pid,
                status: exit.status,
                stderr: String::from_utf8_lossy(&err).trim().to_owned(),
            })
        }
    }

    /// SIGKILL through envd, or, before the process has a pid, as soon as it has one.
    fn send_kill(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.proc
            .cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let (envd, pid) = (self.proc.envd.get()?.clone(), *self.proc.pid.get()?);
        Some(runtime().spawn(async move {
            let _ = envd.send_signal(pid, Signal::Kill).await;
        }))
    }
}

impl Control for SandboxControl {
    fn pid(&self) -> Option<u32> {
        None // Not a process of this machine.
    }

    fn kill(&mut self) {
        if self.proc.ended.get().is_none() {
            self.send_kill();
        }
    }

    fn pause(&mut self) -> Result<(), SignalError> {
        self.helper_signal("STOP")
    }

    fn resume(&mut self) -> Result<(), SignalError> {
        self.helper_signal("CONT")
    }

    fn usage(&mut self) -> Option<Usage> {
        if self.proc.ended.get().is_some() {
            return None;
        }
        let poller = self.proc.poller.lock().unwrap_or_else(|p| p.into_inner());
        poller.as_ref()?.latest()
    }

    fn reap(&mut self) -> String {
        self.reaped = true;
        if let Some(poller) = self
            .proc
            .poller
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            poller.stop();
        }
        if let Some(how) = self.proc.ended.get() {
            return how;
        }
        let kill = self.send_kill();
        let ended = Arc::clone(&self.proc.ended);
        block(async move {
            if let Some(kill) = kill {
                let _ = kill.await;
            }
            match tokio::time::timeout(REAP_WAIT, ended.wait()).await {
                Ok(how) => how,
                Err(_) => format!(
                    "killed, but its end was not seen within {} s",
                    REAP_WAIT.as_secs()
                ),
            }
        })
    }
}

impl Drop for SandboxControl {
    fn drop(&mut self) {
        if !self.reaped {
            self.reap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn end_events_read_like_local_exits() {
        let exit = |code, exited, status: &str| Exit {
            code,
            exited,
            status: status.into(),
            error: None,
        };
        assert_eq!(
            describe(&exit(0, true, "exit status 0")),
            "exited with status 0"
        );
        assert_eq!(
            describe(&exit(-1, false, "signal: killed")),
            "killed (SIGKILL)"
        );
    }
}
