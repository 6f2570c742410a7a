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
    }
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
