//! Where a generated test lives, as plain data: its crate, file and line, and how its case is
//! named; and the snapshot assertion made from it.
//!
//! `#[swarm_test]` expands to one call of `__private::run` with a [`Site`] whose fields are
//! `env!("CARGO_PKG_NAME")`, `env!("CARGO_MANIFEST_DIR")`, `file!()` and `line!()` evaluated
//! in the test's crate. From them this module asserts the insta snapshot just as
//! `insta::assert_yaml_snapshot!` would in the test's own file (same snapshot folder, same
//! header), through insta's own runtime function, so nothing generic is expanded per test and
//! a test costs little to compile.

use insta::_macro_support::{assert_snapshot, get_cargo_workspace, serialize_value};
use insta::_macro_support::{SerializationFormat, Workspace};

use crate::harness::SnapshotRequest;

/// Where a generated test lives. Built by the `#[swarm_test]` expansion; not an API.
///
/// ```
/// let site = swarm_test::__private::Site {
///     package: env!("CARGO_PKG_NAME"),
///     manifest_dir: env!("CARGO_MANIFEST_DIR"),
///     file: file!(),
///     line: line!(),
///     workspace_root: option_env!("INSTA_WORKSPACE_ROOT"),
///     rstest: false,
/// };
/// assert!(site.file.ends_with(".rs"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// `CARGO_PKG_NAME` of the test's crate, for replay commands.
    pub package: &'static str,
    /// `CARGO_MANIFEST_DIR` of the test's crate: where insta looks for the workspace, and
    /// the regressions file's base.
    pub manifest_dir: &'static str,
    /// `file!()` at the test: its snapshots go to `snapshots/` beside it.
    pub file: &'static str,
    /// `line!()` at the test, shown by insta when a snapshot differs.
    pub line: u32,
    /// `INSTA_WORKSPACE_ROOT` when the test's crate was compiled (insta's override of the
    /// workspace root), if it was set.
    pub workspace_root: Option<&'static str>,
    /// The test is an `#[rstest]`: rstest generates one test function per case, and the
    /// case's name is read at run time from the test thread's name.
    pub rstest: bool,
}

impl Site {
    /// The case of a parametrised test: the list case the macro named (`ring_5`), or under
    /// `#[rstest]` the case rstest generated, from the test thread's name.
    ///
    /// libtest (under `cargo test` and `cargo nextest` alike) runs each test on a thread
    /// named after the test's path. rstest turns `fn name` into `mod name` with one function
    /// per case, so the thread of a case is `…::name::case_1_calm` (`…::name::case_1::x_2_b`
    /// for `#[values]` combinations): the segments after `name` are the case, joined with
    /// `-` in snapshot suffixes. The name is fixed by the code, so the case, and the seed
    /// derived from it, are the same on every run.
    pub(crate) fn case(
        &self,
        name: &str,
        list_case: Option<&str>,
    ) -> Result<Option<String>, String> {
        if !self.rstest {
            return Ok(list_case.map(str::to_owned));
        }
        let thread = std::thread::current();
        let thread_name = thread.name().unwrap_or("");
        rstest_case(thread_name, name).map(Some).ok_or_else(|| {
            format!(
                "under #[rstest] each case is named by its test thread (`…::{name}::case_1_…`, \
                 as libtest and nextest name it), but this thread is named `{thread_name}`; \
                 run the test with `cargo test` or `cargo nextest`"
            )
        })
    }

    /// Asserts the snapshot of `request` as `insta::assert_yaml_snapshot!` at the test would:
    /// the file goes to `snapshots/` beside [`Site::file`], the name and case suffix are the
    /// request's. Panics (fails the test) when the snapshot differs, as insta does.
    pub(crate) fn assert_snapshot(&self, module_path: &str, request: &SnapshotRequest) {
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(request.description.as_str());
        settings.set_info(&request.info);
        settings.set_snapshot_suffix(request.suffix.as_deref().unwrap_or(""));
        let workspace = get_cargo_workspace(match self.workspace_root {
            Some(root) => Workspace::UseAsIs(root),
            None => Workspace::DetectWithCargo(self.manifest_dir),
        });
        let content = serialize_value(&request.body(), SerializationFormat::Yaml);
        // insta reads the function's name only to detect doctests and to name unnamed
        // snapshots; this one is named.
        let function = format!("{module_path}::{}", request.name);
        settings.bind(|| {
            let asserted = assert_snapshot(
                (request.name.as_str(), content.as_str()).into(),
                workspace.as_path(),
                &function,
                module_path,
                self.file,
                self.line,
                "report",
            );
            if let Err(e) = asserted {
                panic!(
                    "swarm_test: could not write the snapshot `{}`: {e}",
                    request.name
                );
            }
        });
    }
}

/// The case in a thread named `…::name::case…`: the segments after the last `name`.
fn rstest_case(thread_name: &str, name: &str) -> Option<String> {
    let segments: Vec<&str> = thread_name.split("::").collect();
    let at = segments.iter().rposition(|s| *s == name)?;
    let case = &segments[at + 1..];
    (!case.is_empty()).then(|| case.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rstest_cases_come_from_the_thread_name() {
        let case = |thread: &str| rstest_case(thread, "regimes");
        assert_eq!(
            case("trading::regimes::case_1_calm").as_deref(),
            Some("case_1_calm")
        );
        assert_eq!(case("regimes::case_2").as_deref(), Some("case_2"));
        assert_eq!(
            case("m::regimes::case_1::market_2_volatile").as_deref(),
            Some("case_1-market_2_volatile")
        );
        assert_eq!(case("m::regimes"), None, "no case: not an rstest thread");
        assert_eq!(case("main"), None);
        assert_eq!(case("m::other::case_1"), None);
    }

    #[test]
    fn a_case_is_required_under_rstest() {
        let site = Site {
            package: "p",
            manifest_dir: "/",
            file: "f.rs",
            line: 1,
            workspace_root: None,
            rstest: true,
        };
        let thread = std::thread::Builder::new().name("m::t::case_3_x".into());
        let case = thread
            .spawn(move || site.case("t", None))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(case, Ok(Some("case_3_x".to_owned())));
        let thread = std::thread::Builder::new().name("main".into());
        let case = thread
            .spawn(move || site.case("t", None))
            .unwrap()
            .join()
            .unwrap();
        assert!(case.unwrap_err().contains("this thread is named `main`"));
        let plain = Site {
            rstest: false,
            ..site
        };
        assert_eq!(
            plain.case("t", Some("ring_5")),
            Ok(Some("ring_5".to_owned()))
        );
    }
}
