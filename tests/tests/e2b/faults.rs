//! Process faults through the E2B backend: a crash is envd's SIGKILL, a hang a helper's
//! SIGSTOP then SIGCONT in the sandbox; the swarm sees them as it sees local ones.

use fixtures::e2b::{e2b_stand_in, StandIn};
use rstest::rstest;
use serde_json::Value;

fn run(stand_in: &StandIn, name: &str) -> Value {
    let out = tests::subject(name)
        .env("SWARM_TEST_MODE", "live")
        .env("SWARM_TEST_BACKEND", "e2b")
        .env("E2B_API_URL", stand_in.url())
        .env("E2B_SANDBOX_URL", stand_in.url())
        .env("E2B_API_KEY", "e2b_faults_key")
        .env("SWARM_TEST_E2B_CREATE_RATE", "1000")
        .output()
        .expect("the test binary runs");
    let all = tests::printed(&out);
    assert!(out.status.success(), "{all}");
    let line = all
        .lines()
        .find_map(|l| l.find("REPORT ").map(|at| &l[at + 7..]))
        .unwrap_or_else(|| panic!("no report:\n{all}"));
    serde_json::from_str(line).expect("the report is JSON")
}

#[rstest]
fn a_crash_in_a_sandbox_is_detected_and_routed_around(e2b_stand_in: StandIn) {
    let r = run(&e2b_stand_in, "crash_in_a_sandbox");
    assert_eq!(r["tasks"]["completed"], 40, "{r}");
    assert_eq!(r["tasks"]["lost"], 0);
    assert_eq!(r["tasks"]["duplicated"], 0);
    assert!(r["tasks"]["rerouted"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["faults"][0]["targets"], serde_json::json!([1]));
    assert_eq!(r["agents"][1]["state"], "failed", "{r}");
    assert!(e2b_stand_in.sandboxes().is_empty());
}

#[rstest]
fn a_hang_in_a_sandbox_is_healed(e2b_stand_in: StandIn) {
    let r = run(&e2b_stand_in, "hang_in_a_sandbox");
    assert_eq!(r["tasks"]["lost"], 0, "{r}");
    assert_eq!(r["tasks"]["duplicated"], 0, "{r}");
    let fault = &r["faults"][0];
    assert!(
        fault["healed_at_ms"].as_f64().is_some(),
        "SIGCONT came: {fault}"
    );
    assert_eq!(r["agents"][0]["state"], "ready", "{r}");
    assert!(e2b_stand_in.sandboxes().is_empty());
}
