//! The `swarm-test` command as a user runs it: `report`, `diff`, `timeline`, `gc`, `--help`
//! and `--version`, on report files written by real runs of the subjects below (this test
//! binary runs itself in a child process with `SWARM_TEST_REPORT` set).

use std::path::PathBuf;
use std::process::{Command, Output};

use swarm_test::prelude::*;

/// The runs whose reports the commands read; `#[ignore]`d, run only by the tests below.
mod subjects {
    use super::*;

    #[swarm_test(
        topology = "mesh",
        agents = 4,
        trades = 16,
        inject = "crash(1) @ 150ms",
        snapshot = false
    )]
    #[ignore = "a subject of the CLI tests"]
    fn mesh_crash() {}

    #[swarm_test(topology = "star", agents = 4, trades = 12, snapshot = false)]
    #[ignore = "a subject of the CLI tests"]
    fn plain_star() {}

    #[swarm_test(
        topology = "mesh",
        agents = 2,
        min_agents = 2,
        max_agents = 6,
        target_cpu = "0.2",
        scale_interval = "5s",
        cooldown = "10s",
        inject = "cpu_spike(0.85, target = all)",
        trades = 400,
        timeout = "120s",
        snapshot = false
    )]
    #[ignore = "a subject of the CLI tests"]
    fn scaled_mesh() {}

    #[swarm_test(topology = "mesh", agents = 4, deploy = "blue_green", snapshot = false)]
    #[ignore = "a subject of the CLI tests"]
    fn blue_green() {}
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swarm-test"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn fresh(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swarm-test-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs the subjects with `seed` and returns the directory of their report files.
fn reports(tag: &str, seed: u64, subjects: &[&str]) -> PathBuf {
    let dir = fresh(tag);
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    for (key, _) in std::env::vars() {
        if key.starts_with("SWARM_TEST_") {
            cmd.env_remove(key);
        }
    }
    let filters: Vec<String> = subjects.iter().map(|s| format!("subjects::{s}")).collect();
    let out = cmd
        .args(["--exact", "--include-ignored", "--test-threads", "1"])
        .args(&filters)
        .env("SWARM_TEST_REPORT", &dir)
        .env("SWARM_TEST_SEED", seed.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let written = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, subjects.len(), "one report file per subject");
    dir
}

#[test]
fn version_and_help_on_every_subcommand() {
    let out = bin().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("swarm-test {}", env!("CARGO_PKG_VERSION"))
    );
    for (sub, says) in [
        ("run", "CARGO TEST ARGS"),
        ("report", "REPORT.md"),
        ("diff", "--fail-above"),
        ("timeline", "--out"),
        ("gc", "--yes"),
    ] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        let all = text(&out);
        assert!(out.status.success(), "{sub} --help: {all}");
        assert!(
            all.contains(says),
            "{sub} --help does not mention {says}: {all}"
        );
    }
    let out = bin().arg("reprot").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("report"),
        "suggests the right name: {}",
        text(&out)
    );
}

#[test]
fn diff_of_a_directory_with_itself_is_no_change() {
    let dir = reports("same", 1, &["mesh_crash", "plain_star"]);
    for args in [vec![], vec!["--fail-above", "0"]] {
        let out = bin()
            .arg("diff")
            .arg(&dir)
            .arg(&dir)
            .args(&args)
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(all.contains("no change") && all.contains("2 runs"), "{all}");
        assert!(!all.contains("| test | metric |"), "{all}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn diff_of_two_seeds_lists_what_moved_largest_first_and_fails_above_the_threshold() {
    let base = reports("seed1", 1, &["mesh_crash", "plain_star"]);
    let head = reports("seed2", 2, &["mesh_crash", "plain_star"]);
    let table = fresh("table.md");
    let out = bin()
        .arg("diff")
        .arg(&base)
        .arg(&head)
        .args(["--limit", "10000", "--out"])
        .arg(&table)
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "no threshold, no failure: {all}"
    );
    assert!(all.contains("metrics moved in 2 of 2 runs"), "{all}");
    assert!(
        all.contains("| mesh_crash | `latency.p50_ms` |")
            || all.contains("| mesh_crash | `latency."),
        "{all}"
    );
    assert!(all.contains("| plain_star | `"), "{all}");
    assert!(!all.contains("`seed`"), "the seed is not a metric: {all}");
    assert_eq!(
        std::fs::read_to_string(&table).unwrap(),
        String::from_utf8_lossy(&out.stdout)
    );
    // Sorted by the size of the change, largest first.
    let sizes: Vec<f64> = all
        .lines()
        .filter(|l| l.starts_with("| mesh_crash |") || l.starts_with("| plain_star |"))
        .map(|l| {
            let size = l.trim_end_matches('|').rsplit('|').next().unwrap().trim();
            match size {
                "new (from 0)" => f64::INFINITY,
                s => s.trim_end_matches(" %").parse().unwrap(),
            }
        })
        .collect();
    assert!(sizes.len() > 5, "{all}");
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "not sorted: {sizes:?}"
    );

    let out = bin()
        .arg("diff")
        .arg(&base)
        .arg(&head)
        .args(["--fail-above", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("moved by more than 0 %"),
        "{}",
        text(&out)
    );
    for dir in [base, head, table] {
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&dir);
    }
}

#[test]
fn report_writes_report_md_with_its_plots() {
    let dir = reports(
        "report",
        5,
        &["mesh_crash", "plain_star", "scaled_mesh", "blue_green"],
    );
    let out_dir = fresh("report-out");
    let out = bin()
        .arg("report")
        .arg(&dir)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let md = std::fs::read_to_string(out_dir.join("REPORT.md")).unwrap();
    let svgs: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    assert!(svgs.len() >= 6, "{svgs:?}");
    for svg in &svgs {
        assert!(
            md.contains(&format!("]({svg})")),
            "REPORT.md does not show {svg}"
        );
        let body = std::fs::read_to_string(out_dir.join(svg)).unwrap();
        assert!(
            body.starts_with("<svg") && body.trim_end().ends_with("</svg>"),
            "{svg}"
        );
    }
    // The pattern runs have their own plots.
    assert!(svgs.contains(&"scaling.svg".to_owned()) && svgs.contains(&"rollout.svg".to_owned()));
    let scaling = std::fs::read_to_string(out_dir.join("scaling.svg")).unwrap();
    assert!(scaling.contains("scaled_mesh"), "{scaling}");
    let rollout = std::fs::read_to_string(out_dir.join("rollout.svg")).unwrap();
    assert!(rollout.contains("blue_green: blue_green"), "{rollout}");
    assert!(md.contains("| crash | mock | 1 |"), "{md}");
    let _ = (
        std::fs::remove_dir_all(dir),
        std::fs::remove_dir_all(out_dir),
    );
}

#[test]
fn timeline_draws_a_report_file() {
    let dir = reports("timeline", 1, &["mesh_crash"]);
    let json = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let page = dir.join("page/mesh_crash.html");
    let out = bin()
        .arg("timeline")
        .arg(&json)
        .arg("--out")
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    for lane in 0..4 {
        assert!(
            html.contains(&format!("data-lane=\"{lane}\"")),
            "lane {lane}"
        );
    }
    assert!(html.contains("<g class=\"lane failed\" data-lane=\"1\">"));
    assert!(html.contains("fault `crash(1) @ 150ms` on [1]"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn errors_name_the_problem_and_the_fix() {
    let missing = fresh("missing");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["report".into(), missing.display().to_string()],
            "SWARM_TEST_REPORT=",
        ),
        (
            vec![
                "diff".into(),
                "a".into(),
                "b".into(),
                "--fail-above=-3".into(),
            ],
            "--fail-above 5",
        ),
        (
            vec![
                "timeline".into(),
                std::env::temp_dir().display().to_string(),
                "--out".into(),
                "x.html".into(),
            ],
            "give one report file",
        ),
        // Under `cargo test --workspace` the tests crate turns `e2b` on for this
        // binary too, so `gc` fails on the missing key instead of the missing feature.
        (
            vec!["gc".into()],
            if cfg!(feature = "e2b") {
                "export E2B_API_KEY"
            } else {
                "rebuild with `--features e2b`"
            },
        ),
        (vec!["timeline".into(), "r.json".into()], "--out"),
    ];
    for (args, fix) in cases {
        let out = bin()
            .env_remove("E2B_API_KEY")
            .args(&args)
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains(fix), "{args:?} should say {fix}: {all}");
    }
    // The error's sources follow it: here the OS's reason the directory cannot be read.
    let out = bin().arg("report").arg(&missing).output().unwrap();
    let all = text(&out);
    assert!(
        all.contains("cannot read the report directory") && all.contains("(os error 2)"),
        "{all}"
    );
    let empty = fresh("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = bin().arg("diff").arg(&empty).arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no report files in"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(empty);
}
