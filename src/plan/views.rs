//! The values templates read: `JobView` holds every value of a job (built from the model and
//! its wiring), the views of its parts below. No template sees it whole: each is rendered with
//! the fields it reads, picked by `plan::context` (and held to exactly those by a test).
//! Field names are load-bearing for `templates/`.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub generator: &'static str,
    /// The Dockerfile's path from the project root, for the build hint in its header.
    pub dockerfile: String,
    pub source: String,
    pub name: String,
    pub namespace: String,
    pub flink_version: String,
    /// The image every pod runs.
    pub image: String,
    pub pull_policy: &'static str,
    /// imagePullSecrets entries (`{name: …}`) of every pod.
    pub pull_secrets: Vec<serde_json::Value>,
    /// How the Dockerfile builds the image; None when the spec runs an existing one.
    pub build: Option<BuildView>,
    pub plugins: Vec<PluginView>,
    /// Labels of resources that belong to the whole job (the ConfigMap).
    pub labels: BTreeMap<String, String>,
    pub config_map: String,
    pub config_file: &'static str,
    pub config_text: String,
    pub jobmanager: ProcessView,
    pub taskmanager: ProcessView,
    pub jobmanager_service: String,
    pub jobmanager_args: Vec<String>,
    pub taskmanager_args: Vec<String>,
    /// Each TaskManager's claim for local state (a StatefulSet then).
    pub local_state: Option<LocalStateView>,
    /// The ConfigMap of project files that volumes mount, if any.
    pub project_files: Option<ProjectFilesView>,
    /// The HA upgrade step's ConfigMap (`derive::ha_upgrade`), for HA application clusters.
    pub ha_upgrade: Option<HaUpgradeView>,
    /// Flink's Prometheus reporter: its port, and who scrapes it.
    pub metrics: Option<MetricsView>,
    pub taskmanager_replicas: u32,
    pub ports: Ports,
    pub resources: Vec<&'static str>,
    /// Peers allowed to reach the REST port; `None` when no network policy is wanted.
    pub network_policy: Option<Vec<serde_json::Value>>,
    /// The labels that pick every pod of this cluster, and the key naming a pod's role.
    pub instance_selector: BTreeMap<String, String>,
    pub component_key: &'static str,
    /// Limited egress: the spec's rules, and whether DNS stays reachable.
    pub egress: Option<EgressView>,
    /// The TaskManagers' HorizontalPodAutoscaler (reactive mode).
    pub autoscaler: Option<AutoscalerView>,
    /// The project's manifests deployed beside the job, in order.
    pub extra_resources: Vec<ResourceView>,
    pub disruption_budget: Option<DisruptionBudgetView>,
    pub root_level: &'static str,
    /// Console lines as JSON.
    pub log_json: bool,
    pub loggers: Vec<LoggerView>,
    /// `application`, `session-cluster` or `session-job`.
    pub kind: &'static str,
    pub native: bool,
    pub ha: bool,
    pub service_account: Option<String>,
    /// Annotations of the account flinkgen writes (a cloud identity).
    pub service_account_annotations: BTreeMap<String, String>,
    /// The Role and RoleBinding flinkgen writes when the processes call the API.
    pub role: String,
    /// The native TaskManagers' account: the cluster's (a token only with HA).
    pub taskmanager_account: Option<String>,
    /// Whether the JobManager's and the TaskManagers' pods mount an API token.
    pub jobmanager_token: bool,
    pub taskmanager_token: bool,
    pub jobmanager_replicas: u32,
    pub jobmanager_container: &'static str,
    /// The env var the JobManager's pod IP is passed in, when its address is its pod IP.
    pub pod_ip_env: Option<&'static str>,
    pub rest: Option<RestView>,
    pub ingress: Option<IngressView>,
    /// Native mode's headless Service for JobManager RPC (only without HA).
    pub internal_service: Option<String>,
    pub pod_template_map: String,
    pub pod_template_dir: &'static str,
    pub pod_template_file: &'static str,
    pub submit: Option<SubmitView>,
    pub operator: Option<OperatorView>,
}

/// A FlinkDeployment or FlinkSessionJob for the Flink Kubernetes Operator.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorView {
    /// The CRD's `flinkVersion` enum value, such as `v1_20`.
    pub flink_version: String,
    /// Everything the raw target writes, minus what the Operator sets from other fields.
    pub flink_configuration: BTreeMap<String, String>,
    pub jobmanager_memory: String,
    pub jobmanager_cpu: Option<f64>,
    pub taskmanager_memory: String,
    pub taskmanager_cpu: Option<f64>,
    pub taskmanager_ephemeral_storage: Option<String>,
    /// Standalone mode only: native TaskManagers follow the job's slots.
    pub taskmanager_replicas: Option<u32>,
    /// Extended resources (GPUs…) on the TaskManager container.
    pub taskmanager_extra_requests: BTreeMap<String, String>,
    pub taskmanager_extra_limits: BTreeMap<String, String>,
    /// Whether the pods mount their account's token.
    pub jobmanager_token: bool,
    pub taskmanager_token: bool,
    pub ingress_template: Option<String>,
    pub job: Option<OperatorJobView>,
    pub restart_nonce: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OperatorJobView {
    pub jar_uri: String,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    pub parallelism: i64,
    pub upgrade_mode: &'static str,
    pub savepoint_trigger_nonce: Option<i64>,
    pub initial_savepoint_path: Option<String>,
    pub allow_non_restored_state: bool,
    /// The session cluster and its spec file (FlinkSessionJob only).
    pub deployment_name: Option<String>,
    pub cluster_source: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestView {
    pub name: String,
    pub service_type: &'static str,
    pub node_port: Option<u32>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngressView {
    pub name: String,
    pub host: Option<String>,
    pub path: String,
    pub class_name: Option<String>,
    pub tls_secret: Option<String>,
    pub annotations: BTreeMap<String, String>,
    /// The Service and port the Ingress sends traffic to.
    pub service: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmitView {
    /// Changes with the submission: a Job's pod template cannot be updated in place.
    pub name: String,
    pub cluster: String,
    pub cluster_source: String,
    pub rest_host: String,
    pub rest_port: i64,
    pub job_id: String,
    pub args: Vec<String>,
    /// Variables reading the options that stay in Secrets.
    pub env: Vec<serde_json::Value>,
    pub wait_seconds: u32,
    pub labels: BTreeMap<String, String>,
    pub pod_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisruptionBudgetView {
    pub field: &'static str,
    pub value: crate::model::DisruptionValue,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoggerView {
    /// Property-name-safe id, unique within the file.
    pub id: String,
    pub name: String,
    pub level: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricsView {
    pub port: u32,
    /// Labels of the PodMonitor, when one is written.
    pub labels: BTreeMap<String, String>,
    /// NetworkPolicyPeers admitted to the metrics port.
    pub from: Vec<serde_json::Value>,
    /// The PodMonitor's scrape interval and the pod labels it copies onto the series.
    pub interval: Option<String>,
    pub scrape_timeout: Option<String>,
    pub pod_target_labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceView {
    pub file: String,
    pub doc: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutoscalerView {
    /// The kind of the TaskManagers' workload: `Deployment`, or `StatefulSet` with local state.
    pub kind: &'static str,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_cpu_utilization: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct EgressView {
    pub rules: Vec<serde_json::Value>,
    pub dns: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HaUpgradeView {
    pub name: String,
    /// The class file, base64 (a ConfigMap's binaryData).
    pub class: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectFilesView {
    pub name: String,
    /// Key and text of each file, sorted by key.
    pub data: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalStateView {
    pub size: String,
    pub storage_class: Option<String>,
    pub mount_path: String,
    /// The headless Service governing the StatefulSet.
    pub service: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildView {
    pub base_image: String,
    pub image_tag: String,
    /// The project jar the image carries in usrlib/, and its name there.
    pub jar: Option<String>,
    pub usrlib_jar: String,
    /// Project jars for lib/, and jars downloaded into it at build time.
    pub lib_files: Vec<String>,
    pub lib_downloads: Vec<DownloadView>,
    /// Project files and folders, and where they go.
    pub files: Vec<(String, String)>,
    /// PyFlink and what a Python job copies in.
    pub python: Option<PythonBuildView>,
    /// flinkgen's SQL runner, built in a first stage, and the script.
    pub sql: Option<SqlBuildView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PythonBuildView {
    /// `apache-flink==` this release into `venv`, with the image's own Python; None when the
    /// base image brings the interpreter (`executable`).
    pub pyflink: Option<String>,
    pub venv: &'static str,
    /// The base image's Ubuntu release and its Python, for the comment.
    pub system: Option<String>,
    pub executable: String,
    pub requirements: Option<String>,
    pub copies: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SqlBuildView {
    /// The runner's source, from the project root (the build context).
    pub runner_source: String,
    pub runner_jar: &'static str,
    pub jdk_image: &'static str,
    pub script: String,
    pub script_in_image: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadView {
    pub url: String,
    pub sha256: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginView {
    pub dir: String,
    pub jar: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProcessView {
    pub name: String,
    pub profile: String,
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
    /// Labels on the workload.
    pub labels: BTreeMap<String, String>,
    /// Labels on its pods: the workload's plus the profile's.
    pub pod_labels: BTreeMap<String, String>,
    /// The stable subset used as selector.
    pub selector: BTreeMap<String, String>,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<serde_json::Value>,
    pub affinity: Option<serde_json::Value>,
    /// The spec's `EnvVar`s (by name) and `EnvFromSource`s for the Flink container.
    pub env: Vec<serde_json::Value>,
    pub env_from: Vec<serde_json::Value>,
    /// The spec's `VolumeMount`s and `Volume`s, by mount path.
    pub mounts: Vec<serde_json::Value>,
    pub volumes: Vec<serde_json::Value>,
    /// The spec's pod annotations, beside flinkgen's config hash.
    pub annotations: BTreeMap<String, String>,
    pub priority_class_name: Option<String>,
    pub termination_grace_period_seconds: Option<u32>,
    pub sidecars: Vec<serde_json::Value>,
    pub init_containers: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ports {
    pub rpc: i64,
    pub blob: i64,
    pub rest: i64,
    pub taskmanager_rpc: i64,
}

/// The `kustomization.yaml` of one environment folder: all its jobs.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentView {
    pub generator: &'static str,
    pub source: &'static str,
    pub environment: String,
    pub jobs: Vec<String>,
}
