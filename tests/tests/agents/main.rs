//! Your own agents (CONTRACT §8): reference scenarios run with a user-defined agent type, a
//! mixed roster of user types and built-in roles, an agent that panics and one that answers
//! with errors. Each runs in mock mode, and again live (every agent a real OS process that
//! builds the same agent from the same attribute) through `every_agent_test_also_passes_live`.

use swarm_test::prelude::*;

/// The README's and the rustdoc's example agent: buys a new high, holds otherwise.
#[derive(Debug, Default)]
struct Breakout {
    highs: Vec<f64>,
}

impl Agent for Breakout {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::new("trade_execution")]
    }

    fn on_trade(&mut self, ctx: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError> {
        let mid = ctx.market().mid(symbol)?;
        self.highs.push(mid);
        Ok(
            if mid >= self.highs.iter().cloned().fold(f64::MIN, f64::max) {
                Decision::buy(symbol, 10)
            } else {
                Decision::hold()
            },
        )
    }
}

/// Scenario 1 (mesh: equal peers share the work), every agent a `Breakout`.
#[swarm_test(topology = "mesh", agents = 5, agent = Breakout, trades = 20)]
fn breakout_peers_share_work(report: &Report) {
    assert_eq!(report.tasks.completed, 20);
    assert!(report.agents.iter().all(|a| a.type_name() == "Breakout"));
    assert!(report.agents.iter().all(|a| a.role == Role::GenericTrader));
    assert!(report.agents.iter().filter(|a| a.executed > 0).count() > 1);
    assert!(
        report.trades.orders > 0,
        "a breakout buys: {:?}",
        report.trades
    );
}

/// Scenario 7 (ring pipeline: collection → analysis → risk → execution), the executing stage
/// a `Breakout`.
#[swarm_test(
    topology = "ring",
    agents = 4,
    roles = ["data_collector", "neural_forecaster", "risk_manager", Breakout],
    trades = 20
)]
fn breakout_executes_the_pipeline(report: &Report) {
    assert_eq!(report.tasks.completed, 20);
    let executed: Vec<u64> = report.agents.iter().map(|a| a.executed).collect();
    assert_eq!(executed, vec![0, 0, 0, 20]);
    let types: Vec<&str> = report.agents.iter().map(|a| a.type_name()).collect();
    assert_eq!(
        types,
        [
            "data_collector",
            "neural_forecaster",
            "risk_manager",
            "Breakout"
        ]
    );
}

/// CONTRACT §8: a ring of Breakouts survives a crash.
#[swarm_test(topology = "ring", agents = 5, agent = Breakout, inject = "crash(random) @ 1s")]
fn breakout_survives_a_crash(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
    assert_eq!(report.tasks.completed, report.tasks.dispatched);
}

/// CONTRACT §8: a mixed roster, Breakouts as the star's hub and first spoke.
#[swarm_test(
    topology = "star",
    agents = 4,
    roles = [Breakout * 2, "risk_manager", "momentum_trader"]
)]
fn mixed_roster(report: &Report) {
    let types: Vec<&str> = report.agents.iter().map(|a| a.type_name()).collect();
    assert_eq!(
        types,
        ["Breakout", "Breakout", "risk_manager", "momentum_trader"]
    );
    assert_eq!(report.tasks.lost, 0);
}

/// Panics on its first trade (every agent, so whichever is routed a trade first panics, in
/// live mode too, where an agent may still be starting when the trades begin).
#[derive(Debug, Default)]
struct Panicky;

impl Agent for Panicky {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::new("trade_execution")]
    }

    fn on_trade(&mut self, _: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError> {
        panic!("boom on {symbol}");
    }
}

/// A panic in agent code fails the test naming the agent and its type (mock: the panic's
/// message; live: the process died, with the message in its stderr).
#[swarm_test(topology = "mesh", agents = 3, agent = Panicky, trades = 6, snapshot = false)]
#[should_panic(expected = "(Panicky) panicked in")]
fn a_panicking_agent_fails_the_test() {}

/// Answers its first trade with an error, then holds.
#[derive(Debug, Default)]
struct Stale {
    warmed_up: bool,
}

impl Agent for Stale {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::new("trade_execution")]
    }

    fn on_trade(&mut self, _: &mut AgentCtx<'_>, _: &str) -> Result<Decision, AgentError> {
        if !std::mem::replace(&mut self.warmed_up, true) {
            return Err(AgentError::new("feed is stale"));
        }
        Ok(Decision::hold())
    }
}

/// An `Err` fails the task's attempt: counted against the agent (once each: the error is not
/// a crash, the agent keeps its state and answers the next trade), rerouted by the
/// strategy's rules (a task that met every agent's first trade fails); nothing is lost.
#[swarm_test(topology = "mesh", agents = 3, agent = Stale, trades = 6)]
fn an_erroring_agent_fails_only_its_attempts(report: &Report) {
    assert_eq!(report.tasks.completed + report.tasks.failed, 6);
    assert!(report.tasks.completed >= 5, "{:?}", report.tasks);
    assert_eq!(report.tasks.lost, 0);
    let errors: u64 = report.agents.iter().map(|a| a.errors).sum();
    assert!(errors > 0, "{:?}", report.agents);
    assert!(
        report.agents.iter().all(|a| a.errors <= 1),
        "{:?}",
        report.agents
    );
    assert!(report.tasks.rerouted > 0);
}

/// Reads the wall clock to size its orders: a bug in mock mode, where the run must be a
/// function of the seed.
#[derive(Debug, Default)]
struct WallClock;

impl Agent for WallClock {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::new("trade_execution")]
    }

    fn on_trade(&mut self, ctx: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError> {
        if ctx.id() != 2 {
            return Ok(Decision::hold());
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Ok(Decision::buy(symbol, 1 + u64::from(nanos % 1_000)))
    }
}

/// The subjects that other tests run in a child process (ignored in a plain run).
mod subjects {
    use super::*;

    #[swarm_test(topology = "mesh", agents = 3, agent = WallClock, trades = 6, snapshot = false)]
    #[ignore = "a subject of wall_clock_agents_are_named_by_the_determinism_check"]
    fn wall_clock() {}
}

/// `SWARM_TEST_CHECK_DETERMINISM=1` names the first agent whose answers differ between the
/// two runs of a seed, with its type.
#[test]
fn wall_clock_agents_are_named_by_the_determinism_check() {
    if std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live") {
        return; // The check is for mock mode.
    }
    let out = tests::subject("wall_clock")
        .env("SWARM_TEST_CHECK_DETERMINISM", "1")
        .output()
        .expect("the subject runs");
    let all = tests::printed(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("the first agent whose answers differ: agent 2 (WallClock)"),
        "{all}"
    );
    // Without the check, the same subject passes (the harness alone cannot see it).
    let out = tests::subject("wall_clock")
        .output()
        .expect("the subject runs");
    assert!(out.status.success(), "{}", tests::printed(&out));
}

/// The same tests again with every agent a real OS process (live mode, process backend).
#[test]
fn every_agent_test_also_passes_live() {
    tests::passes_live("every_agent_test_also_passes_live", 6);
}

/// Tells its neighbours what it saw and wakes itself later; buys only once it has heard from
/// a neighbour and its timer fired: without delivery of both, it never trades.
#[derive(Debug, Default)]
struct Gossip {
    heard: u32,
    woken: u32,
}

impl Agent for Gossip {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::new("trade_execution")]
    }

    fn on_trade(&mut self, ctx: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError> {
        for n in ctx.neighbours() {
            ctx.send(n, Payload::from(symbol))?;
        }
        ctx.set_timer(std::time::Duration::from_millis(5));
        Ok(if self.heard > 0 && self.woken > 0 {
            Decision::buy(symbol, 1)
        } else {
            Decision::hold()
        })
    }

    fn on_message(&mut self, _: &mut AgentCtx<'_>, _from: AgentId, _payload: &Payload) {
        self.heard += 1;
    }

    fn on_timer(&mut self, _: &mut AgentCtx<'_>, _timer: TimerId) {
        self.woken += 1;
    }
}

/// Messages along topology edges and timers reach the agents' hooks (mock mode; live agent
/// processes do not carry them yet).
#[swarm_test(topology = "mesh", agents = 4, agent = Gossip, trades = 12, snapshot = false)]
fn messages_and_timers_reach_the_agents(report: &Report) {
    if report.mode == swarm_test::Mode::Live {
        return;
    }
    assert!(report.trades.orders > 0, "{:?}", report.trades);
}
