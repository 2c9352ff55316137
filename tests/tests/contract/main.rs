//! The examples of the user contract (CONTRACT §1) and of the README, unchanged, as tests:
//! what a user copies must compile and pass. Beside them, what those examples promise but do
//! not assert themselves: a fault scheduled after the trade flow still strikes.

mod examples;
mod subjects;

use swarm_test::prelude::*;

/// CONTRACT §1's hub failover with what it promises spelled out: the 24 trades end well
/// before 2 s, yet the crash strikes at 2 s (the run lasts until it has played out), the
/// failure detector notices it, and the report says so.
#[swarm_test(topology = "star", agents = 7, trades = 24, inject = "crash(hub) @ 2s")]
fn a_crash_after_the_flow_still_strikes(report: &Report) {
    assert_eq!(report.tasks.completed, 24);
    let crash = &report.faults[0];
    assert_eq!(crash.targets, vec![0], "the hub");
    assert_eq!(
        crash.at_ms,
        Some(2000.0),
        "the crash struck at 2 s after setup"
    );
    let detected = crash.detected_after_ms.expect("the crash was detected");
    assert!(
        detected > 0.0 && detected <= 500.0,
        "within the detection window: {detected}"
    );
}

/// A fault with a duration that outlasts the flow ends before the run does.
#[swarm_test(
    topology = "ring",
    agents = 4,
    trades = 5,
    inject = "latency(50ms) @ 300ms for 2s",
    snapshot = false
)]
fn a_fault_that_outlasts_the_flow_ends_in_the_run(report: &Report) {
    let latency = &report.faults[0];
    let (at, healed) = (
        latency.at_ms.unwrap(),
        latency.healed_at_ms.expect("it healed"),
    );
    assert!((healed - at - 2000.0).abs() < 1.0, "{at} → {healed}");
}

/// A `&mut Swarm` body that returns before a scheduled fault struck fails, naming the fault
/// and when the run ended.
#[test]
fn a_body_that_returns_before_a_fault_fails_naming_it() {
    let out = tests::subject("returns_before_the_crash").output().unwrap();
    let text = tests::printed(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("before the scheduled fault `crash(hub) @ 2s` had started"),
        "{text}"
    );
    assert!(text.contains("the test body returned at "), "{text}");
    let late = tests::subject("waits_for_the_crash").output().unwrap();
    assert!(late.status.success(), "{}", tests::printed(&late));
}
