//! Mock-driver speed: simulated messages per second of wall time, and virtual-to-wall ratio.
//!
//! `cargo bench -p swarm-test --bench sim` runs two workloads for each swarm size:
//! - ring: the turmoil anchor's workload (`../shared/anchors/turmoil-ring`): M messages, each
//!   passed around a ring for H hops, i.e. M × (H + 1) messages counting the client's sends;
//! - mesh: M trades round-robin over a mesh (client → agent → client, with the trade model).
//!
//! With `-- --turmoil`, it also runs the turmoil anchor on the same ring workload (building it
//! with cargo) and prints the ratio, measured side by side in one run. `-- --quick` runs the
//! small sizes only; `-- --messages M` changes the ring's message count (default 1,000);
//! `-- --sizes 10,1000,10000` picks the swarm sizes; `-- --routed` adds star and hierarchical
//! swarms routing 2,000 trades `least_loaded` (the per-message cost of routing by load);
//! `-- --no-mesh` skips the mesh (a full mesh of 10,000 agents has 5 × 10⁷ edges).
//! `-- --flow` runs, instead, the user's workload at scale: the built-in flow of 2,000 trades
//! (`trades = 2000`, as `#[swarm_test]` runs it) over ring, star and hierarchical swarms of
//! 10 to 100,000 agents (or `--sizes`) and a 2,000-agent mesh, each size in a child process of
//! its own so that its peak RSS (`VmHWM`) is its own; `--trades N` changes the trade count,
//! `--limit S` the wall-time limit of each child (default 300 s).
//! `setup s` is the wall time of `Sim::setup` (every agent started and ready), apart from the
//! workload's. Figures vary with the machine; ratios are what to compare.
//!
//! Heartbeats (one timer event per agent per 100 ms, one message per peer) run during the
//! workloads, as in every run; they are not counted in `messages`, so the figure stays the
//! workload's own messages per second of wall time, heartbeat work included in the wall time.

use std::process::Command;
use std::time::Instant;

use swarm_test::internals::sim::Sim;
use swarm_test::{SpecBuilder, Task};

struct Figure {
    setup_s: f64,
    messages: u64,
    heartbeats: u64,
    wall_s: f64,
    virtual_s: f64,
}

impl Figure {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.wall_s
    }
}

fn spec(topology: &str, agents: usize, strategy: &str) -> swarm_test::Spec {
    SpecBuilder::new("bench", "bench")
        .with("topology", topology)
        .with("agents", agents as u64)
        .with("strategy", strategy)
        .with("timeout", "600m")
        .build()
        .expect("a valid bench spec")
}

fn run(topology: &str, agents: usize, tasks: u64, task: impl Fn() -> Task) -> Figure {
    run_with(topology, agents, "round_robin", tasks, task)
}

fn run_with(
    topology: &str,
    agents: usize,
    strategy: &str,
    tasks: u64,
    task: impl Fn() -> Task,
) -> Figure {
    let mut sim = Sim::new(&spec(topology, agents, strategy), 1).expect("the bench swarm builds");
    let setup = Instant::now();
    sim.setup().expect("the bench swarm starts");
    let setup_s = setup.elapsed().as_secs_f64();
    let (start_msgs, start_us) = (sim.delivered(), sim.now_us());
    let start_beats = sim.heartbeats_delivered();
    let wall = Instant::now();
    for _ in 0..tasks {
        sim.dispatch(task());
    }
    sim.run_until_idle().expect("the bench workload finishes");
    let wall_s = wall.elapsed().as_secs_f64();
    assert_eq!(
        sim.core().ledger().audit().completed,
        tasks,
        "every task completed"
    );
    let heartbeats = sim.heartbeats_delivered() - start_beats;
    Figure {
        setup_s,
        messages: sim.delivered() - start_msgs - heartbeats,
        heartbeats,
        wall_s,
        virtual_s: (sim.now_us() - start_us) as f64 / 1e6,
    }
}

/// Turmoil's msg/s on the same ring workload, or why there is none. Each run is limited to
/// `TURMOIL_LIMIT_S` seconds (`timeout(1)`), since turmoil slows steeply with swarm size.
fn turmoil(agents: usize, messages: u64, hops: u32) -> Result<f64, String> {
    const TURMOIL_LIMIT_S: u32 = 300;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/anchors/turmoil-ring/run.sh");
    let out = Command::new("timeout")
        .arg(TURMOIL_LIMIT_S.to_string())
        .arg("bash")
        .arg(&script)
        .args([agents.to_string(), messages.to_string(), hops.to_string()])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if out.status.code() == Some(124) {
        return Err(format!("> {TURMOIL_LIMIT_S} s"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.split("= ")
        .last()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|rate| rate.parse().ok())
        .ok_or_else(|| format!("no figure: {text}{}", String::from_utf8_lossy(&out.stderr)))
}

/// Peak resident set of this process, MiB (`VmHWM` in `/proc/self/status`; 0 where absent).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One flow run, in this process: prints `setup wall messages heartbeats diameter_s rss_mib`.
fn flow_child(shape: &str, agents: usize, trades: u64) {
    let spec = SpecBuilder::new("bench", "bench")
        .with("topology", shape)
        .with("agents", agents as u64)
        .with("trades", trades)
        .with("timeout", "600m")
        .build()
        .expect("a valid bench spec");
    let mut sim = Sim::new(&spec, 1).expect("the bench swarm builds");
    let setup = Instant::now();
    sim.setup().expect("the bench swarm starts");
    let setup_s = setup.elapsed().as_secs_f64();
    let shape_check = Instant::now();
    assert!(sim.core().topology().diameter().is_some(), "connected");
    let diameter_s = shape_check.elapsed().as_secs_f64();
    let (start_msgs, start_beats) = (sim.delivered(), sim.heartbeats_delivered());
    let wall = Instant::now();
    sim.start_trades(trades);
    sim.run_until_idle().expect("the bench flow finishes");
    let wall_s = wall.elapsed().as_secs_f64();
    assert_eq!(sim.core().ledger().audit().completed, trades);
    let heartbeats = sim.heartbeats_delivered() - start_beats;
    let messages = sim.delivered() - start_msgs - heartbeats;
    println!(
        "{setup_s} {wall_s} {messages} {heartbeats} {diameter_s} {}",
        peak_rss_mib()
    );
}

/// The flow at every size, each in a child process (see the module docs) of at most
/// `limit_s` seconds (`timeout(1)`).
fn flow(sizes: &[usize], trades: u64, limit_s: u64) {
    println!(
        "workload: the built-in flow, {trades} trades (round_robin), one child process per row"
    );
    println!(
        "{:<6} {:>7} {:>8} {:>10} {:>11} {:>9} {:>12} {:>12} {:>10} {:>9}",
        "shape",
        "agents",
        "setup s",
        "messages",
        "heartbeats",
        "wall s",
        "msg/s",
        "µs/trade",
        "diam s",
        "peak MiB"
    );
    let me = std::env::current_exe().expect("the bench knows its own path");
    let rows = ["ring", "star", "hierarchical"]
        .iter()
        .flat_map(|shape| sizes.iter().map(move |&n| (*shape, n)))
        .chain([("mesh", 2_000)]);
    for (shape, n) in rows {
        let out = Command::new("timeout")
            .arg(limit_s.to_string())
            .arg(&me)
            .args(["--flow-child", shape, &n.to_string(), &trades.to_string()])
            .output()
            .expect("the bench runs itself");
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<f64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if out.status.code() == Some(124) {
            println!("{:<6} {n:>7} > {limit_s} s", &shape[..4]);
            continue;
        }
        if !out.status.success() || f.len() != 6 {
            println!(
                "{:<6} {n:>7} failed: {}",
                &shape[..4],
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            continue;
        }
        let (wall, msgs) = (f[1], f[2]);
        println!(
            "{:<6} {n:>7} {:>8.3} {:>10} {:>11} {:>9.3} {:>12.0} {:>12.1} {:>10.3} {:>9.0}",
            &shape[..4],
            f[0],
            msgs,
            f[3],
            wall,
            msgs / wall,
            wall * 1e6 / trades as f64,
            f[4],
            f[5]
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--flow-child") {
        let arg = |k: usize| args.get(i + k).expect("--flow-child shape agents trades");
        return flow_child(
            arg(1),
            arg(2).parse().expect("agents"),
            arg(3).parse().expect("trades"),
        );
    }
    let quick = args.iter().any(|a| a == "--quick");
    let with_turmoil = args.iter().any(|a| a == "--turmoil");
    let routed = args.iter().any(|a| a == "--routed");
    let no_mesh = args.iter().any(|a| a == "--no-mesh");
    let sizes: Vec<usize> = match args.iter().position(|a| a == "--sizes") {
        Some(i) => args
            .get(i + 1)
            .expect("--sizes takes a list, e.g. 10,100,1000")
            .split(',')
            .map(|n| n.parse().expect("--sizes takes numbers"))
            .collect(),
        None if quick => vec![10, 50],
        None => vec![10, 50, 100, 200, 500],
    };
    // `--messages M`: the anchor's 1,000 does not complete under turmoil on every machine
    // (its UDP ring stalls and hits its 3,600 s simulated limit), so the count is a knob.
    let messages = args
        .iter()
        .position(|a| a == "--messages")
        .and_then(|i| args.get(i + 1))
        .map(|m| m.parse::<u64>().expect("--messages takes a number"))
        .unwrap_or(1_000);
    if args.iter().any(|a| a == "--flow") {
        let trades = args
            .iter()
            .position(|a| a == "--trades")
            .and_then(|i| args.get(i + 1))
            .map_or(2_000, |m| {
                m.parse::<u64>().expect("--trades takes a number")
            });
        let sizes = match args.iter().any(|a| a == "--sizes") {
            true => sizes,
            false => vec![10, 100, 1_000, 10_000, 100_000],
        };
        let limit_s = args
            .iter()
            .position(|a| a == "--limit")
            .and_then(|i| args.get(i + 1))
            .map_or(300, |m| m.parse::<u64>().expect("--limit takes seconds"));
        return flow(&sizes, trades, limit_s);
    }
    let hops = 100u32;
    println!("workload: ring, {messages} messages × {hops} hops; mesh, 10,000 trades");
    println!(
        "{:<6} {:>6} {:>8} {:>12} {:>11} {:>9} {:>14} {:>13} {}",
        "shape",
        "agents",
        "setup s",
        "messages",
        "heartbeats",
        "wall s",
        "msg/s (wall)",
        "virtual/wall",
        if with_turmoil {
            "  turmoil msg/s  ratio"
        } else {
            ""
        }
    );
    for &n in &sizes {
        let ring = run("ring", n, messages, || Task::relay(hops - 1));
        let compare = match with_turmoil.then(|| turmoil(n, messages, hops)) {
            None => String::new(),
            Some(Ok(t)) => format!("  {t:>13.0}  {:>5.1}×", ring.rate() / t),
            Some(Err(why)) => format!("  {why:>13}"),
        };
        println!(
            "{:<6} {:>6} {:>8.3} {:>12} {:>11} {:>9.3} {:>14.0} {:>12.1}×{compare}",
            "ring",
            n,
            ring.setup_s,
            ring.messages,
            ring.heartbeats,
            ring.wall_s,
            ring.rate(),
            ring.virtual_s / ring.wall_s
        );
        if no_mesh {
            continue;
        }
        let mesh = run("mesh", n, 10_000, || Task::trade("SPY"));
        println!(
            "{:<6} {:>6} {:>8.3} {:>12} {:>11} {:>9.3} {:>14.0} {:>12.1}×",
            "mesh",
            n,
            mesh.setup_s,
            mesh.messages,
            mesh.heartbeats,
            mesh.wall_s,
            mesh.rate(),
            mesh.virtual_s / mesh.wall_s
        );
    }
    for &n in sizes.iter().filter(|_| routed) {
        for shape in ["star", "hierarchical"] {
            let f = run_with(shape, n, "least_loaded", 2_000, || Task::trade("SPY"));
            println!(
                "{:<6} {:>6} {:>8.3} {:>12} {:>11} {:>9.3} {:>14.0} {:>12.1}×",
                &shape[..4],
                n,
                f.setup_s,
                f.messages,
                f.heartbeats,
                f.wall_s,
                f.rate(),
                f.virtual_s / f.wall_s
            );
        }
    }
}
