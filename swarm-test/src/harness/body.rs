//! The forms a test body takes, and what it returns: the three bodies of CONTRACT §3 behind
//! one [`Body`], and any return value turned into an [`Outcome`].

use std::future::Future;
use std::pin::Pin;

use crate::report::Report;
use crate::swarm::Swarm;

/// What a test body came to: `Ok`, or the `Err` it returned.
pub type Outcome = Result<(), BodyError>;

/// The `Err` a test body returned, in its `Debug` form (all a body's error type promises).
///
/// ```
/// use swarm_test::__private::{BodyError, TestResult};
///
/// let e: BodyError = Err::<(), _>("boom").into_outcome().unwrap_err();
/// assert_eq!(e.to_string(), "the test body returned Err: \"boom\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the test body returned Err: {debug}")]
pub struct BodyError {
    /// The error's `Debug` form.
    pub debug: String,
}

/// A boxed future of a test body.
pub type BodyFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// Conversion of a test function's return value into an [`Outcome`].
#[diagnostic::on_unimplemented(
    message = "a #[swarm_test] function must return `()` or `Result<(), E>` with `E: Debug`, not `{Self}`",
    label = "this return type is not supported"
)]
pub trait TestResult {
    /// `()` is success; `Err(e)` fails the test with `e`'s `Debug` form.
    fn into_outcome(self) -> Outcome;
}

impl TestResult for () {
    fn into_outcome(self) -> Outcome {
        Ok(())
    }
}

impl<E: std::fmt::Debug> TestResult for Result<(), E> {
    fn into_outcome(self) -> Outcome {
        self.map_err(|e| BodyError {
            debug: format!("{e:?}"),
        })
    }
}

/// The user's test body, in one of the three forms.
pub enum Body {
    /// `fn name()`: the harness runs the scenario; the body runs after it.
    Declarative(Box<dyn Fn() -> Outcome>),
    /// `fn name(report: &Report)`: runs after the scenario, before the snapshot.
    Report(Box<dyn Fn(&Report) -> Outcome>),
    /// `async fn name(report: &Report)`.
    ReportAsync(Box<dyn for<'a> Fn(&'a Report) -> BodyFuture<'a>>),
    /// `async fn name(swarm: &mut Swarm)`: drives the swarm itself.
    Swarm(Box<dyn for<'a> Fn(&'a mut Swarm) -> BodyFuture<'a>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_convert_to_outcomes() {
        assert_eq!(().into_outcome(), Ok(()));
        assert_eq!(
            Err::<(), _>("boom").into_outcome(),
            Err(BodyError {
                debug: "\"boom\"".to_owned()
            })
        );
    }
}
