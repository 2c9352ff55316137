//! Agent programs in any language (`program = "CMD"`, `PROTOCOL.md`): the Python and Node
//! examples of `examples/agents/` trading in a swarm in mock mode (snapshots) and live mode
//! (`@live` snapshots, through [`every_program_test_also_passes_live`]); a mock run with them
//! is deterministic; and a program that breaks the protocol fails its test, in each mode,
//! naming the agent, the line and what was expected, with no process left behind.
//!
//! The commands are relative to this crate's directory, where the harness runs them.

mod broken;
mod subjects;

use swarm_test::prelude::*;

/// Five Python agents on a ring, through a crash: the swarm routes around it.
#[swarm_test(
    topology = "ring",
    agents = 5,
    trades = 24,
    market = "trending",
    inject = "crash(2) @ 100ms",
    program = "python3 ../examples/agents/momentum.py"
)]
fn python_momentum_on_a_ring(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
    assert!(report.tasks.completed > 0);
    for agent in &report.agents {
        assert_eq!(
            agent.type_name(),
            "program(\"python3 ../examples/agents/momentum.py\")"
        );
    }
}

/// Node agents among built-in roles in a star.
#[swarm_test(
    topology = "star",
    agents = 4,
    trades = 20,
    market = "volatile",
    roles = [program("node ../examples/agents/arb.js") * 2, "risk_manager", "momentum_trader"]
)]
fn node_arbitrage_in_a_star(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
    let programs = report
        .agents
        .iter()
        .filter(|a| a.type_name() == "program(\"node ../examples/agents/arb.js\")")
        .count();
    assert_eq!(programs, 2);
}

/// A consensus round asks every voter: the Python agents answer `vote` requests.
#[swarm_test(
    topology = "mesh",
    agents = 3,
    trades = 6,
    strategy = "consensus",
    program = "python3 ../examples/agents/momentum.py"
)]
fn python_agents_vote(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
    assert!(!report.consensus.is_empty(), "rounds ran");
}

/// Every test of this binary, again in live mode: each agent a real process that starts its
/// program as its child.
#[test]
fn every_program_test_also_passes_live() {
    tests::passes_live("every_program_test_also_passes_live", 3);
}
