//! Stage 5, emit: write the rendered tree, or compare it with what is on disk (`--check`).
//! Nothing reaches this stage unless every job validated and rendered, so a bad spec never
//! leaves `out/` half-written.

use std::collections::BTreeMap;
use std::path::Path;

mod check;
pub mod confine;
pub mod lock;
mod stage;

pub use check::{check, check_kept, Checker, Drift, DriftKind};
pub use stage::{Stager, STAGE_DIR};

use confine::{Disk, IoError, Unsafe};
use lock::{Entry, Lock, JOURNAL_FILE, LOCK_FILE};

/// The whole output, rendered in memory, plus any warnings.
#[derive(Debug)]
pub struct Generated {
    /// The output folder relative to the project root (`out`).
    pub out_dir: String,
    /// Every file of the output folder, `flinkgen.lock` included.
    pub files: Files,
    /// Each file's sha256 and the spec it comes from.
    pub owners: Owners,
    /// Each job's name and spec file.
    pub job_sources: std::collections::BTreeMap<String, String>,
    pub warnings: Vec<crate::diag::Diagnostic>,
    pub jobs: usize,
    /// Project files read besides the specs, with the sha256 of the bytes used: the render
    /// cache is only valid while they are unchanged.
    pub project_files: std::collections::BTreeMap<String, String>,
}

/// Files to write, by path relative to the output folder.
pub type Files = BTreeMap<String, String>;

/// Each output file's sha256 and the spec it comes from (`flinkgen.yaml` for shared files),
/// computed once when the file is rendered.
pub type Owners = BTreeMap<String, Entry>;

/// Owned files an incremental render did not render, which the render cache vouches are on
/// disk as the lock records them. Borrowed from the cache's records and sorted once: a map of
/// cloned paths, hashes and sources was a tenth of a one-spec render at 1,000 jobs.
#[derive(Debug, Default)]
pub struct Kept<'a> {
    /// Sorted by path; a path once (two specs never own one file: names are unique).
    files: Vec<lock::Line<'a>>,
}

impl<'a> Kept<'a> {
    pub fn new(files: impl IntoIterator<Item = lock::Line<'a>>) -> Self {
        let mut files: Vec<lock::Line<'a>> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        files.dedup_by(|later, earlier| later.0 == earlier.0);
        Kept { files }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.binary_search_by(|f| f.0.cmp(path)).is_ok()
    }

    /// The files in path order.
    pub fn lines(&self) -> impl Iterator<Item = lock::Line<'a>> + '_ {
        self.files.iter().copied()
    }
}

/// The owner entry of a rendered file.
pub fn owner(text: &str, source: &str) -> Entry {
    Entry {
        sha256: lock::sha256(text.as_bytes()),
        source: source.to_string(),
    }
}

/// The part of the output a run may touch: all of it, or the files of some specs (`--job`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub sources: Option<Vec<String>>,
}

impl Scope {
    fn contains(&self, source: &str) -> bool {
        self.sources
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == source))
    }
}

/// The lock for the rendered files, keeping the entries of out-of-scope files as they were.
pub fn lock_for(owners: &Owners, old: &Lock, scope: &Scope) -> Lock {
    let mut lock: Lock = old
        .iter()
        .filter(|(_, e)| !scope.contains(&e.source))
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect();
    for (path, e) in owners
        .iter()
        .filter(|(p, e)| *p != LOCK_FILE && scope.contains(&e.source))
    {
        lock.insert(path.clone(), e.clone());
    }
    lock
}

/// Why render refuses to touch a file (without `--force`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A file flinkgen would write exists but flinkgen did not write it.
    NotOwned(String),
    /// A file flinkgen wrote was changed since; its new bytes would be lost.
    HandEdited(String),
    /// Like HandEdited, for a file no spec produces any more (it would be deleted).
    HandEditedOrphan(String),
    /// The lock file cannot be read, so ownership is unknown.
    BadLock(String),
    /// A path flinkgen may not touch even with `--force`: a link, a folder or a device where
    /// it writes a file, or a lock entry outside the output folder.
    Unsafe(Unsafe),
}

impl Conflict {
    /// Whether `--force` may override it. Confinement is never overridden.
    pub fn forcible(&self) -> bool {
        !matches!(self, Conflict::Unsafe(_))
    }

    /// The path below the output folder it is about (empty: the output folder itself).
    pub fn path(&self) -> &str {
        match self {
            Conflict::NotOwned(p) | Conflict::HandEdited(p) | Conflict::HandEditedOrphan(p) => p,
            Conflict::BadLock(_) => LOCK_FILE,
            Conflict::Unsafe(u) => &u.path,
        }
    }

    /// The path as the user names it, below the output folder `out_name`.
    pub fn located(&self, out_name: &str) -> String {
        match self.path() {
            "" => out_name.to_string(),
            p => format!("{out_name}/{p}"),
        }
    }

    /// What is wrong with the path, and what render would have done to it.
    pub fn reason(&self) -> String {
        match self {
            Conflict::NotOwned(_) => {
                "exists but was not written by flinkgen; it would be overwritten".into()
            }
            Conflict::HandEdited(_) => {
                "was edited by hand since flinkgen wrote it; the edit would be lost".into()
            }
            Conflict::HandEditedOrphan(_) => {
                "is no longer produced by any spec and was edited by hand; it would be deleted"
                    .into()
            }
            Conflict::BadLock(why) => {
                format!("cannot be read ({why}); which files flinkgen owns is unknown")
            }
            Conflict::Unsafe(u) => format!("{}; flinkgen will not touch it", u.why),
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: usize,
    /// An interrupted earlier run was found and finished.
    pub recovered: bool,
    /// Rewritten workloads whose selector changed: they must be replaced once.
    pub reselected: Vec<String>,
    /// Size and modification time of each file written (the lock's aside), as written.
    pub stamps: Vec<(String, (u64, u128))>,
}

/// What a render would do, decided before anything is written.
#[derive(Debug, Default)]
struct Changes {
    write: Vec<String>,
    delete: Vec<String>,
    unchanged: usize,
    conflicts: Vec<Conflict>,
    reselected: Vec<String>,
}

impl Changes {
    /// A folder behind a link is reported once, not for every file in it.
    fn refuse(&mut self, u: Unsafe) {
        let c = Conflict::Unsafe(u);
        if !self.conflicts.contains(&c) {
            self.conflicts.push(c);
        }
    }
}

/// What the output folder says about ownership: the lock, and the journal of a run that was
/// interrupted before it could write the lock.
#[derive(Debug, Default)]
struct Owned {
    lock: Lock,
    journal: Option<Lock>,
    /// The size bound the lock was read with, which the survey reads it again with.
    max: u64,
}

/// The output folder must be a real folder (or missing); a link or a file there would carry
/// every write elsewhere.
fn real_out_dir(out_dir: &Path) -> Result<(), Conflict> {
    match std::fs::symlink_metadata(out_dir) {
        Ok(m) if !m.file_type().is_dir() => Err(Conflict::Unsafe(Unsafe {
            path: String::new(),
            why: "is not a folder (a file or a link); flinkgen writes only into a real folder"
                .into(),
        })),
        _ => Ok(()),
    }
}

/// Holds the output folder for this run (see `confine::RunLock`), saying so if it waits.
fn hold(out_dir: &Path, exclusive: bool) -> Option<confine::RunLock> {
    confine::RunLock::acquire(out_dir, exclusive, || {
        eprintln!(
            "waiting for another flinkgen run in {} to finish",
            out_dir.display()
        )
    })
}

/// The longest lock line of a file whose source is unknown: a sha256, a path of three names
/// of at most 255 bytes, and a spec path of at most `PATH_MAX`.
const MAX_LOCK_LINE: u64 = 64 + 2 + (3 * 255 + 2) + 2 + 4096 + 1;

/// How large the lock (and the journal) may be for this project. They list one line per owned
/// file, so one bound for every project would brick a large one after its first render (the
/// lock of 20,000 jobs in three environments is about 70 MB), while no bound at all would let
/// a committed lock of gigabytes exhaust memory. What a render writes for the files it
/// produces is known to the byte; owned files no spec produces any more are at most one line
/// per entry still under the output folder, which is counted only when the lock is that large.
fn lock_bound(out_dir: &Path, owners: &Owners, kept: &Kept) -> u64 {
    let size = |(p, _, source): lock::Line| (64 + 2 + p.len() + 2 + source.len() + 1) as u64;
    let produced = confine::MAX_FILE
        + kept.lines().map(size).sum::<u64>()
        + owners.iter().map(lock::line).map(size).sum::<u64>();
    let on_disk = [LOCK_FILE, JOURNAL_FILE]
        .iter()
        .filter_map(|f| std::fs::symlink_metadata(out_dir.join(f)).ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0);
    if on_disk <= produced {
        return produced;
    }
    produced + confine::count_entries(out_dir) * MAX_LOCK_LINE
}

impl Owned {
    fn load(out_dir: &Path, max: u64) -> Result<Owned, Conflict> {
        let lock = match confine::read_max(out_dir, LOCK_FILE, max).map_err(Conflict::Unsafe)? {
            Disk::Missing => Lock::new(),
            Disk::File(bytes) => {
                lock::parse(&String::from_utf8_lossy(&bytes)).map_err(Conflict::BadLock)?
            }
        };
        let journal =
            match confine::read_max(out_dir, JOURNAL_FILE, max).map_err(Conflict::Unsafe)? {
                Disk::Missing => None,
                Disk::File(bytes) => Some(lock::parse(&String::from_utf8_lossy(&bytes)).map_err(
                    |why| {
                        Conflict::BadLock(format!(
                            "{JOURNAL_FILE}, an interrupted run's journal: {why}"
                        ))
                    },
                )?),
            };
        Ok(Owned { lock, journal, max })
    }

    /// Whether flinkgen wrote these bytes at `path`: as the lock says, or as the interrupted
    /// run it finishes was writing them.
    fn wrote(&self, path: &str, disk: &[u8]) -> Option<bool> {
        self.wrote_sha(path, &lock::sha256(disk))
    }

    /// `wrote`, by the sha256 of the bytes on disk.
    fn wrote_sha(&self, path: &str, sha: &str) -> Option<bool> {
        let journal = self.journal.as_ref().and_then(|j| j.get(path));
        match (self.lock.get(path), journal) {
            (None, None) => None,
            (l, j) => {
                Some(l.is_some_and(|e| e.sha256 == sha) || j.is_some_and(|e| e.sha256 == sha))
            }
        }
    }

    /// Owned files that render might prune: those of the lock and of the journal (each once,
    /// the lock's entry first).
    fn entries(&self) -> impl Iterator<Item = (&String, &Entry)> {
        let journal = self.journal.iter().flatten();
        self.lock
            .iter()
            .chain(journal.filter(|(p, _)| !self.lock.contains_key(*p)))
    }
}

/// An owned file no spec produces any more, or a path flinkgen may not touch.
enum Found {
    /// Owned, produced by no spec any more; `ours` unless edited since.
    Orphan {
        path: String,
        disk: Vec<u8>,
        ours: bool,
    },
    Unsafe(Unsafe),
}

/// A chunk's files in `scope` (the lock aside: emit makes its own), each with what is on disk
/// at its path.
type OnDisk<'a> = Vec<((&'a str, &'a str), Result<Disk, Unsafe>)>;

fn on_disk<'a>(out_dir: &Path, files: &'a Files, owners: &Owners, scope: &Scope) -> OnDisk<'a> {
    let planned: Vec<(&str, &str)> = files
        .iter()
        .filter(|(p, _)| *p != LOCK_FILE && scope.contains(&owners[*p].source))
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let paths: Vec<&str> = planned.iter().map(|(p, _)| *p).collect();
    let disk = confine::read_all(out_dir, &paths);
    planned.into_iter().zip(disk).collect()
}

/// Owned files in `scope` that no spec produces any more (not `planned`), as on disk.
fn orphans(
    out_dir: &Path,
    owned: &Owned,
    planned: impl Fn(&str) -> bool,
    scope: &Scope,
) -> Vec<Found> {
    let mut found = Vec::new();
    for (path, e) in owned.entries() {
        if planned(path) || !scope.contains(&e.source) {
            continue;
        }
        match confine::read(out_dir, path) {
            Err(u) => found.push(Found::Unsafe(u)),
            Ok(Disk::Missing) => {}
            Ok(Disk::File(disk)) => {
                let ours = owned.wrote(path, &disk) == Some(true);
                found.push(Found::Orphan {
                    path: path.clone(),
                    disk,
                    ours,
                });
            }
        }
    }
    found
}

/// Writes the rendered tree: changed files through a temporary file and a rename (a reader
/// or a crash never sees a partial file), identical files untouched, orphans pruned, and the
/// lock updated last. Refuses, writing nothing, if that would clobber a file flinkgen does not
/// own or one edited by hand, unless `force`; refuses a path outside the output folder or
/// behind a link always.
///
/// Before the first change a journal of every file about to be written goes into the output
/// folder, and it is removed after the lock: a run killed in between leaves files the lock
/// does not know, and the journal is how the next run tells them from hand edits.
pub fn write(
    out_dir: &Path,
    files: &Files,
    owners: &Owners,
    scope: &Scope,
    force: bool,
) -> Result<WriteReport, WriteError> {
    write_kept(
        out_dir,
        files,
        owners,
        (&Kept::default(), None),
        scope,
        force,
    )
}

/// What an incremental render knows of the lock on disk from the render cache: the lock's
/// size and modification time as the cache recorded them, and its entries for every file
/// the render does not keep. While the lock is as recorded, that is all emit needs of it:
/// kept files are neither compared, written nor pruned.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    pub entries: Lock,
    pub lock: (u64, u128),
}

impl Prior {
    /// The owned files, when the lock (and no interrupted run's journal) is as recorded.
    fn owned(&self, out_dir: &Path, max: u64) -> Option<Owned> {
        let journal = std::fs::symlink_metadata(out_dir.join(JOURNAL_FILE)).is_ok();
        let same = confine::stamp(&out_dir.join(LOCK_FILE)) == Some(self.lock);
        (same && !journal).then(|| Owned {
            lock: self.entries.clone(),
            journal: None,
            max,
        })
    }
}

/// `write`, where `kept` are owned files an incremental render did not render: the render
/// cache vouches that they are on disk as the lock records them, so they are neither read,
/// written nor pruned, and stay in the lock. With `prior`, the lock is not read again while
/// it is as the cache recorded it (checked once this run holds the output folder).
pub fn write_kept(
    out_dir: &Path,
    files: &Files,
    owners: &Owners,
    (kept, prior): (&Kept, Option<&Prior>),
    scope: &Scope,
    force: bool,
) -> Result<WriteReport, WriteError> {
    let mut w = Stager::begin(out_dir, scope)?;
    w.add(files, owners)?;
    w.finish(owners, (kept, prior), force)
}

#[derive(Debug)]
pub enum WriteError {
    /// Files render may not touch without `--force`; nothing was written.
    Conflicts(Vec<Conflict>),
    Io(IoError),
}

/// The lock a run in `scope` leaves: its rendered files' entries, the kept files' and, out
/// of scope, the old lock's.
fn lock_text(owners: &Owners, kept: &Kept, old: &Lock, scope: &Scope) -> String {
    let kept = kept.lines().filter(|(_, _, source)| scope.contains(source));
    match scope.sources {
        // The whole project's lock is its owners: listed from them, not from a copy (the
        // owners of 10,000 jobs are tens of megabytes).
        None => {
            let rendered = owners.iter().filter(|(p, _)| *p != LOCK_FILE);
            lock::render_merged(rendered.map(lock::line), kept)
        }
        Some(_) => {
            let lock = lock_for(owners, old, scope);
            lock::render_merged(lock.iter().map(lock::line), kept)
        }
    }
}

/// Whether a rewritten workload changes its selector. Kubernetes refuses to change a
/// Deployment's or StatefulSet's selector, so `kubectl apply` of such a file fails until the
/// object is replaced once; render says so (after flinkgen moved its selectors to
/// `app.kubernetes.io/instance` and `app.kubernetes.io/component`, every standalone
/// Deployment once).
fn selector_changes(path: &str, disk: &[u8], text: &str) -> bool {
    if !(path.ends_with("-deployment.yaml") || path.ends_with("-statefulset.yaml")) {
        return false;
    }
    let selector = |text: &str| -> Option<serde_json::Value> {
        let v: serde_json::Value = crate::load::yaml::from_str(text).ok()?;
        matches!(v["kind"].as_str(), Some("Deployment" | "StatefulSet"))
            .then(|| v["spec"]["selector"].clone())
    };
    match (selector(&String::from_utf8_lossy(disk)), selector(text)) {
        (Some(old), Some(new)) => old != new,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
