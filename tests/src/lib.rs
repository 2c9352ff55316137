//! The reference scenarios live in `tests/scenarios/`, the other areas in their own test
//! binaries beside it. This library holds what several of those binaries share: running one
//! of their own `#[ignore]`d subject tests in a child process, the way the harness and live
//! tests check what a whole test run does (exit status, printed output, leftover processes).

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

/// Ties a child test binary to the thread that starts it, as the process backend ties its
/// agents: its own process group (a kill of the group reaches everything it started), and
/// SIGKILL when the starting thread dies (`prctl(PR_SET_PDEATHSIG)`), so a SIGKILLed parent
/// takes the child with it, and the child's agents follow through their own death signal.
/// If the parent died between fork and exec, the child exits at once. The caller reaps it
/// (`output`, `status`, `wait`).
pub fn tied_to_parent(cmd: &mut Command) -> &mut Command {
    let parent = std::process::id();
    cmd.process_group(0);
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        })
    }
}

/// A command that runs the subject test `subjects::NAME` of the current test binary, alone,
/// with its output shown, and with every `SWARM_TEST_*` variable of this process removed (so
/// the caller sets exactly the environment it tests). The child dies with its parent
/// ([`tied_to_parent`]).
pub fn subject(name: &str) -> Command {
    let mut cmd = this_binary();
    cmd.args([
        "--exact",
        &format!("subjects::{name}"),
        "--include-ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    cmd
}

/// The current test binary as a command, with every `SWARM_TEST_*` variable of this process
/// removed; the child dies with its parent ([`tied_to_parent`]).
fn this_binary() -> Command {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut cmd = Command::new(exe);
    tied_to_parent(&mut cmd);
    for (key, _) in std::env::vars() {
        if key.starts_with("SWARM_TEST_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs the tests of the current binary whose names start with `prefix` again in a child
/// process, in mock mode, with the deliberate bug `bug` planted
/// (`SWARM_TEST_FAULT_INJECT_BUG`), and fails unless at least one ran and every one of them
/// failed saying `promise` (each failure's own output, its replay command naming the bug).
/// Nothing is written: no snapshot (`INSTA_UPDATE=no`), no regression seed. Returns at once
/// inside a live run (the bugs are planted in mock mode).
///
/// This is how each strategy's and each fault kind's test proves it can fail: the same test,
/// the one thing it promises broken.
pub fn fails_with_bug(prefix: &str, bug: &str, promise: &str) {
    if std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live") {
        return;
    }
    let out = this_binary()
        .env("SWARM_TEST_FAULT_INJECT_BUG", bug)
        .env("SWARM_TEST_REGRESSIONS", "off")
        .env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("SWARM_TEST_REPORT")
        .args([prefix, "--test-threads", "2"])
        .output()
        .expect("the test binary runs");
    let all = printed(&out);
    let ran: Vec<&str> = all
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.split_once(" ... "))
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, verdict)| verdict)
        .collect();
    assert!(!ran.is_empty(), "no test starts with `{prefix}`:\n{all}");
    assert!(
        ran.iter().all(|v| v.trim() == "FAILED"),
        "with `{bug}` planted, every `{prefix}` test must fail:\n{all}"
    );
    let failures: Vec<&str> = all.split("\n---- ").skip(1).collect();
    assert_eq!(failures.len(), ran.len(), "{all}");
    for failure in failures {
        assert!(
            failure.contains(promise),
            "the failure does not say `{promise}`:\n{failure}"
        );
        assert!(
            failure.contains(&format!("SWARM_TEST_FAULT_INJECT_BUG={bug} ")),
            "the replay command names the bug:\n{failure}"
        );
    }
}

/// Everything a child printed, stdout then stderr.
pub fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs every test of the current test binary again in a child process with
/// `SWARM_TEST_MODE=live` (every agent a real OS process) and fails with the child's output
/// unless all of them pass against their `@live` snapshots, at least `at_least` of them. So a
/// plain `cargo test` covers both modes. `this_test` is the caller's own name (skipped in
/// the child). Returns at once inside a live run (the caller is then the child, or a user's
/// live run, where the tests run beside it).
pub fn passes_live(this_test: &str, at_least: u64) {
    if std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live") {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let out = tied_to_parent(&mut Command::new(exe))
        .env("SWARM_TEST_MODE", "live")
        .env_remove("SWARM_TEST_REPORT") // `cargo scenarios` collects the mock runs' reports.
        .args(["--skip", this_test])
        .output()
        .expect("the test binary runs");
    let all = printed(&out);
    assert!(out.status.success(), "failed in live mode:\n{all}");
    let passed: u64 = all
        .split("test result: ok. ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        passed >= at_least,
        "expected {at_least} tests to pass live:\n{all}"
    );
}

/// Like [`passes_live`], with every agent in an E2B sandbox of the stand-in at `e2b_url`
/// (`SWARM_TEST_BACKEND=e2b`, `E2B_API_URL` = `E2B_SANDBOX_URL` = the stand-in), one test at a
/// time (each test's sandboxes are created and its binary uploaded while the others would
/// race the clock). `api_key` is planted: the run fails if it shows in anything the run
/// printed or wrote (its reports in `report_dir` included). Returns the run's output.
pub fn passes_live_on_e2b(
    this_test: &str,
    at_least: u64,
    e2b_url: &str,
    api_key: &str,
    report_dir: &std::path::Path,
) -> String {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let out = Command::new(exe)
        .env("SWARM_TEST_MODE", "live")
        .env("SWARM_TEST_BACKEND", "e2b")
        .env("E2B_API_URL", e2b_url)
        .env("E2B_SANDBOX_URL", e2b_url)
        .env("E2B_API_KEY", api_key)
        .env("SWARM_TEST_E2B_CREATE_RATE", "1000")
        .env("SWARM_TEST_REPORT", report_dir)
        .env_remove("E2B_DOMAIN")
        .args([
            "--skip",
            this_test,
            "--skip",
            "also_passes_live",
            "--test-threads",
            "1",
        ])
        .output()
        .expect("the test binary runs");
    let all = printed(&out);
    assert!(out.status.success(), "failed in live mode on E2B:\n{all}");
    let passed: u64 = all
        .split("test result: ok. ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        passed >= at_least,
        "expected {at_least} tests to pass live on E2B:\n{all}"
    );
    all
}
