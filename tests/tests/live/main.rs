//! Live mode on the process backend, end to end: each check runs a subject test (in
//! `subjects`) in a child process of this test binary with `SWARM_TEST_MODE=live`, so its agents
//! are real processes started from this binary, and reads what it printed.
//!
//! `leak` ends live runs at random points (panic, timeout, SIGINT, SIGTERM, SIGKILL) and checks
//! that no agent process of theirs survives.

mod leak;
mod subjects;

use std::process::{Command, Output};

use serde_json::Value;

/// Serialises the tests that measure CPU or start many processes, so they do not skew each
/// other's measurements on a small machine.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|p| p.into_inner())
}

/// A command for one subject with `SWARM_TEST_MODE=live` (other `SWARM_TEST_*` removed).
fn subject(name: &str) -> Command {
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
    cmd.env("SWARM_TEST_MODE", "live");
    cmd
}

fn run(name: &str) -> (Output, String) {
    let out = subject(name).output().expect("the test binary runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "subject {name} failed:\n{all}");
    (out, all)
}

/// The value printed after `PREFIX ` on a line of the subject's output.
fn printed<'a>(all: &'a str, prefix: &str) -> &'a str {
    // libtest prints `test NAME ... ` before the body runs, on the same line.
    let prefix = format!("{prefix} ");
    all.lines()
        .find_map(|l| l.find(&prefix).map(|at| &l[at + prefix.len()..]))
        .unwrap_or_else(|| panic!("the subject printed no `{prefix}` line:\n{all}"))
}

fn report(all: &str) -> Value {
    serde_json::from_str(printed(all, "REPORT")).expect("the report is JSON")
}

fn numbers(text: &str) -> Vec<f64> {
    serde_json::from_str(text).expect("a JSON list of numbers")
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat[stat.rfind(')').unwrap_or(0)..].starts_with(") Z"))
        .unwrap_or(false)
}

#[test]
fn agents_are_distinct_live_processes_and_are_gone_after_the_test() {
    let (_, all) = run("agents_are_processes");
    let pids: Vec<u32> = numbers(printed(&all, "AGENT PIDS"))
        .into_iter()
        .map(|p| p as u32)
        .collect();
    assert_eq!(pids.len(), 5);
    for pid in pids {
        assert!(!alive(pid), "agent process {pid} outlived its test");
    }
}

#[test]
fn cpu_spike_raises_the_target_s_measured_cpu() {
    let _serial = heavy();
    let (_, all) = run("cpu_spike_burns_cpu");
    let cpu = numbers(printed(&all, "CPU"));
    assert!(cpu[1] > 0.3, "the spiked agent burns CPU: {cpu:?}");
    assert!(
        cpu[1] > cpu[0] + 0.2 && cpu[1] > cpu[2] + 0.2,
        "more than its peers: {cpu:?}"
    );
}

#[test]
fn memory_leak_raises_the_target_s_measured_rss() {
    let _serial = heavy();
    let (_, all) = run("memory_leak_grows_rss");
    let rss = numbers(printed(&all, "RSS"));
    assert!(
        rss[1] > rss[0] + 100.0 && rss[1] > rss[2] + 100.0,
        "300 MB/s for a second leaks well over 100 MB: {rss:?}"
    );
}

#[test]
fn a_crashed_agent_is_detected_and_routed_around() {
    let (_, all) = run("crash_is_routed_around");
    let r = report(&all);
    assert_eq!(r["tasks"]["completed"], 40, "{r}");
    assert_eq!(r["tasks"]["lost"], 0);
    assert_eq!(r["tasks"]["duplicated"], 0);
    assert!(r["tasks"]["rerouted"].as_u64().unwrap() > 0, "{r}");
    let fault = &r["faults"][0];
    assert_eq!(fault["targets"], serde_json::json!([1]));
    assert!(
        fault["detected_after_ms"].as_f64().unwrap() >= 1_000.0,
        "by a client timeout: {fault}"
    );
    assert!(fault["recovered_after_ms"].as_f64().is_some(), "{fault}");
    assert!(
        all.contains("agent 1 crashed (SIGKILL)") || r["agents"][1]["executed"].as_u64().is_some()
    );
}

#[test]
fn a_hung_agent_is_routed_around_and_resumes() {
    let (_, all) = run("hang_is_routed_around");
    let r = report(&all);
    assert_eq!(r["tasks"]["completed"], 39, "{r}");
    assert_eq!(r["tasks"]["duplicated"], 0, "late answers are deduplicated");
    assert!(r["tasks"]["rerouted"].as_u64().unwrap() > 0, "{r}");
    let fault = &r["faults"][0];
    assert!(fault["detected_after_ms"].as_f64().is_some(), "{fault}");
    assert!(
        fault["healed_at_ms"].as_f64().is_some(),
        "SIGCONT came: {fault}"
    );
    let executed = numbers(printed(&all, "EXECUTED_BY_0"));
    assert_eq!(
        executed[1],
        executed[0] + 3.0,
        "resumed, agent 0 takes its third of the next 9 trades: {executed:?}"
    );
}

#[test]
fn agents_answering_with_errors_are_retried_elsewhere() {
    let (_, all) = run("errors_are_retried");
    let r = report(&all);
    let errors: u64 = r["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["errors"].as_u64().unwrap())
        .sum();
    assert!(errors > 0, "{r}");
    assert!(r["tasks"]["rerouted"].as_u64().unwrap() > 0, "{r}");
    let (done, failed) = (
        r["tasks"]["completed"].as_u64().unwrap(),
        r["tasks"]["failed"].as_u64().unwrap(),
    );
    assert_eq!(done + failed, 20, "every task ended: {r}");
}

#[test]
fn the_switch_applies_packet_loss() {
    let (_, all) = run("the_switch_drops_messages");
    let r = report(&all);
    assert!(r["messages"]["dropped"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["tasks"]["lost"], 0);
    assert_eq!(r["tasks"]["duplicated"], 0);
}
