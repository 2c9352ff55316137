//! The review loop: what a user looks at after a run, and what a pull request shows.
//!
//! - [`file`](mod@file): the JSON report file each run writes under `SWARM_TEST_REPORT` (the
//!   [`Report`](crate::Report) plus its pattern and its event trace).
//! - [`trace`]: the event trace behind the timeline, recorded from the core's outputs.
//! - [`report`]: `swarm-test report DIR --out OUT`, a cross-pattern `REPORT.md` with SVG plots
//!   ([`plots`]).
//! - [`diff`]: `swarm-test diff BASE HEAD`, the metrics that moved between two directories.
//! - [`timeline`]: `swarm-test timeline FILE.json --out FILE.html`, one lane per agent.

pub mod diff;
mod error;
pub mod file;
pub mod plots;
pub mod report;
pub mod timeline;
pub mod trace;

pub use error::{PlotError, ReadError, WriteError};
pub use file::ReportFile;
pub use trace::{Recorder, Timeline, TRACE_CAP};

#[cfg(test)]
pub(crate) mod tests {
    use swarm_test_spec::SpecBuilder;

    use super::{ReportFile, Timeline};

    /// A mock run of a star of 4 agents with 30 trades and the fault `inject` (none if
    /// empty), as its report file, and the spec.
    pub(crate) fn star_run(name: &str, inject: &str) -> (ReportFile, swarm_test_spec::Spec) {
        let mut b = SpecBuilder::new(name, "review::tests")
            .with("topology", "star")
            .with("agents", 4u64)
            .with("trades", 30u64);
        if !inject.is_empty() {
            b = b.with("inject", inject);
        }
        let spec = b.build().unwrap();
        let mut sim = crate::sim::Sim::new(&spec, 3).unwrap();
        sim.setup().unwrap();
        sim.start_trades(30);
        sim.run_until_idle().unwrap();
        let report = crate::metrics::capture(&mut sim, name, 3);
        let timeline = Timeline::build(sim.core(), &report);
        let file = ReportFile {
            report,
            pattern: Some(super::file::pattern_of(&spec)),
            timeline: Some(timeline),
            sometimes: Default::default(),
        };
        (file, spec)
    }
}
