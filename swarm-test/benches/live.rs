//! Live-mode speed on the process backend: time until N agents are ready, and the
//! controller ↔ agent round trip (a heartbeat frame there and back).
//!
//! `cargo bench -p swarm-test --bench live` (add `-- --agents 50` for another swarm size).
//! The agents are this bench binary itself, started again: `main` hands over to the agent
//! program first when it runs as an agent.

use std::time::Duration;

use swarm_test::__private::{run_if_agent, LiveBench};
use swarm_test::SpecBuilder;

fn spec(agents: u64) -> swarm_test::Spec {
    SpecBuilder::new("bench", "live_bench")
        .with("topology", "mesh")
        .with("agents", agents)
        .with("timeout", "10m")
        .build()
        .expect("a valid bench spec")
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let agents = args
        .iter()
        .position(|a| a == "--agents")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100u64);
    run_if_agent(|| Ok(spec(agents)));

    println!(
        "live bench: {agents} agents (mesh), process backend, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut ready = Vec::new();
    for round in 0..3 {
        let (bench, took) = LiveBench::start(&spec(agents), round).expect("the swarm starts");
        let running = bench.pids().iter().flatten().count();
        println!(
            "  round {round}: {running} agents ready in {:.1} ms",
            took.as_secs_f64() * 1e3
        );
        ready.push(took);
    }
    ready.sort();
    println!(
        "time until {agents} agents ready: median {:.1} ms (goal < 1000 ms)",
        ready[1].as_secs_f64() * 1e3
    );

    let (mut bench, _) = LiveBench::start(&spec(agents), 7).expect("the swarm starts");
    bench.round_trips(0, 200).expect("warm-up");
    let mut rtts = Vec::new();
    for agent in [0, agents as usize / 2, agents as usize - 1] {
        rtts.extend(bench.round_trips(agent, 2_000).expect("round trips"));
    }
    rtts.sort();
    println!(
        "controller <-> agent round trip over {} pings: p50 {:.1} us, p99 {:.1} us, max {:.1} us (goal p50 < 50 us)",
        rtts.len(),
        percentile(&rtts, 0.50).as_secs_f64() * 1e6,
        percentile(&rtts, 0.99).as_secs_f64() * 1e6,
        rtts[rtts.len() - 1].as_secs_f64() * 1e6,
    );
}
