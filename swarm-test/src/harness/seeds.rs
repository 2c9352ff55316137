//! Which seed a run uses: a test's default seed (a stable hash of its path), the `i`-th seed
//! of a many-seed run, and the test's path as libtest knows it (for replay commands).

use swarm_test_spec::Spec;

use crate::rng::fnv1a;

/// The `i`-th seed of a many-seed run: the base seed first, then a SplitMix64 sequence.
pub fn nth_seed(base: u64, i: u64) -> u64 {
    if i == 0 {
        return base;
    }
    let mut z = base.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The default seed of a test: a stable hash of its path and its case (a list case,
/// `spec.case`, or an rstest case such as `case_1_calm`), so it never changes unless the test
/// is renamed, and each case of a test gets its own.
pub fn derive_seed(spec: &Spec, case: Option<&str>) -> u64 {
    let case = case.unwrap_or("");
    fnv1a(format!("{}::{}#{case}", spec.module_path, spec.name).as_bytes())
}

/// The test's path as libtest and nextest know it (`module::name`), for replay commands.
pub(super) fn test_path(spec: &Spec) -> String {
    if let Some(name) = std::thread::current().name() {
        if name != "main" && name.contains(&spec.name) {
            return name.to_owned();
        }
    }
    let module = spec
        .module_path
        .split_once("::")
        .map_or("", |(_, rest)| rest);
    let mut path = if module.is_empty() {
        spec.name.clone()
    } else if spec.case.is_some() {
        module.to_owned() // A list's cases live in `mod name`: the name is in the module.
    } else {
        format!("{module}::{}", spec.name)
    };
    if let Some(case) = &spec.case {
        path = format!("{path}::{case}");
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_stable_and_distinct() {
        assert_eq!(nth_seed(42, 0), 42);
        let seeds: std::collections::BTreeSet<_> = (0..1000).map(|i| nth_seed(42, i)).collect();
        assert_eq!(seeds.len(), 1000);
        assert_eq!(nth_seed(42, 1), nth_seed(42, 1));
    }
}
