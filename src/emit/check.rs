//! `check`: the output folder compared with what render would leave there, file by file,
//! with a diff for each difference; nothing is written.

use std::path::Path;

use similar::TextDiff;

use super::{
    hold, lock_bound, real_out_dir, survey, with_lock, Conflict, Files, Found, Owned, Owners,
    Scope, Writer,
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
    check_kept(out_dir, out_name, files, owners, &Owners::new(), scope)
}

/// `check`, with files an incremental render kept (see `write_kept`).
pub fn check_kept(
    out_dir: &Path,
    out_name: &str,
    files: &Files,
    owners: &Owners,
    kept: &Owners,
    scope: &Scope,
) -> Vec<Drift> {
    let _run = hold(out_dir, false);
    // An unsafe path's drift carries the reason where others carry a diff: it is printed with
    // the path, never with the content.
    let unsafe_drift = |c: Conflict| Drift {
        path: c.located(out_name),
        kind: DriftKind::Unsafe,
        diff: c.reason(),
    };
    let bound = lock_bound(out_dir, owners, kept);
    let owned = match real_out_dir(out_dir).and_then(|_| Owned::load(out_dir, bound)) {
        Ok(o) => o,
        Err(c) => return vec![unsafe_drift(c)],
    };
    let files = with_lock(files, owners, kept, &owned.lock, scope);
    let mut drifts = Vec::new();
    for f in survey(out_dir, (&files, kept), owners, &owned, scope) {
        let drift = |rel: &str, kind, disk: Option<&[u8]>, new: Option<&str>| Drift {
            path: format!("{out_name}/{rel}"),
            kind,
            diff: diff(out_name, rel, disk, new),
        };
        drifts.push(match f {
            Found::Same => continue,
            Found::Missing(rel) => drift(rel, DriftKind::Missing, None, Some(&files[rel])),
            Found::Differs { path, disk, writer } => {
                let kind = match writer {
                    Writer::Flinkgen => DriftKind::Stale,
                    Writer::HandEdited => DriftKind::HandEdited,
                    Writer::Stranger => DriftKind::NotOwned,
                };
                drift(path, kind, Some(&disk), Some(&files[path]))
            }
            Found::Orphan { path, disk, .. } => {
                drift(&path, DriftKind::Orphaned, Some(&disk), None)
            }
            Found::Unsafe(u) => unsafe_drift(Conflict::Unsafe(u)),
        });
    }
    drifts.dedup_by(|a, b| a.kind == DriftKind::Unsafe && a.path == b.path && a.diff == b.diff);
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
