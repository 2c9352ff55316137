//! Why a live backend could not be made.

/// Why a live backend could not be made: the process's signal handler, E2B's settings or
/// client, or a build without the backend. Each variant's source (where there is one) is
/// the underlying error.
///
/// ```
/// use swarm_test::internals::backend::BackendError;
///
/// let e = BackendError::SignalHandler(std::io::Error::other("no signals here"));
/// assert_eq!(
///     e.to_string(),
///     "could not install the SIGINT/SIGTERM handler that kills live agents"
/// );
/// assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "no signals here");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The SIGINT/SIGTERM handler could not be registered.
    #[error("could not install the SIGINT/SIGTERM handler that kills live agents")]
    SignalHandler(#[source] std::io::Error),
    /// The handler's thread could not be started.
    #[error("could not start the thread of the SIGINT/SIGTERM handler that kills live agents")]
    SignalThread(#[source] std::io::Error),
    /// E2B's settings or client could not be made (a missing key, a bad setting, …).
    #[cfg(feature = "e2b")]
    #[error(transparent)]
    E2b(#[from] super::e2b::E2bError),
    /// `SWARM_TEST_BACKEND=e2b` in a build without the `e2b` feature.
    #[error("{}", super::e2b_unavailable().unwrap_or("the e2b backend is unavailable"))]
    E2bUnavailable,
}

/// Why a backend could not start an agent program ([`Backend::start`](super::Backend::start)).
///
/// ```
/// use swarm_test::internals::backend::StartError;
///
/// let e = StartError::Spawn {
///     agent: 2,
///     program: "target/debug/deps/my_test".into(),
///     source: std::io::Error::other("no such file"),
/// };
/// assert_eq!(e.to_string(), "could not start agent 2 as a process of target/debug/deps/my_test");
/// assert_eq!(swarm_test::internals::chain(&e), format!("{e}: no such file"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The OS could not start the process.
    #[error("could not start agent {agent} as a process of {}", program.display())]
    Spawn {
        /// The agent.
        agent: crate::topology::AgentId,
        /// The program it was to run.
        program: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A pipe to or from the process could not be registered with tokio.
    #[error("agent {agent}'s {pipe} cannot be driven by tokio")]
    Pipe {
        /// The agent.
        agent: crate::topology::AgentId,
        /// `stdin` or `stdout`.
        pipe: &'static str,
        /// What tokio said.
        #[source]
        source: std::io::Error,
    },
    /// The agent program's bytes could not be read (to upload them into a sandbox).
    #[error("cannot read the agent program {}", path.display())]
    ReadProgram {
        /// The program.
        path: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The agent's E2B sandbox could not be made, or the agent did not start in it.
    #[cfg(feature = "e2b")]
    #[error("agent {agent} {what}")]
    Sandbox {
        /// The agent.
        agent: crate::topology::AgentId,
        /// What failed: `'s E2B sandbox`, `did not start in its E2B sandbox`.
        what: &'static str,
        /// E2B's error.
        #[source]
        source: super::e2b::E2bError,
    },
    /// The start was abandoned before it finished (the runtime shut down).
    #[error("agent {agent}'s start was abandoned")]
    Abandoned {
        /// The agent.
        agent: crate::topology::AgentId,
    },
}

/// Why a pause (SIGSTOP) or resume (SIGCONT) of an agent process failed
/// ([`Control::pause`](super::Control::pause), [`Control::resume`](super::Control::resume)).
///
/// ```
/// use swarm_test::internals::backend::SignalError;
///
/// let e = SignalError::Reaped { pid: 4242 };
/// assert_eq!(e.to_string(), "agent process 4242 was already reaped");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignalError {
    /// The process was reaped already: there is nothing to signal (and its pid may be reused).
    #[error("agent process {pid} was already reaped")]
    Reaped {
        /// Its pid.
        pid: u32,
    },
    /// The process ended before the signal.
    #[error("the agent process already {how}")]
    Ended {
        /// How it ended.
        how: String,
    },
    /// The process has no pid yet (it is still starting in its sandbox).
    #[error("the agent process is still starting in its sandbox")]
    Starting,
    /// The OS refused the signal.
    #[error("could not send {signal} to agent process {pid}")]
    Os {
        /// `SIGSTOP` or `SIGCONT`.
        signal: &'static str,
        /// Its pid.
        pid: u32,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The signal could not be sent through the sandbox's process API.
    #[cfg(feature = "e2b")]
    #[error("could not send {signal} to agent process {pid} in its sandbox")]
    Sandbox {
        /// `SIGSTOP` or `SIGCONT`.
        signal: &'static str,
        /// Its pid in the sandbox.
        pid: u32,
        /// E2B's error.
        #[source]
        source: super::e2b::E2bError,
    },
    /// `kill` ran in the sandbox and failed.
    #[error("`kill -{signal} {pid}` in the sandbox failed ({status}): {stderr}")]
    Refused {
        /// `STOP` or `CONT`.
        signal: &'static str,
        /// Its pid in the sandbox.
        pid: u32,
        /// The command's exit status.
        status: String,
        /// What it wrote to stderr.
        stderr: String,
    },
}
