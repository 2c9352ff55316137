//! One running agent program: a child process that is asked a request and answers one line.
//!
//! The process is started by the process backend's `spawn` (`backend/process.rs`), so it
//! gets the same cleanup guarantees as every live agent: its own process group, SIGKILL when
//! its parent dies, registration with the SIGINT/SIGTERM reaper, and a kill-and-reap when
//! this value is dropped (after success, failure or panic alike).
//!
//! A reader thread turns the program's stdout into lines; [`Child::ask`] writes a request and
//! waits for the answer up to the wall-clock deadline. The deadline only ever fails the test:
//! nothing about how long the program took enters the run.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout};
use std::sync::mpsc;
use std::time::Duration;

use crate::backend::process::{spawn, ProcessControl};
use crate::backend::Control;

use super::decode::{decode_answer, quote, Expected, ProtocolError, Violation, MAX_LINE_BYTES};
use super::message::{Answer, Request};

/// How long a program has to answer a request, wall clock, unless
/// `SWARM_TEST_PROGRAM_DEADLINE_MS` says otherwise. The default value is 5000 ms.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(5000);

/// The variable that sets the deadline, in milliseconds.
pub const DEADLINE_VAR: &str = "SWARM_TEST_PROGRAM_DEADLINE_MS";

/// The deadline: [`DEADLINE_VAR`] if set, else [`DEFAULT_DEADLINE`]. Errors: the variable is
/// set but not a positive integer.
pub fn deadline() -> Result<Duration, ProgramError> {
    match std::env::var(DEADLINE_VAR) {
        Err(_) => Ok(DEFAULT_DEADLINE),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(ProgramError::BadDeadline(v)),
        },
    }
}

/// Why a program could not be asked or did not answer as the protocol says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// `SWARM_TEST_PROGRAM_DEADLINE_MS` is not a positive integer.
    #[error("{DEADLINE_VAR}={0:?} is not valid: give the deadline in milliseconds, a positive integer (the default is 5000)")]
    BadDeadline(String),
    /// The process did not start.
    #[error("could not start `{command}`: {error}")]
    Start {
        /// The command.
        command: String,
        /// What the OS said.
        error: String,
    },
    /// A line broke the protocol.
    #[error("broke the agent protocol: {0}")]
    Protocol(#[from] ProtocolError),
    /// No answer within the deadline.
    #[error("broke the agent protocol: no answer within {deadline_ms} ms; expected {expected}")]
    Silence {
        /// The deadline.
        deadline_ms: u64,
        /// What was expected.
        expected: Expected,
    },
    /// The program exited or closed its stdout while it was still needed.
    #[error("broke the agent protocol: the program ended ({how}) after {lines} line(s); expected {expected}{}", stderr_note(.stderr))]
    Exited {
        /// Its exit status or signal.
        how: String,
        /// How many lines it had written.
        lines: u64,
        /// What was expected.
        expected: Expected,
        /// Its last stderr lines.
        stderr: Vec<String>,
    },
}

fn stderr_note(stderr: &[String]) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!("; its last stderr lines:\n  {}", stderr.join("\n  "))
    }
}

/// A running program. Killed and reaped on drop.
#[derive(Debug)]
pub struct Child {
    control: ProcessControl,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<ReadLine>,
    /// Lines read so far.
    line_no: u64,
    deadline: Duration,
    /// Set once the program broke the protocol or ended: nothing more is asked.
    broken: bool,
}

/// A line with its number, or the end of the stream.
#[derive(Debug)]
struct ReadLine(u64, ReadKind);

#[derive(Debug)]
enum ReadKind {
    Line(String),
    TooLong(usize),
    End,
}

/// Reads `stdout` line by line into `tx` until it ends or a line is too long.
fn follow_stdout(stdout: ChildStdout, tx: mpsc::Sender<ReadLine>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut n = 0;
        loop {
            let mut buf = Vec::new();
            let read = (&mut reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf);
            let kind = match read {
                Ok(0) | Err(_) => ReadKind::End,
                Ok(_) if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE_BYTES => {
                    ReadKind::TooLong(buf.len())
                }
                Ok(_) => {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    }
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                    ReadKind::Line(String::from_utf8_lossy(&buf).into_owned())
                }
            };
            n += 1;
            let last = !matches!(kind, ReadKind::Line(_));
            if tx.send(ReadLine(n, kind)).is_err() || last {
                return;
            }
        }
    });
}

impl Child {
    /// Starts `argv` (program and arguments) in `cwd` for the agent `agent`.
    pub fn start(argv: &[String], cwd: &Path) -> Result<Child, ProgramError> {
        let command = argv.join(" ");
        let deadline = deadline()?;
        let Some((program, args)) = argv.split_first() else {
            return Err(ProgramError::Start {
                command,
                error: "the command is empty".into(),
            });
        };
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).current_dir(cwd);
        let (stdin, stdout, control) = spawn(cmd).map_err(|error| ProgramError::Start {
            command: command.clone(),
            error: error.to_string(),
        })?;
        let (tx, lines) = mpsc::channel();
        follow_stdout(stdout, tx);
        Ok(Child {
            control,
            stdin: Some(stdin),
            lines,
            line_no: 0,
            deadline,
            broken: false,
        })
    }

    /// Writes `request` and waits for its answer.
    pub fn ask(&mut self, request: &Request) -> Result<Answer, ProgramError> {
        let expected = Expected::answering(request);
        if self.broken {
            return Err(self.ended(expected));
        }
        let result = self.exchange(request, expected);
        if result.is_err() {
            self.broken = true;
            self.control.kill();
        }
        result
    }

    fn exchange(&mut self, request: &Request, expected: Expected) -> Result<Answer, ProgramError> {
        // Anything already waiting was written while no request was outstanding.
        if let Ok(ReadLine(n, kind)) = self.lines.try_recv() {
            self.line_no = n;
            match kind {
                ReadKind::Line(text) => {
                    return Err(ProtocolError {
                        line: n,
                        text: quote(&text),
                        violation: Violation::Unsolicited,
                        expected: Expected::nothing(),
                    }
                    .into())
                }
                ReadKind::TooLong(len) => return Err(too_long(n, len, expected)),
                ReadKind::End => return Err(self.ended(expected)),
            }
        }
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(request.to_line().as_bytes())
                .and_then(|()| stdin.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        if written.is_err() {
            return Err(self.ended(expected));
        }
        match self.lines.recv_timeout(self.deadline) {
            Ok(ReadLine(n, kind)) => {
                self.line_no = n;
                match kind {
                    ReadKind::Line(text) => Ok(decode_answer(n, &text, &expected)?),
                    ReadKind::TooLong(len) => Err(too_long(n, len, expected)),
                    ReadKind::End => Err(self.ended(expected)),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ProgramError::Silence {
                deadline_ms: self.deadline.as_millis() as u64,
                expected,
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(self.ended(expected)),
        }
    }

    /// The program's stream ended: how it ended.
    fn ended(&mut self, expected: Expected) -> ProgramError {
        self.stdin = None;
        let how = self.control.reap_after_close();
        ProgramError::Exited {
            how,
            lines: self.line_no.saturating_sub(1),
            expected,
            stderr: self.control.stderr_tail(),
        }
    }

    /// Sends `shutdown`, closes stdin and reaps the program (killing it if it does not exit
    /// within a moment).
    pub fn shutdown(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(Request::Shutdown.to_line().as_bytes());
            let _ = stdin.flush();
        }
        self.control.reap_after_close();
    }

    /// The OS process id.
    pub fn pid(&self) -> u32 {
        self.control.pid().unwrap_or(0)
    }
}

fn too_long(n: u64, len: usize, expected: Expected) -> ProgramError {
    ProtocolError {
        line: n,
        text: String::new(),
        violation: Violation::TooLong(len),
        expected,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::message::PROTOCOL_VERSION;
    use std::path::PathBuf;

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/agents")
    }

    fn broken(how: &str) -> Child {
        let argv = ["python3".to_owned(), "broken.py".to_owned(), how.to_owned()];
        Child::start(&argv, &examples()).expect("python3 runs")
    }

    fn hello() -> Request {
        Request::Hello {
            id: 1,
            protocol: PROTOCOL_VERSION,
            agent: 0,
        }
    }

    fn trade() -> Request {
        Request::Trade {
            id: 2,
            now_ms: 0,
            symbol: "SPY".into(),
            market: Default::default(),
            position: Default::default(),
        }
    }

    fn gone(pid: u32) -> bool {
        !Path::new(&format!("/proc/{pid}")).exists()
    }

    /// Each way of breaking the protocol gives its own error, naming the line and what was
    /// expected, and leaves no process behind.
    #[test]
    fn violations_name_the_line_and_what_was_expected() {
        let mut child = broken("bad-json");
        let pid = child.pid();
        assert!(crate::backend::reaper::registered().contains(&pid));
        assert!(matches!(child.ask(&hello()), Ok(Answer::Ready { .. })));
        let err = child.ask(&trade()).unwrap_err().to_string();
        assert!(
            err.contains("line 2 `{\"type\":\"decision\",\"id\":2,\"action\":\"buy\",`: bad JSON"),
            "{err}"
        );
        assert!(
            err.ends_with(
                "expected `decision` or `error` with \"id\":2 answering request 2 (trade SPY)"
            ),
            "{err}"
        );
        drop(child);
        assert!(gone(pid), "the program is reaped");

        let mut child = broken("wrong-version");
        let err = child.ask(&hello()).unwrap_err().to_string();
        assert!(
            err.contains("line 1 `") && err.contains("wrong protocol version 99"),
            "{err}"
        );

        let mut child = broken("unknown");
        child.ask(&hello()).unwrap();
        let err = child.ask(&trade()).unwrap_err().to_string();
        assert!(err.contains("unknown message type `order`"), "{err}");
    }

    #[test]
    fn silence_past_the_deadline_and_an_early_exit_fail() {
        let mut child = broken("silent");
        let pid = child.pid();
        child.ask(&hello()).unwrap();
        child.deadline = Duration::from_millis(300);
        let err = child.ask(&trade()).unwrap_err().to_string();
        assert!(
            err.contains("no answer within 300 ms; expected `decision`"),
            "{err}"
        );
        drop(child);
        assert!(gone(pid), "a silent program is killed and reaped");

        let mut child = broken("exit");
        child.ask(&hello()).unwrap();
        let err = child.ask(&trade()).unwrap_err().to_string();
        assert!(
            err.contains("the program ended (exited with status 3) after 1 line(s)"),
            "{err}"
        );
        assert!(err.contains("broken.py: exiting on purpose"), "{err}");
    }

    #[test]
    fn a_missing_program_fails_to_start_with_its_command() {
        let argv = ["no-such-program-here".to_owned()];
        let err = Child::start(&argv, Path::new(".")).unwrap_err().to_string();
        assert!(
            err.starts_with("could not start `no-such-program-here`"),
            "{err}"
        );
    }
}
