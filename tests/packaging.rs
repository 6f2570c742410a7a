//! Installing without a toolchain: the container recipe, the release workflow and the
//! pre-commit hooks, each checked for what it promises.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    flinkgen::load::yaml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Builds the image and runs it on this repository's own project, where a container runtime
/// answers; elsewhere it says why it did not run.
#[test]
fn the_container_image_builds_and_checks_a_project() {
    let runtime = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match runtime {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "skipped: no container runtime answers (docker info: {})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("skipped: no container runtime (docker: {e})");
            return;
        }
    }
    let tag = "flinkgen-test:latest";
    let build = Command::new("docker")
        .args(["build", "-q", "-f", "packaging/Dockerfile", "-t", tag, "."])
        .current_dir(root())
        .status()
        .unwrap();
    assert!(build.success(), "docker build failed");
    let version = Command::new("docker")
        .args(["run", "--rm", tag, "--version"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("flinkgen {}", env!("CARGO_PKG_VERSION"))
    );
    // The committed examples: check reads them and compares out/ without writing.
    let copy = tempfile::tempdir().unwrap();
    for dir in ["jobs", "clusters", "profiles", "out", "examples"] {
        common::copy_tree(&root().join(dir), &copy.path().join(dir));
    }
    std::fs::copy(
        root().join("flinkgen.yaml"),
        copy.path().join("flinkgen.yaml"),
    )
    .unwrap();
    let mount = format!("{}:/src", copy.path().display());
    let check = Command::new("docker")
        .args([
            "run",
            "--rm",
            "-u",
            "65532:65532",
            "-v",
            &mount,
            tag,
            "check",
        ])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// What the recipe promises without running it: it copies everything the build reads
/// (build.rs hashes src/, templates/ and Cargo.lock), builds with the lock file, pins its
/// build image, and runs as a user that is not root, on an empty base.
#[test]
fn the_container_recipe_copies_what_the_build_reads_and_runs_unprivileged() {
    let recipe = read("packaging/Dockerfile");
    let lines: Vec<&str> = recipe.lines().map(str::trim).collect();
    let copied: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().skip(1).collect();
            words[..words.len() - 1].to_vec()
        })
        .collect();
    for needed in ["Cargo.toml", "Cargo.lock", "build.rs", "src", "templates"] {
        assert!(
            copied.contains(&needed),
            "the recipe does not copy {needed}"
        );
    }
    for source in &copied {
        assert!(
            root().join(source).exists(),
            "the recipe copies {source}, which is not in the repository"
        );
    }
    assert!(recipe.contains("cargo build --release --locked"));
    let froms: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .copied()
        .collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert!(
        froms[0].starts_with("FROM rust:1.") && froms[0].contains("alpine"),
        "{}",
        froms[0]
    );
    assert_eq!(froms[1], "FROM scratch");
    let user = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("USER "))
        .expect("a USER line");
    let uid = user.trim_start_matches("USER ").split(':').next().unwrap();
    assert!(uid != "0" && uid != "root", "{user}");
    let rust_version = read("Cargo.toml")
        .lines()
        .find_map(|l| {
            l.strip_prefix("rust-version = ")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap();
    assert!(
        froms[0].contains(&format!("rust:{rust_version}")),
        "the build image should be the crate's rust-version ({rust_version}): {}",
        froms[0]
    );
}

#[test]
fn the_release_builds_linux_and_macos_binaries_with_checksums_and_the_image() {
    let wf = yaml(".github/workflows/release.yml");
    let targets: Vec<&str> = wf["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ] {
        assert!(targets.contains(&t), "no {t} in {targets:?}");
    }
    let steps = serde_json::to_string(&wf["jobs"]["binaries"]["steps"]).unwrap();
    for needed in ["--locked", "sha256", "gh release upload"] {
        assert!(steps.contains(needed), "the binaries job lacks {needed}");
    }
    let image = serde_json::to_string(&wf["jobs"]["image"]["steps"]).unwrap();
    assert!(image.contains("packaging/Dockerfile") && image.contains("docker push"));
    assert_eq!(wf["on"]["push"]["tags"][0], "v*");
}

#[test]
fn each_install_path_has_its_pre_commit_hooks() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().unwrap();
    for (language, suffix) in [
        ("rust", ""),
        ("system", "-system"),
        ("docker_image", "-docker"),
    ] {
        for command in ["check", "render"] {
            let id = format!("flinkgen-{command}{suffix}");
            let hook = hooks
                .iter()
                .find(|h| h["id"] == id.as_str())
                .unwrap_or_else(|| panic!("no hook {id}"));
            assert_eq!(hook["language"], language, "{id}");
            assert_eq!(hook["pass_filenames"], false, "{id}");
            let entry = hook["entry"].as_str().unwrap();
            assert!(
                entry.ends_with(&format!("{command} --quiet")),
                "{id}: {entry}"
            );
        }
    }
}

#[test]
fn the_readme_shows_each_way_to_install() {
    let readme = read("README.md");
    for way in [
        "cargo install --locked",
        "releases",
        "packaging/Dockerfile",
        "flinkgen-check-system",
        "flinkgen-check-docker",
    ] {
        assert!(
            readme.contains(way),
            "README.md's install section lacks {way}"
        );
    }
}

/// The CI example for consumer repositories posts the Markdown report and fails on exit 3.
#[test]
fn the_pull_request_example_posts_the_report_and_fails_on_lost_state() {
    let wf = yaml("examples/ci/github-pull-request-diff.yml");
    let steps = serde_json::to_string(&wf["jobs"]["diff"]["steps"]).unwrap();
    for needed in [
        "flinkgen diff --base",
        "--format markdown",
        "gh pr comment",
        "sha256sum -c",
        "fetch-depth",
    ] {
        assert!(steps.contains(needed), "the example lacks {needed}");
    }
    assert_eq!(wf["permissions"]["pull-requests"], "write");
    let makefile = read("Makefile");
    assert!(makefile.contains("diff:\n\t$(FLINKGEN) diff --base $(BASE)"));
}
