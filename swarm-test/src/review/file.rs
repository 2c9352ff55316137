//! The JSON report file: what `SWARM_TEST_REPORT` writes for each run, and what `swarm-test
//! report`, `diff` and `timeline` read.
//!
//! A file is the run's [`Report`] (the same fields as the snapshot, at the top level), plus
//! keys the snapshot leaves out: `pattern` (the scenario's pattern, to group runs by),
//! `timeline` (the event trace, see [`Timeline`]) and `sometimes` (the run's
//! sometimes-conditions, when it declared any). Mock runs write
//! `<test>-<seed>.json`, live runs `<test>-<seed>-live.json`, so both modes of a test can
//! share a directory. A failed run also writes `<...>.html`, its timeline page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use swarm_test_spec::Spec;

use super::trace::Timeline;
use super::{ReadError, WriteError};
use crate::config::Mode;
use crate::report::Report;

/// One report file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFile {
    /// The run's report, its fields at the top level of the file.
    #[serde(flatten)]
    pub report: Report,
    /// The pattern the run exercises: its deployment (`blue_green`, `canary`,
    /// `strategy_mix`, `rotation`), `autoscaling`, or else its topology (`mesh`, `ring`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The event trace (left out of snapshots; capped, see [`super::trace::TRACE_CAP`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// The run's sometimes-conditions (name → reached in this run), when it declared any
    /// (see [`crate::sometimes`]); left out of snapshots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sometimes: BTreeMap<String, bool>,
}

impl ReportFile {
    /// The pattern, or the topology for a file written without one.
    pub fn pattern(&self) -> String {
        self.pattern
            .clone()
            .unwrap_or_else(|| self.report.topology.kind.as_str().to_owned())
    }

    /// `name` in mock mode, `name (live)` in live mode: one key per test and mode.
    pub fn key(&self) -> String {
        match self.report.mode {
            Mode::Mock => self.report.name.clone(),
            Mode::Live => format!("{} (live)", self.report.name),
        }
    }
}

/// The pattern a spec exercises (see [`ReportFile::pattern`]).
pub fn pattern_of(spec: &Spec) -> String {
    match (&spec.deploy, &spec.scale) {
        (Some(deploy), _) => deploy.kind.as_str().to_owned(),
        (None, Some(_)) => "autoscaling".to_owned(),
        (None, None) => spec.topology.as_str().to_owned(),
    }
}

/// The file's path in `dir`, without extension.
fn stem(dir: &Path, report: &Report) -> PathBuf {
    let live = match report.mode {
        Mode::Mock => "",
        Mode::Live => "-live",
    };
    dir.join(format!(
        "{}-{}{live}",
        report.name.replace(['@', ':', '/'], "_"),
        report.seed
    ))
}

/// Writes the run's report file into `dir` (created if missing) and returns its path.
pub fn write(
    dir: &Path,
    spec: &Spec,
    report: &Report,
    timeline: Option<Timeline>,
    sometimes: &BTreeMap<String, bool>,
) -> Result<PathBuf, WriteError> {
    let file = stem(dir, report).with_extension("json");
    let body = ReportFile {
        report: report.clone(),
        pattern: Some(pattern_of(spec)),
        timeline,
        sometimes: sometimes.clone(),
    };
    let json = serde_json::to_string_pretty(&body).map_err(|source| WriteError::Encode {
        name: report.name.clone(),
        source,
    })?;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&file, json))
        .map_err(|source| WriteError::Report {
            path: file.clone(),
            source,
        })?;
    Ok(file)
}

/// For a failed run: writes its report file and its timeline page beside it, and returns
/// the lines to print with the failure (the page's path, and how to redraw it).
pub fn write_failure(
    dir: &Path,
    spec: &Spec,
    report: &Report,
    timeline: Timeline,
    sometimes: &BTreeMap<String, bool>,
) -> Result<String, WriteError> {
    let json = write(dir, spec, report, Some(timeline.clone()), sometimes)?;
    let page = json.with_extension("html");
    let file = ReportFile {
        report: report.clone(),
        pattern: Some(pattern_of(spec)),
        timeline: Some(timeline),
        sometimes: sometimes.clone(),
    };
    std::fs::write(&page, super::timeline::html(&file)).map_err(|source| WriteError::File {
        path: page.clone(),
        source,
    })?;
    Ok(format!(
        "\n  timeline: {} (open it in a browser; one lane per agent)\n  report: {}\n  redraw: swarm-test timeline {} --out FILE.html\n",
        page.display(),
        json.display(),
        json.display()
    ))
}

/// Reads one report file.
pub fn read(path: &Path) -> Result<ReportFile, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::File {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ReadError::NotAReport {
        path: path.to_owned(),
        source,
    })
}

/// Reads every `*.json` report file in `dir`, sorted by file name. A file that is not a
/// report is an error naming it.
pub fn read_dir(dir: &Path) -> Result<Vec<ReportFile>, ReadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ReadError::Dir {
        dir: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read(p)).collect()
}
