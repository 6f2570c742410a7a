mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, CommonArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) if args.check => check(&args.common),
        Command::Render(args) => render(&args.common),
        Command::Check(common) => check(&common),
        Command::Explain(args) => explain(&args),
    }
}

fn explain(args: &cli::ExplainArgs) -> ExitCode {
    let resolved = match flinkgen::resolve(&args.common.root) {
        Ok(r) => r,
        Err(diags) => {
            eprint!("{}", flinkgen::error_report(&diags));
            return ExitCode::from(1);
        }
    };
    let Some(job) = resolved.jobs.iter().find(|j| j.name == args.job) else {
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
        eprintln!(
            "error: there is no job `{}`
  = help: {hint}jobs: {}",
            args.job,
            names.join(", ")
        );
        return ExitCode::from(1);
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

fn generate(common: &CommonArgs) -> Result<flinkgen::Generated, ExitCode> {
    match flinkgen::generate(&common.root) {
        Ok(g) => {
            eprint!("{}", flinkgen::warning_report(&g.warnings));
            Ok(g)
        }
        Err(diags) => {
            eprint!("{}", flinkgen::error_report(&diags));
            Err(ExitCode::from(1))
        }
    }
}

fn render(common: &CommonArgs) -> ExitCode {
    let g = match generate(common) {
        Ok(g) => g,
        Err(code) => return code,
    };
    match flinkgen::emit::write(&common.root.join(&g.out_dir), &g.files) {
        Ok(report) => {
            if !common.quiet {
                eprintln!(
                    "rendered {} job(s) into {}/: {} file(s) written, {} unchanged",
                    g.jobs,
                    g.out_dir,
                    report.written.len(),
                    report.unchanged
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}/: {e}", g.out_dir);
            ExitCode::from(1)
        }
    }
}

fn check(common: &CommonArgs) -> ExitCode {
    let g = match generate(common) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let drifts = flinkgen::emit::check(&common.root.join(&g.out_dir), &g.out_dir, &g.files);
    if drifts.is_empty() {
        if !common.quiet {
            eprintln!(
                "{}/ is up to date ({} files, {} job(s))",
                g.out_dir,
                g.files.len(),
                g.jobs
            );
        }
        return ExitCode::SUCCESS;
    }
    let mut stdout = std::io::stdout().lock();
    for d in &drifts {
        let _ = stdout.write_all(d.diff.as_bytes());
    }
    let _ = stdout.flush();
    for d in &drifts {
        let what = if d.missing { "missing" } else { "stale" };
        eprintln!("{what}: {}", d.path);
    }
    eprintln!(
        "error: {} file(s) in {}/ differ from the specs; run `flinkgen render` (cargo run --release -- render) and commit the result",
        drifts.len(),
        g.out_dir
    );
    ExitCode::from(1)
}
