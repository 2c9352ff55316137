//! Exploration speed: seeds explored per second of wall time, through the whole harness.
//!
//! `cargo bench -p swarm-test --bench explore` runs the reference scenario of the four
//! failure scenarios' crash (`tests/tests/faults/seed_failures.rs`: a mesh of 6 agents, 60
//! trades, `crash(1) @ 300ms`) as a `#[swarm_test]` does, with `SWARM_TEST_SEEDS=N`: every
//! seed's setup, topology and coordination checks, trade flow, report capture and teardown.
//! `-- --seeds N` changes N (default 1,000). Figures vary with the machine.

use std::time::Instant;

use swarm_test::__private::{declarative, run, Site};
use swarm_test::SpecBuilder;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds = args
        .iter()
        .position(|a| a == "--seeds")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<u64>().expect("--seeds takes a number"))
        .unwrap_or(1_000);
    // The bench is this process's only user of the environment, and single-threaded.
    std::env::set_var("SWARM_TEST_SEEDS", seeds.to_string());
    std::env::set_var("SWARM_TEST_REGRESSIONS", "off");
    for (key, _) in std::env::vars() {
        if key.starts_with("SWARM_TEST_")
            && !["SWARM_TEST_SEEDS", "SWARM_TEST_REGRESSIONS"].contains(&key.as_str())
        {
            std::env::remove_var(key);
        }
    }
    let spec = SpecBuilder::new("crash_mid_run", "bench")
        .with("topology", "mesh")
        .with("agents", 6u64)
        .with("trades", 60u64)
        .with("inject", "crash(1) @ 300ms")
        .with("snapshot", false)
        .build()
        .expect("a valid spec");
    // `snapshot = false`: the site is never asked to assert one.
    let site = Site {
        package: "swarm-test",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        file: file!(),
        line: line!(),
        workspace_root: None,
        rstest: false,
    };
    let wall = Instant::now();
    run(spec, declarative(|| ()), site);
    let wall_s = wall.elapsed().as_secs_f64();
    println!(
        "scenario: mesh of 6 agents, 60 trades, crash(1) @ 300ms; {seeds} seeds in {wall_s:.3} s \
         = {:.0} seeds/s",
        seeds as f64 / wall_s
    );
}
