//! The canary's Argo analysis against Argo Rollouts' own analysis tests.
//!
//! Each case restates, as data, a test of `analysis/analysis_test.go` in Argo Rollouts by its
//! name there. A measurement there is a check here ([`Check`]); Argo's `Error` phase (the
//! metric could not be measured) is an inconclusive check (too few canary requests to judge).
//! Argo's `count` and `inconclusiveLimit` have no counterpart: a check always judges one
//! step's requests, and a check is never inconclusive for another reason.

use super::*;
use swarm_test_spec::DeployKind;

/// What one check comes to, by construction of its requests.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Pass,
    Fail,
    Inconclusive,
}

/// Two steps of 50 % (so a passed check can be followed by more checks), 10 requests per
/// check, 5 canary requests needed to judge.
fn canary(failure_limit: u64, consecutive_error_limit: u64, steps: Vec<u64>) -> Canary {
    Canary::new(DeploySpec {
        canary_steps: steps,
        step_requests: 10,
        min_requests: 5,
        analysis: Analysis::Argo {
            failure_limit,
            consecutive_error_limit,
        },
        ..DeploySpec::new(DeployKind::Canary)
    })
}

/// Runs one check that comes to `outcome` and returns the controller's action (none once
/// the canary is decided: there is no check left to run).
fn check(c: &mut Canary, outcome: Outcome, now_us: u64) -> Option<Action> {
    if c.phase() != Phase::Progressing {
        return None;
    }
    let mut i = 0;
    // Every other request to the canary (a draw below its 50 %), or none at all.
    let draw = |i: u64| match (outcome, i % 2) {
        (Outcome::Inconclusive, _) | (_, 1) => 0.99,
        _ => 0.0,
    };
    while let Some((round, version)) = c.route(draw(i)) {
        let ok = version == Version::Old || !matches!(outcome, Outcome::Fail);
        let outcome = RequestOutcome {
            ok,
            latency_us: Some(1_000),
        };
        c.record(round, version, outcome);
        i += 1;
    }
    c.poll(now_us)
}

/// Runs `outcomes` one check each; returns the actions.
fn checks(c: &mut Canary, outcomes: &[Outcome]) -> Vec<Option<Action>> {
    outcomes
        .iter()
        .enumerate()
        .map(|(i, &o)| check(c, o, i as u64 * 1_000))
        .collect()
}

use Outcome::{Fail, Inconclusive, Pass};

/// `TestAssessMetricStatusFailureLimit`: with a failure limit of 2, three failed
/// measurements fail the analysis; with a limit of 3 the same three keep it running.
#[test]
fn failure_limit() {
    let mut c = canary(2, 4, vec![50]);
    let actions = checks(&mut c, &[Fail, Fail, Fail]);
    assert_eq!(actions.last(), Some(&Some(Action::Rollback)), "{actions:?}");

    let mut c = canary(3, 4, vec![50]);
    let actions = checks(&mut c, &[Fail, Fail, Fail]);
    assert!(actions.iter().all(|a| *a == Some(Action::RepeatStep)));
    assert_eq!(c.phase(), Phase::Progressing, "3 failures do not exceed 3");
    assert_eq!(check(&mut c, Fail, 9_000), Some(Action::Rollback));
}

/// `TestAssessMetricStatusConsecutiveErrors`: with the default consecutive error limit (4),
/// five errors in a row end the analysis in `Error` (here: a rollback); four keep it running.
#[test]
fn consecutive_error_limit() {
    let mut c = canary(0, 4, vec![50]);
    let actions = checks(&mut c, &[Inconclusive; 4]);
    assert!(actions.iter().all(|a| *a == Some(Action::RepeatStep)));
    assert_eq!(c.phase(), Phase::Progressing, "4 errors do not exceed 4");
    assert_eq!(check(&mut c, Inconclusive, 9_000), Some(Action::Rollback));
    let reason = &c.records().last().unwrap().reason;
    assert!(
        reason.starts_with("5 inconclusive checks in a row exceeded the consecutive error limit 4"),
        "{reason}"
    );
}

/// `TestRunMeasurementsResetConsecutiveErrorCounter`: a measurement that is not an error
/// (successful, failed or inconclusive) resets the consecutive error count.
#[test]
fn a_judged_check_resets_the_consecutive_error_count() {
    // Four errors, a pass (the next step), four errors: no rollback; a fifth in a row ends it.
    let mut c = canary(0, 4, vec![50, 50]);
    let mut outcomes = vec![Inconclusive; 4];
    outcomes.push(Pass);
    outcomes.extend([Inconclusive; 4]);
    checks(&mut c, &outcomes);
    assert_eq!(c.phase(), Phase::Progressing);
    assert_eq!(check(&mut c, Inconclusive, 99_000), Some(Action::Rollback));

    // The same with a failure (tolerated by a failure limit of 1) in the middle.
    let mut c = canary(1, 4, vec![50]);
    let mut outcomes = vec![Inconclusive; 4];
    outcomes.push(Fail);
    outcomes.extend([Inconclusive; 4]);
    checks(&mut c, &outcomes);
    assert_eq!(c.phase(), Phase::Progressing);
}

/// Argo's `failed` count is a total over the run, not a streak (`result.Failed >
/// failureLimit`): failures with passes between them still add up.
#[test]
fn failures_add_up_across_passes() {
    let mut c = canary(1, 4, vec![20, 40, 60]);
    let actions = checks(&mut c, &[Fail, Pass, Fail]);
    assert_eq!(
        actions,
        [
            Some(Action::RepeatStep),
            Some(Action::NextStep),
            Some(Action::Rollback)
        ]
    );
    let reason = &c.records().last().unwrap().reason;
    assert!(
        reason.starts_with("2 failed checks exceeded the failure limit 1"),
        "{reason}"
    );
}
