//! The last line of cleanup: every live agent process of this test process is registered
//! here, so a SIGINT or SIGTERM (Ctrl-C, or nextest's timeout) kills them before the test
//! process itself ends.
//!
//! The layers, from the happy path to the worst case:
//! 1. the live driver's shutdown kills and reaps its agents (after success, panic, `Err` or
//!    timeout: the harness always runs it);
//! 2. each agent's [`Control`](super::Control) kills and reaps on drop (a guard);
//! 3. this module's signal handler kills every registered agent on SIGINT/SIGTERM, then lets
//!    the signal end the process as it would have;
//! 4. agents run with a parent-death signal (SIGKILL) and exit when their stdin closes, which
//!    covers a SIGKILL of the test process, where no code of ours runs.
//!
//! A pid names our agent only until the agent is waited for: after that the kernel may give
//! it to any new process. So an agent leaves the set *before* it is waited for
//! ([`release`]), and the handler kills while holding the set's lock: it either kills an
//! agent not yet waited for (a live process or a zombie, still ours) or never sees it.

use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

use signal_hook::consts::{SIGINT, SIGTERM};

static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());
static HANDLER: Once = Once::new();

/// Cleanup that runs on SIGINT/SIGTERM before the agents are killed: what it cleans and how.
type Hook = (&'static str, fn() -> usize);
static HOOKS: Mutex<Vec<Hook>> = Mutex::new(Vec::new());

/// Adds cleanup for SIGINT/SIGTERM (e.g. deleting E2B sandboxes); `hook` returns how many
/// `what` it removed.
#[allow(dead_code)] // Used by the E2B backend (feature `e2b`).
pub(crate) fn on_signal(what: &'static str, hook: fn() -> usize) {
    HOOKS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((what, hook));
}

fn live() -> std::sync::MutexGuard<'static, BTreeSet<u32>> {
    // A panic while holding the lock leaves the set intact: keep using it.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records a started agent (its pid is also its process group id).
pub(crate) fn register(pid: u32) {
    live().insert(pid);
}

/// Forgets `pid`, then runs `wait`, which waits for (reaps) the agent: once waited for, the
/// pid may name another process, which the signal handler must never kill.
pub(crate) fn release<T>(pid: u32, wait: impl FnOnce() -> T) -> T {
    live().remove(&pid);
    wait()
}

/// The agents currently registered.
#[cfg(test)]
pub(crate) fn registered() -> Vec<u32> {
    live().iter().copied().collect()
}

/// SIGKILLs an agent's process group and the agent itself.
pub(crate) fn kill_group(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    if pid <= 1 {
        return;
    }
    // SAFETY: kill(2) has no memory-safety preconditions; a stale pid at worst fails (ESRCH).
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Kills every registered agent; returns how many there were. Holds the set's lock while it
/// kills, so no agent is waited for (its pid freed) between reading the set and the kill.
pub(crate) fn kill_all() -> usize {
    let pids = live();
    for &pid in pids.iter() {
        kill_group(pid);
    }
    pids.len()
}

/// Installs the SIGINT/SIGTERM handler once per process. The handler runs on its own thread:
/// it kills every registered agent, then ends the process with the signal's default action.
pub(crate) fn install_signal_handler() -> Result<(), super::BackendError> {
    let mut result = Ok(());
    HANDLER.call_once(|| {
        result = start_handler();
    });
    result
}

fn start_handler() -> Result<(), super::BackendError> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(super::BackendError::SignalHandler)?;
    std::thread::Builder::new()
        .name("swarm-test-reaper".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let hooks: Vec<Hook> = HOOKS.lock().unwrap_or_else(|p| p.into_inner()).clone();
                for (what, hook) in hooks {
                    let n = hook();
                    eprintln!("swarm-test: signal {signal} received: removed {n} {what}");
                }
                let killed = kill_all();
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                eprintln!("swarm-test: {name} received: killed {killed} live agent process(es)");
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        })
        .map_err(super::BackendError::SignalThread)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registering_and_killing_a_real_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep runs");
        register(child.id());
        assert!(registered().contains(&child.id()));
        kill_group(child.id());
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        release(child.id(), || ());
        assert!(!registered().contains(&child.id()));
    }

    /// The promise: the set never names a pid that was waited for. `release` runs the wait
    /// only once the pid is out of the set, and a concurrent `kill_all` (the signal handler)
    /// cannot slip between the two: it sees the agent before (and kills a process that is
    /// still ours) or not at all.
    #[test]
    fn an_agent_leaves_the_set_before_it_is_waited_for() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("true runs");
        let pid = child.id();
        register(pid);
        let status = release(pid, || {
            assert!(
                !registered().contains(&pid),
                "the pid is still registered when its process is reaped"
            );
            child.wait().unwrap()
        });
        assert!(status.success());
        assert!(!registered().contains(&pid));
    }
}
