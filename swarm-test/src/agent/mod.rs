//! Your own agents: the sans-IO [`Agent`] trait and its vocabulary.
//!
//! An agent is a type whose every input comes through its [`AgentCtx`]: the same code runs in
//! mock mode (in-process, virtual time, deterministic from the seed) and in live mode (its own
//! OS process). The built-in roles implement the same trait.

mod ctx;
mod decision;
mod error;
mod vocab;

pub(crate) use ctx::Outbox;
pub use ctx::{AgentCtx, AgentRng, MarketView};
pub use decision::Decision;
pub use error::AgentError;
pub(crate) use vocab::interned_list;
pub use vocab::{Capability, Payload, TimerId};

use crate::core::{Proposal, Vote};
use crate::market::Side;
use crate::topology::AgentId;

/// A trading agent: the code under test.
///
/// Only [`capabilities`](Agent::capabilities) and [`on_trade`](Agent::on_trade) are required;
/// the other hooks have defaults. Hooks never block or do I/O: messages and timers go through
/// the context and are carried out by the swarm after the hook returns.
///
/// A panic in a hook fails the test naming the agent, its type, the message, the seed and the
/// replay command; an `Err` from [`on_trade`](Agent::on_trade) fails only that task.
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[derive(Debug, Default)]
/// struct Breakout { highs: Vec<f64> }
///
/// impl Agent for Breakout {
///     // What the router matches tasks against (the built-in flow's trades need
///     // "trade_execution").
///     fn capabilities(&self) -> Vec<Capability> { vec![Capability::new("trade_execution")] }
///
///     // A trade task reached this agent. An Err fails the task with its message (counted,
///     // rerouted by the strategy's rules); it is not a crash.
///     fn on_trade(&mut self, ctx: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError> {
///         let mid = ctx.market().mid(symbol)?;
///         self.highs.push(mid);
///         Ok(if mid >= self.highs.iter().cloned().fold(f64::MIN, f64::max) {
///             Decision::buy(symbol, 10)
///         } else {
///             Decision::hold()
///         })
///     }
/// }
///
/// // Every agent a Breakout (built with Default; `agent = Breakout::new(20)` takes an
/// // expression, evaluated once per agent).
/// #[swarm_test(topology = "ring", agents = 5, agent = Breakout, inject = "crash(random) @ 1s")]
/// fn breakout_survives_a_crash(report: &Report) {
///     assert_eq!(report.tasks.lost, 0);
/// }
///
/// // A mixed roster: user types and built-in roles.
/// #[swarm_test(topology = "star", agents = 4, roles = [Breakout * 2, "risk_manager", "momentum_trader"])]
/// fn mixed_roster() {}
///
/// // The swarm builds one per agent and keeps it as a trait object; the report names its type.
/// let agent: Box<dyn Agent> = Box::new(Breakout::default());
/// assert_eq!(agent.type_name(), "Breakout");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a swarm-test agent",
    label = "this type does not implement `swarm_test::Agent`",
    note = "implement `swarm_test::Agent` for it (`capabilities` and `on_trade` at least), or name a built-in role in `roles = [..]`"
)]
pub trait Agent: Send + 'static {
    /// What this agent can do; the router sends it only tasks whose required capability is
    /// in this list. Asked once, when the agent is built.
    fn capabilities(&self) -> Vec<Capability>;

    /// A trade task on `symbol` reached this agent: buy, sell or hold. An `Err` fails the task
    /// with its message (counted, rerouted by the strategy's rules); it is not a crash.
    fn on_trade(&mut self, ctx: &mut AgentCtx<'_>, symbol: &str) -> Result<Decision, AgentError>;

    /// A consensus round asks for this agent's vote. The default votes what
    /// [`on_trade`](Agent::on_trade) would decide about the proposal's symbol (buy, sell, or
    /// hold for a hold or an error).
    fn on_vote(&mut self, ctx: &mut AgentCtx<'_>, proposal: &Proposal) -> Vote {
        match self.on_trade(ctx, proposal.symbol()) {
            Ok(d) => match d.side() {
                Some(Side::Buy) => Vote::Buy,
                Some(Side::Sell) => Vote::Sell,
                None => Vote::Hold,
            },
            Err(_) => Vote::Hold,
        }
    }

    /// A neighbour's [`AgentCtx::send`] arrived. The default ignores it.
    fn on_message(&mut self, ctx: &mut AgentCtx<'_>, from: AgentId, payload: &Payload) {
        let _ = (ctx, from, payload);
    }

    /// A timer this agent set ([`AgentCtx::set_timer`]) fired. The default ignores it.
    fn on_timer(&mut self, ctx: &mut AgentCtx<'_>, timer: TimerId) {
        let _ = (ctx, timer);
    }

    /// The agent started (before its first task). The default does nothing.
    fn on_start(&mut self, ctx: &mut AgentCtx<'_>) {
        let _ = ctx;
    }

    /// The run is ending (after its last task). The default does nothing.
    fn on_stop(&mut self, ctx: &mut AgentCtx<'_>) {
        let _ = ctx;
    }

    /// The name the report gives this agent's type. The default is the type's name without
    /// its module path (`Breakout`); the built-in roles give their role's name.
    fn type_name(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }
}

/// `a::b::Breakout<c::D>` → `Breakout<D>`: the type's name without module paths.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    // Generic arguments keep their paths only when there are any; the common case is a
    // plain path, whose last segment is a sub-slice of the full name.
    if !full.contains('<') {
        return full.rsplit("::").next().unwrap_or(full);
    }
    let mut out = String::new();
    let mut segment = String::new();
    for c in full.chars() {
        match c {
            ':' => segment.clear(),
            '<' | '>' | ',' | ' ' | '(' | ')' | '[' | ']' | ';' | '&' => {
                out.push_str(&segment);
                segment.clear();
                out.push(c);
            }
            _ => segment.push(c),
        }
    }
    out.push_str(&segment);
    Box::leak(out.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_drop_module_paths() {
        assert_eq!(short_type_name("a::b::Breakout"), "Breakout");
        assert_eq!(short_type_name("Breakout"), "Breakout");
        assert_eq!(short_type_name("a::W<b::X, c::Y>"), "W<X, Y>");
    }
}
