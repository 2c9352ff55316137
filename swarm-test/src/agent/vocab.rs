//! The small words of the agent API: capabilities, payloads, timer ids.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Something an agent can do; the router sends a task only to agents with the capability it
/// requires (the built-in flow's trades need `"trade_execution"`).
///
/// ```
/// use swarm_test::Capability;
///
/// assert_eq!(Capability::new("trade_execution").as_str(), "trade_execution");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Capability(Cow<'static, str>);

impl Capability {
    /// The capability `name`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Capability(name.into())
    }

    /// Its name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a `'static` string, interned once per distinct name (the router indexes
    /// agents by capability name).
    pub(crate) fn interned(&self) -> &'static str {
        match &self.0 {
            Cow::Borrowed(s) => s,
            Cow::Owned(s) => intern(s),
        }
    }
}

fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = names.get(name) {
        return s;
    }
    let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(s);
    s
}

/// What one agent sends another along a topology edge ([`AgentCtx::send`](super::AgentCtx::send)):
/// any JSON value.
///
/// ```
/// use swarm_test::Payload;
///
/// let p = Payload::new(serde_json::json!({"high": 101.5}));
/// assert_eq!(p.value()["high"], 101.5);
/// assert_eq!(Payload::from("hello").value(), "hello");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(serde_json::Value);

impl Payload {
    /// A payload carrying `value`.
    pub fn new(value: impl Into<serde_json::Value>) -> Self {
        Payload(value.into())
    }

    /// The value carried.
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }
}

impl From<&str> for Payload {
    fn from(s: &str) -> Self {
        Payload::new(s)
    }
}

impl From<serde_json::Value> for Payload {
    fn from(v: serde_json::Value) -> Self {
        Payload(v)
    }
}

/// Names a timer an agent set ([`AgentCtx::set_timer`](super::AgentCtx::set_timer)); handed
/// back to [`Agent::on_timer`](super::Agent::on_timer) when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// `caps` as one `'static` list of names, interned once per distinct list (the router keeps
/// a list per agent; a swarm of one agent type shares one).
pub(crate) fn interned_list(caps: &[Capability]) -> &'static [&'static str] {
    static LISTS: Mutex<BTreeSet<&'static [&'static str]>> = Mutex::new(BTreeSet::new());
    let names: Vec<&'static str> = caps.iter().map(Capability::interned).collect();
    let mut lists = LISTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(list) = lists.get(names.as_slice()) {
        return list;
    }
    let list: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    lists.insert(list);
    list
}
