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
    let mut cmd = tests::subject(name);
    cmd.env("SWARM_TEST_MODE", "live");
    cmd
}

fn run(name: &str) -> (Output, String) {
    let out = subject(name).output().expect("the test binary runs");
    let all = tests::printed(&out);
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

/// The client's timeout, ms: detection through missed heartbeats must beat it by far.
fn client_timeout_ms() -> f64 {
    swarm_test::internals::core::TASK_TIMEOUT_US as f64 / 1_000.0
}

/// The failure detector's declarations about `agent` in the report's health section.
fn detections_of(r: &Value, agent: u64) -> Vec<Value> {
    r["health"]["detections"]
        .as_array()
        .expect("the health section lists detections")
        .iter()
        .filter(|d| d["agent"] == agent)
        .cloned()
        .collect()
}

/// A detection by peers (not by the client, whose detections have no `by`) well before the
/// client's timeout, timed from when the agent went silent.
fn assert_detected_by_heartbeats(r: &Value, agent: u64) {
    let found = detections_of(r, agent);
    let first = found
        .first()
        .unwrap_or_else(|| panic!("agent {agent} was never declared failed: {r}"));
    assert!(
        !first["by"].as_array().unwrap().is_empty(),
        "declared by the peers that missed its heartbeats: {first}"
    );
    let after = first["detected_after_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("timed from its silence: {first}"));
    let (interval, timeout) = (
        r["health"]["heartbeat_interval_ms"].as_f64().unwrap(),
        r["health"]["failure_timeout_ms"].as_f64().unwrap(),
    );
    assert!(
        after < client_timeout_ms() / 2.0,
        "heartbeats detect it well before the client's {} ms timeout: {first}",
        client_timeout_ms()
    );
    assert!(
        after <= timeout + 2.0 * interval,
        "within the failure timeout plus the tick spread: {first}"
    );
    let fault = &r["faults"][0];
    assert!(
        fault["detected_after_ms"].as_f64().unwrap() < client_timeout_ms(),
        "the fault's detection is the heartbeat one: {fault}"
    );
    assert!(
        r["messages"]["heartbeats"].as_u64().unwrap() > 0,
        "heartbeats are counted: {r}"
    );
}

/// The fault that hit the agent is credited with the reroutes its failover caused.
fn assert_reroutes_credited(r: &Value) {
    let fault = &r["faults"][0];
    let credited = fault["tasks_rerouted"].as_u64().unwrap();
    assert!(credited > 0, "{fault}");
    assert!(
        credited <= r["tasks"]["rerouted"].as_u64().unwrap(),
        "never more than the tasks rerouted: {r}"
    );
}

#[test]
fn a_crashed_agent_is_detected_by_missed_heartbeats_and_routed_around() {
    let (_, all) = run("crash_is_routed_around");
    let r = report(&all);
    assert_eq!(r["tasks"]["completed"], 40, "{r}");
    assert_eq!(r["tasks"]["lost"], 0);
    assert_eq!(r["tasks"]["duplicated"], 0);
    assert!(r["tasks"]["rerouted"].as_u64().unwrap() > 0, "{r}");
    let fault = &r["faults"][0];
    assert_eq!(fault["targets"], serde_json::json!([1]));
    assert!(fault["recovered_after_ms"].as_f64().is_some(), "{fault}");
    assert_detected_by_heartbeats(&r, 1);
    assert_reroutes_credited(&r);
    assert_eq!(r["agents"][1]["state"], "failed", "{r}");
}

#[test]
fn a_hung_agent_is_detected_by_missed_heartbeats_routed_around_and_resumes() {
    let (_, all) = run("hang_is_routed_around");
    let r = report(&all);
    assert_eq!(r["tasks"]["completed"], 39, "{r}");
    assert_eq!(r["tasks"]["duplicated"], 0, "late answers are deduplicated");
    assert!(r["tasks"]["rerouted"].as_u64().unwrap() > 0, "{r}");
    let fault = &r["faults"][0];
    assert!(
        fault["healed_at_ms"].as_f64().is_some(),
        "SIGCONT came: {fault}"
    );
    assert_detected_by_heartbeats(&r, 0);
    assert_reroutes_credited(&r);
    let revived = r["health"]["recoveries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["agent"] == 0 && e["was_failed"] == true && e["restarted"] == false);
    assert!(revived, "its heartbeats after SIGCONT revive it: {r}");
    assert_eq!(r["agents"][0]["state"], "ready", "{r}");
    let executed = numbers(printed(&all, "EXECUTED_BY_0"));
    assert_eq!(
        executed[1],
        executed[0] + 3.0,
        "resumed, agent 0 takes its third of the next 9 trades: {executed:?}"
    );
}

#[test]
fn a_crashed_star_hub_is_replaced_by_a_promoted_spoke() {
    let (_, all) = run("star_hub_crash_promotes_a_spoke");
    let r = report(&all);
    assert_detected_by_heartbeats(&r, 0);
    let promotions = r["health"]["promotions"].as_array().unwrap();
    assert_eq!(promotions.len(), 1, "{r}");
    let p = &promotions[0];
    assert_eq!(
        (&p["failed"], &p["promoted"], &p["role"]),
        (
            &serde_json::json!(0),
            &serde_json::json!(1),
            &serde_json::json!("hub")
        ),
        "the lowest-id live spoke takes the hub's place: {p}"
    );
    assert_eq!(p["moved"], serde_json::json!([2, 3, 4]), "{p}");
    assert_eq!(r["health"]["root"], 1, "{r}");
    assert_eq!(r["topology"]["kind"], "star");
    assert_eq!(
        r["tasks"]["completed"], 40,
        "trades go on through the new hub: {r}"
    );
    assert_eq!(r["tasks"]["lost"], 0);
    assert_eq!(r["tasks"]["duplicated"], 0);
}

fn decision(all: &str) -> Value {
    serde_json::from_str(printed(all, "DECISION")).expect("the decision is JSON")
}

#[test]
fn live_agents_answer_votes_and_a_proposal_is_decided() {
    let (_, all) = run("live_vote");
    let d = decision(&all);
    assert_eq!(d["voters"], serde_json::json!([0, 1, 2]), "{d}");
    assert_eq!(d["votes"], 3, "every voter's process answered: {d}");
    assert_eq!(d["agreement"], 1.0, "peers of one role vote alike: {d}");
    assert_eq!(d["quorum"], 2, "{d}");
    assert_eq!(d["reached"], true, "{d}");
}

#[test]
fn a_crashed_voter_never_answers_in_live_mode() {
    let (_, all) = run("live_vote_without_a_crashed_voter");
    let d = decision(&all);
    let voters = d["voters"].as_array().unwrap();
    assert_eq!(d["votes"].as_u64().unwrap(), voters.len() as u64 - 1, "{d}");
    assert!(
        voters.contains(&serde_json::json!(2)),
        "not yet known dead: {d}"
    );
    assert!(
        !d["agreeing"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(2)),
        "{d}"
    );
    assert_eq!(d["reached"], false, "unanimity needs the dead voter: {d}");
}

#[test]
fn the_consensus_flow_votes_on_each_trade_in_live_mode() {
    let (_, all) = run("consensus_flow_votes_first");
    let r = report(&all);
    let rounds = r["consensus"].as_array().expect("rounds are reported");
    assert_eq!(rounds.len(), 8, "one round per trade: {r}");
    let reached = rounds.iter().filter(|d| d["reached"] == true).count() as u64;
    assert!(reached > 0, "{r}");
    assert_eq!(
        r["tasks"]["dispatched"].as_u64().unwrap(),
        reached,
        "only reached trades are sent: {r}"
    );
    assert_eq!(r["tasks"]["lost"], 0);
}

#[test]
fn dispatch_all_sends_a_burst_in_live_mode() {
    let (_, all) = run("live_burst");
    let by = numbers(printed(&all, "EXECUTED_BY"));
    assert_eq!(by.len(), 12, "{by:?}");
    assert!(
        by.iter().all(|&a| a != 0.0),
        "spokes execute, the hub routes: {by:?}"
    );
    for spoke in [1.0, 2.0, 3.0] {
        assert_eq!(
            by.iter().filter(|&&a| a == spoke).count(),
            4,
            "round robin spreads the burst: {by:?}"
        );
    }
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

/// Runs a subject in `mode` and returns its printed report.
fn report_in(name: &str, mode: &str) -> Value {
    let out = tests::subject(name)
        .env("SWARM_TEST_MODE", mode)
        .output()
        .expect("the test binary runs");
    let all = tests::printed(&out);
    assert!(
        out.status.success(),
        "subject {name} failed in {mode} mode:\n{all}"
    );
    report(&all)
}

/// Drift 1, both modes: the crash's end restarts only agents a crash killed.
#[test]
fn a_crash_healing_leaves_a_leak_victim_dead_in_both_modes() {
    let _serial = heavy();
    for mode in ["mock", "live"] {
        let r = report_in("a_leak_victim_stays_dead_when_a_crash_heals", mode);
        let crash = &r["faults"][1];
        assert!(
            crash["healed_at_ms"].is_number(),
            "{mode}: the crash healed: {crash}"
        );
        let died = detections_of(&r, 1);
        let first = died.first().and_then(|d| d["at_ms"].as_f64());
        assert!(
            first.is_some_and(|t| t < crash["at_ms"].as_f64().unwrap()),
            "{mode}: the leak killed agent 1 (and peers declared it failed) before the crash began: {died:?}"
        );
        assert_eq!(
            r["agents"][1]["state"], "failed",
            "{mode}: the leak's victim was not restarted by the crash's end: {}",
            r["agents"]
        );
        for other in [0, 2, 3] {
            assert_ne!(
                r["agents"][other]["state"], "failed",
                "{mode}: {}",
                r["agents"]
            );
        }
    }
}

/// Drift 2, both modes: work and messages lost with a dead agent are owed to its killer.
#[test]
fn a_dead_agent_blames_the_fault_that_killed_it_in_both_modes() {
    let _serial = heavy();
    for mode in ["mock", "live"] {
        let r = report_in("a_dead_agent_blames_its_killer", mode);
        let (killer, late) = (&r["faults"][0], &r["faults"][1]);
        assert!(
            killer["tasks_affected"].as_u64().unwrap() > 0,
            "{mode}: the killer is credited: {killer}"
        );
        assert_eq!(
            late["tasks_affected"], 0,
            "{mode}: the crash that found its target dead acted on nothing: {late}"
        );
        assert_eq!(late["tasks_rerouted"], 0, "{mode}: {late}");
    }
}

/// `SWARM_TEST_CHECK_DETERMINISM=1` is for mock mode: a live run passes, once per seed, and
/// says so in one line (it used to compare wall-clock figures and always fail).
#[test]
fn the_determinism_check_says_it_is_for_mock_mode_and_runs_live_once() {
    let out = subject("plain_ring")
        .env("SWARM_TEST_CHECK_DETERMINISM", "1")
        .output()
        .expect("the test binary runs");
    let all = tests::printed(&out);
    assert!(out.status.success(), "{all}");
    let line = "SWARM_TEST_CHECK_DETERMINISM checks mock mode only";
    assert_eq!(all.matches(line).count(), 1, "{all}");
}

/// A live agent that dies on its own after the handshake (a panic and a segfault planted in
/// agent 1, SIGABRT and the OOM killer's SIGKILL sent to it by the test) fails the test, naming the agent, how it ended and its stderr's
/// tail; it used to pass as if a crash fault had struck.
#[test]
fn an_agent_that_dies_on_its_own_fails_the_test() {
    let _serial = heavy();
    let cases: [(&str, &str, &str); 4] = [
        (
            "",
            "exited with status 101",
            "panics (injected bug agent_panics)",
        ),
        ("6", "killed by signal 6", ""),
        ("segfault", "killed by signal 11", ""),
        ("9", "killed (SIGKILL)", ""),
    ];
    for (signal, how, stderr) in cases {
        let mut cmd = subject("an_agent_dies_on_its_own");
        match signal {
            "" => cmd.env("SWARM_TEST_FAULT_INJECT_BUG", "agent_panics"),
            "segfault" => cmd.env("SWARM_TEST_FAULT_INJECT_BUG", "agent_segfaults"),
            n => cmd.env("LIVE_DEATH_SIGNAL", n),
        };
        let out = cmd.output().expect("the test binary runs");
        let all = tests::printed(&out);
        assert!(!out.status.success(), "signal {signal:?} passed:\n{all}");
        let line = all
            .lines()
            .find(|l| l.contains("died on its own"))
            .unwrap_or_else(|| panic!("signal {signal:?}: no death named:\n{all}"));
        assert!(line.contains("agent 1 ("), "{line}");
        assert!(line.contains(how), "signal {signal:?}: {line}\n{all}");
        assert!(
            all.contains(stderr),
            "signal {signal:?}: the stderr tail:\n{all}"
        );
    }
    // The same agent killed by a fault is a crash, not a failure.
    let (_, _) = run("crash_is_routed_around");
}
