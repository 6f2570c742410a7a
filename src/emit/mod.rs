//! Stage 5, emit: write the rendered tree, or compare it with what is on disk (`--check`).
//! Nothing reaches this stage unless every job validated and rendered, so a bad spec never
//! leaves `out/` half-written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use similar::TextDiff;

/// Files to write, by path relative to the output folder.
pub type Files = BTreeMap<String, String>;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: usize,
}

/// Writes each file whose bytes differ, through a temporary file and a rename, so a reader
/// (or a crash) never sees a partly written file; identical files are not touched at all.
pub fn write(out_dir: &Path, files: &Files) -> std::io::Result<WriteReport> {
    let mut report = WriteReport::default();
    for (rel, text) in files {
        let path = out_dir.join(rel);
        if std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
            report.unchanged += 1;
            continue;
        }
        let dir = path.parent().expect("output files live in a folder");
        std::fs::create_dir_all(dir)?;
        let file_name = path
            .file_name()
            .expect("output files have names")
            .to_string_lossy();
        let tmp = dir.join(format!(".{file_name}.flinkgen-tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        report.written.push(rel.clone());
    }
    Ok(report)
}

/// A file on disk that differs from what would be rendered.
#[derive(Debug, PartialEq, Eq)]
pub struct Drift {
    pub path: String,
    pub missing: bool,
    pub diff: String,
}

/// Compares the rendered tree with the output folder, writing nothing.
pub fn check(out_dir: &Path, out_name: &str, files: &Files) -> Vec<Drift> {
    let mut drifts = Vec::new();
    for (rel, text) in files {
        let shown = format!("{out_name}/{rel}");
        let old = std::fs::read(out_dir.join(rel)).ok();
        let old_text = old.as_deref().map(String::from_utf8_lossy);
        if old_text.as_deref() == Some(text.as_str()) {
            continue;
        }
        let before = old_text.as_deref().unwrap_or("");
        let diff = TextDiff::from_lines(before, text.as_str())
            .unified_diff()
            .context_radius(3)
            .header(
                &if old.is_some() {
                    format!("a/{shown}")
                } else {
                    "/dev/null".into()
                },
                &format!("b/{shown}"),
            )
            .to_string();
        drifts.push(Drift {
            path: shown,
            missing: old.is_none(),
            diff,
        });
    }
    drifts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_changed_files_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Files::new();
        files.insert("a/x.yaml".into(), "one\n".into());
        files.insert("a/y.yaml".into(), "two\n".into());
        assert_eq!(check(dir.path(), "out", &files).len(), 2);
        let r = write(dir.path(), &files).unwrap();
        assert_eq!(r.written, vec!["a/x.yaml", "a/y.yaml"]);
        assert!(check(dir.path(), "out", &files).is_empty());
        files.insert("a/y.yaml".into(), "three\n".into());
        let drift = check(dir.path(), "out", &files);
        assert_eq!(drift.len(), 1);
        assert_eq!(
            drift[0].diff,
            "--- a/out/a/y.yaml\n+++ b/out/a/y.yaml\n@@ -1 +1 @@\n-two\n+three\n"
        );
        let r = write(dir.path(), &files).unwrap();
        assert_eq!((r.written.len(), r.unchanged), (1, 1));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temporary files remain");
    }
}
