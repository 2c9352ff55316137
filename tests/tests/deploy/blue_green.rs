//! Blue-green: traffic moves from blue to green in steps, or back to blue.

use swarm_test::prelude::*;
use swarm_test::{AgentState, DeployStep};

/// How many standard deviations the observed split may stray from its weight: a step fails
/// this check by chance with probability below 1e-4.
const Z: f64 = 4.0;

fn steps(report: &Report) -> Vec<&DeployStep> {
    report
        .deploy
        .iter()
        .filter(|s| s.phase.starts_with("step"))
        .collect()
}

fn state_of(report: &Report, ids: std::ops::Range<usize>) -> Vec<AgentState> {
    report.agents[ids].iter().map(|a| a.state).collect()
}

/// Scenario 17: weights 100/0 → 75/25 → 50/50 → 25/75 → 0/100; each step's observed split
/// matches its weight within a binomial tolerance; green is promoted and blue removed.
#[swarm_test(topology = "mesh", agents = 4, deploy = "blue_green")]
fn traffic_shifts_to_green(report: &Report) {
    let steps = steps(report);
    let weights: Vec<Vec<u64>> = steps.iter().map(|s| s.weights.clone()).collect();
    assert_eq!(
        weights,
        [[100, 0], [75, 25], [50, 50], [25, 75], [0, 100]].map(Vec::from)
    );
    for s in &steps {
        let n = (s.observed[0] + s.observed[1]) as f64;
        assert_eq!(n, 40.0, "step_requests");
        let p = s.weights[1] as f64 / 100.0;
        let tolerance = Z * (n * p * (1.0 - p)).sqrt();
        let green = s.observed[1] as f64;
        assert!(
            (green - n * p).abs() <= tolerance,
            "{}: {green} of {n} to green, expected {} ± {tolerance:.1}",
            s.phase,
            n * p
        );
        assert_eq!(s.outcome, "passed");
    }
    let decisions: Vec<&str> = report.deploy[5..]
        .iter()
        .map(|s| s.outcome.as_str())
        .collect();
    assert_eq!(decisions, ["promoted", "served", "scaled_down"]);
    assert_eq!(report.deploy[6].observed, [0, 40], "green serves alone");
    assert_eq!(state_of(report, 0..4), [AgentState::Removed; 4], "blue");
    assert_eq!(state_of(report, 4..8), [AgentState::Ready; 4], "green");
    assert_eq!(report.tasks.completed, report.tasks.dispatched);
}

/// Scenario 18: green's error rate above 10 % after at least 5 requests rolls traffic back
/// to blue; green is removed after the delay.
#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    new_version_fault = "error_rate(0.3)"
)]
fn bad_green_rolls_back(report: &Report) {
    let failed = report
        .deploy
        .iter()
        .find(|s| s.outcome == "failed")
        .expect("a failed step");
    assert!(failed.error_rates[1] > 0.1, "{failed:?}");
    assert!(failed.reason.contains("after at least 5 requests"));
    let at = report
        .deploy
        .iter()
        .position(|s| s.outcome == "rolled_back")
        .unwrap();
    assert_eq!(report.deploy[at].weights, [100, 0]);
    let after = &report.deploy[at + 1];
    assert_eq!((after.outcome.as_str(), after.observed[1]), ("served", 0));
    assert_eq!(after.error_rates[0], 0.0, "blue is healthy");
    assert_eq!(report.deploy[at + 2].outcome, "scaled_down");
    assert!(report.deploy[at + 2].reason.starts_with("green"));
    assert_eq!(state_of(report, 0..4), [AgentState::Ready; 4], "blue");
    assert_eq!(state_of(report, 4..8), [AgentState::Removed; 4], "green");
    assert_eq!(
        report.faults[0].targets,
        [4, 5, 6, 7],
        "the fault hit green only"
    );
}
