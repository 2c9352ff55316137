//! The imperative API: a test body that drives the swarm itself.

use std::time::Duration;

use crate::config::Mode;
use crate::core::{Agent, Core, Ending, Task, TaskId};
use crate::error::SwarmError;
use crate::live::LiveRun;
use crate::metrics;
use crate::report::Report;
use crate::sim::Sim;
use crate::topology::{AgentId, Topology};

/// A running swarm, handed to `async fn name(swarm: &mut Swarm)` tests.
///
/// In mock mode time is virtual: `swarm.sleep(..)`, and `tokio::time::sleep` in the body, cost
/// no wall time, and the swarm's clock and tokio's move together. In live mode
/// (`SWARM_TEST_MODE=live`) the same calls drive real agent processes in real time, and the
/// swarm keeps running while the body awaits anything. Setup has run before the body;
/// invariant checks, metric capture, the snapshot and teardown run after it.
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
    driver: Driver,
    name: String,
    seed: u64,
    teardown: Vec<Teardown>,
}

/// What runs the swarm: the simulator in virtual time, or the live controller.
#[derive(Debug)]
pub(crate) enum Driver {
    /// Mock mode: the simulator, with tokio's (paused) clock at the start of the body.
    Mock {
        sim: Box<Sim>,
        started: tokio::time::Instant,
    },
    /// Live mode: real agents, real time.
    Live(Box<LiveRun>),
}

/// A cleanup step registered with [`Swarm::on_teardown`].
pub(crate) struct Teardown(pub(crate) Box<dyn FnOnce() + Send>);

impl std::fmt::Debug for Teardown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Teardown(..)")
    }
}

/// A task that completed.
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
    pub(crate) fn new(driver: Driver, name: String, seed: u64) -> Swarm {
        Swarm {
            driver,
            name,
            seed,
            teardown: Vec::new(),
        }
    }

    pub(crate) fn into_parts(self) -> (Driver, Vec<Teardown>) {
        (self.driver, self.teardown)
    }

    /// Hands a task to the swarm and waits for it to end.
    ///
    /// Returns how it completed, or [`SwarmError::TaskFailed`] with the reason (for example,
    /// no agent has the capability the task requires).
    pub async fn dispatch(&mut self, task: Task) -> Result<Completed, SwarmError> {
        match &mut self.driver {
            Driver::Mock { sim, started } => {
                catch_up(sim, *started)?;
                let id = sim.dispatch(task);
                let ran = sim.run_until_ended(id);
                sync_clock(sim, *started).await;
                ran?;
                completed(sim.core(), id)
            }
            Driver::Live(live) => {
                let id = live.dispatch(task).await.map_err(SwarmError::Live)?;
                live.with_state(|s| completed(&s.core, id))
            }
        }
    }

    /// Runs `n` trades of the built-in trade flow (arriving with exponential gaps, symbols
    /// SPY, QQQ, AAPL, TSLA in turn) and waits until all of them ended. Returns the ids.
    pub async fn run_trades(&mut self, n: u64) -> Result<Vec<TaskId>, SwarmError> {
        match &mut self.driver {
            Driver::Mock { sim, started } => {
                catch_up(sim, *started)?;
                let before = sim.flow_tasks().len();
                sim.start_trades(n);
                let ran = sim.run_until_idle();
                sync_clock(sim, *started).await;
                ran?;
                Ok(sim.flow_tasks()[before..].to_vec())
            }
            Driver::Live(live) => live.run_trades(n).await.map_err(SwarmError::Live),
        }
    }

    /// Lets `duration` of swarm time pass (virtual in mock mode: no wall time).
    pub async fn sleep(&mut self, duration: Duration) -> Result<(), SwarmError> {
        match &mut self.driver {
            Driver::Mock { sim, started } => {
                catch_up(sim, *started)?;
                let until = sim.now_us() + duration.as_micros() as u64;
                let ran = sim.run_until(until);
                sync_clock(sim, *started).await;
                Ok(ran?)
            }
            Driver::Live(live) => {
                live.sleep(duration).await;
                Ok(())
            }
        }
    }

    /// Time since the run started (virtual in mock mode).
    pub fn now(&self) -> Duration {
        match &self.driver {
            Driver::Mock { sim, .. } => Duration::from_micros(sim.now_us()),
            Driver::Live(live) => live.now(),
        }
    }

    /// The communication graph.
    pub fn topology(&self) -> &Topology {
        match &self.driver {
            Driver::Mock { sim, .. } => sim.core().topology(),
            Driver::Live(live) => live.topology(),
        }
    }

    /// The agents, by id, as the coordination layer sees them (in live mode: as it saw them
    /// when the last call on the swarm returned).
    pub fn agents(&self) -> &[Agent] {
        match &self.driver {
            Driver::Mock { sim, .. } => sim.agents(),
            Driver::Live(live) => live.agents(),
        }
    }

    /// `mock` or `live`.
    pub fn mode(&self) -> Mode {
        match &self.driver {
            Driver::Mock { .. } => Mode::Mock,
            Driver::Live(_) => Mode::Live,
        }
    }

    /// The OS process id of each agent whose process runs now, by agent id: `None` for an
    /// agent that is not running (crashed, not restarted) and for every agent in mock mode,
    /// where agents are not processes.
    pub fn pids(&self) -> Vec<Option<u32>> {
        match &self.driver {
            Driver::Mock { sim, .. } => vec![None; sim.agents().len()],
            Driver::Live(live) => live.pids(),
        }
    }

    /// The seed of this run (`SWARM_TEST_SEED=<seed>` replays it).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The report so far.
    pub fn report(&mut self) -> Report {
        match &mut self.driver {
            Driver::Mock { sim, .. } => metrics::capture(sim.as_mut(), &self.name, self.seed),
            Driver::Live(live) => live.with_state(|s| metrics::capture(s, &self.name, self.seed)),
        }
    }

    /// Registers a cleanup step that runs at teardown, after the body, whether it returned,
    /// failed or panicked. Steps run in reverse order of registration.
    pub fn on_teardown(&mut self, step: impl FnOnce() + Send + 'static) {
        self.teardown.push(Teardown(Box::new(step)));
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
