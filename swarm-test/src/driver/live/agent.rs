//! The agent program: what a live agent process runs.
//!
//! The live controller starts the test binary again with [`AGENT_VAR`] set; the generated
//! test calls the harness, which sees the variable before anything else and runs
//! [`main`] instead of a test. The agent reads frames from stdin, does the work the controller
//! asks for with the same agent as mock mode (the test's own [`Agent`](crate::Agent), built
//! from the same factory, or the built-in role; on a market built from the run's seed), carries out the faults that act inside a process (CPU burn, memory growth,
//! error answers), and exits when stdin closes, on [`ToAgent::Shutdown`], or on a frame it
//! cannot read (after saying why).
//!
//! The agent writes frames to the stdout it was given and points its own stdout at stderr
//! first, so nothing else it prints can corrupt the stream.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use swarm_test_spec::{Role, Spec, SpecError};

use crate::agent::{AgentCtx, AgentRng, Outbox};
use crate::core::{roles_for, Proposal, Step, Vote};
use crate::market::{Intent, Market, Portfolio, RegimeSegment, Side, BAR_MS, WARMUP_BARS};
use crate::rng::{fnv1a, SimRng};
use crate::topology::{AgentId, Topology};
use crate::wire::{
    encode, AgentFault, Decoder, FromAgent, MarketEvent, ToAgent, TradeRequest, WorkOrder,
    WorkOutcome,
};

/// The environment variable that turns a test binary into an agent:
/// `SWARM_TEST_AGENT=<run token>:<agent id>:<seed>:<test path>`.
pub const AGENT_VAR: &str = "SWARM_TEST_AGENT";

/// The environment variable that gives an agent its role when the test's roster does not
/// list it (an agent that joined at run time: autoscaling, a new version):
/// `SWARM_TEST_AGENT_ROLE=momentum_trader`. The roster's role wins for the agents it lists.
pub const ROLE_VAR: &str = "SWARM_TEST_AGENT_ROLE";

/// Period of the CPU burner's duty cycle.
const BURN_PERIOD: Duration = Duration::from_millis(10);

/// How often a memory leak allocates.
const LEAK_TICK: Duration = Duration::from_millis(20);

/// Who this agent process is, from [`AGENT_VAR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEnv {
    /// The run's token; echoed in the handshake.
    pub run: String,
    /// Which agent.
    pub agent: AgentId,
    /// The run's seed (the market is built from it).
    pub seed: u64,
    /// The test path the controller selected (for error messages).
    pub test: String,
}

impl AgentEnv {
    /// The variable's value.
    pub fn value(&self) -> String {
        format!("{}:{}:{}:{}", self.run, self.agent, self.seed, self.test)
    }

    /// Parses the variable's value.
    pub fn parse(value: &str) -> Result<AgentEnv, AgentEnvError> {
        let mut parts = value.splitn(4, ':');
        let bad = || AgentEnvError {
            value: value.to_owned(),
        };
        let run = parts.next().filter(|r| !r.is_empty()).ok_or_else(bad)?;
        let agent = parts.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
        let seed = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let test = parts.next().ok_or_else(bad)?;
        Ok(AgentEnv {
            run: run.to_owned(),
            agent,
            seed,
            test: test.to_owned(),
        })
    }

    /// `Some` when this process was started as an agent.
    pub fn from_env() -> Option<Result<AgentEnv, AgentEnvError>> {
        let value = std::env::var(AGENT_VAR).ok()?;
        Some(AgentEnv::parse(&value))
    }
}

/// The agent variable is set but its value is not one swarm-test's live mode wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{AGENT_VAR}={value:?} is not valid: expected `<run>:<agent>:<seed>:<test path>` \
     (it is set by swarm-test's live mode; unset it to run tests normally)"
)]
pub struct AgentEnvError {
    /// The variable's value.
    pub value: String,
}

/// If this process is an agent, runs the agent program for the spec `spec` builds, and exits
/// the process; otherwise returns. Called first thing by the harness (and by a custom `main`,
/// such as a bench's, that starts live swarms).
pub fn run_if_agent(spec: impl FnOnce() -> Result<Spec, SpecError>) {
    if let Some(env) = AgentEnv::from_env() {
        main(env, spec())
    }
}

/// The agent program. Never returns: the process exits.
pub fn main(env: Result<AgentEnv, AgentEnvError>, spec: Result<Spec, SpecError>) -> ! {
    let mut out = take_stdout();
    let fail = |out: &mut File, message: String| -> ! {
        send(out, &FromAgent::Failed { message });
        std::process::exit(2)
    };
    let env = env.unwrap_or_else(|e| fail(&mut out, e.to_string()));
    let spec = spec.unwrap_or_else(|e| {
        fail(
            &mut out,
            format!("agent {}: invalid test specification: {e}", env.agent),
        )
    });
    let mut agent = Agent::new(&spec, &env).unwrap_or_else(|e| fail(&mut out, e));
    send(
        &mut out,
        &FromAgent::Ready {
            run: env.run.clone(),
            agent: env.agent,
            pid: std::process::id(),
        },
    );
    let mut stdin = std::io::stdin().lock();
    let mut decoder = Decoder::new("the controller");
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => std::process::exit(0), // The controller is gone.
            Ok(n) => n,
        };
        decoder.push(&buf[..n]);
        loop {
            match decoder.next_frame::<ToAgent>() {
                Ok(Some(ToAgent::Shutdown)) => std::process::exit(0),
                Ok(Some(message)) => {
                    if matches!(message, ToAgent::Work(_)) {
                        planted_crash(env.agent);
                    }
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        agent.handle(message)
                    })) {
                        Ok(Some(reply)) => send(&mut out, &reply),
                        Ok(None) => {}
                        Err(panic) => {
                            // A panic in the agent's code: say who and what to the controller
                            // (which fails the run with it), then die as a panicking process
                            // does, without unwinding into the test harness.
                            let message = format!(
                                "agent {} ({}) panicked in its code: {}",
                                env.agent,
                                agent.code.type_name(),
                                crate::error::panic_message(panic.as_ref())
                            );
                            eprintln!("{message}");
                            send(&mut out, &FromAgent::Failed { message });
                            std::process::exit(101);
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => fail(
                    &mut out,
                    format!("agent {} could not read the controller: {e}", env.agent),
                ),
            }
        }
    }
}

/// The `agent_panics` and `agent_segfaults` bugs (see [`crate::config::InjectedBug`]): agent 1
/// dies on its first trade. Agents inherit the test's environment.
fn planted_crash(agent: AgentId) {
    use crate::config::{InjectedBug, INJECT_BUG_VAR};
    if agent != 1 {
        return;
    }
    let bug = std::env::var(INJECT_BUG_VAR).unwrap_or_default();
    if bug == InjectedBug::AgentPanics.as_str() {
        panic!("agent {agent} panics (injected bug agent_panics)");
    }
    if bug == InjectedBug::AgentSegfaults.as_str() {
        // SAFETY: none; this is the planted bug. The write faults and the process dies.
        unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
    }
}

/// The frame channel: the stdout this process was started with. From here on, fd 1 points at
/// stderr, so stray prints cannot corrupt frames.
fn take_stdout() -> File {
    let _ = std::io::stdout().flush();
    // SAFETY: dup/dup2/close on the standard descriptors; the duplicated fd is owned by the
    // File alone. Without both, frames and stray prints would share fd 1 (or fd 1 would be
    // owned twice), so the agent stops with the reason instead.
    unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            let e = std::io::Error::last_os_error();
            if fd >= 0 {
                libc::close(fd);
            }
            eprintln!("swarm-test agent: cannot move stdout aside for frames ({e}); exiting");
            std::process::exit(70);
        }
        File::from_raw_fd(fd)
    }
}

fn send(out: &mut File, message: &FromAgent) {
    let Ok(bytes) = encode(message) else { return };
    if out.write_all(&bytes).is_err() {
        std::process::exit(0); // The controller is gone.
    }
}

/// One agent's state: its code, its role, its copy of the market, the faults in force inside
/// it.
struct Agent {
    id: AgentId,
    role: Role,
    code: Box<dyn crate::agent::Agent>,
    rng: AgentRng,
    outbox: Outbox,
    topology: Topology,
    market: Market,
    errors: SimRng,
    error_rates: BTreeMap<u32, f64>,
    stops: BTreeMap<u32, Arc<AtomicBool>>,
    calm_before: BTreeMap<u32, RegimeSegment>,
    leaked: Arc<LeakPool>,
}

/// Memory deliberately kept: pages allocated and written, never freed until exit.
#[derive(Default)]
struct LeakPool {
    chunks: Mutex<Vec<Vec<u8>>>,
    bytes: AtomicU64,
}

impl Agent {
    fn new(spec: &Spec, env: &AgentEnv) -> Result<Agent, String> {
        let roles = roles_for(spec.topology, spec.agents, spec.roles.as_ref());
        let joined = || {
            let role = std::env::var(ROLE_VAR).ok()?;
            Role::parse(&role).ok()
        };
        let role = roles
            .get(env.agent)
            .copied()
            .or_else(joined)
            .ok_or_else(|| {
                format!(
                    "agent {} does not exist in `{}`, which has {} agents (and {ROLE_VAR} names \
                 no role for a joining agent)",
                    env.agent,
                    env.test,
                    roles.len()
                )
            })?;
        // The same split as the controller's (and mock mode's): the market is the run's first.
        let market = Market::new(&spec.market, SimRng::new(env.seed).split("market"))
            .map_err(|e| format!("agent {}: {e}", env.agent))?;
        let errors =
            SimRng::new(env.seed ^ fnv1a(format!("agent {} errors", env.agent).as_bytes()));
        // The same agent as the controller's world builds (and mock mode's): the test's
        // factory, else the role's built-in agent.
        let (code, user) = crate::world::build_agent(spec.agent_factory.as_ref(), env.agent, role);
        let role = if user { Role::GenericTrader } else { role };
        Ok(Agent {
            id: env.agent,
            role,
            code,
            rng: crate::world::agent_rng(env.seed, env.agent),
            outbox: Outbox::default(),
            topology: Topology::new(spec.topology, spec.agents),
            market,
            errors,
            error_rates: BTreeMap::new(),
            stops: BTreeMap::new(),
            calm_before: BTreeMap::new(),
            leaked: Arc::new(LeakPool::default()),
        })
    }

    fn handle(&mut self, message: ToAgent) -> Option<FromAgent> {
        match message {
            ToAgent::Deliver { seq, .. } => Some(FromAgent::Delivered { seq }),
            ToAgent::Ping { seq } => Some(FromAgent::Pong { seq }),
            ToAgent::Vote { round, trade } => Some(FromAgent::Voted {
                round,
                vote: self.vote(&trade),
            }),
            ToAgent::Work(order) => {
                let work = order.work;
                Some(FromAgent::WorkDone {
                    work,
                    outcome: self.work(order),
                })
            }
            ToAgent::Fault(fault) => {
                self.fault(fault);
                None
            }
            ToAgent::Market(event) => {
                self.market_event(event);
                None
            }
            ToAgent::Shutdown => None,
        }
    }

    fn work(&mut self, order: WorkOrder) -> WorkOutcome {
        // As in mock mode (`Sim::finish_work`): any step but a plain forward can fail, so a
        // failing pipeline stage trips its breaker and is routed around.
        if order.step != Step::Forward {
            let rate = self
                .error_rates
                .values()
                .fold(0.0, |acc, r| 1.0 - (1.0 - acc) * (1.0 - r));
            if rate > 0.0 && self.errors.chance(rate) {
                return WorkOutcome::Error {
                    message: format!("agent {} answered with an injected error", self.id),
                };
            }
        }
        let decision = match order.trade {
            Some(t) => match self.decide(&t) {
                Ok(d) => Some(d),
                Err(message) => return WorkOutcome::Error { message },
            },
            None => None,
        };
        WorkOutcome::Done { decision }
    }

    /// The agent's decision on the trade, as the desk books it; `Err` with the agent's
    /// message for an error answer. A panic is not caught: the process dies, and the
    /// controller fails the run naming the agent, with its stderr (the panic message).
    fn decide(&mut self, t: &TradeRequest) -> Result<Intent, String> {
        let decision = self.call(t, |agent, ctx| agent.on_trade(ctx, &t.symbol));
        let decision = decision.map_err(|e| e.to_string())?;
        Ok(decision.into_intent(self.role, t.at_ms, &mut self.market))
    }

    fn vote(&mut self, t: &TradeRequest) -> Vote {
        let proposal = Proposal::trade(t.symbol.clone());
        self.call(t, |agent, ctx| agent.on_vote(ctx, &proposal))
    }

    /// Runs one hook of the agent's code with its context as of `t`. What the hook sent or
    /// set is dropped: live mode has no wire message for it yet (README, "Testing your own
    /// agents").
    fn call<R>(
        &mut self,
        t: &TradeRequest,
        hook: impl FnOnce(&mut dyn crate::agent::Agent, &mut AgentCtx<'_>) -> R,
    ) -> R {
        let portfolio = self.book(t);
        let mut ctx = AgentCtx::new(
            self.id,
            self.role,
            run_us(t.at_ms),
            t.at_ms,
            &mut self.rng,
            &mut self.market,
            &portfolio,
            &self.topology,
            &mut self.outbox,
        );
        let answer = hook(self.code.as_mut(), &mut ctx);
        self.outbox.clear();
        answer
    }

    /// The strategy's book as the controller's desk reports it in the request.
    fn book(&mut self, t: &TradeRequest) -> Portfolio {
        let mut portfolio = Portfolio::default();
        let mid = self.market.mid(&t.symbol, t.at_ms);
        if t.position != 0 && mid.is_finite() {
            let side = if t.position > 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let qty = t.position.unsigned_abs();
            portfolio.apply(self.role, &t.symbol, side, qty, mid, 0.0, mid);
        }
        portfolio
    }

    fn fault(&mut self, fault: AgentFault) {
        match fault {
            AgentFault::CpuSpike { id, load } => {
                let stop = self.stop_flag(id);
                let load = load.clamp(0.0, 1.0);
                let _ = std::thread::Builder::new()
                    .name(format!("cpu-spike-{id}"))
                    .spawn(move || burn(load, &stop));
            }
            AgentFault::MemoryLeak {
                id,
                rate_mb_per_s,
                limit_mb,
            } => {
                let stop = self.stop_flag(id);
                let pool = Arc::clone(&self.leaked);
                let _ = std::thread::Builder::new()
                    .name(format!("memory-leak-{id}"))
                    .spawn(move || leak(rate_mb_per_s, limit_mb, &pool, &stop));
            }
            AgentFault::ErrorRate { id, rate } => {
                self.error_rates.insert(id, rate.clamp(0.0, 1.0));
            }
            AgentFault::Heal { id } => {
                self.error_rates.remove(&id);
                if let Some(stop) = self.stops.remove(&id) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    fn stop_flag(&mut self, id: u32) -> Arc<AtomicBool> {
        let stop = Arc::new(AtomicBool::new(false));
        if let Some(old) = self.stops.insert(id, Arc::clone(&stop)) {
            old.store(true, Ordering::Relaxed);
        }
        stop
    }

    fn market_event(&mut self, event: MarketEvent) {
        match event {
            MarketEvent::Shock { id, at_ms, level } => {
                if let Some(before) = self.market.segment_at(at_ms) {
                    self.calm_before.insert(id, before);
                }
                self.market.volatility_shock(at_ms, level);
            }
            MarketEvent::Calm { id, at_ms } => {
                if let Some(before) = self.calm_before.remove(&id) {
                    self.market.set_segment(at_ms, before);
                }
            }
            MarketEvent::Regime { at_ms, regime } => self.market.set_regime(at_ms, regime),
        }
    }
}

/// Busy for `load` of every period, asleep for the rest, until stopped.
/// The run time at market time `at_ms` (the inverse of the world's `market_ms`).
fn run_us(at_ms: u64) -> u64 {
    at_ms.saturating_sub(WARMUP_BARS * BAR_MS) * 1_000
}

fn burn(load: f64, stop: &AtomicBool) {
    let busy = BURN_PERIOD.mul_f64(load);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        while start.elapsed() < busy {
            for _ in 0..1_000 {
                x = x.rotate_left(5) ^ x.wrapping_mul(0x2545_f491_4f6c_dd1d);
            }
            std::hint::black_box(x);
        }
        let rest = BURN_PERIOD.saturating_sub(start.elapsed());
        if !rest.is_zero() {
            std::thread::sleep(rest);
        }
    }
}

/// Allocates and writes `rate_mb_per_s` per second until `limit_mb` leaked in all, or stopped.
fn leak(rate_mb_per_s: f64, limit_mb: f64, pool: &LeakPool, stop: &AtomicBool) {
    let limit = (limit_mb * 1_048_576.0) as u64;
    let per_tick = (rate_mb_per_s * 1_048_576.0 * LEAK_TICK.as_secs_f64()).max(4_096.0) as u64;
    let start = Instant::now();
    let mut ticks: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        let have = pool.bytes.load(Ordering::Relaxed);
        if have >= limit {
            return;
        }
        let size = per_tick.min(limit - have) as usize;
        let chunk = vec![0xa5u8; size]; // every page written: resident, not just reserved
        pool.bytes.fetch_add(size as u64, Ordering::Relaxed);
        if let Ok(mut chunks) = pool.chunks.lock() {
            chunks.push(chunk);
        }
        ticks += 1;
        let next = start + LEAK_TICK * ticks;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{decide, SignalParams, BAR_MS};
    use swarm_test_spec::{Regime, SpecBuilder};

    fn spec() -> Spec {
        SpecBuilder::new("t", "live::agent::tests")
            .with("topology", "mesh")
            .with("agents", 3u64)
            .build()
            .unwrap()
    }

    fn env(agent: AgentId) -> AgentEnv {
        AgentEnv {
            run: "run1".into(),
            agent,
            seed: 7,
            test: "mod::name".into(),
        }
    }

    #[test]
    fn the_variable_round_trips_and_bad_values_say_what_is_expected() {
        let e = env(2);
        assert_eq!(AgentEnv::parse(&e.value()).unwrap(), e);
        let with_colons = AgentEnv {
            test: "a::b::c".into(),
            ..e
        };
        assert_eq!(AgentEnv::parse(&with_colons.value()).unwrap(), with_colons);
        let err = AgentEnv::parse("run:x:1:t").unwrap_err().to_string();
        assert!(
            err.contains("expected `<run>:<agent>:<seed>:<test path>`"),
            "{err}"
        );
    }

    #[test]
    fn agents_answer_like_mock_mode_decides() {
        let spec = spec();
        let mut agent = Agent::new(&spec, &env(1)).unwrap();
        assert_eq!(
            agent.handle(ToAgent::Ping { seq: 4 }),
            Some(FromAgent::Pong { seq: 4 })
        );
        let order = |work| WorkOrder {
            work,
            task: crate::core::TaskId(work),
            step: Step::Execute,
            trade: Some(TradeRequest {
                symbol: "SPY".into(),
                at_ms: 3_000,
                position: 0,
            }),
        };
        let Some(FromAgent::WorkDone {
            outcome: WorkOutcome::Done { decision: Some(d) },
            ..
        }) = agent.handle(ToAgent::Work(order(1)))
        else {
            panic!("a trade is decided")
        };
        // The controller's own market, built the same way, decides the same.
        let mut market = Market::new(&spec.market, SimRng::new(7).split("market")).unwrap();
        let expected = decide(
            Role::MomentumTrader,
            &mut market,
            "SPY",
            3_000,
            &Portfolio::default(),
            &SignalParams::default(),
        );
        assert_eq!(d, expected);
        agent.handle(ToAgent::Fault(AgentFault::ErrorRate { id: 0, rate: 1.0 }));
        assert!(matches!(
            agent.handle(ToAgent::Work(order(2))),
            Some(FromAgent::WorkDone {
                outcome: WorkOutcome::Error { .. },
                ..
            })
        ));
        agent.handle(ToAgent::Fault(AgentFault::Heal { id: 0 }));
        assert!(matches!(
            agent.handle(ToAgent::Work(order(3))),
            Some(FromAgent::WorkDone {
                outcome: WorkOutcome::Done { .. },
                ..
            })
        ));
        assert!(Agent::new(&spec, &env(9)).is_err());
    }

    #[test]
    fn a_regime_change_reaches_the_agent_s_market() {
        let spec = spec();
        let mut agent = Agent::new(&spec, &env(0)).unwrap();
        let mut controller = Market::new(&spec.market, SimRng::new(7).split("market")).unwrap();
        let at_ms = 2_000;
        let later = at_ms + 500 * BAR_MS;
        let calm = controller.mid("SPY", later);
        controller.set_regime(at_ms, Regime::Crash);
        let crashed = controller.mid("SPY", later);
        assert_ne!(calm, crashed, "the regime moves the price");
        assert_eq!(agent.market.mid("SPY", later), calm);
        let reply = agent.handle(ToAgent::Market(MarketEvent::Regime {
            at_ms,
            regime: Regime::Crash,
        }));
        assert_eq!(reply, None);
        assert_eq!(agent.market.mid("SPY", later), crashed, "the same bars");
    }

    #[test]
    fn a_failing_stage_answers_with_an_error_a_forward_does_not() {
        let mut agent = Agent::new(&spec(), &env(1)).unwrap();
        agent.handle(ToAgent::Fault(AgentFault::ErrorRate { id: 0, rate: 1.0 }));
        let order = |step| WorkOrder {
            work: 1,
            task: crate::core::TaskId(1),
            step,
            trade: None,
        };
        assert!(matches!(
            agent.work(order(Step::Stage)),
            WorkOutcome::Error { .. }
        ));
        assert!(matches!(
            agent.work(order(Step::Forward)),
            WorkOutcome::Done { decision: None }
        ));
    }

    #[test]
    fn a_leak_grows_to_its_limit_and_stops() {
        let pool = LeakPool::default();
        let stop = AtomicBool::new(false);
        leak(500.0, 8.0, &pool, &stop);
        assert_eq!(pool.bytes.load(Ordering::Relaxed), 8 * 1_048_576);
    }
}
