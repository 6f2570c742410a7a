//! The render cache is exact: random edits to a project (job specs edited, added, renamed,
//! broken and fixed, deleted; profiles, session clusters, the project file and mounted
//! files edited; output files edited by hand or deleted; files touched without a change),
//! each followed by an incremental render, give what a render without the cache gives: the
//! same exit code and messages, and an output folder that a full render finds up to date
//! byte for byte (`check` without the cache compares every file, the lock included, and
//! reports orphans). At the end, a fresh full render of the same inputs into an empty folder
//! is compared with the incremental output file by file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// A small deterministic generator (xorshift64*), so a failure names the seed that shows it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Project {
    root: PathBuf,
    cache: PathBuf,
    /// Every edit sets the file's modification time to this, one second later each time: old
    /// enough for the cache to trust it by size and time, and never the same twice.
    clock: SystemTime,
}

impl Project {
    fn run(&self, args: &[&str], cached: bool) -> (i32, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_flinkgen"));
        c.args(args)
            .arg("--root")
            .arg(&self.root)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", &self.cache);
        // The cached runs also render in chunks of two job specs (staged chunk by chunk, as a
        // large project renders); the runs they are compared with render at once.
        match cached {
            true => c.env("FLINKGEN_CHUNK", "2"),
            false => c.env("FLINKGEN_NO_CACHE", "1"),
        };
        // `check` compares in chunks too, which must find what a render at once leaves.
        if args.first() == Some(&"check") {
            c.env("FLINKGEN_CHUNK", "3");
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn files(&self, dir: &str) -> Vec<String> {
        let mut all: Vec<String> = walkdir::WalkDir::new(self.root.join(dir))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(&self.root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        all.sort();
        all
    }

    fn write(&mut self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        self.age(rel);
    }

    fn age(&mut self, rel: &str) {
        self.clock += Duration::from_secs(1);
        let f = std::fs::File::options()
            .write(true)
            .open(self.root.join(rel))
            .unwrap();
        f.set_modified(self.clock).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }
}

/// A YAML mapping edited through serde_yaml (the file loses its comments: a change of bytes
/// like any other).
fn edit_yaml(text: &str, f: impl FnOnce(&mut serde_yaml::Mapping)) -> String {
    let mut v: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    if let Some(m) = v.as_mapping_mut() {
        f(m);
    }
    serde_yaml::to_string(&v).unwrap()
}

fn key(k: &str) -> serde_yaml::Value {
    serde_yaml::Value::String(k.to_string())
}

/// Messages without the summary line, which says how the work was done.
fn messages(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("rendered ") && !l.contains(" is up to date ("))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// One random edit; returns what it did, for the failure message.
/// Long because it is the list of edits, one arm each.
fn edit(p: &mut Project, rng: &mut Rng, step: usize) -> String {
    let specs = p.files("jobs");
    let pick = |rng: &mut Rng, list: &[String]| list[rng.below(list.len())].clone();
    match rng.below(12) {
        0 | 1 => {
            let s = pick(rng, &specs);
            let n = 1 + rng.below(6) as u64;
            let text = edit_yaml(&p.read(&s), |m| {
                let config = m
                    .entry(key("flinkConfig"))
                    .or_insert_with(|| serde_yaml::Mapping::new().into());
                if let Some(c) = config.as_mapping_mut() {
                    c.insert(key("restart-strategy.fixed-delay.attempts"), n.into());
                }
            });
            p.write(&s, &text);
            format!("set an option in {s}")
        }
        2 => {
            let s = pick(rng, &specs);
            let text = edit_yaml(&p.read(&s), |m| {
                let labels = m
                    .entry(key("labels"))
                    .or_insert_with(|| serde_yaml::Mapping::new().into());
                if let Some(l) = labels.as_mapping_mut() {
                    l.insert(key("edit"), format!("v{step}").into());
                }
            });
            p.write(&s, &text);
            format!("set a label in {s}")
        }
        3 => {
            let s = pick(rng, &specs);
            let new = format!("jobs/copy-{step}.yaml");
            let text = p.read(&s);
            p.write(&new, &text);
            format!("copied {s} to {new}")
        }
        4 if specs.len() > 6 => {
            let s = pick(rng, &specs);
            std::fs::remove_file(p.root.join(&s)).unwrap();
            format!("deleted {s}")
        }
        5 => {
            let s = pick(rng, &specs);
            let new = format!("jobs/renamed-{step}.yaml");
            std::fs::rename(p.root.join(&s), p.root.join(&new)).unwrap();
            format!("renamed {s} to {new}")
        }
        6 => {
            let s = pick(rng, &specs);
            let text = format!("{}\nparalelism: 2\n", p.read(&s));
            p.write(&s, &text);
            format!("broke {s} (a misspelt field)")
        }
        7 => {
            let profiles = p.files("profiles");
            let s = pick(rng, &profiles);
            let cpu = format!("{}m", 500 + 250 * rng.below(4));
            let text = edit_yaml(&p.read(&s), |m| {
                m.insert(key("cpu"), cpu.clone().into());
            });
            p.write(&s, &text);
            format!("set cpu {cpu} in {s}")
        }
        8 if rng.below(3) == 0 => {
            // Environments on or off: every job renders once per environment, and each
            // environment gets a kustomization listing its jobs.
            let on = !p.read("flinkgen.yaml").contains("environments");
            let text = edit_yaml(&p.read("flinkgen.yaml"), |m| {
                if on {
                    let mut envs = serde_yaml::Mapping::new();
                    envs.insert(key("dev"), serde_yaml::Mapping::new().into());
                    let mut prod = serde_yaml::Mapping::new();
                    prod.insert(key("namespace"), "streaming-prod".into());
                    envs.insert(key("prod"), prod.into());
                    m.insert(key("environments"), envs.into());
                } else {
                    m.remove("environments");
                }
            });
            p.write("flinkgen.yaml", &text);
            format!("environments {}", if on { "on" } else { "off" })
        }
        8 => {
            let team = format!("team-{}", rng.below(3));
            let text = edit_yaml(&p.read("flinkgen.yaml"), |m| {
                let mut labels = serde_yaml::Mapping::new();
                labels.insert(key("team"), team.clone().into());
                m.insert(key("labels"), labels.into());
            });
            p.write("flinkgen.yaml", &text);
            format!("set the project's team label to {team}")
        }
        9 => {
            let (f, line) = match rng.below(5) {
                0 => ("conf/lookup.yaml", format!("timeout: {step}s")),
                1 => (
                    "conf/log4j.properties",
                    format!("logger.e{step}.name = e{step}\nlogger.e{step}.level = WARN"),
                ),
                2 => (
                    "examples/orders-sql/orders-per-minute.sql",
                    format!("-- edit {step}"),
                ),
                // Not SQL: the script is checked at render time.
                3 => (
                    "examples/orders-sql/orders-per-minute.sql",
                    "SELEKT broken".into(),
                ),
                _ => ("examples/word-len/word_len.py", format!("# edit {step}")),
            };
            let text = format!("{}\n{line}\n", p.read(f).trim_end());
            p.write(f, &text);
            format!("edited the project file {f}: {line}")
        }
        10 => {
            let outputs: Vec<String> = p
                .files("out")
                .into_iter()
                .filter(|f| !f.ends_with("flinkgen.lock"))
                .collect();
            if outputs.is_empty() {
                return "nothing".into();
            }
            let f = pick(rng, &outputs);
            if rng.below(2) == 0 {
                std::fs::remove_file(p.root.join(&f)).unwrap();
                format!("deleted the output {f}")
            } else {
                let text = format!("{}# edited by hand\n", p.read(&f));
                p.write(&f, &text);
                format!("edited the output {f} by hand")
            }
        }
        _ => {
            let s = pick(rng, &specs);
            p.age(&s);
            format!("touched {s}")
        }
    }
}

/// After a failed render, the project is put back in a state that renders: misspelt fields
/// removed, outputs edited by hand removed (render writes them again), copies that clash
/// with their original's name removed.
fn repair(p: &mut Project, stderr: &str) {
    for s in p.files("jobs") {
        let text = p.read(&s);
        if text.contains("paralelism: 2") {
            p.write(&s, &text.replace("\nparalelism: 2\n", "\n"));
        }
        if stderr.contains(s.as_str()) && stderr.contains("is also used by") {
            std::fs::remove_file(p.root.join(&s)).unwrap();
        }
    }
    let sql = "examples/orders-sql/orders-per-minute.sql";
    if p.read(sql).contains("SELEKT broken") {
        let text = p.read(sql).replace("\nSELEKT broken\n", "\n");
        p.write(sql, &text);
    }
    for f in p.files("out") {
        if p.read(&f).ends_with("# edited by hand\n") {
            std::fs::remove_file(p.root.join(&f)).unwrap();
        }
    }
}

fn project(scratch: &Path) -> Project {
    let root = scratch.join("project");
    for part in ["flinkgen.yaml", "jobs", "clusters", "profiles", "examples"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(part);
        if from.is_dir() {
            common::copy_tree(&from, &root.join(part));
        } else {
            std::fs::create_dir_all(&root).unwrap();
            std::fs::copy(&from, root.join(part)).unwrap();
        }
    }
    // A job whose output embeds project files: a ConfigMap volume and its own log4j file.
    std::fs::create_dir_all(root.join("conf")).unwrap();
    std::fs::write(
        root.join("conf/lookup.yaml"),
        "endpoint: http://lookup:8080\n",
    )
    .unwrap();
    std::fs::write(root.join("conf/log4j.properties"), LOG4J).unwrap();
    std::fs::write(
        root.join("jobs/with-files.yaml"),
        "jar: target/with-files.jar\nimage: { tag: \"1.0.0\" }\nlogging: { file: conf/log4j.properties }\nvolumes:\n  /srv/conf: { configMap: { files: { lookup.yaml: conf/lookup.yaml } } }\n",
    )
    .unwrap();
    Project {
        root,
        cache: scratch.join("cache"),
        clock: SystemTime::now() - Duration::from_secs(100_000),
    }
}

const LOG4J: &str = "rootLogger.level = INFO\nrootLogger.appenderRef.console.ref = ConsoleAppender\nappender.console.name = ConsoleAppender\nappender.console.type = Console\nappender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %d %-5p %c - %m%n\n";

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn incremental_renders_equal_full_renders() {
    let seed: u64 = std::env::var("INCREMENTAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_F11C);
    let steps: usize = std::env::var("INCREMENTAL_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let scratch = tempfile::tempdir().unwrap();
    let mut p = project(scratch.path());
    let mut rng = Rng(seed);
    let (code, said) = p.run(&["render"], true);
    assert_eq!(code, 0, "{said}");
    let mut history = Vec::new();
    let mut incremental = 0;
    for step in 0..steps {
        history.push(edit(&mut p, &mut rng, step));
        let shown = || format!("seed {seed}, after: {}", history.join("; "));
        let before = tree(&p.root.join("out"));
        let (code, said) = p.run(&["render"], true);
        assert!(
            !p.root.join("out/.flinkgen-stage").exists(),
            "{}\nthe staging folder outlived the run",
            shown()
        );
        if said.contains("unchanged job spec(s) not rendered again") {
            incremental += 1;
        }
        if code == 0 {
            let (full, full_said) = p.run(&["check"], false);
            assert_eq!(
                full,
                0,
                "{}\nincremental render left out/ stale:\n{full_said}",
                shown()
            );
            assert_eq!(
                messages(&said),
                messages(&full_said),
                "{}\nthe warnings differ",
                shown()
            );
        } else {
            assert!(
                before == tree(&p.root.join("out")),
                "{}\na failed render changed out/",
                shown()
            );
            let (full, full_said) = p.run(&["render"], false);
            assert_eq!(
                (code, said.as_str()),
                (full, full_said.as_str()),
                "{}",
                shown()
            );
            repair(&mut p, &said);
            let (code, said) = p.run(&["render"], true);
            assert_eq!(code, 0, "{}\nstill failing after repair:\n{said}", shown());
        }
    }
    // Most edits touch one spec: the cache must have spared the others most of the time.
    assert!(
        incremental * 3 >= steps,
        "only {incremental} of {steps} renders were incremental"
    );
    // The incremental output, compared with a fresh full render of the same inputs.
    let fresh = scratch.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    for part in [
        "flinkgen.yaml",
        "jobs",
        "clusters",
        "profiles",
        "examples",
        "conf",
    ] {
        let from = p.root.join(part);
        if from.is_dir() {
            common::copy_tree(&from, &fresh.join(part));
        } else {
            std::fs::copy(&from, fresh.join(part)).unwrap();
        }
    }
    let q = Project {
        root: fresh.clone(),
        cache: scratch.path().join("cache-fresh"),
        clock: SystemTime::now(),
    };
    let (code, said) = q.run(&["render"], false);
    assert_eq!(code, 0, "{said}");
    let (a, b) = (tree(&p.root.join("out")), tree(&fresh.join("out")));
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    assert!(differ.is_empty(), "seed {seed}: files differ: {differ:?}");
}

/// A spec edited and, in the same change, a file of another spec edited by hand or deleted:
/// the cache must not vouch for the other spec (the random walk above changes one thing at a
/// time), and the render must say what a render without the cache says.
#[test]
fn an_output_changed_beside_an_edited_spec_is_found() {
    let scratch = tempfile::tempdir().unwrap();
    let mut p = project(scratch.path());
    let (code, said) = p.run(&["render"], true);
    assert_eq!(code, 0, "{said}");
    let attempts = |p: &mut Project, n: u64| {
        let text = edit_yaml(&p.read("jobs/wordcount.yaml"), |m| {
            let config = m
                .entry(key("flinkConfig"))
                .or_insert_with(|| serde_yaml::Mapping::new().into());
            if let Some(c) = config.as_mapping_mut() {
                c.insert(key("restart-strategy.fixed-delay.attempts"), n.into());
            }
        });
        p.write("jobs/wordcount.yaml", &text);
    };
    let other = "out/orders-ingest/configmap.yaml";

    // Edited by hand: refused, as without the cache, and out/ is left as it was.
    attempts(&mut p, 3);
    let text = format!("{}# edited by hand\n", p.read(other));
    p.write(other, &text);
    let before = tree(&p.root.join("out"));
    let (code, said) = p.run(&["render"], true);
    assert_ne!(
        code, 0,
        "a hand edit beside an edited spec was not refused:\n{said}"
    );
    assert!(said.contains("orders-ingest/configmap.yaml"), "{said}");
    assert!(
        before == tree(&p.root.join("out")),
        "a refused render changed out/"
    );
    assert!(!p.root.join("out/.flinkgen-stage").exists());
    let (full, full_said) = p.run(&["render"], false);
    assert_eq!((code, said.as_str()), (full, full_said.as_str()));

    // Deleted: written again with the edited spec's files, and nothing else is stale.
    std::fs::remove_file(p.root.join(other)).unwrap();
    attempts(&mut p, 4);
    let (code, said) = p.run(&["render"], true);
    assert_eq!(code, 0, "{said}");
    assert!(
        p.root.join(other).is_file(),
        "the deleted file was not written again"
    );
    let (full, full_said) = p.run(&["check"], false);
    assert_eq!(full, 0, "{full_said}");
    assert!(p
        .read("out/wordcount/configmap.yaml")
        .contains("attempts: 4"));
}
