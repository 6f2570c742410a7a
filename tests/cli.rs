//! The binary as users and hooks run it: exit codes, the `--check` diff, and that a failed
//! run leaves `out/` exactly as it was.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

fn flinkgen(root: &Path, args: &[&str]) -> Output {
    // The render cache of test projects stays out of the user's cache folder.
    let cache = std::env::temp_dir().join(format!("flinkgen-cli-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_flinkgen"))
        .env("XDG_CACHE_HOME", cache)
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch copy of a golden case's input.
fn project(case: &str) -> tempfile::TempDir {
    common::scratch_case(case)
}

/// Every file below `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let p = e.path().to_path_buf();
            (
                p.clone(),
                (
                    std::fs::read(&p).unwrap(),
                    e.metadata().unwrap().modified().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn render_then_check_then_rerender_writes_nothing() {
    let p = project("stateful-s3-1-20");
    let out = flinkgen(p.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("18 file(s) written, 0 unchanged, 0 deleted"),
        "{}",
        text(&out.stderr)
    );
    assert!(p.path().join("out/payments/jobmanager-job.yaml").is_file());

    let before = snapshot(&p.path().join("out"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = flinkgen(p.path(), &["render"]);
    assert!(text(&again.stderr).contains("0 file(s) written, 18 unchanged, 0 deleted"));
    assert_eq!(
        snapshot(&p.path().join("out")),
        before,
        "an unchanged render must not touch files"
    );

    for args in [&["check"][..], &["render", "--check"][..]] {
        let c = flinkgen(p.path(), args);
        assert_eq!(c.status.code(), Some(0), "{}", text(&c.stderr));
        assert!(text(&c.stderr).contains("out/ is up to date"));
    }
    let quiet = flinkgen(p.path(), &["check", "--quiet"]);
    assert_eq!((quiet.status.code(), quiet.stderr.len()), (Some(0), 0));
}

#[test]
fn the_render_cache_skips_unchanged_runs_and_never_hides_a_change() {
    let p = project("warnings-deprecated-keys");
    let first = flinkgen(p.path(), &["render"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let before = snapshot(&p.path().join("out"));
    let hit = flinkgen(p.path(), &["render"]);
    let err = text(&hit.stderr);
    assert!(
        err.contains("nothing changed since the last render"),
        "{err}"
    );
    assert!(
        err.contains("warning:"),
        "a hit repeats the warnings: {err}"
    );
    assert_eq!(snapshot(&p.path().join("out")), before);
    assert_eq!(flinkgen(p.path(), &["check"]).status.code(), Some(0));

    // An output edited by hand is seen, by check and by render.
    let job = std::fs::read_dir(p.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|d| d.is_dir())
        .unwrap();
    let dockerfile = job.join("Dockerfile");
    let original = std::fs::read_to_string(&dockerfile).unwrap();
    std::fs::write(&dockerfile, original.replace("FROM", "FROM  ")).unwrap();
    assert_eq!(flinkgen(p.path(), &["check"]).status.code(), Some(1));
    assert_eq!(flinkgen(p.path(), &["render"]).status.code(), Some(1));
    std::fs::write(&dockerfile, &original).unwrap();
    assert_eq!(flinkgen(p.path(), &["check"]).status.code(), Some(0));

    // A changed spec is rendered again.
    let spec = std::fs::read_dir(p.path().join("jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let mut text_spec = std::fs::read_to_string(&spec).unwrap();
    text_spec.push_str("\n# any byte of a spec counts\n");
    std::fs::write(&spec, text_spec).unwrap();
    let changed = flinkgen(p.path(), &["render"]);
    let err = text(&changed.stderr);
    assert_eq!(changed.status.code(), Some(0), "{err}");
    assert!(!err.contains("nothing changed"), "{err}");
}

/// A native cluster's TaskManagers are stamped with their configuration: a changed option
/// changes the stamp, so the stale ones a new JobManager adopts can be found and removed.
#[test]
fn native_taskmanagers_are_stamped_with_their_configuration() {
    let p = project("native-2-3");
    assert_eq!(flinkgen(p.path(), &["render"]).status.code(), Some(0));
    let stamp = |p: &Path| {
        let dir = std::fs::read_dir(p.join("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|d| d.join("pod-template-configmap.yaml").exists())
            .unwrap();
        let text = std::fs::read_to_string(dir.join("pod-template-configmap.yaml")).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains("flinkgen/config:"))
            .unwrap()
            .to_string();
        (dir, line)
    };
    let (dir, before) = stamp(p.path());
    let spec = std::fs::read_dir(p.path().join("clusters"))
        .into_iter()
        .flatten()
        .chain(
            std::fs::read_dir(p.path().join("jobs"))
                .into_iter()
                .flatten(),
        )
        .map(|e| e.unwrap().path())
        .find(|f| {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            f.file_stem().unwrap().to_string_lossy() == name
        })
        .unwrap();
    let mut spec_text = std::fs::read_to_string(&spec).unwrap();
    spec_text.push_str("\nflinkConfig:\n  pipeline.auto-watermark-interval: 300ms\n");
    std::fs::write(&spec, spec_text).unwrap();
    let out = flinkgen(p.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, after) = stamp(p.path());
    assert_ne!(before, after);
}

/// A project file a volume mounts is an input too: changing it is rendered, never cached away.
#[test]
fn the_render_cache_sees_project_files_that_volumes_mount() {
    let p = project("pods-and-secrets");
    assert_eq!(flinkgen(p.path(), &["render"]).status.code(), Some(0));
    let hit = flinkgen(p.path(), &["render"]);
    assert!(
        text(&hit.stderr).contains("nothing changed"),
        "{}",
        text(&hit.stderr)
    );
    std::fs::write(
        p.path().join("conf/lookup.yaml"),
        "lookup:\n  cache-size: 5\n",
    )
    .unwrap();
    let changed = flinkgen(p.path(), &["render"]);
    let err = text(&changed.stderr);
    assert_eq!(changed.status.code(), Some(0), "{err}");
    assert!(!err.contains("nothing changed"), "{err}");
    let cm = std::fs::read_to_string(p.path().join("out/native-enrich/files-configmap.yaml"));
    assert!(cm.unwrap().contains("cache-size: 5"));
    assert_eq!(flinkgen(p.path(), &["check"]).status.code(), Some(0));
}

#[test]
fn check_reports_stale_and_missing_files_with_a_diff_and_writes_nothing() {
    let p = project("stateful-s3-1-20");
    assert!(flinkgen(p.path(), &["render"]).status.success());
    let spec = p.path().join("jobs/payments.yaml");
    let edited = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("replicas: 2", "replicas: 3");
    std::fs::write(&spec, edited).unwrap();
    std::fs::remove_file(p.path().join("out/payments/Dockerfile")).unwrap();
    let before = snapshot(&p.path().join("out"));

    let c = flinkgen(p.path(), &["check"]);
    assert_eq!(c.status.code(), Some(1));
    let (stdout, stderr) = (text(&c.stdout), text(&c.stderr));
    assert!(stdout.contains("--- a/out/payments/taskmanager-deployment.yaml\n+++ b/out/payments/taskmanager-deployment.yaml"), "{stdout}");
    assert!(
        stdout.contains("-  replicas: 2\n+  replicas: 3\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- /dev/null\n+++ b/out/payments/Dockerfile"),
        "{stdout}"
    );
    assert!(
        stderr.contains("stale: out/payments/taskmanager-deployment.yaml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing: out/payments/Dockerfile"),
        "{stderr}"
    );
    assert!(stderr.contains("run `flinkgen render`"), "{stderr}");
    assert_eq!(
        snapshot(&p.path().join("out")),
        before,
        "check writes nothing"
    );
}

#[test]
fn a_bad_spec_fails_with_position_and_leaves_out_untouched() {
    let p = project("stateful-s3-1-20");
    assert!(flinkgen(p.path(), &["render"]).status.success());
    let before = snapshot(&p.path().join("out"));
    let spec = p.path().join("jobs/payments.yaml");
    let broken = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("slots: 2", "slots: [2");
    std::fs::write(&spec, broken).unwrap();
    // Another job that is fine must not be written either: all or nothing.
    std::fs::write(
        p.path().join("jobs/other.yaml"),
        "jar: target/o.jar\nimage:\n  tag: \"1\"\n",
    )
    .unwrap();

    let r = flinkgen(p.path(), &["render"]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = text(&r.stderr);
    assert!(stderr.contains("--> jobs/payments.yaml:"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(snapshot(&p.path().join("out")), before);
    assert!(!p.path().join("out/other").exists());
}

#[test]
fn usage_errors_exit_2() {
    let p = project("minimal-no-project-file");
    assert_eq!(
        flinkgen(p.path(), &["render", "--no-such-flag"])
            .status
            .code(),
        Some(2)
    );
    let none = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn warnings_do_not_fail_the_run() {
    let p = project("warnings-deprecated-keys");
    let r = flinkgen(p.path(), &["render"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(text(&r.stderr).contains("warning: flinkConfig.akka.ask.timeout"));
}

#[test]
fn explain_shows_what_flink_computes_and_writes_nothing() {
    let p = project("fine-grained-profile");
    let json = flinkgen(p.path(), &["explain", "rocks", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let e: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // These flags are what Flink's BashJavaUtils (1.20.3, 1.20.4) derives from the rendered config
    // (scripts/verify-with-flink.py checks the same agreement against real Flink).
    assert_eq!(e["taskManager"]["jvmFlags"], "-Xmx2281701376 -Xms2281701376 -XX:MaxDirectMemorySize=805306368 -XX:MaxMetaspaceSize=335544320");
    assert_eq!(e["jobManager"]["jvmFlags"], "-Xmx1073741824 -Xms1073741824 -XX:MaxDirectMemorySize=268435456 -XX:MaxMetaspaceSize=201326592");
    assert_eq!(
        e["taskManager"]["memory"]["managed"],
        4u64 << 30,
        "the job's override wins"
    );
    assert_eq!(e["taskManager"]["memory"]["totalProcess"], 8384u64 << 20);
    assert_eq!(e["taskManager"]["requests"]["cpu"], "5");
    assert_eq!(e["taskManager"]["requests"]["memory"], "8384Mi");

    let table = flinkgen(p.path(), &["explain", "rocks"]);
    let t = text(&table.stdout);
    assert!(
        t.starts_with("rocks (jobs/rocks.yaml), Flink 1.20.4\n"),
        "{t}"
    );
    assert!(
        t.contains("  Managed memory            4096.000 MiB     4294967296 bytes\n"),
        "{t}"
    );
    assert!(
        t.contains("  Container requests    cpu=5 memory=8384Mi\n"),
        "{t}"
    );
    assert!(!p.path().join("out").exists(), "explain writes nothing");
}

#[test]
fn explain_unknown_job_suggests_one() {
    let p = project("fine-grained-profile");
    let r = flinkgen(p.path(), &["explain", "rock"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("there is no job `rock`\n  = help: did you mean `rocks`?"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn a_profile_flink_refuses_fails_render_and_leaves_out_untouched() {
    let p = project("stateful-s3-1-20");
    assert!(flinkgen(p.path(), &["render"]).status.success());
    let before = snapshot(&p.path().join("out"));
    std::fs::write(
        p.path().join("profiles/tm-big.yaml"),
        "cpu: 1\nmemory:\n  process: 600m\n",
    )
    .unwrap();
    let r = flinkgen(p.path(), &["render"]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = text(&r.stderr);
    assert!(stderr.contains("error: memory.process: Flink refuses this TaskManager memory: Sum of configured Framework Heap Memory"), "{stderr}");
    assert!(stderr.contains("--> profiles/tm-big.yaml:3:12"), "{stderr}");
    assert_eq!(snapshot(&p.path().join("out")), before);
}

#[test]
fn removing_a_job_prunes_its_files_but_never_foreign_ones() {
    let p = project("fine-grained-profile");
    assert!(flinkgen(p.path(), &["render"]).status.success());
    std::fs::write(p.path().join("out/flinksize/NOTES.md"), "mine\n").unwrap();
    std::fs::remove_file(p.path().join("jobs/flinksize.yaml")).unwrap();

    let c = flinkgen(p.path(), &["check"]);
    assert_eq!(c.status.code(), Some(1));
    assert!(
        text(&c.stderr).contains(
            "orphaned (no spec produces it; render deletes it): out/flinksize/Dockerfile"
        ),
        "{}",
        text(&c.stderr)
    );
    assert!(
        text(&c.stdout).contains("--- a/out/flinksize/Dockerfile\n+++ /dev/null"),
        "{}",
        text(&c.stdout)
    );

    let r = flinkgen(p.path(), &["render"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains(", 6 deleted"),
        "{}",
        text(&r.stderr)
    );
    assert!(!p.path().join("out/flinksize/Dockerfile").exists());
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/flinksize/NOTES.md")).unwrap(),
        "mine\n"
    );
    assert!(flinkgen(p.path(), &["check"]).status.success());
}

#[test]
fn hand_edits_are_refused_until_forced() {
    let p = project("fine-grained-profile");
    assert!(flinkgen(p.path(), &["render"]).status.success());
    let edited = p.path().join("out/rocks/taskmanager-deployment.yaml");
    std::fs::write(&edited, "# my tweak\n").unwrap();
    // A spec change that touches the same file.
    let spec = p.path().join("jobs/rocks.yaml");
    std::fs::write(
        &spec,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace("cpu: 5", "cpu: 6"),
    )
    .unwrap();
    let before = snapshot(&p.path().join("out"));

    let c = flinkgen(p.path(), &["check"]);
    assert!(
        text(&c.stderr).contains("edited by hand: out/rocks/taskmanager-deployment.yaml"),
        "{}",
        text(&c.stderr)
    );
    let r = flinkgen(p.path(), &["render"]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = text(&r.stderr);
    assert!(stderr.contains("error: was edited by hand since flinkgen wrote it; the edit would be lost\n  --> out/rocks/taskmanager-deployment.yaml"), "{stderr}");
    assert!(stderr.contains("run `flinkgen render --force`"), "{stderr}");
    assert_eq!(
        snapshot(&p.path().join("out")),
        before,
        "nothing is written when a file is protected"
    );

    let f = flinkgen(p.path(), &["render", "--force"]);
    assert_eq!(f.status.code(), Some(0), "{}", text(&f.stderr));
    assert!(std::fs::read_to_string(&edited)
        .unwrap()
        .contains("cpu: \"6\""));
    assert!(flinkgen(p.path(), &["check"]).status.success());
}

#[test]
fn job_selection_touches_only_that_job() {
    let p = project("fine-grained-profile");
    assert!(flinkgen(p.path(), &["render"]).status.success());
    for (job, from, to) in [
        ("rocks", "cpu: 5", "cpu: 6"),
        ("flinksize", "tag: \"1\"", "tag: \"2\""),
    ] {
        let spec = p.path().join(format!("jobs/{job}.yaml"));
        std::fs::write(
            &spec,
            std::fs::read_to_string(&spec).unwrap().replace(from, to),
        )
        .unwrap();
    }
    let flinksize_before = snapshot(&p.path().join("out/flinksize"));
    let r = flinkgen(p.path(), &["render", "--job", "rocks"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(snapshot(&p.path().join("out/flinksize")), flinksize_before);
    assert!(flinkgen(p.path(), &["check", "--job", "rocks"])
        .status
        .success());
    assert_eq!(
        flinkgen(p.path(), &["check"]).status.code(),
        Some(1),
        "flinksize is still stale"
    );
    let bad = flinkgen(p.path(), &["render", "--job", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn init_scaffolds_a_project_that_renders_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("new");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_flinkgen"))
            .args(args)
            .output()
            .unwrap()
    };
    let i = run(&["init", root.to_str().unwrap()]);
    assert_eq!(i.status.code(), Some(0), "{}", text(&i.stderr));
    assert!(text(&i.stderr).contains("created jobs/my-job.yaml"));
    let r = flinkgen(&root, &["render"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(root
        .join("out/my-job/taskmanager-deployment.yaml")
        .is_file());
    let ignored = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(ignored.contains(".flinkgen-tmp") && ignored.contains(".flinkgen-stage/"));
    let again = run(&["init", root.to_str().unwrap()]);
    assert!(
        !text(&again.stderr).contains("created"),
        "{}",
        text(&again.stderr)
    );
    assert!(flinkgen(&root, &["check", "--quiet"]).status.success());
}

#[test]
fn explain_in_an_environment_needs_its_name() {
    let p = project("environments");
    let none = flinkgen(p.path(), &["explain", "orders"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("environments: prod, staging"));
    let prod = flinkgen(
        p.path(),
        &["explain", "orders", "--env", "prod", "--format", "json"],
    );
    assert_eq!(prod.status.code(), Some(0), "{}", text(&prod.stderr));
    let staging = flinkgen(
        p.path(),
        &["explain", "orders", "--env", "staging", "--format", "json"],
    );
    let tm = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["taskManager"]["profile"].as_str().unwrap().to_string()
    };
    // prod uses its own TaskManager profile (tm-big); staging the project's.
    assert_ne!(tm(&prod), tm(&staging));
    let bad = flinkgen(p.path(), &["explain", "orders", "--env", "qa"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A Deployment's selector cannot change in place: when a render changes one (as the move of
/// flinkgen's selectors to app.kubernetes.io/instance and component did), it says which files
/// must be replaced once, and how.
#[test]
fn a_changed_selector_is_announced_with_the_replace_command() {
    let dir = project("minimal-no-project-file");
    assert!(flinkgen(dir.path(), &["render"]).status.success());
    // What an earlier flinkgen wrote: the `app`/`component` selector, owned by the lock.
    let rel = "minimal/taskmanager-deployment.yaml";
    let path = dir.path().join("out").join(rel);
    let new = std::fs::read_to_string(&path).unwrap();
    let old = new.replacen(
        "      app.kubernetes.io/component: taskmanager\n      app.kubernetes.io/instance: minimal\n",
        "      app: minimal\n      component: taskmanager\n",
        1,
    );
    assert_ne!(old, new, "the selector is where the test expects it");
    std::fs::write(&path, &old).unwrap();
    let lock = dir.path().join("out/flinkgen.lock");
    let sha = |t: &str| flinkgen::hash::sha256(t.as_bytes());
    let text_lock = std::fs::read_to_string(&lock)
        .unwrap()
        .replace(&sha(&new), &sha(&old));
    std::fs::write(&lock, text_lock).unwrap();
    let o = flinkgen(dir.path(), &["render"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("the selector of 1 workload(s) changed"),
        "{err}"
    );
    assert!(
        err.contains(&format!("out/{rel}")) && err.contains("kubectl replace --force"),
        "{err}"
    );
    // Once replaced, nothing more is said.
    let again = text(&flinkgen(dir.path(), &["render"]).stderr);
    assert!(!again.contains("selector"), "{again}");
}
