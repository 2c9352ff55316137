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
            r.topology.agents as f64 * r.duration_ms / 1_000.0,
        );
    }
    out
}

/// Writes `latency.svg` (p50, p95, p99 per run) and `throughput.svg` (completed tasks per
/// second per run) into `dir`, and returns their paths.
pub fn write_plots(reports: &[Report], dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
    let latency = dir.join("latency.svg");
    let series: Vec<(&str, Vec<f64>)> = vec![
        ("p50 ms", reports.iter().map(|r| r.latency.p50_ms).collect()),
        ("p95 ms", reports.iter().map(|r| r.latency.p95_ms).collect()),
        ("p99 ms", reports.iter().map(|r| r.latency.p99_ms).collect()),
    ];
    bars(&latency, "task latency (ms)", &names, &series)?;
    let throughput = dir.join("throughput.svg");
    let series = vec![(
        "tasks/s",
        reports.iter().map(|r| r.throughput_per_s).collect(),
    )];
    bars(
        &throughput,
        "throughput (completed tasks per second)",
        &names,
        &series,
    )?;
    Ok(vec![latency, throughput])
}

/// A horizontal grouped bar chart: one group per name (top to bottom), one bar per series.
fn bars(
    path: &Path,
    title: &str,
    names: &[&str],
    series: &[(&str, Vec<f64>)],
) -> Result<(), String> {
    use plotters::prelude::*;

    let fail = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let groups = names.len().max(1);
    let label_width = 7 * names.iter().map(|n| n.len()).max().unwrap_or(8) as u32 + 20;
    let height = (110 + 28 * series.len().max(1) * groups) as u32;
    let root = SVGBackend::new(path, (label_width + 640, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let top = series
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.3;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..top, 0.0..groups as f64)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(2 * groups + 1)
        .y_label_formatter(&|y| {
            // Ticks fall on halves: name the group at its centre (first name on top).
            let row = y.floor() as usize;
            match names.get(groups.saturating_sub(row + 1)) {
                Some(name) if (y - y.floor() - 0.5).abs() < 1e-6 => (*name).to_owned(),
                _ => String::new(),
            }
        })
        .draw()
        .map_err(|e| fail(&e))?;
    let palette = [
        RGBColor(66, 133, 244),
        RGBColor(251, 140, 0),
        RGBColor(219, 68, 55),
    ];
    let thickness = 0.8 / series.len().max(1) as f64;
    for (s, (label, values)) in series.iter().enumerate() {
        let color = palette[s % palette.len()];
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let row = (groups - 1 - i) as f64;
                let y1 = row + 0.9 - s as f64 * thickness;
                Rectangle::new([(0.0, y1 - thickness), (v, y1)], color.filled())
            }))
            .map_err(|e| fail(&e))?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
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
    fn reports_round_trip_into_a_table_and_plots() {
        let dir = std::env::temp_dir().join(format!("swarm-summary-{}", std::process::id()));
        let written = sample(&dir);
        let read = read_reports(&dir).unwrap();
        assert_eq!(read, written);
        let table = markdown(&read);
        assert!(
            table.contains("| sample | star | 4 | 8/8 | 100.0% |"),
            "{table}"
        );
        let plots = write_plots(&read, &dir).unwrap();
        for plot in plots {
            let svg = std::fs::read_to_string(&plot).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("sample"),
                "{}",
                plot.display()
            );
        }
        std::fs::write(dir.join("junk.json"), "{}").unwrap();
        let err = read_reports(&dir).unwrap_err();
        assert!(
            err.contains("junk.json is not a swarm-test report"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
