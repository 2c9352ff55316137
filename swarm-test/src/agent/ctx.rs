//! Everything an agent sees of the run, handed to each hook: who it is, the time, its random
//! stream, the market, its positions, its neighbours, and where its messages and timers go.

use std::time::Duration;

use swarm_test_spec::Role;

use super::{AgentError, Payload, TimerId};
use crate::market::{Market, Portfolio};
use crate::rng::SimRng;
use crate::topology::{AgentId, Topology};

/// One agent's random stream, seeded per agent from the run's seed: the same seed gives the
/// same draws, in mock and in live mode.
#[derive(Debug, Clone)]
pub struct AgentRng(SimRng);

impl AgentRng {
    /// The stream of agent `id` in a run whose agents' root seed is `root`.
    pub(crate) fn for_agent(root: u64, id: AgentId) -> Self {
        let mut base = SimRng::new(root ^ crate::rng::fnv1a(&(id as u64).to_le_bytes()));
        AgentRng(base.split("agent"))
    }

    /// 64 uniformly random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.0.uniform()
    }

    /// Uniform integer in `[0, n)`; 0 when `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.chance(p)
    }

    /// A standard normal draw.
    pub fn normal(&mut self) -> f64 {
        self.0.normal()
    }
}

/// What an agent's hooks send and schedule, collected for the driver to carry out after the
/// hook returns (the agent never does I/O itself).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Messages to neighbours, in the order sent.
    pub(crate) messages: Vec<(AgentId, Payload)>,
    /// Timers set: the id and the delay from now, µs.
    pub(crate) timers: Vec<(TimerId, u64)>,
    /// The next timer id this agent hands out.
    pub(crate) next_timer: u64,
}

impl Outbox {
    /// Forgets what was sent and set (where the driver does not carry them out yet).
    pub(crate) fn clear(&mut self) {
        self.messages.clear();
        self.timers.clear();
    }
}

/// The prices and bars of the run's market, as of the hook's virtual time.
#[derive(Debug)]
pub struct MarketView<'a> {
    market: &'a mut Market,
    t_ms: u64,
}

impl MarketView<'_> {
    /// The mid price of `symbol` now. Errors: an unknown symbol.
    pub fn mid(&mut self, symbol: &str) -> Result<f64, AgentError> {
        self.market
            .try_mid(symbol, self.t_ms)
            .ok_or_else(|| AgentError::UnknownSymbol(symbol.to_owned()))
    }

    /// The last `n` (or fewer) bar closes of `symbol` at or before now, oldest first; empty for
    /// an unknown symbol.
    pub fn closes(&mut self, symbol: &str, n: usize) -> Vec<f64> {
        self.market.history(symbol, self.t_ms, n)
    }

    /// The second venue's quote for `symbol` now, if the market has one.
    pub fn venue_quote(&mut self, symbol: &str) -> Option<f64> {
        self.market.venue_quote(symbol, self.t_ms)
    }

    /// The symbol `symbol` is paired with (for pairs trading), if any.
    pub fn partner(&self, symbol: &str) -> Option<String> {
        self.market.partner(symbol)
    }

    /// The market's symbols.
    pub fn symbols(&self) -> Vec<String> {
        self.market.symbols()
    }

    /// The market clock now, ms.
    pub fn time_ms(&self) -> u64 {
        self.t_ms
    }
}

/// An agent's view of the run during one hook call. Every input comes through it, so the same
/// agent code runs in mock mode (virtual time, deterministic) and in live mode (its own
/// process).
///
/// See [`Agent`](super::Agent) for an example.
#[derive(Debug)]
pub struct AgentCtx<'a> {
    id: AgentId,
    role: Role,
    now_us: u64,
    t_ms: u64,
    rng: &'a mut AgentRng,
    market: &'a mut Market,
    portfolio: &'a Portfolio,
    topology: &'a Topology,
    out: &'a mut Outbox,
}

impl<'a> AgentCtx<'a> {
    /// The context of agent `id` at run time `now_us` (market time `t_ms`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: AgentId,
        role: Role,
        now_us: u64,
        t_ms: u64,
        rng: &'a mut AgentRng,
        market: &'a mut Market,
        portfolio: &'a Portfolio,
        topology: &'a Topology,
        out: &'a mut Outbox,
    ) -> Self {
        AgentCtx {
            id,
            role,
            now_us,
            t_ms,
            rng,
            market,
            portfolio,
            topology,
            out,
        }
    }

    /// This agent's index in the swarm.
    pub fn id(&self) -> AgentId {
        self.id
    }

    /// This agent's role: its strategy, under which its orders are booked (a user's agent
    /// outside a roster is a `generic_trader`).
    pub fn role(&self) -> Role {
        self.role
    }

    /// The time since the run started: virtual in mock mode, the real clock live.
    pub fn now(&self) -> Duration {
        Duration::from_micros(self.now_us)
    }

    /// This agent's random stream (seeded per agent from the run's seed).
    pub fn rng(&mut self) -> &mut AgentRng {
        self.rng
    }

    /// The run's market, as of now.
    pub fn market(&mut self) -> MarketView<'_> {
        MarketView {
            market: self.market,
            t_ms: self.t_ms,
        }
    }

    /// The position this agent's strategy (its role) holds in `symbol`, shares (negative:
    /// short). Agents of one role share their strategy's positions.
    pub fn position(&self, symbol: &str) -> i64 {
        self.portfolio.strategy_position(self.role, symbol)
    }

    /// The agents this one shares a topology edge with, by id.
    pub fn neighbours(&self) -> Vec<AgentId> {
        self.topology.neighbours(self.id).collect()
    }

    /// Sends `payload` to neighbour `to` (delivered through the swarm's network, with its
    /// latency and faults, to `to`'s [`on_message`](super::Agent::on_message)). Errors: `to`
    /// is not a neighbour.
    pub fn send(&mut self, to: AgentId, payload: impl Into<Payload>) -> Result<(), AgentError> {
        if !self.topology.is_edge(self.id, to) {
            return Err(AgentError::NotANeighbour { from: self.id, to });
        }
        self.out.messages.push((to, payload.into()));
        Ok(())
    }

    /// Asks for [`on_timer`](super::Agent::on_timer) to be called `after` from now (virtual
    /// time in mock mode).
    pub fn set_timer(&mut self, after: Duration) -> TimerId {
        let id = TimerId(self.out.next_timer);
        self.out.next_timer += 1;
        self.out.timers.push((id, after.as_micros() as u64));
        id
    }

    /// The market and the portfolio, for the built-in roles' rules.
    pub(crate) fn desk(&mut self) -> (&mut Market, &Portfolio, u64) {
        (self.market, self.portfolio, self.t_ms)
    }
}
