//! The cross-pattern summary: one table comparing every run, built from measured reports.

use std::fmt::Write;
use std::path::Path;

use crate::report::Report;

/// Reads every `*.json` report in `dir` (as written with `SWARM_TEST_REPORT`), sorted by
/// file name. A file that is not a report is an error naming it.
pub fn read_reports(dir: &Path) -> Result<Vec<Report>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read report directory {}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a swarm-test report: {e}", path.display()))
        })
        .collect()
}

/// A markdown table with one row per report: latency percentiles, throughput, success,
/// recovery, single points of failure and cost in agent-seconds (agents × run duration).
///
/// ```
/// assert!(swarm_test::summary::markdown(&[]).contains("| test |"));
/// ```
pub fn markdown(reports: &[Report]) -> String {
    let mut out = String::from(
        "| test | topology | agents | tasks ok | success | p50 ms | p95 ms | p99 ms | throughput/s | recovery ms | SPOF | agent·s |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for r in reports {
        let recovery = r
            .faults
            .iter()
            .filter_map(|f| f.recovered_after_ms)
            .reduce(f64::max)
            .map_or("–".to_owned(), |ms| format!("{ms:.1}"));
        let spof: Vec<String> = r
            .topology
            .single_points_of_failure
            .iter()
            .map(|s| s.agent.to_string())
            .collect();
        let _ =
            writeln!(
            out,
            "| {} | {} | {} | {}/{} | {:.1}% | {:.3} | {:.3} | {:.3} | {:.1} | {} | {} | {:.2} |",
            r.name,
            r.topology.kind.as_str(),
            r.topology.agents,
            r.tasks.completed,
            r.tasks.dispatched,
            r.success_rate * 100.0,
            r.latency.p50_ms,
            r.latency.p95_ms,
            r.latency.p99_ms,
            r.throughput_per_s,
            recovery,
            if spof.is_empty() { "none".to_owned() } else { spof.join(", ") },
            r.topology.agents as f64 * r.duration_ms / 1_000.0,
        );
    }
    out
}
