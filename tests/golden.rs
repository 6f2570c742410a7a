//! Golden cases: `tests/cases/<case>/input/` is a project root; `expected/` is the complete
//! output tree it must render to, and `stderr.txt` what flinkgen prints (warnings, or the
//! errors of a case that must fail; absent when nothing is printed). The whole set of files
//! is compared, so a missing or an extra file fails too. `SNAPSHOTS=overwrite cargo test`
//! rewrites the expectations; review them with `git diff`. `GOLDEN_CASE=<name>` runs only the
//! cases whose names contain it (with `SNAPSHOTS=overwrite`, rewrites only those).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

type Tree = BTreeMap<String, String>;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn read_tree(dir: &Path) -> Tree {
    let mut tree = Tree::new();
    if !dir.is_dir() {
        return tree;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            tree.insert(rel, std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    tree
}

/// What flinkgen produces for a case: the output tree and the printed text.
fn run(input: &Path) -> (Tree, String) {
    let outcome = |r: Result<flinkgen::Generated, Vec<flinkgen::diag::Diagnostic>>| match r {
        Ok(g) => (g.files, flinkgen::warning_report(&g.warnings)),
        Err(diags) => (Tree::new(), flinkgen::error_report(&diags)),
    };
    let at_once = outcome(flinkgen::generate(input));
    // A render one job spec at a time (as a large project renders, a chunk at a time) must
    // leave the same files and say the same.
    let in_chunks = outcome(flinkgen::generate_in_chunks(input, 1));
    assert!(
        at_once == in_chunks,
        "{}: a render in chunks differs from a render at once",
        input.display()
    );
    at_once
}

fn overwrite(case: &Path, files: &Tree, stderr: &str) {
    let expected = case.join("expected");
    if expected.exists() {
        std::fs::remove_dir_all(&expected).unwrap();
    }
    for (rel, text) in files {
        let path = expected.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let stderr_path = case.join("stderr.txt");
    if stderr.is_empty() {
        let _ = std::fs::remove_file(stderr_path);
    } else {
        std::fs::write(stderr_path, stderr).unwrap();
    }
}

fn compare(case: &Path, files: &Tree, stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let expected = read_tree(&case.join("expected"));
    for path in expected.keys().filter(|p| !files.contains_key(*p)) {
        problems.push(format!("missing file {path}"));
    }
    for (path, text) in files {
        match expected.get(path) {
            None => problems.push(format!("unexpected file {path}")),
            Some(want) if want != text => problems.push(format!(
                "{path} differs:\n{}",
                similar::TextDiff::from_lines(want.as_str(), text.as_str())
                    .unified_diff()
                    .header("expected", "actual")
            )),
            Some(_) => {}
        }
    }
    let want_stderr = std::fs::read_to_string(case.join("stderr.txt")).unwrap_or_default();
    if want_stderr != stderr {
        problems.push(format!(
            "stderr differs:\n{}",
            similar::TextDiff::from_lines(want_stderr.as_str(), stderr)
                .unified_diff()
                .header("expected", "actual")
        ));
    }
    problems
}

#[test]
fn golden_cases() {
    let update = std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input").is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "golden cases are missing");
    // GOLDEN_CASE=<name> (or a part of names) runs those cases alone, to look at one failure.
    if let Ok(only) = std::env::var("GOLDEN_CASE") {
        cases.retain(|c| {
            c.file_name()
                .unwrap()
                .to_string_lossy()
                .contains(only.as_str())
        });
        assert!(
            !cases.is_empty(),
            "no golden case matches GOLDEN_CASE={only}"
        );
    }
    let mut failures = Vec::new();
    for case in &cases {
        let (files, stderr) = run(&case.join("input"));
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        // A case either fails (no files, errors printed) or renders; its folder says which.
        let must_fail = name.starts_with("error-");
        if must_fail != files.is_empty() {
            failures.push(format!(
                "{name}: expected {}, got:\n{stderr}",
                if must_fail { "an error" } else { "output" }
            ));
            continue;
        }
        if update {
            overwrite(case, &files, &stderr);
            continue;
        }
        for p in compare(case, &files, &stderr) {
            failures.push(format!("{name}: {p}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden problem(s); if the change is intended run `SNAPSHOTS=overwrite cargo test --test golden` and review the diff\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rendering_is_deterministic() {
    for case in std::fs::read_dir(cases_dir()).unwrap() {
        let input = case.unwrap().path().join("input");
        if input.is_dir() {
            assert_eq!(run(&input), run(&input), "{}", input.display());
        }
    }
}
