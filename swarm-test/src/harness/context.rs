//! What one test is, for every run of it: the spec, the case, the environment's
//! configuration, its path and package, and its base seed.

use swarm_test_spec::Spec;

use crate::config::Config;

/// One test: its spec, its case, the environment, where it lives and its base seed.
pub(super) struct Context {
    pub(super) spec: Spec,
    /// The case of a parametrised test: a list value or an rstest case.
    pub(super) case: Option<String>,
    pub(super) config: Config,
    pub(super) test_path: String,
    pub(super) package: &'static str,
    pub(super) base_seed: u64,
}

impl Context {
    /// The test's name with its case: `name@case`.
    pub(super) fn report_name(&self) -> String {
        match &self.case {
            Some(case) => format!("{}@{case}", self.spec.name),
            None => self.spec.name.clone(),
        }
    }
}
