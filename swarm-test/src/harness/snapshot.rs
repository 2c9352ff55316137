//! The snapshot of a run: what insta is asked to assert (the report, or its `@live` form),
//! its name and header, and the report file `SWARM_TEST_REPORT` asks for.

use swarm_test_spec::{FaultKind, MarketSpec, SnapshotSetting, Spec};

use crate::config::Mode;
use crate::report::Report;

use super::redact;

/// One snapshot to assert: the report, its name and what it describes.
#[derive(Debug, Clone)]
pub struct SnapshotRequest {
    /// The snapshot's name (file `snapshots/<name>.snap`, `@<suffix>` added by insta).
    pub name: String,
    /// The case suffix, for parametrised tests.
    pub suffix: Option<String>,
    /// The scenario in words, shown by `cargo insta review`.
    pub description: String,
    /// The scenario as data (`set_info`).
    pub info: ScenarioInfo,
    /// The run's report.
    pub report: Report,
    /// In live mode, the report with its timing redacted (the `@live` variant); `None` in
    /// mock mode, where the report is snapshotted as it is.
    pub live: Option<serde_json::Value>,
    /// With `snapshot = "bands"`, each metric's distribution over the seeds, snapshotted
    /// instead of the report.
    pub bands: Option<serde_json::Value>,
}

impl SnapshotRequest {
    /// What is snapshotted: the report (mock) or its redacted form (live).
    pub fn body(&self) -> SnapshotBody<'_> {
        match (&self.bands, &self.live) {
            (Some(bands), _) => SnapshotBody::Bands(bands),
            (None, Some(value)) => SnapshotBody::Live(value),
            (None, None) => SnapshotBody::Report(&self.report),
        }
    }
}

/// What a snapshot shows; serialises as the report itself or as its redacted form.
#[derive(Debug)]
pub enum SnapshotBody<'a> {
    /// Mock mode: the report, byte for byte.
    Report(&'a Report),
    /// Live mode: the report with timing redacted.
    Live(&'a serde_json::Value),
    /// `snapshot = "bands"`: each metric's distribution over the seeds.
    Bands(&'a serde_json::Value),
}

impl serde::Serialize for SnapshotBody<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SnapshotBody::Report(report) => report.serialize(serializer),
            SnapshotBody::Live(value) | SnapshotBody::Bands(value) => value.serialize(serializer),
        }
    }
}

/// The scenario a snapshot describes, as shown in its header by `cargo insta review`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScenarioInfo {
    /// Topology kind.
    pub topology: &'static str,
    /// Number of agents.
    pub agents: usize,
    /// The roster (`roles`), or `default`.
    pub roles: String,
    /// Routing strategy.
    pub strategy: &'static str,
    /// Fault specs, normalised.
    pub inject: Vec<String>,
    /// Trades in the built-in simulation.
    pub trades: u64,
    /// Market regime or data file.
    pub market: String,
    /// The seed of the snapshotted run.
    pub seed: u64,
    /// The test's timeout, ms.
    pub timeout_ms: u64,
    /// The autoscaling or deployment pattern, if any (left out of the header without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl ScenarioInfo {
    fn new(spec: &Spec, seed: u64) -> Self {
        ScenarioInfo {
            topology: spec.topology.as_str(),
            agents: spec.agents,
            roles: spec
                .roles
                .as_ref()
                .map_or("default".to_owned(), |r| r.to_string()),
            strategy: spec.strategy.as_str(),
            inject: spec.inject.iter().map(|f| f.text.clone()).collect(),
            trades: spec.trades,
            market: match &spec.market {
                MarketSpec::Regime(regime) => regime.as_str().to_owned(),
                MarketSpec::File(path) => format!("file:{path}"),
            },
            seed,
            timeout_ms: spec.timeout_ms,
            pattern: crate::patterns::describe(spec),
        }
    }

    /// One line: `star of 7 agents, round_robin routing, 24 trades, calm market, no faults`.
    fn describe(&self) -> String {
        let pattern = self
            .pattern
            .as_ref()
            .map_or(String::new(), |p| format!(", {p}"));
        format!(
            "{} of {} agents, {} routing, {} trades, {} market, {}{pattern}",
            self.topology,
            self.agents,
            self.strategy,
            self.trades,
            self.market,
            if self.inject.is_empty() {
                "no faults".to_owned()
            } else {
                format!("faults: {}", self.inject.join("; "))
            }
        )
    }
}

/// The snapshot request for a run of `spec` with `report`.
pub(super) fn snapshot_request(
    spec: &Spec,
    suffix: Option<String>,
    report: Report,
    faults: &[(FaultKind, bool)],
) -> SnapshotRequest {
    let live = (report.mode == Mode::Live).then(|| {
        let faults: Vec<redact::RunFault<'_>> = faults
            .iter()
            .map(|(kind, on_new_version)| redact::RunFault {
                kind,
                on_new_version: *on_new_version,
            })
            .collect();
        redact::live_snapshot(spec, &report, &faults)
    });
    let module = spec.module_path.replace("::", "__");
    let module = match &spec.case {
        // A list expands into `mod name { fn case() }`: don't repeat the name.
        Some(_) => module
            .strip_suffix(&format!("__{}", spec.name))
            .unwrap_or(&module)
            .to_owned(),
        None => module,
    };
    let base = match &spec.snapshot {
        SnapshotSetting::Named(name) => name.clone(),
        _ => spec.name.clone(),
    };
    let mut suffix = suffix;
    if live.is_some() {
        // Live runs have their own snapshot files: they never touch the mock ones.
        suffix = Some(match suffix {
            Some(case) => format!("{case}-live"),
            None => "live".to_owned(),
        });
    }
    let info = ScenarioInfo::new(spec, report.seed);
    SnapshotRequest {
        name: format!("{module}__{base}"),
        suffix,
        description: info.describe(),
        info,
        report,
        live,
        bands: None,
    }
}

/// The snapshot request of `snapshot = "bands"`: each metric's distribution over `reports`
/// (the explored seeds' reports, the test's own first), in `<name>@seeds-N.snap` (a case's:
/// `@<case>-seeds-N`), so each number of seeds has its own snapshot.
pub(super) fn bands_request(
    spec: &Spec,
    case: Option<String>,
    reports: &[Report],
) -> SnapshotRequest {
    let n = reports.len();
    let suffix = Some(match &case {
        Some(case) => format!("{case}-seeds-{n}"),
        None => format!("seeds-{n}"),
    });
    let mut request = snapshot_request(spec, None, reports[0].clone(), &[]);
    let bands = serde_json::to_value(super::bands::bands(reports)).unwrap_or_default();
    request.description = format!("bands over {n} seeds: {}", request.description);
    request.suffix = suffix;
    request.live = None;
    request.bands = Some(bands);
    request
}
