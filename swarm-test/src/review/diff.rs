//! `swarm-test diff BASE HEAD`: what moved between two report directories (say, main and a
//! pull request), as a markdown table by test and metric, the largest change first.
//!
//! Runs are matched by test name and mode (a test that ran several seeds is matched seed by
//! seed, in seed order). Every number of a report is a metric, by its path
//! (`latency.p99_ms`, `faults[0].recovered_after_ms`, `agents[2].executed`), and so is the
//! length of every list (`scaling.len`); the seed and the event trace are not. A number that
//! appeared or vanished (`null` on one side), an `outcome` or `state` that changed, and a
//! `reached` that flipped count as moved by 100 %; a number that moved off zero counts as
//! an infinite change.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::file::ReportFile;

/// One metric that moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The run: test name, `(live)` for a live run, `#seed` when a test ran several seeds.
    pub test: String,
    /// The metric's path in the report.
    pub metric: String,
    /// Its value in BASE, as text (`–`: absent).
    pub base: String,
    /// Its value in HEAD.
    pub head: String,
    /// HEAD − BASE, for numbers on both sides.
    pub delta: Option<f64>,
    /// The size of the change, percent of |BASE| (infinite when BASE was 0).
    pub percent: f64,
}

/// Everything two directories' comparison found.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// Runs found on both sides.
    pub compared: usize,
    /// Metrics compared over those runs.
    pub metrics: usize,
    /// Runs only in BASE.
    pub removed: Vec<String>,
    /// Runs only in HEAD.
    pub added: Vec<String>,
    /// What moved, largest change first (then by test and metric).
    pub changes: Vec<Change>,
}

impl Diff {
    /// The largest change, percent (0 when nothing moved).
    pub fn largest(&self) -> f64 {
        self.changes.first().map_or(0.0, |c| c.percent)
    }

    /// The changes larger than `percent`.
    pub fn above(&self, percent: f64) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.percent > percent)
    }
}

/// Runs by key: `name`, `name (live)`, with `#seed` when several seeds ran.
fn keyed(files: &[ReportFile]) -> BTreeMap<String, Value> {
    let mut groups: BTreeMap<String, Vec<&ReportFile>> = BTreeMap::new();
    for f in files {
        groups.entry(f.key()).or_default().push(f);
    }
    let mut out = BTreeMap::new();
    for (key, mut runs) in groups {
        runs.sort_by_key(|f| f.report.seed);
        let many = runs.len() > 1;
        for (i, f) in runs.into_iter().enumerate() {
            let key = if many {
                format!("{key} #{}", i + 1)
            } else {
                key.clone()
            };
            out.insert(key, serde_json::to_value(&f.report).unwrap_or(Value::Null));
        }
    }
    out
}

/// Leaves worth comparing, by path.
fn flatten(value: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    let join = |k: &str| match path {
        "" => k.to_owned(),
        _ => format!("{path}.{k}"),
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if path.is_empty() && k == "seed" {
                    continue;
                }
                match v {
                    Value::Number(_) | Value::Null | Value::Bool(_) => {
                        out.insert(join(k), v.clone());
                    }
                    Value::String(_) if matches!(k.as_str(), "outcome" | "state") => {
                        out.insert(join(k), v.clone());
                    }
                    _ => flatten(v, &join(k), out),
                }
            }
        }
        Value::Array(items) => {
            out.insert(format!("{path}.len"), Value::from(items.len()));
            for (i, v) in items.iter().enumerate() {
                match v {
                    Value::Number(_) => {
                        out.insert(format!("{path}[{i}]"), v.clone());
                    }
                    _ => flatten(v, &format!("{path}[{i}]"), out),
                }
            }
        }
        _ => {}
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "–".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// Compares two sets of report files.
pub fn diff(base: &[ReportFile], head: &[ReportFile]) -> Diff {
    let (base, head) = (keyed(base), keyed(head));
    let mut d = Diff {
        removed: base
            .keys()
            .filter(|k| !head.contains_key(*k))
            .cloned()
            .collect(),
        added: head
            .keys()
            .filter(|k| !base.contains_key(*k))
            .cloned()
            .collect(),
        ..Diff::default()
    };
    for (test, b) in &base {
        let Some(h) = head.get(test) else { continue };
        d.compared += 1;
        let (mut fb, mut fh) = (BTreeMap::new(), BTreeMap::new());
        flatten(b, "", &mut fb);
        flatten(h, "", &mut fh);
        let metrics: std::collections::BTreeSet<&String> = fb.keys().chain(fh.keys()).collect();
        d.metrics += metrics.len();
        for metric in metrics {
            let (vb, vh) = (fb.get(metric), fh.get(metric));
            if vb == vh {
                continue;
            }
            let num = |v: Option<&Value>| v.and_then(Value::as_f64);
            let (delta, percent) = match (num(vb), num(vh)) {
                (Some(x), Some(y)) if x == y => continue, // 1 and 1.0
                (Some(x), Some(y)) if x == 0.0 => (Some(y - x), f64::INFINITY),
                (Some(x), Some(y)) => (Some(y - x), ((y - x) / x).abs() * 100.0),
                _ => (None, 100.0),
            };
            d.changes.push(Change {
                test: test.clone(),
                metric: metric.clone(),
                base: text(vb),
                head: text(vh),
                delta,
                percent,
            });
        }
    }
    d.changes.sort_by(|a, b| {
        b.percent
            .total_cmp(&a.percent)
            .then_with(|| (&a.test, &a.metric).cmp(&(&b.test, &b.metric)))
    });
    d
}

/// The diff as markdown: a headline, then the table of the `limit` largest changes.
pub fn markdown(d: &Diff, limit: usize) -> String {
    let mut out = String::new();
    let tests: std::collections::BTreeSet<&str> =
        d.changes.iter().map(|c| c.test.as_str()).collect();
    if d.changes.is_empty() {
        let _ = writeln!(
            out,
            "**swarm-test diff: no change.** {} runs, {} metrics compared.",
            d.compared, d.metrics
        );
    } else {
        let _ = writeln!(
            out,
            "**swarm-test diff: {} metrics moved in {} of {} runs** ({} metrics compared; largest change {}).\n",
            d.changes.len(),
            tests.len(),
            d.compared,
            d.metrics,
            percent(d.largest())
        );
        out.push_str(
            "| test | metric | base | head | change | size |\n|---|---|---:|---:|---:|---:|\n",
        );
        for c in d.changes.iter().take(limit) {
            let delta = c.delta.map_or("changed".to_owned(), |x| format!("{x:+}"));
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {delta} | {} |",
                c.test,
                c.metric,
                c.base,
                c.head,
                percent(c.percent)
            );
        }
        if d.changes.len() > limit {
            let _ = writeln!(
                out,
                "\n… and {} smaller changes (`--limit` shows more).",
                d.changes.len() - limit
            );
        }
    }
    for (what, list) in [("only in BASE", &d.removed), ("only in HEAD", &d.added)] {
        if !list.is_empty() {
            let _ = writeln!(out, "\nRuns {what}: {}.", list.join(", "));
        }
    }
    out
}

fn percent(p: f64) -> String {
    if p.is_infinite() {
        "new (from 0)".into()
    } else {
        format!("{p:.1} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::tests::star_run;

    #[test]
    fn a_directory_against_itself_has_no_change() {
        let a = vec![star_run("a", "crash(1) @ 200ms").0];
        let d = diff(&a, &a);
        assert_eq!((d.compared, d.changes.len()), (1, 0));
        assert!(d.metrics > 50, "{}", d.metrics);
        assert!(markdown(&d, 10).contains("no change"));
    }

    #[test]
    fn moved_metrics_are_sorted_by_size_and_absent_values_count() {
        let base = star_run("a", "").0;
        let mut head = base.clone();
        head.report.latency.p99_ms = base.report.latency.p99_ms * 3.0; // +200 %
        head.report.throughput_per_s = base.report.throughput_per_s * 0.9; // -10 %
        head.report.faults.push(crate::report::FaultReport {
            name: "crash(1)".into(),
            targets: vec![1],
            at_ms: Some(1.0),
            healed_at_ms: None,
            detected_after_ms: None,
            recovered_after_ms: None,
            tasks_affected: 0,
            tasks_rerouted: 0,
            tasks_failed: 0,
        });
        let d = diff(&[base], &[head]);
        let moved: Vec<&str> = d.changes.iter().map(|c| c.metric.as_str()).collect();
        let p99 = moved.iter().position(|m| *m == "latency.p99_ms").unwrap();
        let tput = moved.iter().position(|m| *m == "throughput_per_s").unwrap();
        assert!(p99 < tput, "{moved:?}");
        assert!((d.changes[p99].percent - 200.0).abs() < 1e-6);
        assert!(moved.contains(&"faults.len"), "{moved:?}");
        assert!(moved.contains(&"faults[0].at_ms"), "{moved:?}");
        assert!(d.above(199.0).any(|c| c.metric == "latency.p99_ms"));
        assert!(!d.above(1e9).any(|c| c.metric == "latency.p99_ms"));
        let table = markdown(&d, 100);
        assert!(table.contains("| a | `latency.p99_ms` |"), "{table}");
    }

    #[test]
    fn runs_on_one_side_only_are_named() {
        let a = star_run("a", "").0;
        let b = star_run("b", "").0;
        let d = diff(&[a], &[b]);
        assert_eq!(
            (d.removed.clone(), d.added.clone()),
            (vec!["a".to_owned()], vec!["b".to_owned()])
        );
        assert!(markdown(&d, 10).contains("Runs only in BASE: a."));
    }
}
