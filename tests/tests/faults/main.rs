//! Fault injection: every fault on every topology (`matrix`), the original suite's four
//! failure kinds on each deployment pattern (`seed_failures`), and faults injected by a test
//! body at run time (`imperative`). Each run is checked by the harness (nothing lost, nothing
//! done twice, hops along edges) and snapshotted under `snapshots/`, one file per case.

mod imperative;
mod matrix;
mod on_deployments;
mod seed_failures;

use swarm_test::{FaultReport, Report};

/// What holds after any fault, checked on top of the harness's own invariants: every task
/// ended once, and each fault's recovery numbers are consistent with the run's.
fn check(report: &Report) {
    let tasks = &report.tasks;
    assert_eq!((tasks.lost, tasks.duplicated), (0, 0), "{tasks:?}");
    assert_eq!(
        tasks.completed + tasks.failed,
        tasks.dispatched,
        "{tasks:?}"
    );
    assert_eq!(report.failures.len() as u64, tasks.failed);
    for fault in &report.faults {
        consistent(fault, report);
    }
}

fn consistent(fault: &FaultReport, report: &Report) {
    let at = format!("{fault:?}");
    assert!(fault.at_ms.is_some(), "the fault started: {at}");
    assert!(fault.tasks_rerouted <= fault.tasks_affected, "{at}");
    assert!(fault.tasks_failed <= fault.tasks_affected, "{at}");
    assert!(fault.tasks_failed <= report.tasks.failed, "{at}");
    assert!(fault.tasks_rerouted <= report.tasks.rerouted, "{at}");
    // Noticed whenever some task's attempt was given up because of it; heartbeats can also
    // notice an agent fault before any task was affected.
    if fault.tasks_affected > 0 {
        assert!(fault.detected_after_ms.is_some(), "noticed: {at}");
    }
    if let Some(recovered) = fault.recovered_after_ms {
        assert!(fault.tasks_rerouted > 0, "{at}");
        assert!(
            fault.detected_after_ms.is_some_and(|d| d <= recovered),
            "recovered after it was noticed: {at}"
        );
    }
    if let (Some(start), Some(healed)) = (fault.at_ms, fault.healed_at_ms) {
        assert!(start <= healed, "{at}");
    }
}
