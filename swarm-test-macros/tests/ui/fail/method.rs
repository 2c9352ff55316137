//! `self` cannot be supplied.
use swarm_test::prelude::*;

struct Suite;

impl Suite {
    #[swarm_test(topology = "ring", agents = 3)]
    fn t(&self) {}
}

fn main() {}
