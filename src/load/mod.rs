//! Stage 1, load: find the project file, job specs and profiles, and parse them into raw types.

pub mod image;
pub mod input;
#[macro_use]
pub mod pod;
pub mod profile;
pub mod program;
pub mod project;
pub mod scalar;
pub mod spec;
pub mod state;
pub mod tree;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics};
pub use yaml::Source;

pub const PROJECT_FILE: &str = "flinkgen.yaml";

/// Everything read from disk, still as the user wrote it.
#[derive(Debug)]
pub struct Inputs {
    pub project: project::ProjectSpec,
    pub project_src: Option<Source>,
    pub jobs: Vec<(Source, spec::JobSpec)>,
    /// Session clusters, as job specs without a job (see `ClusterSpec::into_job_spec`).
    pub clusters: Vec<(Source, spec::JobSpec)>,
    pub profiles: BTreeMap<String, (Source, profile::ProfileSpec)>,
    pub out_dir: String,
    /// The project file or a profile failed to load. Every job depends on them, so
    /// validating jobs would only report consequences of that failure.
    pub shared_input_failed: bool,
    /// Project files that volumes turn into ConfigMaps, as read (or why they could not be).
    pub files: BTreeMap<String, Result<String, input::InputError>>,
    /// What loading each job spec said (by its path), kept apart so that an incremental
    /// render can show a skipped spec's warnings again.
    pub spec_diags: BTreeMap<String, Vec<Diagnostic>>,
    /// Job specs an incremental render did not load (unchanged since the last render), as
    /// the render cache remembers them: what the checks across specs need.
    pub known: Vec<Known>,
    /// Some job specs are neither loaded nor known (a render in chunks, before its last):
    /// checks that need every spec wait for `validate::unused_profiles`.
    pub partial: bool,
    /// Every job spec listed, loaded or not (a render in chunks takes the next ones from it).
    pub listed: Vec<String>,
}

/// An unchanged job spec, as far as the checks across specs are concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Known {
    pub source: String,
    /// The jobs it renders: name, and environment (none without environments).
    pub jobs: Vec<(String, Option<String>)>,
    /// The profiles it names.
    pub profiles: Vec<String>,
}

impl Known {
    /// A loaded spec as the cache will remember it.
    pub fn of(source: &str, spec: &spec::JobSpec) -> Known {
        let mut profiles: Vec<String> = spec.profiles().map(str::to_string).collect();
        profiles.sort();
        profiles.dedup();
        Known {
            source: source.to_string(),
            jobs: Vec::new(),
            profiles,
        }
    }
}

pub fn load(root: &Path, diags: &mut Diagnostics) -> Inputs {
    load_some(root, diags, &|_| true)
}

/// Like `load`, reading only the job specs `wanted` picks (an incremental render); session
/// clusters, profiles and the project file are always read.
pub fn load_some(
    root: &Path,
    diags: &mut Diagnostics,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Inputs {
    load_inputs(root, diags, Some(wanted))
}

/// What every job reads (the project file, profiles, session clusters and the files they
/// name), without listing or loading any job spec.
pub fn load_shared(root: &Path, diags: &mut Diagnostics) -> Inputs {
    load_inputs(root, diags, None)
}

fn load_inputs(
    root: &Path,
    diags: &mut Diagnostics,
    wanted: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> Inputs {
    let before = diags.error_count();
    let (project, project_src) = load_project(root, diags);
    let [(jobs_dir, _), (clusters_dir, _), (profiles_dir, _)] = input_dirs(&project);
    let out_dir = out_dir(&project);
    let fields = [
        ("jobsDir", &jobs_dir),
        ("clustersDir", &clusters_dir),
        ("profilesDir", &profiles_dir),
    ];
    for (field, dir) in fields {
        if let Err(e) = project_folder(root, dir) {
            let d = match &project_src {
                Some(s) => s.error(field, e),
                None => Diagnostic::error(PROJECT_FILE, e).field(field),
            };
            diags.push(d);
        }
    }
    let mut inputs = Inputs {
        project,
        project_src,
        jobs: Vec::new(),
        clusters: Vec::new(),
        profiles: BTreeMap::new(),
        out_dir,
        shared_input_failed: diags.error_count() > before,
        files: BTreeMap::new(),
        spec_diags: BTreeMap::new(),
        known: Vec::new(),
        partial: false,
        listed: Vec::new(),
    };
    if inputs.shared_input_failed {
        return inputs;
    }
    // Session clusters are optional, and so is their folder.
    if root.join(&clusters_dir).is_dir() || inputs.project.clusters_dir.is_some() {
        inputs.clusters = load_clusters(root, &clusters_dir, diags);
    }
    // A project may hold only session clusters (their jobs are submitted by other tools);
    // then the jobs folder is optional too.
    let only_clusters = !inputs.clusters.is_empty()
        && inputs.project.jobs_dir.is_none()
        && std::fs::symlink_metadata(root.join(&jobs_dir)).is_err();
    if let Some(wanted) = wanted.filter(|_| !only_clusters) {
        let listed = yaml_files(root, &jobs_dir, usize::MAX, diags);
        let (jobs, spec_diags) = load_jobs(
            root,
            (&jobs_dir, &listed),
            !inputs.clusters.is_empty(),
            wanted,
            diags,
        );
        inputs.jobs = jobs;
        inputs.spec_diags = spec_diags;
        inputs.listed = listed;
    }
    let before_profiles = diags.error_count();
    inputs.profiles = load_profiles(root, &profiles_dir, diags);
    inputs.shared_input_failed = diags.error_count() > before_profiles;
    inputs.files = project_files(root, &inputs);
    inputs
}

/// Reads the project files that specs' volumes name. Only plain relative paths inside the
/// project are read (validation reports the others), through the same checked reader as specs.
fn project_files(
    root: &Path,
    inputs: &Inputs,
) -> BTreeMap<String, Result<String, input::InputError>> {
    let mut paths = std::collections::BTreeSet::new();
    for (_, spec) in inputs.jobs.iter().chain(&inputs.clusters) {
        paths.extend(spec_files(spec));
    }
    paths.extend(project_level_files(&inputs.project));
    paths.retain(|p| plain_relative(p));
    paths
        .into_iter()
        .map(|p| {
            let text = input::read(root, &p, Some(&inputs.out_dir));
            (p, text)
        })
        .collect()
}

/// The project files a spec names: ConfigMap volumes, log4j files, extra manifests, SQL and
/// Python scripts.
pub fn spec_files(spec: &spec::JobSpec) -> std::collections::BTreeSet<String> {
    let mut paths = std::collections::BTreeSet::new();
    let mut places = vec![spec.pod(), spec.job_manager.pod(), spec.task_manager.pod()];
    for o in spec.environments.values() {
        places.push(o.pod());
        places.extend(o.job_manager.as_ref().map(|r| r.pod()));
        places.extend(o.task_manager.as_ref().map(|r| r.pod()));
    }
    for p in &places {
        paths.extend(p.project_files().cloned());
    }
    paths.extend(spec.logging.iter().filter_map(|l| l.file.clone()));
    paths.extend(spec.resources.iter().cloned());
    for o in spec.environments.values() {
        paths.extend(o.logging.iter().filter_map(|l| l.file.clone()));
        paths.extend(o.resources.iter().flatten().cloned());
    }
    // A SQL script is checked at render time, so it is read like a spec.
    paths.extend(spec.sql.iter().map(|s| s.script.clone()));
    // A Python script is not checked, but it must be a file, not a folder or a link out.
    paths.extend(spec.python.iter().filter_map(|p| p.script.clone()));
    paths.retain(|p| plain_relative(p));
    paths
}

/// The project files the project file names (log4j files), which every job reads.
pub fn project_level_files(project: &project::ProjectSpec) -> Vec<String> {
    let environments = project.environments.values().map(|e| &e.logging);
    std::iter::once(&project.logging)
        .chain(environments)
        .flatten()
        .filter_map(|l| l.file.clone())
        .filter(|p| plain_relative(p))
        .collect()
}

/// A relative path that stays inside the project: no `..`, `.`, empty part or backslash.
pub fn plain_relative(path: &str) -> bool {
    !path.starts_with('/')
        && !path.contains('\\')
        && !path.split('/').any(|s| matches!(s, "" | "." | ".."))
}

type Loaded = (
    Vec<(Source, spec::JobSpec)>,
    BTreeMap<String, Vec<Diagnostic>>,
);

fn load_jobs(
    root: &Path,
    (jobs_dir, job_files): (&str, &[String]),
    has_clusters: bool,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    diags: &mut Diagnostics,
) -> Loaded {
    if job_files.is_empty() && !has_clusters && !diags.has_errors() {
        diags.push(
            Diagnostic::error(jobs_dir, "no job or session cluster specs found").help(format!(
                "add a job spec such as {jobs_dir}/my-job.yaml, or a session cluster in clusters/"
            )),
        );
    }
    let job_files: Vec<String> = job_files.iter().filter(|f| wanted(f)).cloned().collect();
    // Reading and parsing are independent per file; large projects parse on all cores.
    let parsed = crate::par::map(&job_files, |rel| {
        let mut d = Diagnostics::default();
        let job =
            read(root, rel, &mut d).and_then(|mut src| src.parse(&mut d).map(|spec| (src, spec)));
        (job, d)
    });
    let mut jobs = Vec::new();
    let mut by_spec = BTreeMap::new();
    for (rel, (job, d)) in job_files.iter().zip(parsed) {
        by_spec.insert(rel.clone(), d.items().to_vec());
        diags.extend(d);
        jobs.extend(job);
    }
    (jobs, by_spec)
}

fn load_clusters(root: &Path, dir: &str, diags: &mut Diagnostics) -> Vec<(Source, spec::JobSpec)> {
    let mut clusters = Vec::new();
    for rel in yaml_files(root, dir, usize::MAX, diags) {
        if let Some(mut src) = read(root, &rel, diags) {
            if let Some(c) = src.parse::<spec::ClusterSpec>(diags) {
                clusters.push((src, c.into_job_spec()));
            }
        }
    }
    clusters
}

/// Profiles by name (the file name without its extension).
fn load_profiles(
    root: &Path,
    dir: &str,
    diags: &mut Diagnostics,
) -> BTreeMap<String, (Source, profile::ProfileSpec)> {
    let mut profiles = BTreeMap::new();
    for rel in yaml_files(root, dir, 1, diags) {
        let name = Path::new(&rel)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some((other, _)) = profiles.get(&name) {
            let other: &Source = other;
            diags.push(Diagnostic::error(
                &rel,
                format!("profile `{name}` is also defined by {}", other.path),
            ));
            continue;
        }
        if let Some(mut src) = read(root, &rel, diags) {
            if let Some(p) = src.parse(diags) {
                profiles.insert(name, (src, p));
            }
        }
    }
    profiles
}

fn load_project(root: &Path, diags: &mut Diagnostics) -> (project::ProjectSpec, Option<Source>) {
    // Missing is fine (defaults); anything else that is not a regular file is reported by read.
    if std::fs::symlink_metadata(root.join(PROJECT_FILE)).is_err() {
        return (project::ProjectSpec::default(), None);
    }
    let Some(mut src) = read(root, PROJECT_FILE, diags) else {
        return (project::ProjectSpec::default(), None);
    };
    let spec = src.parse(diags).unwrap_or_default();
    (spec, Some(src))
}

/// YAML files below `dir`, as sorted root-relative paths, so output never depends on the
/// order the file system lists them in. A missing folder is an error.
fn yaml_files(root: &Path, dir: &str, depth: usize, diags: &mut Diagnostics) -> Vec<String> {
    match std::fs::symlink_metadata(root.join(dir)) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            diags.push(
                Diagnostic::error(dir, "this is a file, not a folder").help(format!(
                    "flinkgen reads the YAML files in the folder {dir}/"
                )),
            );
            return Vec::new();
        }
        Err(_) => {
            diags.push(Diagnostic::error(dir, "directory not found").help(format!(
                "create {dir}/ or set its location in {PROJECT_FILE}"
            )));
            return Vec::new();
        }
    }
    find_yaml(root, dir, depth)
}

/// YAML files below `dir` (none if it is missing), as sorted root-relative paths. Links and
/// special files with a YAML name are listed too, so that reading them reports why they are
/// refused instead of skipping them silently; folders are never entered through a link.
pub fn find_yaml(root: &Path, dir: &str, depth: usize) -> Vec<String> {
    let base = root.join(dir);
    let mut files = Vec::new();
    match std::fs::symlink_metadata(&base) {
        Ok(m) if m.is_dir() => walk_yaml(&base, relative(root, &base), depth, &mut files),
        // The folder itself is something else (the loader says what).
        Ok(m) if listed(&base, m.file_type(), || base.clone()) => files.push(relative(root, &base)),
        _ => {}
    }
    files.sort_unstable_by(|a, b| by_parts(a, b));
    files
}

/// Whether a listing names this entry: a YAML file (or a link or special file with such a
/// name), or a link to a folder, whose specs would otherwise go unseen.
fn listed(name: &Path, kind: std::fs::FileType, path: impl FnOnce() -> PathBuf) -> bool {
    !kind.is_dir() && (is_yaml_name(name) || (kind.is_symlink() && path().is_dir()))
}

/// The entries below `dir` (`rel` from the root) `listed` names, `depth` levels deep at most,
/// without entering a link. Names are joined as text: a walk that builds a path per entry and
/// splits it into parts again took a millisecond per 1,000 specs, and each render lists them.
fn walk_yaml(dir: &Path, rel: String, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        let name = e.file_name();
        let path = || match rel.is_empty() {
            true => name.to_string_lossy().into_owned(),
            false => format!("{rel}/{}", name.to_string_lossy()),
        };
        if kind.is_dir() {
            if depth > 1 {
                walk_yaml(&e.path(), path(), depth - 1, out);
            }
        } else if listed(Path::new(&name), kind, || e.path()) {
            out.push(path());
        }
    }
}

/// The order of paths compared part by part, as `Path`'s order is, on their `/`-joined text:
/// a `/` sorts before every other character. Sorting the text is several times faster than
/// sorting `PathBuf`s, which split both paths into parts at every comparison.
fn by_parts(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// A folder setting as written, or its default; a trailing `/` (`deploy/generated/`) is the
/// same folder.
fn folder_setting(value: Option<&str>, default: &str) -> String {
    match value {
        Some(v) if v.len() > 1 && v.ends_with('/') => v.trim_end_matches('/').to_string(),
        Some(v) => v.to_string(),
        None => default.to_string(),
    }
}

/// The output folder the project file sets (default `out`).
pub fn out_dir(project: &project::ProjectSpec) -> String {
    folder_setting(project.out_dir.as_deref(), "out")
}

/// The folders a project's inputs are read from, as the project file sets them: jobs,
/// session clusters (any depth) and profiles (flat).
pub fn input_dirs(project: &project::ProjectSpec) -> [(String, usize); 3] {
    let dir = |d: &Option<String>, default: &str| folder_setting(d.as_deref(), default);
    [
        (dir(&project.jobs_dir, "jobs"), usize::MAX),
        (dir(&project.clusters_dir, "clusters"), usize::MAX),
        (dir(&project.profiles_dir, "profiles"), 1),
    ]
}

pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::with_capacity(rel.as_os_str().len());
    for (i, part) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}

/// `.yaml` and `.yml` in any case: `JOB.YAML` is a spec too, not a file to skip unseen.
fn is_yaml_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn read(root: &Path, rel: &str, diags: &mut Diagnostics) -> Option<Source> {
    // The path is written into the lock, headers and messages; a line break in it would
    // corrupt the lock, and a name that is not UTF-8 cannot be named at all.
    if rel
        .chars()
        .any(|c| crate::diag::hidden(c) || c == '\u{fffd}')
    {
        diags.push(
            Diagnostic::error(
                rel,
                "the file name contains control, invisible or non-UTF-8 characters",
            )
            .help("rename the file using printable characters"),
        );
        return None;
    }
    match input::read(root, rel, None) {
        Ok(text) => Some(Source::new(rel, text)),
        Err(e) => {
            diags.push(Diagnostic::error(rel, e.message).help(e.help));
            None
        }
    }
}

/// A folder setting of the project file: a normalized relative path inside the project,
/// reached without links (which could lead anywhere on the machine).
pub fn project_folder(root: &Path, dir: &str) -> Result<(), String> {
    folder_syntax(dir)?;
    let mut at = root.to_path_buf();
    for part in dir.split('/') {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "`{dir}` passes through the symbolic link {}; flinkgen only reads and writes real folders of the project",
                    relative(root, &at)
                ))
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// The written form of a folder setting: a normalized relative path, not in git's folder.
pub fn folder_syntax(dir: &str) -> Result<(), String> {
    let bad = dir.is_empty()
        || dir.starts_with('/')
        || dir.contains('\\')
        || dir.chars().any(char::is_control)
        || dir
            .split('/')
            .any(|s| s == ".." || s.is_empty() || s == ".");
    if bad {
        return Err(format!(
            "`{dir}` must be a folder inside the project: a relative path without `.`, `..` or empty parts"
        ));
    }
    if dir.split('/').next() == Some(".git") {
        return Err(format!("`{dir}` is inside git's own folder"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// The listing as a general directory walker gives it, sorted as `Path`s.
    fn walked(root: &std::path::Path, dir: &str, depth: usize) -> Vec<String> {
        let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(root.join(dir))
            .max_depth(depth)
            .follow_root_links(false)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| !e.file_type().is_dir())
            .filter(|e| super::is_yaml_name(e.path()) || (e.path_is_symlink() && e.path().is_dir()))
            .map(|e| e.into_path())
            .collect();
        files.sort();
        files.iter().map(|p| super::relative(root, p)).collect()
    }

    #[test]
    fn listing_finds_what_a_directory_walk_finds() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for d in [
            "jobs/a/b",
            "jobs/a-b",
            "jobs/z.yaml.d",
            "elsewhere/deep",
            "profiles",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "jobs/one.yaml",
            "jobs/TWO.YML",
            "jobs/notes.txt",
            "jobs/a/b/three.yaml",
            "jobs/a-b/four.yaml",
            "jobs/a/five.yml",
            "jobs/.hidden.yaml",
            "elsewhere/deep/x.yaml",
            "profiles/tm.yaml",
            "profiles/readme.md",
        ] {
            std::fs::write(root.join(f), "a: 1\n").unwrap();
        }
        symlink(root.join("elsewhere"), root.join("jobs/linked")).unwrap();
        symlink(
            root.join("elsewhere/deep/x.yaml"),
            root.join("jobs/a/six.yaml"),
        )
        .unwrap();
        symlink(root.join("nowhere"), root.join("jobs/dangling.yaml")).unwrap();
        symlink(root.join("elsewhere"), root.join("linkdir")).unwrap();
        std::fs::write(root.join("plain.yaml"), "a: 1\n").unwrap();
        for (dir, depth) in [
            ("jobs", usize::MAX),
            ("jobs", 1),
            ("jobs", 2),
            ("./jobs/", usize::MAX),
            ("profiles", 1),
            ("linkdir", usize::MAX),
            ("plain.yaml", 1),
            ("missing", usize::MAX),
        ] {
            assert_eq!(
                super::find_yaml(root, dir, depth),
                walked(root, dir, depth),
                "{dir} {depth}"
            );
        }
        assert!(super::find_yaml(root, "jobs", usize::MAX).contains(&"jobs/linked".to_string()));
    }

    proptest! {
        /// Specs are listed in `Path` order, whatever characters their names sort around `/`.
        /// The paths are as a listing makes them: names joined by `/`, none empty, `.` or `..`.
        #[test]
        fn text_order_is_path_order(
            a in prop::collection::vec("[a-c._-]{1,3}", 1..4),
            b in prop::collection::vec("[a-c._-]{1,3}", 1..4),
        ) {
            let listed = |parts: &[String]| !parts.iter().any(|p| p == "." || p == "..");
            prop_assume!(listed(&a) && listed(&b));
            let (a, b) = (a.join("/"), b.join("/"));
            let by_path = std::path::Path::new(&a).cmp(std::path::Path::new(&b));
            prop_assert_eq!(super::by_parts(&a, &b), by_path);
        }
    }
}
