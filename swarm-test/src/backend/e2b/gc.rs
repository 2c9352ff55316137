//! `swarm-test gc`: the sandboxes that earlier runs left behind, found by their metadata tag.
//!
//! Every sandbox swarm-test creates carries `swarm-test-run`; gc lists the team's sandboxes
//! (running and paused, every page) that carry it and, with `yes`, deletes them. A run that
//! ended normally, panicked, timed out or was interrupted (SIGINT/SIGTERM) deletes its own;
//! gc is for a SIGKILLed run (whose sandboxes would otherwise live out their lease), a lost
//! network at teardown, or a `SWARM_TEST_E2B_LEASE` set long. Do not run it with `--yes`
//! while tests run against the same team: it cannot tell their sandboxes from leftovers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::error::E2bError;
use super::rest::{Listed, Rest};
use super::settings::Settings;
use super::{block, TAG_OWNER, TAG_RUN, TAG_TEST};

/// What gc found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// The tagged sandboxes found.
    pub found: Vec<Listed>,
    /// How many were deleted (0 in a dry run).
    pub deleted: usize,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl fmt::Display for GcReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} E2B sandbox(es) tagged by swarm-test",
            self.found.len()
        )?;
        for s in &self.found {
            let tag = |k: &str| s.metadata.get(k).map(String::as_str).unwrap_or("-");
            writeln!(
                f,
                "  {}  {}  run {}  owner {}  test {}  started {}  ends {}",
                s.id,
                s.state,
                tag(TAG_RUN),
                tag(TAG_OWNER),
                tag(TAG_TEST),
                s.started_at,
                s.end_at
            )?;
        }
        if self.dry_run {
            if self.found.is_empty() {
                write!(f, "nothing to delete")
            } else {
                write!(
                    f,
                    "dry run: nothing deleted; run `swarm-test gc --yes` to delete them"
                )
            }
        } else {
            write!(f, "deleted {}", self.deleted)
        }
    }
}

/// gc with the settings from the environment (`E2B_API_KEY`, `E2B_DOMAIN`, `E2B_API_URL`).
pub fn gc(yes: bool) -> Result<GcReport, E2bError> {
    gc_with(Settings::from_env()?, yes)
}

/// gc with explicit settings.
pub fn gc_with(settings: Settings, yes: bool) -> Result<GcReport, E2bError> {
    let rest = Rest::new(Arc::new(settings))?;
    block(async move {
        let all = rest.list(&BTreeMap::new(), &["running", "paused"]).await?;
        let found: Vec<Listed> = all
            .into_iter()
            .filter(|s| s.metadata.contains_key(TAG_RUN))
            .collect();
        let mut deleted = 0;
        if yes {
            for s in &found {
                if rest.delete(&s.id).await? {
                    deleted += 1;
                }
            }
        }
        Ok(GcReport {
            found,
            deleted,
            dry_run: !yes,
        })
    })
}
