//! flinkgen runs on repositories anyone can send a pull request to. These tests play the
//! hostile or careless contributor: a lock that names files outside `out/`, links planted in
//! `out/`, special files at input paths, a render killed midway, two renders at once. Each
//! project sits beside a sandbox folder that must come out of every run unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const JOB: &str = "flinkVersion: \"1.20\"\njar: target/job.jar\nimage:\n  repository: registry.example.com/minimal\n  tag: \"1\"\njobManager:\n  profile: jm\ntaskManager:\n  profile: tm\n";
const JM: &str = "cpu: 1\nmemory:\n  process: 1600m\n";
const TM: &str = "cpu: 1\nmemory:\n  process: 1728m\n";

/// `base/project` (a one-job project, more with `jobs`) and `base/sandbox` (files a run must
/// never touch).
struct Setup {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    sandbox: PathBuf,
}

fn setup(jobs: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let root = base.join("project");
    let sandbox = base.join("sandbox");
    for d in ["jobs", "profiles"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(sandbox.join("nested")).unwrap();
    for i in 0..jobs.max(1) {
        std::fs::write(root.join(format!("jobs/j{i}.yaml")), JOB).unwrap();
    }
    std::fs::write(root.join("profiles/jm.yaml"), JM).unwrap();
    std::fs::write(root.join("profiles/tm.yaml"), TM).unwrap();
    std::fs::write(sandbox.join("precious.yaml"), "keep me\n").unwrap();
    std::fs::write(sandbox.join("nested/Dockerfile"), "FROM scratch\n").unwrap();
    Setup {
        _dir: dir,
        base,
        root,
        sandbox,
    }
}

fn command(root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flinkgen"));
    c.env("FLINKGEN_NO_CACHE", "1")
        .env("NO_COLOR", "1")
        .args(args)
        .arg("--root")
        .arg(root);
    c
}

fn run(root: &Path, args: &[&str]) -> Output {
    command(root, args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every entry below `dir` (links as their target text), with file bytes.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let t = e.file_type();
            let what = if t.is_symlink() {
                format!("link {}", std::fs::read_link(e.path()).unwrap().display())
            } else if t.is_dir() {
                "dir".into()
            } else {
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned()
            };
            (rel, what)
        })
        .collect()
}

fn sha(bytes: &[u8]) -> String {
    flinkgen::hash::sha256(bytes)
}

fn append_lock(root: &Path, line: &str) {
    let lock = root.join("out/flinkgen.lock");
    let mut text = std::fs::read_to_string(&lock).unwrap();
    text.push_str(line);
    text.push('\n');
    std::fs::write(lock, text).unwrap();
}

#[test]
fn a_lock_line_outside_out_is_refused_and_deletes_nothing() {
    let s = setup(1);
    assert!(run(&s.root, &["render"]).status.success());
    let before = tree(&s.sandbox);
    let precious = sha(b"keep me\n");
    for outside in [
        "../../sandbox/precious.yaml",
        &*s.sandbox.join("precious.yaml").display().to_string(),
        "../jobs/j0.yaml",
    ] {
        let lock = s.root.join("out/flinkgen.lock");
        let good = std::fs::read_to_string(&lock).unwrap();
        append_lock(&s.root, &format!("{precious}  {outside}  jobs/gone.yaml"));
        let line_no = good.lines().count() + 1;
        for args in [&["render"][..], &["check"], &["render", "--force"]] {
            let o = run(&s.root, args);
            let err = stderr(&o);
            assert!(
                !String::from_utf8_lossy(&o.stdout).contains("keep me"),
                "{args:?} printed an outside file"
            );
            if args == ["render", "--force"] {
                // --force may ignore an unreadable lock, but never acts on its entries.
                assert!(o.status.success(), "{err}");
            } else {
                assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
                assert!(
                    err.contains(&format!("line {line_no}: `{outside}`")),
                    "{err}"
                );
            }
            assert_eq!(tree(&s.sandbox), before, "{args:?} with {outside}");
            assert!(s.root.join("jobs/j0.yaml").exists());
        }
        std::fs::write(&lock, good).unwrap();
        assert!(run(&s.root, &["render"]).status.success());
    }
}

#[test]
fn links_in_out_are_never_followed_even_with_force() {
    let s = setup(1);
    assert!(run(&s.root, &["render"]).status.success());
    let before = tree(&s.sandbox);
    let out = s.root.join("out");
    // A job folder replaced by a link to the sandbox.
    std::fs::rename(out.join("j0"), s.base.join("moved")).unwrap();
    std::os::unix::fs::symlink("../../sandbox", out.join("j0")).unwrap();
    for args in [&["render"][..], &["render", "--force"], &["check"]] {
        let o = run(&s.root, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("out/j0"), "{}", stderr(&o));
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert_eq!(tree(&s.sandbox), before);
    }
    std::fs::remove_file(out.join("j0")).unwrap();
    std::fs::rename(s.base.join("moved"), out.join("j0")).unwrap();

    // A file replaced by a link, and a link at a temporary name.
    let dockerfile = out.join("j0/Dockerfile");
    std::fs::remove_file(&dockerfile).unwrap();
    std::os::unix::fs::symlink(s.sandbox.join("nested/Dockerfile"), &dockerfile).unwrap();
    let o = run(&s.root, &["render", "--force"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is a symbolic link (flinkgen never follows links in its output folder); flinkgen will not touch it\n  --> out/j0/Dockerfile"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(&dockerfile).unwrap();
    for n in 0..4 {
        std::os::unix::fs::symlink(
            s.sandbox.join("precious.yaml"),
            out.join(format!("j0/.Dockerfile.flinkgen-tmp-{n}")),
        )
        .unwrap();
    }
    assert!(run(&s.root, &["render"]).status.success());
    assert!(run(&s.root, &["check"]).status.success());
    // The whole output folder as a link.
    std::fs::rename(&out, s.base.join("out-real")).unwrap();
    std::os::unix::fs::symlink(&s.sandbox, &out).unwrap();
    let o = run(&s.root, &["render", "--force"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(tree(&s.sandbox), before);
}

#[test]
fn out_dir_may_not_overlap_inputs_or_the_project() {
    let s = setup(1);
    for (out_dir, says) in [
        ("jobs", "overlaps the input folder `jobs`"),
        ("jobs/", "overlaps the input folder `jobs`"),
        ("jobs/out", "overlaps the input folder `jobs`"),
        ("profiles", "overlaps"),
        (".", "must be a folder inside the project"),
        ("..", "must be a folder inside the project"),
        ("/tmp/x", "must be a folder inside the project"),
        (".git/out", "inside git's own folder"),
    ] {
        std::fs::write(s.root.join("flinkgen.yaml"), format!("outDir: {out_dir}\n")).unwrap();
        for _ in 0..2 {
            let o = run(&s.root, &["render"]);
            assert_eq!(o.status.code(), Some(1), "{out_dir}");
            assert!(stderr(&o).contains(says), "{out_dir}: {}", stderr(&o));
            assert!(stderr(&o).contains("flinkgen.yaml:1:9"), "{}", stderr(&o));
        }
    }
    std::fs::write(s.root.join("flinkgen.yaml"), "jobsDir: ../sandbox\n").unwrap();
    assert!(stderr(&run(&s.root, &["render"])).contains("jobsDir"));
    assert_eq!(
        std::fs::read_dir(&s.root).unwrap().count(),
        3,
        "nothing written"
    );
}

#[test]
fn special_files_at_input_paths_are_refused_quickly() {
    let s = setup(1);
    let project = s.root.join("flinkgen.yaml");
    let pipe = std::ffi::CString::new(project.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(pipe.as_ptr(), 0o644) }, 0);
    check_fails_within(&s.root, "named pipe");
    std::fs::remove_file(&project).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &project).unwrap();
    check_fails_within(&s.root, "outside the project");
    std::fs::remove_file(&project).unwrap();
    std::fs::create_dir(&project).unwrap();
    check_fails_within(&s.root, "a folder");
    std::fs::remove_dir(&project).unwrap();
    // A spec linked from outside, and one in upper case, are reported, not skipped.
    std::os::unix::fs::symlink(s.sandbox.join("precious.yaml"), s.root.join("jobs/x.yaml"))
        .unwrap();
    std::fs::write(s.root.join("jobs/UPPER.YAML"), "name: [\n").unwrap();
    // A link to a folder of specs is reported, not skipped.
    std::fs::create_dir_all(s.root.join("more")).unwrap();
    std::os::unix::fs::symlink("../more", s.root.join("jobs/team")).unwrap();
    // A line break in a file name would end up in the lock and break it.
    std::fs::write(s.root.join("jobs/two\nlines.yaml"), JOB).unwrap();
    let o = run(&s.root, &["render"]);
    let err = stderr(&o);
    assert!(
        err.contains("jobs/x.yaml") && err.contains("outside the project"),
        "{err}"
    );
    assert!(err.contains("jobs/UPPER.YAML"), "{err}");
    assert!(
        err.contains("symbolic link to a folder; flinkgen does not look for specs through links to folders\n  --> jobs/team"),
        "{err}"
    );
    assert!(
        err.contains("jobs/two\\nlines.yaml\n  = help: rename the file"),
        "{err}"
    );
    assert!(!s.root.join("out").exists());
}

fn check_fails_within(root: &Path, says: &str) {
    for args in [&["render"][..], &["check"]] {
        // The render cache reads the project file too; it must not wait on a pipe either.
        let mut child = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
            .env("XDG_CACHE_HOME", root.join("../cache"))
            .args(args)
            .arg("--root")
            .arg(root)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if start.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("{args:?} hangs on {says}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(err.contains(says) && err.contains("flinkgen.yaml"), "{err}");
    }
}

/// Relabels every job, so a render rewrites every file.
fn relabel(root: &Path, round: usize) {
    std::fs::write(
        root.join("flinkgen.yaml"),
        format!("labels:\n  round: \"r{round}\"\n"),
    )
    .unwrap();
}

#[test]
fn a_render_killed_midway_is_finished_by_the_next_one() {
    let s = setup(150);
    assert!(run(&s.root, &["render"]).status.success());
    let start = Instant::now();
    relabel(&s.root, 0);
    assert!(run(&s.root, &["render"]).status.success());
    let full = start.elapsed();
    let journal = s.root.join("out/.flinkgen-journal");
    let mut interrupted_writes = 0;
    // The kill time adapts: earlier when the run had already finished, later when it had not
    // started writing, so that kills land in the write phase on a fast or a loaded machine.
    let mut delay = full.mul_f64(0.6);
    for round in 1..=40 {
        relabel(&s.root, round);
        let mut child = command(&s.root, &["render"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        if journal.exists() {
            interrupted_writes += 1;
            delay = delay.mul_f64(if round % 2 == 0 { 0.9 } else { 1.1 });
        } else if finished {
            delay = delay.mul_f64(0.7);
        } else {
            delay = delay.mul_f64(1.25);
        }
        let o = run(&s.root, &["render"]);
        assert!(o.status.success(), "round {round}: {}", stderr(&o));
        assert!(!journal.exists());
        assert!(run(&s.root, &["check"]).status.success(), "round {round}");
        let temps = walkdir::WalkDir::new(s.root.join("out"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("flinkgen-tmp"))
            .count();
        assert_eq!(temps, 0, "round {round} left temporary files");
        if interrupted_writes >= 3 {
            break;
        }
    }
    assert!(
        interrupted_writes > 0,
        "no kill landed while files were written"
    );
    // Hand edits are still protected after a recovery.
    std::fs::write(s.root.join("out/j3/Dockerfile"), "FROM mine\n").unwrap();
    relabel(&s.root, 99);
    let o = run(&s.root, &["render"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("was edited by hand since flinkgen wrote it; the edit would be lost\n  --> out/j3/Dockerfile"));
}

#[test]
fn an_interrupted_state_is_recovered_without_force() {
    // Exactly what a crash after the journal and half the files leaves behind.
    let s = setup(2);
    assert!(run(&s.root, &["render"]).status.success());
    relabel(&s.root, 1);
    let g = flinkgen::generate(&s.root).unwrap();
    let out = s.root.join("out");
    let mut journal = String::from("# journal\n");
    for (rel, text) in g.files.iter().filter(|(p, _)| *p != "flinkgen.lock") {
        journal.push_str(&format!(
            "{}  {rel}  {}\n",
            sha(text.as_bytes()),
            g.owners[rel].source
        ));
    }
    std::fs::write(out.join(".flinkgen-journal"), journal).unwrap();
    for (rel, text) in g.files.iter().filter(|(p, _)| p.starts_with("j0/")) {
        std::fs::write(out.join(rel), text).unwrap();
    }
    std::fs::write(out.join("j1/.Dockerfile.flinkgen-tmp-77-0"), "FROM half").unwrap();
    let c = run(&s.root, &["check"]);
    assert!(!stderr(&c).contains("edited by hand"), "{}", stderr(&c));
    let o = run(&s.root, &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("finished an interrupted earlier render"));
    assert!(!out.join(".flinkgen-journal").exists());
    assert!(!out.join("j1/.Dockerfile.flinkgen-tmp-77-0").exists());
    assert!(run(&s.root, &["check"]).status.success());
}

#[test]
fn concurrent_renders_both_succeed_and_leave_a_consistent_out() {
    let s = setup(40);
    assert!(run(&s.root, &["render"]).status.success());
    for round in 0..4 {
        relabel(&s.root, round);
        let children: Vec<_> = (0..3)
            .map(|_| {
                command(&s.root, &["render"])
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
        }
        assert!(run(&s.root, &["check"]).status.success());
    }
}

#[test]
fn io_errors_name_the_path() {
    let s = setup(1);
    std::fs::write(s.root.join("out"), "a file where out/ belongs").unwrap();
    let o = run(&s.root, &["render"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("out is a regular file"),
        "{}",
        stderr(&o)
    );
    let o = run(&s.base.join("missing"), &["render"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing"), "{}", stderr(&o));
    std::fs::remove_file(s.root.join("out")).unwrap();
    std::fs::remove_dir_all(s.root.join("jobs")).unwrap();
    std::fs::write(s.root.join("jobs"), "").unwrap();
    let o = run(&s.root, &["render"]);
    assert!(
        stderr(&o).contains("this is a file, not a folder\n  --> jobs"),
        "{}",
        stderr(&o)
    );
}

/// Lock lines and trees under out/ drawn from paths that reach outside (`..`, absolute,
/// links), hashes that match the sandbox's files: render, render --force and check must leave
/// the sandbox and the inputs exactly as they were.
#[test]
fn no_lock_and_no_tree_makes_a_run_touch_anything_outside_out() {
    let s = setup(2);
    assert!(flinkgen::generate(&s.root).is_ok());
    let g = flinkgen::generate(&s.root).unwrap();
    let sandbox_abs = s.sandbox.display().to_string();
    let paths: Vec<String> = vec![
        "../sandbox/precious.yaml".into(),
        "../../sandbox/precious.yaml".into(),
        "j0/../../sandbox/precious.yaml".into(),
        format!("{sandbox_abs}/precious.yaml"),
        "../jobs/j0.yaml".into(),
        "link/precious.yaml".into(),
        "j0/Dockerfile".into(),
        "j1/configmap.yaml".into(),
        "gone/Dockerfile".into(),
        "link/nested/Dockerfile".into(),
        "j0/link.yaml".into(),
    ];
    let hashes = [
        sha(b"keep me\n"),
        sha(b"FROM scratch\n"),
        sha(JOB.as_bytes()),
    ];
    let line = (
        proptest::sample::select(paths.clone()),
        proptest::sample::select(hashes.to_vec()),
        proptest::sample::select(vec!["jobs/j0.yaml", "jobs/gone.yaml", "flinkgen.yaml"]),
    )
        .prop_map(|(p, h, src)| format!("{h}  {p}  {src}"));
    // Planted entries: (path under out/, link target or file content).
    let plant = (
        proptest::sample::select(vec![
            "link",
            "j0",
            "j0/link.yaml",
            "j1/configmap.yaml",
            "gone",
            "j0/.Dockerfile.flinkgen-tmp-1-0",
        ]),
        proptest::sample::select(vec![
            "../sandbox",
            "../../sandbox",
            "../../sandbox/precious.yaml",
            "/dev/zero",
            "FILE",
        ]),
    );
    let strategy = (
        proptest::collection::vec(line, 0..6),
        proptest::collection::vec(plant, 0..4),
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let sandbox_before = tree(&s.sandbox);
    let inputs_before: Vec<_> = ["jobs", "profiles"]
        .iter()
        .map(|d| tree(&s.root.join(d)))
        .collect();
    runner
        .run(&strategy, |(lines, plants, keep_lock)| {
            let out = s.root.join("out");
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out).unwrap();
            if keep_lock {
                flinkgen::emit::write(&out, &g.files, &g.owners, &Default::default(), false)
                    .unwrap();
            }
            let mut lock = std::fs::read_to_string(out.join("flinkgen.lock")).unwrap_or_default();
            for l in &lines {
                lock.push_str(l);
                lock.push('\n');
            }
            std::fs::write(out.join("flinkgen.lock"), lock).unwrap();
            for (at, what) in &plants {
                let p = out.join(at);
                // Planting goes through no earlier plant's link, or the test itself would
                // write into the sandbox.
                let through_link = p.ancestors().skip(1).take_while(|a| *a != out).any(|a| {
                    std::fs::symlink_metadata(a).is_ok_and(|m| m.file_type().is_symlink())
                });
                if through_link {
                    continue;
                }
                if std::fs::create_dir_all(p.parent().unwrap()).is_err() {
                    continue;
                }
                let _ = std::fs::remove_file(&p);
                let _ = std::fs::remove_dir_all(&p);
                if *what == "FILE" {
                    std::fs::write(&p, "planted\n").unwrap();
                } else {
                    std::os::unix::fs::symlink(what, &p).unwrap();
                }
            }
            let scope = flinkgen::emit::Scope::default();
            for force in [false, true] {
                let _ = flinkgen::emit::write(&out, &g.files, &g.owners, &scope, force);
                let drifts = flinkgen::emit::check(&out, "out", &g.files, &g.owners, &scope);
                for d in drifts {
                    prop_assert!(!d.diff.contains("keep me"), "check showed a sandbox file");
                }
            }
            prop_assert_eq!(&tree(&s.sandbox), &sandbox_before);
            for (d, before) in ["jobs", "profiles"].iter().zip(&inputs_before) {
                prop_assert_eq!(&tree(&s.root.join(d)), before);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn schema_and_init_never_write_through_links() {
    let s = setup(1);
    let before = tree(&s.sandbox);
    // A committed schema file that is a link to a file outside.
    std::fs::create_dir_all(s.root.join("schema")).unwrap();
    std::os::unix::fs::symlink(
        s.sandbox.join("precious.yaml"),
        s.root.join("schema/job.schema.json"),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
        .current_dir(&s.root)
        .args(["schema"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !std::fs::symlink_metadata(s.root.join("schema/job.schema.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // init into a folder whose files are dangling links into the sandbox.
    let fresh = s.base.join("fresh");
    std::fs::create_dir_all(fresh.join("jobs")).unwrap();
    std::os::unix::fs::symlink(s.sandbox.join("new.yaml"), fresh.join("jobs/my-job.yaml")).unwrap();
    std::os::unix::fs::symlink(s.sandbox.join("precious.yaml"), fresh.join(".gitignore")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
        .args(["init"])
        .arg(&fresh)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(".gitignore is not a regular file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(tree(&s.sandbox), before);
    // init onto a file names it.
    let o = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
        .args(["init"])
        .arg(s.sandbox.join("precious.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("precious.yaml exists and is not a folder"),
        "{}",
        stderr(&o)
    );
    assert_eq!(tree(&s.sandbox), before);
}

/// Every path a spec names is read through real folders of the project only: a link anywhere
/// along it (to `/etc`, to `/proc/self`, to a folder outside) is refused, nothing read through
/// it reaches `out/` or is printed, and `check` on a project changed that way prints none of it.
#[test]
fn input_paths_through_linked_folders_are_refused_and_never_printed() {
    let s = setup(1);
    std::fs::create_dir_all(s.root.join("conf")).unwrap();
    std::fs::create_dir_all(s.root.join("sql")).unwrap();
    std::fs::write(s.root.join("conf/app.properties"), "a=1\n").unwrap();
    std::fs::write(s.sandbox.join("nested/q.sql"), "SELECT 'sandbox-secret';\n").unwrap();
    std::os::unix::fs::symlink("/etc", s.root.join("etc")).unwrap();
    std::os::unix::fs::symlink("/proc/self", s.root.join("self")).unwrap();
    std::os::unix::fs::symlink(s.sandbox.join("nested"), s.root.join("sql/team")).unwrap();
    std::fs::write(
        s.root.join("jobs/j0.yaml"),
        format!("{JOB}volumes:\n  /etc/app: {{ configMap: {{ files: {{ app.properties: conf/app.properties }} }} }}\n"),
    )
    .unwrap();
    let o = run(&s.root, &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let marker = "tok-4f1c-never-printed";
    let hostile = [
        (
            "volumes:\n  /etc/app: { configMap: { files: { passwd: etc/passwd } } }\n",
            "volumes./etc/app.configMap.files.passwd",
            "`etc` is a symbolic link to a folder",
        ),
        (
            "volumes:\n  /etc/app: { configMap: { files: { env: self/environ } } }\n",
            "volumes./etc/app.configMap.files.env",
            "`self` is a symbolic link to a folder",
        ),
        (
            "logging:\n  file: self/environ\n",
            "logging.file",
            "`self` is a symbolic link to a folder",
        ),
        // flinkgen's own output is no input: a ConfigMap of the lock would never settle.
        (
            "volumes:\n  /etc/app: { configMap: { files: { lock: out/flinkgen.lock } } }\n",
            "volumes./etc/app.configMap.files.lock",
            "inside the output folder",
        ),
    ];
    for (extra, field, says) in hostile {
        std::fs::write(s.root.join("jobs/j0.yaml"), format!("{JOB}{extra}")).unwrap();
        for args in [&["render"][..], &["check"]] {
            let o = command(&s.root, args)
                .env("FLINKGEN_TEST_TOKEN", marker)
                .output()
                .unwrap();
            let (out, err) = (String::from_utf8_lossy(&o.stdout), stderr(&o));
            assert!(!o.status.success(), "{args:?} {extra}");
            assert!(err.contains(field) && err.contains(says), "{args:?}: {err}");
            assert!(err.contains("--> jobs/j0.yaml:"), "{err}");
            for leak in [marker, "root:x:0", "FLINKGEN_TEST_TOKEN"] {
                assert!(
                    !out.contains(leak) && !err.contains(leak),
                    "{args:?} printed {leak}"
                );
            }
        }
    }
    // A SQL script reached through a linked folder, and a script that is a folder.
    let sql = "flinkVersion: \"1.20\"\nsql:\n  script: sql/team/q.sql\nimage:\n  repository: registry.example.com/minimal\n  tag: \"1\"\njobManager:\n  profile: jm\ntaskManager:\n  profile: tm\n";
    std::fs::write(s.root.join("jobs/j0.yaml"), sql).unwrap();
    let err = stderr(&run(&s.root, &["render"]));
    assert!(
        err.contains("sql.script") && err.contains("`sql/team` is a symbolic link to a folder"),
        "{err}"
    );
    assert!(!err.contains("sandbox-secret"), "{err}");
    std::fs::write(
        s.root.join("jobs/j0.yaml"),
        sql.replace("sql/team/q.sql", "sql/"),
    )
    .unwrap();
    let err = stderr(&run(&s.root, &["render"]));
    assert!(
        err.contains("`sql/` names a folder; the script is one file"),
        "{err}"
    );
    let out = tree(&s.root.join("out"));
    assert!(out
        .values()
        .all(|t| !t.contains("root:x:0") && !t.contains(marker)));
}

/// The lock lists every file flinkgen owns, so it grows with the project: a project of
/// 20,000 jobs with 45-character names in three environments (a lock of about 70 MB) must
/// render, re-render after a one-spec edit, and check. Minutes in a debug build: `.ci/run`
/// runs it in release (`cargo test --release --test safety -- --ignored`).
#[test]
#[ignore = "20,000 jobs; run in release by .ci/run"]
fn a_project_of_20000_jobs_renders_twice_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    std::fs::create_dir_all(root.join("jobs")).unwrap();
    std::fs::create_dir_all(root.join("profiles")).unwrap();
    std::fs::write(
        root.join("flinkgen.yaml"),
        "flinkVersion: \"1.20\"\nimage:\n  registry: registry.example.com/big\nprofiles:\n  jobManager: jm\n  taskManager: tm\nenvironments:\n  dev: { namespace: dev }\n  staging: { namespace: staging }\n  prod: { namespace: prod }\n",
    )
    .unwrap();
    std::fs::write(root.join("profiles/jm.yaml"), JM).unwrap();
    std::fs::write(root.join("profiles/tm.yaml"), TM).unwrap();
    let name = |i: usize| format!("j{i:05}-orders-enrichment-pipeline-for-regions");
    assert_eq!(name(0).len(), 45);
    for i in 0..20_000 {
        std::fs::write(
            root.join(format!("jobs/{}.yaml", name(i))),
            format!("jar: target/job-{i}.jar\nimage:\n  tag: \"1.{i}.0\"\n"),
        )
        .unwrap();
    }
    let first = run(&root, &["render", "--quiet"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let lock = std::fs::metadata(root.join("out/flinkgen.lock"))
        .unwrap()
        .len();
    assert!(lock > 16 << 20, "the lock is {lock} bytes");
    std::fs::write(
        root.join(format!("jobs/{}.yaml", name(7))),
        "jar: target/job-7.jar\nimage:\n  tag: \"2.0.0\"\n",
    )
    .unwrap();
    let second = run(&root, &["render"]);
    let err = stderr(&second);
    assert!(second.status.success(), "{err}");
    assert!(
        err.contains("rendered 60000 job(s)") && !err.contains(" 0 file(s) written"),
        "{err}"
    );
    let check = run(&root, &["check"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

/// The lock's bound is derived from the project, not lifted: a committed lock of a small
/// project padded far beyond what it could list is refused unread, even with --force.
#[test]
fn a_lock_larger_than_the_project_can_have_is_refused() {
    let s = setup(1);
    assert!(run(&s.root, &["render"]).status.success());
    let lock = s.root.join("out/flinkgen.lock");
    let mut text = std::fs::read_to_string(&lock).unwrap();
    text.push_str(&"# padding\n".repeat(600_000));
    std::fs::write(&lock, text).unwrap();
    for args in [&["render"][..], &["render", "--force"], &["check"]] {
        let o = run(&s.root, args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            err.contains("flinkgen.lock")
                && err.contains("larger than flinkgen writes it for this project"),
            "{args:?}: {err}"
        );
    }
}
