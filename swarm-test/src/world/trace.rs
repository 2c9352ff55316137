//! The event trace: what happened, in order, for failure messages and determinism checks.
//! Each event is also emitted as a `tracing` event at TRACE level (target
//! `swarm_test::trace`), so a test that installs a subscriber sees the whole run.

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
        // Also to a `tracing` subscriber, if the user's test installed one.
        tracing::trace!(target: "swarm_test::trace", "{line}");
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Interest;
    use tracing::{Event, Metadata, Subscriber};

    use super::*;

    /// Counts the events a `tracing` subscriber receives from the trace's target.
    struct Counter(Arc<AtomicUsize>);

    impl Subscriber for Counter {
        fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
            Interest::sometimes()
        }
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target() == "swarm_test::trace"
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &Event<'_>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[test]
    fn keeps_a_bounded_tail_a_count_and_a_hash_and_tells_tracing() {
        let seen = Arc::new(AtomicUsize::new(0));
        let mut trace = Trace::default();
        tracing::subscriber::with_default(Counter(Arc::clone(&seen)), || {
            // Another test thread may have cached the trace's callsite as uninteresting (no
            // subscriber there) while this scoped one was being registered: ask again.
            tracing::callsite::rebuild_interest_cache();
            for i in 0..(TRACE_TAIL as u64 + 5) {
                trace.record(i * 1_000, format_args!("event {i}"));
            }
        });
        assert_eq!(trace.events(), TRACE_TAIL as u64 + 5);
        assert_eq!(trace.tail().count(), TRACE_TAIL);
        assert!(trace.tail().next().unwrap().ends_with("event 5"));
        assert_eq!(seen.load(Ordering::SeqCst), TRACE_TAIL + 5);
        let mut other = Trace::default();
        other.record(0, format_args!("event 0"));
        assert_ne!(other.hash(), trace.hash());
    }
}
