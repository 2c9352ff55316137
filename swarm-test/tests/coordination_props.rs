//! Property test of the coordination layer over random swarms.
//!
//! For random topologies, sizes (3–64 agents), strategies, seeds, sets of crashing agents
//! (some restarting) and a few agents answering with errors for a while (which trips circuit
//! breakers) or paused or cut off by a partition for a while, a full trade simulation must
//! keep the coordination invariants:
//!
//! - no task lost or duplicated: the ledger reports no violation (every task ended exactly
//!   once, completed or failed with a reason; no order applied twice);
//! - every hop along an edge: no message went between agents that were not connected in the
//!   topology in force when it was sent (promotions rewire it);
//! - consensus never reports "reached" without a quorum of live agreeing voters: each reached
//!   round had at least 3 live voters, `ceil(voters × threshold)` agreeing votes, and every
//!   agreeing voter actually cast its vote while its process was running.
//!
//! 1,000 cases run under `cargo test` (`PROPTEST_CASES` overrides the count).

use std::collections::BTreeSet;

use proptest::prelude::*;
use swarm_test::internals::core::{Ending, DEFAULT_THRESHOLD};
use swarm_test::internals::sim::Sim;
use swarm_test::{Proposal, Spec, SpecBuilder};

const TOPOLOGIES: [&str; 4] = ["mesh", "hierarchical", "ring", "star"];
const STRATEGIES: [&str; 5] = [
    "round_robin",
    "least_loaded",
    "specialized",
    "consensus",
    "adaptive",
];

/// One crash: which agent, when (ms after setup), and whether it restarts after 400 ms.
#[derive(Debug, Clone)]
struct Crash {
    agent: usize,
    at_ms: u64,
    restarts: bool,
}

#[derive(Debug, Clone)]
struct Case {
    topology: &'static str,
    agents: usize,
    strategy: &'static str,
    seed: u64,
    trades: u64,
    crashes: Vec<Crash>,
    /// Agents that answer every task with an error from 100 ms for 1 s.
    erring: Vec<usize>,
    /// Agents paused (`hang`) or cut off (`partition(isolate = …)`) from 200 ms for 700 ms.
    paused: Vec<(usize, bool)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..TOPOLOGIES.len(),
        3usize..=64,
        0..STRATEGIES.len(),
        any::<u64>(),
        5u64..=25,
    )
        .prop_flat_map(|(t, agents, s, seed, trades)| {
            let crash =
                (0..agents, 0u64..800, any::<bool>()).prop_map(|(agent, at_ms, restarts)| Crash {
                    agent,
                    at_ms,
                    restarts,
                });
            let crashes = proptest::collection::vec(crash, 0..=(agents / 2).min(8));
            let erring = proptest::collection::vec(0..agents, 0..=2);
            let paused = proptest::collection::vec((0..agents, any::<bool>()), 0..=1);
            (crashes, erring, paused).prop_map(move |(crashes, erring, paused)| Case {
                topology: TOPOLOGIES[t],
                agents,
                strategy: STRATEGIES[s],
                seed,
                trades,
                crashes,
                erring,
                paused,
            })
        })
}

fn spec(case: &Case) -> Spec {
    let mut b = SpecBuilder::new("coordination_props", module_path!())
        .with("topology", case.topology)
        .with("agents", case.agents as u64)
        .with("strategy", case.strategy)
        .with("trades", case.trades);
    for c in &case.crashes {
        let restart = if c.restarts { ", restart = 400ms" } else { "" };
        b = b.with(
            "inject",
            format!("crash({}{restart}) @ {}ms", c.agent, c.at_ms).as_str(),
        );
    }
    for agent in &case.erring {
        let fault = format!("error_rate(1.0, target = {agent}) @ 100ms for 1s");
        b = b.with("inject", fault.as_str());
    }
    for &(agent, hang) in &case.paused {
        let fault = match hang {
            true => format!("hang({agent}) @ 200ms for 700ms"),
            false => format!("partition(isolate = {agent}) @ 200ms for 700ms"),
        };
        b = b.with("inject", fault.as_str());
    }
    b.build().expect("a valid generated spec")
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let mut sim = Sim::new(&spec(case), case.seed).expect("the swarm builds");
    sim.setup().expect("the swarm starts");
    sim.start_trades(case.trades);
    // A vote outside the trade flow too, whatever the strategy.
    sim.propose(Proposal::trade("SPY"))
        .expect("a valid proposal");
    let ran = sim.run_until_idle();
    prop_assert!(ran.is_ok(), "{case:?}: {ran:?}");
    let core = sim.core();

    let violations = core.ledger().violations();
    prop_assert!(violations.is_empty(), "{case:?}: {violations:?}");
    let audit = core.ledger().audit();
    prop_assert_eq!(audit.in_flight, 0);
    prop_assert_eq!(audit.duplicated, 0);
    prop_assert_eq!(audit.completed + audit.failed, audit.dispatched);
    for i in 0..audit.dispatched {
        if let Some(Ending::Failed { reason }) = core.ledger().ending(swarm_test::TaskId(i)) {
            prop_assert!(!reason.is_empty());
        }
    }

    let edges = core.edge_violations();
    prop_assert!(edges.is_empty(), "{case:?}: {edges:?}");

    let cast: BTreeSet<(u64, usize)> = sim
        .votes_cast()
        .iter()
        .map(|(round, voter, _)| (round.0, *voter))
        .collect();
    for (round, d) in core.decisions() {
        if !d.reached {
            continue;
        }
        let quorum = Proposal::trade("X")
            .threshold(DEFAULT_THRESHOLD)
            .quorum(d.voters.len());
        prop_assert!(d.voters.len() >= 3, "{case:?}: {d:?}");
        prop_assert_eq!(d.quorum, quorum);
        prop_assert!(d.agreeing.len() as u64 >= quorum, "{case:?}: {d:?}");
        for voter in &d.agreeing {
            prop_assert!(d.voters.contains(voter), "{case:?}: {d:?}");
            prop_assert!(
                cast.contains(&(round.0, *voter)),
                "{case:?}: voter {voter} counted as agreeing in round {} without casting a vote: {d:?}",
                round.0
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn coordination_invariants_hold(case in case()) {
        check(&case)?;
    }
}

#[test]
fn a_dead_majority_of_voters_never_reaches() {
    // Directly: a star whose spokes are mostly dead before the vote.
    let case = Case {
        topology: "star",
        agents: 6,
        strategy: "consensus",
        seed: 7,
        trades: 0,
        crashes: (2..6)
            .map(|agent| Crash {
                agent,
                at_ms: 0,
                restarts: false,
            })
            .collect(),
        erring: Vec::new(),
        paused: Vec::new(),
    };
    let mut sim = Sim::new(&spec(&case), case.seed).unwrap();
    sim.setup().unwrap();
    let round = sim.propose(Proposal::trade("SPY")).unwrap();
    sim.run_until_decided(round).unwrap();
    let d = sim.core().decision(round).unwrap();
    assert!(!d.reached, "{d:?}");
    assert!(d.votes <= 2, "only the hub and spoke 1 can vote: {d:?}");
    check(&case).unwrap();
}

#[test]
fn a_vote_reply_planned_before_a_promotion_is_not_sent_along_the_moved_link() {
    // Found by the property: the coordinator (the proposer) crashes during a round; worker 1
    // takes over its edges; worker 2's reply to the old proposer must not use the moved link.
    let case = Case {
        topology: "hierarchical",
        agents: 3,
        strategy: "consensus",
        seed: 1490870934582262284,
        trades: 24,
        crashes: vec![Crash {
            agent: 0,
            at_ms: 110,
            restarts: false,
        }],
        erring: Vec::new(),
        paused: Vec::new(),
    };
    check(&case).unwrap();
}
