//! The trading model inside swarm tests: regimes, replayed bars, rstest cases (issue 6).

use fixtures::{calm, crash, pipeline_preset, trending, volatile};
use rstest::rstest;
use swarm_test::internals::sim::Sim;
use swarm_test::internals::MarketSpec;
use swarm_test::prelude::*;
use swarm_test::Regime;

/// One test, one case per regime, each with its own snapshot (`…@case_N_regime`): the snapshot
/// diff between cases is the regime's effect on the book.
#[swarm_test(
    topology = "mesh",
    agents = 4,
    roles = "momentum_trader*2, mean_reversion_trader, neural_forecaster"
)]
#[rstest]
#[case::calm(calm())]
#[case::trending(trending())]
#[case::volatile(volatile())]
#[case::crash(crash())]
async fn regimes_move_the_book(
    swarm: &mut Swarm,
    #[case] market: MarketSpec,
) -> Result<(), SwarmError> {
    let MarketSpec::Regime(regime) = market else {
        panic!("the regime fixtures are synthetic markets");
    };
    swarm.set_regime(regime)?;
    let trades = swarm.run_trades(40).await?;
    assert_eq!(trades.len(), 40);
    let book = swarm.report().trades;
    assert_eq!(book.fills + book.unfilled + book.rejected + book.holds, 40);
    assert_eq!(book.orders, book.fills + book.unfilled);
    Ok(())
}

/// Bars replayed from the fixtures' CSV file drive the same agents.
#[swarm_test(
    topology = "star",
    agents = 5,
    roles = "portfolio_optimizer, momentum_trader*2, mean_reversion_trader*2",
    market = "file:../fixtures/data/bars.csv",
    trades = 24
)]
fn replayed_bars_drive_the_trades(report: &Report) {
    assert_eq!(report.tasks.completed, 24);
    assert!(
        report.trades.orders > 0,
        "the replayed prices produced signals"
    );
}

fn book(market: &str, seed: u64) -> swarm_test::internals::market::TradesReport {
    let spec = pipeline_preset().spec(market);
    let mut sim = Sim::new(&spec, seed).expect("the preset builds");
    sim.setup().expect("the preset starts");
    sim.start_trades(spec.trades);
    sim.run_until_idle().expect("the preset finishes");
    sim.trades_report()
}

#[test]
fn same_seed_same_trades() {
    assert_eq!(book("volatile", 11), book("volatile", 11));
}

#[rstest]
fn a_regime_change_moves_the_book(
    #[values(Regime::Trending, Regime::Volatile, Regime::Crash)] other: Regime,
) {
    let base = book("calm", 5);
    let moved = book(other.as_str(), 5);
    assert_ne!(base, moved, "{other} should trade differently from calm");
}
