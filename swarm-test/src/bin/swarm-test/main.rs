//! The `swarm-test` command: run the tests with reports on, draw the cross-pattern report,
//! diff two report directories, draw one run's timeline, and clean up E2B sandboxes.
//!
//! ```text
//! swarm-test run [CARGO TEST ARGS…]          cargo test with SWARM_TEST_REPORT set, then the report
//! swarm-test report DIR [--out OUT]          OUT/REPORT.md with SVG plots from DIR's report files
//! swarm-test diff BASE HEAD [--fail-above P] what moved between two report directories
//! swarm-test timeline FILE.json --out F.html one run's events, one lane per agent
//! swarm-test gc [--yes]                      E2B sandboxes left by earlier runs
//! ```
//!
//! Exit status: 0 on success; 1 when the tests failed (`run`) or a metric moved past
//! `--fail-above` (`diff`); 2 on a usage error or a file that cannot be read or written.

mod error;
mod gc;
mod progress;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};
use error::CliError;
use swarm_test::internals::chain;
use swarm_test::internals::review::{self, file};

/// Deterministic tests for swarms of trading agents: the review tools.
#[derive(Debug, Parser)]
#[command(name = "swarm-test", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run `cargo test ARGS` with SWARM_TEST_REPORT set, then write the cross-pattern report.
    ///
    /// The reports and REPORT.md go to DIR (default: target/swarm-test-reports, emptied first).
    /// Progress (runs reported so far) is printed to stderr while the tests run.
    #[command(
        after_help = "Example: swarm-test run -p tests --test scenarios -- --skip also_passes_live"
    )]
    Run {
        /// Where the report files, REPORT.md and the plots go.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Everything else is passed to `cargo test` as it is.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "CARGO TEST ARGS"
        )]
        cargo_args: Vec<String>,
    },
    /// Write OUT/REPORT.md with SVG plots from the report files in DIR.
    ///
    /// DIR holds the `*.json` files that tests write with SWARM_TEST_REPORT=DIR. The summary
    /// table is also printed.
    Report {
        /// The report directory (SWARM_TEST_REPORT of the runs).
        dir: PathBuf,
        /// Where REPORT.md and the plots go (default: DIR).
        #[arg(long, alias = "plots", value_name = "OUT")]
        out: Option<PathBuf>,
    },
    /// Compare two report directories and print a markdown table of what moved.
    ///
    /// Runs are matched by test name and mode; every number in a report is a metric. The
    /// table is sorted by the size of each change, largest first.
    #[command(
        after_help = "Exit status: 0 when nothing moved past --fail-above (or without it), 1 when \
                            something did, 2 when a directory cannot be read."
    )]
    Diff {
        /// The reference directory (e.g. main's reports).
        base: PathBuf,
        /// The directory to compare with it (e.g. a pull request's reports).
        head: PathBuf,
        /// Exit with status 1 when a metric moved by more than PCT percent.
        #[arg(long, value_name = "PCT", value_parser = percent)]
        fail_above: Option<f64>,
        /// Show at most N rows.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
        /// Also write the table to FILE (e.g. to post it on the pull request).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Draw one run's events as a self-contained HTML page, one lane per agent.
    Timeline {
        /// A report file written with SWARM_TEST_REPORT.
        report: PathBuf,
        /// The page to write.
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
    },
    /// List E2B sandboxes tagged by earlier runs (and delete them with --yes).
    Gc {
        /// Delete them instead of only listing them.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Cmd::Run { out, cargo_args } => run(out, &cargo_args),
        Cmd::Report { dir, out } => {
            let out = out.unwrap_or_else(|| dir.clone());
            report(&dir, &out).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Diff {
            base,
            head,
            fail_above,
            limit,
            out,
        } => diff(&base, &head, fail_above, limit, out.as_deref()),
        Cmd::Timeline { report, out } => timeline(&report, &out).map(|()| ExitCode::SUCCESS),
        Cmd::Gc { yes } => gc::gc(yes).map_err(CliError::from).map(|listing| {
            print!("{listing}");
            ExitCode::SUCCESS
        }),
    };
    outcome.unwrap_or_else(|e| {
        eprintln!("swarm-test: {}", chain(&e));
        ExitCode::from(2)
    })
}

fn report(dir: &Path, out: &Path) -> Result<(), CliError> {
    let files = file::read_dir(dir)?;
    let written = review::report::write(&files, dir, out)?;
    print!("{}", review::report::summary(&files));
    println!("\nreport: {}", written.markdown.display());
    for plot in &written.plots {
        println!("plot: {}", plot.display());
    }
    Ok(())
}

fn diff(
    base: &Path,
    head: &Path,
    fail_above: Option<f64>,
    limit: usize,
    out: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let (b, h) = (file::read_dir(base)?, file::read_dir(head)?);
    for (dir, files) in [(base, &b), (head, &h)] {
        if files.is_empty() {
            return Err(CliError::NoReports {
                dir: dir.to_owned(),
            });
        }
    }
    let d = review::diff::diff(&b, &h);
    let table = review::diff::markdown(&d, limit);
    print!("{table}");
    if let Some(out) = out {
        std::fs::write(out, &table).map_err(|source| CliError::File {
            path: out.to_owned(),
            source,
        })?;
    }
    match fail_above {
        Some(p) if d.above(p).next().is_some() => {
            eprintln!(
                "swarm-test diff: {} metrics moved by more than {p} % (largest: {:.1} %)",
                d.above(p).count(),
                d.largest()
            );
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// A percentage of 0 or more, as `--fail-above` takes it (`5`, `0.5`, `5%`).
fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if p >= 0.0 => Ok(p),
        _ => Err(format!(
            "`{text}` is not a percentage of 0 or more; write e.g. `--fail-above 5` (fail when a metric moved by more than 5 %)"
        )),
    }
}

fn timeline(report: &Path, out: &Path) -> Result<(), CliError> {
    if report.is_dir() {
        return Err(CliError::IsDir {
            path: report.to_owned(),
        });
    }
    let f = file::read(report)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| CliError::File {
            path: parent.to_owned(),
            source,
        })?;
    }
    std::fs::write(out, review::timeline::html(&f)).map_err(|source| CliError::File {
        path: out.to_owned(),
        source,
    })?;
    if f.timeline.is_none() {
        eprintln!(
            "swarm-test timeline: {} has no event trace (`timeline`), so the page shows only the report's \
             own events; files written by this version under SWARM_TEST_REPORT have it",
            report.display()
        );
    }
    println!("timeline: {}", out.display());
    Ok(())
}

fn run(out: Option<PathBuf>, cargo_args: &[String]) -> Result<ExitCode, CliError> {
    let dir = match out {
        Some(dir) => dir,
        None => std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target"))
            .join("swarm-test-reports"),
    };
    // Absolute: cargo runs each test binary in its own package's directory.
    let dir = std::path::absolute(&dir).map_err(|source| CliError::Resolve {
        dir: dir.clone(),
        source,
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .arg("test")
        .args(cargo_args)
        .env(swarm_test::internals::REPORT_VAR, &dir)
        .spawn()
        .map_err(CliError::Cargo)?;
    let watch = progress::Progress::start(dir.clone());
    let status = child.wait().map_err(CliError::Wait)?;
    watch.stop();
    println!("\nSummary of the runs (reports in {}):\n", dir.display());
    let drawn = report(&dir, &dir);
    if let Err(e) = &drawn {
        eprintln!("swarm-test run: {}", chain(e));
    }
    match (status.success(), drawn) {
        (true, Ok(())) => Ok(ExitCode::SUCCESS),
        (true, Err(_)) => Ok(ExitCode::from(2)),
        (false, _) => {
            eprintln!("\nsome tests failed: see above (a failed run's timeline page is beside its report)");
            Ok(ExitCode::FAILURE)
        }
    }
}
