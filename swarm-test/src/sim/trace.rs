//! The event trace: what happened, in order, for failure messages and determinism checks.

use std::collections::VecDeque;

use crate::rng::fnv1a;

/// Lines kept for the failure message. The default value is 40.
pub const TRACE_TAIL: usize = 40;

/// A bounded tail of the trace plus a running hash of all of it.
///
/// The hash folds every line, so two runs with the same seed can be compared cheaply
/// (a determinism check) without keeping the whole trace.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    tail: VecDeque<String>,
    events: u64,
    hash: u64,
}

impl Trace {
    /// Appends one event at virtual time `now_us`.
    pub fn record(&mut self, now_us: u64, line: std::fmt::Arguments<'_>) {
        let line = format!("{:>10.3}ms  {line}", now_us as f64 / 1_000.0);
        self.hash = fnv1a(line.as_bytes()) ^ self.hash.rotate_left(5);
        self.events += 1;
        if self.tail.len() == TRACE_TAIL {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    /// The last [`TRACE_TAIL`] events, oldest first.
    pub fn tail(&self) -> impl Iterator<Item = &str> {
        self.tail.iter().map(String::as_str)
    }

    /// How many events were recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// A hash of the whole trace.
    pub fn hash(&self) -> u64 {
        self.hash
    }
}
