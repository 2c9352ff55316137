//! The reference scenarios live in `tests/scenarios/`, the other areas in their own test
//! binaries beside it. This library holds what several of those binaries share: running one
//! of their own `#[ignore]`d subject tests in a child process, the way the harness and live
//! tests check what a whole test run does (exit status, printed output, leftover processes).

use std::process::{Command, Output};

/// A command that runs the subject test `subjects::NAME` of the current test binary, alone,
/// with its output shown, and with every `SWARM_TEST_*` variable of this process removed (so
/// the caller sets exactly the environment it tests).
pub fn subject(name: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        &format!("subjects::{name}"),
        "--include-ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    for (key, _) in std::env::vars() {
        if key.starts_with("SWARM_TEST_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Everything a child printed, stdout then stderr.
pub fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
