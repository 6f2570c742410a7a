mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, CommonArgs};
use flinkgen::cache::{self, SpecRecord};
use flinkgen::diag::Diagnostic;
use flinkgen::emit::{self, DriftKind, Scope};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) if args.check => check(&args.common),
        Command::Render(args) => render(&args.common, args.force),
        Command::Check(common) => check(&common),
        Command::Explain(args) => explain(&args),
        Command::Schema(args) => schema(&args),
        Command::Init(args) => init(&args),
        Command::Diff(args) => diff(&args),
        Command::Import(args) => import(&args),
    }
}

fn import(args: &cli::ImportArgs) -> ExitCode {
    let mut inputs = Vec::new();
    for f in &args.files {
        let shown = f.display().to_string();
        let text = if shown == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
        } else {
            std::fs::read_to_string(f)
        };
        match text {
            Ok(text) => inputs.push(flinkgen::import::Input {
                path: if shown == "-" {
                    "<stdin>".into()
                } else {
                    shown
                },
                text,
            }),
            Err(e) => return fail(1, Diagnostic::error(shown, format!("cannot read: {e}"))),
        }
    }
    let outcome = match flinkgen::import(&args.root, args.name.as_deref(), &inputs) {
        Ok(o) => o,
        Err(diags) => {
            eprint_report(&flinkgen::error_report(&diags));
            return ExitCode::from(1);
        }
    };
    eprint_report(&flinkgen::warning_report(&outcome.imported.warnings));
    eprint_report(&flinkgen::warning_report(&outcome.render_warnings));
    for line in &outcome.imported.summary {
        eprintln!("imported {line}");
    }
    for (path, _) in &outcome.imported.files {
        eprintln!("created {}", args.root.join(path).display());
    }
    if !outcome.render_errors.is_empty() {
        eprint_report(&flinkgen::error_report(&outcome.render_errors));
        eprintln!("the imported files are written, but `flinkgen render` refuses the project until the errors above are fixed");
        return ExitCode::from(1);
    }
    eprintln!("next: review the warnings above, then run `flinkgen render`");
    ExitCode::SUCCESS
}

fn diff(args: &cli::DiffArgs) -> ExitCode {
    let (mut report, warnings) = match flinkgen::diff(&args.common.root, &args.base) {
        Ok(r) => r,
        Err(diags) => {
            eprint_report(&flinkgen::error_report(&diags));
            return ExitCode::from(1);
        }
    };
    eprint_report(&flinkgen::warning_report(&warnings));
    if !args.common.jobs.is_empty() {
        report.jobs.retain(|j| args.common.jobs.contains(&j.name));
    }
    let text = match args.format {
        cli::DiffFormat::Json => report.json(),
        cli::DiffFormat::Markdown => report.markdown(),
        cli::DiffFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            report.text(color)
        }
    };
    print!("{text}");
    ExitCode::from(report.exit_code())
}

fn schema(args: &cli::SchemaArgs) -> ExitCode {
    // The schema folder is committed too: a link planted there must not carry the write away.
    if std::fs::symlink_metadata(&args.out).is_ok_and(|m| !m.is_dir()) {
        return fail(
            1,
            Diagnostic::error(
                args.out.display().to_string(),
                "this is not a folder (a file or a link); flinkgen writes schemas only into a real folder",
            ),
        );
    }
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(
            1,
            Diagnostic::error(
                args.out.display().to_string(),
                format!("cannot create the folder: {e}"),
            ),
        );
    }
    for (name, text) in flinkgen::schema::schemas() {
        let path = args.out.join(name);
        let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        let same = is_file && std::fs::read_to_string(&path).is_ok_and(|old| old == text);
        if !same {
            if let Err(e) = emit::confine::replace(&args.out, name, text.as_bytes()) {
                return fail(1, io_problem(&e));
            }
        }
        eprintln!(
            "{} {}",
            if same { "unchanged" } else { "wrote" },
            path.display()
        );
    }
    ExitCode::SUCCESS
}

fn init(args: &cli::InitArgs) -> ExitCode {
    match flinkgen::init::scaffold(&args.dir) {
        Ok(created) => {
            for f in &created {
                eprintln!("created {}", f);
            }
            eprintln!("next: put your jar path and main class in jobs/my-job.yaml, then run `flinkgen render`");
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, Diagnostic::error(args.dir.display().to_string(), e)),
    }
}

/// Every failure is a diagnostic, printed one way; this is for a run that stops at one.
fn fail(code: u8, d: Diagnostic) -> ExitCode {
    eprint_report(&d.to_string());
    ExitCode::from(code)
}

/// A failed write or read, located at its path.
fn io_problem(e: &emit::confine::IoError) -> Diagnostic {
    Diagnostic::error(e.path.display().to_string(), e.error.to_string())
}

/// Diagnostics go to stderr, colored when it is a terminal (and NO_COLOR is unset).
fn eprint_report(text: &str) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    // Messages quote input (file names, CLI arguments, spec text); its control characters are
    // escaped here, before the report's own colors are added.
    let text = flinkgen::diag::printable_lines(text);
    for line in text.lines() {
        let painted = if !color {
            line.to_string()
        } else if let Some(rest) = line.strip_prefix("error:") {
            format!("\x1b[1;31merror:\x1b[0m\x1b[1m{rest}\x1b[0m")
        } else if let Some(rest) = line.strip_prefix("warning:") {
            format!("\x1b[1;33mwarning:\x1b[0m\x1b[1m{rest}\x1b[0m")
        } else if line.starts_with("  -->") || line.starts_with("  = help:") {
            format!("\x1b[36m{line}\x1b[0m")
        } else {
            line.to_string()
        };
        let _ = writeln!(err, "{painted}");
    }
}

type Run = (flinkgen::Generated, flinkgen::Incremental, Scope);

/// Renders the project in memory, all of it, or (an incremental render) all but the job
/// specs `unchanged` records.
fn generate(common: &CommonArgs, unchanged: Vec<SpecRecord>) -> Result<Run, ExitCode> {
    let (g, inc) = match flinkgen::generate_incremental(&common.root, unchanged) {
        Ok(x) => x,
        Err(diags) => {
            eprint_report(&flinkgen::error_report(&diags));
            return Err(ExitCode::from(1));
        }
    };
    eprint_report(&flinkgen::warning_report(&g.warnings));
    if common.jobs.is_empty() {
        return Ok((g, inc, Scope::default()));
    }
    let mut sources = Vec::new();
    for name in &common.jobs {
        match g.job_sources.get(name) {
            Some(s) => sources.push(s.clone()),
            None => {
                let names: Vec<&str> = g.job_sources.keys().map(String::as_str).collect();
                let d = Diagnostic::general(format!("--job {name}: there is no such job"))
                    .help(format!("jobs: {}", names.join(", ")));
                return Err(fail(2, d));
            }
        }
    }
    Ok((
        g,
        inc,
        Scope {
            sources: Some(sources),
        },
    ))
}

/// Whether this run may use the render cache: whole-project runs only, and not when asked to
/// overwrite, or when `FLINKGEN_NO_CACHE` is set.
fn cacheable(common: &CommonArgs, force: bool) -> bool {
    !force && common.jobs.is_empty() && std::env::var_os("FLINKGEN_NO_CACHE").is_none()
}

/// The unchanged job specs, what the cache knows of the lock, and the key of what every job
/// reads as it was before this run read anything.
type Reuse = (Vec<SpecRecord>, Option<cache::Prior>, Option<String>);

/// What the render cache lets this run skip: everything (the previous run's result, with its
/// warnings shown again), the unchanged job specs, or nothing.
fn from_cache(common: &CommonArgs, cacheable: bool) -> Result<Reuse, cache::Hit> {
    if !cacheable {
        return Ok((Vec::new(), None, None));
    }
    match cache::probe(&common.root) {
        (cache::Probe::Hit(hit), _) => {
            eprint_report(&hit.warnings);
            Err(hit)
        }
        (cache::Probe::Partial(unchanged, prior), key) => Ok((unchanged, Some(prior), key)),
        (cache::Probe::Miss, key) => Ok((Vec::new(), None, key)),
    }
}

fn render(common: &CommonArgs, force: bool) -> ExitCode {
    let started = std::time::SystemTime::now();
    let cache = cacheable(common, force);
    let (unchanged, prior, before) = match from_cache(common, cache) {
        Ok(u) => u,
        Err(hit) => {
            if !common.quiet {
                eprintln!(
                    "rendered {} job(s) into {}/: 0 file(s) written, {} unchanged, 0 deleted (nothing changed since the last render)",
                    hit.jobs, hit.out_dir, hit.files
                );
            }
            return ExitCode::SUCCESS;
        }
    };
    // `before` was taken before the inputs were read, and is compared after the write: a
    // shared input edited during the run leaves no cache behind (each spec's record has the
    // bytes it was read as).
    let written = match common.jobs.is_empty() {
        true => render_streamed(common, unchanged, prior.as_ref(), force),
        false => render_scoped(common, unchanged, force),
    };
    let (g, inc, result) = match written {
        Ok(x) => x,
        Err(code) => return code,
    };
    let reused = inc.reused.len();
    if let Some(r) = result.as_ref().ok().filter(|r| !r.reselected.is_empty()) {
        eprintln!(
            "note: the selector of {} workload(s) changed (flinkgen now selects standalone pods by app.kubernetes.io/instance and app.kubernetes.io/component); Kubernetes refuses to change a selector, so replace each once: kubectl replace --force -f <file> (Argo CD: Replace=true)",
            r.reselected.len()
        );
        for p in &r.reselected {
            eprintln!("  {}/{p}", g.out_dir);
        }
    }
    if let Ok(r) = &result {
        match (before, cache::key(&common.root)) {
            (Some(a), Some(b)) if a == b && cache => {
                remember(common, &a, started, &g, with_stamps(inc, &r.stamps))
            }
            _ => cache::forget(&common.root),
        }
    }
    report_write(result, (&g.out_dir, g.jobs), reused, common.quiet)
}

type Written = (
    flinkgen::Generated,
    flinkgen::Incremental,
    Result<emit::WriteReport, emit::WriteError>,
);

/// The render, how many files it leaves (the lock included), and how `out/` differs.
type Checked = (flinkgen::Generated, usize, Vec<emit::Drift>);

/// A whole-project check: chunk by chunk, as `render_streamed` renders, keeping only drifts.
fn check_streamed(common: &CommonArgs, unchanged: Vec<SpecRecord>) -> Result<Checked, ExitCode> {
    let mut checker: Option<emit::Checker> = None;
    let mut sink = |out_dir: &str, files: &emit::Files, owners: &emit::Owners| {
        let c = checker.get_or_insert_with(|| {
            emit::Checker::begin(&common.root.join(out_dir), out_dir, &Scope::default())
        });
        c.add(files, owners);
        Ok(())
    };
    let streamed = flinkgen::generate_into(&common.root, unchanged, chunk_size(), &mut sink);
    let (g, inc) = match streamed {
        Ok(x) => x,
        Err(flinkgen::Stopped::Problems(diags)) => {
            drop(checker);
            eprint_report(&flinkgen::error_report(&diags));
            return Err(ExitCode::from(1));
        }
        Err(flinkgen::Stopped::Write(_)) => unreachable!("a check's sink never fails"),
    };
    eprint_report(&flinkgen::warning_report(&g.warnings));
    let checker = checker.expect("the shared files always reach the sink");
    let kept = inc.kept();
    let drifts = checker.finish(&g.owners, &kept);
    let files = g.owners.len() + kept.len() + 1;
    Ok((g, files, drifts))
}

/// A check of some jobs (`--job`): the whole project in memory, compared in scope.
fn check_scoped(common: &CommonArgs, unchanged: Vec<SpecRecord>) -> Result<Checked, ExitCode> {
    let (g, inc, scope) = generate(common, unchanged)?;
    let out = common.root.join(&g.out_dir);
    let kept = inc.kept();
    let drifts = emit::check_kept(&out, &g.out_dir, &g.files, &g.owners, &kept, &scope);
    let files = g.files.len() + kept.len();
    Ok((g, files, drifts))
}

/// A whole-project render: chunk by chunk into the output folder's staging area, then moved
/// into place (see `emit::Stager`), so memory is bounded by a chunk of job specs.
fn render_streamed(
    common: &CommonArgs,
    unchanged: Vec<SpecRecord>,
    prior: Option<&cache::Prior>,
    force: bool,
) -> Result<Written, ExitCode> {
    let mut stager: Option<emit::Stager> = None;
    let mut out_name = String::new();
    let mut sink = |out_dir: &str, files: &emit::Files, owners: &emit::Owners| {
        if stager.is_none() {
            out_name = out_dir.to_string();
            let out = common.root.join(out_dir);
            stager = Some(emit::Stager::begin(&out, &Scope::default())?);
        }
        stager.as_mut().expect("begun above").add(files, owners)
    };
    let streamed = flinkgen::generate_into(&common.root, unchanged, chunk_size(), &mut sink);
    let (g, inc) = match streamed {
        Ok(x) => x,
        Err(flinkgen::Stopped::Problems(diags)) => {
            drop(stager);
            eprint_report(&flinkgen::error_report(&diags));
            return Err(ExitCode::from(1));
        }
        Err(flinkgen::Stopped::Write(e)) => {
            drop(stager);
            return Err(report_write(Err(e), (&out_name, 0), 0, common.quiet));
        }
    };
    eprint_report(&flinkgen::warning_report(&g.warnings));
    let stager = stager.expect("the shared files always reach the sink");
    let kept = inc.kept();
    let prior = prior.filter(|_| !inc.reused.is_empty());
    let result = stager.finish(&g.owners, (&kept, prior), force);
    drop(kept);
    Ok((g, inc, result))
}

/// A render of some jobs (`--job`): the whole project in memory, then written in scope.
fn render_scoped(
    common: &CommonArgs,
    unchanged: Vec<SpecRecord>,
    force: bool,
) -> Result<Written, ExitCode> {
    let (g, inc, scope) = generate(common, unchanged)?;
    let out = common.root.join(&g.out_dir);
    let kept = inc.kept();
    let result = emit::write_kept(&out, &g.files, &g.owners, (&kept, None), &scope, force);
    drop(kept);
    Ok((g, inc, result))
}

/// Job specs per chunk: `FLINKGEN_CHUNK` when set (tests render small projects in many
/// chunks), else `flinkgen::CHUNK`.
fn chunk_size() -> usize {
    std::env::var("FLINKGEN_CHUNK")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(flinkgen::CHUNK)
}

/// The records with the stamps of the files this run wrote, which the cache need not take
/// again.
fn with_stamps(
    mut inc: flinkgen::Incremental,
    stamps: &[(String, (u64, u128))],
) -> flinkgen::Incremental {
    let by_path: std::collections::HashMap<&str, (u64, u128)> =
        stamps.iter().map(|(p, s)| (p.as_str(), *s)).collect();
    for o in inc.specs.iter_mut().flat_map(|s| &mut s.outputs) {
        if let Some((size, mtime)) = by_path.get(o.path.as_str()).filter(|_| o.mtime == 0) {
            (o.size, o.mtime) = (*size, *mtime);
        }
    }
    inc
}

/// Records a written render in the cache.
fn remember(
    common: &CommonArgs,
    key: &str,
    started: std::time::SystemTime,
    g: &flinkgen::Generated,
    inc: flinkgen::Incremental,
) {
    // A job spec's record checks the files it read; the others (session clusters') are
    // checked on their own, once.
    let specs = inc.into_records();
    let read_by_specs: std::collections::HashSet<&str> = specs
        .iter()
        .flat_map(|s| s.files.iter().map(|(p, _)| p.as_str()))
        .collect();
    let shared_files: std::collections::BTreeMap<String, String> = g
        .project_files
        .iter()
        .filter(|(p, _)| !read_by_specs.contains(p.as_str()))
        .map(|(p, h)| (p.clone(), h.clone()))
        .collect();
    let sources: std::collections::HashSet<&str> =
        specs.iter().map(|s| s.source.as_str()).collect();
    let others = g
        .owners
        .iter()
        .filter(|(p, e)| *p != emit::lock::LOCK_FILE && !sources.contains(e.source.as_str()))
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect();
    let warnings = flinkgen::warning_report(&g.warnings);
    cache::store(
        &common.root,
        cache::Store {
            key,
            started,
            out_dir: &g.out_dir,
            jobs: g.jobs,
            files: &shared_files,
            warnings: &warnings,
            specs,
            others,
        },
    );
}

/// What a render did, or why it wrote nothing; `reused` job specs were not rendered again.
fn report_write(
    result: Result<emit::WriteReport, emit::WriteError>,
    (out_name, jobs): (&str, usize),
    reused: usize,
    quiet: bool,
) -> ExitCode {
    match result {
        Err(emit::WriteError::Conflicts(conflicts)) => {
            let mut diags: Vec<Diagnostic> = conflicts
                .iter()
                .map(|c| Diagnostic::error(c.located(out_name), c.reason()))
                .collect();
            let help = if conflicts.iter().all(|c| c.forcible()) {
                "move the change into the spec, or run `flinkgen render --force` to overwrite"
            } else {
                "remove or replace these paths yourself; --force does not override them"
            };
            diags.push(
                Diagnostic::general(format!(
                    "{} file(s) are not flinkgen's to change; nothing was written",
                    conflicts.len()
                ))
                .help(help),
            );
            eprint_report(&diags.iter().map(|d| format!("{d}\n")).collect::<String>());
            ExitCode::from(1)
        }
        Err(emit::WriteError::Io(e)) => fail(
            1,
            io_problem(&e).help(format!(
                "the files already in {}/ are whole; fix the cause and render again, the next run finishes this one",
                out_name
            )),
        ),
        Ok(report) => {
            if report.recovered && !quiet {
                eprintln!("finished an interrupted earlier render of {}/", out_name);
            }
            if !quiet {
                let skipped = match reused {
                    0 => String::new(),
                    n => format!(" ({n} unchanged job spec(s) not rendered again)"),
                };
                eprintln!(
                    "rendered {} job(s) into {}/: {} file(s) written, {} unchanged, {} deleted{skipped}",
                    jobs,
                    out_name,
                    report.written.len(),
                    report.unchanged,
                    report.deleted.len()
                );
            }
            ExitCode::SUCCESS
        }
    }
}

fn check(common: &CommonArgs) -> ExitCode {
    // `check` only reads the cache; `render` writes it.
    let (unchanged, _, _) = match from_cache(common, cacheable(common, false)) {
        Ok(u) => u,
        Err(hit) => {
            if !common.quiet {
                eprintln!(
                    "{}/ is up to date ({} files, {} job(s))",
                    hit.out_dir, hit.files, hit.jobs
                );
            }
            return ExitCode::SUCCESS;
        }
    };
    let checked = match common.jobs.is_empty() {
        true => check_streamed(common, unchanged),
        false => check_scoped(common, unchanged),
    };
    let (g, files, drifts) = match checked {
        Ok(x) => x,
        Err(code) => return code,
    };
    if drifts.is_empty() {
        if !common.quiet {
            eprintln!(
                "{}/ is up to date ({} files, {} job(s))",
                g.out_dir, files, g.jobs
            );
        }
        return ExitCode::SUCCESS;
    }
    let mut stdout = std::io::stdout().lock();
    for d in drifts.iter().filter(|d| d.kind != DriftKind::Unsafe) {
        // A file edited by hand may hold terminal escapes; the diff shows them escaped.
        let _ = stdout.write_all(flinkgen::diag::printable_lines(&d.diff).as_bytes());
    }
    let _ = stdout.flush();
    let mut text = String::new();
    for d in &drifts {
        let what = match d.kind {
            // Its "diff" is the reason; the content is never shown.
            DriftKind::Unsafe => {
                text.push_str(&format!("unsafe: {} {}\n", d.path, d.diff));
                continue;
            }
            DriftKind::Missing => "missing",
            DriftKind::Stale => "stale",
            DriftKind::HandEdited => "edited by hand",
            DriftKind::NotOwned => "not written by flinkgen",
            DriftKind::Orphaned => "orphaned (no spec produces it; render deletes it)",
        };
        text.push_str(&format!("{what}: {}\n", d.path));
    }
    eprint_report(&text);
    fail(
        1,
        Diagnostic::general(format!(
            "{} file(s) in {}/ differ from the specs; run `flinkgen render` (cargo run --release -- render) and commit the result",
            drifts.len(),
            g.out_dir
        )),
    )
}

fn explain(args: &cli::ExplainArgs) -> ExitCode {
    let resolved = match flinkgen::resolve(&args.common.root) {
        Ok(r) => r,
        Err(diags) => {
            eprint_report(&flinkgen::error_report(&diags));
            return ExitCode::from(1);
        }
    };
    let envs: std::collections::BTreeSet<&str> = resolved
        .jobs
        .iter()
        .filter_map(|j| j.environment.as_deref())
        .collect();
    match (&args.env, envs.is_empty()) {
        (None, false) => {
            let list: Vec<&str> = envs.iter().copied().collect();
            let d =
                Diagnostic::general("the project declares environments; say which one with --env")
                    .help(format!("environments: {}", list.join(", ")));
            return fail(2, d);
        }
        (Some(e), _) if !envs.contains(e.as_str()) => {
            let list: Vec<&str> = envs.iter().copied().collect();
            let help = if list.is_empty() {
                "the project declares no environments; leave out --env".to_string()
            } else {
                format!("environments: {}", list.join(", "))
            };
            let d = Diagnostic::general(format!("--env {e}: there is no such environment"));
            return fail(2, d.help(help));
        }
        _ => {}
    }
    let Some(job) = resolved
        .jobs
        .iter()
        .find(|j| j.name == args.job && j.environment == args.env)
    else {
        let names: Vec<&str> = resolved.jobs.iter().map(|j| j.name.as_str()).collect();
        let prefixed: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with(&args.job))
            .collect();
        let best = match prefixed.as_slice() {
            [one] => Some(*one),
            _ => flinkgen::diag::did_you_mean(&args.job, names.iter().copied()),
        };
        let hint = best
            .map(|b| format!("did you mean `{b}`? "))
            .unwrap_or_default();
        let d = Diagnostic::general(format!("there is no job `{}`", args.job))
            .help(format!("{hint}jobs: {}", names.join(", ")));
        return fail(1, d);
    };
    let e = flinkgen::explain::explain(job);
    match args.format {
        cli::Format::Table => print!("{}", flinkgen::explain::table(&e)),
        cli::Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&e).expect("explanations serialize")
        ),
    }
    ExitCode::SUCCESS
}
