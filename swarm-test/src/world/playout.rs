//! How long a run must last: until every fault the attribute scheduled has played out.
//!
//! The built-in trade flow keeps its own pace (its trades do not stretch to meet a fault), so
//! a fault scheduled after the flow's last trade would otherwise never strike. The run goes
//! on (heartbeats, the failure detector, restarts) until each of the attribute's faults has
//! - started (or was found not to apply to this swarm, which the trace says),
//! - ended, if it has a duration (`for …`),
//! - and, for the faults the failure detector sees without traffic (`crash`, `hang`,
//!   `partition`), been detected, or [`DETECTION_WINDOW_US`] has passed since it started
//!   (a short hang or a quick restart may heal before anyone notices, which the report shows
//!   as `detected_after_ms: null`).
//!
//! Recovery needs no waiting of its own: it is the completion of a rerouted task, and the
//! flow's tasks have all ended when the play-out starts. Faults added at run time
//! (`Swarm::inject`, a deployment's new-version fault) belong to whoever added them.

use swarm_test_spec::FaultKind;

use super::{World, MS};
use crate::core::{FAILURE_TIMEOUT_US, HEARTBEAT_INTERVAL_US};

/// How long after a fault started the run waits for the failure detector to declare one of
/// its targets failed: the detector's timeout plus one heartbeat interval (the last heartbeat
/// before the fault) plus one more (the spread of the monitors' ticks), as the failure
/// detector's docs count it. The default value is 500 ms.
pub(crate) const DETECTION_WINDOW_US: u64 = FAILURE_TIMEOUT_US + 2 * HEARTBEAT_INTERVAL_US;

/// One of the attribute's faults that has not played out yet, and what it still waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    /// Its index in the run's faults.
    pub(crate) index: usize,
    /// The fault as written.
    pub(crate) text: String,
    /// What it waits for: `start`, `end` or `detection`.
    pub(crate) waits_for: &'static str,
    /// When that is due, µs since the run started.
    pub(crate) due_us: u64,
}

impl World {
    /// The first of the attribute's faults that has not played out at `now_us` (see the
    /// module docs), or `None` when all have. Before setup finished nothing is due.
    pub(crate) fn pending_fault(&self, now_us: u64) -> Option<Pending> {
        let ready = self.ready_at_us?;
        (0..self.scheduled).find_map(|index| {
            let (spec, outcome) = (&self.faults[index], &self.outcomes[index]);
            let start = ready + spec.at_ms * MS;
            let pending = |waits_for, due_us| Pending {
                index,
                text: spec.text.clone(),
                waits_for,
                due_us,
            };
            let Some(at_us) = outcome.at_us else {
                // Healed by the test body before it started: it never will.
                return outcome.healed_us.is_none().then(|| pending("start", start));
            };
            // In force (not skipped as inapplicable) with a duration: its end is scheduled.
            if let (Some(d), true) = (spec.for_ms, self.active.holds(index)) {
                return Some(pending("end", start + d * MS));
            }
            let watched = matches!(
                spec.kind,
                FaultKind::Crash { .. } | FaultKind::Hang { .. } | FaultKind::Partition { .. }
            );
            let window = at_us + DETECTION_WINDOW_US;
            (watched
                && !outcome.targets.is_empty()
                && outcome.detected_us.is_none()
                && now_us < window)
                .then(|| pending("detection", window))
        })
    }
}
