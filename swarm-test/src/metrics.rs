//! Turning a finished run, simulated or live, into a [`Report`].

use hdrhistogram::Histogram;

use crate::core::{Ending, HealthEvent, FAILURE_TIMEOUT_US, HEARTBEAT_INTERVAL_US};
use crate::driver::Driver;
use crate::report::{
    ms, round, AgentReport, BreakerReport, ConsensusRound, DetectionReport, FaultReport,
    HealthReport, LatencyReport, MessagesReport, PromotionReport, RecoveryReport, Report,
    SinglePointOfFailure, TasksReport, TopologyReport,
};
use crate::topology::Topology;
use crate::world::{Effects, World};

/// Articulation points of `topology`, each with the groups its loss would split the rest
/// into (agents outside `live` left out).
fn single_points_of_failure(
    topology: &Topology,
    live: impl Fn(usize) -> bool + Copy,
) -> Vec<SinglePointOfFailure> {
    topology
        .articulation_points()
        .into_iter()
        .filter(|&a| live(a))
        .map(|agent| SinglePointOfFailure {
            agent,
            splits_into: topology
                .components_without(agent)
                .into_iter()
                .map(|g| g.into_iter().filter(|&a| live(a)).collect::<Vec<_>>())
                .filter(|g| !g.is_empty())
                .collect(),
        })
        .collect()
}

/// The health section: what the core's health log says, timed after setup.
fn health(world: &World, setup_us: u64) -> HealthReport {
    let core = &world.core;
    let at = |t: u64| ms(t.saturating_sub(setup_us));
    let mut h = HealthReport {
        heartbeat_interval_ms: ms(HEARTBEAT_INTERVAL_US),
        failure_timeout_ms: ms(FAILURE_TIMEOUT_US),
        root: core.root(),
        stages_skipped: core.stages_skipped(),
        stale_sends: core.stale_sends(),
        ..HealthReport::default()
    };
    for event in core.health_log() {
        match event {
            HealthEvent::Failed { agent, at_us, by } => {
                let silent = world
                    .went_silent
                    .get(*agent)
                    .into_iter()
                    .flatten()
                    .rev()
                    .find(|&&t| t <= *at_us)
                    .copied();
                // Only a silence that is still the agent's latest counts (not an old crash
                // it came back from).
                let recovered_since = core.health_log().iter().any(|e| {
                    matches!(e, HealthEvent::Recovered { agent: a, at_us: t, .. }
                        if a == agent && silent.is_some_and(|s| *t > s) && t < at_us)
                });
                h.detections.push(DetectionReport {
                    agent: *agent,
                    at_ms: at(*at_us),
                    detected_after_ms: silent.filter(|_| !recovered_since).map(|s| ms(at_us - s)),
                    by: by.clone(),
                });
            }
            HealthEvent::Recovered {
                agent,
                at_us,
                restarted,
            } => h.recoveries.push(RecoveryReport {
                agent: *agent,
                at_ms: at(*at_us),
                restarted: *restarted,
                was_failed: true,
            }),
            HealthEvent::Restarted { agent, at_us } => h.recoveries.push(RecoveryReport {
                agent: *agent,
                at_ms: at(*at_us),
                restarted: true,
                was_failed: false,
            }),
            HealthEvent::Promoted {
                failed,
                successor,
                role,
                moved,
                at_us,
            } => h.promotions.push(PromotionReport {
                at_ms: at(*at_us),
                failed: *failed,
                promoted: *successor,
                role: role.clone(),
                moved: moved.clone(),
            }),
            HealthEvent::RootLost { .. } => {}
            HealthEvent::Breaker(t) => h.breakers.push(BreakerReport {
                agent: t.agent,
                at_ms: at(t.at_us),
                from: t.from,
                to: t.to,
                reason: t.reason.clone(),
            }),
        }
    }
    let live = |a: usize| core.agents()[a].state.is_available();
    h.live_single_points_of_failure =
        single_points_of_failure(&core.topology().restricted(live), live);
    h
}

/// Latency percentiles of `samples_us` from an HDR histogram with 3 significant digits.
pub(crate) fn latency(samples_us: &[u64]) -> LatencyReport {
    let Ok(mut histogram) = Histogram::<u64>::new(3) else {
        return LatencyReport::default();
    };
    for &us in samples_us {
        // Auto-resizing histogram: recording only fails for values it cannot represent.
        let _ = histogram.record(us.max(1));
    }
    if histogram.is_empty() {
        return LatencyReport::default();
    }
    let at = |q: f64| ms(histogram.value_at_quantile(q));
    LatencyReport {
        p50_ms: at(0.50),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
        max_ms: ms(histogram.max()),
        mean_ms: round(histogram.mean() / 1_000.0, 3),
    }
}

/// The report of a run as it stands now.
pub(crate) fn capture(driver: &mut impl Driver, name: &str, seed: u64) -> Report {
    driver.with(|world, fx| report(world, fx, name, seed))
}

/// The report of the run of `world` as it stands now; `fx` tells what only the driver
/// measures (mode, time, CPU and memory).
pub(crate) fn report(world: &mut World, fx: &dyn Effects, name: &str, seed: u64) -> Report {
    let trades = world.trades_report(fx.now_us());
    let world = &*world;
    let core = &world.core;
    let topology = core.topology();
    let audit = core.ledger().audit();
    let executed_total: u64 = core.agents().iter().map(|a| a.executed).sum();
    let max_executed = core.agents().iter().map(|a| a.executed).max().unwrap_or(0);
    let setup_us = world.ready_at_us.unwrap_or(0);
    let ledger = core.ledger();
    let first_dispatch = (0..audit.dispatched)
        .filter_map(|i| ledger.dispatched_at_us(crate::core::TaskId(i)))
        .min();
    let throughput = match (first_dispatch, core.last_completion_us()) {
        (Some(start), Some(end)) if end > start => {
            audit.completed as f64 / ((end - start) as f64 / 1e6)
        }
        _ => 0.0,
    };
    let failures = (0..audit.dispatched)
        .filter_map(|i| {
            let id = crate::core::TaskId(i);
            match ledger.ending(id) {
                Some(Ending::Failed { reason }) => Some(format!("{id}: {reason}")),
                _ => None,
            }
        })
        .collect();
    let after_setup = |t: Option<u64>| t.map(|t| ms(t.saturating_sub(setup_us)));
    let faults = world
        .faults
        .iter()
        .zip(&world.outcomes)
        .map(|(spec, outcome)| {
            let since = |t: Option<u64>| match (t, outcome.at_us) {
                (Some(t), Some(at)) => Some(ms(t.saturating_sub(at))),
                _ => None,
            };
            FaultReport {
                name: spec.text.clone(),
                targets: outcome.targets.clone(),
                at_ms: after_setup(outcome.at_us),
                healed_at_ms: after_setup(outcome.healed_us),
                detected_after_ms: since(outcome.detected_us),
                recovered_after_ms: since(outcome.recovered_us),
                tasks_affected: outcome.tasks_affected,
                tasks_rerouted: outcome.tasks_rerouted,
                tasks_failed: outcome.tasks_failed,
            }
        })
        .collect();
    Report {
        name: name.to_owned(),
        seed,
        mode: fx.mode(),
        duration_ms: ms(fx.now_us()),
        setup_ms: ms(setup_us),
        topology: TopologyReport {
            kind: topology.kind(),
            agents: topology.live_len() as u64,
            edges: topology.edges().len() as u64,
            diameter: topology.diameter().unwrap_or(0) as u64,
            single_points_of_failure: single_points_of_failure(topology, |_| true),
        },
        agents: core
            .agents()
            .iter()
            .map(|a| AgentReport {
                id: a.id,
                role: a.role,
                agent_type: world
                    .agents
                    .is_user(a.id)
                    .then(|| world.agents.type_name(a.id).to_owned()),
                degree: topology.degree(a.id) as u64,
                state: a.state,
                executed: a.executed,
                errors: a.errors,
                cpu: round(fx.cpu_load(world, a.id), 4),
                memory_mb: round(fx.memory_mb(world, a.id), 3),
            })
            .collect(),
        tasks: TasksReport {
            dispatched: audit.dispatched,
            completed: audit.completed,
            failed: audit.failed,
            rerouted: audit.rerouted,
            lost: audit.in_flight,
            duplicated: audit.duplicated,
            max_share: if executed_total == 0 {
                0.0
            } else {
                round(max_executed as f64 / executed_total as f64, 4)
            },
        },
        latency: latency(core.latencies_us()),
        throughput_per_s: round(throughput, 3),
        success_rate: if audit.dispatched == 0 {
            0.0
        } else {
            round(audit.completed as f64 / audit.dispatched as f64, 4)
        },
        messages: MessagesReport {
            sent: core.messages(),
            heartbeats: core.heartbeats(),
            dropped: world.dropped,
        },
        trades,
        faults,
        health: health(world, setup_us),
        scaling: Vec::new(),
        deploy: Vec::new(),
        rotation: Vec::new(),
        consensus: core
            .decisions()
            .map(|(_, d)| ConsensusRound {
                proposal: d.proposal.clone(),
                votes: d.votes,
                agreement: d.agreement,
                reached: d.reached,
                at_ms: ms(d.decided_at_us.saturating_sub(setup_us)),
                proposer: d.proposer,
                voters: d.voters.clone(),
                quorum: d.quorum,
                choice: d.choice,
                agreeing: d.agreeing.clone(),
                reason: d.reason.clone(),
            })
            .collect(),
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let samples: Vec<u64> = (1..=1000).map(|i| i * 1_000).collect(); // 1..=1000 ms
        let l = latency(&samples);
        assert!((l.p50_ms - 500.0).abs() <= 0.5, "{l:?}");
        assert!((l.p99_ms - 990.0).abs() <= 1.0, "{l:?}");
        assert!((l.max_ms - 1000.0).abs() <= 1.0, "{l:?}");
        assert!((l.mean_ms - 500.5).abs() <= 0.5, "{l:?}");
    }

    #[test]
    fn no_samples_no_latency() {
        assert_eq!(latency(&[]), LatencyReport::default());
    }
}
