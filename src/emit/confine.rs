//! Confinement: every path emit reads, writes or deletes is a file below the output folder,
//! reached without following a symbolic link. The lock and the journal are committed files a
//! pull request can edit, so their entries are checked before they name anything; links are
//! refused because git stores them and a planted `out/<job> -> ../../x` would carry writes
//! anywhere. `--force` overrides ownership, never confinement.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Larger files under out/ are not flinkgen's: the largest manifest it writes is far smaller,
/// and comparing must not read an arbitrary file whole.
pub const MAX_FILE: u64 = 4 << 20;

/// Whether `rel` may name a file flinkgen owns: relative, `/`-separated, normalized, at most
/// `<environment>/<job>/<file>` deep, with a name flinkgen writes.
pub fn owned_path(rel: &str) -> Result<(), String> {
    if rel.is_empty() {
        return Err("the path is empty".into());
    }
    if rel.starts_with('/') || rel.contains('\\') || rel.contains(':') {
        return Err(format!(
            "`{rel}` is not a relative path inside the output folder"
        ));
    }
    if rel.chars().any(char::is_control) {
        return Err("the path contains control characters".into());
    }
    if rel
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == ".." || p.starts_with('.'))
    {
        return Err(format!(
            "`{rel}` is not a normalized path inside the output folder (no `..`, `.`, empty or hidden parts)"
        ));
    }
    let depth = rel.split('/').count();
    if depth > 3 {
        return Err(format!(
            "`{rel}` is deeper than flinkgen writes (<environment>/<job>/<file>)"
        ));
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let known = depth >= 2
        && (name == "Dockerfile"
            || name == crate::derive::wiring::SQL_RUNNER_SOURCE
            || name.ends_with(".yaml"));
    if !known {
        return Err(format!(
            "`{rel}` is not a kind of file flinkgen writes (a Dockerfile, a .yaml manifest or the SQL runner's source in a job folder)"
        ));
    }
    Ok(())
}

/// Why a path under the output folder may not be touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe {
    /// Relative to the output folder.
    pub path: String,
    pub why: String,
}

/// A file below the output folder as emit sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Disk {
    Missing,
    File(Vec<u8>),
}

fn kind(m: &Metadata) -> &'static str {
    if m.file_type().is_symlink() {
        "a symbolic link (flinkgen never follows links in its output folder)"
    } else {
        crate::load::input::what(m.file_type())
    }
}

/// Walks the folders `parts` below `base`: each must be a real folder or missing. Returns
/// whether all exist, or the first part that is something else (as `a/b`) and what it is.
fn real_folders(base: &Path, parts: &[&str]) -> Result<bool, (String, String)> {
    let mut at = base.to_path_buf();
    for (n, part) in parts.iter().enumerate() {
        at.push(part);
        let shown = || parts[..=n].join("/");
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) => return Err((shown(), format!("is {}", kind(&m)))),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err((shown(), format!("cannot be inspected: {e}"))),
        }
    }
    Ok(true)
}

/// Checks the folders on the way to `rel` (not `rel` itself): each is missing or a real
/// folder. Returns whether all of them exist.
pub fn folders(out_dir: &Path, rel: &str) -> Result<bool, Unsafe> {
    folder(out_dir, rel.rsplit_once('/').map_or("", |(d, _)| d))
}

/// `folders` of the folder `dir` itself (`a/b`; empty for the output folder).
fn folder(out_dir: &Path, dir: &str) -> Result<bool, Unsafe> {
    let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    real_folders(out_dir, &parts).map_err(|(path, what)| Unsafe {
        path,
        why: format!("{what}, where flinkgen writes a folder"),
    })
}

/// Reads a file below the output folder without following a link on the way.
pub fn read(out_dir: &Path, rel: &str) -> Result<Disk, Unsafe> {
    read_max(out_dir, rel, MAX_FILE)
}

/// `read` of a file that may be larger than `MAX_FILE`: the lock and the journal, whose size
/// grows with the project (see `emit::lock_bound`).
pub fn read_max(out_dir: &Path, rel: &str, max: u64) -> Result<Disk, Unsafe> {
    if !folders(out_dir, rel)? {
        return Ok(Disk::Missing);
    }
    read_file(out_dir, rel, max)
}

/// How many entries (files, folders, anything) lie below the output folder, at most three
/// levels deep as flinkgen writes them, without following links.
pub fn count_entries(out_dir: &Path) -> u64 {
    walkdir::WalkDir::new(out_dir)
        .max_depth(3)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .count() as u64
}

/// `read` for many files: each folder on the way is inspected once, the files on all cores.
pub fn read_all(out_dir: &Path, rels: &[&str]) -> Vec<Result<Disk, Unsafe>> {
    let mut dirs: Vec<&str> = (rels.iter())
        .filter_map(|rel| rel.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    // One stat per folder part: a first render's thousand job folders are checked on all cores.
    let checked = crate::par::map(&dirs, |d| folder(out_dir, d));
    let state: std::collections::HashMap<&str, Result<bool, Unsafe>> =
        dirs.into_iter().zip(checked).collect();
    crate::par::map(rels, |rel| {
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        match state.get(dir) {
            Some(Err(u)) => Err(u.clone()),
            Some(Ok(false)) => Ok(Disk::Missing),
            _ => read_file(out_dir, rel, MAX_FILE),
        }
    })
}

/// A file whose folders were checked. `O_NOFOLLOW` refuses a link as the last part, and the
/// opened file itself is inspected, so nothing can be swapped in between a check and the read;
/// `O_NONBLOCK` keeps a planted pipe from stalling the open.
fn read_file(out_dir: &Path, rel: &str, max: u64) -> Result<Disk, Unsafe> {
    let unsafe_ = |why: String| Unsafe {
        path: rel.to_string(),
        why,
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(out_dir.join(rel));
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Disk::Missing),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(unsafe_(
                "is a symbolic link (flinkgen never follows links in its output folder)".into(),
            ))
        }
        Err(e) => return Err(unsafe_(format!("cannot be read: {e}"))),
    };
    let m = file
        .metadata()
        .map_err(|e| unsafe_(format!("cannot be inspected: {e}")))?;
    if !m.file_type().is_file() {
        return Err(unsafe_(format!(
            "is {}, where flinkgen writes a file",
            kind(&m)
        )));
    }
    if m.nlink() > 1 {
        return Err(unsafe_(
            "has other hard links (it may be a file outside the output folder)".into(),
        ));
    }
    if m.len() > max {
        return Err(unsafe_(format!(
            "is {} bytes, larger than flinkgen writes it for this project (at most {max})",
            m.len()
        )));
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unsafe_(format!("cannot be read: {e}")))?;
    Ok(Disk::File(bytes))
}

/// An I/O failure, with the path it happened on.
#[derive(Debug)]
pub struct IoError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.error)
    }
}

/// Size and modification time (ns since the epoch) of a regular file; `None` for anything
/// else, a link planted where a file was included. What the render cache trusts a file by.
pub fn stamp(path: &Path) -> Option<(u64, u128)> {
    use std::os::unix::ffi::OsStrExt;
    stat_at(libc::AT_FDCWD, path.as_os_str().as_bytes())
}

/// A modification time as the stat calls give it, in ns since the epoch (`None` before it).
pub fn nanos(secs: i64, nsec: i64) -> Option<u128> {
    Some(u128::try_from(secs).ok()? * 1_000_000_000 + u128::try_from(nsec).ok()?)
}

/// Stamps of many files below one folder, looked up from folder descriptors. A probe of the
/// render cache stats every output file (6,000 at 1,000 jobs); from the file's own folder the
/// kernel walks one path part instead of the whole absolute path, and that walk was the
/// largest single cost of rendering after a one-spec edit (perf: `path_lookupat` ~19 % of
/// the samples).
pub struct Stamper {
    base: std::os::fd::OwnedFd,
}

impl Stamper {
    /// `None` when `dir` cannot be opened: a caller treats that as "nothing matches".
    pub fn open(dir: &Path) -> Option<Self> {
        use std::os::unix::ffi::OsStrExt;
        let base = open_dir(libc::AT_FDCWD, dir.as_os_str().as_bytes(), 0)?;
        Some(Stamper { base })
    }

    /// The stamp of `rel` (a `/`-separated path below the folder), as `stamp` gives it; a link
    /// as the last part is no file.
    pub fn stamp(&self, rel: &str) -> Option<(u64, u128)> {
        use std::os::fd::AsRawFd;
        stat_at(self.base.as_raw_fd(), rel.as_bytes())
    }

    /// Whether every file has the stamp given. Files of one folder in a row share one
    /// descriptor of it, opened without following a link at its last part.
    pub fn all_match<'a>(&self, files: impl IntoIterator<Item = (&'a str, (u64, u128))>) -> bool {
        use std::os::fd::AsRawFd;
        let mut folder: Option<(&str, std::os::fd::OwnedFd)> = None;
        for (rel, want) in files {
            let found = match rel.rsplit_once('/') {
                None => self.stamp(rel),
                Some((parent, name)) => {
                    if folder.as_ref().map(|(p, _)| *p) != Some(parent) {
                        let Some(fd) =
                            open_dir(self.base.as_raw_fd(), parent.as_bytes(), libc::O_NOFOLLOW)
                        else {
                            return false;
                        };
                        folder = Some((parent, fd));
                    }
                    let fd = folder.as_ref().map(|(_, fd)| fd.as_raw_fd());
                    fd.and_then(|fd| stat_at(fd, name.as_bytes()))
                }
            };
            if found != Some(want) {
                return false;
            }
        }
        true
    }
}

fn open_dir(base: i32, name: &[u8], flags: i32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: name is NUL-terminated; a returned descriptor is owned by nobody else.
    let fd = unsafe {
        libc::openat(
            base,
            name.as_ptr(),
            flags | libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    // SAFETY: fd was just opened and is valid.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

fn stat_at(dir: i32, name: &[u8]) -> Option<(u64, u128)> {
    let name = std::ffi::CString::new(name).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: name is NUL-terminated and st is large enough for what fstatat writes.
    let rc = unsafe {
        libc::fstatat(
            dir,
            name.as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: fstatat succeeded, so it filled st.
    let st = unsafe { st.assume_init() };
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    let mtime = nanos(st.st_mtime, st.st_mtime_nsec)?;
    Some((u64::try_from(st.st_size).ok()?, mtime))
}

pub fn at<T>(path: &Path, r: std::io::Result<T>) -> Result<T, IoError> {
    r.map_err(|error| IoError {
        path: path.to_path_buf(),
        error,
    })
}

static SERIAL: AtomicU64 = AtomicU64::new(0);

/// The prefix of the temporary names flinkgen gives `name` while writing it.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.flinkgen-tmp-")
}

/// Replaces `dir/name` with `bytes` through a fresh temporary file and a rename, so a reader
/// or a crash never sees a partial file. The temporary name is unique to this process and
/// created exclusively: a link planted at it makes the write fail instead of being followed.
pub fn replace(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), IoError> {
    let tmp = dir.join(format!(
        "{}{}-{}",
        temp_prefix(name),
        std::process::id(),
        SERIAL.fetch_add(1, Ordering::Relaxed)
    ));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return at(&tmp, Err(e));
    }
    let target = dir.join(name);
    let renamed = std::fs::rename(&tmp, &target);
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    at(&target, renamed)
}

/// Removes temporary files an interrupted run left beside `rel`; only regular files with
/// flinkgen's temporary prefix are touched.
pub fn remove_stale_temps(out_dir: &Path, rel: &str) {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    remove_stale_temps_in(out_dir, dir, &[name]);
}

/// `remove_stale_temps` of the files `names` of the folder `dir` (`""` for the output folder
/// itself), listing it once: the output folder holds a folder per job.
pub fn remove_stale_temps_in(out_dir: &Path, dir: &str, names: &[&str]) {
    if !matches!(folder(out_dir, dir), Ok(true)) {
        return;
    }
    let prefixes: Vec<String> = names.iter().map(|n| temp_prefix(n)).collect();
    let Ok(entries) = std::fs::read_dir(out_dir.join(dir)) else {
        return;
    };
    for e in entries.flatten() {
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        let name = e.file_name();
        let name = name.to_string_lossy();
        if is_file && prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The output folder itself, and every folder between the project root and it: each is a
/// real folder or missing (a link would carry every write elsewhere).
pub fn out_dir(root: &Path, out_rel: &str) -> Result<(), String> {
    let parts: Vec<&str> = out_rel.split('/').collect();
    real_folders(root, &parts)
        .map(|_| ())
        .map_err(|(path, what)| format!("{path} {what}, where flinkgen keeps its output folder"))
}

/// Holds the output folder for one run: renders take it exclusively, checks shared, so two
/// runs on one project never interleave their writes. The kernel drops it when the process
/// ends, however it ends, so a killed run leaves nothing to clean up.
pub struct RunLock {
    _dir: File,
}

impl RunLock {
    /// Waits for other runs, saying so once. `None` when the folder cannot be opened (it is
    /// missing: a check then has nothing to compare and a render creates it first) or its
    /// file system has no locks (some network file systems): the run then goes unguarded,
    /// as it would without this lock.
    pub fn acquire(out_dir: &Path, exclusive: bool, waiting: impl FnOnce()) -> Option<RunLock> {
        let dir = File::open(out_dir).ok()?;
        let first = if exclusive {
            dir.try_lock()
        } else {
            dir.try_lock_shared()
        };
        match first {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                waiting();
                let locked = if exclusive {
                    dir.lock()
                } else {
                    dir.lock_shared()
                };
                locked.ok()?;
            }
            Err(std::fs::TryLockError::Error(_)) => return None,
        }
        Some(RunLock { _dir: dir })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_paths_stay_inside_and_are_known_kinds() {
        for ok in [
            "orders/Dockerfile",
            "orders/configmap.yaml",
            "prod/orders/jobmanager-job.yaml",
            "prod/kustomization.yaml",
        ] {
            assert_eq!(owned_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../jobs/a.yaml",
            "a/../../b.yaml",
            "a/./b.yaml",
            "a//b.yaml",
            "a\\b.yaml",
            "C:/x.yaml",
            "Dockerfile",
            "a/.git/config.yaml",
            "a/b/c/d.yaml",
            "a/notes.txt",
            "a/b\n.yaml",
            "flinkgen.lock",
        ] {
            assert!(owned_path(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn links_and_special_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("x.yaml"), "secret").unwrap();
        std::os::unix::fs::symlink(&outside, out.join("job")).unwrap();
        let e = read(&out, "job/x.yaml").unwrap_err();
        assert_eq!(e.path, "job");
        assert!(e.why.contains("symbolic link"), "{}", e.why);

        std::fs::create_dir_all(out.join("b")).unwrap();
        std::os::unix::fs::symlink(outside.join("x.yaml"), out.join("b/y.yaml")).unwrap();
        assert_eq!(read(&out, "b/y.yaml").unwrap_err().path, "b/y.yaml");
        assert_eq!(read(&out, "c/z.yaml"), Ok(Disk::Missing));

        // A link planted at a temporary name is not followed.
        std::os::unix::fs::symlink(outside.join("x.yaml"), out.join("b/.z.yaml.flinkgen-tmp-1"))
            .unwrap();
        replace(&out.join("b"), "z.yaml", b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.join("x.yaml")).unwrap(),
            "secret"
        );
        remove_stale_temps(&out, "b/z.yaml");
        assert!(
            std::fs::symlink_metadata(out.join("b/.z.yaml.flinkgen-tmp-1")).is_ok(),
            "links are not removed either"
        );
    }

    #[test]
    fn stamps_from_folders_are_the_stamps_of_paths_and_never_follow_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(out.join("a")).unwrap();
        std::fs::create_dir_all(out.join("prod/b")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        for (rel, text) in [
            ("a/x.yaml", "x"),
            ("a/y.yaml", "yy"),
            ("prod/b/z.yaml", "zzz"),
        ] {
            std::fs::write(out.join(rel), text).unwrap();
        }
        std::fs::write(out.join("top.yaml"), "t").unwrap();
        std::fs::write(outside.join("x.yaml"), "x").unwrap();
        let at = Stamper::open(&out).unwrap();
        let all = ["a/x.yaml", "a/y.yaml", "prod/b/z.yaml", "top.yaml"];
        // Expected as the standard library reads them, not through the same stat call.
        let of = |rel: &str| {
            let m = std::fs::symlink_metadata(out.join(rel)).unwrap();
            let since = m.modified().unwrap().duration_since(std::time::UNIX_EPOCH);
            (m.len(), since.unwrap().as_nanos())
        };
        let stamps: Vec<(&str, (u64, u128))> = all.iter().map(|rel| (*rel, of(rel))).collect();
        for (rel, st) in &stamps {
            assert_eq!(stamp(&out.join(rel)), Some(*st), "{rel}");
        }
        for (rel, st) in &stamps {
            assert_eq!(at.stamp(rel), Some(*st), "{rel}");
        }
        assert!(at.all_match(stamps.iter().copied()));
        assert!(at.all_match(std::iter::empty()));
        let mut wrong = stamps.clone();
        wrong[1].1 .0 += 1;
        assert!(!at.all_match(wrong.iter().copied()), "a size differs");
        assert!(!at.all_match([("a/missing.yaml", stamps[0].1)]));
        // A folder or a file replaced by a link to an equal file is no match.
        std::fs::rename(out.join("a"), dir.path().join("a-moved")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a-moved"), out.join("a")).unwrap();
        assert!(
            !at.all_match(stamps[..1].iter().copied()),
            "a linked folder"
        );
        std::fs::remove_file(out.join("top.yaml")).unwrap();
        std::os::unix::fs::symlink(out.join("prod/b/z.yaml"), out.join("top.yaml")).unwrap();
        assert_eq!(at.stamp("top.yaml"), None, "a linked file");
        assert!(Stamper::open(&dir.path().join("none")).is_none());
    }
}
