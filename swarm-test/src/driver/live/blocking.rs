//! The deployment patterns' [`Driver`] in live mode: the pattern code of mock mode, in real
//! time, against real agent processes.
//!
//! [`Blocking`] holds the test's current-thread tokio runtime and the [`Live`]. A pattern's
//! `run_until(t)` is `block_on(sleep until run start + t)`: while the test thread sleeps
//! inside `block_on`, the controller's actor task (and each agent's reader and writer) runs
//! on the same runtime and does the work — frames, timers, the core's outputs. Between two
//! `run_*` calls the pattern reads and changes the controller's state under its lock (a
//! dispatch, an agent joining, a drain), then wakes the actor so it sees the new timers.
//! Every `run_*` call fails at the test's `timeout` (wall time since the run started), and as
//! soon as an agent failed or broke the protocol (the run fails on it anyway).

use std::time::Duration;

use super::Live;
use crate::driver::Driver;
use crate::world::{Effects, World};

/// How often `run_until_settled` looks at the ledger, while the actor works. The default
/// value is 2 ms.
const SETTLE_POLL: Duration = Duration::from_millis(2);

/// A [`Live`] seen as a pattern's [`Driver`]; see the module docs.
pub(crate) struct Blocking<'a> {
    runtime: &'a tokio::runtime::Runtime,
    live: &'a mut Live,
    timeout_us: u64,
}

impl<'a> Blocking<'a> {
    /// A host for a set-up `live` run on `runtime` (the one `live` was set up on), failing
    /// once `timeout_ms` of wall time have passed since the run started.
    pub(crate) fn new(
        runtime: &'a tokio::runtime::Runtime,
        live: &'a mut Live,
        timeout_ms: u64,
    ) -> Blocking<'a> {
        Blocking {
            runtime,
            live,
            timeout_us: timeout_ms.saturating_mul(1_000),
        }
    }

    /// Runs `f` on the controller's state, then wakes the actor (the state may have new
    /// timers or outputs to carry out). Runs inside the runtime's context.
    fn change<R>(&mut self, f: impl FnOnce(&mut super::Locked) -> R) -> R {
        // Starting an agent spawns its reader and writer on the runtime.
        let _context = self.runtime.enter();
        let r = self.live.with_state(f);
        self.live.shared.wake.notify_one();
        r
    }

    /// Fails once the test's timeout has passed, or once an agent failed or broke the
    /// protocol; otherwise `Ok`.
    fn check(&self) -> Result<(), String> {
        self.live.with_state(|s| {
            if !s.io.errors.is_empty() {
                return Err(format!(
                    "live agents failed or broke the protocol:\n  - {}",
                    s.io.errors.join("\n  - ")
                ));
            }
            if s.now_us() > self.timeout_us {
                let audit = s.world.core.ledger().audit();
                return Err(format!(
                    "timed out after {:?} of wall time (the test's `timeout`): {} of {} tasks still in flight, {} trades not yet sent",
                    Duration::from_micros(self.timeout_us),
                    audit.in_flight,
                    audit.dispatched,
                    s.world.flow.remaining
                ));
            }
            Ok(())
        })
    }

    /// Lets real time pass until `at` while the actor works.
    fn sleep_until(&self, at: std::time::Instant) {
        let at = tokio::time::Instant::from_std(at);
        self.runtime
            .block_on(async { tokio::time::sleep_until(at).await });
    }

    /// Lets real time pass while `busy` holds (checked every [`SETTLE_POLL`]).
    fn run_while(&mut self, busy: impl Fn(&super::Locked) -> bool) -> Result<(), String> {
        loop {
            self.check()?;
            if !self.live.with_state(|s| busy(s)) {
                return Ok(());
            }
            self.runtime
                .block_on(async { tokio::time::sleep(SETTLE_POLL).await });
        }
    }
}

impl Driver for Blocking<'_> {
    fn with<R>(&mut self, f: impl FnOnce(&mut World, &mut dyn Effects) -> R) -> R {
        self.change(|s| {
            let r = f(&mut s.world, &mut s.io);
            s.drain();
            r
        })
    }
    fn view<R>(&self, f: impl FnOnce(&World, &dyn Effects) -> R) -> R {
        self.live.with_state(|s| f(&s.world, &s.io))
    }
    fn run_until(&mut self, t_us: u64) -> Result<(), String> {
        self.check()?;
        let (start, now) = self.live.with_state(|s| (s.io.start, s.now_us()));
        if t_us > self.timeout_us {
            // Run to the timeout, then fail with what was pending.
            let at = start + Duration::from_micros(self.timeout_us + 1);
            self.sleep_until(at);
            return self.check();
        }
        if t_us > now {
            let at = start + Duration::from_micros(t_us);
            self.sleep_until(at);
        }
        self.live.refresh();
        self.check()
    }
    fn run_until_idle(&mut self) -> Result<(), String> {
        self.run_while(|s| !s.world.is_idle())
    }
    fn run_until_settled(&mut self) -> Result<(), String> {
        self.run_while(|s| s.world.core.ledger().open() > 0)
    }
}
