//! Replayed market data: OHLCV bars from a CSV file.
//!
//! # Format
//!
//! ```text
//! time_ms,symbol,open,high,low,close,volume
//! 1000,SPY,500.00,500.40,499.80,500.10,12000
//! 1000,QQQ,430.00,430.20,429.90,430.05,8000
//! 2000,SPY,500.10,500.30,499.90,500.20,9000
//! ```
//!
//! - The first non-blank line is exactly that header (spaces around names are allowed).
//! - `time_ms` (an unsigned integer) is the virtual time at which the bar **closes**: its close
//!   is the price from `time_ms` on, until the symbol's next bar. Times of one symbol strictly
//!   increase; symbols may interleave.
//! - Prices are finite and positive, with `low ≤ open, close ≤ high`; `volume` is finite and
//!   non-negative. Fields are separated by commas, with no quoting; spaces around a field are
//!   ignored. Blank lines and lines starting with `#` are skipped. `\r\n` line ends are fine.
//!
//! Any other input is an error that names the file, the line and the column (1-based, counted
//! in characters) and says what was expected. Parsing never panics, whatever the bytes.

use std::collections::BTreeMap;
use std::fmt;

/// The header line every bar file starts with.
pub const BARS_HEADER: &str = "time_ms,symbol,open,high,low,close,volume";

const FIELDS: [&str; 7] = [
    "time_ms", "symbol", "open", "high", "low", "close", "volume",
];

/// One OHLCV bar of one symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Virtual time at which the bar closes.
    pub time_ms: u64,
    /// First price of the bar.
    pub open: f64,
    /// Highest price of the bar.
    pub high: f64,
    /// Lowest price of the bar.
    pub low: f64,
    /// Last price of the bar; the market's mid from `time_ms` on.
    pub close: f64,
    /// Traded volume (informational).
    pub volume: f64,
}

/// A bad bar file: where and why, as `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsError {
    /// The file name (or the source name given to [`BarSeries::parse`]).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters, of the offending field or byte.
    pub column: usize,
    /// What was wrong, lowercase.
    pub message: String,
}

impl fmt::Display for BarsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for BarsError {}

/// Bars per symbol, each symbol's bars in time order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarSeries {
    bars: BTreeMap<String, Vec<Bar>>,
}

impl BarSeries {
    /// Parses a bar file's bytes; `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<BarSeries, BarsError> {
        let err = |line: usize, column: usize, message: String| BarsError {
            file: file.to_string(),
            line,
            column,
            message,
        };
        let mut bars: BTreeMap<String, Vec<(Bar, usize)>> = BTreeMap::new();
        let mut seen_header = false;
        let mut last_line = 0;
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = i + 1;
            last_line = line_no;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let text = std::str::from_utf8(raw).map_err(|e| {
                let valid = String::from_utf8_lossy(&raw[..e.valid_up_to()]);
                err(line_no, valid.chars().count() + 1, "invalid utf-8".into())
            })?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if text.trim().is_empty() || text.trim_start().starts_with('#') {
                continue;
            }
            let fields = split_fields(text);
            if !seen_header {
                check_header(&fields).map_err(|(col, m)| err(line_no, col, m))?;
                seen_header = true;
                continue;
            }
            let bar = parse_row(&fields, text).map_err(|(col, m)| err(line_no, col, m))?;
            let symbol = fields[1].1;
            let series = bars.entry(symbol.to_string()).or_default();
            if let Some((prev, prev_line)) = series.last() {
                if bar.time_ms <= prev.time_ms {
                    return Err(err(
                        line_no,
                        fields[0].0,
                        format!(
                            "time_ms: {} is not after the previous {} bar at {} (line {})",
                            bar.time_ms, symbol, prev.time_ms, prev_line
                        ),
                    ));
                }
            }
            series.push((bar, line_no));
        }
        if !seen_header {
            return Err(err(
                last_line.max(1),
                1,
                format!("missing header: expected `{BARS_HEADER}`"),
            ));
        }
        if bars.is_empty() {
            return Err(err(last_line.max(1), 1, "the file has no bars".into()));
        }
        Ok(BarSeries {
            bars: bars
                .into_iter()
                .map(|(s, v)| (s, v.into_iter().map(|(b, _)| b).collect()))
                .collect(),
        })
    }

    /// Symbols in the file, sorted.
    pub fn symbols(&self) -> Vec<String> {
        self.bars.keys().cloned().collect()
    }

    /// The bars of `symbol` in time order, if it is in the file.
    pub fn bars(&self, symbol: &str) -> Option<&[Bar]> {
        self.bars.get(symbol).map(Vec::as_slice)
    }

    /// The price of `symbol` at `t_ms`: the close of its last bar closing at or before `t_ms`,
    /// or the open of its first bar before that bar closes.
    pub fn price(&self, symbol: &str, t_ms: u64) -> Option<f64> {
        let bars = self.bars.get(symbol)?;
        let n = bars.partition_point(|b| b.time_ms <= t_ms);
        Some(match n {
            0 => bars.first()?.open,
            n => bars[n - 1].close,
        })
    }

    /// Up to `n` closes of `symbol` at or before `t_ms`, oldest first.
    pub fn history(&self, symbol: &str, t_ms: u64, n: usize) -> Vec<f64> {
        let Some(bars) = self.bars.get(symbol) else {
            return Vec::new();
        };
        let end = bars.partition_point(|b| b.time_ms <= t_ms);
        bars[end.saturating_sub(n)..end]
            .iter()
            .map(|b| b.close)
            .collect()
    }
}

/// Fields with the 1-based character column where each (trimmed) field starts.
fn split_fields(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut col = 1;
    for field in text.split(',') {
        let lead = field.chars().take_while(|c| c.is_whitespace()).count();
        out.push((col + lead, field.trim()));
        col += field.chars().count() + 1;
    }
    out
}

fn check_header(fields: &[(usize, &str)]) -> Result<(), (usize, String)> {
    for (i, name) in FIELDS.iter().enumerate() {
        match fields.get(i) {
            Some((_, f)) if f == name => {}
            Some((col, f)) => {
                return Err((
                    *col,
                    format!(
                        "header: expected `{name}`, found `{f}` (the header is `{BARS_HEADER}`)"
                    ),
                ))
            }
            None => {
                let col = fields.last().map_or(1, |(c, f)| c + f.chars().count());
                return Err((
                    col,
                    format!("header: missing `{name}` (the header is `{BARS_HEADER}`)"),
                ));
            }
        }
    }
    if let Some((col, f)) = fields.get(FIELDS.len()) {
        return Err((
            *col,
            format!("header: unexpected column `{f}` (the header is `{BARS_HEADER}`)"),
        ));
    }
    Ok(())
}

fn parse_row(fields: &[(usize, &str)], text: &str) -> Result<Bar, (usize, String)> {
    if fields.len() < FIELDS.len() {
        return Err((
            text.chars().count() + 1,
            format!(
                "expected 7 fields ({BARS_HEADER}), found {}; `{}` is missing",
                fields.len(),
                FIELDS[fields.len()]
            ),
        ));
    }
    if let Some((col, _)) = fields.get(FIELDS.len()) {
        return Err((
            *col,
            format!("expected 7 fields ({BARS_HEADER}), found {}", fields.len()),
        ));
    }
    let (tcol, t) = fields[0];
    let time_ms = t.parse::<u64>().map_err(|_| {
        (
            tcol,
            format!("time_ms: expected a non-negative integer, found `{t}`"),
        )
    })?;
    let (scol, symbol) = fields[1];
    if symbol.is_empty()
        || !symbol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':'))
    {
        return Err((
            scol,
            format!("symbol: expected letters, digits or . - _ / :, found `{symbol}`"),
        ));
    }
    let price = |i: usize| -> Result<f64, (usize, String)> {
        let (col, s) = fields[i];
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            _ => Err((
                col,
                format!("{}: expected a positive number, found `{s}`", FIELDS[i]),
            )),
        }
    };
    let (open, high, low, close) = (price(2)?, price(3)?, price(4)?, price(5)?);
    let (vcol, v) = fields[6];
    let volume = match v.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => x,
        _ => {
            return Err((
                vcol,
                format!("volume: expected a non-negative number, found `{v}`"),
            ))
        }
    };
    if low > open.min(close) || low > high {
        return Err((
            fields[4].0,
            format!("low: {low} is above the bar's open, close or high"),
        ));
    }
    if high < open.max(close) {
        return Err((
            fields[3].0,
            format!("high: {high} is below the bar's open or close"),
        ));
    }
    Ok(Bar {
        time_ms,
        open,
        high,
        low,
        close,
        volume,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GOOD: &str = "time_ms,symbol,open,high,low,close,volume\n\
        1000,SPY,500,501,499,500.5,100\n\
        1000,QQQ,430,431,429,430.5,100\n\
        # a comment\n\
        \n\
        2000,SPY,500.5,502,500,501.5,100\r\n";

    fn bad(text: &str) -> BarsError {
        BarSeries::parse("bars.csv", text.as_bytes()).unwrap_err()
    }

    #[test]
    fn parses_a_good_file() {
        let s = BarSeries::parse("bars.csv", GOOD.as_bytes()).unwrap();
        assert_eq!(s.symbols(), vec!["QQQ".to_string(), "SPY".to_string()]);
        assert_eq!(s.bars("SPY").unwrap().len(), 2);
        assert_eq!(s.price("SPY", 0), Some(500.0));
        assert_eq!(s.price("SPY", 999), Some(500.0));
        assert_eq!(s.price("SPY", 1_000), Some(500.5));
        assert_eq!(s.price("SPY", 5_000), Some(501.5));
        assert_eq!(s.price("IBM", 5_000), None);
        assert_eq!(s.history("SPY", 1_500, 10), vec![500.5]);
        assert_eq!(s.history("SPY", 2_000, 1), vec![501.5]);
        assert!(s.history("SPY", 999, 3).is_empty());
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let e = bad("time_ms,symbol,open,high,low,close,volume\n1000,SPY,500,501,499,abc,1\n");
        assert_eq!((e.line, e.column), (2, 22));
        assert_eq!(
            e.to_string(),
            "bars.csv:2:22: close: expected a positive number, found `abc`"
        );
    }

    #[test]
    fn structural_errors_name_line_and_column() {
        let e = bad("time,symbol\n");
        assert_eq!((e.line, e.column), (1, 1));
        assert!(e.message.contains("expected `time_ms`"), "{e}");
        let e = bad("time_ms,symbol,open,high,low,close,volume\n1000,SPY,1,1,1\n");
        assert_eq!((e.line, e.column), (2, 15));
        assert!(e.message.contains("found 5"), "{e}");
        let e = bad("time_ms,symbol,open,high,low,close,volume\n1000,SPY,1,1,1,1,1,9\n");
        assert_eq!((e.line, e.column), (2, 20));
        let e = bad("time_ms,symbol,open,high,low,close,volume\n-5,SPY,1,1,1,1,1\n");
        assert_eq!((e.line, e.column), (2, 1));
        let e = bad("time_ms,symbol,open,high,low,close,volume\n1, S P ,1,1,1,1,1\n");
        assert_eq!((e.line, e.column), (2, 4));
        let e = bad("time_ms,symbol,open,high,low,close,volume\n1,SPY,2,1.5,1,2,1\n");
        assert_eq!((e.line, e.column), (2, 9));
        assert!(e.message.starts_with("high:"), "{e}");
        let e = bad("time_ms,symbol,open,high,low,close,volume\n1,SPY,1,1,1,1,inf\n");
        assert_eq!((e.line, e.column), (2, 15));
        let e = bad("time_ms,symbol,open,high,low,close,volume\n\n2,A,1,1,1,1,1\n2,A,1,1,1,1,1\n");
        assert_eq!((e.line, e.column), (4, 1));
        assert!(e.message.contains("line 3"), "{e}");
    }

    #[test]
    fn empty_files_and_bad_bytes() {
        assert_eq!(
            bad("").message,
            format!("missing header: expected `{BARS_HEADER}`")
        );
        let e = bad("time_ms,symbol,open,high,low,close,volume\n");
        assert_eq!(e.message, "the file has no bars");
        let mut bytes = b"time_ms,symbol,open,high,low,close,volume\n1,SP".to_vec();
        bytes.push(0xff);
        let e = BarSeries::parse("x.csv", &bytes).unwrap_err();
        assert_eq!((e.file.as_str(), e.line, e.column), ("x.csv", 2, 5));
        assert_eq!(e.message, "invalid utf-8");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = BarSeries::parse("fuzz.csv", &bytes);
        }

        #[test]
        fn never_panics_on_near_valid_rows(rows in proptest::collection::vec(
            "[0-9]{0,3},[A-Z ]{0,3},[0-9.e-]{0,4},[0-9.]{0,3},[0-9.]{0,3},[0-9.n]{0,3},[0-9,]{0,3}",
            0..8,
        )) {
            let text = format!("{BARS_HEADER}\n{}", rows.join("\n"));
            if let Err(e) = BarSeries::parse("fuzz.csv", text.as_bytes()) {
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
        }
    }
}
