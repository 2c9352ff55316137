//! The `@live` snapshot variant: the report with what real time decides taken out.
//!
//! The rule: a value stays exact when the test's attribute and the protocol fix it; it is
//! redacted when the wall clock, or the order in which concurrent real events happen to
//! arrive, can change it from one live run to the next. Three kinds of value are redacted.
//!
//! 1. **Measured** (always): every number whose key ends in `_ms` or `_per_s` (durations,
//!    latencies, setup time, throughput, fault and health timings; `null` stays `null`:
//!    "never detected" is structural); `cpu` and `memory_mb` of each agent (read from the
//!    OS); `messages.sent` and `messages.heartbeats` (agents heartbeat for as long as the run
//!    lasts); `messages.dropped` (a heartbeat acknowledged more than an interval late counts
//!    as dropped, so a loaded machine drops some even without faults).
//! 2. **What the market said** (always): the market clock follows wall time in live mode, so
//!    `trades` (prices, fills, PnL) and, in each consensus round with votes, the voters'
//!    `choice`, `agreeing`, `agreement` and the `reason` that quotes them differ from run to
//!    run. Who was asked, how many voted, the quorum and whether it was `reached` stay.
//! 3. **Who won a race** (only in a *racy* run: one with a fault, or routed by a strategy
//!    that reads load — `least_loaded`, `specialized`, `adaptive`): which agent took which
//!    task then depends on when earlier tasks finished and on what each agent held when the
//!    fault struck. Redacted: each agent's `executed` and `errors`, `tasks.rerouted` and
//!    `tasks.max_share`, each fault's `tasks_affected` / `tasks_rerouted` / `tasks_failed`,
//!    `health.stages_skipped` and `health.stale_sends`, each detection's `by` (which
//!    monitors noticed first), and the circuit breakers' transitions (how many trials failed
//!    before one succeeded): each agent's breaker list keeps the first move into each state,
//!    in order, without the `reason` (it names trial tasks), so "it opened, half-opened and
//!    closed again" stays readable.
//!    Under `round_robin` or `consensus` without faults the protocol alone decides who
//!    executes, so these stay exact.
//!
//! Structural fields stay exact in every run: the topology and its single points of failure,
//! roles, degrees, final agent states, tasks dispatched / completed / failed / lost /
//! duplicated, success rate, fault names and targets, detections' and promotions' agents,
//! the root, recoveries, and failure messages. Redacted values become the string `"[live]"`,
//! so a reader sees what was taken out.

use serde_json::Value;
use swarm_test_spec::{Spec, Strategy};

use crate::report::Report;

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

/// The report as the `@live` snapshot shows it.
pub(crate) fn live_snapshot(spec: &Spec, report: &Report) -> Value {
    let mut value = serde_json::to_value(report).unwrap_or(Value::Null);
    redact(&mut value, racy(spec.strategy, report.faults.len()));
    value
}

/// Whether who-took-what depends on real timing: a fault struck, or routing reads load.
fn racy(strategy: Strategy, faults: usize) -> bool {
    faults > 0
        || matches!(
            strategy,
            Strategy::LeastLoaded | Strategy::Specialized | Strategy::Adaptive
        )
}

fn redact(value: &mut Value, racy: bool) {
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
    if racy {
        for path in RACED {
            at(value, path);
        }
        if let Some(breakers) = value.pointer_mut("/health/breakers") {
            distinct_moves(breakers);
        }
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
        redact(&mut v, false);
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
        redact(&mut v, true);
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

    #[test]
    fn racy_means_a_fault_or_load_aware_routing() {
        use Strategy::*;
        assert!(!racy(RoundRobin, 0));
        assert!(!racy(Consensus, 0));
        for load_aware in [LeastLoaded, Specialized, Adaptive] {
            assert!(racy(load_aware, 0), "{load_aware:?}");
        }
        assert!(racy(RoundRobin, 1), "the report counts run-time faults too");
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
