//! Canary: a small share of traffic to one new agent, promoted or rolled back.

use swarm_test::prelude::*;
use swarm_test::AgentState;

fn ready(report: &Report) -> Vec<usize> {
    report
        .agents
        .iter()
        .filter(|a| a.state == AgentState::Ready)
        .map(|a| a.id)
        .collect()
}

/// Scenario 19: 5 % of 100 requests to 1 canary; promoted because its success rate is at
/// least 0.95 × the stable's, then 4 more agents rolled out; the stable version is removed.
#[swarm_test(topology = "mesh", agents = 4, deploy = "canary")]
fn canary_is_promoted(report: &Report) {
    let check = &report.deploy[0];
    assert_eq!(check.weights, [95, 5]);
    assert_eq!(check.observed[0] + check.observed[1], 100);
    assert!(check.observed[1] >= 5, "enough canary requests to judge");
    assert_eq!(check.outcome, "passed");
    let outcomes: Vec<&str> = report.deploy[1..]
        .iter()
        .map(|s| s.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["promoted", "served", "scaled_down"]);
    assert!(report.deploy[2]
        .reason
        .starts_with("canary alone on 5 agents"));
    assert_eq!(ready(report), [4, 5, 6, 7, 8], "1 canary + 4 rolled out");
    assert!(report.agents[5..].iter().all(|a| a.executed > 0));
}

/// Scenario 19, bad canary: it answers half its requests with errors; the first failed
/// check exceeds Argo's failure limit (0) and the canary is rolled back and removed.
#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    new_version_fault = "error_rate(0.5)"
)]
fn bad_canary_rolls_back(report: &Report) {
    let failed = report
        .deploy
        .iter()
        .find(|s| s.outcome == "failed")
        .expect("a failed check");
    assert!(failed.error_rates[1] > 0.05, "{failed:?}");
    let rollback = report
        .deploy
        .iter()
        .find(|s| s.outcome == "rolled_back")
        .unwrap();
    assert!(rollback
        .reason
        .starts_with("1 failed check exceeded the failure limit 0"));
    assert_eq!(rollback.weights, [100, 0]);
    assert!(report.deploy.iter().all(|s| s.outcome != "promoted"));
    assert_eq!(
        ready(report),
        [0, 1, 2, 3],
        "the stable version serves; the canary is gone"
    );
    assert_eq!(report.agents[4].state, AgentState::Removed);
    // Canary errors with no other canary to retry on fail with a reason, never silently.
    assert_eq!(report.tasks.lost, 0);
    assert_eq!(report.failures.len() as u64, report.tasks.failed);
}
