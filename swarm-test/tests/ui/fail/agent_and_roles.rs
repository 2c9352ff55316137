//! `agent` and `roles` together.
use swarm_test::prelude::*;

#[derive(Debug, Default)]
struct Hold;

impl Agent for Hold {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::new("trade_execution")]
    }
    fn on_trade(&mut self, _: &mut AgentCtx<'_>, _: &str) -> Result<Decision, AgentError> {
        Ok(Decision::hold())
    }
}

#[swarm_test(topology = "star", agents = 3, agent = Hold, roles = [Hold * 3])]
fn t() {}

fn main() {}
