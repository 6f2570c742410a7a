//! `flinkgen diff` on realistic pull requests: each case in tests/diff/cases changes the
//! project in tests/diff/base (`before/` is applied before the commit, `after/` and `delete`
//! after it) and compares the report with `expected.json`, `expected.md` and `expected.txt`, exactly.
//! `SNAPSHOTS=overwrite` rewrites them; `DIFF_CASE=<name>` runs one case.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::copy_tree;

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff")
}

fn run(dir: &Path, program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("FLINKGEN_NO_CACHE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A new repository holding everything in `root`, in one commit.
fn commit_all(root: &Path, message: &str) {
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    let who = ["-c", "user.name=t", "-c", "user.email=t@example.com"];
    git(root, &[&who[..], &["commit", "-qm", message]].concat());
}

fn git(dir: &Path, args: &[&str]) {
    let out = run(dir, "git", args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The project with `before/` applied, rendered and committed, then `after/` applied.
fn project(case: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&here().join("base"), root);
    if case.join("before").exists() {
        copy_tree(&case.join("before"), root);
    }
    let bin = env!("CARGO_BIN_EXE_flinkgen");
    let render = run(root, bin, &["render", "--quiet"]);
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    commit_all(root, "base");
    if case.join("after").exists() {
        copy_tree(&case.join("after"), root);
    }
    if let Ok(list) = std::fs::read_to_string(case.join("delete")) {
        for path in list.lines().filter(|l| !l.is_empty()) {
            std::fs::remove_file(root.join(path)).unwrap();
        }
    }
    tmp
}

fn compare(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected.as_str(), actual)
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        failures.push(format!("{}:\n{diff}", path.display()));
    }
}

#[test]
fn every_change_gets_its_verdict() {
    let only = std::env::var("DIFF_CASE").ok();
    let mut failures = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(here().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    let bin = env!("CARGO_BIN_EXE_flinkgen");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        if only.as_ref().is_some_and(|o| o != &name) {
            continue;
        }
        let tmp = project(&case);
        let json = run(tmp.path(), bin, &["diff", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: not JSON ({e}): {}",
                String::from_utf8_lossy(&json.stderr)
            )
        });
        let at_risk = report["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["state"] == "lost" || j["state"] == "incompatible");
        let code = json.status.code();
        if code != Some(if at_risk { 3 } else { 0 }) {
            failures.push(format!(
                "{name}: exit {code:?} for a report with at_risk={at_risk}"
            ));
        }
        compare(
            &case.join("expected.json"),
            &String::from_utf8_lossy(&json.stdout),
            &mut failures,
        );
        let md = run(tmp.path(), bin, &["diff", "--format", "markdown"]);
        compare(
            &case.join("expected.md"),
            &String::from_utf8_lossy(&md.stdout),
            &mut failures,
        );
        // The terminal's form (NO_COLOR is set, so without colours).
        let text = run(tmp.path(), bin, &["diff"]);
        compare(
            &case.join("expected.txt"),
            &String::from_utf8_lossy(&text.stdout),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_project_without_committed_output_is_an_error_that_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&here().join("base"), root);
    commit_all(root, "specs only");
    let out = run(root, env!("CARGO_BIN_EXE_flinkgen"), &["diff"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("out/ does not exist at HEAD"), "{err}");
    let outside = tempfile::tempdir().unwrap();
    copy_tree(&here().join("base"), outside.path());
    let out = run(outside.path(), env!("CARGO_BIN_EXE_flinkgen"), &["diff"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git work tree"));
}

#[test]
fn output_that_is_not_flinkgens_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&here().join("base"), root);
    std::fs::create_dir_all(root.join("out/orders")).unwrap();
    std::fs::write(
        root.join("out/orders/deployment.yaml"),
        "kind: Deployment\n",
    )
    .unwrap();
    commit_all(root, "hand-written");
    let out = run(
        root,
        env!("CARGO_BIN_EXE_flinkgen"),
        &["diff", "--base", "HEAD"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has no flinkgen.lock: it is not flinkgen's output"),
        "{err}"
    );
    let out = run(
        root,
        env!("CARGO_BIN_EXE_flinkgen"),
        &["diff", "--base", "no-such-rev"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("`no-such-rev` is not a commit"));
}
