//! `program` and `agent` each make every agent one kind: together they are an error on each
//! key.
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

#[swarm_test(topology = "mesh", agents = 3, agent = Hold, program = "python3 agents/m.py")]
fn t() {}

fn main() {}
