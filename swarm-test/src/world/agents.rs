//! The agents of a run, as the world holds them: one [`Agent`] per agent id, built per agent
//! (the test's factory for user agents, the built-in role otherwise), its random stream and
//! its outbox. The world calls their hooks here, catching panics, and knows nothing else of
//! what they are.

use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};

use swarm_test_spec::{AgentFactory, Role};

use crate::agent::{Agent, AgentCtx, AgentRng, Decision, Outbox, Payload, TimerId};
use crate::market::{Market, Portfolio};
use crate::topology::{AgentId, Topology};

/// A panic in an agent's hook: who, what type, what it said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AgentPanic {
    /// The agent.
    pub(crate) agent: AgentId,
    /// Its type's name (the user's type, or the built-in role).
    pub(crate) type_name: String,
    /// The panic's message.
    pub(crate) message: String,
    /// The hook it panicked in.
    pub(crate) hook: &'static str,
}

struct Slot {
    agent: Box<dyn Agent>,
    type_name: &'static str,
    user: bool,
    rng: AgentRng,
    out: Outbox,
    /// It panicked once: its state is suspect, so it is never called again.
    poisoned: bool,
}

/// Every agent of the run, by id.
pub(crate) struct Agents {
    slots: Vec<Slot>,
    factory: Option<AgentFactory>,
    seed: u64,
    /// Agents whose outbox has something, in the order they filled it.
    sending: Vec<AgentId>,
    /// Panics not yet acted on by the world (the agent is killed at the next drain).
    pub(crate) fresh_panics: Vec<AgentId>,
    /// Every panic of the run, in order.
    pub(crate) panics: Vec<AgentPanic>,
    /// Per agent: what each hook call returned, as (run time µs, hash of the answer), for
    /// the determinism check to name the first agent whose answers differ.
    pub(crate) outputs: Vec<Vec<(u64, u64)>>,
}

/// The first agent whose answers differ between two runs of one seed: its id, its type, and
/// the run time of its first differing answer, µs.
pub(crate) fn first_divergent(
    a: &[(String, Vec<(u64, u64)>)],
    b: &[(String, Vec<(u64, u64)>)],
) -> Option<(AgentId, String, u64)> {
    let mut first: Option<(AgentId, String, u64)> = None;
    for (id, ((name, x), (_, y))) in a.iter().zip(b).enumerate() {
        let at = (0..x.len().max(y.len())).find(|&i| x.get(i) != y.get(i));
        if let Some(i) = at {
            let t = x.get(i).or(y.get(i)).map_or(0, |o| o.0);
            if first.as_ref().is_none_or(|f| t < f.2) {
                first = Some((id, name.clone(), t));
            }
        }
    }
    first
}

impl fmt::Debug for Agents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.slots.iter().map(|s| s.type_name))
            .finish()
    }
}

/// Builds agent `id`: the factory's user agent, if it has one for `id`, else `role`'s.
pub(crate) fn build(
    factory: Option<&AgentFactory>,
    id: AgentId,
    role: Role,
) -> (Box<dyn Agent>, bool) {
    let user = factory
        .and_then(|f| f.build(id))
        .and_then(|any| any.downcast::<Box<dyn Agent>>().ok())
        .map(|b| *b);
    match user {
        Some(agent) => (agent, true),
        None => (crate::roles::builtin(role), false),
    }
}

impl Agents {
    /// The agents of a run with `seed`, one per role; a user agent's role becomes
    /// `generic_trader` (its strategy's book). Returns the capability lists of user agents,
    /// for the router.
    pub(crate) fn new(
        factory: Option<AgentFactory>,
        seed: u64,
        roles: &mut [Role],
    ) -> (Agents, Vec<(AgentId, &'static [&'static str])>) {
        let mut agents = Agents {
            slots: Vec::with_capacity(roles.len()),
            factory,
            seed,
            sending: Vec::new(),
            fresh_panics: Vec::new(),
            panics: Vec::new(),
            outputs: Vec::new(),
        };
        let mut caps = Vec::new();
        for (id, role) in roles.iter_mut().enumerate() {
            if let Some(c) = agents.add(id, role) {
                caps.push((id, c));
            }
        }
        (agents, caps)
    }

    /// Builds agent `id` (a newcomer, or one of setup); returns a user agent's capabilities.
    pub(crate) fn add(&mut self, id: AgentId, role: &mut Role) -> Option<&'static [&'static str]> {
        let (agent, user) = build(self.factory.as_ref(), id, *role);
        let caps = user.then(|| crate::agent::interned_list(&agent.capabilities()));
        if user {
            *role = Role::GenericTrader;
        }
        let slot = Slot {
            type_name: agent.type_name(),
            agent,
            user,
            rng: agent_rng(self.seed, id),
            out: Outbox::default(),
            poisoned: false,
        };
        if id < self.slots.len() {
            self.slots[id] = slot;
        } else {
            self.slots.push(slot);
        }
        caps
    }

    /// What each agent sent and set since the last call, in the order they did: (agent,
    /// messages, timers).
    #[allow(clippy::type_complexity)]
    pub(crate) fn take_outboxes(
        &mut self,
    ) -> Vec<(AgentId, Vec<(AgentId, Payload)>, Vec<(TimerId, u64)>)> {
        std::mem::take(&mut self.sending)
            .into_iter()
            .filter_map(|id| {
                let out = &mut self.slots.get_mut(id)?.out;
                Some((
                    id,
                    std::mem::take(&mut out.messages),
                    std::mem::take(&mut out.timers),
                ))
            })
            .collect()
    }

    /// Every agent's type and answers, for the determinism check.
    pub(crate) fn answers(&self) -> Vec<(String, Vec<(u64, u64)>)> {
        (0..self.slots.len())
            .map(|id| {
                (
                    self.type_name(id).to_owned(),
                    self.outputs.get(id).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Agent `id`'s type name, for the report.
    pub(crate) fn type_name(&self, id: AgentId) -> &'static str {
        self.slots.get(id).map_or("unknown", |s| s.type_name)
    }

    /// Whether agent `id` is a user's agent.
    pub(crate) fn is_user(&self, id: AgentId) -> bool {
        self.slots.get(id).is_some_and(|s| s.user)
    }

    /// Calls `hook` on agent `id` with a context over `market` and `portfolio` as of `now_us`
    /// (market time `t_ms`); `None` if it panicked (now or before).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call<R: fmt::Debug>(
        &mut self,
        id: AgentId,
        role: Role,
        hook: &'static str,
        now_us: u64,
        t_ms: u64,
        market: &mut Market,
        portfolio: &Portfolio,
        topology: &Topology,
        f: impl FnOnce(&mut dyn Agent, &mut AgentCtx<'_>) -> R,
    ) -> Option<R> {
        let slot = self.slots.get_mut(id)?;
        if slot.poisoned {
            return None;
        }
        let Slot {
            agent, rng, out, ..
        } = slot;
        let had = !out.messages.is_empty() || !out.timers.is_empty();
        let mut ctx = AgentCtx::new(
            id, role, now_us, t_ms, rng, market, portfolio, topology, out,
        );
        let result = catch_unwind(AssertUnwindSafe(|| f(agent.as_mut(), &mut ctx)));
        if !had && (!slot.out.messages.is_empty() || !slot.out.timers.is_empty()) {
            self.sending.push(id);
        }
        match result {
            Ok(r) => {
                if self.outputs.len() <= id {
                    self.outputs.resize(id + 1, Vec::new());
                }
                let mut answer = crate::rng::Fnv1a::default();
                let _ = write!(answer, "{hook} {r:?}");
                self.outputs[id].push((now_us, answer.0));
                Some(r)
            }
            Err(payload) => {
                slot.poisoned = true;
                self.fresh_panics.push(id);
                self.panics.push(AgentPanic {
                    agent: id,
                    type_name: slot.type_name.to_owned(),
                    message: crate::error::panic_message(payload.as_ref()),
                    hook,
                });
                None
            }
        }
    }

    /// Every panic of the run, as failure lines (`agent 2 (Breakout) panicked in on_trade: …`).
    pub(crate) fn panic_lines(&self) -> Vec<String> {
        self.panics
            .iter()
            .map(|p| {
                format!(
                    "agent {} ({}) panicked in {}: {}",
                    p.agent, p.type_name, p.hook, p.message
                )
            })
            .collect()
    }

    /// Agent `id`'s decision about `symbol`, as the desk books it; `Err` with the agent's
    /// message for an error answer, or with the panic for a panic.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn trade(
        &mut self,
        id: AgentId,
        role: Role,
        now_us: u64,
        t_ms: u64,
        market: &mut Market,
        portfolio: &Portfolio,
        topology: &Topology,
        symbol: &str,
    ) -> Result<Decision, String> {
        match self.call(
            id,
            role,
            "on_trade",
            now_us,
            t_ms,
            market,
            portfolio,
            topology,
            |a, ctx| a.on_trade(ctx, symbol),
        ) {
            Some(Ok(d)) => Ok(d),
            Some(Err(e)) => Err(e.to_string()),
            None => Err(format!("agent {id} panicked")),
        }
    }
}

/// Agent `id`'s random stream in a run with `seed` (the same in the controller, in mock mode
/// and in the agent's own process).
pub(crate) fn agent_rng(seed: u64, id: AgentId) -> AgentRng {
    AgentRng::for_agent(seed ^ crate::rng::fnv1a(b"agents"), id)
}
