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
