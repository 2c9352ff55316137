//! The market-volatility signal: a volatile market gets more agents before load arrives.
//!
//! From the original suite: volatility above 0.7 adds capacity, above 0.8 two agents. The
//! level is the market's volatility in 0..=1; in mock mode it is the level of the
//! `volatility(level)` fault in force (0 without one).

/// Above this level the autoscaler adds one agent. The default value is 0.7.
pub const VOLATILITY_HIGH: f64 = 0.7;

/// Above this level the autoscaler adds two agents. The default value is 0.8.
pub const VOLATILITY_SEVERE: f64 = 0.8;

/// The agents a volatility `level` adds: 0 up to 0.7, 1 above 0.7, 2 above 0.8.
///
/// ```
/// use swarm_test::internals::scale::volatility_bonus;
///
/// assert_eq!(volatility_bonus(0.5), 0);
/// assert_eq!(volatility_bonus(0.75), 1);
/// assert_eq!(volatility_bonus(0.85), 2);
/// ```
pub fn volatility_bonus(level: f64) -> usize {
    if level > VOLATILITY_SEVERE {
        2
    } else if level > VOLATILITY_HIGH {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_exclusive() {
        assert_eq!(volatility_bonus(0.0), 0);
        assert_eq!(volatility_bonus(VOLATILITY_HIGH), 0);
        assert_eq!(volatility_bonus(VOLATILITY_HIGH + 1e-9), 1);
        assert_eq!(volatility_bonus(VOLATILITY_SEVERE), 1);
        assert_eq!(volatility_bonus(VOLATILITY_SEVERE + 1e-9), 2);
        assert_eq!(volatility_bonus(1.0), 2);
    }
}
