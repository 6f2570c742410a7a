//! The write of a render that arrives in chunks. Each chunk's files are compared with the
//! output folder as they come; those to write wait in a staging folder inside it (so a
//! render holds one chunk's text, not the project's), and nothing is moved into place until
//! every chunk has rendered and every conflict is decided. A render that stops, or a run that
//! is killed before the journal, leaves the output folder as it was but for the staging
//! folder, which the next run removes.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::confine::{self, Disk, IoError, RunLock, Unsafe};
use super::lock::{self, JOURNAL_FILE, LOCK_FILE};
use super::{
    hold, lock_bound, lock_text, on_disk, orphans, real_out_dir, selector_changes, Changes,
    Conflict, Files, Found, Kept, Owned, Owners, Prior, Scope, WriteError, WriteReport,
};

/// The staging folder, below the output folder; it mirrors the output tree. Runs on one
/// output folder never overlap (the run lock), so one name serves every run.
pub const STAGE_DIR: &str = ".flinkgen-stage";

/// A path render writes or leaves, as found when its chunk arrived.
enum Seen {
    Same,
    /// Missing or different on disk (the sha256 of what is there); the new text waits at the
    /// same path in the staging folder.
    Write {
        path: String,
        disk: Option<String>,
        reselected: bool,
    },
    Unsafe(Unsafe),
}

/// A write in progress: holds the output folder from the first chunk to the last rename.
pub struct Stager {
    out_dir: PathBuf,
    scope: Scope,
    _run: Option<RunLock>,
    stage: PathBuf,
    /// The output folder did not exist: a render that stops removes it again.
    created: bool,
    seen: Vec<Seen>,
    /// Size and modification time of each staged file, which a rename keeps.
    stamps: Vec<(String, (u64, u128))>,
    finished: bool,
}

impl Stager {
    /// Takes the output folder (creating it) and an empty staging folder in it.
    pub fn begin(out_dir: &Path, scope: &Scope) -> Result<Stager, WriteError> {
        real_out_dir(out_dir).map_err(|c| WriteError::Conflicts(vec![c]))?;
        let created = std::fs::symlink_metadata(out_dir).is_err();
        confine::at(out_dir, std::fs::create_dir_all(out_dir)).map_err(WriteError::Io)?;
        let run = hold(out_dir, true);
        let stage = out_dir.join(STAGE_DIR);
        // A killed run's staging folder: removed whole, a link or file there only unlinked.
        let stale = std::fs::symlink_metadata(&stage);
        let removed = match stale {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&stage),
            Ok(_) => std::fs::remove_file(&stage),
            Err(_) => Ok(()),
        };
        confine::at(&stage, removed).map_err(WriteError::Io)?;
        confine::at(&stage, std::fs::create_dir(&stage)).map_err(WriteError::Io)?;
        Ok(Stager {
            out_dir: out_dir.to_path_buf(),
            scope: scope.clone(),
            _run: run,
            stage,
            created,
            seen: Vec::new(),
            stamps: Vec::new(),
            finished: false,
        })
    }

    /// Compares a chunk's files (those in scope; the lock is emit's own) with the output
    /// folder, staging each one to write.
    pub fn add(&mut self, files: &Files, owners: &Owners) -> Result<(), WriteError> {
        let pairs = on_disk(&self.out_dir, files, owners, &self.scope);
        let seen = crate::par::map(&pairs, |((path, text), disk)| match disk {
            Err(u) => Seen::Unsafe(u.clone()),
            Ok(Disk::File(d)) if d == text.as_bytes() => Seen::Same,
            Ok(disk) => Seen::Write {
                path: path.to_string(),
                disk: match disk {
                    Disk::File(d) => Some(lock::sha256(d)),
                    Disk::Missing => None,
                },
                reselected: matches!(disk, Disk::File(d) if selector_changes(path, d, text)),
            },
        });
        let to_stage: Vec<(&str, &str)> = pairs
            .iter()
            .zip(&seen)
            .filter(|(_, s)| matches!(s, Seen::Write { .. }))
            .map(|(((p, t), _), _)| (*p, *t))
            .collect();
        // A folder is created by the worker that stages its files: a first render's thousand
        // job folders are made on all cores, not one after another before the files.
        let mut folders: std::collections::BTreeMap<&str, Vec<(&str, &str)>> = Default::default();
        for (path, text) in &to_stage {
            folders
                .entry(parent(path).unwrap_or(""))
                .or_default()
                .push((path, text));
        }
        let folders: Vec<(&str, Vec<(&str, &str)>)> = folders.into_iter().collect();
        let staged = crate::par::map(&folders, |(dir, files)| {
            let at = self.stage.join(dir);
            confine::at(&at, std::fs::create_dir_all(&at))?;
            let stage = |(path, text): &(&str, &str)| {
                let stamp = stage_file(&self.stage.join(path), text.as_bytes())?;
                Ok((path.to_string(), stamp))
            };
            files.iter().map(stage).collect::<Result<Vec<_>, IoError>>()
        });
        for r in staged {
            self.stamps.extend(r.map_err(WriteError::Io)?);
        }
        self.seen.extend(seen);
        Ok(())
    }

    /// Decides, then moves the staged files into place, prunes and writes the lock (see
    /// `emit::write`). `owners` are every rendered file's; `kept`, with `prior`, as for
    /// `write_kept`.
    pub fn finish(
        mut self,
        owners: &Owners,
        (kept, prior): (&Kept, Option<&Prior>),
        force: bool,
    ) -> Result<WriteReport, WriteError> {
        let out_dir = self.out_dir.clone();
        let max = lock_bound(&out_dir, owners, kept);
        let known = prior.and_then(|p| p.owned(&out_dir, max)).ok_or(());
        let owned = match known.or_else(|_| Owned::load(&out_dir, max)) {
            Ok(o) => o,
            Err(c) if !force || !c.forcible() => return Err(WriteError::Conflicts(vec![c])),
            Err(_) => Owned {
                max,
                ..Owned::default()
            },
        };
        let lock_text = lock_text(owners, kept, &owned.lock, &self.scope);
        let (c, staged) = self.changes(owners, kept, &owned, &lock_text);
        let refused: Vec<Conflict> = c
            .conflicts
            .iter()
            .filter(|x| !force || !x.forcible())
            .cloned()
            .collect();
        if !refused.is_empty() {
            return Err(WriteError::Conflicts(refused));
        }
        let interrupted: Vec<String> = owned
            .journal
            .iter()
            .flat_map(|j| j.keys().cloned())
            .collect();
        let report = self.apply(owners, c, &staged, &lock_text, &interrupted);
        self.finished = report.is_ok();
        report.map_err(WriteError::Io)
    }

    /// What the run would do: every staged file with who wrote what it replaces, the lock,
    /// and the orphans; with the staged paths, sorted.
    fn changes(
        &mut self,
        owners: &Owners,
        kept: &Kept,
        owned: &Owned,
        lock_text: &str,
    ) -> (Changes, Vec<String>) {
        let scope = &self.scope;
        let mut c = Changes {
            unchanged: kept.lines().filter(|(_, _, s)| scope.contains(s)).count(),
            ..Changes::default()
        };
        let mut staged = Vec::new();
        for s in std::mem::take(&mut self.seen) {
            match s {
                Seen::Same => c.unchanged += 1,
                Seen::Unsafe(u) => c.refuse(u),
                Seen::Write {
                    path,
                    disk,
                    reselected,
                } => {
                    if let Some(sha) = disk {
                        match owned.wrote_sha(&path, &sha) {
                            Some(true) => {}
                            Some(false) => c.conflicts.push(Conflict::HandEdited(path.clone())),
                            None => c.conflicts.push(Conflict::NotOwned(path.clone())),
                        }
                    }
                    if reselected {
                        c.reselected.push(path.clone());
                    }
                    staged.push(path);
                }
            }
        }
        match confine::read_max(&self.out_dir, LOCK_FILE, owned.max) {
            Err(u) => c.refuse(u),
            Ok(Disk::File(d)) if d == lock_text.as_bytes() => c.unchanged += 1,
            Ok(_) => c.write.push(LOCK_FILE.to_string()),
        }
        let planned = |p: &str| owners.contains_key(p) || kept.contains(p);
        for f in orphans(&self.out_dir, owned, planned, scope) {
            match f {
                Found::Orphan { path, ours, .. } => {
                    if !ours {
                        c.conflicts.push(Conflict::HandEditedOrphan(path.clone()));
                    }
                    c.delete.push(path);
                }
                Found::Unsafe(u) => c.refuse(u),
            }
        }
        staged.sort();
        (c, staged)
    }

    fn apply(
        &self,
        owners: &Owners,
        c: Changes,
        staged: &[String],
        lock_text: &str,
        interrupted: &[String],
    ) -> Result<WriteReport, IoError> {
        let out_dir = &self.out_dir;
        // A run killed while it wrote the journal or the lock leaves their temporary files and
        // no journal naming them: those two are always swept.
        confine::remove_stale_temps_in(out_dir, "", &[JOURNAL_FILE, LOCK_FILE]);
        if !staged.is_empty() || !c.delete.is_empty() {
            let journal = lock::render_merged(
                (staged.iter())
                    .map(|p| lock::line(owners.get_key_value(p).expect("staged files are owned"))),
                std::iter::empty(),
            );
            confine::replace(out_dir, JOURNAL_FILE, journal.as_bytes())?;
        }
        // The files an interrupted run was writing may have temporary files beside them.
        for rel in interrupted {
            confine::remove_stale_temps(out_dir, rel);
        }
        let files = self.move_folders(staged)?;
        // Renames between folders are serialised by the kernel (they take the file system's
        // s_vfs_rename_mutex: Linux Documentation/filesystems/directory-locking.rst); these
        // are the files of folders that exist already, usually few.
        for rel in files {
            let target = out_dir.join(rel);
            confine::at(&target, std::fs::rename(self.stage.join(rel), &target))?;
        }
        for rel in &c.delete {
            let path = out_dir.join(rel);
            confine::at(&path, std::fs::remove_file(&path))?;
            // Remove folders the prune emptied, up to the output folder itself.
            let mut dir = path.parent().map(Path::to_path_buf);
            while let Some(d) = dir.filter(|d| d != out_dir && d.starts_with(out_dir)) {
                if std::fs::remove_dir(&d).is_err() {
                    break;
                }
                dir = d.parent().map(Path::to_path_buf);
            }
        }
        // The lock goes last: until it is in place, the journal vouches for the new files.
        if !c.write.is_empty() {
            confine::replace(out_dir, LOCK_FILE, lock_text.as_bytes())?;
        }
        let journal = out_dir.join(JOURNAL_FILE);
        match std::fs::remove_file(&journal) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => confine::at(&journal, Err(e))?,
            _ => {}
        }
        let mut written: Vec<String> = staged.to_vec();
        written.extend(c.write);
        // Every staged file was moved: its stamp is the written file's.
        Ok(WriteReport {
            stamps: self.stamps.clone(),
            written,
            deleted: c.delete,
            unchanged: c.unchanged,
            recovered: !interrupted.is_empty(),
            reselected: c.reselected,
        })
    }
}

impl Stager {
    /// Moves each staged folder whose place in the output folder is free, whole: a job's
    /// folder in a first render is one rename, not one per file. The files of folders that
    /// exist are left to move one by one, and returned.
    fn move_folders<'a>(&self, staged: &'a [String]) -> Result<Vec<&'a str>, IoError> {
        let dirs: std::collections::BTreeSet<&str> =
            staged.iter().filter_map(|p| parent(p)).collect();
        let mut moved: std::collections::HashSet<&str> = Default::default();
        // Sorted, a folder comes before the folders inside it.
        for d in dirs {
            if ancestors(d).any(|a| moved.contains(a)) {
                continue;
            }
            let target = self.out_dir.join(d);
            if std::fs::symlink_metadata(&target).is_ok() {
                continue;
            }
            if let Some(up) = target.parent() {
                confine::at(up, std::fs::create_dir_all(up))?;
            }
            confine::at(&target, std::fs::rename(self.stage.join(d), &target))?;
            moved.insert(d);
        }
        Ok(staged
            .iter()
            .map(String::as_str)
            .filter(|p| !parent(p).is_some_and(|d| ancestors(d).any(|a| moved.contains(a))))
            .collect())
    }
}

/// The folder of an output path (every output file lives in one).
fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(d, _)| d)
}

/// A folder and the folders above it, below the output folder: `a/b` gives `a/b`, `a`.
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(dir), |d| parent(d))
}

impl Drop for Stager {
    /// The staging folder never outlives the run; nor does an output folder the run created
    /// and did not fill.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.stage);
        if self.created && !self.finished {
            let _ = std::fs::remove_dir(&self.out_dir);
        }
    }
}

/// A staged file: created new (a link planted at its name makes it fail, never followed).
/// Its size and modification time, from the open file, for the render cache.
fn stage_file(path: &Path, bytes: &[u8]) -> Result<(u64, u128), IoError> {
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.metadata()
        });
    let m = confine::at(path, written)?;
    Ok((
        m.len(),
        confine::nanos(m.mtime(), m.mtime_nsec()).unwrap_or(0),
    ))
}
