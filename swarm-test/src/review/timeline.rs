//! `swarm-test timeline FILE.json --out FILE.html`: one run's events as a timeline, one lane
//! per agent, in the manner of Jepsen's timelines.
//!
//! The page is self-contained (inline SVG, CSS and a few lines of script, nothing fetched).
//! Time runs left to right in ms after setup. Each agent's lane shows its task attempts
//! (bars: green completed, orange rerouted, red failed, grey never ended), the messages it
//! sent (ticks), faults on it shaded over their span, its detection (✕), recoveries (●),
//! promotions (★) and circuit-breaker moves (■). A top lane, `swarm`, holds what concerns
//! the whole swarm: swarm-wide faults, scale steps, rollout steps and consensus rounds,
//! which also draw a line across every lane. Hovering any mark shows its details.

use std::fmt::Write;

use super::file::ReportFile;
use crate::core::{AgentState, BreakerState};

const LEFT: f64 = 230.0;
const WIDTH: f64 = 1400.0;
const LANE: f64 = 38.0;
const TOP: f64 = 40.0;

/// Escapes text for HTML and SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

struct Canvas {
    svg: String,
    span_ms: f64,
}

impl Canvas {
    fn x(&self, ms: f64) -> f64 {
        LEFT + (ms.max(0.0) / self.span_ms) * (WIDTH - LEFT - 20.0)
    }

    /// An element with a hover tip: `<tag attrs data-tip><title>tip</title></tag>`.
    fn mark(&mut self, tag: &str, class: &str, attrs: &str, tip: &str) {
        let tip = esc(tip);
        let _ = write!(
            self.svg,
            "<{tag} class=\"ev {class}\" {attrs} data-tip=\"{tip}\"><title>{tip}</title></{tag}>"
        );
    }
}

/// The lane's top y of lane `i` (0: the swarm lane, agent `a` is lane `a + 1`).
fn lane_y(i: usize) -> f64 {
    TOP + i as f64 * LANE
}

/// The timeline page of one report file. A file without a trace (`timeline`) still shows
/// the report's own events: faults, detections, promotions, breakers, scale and rollout
/// steps.
pub fn html(file: &ReportFile) -> String {
    let r = &file.report;
    let t = file.timeline.clone().unwrap_or_default();
    let run_ms = (r.duration_ms - r.setup_ms).max(0.0);
    let last_event = t
        .tasks
        .iter()
        .filter_map(|s| s.end_ms)
        .chain(t.messages.iter().map(|m| m.at_ms))
        .fold(run_ms, f64::max);
    let lanes = r.agents.len() + 1;
    let height = TOP + lanes as f64 * LANE + 30.0;
    let mut c = Canvas {
        svg: String::new(),
        span_ms: last_event.max(1.0),
    };
    let bottom = lane_y(lanes);
    let _ = write!(
        c.svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">"
    );
    // Lanes and their labels.
    let failed: Vec<bool> = r
        .agents
        .iter()
        .map(|a| {
            a.state == AgentState::Failed || r.health.detections.iter().any(|d| d.agent == a.id)
        })
        .collect();
    for i in 0..lanes {
        let y = lane_y(i);
        let (label, class) = match i {
            0 => ("swarm".to_owned(), "lane swarm"),
            _ => {
                let a = &r.agents[i - 1];
                let state = serde_json::to_value(a.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let class = if failed[i - 1] { "lane failed" } else { "lane" };
                (
                    format!("agent {} · {} · {state}", a.id, a.role.as_str()),
                    class,
                )
            }
        };
        let _ = write!(
            c.svg,
            "<g class=\"{class}\" data-lane=\"{}\"><rect class=\"bg\" x=\"0\" y=\"{y}\" width=\"{WIDTH}\" height=\"{LANE}\"/>\
             <text class=\"label\" x=\"8\" y=\"{}\">{}</text></g>",
            i.wrapping_sub(1) as isize,
            y + LANE / 2.0 + 4.0,
            esc(&label)
        );
    }
    // Time axis.
    let step = nice_step(c.span_ms / 10.0);
    let mut tick = 0.0;
    while tick <= c.span_ms + 1e-9 {
        let x = c.x(tick);
        let _ = write!(
            c.svg,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom}\"/>\
             <text class=\"axis\" x=\"{x:.1}\" y=\"{}\">{} ms</text>",
            TOP - 8.0,
            super::plots::short(tick)
        );
        tick += step;
    }
    // Faults, shaded over their span, under everything else.
    // Labels of several faults on one lane go one under the other.
    let mut labels_on_lane = vec![0usize; lanes];
    for f in &r.faults {
        let Some(at) = f.at_ms else { continue };
        let end = f.healed_at_ms.unwrap_or(c.span_ms);
        let (x0, x1) = (c.x(at), c.x(end).max(c.x(at) + 2.0));
        let tip = format!(
            "fault `{}` on {:?} from {at:.1} ms{}; detected after {}, recovered after {}; tasks affected {}, rerouted {}, failed {}",
            f.name,
            f.targets,
            f.healed_at_ms.map_or(" to the end".to_owned(), |h| format!(" to {h:.1} ms")),
            f.detected_after_ms.map_or("–".to_owned(), |v| format!("{v:.1} ms")),
            f.recovered_after_ms.map_or("–".to_owned(), |v| format!("{v:.1} ms")),
            f.tasks_affected,
            f.tasks_rerouted,
            f.tasks_failed
        );
        let rows: Vec<usize> = match f.targets.is_empty() {
            true => (0..lanes).collect(),
            false => f
                .targets
                .iter()
                .map(|a| a + 1)
                .filter(|&l| l < lanes)
                .collect(),
        };
        let class = if f.targets.is_empty() {
            "fault wide"
        } else {
            "fault"
        };
        for &l in &rows {
            let attrs = format!(
                "x=\"{x0:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"",
                lane_y(l) + 1.0,
                x1 - x0,
                LANE - 2.0
            );
            c.mark("rect", class, &attrs, &tip);
        }
        if let Some(&l) = rows.first() {
            let k = labels_on_lane[l];
            labels_on_lane[l] += 1;
            let _ = write!(
                c.svg,
                "<text class=\"faultname\" x=\"{:.1}\" y=\"{}\">{}</text>",
                x0 + 3.0,
                lane_y(l) + 11.0 + (k % 3) as f64 * 11.0,
                esc(&f.name)
            );
        }
    }
    // Swarm-wide steps: a line across every lane, a mark in the swarm lane.
    let steps = r
        .scaling
        .iter()
        .map(|e| {
            (
                e.at_ms,
                "scale",
                format!("{}→{}", e.from, e.to),
                format!("scale {} → {} agents at {:.1} ms: {}", e.from, e.to, e.at_ms, e.reason),
            )
        })
        .chain(r.deploy.iter().map(|s| {
            (
                s.at_ms,
                "deploy",
                s.phase.clone(),
                format!(
                    "{} at {:.1} ms: weights {:?} of {:?}, observed {:?}, error rates {:?}, p99 {:?} ms: {} ({})",
                    s.phase, s.at_ms, s.weights, s.versions, s.observed, s.error_rates, s.p99_ms, s.outcome, s.reason
                ),
            )
        }))
        .chain(r.consensus.iter().map(|k| {
            (
                k.at_ms,
                "vote",
                if k.reached { "✓" } else { "✗" }.to_owned(),
                format!(
                    "consensus on {} at {:.1} ms by {:?}: {} votes of {:?}, agreement {}, {}: {}",
                    k.proposal, k.at_ms, k.proposer, k.votes, k.voters, k.agreement,
                    if k.reached { "reached" } else { "not reached" }, k.reason
                ),
            )
        }));
    for (i, (at, class, short, tip)) in steps.enumerate() {
        let x = c.x(at);
        let attrs = format!("x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom}\"");
        c.mark("line", &format!("step {class}"), &attrs, &tip);
        // Alternate rows, so the labels of close steps do not overlap.
        let row = if i % 2 == 0 { 22.0 } else { 34.0 };
        let attrs = format!("x=\"{:.1}\" y=\"{}\"", x + 2.0, lane_y(0) + row);
        let _ = write!(c.svg, "<text class=\"ev steplabel {class}\" {attrs} data-tip=\"{}\">{}<title>{}</title></text>", esc(&tip), esc(&short), esc(&tip));
    }
    // Task attempts on their executor's lane, in three rows so concurrent ones show.
    for s in &t.tasks {
        let l = s.agent + 1;
        if l >= lanes {
            continue;
        }
        let end = s.end_ms.unwrap_or(c.span_ms);
        let (x0, x1) = (c.x(s.start_ms), c.x(end).max(c.x(s.start_ms) + 1.5));
        let y = lane_y(l) + 14.0 + (s.task % 3) as f64 * 7.0;
        let tip = format!(
            "task#{} attempt {} on agent {}: {:.3} → {} ms, {}{}",
            s.task,
            s.attempt,
            s.agent,
            s.start_ms,
            s.end_ms
                .map_or("never ended".to_owned(), |e| format!("{e:.3}")),
            s.outcome,
            if s.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", s.reason)
            }
        );
        let attrs = format!(
            "x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"5\"",
            x1 - x0
        );
        c.mark("rect", &format!("task {}", s.outcome), &attrs, &tip);
    }
    // Messages: a tick at the top of the sender's lane (the client's in the swarm lane).
    for m in &t.messages {
        let l = m.from.map_or(0, |a| a + 1);
        if l >= lanes {
            continue;
        }
        let x = c.x(m.at_ms);
        let y = lane_y(l) + 3.0;
        let who = |e: Option<usize>| e.map_or("client".to_owned(), |a| format!("agent {a}"));
        let tip = format!(
            "{} message {} → {} at {:.3} ms{}",
            m.kind,
            who(m.from),
            who(m.to),
            m.at_ms,
            m.task.map_or(String::new(), |t| format!(" (task#{t})"))
        );
        let attrs = format!("x1=\"{x:.1}\" y1=\"{y}\" x2=\"{x:.1}\" y2=\"{}\"", y + 7.0);
        c.mark("line", &format!("msg {}", m.kind), &attrs, &tip);
    }
    // Health: detections, recoveries, promotions, breaker moves.
    let mid = |agent: usize| lane_y(agent + 1) + LANE / 2.0;
    for d in &r.health.detections {
        let (x, y) = (c.x(d.at_ms), mid(d.agent));
        let tip = format!(
            "agent {} declared failed at {:.1} ms by {:?}{}",
            d.agent,
            d.at_ms,
            d.by,
            d.detected_after_ms.map_or(String::new(), |v| format!(
                ", {v:.1} ms after it went silent"
            ))
        );
        let attrs = format!("d=\"M{:.1},{:.1} l10,10 m0,-10 l-10,10\"", x - 5.0, y - 5.0);
        c.mark("path", "detection", &attrs, &tip);
    }
    for rec in &r.health.recoveries {
        let tip = format!(
            "agent {} heard from again at {:.1} ms{}",
            rec.agent,
            rec.at_ms,
            if rec.restarted {
                " (restarted, its work lost)"
            } else {
                ""
            }
        );
        let attrs = format!(
            "cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\"",
            c.x(rec.at_ms),
            mid(rec.agent)
        );
        c.mark("circle", "recovery", &attrs, &tip);
    }
    for p in &r.health.promotions {
        let (x, y) = (c.x(p.at_ms), mid(p.promoted));
        let tip = format!(
            "agent {} promoted to {} in place of agent {} at {:.1} ms (edges of {:?} moved to it)",
            p.promoted, p.role, p.failed, p.at_ms, p.moved
        );
        let attrs = format!("points=\"{}\"", star_points(x, y, 8.0));
        c.mark("polygon", "promotion", &attrs, &tip);
    }
    for b in &r.health.breakers {
        let to = match b.to {
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Closed => "closed",
        };
        let tip = format!(
            "agent {}'s circuit breaker {:?} → {:?} at {:.1} ms: {}",
            b.agent, b.from, b.to, b.at_ms, b.reason
        );
        let attrs = format!(
            "x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\"",
            c.x(b.at_ms) - 3.5,
            lane_y(b.agent + 1) + LANE - 9.0
        );
        c.mark("rect", &format!("breaker {to}"), &attrs, &tip);
    }
    c.svg.push_str("</svg>");
    page(file, &t, &c.svg)
}

fn star_points(x: f64, y: f64, r: f64) -> String {
    (0..10)
        .map(|i| {
            let radius = if i % 2 == 0 { r } else { r * 0.45 };
            let angle = std::f64::consts::PI / 5.0 * i as f64 - std::f64::consts::FRAC_PI_2;
            format!(
                "{:.1},{:.1}",
                x + radius * angle.cos(),
                y + radius * angle.sin()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1e-3);
    let pow = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * pow)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * pow)
}

fn page(file: &ReportFile, t: &super::Timeline, svg: &str) -> String {
    let r = &file.report;
    let left_out = if t.tasks_left_out + t.messages_left_out > 0 {
        format!(
            " The trace keeps the first {} task attempts and messages: {} attempts and {} messages after those are not drawn.",
            t.cap, t.tasks_left_out, t.messages_left_out
        )
    } else {
        String::new()
    };
    let failures = if r.failures.is_empty() {
        String::new()
    } else {
        format!(
            "<details><summary>{} failed tasks</summary><pre>{}</pre></details>",
            r.failures.len(),
            esc(&r.failures.join("\n"))
        )
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>swarm-test timeline: {name}</title>
<style>
body {{ font: 13px sans-serif; margin: 16px; color: #222; }}
h1 {{ font-size: 18px; margin: 0 0 4px; }}
.meta {{ color: #555; margin-bottom: 8px; }}
.legend span {{ display: inline-block; margin-right: 14px; }}
.sw {{ display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; }}
svg text {{ font: 11px sans-serif; }}
.bg {{ fill: #fafafa; stroke: #e0e0e0; }}
.lane.swarm .bg {{ fill: #eef3fb; }}
.lane.failed .bg {{ fill: #fdecea; }}
.lane.failed .label {{ fill: #c62828; font-weight: bold; }}
.grid {{ stroke: #eee; }}
.axis {{ fill: #777; text-anchor: middle; }}
.fault {{ fill: rgb(229, 57, 53); fill-opacity: 0.28; stroke: rgb(198, 40, 40); }}
.fault.wide {{ fill: rgb(255, 152, 0); fill-opacity: 0.12; stroke: none; }}
.faultname {{ fill: #b71c1c; font-weight: bold; paint-order: stroke; stroke: #fff; stroke-width: 3px; }}
.task.completed {{ fill: #43a047; }} .task.rerouted {{ fill: #fb8c00; }}
.task.failed {{ fill: #e53935; }} .task.open {{ fill: #757575; }}
.msg {{ stroke: #90a4ae; }} .msg.vote_request, .msg.vote_reply {{ stroke: #8e24aa; }}
.detection {{ stroke: #b71c1c; stroke-width: 3; fill: none; }}
.recovery {{ fill: #2e7d32; }}
.promotion {{ fill: #fbc02d; stroke: #6d4c00; }}
.breaker.open {{ fill: #d32f2f; }} .breaker.half_open {{ fill: #ffa000; }} .breaker.closed {{ fill: #388e3c; }}
.step {{ stroke-dasharray: 4 3; }} .step.scale {{ stroke: #1e88e5; }} .step.deploy {{ stroke: #8e24aa; }}
.step.vote {{ stroke: #00897b; }} .steplabel.scale {{ fill: #1565c0; }} .steplabel.deploy {{ fill: #6a1b9a; }}
.ev:hover {{ stroke: #000; stroke-width: 2; }}
#tip {{ position: fixed; display: none; max-width: 520px; background: #263238; color: #fff;
        padding: 6px 8px; border-radius: 4px; pointer-events: none; font-size: 12px; }}
</style></head>
<body>
<h1>{name}</h1>
<div class="meta">seed {seed} · {mode} mode · pattern {pattern} · {topology} of {agents} agents · tasks {completed}/{dispatched} completed, {failed} failed, {rerouted} rerouted · {faults} faults · time in ms after setup (setup took {setup:.1} ms) · replay: <code>SWARM_TEST_SEED={seed}</code>.{left_out}</div>
<div class="legend">
<span><i class="sw" style="background:rgba(229,57,53,.4)"></i>fault on an agent</span>
<span><i class="sw" style="background:rgba(255,152,0,.2)"></i>swarm-wide fault</span>
<span><i class="sw" style="background:#43a047"></i>task completed</span>
<span><i class="sw" style="background:#fb8c00"></i>rerouted</span>
<span><i class="sw" style="background:#e53935"></i>failed</span>
<span><i class="sw" style="background:#90a4ae"></i>message sent</span>
<span style="color:#b71c1c">✕ declared failed</span>
<span style="color:#2e7d32">● recovered</span>
<span style="color:#c49000">★ promoted</span>
<span>■ breaker move (red open, amber half-open, green closed)</span>
<span style="color:#1565c0">┆ scale step</span>
<span style="color:#6a1b9a">┆ rollout step</span>
</div>
{failures}
<div id="chart">{svg}</div>
<div id="tip"></div>
<script>
(function () {{
  var tip = document.getElementById('tip');
  document.getElementById('chart').addEventListener('mousemove', function (e) {{
    var el = e.target.closest('[data-tip]');
    if (!el) {{ tip.style.display = 'none'; return; }}
    tip.textContent = el.getAttribute('data-tip');
    tip.style.display = 'block';
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 540) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  }});
  document.body.setAttribute('data-ready', 'yes');
}})();
</script>
</body></html>
"#,
        name = esc(&r.name),
        seed = r.seed,
        mode = r.mode.as_str(),
        pattern = esc(&file.pattern()),
        topology = r.topology.kind.as_str(),
        agents = r.agents.len(),
        completed = r.tasks.completed,
        dispatched = r.tasks.dispatched,
        failed = r.tasks.failed,
        rerouted = r.tasks.rerouted,
        faults = r.faults.len(),
        setup = r.setup_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::tests::star_run;

    #[test]
    fn a_crash_shades_its_agents_lane_and_marks_its_detection() {
        let (file, _) = star_run("page", "crash(1) @ 200ms");
        let page = html(&file);
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        for fetch in ["src=", "href=", "url(", "@import"] {
            assert!(
                !page.contains(fetch),
                "the page would fetch something: {fetch}"
            );
        }
        // The crashed agent's lane is marked failed, the fault is shaded on it.
        assert!(
            page.contains("<g class=\"lane failed\" data-lane=\"1\">"),
            "{page}"
        );
        assert!(page.contains("class=\"ev fault\""));
        assert!(page.contains("fault `crash(1) @ 200ms` on [1]"));
        assert!(page.contains("class=\"ev detection\""));
        assert_eq!(
            page.matches("class=\"ev task ").count(),
            file.timeline.as_ref().unwrap().tasks.len()
        );
        assert!(page.contains("class=\"ev task rerouted\""));
    }

    #[test]
    fn steps_are_one_two_or_five() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(130.0), 200.0);
        assert_eq!(nice_step(4_100.0), 5_000.0);
    }
}
