//! The examples, copied unchanged from CONTRACT §1 (`contract`) and from the README
//! (`readme`): if one stops compiling or passing, the document is wrong.

/// CONTRACT §1, "Writing a test".
mod contract {
    use swarm_test::prelude::*;

    // Declarative: the harness runs the whole scenario, checks the invariants,
    // and snapshots the performance summary.
    #[swarm_test(topology = "ring", agents = 5, inject = "cpu_spike")]
    fn ring_survives_cpu_spike() {}

    // Outcome assertions: the harness hands over the finished run's report.
    #[swarm_test(topology = "star", agents = 7, trades = 24, inject = "crash(hub) @ 2s")]
    fn star_hub_failover(report: &Report) {
        assert_eq!(report.tasks.completed, 24);
        assert_eq!(report.tasks.lost, 0);
    }

    // Imperative: drive the swarm yourself (virtual time in mock, real time in live).
    #[swarm_test(topology = "mesh", agents = 3, strategy = "consensus")]
    async fn consensus_reaches_two_thirds(swarm: &mut Swarm) -> Result<(), SwarmError> {
        let decision = swarm
            .propose(Proposal::trade("SPY").threshold(0.66))
            .await?;
        assert!(decision.reached);
        Ok(())
    }
}

/// README, "A first test" and the deployment patterns' example.
mod readme {
    use swarm_test::prelude::*;

    // The harness builds a ring of five agents, runs 20 trades with a CPU spike on one agent,
    // checks that no task was lost or done twice and that every message travelled along an edge,
    // snapshots the performance summary, and tears everything down.
    #[swarm_test(topology = "ring", agents = 5, inject = "cpu_spike")]
    fn ring_survives_cpu_spike() {}

    // With a report parameter, the body checks the outcome after the run.
    #[swarm_test(topology = "star", agents = 7, trades = 24)]
    fn star_routes_through_the_hub(report: &Report) {
        assert_eq!(report.tasks.completed, 24);
        assert_eq!(report.tasks.lost, 0);
    }

    // Imperative: drive the swarm yourself. Time is virtual: the sleeps cost no wall time.
    #[swarm_test(topology = "mesh", agents = 4)]
    async fn mesh_by_hand(swarm: &mut Swarm) -> Result<(), SwarmError> {
        let done = swarm.dispatch(Task::trade("SPY")).await?;
        swarm.sleep(std::time::Duration::from_secs(5)).await?;
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        swarm.run_trades(10).await?;
        assert!(swarm.report().tasks.completed == 11 && done.latency.as_millis() < 100);
        Ok(())
    }

    #[swarm_test(
        topology = "mesh",
        agents = 4,
        deploy = "canary",
        new_version_fault = "error_rate(0.5)"
    )]
    fn bad_canary_rolls_back(report: &Report) {
        assert!(report.deploy.iter().any(|s| s.outcome == "rolled_back"));
    }
}
