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

/// Agent 1 is killed at 200 ms (envd's SendSignal SIGKILL); the swarm routes around it.
#[swarm_test(
    topology = "mesh",
    agents = 4,
    trades = 40,
    inject = "crash(1) @ 200ms",
    snapshot = false
)]
#[ignore = "a subject of the fault tests; they run it in a child process"]
fn crash_in_a_sandbox(report: &Report) {
    println!("REPORT {}", serde_json::to_string(report).unwrap());
}

/// Agent 0 is paused from 100 ms for 1.5 s (`kill -STOP`/`-CONT` run in its sandbox).
#[swarm_test(
    topology = "mesh",
    agents = 3,
    inject = "hang(0) @ 100ms for 1500ms",
    snapshot = false
)]
#[ignore = "a subject of the fault tests; they run it in a child process"]
async fn hang_in_a_sandbox(swarm: &mut Swarm) {
    swarm.run_trades(30).await.expect("trades run");
    swarm.sleep(Duration::from_millis(1_500)).await.unwrap();
    swarm.run_trades(9).await.expect("trades run");
    println!("REPORT {}", serde_json::to_string(&swarm.report()).unwrap());
}
