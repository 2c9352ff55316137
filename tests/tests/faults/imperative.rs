//! Faults injected and healed by the test body: `swarm.inject(..)` and `swarm.heal(..)` go
//! through the same parser and the same effects as the `inject` attribute.

use std::time::Duration;

use swarm_test::prelude::*;
use swarm_test::{FaultSpec, Mode};

/// A crash injected mid-run, healed later: its work is rerouted, and once healed the agent
/// (restarted, empty) takes work again. The snapshot shows the injected fault's numbers.
#[swarm_test(topology = "mesh", agents = 4)]
async fn inject_then_heal_a_crash(swarm: &mut Swarm) -> Result<(), SwarmError> {
    swarm.run_trades(8).await?;
    let crash = swarm.inject("crash(1)").await?;
    assert_eq!(crash.spec().text, "crash(1)");
    swarm.run_trades(12).await?;
    let during = swarm.report();
    assert_eq!(
        during.agents[1].executed, 2,
        "nothing completes on a dead agent"
    );
    swarm.heal(crash).await?;
    swarm.sleep(Duration::from_millis(100)).await?;
    swarm.run_trades(8).await?;
    let after = swarm.report();
    assert_eq!(after.tasks.completed, 28);
    assert!(after.agents[1].executed > 2, "back at work after healing");
    let fault = &after.faults[0];
    assert_eq!(fault.targets, vec![1]);
    assert!(
        fault.tasks_rerouted > 0 && fault.recovered_after_ms.is_some(),
        "{fault:?}"
    );
    assert!(fault.healed_at_ms > fault.at_ms);
    Ok(())
}

#[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
async fn bad_faults_are_swarm_errors(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let e = swarm.inject("crash(hub)").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "fault `crash(hub)` cannot be injected: target `hub` needs a star topology, but this \
         swarm is a mesh"
    );
    let e = swarm.inject("cpu_spik @ 1s").await.unwrap_err();
    assert!(
        e.to_string().starts_with("fault `cpu_spik @ 1s` cannot be injected: unknown fault `cpu_spik`; did you mean `cpu_spike`?"),
        "{e}"
    );
    let e = swarm.inject(String::from("crash(7)")).await.unwrap_err();
    assert!(e.to_string().contains("the swarm has agents 0..=2"), "{e}");
    assert!(
        swarm.report().faults.is_empty(),
        "rejected faults are not recorded"
    );
    Ok(())
}

#[swarm_test(topology = "star", agents = 5, snapshot = false)]
async fn scheduled_injection_starts_later_and_heals_itself(
    swarm: &mut Swarm,
) -> Result<(), SwarmError> {
    let spec = FaultSpec::parse("partition(isolate = 2) @ 1s for 2s").unwrap();
    let start = swarm.now();
    let _cut = swarm.inject(&spec).await?;
    let never = swarm.inject("hang(hub) @ 10s").await?;
    assert_eq!(swarm.report().faults[0].at_ms, None, "not started yet");
    swarm.sleep(Duration::from_millis(1500)).await?;
    let report = swarm.report();
    // `@ 1s` counts from the call; the report counts from the end of setup.
    let expected = start.as_secs_f64() * 1e3 + 1_000.0 - report.setup_ms;
    let at = report.faults[0].at_ms.expect("started");
    match swarm.mode() {
        Mode::Mock => assert!((at - expected).abs() < 0.001, "{at} vs {expected}"),
        // `now()` was read just before the call; the controller counts from when it took the
        // injection, a little later, and its timer fires when the machine gets to it.
        Mode::Live => assert!(
            (expected..expected + crate::LIVE_SLACK_MS).contains(&at),
            "{at} vs {expected}"
        ),
    }
    assert_eq!(report.faults[0].targets, vec![2]);
    swarm.heal(never).await?;
    swarm.sleep(Duration::from_secs(20)).await?;
    let report = swarm.report();
    assert!(
        report.faults[0].healed_at_ms.is_some(),
        "`for 2s` healed it"
    );
    assert_eq!(
        report.faults[1].at_ms, None,
        "healed before its start: never started"
    );
    swarm.run_trades(10).await?;
    assert_eq!(swarm.report().tasks.completed, 10, "no hung hub");
    Ok(())
}
