//! `check`: the output folder compared with what render would leave there, file by file,
//! with a diff for each difference; nothing is written.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::confine::{self, Disk, RunLock};
use super::lock::LOCK_FILE;
use super::{
    hold, lock_bound, lock_text, on_disk, orphans, real_out_dir, Conflict, Files, Found, Kept,
    Owned, Owners, Scope,
};

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
    /// Render would refuse it: a link, folder or device where a file belongs, a lock entry
    /// outside the output folder, or a lock that cannot be read. Its content is not shown.
    Unsafe,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Drift {
    pub path: String,
    pub kind: DriftKind,
    pub diff: String,
}

/// Compares the output folder with what render would leave there, writing nothing and
/// reading nothing outside the output folder.
pub fn check(
    out_dir: &Path,
    out_name: &str,
    files: &Files,
    owners: &Owners,
    scope: &Scope,
) -> Vec<Drift> {
    check_kept(out_dir, out_name, files, owners, &Kept::default(), scope)
}

/// `check`, with files an incremental render kept (see `write_kept`).
pub fn check_kept(
    out_dir: &Path,
    out_name: &str,
    files: &Files,
    owners: &Owners,
    kept: &Kept,
    scope: &Scope,
) -> Vec<Drift> {
    let mut c = Checker::begin(out_dir, out_name, scope);
    c.add(files, owners);
    c.finish(owners, kept)
}

/// A check of a render that arrives in chunks (see `Stager`): each chunk is compared with the
/// output folder as it comes, and only its drifts are kept.
pub struct Checker {
    out_dir: PathBuf,
    out_name: String,
    scope: Scope,
    _run: Option<RunLock>,
    owned: Result<Owned, Conflict>,
    drifts: Vec<Drift>,
}

impl Checker {
    /// Holds the output folder (shared) and reads who owns what. The lock is read with the
    /// bound of a render that produces nothing: the files on disk (see `lock_bound`).
    pub fn begin(out_dir: &Path, out_name: &str, scope: &Scope) -> Checker {
        let run = hold(out_dir, false);
        let bound = lock_bound(out_dir, &Owners::new(), &Kept::default());
        Checker {
            out_dir: out_dir.to_path_buf(),
            out_name: out_name.to_string(),
            scope: scope.clone(),
            _run: run,
            owned: real_out_dir(out_dir).and_then(|_| Owned::load(out_dir, bound)),
            drifts: Vec::new(),
        }
    }

    /// Compares a chunk's files (those in scope; the lock is compared at the end).
    pub fn add(&mut self, files: &Files, owners: &Owners) {
        let Ok(owned) = &self.owned else { return };
        let pairs = on_disk(&self.out_dir, files, owners, &self.scope);
        let name = &self.out_name;
        let found = crate::par::map(&pairs, |((rel, text), disk)| {
            let drift = |kind, disk: Option<&[u8]>| Drift {
                path: format!("{name}/{rel}"),
                kind,
                diff: diff(name, rel, disk, Some(text)),
            };
            match disk {
                Err(u) => Some(unsafe_drift(name, Conflict::Unsafe(u.clone()))),
                Ok(Disk::Missing) => Some(drift(DriftKind::Missing, None)),
                Ok(Disk::File(d)) if d == text.as_bytes() => None,
                Ok(Disk::File(d)) => {
                    let kind = match owned.wrote(rel, d) {
                        Some(true) => DriftKind::Stale,
                        Some(false) => DriftKind::HandEdited,
                        None => DriftKind::NotOwned,
                    };
                    Some(drift(kind, Some(d)))
                }
            }
        });
        self.drifts.extend(found.into_iter().flatten());
    }

    /// The drifts: the files of every chunk and the lock in path order, then the orphans.
    pub fn finish(self, owners: &Owners, kept: &Kept) -> Vec<Drift> {
        // `_run` is bound, so the output folder stays held until the drifts are complete.
        let Checker {
            out_dir,
            out_name: name,
            scope,
            _run,
            owned,
            mut drifts,
        } = self;
        let owned = match owned {
            Ok(o) => o,
            Err(c) => return vec![unsafe_drift(&name, c)],
        };
        let lock_text = &lock_text(owners, kept, &owned.lock, &scope);
        let lock_drift = |kind, disk: Option<&[u8]>| Drift {
            path: format!("{name}/{LOCK_FILE}"),
            kind,
            diff: diff(&name, LOCK_FILE, disk, Some(lock_text)),
        };
        match confine::read_max(&out_dir, LOCK_FILE, owned.max) {
            Err(u) => drifts.push(unsafe_drift(&name, Conflict::Unsafe(u))),
            Ok(Disk::Missing) => drifts.push(lock_drift(DriftKind::Missing, None)),
            Ok(Disk::File(d)) if d == lock_text.as_bytes() => {}
            // The lock is always flinkgen's to rewrite.
            Ok(Disk::File(d)) => drifts.push(lock_drift(DriftKind::Stale, Some(&d))),
        }
        drifts.sort_by(|a, b| a.path.cmp(&b.path));
        let produced = |p: &str| owners.contains_key(p) || kept.contains(p);
        for f in orphans(&out_dir, &owned, produced, &scope) {
            drifts.push(match f {
                Found::Orphan { path, disk, .. } => Drift {
                    path: format!("{name}/{path}"),
                    kind: DriftKind::Orphaned,
                    diff: diff(&name, &path, Some(&disk), None),
                },
                Found::Unsafe(u) => unsafe_drift(&name, Conflict::Unsafe(u)),
            });
        }
        drifts.dedup_by(|a, b| a.kind == DriftKind::Unsafe && a.path == b.path && a.diff == b.diff);
        drifts
    }
}

/// An unsafe path's drift carries the reason where others carry a diff: it is printed with
/// the path, never with the content.
fn unsafe_drift(out_name: &str, c: Conflict) -> Drift {
    Drift {
        path: c.located(out_name),
        kind: DriftKind::Unsafe,
        diff: c.reason(),
    }
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
