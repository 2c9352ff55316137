//! The `@live` snapshot variant: the report with what real time decides taken out.
//!
//! The rule: a value stays exact when the test's attribute and the protocol fix it; it is
//! redacted when the wall clock, or the order in which concurrent real events happen to
//! arrive, can change it from one live run to the next. How much that is depends on the run,
//! so a run falls in one of three tiers, from calm to struck.
//!
//! 1. **Measured** (every run): every number whose key ends in `_ms` or `_per_s` (durations,
//!    latencies, setup time, throughput, fault and health timings; `null` stays `null`:
//!    "never detected" is structural); `cpu` and `memory_mb` of each agent (read from the
//!    OS); `messages.sent` and `messages.heartbeats` (agents heartbeat for as long as the run
//!    lasts); `messages.dropped` (a heartbeat acknowledged more than an interval late counts
//!    as dropped, so a loaded machine drops some even without faults). **What the market
//!    said** (every run): the market clock follows wall time in live mode, so `trades`
//!    (prices, fills, PnL) and, in each consensus round with votes, the voters' `choice`,
//!    `agreeing`, `agreement` and the `reason` that quotes them differ from run to run. Who
//!    was asked, how many voted, the quorum and whether it was `reached` stay.
//! 2. **Who won a race** (a *racy* run: routed by a strategy that reads load —
//!    `least_loaded`, `specialized`, `adaptive` — or hit only by a market fault,
//!    `volatility`): which agent took which task then depends on when earlier tasks
//!    finished. Redacted besides tier 1: each agent's `executed` and `errors`,
//!    `tasks.rerouted` and `tasks.max_share`, each fault's `tasks_affected` /
//!    `tasks_rerouted` / `tasks_failed`, `health.stages_skipped` and `health.stale_sends`,
//!    each detection's `by` (which monitors noticed first), and the circuit breakers'
//!    transitions (how many trials failed before one succeeded): each agent's breaker list
//!    keeps the first move into each state, in order, without the `reason` (it names trial
//!    tasks), so "it opened, half-opened and closed again" stays readable. Under
//!    `round_robin` or `consensus` without faults the protocol alone decides who executes,
//!    so these stay exact.
//! 3. **Struck** (a run with a fault that acts on agents or links: every fault kind but
//!    `volatility`, whether from the attribute or injected by the body; a deployment's
//!    new-version `error_rate` counts as tier 2, since each new agent draws its errors from
//!    the seed on requests routed by the seed): the fault lands
//!    where real time puts it. An injected error or a lost message hits whichever task is in
//!    flight then; a leak reaches its limit when the machine has written the pages, or not
//!    at all; a crash, hang, partition, loss or a CPU-loaded machine makes the heartbeat
//!    detector declare whichever agents went quiet for long enough, promote a successor and
//!    rewire the tree, and breakers trip on whichever answers failed. So the outcome
//!    (completed and failed tasks, success rate, failure messages, agent states, detections,
//!    recoveries, promotions, the root, degrees, single points of failure, breakers,
//!    consensus rounds, whether a fault was detected at all) is real timing's to decide, and
//!    the snapshot switches from a deny-list to an **allow-list** ([`KEPT`]): it keeps only
//!    what no timing can change — `name`, `seed`, `mode`; the topology's `kind`, `agents`
//!    and `edges` (a promotion moves a star's or a tree's edges onto the successor but never
//!    adds or removes one); each agent's `id` and `role`; `tasks.dispatched` and the
//!    exactly-once invariants `tasks.lost` and `tasks.duplicated` (0 and 0 in a passing run;
//!    under `consensus` not `tasks.dispatched`: the built-in flow dispatches only the trades
//!    whose vote reached its quorum, and that is the struck run's timing too);
//!    each fault's `name` and `targets` (the spec and the seed choose them). Every other
//!    field reads `"[live]"`, `null` included; a list or section not on the allow-list is
//!    redacted whole, since its length is timing's too. An allow-list, because a struck run
//!    has more timing-bound fields than stable ones, and because a field added to the report
//!    later is then redacted until someone shows it is stable, rather than making live
//!    snapshots flaky until someone notices. What the test asserts about the outcome is
//!    checked by its body in every run; the snapshot is the part a reviewer can diff.
//!
//! Outside tier 3, structural fields stay exact: the topology and its single points of
//! failure, roles, degrees, final agent states, tasks dispatched / completed / failed / lost
//! / duplicated, success rate, fault names and targets, detections' and promotions' agents,
//! the root, recoveries, and failure messages. Redacted values become the string `"[live]"`,
//! so a reader sees what was taken out.

use serde_json::Value;
use swarm_test_spec::{DeployKind, FaultKind, Spec, Strategy};

use crate::report::Report;

mod patterns;

/// What a redacted value is replaced with.
pub(crate) const REDACTED: &str = "[live]";

/// Keys redacted wherever they appear (besides `*_ms` and `*_per_s`).
const MEASURED: [&str; 2] = ["cpu", "memory_mb"];

/// Paths redacted in every live run (`*` is every element of a list).
const ALWAYS: [&[&str]; 4] = [
    &["trades"],
    &["messages", "sent"],
    &["messages", "heartbeats"],
    &["messages", "dropped"],
];

/// What the voters of a consensus round said (redacted in rounds with votes).
const VOTED: [&str; 4] = ["choice", "agreeing", "agreement", "reason"];

/// Paths redacted in a racy run (see the module docs).
const RACED: [&[&str]; 11] = [
    &["agents", "*", "executed"],
    &["agents", "*", "errors"],
    &["tasks", "rerouted"],
    &["tasks", "max_share"],
    &["faults", "*", "tasks_affected"],
    &["faults", "*", "tasks_rerouted"],
    &["faults", "*", "tasks_failed"],
    &["health", "stages_skipped"],
    &["health", "stale_sends"],
    &["health", "detections", "*", "by"],
    &["health", "breakers", "*", "reason"],
];

/// What a struck run's snapshot keeps (tier 3 of the module docs; `*` is every element of a
/// list). Everything else becomes [`REDACTED`].
const KEPT: [&[&str]; 13] = [
    &["name"],
    &["seed"],
    &["mode"],
    &["topology", "kind"],
    &["topology", "agents"],
    &["topology", "edges"],
    &["agents", "*", "id"],
    &["agents", "*", "role"],
    &["tasks", "dispatched"],
    &["tasks", "lost"],
    &["tasks", "duplicated"],
    &["faults", "*", "name"],
    &["faults", "*", "targets"],
];

/// How much of a live run real time decides (the tiers of the module docs), least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// Only measurements and the market.
    Calm,
    /// Also who won each race for work.
    Racy,
    /// A fault on agents or links: only [`KEPT`] stays.
    Struck,
}

/// A fault of the run as the redaction sees it: its kind, and whether a deployment put it on
/// its new version's agents (`new_version_fault`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunFault<'a> {
    /// What it does.
    pub(crate) kind: &'a FaultKind,
    /// Started by a deployment on exactly its new version's agents.
    pub(crate) on_new_version: bool,
}

/// The report as the `@live` snapshot shows it: the report-wide tiers, then the deployment
/// patterns' sections ([`patterns`]). `faults` are every fault of the run (the attribute's,
/// the body's, a deployment's), typed.
pub(crate) fn live_snapshot(spec: &Spec, report: &Report, faults: &[RunFault<'_>]) -> Value {
    let mut value = serde_json::to_value(report).unwrap_or(Value::Null);
    redact(&mut value, tier(spec.strategy, faults), spec.strategy);
    redact_patterns(spec, &mut value);
    value
}

/// Whether `fault` is a deployment's new-version `error_rate`: its errors are drawn by each
/// new agent from the run's seed, on requests the controller routes by the seed, so the
/// rollout's steps are no race (tier 2, not 3).
fn new_version_errors(fault: &RunFault<'_>) -> bool {
    fault.on_new_version && matches!(fault.kind, FaultKind::ErrorRate { .. })
}

/// The run's tier from its strategy and its faults' kinds.
fn tier(strategy: Strategy, faults: &[RunFault<'_>]) -> Tier {
    let on_the_market = |f: &RunFault<'_>| matches!(f.kind, FaultKind::Volatility { .. });
    if !faults
        .iter()
        .all(|f| on_the_market(f) || new_version_errors(f))
    {
        Tier::Struck
    } else if !faults.is_empty()
        || matches!(
            strategy,
            Strategy::LeastLoaded | Strategy::Specialized | Strategy::Adaptive
        )
    {
        Tier::Racy
    } else {
        Tier::Calm
    }
}

/// Takes what real time and real measurements decide out of the patterns' sections of a
/// live snapshot of a pattern's run (see [`patterns`]); the rest of the report, and every
/// run without a pattern, is this module's alone.
fn redact_patterns(spec: &Spec, value: &mut Value) {
    if spec.scale.is_none() && spec.deploy.is_none() {
        return; // No pattern ran: the report-wide tiers alone apply.
    }
    let run = patterns::Pattern {
        autoscaled: spec.scale.is_some(),
        adaptive: spec
            .deploy
            .as_ref()
            .is_some_and(|d| d.kind == DeployKind::Rotation),
        rollout: spec
            .deploy
            .as_ref()
            .is_some_and(|d| matches!(d.kind, DeployKind::BlueGreen | DeployKind::Canary)),
        failing_new_version: spec.deploy.as_ref().is_some_and(|d| {
            matches!(d.kind, DeployKind::BlueGreen | DeployKind::Canary)
                && d.new_version_fault.is_some()
        }),
        // A volatility shock moves the market, not the agents: no race.
        faulted: spec
            .inject
            .iter()
            .any(|f| !matches!(f.kind, swarm_test_spec::FaultKind::Volatility { .. })),
    };
    patterns::redact(value, run);
}

fn redact(value: &mut Value, tier: Tier, strategy: Strategy) {
    if tier == Tier::Struck {
        let voted =
            |path: &&[&str]| strategy == Strategy::Consensus && *path == ["tasks", "dispatched"];
        let kept: Vec<&[&str]> = KEPT.into_iter().filter(|p| !voted(p)).collect();
        keep_only(value, &kept);
        return;
    }
    measured(value, None);
    for path in ALWAYS {
        at(value, path);
    }
    if let Some(Value::Array(rounds)) = value.get_mut("consensus") {
        for round in rounds.iter_mut() {
            if round.get("votes").and_then(Value::as_u64).unwrap_or(0) > 0 {
                for key in VOTED {
                    at(round, &[key]);
                }
            }
        }
    }
    if tier == Tier::Racy {
        for path in RACED {
            at(value, path);
        }
        if let Some(breakers) = value.pointer_mut("/health/breakers") {
            distinct_moves(breakers);
        }
    }
}

/// Keeps the values at `kept` (paths relative to `value`) and replaces everything else with
/// [`REDACTED`]: an object on a path keeps its keys, anything off every path (or not the
/// object or list the path expects) goes whole.
fn keep_only(value: &mut Value, kept: &[&[&str]]) {
    if kept.iter().any(|path| path.is_empty()) {
        return;
    }
    let below = |step: &str| -> Vec<&[&str]> {
        kept.iter()
            .filter(|path| path[0] == step)
            .map(|path| &path[1..])
            .collect()
    };
    let keyed = kept.iter().any(|path| path[0] != "*");
    match value {
        Value::Object(map) if keyed => {
            for (key, v) in map.iter_mut() {
                let rest = below(key);
                if rest.is_empty() {
                    *v = Value::String(REDACTED.into());
                } else {
                    keep_only(v, &rest);
                }
            }
        }
        Value::Array(items) if !below("*").is_empty() => {
            let rest = below("*");
            items.iter_mut().for_each(|item| keep_only(item, &rest));
        }
        _ => *value = Value::String(REDACTED.into()),
    }
}

/// Replaces the value at `path` with [`REDACTED`], if it is there.
fn at(value: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        *value = Value::String(REDACTED.into());
        return;
    };
    match (value, *first) {
        (Value::Array(items), "*") => items.iter_mut().for_each(|item| at(item, rest)),
        (Value::Object(map), key) => {
            if let Some(v) = map.get_mut(key) {
                at(v, rest);
            }
        }
        _ => {}
    }
}

/// Keeps the first breaker transition of each agent into each state, in order.
fn distinct_moves(breakers: &mut Value) {
    let Value::Array(items) = breakers else {
        return;
    };
    let mut seen = Vec::new();
    items.retain(|b| {
        let key = (b.get("agent").cloned(), b.get("to").cloned());
        let new = !seen.contains(&key);
        if new {
            seen.push(key);
        }
        new
    });
}

/// Every number under a `*_ms`, `*_per_s` or [`MEASURED`] key becomes [`REDACTED`].
fn measured(value: &mut Value, key: Option<&str>) {
    let timed =
        key.is_some_and(|k| k.ends_with("_ms") || k.ends_with("_per_s") || MEASURED.contains(&k));
    match value {
        Value::Number(_) if timed => *value = Value::String(REDACTED.into()),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                measured(v, Some(k));
            }
        }
        Value::Array(items) => {
            for item in items {
                measured(item, key);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "name": "t",
            "duration_ms": 12.5,
            "throughput_per_s": 40.0,
            "topology": {"kind": "star", "single_points_of_failure": [{"agent": 0}]},
            "tasks": {"dispatched": 20, "completed": 20, "rerouted": 3, "lost": 0, "max_share": 0.2},
            "agents": [{"id": 0, "state": "failed", "executed": 4, "errors": 1, "cpu": 0.1, "memory_mb": 9.5}],
            "faults": [{"name": "crash(0)", "targets": [0], "at_ms": 3.0, "recovered_after_ms": null, "tasks_rerouted": 3}],
            "latency": {"p50_ms": 1.0},
            "trades": {"orders": 3},
            "messages": {"sent": 40, "heartbeats": 30, "dropped": 2},
            "health": {
                "root": 1,
                "detections": [{"agent": 0, "at_ms": 5.0, "by": [2, 3]}],
                "breakers": [
                    {"agent": 1, "at_ms": 1.0, "from": "closed", "to": "open", "reason": "3 failures"},
                    {"agent": 1, "at_ms": 2.0, "from": "open", "to": "half_open", "reason": "trial 1"},
                    {"agent": 1, "at_ms": 3.0, "from": "half_open", "to": "open", "reason": "trial 1 failed"},
                    {"agent": 1, "at_ms": 4.0, "from": "open", "to": "half_open", "reason": "trial 2"},
                    {"agent": 1, "at_ms": 5.0, "from": "half_open", "to": "closed", "reason": "trial 2 ok"},
                ],
                "stages_skipped": 7,
                "stale_sends": 0,
            },
            "consensus": [
                {"proposal": "buy SPY", "votes": 3, "voters": [0, 1, 2], "quorum": 2, "reached": true,
                 "choice": "buy", "agreeing": [0, 1, 2], "agreement": 1.0, "reason": "3 chose buy"},
                {"proposal": "buy SPY", "votes": 0, "voters": [0, 1], "quorum": 2, "reached": false,
                 "choice": null, "agreeing": [], "agreement": 0.0, "reason": "needs at least 3 live voters"},
            ],
        })
    }

    #[test]
    fn a_calm_run_keeps_who_executed_and_redacts_what_time_and_the_market_decide() {
        let mut v = report();
        redact(&mut v, Tier::Calm, Strategy::RoundRobin);
        assert_eq!(v["duration_ms"], REDACTED);
        assert_eq!(v["throughput_per_s"], REDACTED);
        assert_eq!(v["latency"], json!({"p50_ms": REDACTED}));
        assert_eq!(v["trades"], REDACTED);
        assert_eq!(
            v["messages"],
            json!({"sent": REDACTED, "heartbeats": REDACTED, "dropped": REDACTED})
        );
        assert_eq!(
            v["agents"][0],
            json!({"id": 0, "state": "failed", "executed": 4, "errors": 1, "cpu": REDACTED, "memory_mb": REDACTED})
        );
        assert_eq!(v["tasks"], report()["tasks"], "exact outside a racy run");
        assert_eq!(v["faults"][0]["recovered_after_ms"], Value::Null);
        assert_eq!(v["health"]["breakers"].as_array().unwrap().len(), 5);
        let voted = &v["consensus"][0];
        for key in VOTED {
            assert_eq!(voted[key], REDACTED, "{key}");
        }
        assert_eq!(voted["voters"], json!([0, 1, 2]));
        assert_eq!(voted["reached"], json!(true));
        assert_eq!(
            v["consensus"][1],
            report()["consensus"][1],
            "no votes, no market"
        );
    }

    #[test]
    fn a_racy_run_redacts_who_won_each_race_and_keeps_the_structure() {
        let mut v = report();
        redact(&mut v, Tier::Racy, Strategy::LeastLoaded);
        assert_eq!(v["agents"][0]["executed"], REDACTED);
        assert_eq!(v["agents"][0]["errors"], REDACTED);
        assert_eq!(v["agents"][0]["state"], "failed");
        assert_eq!(
            v["tasks"],
            json!({"dispatched": 20, "completed": 20, "rerouted": REDACTED, "lost": 0, "max_share": REDACTED})
        );
        assert_eq!(v["faults"][0]["tasks_rerouted"], REDACTED);
        assert_eq!(v["faults"][0]["targets"], json!([0]));
        assert_eq!(
            v["health"]["detections"],
            json!([{"agent": 0, "at_ms": REDACTED, "by": REDACTED}])
        );
        assert_eq!(v["health"]["root"], 1);
        assert_eq!(v["health"]["stages_skipped"], REDACTED);
        let moves: Vec<(&str, &str)> = v["health"]["breakers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["from"].as_str().unwrap(), b["to"].as_str().unwrap()))
            .collect();
        assert_eq!(
            moves,
            vec![
                ("closed", "open"),
                ("open", "half_open"),
                ("half_open", "closed")
            ],
            "a failed trial's re-opening is a matter of timing"
        );
        assert_eq!(v["health"]["breakers"][0]["reason"], REDACTED);
        assert_eq!(v["topology"], report()["topology"]);
    }

    /// A fault of the run, typed, as the harness hands it over.
    fn fault(text: &str, on_new_version: bool) -> (FaultKind, bool) {
        (
            swarm_test_spec::FaultSpec::parse(text).unwrap().kind,
            on_new_version,
        )
    }

    fn run_faults(faults: &[(FaultKind, bool)]) -> Vec<RunFault<'_>> {
        faults
            .iter()
            .map(|(kind, on_new_version)| RunFault {
                kind,
                on_new_version: *on_new_version,
            })
            .collect()
    }

    #[test]
    fn a_new_version_s_errors_are_a_race_not_a_strike() {
        use Strategy::RoundRobin;
        let errors = [fault("error_rate(0.5)", true)];
        assert_eq!(tier(RoundRobin, &run_faults(&errors)), Tier::Racy);
        let injected = [fault("error_rate(0.5)", false)];
        assert_eq!(
            tier(RoundRobin, &run_faults(&injected)),
            Tier::Struck,
            "an injected one"
        );
        let crash = [fault("crash(random)", true)];
        assert_eq!(
            tier(RoundRobin, &run_faults(&crash)),
            Tier::Struck,
            "a new version's crash strikes"
        );
    }

    #[test]
    fn the_tier_follows_the_faults_kinds_then_the_strategy() {
        use Strategy::*;
        assert_eq!(tier(RoundRobin, &[]), Tier::Calm);
        assert_eq!(tier(Consensus, &[]), Tier::Calm);
        for load_aware in [LeastLoaded, Specialized, Adaptive] {
            assert_eq!(tier(load_aware, &[]), Tier::Racy, "{load_aware:?}");
        }
        let market = fault("volatility(0.9) @ 100ms for 500ms", false);
        assert_eq!(
            tier(RoundRobin, &run_faults(std::slice::from_ref(&market))),
            Tier::Racy,
            "prices only"
        );
        for struck in [
            "crash(random, restart = 500ms) @ 100ms",
            "hang(random) @ 100ms for 500ms",
            "packet_loss(0.3) @ 100ms for 500ms",
            "partition(halves) @ 100ms for 500ms",
            "network_issue @ 100ms for 500ms",
            "error_rate(0.5, target = all) @ 100ms for 500ms",
            "memory_leak(2000, target = 1) @ 300ms",
            "cpu_spike(0.95, target = 1) @ 300ms for 1s",
            "latency(50ms, jitter = 10ms)",
        ] {
            let one = [fault(struck, false)];
            assert_eq!(
                tier(RoundRobin, &run_faults(&one)),
                Tier::Struck,
                "{struck}"
            );
            let both = [market.clone(), fault(struck, false)];
            assert_eq!(tier(Adaptive, &run_faults(&both)), Tier::Struck, "{struck}");
        }
    }

    #[test]
    fn a_struck_run_keeps_only_the_allow_list() {
        let mut v = report();
        v["seed"] = json!(7);
        v["mode"] = json!("live");
        v["topology"]["agents"] = json!(4);
        v["topology"]["edges"] = json!(3);
        v["agents"][0]["role"] = json!("data_collector");
        v["tasks"]["duplicated"] = json!(0);
        v["failures"] = json!(["task 3 failed: injected error"]);
        let before = v.clone();
        let mut voted = v.clone();
        redact(&mut voted, Tier::Struck, Strategy::Consensus);
        assert_eq!(
            voted["tasks"]["dispatched"], REDACTED,
            "under consensus, which trades went out is which votes were reached"
        );
        redact(&mut v, Tier::Struck, Strategy::RoundRobin);
        for kept in [
            "/name",
            "/seed",
            "/mode",
            "/topology/kind",
            "/topology/edges",
        ] {
            assert_eq!(v.pointer(kept), before.pointer(kept), "{kept}");
        }
        assert_eq!(v["topology"]["single_points_of_failure"], REDACTED);
        assert_eq!(
            v["agents"],
            json!([{"id": 0, "role": "data_collector", "state": REDACTED,
                    "executed": REDACTED, "errors": REDACTED, "cpu": REDACTED,
                    "memory_mb": REDACTED}])
        );
        assert_eq!(
            v["tasks"],
            json!({"dispatched": 20, "completed": REDACTED, "rerouted": REDACTED, "lost": 0,
                   "max_share": REDACTED, "duplicated": 0})
        );
        assert_eq!(
            v["faults"],
            json!([{"name": "crash(0)", "targets": [0], "at_ms": REDACTED,
                    "recovered_after_ms": REDACTED, "tasks_rerouted": REDACTED}]),
            "null or not, whether it recovered is timing's"
        );
        for whole in [
            "health",
            "consensus",
            "failures",
            "latency",
            "messages",
            "trades",
        ] {
            assert_eq!(v[whole], REDACTED, "{whole}");
        }
        assert_eq!(v["duration_ms"], REDACTED);
    }

    #[test]
    fn keep_only_redacts_a_value_where_the_path_expected_more() {
        let mut v = json!({"faults": null, "agents": {"id": 1}, "tasks": 3});
        keep_only(
            &mut v,
            &[&["faults", "*", "name"], &["agents", "*", "id"], &["tasks"]],
        );
        assert_eq!(
            v,
            json!({"faults": REDACTED, "agents": REDACTED, "tasks": 3})
        );
    }

    #[test]
    fn keys_keep_the_report_s_order() {
        let keys: Vec<String> = match serde_json::to_value(json!({"b": 1, "a": 2})).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => unreachable!(),
        };
        assert_eq!(
            keys,
            vec!["b", "a"],
            "serde_json keeps insertion order (preserve_order)"
        );
    }
}
