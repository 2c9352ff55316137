//! The cross-pattern summary: one table comparing every run, built from measured reports.

use std::fmt::Write;
use std::path::Path;

use crate::report::Report;

/// Reads the report of every `*.json` report file in `dir` (as written with
/// `SWARM_TEST_REPORT`), sorted by file name. A file that is not a report is an error naming
/// it. (The files' event traces are in [`crate::review::file::read_dir`].)
pub fn read_reports(dir: &Path) -> Result<Vec<Report>, crate::review::ReadError> {
    Ok(crate::review::file::read_dir(dir)?
        .into_iter()
        .map(|f| f.report)
        .collect())
}

/// A markdown table with one row per report: latency percentiles, throughput, success,
/// recovery, single points of failure and cost in agent-seconds (see
/// [`crate::review::report::agent_seconds`]). `swarm-test report` draws the plots beside it.
///
/// ```
/// assert!(swarm_test::internals::summary::markdown(&[]).contains("| test |"));
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
            crate::review::report::agent_seconds(r),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> Vec<Report> {
        let spec = swarm_test_spec::SpecBuilder::new("sample", "summary::tests")
            .with("topology", "star")
            .with("agents", 4u64)
            .build()
            .unwrap();
        let mut sim = crate::sim::Sim::new(&spec, 1).unwrap();
        sim.setup().unwrap();
        sim.start_trades(8);
        sim.run_until_idle().unwrap();
        let report = crate::metrics::capture(&mut sim, "sample", 1);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join("sample.json"),
            serde_json::to_string(&report).unwrap(),
        )
        .unwrap();
        vec![report]
    }

    #[test]
    fn reports_round_trip_into_a_table() {
        let dir = std::env::temp_dir().join(format!("swarm-summary-{}", std::process::id()));
        let written = sample(&dir);
        let read = read_reports(&dir).unwrap();
        assert_eq!(read, written);
        let table = markdown(&read);
        assert!(
            table.contains("| sample | star | 4 | 8/8 | 100.0% |"),
            "{table}"
        );
        std::fs::write(dir.join("junk.json"), "{}").unwrap();
        let err = read_reports(&dir).unwrap_err().to_string();
        assert!(
            err.contains("junk.json is not a swarm-test report"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
