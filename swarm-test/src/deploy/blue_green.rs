//! Blue-green: traffic moves from blue (old) to green (new) in weighted steps.

use swarm_test_spec::DeploySpec;

use super::{Action, Phase, RequestOutcome, StepRecord, Tally, Version};

/// The blue-green controller.
///
/// Each step routes `step_requests` requests, each to green with probability
/// `green weight / 100` (the driver passes a uniform draw), then waits for their outcomes and
/// analyses them: green's success rate must stay within `max_error_rate` and, if `max_p99` is
/// set, its p99 below it. A guard runs after every outcome: once green has answered at least
/// `min_requests` requests in total, an error rate above `max_error_rate` rolls back at once.
/// After the last step (0/100) green is promoted; after a rollback blue takes all traffic
/// again. Either way the losing version is scaled down `scale_down_delay` later.
///
/// ```
/// use swarm_test::internals::deploy::{Action, BlueGreen, RequestOutcome, Version};
/// use swarm_test::internals::{DeployKind, DeploySpec};
///
/// let mut spec = DeploySpec::new(DeployKind::BlueGreen);
/// spec.step_requests = 4;
/// let mut bg = BlueGreen::new(spec);
/// assert_eq!(bg.weights(), [100, 0]);
/// for _ in 0..4 {
///     let (step, version) = bg.route(0.5).unwrap(); // 0.5 ≥ green's 0 %: blue
///     assert_eq!(version, Version::Old);
///     bg.record(step, version, RequestOutcome { ok: true, latency_us: Some(900) });
/// }
/// assert!(bg.route(0.5).is_none(), "the step is full until it is analysed");
/// assert_eq!(bg.poll(1_000), Some(Action::NextStep));
/// assert_eq!(bg.weights(), [75, 25]);
/// ```
#[derive(Debug, Clone)]
pub struct BlueGreen {
    spec: DeploySpec,
    step: usize,
    tallies: Vec<Tally>,
    total: Tally,
    phase: Phase,
    decided_at_us: Option<u64>,
    rolled_back: bool,
    records: Vec<StepRecord>,
}

impl BlueGreen {
    /// A deployment at its first step.
    pub fn new(spec: DeploySpec) -> Self {
        BlueGreen {
            spec,
            step: 0,
            tallies: vec![Tally::default()],
            total: Tally::default(),
            phase: Phase::Progressing,
            decided_at_us: None,
            rolled_back: false,
            records: Vec::new(),
        }
    }

    /// Where the deployment stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The step being run (0-based).
    pub fn step(&self) -> usize {
        self.step
    }

    /// The weights in force, `[blue, green]` percent.
    pub fn weights(&self) -> [u64; 2] {
        match self.phase {
            Phase::Progressing => self.spec.weights[self.step],
            _ if self.winner() == Version::New => [0, 100],
            _ => [100, 0],
        }
    }

    fn winner(&self) -> Version {
        match self.phase {
            Phase::RolledBack => Version::Old,
            Phase::Done if self.rolled_back => Version::Old,
            _ => Version::New,
        }
    }

    /// The steps so far, for the report.
    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// Every request routed and answered, over all steps.
    pub fn total(&self) -> &Tally {
        &self.total
    }

    /// When the losing version is due to be scaled down, µs.
    pub fn scale_down_at_us(&self) -> Option<u64> {
        self.decided_at_us
            .map(|at| at + self.spec.scale_down_delay_ms * 1_000)
    }

    /// Routes one request given a uniform draw `u` in `[0, 1)`: green when `u × 100` is below
    /// green's weight. Returns the step it belongs to and the version, or `None` when the step
    /// has routed all its requests and waits for analysis. After the deployment is decided,
    /// every request goes to the winner and belongs to no step (`usize::MAX`).
    pub fn route(&mut self, u: f64) -> Option<(usize, Version)> {
        if self.phase != Phase::Progressing {
            return Some((usize::MAX, self.winner()));
        }
        let tally = &mut self.tallies[self.step];
        if tally.routed.iter().sum::<u64>() >= self.spec.step_requests {
            return None;
        }
        let green = self.spec.weights[self.step][1] as f64;
        let version = if u * 100.0 < green {
            Version::New
        } else {
            Version::Old
        };
        tally.routed(version);
        self.total.routed(version);
        Some((self.step, version))
    }

    /// Records the outcome of a request routed in `step`.
    pub fn record(&mut self, step: usize, version: Version, outcome: RequestOutcome) {
        if let Some(tally) = self.tallies.get_mut(step) {
            tally.record(version, outcome);
            self.total.record(version, outcome);
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

    fn decide(&mut self, now_us: u64, phase: Phase) {
        self.phase = phase;
        self.rolled_back = phase == Phase::RolledBack;
        self.decided_at_us = Some(now_us);
    }

    /// Fails step `step_name` (its `tally`) for `reason` and rolls back, recording both.
    fn roll_back(
        &mut self,
        now_us: u64,
        step_name: String,
        tally: &Tally,
        reason: String,
    ) -> Option<Action> {
        self.push(now_us, step_name, tally, "failed", reason.clone());
        self.decide(now_us, Phase::RolledBack);
        self.push(
            now_us,
            "rollback".into(),
            &Tally::default(),
            "rolled_back",
            reason,
        );
        Some(Action::Rollback)
    }

    /// What to do now: `None` while the step is still running.
    pub fn poll(&mut self, now_us: u64) -> Option<Action> {
        match self.phase {
            Phase::Progressing => self.analyse(now_us),
            Phase::Promoted | Phase::RolledBack => {
                if now_us < self.scale_down_at_us()? {
                    return None;
                }
                let loser = match self.winner() {
                    Version::New => Version::Old,
                    Version::Old => Version::New,
                };
                let name = if loser == Version::Old {
                    "blue"
                } else {
                    "green"
                };
                self.phase = Phase::Done;
                let reason = format!(
                    "{name} scaled down {} s after the decision",
                    self.spec.scale_down_delay_ms / 1_000
                );
                self.push(
                    now_us,
                    "scale_down".into(),
                    &Tally::default(),
                    "scaled_down",
                    reason,
                );
                Some(Action::ScaleDown(loser))
            }
            Phase::Done => None,
        }
    }

    fn analyse(&mut self, now_us: u64) -> Option<Action> {
        let (max, min) = (self.spec.max_error_rate, self.spec.min_requests);
        let step_name = format!("step {}", self.step + 1);
        let total_green = self.total.answered[1];
        if total_green >= min && self.total.error_rate(Version::New) > max {
            let reason = format!(
                "green's error rate {:.2} ({} of {total_green}) exceeds {max:.2} after at least {min} requests",
                self.total.error_rate(Version::New),
                self.total.errors[1],
            );
            let tally = self.tallies[self.step].clone();
            return self.roll_back(now_us, step_name, &tally, reason);
        }
        let tally = self.tallies[self.step].clone();
        if tally.routed.iter().sum::<u64>() < self.spec.step_requests || !tally.settled() {
            return None;
        }
        let green_p99_ms = tally.p99_us(Version::New) as f64 / 1_000.0;
        if let Some(limit) = self.spec.max_p99_ms {
            if tally.answered[1] > 0 && green_p99_ms > limit as f64 {
                let reason = format!(
                    "green's p99 latency {green_p99_ms:.3} ms is above the {limit} ms limit"
                );
                return self.roll_back(now_us, step_name, &tally, reason);
            }
        }
        let describe = |v: Version, name: &str| match tally.success_rate(v) {
            Some(s) => format!(
                "{name} success {s:.2} over {} (p99 {:.3} ms)",
                tally.answered[v.index()],
                tally.p99_us(v) as f64 / 1_000.0
            ),
            None => format!("{name} served nothing"),
        };
        let reason = format!(
            "{}; {}",
            describe(Version::Old, "blue"),
            describe(Version::New, "green")
        );
        self.push(now_us, step_name, &tally, "passed", reason);
        if self.step + 1 == self.spec.weights.len() {
            self.decide(now_us, Phase::Promoted);
            let reason = format!(
                "every step passed; green serves all traffic, blue is scaled down in {} s",
                self.spec.scale_down_delay_ms / 1_000
            );
            self.push(
                now_us,
                "promote".into(),
                &Tally::default(),
                "promoted",
                reason,
            );
            return Some(Action::Promote { add_agents: 0 });
        }
        self.step += 1;
        self.tallies.push(Tally::default());
        Some(Action::NextStep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;
    use swarm_test_spec::DeployKind;

    fn spec(step_requests: u64) -> DeploySpec {
        DeploySpec {
            step_requests,
            ..DeploySpec::new(DeployKind::BlueGreen)
        }
    }

    fn ok() -> RequestOutcome {
        RequestOutcome {
            ok: true,
            latency_us: Some(1_000),
        }
    }

    /// Runs every step with outcomes from `outcome(version, i)`; returns the actions.
    fn run(
        bg: &mut BlueGreen,
        rng: &mut SimRng,
        mut outcome: impl FnMut(Version, u64) -> RequestOutcome,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut i = 0;
        let mut now = 0;
        while bg.phase() == Phase::Progressing {
            while let Some((step, v)) = bg.route(rng.uniform()) {
                bg.record(step, v, outcome(v, i));
                i += 1;
                if let Some(a) = bg.poll(now) {
                    actions.push(a);
                    break;
                }
            }
            now += 1_000;
            if let Some(a) = bg.poll(now) {
                actions.push(a);
            }
        }
        actions
    }

    /// The observed split of each step matches its weight within a binomial tolerance of
    /// four standard deviations: |k − n·p| ≤ 4·sqrt(n·p·(1 − p)) (exact at p = 0 and 1).
    #[test]
    fn each_step_splits_traffic_by_its_weight() {
        let n = 400;
        for seed in 0..20 {
            let mut rng = SimRng::new(seed);
            let mut bg = BlueGreen::new(spec(n));
            let actions = run(&mut bg, &mut rng, |_, _| ok());
            assert_eq!(actions.last(), Some(&Action::Promote { add_agents: 0 }));
            let steps: Vec<&StepRecord> = bg
                .records()
                .iter()
                .filter(|r| r.phase.starts_with("step"))
                .collect();
            assert_eq!(steps.len(), 5);
            for (record, weights) in steps.iter().zip(&spec(n).weights) {
                let p = weights[1] as f64 / 100.0;
                let expected = n as f64 * p;
                let sd = libm::sqrt(n as f64 * p * (1.0 - p));
                let green = record.routed[1] as f64;
                assert_eq!(record.routed[0] + record.routed[1], n);
                assert!(
                    (green - expected).abs() <= 4.0 * sd,
                    "seed {seed}, weights {weights:?}: {green} green of {n}, expected {expected} ± {}",
                    4.0 * sd
                );
            }
        }
    }

    #[test]
    fn a_healthy_green_is_promoted_then_blue_scaled_down() {
        let mut rng = SimRng::new(1);
        let mut bg = BlueGreen::new(spec(20));
        run(&mut bg, &mut rng, |_, _| ok());
        assert_eq!(bg.phase(), Phase::Promoted);
        assert_eq!(bg.weights(), [0, 100]);
        let due = bg.scale_down_at_us().unwrap();
        assert_eq!(bg.poll(due - 1), None);
        assert_eq!(bg.poll(due), Some(Action::ScaleDown(Version::Old)));
        assert_eq!(bg.phase(), Phase::Done);
        assert_eq!(bg.poll(due + 1), None);
        let phases: Vec<&str> = bg.records().iter().map(|r| r.phase.as_str()).collect();
        assert_eq!(
            phases,
            [
                "step 1",
                "step 2",
                "step 3",
                "step 4",
                "step 5",
                "promote",
                "scale_down"
            ]
        );
    }

    #[test]
    fn green_errors_roll_back_after_min_requests() {
        let mut rng = SimRng::new(2);
        let mut bg = BlueGreen::new(spec(40));
        // Every third green request fails: 33 % > 10 %.
        let mut green_seen = 0;
        let actions = run(&mut bg, &mut rng, |v, _| {
            if v == Version::New {
                green_seen += 1;
            }
            RequestOutcome {
                ok: v == Version::Old || green_seen % 3 != 0,
                latency_us: Some(1_000),
            }
        });
        assert_eq!(actions.last(), Some(&Action::Rollback));
        assert_eq!(bg.weights(), [100, 0]);
        let total = bg.total();
        assert!(
            total.answered[1] >= 5,
            "judged after at least 5 green requests"
        );
        let rollback = bg.records().iter().find(|r| r.phase == "rollback").unwrap();
        let rate = total.errors[1] as f64 / total.answered[1] as f64;
        assert!(rate > 0.1, "{rate}");
        assert!(
            rollback.reason.starts_with(&format!(
                "green's error rate {rate:.2} ({} of {})",
                total.errors[1], total.answered[1]
            )),
            "{}",
            rollback.reason
        );
        assert_eq!(bg.route(0.0), Some((usize::MAX, Version::Old)));
        let due = bg.scale_down_at_us().unwrap();
        assert_eq!(bg.poll(due), Some(Action::ScaleDown(Version::New)));
    }

    #[test]
    fn few_errors_below_min_requests_do_not_roll_back() {
        let mut bg = BlueGreen::new(DeploySpec {
            min_requests: 5,
            ..spec(8)
        });
        // Step 1 at 100/0, then one green error out of the first four green requests.
        while let Some((s, v)) = bg.route(0.99) {
            bg.record(s, v, ok());
        }
        assert_eq!(bg.poll(0), Some(Action::NextStep));
        for i in 0..4 {
            let (s, v) = bg.route(0.0).unwrap();
            assert_eq!(v, Version::New);
            let outcome = RequestOutcome {
                ok: i != 0,
                latency_us: Some(1),
            };
            bg.record(s, v, outcome);
            assert_eq!(bg.poll(1), None, "4 green requests are not enough to judge");
        }
    }

    #[test]
    fn a_slow_green_fails_the_latency_check() {
        let mut bg = BlueGreen::new(DeploySpec {
            max_p99_ms: Some(50),
            ..spec(10)
        });
        let mut rng = SimRng::new(3);
        let actions = run(&mut bg, &mut rng, |v, _| RequestOutcome {
            ok: true,
            latency_us: Some(if v == Version::New { 80_000 } else { 2_000 }),
        });
        assert_eq!(actions.last(), Some(&Action::Rollback));
        let failed = bg.records().iter().find(|r| r.outcome == "failed").unwrap();
        assert!(
            failed
                .reason
                .contains("p99 latency 80.000 ms is above the 50 ms"),
            "{}",
            failed.reason
        );
    }
}
