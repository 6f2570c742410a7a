//! The render cache: what the last successful render read and wrote, so that the next one
//! does only the work its changes need.
//!
//! - Nothing changed (the inputs, the flinkgen build and every output file as that render
//!   left them): `render` and `check` say so without loading, rendering or reading back a
//!   single output file.
//! - Some job specs changed: the specs that did not (same bytes, same project files read,
//!   outputs untouched on disk) are neither loaded, validated nor rendered again; their
//!   output files are trusted by the size and modification time recorded when they were
//!   written, as git's index trusts a work tree, and their warnings are shown again as
//!   recorded. Everything the specs share (the project file, profiles, session clusters, the
//!   build) is one key: when it changes, everything renders again.
//!
//! The cache lives outside the project (`$XDG_CACHE_HOME/flinkgen` or `~/.cache/flinkgen`), so
//! it is never committed, and is keyed by the project's absolute path. Any doubt is a miss,
//! and a miss only costs the full render.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::diag::Diagnostic;
use crate::emit::confine::{stamp, Stamper};
use crate::emit::lock::{Entry, Lock};
pub use crate::emit::Prior;
use crate::load::{self, project::ProjectSpec, Known};

mod format;
use format::{split, view, write, View};

const VERSION_LINE: &str = "flinkgen render cache 3";

/// What a cache hit reports, as the full render would have.
#[derive(Debug, PartialEq, Eq)]
pub struct Hit {
    pub out_dir: String,
    pub jobs: usize,
    pub files: usize,
    /// The warning report of the render the cache was written by.
    pub warnings: String,
}

/// One job spec as the last render read and rendered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRecord {
    /// The spec's path, as the lock names it.
    pub source: String,
    pub sha256: String,
    /// The spec file's size and modification time when it is old enough to be trusted by
    /// them (see `settled`), else `None`: then it is read and hashed.
    pub stamp: Option<(u64, u128)>,
    /// Project files it read (ConfigMap volumes, log4j files, scripts), with their sha256.
    pub files: Vec<(String, String)>,
    /// Its jobs and profiles, for the checks across specs.
    pub known: Known,
    /// What loading and validating it said.
    pub diags: Vec<Diagnostic>,
    pub outputs: Vec<Output>,
}

/// One output file of a spec: its sha256 as the lock records it, and its size and
/// modification time on disk after it was written (0 until then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub mtime: u128,
}

/// What the cache says about the project as it is now.
pub enum Probe {
    /// Nothing changed since the last render.
    Hit(Hit),
    /// These job specs are unchanged; the others (new, edited, or whose outputs changed on
    /// disk) need rendering.
    Partial(Vec<SpecRecord>, Prior),
    Miss,
}

/// Everything the cache file holds.
struct Recorded {
    shared: String,
    lock: (u64, u128),
    out_dir: String,
    jobs: usize,
    /// The project files the render read that no job spec record lists (session clusters'),
    /// with their sha256.
    files: Vec<(String, String)>,
    warnings: String,
    /// Output files no job spec owns (session clusters, environment kustomizations), with
    /// the source the lock names for each.
    others: Vec<(String, Output)>,
    specs: Vec<SpecRecord>,
}

/// Compares the project with the last render. Reads every input file (they are small), and
/// only the size and modification time of the output files.
/// Also returns the key of what every job reads, as it is before this run reads anything
/// (see `key`); `None` when the project file cannot be read.
pub fn probe(root: &Path) -> (Probe, Option<String>) {
    let Some((shared, out_dir, project)) = shared_key(root) else {
        return (Probe::Miss, None);
    };
    let probe = probe_recorded(root, &shared, out_dir, &project).unwrap_or(Probe::Miss);
    (probe, Some(shared))
}

fn probe_recorded(
    root: &Path,
    shared: &str,
    out_dir: String,
    project: &ProjectSpec,
) -> Option<Probe> {
    let out = root.join(&out_dir);
    // No lock (a first render, or out/ removed): nothing to reuse, and no cache to read.
    let lock = stamp(&out.join(crate::emit::lock::LOCK_FILE))?;
    let text = std::fs::read_to_string(cache_file(root)?).ok()?;
    let (mut rec, blocks) = split(&text)?;
    if rec.shared != shared || rec.out_dir != out_dir {
        return None;
    }
    // A lock changed behind the cache's back, or an interrupted run: render in full.
    if lock != rec.lock
        || std::fs::symlink_metadata(out.join(crate::emit::lock::JOURNAL_FILE)).is_ok()
    {
        return None;
    }
    let [(jobs_dir, depth), ..] = load::input_dirs(project);
    load::project_folder(root, &jobs_dir).ok()?;
    let present = load::find_yaml(root, &jobs_dir, depth);
    let listed: std::collections::HashSet<&str> = present.iter().map(String::as_str).collect();
    let at = Folders {
        root: Stamper::open(root)?,
        out: Stamper::open(&out)?,
    };
    // Each record is read where it is checked: the reading, like the stat calls, on all cores.
    let checked = crate::par::map(&blocks, |b| {
        let v = view(b)?;
        let clean = listed.contains(v.source) && unchanged(root, &at, &out_dir, &v);
        Some((clean, v.outputs.len()))
    });
    let checked = checked.into_iter().collect::<Option<Vec<_>>>()?;
    let clean: Vec<bool> = checked.iter().map(|(c, _)| *c).collect();
    let all_clean = clean.iter().all(|c| *c) && present.len() == blocks.len();
    let others_clean = written(&at.out, rec.others.iter().map(|(_, o)| o));
    let files_clean = rec
        .files
        .iter()
        .all(|(path, sha)| file_sha(root, path, &out_dir).as_ref() == Some(sha));
    if all_clean && others_clean && files_clean {
        let files = rec.others.len() + checked.iter().map(|(_, n)| n).sum::<usize>();
        return Some(Probe::Hit(Hit {
            out_dir,
            jobs: rec.jobs,
            // The lock is in the output folder too.
            files: files + 1,
            warnings: rec.warnings,
        }));
    }
    // The lock's entries for every file the render will not keep: with the lock as recorded,
    // they are all emit needs of it (see `emit::Prior`).
    let entry = |source: &str, o: &Output| {
        let e = Entry {
            sha256: o.sha256.clone(),
            source: source.to_string(),
        };
        (o.path.clone(), e)
    };
    let mut entries: Lock = rec.others.iter().map(|(s, o)| entry(s, o)).collect();
    // Only now are the records built: nothing needs them when nothing changed.
    let records = crate::par::map(&blocks, |b| view(b)?.record());
    rec.specs = records.into_iter().collect::<Option<_>>()?;
    let mut kept = Vec::new();
    for (r, clean) in rec.specs.into_iter().zip(clean) {
        if clean {
            kept.push(r);
        } else {
            entries.extend(r.outputs.iter().map(|o| entry(&r.source, o)));
        }
    }
    let prior = Prior {
        entries,
        lock: rec.lock,
    };
    Some(Probe::Partial(kept, prior))
}

/// The project and output folders, open for the stamps of many files below them.
struct Folders {
    root: Stamper,
    out: Stamper,
}

/// Whether a spec, the project files it read and its output files are as recorded.
fn unchanged(root: &Path, at: &Folders, out_dir: &str, r: &View) -> bool {
    let same = match r.stamp {
        // The listing reached it through real folders; a link now in its place is no file.
        Some(st) if at.root.stamp(r.source) == Some(st) => true,
        _ => file_sha(root, r.source, out_dir).as_deref() == Some(r.sha256),
    };
    same && r
        .files
        .iter()
        .all(|(p, sha)| file_sha(root, p, out_dir).as_deref() == Some(*sha))
        && at
            .out
            .all_match(r.outputs.iter().map(|(p, _, st)| (*p, *st)))
}

/// Whether output files are as they were written: same size and modification time.
fn written<'a>(out: &Stamper, outputs: impl IntoIterator<Item = &'a Output>) -> bool {
    out.all_match(
        outputs
            .into_iter()
            .map(|o| (o.path.as_str(), (o.size, o.mtime))),
    )
}

/// The sha256 of an input file, read with the loader's checked reader (a link out of the
/// project, a pipe or a huge file is a miss, and the full run reports it).
fn file_sha(root: &Path, rel: &str, out_dir: &str) -> Option<String> {
    let text = load::input::read(root, rel, Some(out_dir)).ok()?;
    Some(crate::hash::sha256(text.as_bytes()))
}

/// What every job depends on: the flinkgen build, the project file and the project files it
/// names, every profile and session cluster; and the output folder. `None` when the project
/// file cannot be read: the full run reports why.
fn shared_key(root: &Path) -> Option<(String, String, ProjectSpec)> {
    let mut h = crate::hash::Parts::default();
    h.add(env!("FLINKGEN_BUILD_ID"))
        .add(env!("CARGO_PKG_VERSION"));
    let project = match std::fs::symlink_metadata(root.join(load::PROJECT_FILE)) {
        Ok(_) => {
            let text = load::input::read(root, load::PROJECT_FILE, None).ok()?;
            h.add(&text);
            load::yaml::from_str::<ProjectSpec>(&text).ok()?
        }
        Err(_) => ProjectSpec::default(),
    };
    let out_dir = load::out_dir(&project);
    h.add(&out_dir);
    let [_, clusters, profiles] = load::input_dirs(&project);
    for (dir, depth) in [clusters, profiles] {
        load::project_folder(root, &dir).ok()?;
        h.add(&dir);
        for rel in load::find_yaml(root, &dir, depth) {
            h.add(&rel)
                .add(load::input::read(root, &rel, Some(&out_dir)).ok()?);
        }
    }
    for rel in load::project_level_files(&project) {
        // A missing file is an error of the full run, which then leaves no cache.
        h.add(&rel).add(file_sha(root, &rel, &out_dir)?);
    }
    Some((h.hex(32), out_dir, project))
}

/// The key a render can record: taken before it reads its inputs (by `probe`), and again
/// after it wrote, so that an input edited during the run leaves no cache behind.
pub fn key(root: &Path) -> Option<String> {
    shared_key(root).map(|(k, _, _)| k)
}

/// What a successful render leaves for the next one.
pub struct Store<'a> {
    pub key: &'a str,
    /// When the run started: a spec modified since may have been read before its last change.
    pub started: std::time::SystemTime,
    pub out_dir: &'a str,
    pub jobs: usize,
    /// Project files read by no job spec record (session clusters'), with their sha256.
    pub files: &'a BTreeMap<String, String>,
    pub warnings: &'a str,
    pub specs: Vec<SpecRecord>,
    /// Output files no spec record owns: path, sha256 and source.
    pub others: Vec<(String, Entry)>,
}

/// Records a successful render. Best effort: a cache that cannot be written only means the
/// next run renders in full.
pub fn store(root: &Path, mut s: Store) {
    let Some(file) = cache_file(root) else { return };
    let out = root.join(s.out_dir);
    let Some(lock) = stamp(&out.join(crate::emit::lock::LOCK_FILE)) else {
        return;
    };
    let stamped = |path: &str, sha: &str| -> Option<Output> {
        let (size, mtime) = stamp(&out.join(path))?;
        Some(Output {
            path: path.to_string(),
            sha256: sha.to_string(),
            size,
            mtime,
        })
    };
    // Outputs of unchanged specs keep the stamps they were recorded with: the render did not
    // touch them, and a change since is for the next probe to see.
    // A first render stamps every output file: thousands of stat calls, on all cores.
    let fresh: Vec<&Output> = s
        .specs
        .iter()
        .flat_map(|spec| &spec.outputs)
        .filter(|o| o.mtime == 0)
        .collect();
    let Some(fresh) = crate::par::map(&fresh, |o| stamped(&o.path, &o.sha256))
        .into_iter()
        .collect::<Option<Vec<Output>>>()
    else {
        return;
    };
    let mut fresh = fresh.into_iter();
    for o in s.specs.iter_mut().flat_map(|spec| &mut spec.outputs) {
        if o.mtime == 0 {
            *o = fresh.next().expect("one stamp per fresh output");
        }
    }
    let unstamped: Vec<usize> = (0..s.specs.len())
        .filter(|i| s.specs[*i].stamp.is_none())
        .collect();
    let stamps = crate::par::map(&unstamped, |i| {
        stamp(&root.join(&s.specs[*i].source)).filter(|st| settled(st.1, s.started))
    });
    for (i, st) in unstamped.into_iter().zip(stamps) {
        s.specs[i].stamp = st;
    }
    let Some(others) = crate::par::map(&s.others, |(path, e)| {
        Some((e.source.clone(), stamped(path, &e.sha256)?))
    })
    .into_iter()
    .collect::<Option<Vec<_>>>() else {
        return;
    };
    let rec = Recorded {
        shared: s.key.to_string(),
        lock,
        out_dir: s.out_dir.to_string(),
        jobs: s.jobs,
        files: s
            .files
            .iter()
            .map(|(p, h)| (p.clone(), h.clone()))
            .collect(),
        warnings: s.warnings.to_string(),
        others,
        specs: s.specs,
    };
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = file.with_extension("tmp");
    if std::fs::write(&tmp, write(&rec)).is_ok() {
        let _ = std::fs::rename(&tmp, &file);
    }
}

/// Whether a file last modified at `mtime` (ns since the epoch) was so before the run
/// started, with a margin for clocks and file systems that keep coarse times: only then do
/// its size and modification time vouch for the bytes the run read (git's "racily clean"
/// entries are the same problem: git/Documentation/technical/racy-git.txt).
fn settled(mtime: u128, started: std::time::SystemTime) -> bool {
    let margin = std::time::Duration::from_secs(2);
    started
        .checked_sub(margin)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .is_some_and(|t| mtime < t.as_nanos())
}

/// Removes the cache of `root`, so that the next run renders in full.
pub fn forget(root: &Path) {
    if let Some(f) = cache_file(root) {
        let _ = std::fs::remove_file(f);
    }
}

fn cache_file(root: &Path) -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    let abs = std::fs::canonicalize(root).ok()?;
    let key = &crate::hash::sha256(abs.to_string_lossy().as_bytes())[..24];
    Some(base.join("flinkgen").join("render").join(key))
}
