//! Tests of the harness itself: teardown on every way a test can end, bad environment
//! values, seed replay and determinism, and (in `faults`) a planted bug caught with a working
//! replay command, the determinism check and regression seeds.
//!
//! Each check runs a *subject* test (in `subjects`, `#[ignore]`d so it only runs when asked)
//! in a child process of this very test binary, and reads what it printed: the real macro, the
//! real runtime and libtest's real failure path, with the environment under our control.

mod explore;
mod faults;
mod select;
mod subjects;

use std::path::PathBuf;
use std::process::Output;

/// Runs one subject test in a child process with `env` set (and every other `SWARM_TEST_*`
/// variable removed).
fn run_subject(name: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = tests::subject(name);
    cmd.envs(env.iter().copied());
    cmd.output().expect("the test binary runs")
}

fn text(output: &Output) -> String {
    tests::printed(output)
}

fn assert_ran_once(output: &Output) {
    let all = text(output);
    assert!(
        all.contains("running 1 test"),
        "the subject did not run exactly once:\n{all}"
    );
}

#[test]
fn teardown_runs_after_a_panic() {
    let out = run_subject("panics_in_body", &[]);
    assert_ran_once(&out);
    let all = text(&out);
    assert!(
        !out.status.success(),
        "a panicking body fails the test:\n{all}"
    );
    assert!(all.contains("the test body panicked: boom"), "{all}");
    assert!(all.contains("TEARDOWN RAN"), "teardown did not run:\n{all}");
}

#[test]
fn teardown_runs_after_an_err_return() {
    let out = run_subject("returns_err", &[]);
    assert_ran_once(&out);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("the test body returned Err: TaskFailed"),
        "{all}"
    );
    assert!(
        all.contains("no agent is available with capability `teleportation`"),
        "{all}"
    );
    assert!(all.contains("TEARDOWN RAN"), "{all}");
}

#[test]
fn teardown_runs_after_a_timeout() {
    let out = run_subject("sleeps_past_timeout", &[]);
    assert_ran_once(&out);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("timed out after 2s of virtual time"), "{all}");
    assert!(all.contains("TEARDOWN RAN"), "{all}");
}

#[test]
fn teardown_runs_after_a_failed_assertion_in_a_report_body() {
    let out = run_subject("report_assertion_fails", &[]);
    assert_ran_once(&out);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("the test body panicked"), "{all}");
    assert!(all.contains("more trades than dispatched"), "{all}");
}

#[test]
fn a_failure_prints_seed_mode_replay_command_and_trace() {
    let out = run_subject("panics_in_body", &[]);
    let all = text(&out);
    assert!(all.contains("  seed: "), "{all}");
    assert!(all.contains("  mode: mock"), "{all}");
    assert!(
        all.contains("replay: SWARM_TEST_SEED=")
            && all.contains("cargo test -p tests -- --exact subjects::panics_in_body"),
        "{all}"
    );
    assert!(all.contains("last ") && all.contains("events:"), "{all}");
    assert!(
        all.contains("dispatch task#0"),
        "the trace tail shows events:\n{all}"
    );
}

#[test]
fn the_replay_command_reproduces_the_same_run() {
    let first = text(&run_subject("panics_in_body", &[]));
    let seed = first
        .split("SWARM_TEST_SEED=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the failure names a seed");
    let again = text(&run_subject("panics_in_body", &[("SWARM_TEST_SEED", seed)]));
    let events = |all: &str| all.split("events:").nth(1).map(str::to_owned);
    assert!(events(&first).is_some());
    assert_eq!(
        events(&first),
        events(&again),
        "replaying the seed replays the events"
    );
}

#[test]
fn an_invalid_mode_names_the_variable_and_the_choices() {
    let out = run_subject("plain_mesh", &[("SWARM_TEST_MODE", "bogus")]);
    assert_ran_once(&out);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("SWARM_TEST_MODE=\"bogus\" is not valid: expected one of `mock`, `live`"),
        "{all}"
    );
    assert!(all.contains("Nothing ran"), "{all}");
}

#[test]
fn invalid_seed_and_seed_count_are_rejected() {
    let all = text(&run_subject("plain_mesh", &[("SWARM_TEST_SEED", "abc")]));
    assert!(
        all.contains("SWARM_TEST_SEED=\"abc\" is not valid"),
        "{all}"
    );
    let all = text(&run_subject("plain_mesh", &[("SWARM_TEST_SEEDS", "zero")]));
    assert!(
        all.contains("SWARM_TEST_SEEDS=\"zero\" is not valid"),
        "{all}"
    );
}

/// This crate builds swarm-test with its `e2b` feature (the feature-less message is checked
/// by swarm-test's own `backend::tests`): without a key, live mode on E2B says what to set
/// and runs nothing, neither on E2B nor anywhere else.
#[test]
fn the_e2b_backend_without_a_key_says_what_to_set_instead_of_falling_back() {
    let out = run_subject(
        "plain_mesh",
        &[
            ("SWARM_TEST_MODE", "live"),
            ("SWARM_TEST_BACKEND", "e2b"),
            ("E2B_API_KEY", ""),
        ],
    );
    assert_ran_once(&out);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("E2B_API_KEY is not set"), "{all}");
    assert!(all.contains("export E2B_API_KEY"), "{all}");
}

fn report_dir(tag: &str) -> PathBuf {
    temp_dir(tag)
}

/// A fresh directory for one check, unique to this process.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swarm-test-harness-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn reports_in(dir: &PathBuf) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("the report directory exists")
        .map(|e| {
            let path = e.expect("a readable entry").path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).expect("a readable report"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_seed_same_report_bytes_across_processes() {
    let (a, b) = (report_dir("a"), report_dir("b"));
    for dir in [&a, &b] {
        let out = run_subject(
            "plain_mesh",
            &[
                ("SWARM_TEST_SEED", "7"),
                ("SWARM_TEST_REPORT", dir.to_str().unwrap()),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let (ra, rb) = (reports_in(&a), reports_in(&b));
    assert_eq!(ra.len(), 1);
    assert!(ra[0].1.contains("\"seed\": 7"), "{}", ra[0].1);
    assert_eq!(ra, rb, "two runs of seed 7 wrote different reports");
    let _ = (std::fs::remove_dir_all(a), std::fs::remove_dir_all(b));
}

#[test]
fn many_seeds_run_distinct_scenarios() {
    let dir = report_dir("seeds");
    let out = run_subject(
        "plain_mesh",
        &[
            ("SWARM_TEST_SEEDS", "5"),
            ("SWARM_TEST_REPORT", dir.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let reports = reports_in(&dir);
    assert_eq!(reports.len(), 5, "one report per seed");
    let bodies: std::collections::BTreeSet<_> = reports.iter().map(|(_, body)| body).collect();
    assert_eq!(bodies.len(), 5, "different seeds give different runs");
    let _ = std::fs::remove_dir_all(dir);
}

/// The seed of the one run `subjects::NAME` makes, read from the report it writes, and the
/// report's name.
fn seed_and_name_of(name: &str, tag: &str) -> (u64, String) {
    let dir = report_dir(tag);
    let out = run_subject(name, &[("SWARM_TEST_REPORT", dir.to_str().unwrap())]);
    assert!(out.status.success(), "{}", text(&out));
    let reports = reports_in(&dir);
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report: serde_json::Value = serde_json::from_str(&reports[0].1).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    (
        report["seed"].as_u64().expect("a seed"),
        report["name"].as_str().expect("a name").to_owned(),
    )
}

/// Issue 13.8: the cases of one `#[rstest]` test used to share a seed (it hashed the test's
/// path only). Each case gets its own, derived from the path and the case, and the same on
/// every run.
#[test]
fn each_rstest_case_gets_its_own_seed() {
    let (low, low_name) = seed_and_name_of("rstest_cases::case_1_low", "rstest-low");
    let (high, high_name) = seed_and_name_of("rstest_cases::case_2_high", "rstest-high");
    assert_eq!(low_name, "rstest_cases@case_1_low");
    assert_eq!(high_name, "rstest_cases@case_2_high");
    assert_ne!(low, high, "two rstest cases ran with the same seed");
    let (again, _) = seed_and_name_of("rstest_cases::case_1_low", "rstest-again");
    assert_eq!(again, low, "a case's seed is stable across runs");
}
