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

mod bands;
mod body;
mod checks;
mod context;
mod failure;
mod redact;
pub(crate) mod regressions;
mod rig;
mod seeds;
mod shrink;
mod snapshot;
mod sometimes;
pub(crate) mod teardown;

use std::time::Duration;

use swarm_test_spec::{SnapshotSetting, Spec};

use crate::site::Site;

use crate::config::{
    Backend, Config, Mode, Shrink, CHECK_DETERMINISM_VAR, SHRINK_BUDGET_VAR, SHRUNK_VAR,
};
use crate::live::AgentEnv;
use crate::report::Report;
use crate::swarm::{AnyDriver, Swarm};

pub use body::{Body, BodyError, BodyFuture, Outcome, TestResult};
pub use seeds::{derive_seed, nth_seed};
pub use snapshot::{ScenarioInfo, SnapshotBody, SnapshotRequest};
pub use sometimes::sometimes;

use checks::{check_coordination, check_shape, compare, Digest};
use context::Context;
use failure::{bare, explain, guarded, replay, Failure};
use regressions::Origin;
use rig::Rig;
use seeds::test_path;
use snapshot::{bands_request, snapshot_request};
use teardown::TeardownGuard;

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
        if let Some(why) = crate::backend::e2b_unavailable() {
            panic!("swarm_test: {why}");
        }
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
    let attribute = spec.clone();
    let (spec, shrunk) = match &config.shrunk {
        Some(keys) => match shrink::apply(&spec, keys) {
            Ok(smaller) => (smaller, Some(keys.clone())),
            Err(e) => panic!(
                "swarm_test: {SHRUNK_VAR}={keys:?} is not valid for this test: {e}. Nothing ran."
            ),
        },
        None => (spec, None),
    };
    let ctx = Context {
        spec,
        attribute,
        shrunk,
        case,
        config,
        test_path,
        package: site.package,
        base_seed,
    };
    let assert = |request: &SnapshotRequest| site.assert_snapshot(&ctx.spec.module_path, request);
    // Live runs race on wall time and the OS scheduler: two runs of one seed never match,
    // so the check would always fail. It is for mock mode; say so once and run normally.
    let check_determinism = ctx.config.check_determinism && ctx.config.mode == Mode::Mock;
    if ctx.config.check_determinism && !check_determinism {
        eprintln!(
            "swarm_test: {CHECK_DETERMINISM_VAR} checks mock mode only (live runs race on wall \
             time); `{}` runs once per seed",
            ctx.test_path
        );
    }
    let mut tally = sometimes::Tally::default();
    let mut explored = Vec::new();
    for (seed, origin) in regressions::plan(&ctx.config, base_seed, &saved) {
        let saved_case;
        let ctx = match &origin {
            Origin::Regression { shrunk: Some(keys) } => match ctx.shrunk(keys) {
                Ok(shrunk) => {
                    saved_case = shrunk;
                    &saved_case
                }
                Err(e) => panic!(
                    "swarm_test: the shrunk case of seed {seed} in the regressions file no \
                     longer fits the test: {e}. Delete its `shrunk …` part (or the line). \
                     Nothing ran."
                ),
            },
            _ => &ctx,
        };
        let failure = match run_seed(ctx, seed, &body, &assert, true) {
            Ok(first) if check_determinism => match run_seed(ctx, seed, &body, &assert, false) {
                Ok(second) => {
                    let failure = compare(&first, &second);
                    if failure.is_none() {
                        tally.add(&first.conditions);
                        if matches!(origin, Origin::Explore { .. }) {
                            explored.push(first.captured);
                        }
                    }
                    failure
                }
                Err(second) => Some(Failure {
                    message: format!(
                        "not deterministic ({CHECK_DETERMINISM_VAR}): the first run of seed \
                             {seed} passed, the second failed: {}",
                        second.message
                    ),
                    ..second
                }),
            },
            Ok(digest) => {
                tally.add(&digest.conditions);
                if matches!(origin, Origin::Explore { .. }) {
                    explored.push(digest.captured);
                }
                None
            }
            Err(failure) => Some(failure),
        };
        let Some(failure) = failure else { continue };
        let mut text = explain(ctx, seed, &origin.describe(file.as_deref()), &failure);
        let exploring = matches!(origin, Origin::Explore { of, .. } if of > 1);
        let shrinking = match ctx.config.shrink {
            Shrink::Off => false,
            Shrink::Always => true,
            Shrink::Exploring => exploring,
        };
        // Shrinking needs runs that fail the same way again: mock mode, not a determinism
        // failure.
        let shrunk = (shrinking && ctx.config.mode == Mode::Mock && !ctx.config.check_determinism)
            .then(|| shrink_failure(ctx, seed, &body, &failure))
            .flatten();
        if let Some((_, note)) = &shrunk {
            text.push_str(note);
        }
        if exploring {
            let keys = shrunk.as_ref().map(|(keys, _)| keys.as_str());
            text.push_str(&match &file {
                Some(file) => match regressions::record(file, &ctx.test_path, seed, keys, &failure.message) {
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
    if !tally.reached.is_empty() {
        println!("{}", tally.table(&ctx.test_path));
        if ctx.config.require_reached {
            if let Some(failure) = tally.require_reached(&ctx.test_path) {
                panic!("{failure}");
            }
        }
    }
    let bands = ctx.spec.snapshot == SnapshotSetting::Bands
        && ctx.config.mode == Mode::Mock
        && ctx.config.seed.is_none()
        && ctx.config.shard.is_none()
        && !explored.is_empty();
    if bands {
        let request = bands_request(&ctx.spec, ctx.case.clone(), &explored);
        if let Err(e) = guarded("the snapshot", || assert(&request)) {
            panic!("swarm_test `{}`: {e}", ctx.test_path);
        }
    }
}

/// Shrinks a failing seed's run (see [`shrink`]): the override keys of the smallest run found
/// that fails the same way, and the text that reports it; `None` when nothing smaller fails
/// so.
fn shrink_failure(
    ctx: &Context,
    seed: u64,
    body: &Body,
    failure: &Failure,
) -> Option<(String, String)> {
    let target = shrink::signature(&failure.message);
    let swarm_body = matches!(body, Body::Swarm(_));
    let mut trial = ctx.clone();
    trial.config.report_dir = None;
    let (mut current, mut found, mut runs) = (ctx.spec.clone(), None, 0u64);
    let budget = ctx.config.shrink_budget;
    'search: loop {
        for candidate in shrink::candidates(&current, swarm_body) {
            if runs >= budget {
                break 'search;
            }
            let keys = shrink::override_text(&ctx.attribute, &candidate);
            let Ok(spec) = shrink::apply(&ctx.attribute, &keys) else {
                continue;
            };
            runs += 1;
            trial.spec = spec.clone();
            let ran = shrink::quietly(|| run_seed(&trial, seed, body, &|_| {}, false));
            if let Err(smaller) = ran {
                if shrink::signature(&smaller.message) == target {
                    current = spec;
                    found = Some((keys, smaller.message));
                    continue 'search;
                }
            }
        }
        break;
    }
    let (keys, message) = found?;
    let budget_note = if runs >= budget {
        format!(", the whole budget: raise {SHRINK_BUDGET_VAR} to search further")
    } else {
        String::new()
    };
    let note = format!(
        "\nshrunk in {runs} runs ({SHRINK_BUDGET_VAR}={budget}{budget_note}) to a smaller run \
         that fails the same way: {}\n  minimal failing run: {}\n  (the test's other keys as \
         written)\n  replay: {}\n",
        message.lines().next().unwrap_or(""),
        shrink::attribute_text(&current, swarm_body),
        replay(ctx, seed, Some(&keys)),
    );
    Some((keys, note))
}

/// One run of one seed; `snapshot: false` skips the snapshot (the determinism check's rerun).
fn run_seed<F: Fn(&SnapshotRequest)>(
    ctx: &Context,
    seed: u64,
    body: &Body,
    assert_snapshot: &F,
    snapshot: bool,
) -> Result<Digest, Failure> {
    let mut run = match Rig::new(ctx, seed) {
        Ok(run) => run,
        Err(message) => return Err(bare(message)),
    };
    if let (Some(bug), Some(AnyDriver::Mock { sim, .. })) =
        (ctx.config.inject_bug, run.driver.as_mut())
    {
        sim.inject_bug(bug);
    }
    let mut teardown = TeardownGuard::default();
    sometimes::begin();
    let mut captured = None;
    let result = guarded("the harness", || {
        scenario(
            ctx,
            seed,
            &mut run,
            &mut teardown,
            body,
            assert_snapshot,
            snapshot,
            &mut captured,
        )
    })
    .and_then(|r| r);
    // A failed run's report and timeline page, beside the others (`SWARM_TEST_REPORT`).
    let page = match (&result, &ctx.config.report_dir) {
        (Err(_), Some(dir)) => Some(failure_page(ctx, seed, &mut run, captured, dir)),
        _ => None,
    };
    let conditions = sometimes::finish();
    // Teardown always runs (the guard would run it on drop, too): live agents are killed
    // first, then every registered step runs, each guarded so one failing step does not skip
    // the others; then the swarm is dropped.
    let mut teardown_errors = Vec::new();
    if let Err(e) = guarded("stopping the live agents", || run.shutdown()) {
        teardown_errors.push(e);
    }
    teardown_errors.extend(teardown.run());
    let (trace, events, now_us, trace_hash) = run.trace();
    let answers = run.answers();
    drop(run);
    let mut message = match result {
        Ok(report) if teardown_errors.is_empty() => {
            return Ok(Digest {
                conditions,
                report: serde_json::to_string_pretty(&report).unwrap_or_default(),
                captured: report,
                events,
                now_us,
                trace_hash,
                answers,
            })
        }
        Ok(_) => String::new(),
        Err(message) => message,
    };
    message.push_str(&page.unwrap_or_default());
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

/// Steps 2 to 7: the report, or the failure message (`captured` keeps the report for it).
#[allow(clippy::too_many_arguments)]
fn scenario<F: Fn(&SnapshotRequest)>(
    ctx: &Context,
    seed: u64,
    run: &mut Rig,
    teardown: &mut TeardownGuard,
    body: &Body,
    assert_snapshot: &F,
    snapshot: bool,
    captured: &mut Option<Report>,
) -> Result<Report, String> {
    let spec = &ctx.spec;
    run.setup()?;
    check_shape(&run.topology())?;
    // The built-in trade flow, or the spec's autoscaling / deployment pattern.
    let patterns = match body {
        Body::Swarm(f) => {
            let driven = drive(ctx, seed, run, teardown, f);
            // An agent's panic explains whatever else went wrong after it.
            run.agent_errors()?;
            driven?;
            if let Some((fault, now_us, ready_us)) = run.unplayed_fault() {
                return Err(unplayed(&fault, now_us, ready_us, run.mode));
            }
            crate::patterns::PatternLog::default()
        }
        _ => {
            let flowed = run.flow(spec, seed);
            run.agent_errors()?;
            flowed?
        }
    };
    run.with_core(check_coordination)?;
    let mut report = run.capture(&ctx.report_name(), seed);
    patterns.fill(&mut report);
    *captured = Some(report.clone());
    let outcome = guarded("the test body", || match body {
        Body::Declarative(f) => f(),
        Body::Report(f) => f(&report),
        Body::ReportAsync(f) => run.runtime.block_on(f(&report)),
        Body::Swarm(_) => Ok(()),
    });
    outcome?.map_err(|e| e.to_string())?;
    // Written after the body, so it carries the body's sometimes-conditions (a failed run's
    // is written by `failure_page`).
    if let Some(dir) = &ctx.config.report_dir {
        let timeline = run.with_core(|core| crate::review::Timeline::build(core, &report));
        let conditions = sometimes::current();
        crate::review::file::write(dir, spec, &report, Some(timeline), &conditions)
            .map_err(|e| crate::error::chain(&e))?;
    }
    let snapshotted = !matches!(spec.snapshot, SnapshotSetting::Off | SnapshotSetting::Bands);
    if snapshot && seed == ctx.base_seed && snapshotted {
        let faults = run.faults();
        let request = snapshot_request(spec, ctx.case.clone(), report.clone(), &faults);
        guarded("the snapshot", || assert_snapshot(&request))?;
    }
    Ok(report)
}

/// The failure of a body that returned before one of the attribute's faults had started or
/// ended: a fault that never struck tests nothing.
fn unplayed(fault: &crate::world::Pending, now_us: u64, ready_us: u64, mode: Mode) -> String {
    let clock = match mode {
        Mode::Mock => "virtual time",
        Mode::Live => "wall time",
    };
    let ms = |us: u64| us as f64 / 1_000.0;
    format!(
        "the test body returned at {:.1} ms of {clock} after setup, before the scheduled \
         fault `{}` had {} (due at {:.1} ms after setup): a fault that never plays out tests \
         nothing. Let the swarm run past it in the body (e.g. `swarm.sleep(...)` or \
         `swarm.run_trades(n)`), or move the fault earlier",
        ms(now_us.saturating_sub(ready_us)),
        fault.text,
        match fault.waits_for {
            "start" => "started",
            _ => "ended",
        },
        ms(fault.due_us.saturating_sub(ready_us)),
    )
}

/// Runs the imperative body within the test's timeout: on a current-thread tokio runtime with
/// a paused clock in mock mode (its sleeps are virtual, and so is the timeout), on the live
/// controller's runtime in real time in live mode.
fn drive(
    ctx: &Context,
    seed: u64,
    run: &mut Rig,
    teardown: &mut TeardownGuard,
    f: &dyn for<'a> Fn(&'a mut Swarm) -> BodyFuture<'a>,
) -> Result<(), String> {
    let Some(mut driver) = run.driver.take() else {
        return Err("the swarm is gone".into());
    };
    if let AnyDriver::Mock { started, .. } = &mut driver {
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
    outcome??.map_err(|e| e.to_string())
}

/// Writes a failed run's report file and timeline page into `dir` (see
/// [`crate::review::file::write_failure`]) and returns the lines to print with the failure.
fn failure_page(
    ctx: &Context,
    seed: u64,
    run: &mut Rig,
    captured: Option<Report>,
    dir: &std::path::Path,
) -> String {
    let written = guarded("writing the failed run's timeline", || {
        let report = captured.unwrap_or_else(|| run.capture(&ctx.report_name(), seed));
        let timeline = run.with_core(|core| crate::review::Timeline::build(core, &report));
        let conditions = sometimes::current();
        crate::review::file::write_failure(dir, &ctx.spec, &report, timeline, &conditions)
    });
    match written.and_then(|w| w.map_err(|e| crate::error::chain(&e))) {
        Ok(lines) => lines,
        Err(e) => format!("\n  (no timeline: {e})\n"),
    }
}
