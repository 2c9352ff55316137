//! Helpers shared by the unit tests of this crate: a builder for a small mesh and the error a
//! builder gives, and a fault spec parsed or refused.

use crate::spec::SpecBuilder;
use crate::types::FaultSpec;
use crate::SpecError;

/// A builder for a mesh of `agents` agents, to add the keys under test to.
pub(crate) fn mesh(agents: u64) -> SpecBuilder {
    SpecBuilder::new("t", "m")
        .with("topology", "mesh")
        .with("agents", agents)
}

/// The error `builder` gives; panics if it builds.
pub(crate) fn err(builder: SpecBuilder) -> SpecError {
    builder.build().unwrap_err()
}

/// Fault specs parsed from text.
pub(crate) mod fault {
    use super::FaultSpec;

    /// The fault spec `text` parses to; panics with the error if it does not parse.
    pub(crate) fn ok(text: &str) -> FaultSpec {
        FaultSpec::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// The message of the error `text` gives; panics if it parses.
    pub(crate) fn err(text: &str) -> String {
        match FaultSpec::parse(text) {
            Ok(spec) => panic!("{text:?} parsed as {spec:?}"),
            Err(e) => e.to_string(),
        }
    }
}
