//! `flinkgen import` golden cases: each folder of tests/import/cases holds `input.yaml` (and
//! optionally `project/`, an existing project to import into, and `args`, more arguments). The harness imports into a
//! scratch root and compares the written tree (`expected/`) and what import printed with its
//! exit code (`expected.txt`) byte for byte; `SNAPSHOTS=overwrite` rewrites them. Then it
//! renders the imported project and checks `facts.json`: what the input ran (image, jar, entry
//! class, arguments, Flink options, replicas, memory, cpu, env, mounts, account), read back
//! from the rendered out/. No secret value of an input may appear anywhere.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SECRETS: &[&str] = &[
    "minio-secret-key-in-clear",
    "wJalrXUtnFEMIsecretvalue",
    "hunter2-literal",
    "do-not-copy-this",
    "tok-literal-value-123",
];

fn cases() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir("tests/import/cases")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    all.sort();
    all
}

fn files(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(e.path()).unwrap());
        }
    }
    out
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_cases() {
    let overwrite = std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite");
    let only = std::env::var("IMPORT_CASE").ok();
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        if only.as_ref().is_some_and(|o| *o != name) {
            continue;
        }
        if let Err(e) = one(&case, overwrite) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn one(case: &Path, overwrite: bool) -> Result<(), String> {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    if case.join("project").is_dir() {
        common::copy_tree(&case.join("project"), &root);
    }
    let before = files(&root);
    // `args`: more arguments for this case (`--name NAME`).
    let extra = std::fs::read_to_string(case.join("args")).unwrap_or_default();
    let mut args = vec!["import", "--root", root.to_str().unwrap()];
    args.extend(extra.split_whitespace());
    args.push("input.yaml");
    let (code, stderr) = run(case, &args);
    let shown = stderr.replace(root.to_str().unwrap(), "<root>");
    let report = format!("exit {code}\n{shown}");
    let written: BTreeMap<String, String> = files(&root)
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect();
    for secret in SECRETS {
        if report.contains(secret) || written.values().any(|t| t.contains(secret)) {
            return Err(format!(
                "the secret value {secret} leaked into the output or the messages"
            ));
        }
    }
    let expected_dir = case.join("expected");
    if overwrite {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (path, text) in &written {
            let p = expected_dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::fs::write(case.join("expected.txt"), &report).unwrap();
    } else {
        let want = std::fs::read_to_string(case.join("expected.txt")).unwrap_or_default();
        if want != report {
            return Err(format!(
                "messages differ:\n--- expected\n{want}\n--- got\n{report}"
            ));
        }
        let want = if expected_dir.is_dir() {
            files(&expected_dir)
        } else {
            BTreeMap::new()
        };
        if want != written {
            let names: Vec<&String> = want.keys().chain(written.keys()).collect();
            let differ: Vec<&&String> = names
                .iter()
                .filter(|n| want.get(**n) != written.get(**n))
                .collect();
            return Err(format!(
                "written files differ: {differ:?} (SNAPSHOTS=overwrite to accept)"
            ));
        }
    }
    if code != 0 {
        return Ok(());
    }
    let (render, said) = run(&root, &["render", "-q"]);
    if render != 0 {
        return Err(format!("render refuses the imported project:\n{said}"));
    }
    for secret in SECRETS {
        if files(&root).values().any(|t| t.contains(secret)) {
            return Err(format!("the secret value {secret} reached out/"));
        }
    }
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(case.join("facts.json"))
            .map_err(|e| format!("facts.json: {e}"))?,
    )
    .map_err(|e| format!("facts.json: {e}"))?;
    check_facts(&root.join("out"), &facts)
}

/// What the rendered deployment runs, gathered over every object of each job folder.
#[derive(Default, Debug)]
struct Seen {
    options: BTreeMap<String, String>,
    images: Vec<String>,
    env: Vec<String>,
    mounts: Vec<String>,
    accounts: Vec<String>,
    words: Vec<String>,
    replicas: BTreeMap<String, String>,
    resources: Vec<String>,
}

fn walk(v: &serde_yaml::Value, key: &str, seen: &mut Seen) {
    use serde_yaml::Value as Y;
    match v {
        Y::Mapping(m) => {
            for (k, child) in m {
                let k = k.as_str().unwrap_or_default();
                match (k, child) {
                    ("image", Y::String(s)) => seen.images.push(s.clone()),
                    ("serviceAccountName" | "serviceAccount", Y::String(s)) => {
                        seen.accounts.push(s.clone())
                    }
                    ("mountPath", Y::String(s)) => seen.mounts.push(s.clone()),
                    ("flinkConfiguration", Y::Mapping(opts)) => {
                        for (ok, ov) in opts {
                            seen.options.insert(text(ok), text(ov));
                        }
                    }
                    ("config.yaml" | "flink-conf.yaml", Y::String(conf)) => {
                        for line in conf.lines() {
                            if let Some((a, b)) = line.split_once(": ") {
                                if !a.starts_with(' ') && !a.starts_with('#') {
                                    seen.options.insert(a.to_string(), option_text(b));
                                }
                            }
                        }
                    }
                    ("env", Y::Sequence(items)) => {
                        for e in items {
                            if let Some(n) = e.get("name").and_then(Y::as_str) {
                                seen.env.push(n.to_string());
                            }
                        }
                        walk(child, k, seen);
                    }
                    // A native cluster's TaskManager pods, as Flink reads them.
                    ("taskmanager-pod-template.yaml", Y::String(pod)) => {
                        let v: serde_yaml::Value = serde_yaml::from_str(pod).unwrap();
                        walk(&v, k, seen);
                    }
                    ("resources", Y::Mapping(_)) => {
                        seen.resources.push(serde_json::to_string(child).unwrap());
                        walk(child, k, seen);
                    }
                    ("replicas" | "parallelism", _) => {
                        seen.replicas.insert(key.to_string(), text(child));
                    }
                    _ => walk(child, k, seen),
                }
            }
        }
        Y::Sequence(items) => {
            for i in items {
                walk(i, key, seen);
            }
        }
        Y::String(s) => seen.words.push(s.clone()),
        Y::Number(n) => seen.words.push(n.to_string()),
        _ => {}
    }
}

/// A configuration value as Flink reads it: a list as its items joined by `;`.
fn option_text(value: &str) -> String {
    match serde_yaml::from_str::<serde_yaml::Value>(value) {
        Ok(serde_yaml::Value::Sequence(items)) => {
            items.iter().map(text).collect::<Vec<_>>().join(";")
        }
        Ok(
            v @ (serde_yaml::Value::String(_)
            | serde_yaml::Value::Number(_)
            | serde_yaml::Value::Bool(_)),
        ) => text(&v),
        _ => value.trim_matches('"').trim_matches('\'').to_string(),
    }
}

fn text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap().trim().to_string(),
    }
}

fn check_facts(out: &Path, facts: &Value) -> Result<(), String> {
    let mut problems = Vec::new();
    for (job, want) in facts.as_object().unwrap() {
        let mut seen = Seen::default();
        for (path, t) in files(&out.join(job)) {
            if !path.ends_with(".yaml") {
                continue;
            }
            for doc in serde_yaml::Deserializer::from_str(&t) {
                let v = <serde_yaml::Value as serde::Deserialize>::deserialize(doc).unwrap();
                walk(&v, "", &mut seen);
            }
        }
        if seen.words.is_empty() {
            problems.push(format!("{job}: no rendered output in out/{job}"));
            continue;
        }
        for (k, v) in want
            .get("options")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let v = v.as_str().unwrap();
            if seen.options.get(k).map(String::as_str) != Some(v) {
                problems.push(format!(
                    "{job}: option {k} is {:?}, the input had {v:?}",
                    seen.options.get(k)
                ));
            }
        }
        let lists: [(&str, &Vec<String>); 5] = [
            ("images", &seen.images),
            ("env", &seen.env),
            ("mounts", &seen.mounts),
            ("accounts", &seen.accounts),
            ("words", &seen.words),
        ];
        for (name, have) in lists {
            for w in want
                .get(name)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let w = w.as_str().unwrap();
                if !have.iter().any(|h| h == w) {
                    problems.push(format!("{job}: {name} lacks {w:?} (has {have:?})"));
                }
            }
        }
        for w in want
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let w = w.as_str().unwrap();
            if !seen.resources.iter().any(|r| r.contains(w)) {
                problems.push(format!(
                    "{job}: no container resources hold {w} (have {:?})",
                    seen.resources
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
