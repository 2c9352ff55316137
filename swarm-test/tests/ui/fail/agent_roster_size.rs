//! A roster of user types and roles whose size is not `agents`.
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

#[swarm_test(topology = "star", agents = 4, roles = [Hold * 2, "risk_manager"])]
fn t() {}

fn main() {}
