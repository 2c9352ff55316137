//! The expansion hands the runtime typed data (issue 12, item 4): the `Spec` that
//! `#[swarm_test(...)]` writes out as Rust values must be exactly what the runtime's own
//! parser (`SpecBuilder`) makes of the same keys, for every key, fault kind and pattern.
//! `checked_spec!` expands to the spec expression the attribute emits.

use swarm_test::__private::checked_spec;
use swarm_test::{Spec, SpecBuilder};

/// The same keys, once through the macro's typed expansion and once parsed at run time.
macro_rules! both {
    ($($key:ident = $value:literal),* $(,)?) => {{
        let typed: Spec = checked_spec!($($key = $value),*);
        let parsed = SpecBuilder::new("checked_spec", module_path!())
            $(.with(stringify!($key), $value))*
            .build()
            .expect("a valid spec");
        (typed, parsed)
    }};
}

macro_rules! assert_same {
    ($($tt:tt)*) => {{
        let (typed, parsed) = both!($($tt)*);
        assert_eq!(typed, parsed);
        typed
    }};
}

#[test]
fn defaults() {
    let spec = assert_same!(topology = "ring", agents = 5u64);
    assert_eq!(
        spec.module_path,
        module_path!(),
        "module_path!() at the test"
    );
    assert_eq!(spec.name, "checked_spec");
}

#[test]
fn every_core_key() {
    assert_same!(
        topology = "star",
        agents = 5u64,
        roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
        strategy = "specialized",
        trades = 24u64,
        market = "file:fixtures/data/spy.csv",
        seed = 18446744073709551615u64,
        timeout = "30s",
        snapshot = "star_mix",
    );
    assert_same!(
        topology = "mesh",
        agents = 3u64,
        market = "crash",
        snapshot = false
    );
    assert_same!(
        topology = "hierarchical",
        agents = 9u64,
        strategy = "adaptive",
        snapshot = true
    );
}

#[test]
fn every_fault_kind_and_target() {
    for spec in [
        assert_same!(topology = "star", agents = 7u64, inject = "crash(hub) @ 2s"),
        assert_same!(
            topology = "star",
            agents = 7u64,
            inject = "crash(3, restart = 5s) @ 1s for 2s"
        ),
        assert_same!(
            topology = "ring",
            agents = 5u64,
            inject = "cpu_spike(0.95, target = fraction(0.5))"
        ),
        assert_same!(
            topology = "ring",
            agents = 5u64,
            inject = "memory_leak(37.5, target = all)"
        ),
        assert_same!(
            topology = "ring",
            agents = 5u64,
            inject = "latency(50ms, jitter = 10ms) @ 1s for 5s"
        ),
        assert_same!(
            topology = "ring",
            agents = 5u64,
            inject = "packet_loss(0.33)"
        ),
        assert_same!(topology = "ring", agents = 5u64, inject = "network_issue"),
        assert_same!(
            topology = "ring",
            agents = 5u64,
            inject = "partition(halves) @ 3s for 2s"
        ),
        assert_same!(
            topology = "ring",
            agents = 5u64,
            inject = "partition(isolate = role:risk_manager)"
        ),
        assert_same!(
            topology = "hierarchical",
            agents = 6u64,
            inject = "hang(coordinator)"
        ),
        assert_same!(
            topology = "mesh",
            agents = 4u64,
            inject = "hang(leader) for 10080m",
            timeout = "10080m"
        ),
        assert_same!(
            topology = "mesh",
            agents = 4u64,
            inject = "error_rate(0.2, target = random)"
        ),
        assert_same!(
            topology = "mesh",
            agents = 4u64,
            inject = "volatility(0.85)"
        ),
    ] {
        assert_eq!(spec.inject.len(), 1);
    }
}

#[test]
fn autoscaling_and_deployments() {
    let spec = assert_same!(
        topology = "star",
        agents = 4u64,
        max_agents = 8u64,
        target_cpu = "65%",
        target_memory = "0.7",
        scale_interval = "5s",
        scale_down_window = "30s",
        cooldown = "0s",
    );
    assert!(spec.scale.is_some());
    assert_same!(
        topology = "mesh",
        agents = 4u64,
        deploy = "blue_green",
        weights = "100/0, 60/40, 0/100",
        max_error_rate = "0.15",
        min_requests = 7u64,
        max_p99 = "250ms",
        scale_down_delay = "1s",
        new_version_fault = "error_rate(0.3)",
    );
    assert_same!(
        topology = "mesh",
        agents = 4u64,
        deploy = "canary",
        canary_steps = "5, 25, 50",
        success_ratio = "0.9",
        analysis = "flagger(threshold = 3)",
        canary_agents = 2u64,
        rollout_agents = 3u64,
    );
    assert_same!(
        topology = "mesh",
        agents = 4u64,
        deploy = "rotation",
        roles = "momentum_trader*2, pairs_trader*2",
        step_requests = 30u64,
    );
}
