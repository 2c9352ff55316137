//! Which seeds a test runs, and the regressions file that keeps the seeds that failed.
//!
//! See the [`config`](crate::Config) docs for the user's view: a seed that fails while
//! exploring (`SWARM_TEST_SEEDS` above 1) is appended to
//! `swarm-test-regressions/<test>.txt` beside the test's source file, and every later run of
//! the test replays the seeds in that file first.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::seeds::nth_seed;
use crate::config::{Config, Regressions, SEEDS_VAR};

/// The directory, beside a test's source file, that holds its regressions file.
pub(crate) const REGRESSIONS_DIR: &str = "swarm-test-regressions";

/// Why a seed is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `SWARM_TEST_SEED`.
    Replay,
    /// From the regressions file, with the shrunk case saved beside it (attribute keys that
    /// override the test's own), if any.
    Regression { shrunk: Option<String> },
    /// The `i`-th of `of` seeds (`SWARM_TEST_SEEDS`); 0 is the test's own seed.
    Explore { i: u64, of: u64 },
}

impl Origin {
    /// How the failure message describes the seed: ` (seed 3 of 100)`.
    pub(crate) fn describe(&self, file: Option<&Path>) -> String {
        match self {
            Origin::Replay => String::new(),
            Origin::Explore { of: 1, .. } => String::new(),
            Origin::Explore { i, of } => format!(" (seed {} of {of})", i + 1),
            Origin::Regression { .. } => format!(
                " (a seed from the regressions file {}, replayed first)",
                file.map_or("?".into(), |f| f.display().to_string())
            ),
        }
    }
}

/// A seed kept in the regressions file, with its shrunk case if one was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Saved {
    pub(crate) seed: u64,
    pub(crate) shrunk: Option<String>,
}

/// The seeds to run, in order: `SWARM_TEST_SEED` alone if set; otherwise the regression seeds,
/// then the test's own seed and `SWARM_TEST_SEEDS − 1` more, each seed once. Under
/// `SWARM_TEST_SEED_SHARD=K/M` only the exploration seeds of slice K run (seed `i` of the run
/// belongs to slice `i % M + 1`); the regression seeds run in every slice.
pub(crate) fn plan(config: &Config, base: u64, regressions: &[Saved]) -> Vec<(u64, Origin)> {
    if let Some(seed) = config.seed {
        return vec![(seed, Origin::Replay)];
    }
    let mut seeds: Vec<(u64, Origin)> = Vec::new();
    for saved in regressions {
        if !seeds.iter().any(|(s, _)| *s == saved.seed) {
            let shrunk = saved.shrunk.clone();
            seeds.push((saved.seed, Origin::Regression { shrunk }));
        }
    }
    for i in 0..config.seeds {
        if config.shard.is_some_and(|shard| !shard.contains(i)) {
            continue;
        }
        let seed = nth_seed(base, i);
        if !seeds.iter().any(|(s, _)| *s == seed) {
            let of = config.seeds;
            seeds.push((seed, Origin::Explore { i, of }));
        }
    }
    seeds
}

/// The regressions file of the test at `test_path` (`module::name`), whose source is `file`
/// (as `file!()` gives it) in the crate at `manifest_dir`. `None` when disabled or when the
/// source file cannot be found (e.g. a doctest).
pub(crate) fn locate(
    setting: &Regressions,
    manifest_dir: &str,
    file: &str,
    test_path: &str,
) -> Option<PathBuf> {
    let name = format!("{}.txt", test_path.replace("::", "__"));
    match setting {
        Regressions::Off => None,
        Regressions::Dir(dir) => Some(dir.join(name)),
        Regressions::Beside => {
            let source = find_source(Path::new(manifest_dir), Path::new(file))?;
            Some(source.parent()?.join(REGRESSIONS_DIR).join(name))
        }
    }
}

/// `file!()` is relative to the directory rustc ran in: the workspace root, or the crate.
fn find_source(manifest_dir: &Path, file: &Path) -> Option<PathBuf> {
    if file.is_absolute() {
        return file.is_file().then(|| file.to_owned());
    }
    manifest_dir
        .ancestors()
        .map(|dir| dir.join(file))
        .find(|candidate| candidate.is_file())
}

/// The seeds in a regressions file; none if it does not exist.
pub(crate) fn read(path: &Path) -> Result<Vec<Saved>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("could not read {}: {e}", path.display())),
    };
    parse(&text).map_err(|(line, e)| format!("{}:{line}: {e}", path.display()))
}

/// Parses a regressions file: `seed N` lines, optionally followed by `shrunk KEYS` (the
/// shrunk case, attribute keys that override the test's own), `#` comments, blank lines.
fn parse(text: &str) -> Result<Vec<Saved>, (usize, String)> {
    let mut seeds = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split_once('#').map_or(line, |(code, _)| code).trim();
        if line.is_empty() {
            continue;
        }
        let (seed, shrunk) = match line.split_once(" shrunk ") {
            Some((seed, keys)) => (seed, Some(keys.trim().to_owned())),
            None => (line, None),
        };
        let seed = seed
            .strip_prefix("seed")
            .map(str::trim)
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                (
                    i + 1,
                    format!(
                        "expected `seed N` or `seed N shrunk KEYS` (N an unsigned 64-bit \
                         integer), found `{line}`"
                    ),
                )
            })?;
        seeds.push(Saved { seed, shrunk });
    }
    Ok(seeds)
}

/// Appends `seed` (with its shrunk case, if any) to the regressions file (creating it with a
/// header), unless the seed is there. Returns whether it was added.
pub(crate) fn record(
    path: &Path,
    test_path: &str,
    seed: u64,
    shrunk: Option<&str>,
    why: &str,
) -> Result<bool, String> {
    let existing = read(path)?;
    if existing.iter().any(|s| s.seed == seed) {
        return Ok(false);
    }
    let mut text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(_) => header(test_path),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let why: String = why.lines().next().unwrap_or("").chars().take(160).collect();
    let why = why.replace('#', "");
    match shrunk {
        Some(keys) => writeln!(text, "seed {seed} shrunk {keys} # {why}"),
        None => writeln!(text, "seed {seed} # {why}"),
    }
    .map_err(|e| e.to_string())?;
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &text)
    };
    write().map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(true)
}

fn header(test_path: &str) -> String {
    format!(
        "# Seeds that failed `{test_path}` under {SEEDS_VAR}, written by swarm-test.\n\
         # Every run of the test replays them first (a seed's shrunk case, when it has one).\n\
         # Commit this file; delete a line once its failure is fixed and covered by a test of\n\
         # its own.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_puts_regressions_first_without_repeats() {
        let config = Config {
            seeds: 3,
            ..Config::default()
        };
        let saved = |seed| Saved { seed, shrunk: None };
        let plan = plan(&config, 42, &[saved(7), saved(nth_seed(42, 1)), saved(7)]);
        let seeds: Vec<u64> = plan.iter().map(|(s, _)| *s).collect();
        assert_eq!(seeds, vec![7, nth_seed(42, 1), 42, nth_seed(42, 2)]);
        assert_eq!(plan[0].1, Origin::Regression { shrunk: None });
        assert_eq!(plan[2].1, Origin::Explore { i: 0, of: 3 });
        let replay = Config {
            seed: Some(9),
            seeds: 3,
            ..Config::default()
        };
        assert_eq!(
            super::plan(&replay, 42, &[saved(7)]),
            vec![(9, Origin::Replay)]
        );
    }

    #[test]
    fn shards_of_the_same_seeds_are_disjoint_and_cover_them_all() {
        use crate::config::Shard;
        let explored = |shard| {
            let config = Config {
                seeds: 10,
                shard,
                ..Config::default()
            };
            plan(
                &config,
                42,
                &[Saved {
                    seed: 7,
                    shrunk: None,
                }],
            )
        };
        let all: Vec<(u64, Origin)> = explored(None);
        for count in [1u64, 2, 3, 4, 10, 11] {
            let mut union: Vec<(u64, Origin)> = Vec::new();
            for index in 1..=count {
                let slice = explored(Some(Shard { index, count }));
                assert_eq!(slice[0].0, 7, "every slice replays the regressions first");
                for entry in slice.into_iter().skip(1) {
                    assert!(
                        !union.contains(&entry),
                        "{entry:?} is in two of {count} slices"
                    );
                    union.push(entry);
                }
            }
            union.sort_by_key(|(_, origin)| match origin {
                Origin::Explore { i, .. } => *i,
                _ => u64::MAX,
            });
            assert_eq!(union, all[1..], "the {count} slices cover the 10 seeds");
        }
    }

    #[test]
    fn origins_describe_themselves() {
        assert_eq!(Origin::Explore { i: 0, of: 1 }.describe(None), "");
        assert_eq!(
            Origin::Explore { i: 16, of: 1000 }.describe(None),
            " (seed 17 of 1000)"
        );
        let file = Path::new("t/swarm-test-regressions/a.txt");
        assert!(Origin::Regression { shrunk: None }
            .describe(Some(file))
            .contains("regressions file t/swarm-test-regressions/a.txt"));
    }

    #[test]
    fn files_round_trip_and_bad_lines_are_named() {
        let dir = std::env::temp_dir().join(format!("swarm-test-regr-{}", std::process::id()));
        let path = dir.join("m__t.txt");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(read(&path), Ok(vec![]));
        assert_eq!(record(&path, "m::t", 5, None, "boom\nmore"), Ok(true));
        assert_eq!(record(&path, "m::t", 5, None, "again"), Ok(false));
        assert_eq!(
            record(&path, "m::t", 6, Some("agents = 3, inject = []"), "bang #2"),
            Ok(true)
        );
        let shrunk = Some("agents = 3, inject = []".to_owned());
        assert_eq!(
            read(&path),
            Ok(vec![
                Saved {
                    seed: 5,
                    shrunk: None
                },
                Saved { seed: 6, shrunk }
            ])
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Seeds that failed `m::t`"), "{text}");
        assert!(
            text.contains("seed 5 # boom\n") && !text.contains("more"),
            "{text}"
        );
        std::fs::write(&path, "seed 5\nsead 6\n").unwrap();
        let e = read(&path).unwrap_err();
        assert!(
            e.ends_with(
                "m__t.txt:2: expected `seed N` or `seed N shrunk KEYS` (N an unsigned 64-bit \
                 integer), found `sead 6`"
            ),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_file_sits_beside_the_test_source() {
        let manifest = env!("CARGO_MANIFEST_DIR");
        let path = locate(
            &Regressions::Beside,
            manifest,
            "src/harness/regressions.rs",
            "a::b",
        )
        .unwrap();
        assert!(
            path.ends_with("src/harness/swarm-test-regressions/a__b.txt"),
            "{path:?}"
        );
        // `file!()` relative to the workspace root is found from the crate's directory too.
        let path = locate(&Regressions::Beside, manifest, file!(), "a::b").unwrap();
        assert!(
            path.ends_with("src/harness/swarm-test-regressions/a__b.txt"),
            "{path:?}"
        );
        assert_eq!(locate(&Regressions::Off, manifest, file!(), "a::b"), None);
        assert_eq!(
            locate(&Regressions::Beside, manifest, "no/such/file.rs", "a::b"),
            None
        );
        assert_eq!(
            locate(&Regressions::Dir("/r".into()), manifest, file!(), "a::b"),
            Some(PathBuf::from("/r/a__b.txt"))
        );
    }
}
