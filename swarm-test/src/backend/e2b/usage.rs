//! An agent's CPU time and memory, read from the sandbox's `/proc` once a second by a helper
//! process (`cat /proc/<pid>/stat /proc/<pid>/status`), so [`Control::usage`] never waits on
//! the network.
//!
//! [`Control::usage`]: crate::backend::Control::usage

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::envd::{Envd, ProcessSpec};
use super::{runtime, Ended};
use crate::backend::Usage;

/// How often the helper runs.
const PERIOD: Duration = Duration::from_secs(1);

/// The latest reading and the task that takes them.
#[derive(Debug)]
pub(crate) struct Poller {
    latest: Arc<Mutex<Option<Usage>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Poller {
    pub(crate) fn start(envd: Envd, pid: u32, ended: Arc<Ended>) -> Poller {
        let latest = Arc::new(Mutex::new(None));
        let writing = Arc::clone(&latest);
        let task = runtime().spawn(async move {
            let spec = ProcessSpec {
                cmd: "/bin/cat".into(),
                args: vec![format!("/proc/{pid}/stat"), format!("/proc/{pid}/status")],
                timeout: Some(Duration::from_secs(10)),
                ..ProcessSpec::default()
            };
            while ended.get().is_none() {
                let reading = match envd.start(&spec).await {
                    Ok(stream) => stream.wait().await.ok(),
                    Err(_) => None,
                };
                if let Some((out, _, _)) = reading {
                    let text = String::from_utf8_lossy(&out);
                    let (stat, status) = text.split_once('\n').unwrap_or((&text, ""));
                    if let Some(u) = crate::backend::process::parse_usage(stat, status) {
                        *writing.lock().unwrap_or_else(|p| p.into_inner()) = Some(u);
                    }
                }
                tokio::time::sleep(PERIOD).await;
            }
        });
        Poller { latest, task }
    }

    pub(crate) fn latest(&self) -> Option<Usage> {
        *self.latest.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.task.abort();
    }
}
