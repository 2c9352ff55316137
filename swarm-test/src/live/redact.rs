//! The `@live` snapshot variant: the report with what real time decides taken out.
//!
//! Structural fields stay exact: counts (tasks, messages, executions per agent, errors),
//! the topology, roles, states, fault targets, failure reasons. Redacted, because wall time
//! decides them:
//! - every number whose key ends in `_ms` or `_per_s` (durations, latencies, setup time,
//!   throughput, fault timings; `null` stays `null`: "never detected" is structural);
//! - `cpu` and `memory_mb` of each agent (measured from the OS);
//! - `trades`: the market clock follows wall time in live mode, so prices, fills and PnL
//!   differ from run to run;
//! - `messages.heartbeats` and `messages.sent` (which counts the heartbeats): agents heartbeat
//!   every interval of wall time for as long as the run lasts.
//!
//! Redacted values become the string `"[live]"`, so a reader sees what was taken out.

use serde_json::Value;

use crate::report::Report;

/// Counts under `messages` that grow with wall time (heartbeats).
const HEARTBEAT_COUNTS: [&str; 2] = ["sent", "heartbeats"];

/// What a redacted value is replaced with.
pub(crate) const REDACTED: &str = "[live]";

/// Keys redacted wherever they appear (besides `*_ms` and `*_per_s`).
const MEASURED: [&str; 2] = ["cpu", "memory_mb"];

/// The report as the `@live` snapshot shows it.
pub(crate) fn live_snapshot(report: &Report) -> Value {
    let mut value = serde_json::to_value(report).unwrap_or(Value::Null);
    redact(&mut value, None);
    value
}

fn redact(value: &mut Value, key: Option<&str>) {
    let timed =
        key.is_some_and(|k| k.ends_with("_ms") || k.ends_with("_per_s") || MEASURED.contains(&k));
    match value {
        Value::Number(_) if timed => *value = Value::String(REDACTED.into()),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "trades" {
                    *v = Value::String(REDACTED.into());
                } else if k == "messages" {
                    if let Value::Object(counts) = v {
                        for (name, count) in counts.iter_mut() {
                            if HEARTBEAT_COUNTS.contains(&name.as_str()) && count.is_number() {
                                *count = Value::String(REDACTED.into());
                            }
                        }
                    }
                } else {
                    redact(v, Some(k));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                redact(item, key);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timing_is_redacted_structure_stays() {
        let mut v = json!({
            "name": "t",
            "duration_ms": 12.5,
            "throughput_per_s": 40.0,
            "tasks": {"completed": 20, "max_share": 0.2},
            "agents": [{"id": 0, "executed": 4, "cpu": 0.1, "memory_mb": 9.5}],
            "faults": [{"at_ms": 3.0, "recovered_after_ms": null, "targets": [1]}],
            "latency": {"p50_ms": 1.0},
            "trades": {"orders": 3},
            "messages": {"sent": 40, "heartbeats": 30, "dropped": 2},
        });
        redact(&mut v, None);
        assert_eq!(
            v,
            json!({
                "name": "t",
                "duration_ms": "[live]",
                "throughput_per_s": "[live]",
                "tasks": {"completed": 20, "max_share": 0.2},
                "agents": [{"id": 0, "executed": 4, "cpu": "[live]", "memory_mb": "[live]"}],
                "faults": [{"at_ms": "[live]", "recovered_after_ms": null, "targets": [1]}],
                "latency": {"p50_ms": "[live]"},
                "trades": "[live]",
                "messages": {"sent": "[live]", "heartbeats": "[live]", "dropped": 2},
            })
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
