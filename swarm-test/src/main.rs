//! The `swarm-test` command.
//!
//! ```text
//! swarm-test run [CARGO TEST ARGS…]   run `cargo test` with reports on, then print the summary
//! swarm-test report DIR [--plots OUT] print the summary of the reports in DIR (and SVG plots)
//! swarm-test gc [--yes]               list (with --yes, delete) E2B sandboxes left by earlier runs
//! ```

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use swarm_test::summary;

const USAGE: &str = "usage:
  swarm-test run [CARGO TEST ARGS…]   run `cargo test ARGS` with SWARM_TEST_REPORT set, then print the summary
  swarm-test report DIR [--plots OUT] print the summary of the reports in DIR (written with SWARM_TEST_REPORT);
                                      with --plots, also write latency.svg and throughput.svg into OUT
  swarm-test gc [--yes]               list the E2B sandboxes tagged by swarm-test runs; --yes deletes them";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("report") if args.len() == 2 => report(&PathBuf::from(&args[1]), None),
        Some("report") if args.len() == 4 && args[2] == "--plots" => {
            report(&PathBuf::from(&args[1]), Some(&PathBuf::from(&args[3])))
        }
        Some("gc") if args.len() == 1 || (args.len() == 2 && args[1] == "--yes") => {
            gc(args.len() == 2)
        }
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `swarm-test gc [--yes]` (feature `e2b`).
#[cfg(feature = "e2b")]
fn gc(yes: bool) -> ExitCode {
    match swarm_test::backend::e2b::gc(yes) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("swarm-test gc: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `swarm-test gc` without the `e2b` feature: says how to get it.
#[cfg(not(feature = "e2b"))]
fn gc(_yes: bool) -> ExitCode {
    eprintln!(
        "swarm-test gc: this swarm-test was built without E2B support: rebuild it with \
         `--features e2b` (e.g. `cargo install swarm-test --features e2b`)"
    );
    ExitCode::FAILURE
}

fn report(dir: &std::path::Path, plots: Option<&std::path::Path>) -> ExitCode {
    match summary::read_reports(dir) {
        Ok(reports) if reports.is_empty() => {
            eprintln!(
                "no reports in {}: run tests with SWARM_TEST_REPORT={} first",
                dir.display(),
                dir.display()
            );
            ExitCode::FAILURE
        }
        Ok(reports) => {
            print!("{}", summary::markdown(&reports));
            match plots.map(|out| summary::write_plots(&reports, out)) {
                None => ExitCode::SUCCESS,
                Some(Ok(files)) => {
                    for file in files {
                        println!("\nplot: {}", file.display());
                    }
                    ExitCode::SUCCESS
                }
                Some(Err(e)) => {
                    eprintln!("swarm-test report: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("swarm-test report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cargo_args: &[String]) -> ExitCode {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    // Absolute: cargo runs each test binary in its own package's directory.
    let dir = match std::path::absolute(target.join("swarm-test-reports")) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("swarm-test run: cannot resolve the report directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .arg("test")
        .args(cargo_args)
        .env("SWARM_TEST_REPORT", &dir)
        .status();
    let tests_passed = match status {
        Ok(status) => status.success(),
        Err(e) => {
            eprintln!("swarm-test run: could not start cargo: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("\nSummary of the runs (reports in {}):\n", dir.display());
    let summary = report(&dir, Some(&dir));
    if tests_passed {
        summary
    } else {
        eprintln!("\nsome tests failed: see above");
        ExitCode::FAILURE
    }
}
