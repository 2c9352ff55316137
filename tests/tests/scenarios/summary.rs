//! Scenario 20: one report comparing all patterns (latency, throughput, success, recovery,
//! single points of failure, cost, scaling timelines, rollouts), generated from measured
//! runs, never typed in.
//!
//! The test runs this binary's scenarios again in a child process with `SWARM_TEST_REPORT`
//! set, together with the subjects below (a crash, a hub failover, autoscaling, blue-green
//! and canary: one run of every kind of pattern), draws `REPORT.md` from the report files,
//! and checks its shape against those files: a row per run with that run's figures, every
//! plot present and shown, and each pattern where it belongs.

use std::collections::BTreeSet;

use swarm_test::internals::review::{self, ReportFile};
use swarm_test::prelude::*;

/// The pattern runs of the cross-pattern report, beside this binary's topology scenarios.
mod subjects {
    use super::*;

    #[swarm_test(
        topology = "mesh",
        agents = 5,
        trades = 40,
        inject = "crash(2) @ 300ms",
        snapshot = false
    )]
    #[ignore = "a subject of scenario 20"]
    fn mesh_crash() {}

    #[swarm_test(
        topology = "star",
        agents = 7,
        roles = "portfolio_optimizer, momentum_trader*6",
        trades = 24,
        inject = "crash(hub) @ 200ms",
        snapshot = false
    )]
    #[ignore = "a subject of scenario 20"]
    fn hub_crash() {}

    #[swarm_test(
        topology = "mesh",
        agents = 2,
        min_agents = 2,
        max_agents = 8,
        target_cpu = "0.2",
        scale_interval = "5s",
        cooldown = "10s",
        inject = "cpu_spike(0.85, target = all)",
        trades = 600,
        timeout = "120s",
        snapshot = false
    )]
    #[ignore = "a subject of scenario 20"]
    fn autoscaled() {}

    #[swarm_test(topology = "mesh", agents = 4, deploy = "blue_green", snapshot = false)]
    #[ignore = "a subject of scenario 20"]
    fn blue_green_shift() {}

    #[swarm_test(topology = "mesh", agents = 4, deploy = "canary", snapshot = false)]
    #[ignore = "a subject of scenario 20"]
    fn canary_rollout() {}
}

#[test]
fn cross_pattern_report_from_measured_runs() {
    if std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live") {
        return; // The report is drawn from mock runs; the live re-run covers the scenarios.
    }
    let dir = std::env::temp_dir().join(format!("swarm-test-scenario20-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    for (key, _) in std::env::vars() {
        if key.starts_with("SWARM_TEST_") {
            child.env_remove(key);
        }
    }
    let out = child
        .args([
            "--include-ignored",
            "--skip",
            "every_scenario_also_passes_live",
        ])
        .args(["--skip", "cross_pattern_report"])
        .env("SWARM_TEST_REPORT", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", tests::printed(&out));

    let files = review::file::read_dir(&dir).unwrap();
    let patterns: BTreeSet<String> = files.iter().map(ReportFile::pattern).collect();
    for p in [
        "mesh",
        "hierarchical",
        "ring",
        "star",
        "autoscaling",
        "blue_green",
        "canary",
    ] {
        assert!(patterns.contains(p), "no {p} run: {patterns:?}");
    }
    let out_dir = dir.join("report");
    let written = review::report::write(&files, &dir, &out_dir).unwrap();
    let md = std::fs::read_to_string(&written.markdown).unwrap();

    // One row per run, with that run's own figures.
    for f in &files {
        let r = &f.report;
        let row = format!(
            "| {} | {} | mock | {} | {}/{} | {:.1}% | {:.3} | {:.3} | {:.3} | {:.1} |",
            r.name,
            f.pattern(),
            r.topology.agents,
            r.tasks.completed,
            r.tasks.dispatched,
            r.success_rate * 100.0,
            r.latency.p50_ms,
            r.latency.p95_ms,
            r.latency.p99_ms,
            r.throughput_per_s
        );
        assert!(md.contains(&row), "no row {row} in\n{md}");
        let cost = format!("| {:.2} |\n", review::report::agent_seconds(r));
        let line = md.lines().find(|l| l.starts_with(&row)).unwrap();
        assert!(
            format!("{line}\n").ends_with(&cost),
            "{line} should end with {cost}"
        );
    }
    // Every plot is written, is an SVG, and is shown; at least six of them.
    assert!(written.plots.len() >= 6, "{:?}", written.plots);
    for plot in &written.plots {
        let name = plot.file_name().unwrap().to_string_lossy();
        let svg = std::fs::read_to_string(plot).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(
            md.contains(&format!("]({name})")),
            "REPORT.md does not show {name}"
        );
    }
    for section in [
        "## Latency distribution per pattern",
        "## Throughput",
        "## Success rate",
        "## Fault detection and recovery",
        "## Single points of failure",
        "## Cost",
        "## Scaling timelines",
        "## Rollouts (blue-green and canary)",
    ] {
        assert!(md.contains(section), "no {section}");
    }
    let svg = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();
    let cdf = svg("latency_cdf.svg");
    for p in &patterns {
        assert!(
            cdf.contains(&format!("{p} (mock, ")),
            "{p} is not in the latency CDF"
        );
    }
    assert!(svg("scaling.svg").contains("autoscaled"));
    let rollout = svg("rollout.svg");
    assert!(
        rollout.contains("blue_green_shift: blue_green → promoted"),
        "{rollout}"
    );
    assert!(
        rollout.contains("canary_rollout: canary → promoted"),
        "{rollout}"
    );
    // Recovery per fault kind counts every crash of every run.
    let crashes = files
        .iter()
        .flat_map(|f| &f.report.faults)
        .filter(|f| f.name.starts_with("crash"))
        .count();
    assert!(crashes >= 2);
    assert!(
        md.contains(&format!("| crash | mock | {crashes} |")),
        "{md}"
    );
    // The hub is a single point of failure of the star.
    assert!(md.contains("| hub_and_spokes | 0 → "), "{md}");
    let _ = std::fs::remove_dir_all(dir);
}
