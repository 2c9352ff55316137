//! Auto-scaling: HPA semantics on the agents' reported CPU and memory, plus market volatility.

use swarm_test::prelude::*;
use swarm_test::AgentState;

/// Agents serving at the end of the run.
fn serving(report: &Report) -> u64 {
    report
        .agents
        .iter()
        .filter(|a| a.state != AgentState::Removed)
        .count() as u64
}

/// Scenario 12: two agents under high load (CPU 85 %, memory 80 %) scale toward 10, within
/// bounds, each step limited by the scale-up policies, with reasons.
#[swarm_test(
    topology = "mesh",
    agents = 2,
    min_agents = 2,
    max_agents = 10,
    target_cpu = "0.2",
    target_memory = "0.5",
    scale_interval = "5s",
    cooldown = "10s",
    inject = ["cpu_spike(0.85, target = all)", "memory_leak(128, target = all) for 5400ms"],
    trades = 1600,
    timeout = "120s"
)]
fn high_load_scales_up(report: &Report) {
    let events = &report.scaling;
    match report.mode {
        // The model's load: 0.85 on both spiking agents, so the first step hits the policy
        // limit and a second one follows.
        swarm_test::Mode::Mock => assert!(events.len() >= 2, "{events:?}"),
        // Measured load: two burners on a shared 2-core machine read anywhere between ~0.4
        // and 0.85 each, so how far the first step goes depends on the machine; any reading
        // above the target must still scale up.
        swarm_test::Mode::Live => assert!(!events.is_empty(), "{events:?}"),
    }
    assert_eq!(events[0].from, 2);
    for (i, e) in events.iter().enumerate() {
        assert!(e.to > e.from, "load only rises: {e:?}");
        assert!(e.to <= 10, "within max_agents: {e:?}");
        let policy = (2 * e.from).max(e.from + 4);
        assert!(e.to <= policy, "100 % or 4 agents per period: {e:?}");
        assert!(e.reason.starts_with("cpu "), "{}", e.reason);
        if i > 0 {
            assert!(e.at_ms >= events[i - 1].at_ms + 10_000.0, "cooldown 10 s");
            assert_eq!(e.from, events[i - 1].to);
        }
    }
    if report.mode == swarm_test::Mode::Mock {
        assert!(events[0]
            .reason
            .contains("limited to 6 by the scale-up policies"));
    }
    assert_eq!(serving(report), events.last().unwrap().to);
    assert_eq!(report.topology.agents, serving(report));
    let joined = &report.agents[2..];
    assert!(
        joined.iter().all(|a| a.degree == serving(report) - 1),
        "mesh edges"
    );
    assert!(joined.iter().all(|a| a.executed > 0), "joiners take work");
    assert_eq!(report.tasks.completed, 1600);
}

/// Scenario 13: low load scales down, not below the minimum, after the stabilisation window;
/// the leavers drain first.
#[swarm_test(
    topology = "mesh",
    agents = 6,
    min_agents = 2,
    max_agents = 10,
    scale_interval = "5s",
    scale_down_window = "30s",
    cooldown = "10s",
    trades = 2000,
    timeout = "120s"
)]
fn low_load_scales_down_after_the_window(report: &Report) {
    let events = &report.scaling;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!((e.from, e.to), (6, 2));
    assert!(e.reason.ends_with("over 6 ready)") && e.reason.contains("clamped to min_agents 2"));
    // The first sync is at 5 s; its count stays in the 30 s window until 35 s.
    assert!(e.at_ms >= 35_000.0, "{e:?}");
    assert_eq!(serving(report), 2);
    let removed: Vec<_> = report
        .agents
        .iter()
        .filter(|a| a.state == AgentState::Removed)
        .collect();
    assert_eq!(
        removed.iter().map(|a| a.id).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    assert!(removed.iter().all(|a| a.degree == 0 && a.executed > 0));
    assert_eq!(report.tasks.completed, 2000);
    assert_eq!(report.tasks.rerouted, 0, "drained, not cut off");
}

/// Scenario 14: market volatility 0.85 triggers a scale-up whose reason names volatility;
/// when the shock heals, the extra agents go after the window.
#[swarm_test(
    topology = "mesh",
    agents = 3,
    min_agents = 3,
    max_agents = 10,
    scale_interval = "5s",
    scale_down_window = "20s",
    cooldown = "10s",
    inject = "volatility(0.85) @ 10s for 20s",
    trades = 2400,
    timeout = "120s"
)]
fn volatility_adds_capacity(report: &Report) {
    let shock = &report.faults[0];
    let events = &report.scaling;
    assert_eq!(events.len(), 2, "{events:?}");
    let (up, down) = (&events[0], &events[1]);
    assert_eq!((up.from, up.to), (3, 5), "+2 above 0.8");
    assert!(
        up.reason.starts_with("market volatility 0.85 above 0.8"),
        "{}",
        up.reason
    );
    assert!(up.at_ms >= shock.at_ms.unwrap());
    assert_eq!((down.from, down.to), (5, 3));
    assert!(
        down.at_ms >= shock.healed_at_ms.unwrap() + 15_000.0,
        "{down:?}"
    );
    assert!(!down.reason.contains("volatility 0.85"));
    assert_eq!(serving(report), 3);
}
