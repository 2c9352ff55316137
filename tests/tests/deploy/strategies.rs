//! Multi-strategy: a roster of strategies routed by capability, and adaptive rotation.

use std::collections::BTreeMap;

use swarm_test::prelude::*;

/// Tasks executed per role.
fn executed_by_role(report: &Report) -> BTreeMap<String, u64> {
    let mut by_role = BTreeMap::new();
    for a in &report.agents {
        *by_role.entry(a.role.as_str().to_owned()).or_default() += a.executed;
    }
    by_role
}

/// Scenario 15: 2 momentum + 2 pairs + 1 arbitrage agents; each task needs its strategy's
/// capability and is executed by an agent that has it.
#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
    deploy = "strategy_mix",
    step_requests = 30,
    trades = 90
)]
fn strategy_mix_routes_by_capability(report: &Report) {
    assert_eq!(report.rotation.len(), 3);
    let mut requests: BTreeMap<String, u64> = BTreeMap::new();
    for window in &report.rotation {
        assert!(
            window.weights.values().all(|&w| w == 0.3333),
            "fixed mix: {window:?}"
        );
        for (name, n) in &window.requests {
            *requests.entry(name.clone()).or_default() += n;
        }
    }
    assert_eq!(requests.values().sum::<u64>(), 90);
    assert!(requests.values().all(|&n| n > 0), "{requests:?}");
    // Only momentum traders detect momentum, only pairs traders trade pairs, only the
    // arbitrage trader does arbitrage: what each role executed is what its strategy got.
    assert_eq!(executed_by_role(report), requests);
    assert_eq!(report.success_rate, 1.0);
}

/// Scenario 16: the adaptive rotation shifts work away from the pairs traders, which answer
/// 40 % of their tasks with errors, toward the strategies with the lowest error rate.
#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
    deploy = "rotation",
    inject = "error_rate(0.4, target = role:pairs_trader)",
    step_requests = 50,
    trades = 300
)]
fn rotation_moves_work_to_the_reliable_strategies(report: &Report) {
    let windows = &report.rotation;
    assert_eq!(windows.len(), 6);
    let pairs: Vec<f64> = windows.iter().map(|w| w.weights["pairs_trader"]).collect();
    assert!(
        pairs.iter().all(|&w| w < 1.0 / 3.0),
        "pairs stays below its equal share in every window: {pairs:?}"
    );
    let last = windows.last().unwrap();
    for other in ["momentum_trader", "arbitrage_trader"] {
        assert!(last.weights[other] > last.weights["pairs_trader"]);
        assert!(windows[0].error_rates[other] < windows[0].error_rates["pairs_trader"]);
    }
    // Work moved: pairs served fewer requests in the second half than in the first.
    let served = |range: std::ops::Range<usize>| -> u64 {
        windows[range]
            .iter()
            .map(|w| w.requests["pairs_trader"])
            .sum()
    };
    assert!(
        served(3..6) < served(0..3),
        "{} then {}",
        served(0..3),
        served(3..6)
    );
    assert_eq!(report.tasks.lost, 0);
}
