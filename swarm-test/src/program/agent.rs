//! [`ProgramAgent`]: an [`Agent`] whose decisions come from an external program speaking the
//! agent protocol (`PROTOCOL.md`).
//!
//! Each hook becomes one request and blocks until the program's answer: the swarm does not
//! move meanwhile (in mock mode virtual time stands still), so a program that answers
//! deterministically gives a deterministic run. The wall-clock deadline only fails the test.
//!
//! A protocol violation panics in the hook, with the program's command, the offending line
//! and what was expected: the harness turns a panic in agent code into a failed test naming
//! the agent's id and type, the seed and the replay command, and ends the run cleanly. The
//! process is killed and reaped when the agent is dropped, whatever happened.
//!
//! In live mode the agent process (the re-executed test binary) builds the same
//! `ProgramAgent`, which starts the program as *its* child: a program agent is the pair, with
//! the same cleanup guarantees as every process the framework starts (see
//! [`child`](super::child)).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::agent::{Agent, AgentCtx, AgentError, Capability, Decision, Payload, TimerId};
use crate::core::{Proposal, Vote};

use super::child::Child;
use super::message::{
    Action, AgentInfo, Answer, Ballot, Effects, Market, ProposalInfo, Quote, Request,
    PROTOCOL_VERSION,
};

/// How many bar closes each symbol's `history` carries. The default value is 32.
pub const HISTORY_BARS: usize = 32;

/// An agent that is an external program (`program = "CMD"`). See the module docs.
///
/// ```no_run
/// use swarm_test::internals::program::ProgramAgent;
/// use swarm_test::Agent;
///
/// // Starts the program and does the handshake; its capabilities come from its `ready`.
/// let agent = ProgramAgent::new(&["python3", "examples/agents/momentum.py"], ".", 0);
/// println!("{:?}", agent.capabilities());
/// ```
#[derive(Debug)]
pub struct ProgramAgent {
    command: String,
    type_name: &'static str,
    child: Child,
    capabilities: Vec<Capability>,
    next_id: u64,
    /// The tag of each timer the program set, by the id the swarm gave it.
    timers: BTreeMap<TimerId, String>,
}

impl ProgramAgent {
    /// Starts `argv` (program, then arguments) in `cwd` as agent `agent` and does the
    /// handshake. Panics, naming the command, if the program cannot be started or breaks the
    /// protocol: that fails the test (as a panic in agent code does).
    pub fn new(argv: &[impl AsRef<str>], cwd: impl Into<PathBuf>, agent: usize) -> ProgramAgent {
        let argv: Vec<String> = argv.iter().map(|a| a.as_ref().to_owned()).collect();
        let command = argv.join(" ");
        let type_name: &'static str = Box::leak(format!("program({command:?})").into_boxed_str());
        let cwd = cwd.into();
        let child =
            Child::start(&argv, &cwd).unwrap_or_else(|e| panic!("agent program `{command}`: {e}"));
        let mut this = ProgramAgent {
            command,
            type_name,
            child,
            capabilities: Vec::new(),
            next_id: 0,
            timers: BTreeMap::new(),
        };
        let id = this.next();
        let hello = Request::Hello {
            id,
            protocol: PROTOCOL_VERSION,
            agent: agent as u64,
        };
        if let Answer::Ready { capabilities, .. } = this.ask(&hello) {
            this.capabilities = capabilities.into_iter().map(Capability::new).collect();
        }
        this
    }

    /// The command, as written in the attribute.
    pub fn command(&self) -> &str {
        &self.command
    }

    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Asks the program; a violation panics (see the module docs).
    fn ask(&mut self, request: &Request) -> Answer {
        match self.child.ask(request) {
            Ok(answer) => answer,
            Err(e) => panic!("agent program `{}` {e}", self.command),
        }
    }

    /// Asks the program and carries out its answer's messages and timers. A send the context
    /// refuses (not a neighbour) is returned as the agent's error.
    fn exchange(
        &mut self,
        ctx: &mut AgentCtx<'_>,
        request: Request,
    ) -> (Answer, Option<AgentError>) {
        let answer = self.ask(&request);
        let Effects { send, timers } = answer.effects();
        let mut refused = None;
        for message in send {
            let sent = usize::try_from(message.to)
                .map_err(|_| AgentError::new(format!("no agent {}", message.to)))
                .and_then(|to| ctx.send(to, Payload::new(message.payload)));
            if let Err(e) = sent {
                refused.get_or_insert(e);
            }
        }
        for timer in timers {
            let id = ctx.set_timer(Duration::from_millis(timer.after_ms));
            self.timers.insert(id, timer.tag);
        }
        (answer, refused)
    }

    /// Logs an `error` answer to a hook that has no error of its own.
    fn note(&self, ctx: &AgentCtx<'_>, hook: &str, answer: &Answer, refused: Option<AgentError>) {
        let message = match (answer, refused) {
            (Answer::Error { message, .. }, _) => message.clone(),
            (_, Some(e)) => e.to_string(),
            _ => return,
        };
        eprintln!(
            "swarm-test: agent {} (program `{}`) answered {hook} with an error: {message}",
            ctx.id(),
            self.command
        );
    }

    fn now_ms(ctx: &AgentCtx<'_>) -> u64 {
        ctx.now().as_millis() as u64
    }
}

/// The market data a request carries: every symbol's mid and last closes.
fn market(ctx: &mut AgentCtx<'_>) -> Market {
    let mut view = ctx.market();
    let mut market = Market::new();
    for symbol in view.symbols() {
        let Ok(mid) = view.mid(&symbol) else { continue };
        let history = view.closes(&symbol, HISTORY_BARS);
        market.insert(symbol, Quote { mid, history });
    }
    market
}

impl Agent for ProgramAgent {
    fn capabilities(&self) -> Vec<Capability> {
        self.capabilities.clone()
    }

    fn on_trade(&mut self, ctx: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError> {
        let market = market(ctx);
        let position = market
            .keys()
            .map(|s| (s.clone(), ctx.position(s)))
            .collect();
        let request = Request::Trade {
            id: self.next(),
            now_ms: Self::now_ms(ctx),
            symbol: symbol.to_owned(),
            market,
            position,
        };
        let (answer, refused) = self.exchange(ctx, request);
        if let Some(e) = refused {
            return Err(e);
        }
        match answer {
            Answer::Decision { action, .. } => Ok(match action {
                Action::Hold => Decision::hold(),
                Action::Buy {
                    symbol: s,
                    quantity,
                    limit,
                } => with_limit(
                    Decision::buy(s.as_deref().unwrap_or(symbol), quantity),
                    limit,
                ),
                Action::Sell {
                    symbol: s,
                    quantity,
                    limit,
                } => with_limit(
                    Decision::sell(s.as_deref().unwrap_or(symbol), quantity),
                    limit,
                ),
            }),
            Answer::Error { message, .. } => Err(AgentError::new(message)),
            other => unreachable!(
                "the decoder lets only a decision or an error answer a trade: {other:?}"
            ),
        }
    }

    fn on_vote(&mut self, ctx: &mut AgentCtx<'_>, proposal: &Proposal) -> Vote {
        let request = Request::Vote {
            id: self.next(),
            now_ms: Self::now_ms(ctx),
            proposal: ProposalInfo {
                symbol: proposal.symbol().to_owned(),
            },
            market: market(ctx),
        };
        let (answer, refused) = self.exchange(ctx, request);
        self.note(ctx, "vote", &answer, refused);
        match answer {
            Answer::Ballot { vote, .. } => match vote {
                Ballot::Buy => Vote::Buy,
                Ballot::Sell => Vote::Sell,
                Ballot::Hold => Vote::Hold,
            },
            _ => Vote::Hold,
        }
    }

    fn on_message(&mut self, ctx: &mut AgentCtx<'_>, from: crate::AgentId, payload: &Payload) {
        let request = Request::Message {
            id: self.next(),
            now_ms: Self::now_ms(ctx),
            from: from as u64,
            payload: payload.value().clone(),
        };
        let (answer, refused) = self.exchange(ctx, request);
        self.note(ctx, "message", &answer, refused);
    }

    fn on_timer(&mut self, ctx: &mut AgentCtx<'_>, timer: TimerId) {
        let Some(tag) = self.timers.remove(&timer) else {
            return;
        };
        let request = Request::Timer {
            id: self.next(),
            now_ms: Self::now_ms(ctx),
            tag,
        };
        let (answer, refused) = self.exchange(ctx, request);
        self.note(ctx, "timer", &answer, refused);
    }

    fn on_start(&mut self, ctx: &mut AgentCtx<'_>) {
        let role = serde_json::to_value(ctx.role())
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let request = Request::Start {
            id: self.next(),
            now_ms: Self::now_ms(ctx),
            agent: AgentInfo {
                id: ctx.id() as u64,
                role,
                neighbours: ctx.neighbours().into_iter().map(|n| n as u64).collect(),
            },
            seed: ctx.rng().next_u64(),
            market: market(ctx),
        };
        let (answer, refused) = self.exchange(ctx, request);
        self.note(ctx, "start", &answer, refused);
    }

    fn on_stop(&mut self, ctx: &mut AgentCtx<'_>) {
        let request = Request::Stop {
            id: self.next(),
            now_ms: Self::now_ms(ctx),
        };
        let (answer, refused) = self.exchange(ctx, request);
        self.note(ctx, "stop", &answer, refused);
    }

    fn type_name(&self) -> &'static str {
        self.type_name
    }
}

fn with_limit(decision: Decision, limit: Option<f64>) -> Decision {
    match limit {
        Some(price) => decision.limit(price),
        None => decision,
    }
}

impl Drop for ProgramAgent {
    fn drop(&mut self) {
        self.child.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{AgentRng, Outbox};
    use crate::market::{Market, Portfolio, DEFAULT_INITIAL_CAPITAL};
    use crate::rng::SimRng;
    use crate::topology::Topology;
    use swarm_test_spec::{MarketSpec, Regime, Role, TopologyKind};

    fn examples() -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/agents")
    }

    /// The world's side of one agent: what its context borrows.
    struct World {
        market: Market,
        portfolio: Portfolio,
        topology: Topology,
        rng: AgentRng,
        out: Outbox,
    }

    impl World {
        fn new() -> World {
            World {
                market: Market::new(&MarketSpec::Regime(Regime::Trending), SimRng::new(7)).unwrap(),
                portfolio: Portfolio::new(DEFAULT_INITIAL_CAPITAL),
                topology: Topology::new(TopologyKind::Ring, 4),
                rng: AgentRng::for_agent(7, 1),
                out: Outbox::default(),
            }
        }

        fn ctx(&mut self, t_ms: u64) -> AgentCtx<'_> {
            AgentCtx::new(
                1,
                Role::GenericTrader,
                t_ms * 1000,
                t_ms,
                &mut self.rng,
                &mut self.market,
                &self.portfolio,
                &self.topology,
                &mut self.out,
            )
        }
    }

    /// What one session with `argv` decides: the trade decisions and votes over time, and
    /// the messages and timers it asked for.
    fn session(argv: &[&str]) -> Vec<String> {
        let mut world = World::new();
        let mut agent = ProgramAgent::new(argv, examples(), 1);
        let mut seen = vec![format!("{:?}", agent.capabilities())];
        agent.on_start(&mut world.ctx(0));
        for step in 1..40 {
            let t = step * 50;
            let decision = agent.on_trade(&mut world.ctx(t), "SPY");
            let vote = agent.on_vote(&mut world.ctx(t), &Proposal::trade("SPY"));
            seen.push(format!("{t}: {decision:?} {vote:?}"));
        }
        let timers: Vec<TimerId> = world.out.timers.iter().map(|(id, _)| *id).collect();
        for timer in timers {
            agent.on_timer(&mut world.ctx(2000), timer);
        }
        agent.on_stop(&mut world.ctx(2500));
        seen.push(format!("messages {:?}", world.out.messages));
        seen.push(format!("timers {:?}", world.out.timers));
        seen
    }

    /// The two example programs trade through the protocol, and a program that answers from
    /// what it is sent gives the same session twice.
    #[test]
    fn the_example_programs_trade_deterministically() {
        for argv in [&["python3", "momentum.py"][..], &["node", "arb.js"][..]] {
            let first = session(argv);
            assert_eq!(first, session(argv), "{argv:?} is deterministic");
            let text = first.join("\n");
            assert!(text.contains("trade_execution"), "{text}");
            assert!(
                text.contains("Buy") || text.contains("Sell"),
                "{argv:?} trades:\n{text}"
            );
            if argv[1] == "momentum.py" {
                // It tells its first neighbour (agent 0 on the ring) and sets heartbeats.
                assert!(
                    text.contains("messages [(0, Payload(Object {\"signal\""),
                    "{text}"
                );
                assert!(text.contains("timers [(TimerId(0), 250000)"), "{text}");
            }
        }
    }

    /// The example failure in `PROTOCOL.md` is what a violation says.
    #[test]
    fn the_protocol_documents_failure_message_is_real() {
        let trade = Request::Trade {
            id: 3,
            now_ms: 0,
            symbol: "SPY".into(),
            market: Default::default(),
            position: BTreeMap::new(),
        };
        let line = r#"{"type":"decision","id":3,"action":"buy","#;
        let err = super::super::decode_answer(3, line, &super::super::Expected::answering(&trade))
            .unwrap_err();
        let message = format!(
            "agent program `python3 agents/momentum.py` {}",
            super::super::child::ProgramError::from(err)
        );
        let doc = include_str!("../../../PROTOCOL.md");
        assert!(doc.contains(&message), "{message}");
    }

    #[test]
    fn a_violation_panics_naming_the_command_the_line_and_what_was_expected() {
        let mut world = World::new();
        let mut agent = ProgramAgent::new(&["python3", "broken.py", "bad-json"], examples(), 1);
        assert_eq!(agent.type_name(), "program(\"python3 broken.py bad-json\")");
        let pid = agent.child.pid();
        agent.on_start(&mut world.ctx(0));
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = agent.on_trade(&mut world.ctx(10), "SPY");
        }))
        .unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with("agent program `python3 broken.py bad-json` broke the agent protocol: line 3 `{\"type\":\"decision\""),
            "{message}"
        );
        assert!(
            message.contains("expected `decision` or `error` with \"id\":3"),
            "{message}"
        );
        drop(agent);
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "reaped"
        );
    }
}
