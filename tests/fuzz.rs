//! Fuzzing the whole pipeline (load, validate, plan, render) with mutated specs and profiles.
//! Whatever the input, flinkgen must not panic; it either reports problems or produces output
//! that is valid YAML, survives the Kubernetes API types, and that Flink's parser can read.
//!
//! `cargo test` runs a short round. A long run, as many cases as fit in FUZZ_SECONDS:
//!   FUZZ_SECONDS=600 cargo test --release --test fuzz -- --ignored --nocapture

mod common;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const JOBS: &[&str] = &[
    include_str!("../jobs/orders-enrichment.yaml"),
    include_str!("../jobs/inventory-sync.yaml"),
    include_str!("../jobs/recommendations.yaml"),
    include_str!("../jobs/orders-ingest.yaml"),
    include_str!("../jobs/fraud-detection.yaml"),
    include_str!("../jobs/word-len.yaml"),
    include_str!("../jobs/orders-per-minute.yaml"),
];
/// The SQL job's script, mutated too: render time splits and checks it.
const SQL: &str = include_str!("../examples/orders-sql/orders-per-minute.sql");
const CLUSTER: &str = include_str!("../clusters/analytics.yaml");
const SESSION_JOB: &str = include_str!("../jobs/daily-report.yaml");
const LEGACY_JOB: &str = include_str!("../jobs/clickstream-legacy.yaml");
const TM: &str = include_str!("cases/gpu-profile/input/profiles/tm-gpu.yaml");
const FINE: &str = include_str!("cases/fine-grained-profile/input/profiles/tm-fine.yaml");
const JM: &str = include_str!("cases/fine-grained-profile/input/profiles/jm-heap.yaml");

/// Fragments that stress YAML, quoting and the generators: indicators, tags, anchors, nulls,
/// numbers YAML retypes, template syntax, control and non-ASCII characters.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    " ",
    "\n",
    "\n  ",
    "- ",
    "#",
    " #",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "~",
    "null",
    "yes",
    "no",
    "on",
    "1.20",
    "0",
    "-1",
    "1e99",
    "0x1F",
    "0755",
    ".nan",
    "\t",
    "{{",
    "}}",
    "{%",
    "%",
    "@",
    "`",
    "é",
    "日本",
    "\u{0}",
    "\u{7}",
    "\u{feff}",
    "\r\n",
    "? ",
    ">-\n",
    "|\n",
    "---\n",
    "...\n",
    "<<: ",
    "\\",
    "$(X)",
    "${X}",
    "s3://b/k",
    "../",
    "/abs",
    "2Gi",
    "4 GB",
    "1.5g",
    "500m",
    "nvidia.com/gpu: 1\n",
    "  taskHeap: 1g\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, &'static str),
    Delete(usize, usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), proptest::sample::select(TOKENS)).prop_map(|(at, t)| Edit::Insert(at, t)),
        (any::<usize>(), 1usize..12).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        let boundaries: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        let at = |n: usize| boundaries[n % boundaries.len()];
        match e {
            Edit::Insert(n, t) => s.insert_str(at(*n), t),
            Edit::Delete(n, len) => {
                let start = at(*n);
                let end = boundaries
                    .iter()
                    .copied()
                    .find(|b| *b >= start + len)
                    .unwrap_or(s.len());
                s.replace_range(start..end, "");
            }
            Edit::DuplicateLine(n) | Edit::SwapLines(n, _) if s.lines().count() == 0 => {
                let _ = n;
            }
            Edit::DuplicateLine(n) => {
                let mut lines: Vec<&str> = s.lines().collect();
                let i = n % lines.len();
                lines.insert(i, lines[i]);
                s = lines.join("\n") + "\n";
            }
            Edit::SwapLines(a, b) => {
                let mut lines: Vec<&str> = s.lines().collect();
                let len = lines.len();
                lines.swap(a % len, b % len);
                s = lines.join("\n") + "\n";
            }
        }
    }
    s
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// One project from mutated inputs; checks the outcome.
fn run_case(
    job: &str,
    legacy: &str,
    tm: &str,
    jm: &str,
    session: &(String, String, String),
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "flinkgen.yaml", "namespace: fuzz\nflinkVersion: \"1.20\"\nimage:\n  registry: registry.example.com/fuzz\nprofiles:\n  jobManager: jm-small\n  taskManager: tm-small\n");
    write(root, "jobs/a.yaml", job);
    write(
        root,
        "examples/orders-sql/orders-per-minute.sql",
        &session.2,
    );
    write(root, "jobs/b.yaml", legacy);
    write(root, "clusters/analytics.yaml", &session.0);
    write(root, "jobs/c.yaml", &session.1);
    write(root, "profiles/tm-small.yaml", tm);
    write(root, "profiles/tm-medium.yaml", tm);
    write(root, "profiles/jm-small.yaml", jm);
    let outcome = std::panic::catch_unwind(|| flinkgen::generate(root));
    let generated = outcome.map_err(|_| TestCaseError::fail("flinkgen panicked"))?;
    match generated {
        Err(diags) => {
            prop_assert!(
                !diags.is_empty() && diags.iter().any(|d| d.is_error()),
                "a failure must name a problem"
            );
            prop_assert!(!flinkgen::error_report(&diags).is_empty());
        }
        Ok(g) => {
            for (path, text) in &g.files {
                if path.ends_with(".yaml") {
                    let json: serde_json::Value = serde_yaml::from_str(text).map_err(|e| {
                        TestCaseError::fail(format!("{path} is not YAML: {e}\n{text}"))
                    })?;
                    common::check_manifest(&json)
                        .map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
                    if let Some(conf) = json["data"]["config.yaml"].as_str() {
                        let m: std::collections::BTreeMap<String, serde_yaml::Value> =
                            serde_yaml::from_str(conf).map_err(|e| {
                                TestCaseError::fail(format!("{path}: config.yaml is not YAML: {e}"))
                            })?;
                        prop_assert!(m.values().all(|v| !v.is_null()), "{path}: a null option");
                    }
                    if let Some(conf) = json["data"]["flink-conf.yaml"].as_str() {
                        for line in conf.lines().filter(|l| !l.starts_with('#')) {
                            prop_assert!(
                                line.contains(": ") && !line.contains('#'),
                                "{path}: legacy line {line:?}"
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

type Inputs = ((String, String, String, String), (String, String, String));

/// Mutated specs: one of the example jobs (standalone, native HA, Operator), a 1.18 job, both
/// profiles, and a session cluster with a job submitted to it.
fn inputs() -> impl Strategy<Value = Inputs> {
    let edits = || proptest::collection::vec(edit(), 0..4);
    let files = (
        edits(),
        edits(),
        edits(),
        edits(),
        any::<bool>(),
        0..JOBS.len(),
    );
    (files, edits(), edits(), edits()).prop_map(|((a, b, c, d, fine, which), e, f, g)| {
        let tm = if fine { FINE } else { TM };
        (
            (
                apply(JOBS[which], &a),
                apply(LEGACY_JOB, &b),
                apply(tm, &c),
                apply(JM, &d),
            ),
            (apply(CLUSTER, &e), apply(SESSION_JOB, &f), apply(SQL, &g)),
        )
    })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn mutated_inputs_never_crash_or_emit_invalid_output() {
    runner(48)
        .run(&inputs(), |((j, l, t, m), s)| run_case(&j, &l, &t, &m, &s))
        .unwrap();
}

#[test]
#[ignore = "long fuzz run; see the module docs"]
fn fuzz_for_fuzz_seconds() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let start = std::time::Instant::now();
    let mut rounds = 0u64;
    while start.elapsed().as_secs() < seconds {
        runner(500)
            .run(&inputs(), |((j, l, t, m), s)| run_case(&j, &l, &t, &m, &s))
            .unwrap();
        rounds += 1;
    }
    println!(
        "fuzzed {} cases in {:?} without a finding",
        rounds * 500,
        start.elapsed()
    );
}
