//! The run: what every `#[swarm_test]` does, in order, with teardown guaranteed.
//!
//! 1. Read the environment (an invalid value stops here, nothing runs).
//! 2. Setup: topology, agents, readiness (at least 80% must become ready).
//! 3. Topology assertions.
//! 4. The trade simulation with the scheduled faults, or the imperative body.
//! 5. Coordination assertions: every task ended exactly once, every hop along an edge.
//! 6. Metric capture into a [`Report`]; the report body, if any.
//! 7. The insta snapshot of the report (base seed only).
//! 8. Teardown: always, after success, panic, `Err` or timeout.
//!
//! A failure names the seed, the mode, a command that replays it, and the tail of the trace.
//!
//! Around these steps: the seeds to run (the regressions file's, then `SWARM_TEST_SEEDS` of
//! them, see [`Config`]), each run twice and compared under `SWARM_TEST_CHECK_DETERMINISM`, and
//! a seed that fails while exploring saved to the regressions file.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::time::Duration;

use swarm_test_spec::{MarketSpec, SnapshotSetting, Spec};

use crate::backend::process::ProcessBackend;
use crate::backend::Launch;
use crate::config::{Backend, Config, Mode, CHECK_DETERMINISM_VAR, INJECT_BUG_VAR, SEED_VAR};
use crate::core::Core;
use crate::live::{redact, AgentEnv, LiveRun};
use crate::metrics;
use crate::regressions::{self, Origin};
use crate::report::Report;
use crate::rng::fnv1a;
use crate::sim::Sim;
use crate::site::Site;
use crate::swarm::{Driver, Swarm};
use crate::teardown::TeardownGuard;
use crate::topology::Topology;

/// What a test body came to: `Ok`, or the `Err` it returned, formatted.
pub type Outcome = Result<(), String>;

/// A boxed future of a test body.
pub type BodyFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// Conversion of a test function's return value into an [`Outcome`].
#[diagnostic::on_unimplemented(
    message = "a #[swarm_test] function must return `()` or `Result<(), E>` with `E: Debug`, not `{Self}`",
    label = "this return type is not supported"
)]
pub trait TestResult {
    /// `()` is success; `Err(e)` fails the test with `e`'s `Debug` form.
    fn into_outcome(self) -> Outcome;
}

impl TestResult for () {
    fn into_outcome(self) -> Outcome {
        Ok(())
    }
}

impl<E: std::fmt::Debug> TestResult for Result<(), E> {
    fn into_outcome(self) -> Outcome {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// The user's test body, in one of the three forms.
pub enum Body {
    /// `fn name()`: the harness runs the scenario; the body runs after it.
    Declarative(Box<dyn Fn() -> Outcome>),
    /// `fn name(report: &Report)`: runs after the scenario, before the snapshot.
    Report(Box<dyn Fn(&Report) -> Outcome>),
    /// `async fn name(report: &Report)`.
    ReportAsync(Box<dyn for<'a> Fn(&'a Report) -> BodyFuture<'a>>),
    /// `async fn name(swarm: &mut Swarm)`: drives the swarm itself.
    Swarm(Box<dyn for<'a> Fn(&'a mut Swarm) -> BodyFuture<'a>>),
}

/// One snapshot to assert: the report, its name and what it describes.
#[derive(Debug, Clone)]
pub struct SnapshotRequest {
    /// The snapshot's name (file `snapshots/<name>.snap`, `@<suffix>` added by insta).
    pub name: String,
    /// The case suffix, for parametrised tests.
    pub suffix: Option<String>,
    /// The scenario in words, shown by `cargo insta review`.
    pub description: String,
    /// The scenario as data (`set_info`).
    pub info: ScenarioInfo,
    /// The run's report.
    pub report: Report,
    /// In live mode, the report with its timing redacted (the `@live` variant); `None` in
    /// mock mode, where the report is snapshotted as it is.
    pub live: Option<serde_json::Value>,
}

impl SnapshotRequest {
    /// What is snapshotted: the report (mock) or its redacted form (live).
    pub fn body(&self) -> SnapshotBody<'_> {
        match &self.live {
            Some(value) => SnapshotBody::Live(value),
            None => SnapshotBody::Report(&self.report),
        }
    }
}

/// What a snapshot shows; serialises as the report itself or as its redacted form.
#[derive(Debug)]
pub enum SnapshotBody<'a> {
    /// Mock mode: the report, byte for byte.
    Report(&'a Report),
    /// Live mode: the report with timing redacted.
    Live(&'a serde_json::Value),
}

impl serde::Serialize for SnapshotBody<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SnapshotBody::Report(report) => report.serialize(serializer),
            SnapshotBody::Live(value) => value.serialize(serializer),
        }
    }
}

/// The scenario a snapshot describes, as shown in its header by `cargo insta review`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScenarioInfo {
    /// Topology kind.
    pub topology: &'static str,
    /// Number of agents.
    pub agents: usize,
    /// The roster (`roles`), or `default`.
    pub roles: String,
    /// Routing strategy.
    pub strategy: &'static str,
    /// Fault specs, normalised.
    pub inject: Vec<String>,
    /// Trades in the built-in simulation.
    pub trades: u64,
    /// Market regime or data file.
    pub market: String,
    /// The seed of the snapshotted run.
    pub seed: u64,
    /// The test's timeout, ms.
    pub timeout_ms: u64,
    /// The autoscaling or deployment pattern, if any (left out of the header without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl ScenarioInfo {
    fn new(spec: &Spec, seed: u64) -> Self {
        ScenarioInfo {
            topology: spec.topology.as_str(),
            agents: spec.agents,
            roles: spec
                .roles
                .as_ref()
                .map_or("default".to_owned(), |r| r.to_string()),
            strategy: spec.strategy.as_str(),
            inject: spec.inject.iter().map(|f| f.text.clone()).collect(),
            trades: spec.trades,
            market: match &spec.market {
                MarketSpec::Regime(regime) => regime.as_str().to_owned(),
                MarketSpec::File(path) => format!("file:{path}"),
            },
            seed,
            timeout_ms: spec.timeout_ms,
            pattern: crate::patterns::describe(spec),
        }
    }

    /// One line: `star of 7 agents, round_robin routing, 24 trades, calm market, no faults`.
    fn describe(&self) -> String {
        let pattern = self
            .pattern
            .as_ref()
            .map_or(String::new(), |p| format!(", {p}"));
        format!(
            "{} of {} agents, {} routing, {} trades, {} market, {}{pattern}",
            self.topology,
            self.agents,
            self.strategy,
            self.trades,
            self.market,
            if self.inject.is_empty() {
                "no faults".to_owned()
            } else {
                format!("faults: {}", self.inject.join("; "))
            }
        )
    }
}

struct Context {
    spec: Spec,
    /// The case of a parametrised test: a list value or an rstest case.
    case: Option<String>,
    config: Config,
    test_path: String,
    package: &'static str,
    base_seed: u64,
}

struct Failure {
    message: String,
    trace: Vec<String>,
    events: u64,
    now_us: u64,
}

/// What a passing run came to, compared by the determinism check.
struct Digest {
    events: u64,
    now_us: u64,
    trace_hash: u64,
    report: String,
}

/// Runs one generated test. Panics (fails the test) with a full explanation on any failure.
///
/// `spec` is the attribute as the macro checked it, typed: nothing is parsed here. Not
/// generic, so the expansion of each test instantiates nothing of the harness.
///
/// In a process started as a live agent (the agent variable is set), runs the agent program
/// with the same `spec` instead and exits: that check comes first.
pub fn run(spec: Spec, body: Body, site: Site) {
    if let Some(env) = AgentEnv::from_env() {
        crate::live::agent::main(env, Ok(spec));
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => panic!("swarm_test: {e}. Nothing ran."),
    };
    if config.mode == Mode::Live && config.backend == Backend::E2b {
        panic!(
            "swarm_test: SWARM_TEST_MODE=live with SWARM_TEST_BACKEND=e2b, but the E2B backend \
             is not available in this version of swarm-test, so nothing ran (it never falls \
             back to another backend or to mock). Unset SWARM_TEST_BACKEND or set it to \
             `process` to run the agents as local processes."
        );
    }
    let test_path = test_path(&spec);
    let case = match site.case(&spec.name, spec.case.as_deref()) {
        Ok(case) => case,
        Err(e) => panic!("swarm_test: {e}. Nothing ran."),
    };
    let base_seed = spec
        .seed
        .unwrap_or_else(|| derive_seed(&spec, case.as_deref()));
    let file = regressions::locate(
        &config.regressions,
        site.manifest_dir,
        site.file,
        &test_path,
    );
    let saved = match (&file, config.seed) {
        (Some(file), None) => match regressions::read(file) {
            Ok(seeds) => seeds,
            Err(e) => panic!(
                "swarm_test: the regressions file is not valid: {e}. Fix or delete the line \
                 (or set SWARM_TEST_REGRESSIONS=off). Nothing ran."
            ),
        },
        _ => Vec::new(),
    };
    let ctx = Context {
        spec,
        case,
        config,
        test_path,
        package: site.package,
        base_seed,
    };
    let assert = |request: &SnapshotRequest| site.assert_snapshot(&ctx.spec.module_path, request);
    for (seed, origin) in regressions::plan(&ctx.config, base_seed, &saved) {
        let failure = match run_seed(&ctx, seed, &body, &assert, true) {
            Ok(first) if ctx.config.check_determinism => {
                match run_seed(&ctx, seed, &body, &assert, false) {
                    Ok(second) => compare(&first, &second),
                    Err(second) => Some(Failure {
                        message: format!(
                            "not deterministic ({CHECK_DETERMINISM_VAR}): the first run of seed \
                             {seed} passed, the second failed: {}",
                            second.message
                        ),
                        ..second
                    }),
                }
            }
            Ok(_) => None,
            Err(failure) => Some(failure),
        };
        let Some(failure) = failure else { continue };
        let mut text = explain(&ctx, seed, &origin.describe(file.as_deref()), &failure);
        if matches!(origin, Origin::Explore { of, .. } if of > 1) {
            text.push_str(&match &file {
                Some(file) => match regressions::record(file, &ctx.test_path, seed, &failure.message) {
                    Ok(true) => format!(
                        "\nsaved: seed {seed} was added to {}; every run of this test replays it first\n",
                        file.display()
                    ),
                    Ok(false) => String::new(),
                    Err(e) => format!("\nthe seed could not be saved: {e}\n"),
                },
                None => "\nthe seed was not saved: no regressions file (SWARM_TEST_REGRESSIONS=off, \
                         or the test's source file was not found)\n"
                    .to_owned(),
            });
        }
        panic!("{text}");
    }
}

/// The determinism check: two runs of one seed must agree on the trace and the report.
fn compare(first: &Digest, second: &Digest) -> Option<Failure> {
    if first.events == second.events
        && first.trace_hash == second.trace_hash
        && first.report == second.report
    {
        return None;
    }
    let mut message = format!(
        "not deterministic ({CHECK_DETERMINISM_VAR}): the same seed gave two different runs\n  \
         run 1: {} trace events, trace hash {:#018x}\n  run 2: {} trace events, trace hash {:#018x}",
        first.events, first.trace_hash, second.events, second.trace_hash
    );
    let (a, b): (Vec<&str>, Vec<&str>) = (
        first.report.lines().collect(),
        second.report.lines().collect(),
    );
    let differing: Vec<usize> = (0..a.len().max(b.len()))
        .filter(|&i| a.get(i) != b.get(i))
        .take(5)
        .collect();
    if differing.is_empty() {
        message.push_str("\n  the reports are identical; only the event traces differ");
    } else {
        message.push_str("\n  first differences in the report (JSON):");
        for i in differing {
            let line = |l: Option<&&str>| l.map_or("(none)".to_owned(), |l| l.trim().to_owned());
            message.push_str(&format!(
                "\n    line {}: run 1 `{}`, run 2 `{}`",
                i + 1,
                line(a.get(i)),
                line(b.get(i))
            ));
        }
    }
    Some(Failure {
        message,
        trace: Vec::new(),
        events: second.events,
        now_us: second.now_us,
    })
}

/// The `i`-th seed of a many-seed run: the base seed first, then a SplitMix64 sequence.
pub fn nth_seed(base: u64, i: u64) -> u64 {
    if i == 0 {
        return base;
    }
    let mut z = base.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The default seed of a test: a stable hash of its path and its case (a list case,
/// `spec.case`, or an rstest case such as `case_1_calm`), so it never changes unless the test
/// is renamed, and each case of a test gets its own.
pub fn derive_seed(spec: &Spec, case: Option<&str>) -> u64 {
    let case = case.unwrap_or("");
    fnv1a(format!("{}::{}#{case}", spec.module_path, spec.name).as_bytes())
}

/// The test's path as libtest and nextest know it (`module::name`), for replay commands.
fn test_path(spec: &Spec) -> String {
    if let Some(name) = std::thread::current().name() {
        if name != "main" && name.contains(&spec.name) {
            return name.to_owned();
        }
    }
    let module = spec
        .module_path
        .split_once("::")
        .map_or("", |(_, rest)| rest);
    let mut path = if module.is_empty() {
        spec.name.clone()
    } else if spec.case.is_some() {
        module.to_owned() // A list's cases live in `mod name`: the name is in the module.
    } else {
        format!("{module}::{}", spec.name)
    };
    if let Some(case) = &spec.case {
        path = format!("{path}::{case}");
    }
    path
}

/// The driver of one seed's run and the tokio runtime it lives on.
struct Run {
    // Dropped before the runtime: the live controller's tasks and pipes belong to it.
    driver: Option<Driver>,
    runtime: tokio::runtime::Runtime,
    mode: Mode,
}

impl Run {
    fn new(ctx: &Context, seed: u64) -> Result<Run, String> {
        let spec = &ctx.spec;
        match ctx.config.mode {
            Mode::Mock => {
                let sim = Sim::new(spec, seed).map_err(|e| e.to_string())?;
                let runtime = paused_runtime()?;
                let started = runtime.block_on(async { tokio::time::Instant::now() });
                Ok(Run {
                    driver: Some(Driver::Mock {
                        sim: Box::new(sim),
                        started,
                    }),
                    runtime,
                    mode: Mode::Mock,
                })
            }
            Mode::Live => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("could not start the live controller's runtime: {e}"))?;
                let program = std::env::current_exe().map_err(|e| {
                    format!("live mode starts agents from the test binary, but its path is unknown: {e}")
                })?;
                let launch = Launch {
                    program,
                    args: [
                        "--exact",
                        &ctx.test_path,
                        "--nocapture",
                        "--include-ignored",
                        "--test-threads",
                        "1",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                    env: Vec::new(),
                };
                let backend = ProcessBackend::new()?;
                let live = LiveRun::new(spec, seed, &ctx.test_path, Box::new(backend), launch)?;
                Ok(Run {
                    driver: Some(Driver::Live(Box::new(live))),
                    runtime,
                    mode: Mode::Live,
                })
            }
        }
    }

    fn driver(&mut self) -> &mut Driver {
        self.driver
            .as_mut()
            .expect("the driver is only taken while the body runs")
    }

    fn setup(&mut self) -> Result<(), String> {
        match self.driver.as_mut() {
            Some(Driver::Mock { sim, .. }) => sim.setup().map_err(|e| e.to_string()),
            Some(Driver::Live(live)) => self.runtime.block_on(live.setup()),
            None => Err("the swarm is gone".into()),
        }
    }

    fn topology(&mut self) -> Topology {
        match self.driver() {
            Driver::Mock { sim, .. } => sim.core().topology().clone(),
            Driver::Live(live) => live.topology().clone(),
        }
    }

    fn with_core<R>(&mut self, f: impl FnOnce(&Core) -> R) -> R {
        match self.driver() {
            Driver::Mock { sim, .. } => f(sim.core()),
            Driver::Live(live) => live.with_state(|s| f(&s.core)),
        }
    }

    /// The built-in trade flow or the spec's autoscaling / deployment pattern, within the
    /// test's timeout.
    fn flow(&mut self, spec: &Spec, seed: u64) -> Result<crate::patterns::PatternLog, String> {
        let (n, timeout_ms) = (spec.trades, spec.timeout_ms);
        let runtime = &self.runtime;
        match self.driver.as_mut() {
            Some(Driver::Mock { sim, .. }) => crate::patterns::run(spec, seed, sim.as_mut()),
            Some(Driver::Live(live)) if spec.scale.is_some() || spec.deploy.is_some() => {
                // The same pattern code as mock mode, in wall time (see `live::LiveHost`).
                let mut host = crate::live::LiveHost::new(runtime, live, timeout_ms);
                crate::patterns::run(spec, seed, &mut host)
            }
            Some(Driver::Live(live)) => {
                let limit = Duration::from_millis(timeout_ms);
                let remaining = limit.saturating_sub(live.now());
                let ran = runtime
                    .block_on(async { tokio::time::timeout(remaining, live.run_trades(n)).await });
                match ran {
                    Ok(ran) => ran.map(|_| crate::patterns::PatternLog::default()),
                    Err(_) => Err(format!(
                        "timed out after {limit:?} of wall time (the test's `timeout`): {}",
                        live.with_state(|s| {
                            let audit = s.core.ledger().audit();
                            format!(
                                "{} of {} tasks still in flight, {} trades not yet sent",
                                audit.in_flight, audit.dispatched, s.flow.remaining
                            )
                        })
                    )),
                }
            }
            None => Err("the swarm is gone".into()),
        }
    }

    fn capture(&mut self, name: &str, seed: u64) -> Report {
        match self.driver() {
            Driver::Mock { sim, .. } => metrics::capture(sim.as_mut(), name, seed),
            Driver::Live(live) => live.with_state(|s| metrics::capture(s, name, seed)),
        }
    }

    /// Live agents that broke the protocol or failed: each fails the run.
    fn live_errors(&mut self) -> Result<(), String> {
        let errors = match self.driver() {
            Driver::Mock { .. } => return Ok(()),
            Driver::Live(live) => live.errors(),
        };
        if errors.is_empty() {
            return Ok(());
        }
        Err(format!(
            "live agents failed or broke the protocol:\n  - {}",
            errors.join("\n  - ")
        ))
    }

    /// Kills every live agent (mock: nothing to do). Idempotent.
    fn shutdown(&mut self) {
        if let Some(Driver::Live(live)) = self.driver.as_mut() {
            live.shutdown();
        }
    }

    /// The trace's tail, event count, clock (µs) and hash (0 in live mode, where the trace
    /// is not deterministic and the determinism check does not apply).
    fn trace(&mut self) -> (Vec<String>, u64, u64, u64) {
        match self.driver.as_mut() {
            Some(Driver::Mock { sim, .. }) => (
                sim.trace().tail().map(str::to_owned).collect(),
                sim.trace().events(),
                sim.now_us(),
                sim.trace().hash(),
            ),
            Some(Driver::Live(live)) => {
                let (tail, events, now_us) = live.trace_tail();
                (tail, events, now_us, 0)
            }
            None => (Vec::new(), 0, 0, 0),
        }
    }
}

/// One run of one seed; `snapshot: false` skips the snapshot (the determinism check's rerun).
fn run_seed<F: Fn(&SnapshotRequest)>(
    ctx: &Context,
    seed: u64,
    body: &Body,
    assert_snapshot: &F,
    snapshot: bool,
) -> Result<Digest, Failure> {
    let mut run = match Run::new(ctx, seed) {
        Ok(run) => run,
        Err(message) => return Err(bare(message)),
    };
    if let (Some(bug), Some(Driver::Mock { sim, .. })) =
        (ctx.config.inject_bug, run.driver.as_mut())
    {
        sim.inject_bug(bug);
    }
    let mut teardown = TeardownGuard::default();
    let result = guarded("the harness", || {
        scenario(
            ctx,
            seed,
            &mut run,
            &mut teardown,
            body,
            assert_snapshot,
            snapshot,
        )
    })
    .and_then(|r| r);
    // Teardown always runs (the guard would run it on drop, too): live agents are killed
    // first, then every registered step runs, each guarded so one failing step does not skip
    // the others; then the swarm is dropped.
    let mut teardown_errors = Vec::new();
    if let Err(e) = guarded("stopping the live agents", || run.shutdown()) {
        teardown_errors.push(e);
    }
    teardown_errors.extend(teardown.run());
    let (trace, events, now_us, trace_hash) = run.trace();
    drop(run);
    let mut message = match result {
        Ok(report) if teardown_errors.is_empty() => {
            return Ok(Digest {
                events,
                now_us,
                trace_hash,
                report: serde_json::to_string_pretty(&report).unwrap_or_default(),
            })
        }
        Ok(_) => String::new(),
        Err(message) => message,
    };
    for e in teardown_errors {
        message.push_str(&format!("\na teardown step panicked: {e}"));
    }
    Err(Failure {
        message,
        trace,
        events,
        now_us,
    })
}

/// Steps 2 to 7: the report, or the failure message.
fn scenario<F: Fn(&SnapshotRequest)>(
    ctx: &Context,
    seed: u64,
    run: &mut Run,
    teardown: &mut TeardownGuard,
    body: &Body,
    assert_snapshot: &F,
    snapshot: bool,
) -> Result<Report, String> {
    let spec = &ctx.spec;
    run.setup()?;
    check_shape(&run.topology())?;
    // The built-in trade flow, or the spec's autoscaling / deployment pattern.
    let patterns = match body {
        Body::Swarm(f) => {
            drive(ctx, seed, run, teardown, f)?;
            crate::patterns::PatternLog::default()
        }
        _ => run.flow(spec, seed)?,
    };
    run.live_errors()?;
    run.with_core(check_coordination)?;
    let mut report = run.capture(&ctx.report_name(), seed);
    patterns.fill(&mut report);
    if let Some(dir) = &ctx.config.report_dir {
        write_report(dir, &report)?;
    }
    let outcome = guarded("the test body", || match body {
        Body::Declarative(f) => f(),
        Body::Report(f) => f(&report),
        Body::ReportAsync(f) => run.runtime.block_on(f(&report)),
        Body::Swarm(_) => Ok(()),
    })?;
    outcome.map_err(|e| format!("the test body returned Err: {e}"))?;
    if snapshot && seed == ctx.base_seed && spec.snapshot != SnapshotSetting::Off {
        let request = snapshot_request(spec, ctx.case.clone(), report.clone());
        guarded("the snapshot", || assert_snapshot(&request))?;
    }
    Ok(report)
}

/// Runs the imperative body within the test's timeout: on a current-thread tokio runtime with
/// a paused clock in mock mode (its sleeps are virtual, and so is the timeout), on the live
/// controller's runtime in real time in live mode.
fn drive(
    ctx: &Context,
    seed: u64,
    run: &mut Run,
    teardown: &mut TeardownGuard,
    f: &dyn for<'a> Fn(&'a mut Swarm) -> BodyFuture<'a>,
) -> Result<(), String> {
    let Some(mut driver) = run.driver.take() else {
        return Err("the swarm is gone".into());
    };
    if let Driver::Mock { started, .. } = &mut driver {
        *started = run.runtime.block_on(async { tokio::time::Instant::now() });
    }
    let clock = match run.mode {
        Mode::Mock => "virtual time",
        Mode::Live => "wall time",
    };
    let mut swarm = Swarm::new(driver, ctx.report_name(), seed);
    let limit = Duration::from_millis(ctx.spec.timeout_ms);
    let runtime = &run.runtime;
    let outcome = guarded("the test body", || {
        runtime.block_on(async {
            let remaining = limit.saturating_sub(swarm.now());
            match tokio::time::timeout(remaining, f(&mut swarm)).await {
                Ok(outcome) => Ok(outcome),
                Err(_) => Err(format!(
                    "timed out after {limit:?} of {clock} (the test's `timeout`)"
                )),
            }
        })
    });
    let (driver, steps) = swarm.into_parts();
    run.driver = Some(driver);
    teardown.extend(steps);
    outcome??.map_err(|e| format!("the test body returned Err: {e}"))
}

fn paused_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| format!("could not start the test's tokio runtime: {e}"))
}

/// Runs `f`, turning a panic into an error that says where it happened.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|p| format!("{what} panicked: {}", panic_message(&*p)))
}

pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a non-string payload)".to_owned()
    }
}

/// Checks that the graph has the shape its kind promises.
fn check_shape(t: &Topology) -> Result<(), String> {
    use swarm_test_spec::TopologyKind::*;
    let n = t.len();
    let expected_edges = match t.kind() {
        Mesh => n * (n - 1) / 2,
        Star | Hierarchical => n - 1,
        Ring => n,
    };
    let degrees_ok = (0..n).all(|a| match t.kind() {
        Mesh => t.degree(a) == n - 1,
        Ring => t.degree(a) == 2,
        Star => t.degree(a) == if a == 0 { n - 1 } else { 1 },
        Hierarchical => t.degree(a) >= 1,
    });
    if t.edges().len() != expected_edges || !degrees_ok || t.diameter().is_none() {
        return Err(format!(
            "topology assertion failed: a {} of {n} agents should have {expected_edges} edges \
             and be connected, but has {} edges",
            t.kind().as_str(),
            t.edges().len()
        ));
    }
    Ok(())
}

/// Every task ended exactly once, and every message travelled along an edge.
fn check_coordination(core: &Core) -> Result<(), String> {
    let mut problems = core.ledger().violations();
    problems.extend(core.edge_violations().iter().cloned());
    if problems.is_empty() {
        return Ok(());
    }
    let shown = problems.len().min(20);
    Err(format!(
        "coordination assertion failed ({} problem{}):\n  - {}{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems[..shown].join("\n  - "),
        if problems.len() > shown {
            "\n  - …"
        } else {
            ""
        }
    ))
}

impl Context {
    /// The test's name with its case: `name@case`.
    fn report_name(&self) -> String {
        match &self.case {
            Some(case) => format!("{}@{case}", self.spec.name),
            None => self.spec.name.clone(),
        }
    }
}

fn write_report(dir: &std::path::Path, report: &Report) -> Result<(), String> {
    let file = dir.join(format!(
        "{}-{}.json",
        report.name.replace(['@', ':'], "_"),
        report.seed
    ));
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&file, json))
        .map_err(|e| {
            format!(
                "could not write the report to {} (SWARM_TEST_REPORT): {e}",
                file.display()
            )
        })
}

fn snapshot_request(spec: &Spec, suffix: Option<String>, report: Report) -> SnapshotRequest {
    let live = (report.mode == Mode::Live).then(|| {
        let mut value = redact::live_snapshot(spec, &report);
        crate::patterns::redact_live(spec, &mut value);
        value
    });
    let module = spec.module_path.replace("::", "__");
    let module = match &spec.case {
        // A list expands into `mod name { fn case() }`: don't repeat the name.
        Some(_) => module
            .strip_suffix(&format!("__{}", spec.name))
            .unwrap_or(&module)
            .to_owned(),
        None => module,
    };
    let base = match &spec.snapshot {
        SnapshotSetting::Named(name) => name.clone(),
        _ => spec.name.clone(),
    };
    let mut suffix = suffix;
    if live.is_some() {
        // Live runs have their own snapshot files: they never touch the mock ones.
        suffix = Some(match suffix {
            Some(case) => format!("{case}-live"),
            None => "live".to_owned(),
        });
    }
    let info = ScenarioInfo::new(spec, report.seed);
    SnapshotRequest {
        name: format!("{module}__{base}"),
        suffix,
        description: info.describe(),
        info,
        report,
        live,
    }
}

fn bare(message: String) -> Failure {
    Failure {
        message,
        trace: Vec::new(),
        events: 0,
        now_us: 0,
    }
}

fn explain(ctx: &Context, seed: u64, of: &str, failure: &Failure) -> String {
    // Everything that shapes the run goes into the replay command.
    let mut env = String::new();
    if let Some(bug) = ctx.config.inject_bug {
        env.push_str(&format!("{INJECT_BUG_VAR}={} ", bug.as_str()));
    }
    if ctx.config.check_determinism {
        env.push_str(&format!("{CHECK_DETERMINISM_VAR}=1 "));
    }
    let mut text = format!(
        "swarm_test `{}` failed{of}: {}\n\n  seed: {seed}\n  mode: {}\n  {}: {:.3} ms after {} events\n  replay: {env}{}{SEED_VAR}={seed} cargo test -p {} -- --exact {}\n",
        ctx.test_path,
        failure.message,
        ctx.config.mode.as_str(),
        match ctx.config.mode {
            Mode::Mock => "virtual time",
            Mode::Live => "wall time",
        },
        failure.now_us as f64 / 1_000.0,
        failure.events,
        match ctx.config.mode {
            Mode::Mock => "",
            Mode::Live => "SWARM_TEST_MODE=live ",
        },
        ctx.package,
        ctx.test_path,
    );
    if !failure.trace.is_empty() {
        text.push_str(&format!("\nlast {} events:\n", failure.trace.len()));
        for line in &failure.trace {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_stable_and_distinct() {
        assert_eq!(nth_seed(42, 0), 42);
        let seeds: std::collections::BTreeSet<_> = (0..1000).map(|i| nth_seed(42, i)).collect();
        assert_eq!(seeds.len(), 1000);
        assert_eq!(nth_seed(42, 1), nth_seed(42, 1));
    }

    #[test]
    fn results_convert_to_outcomes() {
        assert_eq!(().into_outcome(), Ok(()));
        assert_eq!(
            Err::<(), _>("boom").into_outcome(),
            Err("\"boom\"".to_owned())
        );
    }
}
