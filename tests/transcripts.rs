//! CLI transcripts, compared whole: each `tests/transcripts/<name>.txt` is the exact output of a
//! short session of flinkgen commands on a scratch copy of a golden case's input (the scratch
//! folder shown as `<root>`), so a change of wording, order or exit code is a reviewed diff,
//! not a substring that still matches. `SNAPSHOTS=overwrite cargo test --test transcripts`
//! rewrites them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One step of a session: a file edit, or a command.
enum Step<'a> {
    Write(&'a str, &'a str),
    Run(&'a [&'a str]),
}

/// A scratch copy of a golden case's input.
fn scratch(case: &str) -> tempfile::TempDir {
    common::scratch_case(case)
}

fn session(case: &str, steps: &[Step]) -> String {
    let dir = scratch(case);
    let root = dir.path().to_string_lossy().into_owned();
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Write(path, text) => {
                std::fs::write(dir.path().join(path), text).unwrap();
                out.push_str(&format!("# {path} edited\n"));
            }
            Step::Run(args) => {
                let o = Command::new(env!("CARGO_BIN_EXE_flinkgen"))
                    .env("NO_COLOR", "1")
                    .env("FLINKGEN_NO_CACHE", "1")
                    .args(*args)
                    .arg("--root")
                    .arg(dir.path())
                    .output()
                    .unwrap();
                let shown = |b: &[u8]| String::from_utf8_lossy(b).replace(&root, "<root>");
                out.push_str(&format!(
                    "$ flinkgen {}\nexit {}\n--- stdout\n{}--- stderr\n{}\n",
                    args.join(" "),
                    o.status.code().unwrap_or(-1),
                    shown(&o.stdout),
                    shown(&o.stderr)
                ));
            }
        }
    }
    out
}

fn transcript(name: &str, actual: &str) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/transcripts")
        .join(format!("{name}.txt"));
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        panic!(
            "{} differs; if intended run `SNAPSHOTS=overwrite cargo test --test transcripts`\n{}",
            path.display(),
            similar::TextDiff::from_lines(expected.as_str(), actual)
                .unified_diff()
                .header("expected", "actual")
        );
    }
}

const JOB: &str = "jobs/minimal.yaml";

#[test]
fn render_check_and_rerender() {
    let edited = "flinkVersion: \"1.20\"\njar: target/job.jar\nimage:\n  repository: registry.example.com/minimal\n  tag: \"2\"\njobManager:\n  profile: jm\ntaskManager:\n  profile: tm\n";
    transcript(
        "render-check-rerender",
        &session(
            "minimal-no-project-file",
            &[
                Step::Run(&["render"]),
                Step::Run(&["render"]),
                Step::Write(JOB, edited),
                Step::Run(&["check"]),
                Step::Run(&["render", "--quiet"]),
                Step::Run(&["check"]),
            ],
        ),
    );
}

#[test]
fn explain_and_a_misspelt_job() {
    transcript(
        "explain",
        &session(
            "minimal-no-project-file",
            &[
                Step::Run(&["explain", "minimal"]),
                Step::Run(&["explain", "minimall"]),
            ],
        ),
    );
}

#[test]
fn a_bad_spec_and_a_bad_command() {
    transcript(
        "errors",
        &session(
            "minimal-no-project-file",
            &[
                Step::Write(
                    JOB,
                    "flinkVersion: \"1.20\"\njar: target/job.jar\ntaskManger:\n  replicas: 2\n",
                ),
                Step::Run(&["render"]),
                Step::Run(&["frobnicate"]),
            ],
        ),
    );
}
