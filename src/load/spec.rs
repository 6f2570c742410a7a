//! Job specs (`jobs/**/*.yaml`) as written by users. Every field is optional where a project
//! default or a Flink default exists; `validate` resolves them into `model::Job`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

pub use super::image::{ImageSpec, LibDownload, LibJar};
use super::pod::{MetricsSpec, SecretKeySpec, ServiceAccountSpec};
use super::profile::ProfileSpec;
pub use super::program::{PythonSpec, SqlSpec};
use super::scalar::Scalar;
pub use super::state::{
    CheckpointMode, CheckpointSpec, ClaimMode, Retention, SavepointSpec, StateBackend,
};

/// A spec enum whose value names users write and Kubernetes or Flink read back: one list
/// gives both the serde names and `as_str`, so the two cannot drift apart.
macro_rules! named {
    (pub enum $name:ident { $($variant:ident = $text:literal,)+ }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
    };
}

/// A job's or a session cluster's fields, with the fields both have written once: the spec's
/// own head, the sizing and configuration fields, the middle part, the policy fields, the
/// tail, then the pod fields (`pod_fields!`). Each spec keeps its field order, which the
/// "allowed:" list of an unknown-field error and the JSON Schema follow.
macro_rules! spec_fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($head:tt)* } { $($middle:tt)* } { $($tail:tt)* }) => {
        pod_fields! {
        $(#[$meta])*
        pub struct $name {
            $($head)*
    /// Default parallelism (`parallelism.default`): a job's defaults to TaskManager replicas x
    /// slots; a session cluster's is the default of the jobs that set none.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub parallelism: Option<u32>,
    /// The JobManager: its profile, replicas and pod settings.
    #[serde(default)]
    pub job_manager: JobManagerSpec,
    /// The TaskManagers: profile, replicas, slots and pod settings.
    #[serde(default)]
    pub task_manager: TaskManagerSpec,
    /// Checkpointing; a session cluster's is the default of its jobs, each may set its own.
    pub checkpoints: Option<CheckpointSpec>,
    /// Savepoints: where they go, and whether the job starts from one.
    pub savepoints: Option<SavepointSpec>,
    /// State backend: `hashmap`, `rocksdb`, or `forst` (Flink 2.x).
    pub state_backend: Option<StateBackend>,
    /// Optional Flink plugins from the image's `opt/` folder, e.g. `s3-fs-presto`.
    #[serde(default)]
    pub plugins: Vec<String>,
    /// Further Flink options, flat (`a.b.c: v`) or nested.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub flink_config: BTreeMap<String, super::tree::Tree>,
    /// Kubernetes namespace; defaults to the project's.
    pub namespace: Option<String>,
    /// Extra labels on every resource and pod.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Logging: the root level, levels per logger, JSON lines, or a log4j file of the project.
    pub logging: Option<LoggingSpec>,
            $($middle)*
    /// Restrict ingress to the pods (off unless given).
    pub network_policy: Option<NetworkPolicySpec>,
    /// Limit voluntary disruption of TaskManagers (off unless given).
    pub pod_disruption_budget: Option<PodDisruptionBudgetSpec>,
    /// Changes for single environments declared in flinkgen.yaml, by environment name.
    #[serde(default)]
    pub environments: BTreeMap<String, JobOverlay>,
    /// Flink options whose values live in Kubernetes Secrets, by option key: the value never
    /// reaches out/, the processes read it from the Secret when they start.
    #[serde(default)]
    pub flink_config_from_secrets: BTreeMap<String, SecretKeySpec>,
    /// The account the Flink pods run as, with its annotations (a cloud identity); written by
    /// flinkgen unless `create: false`.
    pub service_account: Option<ServiceAccountSpec>,
    /// Metrics the pods expose (Prometheus); over the project's defaults.
    pub metrics: Option<MetricsSpec>,
    /// Requests to the Flink Kubernetes Operator (`target: operator` only).
    pub operator: Option<OperatorSpec>,
    /// Kubernetes manifests of the project to deploy beside the job (a Beam job server, a
    /// TaskManager Service, …): project paths of YAML files, checked against the Kubernetes
    /// types, put into the job's namespace and listed in its kustomization.
    #[serde(default)]
    pub resources: Vec<String>,
            $($tail)*
        }
        }
    };
}

spec_fields! {
/// One Flink job: its own application cluster, or submitted to a session cluster (`session`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobSpec {
    /// Job name: a DNS-1123 label of at most 45 characters. Defaults to the file name.
    pub name: Option<String>,
    /// How Flink runs on Kubernetes: `standalone` (flinkgen writes every pod; the default) or
    /// `native` (the JobManager creates TaskManager pods from a pod template).
    pub mode: Option<Mode>,
    /// Name of a session cluster (`clusters/<name>.yaml`) to submit this job to, instead of
    /// giving the job a cluster of its own.
    pub session: Option<String>,
    /// Kubernetes high availability: leader election through ConfigMaps, metadata in `storageDir`.
    pub ha: Option<HaSpec>,
    /// An extra Service for the REST API and web UI.
    pub rest: Option<RestSpec>,
    /// An Ingress to the REST API and web UI.
    pub ingress: Option<IngressSpec>,
    /// What to write: `manifests` (plain Kubernetes resources; the default) or `operator`
    /// (FlinkDeployment / FlinkSessionJob resources for the Flink Kubernetes Operator).
    pub target: Option<Target>,
    /// How the Operator upgrades the running job (`target: operator` only; default stateless).
    pub upgrade_mode: Option<UpgradeMode>,
    /// Deprecated spelling of a remote `jar` (`https://…`), kept so older specs render.
    pub jar_uri: Option<String>,
    /// Flink version, quoted: "1.20", or a full release such as "1.20.3".
    pub flink_version: Option<Scalar>,
    /// The job's image: built by a generated Dockerfile, or an existing one (`image.ref`).
    pub image: Option<ImageSpec>,
    /// The job jar: a path relative to the project root (copied into the built image; it need
    /// not exist at render time), `local:///…` (already inside the image), or a remote URI
    /// (`https://…`, `s3://…`) that Flink fetches when the job starts.
    pub jar: Option<String>,
    /// Main class; needed unless the jar's manifest names one.
    pub entry_class: Option<String>,
    /// A PyFlink job instead of a jar: its script or module, files, requirements, interpreter.
    pub python: Option<PythonSpec>,
    /// A SQL script run as the job instead of a jar.
    pub sql: Option<SqlSpec>,
    /// Program arguments, passed after all Flink options.
    #[serde(default)]
    pub args: Vec<Scalar>,
}
{
}
{
}
}

pod_fields! {
/// What a job may change per environment. Maps merge by key; other fields replace.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobOverlay {
    /// The job's namespace in this environment.
    pub namespace: Option<String>,
    /// Turns on Kubernetes HA in this environment (or changes its storage).
    pub ha: Option<HaSpec>,
    /// The REST Service and Ingress of this environment (each replaces the job's).
    pub rest: Option<RestSpec>,
    pub ingress: Option<IngressSpec>,
    pub image: Option<ImageSpec>,
    /// Program arguments in this environment (they replace the job's).
    pub args: Option<Vec<Scalar>>,
    /// The job's parallelism in this environment.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub parallelism: Option<u32>,
    pub job_manager: Option<JobManagerSpec>,
    pub task_manager: Option<TaskManagerSpec>,
    pub savepoints: Option<SavepointSpec>,
    /// This environment's checkpoint settings, field by field over the job's.
    pub checkpoints: Option<CheckpointSpec>,
    /// Flink options of this environment, over the job's and the project's environment's.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub flink_config: BTreeMap<String, super::tree::Tree>,
    /// Labels added in this environment.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Flink options whose values live in Kubernetes Secrets, by option key: the value never
    /// reaches out/, the processes read it from the Secret when they start.
    #[serde(default)]
    pub flink_config_from_secrets: BTreeMap<String, SecretKeySpec>,
    /// The account the Flink pods run as, with its annotations (a cloud identity); written by
    /// flinkgen unless `create: false`.
    pub service_account: Option<ServiceAccountSpec>,
    /// Metrics the pods expose (Prometheus); over the project's defaults.
    pub metrics: Option<MetricsSpec>,
    /// Logging in this environment, field by field over the job's (a file replaces it).
    pub logging: Option<LoggingSpec>,
    /// Operator requests in this environment (restart or savepoint one environment only).
    pub operator: Option<OperatorSpec>,
    /// This environment's manifests, in place of the job's list (`[]` for none).
    pub resources: Option<Vec<String>>,
}
}

impl JobSpec {
    /// The profiles this spec names, in any environment.
    pub fn profiles(&self) -> impl Iterator<Item = &str> {
        let overlays = self.environments.values().flat_map(|o| {
            [
                o.job_manager.as_ref().and_then(|j| j.profile.as_deref()),
                o.task_manager.as_ref().and_then(|t| t.profile.as_deref()),
            ]
        });
        [
            self.job_manager.profile.as_deref(),
            self.task_manager.profile.as_deref(),
        ]
        .into_iter()
        .chain(overlays)
        .flatten()
    }

    /// This spec as one environment sees it. Flink options are not merged here: validation
    /// reads them from each place separately, so errors point at the line that set them.
    /// Destructured so that a new overlay field that is not merged fails to compile.
    /// Long because it destructures the overlay, so that a new field not merged here fails to compile.
    pub fn with_overlay(&self, o: &JobOverlay) -> JobSpec {
        let JobOverlay {
            namespace,
            ha,
            rest,
            ingress,
            image,
            args,
            parallelism,
            job_manager,
            task_manager,
            savepoints,
            checkpoints,
            flink_config: _,
            labels,
            flink_config_from_secrets,
            service_account,
            metrics,
            logging,
            operator,
            resources,
            env: _,
            env_from: _,
            volumes: _,
            pod_annotations: _,
            priority_class_name: _,
            termination_grace_period_seconds: _,
            sidecars: _,
            init_containers: _,
        } = o.clone();
        let mut s = self.clone();
        s.set_pod(self.pod().merged(&o.pod()));
        s.flink_config_from_secrets
            .extend(flink_config_from_secrets);
        s.service_account = service_account.or(s.service_account);
        s.metrics = match (s.metrics, metrics) {
            (Some(b), Some(o)) => Some(b.overlay(&o)),
            (b, o) => o.or(b),
        };
        s.logging = match (s.logging, logging) {
            (Some(b), Some(o)) => Some(b.overlay(&o)),
            (b, o) => o.or(b),
        };
        s.resources = resources.unwrap_or(s.resources);
        s.operator = match (s.operator, operator) {
            (Some(b), Some(o)) => Some(b.overlay(&o)),
            (b, o) => o.or(b),
        };
        if let Some(c) = checkpoints {
            s.checkpoints = Some(match s.checkpoints {
                Some(base) => base.overlay(c),
                None => c,
            });
        }
        s.namespace = namespace.or(s.namespace);
        s.ha = ha.or(s.ha);
        s.rest = rest.or(s.rest);
        s.ingress = ingress.or(s.ingress);
        if let Some(i) = image {
            let base = s.image.unwrap_or_default();
            s.image = Some(base.overlay(i));
        }
        s.args = args.unwrap_or(s.args);
        s.parallelism = parallelism.or(s.parallelism);
        if let Some(jm) = job_manager {
            let pod = s.job_manager.pod().merged(&jm.pod());
            s.job_manager.set_pod(pod);
            s.job_manager.profile = jm.profile.or(s.job_manager.profile);
            s.job_manager.replicas = jm.replicas.or(s.job_manager.replicas);
            s.job_manager.overrides = overlay_profile(s.job_manager.overrides, jm.overrides);
        }
        if let Some(tm) = task_manager {
            let pod = s.task_manager.pod().merged(&tm.pod());
            s.task_manager.set_pod(pod);
            s.task_manager.profile = tm.profile.or(s.task_manager.profile);
            s.task_manager.replicas = tm.replicas.or(s.task_manager.replicas);
            s.task_manager.slots = tm.slots.or(s.task_manager.slots);
            s.task_manager.local_state = tm.local_state.or(s.task_manager.local_state);
            s.task_manager.autoscaler = tm.autoscaler.or(s.task_manager.autoscaler);
            s.task_manager.overrides = overlay_profile(s.task_manager.overrides, tm.overrides);
        }
        if let Some(sp) = savepoints {
            let base = s.savepoints.unwrap_or_default();
            s.savepoints = Some(SavepointSpec {
                dir: sp.dir.or(base.dir),
                restore_from: sp.restore_from.or(base.restore_from),
                allow_non_restored_state: sp
                    .allow_non_restored_state
                    .or(base.allow_non_restored_state),
                claim_mode: sp.claim_mode.or(base.claim_mode),
            });
        }
        s.labels.extend(labels);
        s
    }
}

fn overlay_profile(base: Option<ProfileSpec>, over: Option<ProfileSpec>) -> Option<ProfileSpec> {
    match (base, over) {
        (Some(b), Some(o)) => Some(b.overlay(&o)),
        (b, o) => o.or(b),
    }
}

/// With a network policy, JobManager ports accept only the job's own pods, the web UI / REST
/// port also the peers in `restFrom`, and TaskManagers only the job's own pods. Egress is not
/// restricted (sources, sinks and checkpoint storage vary too much).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Kubernetes NetworkPolicyPeer objects allowed to reach port 8081.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub rest_from: Vec<super::tree::Tree>,
    /// Where the pods may connect to, as Kubernetes NetworkPolicyEgressRule objects (`to`
    /// peers, `ports`): given, it limits egress to these, the cluster's own pods and DNS.
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub egress: Option<Vec<super::tree::Tree>>,
    /// Whether limited egress still reaches DNS (port 53, UDP and TCP); default true.
    pub egress_dns: Option<bool>,
}

/// A PodDisruptionBudget for the TaskManagers only: it never selects the JobManager's pods.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodDisruptionBudgetSpec {
    /// Pods that may be down at once: a number or a percentage ("25%"). Default 1.
    pub max_unavailable: Option<Scalar>,
    /// Pods that must stay up: a number or a percentage. Excludes maxUnavailable.
    pub min_available: Option<Scalar>,
}

named! {
    pub enum PullPolicy {
        Always = "Always",
        IfNotPresent = "IfNotPresent",
        Never = "Never",
    }
}

pod_fields! {
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobManagerSpec {
    /// Resource profile name (a file in `profiles/`); defaults to the project's.
    pub profile: Option<String>,
    /// JobManager pods: more than 1 runs standbys, which needs `ha`.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub replicas: Option<u32>,
    /// Single profile fields to change for this job.
    pub overrides: Option<ProfileSpec>,
}
}

pod_fields! {
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskManagerSpec {
    /// Resource profile name (a file in `profiles/`); defaults to the project's.
    pub profile: Option<String>,
    /// Number of TaskManager pods (default 1).
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub replicas: Option<u32>,
    /// Task slots per TaskManager (default 1).
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub slots: Option<u32>,
    /// A persistent disk per TaskManager for local state: the TaskManagers become a
    /// StatefulSet and recover state from their own disk after a restart.
    pub local_state: Option<super::pod::LocalStateSpec>,
    /// Scale the TaskManagers with a HorizontalPodAutoscaler on their cpu; reactive mode
    /// (`scheduler-mode: reactive`) only, where Flink rescales the job to the TaskManagers
    /// there are. `replicas` is the starting point.
    pub autoscaler: Option<AutoscalerSpec>,
    /// Single profile fields to change for this job.
    pub overrides: Option<ProfileSpec>,
}
}

/// An `autoscaling/v2` HorizontalPodAutoscaler on the TaskManagers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AutoscalerSpec {
    /// The fewest TaskManagers (at least 1).
    #[serde(deserialize_with = "super::scalar::int32_required")]
    #[schemars(range(min = 1, max = 2147483647))]
    pub min_replicas: u32,
    /// The most TaskManagers.
    #[serde(deserialize_with = "super::scalar::int32_required")]
    #[schemars(range(min = 1, max = 2147483647))]
    pub max_replicas: u32,
    /// Average cpu use, in percent of the TaskManagers' cpu request, that the autoscaler
    /// keeps them at (default 70).
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(min = 1, max = 2147483647))]
    pub target_cpu_utilization: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoggingSpec {
    /// Root log level.
    pub level: Option<LogLevel>,
    /// Levels of single loggers, by logger name.
    #[serde(default)]
    pub loggers: BTreeMap<String, LogLevel>,
    /// A log4j2 properties file of the project to use instead of the generated one (byte for
    /// byte; it must have a console appender).
    pub file: Option<String>,
    /// `json`: console lines as JSON (log4j's JSON template layout, ECS fields) for log
    /// collectors; `text` (default): Flink's usual pattern.
    pub format: Option<LogFormat>,
}

impl LoggingSpec {
    /// `over` on top of these settings: each field it sets replaces ours, loggers merge. A
    /// file replaces the generated configuration whole, so it drops what would shape that.
    pub fn overlay(&self, over: &LoggingSpec) -> LoggingSpec {
        if over.file.is_some() {
            return over.clone();
        }
        let mut loggers = self.loggers.clone();
        loggers.extend(over.loggers.clone());
        LoggingSpec {
            level: over.level.or(self.level),
            loggers,
            file: over.file.clone().or(self.file.clone()),
            format: over.format.or(self.format),
        }
    }
}

named! {
    pub enum LogFormat {
        Text = "text",
        Json = "json",
    }
}

named! {
    pub enum LogLevel {
        Trace = "TRACE",
        Debug = "DEBUG",
        Info = "INFO",
        Warn = "WARN",
        Error = "ERROR",
        Off = "OFF",
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Manifests,
    Operator,
}

named! {
    pub enum UpgradeMode {
        Stateless = "stateless",
        Savepoint = "savepoint",
        LastState = "last-state",
    }
}

named! {
    pub enum Mode {
        Standalone = "standalone",
        Native = "native",
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HaSpec {
    /// Durable location of JobManager metadata (`s3://bucket/flink-ha`); its filesystem plugin
    /// must be enabled.
    pub storage_dir: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestSpec {
    /// Service type (default ClusterIP).
    #[serde(rename = "type")]
    pub service_type: Option<ServiceType>,
    /// Fixed node port for NodePort and LoadBalancer (30000-32767).
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub node_port: Option<u32>,
    /// Annotations on the Service (for example a cloud load balancer's settings).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

named! {
    pub enum ServiceType {
        ClusterIP = "ClusterIP",
        NodePort = "NodePort",
        LoadBalancer = "LoadBalancer",
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressSpec {
    /// Host name the Ingress answers for; without one, a path-only rule behind a shared host.
    pub host: Option<String>,
    /// Path prefix (default `/`).
    pub path: Option<String>,
    /// IngressClass name; the cluster's default class when not given.
    pub class_name: Option<String>,
    /// Secret holding the TLS certificate for `host`.
    pub tls_secret: Option<String>,
    /// Annotations of the Ingress, for the ingress controller.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

spec_fields! {
/// A session cluster (`clusters/*.yaml`): a JobManager and TaskManagers that jobs with
/// `session: <name>` are submitted to.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSpec {
    /// Cluster name: a DNS-1123 label of at most 45 characters. Defaults to the file name.
    pub name: Option<String>,
    /// Flink version, quoted ("1.20"). Jobs submitted to the cluster use the same.
    pub flink_version: Option<Scalar>,
    /// `standalone` (flinkgen writes every pod; the default) or `native` (the JobManager
    /// creates TaskManager pods for the jobs it runs).
    pub mode: Option<Mode>,
    /// `manifests` (default) or `operator` (a FlinkDeployment without a job).
    pub target: Option<Target>,
    /// The cluster image: built with its plugins and `lib` jars, or an existing one (`ref`).
    pub image: Option<ImageSpec>,
}
{
    /// Kubernetes high availability: leader election through ConfigMaps, metadata in `storageDir`.
    pub ha: Option<HaSpec>,
    /// An extra Service for the REST API and web UI.
    pub rest: Option<RestSpec>,
    /// An Ingress to the web UI and REST API.
    pub ingress: Option<IngressSpec>,
}
{
    /// PyFlink in the cluster's image, for the Python functions of the PyFlink jobs submitted
    /// to it (`requirements`, `executable`; the jobs bring their own scripts).
    pub python: Option<PythonSpec>,
}
}

impl ClusterSpec {
    /// The cluster as a job spec without a job, so both share one validation.
    /// Destructured so that a new cluster field that is not carried over fails to compile.
    /// Long because it destructures the cluster, so that a field not carried over fails to compile.
    pub fn into_job_spec(self) -> JobSpec {
        let ClusterSpec {
            name,
            flink_version,
            mode,
            target,
            image,
            parallelism,
            job_manager,
            task_manager,
            checkpoints,
            savepoints,
            state_backend,
            plugins,
            flink_config,
            namespace,
            labels,
            logging,
            ha,
            rest,
            ingress,
            network_policy,
            pod_disruption_budget,
            environments,
            flink_config_from_secrets,
            service_account,
            metrics,
            operator,
            resources,
            python,
            env,
            env_from,
            volumes,
            pod_annotations,
            priority_class_name,
            termination_grace_period_seconds,
            sidecars,
            init_containers,
        } = self;
        JobSpec {
            name,
            mode,
            target,
            upgrade_mode: None,
            jar_uri: None,
            session: None,
            ha,
            rest,
            ingress,
            flink_version,
            image,
            jar: None,
            entry_class: None,
            python,
            sql: None,
            args: Vec::new(),
            parallelism,
            job_manager,
            task_manager,
            checkpoints,
            savepoints,
            state_backend,
            plugins,
            flink_config,
            namespace,
            labels,
            logging,
            network_policy,
            pod_disruption_budget,
            environments,
            flink_config_from_secrets,
            service_account,
            metrics,
            operator,
            resources,
            env,
            env_from,
            volumes,
            pod_annotations,
            priority_class_name,
            termination_grace_period_seconds,
            sidecars,
            init_containers,
        }
    }
}

/// What the Operator is asked to do once, by changing a number (its `…Nonce` fields): any new
/// value triggers the action on the next reconcile.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OperatorSpec {
    /// Restart the cluster (and its job) once for each new value (`spec.restartNonce`).
    pub restart_nonce: Option<i64>,
    /// Take a savepoint of the running job once for each new value
    /// (`spec.job.savepointTriggerNonce`; jobs only).
    pub savepoint_trigger_nonce: Option<i64>,
}

impl OperatorSpec {
    /// `over` on top of these: each number it sets replaces ours.
    pub fn overlay(&self, over: &OperatorSpec) -> OperatorSpec {
        OperatorSpec {
            restart_nonce: over.restart_nonce.or(self.restart_nonce),
            savepoint_trigger_nonce: over
                .savepoint_trigger_nonce
                .or(self.savepoint_trigger_nonce),
        }
    }
}
