//! The imperative API: a test body that drives the swarm itself.

use std::time::Duration;

use crate::config::Mode;
use crate::core::{AgentRecord, Core, Ending, Proposal, RoundOutcome, Task, TaskId};
use crate::driver::{Driver, Until};
use crate::error::SwarmError;
use crate::fault_handle::{FaultHandle, IntoFaultSpec};
use crate::live::Live;
use crate::metrics;
use crate::report::Report;
use crate::sim::Sim;
use crate::topology::{AgentId, Topology};
use crate::world::{Effects, World};

/// A running swarm, handed to `async fn name(swarm: &mut Swarm)` tests.
///
/// In mock mode time is virtual: `swarm.sleep(..)`, and `tokio::time::sleep` in the body, cost
/// no wall time, and the swarm's clock and tokio's move together. In live mode
/// (`SWARM_TEST_MODE=live`) the same calls drive real agent processes in real time, and the
/// swarm keeps running while the body awaits anything. Setup has run before the body;
/// invariant checks, metric capture, the snapshot and teardown run after it.
///
/// **`tokio::select!` in a mock body:** without `biased;`, when several branches are ready
/// at the same poll, tokio picks one with its own thread-local RNG, which the test's seed does
/// not control, so the same seed can take a different branch on the next run (and
/// `SWARM_TEST_CHECK_DETERMINISM=1` may report it). Write `biased;` as the first line of the
/// `select!`: the branches are then polled in source order and the first ready one wins,
/// every run (`tests/tests/harness/select.rs` shows both).
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[swarm_test(topology = "mesh", agents = 4, snapshot = false)]
/// async fn drive_it(swarm: &mut Swarm) -> Result<(), SwarmError> {
///     let done = swarm.dispatch(Task::trade("SPY")).await?;
///     assert!(done.latency > std::time::Duration::ZERO);
///     swarm.run_trades(8).await?;
///     swarm.sleep(std::time::Duration::from_secs(1)).await?;
///     assert_eq!(swarm.report().tasks.completed, 9);
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct Swarm {
    driver: AnyDriver,
    name: String,
    seed: u64,
    teardown: Vec<Teardown>,
}

/// What runs the swarm: the simulator in virtual time, or the live controller.
#[derive(Debug)]
pub(crate) enum AnyDriver {
    /// Mock mode: the simulator, with tokio's (paused) clock at the start of the body.
    Mock {
        sim: Box<Sim>,
        started: tokio::time::Instant,
    },
    /// Live mode: real agents, real time.
    Live(Box<Live>),
}

/// A cleanup step registered with [`Swarm::on_teardown`].
pub(crate) struct Teardown(pub(crate) Box<dyn FnOnce() + Send>);

impl std::fmt::Debug for Teardown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Teardown(..)")
    }
}

/// A task that completed.
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[swarm_test(topology = "star", agents = 4, snapshot = false)]
/// async fn one(swarm: &mut Swarm) -> Result<(), SwarmError> {
///     let done: swarm_test::Completed = swarm.dispatch(Task::trade("SPY")).await?;
///     assert_ne!(done.by, 0, "the hub routes, spokes execute");
///     assert!(!done.rerouted);
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    /// Its id.
    pub task: TaskId,
    /// The agent that executed it.
    pub by: AgentId,
    /// From dispatch to the result reaching the client.
    pub latency: Duration,
    /// Whether it was rerouted on the way (an agent failed or answered with an error).
    pub rerouted: bool,
}

impl Swarm {
    pub(crate) fn new(driver: AnyDriver, name: String, seed: u64) -> Swarm {
        Swarm {
            driver,
            name,
            seed,
            teardown: Vec::new(),
        }
    }

    pub(crate) fn into_parts(self) -> (AnyDriver, Vec<Teardown>) {
        (self.driver, self.teardown)
    }

    /// Hands a task to the swarm and waits for it to end.
    ///
    /// Returns how it completed, or [`SwarmError::TaskFailed`] with the reason (for example,
    /// no agent has the capability the task requires).
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "star", agents = 4, snapshot = false)]
    /// async fn one_trade(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     let done = swarm.dispatch(Task::trade("SPY")).await?;
    ///     assert_ne!(done.by, 0, "spokes execute, the hub routes");
    ///     let err = swarm.dispatch(Task::trade("SPY").requires("teleportation")).await;
    ///     assert!(matches!(err, Err(SwarmError::TaskFailed { .. })));
    ///     Ok(())
    /// }
    /// ```
    pub async fn dispatch(&mut self, task: Task) -> Result<Completed, SwarmError> {
        let id = self.act(|w, fx| w.dispatch(fx, task))?;
        self.wait(Until::Ended(vec![id])).await?;
        self.view(|w| completed(&w.core, id))
    }

    /// Hands every task to the swarm at the same instant (a burst), then waits until all of
    /// them ended. Returns each task's outcome, in order.
    ///
    /// Unlike awaiting [`Swarm::dispatch`] in a loop, the tasks are in flight together, so
    /// load-aware strategies (`least_loaded`, `specialized`, `adaptive`) see each other's load.
    pub async fn dispatch_all(
        &mut self,
        tasks: impl IntoIterator<Item = Task>,
    ) -> Result<Vec<Result<Completed, SwarmError>>, SwarmError> {
        let ids: Vec<TaskId> =
            self.act(|w, fx| tasks.into_iter().map(|t| w.dispatch(fx, t)).collect())?;
        self.wait(Until::Ended(ids.clone())).await?;
        Ok(self.view(|w| ids.iter().map(|&id| completed(&w.core, id)).collect()))
    }

    /// Puts a proposal to a vote and waits for the decision.
    ///
    /// The hub or coordinator (else the live agent with the lowest id) asks itself and its
    /// live neighbours; the proposal is reached when `ceil(live voters × threshold)` of them
    /// agree, with at least 3 live voters by default. A crashed or partitioned voter never
    /// answers, so it never counts as agreeing. The round is also recorded in
    /// `report.consensus`.
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "mesh", agents = 3, strategy = "consensus", snapshot = false)]
    /// async fn consensus_reaches_two_thirds(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     let decision = swarm.propose(Proposal::trade("SPY").threshold(0.66)).await?;
    ///     assert!(decision.reached, "{}", decision.reason);
    ///     assert_eq!(decision.quorum, 2);
    ///     Ok(())
    /// }
    /// ```
    ///
    /// In live mode each voter's process decides its vote (the same logic as mock mode) and
    /// answers over the wire; the round's timeout runs on the real clock.
    ///
    /// Errors: [`SwarmError::Proposal`] for an invalid proposal (threshold outside `(0, 1]`);
    /// [`SwarmError::Live`] when the live controller stopped (an agent broke the protocol).
    /// A vote that cannot be held (no proposer, too few live voters) is a decision that was
    /// not reached, with the reason.
    pub async fn propose(&mut self, proposal: Proposal) -> Result<RoundOutcome, SwarmError> {
        let round = self.act(|w, fx| w.propose(fx, proposal))??;
        self.wait(Until::Decided(round)).await?;
        self.view(|w| w.core.decision(round).cloned())
            .ok_or_else(|| {
                SwarmError::Proposal("the swarm stopped before the vote was decided".into())
            })
    }

    /// Runs `n` trades of the built-in trade flow (arriving with exponential gaps, symbols
    /// SPY, QQQ, AAPL, TSLA in turn) and waits until all of them ended. Returns the ids.
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "ring", agents = 4, snapshot = false)]
    /// async fn a_burst(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     let ids = swarm.run_trades(12).await?;
    ///     assert_eq!(ids.len(), 12);
    ///     Ok(())
    /// }
    /// ```
    pub async fn run_trades(&mut self, n: u64) -> Result<Vec<TaskId>, SwarmError> {
        let before = self.act(|w, fx| {
            let before = w.flow.tasks.len();
            w.start_trades(fx, n);
            before
        })?;
        self.wait(Until::Idle).await?;
        Ok(self.view(|w| w.flow.tasks[before..].to_vec()))
    }

    /// Lets `duration` of swarm time pass (virtual in mock mode: no wall time).
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
    /// async fn an_hour_in_no_time(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     swarm.sleep(std::time::Duration::from_secs(30)).await?;
    ///     assert!(swarm.now() >= std::time::Duration::from_secs(30));
    ///     Ok(())
    /// }
    /// ```
    pub async fn sleep(&mut self, duration: Duration) -> Result<(), SwarmError> {
        self.act(|_, _| ())?;
        self.wait(Until::After(duration)).await
    }

    /// Time since the run started (virtual in mock mode).
    pub fn now(&self) -> Duration {
        match &self.driver {
            AnyDriver::Mock { sim, .. } => Duration::from_micros(sim.now_us()),
            AnyDriver::Live(live) => live.now(),
        }
    }

    /// A sometimes-assertion: records whether `cond` held for the condition `name` in this
    /// run, and returns `cond`. Over a `SWARM_TEST_SEEDS=N` run the harness counts the seeds
    /// that reached each condition, prints the table, and with `SWARM_TEST_REQUIRE_REACHED=1`
    /// fails when one was never reached (see [`sometimes`](crate::sometimes)).
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
    /// async fn rerouting_happens(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     let done = swarm.dispatch(Task::trade("SPY")).await?;
    ///     swarm.sometimes("a trade was rerouted", done.rerouted);
    ///     Ok(())
    /// }
    /// ```
    pub fn sometimes(&mut self, name: &str, cond: bool) -> bool {
        crate::harness::sometimes(name, cond)
    }

    /// The communication graph.
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "star", agents = 5, snapshot = false)]
    /// async fn shape(swarm: &mut Swarm) {
    ///     assert_eq!(swarm.topology().degree(0), 4);
    ///     assert_eq!(swarm.topology().articulation_points(), vec![0]);
    /// }
    /// ```
    pub fn topology(&self) -> &Topology {
        match &self.driver {
            AnyDriver::Mock { sim, .. } => sim.core().topology(),
            AnyDriver::Live(live) => live.topology(),
        }
    }

    /// The agents, by id, as the coordination layer sees them (in live mode: as it saw them
    /// when the last call on the swarm returned).
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "hierarchical", agents = 5, snapshot = false)]
    /// async fn roster(swarm: &mut Swarm) {
    ///     assert_eq!(swarm.agents().len(), 5);
    ///     assert!(swarm.agents()[1].can("trade_execution"));
    /// }
    /// ```
    pub fn agents(&self) -> &[AgentRecord] {
        match &self.driver {
            AnyDriver::Mock { sim, .. } => sim.agents(),
            AnyDriver::Live(live) => live.agents(),
        }
    }

    /// `mock` or `live`.
    pub fn mode(&self) -> Mode {
        match &self.driver {
            AnyDriver::Mock { .. } => Mode::Mock,
            AnyDriver::Live(_) => Mode::Live,
        }
    }

    /// The OS process id of each agent whose process runs now, by agent id: `None` for an
    /// agent that is not running (crashed, not restarted) and for every agent in mock mode,
    /// where agents are not processes.
    pub fn pids(&self) -> Vec<Option<u32>> {
        match &self.driver {
            AnyDriver::Mock { sim, .. } => vec![None; sim.agents().len()],
            AnyDriver::Live(live) => live.pids(),
        }
    }

    /// The seed of this run (`SWARM_TEST_SEED=<seed>` replays it).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The report so far.
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
    /// async fn so_far(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     swarm.run_trades(6).await?;
    ///     assert_eq!(swarm.report().tasks.completed, 6);
    ///     Ok(())
    /// }
    /// ```
    pub fn report(&mut self) -> Report {
        match &mut self.driver {
            AnyDriver::Mock { sim, .. } => metrics::capture(sim.as_mut(), &self.name, self.seed),
            AnyDriver::Live(live) => {
                live.with_state(|s| metrics::report(&mut s.world, &s.io, &self.name, self.seed))
            }
        }
    }

    /// From now on, the market's prices follow `regime` (a synthetic market only; a replayed
    /// bar file is not affected). In live mode each agent process decides on its own copy of
    /// the market: the controller changes its desk's market and sends the change to every
    /// agent (and to any agent restarted later), so they all price the same bars. Returns
    /// `Ok` in both modes; the `Result` leaves room for drivers that cannot change the
    /// market.
    ///
    /// ```
    /// use swarm_test::prelude::*;
    /// use swarm_test::Regime;
    ///
    /// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
    /// async fn crash_midway(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     swarm.run_trades(10).await?;
    ///     swarm.set_regime(Regime::Crash)?;
    ///     swarm.run_trades(10).await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn set_regime(&mut self, regime: swarm_test_spec::Regime) -> Result<(), SwarmError> {
        match &mut self.driver {
            AnyDriver::Mock { sim, .. } => {
                sim.set_regime(regime);
                Ok(())
            }
            AnyDriver::Live(live) => {
                live.with_state(|s| s.set_regime(regime));
                Ok(())
            }
        }
    }

    /// Registers a cleanup step that runs at teardown, after the body, whether it returned,
    /// failed or panicked. Steps run in reverse order of registration.
    ///
    /// ```
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
    /// async fn cleans_up(swarm: &mut Swarm) {
    ///     let dir = std::env::temp_dir().join("my-swarm-scratch");
    ///     std::fs::create_dir_all(&dir).unwrap();
    ///     swarm.on_teardown(move || {
    ///         let _ = std::fs::remove_dir_all(dir);
    ///     });
    /// }
    /// ```
    pub fn on_teardown(&mut self, step: impl FnOnce() + Send + 'static) {
        self.teardown.push(Teardown(Box::new(step)));
    }
}

/// Faults at run time.
impl Swarm {
    /// Injects a fault now: a [`FaultSpec`](crate::FaultSpec) or its text, parsed by the same
    /// parser as the `inject` attribute (`"crash(2, restart = 1s)"`, `"latency(50ms) for 2s"`).
    /// `@ START` counts from now; `for DURATION` heals it after that long. It goes through the
    /// same effects as the attribute's faults (see `swarm_test::internals::sim`), and its measurements
    /// join `report.faults`, after the attribute's.
    ///
    /// Returns the handle that [`Swarm::heal`] takes, or [`SwarmError::Fault`] if the text is
    /// not a fault spec or its target cannot exist here (e.g. `hub` outside a star).
    ///
    /// ```
    /// use std::time::Duration;
    /// use swarm_test::prelude::*;
    ///
    /// #[swarm_test(topology = "mesh", agents = 4, snapshot = false)]
    /// async fn work_goes_around_a_crash(swarm: &mut Swarm) -> Result<(), SwarmError> {
    ///     let crash = swarm.inject("crash(1)").await?;
    ///     swarm.run_trades(8).await?;
    ///     swarm.heal(crash).await?; // agent 1 restarts, empty
    ///     swarm.sleep(Duration::from_millis(100)).await?;
    ///     let report = swarm.report();
    ///     assert_eq!(report.tasks.completed, 8);
    ///     assert_eq!(report.faults[0].targets, vec![1]);
    ///     assert!(report.faults[0].healed_at_ms.is_some());
    ///     assert!(swarm.inject("crash(hub)").await.is_err(), "a mesh has no hub");
    ///     Ok(())
    /// }
    /// ```
    pub async fn inject(&mut self, fault: impl IntoFaultSpec) -> Result<FaultHandle, SwarmError> {
        let text = fault.text();
        let spec = fault.into_fault_spec().map_err(|e| SwarmError::Fault {
            fault: text.clone(),
            reason: e.to_string(),
        })?;
        let index = self
            .act(|w, fx| w.inject(fx, spec.clone()))?
            .map_err(|reason| SwarmError::Fault {
                fault: text,
                reason: reason.to_string(),
            })?;
        Ok(FaultHandle { index, spec })
    }

    /// Heals an injected fault now (see the `sim` module for what healing undoes). A fault
    /// that already healed (its `for DURATION` ran out) stays healed; one that has not started
    /// yet (`@ START` in the future) never starts.
    pub async fn heal(&mut self, handle: FaultHandle) -> Result<(), SwarmError> {
        self.act(|w, fx| w.heal(fx, handle.index))
    }
}

/// The async face, written once over the two drivers.
impl Swarm {
    /// Runs `f` on the world and the driver's effects now: in mock mode after the simulator
    /// caught up with tokio's clock (the body may have slept on it); live under the
    /// controller's lock, then the actor is woken.
    fn act<R>(
        &mut self,
        f: impl FnOnce(&mut World, &mut dyn Effects) -> R,
    ) -> Result<R, SwarmError> {
        match &mut self.driver {
            AnyDriver::Mock { sim, started } => {
                catch_up(sim, *started)?;
                Ok(sim.with(f))
            }
            AnyDriver::Live(live) => Ok(live.act(f)),
        }
    }

    /// Reads the world now.
    fn view<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        match &self.driver {
            AnyDriver::Mock { sim, .. } => sim.view(|w, _| f(w)),
            AnyDriver::Live(live) => live.with_state(|s| f(&s.world)),
        }
    }

    /// Lets the swarm run until `until` holds: virtual time in mock mode (tokio's paused clock
    /// follows), real time live.
    async fn wait(&mut self, until: Until) -> Result<(), SwarmError> {
        match &mut self.driver {
            AnyDriver::Mock { sim, started } => {
                let ran = match until {
                    Until::Ended(ids) => ids.iter().try_for_each(|&id| sim.run_until_ended(id)),
                    Until::Decided(round) => sim.run_until_decided(round),
                    Until::Idle => sim.run_until_idle(),
                    Until::After(d) => sim.run_until(sim.now_us() + d.as_micros() as u64),
                };
                sync_clock(sim, *started).await;
                Ok(ran?)
            }
            AnyDriver::Live(live) => live.wait_for(until).await.map_err(SwarmError::Live),
        }
    }
}

fn completed(core: &Core, id: TaskId) -> Result<Completed, SwarmError> {
    let ledger = core.ledger();
    match ledger.ending(id) {
        Some(Ending::Completed { by }) => Ok(Completed {
            task: id,
            by: *by,
            latency: Duration::from_micros(core.latency_of(id).unwrap_or_default()),
            rerouted: ledger.assignments(id).len() > 1,
        }),
        Some(Ending::Failed { reason }) => Err(SwarmError::TaskFailed {
            task: id,
            reason: reason.clone(),
        }),
        None => Err(SwarmError::TaskFailed {
            task: id,
            reason: "the simulation ran out of events before the task ended".into(),
        }),
    }
}

/// Brings the simulator's clock up to tokio's (the body may have slept on tokio's timer).
fn catch_up(sim: &mut Sim, started: tokio::time::Instant) -> Result<(), SwarmError> {
    let elapsed = tokio::time::Instant::now().saturating_duration_since(started);
    let target = elapsed.as_micros() as u64;
    if target > sim.now_us() {
        sim.run_until(target)?;
    }
    Ok(())
}

/// Brings tokio's (paused) clock up to the simulator's, so both agree after each call.
async fn sync_clock(sim: &Sim, started: tokio::time::Instant) {
    tokio::time::sleep_until(started + Duration::from_micros(sim.now_us())).await;
}
