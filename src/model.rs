//! Resolved, validated jobs: every default applied, every value checked. Later stages never
//! see raw input, so they cannot mis-handle it.

use std::collections::BTreeMap;

use crate::flink::{config, memory, Version};
use crate::load::spec::{
    CheckpointMode, ClaimMode, LogLevel, Mode, PullPolicy, Retention, ServiceType, StateBackend,
    Target, UpgradeMode,
};

#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub kind: Kind,
    pub mode: Mode,
    pub target: Target,
    /// The Operator's upgrade mode (operator target only).
    pub upgrade_mode: Option<UpgradeMode>,
    /// The Operator release whose CRDs the resources must fit (`operatorVersion`).
    pub operator_release: &'static str,
    /// The Operator's `restartNonce` and the job's `savepointTriggerNonce` (operator only).
    pub restart_nonce: Option<i64>,
    pub savepoint_trigger_nonce: Option<i64>,
    /// Kubernetes HA's storage directory, when HA is on.
    pub ha: Option<String>,
    /// JobManager pods; more than one only with HA.
    pub job_manager_replicas: u32,
    /// The optional REST Service and Ingress.
    pub rest: Option<Rest>,
    pub ingress: Option<Ingress>,
    /// The environment this rendering of the job is for, if the project declares any.
    pub environment: Option<String>,
    /// The spec file, relative to the project root.
    pub source: String,
    pub namespace: String,
    pub version: Version,
    pub image: Image,
    /// What the job runs: a Java jar, a PyFlink program or a SQL script. `jar`, `entry_class`
    /// and `args` below are how Flink starts it (for Python: Flink's PythonDriver, no jar).
    pub program: Program,
    /// The job jar; a session cluster and a Python job have none.
    pub jar: Option<Jar>,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    pub restore: Option<Restore>,
    /// State backend, checkpoints and savepoints, as the spec sets them.
    pub state: State,
    pub job_manager: Process,
    pub task_manager: Process,
    pub task_manager_replicas: u32,
    /// The replicas follow from the parallelism (the Operator's rule for a standalone
    /// FlinkDeployment without `taskManager.replicas`), so they are not written.
    pub task_manager_replicas_derived: bool,
    pub task_manager_slots: u32,
    /// The job's default parallelism; a session cluster has no job.
    pub parallelism: Option<u32>,
    pub plugins: Vec<String>,
    /// The user's `flinkConfig`, checked. The complete configuration (what flinkgen pins,
    /// these, and the options of HA and native mode) is `derive::options::all`.
    pub flink_config: config::Options,
    pub labels: BTreeMap<String, String>,
    pub logging: Logging,
    /// NetworkPolicy peers allowed to reach the REST port, when a policy is wanted.
    pub network_policy: Option<Vec<serde_json::Value>>,
    /// Limited egress: the spec's rules, and whether DNS stays reachable.
    pub egress: Option<Egress>,
    /// The TaskManagers' HorizontalPodAutoscaler (reactive mode).
    pub autoscaler: Option<Autoscaler>,
    /// The project's manifests deployed beside the job.
    pub resources: Vec<Resource>,
    /// The TaskManagers' PodDisruptionBudget.
    pub disruption_budget: Option<DisruptionBudget>,
    /// Flink options whose values the processes read from Secrets.
    pub secret_options: Vec<SecretOption>,
    /// The spec's own service account for the pods.
    pub account: Option<Account>,
    /// Each TaskManager's own claim for local state (standalone only).
    pub local_state: Option<LocalState>,
    /// Flink's Prometheus reporter, when the spec (or the project) turns it on.
    pub metrics: Option<Metrics>,
}

/// Flink's Prometheus reporter and how it is scraped.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub port: u32,
    pub pod_monitor: bool,
    pub annotations: bool,
    /// Labels of the PodMonitor.
    pub labels: BTreeMap<String, String>,
    /// NetworkPolicyPeers admitted to the metrics port.
    pub from: Vec<serde_json::Value>,
    /// The PodMonitor's scrape interval and timeout (Prometheus durations).
    pub interval: Option<String>,
    pub scrape_timeout: Option<String>,
    /// Pod labels the PodMonitor copies onto the series.
    pub pod_target_labels: Vec<String>,
}

/// A Kubernetes object of the project deployed beside the job (`resources:`).
#[derive(Debug, Clone)]
pub struct Resource {
    /// The project file it comes from.
    pub file: String,
    /// The object, in the job's namespace.
    pub doc: serde_json::Value,
}

/// An `autoscaling/v2` HorizontalPodAutoscaler on the TaskManagers' cpu.
#[derive(Debug, Clone)]
pub struct Autoscaler {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_cpu_utilization: u32,
}

/// Where the pods may connect to when egress is limited.
#[derive(Debug, Clone)]
pub struct Egress {
    /// NetworkPolicyEgressRule objects of the spec.
    pub rules: Vec<serde_json::Value>,
    pub dns: bool,
}

/// The TaskManagers' local-state claims.
#[derive(Debug, Clone)]
pub struct LocalState {
    /// Kubernetes quantity.
    pub size: String,
    pub storage_class: Option<String>,
    /// Where the claim is mounted: the TaskManager's working directory.
    pub mount_path: String,
}

/// A Flink option whose value stays in a Secret: the pods read it into `env` and pass it to
/// the process as `-D<key>=$(<env>)`.
#[derive(Debug, Clone)]
pub struct SecretOption {
    pub key: String,
    pub env: String,
    pub secret: String,
    pub secret_key: String,
}

impl SecretOption {
    /// The Kubernetes `EnvVar` that reads the value.
    pub fn env_var(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.env,
            "valueFrom": { "secretKeyRef": { "name": self.secret, "key": self.secret_key } },
        })
    }

    /// The dynamic property, with the variable the kubelet expands.
    pub fn property(&self) -> String {
        format!("{}=$({})", self.key, self.env)
    }

    /// The property as one `-D` argument (what every entry point but `jobmanager.sh` takes).
    pub fn flag(&self) -> String {
        format!("-D{}", self.property())
    }
}

/// The image every pod of a spec runs.
#[derive(Debug, Clone)]
pub struct Image {
    /// The reference pods pull: the built image's `repository:tag[@digest]`, or `image.ref`.
    pub reference: String,
    pub pull_policy: PullPolicy,
    /// imagePullSecrets of every pod.
    pub pull_secrets: Vec<String>,
    /// How flinkgen builds it; None when the image exists already (`image.ref`, or the
    /// session cluster's image that a session job's submitter runs).
    pub build: Option<Build>,
    /// Whether the Flink patch release the image runs is known (a pinned official tag, an
    /// exact flinkVersion, `image.builtFrom`), not only its line: a moving tag or an image of
    /// the user's own runs whatever patch it was built with.
    pub release_known: bool,
}

/// What the generated Dockerfile does.
#[derive(Debug, Clone)]
pub struct Build {
    /// The image it starts `FROM`.
    pub base: String,
    pub tag: String,
    /// Jars for `$FLINK_HOME/lib`.
    pub lib: Vec<LibJar>,
    /// Project files or folders and their absolute destinations.
    pub files: Vec<(String, String)>,
}

/// A jar for `$FLINK_HOME/lib`.
#[derive(Debug, Clone)]
pub enum LibJar {
    /// A project file, relative to the project root.
    File(String),
    /// Downloaded at build time and checked against its SHA-256.
    Download { url: String, sha256: String },
}

impl LibJar {
    /// The jar's file name in `lib/`.
    pub fn file_name(&self) -> &str {
        let path = match self {
            LibJar::File(p) => p.as_str(),
            LibJar::Download { url, .. } => url.split(['?', '#']).next().unwrap_or(url),
        };
        path.rsplit('/').next().unwrap_or(path)
    }
}

/// Where the job jar comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jar {
    /// Built by the project (a path relative to its root); the generated Dockerfile copies it
    /// into `usrlib/`.
    Built(String),
    /// Already inside the image, at this absolute path.
    InImage(String),
    /// A URI Flink (or the Operator) fetches when the job starts.
    Remote(String),
}

/// What a job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// A Java (or Scala) jar; also a session cluster, which runs what jobs bring.
    Java,
    Python(Python),
    Sql(Sql),
}

/// A PyFlink program and the image it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Python {
    /// The interpreter of the client and of the TaskManagers' Python workers.
    pub executable: String,
    /// What the generated Dockerfile installs; None when the image exists (`image.ref`).
    pub install: Option<PythonInstall>,
    /// The script and `pyFiles` the Dockerfile copies: (project path, path in the image).
    pub copies: Vec<(String, String)>,
}

/// Python in a generated image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonInstall {
    /// PyFlink's release (`apache-flink==`) in a virtual environment, when flinkgen installs
    /// the interpreter; None when the base image brings its own (`executable`).
    pub pyflink: Option<String>,
    /// A pip requirements file, a project path.
    pub requirements: Option<String>,
}

/// A SQL script, run by flinkgen's runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    /// The script's project path.
    pub script: String,
}

/// What a spec deploys.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A job with a cluster of its own (Flink's application mode).
    Application,
    /// A session cluster that jobs are submitted to.
    SessionCluster,
    /// A job submitted to a session cluster by a Kubernetes Job
    /// (its `flink run` call is `derive::submit::submission`).
    SessionJob(SessionCluster),
}

/// The session cluster a session job is submitted to.
#[derive(Debug, Clone)]
pub struct SessionCluster {
    pub name: String,
    /// The cluster's spec file, for messages.
    pub source: String,
    pub namespace: String,
    pub native: bool,
}

#[derive(Debug, Clone)]
pub struct Rest {
    pub service_type: ServiceType,
    pub node_port: Option<u32>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Ingress {
    /// None: a path-only rule (behind a shared host).
    pub host: Option<String>,
    pub path: String,
    pub class_name: Option<String>,
    pub tls_secret: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

/// Whether Flink or the Operator find a cluster's pods by the labels `app` and `component`:
/// in native mode Flink lists its TaskManagers by `app`, `component` and `type` (its
/// `KubernetesUtils` labels); the Operator's standalone Deployments select the same three
/// (`StandaloneKubernetesUtils.getTaskManagerSelectors`, read in its repository). Elsewhere
/// flinkgen selects by `app.kubernetes.io/instance` and `app.kubernetes.io/component`, and
/// `app` and `component` are the user's.
pub fn flink_selects(mode: Mode, target: Target) -> bool {
    mode == Mode::Native || target == Target::Operator
}

impl Job {
    pub fn is_native(&self) -> bool {
        self.mode == Mode::Native
    }
    /// Whether the spec runs Flink processes (a session job only runs its submitter).
    pub fn has_cluster(&self) -> bool {
        !matches!(self.kind, Kind::SessionJob(_))
    }
    pub fn is_operator(&self) -> bool {
        self.target == Target::Operator
    }
    /// Whether Flink's processes call the Kubernetes API: native JobManagers create pods, and
    /// HA elects leaders through ConfigMaps; no other pod needs API access.
    pub fn calls_api(&self) -> bool {
        self.has_cluster() && (self.is_native() || self.ha.is_some())
    }
    /// The service account of Flink's pods: the spec's (a cloud identity), or flinkgen's own
    /// when the processes call the API; the Operator requires one on every FlinkDeployment.
    pub fn service_account(&self) -> Option<String> {
        if !self.has_cluster() {
            return None;
        }
        match &self.account {
            Some(a) => Some(a.name.clone()),
            None => {
                (self.calls_api() || self.is_operator()).then(|| format!("{}-flink", self.name))
            }
        }
    }
    /// Whether flinkgen writes the ServiceAccount (not when the spec names an existing one).
    pub fn writes_service_account(&self) -> bool {
        self.service_account().is_some() && self.account.as_ref().is_none_or(|a| a.create)
    }
}

/// The account a spec names for its pods.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub annotations: BTreeMap<String, String>,
    /// Whether flinkgen writes it (false: it exists; flinkgen only binds its Role to it).
    pub create: bool,
}

/// A PodDisruptionBudget: one of its two bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisruptionBudget {
    MaxUnavailable(DisruptionValue),
    MinAvailable(DisruptionValue),
}

impl DisruptionBudget {
    /// The PodDisruptionBudget field that carries the bound.
    pub fn field(&self) -> &'static str {
        match self {
            DisruptionBudget::MaxUnavailable(_) => "maxUnavailable",
            DisruptionBudget::MinAvailable(_) => "minAvailable",
        }
    }
    pub fn value(&self) -> &DisruptionValue {
        match self {
            DisruptionBudget::MaxUnavailable(v) | DisruptionBudget::MinAvailable(v) => v,
        }
    }
}

/// A PodDisruptionBudget bound: a pod count or a percentage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum DisruptionValue {
    Count(u32),
    Percent(String),
}

impl Job {
    /// The job's folder below the output folder: `<job>` or `<environment>/<job>`.
    pub fn out_path(&self) -> String {
        match &self.environment {
            Some(env) => format!("{env}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a job says about its state; `derive::options` writes it as Flink options.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub backend: Option<StateBackend>,
    pub checkpoints: Option<Checkpoints>,
    /// Where savepoints go by default.
    pub savepoint_dir: Option<String>,
    /// How a restore treats the savepoint's files.
    pub claim_mode: Option<ClaimMode>,
}

/// Checkpointing, every duration as the user wrote it (Flink parses it the same way).
#[derive(Debug, Clone)]
pub struct Checkpoints {
    /// None: no periodic checkpoints (the other settings still apply to manual ones).
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub min_pause: Option<String>,
    pub mode: Option<CheckpointMode>,
    pub max_concurrent: Option<u32>,
    pub tolerable_failures: Option<u32>,
    pub retention: Option<Retention>,
    pub retained: Option<u32>,
    pub incremental: Option<bool>,
    pub dir: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Restore {
    pub path: String,
    pub allow_non_restored_state: bool,
}

impl Restore {
    /// The flags `standalone-job` and `flink run` both take for it.
    pub fn flags(&self) -> Vec<String> {
        let mut f = vec!["--fromSavepoint".to_string(), self.path.clone()];
        if self.allow_non_restored_state {
            f.push("--allowNonRestoredState".to_string());
        }
        f
    }
}

/// One JobManager or TaskManager process, sized by a profile.
#[derive(Debug, Clone)]
pub struct Process {
    pub profile: String,
    /// None when the profile reserves no cpu (no request or limit).
    pub cpu_millis: Option<u64>,
    /// Limit / request, which native mode passes to Flink for the pods it creates.
    pub cpu_limit_factor: f64,
    pub memory_limit_factor: f64,
    pub memory: Memory,
    /// What the profile sets of Flink's memory model; `derive::options` writes it.
    pub configured: memory::Configured,
    /// GPUs for Flink's external-resource framework (TaskManagers only).
    pub gpu: Option<Gpu>,
    /// Container requests and limits, as Kubernetes quantities by resource name.
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
    /// Pod labels naming the profile and its requirements, plus the profile's own labels.
    pub pod_labels: BTreeMap<String, String>,
    pub node_selector: BTreeMap<String, String>,
    /// Kubernetes `Toleration` and `Affinity` objects, already checked against the API types.
    pub tolerations: Vec<serde_json::Value>,
    pub affinity: Option<serde_json::Value>,
    /// What the spec adds to this role's pods.
    pub extras: PodExtras,
}

/// The GPUs of a TaskManager, as Flink's GPU plugin finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpu {
    pub amount: u64,
    /// The extended resource name the pod requests (`nvidia.com/gpu`).
    pub config_key: String,
    pub discovery_script: Option<String>,
    pub discovery_args: Option<String>,
}

/// What a spec adds to one role's pods, checked and merged (the role's over the spec's).
#[derive(Debug, Clone, Default)]
pub struct PodExtras {
    /// Kubernetes `EnvVar` objects by name.
    pub env: BTreeMap<String, serde_json::Value>,
    /// Kubernetes `EnvFromSource` objects, in the order written.
    pub env_from: Vec<serde_json::Value>,
    /// Volumes by mount path.
    pub mounts: BTreeMap<String, Mount>,
    pub annotations: BTreeMap<String, String>,
    pub priority_class_name: Option<String>,
    pub termination_grace_period_seconds: Option<u32>,
    /// Kubernetes `Container` objects beside Flink's, and before it.
    pub sidecars: Vec<serde_json::Value>,
    pub init_containers: Vec<serde_json::Value>,
}

/// A volume and how the Flink container mounts it.
#[derive(Debug, Clone)]
pub struct Mount {
    pub name: String,
    pub read_only: bool,
    /// The Kubernetes `Volume` object; null for a ConfigMap flinkgen writes from `files`.
    pub volume: serde_json::Value,
    /// The files (name -> text) of a ConfigMap flinkgen writes; empty otherwise.
    pub files: BTreeMap<String, String>,
}

/// The derived memory of a process, as Flink computes it.
#[derive(Debug, Clone, Copy)]
pub enum Memory {
    JobManager(memory::JobManagerMemory),
    TaskManager(memory::TaskManagerMemory),
}

impl Memory {
    pub fn total_process(&self) -> u64 {
        match self {
            Memory::JobManager(m) => m.total_process(),
            Memory::TaskManager(m) => m.total_process(),
        }
    }
    pub fn jvm_flags(&self) -> String {
        match self {
            Memory::JobManager(m) => m.jvm_flags(),
            Memory::TaskManager(m) => m.jvm_flags(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Logging {
    pub root: LogLevel,
    pub loggers: BTreeMap<String, LogLevel>,
    /// Console lines as JSON (log4j's JSON template layout).
    pub json: bool,
    /// The project's own log4j2 properties, used byte for byte instead of the generated ones.
    pub file: Option<String>,
}
