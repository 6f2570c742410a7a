//! Tests of the parent module, kept apart to keep it short.

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

#[test]
fn a_write_in_chunks_moves_nothing_until_it_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let all = Scope::default();
    let (f1, s1) = files(&[("a/x.yaml", "one\n")]);
    let (f2, s2) = files(&[("b/y.yaml", "two\n")]);

    // A render that stops after its first chunk: the folder it created is gone again.
    let mut w = Stager::begin(&out, &all).unwrap();
    w.add(&f1, &s1).unwrap();
    assert!(out.join(STAGE_DIR).is_dir() && !out.join("a").exists());
    drop(w);
    assert!(!out.exists());

    // Two chunks, then the lock over both.
    let mut owners = s1.clone();
    owners.extend(s2.clone());
    let mut w = Stager::begin(&out, &all).unwrap();
    w.add(&f1, &s1).unwrap();
    w.add(&f2, &s2).unwrap();
    let r = w.finish(&owners, (&Kept::default(), None), false).unwrap();
    assert_eq!(r.written, vec!["a/x.yaml", "b/y.yaml", LOCK_FILE]);
    assert!(!out.join(STAGE_DIR).exists());
    let mut both = f1.clone();
    both.extend(f2.clone());
    assert!(check(&out, "out", &both, &owners, &all).is_empty());

    // A stopped render leaves an existing folder as it was; a killed run's staging folder
    // is removed by the next run, and a link planted at its name is removed, not followed.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.yaml"), "keep").unwrap();
    std::os::unix::fs::symlink(&outside, out.join(STAGE_DIR)).unwrap();
    let (f3, s3) = files(&[("a/x.yaml", "changed\n")]);
    let mut w = Stager::begin(&out, &all).unwrap();
    w.add(&f3, &s3).unwrap();
    drop(w);
    assert!(outside.join("keep.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("a/x.yaml")).unwrap(),
        "one\n"
    );
    assert!(check(&out, "out", &both, &owners, &all).is_empty());
    assert!(!out.join(STAGE_DIR).exists());
}

#[test]
fn a_check_in_chunks_finds_what_a_check_at_once_finds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let all = Scope::default();
    let (f1, s1) = files(&[("a/x.yaml", "one\n")]);
    let (f2, s2) = files(&[("b/y.yaml", "two\n")]);
    let mut owners = s1.clone();
    owners.extend(s2.clone());
    let mut both = f1.clone();
    both.extend(f2.clone());
    write(&out, &both, &owners, &all, false).unwrap();
    std::fs::write(out.join("b/y.yaml"), "edited\n").unwrap();
    std::fs::write(out.join(".flinkgen-orphan-test.yaml"), "x").unwrap();
    let (f3, s3) = files(&[("c/z.yaml", "three\n")]);
    owners.extend(s3.clone());
    let mut c = Checker::begin(&out, "out", &all);
    c.add(&f1, &s1);
    c.add(&f3, &s3);
    c.add(&f2, &s2);
    let chunked = c.finish(&owners, &Kept::default());
    let mut every = both.clone();
    every.extend(f3.clone());
    let at_once = check(&out, "out", &every, &owners, &all);
    assert_eq!(chunked, at_once);
    let kinds: Vec<(&str, &DriftKind)> =
        chunked.iter().map(|d| (d.path.as_str(), &d.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("out/b/y.yaml", &DriftKind::HandEdited),
            ("out/c/z.yaml", &DriftKind::Missing),
            ("out/flinkgen.lock", &DriftKind::Stale),
        ]
    );
}

#[test]
fn a_write_sweeps_the_lock_and_journal_temporaries_of_a_killed_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let all = Scope::default();
    let (f, s) = files(&[("a/x.yaml", "one\n")]);
    write(out, &f, &s, &all, false).unwrap();
    let planted = [
        format!(".{LOCK_FILE}.flinkgen-tmp-9-1"),
        format!(".{JOURNAL_FILE}.flinkgen-tmp-9-2"),
    ];
    for p in &planted {
        std::fs::write(out.join(p), "half").unwrap();
    }
    // Not a temporary of either: kept.
    std::fs::write(out.join(".other.flinkgen-tmp-9-3"), "kept").unwrap();
    let (f, s) = files(&[("a/x.yaml", "two\n")]);
    write(out, &f, &s, &all, false).unwrap();
    for p in &planted {
        assert!(!out.join(p).exists(), "{p} outlived the run");
    }
    assert!(out.join(".other.flinkgen-tmp-9-3").exists());
}
