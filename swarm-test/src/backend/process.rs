//! The process backend: every agent is a child process on this machine.
//!
//! The agent program is the test binary itself, started again with the arguments that select
//! the very test being run and an environment variable that makes that test act as an agent
//! (see `crate::live::agent`), so a downstream crate needs no extra binary, under `cargo test`
//! and `cargo nextest` alike.
//!
//! Each child:
//! - runs in its own process group (`setpgid`), so a kill reaches everything it started and a
//!   Ctrl-C in the terminal reaches the test (which cleans up), not the agents directly;
//! - gets SIGKILL when the thread that started it dies (`prctl(PR_SET_PDEATHSIG)`), which
//!   covers a SIGKILL of the test process; if the test died between fork and exec, the child
//!   notices (its parent changed) and exits at once;
//! - exits when its stdin closes;
//! - has its stderr passed on to the test's stderr line by line, the last
//!   [`STDERR_TAIL_LINES`] kept for the failure of an agent that dies on its own;
//! - is registered with the reaper (SIGINT/SIGTERM handler) until reaped.
//!
//! Usage is read from `/proc/<pid>/stat` (CPU time, all threads) and `/proc/<pid>/status`
//! (`VmRSS`).

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{reaper, Backend, Control, Launch, SignalError, StartError, Started, Usage};
use crate::topology::AgentId;

/// How many of an agent's last stderr lines are kept. The default value is 12.
pub const STDERR_TAIL_LINES: usize = 12;

/// How long `reap` waits for an agent whose stream ended to exit by itself before it kills
/// it (its stdout closes a moment before its exit status is ready). The default value is
/// 200 ms.
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// An agent's last stderr lines.
type Tail = Arc<Mutex<VecDeque<String>>>;

/// Passes `stderr` on to this process's stderr, keeping the last lines in `tail`.
fn follow_stderr(stderr: std::process::ChildStderr, tail: Tail) {
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
}

/// Starts agents as local child processes. See the module docs.
#[derive(Debug, Default)]
pub struct ProcessBackend {
    _private: (),
}

impl ProcessBackend {
    /// A backend for this machine. Installs the SIGINT/SIGTERM handler that kills every live
    /// agent of this process before the signal ends it.
    ///
    /// ```
    /// use swarm_test::internals::backend::process::ProcessBackend;
    ///
    /// let backend = ProcessBackend::new()?;
    /// # drop(backend);
    /// # Ok::<(), swarm_test::internals::backend::BackendError>(())
    /// ```
    pub fn new() -> Result<ProcessBackend, super::BackendError> {
        reaper::install_signal_handler()?;
        Ok(ProcessBackend { _private: () })
    }
}

impl Backend for ProcessBackend {
    fn start(&mut self, agent: AgentId, launch: &Launch) -> Result<Started, StartError> {
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k, v)));
        let (stdin, stdout, control) = spawn(command).map_err(|source| StartError::Spawn {
            agent,
            program: launch.program.clone(),
            source,
        })?;
        let pipe = |pipe| {
            move |source| StartError::Pipe {
                agent,
                pipe,
                source,
            }
        };
        let input =
            tokio::net::unix::pipe::Sender::from_owned_fd(stdin.into()).map_err(pipe("stdin"))?;
        let output = tokio::net::unix::pipe::Receiver::from_owned_fd(stdout.into())
            .map_err(pipe("stdout"))?;
        Ok(Started {
            input: Box::new(input),
            output: Box::new(output),
            control: Box::new(control),
        })
    }
}

/// Starts `command` as the process of agent `agent` with the guarantees of the module docs
/// (own process group, parent-death signal, reaper registration, stderr followed): its stdin,
/// its stdout and its control (which kills and reaps it on drop). Agent programs of any
/// language (`crate::program`) are started here too.
pub(crate) fn spawn(
    mut command: Command,
) -> std::io::Result<(ChildStdin, ChildStdout, ProcessControl)> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let parent = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() as u32 != parent {
                libc::_exit(1); // The test died before we could arm the death signal.
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    reaper::register(child.id());
    let tail = Tail::default();
    if let Some(stderr) = child.stderr.take() {
        follow_stderr(stderr, tail.clone());
    }
    let mut control = ProcessControl {
        pid: child.id(),
        child: None,
        tail,
        grace: Duration::ZERO,
    };
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        control.child = Some(child);
        return Err(std::io::Error::other("stdin and stdout were not piped"));
    };
    control.child = Some(child);
    Ok((stdin, stdout, control))
}

/// A child process; killed and reaped on drop (the guard).
#[derive(Debug)]
pub(crate) struct ProcessControl {
    pid: u32,
    child: Option<Child>,
    tail: Tail,
    /// How long the next `reap` lets the process exit by itself (see `reap_after_close`).
    grace: Duration,
}

impl ProcessControl {
    fn signal(&self, signal: i32, name: &'static str) -> Result<(), SignalError> {
        if self.child.is_none() {
            return Err(SignalError::Reaped { pid: self.pid });
        }
        // SAFETY: kill(2) has no memory-safety preconditions.
        let rc = unsafe { libc::kill(self.pid as i32, signal) };
        if rc == 0 {
            Ok(())
        } else {
            Err(SignalError::Os {
                signal: name,
                pid: self.pid,
                source: std::io::Error::last_os_error(),
            })
        }
    }
}

impl Control for ProcessControl {
    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }

    fn kill(&mut self) {
        if self.child.is_some() {
            reaper::kill_group(self.pid);
        }
    }

    fn pause(&mut self) -> Result<(), SignalError> {
        self.signal(libc::SIGSTOP, "SIGSTOP")
    }

    fn resume(&mut self) -> Result<(), SignalError> {
        self.signal(libc::SIGCONT, "SIGCONT")
    }

    fn usage(&mut self) -> Option<Usage> {
        self.child.as_ref()?;
        read_usage(self.pid)
    }

    fn reap(&mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return "already reaped".into();
        };
        let grace = std::mem::take(&mut self.grace);
        let exited = |child: &mut Child| {
            let limit = std::time::Instant::now() + grace;
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => return Some(status),
                    Ok(None) if std::time::Instant::now() < limit => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    _ => return None,
                }
            }
        };
        // Out of the reaper's set before the wait frees the pid (see `reaper::release`).
        let ended = reaper::release(self.pid, || match exited(&mut child) {
            Some(status) => Some(status),
            None => {
                reaper::kill_group(self.pid);
                child.wait().ok()
            }
        });
        match ended {
            Some(status) => match (status.code(), status.signal()) {
                (Some(code), _) => format!("exited with status {code}"),
                (_, Some(libc::SIGKILL)) => "killed (SIGKILL)".into(),
                (_, Some(signal)) => format!("killed by signal {signal}"),
                _ => format!("{status}"),
            },
            None => "could not be waited for".into(),
        }
    }

    fn reap_after_close(&mut self) -> String {
        self.grace = EXIT_GRACE;
        self.reap()
    }

    fn stderr_tail(&self) -> Vec<String> {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        tail.iter().cloned().collect()
    }
}

impl Drop for ProcessControl {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.reap();
        }
    }
}

/// Clock ticks per second for `/proc/<pid>/stat` times.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// CPU time and RSS of `pid` from `/proc`, or `None` if it is gone.
pub(crate) fn read_usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_usage(&stat, &status)
}

/// CPU time and RSS from the text of `/proc/<pid>/stat` and `/proc/<pid>/status` (read here,
/// or in a sandbox by the E2B backend).
pub(crate) fn parse_usage(stat: &str, status: &str) -> Option<Usage> {
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is rest[0]; utime and stime are fields 14 and 15 → rest[11], rest[12].
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let rss_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    Some(Usage {
        cpu_s: (utime + stime) / ticks_per_second(),
        rss_mb: rss_kb / 1024.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_this_process_is_plausible() {
        let u = read_usage(std::process::id()).expect("this process exists");
        assert!(u.rss_mb > 1.0, "{u:?}");
        assert!(u.cpu_s >= 0.0);
        assert_eq!(read_usage(u32::MAX), None);
    }

    #[tokio::test]
    async fn children_are_group_leaders_and_die_when_reaped() {
        let mut backend = ProcessBackend::new().unwrap();
        let launch = Launch {
            program: "sleep".into(),
            args: vec!["30".into()],
            env: vec![],
        };
        let mut started = backend.start(0, &launch).unwrap();
        let pid = started.control.pid().unwrap();
        // SAFETY: getpgid has no preconditions.
        assert_eq!(unsafe { libc::getpgid(pid as i32) }, pid as i32);
        assert!(reaper::registered().contains(&pid));
        started.control.pause().unwrap();
        let stopped = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
            stat.contains(") T ")
        });
        assert!(stopped, "SIGSTOP stops the agent");
        started.control.resume().unwrap();
        assert_eq!(started.control.reap(), "killed (SIGKILL)");
        assert!(!reaper::registered().contains(&pid));
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        assert!(started.control.usage().is_none());
    }
}
