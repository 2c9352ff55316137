//! Failure text: a run's failure, explained so it can be replayed; panics turned into
//! messages that say where they happened.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::config::{Mode, CHECK_DETERMINISM_VAR, INJECT_BUG_VAR, SEED_VAR, SHRUNK_VAR};

use super::context::Context;

/// A run that failed: why, and where it got to (the trace's tail, its length, the clock).
pub(super) struct Failure {
    pub(super) message: String,
    pub(super) trace: Vec<String>,
    pub(super) events: u64,
    pub(super) now_us: u64,
}

/// A failure before anything ran: no trace yet.
pub(super) fn bare(message: String) -> Failure {
    Failure {
        message,
        trace: Vec::new(),
        events: 0,
        now_us: 0,
    }
}

/// The failure text of one seed's run: what failed, the seed, the mode, the time and steps
/// reached, the command that replays it, and the trace's tail.
pub(super) fn explain(ctx: &Context, seed: u64, of: &str, failure: &Failure) -> String {
    let mut text = format!(
        "swarm_test `{}` failed{of}: {}\n\n  seed: {seed}\n  mode: {}\n  {}: {:.3} ms after {} events\n  replay: {}\n",
        ctx.test_path,
        failure.message,
        ctx.config.mode.as_str(),
        match ctx.config.mode {
            Mode::Mock => "virtual time",
            Mode::Live => "wall time",
        },
        failure.now_us as f64 / 1_000.0,
        failure.events,
        replay(ctx, seed, ctx.shrunk.as_deref()),
    );
    if !failure.trace.is_empty() {
        text.push_str(&format!("\nlast {} events:\n", failure.trace.len()));
        for line in &failure.trace {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// The command that replays `seed` of this test with the shrunk case `shrunk` (attribute
/// keys over the test's own), if any. Everything that shapes the run goes into it.
pub(super) fn replay(ctx: &Context, seed: u64, shrunk: Option<&str>) -> String {
    let mut env = String::new();
    if let Some(bug) = ctx.config.inject_bug {
        env.push_str(&format!("{INJECT_BUG_VAR}={} ", bug.as_str()));
    }
    if ctx.config.check_determinism {
        env.push_str(&format!("{CHECK_DETERMINISM_VAR}=1 "));
    }
    let mode = match ctx.config.mode {
        Mode::Mock => "",
        Mode::Live => "SWARM_TEST_MODE=live ",
    };
    let shrunk = shrunk.map_or(String::new(), |keys| format!("{SHRUNK_VAR}='{keys}' "));
    format!(
        "{env}{mode}{SEED_VAR}={seed} {shrunk}cargo test -p {} -- --exact {}",
        ctx.package, ctx.test_path
    )
}

/// Runs `f`, turning a panic into an error that says where it happened.
pub(super) fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|p| format!("{what} panicked: {}", crate::error::panic_message(&*p)))
}
