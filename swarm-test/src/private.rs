//! What `#[swarm_test]` expands to. Not a public API: names here may change in any release.
//!
//! The expansion hands the runtime typed data: the [`Spec`] the macro checked at compile time,
//! written out as Rust values (only the keys that differ from [`Spec::new`]'s defaults), and
//! a [`Site`] of plain `&'static str`s. [`run`] is not generic, so a test instantiates nothing
//! of the harness. The hand-written equivalent of
//! `#[swarm_test(topology = "ring", agents = 5, snapshot = false)] fn ring_runs() {}` is:
//!
//! ```
//! # /*
//! #[test]
//! # */
//! fn ring_runs() {
//!     fn ring_runs() {}
//!     swarm_test::__private::run(
//!         swarm_test::__private::Spec {
//!             snapshot: swarm_test::__private::spec::SnapshotSetting::Off,
//!             ..swarm_test::__private::Spec::new(
//!                 "ring_runs",
//!                 module_path!(),
//!                 swarm_test::__private::spec::TopologyKind::Ring,
//!                 5usize,
//!             )
//!         },
//!         swarm_test::__private::declarative(ring_runs),
//!         swarm_test::__private::Site {
//!             package: env!("CARGO_PKG_NAME"),
//!             manifest_dir: env!("CARGO_MANIFEST_DIR"),
//!             file: file!(),
//!             line: line!(),
//!             workspace_root: option_env!("INSTA_WORKSPACE_ROOT"),
//!             rstest: false,
//!         },
//!     )
//! }
//! # ring_runs();
//! ```

pub use crate::config::{InjectedBug, INJECT_BUG_VAR};
pub use crate::harness::{
    run, Body, BodyError, BodyFuture, Outcome, ScenarioInfo, SnapshotBody, SnapshotRequest,
    TestResult,
};
pub use crate::live::agent::run_if_agent;
pub use crate::site::Site;
pub use swarm_test_macros::__checked_spec as checked_spec;
/// The spec's types, by the paths the expansion writes (`__private::spec::FaultKind`, …).
pub use swarm_test_spec as spec;
pub use swarm_test_spec::Spec;

use crate::report::Report;

/// What the expansion's agent factory returns for one agent: the user's agent, type-erased
/// (the spec crate, which carries the factory, does not know the `Agent` trait), or `None`
/// for a built-in role.
pub type BuiltAgent = Option<Box<dyn std::any::Any + Send>>;

/// A user's agent, as the factory hands it on. Generic only in the agent type: the
/// expansion calls it at the type's span, so a type that does not implement `Agent` is an
/// error there.
pub fn user_agent<A: crate::Agent>(agent: A) -> Box<dyn std::any::Any + Send> {
    let agent: Box<dyn crate::Agent> = Box::new(agent);
    Box::new(agent)
}

/// `spec` with its user agents built by `build` (the expansion's `__swarm_test_agent`).
pub fn with_agents(mut spec: Spec, build: fn(usize) -> BuiltAgent) -> Spec {
    spec.agent_factory = Some(swarm_test_spec::AgentFactory::new(build));
    spec
}

/// Support for the live bench (`benches/live.rs`): a live swarm on the process backend whose
/// agents are this very binary (its `main` must call [`run_if_agent`] first). Not an API.
pub struct LiveBench {
    live: crate::live::Live,
    runtime: tokio::runtime::Runtime,
}

impl LiveBench {
    /// Starts the swarm of `spec` and waits until its agents are ready; returns it and the
    /// time that took.
    pub fn start(
        spec: &swarm_test_spec::Spec,
        seed: u64,
    ) -> Result<(LiveBench, std::time::Duration), crate::SetupError> {
        use crate::SetupError::Live as failed;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| failed(e.to_string()))?;
        let launch = crate::backend::Launch {
            program: std::env::current_exe().map_err(|e| failed(e.to_string()))?,
            args: Vec::new(),
            env: Vec::new(),
        };
        let backend = crate::backend::process::ProcessBackend::new()
            .map_err(|e| failed(crate::error::chain(&e)))?;
        let mut live = crate::live::Live::new(spec, seed, "bench", Box::new(backend), launch)
            .map_err(failed)?;
        let started = std::time::Instant::now();
        runtime.block_on(live.setup()).map_err(failed)?;
        let took = started.elapsed();
        Ok((LiveBench { live, runtime }, took))
    }

    /// `n` sequential controller ↔ agent round trips to `agent`.
    pub fn round_trips(
        &mut self,
        agent: usize,
        n: usize,
    ) -> Result<Vec<std::time::Duration>, crate::SwarmError> {
        let live = &mut self.live;
        self.runtime.block_on(async {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(
                    live.round_trip(agent)
                        .await
                        .map_err(crate::SwarmError::Live)?,
                );
            }
            Ok(out)
        })
    }

    /// OS process ids of the running agents.
    pub fn pids(&self) -> Vec<Option<u32>> {
        self.live.pids()
    }
}

impl Drop for LiveBench {
    fn drop(&mut self) {
        self.live.shutdown();
    }
}
use crate::swarm::Swarm;

/// `fn name() -> R`.
pub fn declarative<R: TestResult>(f: impl Fn() -> R + 'static) -> Body {
    Body::Declarative(Box::new(move || f().into_outcome()))
}

/// `fn name(report: &Report) -> R`.
pub fn with_report<R: TestResult>(f: impl Fn(&Report) -> R + 'static) -> Body {
    Body::Report(Box::new(move |report| f(report).into_outcome()))
}

/// `async fn name(report: &Report) -> R`, as `|r| Box::pin(async move { outcome(name(r).await) })`.
pub fn with_report_async(f: impl for<'a> Fn(&'a Report) -> BodyFuture<'a> + 'static) -> Body {
    Body::ReportAsync(Box::new(f))
}

/// `async fn name(swarm: &mut Swarm) -> R`, as
/// `|s| Box::pin(async move { outcome(name(s).await) })`.
pub fn with_swarm(f: impl for<'a> Fn(&'a mut Swarm) -> BodyFuture<'a> + 'static) -> Body {
    Body::Swarm(Box::new(f))
}

/// Converts a body's return value.
pub fn outcome<R: TestResult>(r: R) -> Outcome {
    r.into_outcome()
}

/// Agent `id` as the program `argv` started in `cwd` (`program = "CMD"` and roster entries
/// `program("CMD") * n`), boxed for an agent factory as the world unwraps it
/// (`Box<dyn Agent>` inside `Box<dyn Any + Send>`).
pub fn program_agent(argv: &[&str], cwd: &str, id: usize) -> Box<dyn std::any::Any + Send> {
    let agent: Box<dyn crate::Agent> = Box::new(crate::program::ProgramAgent::new(argv, cwd, id));
    Box::new(agent)
}
