//! The optional project file `flinkgen.yaml`: defaults shared by all jobs.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::scalar::Scalar;
use super::spec::PullPolicy;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProjectSpec {
    /// Default namespace of all jobs (default `default`).
    pub namespace: Option<String>,
    /// Default Flink version, quoted ("1.20").
    pub flink_version: Option<Scalar>,
    /// Image defaults of every spec: registry, Java version, pull policy and secrets.
    #[serde(default)]
    pub image: ProjectImage,
    /// Default JobManager and TaskManager profiles.
    #[serde(default)]
    pub profiles: DefaultProfiles,
    /// Labels on every resource of every job.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Where job specs are read from (default `jobs`).
    pub jobs_dir: Option<String>,
    /// Where session clusters are read from (default `clusters`; the folder is optional).
    pub clusters_dir: Option<String>,
    /// Default mode of all jobs and clusters: `standalone` (default) or `native`.
    pub mode: Option<super::spec::Mode>,
    /// Default target of all jobs and clusters: `manifests` (default) or `operator`.
    pub target: Option<super::spec::Target>,
    /// The Flink Kubernetes Operator release the cluster runs ("1.15"; default the newest
    /// flinkgen knows): FlinkDeployments and FlinkSessionJobs are checked against its CRDs.
    pub operator_version: Option<Scalar>,
    /// Where profiles are read from (default `profiles`).
    pub profiles_dir: Option<String>,
    /// Where output is written (default `out`).
    pub out_dir: Option<String>,
    /// Metrics of every job and cluster (each may change them).
    pub metrics: Option<super::pod::MetricsSpec>,
    /// Logging of every job and cluster (each may change it).
    pub logging: Option<super::spec::LoggingSpec>,
    /// Deployment environments (dev, staging, prod…). With any, every job is rendered once per
    /// environment into `<outDir>/<environment>/<job>/`.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSpec>,
}

/// Settings of one environment, for all its jobs. A job adds its own changes under
/// `environments.<name>` in its spec.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentSpec {
    /// The namespace of every job in the environment, unless a job sets its own.
    pub namespace: Option<String>,
    /// Labels on every resource of the environment.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Default profiles in this environment.
    #[serde(default)]
    pub profiles: DefaultProfiles,
    /// Flink options for every job of the environment.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub flink_config: BTreeMap<String, super::tree::Tree>,
    /// Metrics of every job and cluster in this environment, over the project's.
    pub metrics: Option<super::pod::MetricsSpec>,
    /// Logging of every job and cluster in this environment, over the project's.
    pub logging: Option<super::spec::LoggingSpec>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProjectImage {
    /// Registry and path prefix of job images: a job's image is `<registry>/<job name>`.
    pub registry: Option<String>,
    /// Default Java version of base images.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub java: Option<u32>,
    /// `Always`, `IfNotPresent` or `Never` for specs that set none (default `IfNotPresent`).
    pub pull_policy: Option<PullPolicy>,
    /// Secrets with registry credentials (imagePullSecrets) for every pod of every spec that
    /// names none itself.
    #[serde(default)]
    pub pull_secrets: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DefaultProfiles {
    /// The JobManager profile of jobs that name none.
    pub job_manager: Option<String>,
    /// The TaskManager profile of jobs that name none.
    pub task_manager: Option<String>,
}
