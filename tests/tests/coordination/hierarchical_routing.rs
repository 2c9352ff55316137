//! Scenarios 5 and 6: specialised routing and least-loaded balancing under a coordinator.

use swarm_test::prelude::*;

/// Scenario 5: under `specialized` every trade of the built-in flow requires
/// `trade_execution`, so only the agents that have it execute trades, least loaded first.
#[swarm_test(
    topology = "hierarchical",
    agents = 9,
    roles = "portfolio_optimizer, momentum_trader, mean_reversion_trader, neural_forecaster, risk_manager, momentum_trader, arbitrage_trader, pairs_trader, neural_forecaster",
    strategy = "specialized",
    trades = 24
)]
fn specialised_trades_go_to_capable_agents(report: &Report) {
    assert_eq!(report.tasks.completed, 24);
    for agent in &report.agents {
        let capable = agent.role.capabilities().contains(&"trade_execution");
        if !capable {
            assert_eq!(
                agent.executed, 0,
                "agent {} cannot execute trades",
                agent.id
            );
        }
    }
    assert!(
        report.agents[1].executed > 0,
        "the least-loaded capable agent"
    );
}

/// Scenario 5, imperative: a task needing `forecast` goes to a forecaster; a capability
/// nobody has fails with an error that names it.
#[swarm_test(
    topology = "hierarchical",
    agents = 5,
    roles = "portfolio_optimizer, momentum_trader, mean_reversion_trader, neural_forecaster, risk_manager",
    strategy = "specialized",
    snapshot = false
)]
async fn a_missing_capability_is_named(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let done = swarm
        .dispatch(Task::work("forecast").requires("forecast"))
        .await?;
    assert_eq!(done.by, 3, "the neural forecaster");
    let risk = swarm
        .dispatch(Task::work("check").requires("risk_assessment"))
        .await?;
    assert_eq!(risk.by, 4, "the risk manager");
    let err = swarm
        .dispatch(Task::trade("SPY").requires("arbitrage"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no agent is available with capability `arbitrage`"),
        "{text}"
    );
    assert!(text.contains("roles = "), "the fix is named: {text}");
    Ok(())
}

/// Scenario 6: 50 tasks dispatched at once, least-loaded over 4 workers: each worker takes
/// its turn as the least loaded, so none takes more than 35%.
#[swarm_test(
    topology = "hierarchical",
    agents = 5,
    roles = "portfolio_optimizer, momentum_trader*4",
    strategy = "least_loaded"
)]
async fn least_loaded_spreads_a_burst(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let outcomes = swarm
        .dispatch_all((0..50).map(|i| Task::trade(["SPY", "QQQ", "AAPL", "TSLA"][i % 4])))
        .await?;
    assert!(outcomes.iter().all(|o| o.is_ok()));
    let report = swarm.report();
    assert_eq!(report.tasks.completed, 50);
    assert!(
        report.tasks.max_share < 0.35,
        "max share {}",
        report.tasks.max_share
    );
    assert_eq!(report.agents[0].executed, 0, "the coordinator routes");
    Ok(())
}

/// Scenario 6, declarative: the built-in flow's 50 trades arrive one after another, each done
/// before the next comes, so every worker is idle at every decision. Ties go to the worker
/// picked least recently: the four take turns (13, 13, 12, 12), none above 35%, where a
/// lowest-id tie-break gave nearly every trade to worker 1.
#[swarm_test(
    topology = "hierarchical",
    agents = 5,
    roles = "portfolio_optimizer, momentum_trader*4",
    strategy = "least_loaded",
    trades = 50
)]
fn least_loaded_spreads_a_sequential_flow(report: &Report) {
    assert_eq!(report.tasks.completed, 50);
    assert!(
        report.tasks.max_share < 0.35,
        "max share {}",
        report.tasks.max_share
    );
    assert_eq!(report.agents[0].executed, 0, "the coordinator routes");
    let workers: Vec<u64> = report.agents[1..].iter().map(|a| a.executed).collect();
    assert_eq!(workers.iter().sum::<u64>(), 50, "{workers:?}");
    assert!(
        workers.iter().all(|&n| (10..=15).contains(&n)),
        "every worker takes about a quarter: {workers:?}"
    );
}
