//! The render cache: when the inputs, the flinkgen build and the files in the output folder
//! are all as the last successful render left them, `render` and `check` have nothing to do,
//! and say so without loading, rendering or reading back a single output file. That keeps a
//! pre-commit hook on a large repository fast.
//!
//! The cache lives outside the project (`$XDG_CACHE_HOME/flinkgen` or `~/.cache/flinkgen`), so
//! it is never committed, and is keyed by the project's absolute path. It records a
//! fingerprint of the build and of every input file, the warnings to show again, and the size
//! and modification time of every output file. Any difference is a miss, and a miss only
//! costs the normal render.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::load::{self, project::ProjectSpec};

const VERSION_LINE: &str = "flinkgen render cache 2";

/// What a cache hit reports, as the full render would have.
#[derive(Debug, PartialEq, Eq)]
pub struct Hit {
    pub out_dir: String,
    pub jobs: usize,
    pub files: usize,
    /// The warning report of the render the cache was written by.
    pub warnings: String,
}

/// The cache, when the inputs, the build and the output folder are unchanged since it was
/// written.
pub fn probe(root: &Path) -> Option<Hit> {
    let (fingerprint, out_dir) = fingerprint(root)?;
    let text = std::fs::read_to_string(cache_file(root)?).ok()?;
    let mut lines = text.split('\n');
    if lines.next()? != VERSION_LINE || lines.next()? != fingerprint {
        return None;
    }
    // Project files besides the specs (ConfigMap volumes): found only by reading the specs,
    // so the last render lists them, and each must still hash the same.
    let file_lines: usize = lines.next()?.parse().ok()?;
    for _ in 0..file_lines {
        let (sha, path) = lines.next()?.split_once(' ')?;
        let text = load::input::read(root, path, Some(&out_dir)).ok()?;
        if crate::hash::sha256(text.as_bytes()) != sha {
            return None;
        }
    }
    let jobs: usize = lines.next()?.parse().ok()?;
    let warning_lines: usize = lines.next()?.parse().ok()?;
    let mut warnings = String::new();
    for _ in 0..warning_lines {
        warnings.push_str(lines.next()?);
        warnings.push('\n');
    }
    let out = root.join(&out_dir);
    let mut files = 0;
    for line in lines.filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, ' ');
        let (size, mtime, path) = (parts.next()?, parts.next()?, parts.next()?);
        if stamp(&out.join(path))? != (size.parse().ok()?, mtime.parse().ok()?) {
            return None;
        }
        files += 1;
    }
    Some(Hit {
        out_dir,
        jobs,
        files,
        warnings,
    })
}

/// Records a successful render whose inputs had `fingerprint`. Best effort: a cache that
/// cannot be written only means the next run renders again.
pub fn store(root: &Path, fingerprint: &str, g: &crate::emit::Generated, warnings: &str) {
    let Some(file) = cache_file(root) else { return };
    let out = root.join(&g.out_dir);
    let mut text = format!("{VERSION_LINE}\n{fingerprint}\n{}\n", g.project_files.len());
    for (path, sha) in &g.project_files {
        text.push_str(&format!("{sha} {path}\n"));
    }
    text.push_str(&format!("{}\n", g.jobs));
    let warning_lines: Vec<&str> = warnings.lines().collect();
    text.push_str(&format!("{}\n", warning_lines.len()));
    for l in warning_lines {
        text.push_str(l);
        text.push('\n');
    }
    for path in g.files.keys() {
        let Some((size, mtime)) = stamp(&out.join(path)) else {
            return;
        };
        text.push_str(&format!("{size} {mtime} {path}\n"));
    }
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = file.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, &file);
    }
}

/// Removes the cache of `root`, so that the next run renders in full.
pub fn forget(root: &Path) {
    if let Some(f) = cache_file(root) {
        let _ = std::fs::remove_file(f);
    }
}

/// A hash of the flinkgen build and of every file the loader reads, and the output folder.
/// `None` when the project file cannot be read: the full run reports why.
pub fn fingerprint(root: &Path) -> Option<(String, String)> {
    let mut h = crate::hash::Parts::default();
    h.add(env!("FLINKGEN_BUILD_ID"))
        .add(env!("CARGO_PKG_VERSION"));
    // The same checked reader as the loader: a pipe, a device or a huge file at an input's
    // path makes a miss, and the full run reports it.
    let project = match std::fs::symlink_metadata(root.join(load::PROJECT_FILE)) {
        Ok(_) => {
            let text = load::input::read(root, load::PROJECT_FILE, None).ok()?;
            h.add(&text);
            load::yaml::from_str::<ProjectSpec>(&text).ok()?
        }
        Err(_) => ProjectSpec::default(),
    };
    let out_dir = load::out_dir(&project);
    for (dir, depth) in load::input_dirs(&project) {
        load::project_folder(root, &dir).ok()?;
        h.add(&dir);
        for rel in load::find_yaml(root, &dir, depth) {
            h.add(&rel)
                .add(load::input::read(root, &rel, Some(&out_dir)).ok()?);
        }
    }
    h.add(&out_dir);
    Some((h.hex(32), out_dir))
}

/// Size and modification time (ns since the epoch) of a file.
fn stamp(path: &Path) -> Option<(u64, u128)> {
    // A link planted where a file was is never a hit.
    let m = std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())?;
    let mtime = m
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((m.len(), mtime))
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
