//! Stage 3, plan: each job becomes the list of files to write, each a template and the
//! view-model it renders. View-models are the only thing templates see; their field names are
//! load-bearing for `templates/`.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::flink::config;
use crate::load::spec::LogLevel;
use crate::model::{Job, Logging, Process};

pub const GENERATOR: &str = concat!("flinkgen ", env!("CARGO_PKG_VERSION"));

/// A job's files: each path below the output folder with its template, all rendered from
/// the one view.
#[derive(Debug)]
pub struct Plan {
    pub view: JobView,
    pub files: Vec<(String, &'static str)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub generator: &'static str,
    /// The Dockerfile's path from the project root, for the build hint in its header.
    pub dockerfile: String,
    pub source: String,
    pub name: String,
    pub namespace: String,
    pub flink_version: String,
    pub base_image: String,
    pub image: String,
    pub image_tag: String,
    pub pull_policy: &'static str,
    pub jar: String,
    pub usrlib_jar: String,
    pub plugins: Vec<PluginView>,
    /// Labels of resources that belong to the whole job (the ConfigMap).
    pub labels: BTreeMap<String, String>,
    pub config_map: String,
    pub config_file: &'static str,
    pub config_text: String,
    pub log4j_text: String,
    pub config_hash: String,
    pub jobmanager: ProcessView,
    pub taskmanager: ProcessView,
    pub jobmanager_service: String,
    pub jobmanager_args: Vec<String>,
    pub taskmanager_replicas: u32,
    pub ports: Ports,
    pub resources: Vec<&'static str>,
    /// Peers allowed to reach the REST port; `None` when no network policy is wanted.
    pub network_policy: Option<Vec<serde_json::Value>>,
    pub disruption_budget: Option<DisruptionBudgetView>,
    pub root_level: &'static str,
    pub loggers: Vec<LoggerView>,
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

/// Libraries that log too much at INFO for a console. The Netty one is harmless but alarming.
const DEFAULT_LOGGERS: &[(&str, LogLevel)] = &[
    ("org.apache.hadoop", LogLevel::Warn),
    ("org.apache.kafka", LogLevel::Info),
    ("org.apache.pekko", LogLevel::Info),
    ("org.apache.zookeeper", LogLevel::Info),
    ("org.apache.flink.shaded.zookeeper3", LogLevel::Info),
    (
        "org.jboss.netty.channel.DefaultChannelPipeline",
        LogLevel::Off,
    ),
];

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
}

#[derive(Debug, Clone, Serialize)]
pub struct Ports {
    pub rpc: i64,
    pub blob: i64,
    pub rest: i64,
    pub taskmanager_rpc: i64,
}

/// The Kubernetes manifests of a job, in the order kustomize lists them.
const MANIFESTS: &[(&str, &str)] = &[
    ("configmap.yaml", "configmap.yaml.j2"),
    ("jobmanager-service.yaml", "jobmanager-service.yaml.j2"),
    ("jobmanager-job.yaml", "jobmanager-job.yaml.j2"),
    (
        "taskmanager-deployment.yaml",
        "taskmanager-deployment.yaml.j2",
    ),
];

/// Manifests only some jobs ask for.
const NETWORK_POLICIES: &[(&str, &str)] = &[
    (
        "jobmanager-networkpolicy.yaml",
        "jobmanager-networkpolicy.yaml.j2",
    ),
    (
        "taskmanager-networkpolicy.yaml",
        "taskmanager-networkpolicy.yaml.j2",
    ),
];
const DISRUPTION_BUDGET: (&str, &str) = ("taskmanager-pdb.yaml", "taskmanager-pdb.yaml.j2");

fn manifests(job: &Job) -> Vec<(&'static str, &'static str)> {
    let mut all = MANIFESTS.to_vec();
    if job.network_policy.is_some() {
        all.extend_from_slice(NETWORK_POLICIES);
    }
    if job.disruption_budget.is_some() {
        all.push(DISRUPTION_BUDGET);
    }
    all
}

/// The log4j file is rendered first because its bytes feed the config hash.
pub fn plan(
    out_dir: &str,
    job: &Job,
    log4j: impl Fn(&JobView) -> Result<String, minijinja::Error>,
) -> Result<Plan, minijinja::Error> {
    let mut view = view(job);
    view.dockerfile = format!("{out_dir}/{}/Dockerfile", job.out_path());
    view.log4j_text = log4j(&view)?;
    view.config_hash = config_hash(&view);
    let mut files: Vec<(String, &'static str)> = manifests(job)
        .into_iter()
        .map(|(file, template)| (format!("{}/{file}", job.out_path()), template))
        .collect();
    files.push((
        format!("{}/kustomization.yaml", job.out_path()),
        "kustomization.yaml.j2",
    ));
    files.push((format!("{}/Dockerfile", job.out_path()), "Dockerfile.j2"));
    Ok(Plan { view, files })
}

fn view(job: &Job) -> JobView {
    let format = job.version.config_format();
    let header = format!(
        "Generated by {GENERATOR} from {}. Do not edit: change the spec and run `flinkgen render`.",
        job.source
    );
    let config_text = config::render(&job.options, format, &header);
    JobView {
        generator: GENERATOR,
        dockerfile: String::new(),
        source: job.source.clone(),
        name: job.name.clone(),
        namespace: job.namespace.clone(),
        flink_version: job.version.to_string(),
        base_image: job.base_image.clone(),
        image: job.image.clone(),
        image_tag: job.image_tag.clone(),
        pull_policy: job.pull_policy.as_str(),
        jar: job.jar.clone(),
        usrlib_jar: format!("{}.jar", job.name),
        plugins: job
            .plugins
            .iter()
            .map(|p| PluginView {
                dir: p.clone(),
                jar: format!("flink-{p}-{}.jar", job.version),
            })
            .collect(),
        labels: common_labels(job),
        config_map: format!("{}-config", job.name),
        config_file: format.file_name(),
        config_text,
        log4j_text: String::new(),
        config_hash: String::new(),
        jobmanager: process(job, "jobmanager", &job.job_manager),
        taskmanager: process(job, "taskmanager", &job.task_manager),
        jobmanager_service: format!("{}-jobmanager", job.name),
        jobmanager_args: jobmanager_args(job),
        taskmanager_replicas: job.task_manager_replicas,
        ports: Ports {
            rpc: crate::validate::RPC_PORT,
            blob: crate::validate::BLOB_PORT,
            rest: crate::validate::REST_PORT,
            taskmanager_rpc: crate::validate::TM_RPC_PORT,
        },
        resources: manifests(job).iter().map(|(f, _)| *f).collect(),
        network_policy: job.network_policy.clone(),
        disruption_budget: job
            .disruption_budget
            .clone()
            .map(|(field, value)| DisruptionBudgetView { field, value }),
        root_level: job.logging.root.as_str(),
        loggers: loggers(&job.logging),
    }
}

/// User labels first, so flinkgen's own keys always win (validation also refuses them).
fn common_labels(job: &Job) -> BTreeMap<String, String> {
    let mut labels = job.labels.clone();
    labels.insert("app".into(), job.name.clone());
    labels.insert("app.kubernetes.io/name".into(), "flink".into());
    labels.insert("app.kubernetes.io/instance".into(), job.name.clone());
    labels.insert("app.kubernetes.io/managed-by".into(), "flinkgen".into());
    labels.insert("app.kubernetes.io/version".into(), job.version.to_string());
    labels
}

fn process(job: &Job, component: &str, p: &Process) -> ProcessView {
    // Only immutable facts go in the selector: Deployment selectors cannot change later.
    let selector: BTreeMap<String, String> = [
        ("app".to_string(), job.name.clone()),
        ("component".to_string(), component.to_string()),
    ]
    .into();
    let mut labels = common_labels(job);
    labels.extend(selector.clone());
    labels.insert("app.kubernetes.io/component".into(), component.into());
    let mut pod_labels = labels.clone();
    pod_labels.extend(p.pod_labels.clone());
    ProcessView {
        name: format!("{}-{component}", job.name),
        profile: p.profile.clone(),
        requests: p.requests.clone(),
        limits: p.limits.clone(),
        labels,
        pod_labels,
        selector,
        node_selector: p.node_selector.clone(),
        tolerations: p.tolerations.clone(),
        affinity: p.affinity.clone(),
    }
}

fn loggers(logging: &Logging) -> Vec<LoggerView> {
    let mut levels: BTreeMap<String, LogLevel> = DEFAULT_LOGGERS
        .iter()
        .map(|(n, l)| (n.to_string(), *l))
        .collect();
    levels.extend(logging.loggers.clone());
    let mut ids = std::collections::BTreeSet::new();
    levels
        .into_iter()
        .enumerate()
        .map(|(i, (name, level))| {
            let mut id: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            if !ids.insert(id.clone()) {
                id = format!("{id}_{i}");
                ids.insert(id.clone());
            }
            LoggerView {
                id,
                name,
                level: level.as_str(),
            }
        })
        .collect()
}

/// `standalone-job` stops parsing options at the first token it does not know, so every Flink
/// option goes before the program arguments. `--host` is left out: 2.x no longer parses it.
fn jobmanager_args(job: &Job) -> Vec<String> {
    let mut args = vec!["standalone-job".to_string()];
    if let Some(c) = &job.entry_class {
        args.extend(["--job-classname".to_string(), c.clone()]);
    }
    if let Some(r) = &job.restore {
        args.extend(["--fromSavepoint".to_string(), r.path.clone()]);
        if r.allow_non_restored_state {
            args.push("--allowNonRestoredState".to_string());
        }
    }
    args.extend(job.args.iter().cloned());
    args
}

/// Hash of everything mounted into the pods' conf folder, so any change to it rolls them.
fn config_hash(v: &JobView) -> String {
    let mut h = Sha256::new();
    for part in [
        v.config_file,
        &v.config_text,
        "log4j-console.properties",
        &v.log4j_text,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The `kustomization.yaml` of one environment folder: all its jobs.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentView {
    pub generator: &'static str,
    pub source: &'static str,
    pub environment: String,
    pub jobs: Vec<String>,
}
