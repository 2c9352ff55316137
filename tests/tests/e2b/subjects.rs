//! Subject tests for the cleanup checks: each runs in a child process, live on the stand-in
//! (they are `#[ignore]`d so a plain `cargo test` skips them).

use std::time::Duration;

use swarm_test::prelude::*;

/// Runs until it is stopped by a signal: prints when its agents run.
#[swarm_test(
    topology = "ring",
    agents = 3,
    trades = 3,
    timeout = "120s",
    snapshot = false
)]
#[ignore = "a subject of the cleanup tests; they run it in a child process"]
async fn sleeps_until_stopped(swarm: &mut Swarm) {
    swarm.run_trades(3).await.expect("trades run");
    println!("AGENTS RUNNING");
    swarm
        .sleep(Duration::from_secs(100))
        .await
        .expect("a signal ends it first");
}

/// Panics after its agents ran.
#[swarm_test(topology = "ring", agents = 3, trades = 3, snapshot = false)]
#[ignore = "a subject of the cleanup tests; they run it in a child process"]
fn panics_after_the_run(report: &Report) {
    assert_eq!(report.tasks.completed, 3);
    panic!("a planted panic after the run");
}
