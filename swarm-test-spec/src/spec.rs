//! The [`Spec`] a `#[swarm_test(...)]` attribute describes, and the [`SpecBuilder`] that checks it.
//!
//! Checking happens in two stages, as in tokio-macros: [`SpecBuilder::set`] checks one key and
//! its value (unknown key, duplicate key, wrong type, bad value); [`SpecBuilder::build`] checks
//! the keys against each other (required keys, topology minimums, roster size, fault targets).
//! The macro runs both at compile time, the runtime runs the same code again, so the messages
//! are the same in both places.

use serde::{Deserialize, Serialize};

use crate::choice::unknown;
use crate::deploy::{DeployKeys, DeploySpec, DEPLOY_KEYS};
use crate::duration::{format_duration, parse_duration};
use crate::error::{backticked, SpecError};
use crate::factory::AgentFactory;
use crate::scale::{ScaleKeys, ScaleSpec, SCALE_KEYS};
use crate::types::{
    FaultSpec, MarketSpec, Millis, Regime, Roster, SnapshotSetting, Strategy, Target, TopologyKind,
};
use crate::value::{int, market, snapshot, string, Value};

/// The core keys, before the autoscaling and deployment keys in [`KEYS`].
const CORE_KEYS: [&str; 10] = [
    "topology", "agents", "roles", "strategy", "inject", "trades", "market", "seed", "timeout",
    "snapshot",
];

/// [`CORE_KEYS`], then [`SCALE_KEYS`], then [`DEPLOY_KEYS`]: each list is written once.
const ALL_KEYS: [&str; CORE_KEYS.len() + SCALE_KEYS.len() + DEPLOY_KEYS.len()] =
    concat_keys([&CORE_KEYS, SCALE_KEYS, DEPLOY_KEYS]);

/// The key lists `lists` one after the other, in a const array of `N` (their total length).
const fn concat_keys<const N: usize>(lists: [&[&'static str]; 3]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut list, mut at) = (0, 0);
    while list < lists.len() {
        let mut i = 0;
        while i < lists[list].len() {
            out[at] = lists[list][i];
            at += 1;
            i += 1;
        }
        list += 1;
    }
    assert!(at == N, "N is the total length of the lists");
    out
}

/// Every attribute key, in documentation order.
///
/// After the core keys come the autoscaling keys ([`SCALE_KEYS`]) and the deployment keys
/// ([`DEPLOY_KEYS`]).
pub const KEYS: &[&str] = &ALL_KEYS;

/// The keys that accept a list in the attribute: `topology` and `agents` (one test per
/// combination of values) and `inject` (several faults).
pub const LIST_KEYS: &[&str] = &["topology", "agents", "inject"];

/// The most agents a spec may ask for.
pub const MAX_AGENTS: usize = 100_000;

/// The default number of trades. The default value is 20.
pub const DEFAULT_TRADES: u64 = 20;

/// The default timeout in milliseconds. The default value is 60 s.
pub const DEFAULT_TIMEOUT_MS: Millis = 60_000;

/// Everything one swarm test run needs to know, as plain data.
///
/// Built by a [`SpecBuilder`]; serialisable so reports can carry it.
///
/// ```
/// use swarm_test_spec::{SpecBuilder, TopologyKind};
///
/// let spec = SpecBuilder::new("ring_runs", "tests")
///     .with("topology", "ring")
///     .with("agents", 5u64)
///     .build()
///     .unwrap();
/// assert_eq!((spec.topology, spec.agents), (TopologyKind::Ring, 5));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// The test function's name.
    pub name: String,
    /// `module_path!()` at the test.
    pub module_path: String,
    /// The suffix naming this case when the attribute listed several values (`"ring_5"`),
    /// else `None`.
    pub case: Option<String>,
    /// The topology (`topology`, required).
    pub topology: TopologyKind,
    /// The number of agents (`agents`, required; at least [`TopologyKind::min_agents`]).
    pub agents: usize,
    /// The roster (`roles`); `None` means the runtime's default roster for the topology.
    pub roles: Option<Roster>,
    /// The routing strategy (`strategy`). The default value is [`Strategy::RoundRobin`].
    pub strategy: Strategy,
    /// The scheduled faults (`inject`), in the order written. The default is none.
    pub inject: Vec<FaultSpec>,
    /// The number of trade tasks in the built-in simulation (`trades`). The default value is 20.
    pub trades: u64,
    /// The market data (`market`). The default value is the calm regime.
    pub market: MarketSpec,
    /// The seed (`seed`); `None` means the runtime derives one from `module_path` and `name`.
    pub seed: Option<u64>,
    /// The run's time limit in milliseconds (`timeout`). The default value is 60 s.
    pub timeout_ms: Millis,
    /// Whether and how the summary is snapshotted (`snapshot`). The default value is
    /// [`SnapshotSetting::Auto`].
    pub snapshot: SnapshotSetting,
    /// Autoscaling, on when any of [`SCALE_KEYS`] is given. The default is `None` (a fixed
    /// number of agents).
    #[serde(default)]
    pub scale: Option<ScaleSpec>,
    /// A deployment pattern (`deploy` and the other [`DEPLOY_KEYS`]). The default is `None`
    /// (the built-in trade flow).
    #[serde(default)]
    pub deploy: Option<DeploySpec>,
    /// Your own agents (`agent = …`, or user types in `roles = […]`): built by the test's
    /// code, one per agent. The default is `None` (every agent a built-in role). Not
    /// serialised: reports name each agent's type instead.
    #[serde(skip)]
    pub agent_factory: Option<AgentFactory>,
}

impl Spec {
    /// The spec of a test `name` in `module_path` with `agents` agents in a `topology`, every
    /// other key at its default: what [`SpecBuilder`] builds from `topology` and `agents`
    /// alone.
    ///
    /// It does not check `agents` against the topology; [`SpecBuilder::build`] does. The
    /// macro checks the attribute with the builder at compile time, then emits this plus
    /// the keys that differ from their defaults (`Spec { strategy: …, ..Spec::new(…) }`), so
    /// the runtime gets typed data and parses nothing.
    ///
    /// ```
    /// use swarm_test_spec::{Spec, SpecBuilder, TopologyKind};
    ///
    /// let built = SpecBuilder::new("t", "m").with("topology", "star").with("agents", 4u64).build()?;
    /// assert_eq!(built, Spec::new("t", "m", TopologyKind::Star, 4));
    /// # Ok::<(), swarm_test_spec::SpecError>(())
    /// ```
    pub fn new(name: &str, module_path: &str, topology: TopologyKind, agents: usize) -> Spec {
        Spec {
            name: name.to_owned(),
            module_path: module_path.to_owned(),
            case: None,
            topology,
            agents,
            roles: None,
            strategy: Strategy::RoundRobin,
            inject: Vec::new(),
            trades: DEFAULT_TRADES,
            market: MarketSpec::Regime(Regime::Calm),
            seed: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            snapshot: SnapshotSetting::Auto,
            scale: None,
            deploy: None,
            agent_factory: None,
        }
    }

    /// A builder for a test called `name` in `module_path`; same as [`SpecBuilder::new`].
    pub fn builder(name: &str, module_path: &str) -> SpecBuilder {
        SpecBuilder::new(name, module_path)
    }
}

/// Checks attribute keys one at a time, then against each other, and builds a [`Spec`].
///
/// The macro generates a chain of [`with`](SpecBuilder::with) calls, one per key as written;
/// runtime code can do the same:
///
/// ```
/// use swarm_test_spec::{SpecBuilder, TopologyKind};
///
/// let spec = SpecBuilder::new("star_hub_failover", module_path!())
///     .with("topology", "star")
///     .with("agents", 7u64)
///     .with("inject", "crash(hub) @ 2s")
///     .build()
///     .unwrap();
/// assert_eq!(spec.topology, TopologyKind::Star);
/// assert_eq!(spec.trades, 20); // the default
///
/// let err = SpecBuilder::new("t", "m")
///     .with("topology", "ring")
///     .with("agents", 2u64)
///     .build()
///     .unwrap_err();
/// assert_eq!(err.key(), Some("agents"));
/// assert!(err.to_string().starts_with("a ring topology needs at least 3 agents"));
/// ```
#[derive(Debug, Clone)]
pub struct SpecBuilder {
    name: String,
    module_path: String,
    case: Option<String>,
    seen: Vec<&'static str>,
    topology: Option<TopologyKind>,
    agents: Option<usize>,
    roles: Option<Roster>,
    strategy: Strategy,
    inject: Vec<FaultSpec>,
    trades: u64,
    market: MarketSpec,
    seed: Option<u64>,
    timeout_ms: Millis,
    snapshot: SnapshotSetting,
    scale: ScaleKeys,
    deploy: DeployKeys,
    error: Option<SpecError>,
}

impl SpecBuilder {
    /// A builder for the test `name` (the test function's name) in `module_path`.
    pub fn new(name: &str, module_path: &str) -> Self {
        SpecBuilder {
            name: name.to_owned(),
            module_path: module_path.to_owned(),
            case: None,
            seen: Vec::new(),
            topology: None,
            agents: None,
            roles: None,
            strategy: Strategy::RoundRobin,
            inject: Vec::new(),
            trades: DEFAULT_TRADES,
            market: MarketSpec::Regime(Regime::Calm),
            seed: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            snapshot: SnapshotSetting::Auto,
            scale: ScaleKeys::default(),
            deploy: DeployKeys::default(),
            error: None,
        }
    }

    /// Sets one key. Rejects an unknown key (suggesting the closest one and listing all of
    /// [`KEYS`]), a key set twice (except `inject`: each call appends a fault), a value of the
    /// wrong type and a bad value. The error's [`key`](SpecError::key) is `key`.
    pub fn set(&mut self, key: &str, value: Value) -> Result<(), SpecError> {
        let Some(known) = KEYS.iter().copied().find(|k| *k == key) else {
            return Err(unknown("key", key, KEYS).with_key(key));
        };
        if known != "inject" && self.seen.contains(&known) {
            let hint = match known {
                "topology" => {
                    "; to test several topologies give a list: `topology = [\"ring\", \"star\"]`"
                }
                "agents" => "; to test several sizes give a list: `agents = [3, 5]`",
                _ => "",
            };
            return Err(SpecError::new(format!("duplicate key `{key}`{hint}")).with_key(key));
        }
        self.set_value(known, value)
            .map_err(|e| e.with_key(known))?;
        self.seen.push(known);
        Ok(())
    }

    fn set_value(&mut self, key: &'static str, value: Value) -> Result<(), SpecError> {
        match key {
            "topology" => self.topology = Some(TopologyKind::parse(&string(key, value)?)?),
            "agents" => {
                let n = int(key, value)?;
                self.agents = Some(
                    usize::try_from(n)
                        .ok()
                        .filter(|n| *n <= MAX_AGENTS)
                        .ok_or_else(|| {
                            SpecError::new(format!(
                                "`agents` may be at most {MAX_AGENTS}, found `{n}`"
                            ))
                        })?,
                );
            }
            "roles" => self.roles = Some(Roster::parse(&string(key, value)?)?),
            "strategy" => self.strategy = Strategy::parse(&string(key, value)?)?,
            "inject" => self.inject.push(FaultSpec::parse(&string(key, value)?)?),
            "trades" => self.trades = int(key, value)?,
            "market" => self.market = market(&string(key, value)?)?,
            "seed" => self.seed = Some(int(key, value)?),
            "timeout" => {
                let ms =
                    parse_duration(&string(key, value)?).map_err(|e| e.context("`timeout`"))?;
                if ms == 0 {
                    return Err(SpecError::new(
                        "`timeout` must be above zero, like `timeout = \"30s\"`",
                    ));
                }
                self.timeout_ms = ms;
            }
            "snapshot" => self.snapshot = snapshot(value)?,
            k if SCALE_KEYS.contains(&k) => self.scale.set(k, value)?,
            k if DEPLOY_KEYS.contains(&k) => self.deploy.set(k, value)?,
            _ => unreachable!("every key in KEYS is handled"),
        }
        Ok(())
    }

    /// Sets one key, chaining; the first error is kept and returned by [`build`](Self::build).
    /// Keys after a failed one are ignored.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        if self.error.is_none() {
            if let Err(e) = self.set(key, value.into()) {
                self.error = Some(e);
            }
        }
        self
    }

    /// Names this case of a parametrised test (`"ring_5"`); see [`Spec::case`].
    pub fn case(mut self, suffix: &str) -> Self {
        self.case = Some(suffix.to_owned());
        self
    }

    /// Checks the keys against each other and builds the [`Spec`].
    ///
    /// Fails on the first error recorded by [`with`](Self::with), a missing `topology` or
    /// `agents`, fewer agents than the topology needs, a roster whose size is not `agents`,
    /// and faults whose target cannot exist: an index not below `agents`, a role missing from
    /// the roster, `hub` outside a star, `coordinator` outside a hierarchy, or a start at or
    /// after the timeout.
    pub fn build(self) -> Result<Spec, SpecError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let topologies = backticked(TopologyKind::NAMES.iter().copied());
        let Some(topology) = self.topology else {
            return Err(SpecError::new(format!(
                "missing `topology`: add `topology = \"ring\"` (one of {topologies})"
            ))
            .with_key("topology"));
        };
        let min = topology.min_agents();
        let Some(agents) = self.agents else {
            return Err(SpecError::new(format!(
                "missing `agents`: add `agents = N` with N at least {min} for a {topology} topology"
            ))
            .with_key("agents"));
        };
        if agents < min {
            let minimums: Vec<String> = TopologyKind::ALL
                .iter()
                .map(|t| format!("{t} {}", t.min_agents()))
                .collect();
            return Err(SpecError::new(format!(
                "a {topology} topology needs at least {min} agents, found `agents = {agents}` \
                 (minimums: {})",
                minimums.join(", ")
            ))
            .with_key("agents"));
        }
        let max = topology.max_agents();
        if agents > max {
            let maximums: Vec<String> = TopologyKind::ALL
                .iter()
                .map(|t| format!("{t} {}", t.max_agents()))
                .collect();
            return Err(SpecError::new(format!(
                "a {topology} topology takes at most {max} agents, found `agents = {agents}` \
                 (maximums: {}; a mesh links every pair, so its links grow with the square of \
                 the agents)",
                maximums.join(", ")
            ))
            .with_key("agents"));
        }
        if let Some(roster) = &self.roles {
            if roster.len() != agents {
                return Err(SpecError::new(format!(
                    "`roles` lists {} agent{} but `agents = {agents}`; make the counts add up to {agents}",
                    roster.len(),
                    if roster.len() == 1 { "" } else { "s" }
                ))
                .with_key("roles"));
            }
        }
        for fault in &self.inject {
            check_fault(
                fault,
                topology,
                agents,
                self.roles.as_ref(),
                self.timeout_ms,
            )
            .map_err(|e| e.context(format!("`{}`", fault.text)).with_key("inject"))?;
        }
        let scale = self.scale.finish(topology, agents)?;
        let deploy = self.deploy.finish(topology, agents, self.roles.as_ref())?;
        if scale.is_some() && deploy.is_some() {
            return Err(SpecError::new(
                "autoscaling keys and `deploy` cannot be combined: a deployment sizes each \
                 version itself; use either the scale keys or `deploy`, not both",
            )
            .with_key("deploy"));
        }
        Ok(Spec {
            name: self.name,
            module_path: self.module_path,
            case: self.case,
            topology,
            agents,
            roles: self.roles,
            strategy: self.strategy,
            inject: self.inject,
            trades: self.trades,
            market: self.market,
            seed: self.seed,
            timeout_ms: self.timeout_ms,
            snapshot: self.snapshot,
            scale,
            deploy,
            agent_factory: None,
        })
    }
}

/// Checks that a fault can hit something in this swarm.
fn check_fault(
    fault: &FaultSpec,
    topology: TopologyKind,
    agents: usize,
    roles: Option<&Roster>,
    timeout_ms: Millis,
) -> Result<(), SpecError> {
    if fault.at_ms >= timeout_ms {
        return Err(SpecError::new(format!(
            "the fault starts at {} but the test times out at {}; start it earlier or raise `timeout`",
            format_duration(fault.at_ms),
            format_duration(timeout_ms)
        )));
    }
    match fault.kind.target() {
        Some(Target::Index(i)) if *i >= agents => Err(SpecError::new(format!(
            "agent index {i} is out of range: with `agents = {agents}` the indices are 0..={}",
            agents - 1
        ))),
        Some(Target::Role(role)) if roles.is_some_and(|r| !r.contains(*role)) => {
            let listed: Vec<&str> = roles.into_iter().flat_map(|r| r.0.iter().map(|(r, _)| r.as_str())).collect();
            Err(SpecError::new(format!(
                "no agent has role `{role}`; the roster has {}",
                backticked(listed)
            )))
        }
        Some(Target::Hub) if topology != TopologyKind::Star => Err(SpecError::new(format!(
            "target `hub` exists only in a star topology, not in a {topology}; use `leader`, an index or `role:NAME`"
        ))),
        Some(Target::Coordinator) if topology != TopologyKind::Hierarchical => Err(SpecError::new(format!(
            "target `coordinator` exists only in a hierarchical topology, not in a {topology}; use `leader`, an index or `role:NAME`"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::err;
    use crate::types::{FaultKind, Role};

    fn base() -> SpecBuilder {
        SpecBuilder::new("t", "m")
            .with("topology", "ring")
            .with("agents", 5u64)
    }

    #[test]
    fn defaults() {
        let spec = base().build().unwrap();
        assert_eq!(
            spec,
            Spec {
                name: "t".into(),
                module_path: "m".into(),
                case: None,
                topology: TopologyKind::Ring,
                agents: 5,
                roles: None,
                strategy: Strategy::RoundRobin,
                inject: vec![],
                trades: 20,
                market: MarketSpec::Regime(Regime::Calm),
                seed: None,
                timeout_ms: 60_000,
                snapshot: SnapshotSetting::Auto,
                scale: None,
                deploy: None,
                agent_factory: None,
            }
        );
    }

    #[test]
    fn spec_new_is_what_the_builder_makes_of_topology_and_agents() {
        for topology in TopologyKind::ALL {
            let agents = topology.min_agents();
            let built = SpecBuilder::new("t", "m")
                .with("topology", topology.as_str())
                .with("agents", agents as u64)
                .build()
                .unwrap();
            assert_eq!(built, Spec::new("t", "m", *topology, agents));
        }
    }

    #[test]
    fn each_topology_has_a_maximum() {
        let build = |topology: &str, agents: u64| {
            SpecBuilder::new("t", "m")
                .with("topology", topology)
                .with("agents", agents)
                .build()
        };
        let e = build("mesh", 100_000).unwrap_err();
        assert_eq!(e.key(), Some("agents"));
        assert_eq!(
            e.to_string(),
            "a mesh topology takes at most 2000 agents, found `agents = 100000` (maximums: \
             mesh 2000, hierarchical 100000, ring 100000, star 100000; a mesh links every \
             pair, so its links grow with the square of the agents)"
        );
        assert!(build("mesh", 2_000).is_ok());
        assert!(build("mesh", 2_001).is_err());
        for topology in ["ring", "star", "hierarchical"] {
            assert!(build(topology, 100_000).is_ok(), "{topology}");
            assert!(build(topology, 100_001).is_err(), "{topology}");
        }
    }

    #[test]
    fn durations_have_a_maximum() {
        // The issue's overflowing specs: each is rejected, naming the maximum.
        for (key, value) in [
            ("inject", "latency(18446744073709551615ms)"),
            ("inject", "crash(1, restart = 18446744073709551615ms)"),
            ("inject", "hang(1) for 18446744073709551615ms"),
            ("inject", "cpu_spike @ 18446744073709551615ms"),
            ("timeout", "18446744073709551615ms"),
            ("timeout", "10081m"),
        ] {
            let e = err(base().with(key, value));
            assert_eq!(e.key(), Some(key));
            assert!(
                e.to_string().contains("durations are at most `10080m`"),
                "{e}"
            );
        }
        // At run time too: `Swarm::inject` parses its text with `FaultSpec::parse`.
        let e = FaultSpec::parse("crash(1, restart = 18446744073709551615ms)").unwrap_err();
        assert!(
            e.to_string().contains("durations are at most `10080m`"),
            "{e}"
        );
        let week = base()
            .with("timeout", "10080m")
            .with("inject", "hang(1) @ 10079m for 10080m")
            .build()
            .unwrap();
        assert_eq!(week.timeout_ms, crate::MAX_DURATION_MS);
    }

    #[test]
    fn every_key() {
        let spec = Spec::builder("t", "m")
            .with("topology", "star")
            .with("agents", 5u64)
            .with(
                "roles",
                "momentum_trader*2, pairs_trader*2, arbitrage_trader",
            )
            .with("strategy", "specialized")
            .with("inject", "crash(hub) @ 2s")
            .with("inject", "latency(50ms)")
            .with("trades", 24u64)
            .with("market", "file:fixtures/data/spy.csv")
            .with("seed", 42u64)
            .with("timeout", "30s")
            .with("snapshot", "star_mix")
            .case("star_5")
            .build()
            .unwrap();
        assert_eq!(spec.roles.as_ref().map(Roster::len), Some(5));
        assert_eq!(spec.strategy, Strategy::Specialized);
        assert_eq!(spec.inject.len(), 2);
        assert_eq!(
            spec.inject[0].kind,
            FaultKind::Crash {
                target: Target::Hub,
                restart_after_ms: None
            }
        );
        assert_eq!(spec.trades, 24);
        assert_eq!(
            spec.market,
            MarketSpec::File("fixtures/data/spy.csv".into())
        );
        assert_eq!(spec.seed, Some(42));
        assert_eq!(spec.timeout_ms, 30_000);
        assert_eq!(spec.snapshot, SnapshotSetting::Named("star_mix".into()));
        assert_eq!(spec.case.as_deref(), Some("star_5"));
        let snap_off = base().with("snapshot", false).build().unwrap();
        assert_eq!(snap_off.snapshot, SnapshotSetting::Off);
        assert_eq!(
            base().with("snapshot", true).build().unwrap().snapshot,
            SnapshotSetting::Auto
        );
        assert_eq!(
            base().with("market", "volatile").build().unwrap().market,
            MarketSpec::Regime(Regime::Volatile)
        );
    }

    #[test]
    fn unknown_and_duplicate_keys() {
        let e = err(base().with("topolgy", "ring"));
        assert_eq!(e.key(), Some("topolgy"));
        assert_eq!(
            e.to_string(),
            format!(
                "unknown key `topolgy`; did you mean `topology`? expected one of {}",
                backticked(KEYS.iter().copied())
            )
        );
        let e = err(base().with("agents", 3u64));
        assert_eq!(e.key(), Some("agents"));
        assert_eq!(
            e.to_string(),
            "duplicate key `agents`; to test several sizes give a list: `agents = [3, 5]`"
        );
        let e = err(base().with("seed", 1u64).with("seed", 2u64));
        assert_eq!(e.to_string(), "duplicate key `seed`");
    }

    #[test]
    fn bad_values() {
        let e = err(base().with("strategy", "round-robin"));
        assert_eq!(e.key(), Some("strategy"));
        assert!(e.to_string().contains("did you mean `round_robin`?"), "{e}");
        let e = err(base().with("market", "bull"));
        assert!(
            e.to_string()
                .ends_with("`crash`, or `file:PATH` for a data file"),
            "{e}"
        );
        assert!(err(base().with("market", "file:"))
            .to_string()
            .contains("needs a path"));
        let e = err(base().with("timeout", "30"));
        assert_eq!(e.key(), Some("timeout"));
        assert!(
            e.to_string().starts_with("`timeout`: missing unit in `30`"),
            "{e}"
        );
        assert!(err(base().with("timeout", "0s"))
            .to_string()
            .contains("must be above zero"));
        assert!(err(base().with("snapshot", "a b"))
            .to_string()
            .contains("letters, digits"));
        assert!(err(base().with("snapshot", ""))
            .to_string()
            .contains("letters, digits"));
        let e = err(base().with("inject", "cpu_spik"));
        assert_eq!(e.key(), Some("inject"));
        let e = err(SpecBuilder::new("t", "m").with("agents", u64::MAX));
        assert!(e.to_string().contains("at most 100000"), "{e}");
        let e = err(base().with("roles", "momentum*5"));
        assert_eq!(e.key(), Some("roles"));
    }

    #[test]
    fn the_first_error_wins() {
        let e = err(SpecBuilder::new("t", "m")
            .with("agents", "x")
            .with("topology", 3u64));
        assert_eq!(e.key(), Some("agents"));
    }

    #[test]
    fn required_keys() {
        let e = err(SpecBuilder::new("t", "m").with("agents", 5u64));
        assert_eq!(e.key(), Some("topology"));
        assert_eq!(
            e.to_string(),
            "missing `topology`: add `topology = \"ring\"` (one of `mesh`, `hierarchical`, `ring`, `star`)"
        );
        let e = err(SpecBuilder::new("t", "m").with("topology", "ring"));
        assert_eq!(e.key(), Some("agents"));
        assert_eq!(
            e.to_string(),
            "missing `agents`: add `agents = N` with N at least 3 for a ring topology"
        );
    }

    #[test]
    fn minimums() {
        let e = err(SpecBuilder::new("t", "m")
            .with("topology", "ring")
            .with("agents", 2u64));
        assert_eq!(e.key(), Some("agents"));
        assert_eq!(
            e.to_string(),
            "a ring topology needs at least 3 agents, found `agents = 2` \
             (minimums: mesh 2, hierarchical 2, ring 3, star 2)"
        );
        let e = err(SpecBuilder::new("t", "m")
            .with("topology", "star")
            .with("agents", 1u64));
        assert!(e
            .to_string()
            .starts_with("a star topology needs at least 2 agents"));
        assert!(SpecBuilder::new("t", "m")
            .with("topology", "mesh")
            .with("agents", 2u64)
            .build()
            .is_ok());
    }

    #[test]
    fn roster_size() {
        let e = err(base().with("roles", "momentum_trader*2, pairs_trader*2"));
        assert_eq!(e.key(), Some("roles"));
        assert_eq!(
            e.to_string(),
            "`roles` lists 4 agents but `agents = 5`; make the counts add up to 5"
        );
        let spec = base().with("roles", "momentum_trader*5").build().unwrap();
        assert_eq!(spec.roles.unwrap().roles(), vec![Role::MomentumTrader; 5]);
    }

    #[test]
    fn fault_targets_must_exist() {
        let e = err(base().with("inject", "crash(5)"));
        assert_eq!(e.key(), Some("inject"));
        assert_eq!(
            e.to_string(),
            "`crash(5)`: agent index 5 is out of range: with `agents = 5` the indices are 0..=4"
        );
        assert!(base().with("inject", "crash(4)").build().is_ok());
        let e = err(base()
            .with("roles", "momentum_trader*5")
            .with("inject", "hang(role:risk_manager)"));
        assert_eq!(
            e.to_string(),
            "`hang(role:risk_manager)`: no agent has role `risk_manager`; the roster has `momentum_trader`"
        );
        assert!(
            base()
                .with("inject", "hang(role:risk_manager)")
                .build()
                .is_ok(),
            "no roster: runtime decides"
        );
        let e = err(base().with("inject", "crash(hub)"));
        assert!(
            e.to_string()
                .contains("target `hub` exists only in a star topology, not in a ring"),
            "{e}"
        );
        let e = err(base().with("inject", "cpu_spike(target = coordinator)"));
        assert!(
            e.to_string()
                .contains("`coordinator` exists only in a hierarchical topology"),
            "{e}"
        );
        let e = err(base().with("timeout", "10s").with("inject", "crash @ 10s"));
        assert!(
            e.to_string()
                .contains("starts at 10s but the test times out at 10s"),
            "{e}"
        );
    }

    #[test]
    fn serde_round_trip() {
        let spec = base()
            .with("inject", "partition(isolate = 2) @ 1s for 2s")
            .with("roles", "risk_manager*5")
            .case("ring_5")
            .build()
            .unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains("\"topology\":\"ring\""), "{json}");
        assert_eq!(serde_json::from_str::<Spec>(&json).unwrap(), spec);
    }
}
