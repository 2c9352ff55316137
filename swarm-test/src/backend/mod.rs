//! Live backends: where agent programs run and how the controller reaches them.
//!
//! A backend starts an agent program and hands back its duplex byte stream (frames of
//! [`crate::wire`]) and a [`Control`] for the faults that act on the process itself: kill,
//! pause, resume, and resource usage. The live driver does everything else (routing, the
//! network's faults, timeouts) the same way for every backend.
//!
//! - [`process`]: agents are child processes of the test, the test binary re-executed.
//! - `e2b` (feature `e2b`): agents run in E2B sandboxes, one per agent.

#[cfg(feature = "e2b")]
pub mod e2b;
mod error;
pub mod process;
pub(crate) mod reaper;

pub use error::{BackendError, SignalError, StartError};

use std::fmt;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::topology::AgentId;

/// Why `SWARM_TEST_BACKEND=e2b` cannot run in this build, or `None` when it can.
pub fn e2b_unavailable() -> Option<&'static str> {
    if cfg!(feature = "e2b") {
        None
    } else {
        Some(
            "SWARM_TEST_BACKEND=e2b needs swarm-test's `e2b` feature, which this build does not \
             have, so nothing ran (it never falls back to another backend or to mock). Enable \
             it in Cargo.toml (`swarm-test = { version = \"...\", features = [\"e2b\"] }`) or \
             run with `--features swarm-test/e2b`; or unset SWARM_TEST_BACKEND to run the \
             agents as local processes.",
        )
    }
}

/// The live backend `SWARM_TEST_BACKEND` picks, for the test at `test_path`.
pub(crate) fn select(
    backend: crate::config::Backend,
    test_path: &str,
) -> Result<Box<dyn Backend>, BackendError> {
    match backend {
        crate::config::Backend::Process => Ok(Box::new(process::ProcessBackend::new()?)),
        #[cfg(feature = "e2b")]
        crate::config::Backend::E2b => Ok(Box::new(e2b::E2bBackend::new(test_path)?)),
        #[cfg(not(feature = "e2b"))]
        crate::config::Backend::E2b => {
            let _ = test_path;
            Err(BackendError::E2bUnavailable)
        }
    }
}

/// What a backend needs to start one agent program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program: the test binary itself.
    pub program: std::path::PathBuf,
    /// Its arguments: for a libtest binary, the filter that selects this very test.
    pub args: Vec<String>,
    /// Environment variables added for the agent (the agent marker among them).
    pub env: Vec<(String, String)>,
}

/// Resource usage of an agent process, read from the OS.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// CPU time used so far (user + system, all threads), seconds.
    pub cpu_s: f64,
    /// Resident set size now, MB.
    pub rss_mb: f64,
}

/// The controller's hold on one running agent program.
pub trait Control: Send + fmt::Debug {
    /// The OS process id, where there is one on this machine.
    fn pid(&self) -> Option<u32>;
    /// Kills the agent at once (SIGKILL), without waiting.
    fn kill(&mut self);
    /// Pauses the agent (SIGSTOP): it keeps its memory and connections but runs no code.
    fn pause(&mut self) -> Result<(), SignalError>;
    /// Resumes a paused agent (SIGCONT).
    fn resume(&mut self) -> Result<(), SignalError>;
    /// CPU time and memory, or `None` once the process is gone.
    fn usage(&mut self) -> Option<Usage>;
    /// Kills the agent if it still runs and waits for it to end; returns how it ended.
    fn reap(&mut self) -> String;
    /// [`Control::reap`] once the agent's stream has ended: lets it finish exiting on its own
    /// for a moment first, so its own exit status or signal is what is reported.
    fn reap_after_close(&mut self) -> String {
        self.reap()
    }
    /// The last lines the agent wrote to its stderr (its panic message, say), oldest first;
    /// empty where the backend does not keep them.
    fn stderr_tail(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One started agent: its stream and its control.
pub struct Started {
    /// Frames to the agent.
    pub input: Box<dyn AsyncWrite + Send + Unpin>,
    /// Frames from the agent.
    pub output: Box<dyn AsyncRead + Send + Unpin>,
    /// Process-level control.
    pub control: Box<dyn Control>,
}

impl fmt::Debug for Started {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Started")
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

/// Starts agent programs.
pub trait Backend: Send + fmt::Debug {
    /// Starts agent `agent` with `launch`. Called from inside the live driver's tokio runtime.
    fn start(&mut self, agent: AgentId, launch: &Launch) -> Result<Started, StartError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run by `cargo test -p swarm-test --lib backend::tests` (no feature) and with
    /// `--features e2b`.
    #[test]
    fn e2b_without_the_feature_says_how_to_enable_it() {
        let why = e2b_unavailable();
        assert_eq!(
            why.is_none(),
            cfg!(feature = "e2b"),
            "unavailable exactly without the feature"
        );
        if let Some(why) = why {
            assert!(why.contains("`e2b` feature") && why.contains("--features swarm-test/e2b"));
            assert!(why.contains("never falls back"));
            let err = select(crate::config::Backend::E2b, "t").unwrap_err();
            assert_eq!(err.to_string(), why);
        }
    }
}
