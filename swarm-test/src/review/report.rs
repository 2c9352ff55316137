//! `swarm-test report DIR --out OUT`: `OUT/REPORT.md`, a cross-pattern report with SVG plots,
//! every figure read from the report files in `DIR` (scenario 20).
//!
//! Runs are rows, sorted by test name, a live run right after its mock twin (`name (live)`),
//! so the two modes sit side by side wherever both exist.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::file::ReportFile;
use super::plots::{self, Line, Rollout};
use super::{PlotError, WriteError};
use crate::config::Mode;
use crate::report::Report;

/// One bar chart: its file, title, where its figures come from, its series and unit.
/// A bar plot: file, title, where its numbers come from, series, unit, and the bars' labels.
type BarPlot<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, Vec<f64>)>,
    &'a str,
    Vec<String>,
);

/// What [`write()`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// `OUT/REPORT.md`.
    pub markdown: PathBuf,
    /// The SVG files, in the order REPORT.md shows them.
    pub plots: Vec<PathBuf>,
}

/// Cost of a run in agent-seconds: the number of agents integrated over the run's time (an
/// autoscaled run counts each agent for as long as it was in the swarm).
pub fn agent_seconds(r: &Report) -> f64 {
    let start = r.scaling.first().map_or(r.topology.agents, |e| e.from) as f64;
    let end_ms = (r.duration_ms - r.setup_ms).max(0.0);
    let (mut total, mut agents, mut since) = (start * r.setup_ms, start, 0.0);
    for e in &r.scaling {
        let at = e.at_ms.clamp(since, end_ms);
        total += agents * (at - since);
        agents = e.to as f64;
        since = at;
    }
    total += agents * (end_ms - since);
    total / 1_000.0
}

/// Row labels: the test (and mode), with the seed when a test ran several seeds.
fn labels(files: &[&ReportFile]) -> Vec<String> {
    let mut count = BTreeMap::new();
    for f in files {
        *count.entry(f.key()).or_insert(0) += 1;
    }
    files
        .iter()
        .map(|f| match count[&f.key()] {
            1 => f.key(),
            _ => format!("{} #{}", f.key(), f.report.seed),
        })
        .collect()
}

fn mode_name(mode: Mode) -> &'static str {
    mode.as_str()
}

/// The quantile `q` of sorted samples (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The kind of a fault spec: `crash(hub) @ 2s` → `crash`.
fn fault_kind(name: &str) -> String {
    name.split(['(', ' ', '@'])
        .next()
        .unwrap_or(name)
        .trim()
        .to_owned()
}

/// The runs in report order: by test, the mock run first and its live twin next to it,
/// then by seed.
fn sorted(files: &[ReportFile]) -> Vec<&ReportFile> {
    let mut runs: Vec<&ReportFile> = files.iter().collect();
    runs.sort_by_key(|f| (&f.report.name, f.report.mode == Mode::Live, f.report.seed));
    runs
}

/// REPORT.md's summary table of `files`, one row per run: pattern, mode, agents, tasks,
/// success, latency percentiles, throughput, recovery, single points of failure, cost.
pub fn summary(files: &[ReportFile]) -> String {
    let runs = sorted(files);
    summary_table(&runs, &labels(&runs))
}

/// Writes `out/REPORT.md` and its plots from `files` (read from `source`).
pub fn write(files: &[ReportFile], source: &Path, out: &Path) -> Result<Written, WriteError> {
    if files.is_empty() {
        return Err(WriteError::NoReports {
            dir: source.to_owned(),
        });
    }
    std::fs::create_dir_all(out).map_err(|source| WriteError::File {
        path: out.to_owned(),
        source,
    })?;
    let runs = sorted(files);
    let names = labels(&runs);
    let reports: Vec<&Report> = runs.iter().map(|f| &f.report).collect();
    let mut md = String::new();
    let mut plots = Vec::new();
    let live = reports.iter().filter(|r| r.mode == Mode::Live).count();
    let _ = writeln!(
        md,
        "# swarm-test report\n\n{} runs ({} mock, {live} live) read from `{}`. Every figure here \
         comes from those report files; `swarm-test report {} --out {}` draws it again.\n",
        reports.len(),
        reports.len() - live,
        source.display(),
        source.display(),
        out.display()
    );
    md.push_str("## Summary\n\n");
    md.push_str(&summary_table(&runs, &names));

    // Latency distribution per pattern and mode.
    let mut pooled: BTreeMap<(String, &str), Vec<f64>> = BTreeMap::new();
    for f in &runs {
        let samples = f
            .timeline
            .as_ref()
            .map(|t| t.latencies_ms.as_slice())
            .unwrap_or(&[]);
        pooled
            .entry((f.pattern(), mode_name(f.report.mode)))
            .or_default()
            .extend_from_slice(samples);
    }
    let patterns: Vec<String> = {
        let mut p: Vec<String> = pooled.keys().map(|(p, _)| p.clone()).collect();
        p.dedup();
        p
    };
    let mut lines = Vec::new();
    md.push_str("\n## Latency distribution per pattern\n\n![latency CDF per pattern](latency_cdf.svg)\n\n\
                 The share of completed tasks (y) whose end-to-end latency is at most x, pooled over \
                 the runs of each pattern (from each file's `timeline.latencies_ms`).\n\n\
                 | pattern | mode | runs | tasks | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for ((pattern, mode), samples) in &mut pooled {
        samples.sort_by(f64::total_cmp);
        let n_runs = runs
            .iter()
            .filter(|f| &f.pattern() == pattern && mode_name(f.report.mode) == *mode)
            .count();
        let _ = writeln!(
            md,
            "| {pattern} | {mode} | {n_runs} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            samples.len(),
            quantile(samples, 0.5),
            quantile(samples, 0.9),
            quantile(samples, 0.99),
            samples.last().copied().unwrap_or(0.0)
        );
        if samples.is_empty() {
            continue;
        }
        let n = samples.len() as f64;
        // At most 200 points per curve: every k-th sample, and the last.
        let step = (samples.len() / 200).max(1);
        let mut points: Vec<(f64, f64)> = samples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i == samples.len() - 1)
            .map(|(i, &v)| (v.max(1e-3), (i + 1) as f64 / n))
            .collect();
        points.dedup_by(|a, b| a.0 == b.0 && a.1 <= b.1);
        lines.push(Line {
            label: format!("{pattern} ({mode}, {} tasks)", samples.len()),
            points,
            color: patterns.iter().position(|p| p == pattern).unwrap_or(0),
            dashed: *mode == "live",
            step: true,
            notes: Vec::new(),
        });
    }
    let path = out.join("latency_cdf.svg");
    plots::lines(
        &path,
        "task latency distribution per pattern (CDF)",
        (
            "end-to-end latency, ms (log scale)",
            "share of completed tasks",
        ),
        &lines,
        true,
    )?;
    plots.push(path);

    // Bars per run.
    let per_run = |f: &dyn Fn(&Report) -> f64| reports.iter().map(|r| f(r)).collect::<Vec<f64>>();
    let bar_plots: [BarPlot; 5] = [
        (
            "latency.svg",
            "task latency percentiles per run (ms)",
            "`latency.p50_ms`, `p95_ms` and `p99_ms` of each report.",
            vec![
                ("p50", per_run(&|r| r.latency.p50_ms)),
                ("p95", per_run(&|r| r.latency.p95_ms)),
                ("p99", per_run(&|r| r.latency.p99_ms)),
            ],
            "ms",
            names.clone(),
        ),
        (
            "throughput.svg",
            "throughput (completed tasks per second)",
            "`throughput_per_s`: completed tasks from the first dispatch to the last completion.",
            vec![("tasks/s", per_run(&|r| r.throughput_per_s))],
            "/s",
            names.clone(),
        ),
        (
            "success.svg",
            "success rate (completed / dispatched, %)",
            "`success_rate` × 100.",
            vec![("success %", per_run(&|r| r.success_rate * 100.0))],
            "%",
            // A run that dispatched no task (consensus rounds only, a setup error) has a
            // success rate of 0: its label says so.
            reports
                .iter()
                .zip(&names)
                .map(|(r, n)| match r.tasks.dispatched {
                    0 => format!("{n} (no tasks)"),
                    _ => n.clone(),
                })
                .collect(),
        ),
        (
            "spof.svg",
            "single points of failure (agents whose loss splits the swarm)",
            "`topology.single_points_of_failure` (the graph in force at the end) and \
             `health.live_single_points_of_failure` (its live agents only).",
            vec![
                (
                    "in the topology",
                    per_run(&|r| r.topology.single_points_of_failure.len() as f64),
                ),
                (
                    "in the live graph at the end",
                    per_run(&|r| r.health.live_single_points_of_failure.len() as f64),
                ),
            ],
            "",
            names.clone(),
        ),
        (
            "cost.svg",
            "cost (agent-seconds)",
            "Agents × time in the swarm, from `setup_ms`, `duration_ms` and the scale events (a run \
             without scale events counts its final `topology.agents` for the whole run).",
            vec![("agent·s", per_run(&|r| agent_seconds(r)))],
            "agent·s",
            names.clone(),
        ),
    ];
    for (file, title, source_note, series, unit, labels) in bar_plots {
        let path = out.join(file);
        plots::bars(&path, title, &labels, &series, unit)?;
        let _ = writeln!(
            md,
            "\n## {}\n\n![{title}]({file})\n\n{source_note}",
            heading(file)
        );
        plots.push(path);
    }
    md.push_str(&spof_table(&runs, &names));

    plots.push(recovery(&runs, &names, out, &mut md)?);
    if let Some(path) = scaling(&runs, &names, out, &mut md)? {
        plots.push(path);
    }
    if let Some(path) = rollouts(&runs, &names, out, &mut md)? {
        plots.push(path);
    }
    let markdown = out.join("REPORT.md");
    std::fs::write(&markdown, md).map_err(|source| WriteError::File {
        path: markdown.clone(),
        source,
    })?;
    Ok(Written { markdown, plots })
}

fn heading(file: &str) -> &'static str {
    match file {
        "latency.svg" => "Latency percentiles per run",
        "throughput.svg" => "Throughput",
        "success.svg" => "Success rate",
        "spof.svg" => "Single points of failure",
        _ => "Cost",
    }
}

fn summary_table(runs: &[&ReportFile], names: &[String]) -> String {
    let mut out = String::from(
        "| run | pattern | mode | agents | tasks ok | success | p50 ms | p95 ms | p99 ms | throughput/s | recovery ms | SPOF | agent·s |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for (f, name) in runs.iter().zip(names) {
        let r = &f.report;
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
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {}/{} | {:.1}% | {:.3} | {:.3} | {:.3} | {:.1} | {recovery} | {} | {:.2} |",
            f.pattern(),
            r.mode.as_str(),
            r.topology.agents,
            r.tasks.completed,
            r.tasks.dispatched,
            r.success_rate * 100.0,
            r.latency.p50_ms,
            r.latency.p95_ms,
            r.latency.p99_ms,
            r.throughput_per_s,
            if spof.is_empty() { "none".to_owned() } else { spof.join(", ") },
            agent_seconds(r),
        );
    }
    out
}

fn spof_table(runs: &[&ReportFile], names: &[String]) -> String {
    let mut out = String::from(
        "\n| run | single points of failure (splits into) | live at the end |\n|---|---|---|\n",
    );
    let list = |s: &[crate::report::SinglePointOfFailure]| {
        if s.is_empty() {
            return "none".to_owned();
        }
        s.iter()
            .map(|p| format!("{} → {:?}", p.agent, p.splits_into))
            .collect::<Vec<_>>()
            .join("; ")
    };
    for (f, name) in runs.iter().zip(names) {
        let r = &f.report;
        if r.topology.single_points_of_failure.is_empty()
            && r.health.live_single_points_of_failure.is_empty()
        {
            continue;
        }
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            list(&r.topology.single_points_of_failure),
            list(&r.health.live_single_points_of_failure)
        );
    }
    out
}

/// Detection and recovery times per fault kind: the mean over every fault of that kind
/// that has one, and the count.
fn recovery(
    runs: &[&ReportFile],
    names: &[String],
    out: &Path,
    md: &mut String,
) -> Result<PathBuf, PlotError> {
    type Times = (Vec<f64>, Vec<f64>, usize);
    let mut by_kind: BTreeMap<(String, &str), Times> = BTreeMap::new();
    let mut rows = String::new();
    for (f, name) in runs.iter().zip(names) {
        for fault in &f.report.faults {
            let entry = by_kind
                .entry((fault_kind(&fault.name), f.report.mode.as_str()))
                .or_default();
            entry.2 += 1;
            entry.0.extend(fault.detected_after_ms);
            entry.1.extend(fault.recovered_after_ms);
            let opt = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.1}"));
            let _ = writeln!(
                rows,
                "| {name} | `{}` | {:?} | {} | {} | {} | {} |",
                fault.name,
                fault.targets,
                opt(fault.at_ms),
                opt(fault.detected_after_ms),
                opt(fault.recovered_after_ms),
                fault.tasks_rerouted
            );
        }
    }
    let labels: Vec<String> = by_kind
        .iter()
        .map(|((kind, mode), (detected, _, n))| {
            // A kind whose faults the swarm never noticed draws as 0 ms: the label says so.
            let seen = match detected.len() {
                0 => "none detected".to_owned(),
                d if d == *n => "all detected".to_owned(),
                d => format!("{d} detected"),
            };
            match *mode {
                "mock" => format!("{kind} ({n} faults, {seen})"),
                _ => format!("{kind} ({mode}, {n} faults, {seen})"),
            }
        })
        .collect();
    let mean = |v: &Vec<f64>| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let series = vec![
        (
            "mean detection ms",
            by_kind.values().map(|t| mean(&t.0)).collect::<Vec<_>>(),
        ),
        (
            "mean recovery ms",
            by_kind.values().map(|t| mean(&t.1)).collect(),
        ),
    ];
    let path = out.join("recovery.svg");
    plots::bars(
        &path,
        "fault detection and recovery times per fault kind (ms after the fault started)",
        &labels,
        &series,
        "ms",
    )?;
    md.push_str("\n## Fault detection and recovery\n\n![detection and recovery per fault kind](recovery.svg)\n\n\
                 Means over the faults of each kind of `faults[].detected_after_ms` (the swarm noticed) and \
                 `recovered_after_ms` (a task it had rerouted completed); a fault never noticed counts in \
                 neither mean.\n\n| fault kind | mode | faults | detected | mean detection ms | max | recovered | mean recovery ms | max |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let max = |v: &Vec<f64>| v.iter().copied().fold(0.0, f64::max);
    for ((kind, mode), t) in &by_kind {
        let _ = writeln!(
            md,
            "| {kind} | {mode} | {} | {} | {:.1} | {:.1} | {} | {:.1} | {:.1} |",
            t.2,
            t.0.len(),
            mean(&t.0),
            max(&t.0),
            t.1.len(),
            mean(&t.1),
            max(&t.1)
        );
    }
    if !rows.is_empty() {
        md.push_str("\n| run | fault | targets | at ms | detected after ms | recovered after ms | tasks rerouted |\n|---|---|---|---:|---:|---:|---:|\n");
        md.push_str(&rows);
    }
    Ok(path)
}

/// Agents over time for every run with scale events, the reasons in a table.
fn scaling(
    runs: &[&ReportFile],
    names: &[String],
    out: &Path,
    md: &mut String,
) -> Result<Option<PathBuf>, PlotError> {
    let mut lines = Vec::new();
    let mut table = String::new();
    for (k, (f, name)) in runs
        .iter()
        .zip(names)
        .filter(|(f, _)| !f.report.scaling.is_empty())
        .enumerate()
    {
        let r = &f.report;
        let first = &r.scaling[0];
        let mut points = vec![(0.0, first.from as f64)];
        let mut notes = Vec::new();
        for (i, e) in r.scaling.iter().enumerate() {
            points.push((e.at_ms / 1_000.0, e.to as f64));
            notes.push((points.len() - 1, format!("#{}", i + 1)));
            let _ = writeln!(
                table,
                "| {name} | {} | {:.1} | {} → {} | {} |",
                i + 1,
                e.at_ms,
                e.from,
                e.to,
                e.reason.replace('|', "/")
            );
        }
        points.push((
            (r.duration_ms - r.setup_ms) / 1_000.0,
            r.scaling.last().map_or(0, |e| e.to) as f64,
        ));
        lines.push(Line {
            label: name.clone(),
            points,
            color: k,
            dashed: r.mode == Mode::Live,
            step: true,
            notes,
        });
    }
    if lines.is_empty() {
        md.push_str("\n## Scaling timelines\n\nNo run in this directory scaled (no `report.scaling` events).\n");
        return Ok(None);
    }
    let path = out.join("scaling.svg");
    plots::lines(
        &path,
        "scaling timelines: agents in the swarm over time (#n: the n-th scale event)",
        ("seconds after setup", "agents"),
        &lines,
        false,
    )?;
    md.push_str("\n## Scaling timelines\n\n![agents over time](scaling.svg)\n\nFrom `scaling[]` (at, from, to, reason) of each report.\n\n| run | # | at ms | agents | reason |\n|---|---:|---:|---|---|\n");
    md.push_str(&table);
    Ok(Some(path))
}

/// Blue-green and canary steps: weights against error rates, one panel per rollout.
fn rollouts(
    runs: &[&ReportFile],
    names: &[String],
    out: &Path,
    md: &mut String,
) -> Result<Option<PathBuf>, PlotError> {
    let mut panels = Vec::new();
    let mut table = String::new();
    for (f, name) in runs.iter().zip(names) {
        let steps = &f.report.deploy;
        if steps.is_empty() {
            continue;
        }
        // The decision, not the clean-up after it (`scaled_down`).
        let outcome = ["rolled_back", "promoted"]
            .into_iter()
            .find(|o| steps.iter().any(|s| s.outcome == *o))
            .unwrap_or_else(|| steps.last().map_or("", |s| s.outcome.as_str()));
        let pct = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0) * 100.0;
        panels.push(Rollout {
            title: format!("{name}: {} → {outcome}", f.pattern()),
            steps: steps
                .iter()
                .map(|s| {
                    (
                        s.phase.clone(),
                        s.weights.get(1).copied().unwrap_or(0) as f64,
                        pct(&s.error_rates, 0),
                        pct(&s.error_rates, 1),
                    )
                })
                .collect(),
        });
        for s in steps {
            let _ = writeln!(
                table,
                "| {name} | {} | {:.1} | {:?} | {:?} | {:?} | {} |",
                s.phase, s.at_ms, s.weights, s.observed, s.error_rates, s.outcome
            );
        }
    }
    if panels.is_empty() {
        md.push_str("\n## Rollouts\n\nNo blue-green or canary run in this directory (no `report.deploy` steps).\n");
        return Ok(None);
    }
    let path = out.join("rollout.svg");
    plots::rollouts(
        &path,
        "blue-green and canary rollouts: the new version's weight against each version's error rate, per step",
        &panels,
    )?;
    md.push_str("\n## Rollouts (blue-green and canary)\n\n![weights against error rates](rollout.svg)\n\nFrom `deploy[]` of each report: per step, the weights `[old, new]` in percent, the requests each version served, their error rates and the analysis's outcome.\n\n| run | step | at ms | weights % | observed | error rates | outcome |\n|---|---|---:|---|---|---|---|\n");
    md.push_str(&table);
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_seconds_integrate_scale_events() {
        let mut r = crate::review::tests::star_run("cost", "").0.report;
        r.topology.agents = 2;
        r.setup_ms = 1_000.0;
        r.duration_ms = 11_000.0;
        assert_eq!(agent_seconds(&r), 22.0);
        r.scaling = vec![crate::report::ScaleEvent {
            at_ms: 4_000.0,
            from: 2,
            to: 4,
            reason: "cpu".into(),
        }];
        // 2 agents for setup (1 s) and 4 s, then 4 agents for 6 s.
        assert_eq!(agent_seconds(&r), 2.0 + 8.0 + 24.0);
    }

    #[test]
    fn a_live_run_sits_beside_its_mock_twin() {
        let mock = crate::review::tests::star_run("twin", "crash(1) @ 200ms").0;
        let mut live = mock.clone();
        live.report.mode = Mode::Live;
        let other = crate::review::tests::star_run("another", "").0;
        let dir = std::env::temp_dir().join(format!("swarm-review-twin-{}", std::process::id()));
        let written = write(&[live, other, mock], Path::new("reports"), &dir).unwrap();
        let md = std::fs::read_to_string(&written.markdown).unwrap();
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("| another |") || l.starts_with("| twin"))
            .take(3)
            .collect();
        assert!(rows[0].starts_with("| another | star | mock |"), "{rows:?}");
        assert!(rows[1].starts_with("| twin | star | mock |"), "{rows:?}");
        assert!(
            rows[2].starts_with("| twin (live) | star | live |"),
            "{rows:?}"
        );
        let cdf = std::fs::read_to_string(dir.join("latency_cdf.svg")).unwrap();
        assert!(cdf.contains("star (mock, ") && cdf.contains("star (live, "));
        assert!(md.contains("| crash | live | 1 |") && md.contains("| crash | mock | 1 |"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn quantiles_and_fault_kinds() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&s, 0.5), 2.0);
        assert_eq!(quantile(&s, 0.99), 4.0);
        assert_eq!(fault_kind("crash(hub) @ 2s"), "crash");
        assert_eq!(fault_kind("cpu_spike"), "cpu_spike");
        assert_eq!(fault_kind("partition(halves) @ 3s for 2s"), "partition");
    }
}
