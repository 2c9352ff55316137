//! The reference scenarios (SCENARIOS.md) as `#[swarm_test]` tests, one module per pattern.
//! Each run is checked by the harness (nothing lost, nothing done twice, hops along edges)
//! and snapshotted under `snapshots/`.

mod hierarchical;
mod mesh;
mod ring;
mod star;
mod summary;

/// The same scenarios again with every agent a real OS process (live mode, process backend),
/// so `cargo test` covers both modes: this test binary runs itself once more with
/// `SWARM_TEST_MODE=live`, and every scenario must pass there against its `@live` snapshot.
#[test]
fn every_scenario_also_passes_live() {
    tests::passes_live("every_scenario_also_passes_live", 4);
}

/// And once more with every agent in an E2B sandbox, against the stand-in (fixtures::e2b):
/// every scenario passes against its `@live` snapshot; teardown leaves no sandbox; the API
/// key, planted, shows in no output, report or snapshot.
#[test]
fn every_scenario_also_passes_live_on_e2b() {
    if std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live") {
        return;
    }
    const PLANTED: &str = "e2b_planted_key_5d1c0b77";
    let stand_in = fixtures::e2b::StandIn::start().expect("the E2B stand-in starts");
    let reports = std::env::temp_dir().join(format!("swarm-test-e2b-{}", std::process::id()));
    let output = tests::passes_live_on_e2b(
        "every_scenario_also_passes_live_on_e2b",
        8,
        &stand_in.url(),
        PLANTED,
        &reports,
    );
    assert!(stand_in.created() >= 8, "the agents ran in sandboxes");
    assert_eq!(
        stand_in.sandboxes(),
        Vec::<String>::new(),
        "teardown deleted every sandbox"
    );
    assert!(
        !output.contains(PLANTED),
        "the API key was printed:\n{output}"
    );
    let mut files = 0;
    for dir in [
        reports.clone(),
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/snapshots"),
    ] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            assert!(
                !text.contains(PLANTED),
                "the API key is in {}",
                entry.path().display()
            );
            files += 1;
        }
    }
    assert!(
        files > 8,
        "the reports and snapshots were read ({files} files)"
    );
    let _ = std::fs::remove_dir_all(&reports);
}
