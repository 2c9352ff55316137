//! User agents as plain data: the function that builds them, handed through the [`Spec`].
//!
//! This crate does not know the `Agent` trait (it lives in `swarm-test`, above this crate), so
//! the factory returns each agent type-erased; `swarm-test` unwraps it. The macro emits one
//! non-generic function per test; the re-executed test binary of live mode builds its agent
//! from the same function.
//!
//! [`Spec`]: crate::Spec

use std::any::Any;
use std::fmt;

/// Builds the user's agent for agent `id`, or `None` where the roster names a built-in role.
pub type BuildAgent = fn(usize) -> Option<Box<dyn Any + Send>>;

/// Where a run's user-written agents come from (`agent = …`, or user types in `roles = […]`).
#[derive(Clone, Copy)]
pub struct AgentFactory {
    build: BuildAgent,
}

impl AgentFactory {
    /// A factory calling `build` once per agent.
    pub const fn new(build: BuildAgent) -> Self {
        AgentFactory { build }
    }

    /// Agent `id`'s user agent (type-erased), or `None` for a built-in role.
    pub fn build(&self, id: usize) -> Option<Box<dyn Any + Send>> {
        (self.build)(id)
    }
}

impl fmt::Debug for AgentFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AgentFactory")
    }
}

impl PartialEq for AgentFactory {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.build, other.build)
    }
}
