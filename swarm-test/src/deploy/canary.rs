//! Canary: a few agents of the new version take a growing share of traffic, checked at each
//! step, then promoted (and rolled out to more agents) or rolled back.

use serde::{Deserialize, Serialize};
use swarm_test_spec::{Analysis, DeploySpec};

use super::{Action, Phase, RequestOutcome, StepRecord, Tally, Version};

/// The verdict of one check (one step's worth of requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The canary's success rate is at least `success_ratio` × the stable's (and its p99
    /// within `max_p99`, if set).
    Passed,
    /// It is not.
    Failed,
    /// The canary served fewer than `min_requests` requests: nothing to judge (Argo calls
    /// this a measurement error).
    Inconclusive,
}

/// "1 failed check", "2 failed checks".
fn checks(n: u64, kind: &str) -> String {
    format!("{n} {kind} check{}", if n == 1 { "" } else { "s" })
}

/// The canary controller.
///
/// Each check routes `step_requests` requests, each to the canary with probability
/// `weight / 100`, and judges them once all are answered ([`Check`]). A passed check moves to
/// the next weight, or after the last one promotes the canary ([`Action::Promote`] with
/// `rollout_agents` more agents of the new version). A failed or inconclusive check repeats
/// the step until the analysis limits are exceeded, then rolls back:
/// - Argo: more than `failure_limit` failed checks, or more than `consecutive_error_limit`
///   inconclusive checks in a row;
/// - Flagger: `threshold` checks failed or inconclusive.
///
/// ```
/// use swarm_test::internals::deploy::{Action, Canary, RequestOutcome};
/// use swarm_test::internals::{DeployKind, DeploySpec};
///
/// let mut canary = Canary::new(DeploySpec::new(DeployKind::Canary)); // 5 % of 100 requests
/// // Draws below 0.05 go to the canary: every 20th request here.
/// for i in 0..100 {
///     let (step, version) = canary.route(if i % 20 == 0 { 0.01 } else { 0.5 }).unwrap();
///     canary.record(step, version, RequestOutcome { ok: true, latency_us: Some(1_000) });
/// }
/// assert_eq!(canary.poll(0), Some(Action::Promote { add_agents: 4 }));
/// ```
#[derive(Debug, Clone)]
pub struct Canary {
    spec: DeploySpec,
    step: usize,
    round: Tally,
    rounds: usize,
    failed: u64,
    inconclusive_run: u64,
    phase: Phase,
    rolled_back: bool,
    decided_at_us: Option<u64>,
    records: Vec<StepRecord>,
}

impl Canary {
    /// A canary at its first step.
    pub fn new(spec: DeploySpec) -> Self {
        Canary {
            spec,
            step: 0,
            round: Tally::default(),
            rounds: 0,
            failed: 0,
            inconclusive_run: 0,
            phase: Phase::Progressing,
            rolled_back: false,
            decided_at_us: None,
            records: Vec::new(),
        }
    }

    /// Where the deployment stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The weights in force, `[stable, canary]` percent.
    pub fn weights(&self) -> [u64; 2] {
        match self.phase {
            Phase::Progressing => {
                let w = self.spec.canary_steps[self.step];
                [100 - w, w]
            }
            _ if self.rolled_back => [100, 0],
            _ => [0, 100],
        }
    }

    /// The checks and decisions so far, for the report.
    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// When the losing version is due to be scaled down, µs.
    pub fn scale_down_at_us(&self) -> Option<u64> {
        self.decided_at_us
            .map(|at| at + self.spec.scale_down_delay_ms * 1_000)
    }

    /// Routes one request given a uniform draw `u` in `[0, 1)`: to the canary when `u × 100`
    /// is below its weight. Returns the check it belongs to and the version, or `None` while
    /// the check waits for its outcomes. After the decision every request goes to the winner
    /// and belongs to no check (`usize::MAX`).
    pub fn route(&mut self, u: f64) -> Option<(usize, Version)> {
        if self.phase != Phase::Progressing {
            let winner = if self.rolled_back {
                Version::Old
            } else {
                Version::New
            };
            return Some((usize::MAX, winner));
        }
        if self.round.routed.iter().sum::<u64>() >= self.spec.step_requests {
            return None;
        }
        let version = if u * 100.0 < self.spec.canary_steps[self.step] as f64 {
            Version::New
        } else {
            Version::Old
        };
        self.round.routed(version);
        Some((self.rounds, version))
    }

    /// Records the outcome of a request routed in check `round`.
    pub fn record(&mut self, round: usize, version: Version, outcome: RequestOutcome) {
        if round == self.rounds && self.phase == Phase::Progressing {
            self.round.record(version, outcome);
        }
    }

    /// Judges a settled round.
    fn judge(&self) -> (Check, String) {
        let t = &self.round;
        let (n, min) = (t.answered[1], self.spec.min_requests);
        if n < min {
            return (
                Check::Inconclusive,
                format!("the canary served {n} requests; {min} are needed to judge"),
            );
        }
        let canary = t.success_rate(Version::New).unwrap_or(0.0);
        let stable = t.success_rate(Version::Old).unwrap_or(1.0);
        let needed = self.spec.success_ratio * stable;
        let p99_ms = t.p99_us(Version::New) as f64 / 1_000.0;
        let figures = format!(
            "canary success {canary:.2} over {n} vs stable {stable:.2} over {} (needs ≥ {:.2} × {stable:.2} = {needed:.2}), canary p99 {p99_ms:.3} ms",
            t.answered[0], self.spec.success_ratio
        );
        if canary + 1e-12 < needed {
            return (Check::Failed, figures);
        }
        if let Some(limit) = self.spec.max_p99_ms {
            if p99_ms > limit as f64 {
                return (
                    Check::Failed,
                    format!("{figures}, above the {limit} ms limit"),
                );
            }
        }
        (Check::Passed, figures)
    }

    /// Whether the analysis limits are exceeded after this check, and why.
    fn exceeded(&mut self, check: Check) -> Option<String> {
        match self.spec.analysis {
            Analysis::Argo {
                failure_limit,
                consecutive_error_limit,
            } => match check {
                Check::Passed => {
                    self.inconclusive_run = 0;
                    None
                }
                Check::Failed => {
                    self.inconclusive_run = 0;
                    self.failed += 1;
                    (self.failed > failure_limit).then(|| {
                        format!(
                            "{} exceeded the failure limit {failure_limit}",
                            checks(self.failed, "failed")
                        )
                    })
                }
                Check::Inconclusive => {
                    self.inconclusive_run += 1;
                    (self.inconclusive_run > consecutive_error_limit).then(|| {
                        format!(
                            "{} in a row exceeded the consecutive error limit {consecutive_error_limit}",
                            checks(self.inconclusive_run, "inconclusive")
                        )
                    })
                }
            },
            Analysis::Flagger { threshold } => match check {
                Check::Passed => None,
                Check::Failed | Check::Inconclusive => {
                    self.failed += 1;
                    (self.failed >= threshold).then(|| {
                        format!(
                            "{} reached the threshold {threshold}",
                            checks(self.failed, "failed")
                        )
                    })
                }
            },
        }
    }

    fn push(&mut self, at_us: u64, phase: String, tally: &Tally, outcome: &str, reason: String) {
        self.records.push(StepRecord {
            at_us,
            phase,
            weights: self.weights(),
            routed: tally.routed,
            error_rates: tally.error_rates(),
            p99_us: tally.p99s_us(),
            outcome: outcome.to_owned(),
            reason,
        });
    }

    /// What to do now: `None` while a check is still running.
    pub fn poll(&mut self, now_us: u64) -> Option<Action> {
        match self.phase {
            Phase::Progressing => {}
            Phase::Promoted | Phase::RolledBack => {
                if now_us < self.scale_down_at_us()? {
                    return None;
                }
                let loser = if self.rolled_back {
                    Version::New
                } else {
                    Version::Old
                };
                let name = if self.rolled_back { "canary" } else { "stable" };
                self.phase = Phase::Done;
                let reason = format!(
                    "the {name} version scaled down {} s after the decision",
                    self.spec.scale_down_delay_ms / 1_000
                );
                self.push(
                    now_us,
                    "scale_down".into(),
                    &Tally::default(),
                    "scaled_down",
                    reason,
                );
                return Some(Action::ScaleDown(loser));
            }
            Phase::Done => return None,
        }
        let round = &self.round;
        if round.routed.iter().sum::<u64>() < self.spec.step_requests || !round.settled() {
            return None;
        }
        let (check, figures) = self.judge();
        let outcome = match check {
            Check::Passed => "passed",
            Check::Failed => "failed",
            Check::Inconclusive => "inconclusive",
        };
        let phase = format!(
            "step {} ({} %)",
            self.step + 1,
            self.spec.canary_steps[self.step]
        );
        let tally = std::mem::take(&mut self.round);
        self.rounds += 1;
        self.push(now_us, phase, &tally, outcome, figures.clone());
        if let Some(why) = self.exceeded(check) {
            self.phase = Phase::RolledBack;
            self.rolled_back = true;
            self.decided_at_us = Some(now_us);
            let reason = format!("{why}; last check: {figures}");
            self.push(
                now_us,
                "rollback".into(),
                &Tally::default(),
                "rolled_back",
                reason,
            );
            return Some(Action::Rollback);
        }
        if check != Check::Passed {
            return Some(Action::RepeatStep);
        }
        if self.step + 1 < self.spec.canary_steps.len() {
            self.step += 1;
            return Some(Action::NextStep);
        }
        self.phase = Phase::Promoted;
        self.decided_at_us = Some(now_us);
        let add = self.spec.rollout_agents;
        let reason = format!(
            "every step passed; {add} more agents of the new version, which takes all traffic"
        );
        self.push(
            now_us,
            "promote".into(),
            &Tally::default(),
            "promoted",
            reason,
        );
        Some(Action::Promote { add_agents: add })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;
    use swarm_test_spec::DeployKind;

    fn spec() -> DeploySpec {
        DeploySpec::new(DeployKind::Canary)
    }

    /// Runs checks until a decision, answering canary requests with `canary_ok(i)`.
    fn run(c: &mut Canary, seed: u64, mut canary_ok: impl FnMut(u64) -> bool) -> Vec<Action> {
        let mut rng = SimRng::new(seed);
        let (mut actions, mut i, mut now) = (Vec::new(), 0, 0);
        while c.phase() == Phase::Progressing {
            while let Some((round, v)) = c.route(rng.uniform()) {
                let ok = v == Version::Old || canary_ok(i);
                if v == Version::New {
                    i += 1;
                }
                c.record(
                    round,
                    v,
                    RequestOutcome {
                        ok,
                        latency_us: Some(1_000),
                    },
                );
            }
            now += 1_000;
            actions.extend(c.poll(now));
        }
        actions
    }

    #[test]
    fn a_good_canary_is_promoted_with_more_agents() {
        let mut c = Canary::new(DeploySpec {
            min_requests: 1,
            ..spec()
        });
        let actions = run(&mut c, 4, |_| true);
        assert_eq!(actions.last(), Some(&Action::Promote { add_agents: 4 }));
        assert_eq!(c.weights(), [0, 100]);
        let first = &c.records()[0];
        assert_eq!(first.weights, [95, 5]);
        assert_eq!(first.routed[0] + first.routed[1], 100);
    }

    #[test]
    fn a_bad_canary_is_rolled_back_at_the_first_failed_check_by_default() {
        let mut c = Canary::new(DeploySpec {
            min_requests: 1,
            ..spec()
        });
        let actions = run(&mut c, 4, |i| i % 2 == 1); // half its requests fail
        assert_eq!(actions, vec![Action::Rollback], "Argo's failure limit is 0");
        assert_eq!(c.weights(), [100, 0]);
        let rollback = c.records().last().unwrap();
        assert!(
            rollback
                .reason
                .starts_with("1 failed check exceeded the failure limit 0"),
            "{}",
            rollback.reason
        );
    }

    #[test]
    fn argo_failure_limit_allows_retries() {
        let mut c = Canary::new(DeploySpec {
            min_requests: 1,
            analysis: Analysis::Argo {
                failure_limit: 2,
                consecutive_error_limit: 4,
            },
            ..spec()
        });
        let actions = run(&mut c, 5, |_| false);
        assert_eq!(
            actions,
            vec![Action::RepeatStep, Action::RepeatStep, Action::Rollback]
        );
    }

    #[test]
    fn too_few_canary_requests_are_inconclusive_then_abort() {
        // 1 % of 10 requests: almost never 5 canary requests.
        let mut c = Canary::new(DeploySpec {
            canary_steps: vec![1],
            step_requests: 10,
            ..spec()
        });
        let actions = run(&mut c, 6, |_| true);
        assert_eq!(
            actions.len(),
            5,
            "4 inconclusive checks allowed, the 5th aborts: {actions:?}"
        );
        assert_eq!(actions.last(), Some(&Action::Rollback));
        assert!(
            c.records()
                .iter()
                .filter(|r| r.outcome == "inconclusive")
                .count()
                == 5
        );
    }

    #[test]
    fn flagger_counts_failed_checks_to_the_threshold() {
        let mut c = Canary::new(DeploySpec {
            min_requests: 1,
            analysis: Analysis::Flagger { threshold: 2 },
            ..spec()
        });
        let actions = run(&mut c, 7, |_| false);
        assert_eq!(actions, vec![Action::RepeatStep, Action::Rollback]);
        assert!(c
            .records()
            .last()
            .unwrap()
            .reason
            .starts_with("2 failed checks reached the threshold 2"));
    }

    #[test]
    fn success_ratio_is_relative_to_the_stable_version() {
        // Canary 0.9 vs stable 1.0: 0.9 < 0.95 fails; vs a stable at 0.9: 0.9 ≥ 0.855 passes.
        let judge = |stable_errors: u64| {
            let mut c = Canary::new(DeploySpec {
                canary_steps: vec![50],
                step_requests: 20,
                min_requests: 5,
                ..spec()
            });
            let mut i = 0;
            let mut stable_i = 0;
            while let Some((r, v)) = c.route(if i % 2 == 0 { 0.0 } else { 0.9 }) {
                let ok = match v {
                    Version::New => i % 20 != 0, // 1 error in 10
                    Version::Old => {
                        stable_i += 1;
                        stable_i > stable_errors
                    }
                };
                c.record(
                    r,
                    v,
                    RequestOutcome {
                        ok,
                        latency_us: Some(5),
                    },
                );
                i += 1;
            }
            c.poll(0)
        };
        assert_eq!(judge(0), Some(Action::Rollback));
        assert_eq!(judge(1), Some(Action::Promote { add_agents: 4 }));
    }

    #[test]
    fn multi_step_weights_advance() {
        let mut c = Canary::new(DeploySpec {
            canary_steps: vec![10, 50],
            min_requests: 1,
            ..spec()
        });
        let actions = run(&mut c, 8, |_| true);
        assert_eq!(
            actions,
            vec![Action::NextStep, Action::Promote { add_agents: 4 }]
        );
        let weights: Vec<[u64; 2]> = c.records().iter().map(|r| r.weights).collect();
        assert_eq!(weights[..2], [[90, 10], [50, 50]]);
    }
}

#[cfg(test)]
#[path = "argo_cases.rs"]
mod argo_cases;
