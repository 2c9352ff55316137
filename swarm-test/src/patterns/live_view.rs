//! The deployment patterns' sections of the `@live` snapshot: what real time and real
//! measurements decide in `scaling`, `deploy` and `rotation` taken out, the rest kept exact.
//!
//! The report-wide rule is `live::redact`'s (every `*_ms` number, CPU and memory, the market,
//! races under faults); this adds what only the patterns' sections carry, by the same rule (a
//! value stays exact when the test's attributes and the protocol fix it):
//! - `scaling`: when any decision was made on measured load (its reason starts with `cpu` or
//!   `memory`: CPU time and resident memory read from the OS, which a loaded machine changes),
//!   when and how far the swarm scaled follows the machine, so the whole list is redacted;
//!   decisions made on the volatility fault alone stay, with the load they quote redacted.
//!   When a scale-*up* was made on measured load, the swarm's size follows it too: the
//!   `agents` list and the topology's `agents` and `edges`.
//! - In every autoscaled run, agents join and leave at sync times of the wall clock while the
//!   trade flow runs on it too, so how many trades each agent executed is a race: each
//!   agent's `executed` and `errors` and `tasks.max_share`. (`tasks.rerouted` stays: a drain
//!   must never cut work off.)
//! - `deploy`: a step's `reason` quotes its measured p99 (`p99 3.952 ms`): that figure.
//! - `rotation`: each window's `pnl` (the market follows wall time); in an adaptive rotation
//!   the weights follow the PnL, so `weights`, `requests` and `error_rates` too. A fixed
//!   strategy mix keeps its weights and requests (the seeded picks decide them).
//!
//! Redacted values become `"[live]"`, as in the rest of the snapshot.

use serde_json::Value;

/// What a redacted value is replaced with (as in `live::redact`).
const REDACTED: &str = "[live]";

/// Takes what real time decides out of the patterns' sections of a live snapshot `value`
/// (see the module docs). `adaptive`: the run was an adaptive rotation.
pub(crate) fn redact(value: &mut Value, adaptive: bool, autoscaled: bool) {
    let Value::Object(report) = value else { return };
    if autoscaled {
        if let Some(Value::Array(agents)) = report.get_mut("agents") {
            for agent in agents {
                for key in ["executed", "errors"] {
                    redact_key(agent, key);
                }
            }
        }
        if let Some(tasks) = report.get_mut("tasks") {
            redact_key(tasks, "max_share");
        }
    }
    if let Some(Value::Array(events)) = report.get_mut("scaling") {
        let on_load = |e: &Value| {
            e.get("reason")
                .and_then(Value::as_str)
                .is_some_and(|r| r.starts_with("cpu ") || r.starts_with("memory "))
        };
        let measured = events.iter().any(on_load);
        let grown = events.iter().any(|e| {
            on_load(e)
                && e.get("to").and_then(Value::as_u64) > e.get("from").and_then(Value::as_u64)
        });
        if measured {
            report.insert("scaling".into(), Value::String(REDACTED.into()));
        }
        if grown {
            report.insert("agents".into(), Value::String(REDACTED.into()));
            if let Some(topology) = report.get_mut("topology") {
                redact_key(topology, "agents");
                redact_key(topology, "edges");
            }
        }
    }
    // Still a list: decided on the volatility fault alone.
    if let Some(Value::Array(events)) = report.get_mut("scaling") {
        for event in events {
            edit_string(event, "reason", without_measured_load);
        }
    }
    if let Some(Value::Array(steps)) = report.get_mut("deploy") {
        for step in steps {
            edit_string(step, "reason", without_durations);
        }
    }
    if let Some(Value::Array(windows)) = report.get_mut("rotation") {
        let keys: &[&str] = if adaptive {
            &["pnl", "weights", "requests", "error_rates"]
        } else {
            &["pnl"]
        };
        for window in windows {
            if let Value::Object(w) = window {
                for &key in keys {
                    if let Some(v) = w.get_mut(key) {
                        *v = Value::String(REDACTED.into());
                    }
                }
            }
        }
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

/// `… (mean cpu 0.01, memory 0.02, volatility 0.85 over 3 ready)` → the measured cpu and
/// memory redacted; the volatility (the fault's level) and the ready count stay.
fn without_measured_load(reason: &str) -> String {
    let mut words: Vec<String> = reason.split(' ').map(str::to_owned).collect();
    for i in 1..words.len() {
        if matches!(words[i - 1].as_str(), "cpu" | "memory") && is_number(&words[i]) {
            let tail: String = words[i].chars().filter(|c| *c == ',').collect();
            words[i] = format!("{REDACTED}{tail}");
        }
    }
    words.join(" ")
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

    #[test]
    fn scaling_on_measured_load_is_redacted_whole() {
        let mut v = json!({"scaling": [
            {"from": 3, "to": 5, "reason": "market volatility 0.85 above 0.8: +2 (mean cpu 0.00, memory 0.01, volatility 0.85 over 3 ready)"},
            {"from": 5, "to": 3, "reason": "cpu 0.00 / target 0.50 = ratio 0.01: clamped"},
        ]});
        redact(&mut v, false, true);
        assert_eq!(v["scaling"], REDACTED);
    }

    #[test]
    fn a_scale_up_on_measured_load_hides_the_size_and_who_executed() {
        let mut v = json!({
            "topology": {"kind": "mesh", "agents": 5, "edges": 10},
            "agents": [{"id": 0, "executed": 7, "errors": 0}],
            "tasks": {"completed": 9, "max_share": 0.5, "rerouted": 0},
            "scaling": [{"from": 2, "to": 5, "reason": "cpu 0.44 / target 0.20 = ratio 2.22"}],
        });
        redact(&mut v, false, true);
        assert_eq!(v["agents"], REDACTED);
        assert_eq!(v["topology"]["agents"], REDACTED);
        assert_eq!(v["topology"]["kind"], "mesh");
        assert_eq!(v["tasks"]["max_share"], REDACTED);
        assert_eq!(v["tasks"]["rerouted"], 0, "a drain never cuts work off");
    }

    #[test]
    fn volatility_decisions_stay_without_the_load_they_quote() {
        let mut v = json!({"scaling": [
            {"from": 3, "to": 5, "reason": "market volatility 0.85 above 0.8: +2 (mean cpu 0.03, memory 0.01, volatility 0.85 over 3 ready)"},
        ]});
        redact(&mut v, false, true);
        assert_eq!(v["scaling"][0]["to"], 5);
        assert_eq!(
            v["scaling"][0]["reason"],
            "market volatility 0.85 above 0.8: +2 (mean cpu [live], memory [live], volatility 0.85 over 3 ready)"
        );
    }

    #[test]
    fn deploy_reasons_lose_their_durations_only() {
        let mut v = json!({"deploy": [
            {"reason": "blue success 1.00 over 40 (p99 3.952 ms); green served nothing"},
        ]});
        redact(&mut v, false, true);
        assert_eq!(
            v["deploy"][0]["reason"],
            "blue success 1.00 over 40 (p99 [live] ms); green served nothing"
        );
    }

    #[test]
    fn rotation_keeps_a_fixed_mix_and_redacts_an_adaptive_one() {
        let window = json!({"at_ms": 1.0, "weights": {"a": 0.5}, "requests": {"a": 3}, "error_rates": {"a": 0.0}, "pnl": {"a": -1.5}});
        let mut fixed = json!({"rotation": [window.clone()]});
        redact(&mut fixed, false, false);
        assert_eq!(fixed["rotation"][0]["pnl"], REDACTED);
        assert_eq!(fixed["rotation"][0]["requests"]["a"], 3);
        let mut adaptive = json!({"rotation": [window]});
        redact(&mut adaptive, true, false);
        for key in ["pnl", "weights", "requests", "error_rates"] {
            assert_eq!(adaptive["rotation"][0][key], REDACTED, "{key}");
        }
    }
}
