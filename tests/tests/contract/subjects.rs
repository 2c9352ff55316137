//! Subject tests, run only by the checks in `main.rs` (in a child process).

use std::time::Duration;

use swarm_test::prelude::*;

#[swarm_test(
    topology = "star",
    agents = 7,
    inject = "crash(hub) @ 2s",
    snapshot = false
)]
#[ignore = "a subject of the contract tests; they run it in a child process"]
async fn returns_before_the_crash(swarm: &mut Swarm) -> Result<(), SwarmError> {
    swarm.run_trades(5).await?;
    Ok(())
}

#[swarm_test(
    topology = "star",
    agents = 7,
    inject = "crash(hub) @ 2s",
    snapshot = false
)]
#[ignore = "a subject of the contract tests; they run it in a child process"]
async fn waits_for_the_crash(swarm: &mut Swarm) -> Result<(), SwarmError> {
    swarm.run_trades(5).await?;
    swarm.sleep(Duration::from_secs(3)).await?;
    Ok(())
}
