//! Leases: a run's sandboxes live only while the run does.
//!
//! Every sandbox is created with a short timeout (`SWARM_TEST_E2B_LEASE`, default 60 s) and a
//! heartbeat renews it every third of that while its [`Lease`] lasts. So:
//! - a run that ends normally, panics or times out deletes its sandboxes in [`Lease::end`]
//!   (called by the backend's drop);
//! - SIGINT and SIGTERM reach the reaper's signal thread, whose hook deletes every sandbox of
//!   every live lease of this process before the process ends;
//! - a SIGKILLed run cannot clean up, but its heartbeat stops with it, and E2B ends each of its
//!   sandboxes within one lease; `swarm-test gc` finds any that remain.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use super::rest::Rest;
use super::{block, runtime};
use crate::backend::reaper;

/// How long teardown waits for the deletes.
const DELETE_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Inner {
    run: String,
    rest: Rest,
    ids: Mutex<BTreeSet<String>>,
}

impl Inner {
    fn ids(&self) -> Vec<String> {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Deletes every sandbox; the number deleted, or what failed.
    async fn delete_all(&self) -> Result<usize, String> {
        let ids = self.ids();
        let deletes = ids.iter().map(|id| {
            let rest = self.rest.clone();
            let id = id.clone();
            runtime().spawn(async move { (rest.delete(&id).await, id) })
        });
        let mut failed = Vec::new();
        let mut deleted = 0;
        for task in deletes.collect::<Vec<_>>() {
            match task.await {
                Ok((Ok(_), id)) => {
                    deleted += 1;
                    self.ids
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                }
                Ok((Err(e), id)) => failed.push(format!("{id}: {e}")),
                Err(e) => failed.push(e.to_string()),
            }
        }
        if failed.is_empty() {
            Ok(deleted)
        } else {
            Err(format!(
                "could not delete {} E2B sandbox(es) of run {} (they end with their lease; \
                 `swarm-test gc --yes` deletes them now): {}",
                failed.len(),
                self.run,
                failed.join("; ")
            ))
        }
    }
}

/// The live leases of this process, for the signal hook.
static LIVE: Mutex<Vec<Arc<Inner>>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<Arc<Inner>>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// A run's sandboxes and their heartbeat. Cheap to clone; [`Lease::end`] ends it.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    inner: Arc<Inner>,
    heartbeat: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

/// A run id unique on this machine and over time: `<pid>-<unix ms>-<n>`.
fn run_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!(
        "{}-{ms}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Lease {
    /// A new run's lease, its heartbeat started.
    pub(crate) fn start(rest: Rest) -> Lease {
        let lease_s = rest.settings().lease_s;
        let inner = Arc::new(Inner {
            run: run_id(),
            rest,
            ids: Mutex::new(BTreeSet::new()),
        });
        live().push(Arc::clone(&inner));
        let beating = Arc::clone(&inner);
        let period = Duration::from_secs_f64((lease_s as f64 / 3.0).max(0.5));
        let heartbeat = runtime().spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                for id in beating.ids() {
                    // A sandbox that is gone stays gone; its agent's stream says so.
                    let _ = beating.rest.set_timeout(&id, lease_s).await;
                }
            }
        });
        Lease {
            inner,
            heartbeat: Arc::new(Mutex::new(Some(heartbeat))),
        }
    }

    /// The run id.
    pub(crate) fn run(&self) -> &str {
        &self.inner.run
    }

    /// Adds a created sandbox.
    pub(crate) fn add(&self, id: &str) {
        self.inner
            .ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned());
    }

    /// Stops the heartbeat and deletes every sandbox of the run.
    pub(crate) fn end(&self) -> Result<usize, String> {
        if let Some(h) = self
            .heartbeat
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            h.abort();
        }
        live().retain(|l| !Arc::ptr_eq(l, &self.inner));
        let inner = Arc::clone(&self.inner);
        block(async move {
            tokio::time::timeout(DELETE_WAIT, inner.delete_all())
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "deleting the sandboxes of run {} timed out",
                        inner.run
                    ))
                })
        })
    }
}

/// Deletes the sandboxes of every live lease (SIGINT/SIGTERM); returns how many.
fn delete_everything() -> usize {
    let leases: Vec<Arc<Inner>> = live().clone();
    let mut deleted = 0;
    for inner in leases {
        let run = inner.run.clone();
        match block(async move { tokio::time::timeout(DELETE_WAIT, inner.delete_all()).await }) {
            Ok(Ok(n)) => deleted += n,
            Ok(Err(e)) => eprintln!("swarm-test: {e}"),
            Err(_) => eprintln!("swarm-test: deleting the sandboxes of run {run} timed out"),
        }
    }
    deleted
}

/// Hooks the deletes into the reaper's SIGINT/SIGTERM handler, once per process.
pub(crate) fn install_signal_hook() -> Result<(), crate::backend::BackendError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| reaper::on_signal("E2B sandbox(es)", delete_everything));
    reaper::install_signal_handler()
}
