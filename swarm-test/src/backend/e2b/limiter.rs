//! Client-side limits, so a swarm does not trip E2B's: a create rate
//! (`SWARM_TEST_E2B_CREATE_RATE`, creates per second) and a cap on sandboxes alive at once
//! (`SWARM_TEST_E2B_MAX_SANDBOXES`), both per test process.
//!
//! A sandbox holds its [`Slot`] from before its create until its delete; a create waits for
//! a slot (at most [`SLOT_WAIT`]) and then for its turn under the rate.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::error::E2bError;

/// How long a create waits for a sandbox slot before it fails.
pub(crate) const SLOT_WAIT: Duration = Duration::from_secs(120);

/// A sandbox's place under the cap, released on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// The limits of one test process.
#[derive(Debug)]
pub(crate) struct Limits {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
    slots: Arc<Semaphore>,
    max: usize,
}

impl Limits {
    pub(crate) fn new(create_rate: f64, max_sandboxes: usize) -> Limits {
        Limits {
            interval: Duration::from_secs_f64(1.0 / create_rate),
            next: tokio::sync::Mutex::new(Instant::now()),
            slots: Arc::new(Semaphore::new(max_sandboxes)),
            max: max_sandboxes,
        }
    }

    /// Waits for a slot, then for the create's turn.
    pub(crate) async fn create_slot(&self) -> Result<Slot, E2bError> {
        let permit = tokio::time::timeout(SLOT_WAIT, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| {
                E2bError::Config(format!(
                    "all SWARM_TEST_E2B_MAX_SANDBOXES={} sandboxes of this test process stayed in \
                     use for {} s: raise the limit (within your E2B team's) or run fewer agents \
                     or test threads at once",
                    self.max,
                    SLOT_WAIT.as_secs()
                ))
            })?
            .expect("the semaphore is never closed");
        let turn = {
            let mut next = self.next.lock().await;
            let turn = (*next).max(Instant::now());
            *next = turn + self.interval;
            turn
        };
        tokio::time::sleep_until(turn).await;
        Ok(Slot { _permit: permit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn creates_are_spaced_by_the_rate_and_capped() {
        let limits = Limits::new(2.0, 2);
        let t0 = Instant::now();
        let a = limits.create_slot().await.unwrap();
        let b = limits.create_slot().await.unwrap();
        assert_eq!(
            Instant::now() - t0,
            Duration::from_millis(500),
            "2 per second"
        );
        // The cap: a third waits until a slot is released, and fails after SLOT_WAIT.
        let err = limits.create_slot().await.unwrap_err().to_string();
        assert!(err.contains("SWARM_TEST_E2B_MAX_SANDBOXES=2"), "{err}");
        drop(a);
        let _c = limits.create_slot().await.unwrap();
        drop(b);
    }
}
