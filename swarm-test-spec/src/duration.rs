//! Durations as written in attributes and fault specs: `"250ms"`, `"2s"`, `"1.5s"`, `"3m"`.
//!
//! A duration is a non-negative decimal number directly followed by a unit: `ms`
//! (milliseconds), `s` (seconds) or `m` (minutes). It must come to a whole number of
//! milliseconds (`"1.5s"` is fine, `"0.5ms"` is not). No spaces inside, no other units.
//!
//! A duration is at most [`MAX_DURATION_MS`] (one week). The runtime computes times in
//! microseconds and adds and scales durations (a fault's start plus its length plus a
//! restart delay, a timeout, a delay times a jitter factor); with every duration at most a
//! week, that arithmetic stays many orders of magnitude below `u64::MAX` microseconds
//! (about 584,000 years), so it cannot overflow.

use crate::error::{excerpt, SpecError};
use crate::types::Millis;

/// The longest duration a spec accepts, in milliseconds: one week (`"10080m"`).
///
/// A week of virtual time is far beyond any test's run, and it keeps every time the runtime
/// computes from durations (sums and products, in microseconds) far from `u64::MAX`: a week
/// is 6.048·10¹¹ µs, so even the sum of four such times multiplied by a million fits. Every duration in an
/// attribute or a fault spec is checked against it, at compile time by the macro and at run
/// time by [`crate::SpecBuilder`] and [`crate::FaultSpec::parse`].
pub const MAX_DURATION_MS: Millis = 7 * 24 * 60 * 60 * 1_000;

const HINT: &str = "expected a duration like `500ms`, `2s` or `1m`";

/// The units, with their length in milliseconds, longest name first.
const UNITS: &[(&str, u128)] = &[("ms", 1), ("s", 1_000), ("m", 60_000)];

/// Parses a duration such as `"250ms"`, `"2s"`, `"1.5s"` or `"3m"` into milliseconds.
///
/// Surrounding whitespace is ignored. Durations above [`MAX_DURATION_MS`] are rejected.
///
/// ```
/// use swarm_test_spec::parse_duration;
///
/// assert_eq!(parse_duration("250ms"), Ok(250));
/// assert_eq!(parse_duration("1.5s"), Ok(1_500));
/// assert_eq!(parse_duration("3m"), Ok(180_000));
/// assert!(parse_duration("2 hours").is_err());
/// assert_eq!(parse_duration("10080m"), Ok(swarm_test_spec::MAX_DURATION_MS));
/// assert!(parse_duration("10081m").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Millis, SpecError> {
    let trimmed = text.trim();
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_len);
    if number.is_empty() {
        return Err(if trimmed.starts_with('-') {
            SpecError::new(format!(
                "a duration cannot be negative, found `{}`",
                excerpt(trimmed)
            ))
        } else {
            SpecError::new(format!("{HINT}, found `{}`", excerpt(trimmed)))
        });
    }
    let factor = match UNITS.iter().find(|(name, _)| *name == unit) {
        Some((_, factor)) => *factor,
        None if unit.is_empty() => {
            return Err(SpecError::new(format!(
                "missing unit in `{number}`: {HINT} (units: `ms`, `s`, `m`)"
            )))
        }
        None if unit.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            return Err(SpecError::new(format!(
                "unknown unit `{}` in `{}`: {HINT} (units: `ms`, `s`, `m`)",
                excerpt(unit),
                excerpt(trimmed)
            )))
        }
        None => {
            return Err(SpecError::new(format!(
                "{HINT}, found `{}`",
                excerpt(trimmed)
            )))
        }
    };
    let ms = decimal_times(number, factor)
        .ok_or_else(|| SpecError::new(format!("{HINT}, found `{}`", excerpt(trimmed))))?;
    match ms {
        Scaled::Whole(ms) if ms > u128::from(MAX_DURATION_MS) => Err(SpecError::new(format!(
            "duration `{}` is too long: durations are at most `{}` (one week), so that times \
             computed from them cannot overflow",
            excerpt(trimmed),
            format_duration(MAX_DURATION_MS)
        ))),
        Scaled::Whole(ms) => Ok(Millis::try_from(ms).expect("at most MAX_DURATION_MS")),
        Scaled::Fraction => Err(SpecError::new(format!(
            "duration `{}` is not a whole number of milliseconds",
            excerpt(trimmed)
        ))),
    }
}

/// Formats milliseconds the way [`parse_duration`] reads them, in the largest exact unit:
/// `180000` → `"3m"`, `1500` → `"1500ms"`, `2000` → `"2s"`, `0` → `"0s"`.
///
/// ```
/// use swarm_test_spec::{format_duration, parse_duration};
///
/// assert_eq!(format_duration(2_000), "2s");
/// assert_eq!(parse_duration(&format_duration(1_500)), Ok(1_500));
/// ```
pub fn format_duration(ms: Millis) -> String {
    if ms == 0 {
        "0s".to_owned()
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1_000 == 0 {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

enum Scaled {
    Whole(u128),
    Fraction,
}

/// `number × factor` computed exactly in decimal; `None` if `number` is not a decimal number
/// or is absurdly long.
fn decimal_times(number: &str, factor: u128) -> Option<Scaled> {
    let (int, frac) = match number.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (number, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || number.ends_with('.') {
        return None;
    }
    if int.len() > 20 || frac.len() > 9 {
        return None;
    }
    let int: u128 = int.parse().ok()?;
    let scale = 10u128.pow(frac.len() as u32);
    let frac: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let frac_scaled = frac * factor;
    if frac_scaled % scale != 0 {
        return Some(Scaled::Fraction);
    }
    Some(Scaled::Whole(int * factor + frac_scaled / scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("0ms"), Ok(0));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("2s"), Ok(2_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500));
        assert_eq!(parse_duration("0.25s"), Ok(250));
        assert_eq!(parse_duration("3m"), Ok(180_000));
        assert_eq!(parse_duration("0.5m"), Ok(30_000));
        assert_eq!(parse_duration("  60s "), Ok(60_000));
    }

    #[test]
    fn missing_unit() {
        let err = parse_duration("250").unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing unit in `250`: expected a duration like `500ms`, `2s` or `1m` (units: `ms`, `s`, `m`)"
        );
    }

    #[test]
    fn unknown_unit() {
        let err = parse_duration("2h").unwrap_err();
        assert!(
            err.to_string().starts_with("unknown unit `h` in `2h`"),
            "{err}"
        );
        let err = parse_duration("2 s").unwrap_err();
        assert!(
            err.to_string().contains("expected a duration like"),
            "{err}"
        );
    }

    #[test]
    fn not_a_number() {
        for bad in [
            "", "s", "fast", ".5s", "1.s", "1..2s", "1.2.3s", "-1s", "½s",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.to_string().contains("duration"), "{bad:?} gave {err}");
        }
        assert!(parse_duration("-1s")
            .unwrap_err()
            .to_string()
            .contains("negative"));
    }

    #[test]
    fn fractions_of_a_millisecond() {
        let err = parse_duration("0.5ms").unwrap_err();
        assert_eq!(
            err.to_string(),
            "duration `0.5ms` is not a whole number of milliseconds"
        );
        assert_eq!(parse_duration("1.0ms"), Ok(1));
    }

    #[test]
    fn too_long() {
        assert!(parse_duration("99999999999999999999m")
            .unwrap_err()
            .to_string()
            .contains("too long"));
        assert!(parse_duration("999999999999999999999999s").is_err());
        // The issue's values: they used to parse and overflow the runtime's arithmetic.
        let e = parse_duration("18446744073709551615ms").unwrap_err();
        assert_eq!(
            e.to_string(),
            "duration `18446744073709551615ms` is too long: durations are at most `10080m` \
             (one week), so that times computed from them cannot overflow"
        );
        assert_eq!(parse_duration("604800s"), Ok(MAX_DURATION_MS));
        assert_eq!(parse_duration("604800000ms"), Ok(MAX_DURATION_MS));
        assert!(parse_duration("604800001ms").is_err());
        // The runtime's arithmetic in microseconds, at the limit: a start, a length and a
        // restart delay and a timeout (each at most a week), times a factor of a million.
        let us = MAX_DURATION_MS * 1_000;
        assert!(us
            .checked_mul(4)
            .and_then(|x| x.checked_mul(1_000_000))
            .is_some());
    }

    #[test]
    fn formatting_round_trips() {
        for ms in [
            0,
            1,
            999,
            1_000,
            1_500,
            60_000,
            90_000,
            180_000,
            MAX_DURATION_MS,
        ] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms), "{ms}");
        }
        assert_eq!(format_duration(90_000), "90s");
        assert_eq!(format_duration(120_000), "2m");
        assert_eq!(format_duration(250), "250ms");
    }
}
