//! The SVG charts of `swarm-test report`, drawn with plotters: grouped horizontal bars, line
//! charts (steps or curves, optionally on a log axis) and one panel per rollout.
//!
//! The charts only draw: every value comes from the caller, who reads it from report files.

use std::path::Path;

use plotters::prelude::*;

use super::PlotError;

/// Series colours, in order; a live series takes the same colour as its mock twin.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(66, 133, 244),
    RGBColor(251, 140, 0),
    RGBColor(219, 68, 55),
    RGBColor(15, 157, 88),
    RGBColor(171, 71, 188),
    RGBColor(0, 172, 193),
    RGBColor(124, 179, 66),
    RGBColor(121, 85, 72),
];

fn fail(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> PlotError + '_ {
    move |e| PlotError {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// A horizontal grouped bar chart: one group per name (top to bottom), one bar per series,
/// each bar labelled with its value (`unit` after it).
pub fn bars(
    path: &Path,
    title: &str,
    names: &[String],
    series: &[(&str, Vec<f64>)],
    unit: &str,
) -> Result<(), PlotError> {
    let fail = fail(path);
    let groups = names.len().max(1);
    let label_width = 7 * names.iter().map(|n| n.len()).max().unwrap_or(8) as u32 + 20;
    let height = (110 + 22 * series.len().max(1) * groups) as u32;
    let root = SVGBackend::new(path, (label_width + 700, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let top = series
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.35;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..top, 0.0..groups as f64)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(2 * groups + 1)
        .y_label_formatter(&|y| {
            // Ticks fall on halves: name the group at its centre (first name on top).
            let row = y.floor() as usize;
            match names.get(groups.saturating_sub(row + 1)) {
                Some(name) if (y - y.floor() - 0.5).abs() < 1e-6 => name.clone(),
                _ => String::new(),
            }
        })
        .draw()
        .map_err(|e| fail(&e))?;
    let thickness = 0.8 / series.len().max(1) as f64;
    for (s, (label, values)) in series.iter().enumerate() {
        let color = PALETTE[s % PALETTE.len()];
        let bar = |i: usize, v: f64| {
            let row = (groups - 1 - i) as f64;
            let y1 = row + 0.9 - s as f64 * thickness;
            (y1 - thickness, y1, v)
        };
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let (y0, y1, v) = bar(i, v);
                Rectangle::new([(0.0, y0), (v, y1)], color.filled())
            }))
            .map_err(|e| fail(&e))?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let (y0, y1, v) = bar(i, v);
                Text::new(
                    format!("{} {unit}", short(v)),
                    (v + top * 0.005, (y0 + y1) / 2.0 + thickness * 0.3),
                    ("sans-serif", 11),
                )
            }))
            .map_err(|e| fail(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

/// A value in few characters: `12.3`, `0.004`, `1200`.
pub fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 || (v.fract() == 0.0 && v.abs() < 1e15) {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// One line of a [`lines`] chart.
pub struct Line {
    /// Legend text.
    pub label: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
    /// Index into [`PALETTE`].
    pub color: usize,
    /// Drawn dashed-looking (thinner, hollow markers): the live twin of a mock line.
    pub dashed: bool,
    /// Hold each value until the next point (a step function), instead of a straight line.
    pub step: bool,
    /// Labels drawn beside points: (point index, text).
    pub notes: Vec<(usize, String)>,
}

/// A line chart of `lines` with axis descriptions; `log_x` puts x on a log scale.
pub fn lines(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    lines: &[Line],
    log_x: bool,
) -> Result<(), PlotError> {
    let fail = fail(path);
    let root = SVGBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let all = || lines.iter().flat_map(|l| l.points.iter().copied());
    let (x_lo, x_hi) = all().fold((f64::MAX, f64::MIN), |(lo, hi), (x, _)| {
        (lo.min(x), hi.max(x))
    });
    let y_hi = all().map(|(_, y)| y).fold(0.0_f64, f64::max).max(1e-9) * 1.15;
    let (x_lo, x_hi) = if x_lo > x_hi {
        (0.0, 1.0)
    } else {
        (x_lo, x_hi.max(x_lo + 1e-9))
    };
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(60);
    // The two axis kinds have different types: draw through one generic function.
    if log_x {
        let lo = x_lo.max(1e-3) / 1.2;
        let chart = builder
            .build_cartesian_2d((lo..x_hi * 1.2).log_scale(), 0.0..y_hi)
            .map_err(|e| fail(&e))?;
        draw_lines(chart, lines, (x_desc, y_desc), &fail)?;
    } else {
        let pad = (x_hi - x_lo) * 0.04;
        let chart = builder
            .build_cartesian_2d((x_lo - pad)..(x_hi + pad), 0.0..y_hi)
            .map_err(|e| fail(&e))?;
        draw_lines(chart, lines, (x_desc, y_desc), &fail)?;
    }
    root.present().map_err(|e| fail(&e))
}

fn draw_lines<'a, X>(
    mut chart: ChartContext<
        'a,
        SVGBackend<'a>,
        Cartesian2d<X, plotters::coord::types::RangedCoordf64>,
    >,
    lines: &[Line],
    (x_desc, y_desc): (&str, &str),
    fail: &dyn Fn(&dyn std::fmt::Display) -> PlotError,
) -> Result<(), PlotError>
where
    X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| fail(&e))?;
    for line in lines {
        let color = PALETTE[line.color % PALETTE.len()];
        let width = if line.dashed { 1 } else { 2 };
        let mut points = Vec::new();
        for (i, &(x, y)) in line.points.iter().enumerate() {
            if line.step && i > 0 {
                points.push((x, line.points[i - 1].1));
            }
            points.push((x, y));
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                points,
                color.stroke_width(width),
            )))
            .map_err(|e| fail(&e))?
            .label(line.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(width))
            });
        let hollow = line.dashed;
        chart
            .draw_series(line.points.iter().map(|&p| {
                let style = if hollow {
                    color.stroke_width(1)
                } else {
                    color.filled()
                };
                Circle::new(p, 3, style)
            }))
            .map_err(|e| fail(&e))?;
        chart
            .draw_series(line.notes.iter().filter_map(|(i, text)| {
                let &(x, y) = line.points.get(*i)?;
                Some(Text::new(
                    text.clone(),
                    (x, y),
                    ("sans-serif", 11).into_font().color(&color),
                ))
            }))
            .map_err(|e| fail(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| fail(&e))?;
    Ok(())
}

/// One rollout's steps for [`rollouts`].
pub struct Rollout {
    /// The run (and its outcome), as the panel's title.
    pub title: String,
    /// Per step: its phase, the new version's weight %, the old and new error rates %.
    pub steps: Vec<(String, f64, f64, f64)>,
}

/// One panel per rollout: the new version's weight per step (bars) against each version's
/// error rate in that step (lines), both in percent.
pub fn rollouts(path: &Path, title: &str, rollouts: &[Rollout]) -> Result<(), PlotError> {
    let fail = fail(path);
    let n = rollouts.len().max(1);
    let root = SVGBackend::new(path, (1000, 60 + 300 * n as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let root = root
        .titled(title, ("sans-serif", 18))
        .map_err(|e| fail(&e))?;
    for (panel, rollout) in root.split_evenly((n, 1)).iter().zip(rollouts) {
        let steps = rollout.steps.len().max(1);
        let mut chart = ChartBuilder::on(panel)
            .caption(&rollout.title, ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..steps as f64 - 0.5, 0.0..105.0)
            .map_err(|e| fail(&e))?;
        let phases: Vec<String> = rollout.steps.iter().map(|s| s.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(steps + 1)
            .x_label_formatter(&|x| {
                let i = x.round();
                match phases.get(i as usize) {
                    Some(p) if (x - i).abs() < 1e-6 && i >= 0.0 => p.clone(),
                    _ => String::new(),
                }
            })
            .y_desc("percent")
            .draw()
            .map_err(|e| fail(&e))?;
        let weight = PALETTE[0].mix(0.45);
        chart
            .draw_series(rollout.steps.iter().enumerate().map(|(i, s)| {
                let x = i as f64;
                Rectangle::new([(x - 0.3, 0.0), (x + 0.3, s.1)], weight.filled())
            }))
            .map_err(|e| fail(&e))?
            .label("new version's weight %")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], weight.filled()));
        for (k, (label, color)) in [
            ("old version's error rate %", PALETTE[3]),
            ("new version's error rate %", PALETTE[2]),
        ]
        .into_iter()
        .enumerate()
        {
            let points: Vec<(f64, f64)> = rollout
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| (i as f64, if k == 0 { s.2 } else { s.3 }))
                .collect();
            chart
                .draw_series(std::iter::once(PathElement::new(
                    points.clone(),
                    color.stroke_width(2),
                )))
                .map_err(|e| fail(&e))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(|e| fail(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}
