//! Subject tests for `broken.rs` and the determinism check: each runs in a child process of
//! this test binary (they are `#[ignore]`d so a plain `cargo test` skips them).

use swarm_test::prelude::*;

#[swarm_test(
    topology = "ring",
    agents = 3,
    trades = 6,
    snapshot = false,
    program = "python3 ../examples/agents/broken.py bad-json"
)]
#[ignore = "a subject of the program tests; they run it in a child process"]
fn bad_json() {}

#[swarm_test(
    topology = "ring",
    agents = 3,
    trades = 6,
    snapshot = false,
    program = "python3 ../examples/agents/broken.py wrong-version"
)]
#[ignore = "a subject of the program tests; they run it in a child process"]
fn wrong_version() {}

/// Stays in the run past the deadline (live mode: a real wait; mock: virtual, free), so the
/// silence is seen while the swarm still runs.
#[swarm_test(
    topology = "ring",
    agents = 3,
    snapshot = false,
    program = "python3 ../examples/agents/broken.py silent"
)]
#[ignore = "a subject of the program tests; they run it in a child process"]
async fn silent(swarm: &mut Swarm) {
    let _ = swarm.run_trades(6).await;
    swarm
        .sleep(std::time::Duration::from_secs(4))
        .await
        .unwrap();
}

#[swarm_test(
    topology = "ring",
    agents = 3,
    trades = 6,
    snapshot = false,
    program = "python3 ../examples/agents/broken.py exit"
)]
#[ignore = "a subject of the program tests; they run it in a child process"]
fn exits_early() {}

/// Prints the report, for the byte-for-byte comparison of two runs.
#[swarm_test(topology = "ring", agents = 4, trades = 16, market = "trending", snapshot = false,
             roles = [program("python3 ../examples/agents/momentum.py") * 2,
                      program("node ../examples/agents/arb.js") * 2])]
#[ignore = "a subject of the program tests; they run it in a child process"]
fn both_examples(report: &Report) {
    println!("REPORT {}", serde_json::to_string(report).unwrap());
}
