//! Exploring at scale: shards of the seeds, sometimes-conditions, snapshot bands, and a
//! planted bug found, shrunk and replayed from its shrunk case.

use std::collections::BTreeSet;

use super::{reports_in, run_subject, temp_dir, text};

fn seeds_written(dir: &std::path::Path) -> BTreeSet<String> {
    reports_in(&dir.to_path_buf())
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn shards_of_the_same_seeds_are_disjoint_and_together_cover_them_all() {
    let all_dir = temp_dir("shard-all");
    let out = run_subject(
        "plain_mesh",
        &[
            ("SWARM_TEST_SEEDS", "7"),
            ("SWARM_TEST_REPORT", all_dir.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let all = seeds_written(&all_dir);
    assert_eq!(all.len(), 7, "{all:?}");
    for count in [2, 3] {
        let mut union = BTreeSet::new();
        for index in 1..=count {
            let dir = temp_dir(&format!("shard-{index}-of-{count}"));
            let shard = format!("{index}/{count}");
            let out = run_subject(
                "plain_mesh",
                &[
                    ("SWARM_TEST_SEEDS", "7"),
                    ("SWARM_TEST_SEED_SHARD", shard.as_str()),
                    ("SWARM_TEST_REPORT", dir.to_str().unwrap()),
                ],
            );
            assert!(out.status.success(), "{}", text(&out));
            let slice = seeds_written(&dir);
            assert!(!slice.is_empty(), "shard {shard} ran nothing");
            assert!(
                union.is_disjoint(&slice),
                "shard {shard} overlaps: {slice:?}"
            );
            union.extend(slice);
            let _ = std::fs::remove_dir_all(dir);
        }
        assert_eq!(union, all, "the {count} shards cover the 7 seeds");
    }
    let _ = std::fs::remove_dir_all(all_dir);
    let all = text(&run_subject(
        "plain_mesh",
        &[("SWARM_TEST_SEED_SHARD", "3/2")],
    ));
    assert!(
        all.contains("SWARM_TEST_SEED_SHARD=\"3/2\" is not valid: expected K/M with 1 <= K <= M"),
        "{all}"
    );
    assert!(all.contains("Nothing ran"), "{all}");
}

#[test]
fn a_sometimes_condition_no_seed_reaches_is_reported_and_fails_when_required() {
    let dir = temp_dir("sometimes");
    let out = run_subject(
        "declares_sometimes_conditions",
        &[
            ("SWARM_TEST_SEEDS", "4"),
            ("SWARM_TEST_REPORT", dir.to_str().unwrap()),
        ],
    );
    let all = text(&out);
    assert!(out.status.success(), "only reported, not required:\n{all}");
    assert!(
        all.contains("sometimes-conditions over 4 seeds (SWARM_TEST_SEEDS):"),
        "{all}"
    );
    assert!(all.contains("  4/4 every trade completed\n"), "{all}");
    assert!(
        all.contains("  0/4 more trades completed than dispatched  NEVER REACHED\n"),
        "{all}"
    );
    let reports = reports_in(&dir);
    assert_eq!(reports.len(), 4);
    for (name, body) in &reports {
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            json["sometimes"],
            serde_json::json!({
                "every trade completed": true,
                "more trades completed than dispatched": false
            }),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);

    let out = run_subject(
        "declares_sometimes_conditions",
        &[
            ("SWARM_TEST_SEEDS", "4"),
            ("SWARM_TEST_REQUIRE_REACHED", "1"),
        ],
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(
            "1 sometimes-condition was never reached in 4 seeds (SWARM_TEST_REQUIRE_REACHED=1): \
             `more trades completed than dispatched`"
        ),
        "{all}"
    );
    // A condition that is reached passes the requirement.
    let out = run_subject(
        "plain_mesh",
        &[
            ("SWARM_TEST_SEEDS", "2"),
            ("SWARM_TEST_REQUIRE_REACHED", "1"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_bands_snapshot_is_stable_across_reruns_and_thread_counts() {
    let snap = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/harness/snapshots/harness__subjects__bands_of_a_jittery_mesh@seeds-8.snap");
    let before = std::fs::read_to_string(&snap).expect("the bands snapshot is committed");
    assert!(before.contains("seeds: 8\n"), "{before}");
    assert!(before.contains("latency.p99_ms:"), "{before}");
    let seeds = [("SWARM_TEST_SEEDS", "8"), ("INSTA_UPDATE", "no")];
    // `subject` runs it alone with --test-threads 1, twice; then beside the other subjects
    // on 4 threads and on the default thread count.
    for _ in 0..2 {
        let out = run_subject("bands_of_a_jittery_mesh", &seeds);
        assert!(out.status.success(), "{}", text(&out));
    }
    for threads in [Some("4"), None] {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "subjects::",
            "--include-ignored",
            "--skip",
            "planted",
            "--skip",
            "fails",
        ]);
        cmd.args([
            "--skip",
            "panics",
            "--skip",
            "returns_err",
            "--skip",
            "sleeps",
        ]);
        cmd.args([
            "--skip",
            "report_assertion",
            "--skip",
            "leaks",
            "--skip",
            "reroutes",
        ]);
        if let Some(n) = threads {
            cmd.args(["--test-threads", n]);
        }
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("SWARM_TEST_")) {
            cmd.env_remove(key);
        }
        let out = cmd.envs(seeds).output().expect("the test binary runs");
        let all = text(&out);
        assert!(out.status.success(), "{all}");
        assert!(
            all.contains("test subjects::bands_of_a_jittery_mesh ... ok"),
            "{all}"
        );
    }
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), before);
    // Fewer seeds are a different distribution, with a snapshot of their own.
    let out = run_subject(
        "bands_of_a_jittery_mesh",
        &[("SWARM_TEST_SEEDS", "3"), ("INSTA_UPDATE", "no")],
    );
    let all = text(&out);
    assert!(
        !out.status.success(),
        "no @seeds-3 snapshot is committed:\n{all}"
    );
    assert!(all.contains("seeds-3"), "{all}");
}

/// The shrunk case's replay line: the seed and the `SWARM_TEST_SHRUNK` keys.
fn shrunk_replay(all: &str) -> (String, String) {
    let rest = all
        .split("  minimal failing run: ")
        .nth(1)
        .unwrap_or_else(|| panic!("a shrunk case is printed:\n{all}"));
    let line = rest
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .expect("a replay command for the shrunk case");
    let seed = line
        .split("SWARM_TEST_SEED=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("a seed")
        .to_owned();
    let keys = line
        .split("SWARM_TEST_SHRUNK='")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("the shrunk keys")
        .to_owned();
    (seed, keys)
}

fn first_line_of_failure(all: &str) -> String {
    let start = all.find("swarm_test `").expect("a swarm_test failure");
    let line = all[start..].lines().next().unwrap();
    let (_, after) = line.split_once("` failed").expect("a failure line");
    // ` (seed 3 of 30): message` or `: message`
    let after = match after.strip_prefix(" (") {
        Some(rest) => rest.split_once("): ").map_or(rest, |(_, m)| m),
        None => after.trim_start_matches(": "),
    };
    after.to_owned()
}

/// A number in the shrunk attribute: `agents = 2` → 2.
fn key_value(line: &str, key: &str) -> Option<u64> {
    let rest = line.split(&format!("{key} = ")).nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Runs the planted bug's subject over 30 seeds and checks its shrunk case: fewer agents
/// than `agents`, one fault (the crash) of the two, and `trades` fewer than the attribute's
/// (`None`: a `&mut Swarm` body, whose dispatches stay as written and print no `trades`).
fn planted_bug_is_found_shrunk_and_replayed(subject: &str, agents: u64, trades: Option<u64>) {
    let dir = temp_dir(&format!("shrink-{subject}"));
    let dir_var = format!("{}/", dir.display());
    let keep = ("SWARM_TEST_REGRESSIONS", dir_var.as_str());
    let out = run_subject(subject, &[keep, ("SWARM_TEST_SEEDS", "30")]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("planted bug: rerouted work went missing"),
        "{all}"
    );
    let (seed, keys) = shrunk_replay(&all);
    assert!(!keys.is_empty(), "{all}");
    let shrunk_line = all
        .split("  minimal failing run: ")
        .nth(1)
        .and_then(|r| r.lines().next())
        .unwrap()
        .to_owned();
    assert!(
        shrunk_line.contains("crash(")
            && !shrunk_line.contains("latency(")
            && !shrunk_line.contains("cpu_spike("),
        "the crash is needed, the other fault is not: {shrunk_line}\n{all}"
    );
    let shrunk_agents = key_value(&shrunk_line, "agents").expect("agents in the shrunk run");
    assert!(shrunk_agents < agents, "{shrunk_line}");
    match trades {
        Some(trades) => assert!(
            key_value(&shrunk_line, "trades").is_some_and(|t| t < trades),
            "{shrunk_line}"
        ),
        None => assert!(!shrunk_line.contains("trades"), "{shrunk_line}"),
    }

    // The printed replay fails the same way.
    let out = run_subject(
        subject,
        &[
            ("SWARM_TEST_REGRESSIONS", "off"),
            ("SWARM_TEST_SEED", seed.as_str()),
            ("SWARM_TEST_SHRUNK", keys.as_str()),
        ],
    );
    let again = text(&out);
    assert!(!out.status.success(), "{again}");
    assert_eq!(first_line_of_failure(&again), first_line_of_failure(&all));
    assert!(
        again.contains(&format!(
            "SWARM_TEST_SEED={seed} SWARM_TEST_SHRUNK='{keys}' cargo test"
        )),
        "{again}"
    );

    // Saved with its seed, and replayed first by the next plain run.
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains(&format!("\nseed {seed} shrunk {keys} # ")),
        "{saved}"
    );
    let out = run_subject(subject, &[keep]);
    let replayed = text(&out);
    assert!(!out.status.success(), "{replayed}");
    assert!(
        replayed.contains("(a seed from the regressions file"),
        "{replayed}"
    );
    assert!(
        replayed.contains(&format!("SWARM_TEST_SHRUNK='{keys}'")),
        "{replayed}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // SWARM_TEST_SHRINK=0 reports the seed unshrunk.
    let out = run_subject(
        subject,
        &[
            ("SWARM_TEST_REGRESSIONS", "off"),
            ("SWARM_TEST_SEEDS", "30"),
            ("SWARM_TEST_SHRINK", "0"),
        ],
    );
    let all = text(&out);
    assert!(
        !out.status.success() && !all.contains("minimal failing run"),
        "{all}"
    );
}

#[test]
fn a_planted_bug_is_found_shrunk_and_its_shrunk_replay_fails_the_same_way() {
    planted_bug_is_found_shrunk_and_replayed("planted_reroute_bug", 6, Some(40));
}

#[test]
fn a_swarm_body_keeps_its_dispatches_while_the_swarm_shrinks() {
    planted_bug_is_found_shrunk_and_replayed("planted_reroute_bug_in_a_swarm_body", 5, None);
}
