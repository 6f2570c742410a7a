//! Stage 5, emit: write the rendered tree, or compare it with what is on disk (`--check`).
//! Nothing reaches this stage unless every job validated and rendered, so a bad spec never
//! leaves `out/` half-written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use similar::TextDiff;

pub mod lock;

use lock::{Entry, Lock, LOCK_FILE};

/// Files to write, by path relative to the output folder.
pub type Files = BTreeMap<String, String>;

/// Each output file's sha256 and the spec it comes from (`flinkgen.yaml` for shared files),
/// computed once when the file is rendered.
pub type Owners = BTreeMap<String, Entry>;

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
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conflict::NotOwned(p) => write!(
                f,
                "{p} exists but was not written by flinkgen; it would be overwritten"
            ),
            Conflict::HandEdited(p) => write!(
                f,
                "{p} was edited by hand since flinkgen wrote it; the edit would be lost"
            ),
            Conflict::HandEditedOrphan(p) => write!(
                f,
                "{p} is no longer produced by any spec and was edited by hand; it would be deleted"
            ),
            Conflict::BadLock(why) => write!(
                f,
                "{LOCK_FILE} cannot be read ({why}); which files flinkgen owns is unknown"
            ),
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: usize,
}

/// What a render would do, decided before anything is written.
#[derive(Debug, Default)]
struct Changes {
    write: Vec<String>,
    delete: Vec<String>,
    unchanged: usize,
    conflicts: Vec<Conflict>,
}

fn read(out_dir: &Path, rel: &str) -> Option<Vec<u8>> {
    std::fs::read(out_dir.join(rel)).ok()
}

fn old_lock(out_dir: &Path) -> Result<Lock, Conflict> {
    match read(out_dir, LOCK_FILE) {
        None => Ok(Lock::new()),
        Some(bytes) => lock::parse(&String::from_utf8_lossy(&bytes)).map_err(Conflict::BadLock),
    }
}

fn changes(out_dir: &Path, files: &Files, owners: &Owners, old: &Lock, scope: &Scope) -> Changes {
    let mut c = Changes::default();
    let in_scope: Vec<(&String, &String)> = files
        .iter()
        .filter(|(p, _)| *p == LOCK_FILE || scope.contains(&owners[*p].source))
        .collect();
    // Reading thousands of files dominates a no-op run; do it on all cores.
    let on_disk = crate::par::map(&in_scope, |(path, _)| read(out_dir, path));
    for ((path, text), disk) in in_scope.into_iter().zip(on_disk) {
        match disk {
            Some(disk) if disk == text.as_bytes() => c.unchanged += 1,
            None => c.write.push(path.clone()),
            Some(_) if path == LOCK_FILE => c.write.push(path.clone()),
            Some(disk) => match old.get(path) {
                Some(e) if e.sha256 == lock::sha256(&disk) => c.write.push(path.clone()),
                Some(_) => {
                    c.conflicts.push(Conflict::HandEdited(path.clone()));
                    c.write.push(path.clone());
                }
                None => {
                    c.conflicts.push(Conflict::NotOwned(path.clone()));
                    c.write.push(path.clone());
                }
            },
        }
    }
    for (path, e) in old {
        if files.contains_key(path) || !scope.contains(&e.source) {
            continue;
        }
        if let Some(disk) = read(out_dir, path) {
            if e.sha256 != lock::sha256(&disk) {
                c.conflicts.push(Conflict::HandEditedOrphan(path.clone()));
            }
            c.delete.push(path.clone());
        }
    }
    c
}

/// Writes the rendered tree: changed files through a temporary file and a rename (a reader
/// or a crash never sees a partial file), identical files untouched, orphans pruned, and the
/// lock updated. Refuses, writing nothing, if that would clobber a file flinkgen does not own
/// or one edited by hand, unless `force`.
pub fn write(
    out_dir: &Path,
    files: &Files,
    owners: &Owners,
    scope: &Scope,
    force: bool,
) -> Result<WriteReport, WriteError> {
    let old = match old_lock(out_dir) {
        Ok(l) => l,
        Err(c) if !force => return Err(WriteError::Conflicts(vec![c])),
        Err(_) => Lock::new(),
    };
    let files = with_lock(files, owners, &old, scope);
    let c = changes(out_dir, &files, owners, &old, scope);
    if !c.conflicts.is_empty() && !force {
        return Err(WriteError::Conflicts(c.conflicts));
    }
    apply(out_dir, &files, c).map_err(WriteError::Io)
}

#[derive(Debug)]
pub enum WriteError {
    /// Files render may not touch without `--force`; nothing was written.
    Conflicts(Vec<Conflict>),
    Io(std::io::Error),
}

/// The rendered files plus the lock a run in `scope` leaves behind.
fn with_lock(files: &Files, owners: &Owners, old: &Lock, scope: &Scope) -> Files {
    let mut files = files.clone();
    files.insert(
        LOCK_FILE.into(),
        lock::render(&lock_for(owners, old, scope)),
    );
    files
}

fn apply(out_dir: &Path, files: &Files, c: Changes) -> std::io::Result<WriteReport> {
    // A job folder holds several files; create each folder once.
    let mut made = std::collections::HashSet::new();
    for rel in &c.write {
        let dir = out_dir.join(rel);
        let dir = dir.parent().expect("output files live in a folder");
        if made.insert(dir.to_path_buf()) {
            std::fs::create_dir_all(dir)?;
        }
    }
    // Creating files is most of a first render's time; the file system takes them in parallel.
    let results = crate::par::map(&c.write, |rel| {
        let path = out_dir.join(rel);
        let dir = path.parent().expect("output files live in a folder");
        let file_name = path
            .file_name()
            .expect("output files have names")
            .to_string_lossy();
        let tmp = dir.join(format!(".{file_name}.flinkgen-tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(files[rel].as_bytes())?;
        drop(f);
        std::fs::rename(&tmp, &path)
    });
    for r in results {
        r?;
    }
    for rel in &c.delete {
        std::fs::remove_file(out_dir.join(rel))?;
        // Remove folders the prune emptied, up to the output folder itself.
        let mut dir = out_dir.join(rel).parent().map(Path::to_path_buf);
        while let Some(d) = dir.filter(|d| d != out_dir && d.starts_with(out_dir)) {
            if std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }
    let written = c.write;
    Ok(WriteReport {
        written,
        deleted: c.delete,
        unchanged: c.unchanged,
    })
}

/// How a file on disk differs from what render would leave there.
#[derive(Debug, PartialEq, Eq)]
pub enum DriftKind {
    Missing,
    Stale,
    /// Stale, and not as flinkgen wrote it: edited by hand, or never owned.
    HandEdited,
    NotOwned,
    /// No spec produces it any more; render would delete it.
    Orphaned,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Drift {
    pub path: String,
    pub kind: DriftKind,
    pub diff: String,
}

/// Compares the output folder with what render would leave there, writing nothing.
pub fn check(
    out_dir: &Path,
    out_name: &str,
    files: &Files,
    owners: &Owners,
    scope: &Scope,
) -> Vec<Drift> {
    let old = old_lock(out_dir).unwrap_or_default();
    let files = with_lock(files, owners, &old, scope);
    let mut drifts = Vec::new();
    for (rel, text) in &files {
        if rel != LOCK_FILE && !scope.contains(&owners[rel].source) {
            continue;
        }
        let disk = read(out_dir, rel);
        if disk.as_deref() == Some(text.as_bytes()) {
            continue;
        }
        let kind = match (&disk, old.get(rel)) {
            (None, _) => DriftKind::Missing,
            (Some(_), _) if rel == LOCK_FILE => DriftKind::Stale,
            (Some(d), Some(e)) if e.sha256 == lock::sha256(d) => DriftKind::Stale,
            (Some(_), Some(_)) => DriftKind::HandEdited,
            (Some(_), None) => DriftKind::NotOwned,
        };
        drifts.push(Drift {
            path: format!("{out_name}/{rel}"),
            kind,
            diff: diff(out_name, rel, disk.as_deref(), Some(text)),
        });
    }
    for (rel, e) in &old {
        if files.contains_key(rel) || !scope.contains(&e.source) {
            continue;
        }
        if let Some(disk) = read(out_dir, rel) {
            drifts.push(Drift {
                path: format!("{out_name}/{rel}"),
                kind: DriftKind::Orphaned,
                diff: diff(out_name, rel, Some(&disk), None),
            });
        }
    }
    drifts
}

fn diff(out_name: &str, rel: &str, old: Option<&[u8]>, new: Option<&str>) -> String {
    let shown = format!("{out_name}/{rel}");
    let before = old.map(String::from_utf8_lossy).unwrap_or_default();
    TextDiff::from_lines(before.as_ref(), new.unwrap_or(""))
        .unified_diff()
        .context_radius(3)
        .header(
            &if old.is_some() {
                format!("a/{shown}")
            } else {
                "/dev/null".into()
            },
            &if new.is_some() {
                format!("b/{shown}")
            } else {
                "/dev/null".into()
            },
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> (Files, Owners) {
        let f: Files = pairs
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let s: Owners = pairs
            .iter()
            .map(|(p, t)| (p.to_string(), owner(t, &format!("jobs/{}.yaml", &p[..1]))))
            .collect();
        (f, s)
    }

    #[test]
    fn writes_prunes_and_refuses_hand_edits() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let all = Scope::default();
        let (f, s) = files(&[("a/x.yaml", "one\n"), ("b/y.yaml", "two\n")]);
        assert_eq!(
            check(out, "out", &f, &s, &all).len(),
            3,
            "two files and the lock are missing"
        );
        let r = write(out, &f, &s, &all, false).unwrap();
        assert_eq!(r.written, vec!["a/x.yaml", "b/y.yaml", LOCK_FILE]);
        assert!(check(out, "out", &f, &s, &all).is_empty());

        // A hand edit is reported and protected.
        std::fs::write(out.join("a/x.yaml"), "edited\n").unwrap();
        let d = check(out, "out", &f, &s, &all);
        assert_eq!((d.len(), &d[0].kind), (1, &DriftKind::HandEdited));
        assert!(
            matches!(write(out, &f, &s, &all, false), Err(WriteError::Conflicts(c)) if c == vec![Conflict::HandEdited("a/x.yaml".into())])
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/x.yaml")).unwrap(),
            "edited\n"
        );
        write(out, &f, &s, &all, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/x.yaml")).unwrap(),
            "one\n"
        );

        // A job that is gone is pruned, with its folder; a foreign file is never touched.
        std::fs::write(out.join("b/notes.txt"), "mine").unwrap();
        let (f2, s2) = files(&[("a/x.yaml", "one\n")]);
        let d = check(out, "out", &f2, &s2, &all);
        assert!(d
            .iter()
            .any(|x| x.path == "out/b/y.yaml" && x.kind == DriftKind::Orphaned));
        let r = write(out, &f2, &s2, &all, false).unwrap();
        assert_eq!(r.deleted, vec!["b/y.yaml"]);
        assert!(out.join("b/notes.txt").exists());
        std::fs::remove_file(out.join("b/notes.txt")).unwrap();

        // A file flinkgen never wrote is not overwritten.
        let (f3, s3) = files(&[("a/x.yaml", "one\n"), ("c/z.yaml", "three\n")]);
        std::fs::create_dir_all(out.join("c")).unwrap();
        std::fs::write(out.join("c/z.yaml"), "someone else's\n").unwrap();
        assert!(
            matches!(write(out, &f3, &s3, &all, false), Err(WriteError::Conflicts(c)) if c == vec![Conflict::NotOwned("c/z.yaml".into())])
        );
    }

    #[test]
    fn a_scope_leaves_other_jobs_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let (f, s) = files(&[("a/x.yaml", "one\n"), ("b/y.yaml", "two\n")]);
        write(out, &f, &s, &Scope::default(), false).unwrap();
        let only_a = Scope {
            sources: Some(vec!["jobs/a.yaml".into()]),
        };
        let (f2, s2) = files(&[("a/x.yaml", "uno\n")]);
        let r = write(out, &f2, &s2, &only_a, false).unwrap();
        assert_eq!(
            (r.written.len(), r.deleted.len()),
            (2, 0),
            "a's file and the lock"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("b/y.yaml")).unwrap(),
            "two\n"
        );
        let lock = lock::parse(&std::fs::read_to_string(out.join(LOCK_FILE)).unwrap()).unwrap();
        assert_eq!(lock.len(), 2, "b's entry is kept");
    }
}
