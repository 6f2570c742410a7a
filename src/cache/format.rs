//! The render cache's file: counts before lists, paths last on their line (they may hold
//! spaces), structured values as one line of JSON. Records are cut apart first and read in
//! place (`View`), so a probe reads and checks them on all cores and builds none when nothing
//! changed.

use super::{Known, Output, Recorded, SpecRecord, VERSION_LINE};

/// The cache's text.
pub(super) fn write(r: &Recorded) -> String {
    use std::fmt::Write as _;
    let mut t = String::with_capacity(256 * (r.specs.len() + r.others.len() + 1));
    let _ = write!(
        t,
        "{VERSION_LINE}\n{}\n{} {}\n{}\n{}\n{}\n",
        r.shared,
        r.lock.0,
        r.lock.1,
        r.jobs,
        r.out_dir,
        r.files.len()
    );
    for (p, sha) in &r.files {
        let _ = writeln!(t, "{sha} {p}");
    }
    let warning_lines: Vec<&str> = r.warnings.lines().collect();
    let _ = writeln!(t, "{}", warning_lines.len());
    for l in warning_lines {
        let _ = writeln!(t, "{l}");
    }
    let _ = writeln!(t, "{}", r.others.len());
    for (source, o) in &r.others {
        let _ = writeln!(
            t,
            "{} {} {} {}\n{source}",
            o.size, o.mtime, o.sha256, o.path
        );
    }
    let _ = writeln!(t, "{}", r.specs.len());
    // Formatted on all cores: after a one-spec edit of 1,000 jobs, writing back the records of
    // all was a tenth of the run, half of it formatting.
    for block in crate::par::map(&r.specs, spec_block) {
        t.push_str(&block);
    }
    t
}

/// One job spec's record, as `view` reads it.
fn spec_block(s: &SpecRecord) -> String {
    use std::fmt::Write as _;
    let mut t = String::with_capacity(256 + 200 * s.outputs.len());
    let (size, mtime) = s.stamp.unwrap_or((0, 0));
    let _ = writeln!(t, "{size} {mtime} {} {}", s.sha256, s.source);
    known_line(&mut t, &s.known);
    let _ = writeln!(t, "\n{}", s.files.len());
    for (p, sha) in &s.files {
        let _ = writeln!(t, "{sha} {p}");
    }
    let _ = writeln!(t, "{}", s.diags.len());
    for d in &s.diags {
        t.push_str(&serde_json::to_string(d).unwrap_or_default());
        t.push('\n');
    }
    outputs(&mut t, &s.outputs);
    t
}

fn outputs(t: &mut String, list: &[Output]) {
    use std::fmt::Write as _;
    let _ = writeln!(t, "{}", list.len());
    for o in list {
        let _ = writeln!(t, "{} {} {} {}", o.size, o.mtime, o.sha256, o.path);
    }
}

/// The whole cache (the tests' way to read it back).
#[cfg(test)]
fn parse(text: &str) -> Option<Recorded> {
    let (mut rec, blocks) = split(text)?;
    rec.specs = (blocks.into_iter())
        .map(|b| view(b)?.record())
        .collect::<Option<_>>()?;
    Some(rec)
}

/// Everything but the job spec records, and the text of each of those: a probe reads the
/// records on all cores, each with the check of its files.
pub(super) fn split(text: &str) -> Option<(Recorded, Vec<&str>)> {
    let mut lines = text.split('\n');
    let mut next = || lines.next();
    if next()? != VERSION_LINE {
        return None;
    }
    let shared = next()?.to_string();
    let (size, mtime) = next()?.split_once(' ')?;
    let lock = (size.parse().ok()?, mtime.parse().ok()?);
    let jobs = next()?.parse().ok()?;
    let out_dir = next()?.to_string();
    let files = pairs(&mut next)?.iter().map(owned).collect();
    let mut warnings = String::new();
    for _ in 0..next()?.parse::<usize>().ok()? {
        warnings.push_str(next()?);
        warnings.push('\n');
    }
    let mut others = Vec::new();
    for _ in 0..next()?.parse::<usize>().ok()? {
        let o = output(output_line(next()?)?);
        others.push((next()?.to_string(), o));
    }
    let mut blocks = Vec::new();
    for _ in 0..next()?.parse::<usize>().ok()? {
        // A record: its head and known lines, then three counted lists.
        let first = next()?;
        let mut last = next()?;
        for _ in 0..3 {
            last = next()?;
            for _ in 0..last.parse::<usize>().ok()? {
                last = next()?;
            }
        }
        // Both are slices of `text`, so their offsets in it bound the record.
        let start = first.as_ptr() as usize - text.as_ptr() as usize;
        let end = last.as_ptr() as usize + last.len() - text.as_ptr() as usize;
        blocks.push(text.get(start..end)?);
    }
    let rec = Recorded {
        shared,
        lock,
        out_dir,
        jobs,
        files,
        warnings,
        others,
        specs: Vec::new(),
    };
    Some((rec, blocks))
}

/// A job spec's record as the cache file holds it, read in place: a probe checks the records
/// without building them, and one that finds nothing changed builds none.
pub(super) struct View<'a> {
    pub(super) source: &'a str,
    pub(super) sha256: &'a str,
    pub(super) stamp: Option<(u64, u128)>,
    pub(super) known: &'a str,
    /// Project files read, as (path, sha256).
    pub(super) files: Vec<(&'a str, &'a str)>,
    pub(super) diags: Vec<&'a str>,
    /// (path, sha256, size and modification time).
    pub(super) outputs: Vec<(&'a str, &'a str, (u64, u128))>,
}

/// One job spec's record, as `split` cut it out.
pub(super) fn view(block: &str) -> Option<View<'_>> {
    let mut lines = block.split('\n');
    let mut next = || lines.next();
    let mut head = next()?.splitn(4, ' ');
    let size: u64 = head.next()?.parse().ok()?;
    let mtime: u128 = head.next()?.parse().ok()?;
    let (sha256, source) = (head.next()?, head.next()?);
    let known = next()?;
    let files = pairs(&mut next)?;
    let mut diags = Vec::new();
    for _ in 0..next()?.parse::<usize>().ok()? {
        diags.push(next()?);
    }
    let mut outputs = Vec::new();
    for _ in 0..next()?.parse::<usize>().ok()? {
        outputs.push(output_line(next()?)?);
    }
    Some(View {
        source,
        sha256,
        stamp: (mtime != 0).then_some((size, mtime)),
        known,
        files,
        diags,
        outputs,
    })
}

impl View<'_> {
    pub(super) fn record(&self) -> Option<SpecRecord> {
        let diags = self.diags.iter().map(|d| serde_json::from_str(d).ok());
        let outputs = self.outputs.iter().copied().map(output);
        Some(SpecRecord {
            source: self.source.to_string(),
            sha256: self.sha256.to_string(),
            stamp: self.stamp,
            files: self.files.iter().map(owned).collect(),
            known: parse_known(self.source, self.known)?,
            diags: diags.collect::<Option<_>>()?,
            outputs: outputs.collect(),
        })
    }
}

/// A spec's jobs and profiles on one line: `name` or `name@environment` for each job, `|`,
/// then the profiles. Names, environments and profiles are Kubernetes names (validated
/// before a render is recorded), so neither a space, `@` nor `|` occurs in them.
fn known_line(t: &mut String, k: &Known) {
    for (name, env) in &k.jobs {
        t.push_str(name);
        if let Some(e) = env {
            t.push('@');
            t.push_str(e);
        }
        t.push(' ');
    }
    t.push('|');
    for p in &k.profiles {
        t.push(' ');
        t.push_str(p);
    }
}

fn parse_known(source: &str, line: &str) -> Option<Known> {
    let (jobs, profiles) = line.split_once('|')?;
    Some(Known {
        source: source.to_string(),
        jobs: jobs
            .split_whitespace()
            .map(|j| match j.split_once('@') {
                Some((n, e)) => (n.to_string(), Some(e.to_string())),
                None => (j.to_string(), None),
            })
            .collect(),
        profiles: profiles.split_whitespace().map(str::to_string).collect(),
    })
}

/// A count, then that many `<sha256> <path>` lines, as (path, sha256).
fn pairs<'a>(next: &mut impl FnMut() -> Option<&'a str>) -> Option<Vec<(&'a str, &'a str)>> {
    let mut out = Vec::new();
    for _ in 0..next()?.parse::<usize>().ok()? {
        let (sha, path) = next()?.split_once(' ')?;
        out.push((path, sha));
    }
    Some(out)
}

fn owned((a, b): &(&str, &str)) -> (String, String) {
    (a.to_string(), b.to_string())
}

/// An output file's line, `<size> <mtime> <sha256> <path>`, as (path, sha256, stamp).
fn output_line(line: &str) -> Option<(&str, &str, (u64, u128))> {
    let mut parts = line.splitn(4, ' ');
    let (size, mtime) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    let (sha256, path) = (parts.next()?, parts.next()?);
    Some((path, sha256, (size, mtime)))
}

fn output((path, sha256, (size, mtime)): (&str, &str, (u64, u128))) -> Output {
    Output {
        path: path.to_string(),
        sha256: sha256.to_string(),
        size,
        mtime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostic;

    #[test]
    fn round_trips() {
        let out = |p: &str| Output {
            path: p.into(),
            sha256: "ab".repeat(32),
            size: 12,
            mtime: 1_700_000_000_123_456_789,
        };
        let rec = Recorded {
            shared: "k".repeat(64),
            lock: (10, 20),
            out_dir: "deploy/out dir".into(),
            jobs: 2,
            files: vec![("conf/a file.xml".into(), "cd".repeat(32))],
            warnings: "warning: one\n  --> jobs/a.yaml:1:1\n".into(),
            others: vec![("flinkgen.yaml".into(), out("prod/kustomization.yaml"))],
            specs: vec![
                SpecRecord {
                    source: "jobs/my job.yaml".into(),
                    sha256: "ef".repeat(32),
                    stamp: Some((300, 1_700_000_000_000_000_001)),
                    files: vec![],
                    known: Known {
                        source: "jobs/my job.yaml".into(),
                        jobs: vec![("my-job".into(), Some("prod".into()))],
                        profiles: vec!["tm".into()],
                    },
                    diags: vec![Diagnostic::warning("jobs/my job.yaml", "a\nb")],
                    outputs: vec![out("my-job/Dockerfile")],
                },
                // Records are cut apart before they are parsed: one whose lists are empty but
                // the first must end where the next begins.
                SpecRecord {
                    source: "jobs/b.yaml".into(),
                    sha256: "01".repeat(32),
                    stamp: None,
                    files: vec![("conf/b.xml".into(), "23".repeat(32))],
                    known: Known {
                        source: "jobs/b.yaml".into(),
                        jobs: vec![],
                        profiles: vec![],
                    },
                    diags: vec![],
                    outputs: vec![],
                },
                SpecRecord {
                    source: "jobs/c.yaml".into(),
                    sha256: "45".repeat(32),
                    stamp: None,
                    files: vec![],
                    known: Known {
                        source: "jobs/c.yaml".into(),
                        jobs: vec![("c".into(), None)],
                        profiles: vec![],
                    },
                    diags: vec![],
                    outputs: vec![out("c/Dockerfile"), out("c/kustomization.yaml")],
                },
            ],
        };
        let back = parse(&write(&rec)).expect("parses");
        assert_eq!(write(&back), write(&rec));
        assert_eq!(back.specs, rec.specs);
        let text = write(&rec);
        let cut = text.trim_end().rfind('\n').unwrap();
        assert!(
            parse(&text[..cut]).is_none(),
            "a cache missing its last line is no cache"
        );
        assert!(parse("flinkgen render cache 2\n").is_none());
    }
}
