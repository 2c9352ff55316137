//! `tokio::select!` in a mock body (see `Swarm`'s docs): `biased;` is deterministic, an
//! unbiased `select!` draws from tokio's own RNG, which the test's seed does not control.

use std::future::ready;

use swarm_test::prelude::*;

/// How many ties each test resolves: two ready branches, again and again.
const TIES: usize = 64;

/// With `biased;` the first ready branch wins every time, and the swarm's run around it is
/// the seed's: the ties and the trades give the same picks on every run.
#[swarm_test(topology = "mesh", agents = 3, trades = 4, snapshot = false)]
async fn a_biased_select_takes_the_first_ready_branch(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let mut picks = Vec::new();
    for _ in 0..TIES {
        tokio::select! {
            biased;
            () = ready(()) => picks.push(0),
            () = ready(()) => picks.push(1),
        }
    }
    assert_eq!(picks, vec![0; TIES]);
    // A real race, resolved the same way: the trades are polled first and finish, the long
    // sleep never does.
    let won = tokio::select! {
        biased;
        r = swarm.run_trades(4) => { r?; "trades" }
        () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => "sleep",
    };
    assert_eq!(won, "trades");
    Ok(())
}

/// Without `biased;`, tokio draws the winner of each tie: over 64 ties both branches win
/// (all 64 the same has probability 2⁻⁶³), whatever the test's seed, so such a body is not
/// reproducible from its seed.
#[swarm_test(topology = "mesh", agents = 3, trades = 1, snapshot = false)]
async fn an_unbiased_select_draws_from_tokio_s_rng(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let mut picks = Vec::new();
    for _ in 0..TIES {
        tokio::select! {
            () = ready(()) => picks.push(0),
            () = ready(()) => picks.push(1),
        }
    }
    assert!(picks.contains(&0) && picks.contains(&1), "{picks:?}");
    swarm.run_trades(1).await?;
    Ok(())
}
