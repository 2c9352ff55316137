//! Teardown that cannot be skipped.
//!
//! Steps run exactly once: when the harness calls [`TeardownGuard::run`] after the run, or,
//! if an unexpected unwind skips that call, when the guard is dropped. Each step is guarded on
//! its own, so one that panics does not stop the others.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::swarm::Teardown;

/// Cleanup steps, run last-registered first.
#[derive(Debug, Default)]
pub(crate) struct TeardownGuard {
    steps: Vec<Teardown>,
}

impl TeardownGuard {
    /// Adds steps; they run before the ones added earlier.
    pub(crate) fn extend(&mut self, steps: impl IntoIterator<Item = Teardown>) {
        self.steps.extend(steps);
    }

    /// Runs every pending step and returns the messages of those that panicked.
    pub(crate) fn run(&mut self) -> Vec<String> {
        let mut panics = Vec::new();
        while let Some(Teardown(step)) = self.steps.pop() {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(step)) {
                panics.push(crate::error::panic_message(&*panic));
            }
        }
        panics
    }
}

impl Drop for TeardownGuard {
    fn drop(&mut self) {
        let _ = self.run();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn recorder(log: &Arc<Mutex<Vec<u32>>>, n: u32) -> Teardown {
        let log = Arc::clone(log);
        Teardown(Box::new(move || log.lock().unwrap().push(n)))
    }

    #[test]
    fn steps_run_once_in_reverse_even_when_one_panics() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut guard = TeardownGuard::default();
        guard.extend([
            recorder(&log, 1),
            Teardown(Box::new(|| panic!("step 2 broke"))),
        ]);
        guard.extend([recorder(&log, 3)]);
        assert_eq!(guard.run(), vec!["step 2 broke".to_owned()]);
        assert_eq!(*log.lock().unwrap(), vec![3, 1]);
        assert!(guard.run().is_empty(), "a second run has nothing left");
    }

    #[test]
    fn dropping_the_guard_runs_what_is_left() {
        let log = Arc::new(Mutex::new(Vec::new()));
        {
            let mut guard = TeardownGuard::default();
            guard.extend([recorder(&log, 7)]);
        }
        assert_eq!(*log.lock().unwrap(), vec![7]);
    }
}
