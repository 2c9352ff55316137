//! Why a `swarm-test` command failed. `main` prints the error and its sources.

use std::path::PathBuf;

use swarm_test::internals::review::{ReadError, WriteError};

/// Why a command failed (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Report files could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The report, a page or a plot could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// `gc` failed.
    #[error(transparent)]
    Gc(#[from] super::gc::GcError),
    /// `diff` over a directory without report files.
    #[error(
        "no report files in {}: write them with SWARM_TEST_REPORT={} cargo test (or swarm-test run --out {})",
        dir.display(),
        dir.display(),
        dir.display()
    )]
    NoReports {
        /// The directory.
        dir: PathBuf,
    },
    /// `timeline` given a directory.
    #[error(
        "{} is a directory: give one report file from it, e.g. {}/NAME-SEED.json",
        path.display(),
        path.display()
    )]
    IsDir {
        /// The directory.
        path: PathBuf,
    },
    /// A file or directory could not be written.
    #[error("cannot write {}", path.display())]
    File {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The report directory of `run` has no absolute form.
    #[error("cannot resolve the report directory {}", dir.display())]
    Resolve {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `cargo test` could not be started.
    #[error("could not start cargo (is it on PATH, or CARGO set?)")]
    Cargo(#[source] std::io::Error),
    /// `cargo test` could not be waited for.
    #[error("cargo test did not finish")]
    Wait(#[source] std::io::Error),
}
