//! The HPA-like controller: metric ratios, tolerance, stabilisation, policies, bounds, cooldown.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use swarm_test_spec::ScaleSpec;

use super::volatility::volatility_bonus;

/// What the driver measured at one sync.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Agents that are ready (serving), the base of `ceil(ratio × ready)`.
    pub ready: usize,
    /// Mean CPU utilisation of the ready agents, 0..=1.
    pub cpu: f64,
    /// Mean memory utilisation (memory / limit) of the ready agents, 0..=1.
    pub memory: f64,
    /// Market volatility level, 0..=1 (0 when calm).
    pub volatility: f64,
}

impl Observation {
    /// An observation of CPU only (memory 0, calm market), for tests and examples.
    pub fn cpu(ready: usize, cpu: f64) -> Self {
        Observation {
            ready,
            cpu,
            memory: 0.0,
            volatility: 0.0,
        }
    }
}

/// One scale event: the swarm goes from `from` to `to` agents, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleDecision {
    /// When it was decided, µs.
    pub at_us: u64,
    /// Agents before.
    pub from: usize,
    /// Agents after.
    pub to: usize,
    /// The rule and figures that led to it.
    pub reason: String,
}

/// The autoscaler. Feed it one [`Observation`] per sync with [`Autoscaler::observe`], in time
/// order; it answers with a decision when the agent count should change. See the module docs
/// of [`crate::internals::scale`] for the rules.
#[derive(Debug, Clone)]
pub struct Autoscaler {
    spec: ScaleSpec,
    current: usize,
    /// Recommendations within the scale-down window, oldest first: `(at_us, agents)`.
    recommendations: VecDeque<(u64, usize)>,
    /// Every event so far: `(at_us, from, to)`.
    events: Vec<(u64, usize, usize)>,
    /// The agent count when the current volatility shock began.
    shock_base: Option<usize>,
    started: bool,
}

/// `ceil(x)` that forgives floating-point noise (`2.0000000000000004` is 2).
fn ceil(x: f64) -> usize {
    let nearest = x.round();
    if (x - nearest).abs() < 1e-9 {
        nearest.max(0.0) as usize
    } else {
        x.ceil().max(0.0) as usize
    }
}

impl Autoscaler {
    /// An autoscaler for a swarm that has `current` agents now.
    pub fn new(spec: ScaleSpec, current: usize) -> Self {
        Autoscaler {
            spec,
            current,
            recommendations: VecDeque::new(),
            events: Vec::new(),
            shock_base: None,
            started: false,
        }
    }

    /// The agent count the autoscaler has settled on so far.
    pub fn current(&self) -> usize {
        self.current
    }

    /// Its configuration.
    pub fn spec(&self) -> &ScaleSpec {
        &self.spec
    }

    /// Whether `ratio` is inside the tolerance band around 1.
    fn tolerated(&self, ratio: f64) -> bool {
        (1.0 - ratio).abs() <= self.spec.tolerance + 1e-9
    }

    /// One metric's recommendation (rule 1): no change inside the tolerance band, else
    /// `ceil(ratio × ready)`; on a scale-up while agents are not ready, those count at 0 %
    /// (Kubernetes' rule for unready pods), which can shrink or cancel the scale-up but never
    /// turn it into a scale-down. With the figures that explain it.
    fn recommend(&self, name: &str, value: f64, target: f64, ready: usize) -> (usize, String) {
        let ratio = value / target;
        let figures = format!("{name} {value:.2} / target {target:.2} = ratio {ratio:.2}");
        let unready = self.current.saturating_sub(ready);
        if unready == 0 || ratio <= 1.0 {
            if self.tolerated(ratio) {
                return (
                    self.current,
                    format!("{figures}, within the tolerance {:.2}", self.spec.tolerance),
                );
            }
            let desired = ceil(ratio * ready as f64);
            return (
                desired,
                format!("{figures}: ceil({ratio:.2} × {ready} ready) = {desired}"),
            );
        }
        let all = self.current;
        let counted = ratio * ready as f64 / all as f64;
        let figures = format!(
            "{figures} over {ready} ready; with the {unready} not ready at 0 %, ratio {counted:.2}"
        );
        if self.tolerated(counted) || counted < 1.0 {
            return (self.current, format!("{figures}: no scale-up"));
        }
        let desired = ceil(counted * all as f64).max(self.current);
        (
            desired,
            format!("{figures}: ceil({counted:.2} × {all}) = {desired}"),
        )
    }

    /// Evaluates one sync at `now_us` and returns a decision if the count changes.
    pub fn observe(&mut self, now_us: u64, obs: &Observation) -> Option<ScaleDecision> {
        if self.current == 0 {
            return None; // Scaled to zero on purpose: autoscaling is off (as in Kubernetes).
        }
        if !self.started {
            // As the HPA: the count at start counts as a recommendation, so the first
            // scale-down waits a whole window.
            self.started = true;
            self.recommendations.push_back((now_us, self.current));
        }
        let spec = &self.spec;
        let mut best = match obs.ready {
            // Nobody reports a load: no metric, no change (Kubernetes refuses to scale
            // without metrics).
            0 => (
                self.current,
                "no agent is ready to report its load".to_owned(),
            ),
            ready => self.recommend("cpu", obs.cpu, spec.target_cpu, ready),
        };
        if let (Some(target), true) = (spec.target_memory, obs.ready > 0) {
            let memory = self.recommend("memory", obs.memory, target, obs.ready);
            if memory.0 > best.0 {
                best = memory;
            }
        }
        let (mut desired, mut reason) = best;
        let bonus = volatility_bonus(obs.volatility);
        if bonus == 0 {
            self.shock_base = None;
        } else {
            let base = *self.shock_base.get_or_insert(self.current);
            if base + bonus > desired {
                desired = base + bonus;
                reason = format!(
                    "market volatility {:.2} above {}: +{bonus} over the {base} agents before the shock",
                    obs.volatility,
                    if bonus == 2 { super::VOLATILITY_SEVERE } else { super::VOLATILITY_HIGH }
                );
            }
        }
        let window = self.spec.scale_down_window_ms * 1_000;
        while self
            .recommendations
            .front()
            .is_some_and(|&(at, _)| at + window <= now_us)
        {
            self.recommendations.pop_front();
        }
        self.recommendations.push_back((now_us, desired));
        if desired < self.current {
            let stabilised = self
                .recommendations
                .iter()
                .map(|&(_, n)| n)
                .max()
                .unwrap_or(desired);
            if stabilised > desired {
                reason.push_str(&format!(
                    "; stabilised to {stabilised}, the largest recommendation in the last {} s",
                    self.spec.scale_down_window_ms / 1_000
                ));
                desired = stabilised.min(self.current);
            }
        }
        if desired > self.current {
            let limit = self.scale_up_limit(now_us);
            if desired > limit {
                desired = limit;
                reason.push_str(&format!(
                    "; limited to {limit} by the scale-up policies ({} % or {} agents per {} s)",
                    self.spec.scale_up_percent,
                    self.spec.scale_up_agents,
                    self.spec.scale_up_period_ms / 1_000
                ));
            }
        }
        let (min, max) = (self.spec.min_agents, self.spec.max_agents);
        if desired > max {
            desired = max;
            reason.push_str(&format!("; clamped to max_agents {max}"));
        } else if desired < min {
            desired = min;
            reason.push_str(&format!("; clamped to min_agents {min}"));
        }
        if desired == self.current {
            return None;
        }
        if let Some(&(last, _, _)) = self.events.last() {
            if now_us < last + self.spec.cooldown_ms * 1_000 {
                return None;
            }
        }
        let decision = ScaleDecision {
            at_us: now_us,
            from: self.current,
            to: desired,
            reason,
        };
        self.events.push((now_us, self.current, desired));
        self.current = desired;
        Some(decision)
    }

    /// The most agents the scale-up policies allow now (rule 4): the larger of `percent` and
    /// `agents` over the count at the start of the policy period (the count now, less what
    /// was added and plus what was removed within the period), and never below the count now.
    fn scale_up_limit(&self, now_us: u64) -> usize {
        let period = self.spec.scale_up_period_ms * 1_000;
        let (mut added, mut removed) = (0, 0);
        for &(at, from, to) in &self.events {
            if at + period > now_us {
                added += to.saturating_sub(from);
                removed += from.saturating_sub(to);
            }
        }
        let base = (self.current + removed).saturating_sub(added);
        let by_percent = ceil(base as f64 * (1.0 + self.spec.scale_up_percent as f64 / 100.0));
        let by_count = base + self.spec.scale_up_agents as usize;
        by_percent.max(by_count).max(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn spec() -> ScaleSpec {
        ScaleSpec {
            min_agents: 1,
            max_agents: 20,
            cooldown_ms: 0,
            ..ScaleSpec::default()
        }
    }

    fn to(d: Option<ScaleDecision>) -> Option<usize> {
        d.map(|d| d.to)
    }

    #[test]
    fn tolerance_band() {
        // Target 0.5: 0.54 and 0.46 are within 10 % (ratios 1.08 and 0.92): no change.
        let mut hpa = Autoscaler::new(spec(), 4);
        assert_eq!(to(hpa.observe(0, &Observation::cpu(4, 0.54))), None);
        assert_eq!(to(hpa.observe(S, &Observation::cpu(4, 0.46))), None);
        // 0.56 is outside (ratio 1.12): ceil(1.12 × 4) = ceil(4.48) = 5.
        assert_eq!(to(hpa.observe(2 * S, &Observation::cpu(4, 0.56))), Some(5));
        // Exactly on the edge (ratio 1.1) is inside the band.
        let mut hpa = Autoscaler::new(spec(), 4);
        assert_eq!(to(hpa.observe(0, &Observation::cpu(4, 0.55))), None);
    }

    #[test]
    fn desired_is_ceil_of_ratio_times_ready() {
        // 4 ready: ratio 0.9/0.5 = 1.8, ceil(1.8 × 4) = ceil(7.2) = 8.
        let mut hpa = Autoscaler::new(spec(), 4);
        let d = hpa.observe(0, &Observation::cpu(4, 0.9)).unwrap();
        assert_eq!((d.from, d.to), (4, 8));
        assert!(
            d.reason.contains("ceil(1.80 × 4 ready) = 8"),
            "{}",
            d.reason
        );
        // 3 ready of 4, scaling up: the one not ready counts at 0 %, ratio 1.8 × 3 / 4 =
        // 1.35, ceil(1.35 × 4) = ceil(5.4) = 6 (the same as ceil(1.8 × 3): the rule only
        // cancels a scale-up that the idle agent would bring within the tolerance or below).
        let mut hpa = Autoscaler::new(spec(), 4);
        let d = hpa.observe(0, &Observation::cpu(3, 0.9)).unwrap();
        assert_eq!((d.from, d.to), (4, 6));
        assert!(
            d.reason
                .contains("with the 1 not ready at 0 %, ratio 1.35: ceil(1.35 × 4) = 6"),
            "{}",
            d.reason
        );
        // A ratio that is exactly 2 does not round up to 2 × ready + 1.
        let mut hpa = Autoscaler::new(
            ScaleSpec {
                target_cpu: 0.3,
                ..spec()
            },
            3,
        );
        assert_eq!(to(hpa.observe(0, &Observation::cpu(3, 0.6))), Some(6));
    }

    #[test]
    fn memory_counts_when_targeted_and_the_larger_wins() {
        let s = ScaleSpec {
            target_memory: Some(0.4),
            ..spec()
        };
        let mut hpa = Autoscaler::new(s, 2);
        // cpu 0.6/0.5 = 1.2 → 3; memory 0.8/0.4 = 2.0 → 4: memory wins.
        let obs = Observation {
            ready: 2,
            cpu: 0.6,
            memory: 0.8,
            volatility: 0.0,
        };
        let d = hpa.observe(0, &obs).unwrap();
        assert_eq!(d.to, 4);
        assert!(
            d.reason.starts_with("memory 0.80 / target 0.40"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn scale_up_policies_larger_wins() {
        // From 2: 100 % → 4, 4 agents → 6: the larger, 6, wins over a desired 20.
        let mut hpa = Autoscaler::new(spec(), 2);
        let d = hpa.observe(0, &Observation::cpu(2, 5.0)).unwrap();
        assert_eq!(d.to, 6);
        assert!(
            d.reason.contains("limited to 6 by the scale-up policies"),
            "{}",
            d.reason
        );
        // From 10: 100 % → 20 beats 4 agents → 14.
        let mut hpa = Autoscaler::new(
            ScaleSpec {
                max_agents: 40,
                ..spec()
            },
            10,
        );
        assert_eq!(to(hpa.observe(0, &Observation::cpu(10, 5.0))), Some(20));
    }

    #[test]
    fn policies_count_from_the_start_of_the_period() {
        let mut hpa = Autoscaler::new(spec(), 2);
        assert_eq!(to(hpa.observe(0, &Observation::cpu(2, 5.0))), Some(6));
        // 5 s later, still within the 15 s period that started at 2: no more growth.
        assert_eq!(to(hpa.observe(5 * S, &Observation::cpu(6, 5.0))), None);
        // A period later the base is 6: max(12, 10) = 12.
        assert_eq!(to(hpa.observe(15 * S, &Observation::cpu(6, 5.0))), Some(12));
    }

    #[test]
    fn scale_down_waits_for_the_stabilisation_window() {
        let s = ScaleSpec {
            scale_down_window_ms: 300_000,
            ..spec()
        };
        let mut hpa = Autoscaler::new(s, 6);
        // Load drops at once: 0.1/0.5 = 0.2 → ceil(1.2) = 2, but the start count (6) is in
        // the window (the last 300 s, start excluded): no change before 300 s.
        for t in (0..300).step_by(15) {
            assert_eq!(
                to(hpa.observe(t * S, &Observation::cpu(6, 0.1))),
                None,
                "at {t} s"
            );
        }
        // After the window only low recommendations remain.
        let d = hpa.observe(300 * S, &Observation::cpu(6, 0.1)).unwrap();
        assert_eq!((d.from, d.to), (6, 2));
    }

    #[test]
    fn stabilisation_takes_the_largest_recommendation_in_the_window() {
        let s = ScaleSpec {
            scale_down_window_ms: 60_000,
            ..spec()
        };
        let mut hpa = Autoscaler::new(s, 8);
        // t=0: the start count 8, and 0.5 is on target: 8.
        assert_eq!(to(hpa.observe(0, &Observation::cpu(8, 0.5))), None);
        // t=30 s: 0.25/0.5 = 0.5 → 4 recommended; the window still holds 8.
        assert_eq!(to(hpa.observe(30 * S, &Observation::cpu(8, 0.25))), None);
        // t=45 s: 0.125 → 2; window [−15 s, 45 s] holds 8 (t=0), 4, 2 → max 8: none.
        assert_eq!(to(hpa.observe(45 * S, &Observation::cpu(8, 0.125))), None);
        // t=75 s: window [15 s, 75 s] holds 4 (t=30), 2 (t=45), 2 (now): go to 4, not 2.
        let d = hpa.observe(75 * S, &Observation::cpu(8, 0.125)).unwrap();
        assert_eq!(d.to, 4);
        assert!(d.reason.contains("stabilised to 4"), "{}", d.reason);
        // t=100 s: the 4 left the window: 2 remains; from 4 at 0.125 → ceil(0.25 × 4) = 1,
        // window holds 2, 2, 1 → 2.
        assert_eq!(
            to(hpa.observe(100 * S, &Observation::cpu(4, 0.125))),
            Some(2)
        );
    }

    #[test]
    fn bounds_clamp() {
        let s = ScaleSpec {
            min_agents: 2,
            max_agents: 5,
            scale_down_window_ms: 0,
            ..spec()
        };
        let mut hpa = Autoscaler::new(s.clone(), 4);
        let d = hpa.observe(0, &Observation::cpu(4, 1.0)).unwrap();
        assert_eq!(d.to, 5);
        assert!(
            d.reason.ends_with("clamped to max_agents 5"),
            "{}",
            d.reason
        );
        let mut hpa = Autoscaler::new(s, 4);
        let d = hpa.observe(0, &Observation::cpu(4, 0.01)).unwrap();
        assert_eq!(d.to, 2);
        assert!(
            d.reason.ends_with("clamped to min_agents 2"),
            "{}",
            d.reason
        );
        // At the bound already: nothing to do.
        assert_eq!(to(hpa.observe(S, &Observation::cpu(2, 0.01))), None);
    }

    #[test]
    fn cooldown_holds_events_apart() {
        let s = ScaleSpec {
            cooldown_ms: 60_000,
            ..spec()
        };
        let mut hpa = Autoscaler::new(s, 2);
        assert_eq!(to(hpa.observe(0, &Observation::cpu(2, 1.0))), Some(4));
        assert_eq!(to(hpa.observe(30 * S, &Observation::cpu(4, 1.0))), None);
        assert_eq!(to(hpa.observe(60 * S, &Observation::cpu(4, 1.0))), Some(8));
    }

    #[test]
    fn volatility_adds_capacity_once_per_shock() {
        let mut hpa = Autoscaler::new(spec(), 3);
        let calm = Observation::cpu(3, 0.5);
        let shock = |level| Observation {
            volatility: level,
            ..calm
        };
        assert_eq!(to(hpa.observe(0, &calm)), None);
        let d = hpa.observe(S, &shock(0.75)).unwrap();
        assert_eq!(d.to, 4);
        assert!(
            d.reason.contains("volatility 0.75 above 0.7: +1"),
            "{}",
            d.reason
        );
        // Worse: +2 over the 3 before the shock, not over 4.
        let d = hpa.observe(2 * S, &shock(0.85)).unwrap();
        assert_eq!(d.to, 5);
        assert!(
            d.reason
                .contains("volatility 0.85 above 0.8: +2 over the 3"),
            "{}",
            d.reason
        );
        // A lasting shock adds nothing more.
        assert_eq!(
            to(hpa.observe(
                3 * S,
                &Observation {
                    ready: 5,
                    ..shock(0.85)
                }
            )),
            None
        );
    }
}

#[cfg(test)]
#[path = "kubernetes_cases.rs"]
mod kubernetes_cases;
