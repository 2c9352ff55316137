//! Progress of `swarm-test run`: while `cargo test` runs, how many runs have reported so far.
//!
//! A thread looks at the report directory every second and prints a line to stderr when the
//! count changed and at least five seconds passed since the last line (so a long run shows
//! it is moving without flooding the test output).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The running watcher; [`Progress::stop`] ends it.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Report files in `dir` so far, and the newest one's name.
fn count(dir: &PathBuf) -> (usize, Option<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, None);
    };
    let mut newest: Option<(std::time::SystemTime, String)> = None;
    let mut n = 0;
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "json") {
            n += 1;
            if let Ok(modified) = e.metadata().and_then(|m| m.modified()) {
                let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                    newest = name.map(|name| (modified, name));
                }
            }
        }
    }
    (n, newest.map(|(_, name)| name))
}

impl Progress {
    /// Starts watching `dir`.
    pub fn start(dir: PathBuf) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let (mut shown, mut last_line) = (0, Instant::now());
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(1));
                let (n, newest) = count(&dir);
                if n != shown && last_line.elapsed() >= Duration::from_secs(5) {
                    eprintln!(
                        "[swarm-test run] {n} runs reported after {} s (latest: {})",
                        started.elapsed().as_secs(),
                        newest.unwrap_or_default()
                    );
                    (shown, last_line) = (n, Instant::now());
                }
            }
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }

    /// Stops watching.
    pub fn stop(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
