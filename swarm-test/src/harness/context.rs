//! What one test is, for every run of it: the spec, the case, the environment's
//! configuration, its path and package, and its base seed.

use swarm_test_spec::Spec;

use crate::config::Config;

/// One test: its spec, its case, the environment, where it lives and its base seed.
#[derive(Clone)]
pub(super) struct Context {
    /// The spec the run uses: the attribute's, or a shrunk case of it.
    pub(super) spec: Spec,
    /// The spec as the attribute wrote it.
    pub(super) attribute: Spec,
    /// The override in force (`SWARM_TEST_SHRUNK`, or a regression's shrunk case), for the
    /// replay command.
    pub(super) shrunk: Option<String>,
    /// The case of a parametrised test: a list value or an rstest case.
    pub(super) case: Option<String>,
    pub(super) config: Config,
    pub(super) test_path: String,
    pub(super) package: &'static str,
    pub(super) base_seed: u64,
}

impl Context {
    /// This test with the shrunk case `keys` (attribute keys over its own).
    pub(super) fn shrunk(&self, keys: &str) -> Result<Context, swarm_test_spec::SpecError> {
        Ok(Context {
            spec: super::shrink::apply(&self.attribute, keys)?,
            shrunk: Some(keys.to_owned()),
            ..self.clone()
        })
    }

    /// The test's name with its case: `name@case`.
    pub(super) fn report_name(&self) -> String {
        match &self.case {
            Some(case) => format!("{}@{case}", self.spec.name),
            None => self.spec.name.clone(),
        }
    }
}
