//! Snapshot bands (`snapshot = "bands"`): each metric's distribution over the explored seeds
//! (min, p50, p95, max), so a diff shows a change in behaviour rather than one seed's luck.
//!
//! A metric is a number anywhere in the report (`latency.p99_ms`, `agents[2].executed`),
//! named by its path; the seed itself is left out. A metric missing from some seeds' reports
//! (a list that is shorter for them) says in how many it was present. Percentiles are
//! nearest-rank over the sorted values; every value is rounded to 3 decimals, so the bands
//! are the same bytes on any machine.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::report::Report;

/// One metric's distribution over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Band {
    min: f64,
    p50: f64,
    p95: f64,
    max: f64,
    /// The seeds whose report had this metric, when not all of them did.
    #[serde(skip_serializing_if = "Option::is_none")]
    seeds: Option<usize>,
}

/// The bands of a many-seed run, as snapshotted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Bands {
    /// The seeds the bands are over.
    seeds: usize,
    metrics: BTreeMap<String, Band>,
}

/// The bands over `reports`, one per seed.
pub(super) fn bands(reports: &[Report]) -> Bands {
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for report in reports {
        let json = serde_json::to_value(report).unwrap_or(Value::Null);
        flatten("", &json, &mut values);
    }
    values.remove("seed");
    let metrics = values
        .into_iter()
        .map(|(path, v)| (path, band(v, reports.len())))
        .collect();
    Bands {
        seeds: reports.len(),
        metrics,
    }
}

/// The band of one metric's values (at least one), out of `seeds` seeds.
fn band(mut v: Vec<f64>, seeds: usize) -> Band {
    v.sort_by(f64::total_cmp);
    let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Band {
        min: v[0],
        p50: rank(0.5),
        p95: rank(0.95),
        max: v[v.len() - 1],
        seeds: (v.len() != seeds).then_some(v.len()),
    }
}

fn flatten(path: &str, value: &Value, out: &mut BTreeMap<String, Vec<f64>>) {
    match value {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.entry(path.to_owned())
                    .or_default()
                    .push((x * 1000.0).round() / 1000.0);
            }
        }
        Value::Object(map) => {
            for (key, v) in map {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_and_missing_metrics_are_counted() {
        let mut values = BTreeMap::new();
        for (i, x) in [3.0, 1.0, 2.0, 4.0].into_iter().enumerate() {
            let mut json = serde_json::json!({ "seed": i, "a": { "b": x }, "l": [x] });
            if i == 0 {
                json["l"] = serde_json::json!([x, 9.0004]);
            }
            flatten("", &json, &mut values);
        }
        assert_eq!(values["a.b"], vec![3.0, 1.0, 2.0, 4.0]);
        assert_eq!(values["l[1]"], vec![9.0]);
        assert!(values.contains_key("seed"), "removed by `bands`, not here");
        let b = band((1..=20).rev().map(f64::from).collect(), 20);
        assert_eq!(
            (b.min, b.p50, b.p95, b.max, b.seeds),
            (1.0, 10.0, 19.0, 20.0, None)
        );
        let b = band(vec![5.0], 3);
        assert_eq!(
            (b.min, b.p50, b.p95, b.max, b.seeds),
            (5.0, 5.0, 5.0, 5.0, Some(1))
        );
    }
}
