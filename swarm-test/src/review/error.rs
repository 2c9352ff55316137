//! Why report files, pages or plots could not be read or written. Each error's source (where
//! there is one) is the underlying I/O or JSON error; `swarm-test` prints the chain.

use std::path::PathBuf;

/// Why report files could not be read.
///
/// ```
/// use swarm_test::internals::review::{file, ReadError};
///
/// let err = file::read_dir(std::path::Path::new("/no/such/reports")).unwrap_err();
/// assert!(matches!(err, ReadError::Dir { .. }));
/// assert!(err.to_string().contains("SWARM_TEST_REPORT=/no/such/reports"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The directory could not be listed.
    #[error(
        "cannot read the report directory {}; write one with SWARM_TEST_REPORT={} cargo test",
        dir.display(),
        dir.display()
    )]
    Dir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a report file (or one of another version).
    #[error(
        "{} is not a swarm-test report file (write report files with SWARM_TEST_REPORT=DIR cargo test)",
        path.display()
    )]
    NotAReport {
        /// The file.
        path: PathBuf,
        /// What did not parse.
        source: serde_json::Error,
    },
}

/// Why a chart could not be drawn.
///
/// ```
/// use swarm_test::internals::review::PlotError;
///
/// let e = PlotError { path: "out/latency.svg".into(), message: "no room".into() };
/// assert_eq!(e.to_string(), "cannot draw out/latency.svg: no room");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw {}: {message}", path.display())]
pub struct PlotError {
    /// The chart's file.
    pub path: PathBuf,
    /// What the drawing backend said.
    pub message: String,
}

/// Why a report file, a timeline page or `REPORT.md` and its plots could not be written.
///
/// ```
/// use swarm_test::internals::review::{report, WriteError};
///
/// let out = std::env::temp_dir();
/// let err = report::write(&[], "reports".as_ref(), &out).unwrap_err();
/// assert!(matches!(err, WriteError::NoReports { .. }));
/// assert!(err.to_string().contains("SWARM_TEST_REPORT=reports"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// There is nothing to write a report of.
    #[error(
        "no report files in {}: run the tests with SWARM_TEST_REPORT={} first (or `swarm-test run`)",
        dir.display(),
        dir.display()
    )]
    NoReports {
        /// Where they were looked for.
        dir: PathBuf,
    },
    /// A run's report could not be encoded.
    #[error("could not encode the report of {name}")]
    Encode {
        /// The run.
        name: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A run's report file could not be written.
    #[error("could not write the report to {} (SWARM_TEST_REPORT)", path.display())]
    Report {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another file (a timeline page, `REPORT.md`) or directory could not be written.
    #[error("cannot write {}", path.display())]
    File {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
}
