//! A star's hub only routes: it scales down to 2 agents at least. The error names the key
//! that was written, not a default (issue 13.6).
use swarm_test::prelude::*;

#[swarm_test(topology = "star", agents = 2, max_agents = 1)]
fn t() {}

fn main() {}
