//! The rig of one seed's run: the mock simulator or the live controller, and the tokio
//! runtime it lives on. Each step of the pipeline asks it for one thing.

use swarm_test_spec::{FaultKind, Spec};

use crate::backend::Launch;
use crate::config::Mode;
use crate::core::Core;
use crate::live::Live;
use crate::metrics;
use crate::report::Report;
use crate::sim::Sim;
use crate::swarm::AnyDriver;
use crate::topology::Topology;

use super::context::Context;

/// The driver of one seed's run and the tokio runtime it lives on.
pub(super) struct Rig {
    // Dropped before the runtime: the live controller's tasks and pipes belong to it.
    pub(super) driver: Option<AnyDriver>,
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) mode: Mode,
}

impl Rig {
    pub(super) fn new(ctx: &Context, seed: u64) -> Result<Rig, String> {
        let spec = &ctx.spec;
        match ctx.config.mode {
            Mode::Mock => {
                let sim = Sim::new(spec, seed).map_err(|e| e.to_string())?;
                let runtime = paused_runtime()?;
                let started = runtime.block_on(async { tokio::time::Instant::now() });
                Ok(Rig {
                    driver: Some(AnyDriver::Mock {
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
                let backend = crate::backend::select(ctx.config.backend, &ctx.test_path)
                    .map_err(|e| crate::error::chain(&e))?;
                let live = Live::new(spec, seed, &ctx.test_path, backend, launch)?;
                Ok(Rig {
                    driver: Some(AnyDriver::Live(Box::new(live))),
                    runtime,
                    mode: Mode::Live,
                })
            }
        }
    }

    pub(super) fn driver(&mut self) -> &mut AnyDriver {
        self.driver
            .as_mut()
            .expect("the driver is only taken while the body runs")
    }

    pub(super) fn setup(&mut self) -> Result<(), String> {
        match self.driver.as_mut() {
            Some(AnyDriver::Mock { sim, .. }) => sim.setup().map_err(|e| e.to_string()),
            Some(AnyDriver::Live(live)) => self.runtime.block_on(live.setup()),
            None => Err("the swarm is gone".into()),
        }
    }

    pub(super) fn topology(&mut self) -> Topology {
        match self.driver() {
            AnyDriver::Mock { sim, .. } => sim.core().topology().clone(),
            AnyDriver::Live(live) => live.topology().clone(),
        }
    }

    pub(super) fn with_core<R>(&mut self, f: impl FnOnce(&Core) -> R) -> R {
        match self.driver() {
            AnyDriver::Mock { sim, .. } => f(sim.core()),
            AnyDriver::Live(live) => live.with_state(|s| f(&s.world.core)),
        }
    }

    /// The built-in trade flow or the spec's autoscaling / deployment pattern, within the
    /// test's timeout.
    pub(super) fn flow(
        &mut self,
        spec: &Spec,
        seed: u64,
    ) -> Result<crate::patterns::PatternLog, String> {
        let timeout_ms = spec.timeout_ms;
        let runtime = &self.runtime;
        match self.driver.as_mut() {
            Some(AnyDriver::Mock { sim, .. }) => crate::patterns::run(spec, seed, sim.as_mut()),
            Some(AnyDriver::Live(live)) => {
                // The same flow and pattern code as mock mode, in wall time (see
                // `live::Blocking`).
                let mut host = crate::live::Blocking::new(runtime, live, timeout_ms);
                crate::patterns::run(spec, seed, &mut host)
            }
            None => Err("the swarm is gone".into()),
        }
    }

    /// The first of the attribute's faults that has not started or not ended yet (its
    /// detection aside), the time now and when setup finished, µs: a body that returns
    /// before a fault struck fails on it.
    pub(super) fn unplayed_fault(&mut self) -> Option<(crate::world::Pending, u64, u64)> {
        let first = |w: &crate::world::World, now_us: u64| {
            w.pending_fault(now_us)
                .filter(|p| p.waits_for != "detection")
                .map(|p| (p, now_us, w.ready_at_us.unwrap_or(0)))
        };
        match self.driver() {
            AnyDriver::Mock { sim, .. } => first(sim.world(), sim.now_us()),
            AnyDriver::Live(live) => live.with_state(|s| first(&s.world, s.now_us())),
        }
    }

    /// Every fault of the run, typed: its kind, and whether a deployment pinned it on its new
    /// version's agents (for the `@live` redaction).
    pub(super) fn faults(&mut self) -> Vec<(FaultKind, bool)> {
        let typed = |w: &crate::world::World| {
            w.faults
                .iter()
                .zip(&w.pinned)
                .map(|(f, &pinned)| (f.kind.clone(), pinned))
                .collect()
        };
        match self.driver() {
            AnyDriver::Mock { sim, .. } => typed(sim.world()),
            AnyDriver::Live(live) => live.with_state(|s| typed(&s.world)),
        }
    }

    pub(super) fn capture(&mut self, name: &str, seed: u64) -> Report {
        match self.driver() {
            AnyDriver::Mock { sim, .. } => metrics::capture(sim.as_mut(), name, seed),
            AnyDriver::Live(live) => {
                live.with_state(|s| metrics::report(&mut s.world, &s.io, name, seed))
            }
        }
    }

    /// Agents whose code panicked (mock), live agents that broke the protocol or failed:
    /// each fails the run.
    pub(super) fn agent_errors(&mut self) -> Result<(), String> {
        let (errors, what) = match self.driver() {
            AnyDriver::Mock { sim, .. } => (sim.world().agents.panic_lines(), "agents failed"),
            AnyDriver::Live(live) => (live.errors(), "live agents failed or broke the protocol"),
        };
        if errors.is_empty() {
            return Ok(());
        }
        Err(format!("{what}:\n  - {}", errors.join("\n  - ")))
    }

    /// Kills every live agent (mock: nothing to do). Idempotent.
    pub(super) fn shutdown(&mut self) {
        if let Some(AnyDriver::Live(live)) = self.driver.as_mut() {
            live.shutdown();
        }
    }

    /// The trace's tail, event count, clock (µs) and hash (0 in live mode, where the trace
    /// is not deterministic and the determinism check does not apply).
    /// Every agent's type and answers (mock; empty live), for the determinism check.
    pub(super) fn answers(&mut self) -> Vec<(String, Vec<(u64, u64)>)> {
        match self.driver.as_mut() {
            Some(AnyDriver::Mock { sim, .. }) => sim.world().agents.answers(),
            _ => Vec::new(),
        }
    }

    pub(super) fn trace(&mut self) -> (Vec<String>, u64, u64, u64) {
        match self.driver.as_mut() {
            Some(AnyDriver::Mock { sim, .. }) => (
                sim.trace().tail().map(str::to_owned).collect(),
                sim.trace().events(),
                sim.now_us(),
                sim.trace().hash(),
            ),
            Some(AnyDriver::Live(live)) => {
                let (tail, events, now_us) = live.trace_tail();
                (tail, events, now_us, 0)
            }
            None => (Vec::new(), 0, 0, 0),
        }
    }
}

pub(super) fn paused_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| format!("could not start the test's tokio runtime: {e}"))
}
