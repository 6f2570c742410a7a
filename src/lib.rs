//! flinkgen: Flink job specs and resource profiles in, reviewable Kubernetes manifests and
//! Dockerfiles out. The pipeline is load → validate → plan → render → emit, one module each.

pub mod cache;
pub mod derive;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod flink;
pub mod hash;
pub mod import;
pub mod init;
pub mod load;
pub mod model;
pub mod par;
pub mod plan;
pub mod render;
pub mod schema;
pub mod validate;

use std::path::Path;

use diag::{Diagnostic, Diagnostics};

pub use emit::Generated;

/// Validated jobs, the output folder, and the warnings found on the way.
pub struct Resolved {
    pub jobs: Vec<model::Job>,
    pub out_dir: String,
    /// Project files read besides the specs (ConfigMap volumes), with their sha256.
    pub project_files: std::collections::BTreeMap<String, String>,
    diags: Diagnostics,
    /// The job specs loaded, as the render cache will record them (outputs added later).
    specs: Vec<cache::SpecRecord>,
    /// The job specs not loaded (unchanged since the last render).
    known: Vec<load::Known>,
    /// Every job spec listed.
    listed: Vec<String>,
}

/// Load and validate: every job resolved, or every problem found.
pub fn resolve(root: &Path) -> Result<Resolved, Vec<Diagnostic>> {
    resolve_with(root, &[])
}

/// Like `resolve`, skipping the job specs `unchanged` records: their warnings come from the
/// records, and the checks across specs see their names and profiles.
fn resolve_with(root: &Path, unchanged: &[cache::SpecRecord]) -> Result<Resolved, Vec<Diagnostic>> {
    let skipped: std::collections::HashSet<&str> =
        unchanged.iter().map(|r| r.source.as_str()).collect();
    let known = unchanged.iter().map(|r| r.known.clone()).collect();
    let mut r = resolve_part(root, &|rel| !skipped.contains(rel), known, false)?;
    for u in unchanged {
        r.diags.extend_from(&u.diags);
        r.project_files.extend(u.files.iter().cloned());
    }
    Ok(r)
}

/// Loads and validates the job specs `wanted` picks. `known` are the other specs as far as
/// the checks across specs are concerned (returned in `Resolved::known`); `partial` says that
/// some specs are neither loaded nor known, so the checks that need all wait.
fn resolve_part(
    root: &Path,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    known: Vec<load::Known>,
    partial: bool,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut diags = Diagnostics::default();
    let unusable = match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => None,
        Ok(_) => Some("not a folder".to_string()),
        Err(e) => Some(e.to_string()),
    };
    if let Some(why) = unusable {
        let d = Diagnostic::error(
            root.display().to_string(),
            format!("cannot use this as the project root: {why}"),
        )
        .help("pass the folder that holds flinkgen.yaml and jobs/ with --root");
        return Err(vec![d]);
    }
    let mut inputs = load::load_some(root, &mut diags, wanted);
    inputs.known = known;
    inputs.partial = partial;
    let out_dir = inputs.out_dir.clone();
    check_out_dir(root, &inputs, &mut diags);
    if inputs.shared_input_failed {
        return Err(diags.into_sorted());
    }
    let mut by_spec = inputs.spec_diags.clone();
    let jobs = validate::validate(&inputs, &mut diags, &mut by_spec);
    if diags.has_errors() {
        return Err(diags.into_sorted());
    }
    let project_files: std::collections::BTreeMap<String, String> = inputs
        .files
        .iter()
        .filter_map(|(p, text)| Some((p.clone(), hash::sha256(text.as_ref().ok()?.as_bytes()))))
        .collect();
    let mut by_source: std::collections::HashMap<&str, Vec<(String, Option<String>)>> =
        Default::default();
    for j in &jobs {
        by_source
            .entry(j.source.as_str())
            .or_default()
            .push((j.name.clone(), j.environment.clone()));
    }
    let specs = inputs
        .jobs
        .iter()
        .map(|(src, spec)| {
            let mut known = load::Known::of(&src.path, spec);
            known.jobs = by_source.remove(src.path.as_str()).unwrap_or_default();
            cache::SpecRecord {
                source: src.path.clone(),
                sha256: hash::sha256(src.text.as_bytes()),
                stamp: None,
                files: load::spec_files(spec)
                    .into_iter()
                    .filter_map(|f| Some((f.clone(), project_files.get(&f)?.clone())))
                    .collect(),
                known,
                diags: by_spec.remove(&src.path).unwrap_or_default(),
                outputs: Vec::new(),
            }
        })
        .collect();
    Ok(Resolved {
        jobs,
        out_dir,
        project_files,
        diags,
        specs,
        known: inputs.known,
        listed: inputs.listed,
    })
}

impl Resolved {
    pub fn warnings(self) -> Vec<Diagnostic> {
        self.diags.into_sorted()
    }
}

/// Runs every stage but emit. Either everything renders, or nothing is returned but the
/// problems, all of them, sorted by file and line.
pub fn generate(root: &Path) -> Result<Generated, Vec<Diagnostic>> {
    generate_with(root, Vec::new(), WHOLE, None)
        .map(|(g, _)| g)
        .map_err(Stopped::into_problems)
}

/// What an incremental render adds to its output: the files of unchanged specs, kept as
/// they are on disk, and the records the render cache keeps of every job spec.
#[derive(Debug, Default)]
pub struct Incremental {
    /// Records of the job specs this run rendered (`into_records` orders them with the rest).
    pub specs: Vec<cache::SpecRecord>,
    /// Records of the job specs it did not render again, as the cache had them.
    pub reused: Vec<cache::SpecRecord>,
}

impl Incremental {
    /// Output files of the specs not rendered again: their sha256 and spec, as the lock
    /// lists them.
    pub fn kept(&self) -> emit::Kept<'_> {
        emit::Kept::new(self.reused.iter().flat_map(|r| {
            (r.outputs.iter()).map(|o| (o.path.as_str(), o.sha256.as_str(), r.source.as_str()))
        }))
    }

    /// Every job spec's record, by path.
    pub fn into_records(self) -> Vec<cache::SpecRecord> {
        let mut all = self.specs;
        all.extend(self.reused);
        all.sort_by(|a, b| a.source.cmp(&b.source));
        all
    }
}

/// `generate`, rendering only the job specs `unchanged` does not record. Any problem
/// makes it render in full, so that what is reported is exactly what a full render says.
pub fn generate_incremental(
    root: &Path,
    unchanged: Vec<cache::SpecRecord>,
) -> Result<(Generated, Incremental), Vec<Diagnostic>> {
    let incremental = !unchanged.is_empty();
    match generate_with(root, unchanged, WHOLE, None) {
        Err(_) if incremental => generate_with(root, Vec::new(), WHOLE, None),
        done => done,
    }
    .map_err(Stopped::into_problems)
}

/// `generate` in chunks of `chunk` job specs: the same result, for tests that hold a render
/// in chunks equal to a render at once.
pub fn generate_in_chunks(root: &Path, chunk: usize) -> Result<Generated, Vec<Diagnostic>> {
    match generate_with(root, Vec::new(), chunk.max(1), None) {
        Err(_) if chunk < WHOLE => generate(root),
        done => done.map(|(g, _)| g).map_err(Stopped::into_problems),
    }
}

/// How many job specs a render holds in memory at once: a large project's specs, jobs and
/// rendered files would otherwise all be in memory together. A project of at most this
/// many specs renders in one piece.
pub const CHUNK: usize = 1000;

const WHOLE: usize = usize::MAX;

/// Receives the files of each chunk of job specs, then those shared by all (environment
/// kustomizations), with the output folder. The lock is emit's to write.
pub type Sink<'a> =
    &'a mut dyn FnMut(&str, &emit::Files, &emit::Owners) -> Result<(), emit::WriteError>;

/// Why a render stopped.
#[derive(Debug)]
pub enum Stopped {
    Problems(Vec<Diagnostic>),
    /// The sink could not take the files.
    Write(emit::WriteError),
}

impl Stopped {
    fn into_problems(self) -> Vec<Diagnostic> {
        match self {
            Stopped::Problems(d) => d,
            Stopped::Write(e) => vec![Diagnostic::general(format!("{e:?}"))],
        }
    }
}

/// Renders the project (but the job specs `unchanged` records) `chunk` job specs at a time,
/// handing each chunk's files to `sink` and then dropping everything of the chunk but what
/// the checks across specs and the lock need. On a problem it renders again, in full and
/// in memory, so that the messages are exactly those of a render at once.
pub fn generate_into(
    root: &Path,
    unchanged: Vec<cache::SpecRecord>,
    chunk: usize,
    sink: Sink,
) -> Result<(Generated, Incremental), Stopped> {
    let simple = unchanged.is_empty() && chunk == WHOLE;
    match generate_with(root, unchanged, chunk.max(1), Some(sink)) {
        Err(Stopped::Problems(first)) if !simple => match generate(root) {
            Err(d) => Err(Stopped::Problems(d)),
            // The project changed between the two renders; the first one's word stands.
            Ok(_) => Err(Stopped::Problems(first)),
        },
        done => done,
    }
}

/// What the chunks of a render add up to.
#[derive(Default)]
struct Totals {
    out_dir: String,
    files: emit::Files,
    owners: emit::Owners,
    names: Vec<(String, Option<String>, String)>,
    diags: Diagnostics,
    specs: Vec<cache::SpecRecord>,
    project_files: std::collections::BTreeMap<String, String>,
}

/// Renders one chunk's jobs (their names and warnings go to `t`): their files and owners.
fn render_chunk(
    renderer: &render::Renderer,
    jobs: &[model::Job],
    out_dir: &str,
    t: &mut Totals,
) -> (emit::Files, emit::Owners) {
    let (mut files, mut owners) = (emit::Files::new(), emit::Owners::new());
    for rendered in render_all(renderer, jobs, out_dir) {
        match rendered {
            Ok((f, o)) => {
                files.extend(f);
                owners.extend(o);
            }
            Err(d) => t.diags.push(*d),
        }
    }
    t.names.extend(
        jobs.iter()
            .map(|j| (j.name.clone(), j.environment.clone(), j.source.clone())),
    );
    (files, owners)
}

/// Long because it drives the chunks and then assembles what both kinds of render leave:
/// the files it keeps, the shared files (environments, the lock) over all, and the records.
fn generate_with(
    root: &Path,
    unchanged: Vec<cache::SpecRecord>,
    chunk: usize,
    mut sink: Option<Sink>,
) -> Result<(Generated, Incremental), Stopped> {
    let skipped: std::collections::HashSet<&str> =
        unchanged.iter().map(|r| r.source.as_str()).collect();
    // Split in chunks, no check across all specs runs before the last chunk.
    let split = chunk != WHOLE;
    let mut known: Vec<load::Known> = unchanged.iter().map(|r| r.known.clone()).collect();
    let renderer = render::Renderer::new();
    let mut t = Totals::default();
    // The first chunk is the first `chunk` specs the loader lists; the loader's listing gives
    // the others (so the specs folder is listed once).
    let mut rest: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    while i == 0 || !rest.is_empty() {
        let part = rest.pop();
        let set: std::collections::HashSet<&str> =
            part.iter().flatten().map(String::as_str).collect();
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let wanted = |rel: &str| match part {
            None => {
                !skipped.contains(rel)
                    && taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < chunk
            }
            Some(_) => set.contains(rel),
        };
        let r = resolve_part(root, &wanted, std::mem::take(&mut known), split)
            .map_err(Stopped::Problems)?;
        known = r.known;
        if i == 0 {
            let later: Vec<String> = (r.listed.iter())
                .filter(|p| !skipped.contains(p.as_str()))
                .skip(chunk)
                .cloned()
                .collect();
            rest = later.chunks(chunk).rev().map(<[String]>::to_vec).collect();
        }
        // Session clusters are validated with every chunk (their jobs need them) and
        // rendered with the first.
        let jobs: Vec<model::Job> = r
            .jobs
            .into_iter()
            .filter(|j| i == 0 || set.contains(j.source.as_str()))
            .collect();
        t.diags.extend(r.diags);
        let (files, owners) = render_chunk(&renderer, &jobs, &r.out_dir, &mut t);
        if t.diags.has_errors() {
            return Err(Stopped::Problems(t.diags.into_sorted()));
        }
        drop(jobs);
        if split {
            known.extend(r.specs.iter().map(|s| s.known.clone()));
        }
        t.specs.extend(r.specs);
        t.project_files.extend(r.project_files);
        t.out_dir = r.out_dir;
        match sink.as_mut() {
            Some(s) => s(&t.out_dir, &files, &owners).map_err(Stopped::Write)?,
            None => t.files.extend(files),
        }
        t.owners.extend(owners);
        i += 1;
    }
    if split {
        // The checks across every spec, now that all are known.
        let mut d = Diagnostics::default();
        let mut shared = load::load_shared(root, &mut d);
        shared.known = known;
        validate::unused_profiles(&shared, &mut d);
        if d.has_errors() {
            return Err(Stopped::Problems(d.into_sorted()));
        }
        t.diags.extend(d);
    }
    for u in &unchanged {
        t.diags.extend_from(&u.diags);
        t.project_files.extend(u.files.iter().cloned());
        t.names.extend(
            u.known
                .jobs
                .iter()
                .map(|(n, e)| (n.clone(), e.clone(), u.source.clone())),
        );
    }
    let (mut shared, mut owners) = (emit::Files::new(), emit::Owners::new());
    environment_kustomizations(&renderer, &t.names, &mut shared, &mut owners);
    match sink.as_mut() {
        Some(s) => s(&t.out_dir, &shared, &owners).map_err(Stopped::Write)?,
        None => t.files.extend(shared),
    }
    t.owners.extend(owners);
    // An incremental render's lock depends on the lock on disk, and a sink's is written by
    // emit; a full render in memory has it as part of its output.
    if unchanged.is_empty() && sink.is_none() {
        let lock = emit::lock_for(&t.owners, &Default::default(), &emit::Scope::default());
        let lock_text = emit::lock::render(&lock);
        t.owners.insert(
            emit::lock::LOCK_FILE.into(),
            emit::owner(&lock_text, load::PROJECT_FILE),
        );
        t.files.insert(emit::lock::LOCK_FILE.into(), lock_text);
    }
    Ok(assemble(t, unchanged))
}

/// The render's result and the records of every job spec, with the outputs of each.
fn assemble(mut t: Totals, unchanged: Vec<cache::SpecRecord>) -> (Generated, Incremental) {
    let mut outputs: std::collections::HashMap<&str, Vec<cache::Output>> = Default::default();
    for (p, e) in &t.owners {
        outputs
            .entry(e.source.as_str())
            .or_default()
            .push(cache::Output {
                path: p.clone(),
                sha256: e.sha256.clone(),
                size: 0,
                mtime: 0,
            });
    }
    for s in &mut t.specs {
        s.outputs = outputs.remove(s.source.as_str()).unwrap_or_default();
    }
    drop(outputs);
    let job_sources = t
        .names
        .iter()
        .map(|(n, _, s)| (n.clone(), s.clone()))
        .collect();
    let g = Generated {
        out_dir: t.out_dir,
        files: t.files,
        owners: t.owners,
        job_sources,
        warnings: t.diags.into_sorted(),
        jobs: t.names.len(),
        project_files: t.project_files,
    };
    let inc = Incremental {
        specs: t.specs,
        reused: unchanged,
    };
    (g, inc)
}

type RenderedJob = Result<(emit::Files, emit::Owners), Box<Diagnostic>>;

/// Renders and hashes every job, split across the machine's cores: this is most of the work of
/// a pre-commit run.
fn render_all(renderer: &render::Renderer, jobs: &[model::Job], out_dir: &str) -> Vec<RenderedJob> {
    let one = |job: &model::Job| -> RenderedJob {
        let files = renderer.job(job, out_dir).map_err(|e| {
            Box::new(
                Diagnostic::error(
                    &job.source,
                    format!("internal error while rendering: {e:#}"),
                )
                .help("this is a flinkgen bug; please report it with the spec"),
            )
        })?;
        for (path, text) in &files {
            if let Err(e) = deliverable(text) {
                return Err(Box::new(
                    Diagnostic::error(&job.source, format!("{out_dir}/{path} {e}"))
                        .help("shorten or clean the values of this spec (args, flinkConfig, labels, annotations)"),
                ));
            }
            if job.is_operator() {
                operator_fits(job, &format!("{out_dir}/{path}"), text)?;
            }
        }
        let owners = files
            .iter()
            .map(|(p, t)| (p.clone(), emit::owner(t, &job.source)))
            .collect();
        Ok((files, owners))
    };
    par::map(jobs, one)
}

/// A FlinkDeployment or FlinkSessionJob must fit the CRD of the Operator release the project
/// names: its API server rejects a version it does not know, and prunes fields it does not.
fn operator_fits(job: &model::Job, shown: &str, text: &str) -> Result<(), Box<Diagnostic>> {
    let Ok(doc) = load::yaml::from_str::<serde_json::Value>(text) else {
        return Ok(());
    };
    let Some(kind @ ("FlinkDeployment" | "FlinkSessionJob")) = doc["kind"].as_str() else {
        return Ok(());
    };
    let release = job.operator_release;
    let Err(e) = flink::operator::check(release, kind, &doc["spec"]) else {
        return Ok(());
    };
    let accepting = flink::operator::accepting(kind, &doc["spec"]);
    let help = match accepting.as_slice() {
        [] => "no Operator release flinkgen knows accepts it; remove the spec field that writes it".to_string(),
        some => format!(
            "Operator {} accept(s) it: set operatorVersion in flinkgen.yaml to the release the cluster runs, or remove the spec field that writes it",
            some.join(", ")
        ),
    };
    Err(Box::new(
        Diagnostic::error(
            &job.source,
            format!("{shown}: {e} in the {kind} CRD of Flink Kubernetes Operator {release}"),
        )
        .help(help),
    ))
}

/// Kubernetes stores an object in etcd, which refuses requests over 1.5 MiB, and a ConfigMap's
/// data is limited to 1 MiB; no flinkgen file has a reason to come near either.
pub const MAX_OUTPUT_FILE: usize = 1 << 20;

/// Whether a rendered file can be delivered as it is: small enough for the API server, and
/// free of raw characters that a YAML 1.1 reader takes for line breaks or a reviewer cannot
/// see. Every template escapes them; this is the last line of defence for all of them.
fn deliverable(text: &str) -> Result<(), String> {
    if text.len() > MAX_OUTPUT_FILE {
        return Err(format!(
            "would be {} bytes; Kubernetes refuses objects over about 1 MiB ({MAX_OUTPUT_FILE} bytes)",
            text.len()
        ));
    }
    // Nearly every file is printable ASCII; only others need the character scan. Counted
    // over blocks without stopping early, the check leaves the compiler free to vectorise it.
    let plain = |b: u8| ((0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t') as usize;
    let printable = text
        .as_bytes()
        .chunks(64)
        .all(|c| c.iter().map(|b| plain(*b)).sum::<usize>() == c.len());
    if printable {
        return Ok(());
    }
    if let Some(c) = text
        .chars()
        .find(|c| *c != '\n' && *c != '\t' && diag::hidden(*c))
    {
        return Err(format!(
            "would contain the invisible or line-breaking character U+{:04X} unescaped",
            c as u32
        ));
    }
    Ok(())
}

/// One `<environment>/kustomization.yaml` per environment, listing its jobs (name,
/// environment, spec).
fn environment_kustomizations(
    renderer: &render::Renderer,
    jobs: &[(String, Option<String>, String)],
    files: &mut emit::Files,
    owners: &mut emit::Owners,
) {
    let mut by_env: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (name, env, _) in jobs {
        if let Some(env) = env {
            by_env.entry(env).or_default().push(name.clone());
        }
    }
    for (env, names) in by_env {
        let view = plan::environment(env, names);
        let text = renderer
            .environment(&view)
            .expect("the environment template renders (tested)");
        let path = format!("{env}/kustomization.yaml");
        owners.insert(path.clone(), emit::owner(&text, load::PROJECT_FILE));
        files.insert(path, text);
    }
}

/// The output folder must stay inside the project, apart from every input: flinkgen writes,
/// prunes and compares there, so an output folder that holds specs (or sits inside a spec
/// folder) would be read back as input or have its files taken for hand edits.
fn check_out_dir(root: &Path, inputs: &load::Inputs, diags: &mut Diagnostics) {
    let out = &inputs.out_dir;
    let problem = load::folder_syntax(out)
        .and_then(|_| emit::confine::out_dir(root, out))
        .and_then(|_| {
            let inputs = load::input_dirs(&inputs.project);
            let clash = inputs.iter().find(|(dir, _)| {
                let nested = |a: &str, b: &str| a == b || b.starts_with(&format!("{a}/"));
                nested(out, dir) || nested(dir, out)
            });
            match clash {
                Some((dir, _)) => Err(format!(
                    "outDir `{out}` overlaps the input folder `{dir}`; flinkgen would read its own output or prune your specs"
                )),
                None => Ok(()),
            }
        });
    if let Err(e) = problem {
        let d = match &inputs.project_src {
            Some(s) if s.has("outDir") => s.error("outDir", e),
            _ => Diagnostic::error(load::PROJECT_FILE, e).field("outDir"),
        };
        diags.push(d.help("use a folder of its own, such as out or deploy/generated"));
    }
}

/// `flinkgen diff`: the output committed at `base` against what the specs render now, with
/// the warnings of the render. Nothing is written.
pub fn diff(root: &Path, base: &str) -> Result<(diff::Report, Vec<Diagnostic>), Vec<Diagnostic>> {
    let g = generate(root)?;
    let before = diff::git::out_at(root, &g.out_dir, base)
        .map_err(|e| vec![Diagnostic::general(format!("diff: {e}"))])?;
    Ok((diff::compare(&before, &g.files, &g.out_dir), g.warnings))
}

/// What `flinkgen import` did: the files written, and what rendering the project then says
/// (its errors, and its warnings about the imported files).
pub struct ImportOutcome {
    pub imported: import::Imported,
    pub render_errors: Vec<Diagnostic>,
    pub render_warnings: Vec<Diagnostic>,
}

/// `flinkgen import`: writes the project files for the inputs (never over an existing file),
/// then renders the project in memory, so that anything `flinkgen render` would refuse is
/// said now rather than at the next render.
pub fn import(
    root: &Path,
    name: Option<&str>,
    inputs: &[import::Input],
) -> Result<ImportOutcome, Vec<Diagnostic>> {
    let imported = import::plan(root, name, inputs).map_err(|d| d.into_sorted())?;
    import::write_files(root, &imported).map_err(|d| d.into_sorted())?;
    let written: Vec<&str> = imported.files.iter().map(|(p, _)| p.as_str()).collect();
    let (render_errors, render_warnings) = match generate(root) {
        Ok(g) => (
            Vec::new(),
            g.warnings
                .into_iter()
                .filter(|w| written.contains(&w.file.as_str()))
                .collect(),
        ),
        Err(d) => d.into_iter().partition(Diagnostic::is_error),
    };
    Ok(ImportOutcome {
        imported,
        render_errors,
        render_warnings,
    })
}

/// The text printed for warnings of a successful run.
pub fn warning_report(warnings: &[Diagnostic]) -> String {
    warnings.iter().map(|w| format!("{w}\n")).collect()
}

/// The text printed for a failed run: each problem, then a count.
pub fn error_report(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        s.push_str(&d.to_string());
        s.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let plural = if errors == 1 { "" } else { "s" };
    s.push_str(&format!(
        "error: {errors} problem{plural} found; nothing was written\n"
    ));
    s
}
