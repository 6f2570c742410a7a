//! The output folder as committed at a revision, read from the project's own git repository
//! (`git ls-tree` and `git cat-file --batch`): nothing is checked out or written.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Every regular file under `out_dir` at `rev`, by its path below `out_dir`.
pub fn out_at(root: &Path, out_dir: &str, rev: &str) -> Result<BTreeMap<String, String>, String> {
    let prefix = git(root, &["rev-parse", "--show-prefix"]).map_err(|e| {
        format!(
            "{} is not inside a git work tree ({e}); `diff` compares with the committed out/",
            root.display()
        )
    })?;
    let commit = format!("{rev}^{{commit}}");
    git(root, &["rev-parse", "--verify", "--quiet", &commit])
        .map_err(|_| format!("`{rev}` is not a commit of this repository"))?;
    let folder = format!("{}{out_dir}/", prefix.trim());
    let listing = git(
        root,
        &["ls-tree", "-r", "-z", "--full-tree", rev, "--", &folder],
    )?;
    let mut blobs = Vec::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        let (meta, path) = entry
            .split_once('\t')
            .ok_or("unexpected `git ls-tree` output")?;
        let mut parts = meta.split(' ');
        let (mode, kind, oid) = (parts.next(), parts.next(), parts.next());
        // Links and submodules are nothing flinkgen writes.
        if kind != Some("blob") || mode == Some("120000") {
            continue;
        }
        let rel = path.strip_prefix(&folder).unwrap_or(path).to_string();
        blobs.push((rel, oid.unwrap_or_default().to_string()));
    }
    if blobs.is_empty() {
        return Err(format!("{out_dir}/ does not exist at {rev}: there is nothing to compare with (render and commit it first)"));
    }
    let texts = cat_files(root, blobs.iter().map(|(_, oid)| oid.as_str()))?;
    let files: BTreeMap<String, String> = blobs.into_iter().map(|(p, _)| p).zip(texts).collect();
    if !files.contains_key(crate::emit::lock::LOCK_FILE) {
        return Err(format!(
            "{out_dir}/ at {rev} has no {}: it is not flinkgen's output",
            crate::emit::lock::LOCK_FILE
        ));
    }
    Ok(files)
}

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed something that is not UTF-8".into())
}

/// The blobs' contents, in order, through one `git cat-file --batch`.
fn cat_files<'a>(root: &Path, oids: impl Iterator<Item = &'a str>) -> Result<Vec<String>, String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let request: String = oids.map(|o| format!("{o}\n")).collect();
    let mut stdin = child.stdin.take().ok_or("git cat-file has no input")?;
    // Written from a thread: git answers while it reads, and a full pipe would block both.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut raw = Vec::new();
    child
        .stdout
        .take()
        .ok_or("git cat-file has no output")?
        .read_to_end(&mut raw)
        .map_err(|e| e.to_string())?;
    let _ = writer.join();
    let _ = child.wait();
    let mut texts = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let end = raw[at..]
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("truncated git output")?
            + at;
        let header = String::from_utf8_lossy(&raw[at..end]).to_string();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unexpected git output: {header}"))?;
        let body = raw
            .get(end + 1..end + 1 + size)
            .ok_or("truncated git output")?;
        texts.push(String::from_utf8_lossy(body).into_owned());
        at = end + 1 + size + 1;
    }
    Ok(texts)
}
