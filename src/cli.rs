//! Command-line surface. Kept apart from the library so tests drive `flinkgen::generate`
//! without clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "flinkgen",
    version,
    about = "Generate Dockerfiles and Kubernetes manifests for Apache Flink jobs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render every job in jobs/ into out/.
    Render(RenderArgs),
    /// Fail with a diff if out/ is not what `render` would write (same as `render --check`).
    Check(CommonArgs),
    /// Show a job's memory breakdown, JVM flags, cpu and container resources; writes nothing.
    Explain(ExplainArgs),
    /// Write the JSON Schemas of job specs, profiles and flinkgen.yaml.
    Schema(SchemaArgs),
    /// Start a new flinkgen project: flinkgen.yaml, an example job, profiles, .gitignore.
    Init(InitArgs),
    /// What a change does to the running jobs: restarts, apply or replace, state; writes nothing.
    ///
    /// Compares out/ as committed at --base with what the specs render now, job by job: which
    /// pods restart and why, whether kubectl apply can make the change, and whether each job's
    /// state is kept, restored, lost or incompatible. Exit 3 when a job loses its state or
    /// cannot restore it, 1 on errors.
    Diff(DiffArgs),
    /// Move existing Flink deployments in: Kubernetes YAML into jobs/, clusters/ and profiles/.
    ///
    /// Reads FlinkDeployment and FlinkSessionJob resources and plain manifests (the Flink docs'
    /// YAML, `helm template`, `kustomize build`), groups the objects into clusters by their
    /// references, and writes the specs and profiles that reproduce them. Never overwrites a
    /// file; never copies a secret value. Everything the input does that a spec says
    /// differently is a warning naming the input's file and line.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Kubernetes YAML files (several documents each); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project root to write into (flinkgen.yaml is created there when missing).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Name of the imported job or cluster, instead of the input's (one deployment only).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The git revision whose committed out/ is deployed.
    #[arg(long, default_value = "HEAD")]
    pub base: String,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Folder to write the schemas to.
    #[arg(long, default_value = "schema")]
    pub out: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder of the new project (created if missing).
    #[arg(default_value = ".")]
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The job's name.
    pub job: String,
    /// The environment to explain the job in, when the project declares environments.
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Write nothing; exit 1 with a unified diff if out/ is stale.
    #[arg(long)]
    pub check: bool,
    /// Overwrite or delete files flinkgen does not own or that were edited by hand.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Project root: the folder holding flinkgen.yaml, jobs/ and profiles/.
    #[arg(long, short = 'C', default_value = ".")]
    pub root: PathBuf,
    /// Print only problems.
    #[arg(long, short)]
    pub quiet: bool,
    /// Only these jobs' files (repeatable); everything is still validated.
    #[arg(long = "job", value_name = "NAME")]
    pub jobs: Vec<String>,
}
