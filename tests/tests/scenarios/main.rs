//! The reference scenarios (SCENARIOS.md) as `#[swarm_test]` tests, one module per pattern.
//! Each run is checked by the harness (nothing lost, nothing done twice, hops along edges)
//! and snapshotted under `snapshots/`.

mod hierarchical;
mod mesh;
mod ring;
mod star;

/// The same scenarios again with every agent a real OS process (live mode, process backend),
/// so `cargo test` covers both modes: this test binary runs itself once more with
/// `SWARM_TEST_MODE=live`, and every scenario must pass there against its `@live` snapshot.
#[test]
fn every_scenario_also_passes_live() {
    if std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live") {
        return; // This process is the live run (or a user's): the scenarios run beside it.
    }
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let out = std::process::Command::new(exe)
        .env("SWARM_TEST_MODE", "live")
        .env_remove("SWARM_TEST_REPORT") // `cargo scenarios` collects the mock runs' reports.
        .args(["--skip", "every_scenario_also_passes_live"])
        .output()
        .expect("the test binary runs");
    let all = tests::printed(&out);
    assert!(
        out.status.success(),
        "the scenarios failed in live mode:\n{all}"
    );
    let passed: u64 = all
        .split("test result: ok. ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 4, "expected every scenario to run live:\n{all}");
}
