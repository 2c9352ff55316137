//! The live driver: the same [`Core`](crate::core::Core) as mock mode, in real time, with
//! real agent processes behind a [`Backend`](crate::backend::Backend).
//!
//! The controller runs on the test's tokio runtime (current-thread, real clock): an actor task
//! owns the event loop (frames from agents → timers → the core's outputs), in the order the
//! STYLE guide gives for live drivers; `now_us` for the core is read from a monotonic clock
//! since the run started. The harness and the imperative [`Swarm`](crate::Swarm) call into it
//! through [`Live`].
//!
//! - [`agent`]: the agent program (what each agent process runs);
//! - `state`: the controller's state (the run's world and the controller's side) and its
//!   event handling (frames, work, timers);
//! - `effects`: the world's effects, live: frames, signals, delivery past the switch, real
//!   faults;
//! - `health`: heartbeats and CPU/memory sampling;
//! - `blocking`: the [`Driver`](crate::driver::Driver) of the deployment patterns, live;
//!
//! Readiness: every agent must complete the handshake (`ready`, with the run's token); setup
//! waits up to [`READY_TIMEOUT`] and fails at once when fewer than 80% can still make it.
//! Timeouts: the core's client timeouts run on the real clock, with the same values as mock.
//! Heartbeats: the controller pings every agent each [`TICK_US`] (the core's heartbeat
//! interval); round trips are measured and an agent that misses [`MISSED_HEARTBEATS`] is named
//! in the trace. An agent whose process answers its ping has its heartbeat timer fire in the
//! core (`Core::handle_tick`), and the heartbeats go through the switch to its peers'
//! processes, so failure detection, promotion and failover work as in mock mode: a killed or
//! paused agent stops heartbeating and its peers declare it failed.

pub mod agent;
mod blocking;
mod effects;
mod health;
mod io;

mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use swarm_test_spec::Spec;
use tokio::sync::{mpsc, oneshot, Notify};

use crate::backend::{Backend, Launch};
use crate::core::AgentRecord;
use crate::driver::Until;
use crate::topology::Topology;
use crate::world::READY_QUORUM;
use crate::world::{Effects, World};

pub use agent::{AgentEnv, AGENT_VAR};
pub use state::{CPU_WINDOW_US, MISSED_HEARTBEATS, TICK_US};

pub(crate) use blocking::Blocking;
use state::Inbound;
pub(crate) use state::Locked;

/// How long setup waits for agents to become ready. The default value is 10 s (or the test's
/// timeout, if shorter).
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

struct Shared {
    state: Mutex<Locked>,
    /// Something changed that the actor must look at (new timers, new tasks, stop).
    wake: Notify,
    /// An agent became ready or went away (setup waits on it).
    progress: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Locked> {
        // A panic inside the controller poisons the lock; the state is still the best record
        // of what happened, and teardown must still reach the processes.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A live swarm: the controller and its agent processes. Kills every agent on drop.
pub(crate) struct Live {
    shared: Arc<Shared>,
    inbox: Option<mpsc::UnboundedReceiver<Inbound>>,
    actor: Option<tokio::task::JoinHandle<()>>,
    topology: Topology,
    agents: Vec<AgentRecord>,
    timeout: Duration,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("topology", &self.topology)
            .finish_non_exhaustive()
    }
}

/// A run token: unique per run on this machine (pid, time, counter).
fn run_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl Live {
    /// A live swarm for `spec` with `seed`; nothing started yet. `launch` says how to start
    /// the agent program (without the agent variable, which is added per agent).
    pub(crate) fn new(
        spec: &Spec,
        seed: u64,
        test_path: &str,
        backend: Box<dyn Backend>,
        launch: Launch,
    ) -> Result<Live, String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let env = AgentEnv {
            run: run_token(),
            agent: 0,
            seed,
            test: test_path.to_owned(),
        };
        let state = Locked::new(spec, seed, backend, launch, env, tx)?;
        let topology = state.world.core.topology().clone();
        let agents = state.world.core.agents().to_vec();
        Ok(Live {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                wake: Notify::new(),
                progress: Notify::new(),
            }),
            inbox: Some(rx),
            actor: None,
            topology,
            agents,
            timeout: Duration::from_millis(spec.timeout_ms),
        })
    }

    /// Runs `f` on the controller's state (for reports and checks).
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut Locked) -> R) -> R {
        f(&mut self.shared.lock())
    }

    /// Starts the agents and waits until they are ready (see the module docs), then schedules
    /// the faults relative to that moment. Must run inside the test's tokio runtime.
    pub(crate) async fn setup(&mut self) -> Result<(), String> {
        let Some(inbox) = self.inbox.take() else {
            return Err("the live swarm was already set up".into());
        };
        self.actor = Some(tokio::spawn(actor(Arc::clone(&self.shared), inbox)));
        let n = self.topology.len();
        let needed = (n as f64 * READY_QUORUM).ceil() as usize;
        {
            let mut s = self.shared.lock();
            s.io.start = std::time::Instant::now();
            for agent in 0..n {
                if let Err(e) = s.start_agent(agent) {
                    s.world
                        .trace
                        .record(0, format_args!("agent {agent} did not start: {e}"));
                }
            }
        }
        let limit = READY_TIMEOUT.min(self.timeout);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let (ready, gone) = {
                let s = self.shared.lock();
                let ready = s.io.slots.iter().filter(|s| s.ready).count();
                let gone = s.io.slots.iter().filter(|s| !s.alive && !s.ready).count();
                (ready, gone)
            };
            if ready == n {
                break;
            }
            if n - gone < needed {
                break; // Fail fast: 80% can no longer be reached.
            }
            if tokio::time::timeout_at(deadline, self.shared.progress.notified())
                .await
                .is_err()
            {
                break;
            }
        }
        let mut s = self.shared.lock();
        let ready = s.io.slots.iter().filter(|s| s.ready).count();
        if ready < needed {
            let why: Vec<String> =
                s.io.slots
                    .iter()
                    .enumerate()
                    .filter(|(_, slot)| !slot.ready)
                    .map(|(i, slot)| match &slot.exit {
                        Some(exit) => format!("agent {i}: {exit}"),
                        None => format!("agent {i}: no handshake within {limit:?}"),
                    })
                    .chain(s.io.errors.iter().cloned())
                    .collect();
            return Err(format!(
                "only {ready} of {n} live agents became ready; at least {needed} ({}%) are needed:\n  - {}",
                READY_QUORUM * 100.0,
                why.join("\n  - ")
            ));
        }
        s.ready();
        drop(s);
        self.shared.wake.notify_one();
        self.refresh();
        Ok(())
    }

    /// Runs `f` on the world and the controller now, carries out the core's outputs, and
    /// wakes the actor (there may be new timers or frames to send).
    pub(crate) fn act<R>(&mut self, f: impl FnOnce(&mut World, &mut dyn Effects) -> R) -> R {
        let r = self.with_state(|s| {
            let r = f(&mut s.world, &mut s.io);
            s.drain();
            r
        });
        self.shared.wake.notify_one();
        self.refresh();
        r
    }

    /// Waits, in real time, until `until` holds.
    pub(crate) async fn wait_for(&mut self, until: Until) -> Result<(), String> {
        let waits = self.with_state(|s| match &until {
            Until::Ended(tasks) => tasks.iter().map(|&t| s.wait_ended(t)).collect(),
            Until::Decided(round) => vec![s.wait_decided(*round)],
            Until::Idle => vec![s.wait_idle()],
            Until::After(_) => Vec::new(),
        });
        if let Until::After(duration) = until {
            tokio::time::sleep(duration).await;
            self.refresh();
        }
        for rx in waits {
            self.wait(rx).await?;
        }
        Ok(())
    }

    async fn wait(&mut self, rx: oneshot::Receiver<()>) -> Result<(), String> {
        let r = rx.await;
        self.refresh();
        r.map_err(|_| {
            let errors = self.with_state(|s| s.io.errors.join("; "));
            format!("the live controller stopped before the swarm finished: {errors}")
        })
    }

    /// One controller → agent → controller round trip (a heartbeat), on an idle swarm.
    pub(crate) async fn round_trip(&mut self, agent: usize) -> Result<Duration, String> {
        let pong = self.with_state(|s| s.ping(agent));
        pong.await
            .map(Duration::from_micros)
            .map_err(|_| format!("agent {agent} did not answer the ping"))
    }

    /// Time since setup started.
    pub(crate) fn now(&self) -> Duration {
        Duration::from_micros(self.with_state(|s| s.now_us()))
    }

    /// The communication graph.
    pub(crate) fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The agents as the core saw them at the end of the last call.
    pub(crate) fn agents(&self) -> &[AgentRecord] {
        &self.agents
    }

    /// OS process ids of the agents whose processes run now.
    pub(crate) fn pids(&self) -> Vec<Option<u32>> {
        self.with_state(|s| s.pids())
    }

    /// Protocol errors and agent failures so far: any of them fails the run.
    pub(crate) fn errors(&self) -> Vec<String> {
        self.with_state(|s| s.io.errors.clone())
    }

    /// The trace's tail, its length, and the time now.
    pub(crate) fn trace_tail(&self) -> (Vec<String>, u64, u64) {
        self.with_state(|s| {
            (
                s.world.trace.tail().map(str::to_owned).collect(),
                s.world.trace.events(),
                s.now_us(),
            )
        })
    }

    fn refresh(&mut self) {
        self.agents = self.with_state(|s| s.world.core.agents().to_vec());
    }

    /// Stops the controller and kills and reaps every agent. Idempotent; also run on drop.
    pub(crate) fn shutdown(&mut self) {
        {
            let mut s = self.shared.lock();
            s.kill_all();
            s.abandon_waiters();
        }
        if let Some(actor) = self.actor.take() {
            actor.abort();
        }
        self.shared.wake.notify_one();
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The event loop: timers due → frames → wait for the next frame, timer or wake-up.
async fn actor(shared: Arc<Shared>, mut inbox: mpsc::UnboundedReceiver<Inbound>) {
    loop {
        let next = {
            let mut s = shared.lock();
            if s.io.stopping {
                return;
            }
            guard(&mut s, Locked::fire_due_timers);
            s.next_deadline_us()
                .map(|at| s.io.start + Duration::from_micros(at))
        };
        let sleep = async {
            match next {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            inbound = inbox.recv() => {
                let Some(inbound) = inbound else { return };
                let mut s = shared.lock();
                let ready_before = s.io.slots.iter().filter(|x| x.ready || !x.alive).count();
                guard(&mut s, |s| s.on_inbound(inbound));
                // Drain whatever else already arrived before looking at timers again.
                while let Ok(more) = inbox.try_recv() {
                    guard(&mut s, |s| s.on_inbound(more));
                }
                let ready_after = s.io.slots.iter().filter(|x| x.ready || !x.alive).count();
                drop(s);
                if ready_after != ready_before {
                    shared.progress.notify_one();
                }
            }
            () = sleep => {}
            () = shared.wake.notified() => {}
        }
    }
}

/// Runs one step of the controller; a panic in it is recorded as a run error, and every
/// waiter is released (so the test fails with the message instead of hanging).
fn guard(state: &mut Locked, f: impl FnOnce(&mut Locked)) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(state)));
    if let Err(panic) = result {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        state
            .io
            .errors
            .push(format!("the live controller panicked: {message}"));
        state.abandon_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::process::ProcessBackend;
    use swarm_test_spec::SpecBuilder;

    #[test]
    fn setup_fails_fast_naming_each_agent_that_never_shook_hands() {
        let spec = SpecBuilder::new("t", "live::tests")
            .with("topology", "mesh")
            .with("agents", 3u64)
            .build()
            .unwrap();
        // A program that exits at once without a frame: no agent can become ready.
        let launch = Launch {
            program: "true".into(),
            args: Vec::new(),
            env: Vec::new(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let backend = Box::new(ProcessBackend::new().unwrap());
        let mut live = Live::new(&spec, 1, "t", backend, launch).unwrap();
        let started = std::time::Instant::now();
        let err = runtime.block_on(live.setup()).unwrap_err();
        assert!(
            started.elapsed() < READY_TIMEOUT / 2,
            "fails fast, not at the timeout"
        );
        assert!(
            err.starts_with("only 0 of 3 live agents became ready; at least 3 (80%) are needed"),
            "{err}"
        );
        // It fails as soon as the quorum is out of reach, so the agents whose exit it had
        // not seen yet are named as not having shaken hands: each agent is named either way.
        for agent in 0..3 {
            assert!(err.contains(&format!("agent {agent}: ")), "{err}");
        }
        assert!(err.contains("exited with status 0"), "{err}");
        assert!(err.contains("never sent a frame"), "{err}");
        live.shutdown();
        assert!(live.pids().iter().all(Option::is_none));
    }
}
