//! #[tokio::test] is a second #[test] too.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
#[tokio::test]
async fn t(swarm: &mut Swarm) {}

fn main() {}
