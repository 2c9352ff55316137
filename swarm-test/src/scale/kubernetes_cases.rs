//! The autoscaler against Kubernetes' own HPA test suite, case by case.
//!
//! Each case restates, as data, one test of `pkg/controller/podautoscaler` in Kubernetes
//! (`replica_calculator_test.go`, `horizontal_test.go`), by its name there, with its figures
//! translated: a pod is an agent, CPU utilisation a fraction, equal requests per pod (so
//! Kubernetes' sum of usage over sum of requests is the mean utilisation), and its
//! `scaleUpEvents`/`scaleDownEvents` the autoscaler's event history. Where the suites
//! differ on purpose, the case says so and the module docs of [`crate::scale`] list the
//! difference.

use super::*;

const S: u64 = 1_000_000;

/// Now, in the cases that carry a history: events are placed before it.
const NOW: u64 = 1_000 * S;

/// A spec with Kubernetes' defaults where swarm-test's differ: no cooldown (an addition of
/// the original suite), bounds wide open unless the case sets them.
fn spec(min: usize, max: usize) -> ScaleSpec {
    ScaleSpec {
        min_agents: min,
        max_agents: max,
        cooldown_ms: 0,
        ..ScaleSpec::default()
    }
}

/// Kubernetes' `replicaCalcTestCase`: `current` pods, `ready` of them ready with mean CPU
/// `cpu` (the unready pods' levels are ignored there too), against `target`.
fn replica_calc(current: usize, ready: usize, cpu: f64, target: f64) -> usize {
    let s = ScaleSpec {
        target_cpu: target,
        scale_down_window_ms: 0,
        ..spec(1, 100)
    };
    let mut hpa = Autoscaler::new(s, current);
    to_count(hpa.observe(0, &Observation::cpu(ready, cpu)), current)
}

fn to_count(d: Option<ScaleDecision>, current: usize) -> usize {
    d.map_or(current, |d| d.to)
}

#[test]
fn replica_calculator_cases() {
    // (Kubernetes test, current, ready, mean cpu of the ready, target, expected)
    let cases = [
        // 3 pods at 30 %, 50 %, 70 % against 30 %: mean 50 %, ceil(5/3 × 3) = 5.
        ("TestReplicaCalcScaleUp", 3, 3, 0.5, 0.3, 5),
        // One of 3 unready; the ready at 50 %, 70 % (mean 60 %): ratio 2; with the unready at
        // 0 %, 40 % → ratio 4/3 → ceil(4) = 4.
        ("TestReplicaCalcScaleUpUnreadyLessScale", 3, 2, 0.6, 0.3, 4),
        // The same for a pod in its CPU initialisation period (swarm-test: a starting agent).
        ("TestReplicaCalcScaleUpHotCpuLessScale", 3, 2, 0.6, 0.3, 4),
        // Two of 3 unready; the ready one at 40 % against 30 %: a scale-up on the ready
        // alone, but with the unready at 0 % the mean is 13 %: no scale-up, and no scale-down
        // either (swarm-test used to go to ceil(4/3 × 1) = 2 while overloaded).
        ("TestReplicaCalcScaleUpUnreadyNoScale", 3, 1, 0.4, 0.3, 3),
        ("TestReplicaCalcScaleHotCpuNoScale", 3, 1, 0.4, 0.3, 3),
        // 5 pods at 10, 30, 50, 25, 25 % against 50 %: mean 28 %, ceil(0.56 × 5) = 3.
        ("TestReplicaCalcScaleDown", 5, 5, 0.28, 0.5, 3),
        // Scaling down, unready pods are ignored: 3 ready at 10, 30, 50 % (mean 30 %):
        // ceil(0.6 × 3) = 2.
        (
            "TestReplicaCalcScaleDownIgnoresUnreadyPods",
            5,
            3,
            0.3,
            0.5,
            2,
        ),
        // 102 % against 100 %: inside the tolerance.
        ("TestReplicaCalcTolerance", 3, 3, 1.02, 1.0, 3),
    ];
    for (name, current, ready, cpu, target, expected) in cases {
        assert_eq!(
            replica_calc(current, ready, cpu, target),
            expected,
            "{name}: {ready} of {current} ready at {cpu} against {target}"
        );
    }
}

/// An autoscaler at `current` with Kubernetes' event history: `up` and `down` as
/// `(seconds before now, agents)`.
fn with_history(
    s: ScaleSpec,
    current: usize,
    up: &[(u64, usize)],
    down: &[(u64, usize)],
) -> Autoscaler {
    let mut hpa = Autoscaler::new(s, current);
    let mut events: Vec<(u64, usize, usize)> = up
        .iter()
        .map(|&(ago, n)| (NOW - ago * S, 0, n))
        .chain(down.iter().map(|&(ago, n)| (NOW - ago * S, n, 0)))
        .collect();
    events.sort_unstable();
    hpa.events = events;
    hpa
}

/// Kubernetes' `generateEventsUniformDistribution(events, 120)`: the events spread over the
/// last 120 s, each in the middle of its segment, oldest first.
fn uniform(events: &[usize]) -> Vec<(u64, usize)> {
    let segment = 120 / events.len() as u64;
    events
        .iter()
        .enumerate()
        .map(|(i, &n)| (120 - segment * (i as u64 + 1) + segment / 2, n))
        .collect()
}

/// One `TestScalingWithRules` case: a history, scale-up policies (percent, agents, period
/// in s; Kubernetes' unset policies are 0 here) and bounds; the metrics ask for `desired`.
struct Rules {
    name: &'static str,
    up: Vec<(u64, usize)>,
    down: Vec<(u64, usize)>,
    policy: Option<(u64, u64, u64)>,
    min: usize,
    max: usize,
    current: usize,
    desired: usize,
    expected: usize,
}

fn run_rules(case: &Rules) -> usize {
    let mut s = ScaleSpec {
        scale_down_window_ms: 0,
        ..spec(case.min, case.max)
    };
    if let Some((percent, agents, period)) = case.policy {
        s.scale_up_percent = percent;
        s.scale_up_agents = agents;
        s.scale_up_period_ms = period * 1_000;
    }
    let mut hpa = with_history(s, case.current, &case.up, &case.down);
    // All ready, at the utilisation that asks for `desired`: ceil(ratio × current).
    let cpu = 0.5 * case.desired as f64 / case.current as f64;
    let d = hpa.observe(NOW, &Observation::cpu(case.current, cpu));
    to_count(d, case.current)
}

#[test]
fn scaling_with_rules_cases() {
    let none = Vec::new;
    let rules = |name, up, down, policy, (min, max), current, desired, expected| Rules {
        name,
        up,
        down,
        policy,
        min,
        max,
        current,
        desired,
        expected,
    };
    let cases = [
        rules("prenormalized desired replicas within range", none(), none(), None, (3, 8), 5, 7, 7),
        rules("prenormalized desired replicas < minReplicas", none(), none(), None, (2, 8), 3, 1, 2),
        rules("maxReplicas is the limit because maxReplicas < scaleUpLimit", none(), none(), None, (1, 10), 20, 1000, 10),
        rules("desired replica count is more than the maximum replica count", none(), none(), None, (100, 150), 100, 1000, 150),
        rules("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", none(), none(), Some((1, 0, 60)), (1, 2000), 3, 1000, 4),
        rules("scaleUp with default behavior", none(), none(), None, (1, 1000), 10, 50, 20),
        rules("scaleUp with pods policy larger than percent policy", none(), none(), Some((100, 100, 60)), (1, 1000), 10, 500, 110),
        rules("scaleUp with percent policy larger than pods policy", none(), none(), Some((100, 2, 60)), (1, 1000), 10, 500, 20),
        rules("scaleUp with spec MaxReplicas limitation with large pod policy", none(), none(), Some((0, 100, 60)), (1, 1000), 10, 50, 50),
        rules("scaleUp with pod policy limitation", none(), none(), Some((0, 30, 60)), (1, 1000), 10, 50, 40),
        rules("scaleUp with percent policy limitation", none(), none(), Some((200, 0, 60)), (1, 1000), 10, 50, 30),
        // Within the last 60 s only the +9 (20 s ago) counts: 91 + 300 = 391, then max 200.
        rules("scaleUp with spec MaxReplicas limitation with large pod policy and events", uniform(&[1, 5, 9]), none(), Some((0, 300, 60)), (1, 200), 100, 500, 200),
        // The period started at 100 − 15 = 85; 85 + 5 = 90 is below the 100 there are now:
        // Kubernetes keeps 100 (the limit never falls below the count). Without that guard
        // the autoscaler scaled a swarm asking for 500 down to 90.
        rules("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", uniform(&[1, 5, 9]), none(), Some((0, 5, 120)), (1, 1000), 100, 500, 100),
        rules("scaleUp with pod policy and previous scale up events", uniform(&[1, 5, 9]), none(), Some((0, 150, 120)), (1, 1000), 100, 500, 235),
        rules("scaleUp with percent policy and previous scale up events", uniform(&[1, 5, 9]), none(), Some((200, 0, 120)), (1, 1000), 100, 500, 255),
        // The period started at 6 − 4 + 2 = 4 agents: 4 × (1 + 300 %) = 16. swarm-test used
        // to take 6 − 4 = 2 as the base (8), forgetting the scale-down.
        rules("scaleUp with percent policy and previous scale up and down events", uniform(&[4]), uniform(&[2]), Some((300, 0, 300)), (1, 1000), 6, 24, 16),
        rules("scaleDown with default policy and previous events", none(), uniform(&[1, 5, 9]), None, (1, 1000), 10, 5, 5),
    ];
    for case in &cases {
        assert_eq!(run_rules(case), case.expected, "{}", case.name);
    }
}

/// Kubernetes' `TestZeroReplicas`: a target scaled to zero by hand turns autoscaling off
/// (`ScalingActive` false, "ScalingDisabled"), even with `minReplicas` 3. swarm-test decides
/// the same: an autoscaler at zero agents makes no decision.
#[test]
fn zero_agents_turn_autoscaling_off() {
    let mut hpa = Autoscaler::new(spec(3, 5), 0);
    assert_eq!(hpa.observe(0, &Observation::cpu(0, 0.9)), None);
    assert_eq!(hpa.observe(60 * S, &Observation::cpu(0, 0.0)), None);
    assert_eq!(hpa.current(), 0);
}

/// Kubernetes' `TestTooFewReplicas`, `TestTooManyReplicas`, `TestMinReplicasDesiredZero`:
/// the bounds apply even when the metrics ask for nothing or for zero.
#[test]
fn bounds_cases() {
    let window0 = |min, max| ScaleSpec {
        target_cpu: 0.9,
        scale_down_window_ms: 0,
        ..spec(min, max)
    };
    let mut hpa = Autoscaler::new(window0(3, 5), 2);
    assert_eq!(to_count(hpa.observe(0, &Observation::cpu(2, 0.9)), 2), 3);
    let mut hpa = Autoscaler::new(window0(3, 5), 10);
    assert_eq!(to_count(hpa.observe(0, &Observation::cpu(10, 0.9)), 10), 5);
    let mut hpa = Autoscaler::new(window0(2, 5), 3);
    assert_eq!(to_count(hpa.observe(0, &Observation::cpu(3, 0.0)), 3), 2);
}

/// With no agent ready there is no metric: Kubernetes fails the metric and keeps the count
/// (`TestReplicaCalcEmptyMetrics` and the like); so does swarm-test, instead of reading an
/// empty swarm as idle.
#[test]
fn no_ready_agent_means_no_change() {
    let s = ScaleSpec {
        scale_down_window_ms: 0,
        ..spec(1, 10)
    };
    let mut hpa = Autoscaler::new(s, 4);
    assert_eq!(hpa.observe(0, &Observation::cpu(0, 0.0)), None);
}
