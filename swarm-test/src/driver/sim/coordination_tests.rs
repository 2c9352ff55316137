//! The coordination layer driven by the simulator: agent states, the adaptive strategy,
//! restarts and partitions seen through heartbeats.

use swarm_test_spec::Spec;

use super::testing::{self, spec};
use super::Sim;
use crate::core::{AgentState, HealthEvent};

/// [`testing::run`], then checks the coordination invariants held.
fn run(spec: &Spec, seed: u64) -> Sim {
    let sim = testing::run(spec, seed);
    assert!(sim.core().ledger().violations().is_empty());
    assert!(sim.core().edge_violations().is_empty());
    sim
}

#[test]
fn a_cpu_spike_shows_as_degraded_through_heartbeats() {
    let s = spec(&[
        ("topology", "mesh"),
        ("agents", "4"),
        ("inject", "cpu_spike(0.9, target = 2)"),
    ]);
    let sim = run(&s, 1);
    let states: Vec<AgentState> = sim.agents().iter().map(|a| a.state).collect();
    assert_eq!(states[2], AgentState::Degraded, "{states:?}");
    assert!(states.iter().filter(|&&s| s == AgentState::Ready).count() == 3);
}

#[test]
fn adaptive_shifts_work_away_from_an_erring_agent() {
    let share = |strategy: &str| {
        let s = spec(&[
            ("topology", "mesh"),
            ("agents", "4"),
            ("strategy", strategy),
            ("trades", "80"),
            ("inject", "error_rate(0.6, target = 1)"),
        ]);
        let sim = run(&s, 4);
        let executed: Vec<u64> = sim.agents().iter().map(|a| a.executed).collect();
        (executed[1], sim.agents()[1].errors)
    };
    let (rr_done, rr_errors) = share("round_robin");
    let (ad_done, ad_errors) = share("adaptive");
    assert!(
        ad_errors * 2 <= rr_errors,
        "adaptive sends the erring agent less: {ad_errors} errors vs {rr_errors} under round robin"
    );
    assert!(ad_done + ad_errors < rr_done + rr_errors);
}

#[test]
fn a_restart_is_learned_from_a_new_incarnation() {
    let s = spec(&[
        ("topology", "ring"),
        ("agents", "5"),
        ("trades", "40"),
        ("inject", "crash(2, restart = 600ms) @ 100ms"),
    ]);
    let sim = run(&s, 2);
    let log = sim.core().health_log();
    assert!(
        log.iter()
            .any(|e| matches!(e, HealthEvent::Failed { agent: 2, .. })),
        "{log:?}"
    );
    assert!(
        log.iter().any(|e| matches!(
            e,
            HealthEvent::Recovered {
                agent: 2,
                restarted: true,
                ..
            }
        )),
        "{log:?}"
    );
    assert_eq!(sim.agents()[2].state, AgentState::Ready);
    assert!(
        sim.core().stages_skipped() > 0,
        "trades went around stage 2 meanwhile"
    );
    assert_eq!(sim.core().ledger().audit().completed, 40);
}

#[test]
fn an_isolated_agent_is_failed_then_recovered_when_the_partition_heals() {
    let s = spec(&[
        ("topology", "mesh"),
        ("agents", "5"),
        ("trades", "60"),
        ("inject", "partition(isolate = 3) @ 100ms for 1s"),
    ]);
    let sim = run(&s, 6);
    let log = sim.core().health_log();
    let failed = log
        .iter()
        .position(|e| matches!(e, HealthEvent::Failed { agent: 3, .. }));
    let recovered = log.iter().position(|e| {
        matches!(
            e,
            HealthEvent::Recovered {
                agent: 3,
                restarted: false,
                ..
            }
        )
    });
    assert!(
        failed.is_some() && recovered > failed,
        "failed then recovered: {log:?}"
    );
    assert!(
        !log.iter()
            .any(|e| matches!(e, HealthEvent::Failed { agent, .. } if *agent != 3)),
        "the isolated agent's own suspicions condemn nobody: {log:?}"
    );
}

#[test]
fn a_failed_coordinator_is_replaced_by_its_first_live_worker() {
    let s = spec(&[
        ("topology", "hierarchical"),
        ("agents", "7"),
        ("trades", "30"),
        ("inject", "crash(coordinator) @ 150ms"),
    ]);
    let sim = run(&s, 8);
    let promoted = sim.core().health_log().iter().find_map(|e| match e {
        HealthEvent::Promoted {
            failed,
            successor,
            role,
            moved,
            ..
        } => Some((*failed, *successor, role.clone(), moved.clone())),
        _ => None,
    });
    // 0 → 1..=4, 1 → 5, 6: worker 1 takes the coordinator's edges to 2, 3, 4.
    assert_eq!(
        promoted,
        Some((0, 1, "coordinator".to_owned(), vec![2, 3, 4]))
    );
    assert_eq!(sim.core().root(), Some(1));
    assert_eq!(sim.core().topology().degree(1), 6);
    assert_eq!(sim.core().ledger().audit().completed, 30);
}
