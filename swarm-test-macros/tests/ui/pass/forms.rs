//! The function forms: declarative, report (sync and async), imperative, each with `()` and
//! `Result` returns.
#![allow(dead_code)]

use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 5, inject = "cpu_spike", snapshot = false)]
fn declarative() {}

#[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
fn declarative_result() -> Result<(), String> {
    Ok(())
}

#[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
async fn declarative_async() {}

#[swarm_test(
    topology = "star",
    agents = 7,
    trades = 24,
    inject = "crash(hub) @ 2s",
    snapshot = false
)]
fn with_report(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
}

#[swarm_test(topology = "star", agents = 4, snapshot = false)]
fn with_report_result(report: &swarm_test::Report) -> Result<(), String> {
    if report.tasks.duplicated == 0 {
        Ok(())
    } else {
        Err(format!("{} tasks done twice", report.tasks.duplicated))
    }
}

#[swarm_test(topology = "hierarchical", agents = 5, snapshot = false)]
async fn with_report_async(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
}

#[swarm_test(
    topology = "mesh",
    agents = 3,
    strategy = "round_robin",
    snapshot = false
)]
async fn imperative(swarm: &mut Swarm) -> Result<(), SwarmError> {
    swarm.run_trades(6).await?;
    assert_eq!(swarm.agents().len(), 3);
    Ok(())
}

#[swarm_test(topology = "ring", agents = 4, snapshot = false)]
async fn imperative_unit(swarm: &mut Swarm) {
    let _ = swarm.report();
}

fn main() {}
