//! The deployment patterns' sections of the `@live` snapshot: what real time and real
//! measurements decide taken out, the rest kept exact.
//!
//! The report-wide rule is the parent module's (every `*_ms` number, CPU and memory, the market,
//! races under faults); this adds what the patterns decide from wall time, by the same rule
//! (a value stays exact when the test's attributes and the protocol fix it). Always:
//! - `deploy`: a step's `reason` quotes its measured p99 (`p99 3.952 ms`): that figure;
//! - `rotation`: each window's `pnl` (the market follows wall time).
//!
//! And for each kind of run whose course real time decides:
//! - **Autoscaled**: the autoscaler reads CPU time and resident memory from the OS (a loaded
//!   machine changes them), and agents join and leave at sync times of the wall clock while
//!   the trade flow runs on it too. When, how far and even whether the swarm scales can
//!   change, so `scaling`, the `agents` list, the topology's `agents` and `edges` and
//!   `tasks.max_share` are redacted. (`tasks.rerouted` stays: a drain must never cut work
//!   off. The test bodies assert the scaling itself, mode-aware.)
//! - **Adaptive rotation**: the weights follow each window's PnL, so which strategy got which
//!   request, and so how many failed, follows the market: each window's `weights`,
//!   `requests` and `error_rates`, the agents' `executed`, `errors` and `state`, the tasks'
//!   `completed`, `failed`, `rerouted` and `max_share`, the `success_rate` and the
//!   `failures` list.
//! - **A rollout or an autoscaled run under a fault** (`inject`; a `volatility` shock moves
//!   the market, not the agents, and does not count): what the fault hit decides
//!   the analysis (an inconclusive step repeats, a lossy step may fail and roll back), so the
//!   `deploy` steps, the `agents`, the topology's size, the tasks' `dispatched`,
//!   `completed`, `failed`, `rerouted` and `max_share`, the `success_rate`, the `failures`
//!   list, and which agents the heartbeats declared failed and recovered (`health`'s
//!   `detections` and `recoveries`, and the circuit breakers' moves: a lossy network or a
//!   starved machine makes peers miss heartbeats, and stages fail, by chance) and whether each fault was detected and recovered from at all
//!   (its `detected_after_ms` and `recovered_after_ms`, `null` or not).
//! - **A rollout whose new version has its own fault** (`new_version_fault`): its errors are
//!   drawn per agent from the seed on requests routed by the seed, so which step fails, after
//!   how many new-version requests, with which error rate and reason, stays exact. But the
//!   failing step ends at the new version's deciding answer, and how many old-version answers
//!   had come back by then is the wall clock's: that step's `observed`, and with it the
//!   tasks' `dispatched` and `completed`, are redacted (seen: blue 10 or 11 in one step,
//!   95 or 96 trades, in two runs of one seed).
//!
//! Redacted values become `"[live]"`, as in the rest of the snapshot.

use serde_json::Value;

use super::REDACTED;

/// What kind of run the snapshot is of (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pattern {
    /// `scale` keys were given.
    pub(crate) autoscaled: bool,
    /// `deploy = "rotation"`.
    pub(crate) adaptive: bool,
    /// `deploy = "blue_green"` or `"canary"`: a rollout, whose steps can add and remove agents.
    pub(crate) rollout: bool,
    /// `inject` has a fault that hits agents or the network (not `volatility` alone).
    pub(crate) faulted: bool,
    /// A rollout with a `new_version_fault`: a step may end early, at a failing answer.
    pub(crate) failing_new_version: bool,
}

/// Takes what real time decides out of a live snapshot `value` of a pattern's run (see the
/// module docs).
pub(crate) fn redact(value: &mut Value, run: Pattern) {
    let Value::Object(report) = value else { return };
    if let Some(Value::Array(steps)) = report.get_mut("deploy") {
        for step in steps {
            edit_string(step, "reason", without_durations);
            if run.failing_new_version && step.get("outcome") == Some(&Value::from("failed")) {
                redact_key(step, "observed");
            }
        }
    }
    let window_keys: &[&str] = if run.adaptive {
        &["pnl", "weights", "requests", "error_rates"]
    } else {
        &["pnl"]
    };
    if let Some(Value::Array(windows)) = report.get_mut("rotation") {
        for window in windows {
            for &key in window_keys {
                redact_key(window, key);
            }
        }
    }
    // From the spec, not the report: the report-wide rule may have taken the `deploy` steps out
    // already (a struck run keeps its allow-list only).
    let raced = run.faulted && (run.autoscaled || run.rollout);
    let mut tasks: Vec<&str> = Vec::new();
    if run.failing_new_version {
        tasks.extend(["dispatched", "completed"]);
    }
    if run.autoscaled {
        redact_key_of(report, "scaling");
        tasks.push("max_share");
    }
    if run.autoscaled || raced {
        redact_key_of(report, "agents");
        if let Some(topology) = report.get_mut("topology") {
            redact_key(topology, "agents");
            redact_key(topology, "edges");
        }
    }
    if raced {
        redact_key_of(report, "deploy");
        tasks.extend(["dispatched", "completed", "failed", "rerouted", "max_share"]);
        redact_key_of(report, "failures");
        redact_key_of(report, "success_rate");
        if let Some(health) = report.get_mut("health") {
            redact_key(health, "detections");
            redact_key(health, "recoveries");
            redact_key(health, "breakers");
        }
        if let Some(Value::Array(faults)) = report.get_mut("faults") {
            for fault in faults {
                // Whether it was detected or recovered at all (`null` or not) is a race too.
                redact_key(fault, "detected_after_ms");
                redact_key(fault, "recovered_after_ms");
            }
        }
    }
    if run.adaptive {
        if let Some(Value::Array(agents)) = report.get_mut("agents") {
            for agent in agents {
                for key in ["executed", "errors", "state"] {
                    redact_key(agent, key);
                }
            }
        }
        tasks.extend(["completed", "failed", "rerouted", "max_share"]);
        redact_key_of(report, "failures");
        redact_key_of(report, "success_rate");
    }
    if let Some(section) = report.get_mut("tasks") {
        for key in tasks {
            redact_key(section, key);
        }
    }
}

fn redact_key_of(report: &mut serde_json::Map<String, Value>, key: &str) {
    if let Some(v) = report.get_mut(key) {
        *v = Value::String(REDACTED.into());
    }
}

fn redact_key(item: &mut Value, key: &str) {
    if let Some(v) = item.get_mut(key) {
        *v = Value::String(REDACTED.into());
    }
}

fn edit_string(item: &mut Value, key: &str, f: fn(&str) -> String) {
    if let Some(Value::String(s)) = item.get_mut(key) {
        *s = f(s);
    }
}

/// Every `<number> ms` in `reason` redacted: `p99 3.952 ms` → `p99 [live] ms`.
fn without_durations(reason: &str) -> String {
    let mut words: Vec<String> = reason.split(' ').map(str::to_owned).collect();
    for i in 0..words.len().saturating_sub(1) {
        if words[i + 1].starts_with("ms") && is_number(&words[i]) {
            words[i] = REDACTED.into();
        }
    }
    words.join(" ")
}

fn is_number(word: &str) -> bool {
    word.trim_end_matches([',', ')', ':'])
        .parse::<f64>()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "topology": {"kind": "mesh", "agents": 5, "edges": 10, "diameter": 1},
            "agents": [{"id": 0, "executed": 7, "errors": 1, "state": "ready"}],
            "tasks": {"dispatched": 9, "completed": 8, "failed": 1, "rerouted": 1, "lost": 0, "max_share": 0.5},
            "failures": [{"task": 3, "reason": "x"}],
            "success_rate": 0.9,
            "health": {"root": null, "detections": [{"agent": 1}], "recoveries": [], "breakers": []},
            "faults": [{"targets": [1], "detected_after_ms": 3.0, "recovered_after_ms": null}],
            "scaling": [],
            "deploy": [{"phase": "step 1", "outcome": "passed", "reason": "blue success 1.00 over 40 (p99 3.952 ms); green served nothing"}],
            "rotation": [{"at_ms": 1.0, "weights": {"a": 0.5}, "requests": {"a": 3}, "error_rates": {"a": 0.0}, "pnl": {"a": -1.5}}],
        })
    }

    #[test]
    fn a_plain_rollout_keeps_its_steps_without_their_durations() {
        let mut v = report();
        redact(&mut v, Pattern::default());
        assert_eq!(
            v["deploy"][0]["reason"],
            "blue success 1.00 over 40 (p99 [live] ms); green served nothing"
        );
        assert_eq!(v["deploy"][0]["outcome"], "passed");
        assert_eq!(v["agents"][0]["executed"], 7);
        assert_eq!(v["tasks"]["failed"], 1);
        assert_eq!(v["topology"]["agents"], 5);
        // A fixed mix: the seeded picks decide the requests; the market decides the PnL.
        assert_eq!(v["rotation"][0]["requests"]["a"], 3);
        assert_eq!(v["rotation"][0]["pnl"], REDACTED);
    }

    #[test]
    fn an_autoscaled_run_hides_its_scaling_and_its_size_not_its_losses() {
        let mut v = report();
        let run = Pattern {
            autoscaled: true,
            ..Pattern::default()
        };
        redact(&mut v, run);
        assert_eq!(v["scaling"], REDACTED);
        assert_eq!(v["agents"], REDACTED);
        assert_eq!(v["topology"]["agents"], REDACTED);
        assert_eq!(v["topology"]["kind"], "mesh");
        assert_eq!(v["tasks"]["max_share"], REDACTED);
        assert_eq!(v["tasks"]["rerouted"], 1, "a drain never cuts work off");
        assert_eq!(v["tasks"]["lost"], 0);
    }

    #[test]
    fn a_rollout_under_a_fault_hides_its_steps_and_counts() {
        let mut v = report();
        let run = Pattern {
            faulted: true,
            rollout: true,
            ..Pattern::default()
        };
        // As the report-wide rule leaves a struck run: its steps already taken out.
        v["deploy"] = json!(REDACTED);
        redact(&mut v, run);
        assert_eq!(v["deploy"], REDACTED);
        assert_eq!(
            v["topology"]["agents"], REDACTED,
            "a promotion adds agents, a rollback does not"
        );
        assert_eq!(v["failures"], REDACTED);
        assert_eq!(v["tasks"]["dispatched"], REDACTED);
        assert_eq!(v["tasks"]["lost"], 0, "nothing lost stays exact");
        assert_eq!(v["health"]["detections"], REDACTED);
        assert_eq!(v["health"]["breakers"], REDACTED);
        assert_eq!(v["health"]["root"], Value::Null);
        assert_eq!(
            v["faults"][0]["recovered_after_ms"], REDACTED,
            "even `null`"
        );
        assert_eq!(v["faults"][0]["targets"], json!([1]));
    }

    #[test]
    fn an_adaptive_rotation_hides_what_the_market_steered() {
        let mut v = report();
        let run = Pattern {
            adaptive: true,
            faulted: true,
            ..Pattern::default()
        };
        v["deploy"] = json!([]);
        redact(&mut v, run);
        for key in ["pnl", "weights", "requests", "error_rates"] {
            assert_eq!(v["rotation"][0][key], REDACTED, "{key}");
        }
        assert_eq!(v["agents"][0]["state"], REDACTED);
        assert_eq!(v["agents"][0]["id"], 0);
        assert_eq!(v["tasks"]["completed"], REDACTED);
        assert_eq!(v["success_rate"], REDACTED);
        assert_eq!(v["tasks"]["lost"], 0);
        assert_eq!(
            v["topology"]["agents"], 5,
            "no deployment ran: the swarm's size is fixed"
        );
    }

    #[test]
    fn a_failing_new_version_keeps_its_verdict_not_the_old_version_s_race() {
        let mut v = report();
        v["deploy"] = json!([
            {"phase": "step 1", "outcome": "passed", "observed": [40, 0], "reason": "blue success 1.00 over 40"},
            {"phase": "step 2", "outcome": "failed", "observed": [10, 5], "error_rates": [0.0, 0.4],
             "reason": "green's error rate 0.40 (2 of 5) exceeds 0.10 after at least 5 requests"},
        ]);
        let run = Pattern {
            rollout: true,
            failing_new_version: true,
            ..Pattern::default()
        };
        redact(&mut v, run);
        assert_eq!(
            v["deploy"][1]["observed"], REDACTED,
            "blue's answers by then"
        );
        assert_eq!(v["deploy"][1]["error_rates"], json!([0.0, 0.4]));
        assert_eq!(
            v["deploy"][1]["reason"],
            "green's error rate 0.40 (2 of 5) exceeds 0.10 after at least 5 requests"
        );
        assert_eq!(
            v["deploy"][0]["observed"],
            json!([40, 0]),
            "a full step stays"
        );
        assert_eq!(v["tasks"]["dispatched"], REDACTED);
        assert_eq!(v["tasks"]["completed"], REDACTED);
        assert_eq!(v["tasks"]["failed"], 1);
        assert_eq!(v["tasks"]["lost"], 0);
    }
}
