//! Each strategy's matrix test fails with that strategy broken: its cases re-run in a child
//! process with a routing or voting bug planted (`tests::fails_with_bug`), each failure saying
//! which promise broke. Only the cases where the strategy decides anything are re-run: a
//! ring's pipeline executes on its last stage whatever the strategy, and where every agent
//! has `trade_execution` (a mesh or a star of the default roles) `specialized` has nothing
//! to filter; a star's proposer, the hub, asks every spoke, so its rounds reach a quorum
//! anyway; and this seed's tree loses its coordinator, which leaves `adaptive` nothing to
//! compare.

use tests::fails_with_bug;

#[test]
fn a_round_robin_that_sticks_to_one_agent_fails_round_robin() {
    for case in ["mesh", "hierarchical", "star"] {
        fails_with_bug(
            &format!("strategy_matrix::round_robin::{case}"),
            "round_robin_sticks",
            "turns are",
        );
    }
}

#[test]
fn least_loaded_ties_to_the_lowest_id_fail_least_loaded() {
    for case in ["mesh", "hierarchical", "star"] {
        fails_with_bug(
            &format!("strategy_matrix::least_loaded::{case}"),
            "least_loaded_lowest_id",
            "took more than its load allows",
        );
    }
}

#[test]
fn specialized_routing_that_ignores_capabilities_fails_specialized() {
    for case in ["hierarchical", "ring"] {
        fails_with_bug(
            &format!("strategy_matrix::specialized::{case}"),
            "specialized_ignores_capability",
            "without `trade_execution`",
        );
    }
}

#[test]
fn consensus_that_ignores_the_quorum_fails_consensus() {
    for case in ["mesh", "hierarchical", "ring"] {
        fails_with_bug(
            &format!("strategy_matrix::consensus::{case}"),
            "consensus_ignores_quorum",
            "reached without a quorum of live voters",
        );
    }
}

#[test]
fn adaptive_routing_blind_to_health_fails_adaptive() {
    for case in ["mesh", "star"] {
        fails_with_bug(
            &format!("strategy_matrix::adaptive::{case}"),
            "adaptive_ignores_health",
            "work did not shift away from the failing agent",
        );
    }
}

/// The check can fail too: a case the bug leaves alone (a mesh whose agents all have
/// `trade_execution`, so `specialized` has nothing to filter) passes with it planted, and
/// `fails_with_bug` says so.
#[test]
fn a_case_that_passes_with_the_bug_planted_is_reported() {
    if swarm_test::Config::from_env().is_ok_and(|c| c.mode == swarm_test::Mode::Live) {
        return; // `fails_with_bug` plants bugs in mock mode only.
    }
    let caught = std::panic::catch_unwind(|| {
        fails_with_bug(
            "strategy_matrix::specialized::mesh",
            "specialized_ignores_capability",
            "without `trade_execution`",
        )
    });
    let message = caught.expect_err("a passing case went unnoticed");
    let message = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(
        message.contains("every `strategy_matrix::specialized::mesh` test must fail"),
        "{message}"
    );
}
