//! Stage 3, plan: each job becomes the list of files to write, each a template and the
//! view-model it renders (the view types are in `views`; templates see nothing else).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::derive::command;
use crate::derive::ha_upgrade;
use crate::derive::wiring::{self, POD_TEMPLATE_DIR, POD_TEMPLATE_FILE};
use crate::flink::config;
use crate::load::spec::LogLevel;
use crate::model::{Jar, Job, Kind, Logging, Process, Program};

mod operator;
mod process;
pub use process::DEFAULT_LOGGERS;
mod templates;
mod views;
use operator::*;
use process::*;
pub use templates::{Template, ENVIRONMENT, FRAGMENTS};
pub use views::*;

pub const GENERATOR: &str = concat!("flinkgen ", env!("CARGO_PKG_VERSION"));

/// A job's files: each path below the output folder with its template, all rendered from
/// the one view. The texts mounted into the pods are rendered first (`render` does it in this
/// order), because their bytes feed the hash that rolls the pods when they change.
#[derive(Debug)]
pub struct Plan {
    pub view: JobView,
    /// The project's own log4j configuration, used byte for byte; without one the
    /// `Template::Log4j` text is mounted.
    pub log4j_file: Option<String>,
    /// Whether the job mounts a native TaskManager pod template (`Template::TaskManagerPodTemplate`).
    pub pod_template: bool,
    pub files: Vec<Output>,
}

/// One file of a job's output folder and the template that writes it.
#[derive(Debug)]
pub struct Output {
    /// Below the output folder.
    pub path: String,
    pub template: Template,
}

/// What the manifests embed of files rendered from the same view: the logging configuration,
/// the native TaskManager pod template, and the hash that rolls the pods when either changes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Mounted {
    pub log4j_text: String,
    /// Empty unless the job runs a native cluster.
    pub pod_template_text: String,
    pub config_hash: String,
    /// A native cluster's TaskManager configuration, which its pod template records: a new
    /// native JobManager adopts the running TaskManagers of the previous one (Flink recovers
    /// workers from previous attempts, whatever their configuration), so their pods carry
    /// the configuration they started with, for finding stale ones.
    pub taskmanager_config: Option<String>,
}

/// The Kubernetes manifests of a job, in the order kustomize lists them.
fn manifests(job: &Job) -> Vec<Template> {
    if job.is_operator() {
        return operator_manifests(job);
    }
    if let Kind::SessionJob(_) = job.kind {
        return vec![Template::SubmitJob];
    }
    let mut all = vec![Template::ConfigMap];
    if has_project_files(job) {
        all.push(Template::FilesConfigMap);
    }
    if ha_upgrade::applies(job) {
        all.push(Template::HaUpgradeConfigMap);
    }
    all.extend(rbac(job));
    if job.is_native() {
        all.push(Template::PodTemplateConfigMap);
        if job.ha.is_none() {
            all.push(Template::NativeInternalService);
        }
        all.push(Template::RestService);
        all.push(Template::JobManagerDeployment);
    } else {
        all.push(Template::JobManagerService);
        if job.rest.is_some() {
            all.push(Template::RestService);
        }
        all.push(match job.kind {
            Kind::Application => Template::JobManagerJob,
            _ => Template::JobManagerDeployment,
        });
        // With local state each TaskManager keeps its claim and name: a StatefulSet.
        if job.local_state.is_some() {
            all.push(Template::TaskManagerService);
            all.push(Template::TaskManagerStatefulSet);
        } else {
            all.push(Template::TaskManagerDeployment);
        }
    }
    if job.ingress.is_some() {
        all.push(Template::Ingress);
    }
    all.extend(policies(job));
    all
}

/// The account flinkgen writes, and the Role of pods that call the API.
fn rbac(job: &Job) -> Vec<Template> {
    let mut all = Vec::new();
    if job.writes_service_account() {
        all.push(Template::ServiceAccount);
    }
    // Standalone pods without HA never call the API: the Operator only requires the account.
    if job.calls_api() {
        all.extend([Template::Role, Template::RoleBinding]);
    }
    all
}

/// The optional PodMonitor, network policies and disruption budget, in either target.
fn policies(job: &Job) -> Vec<Template> {
    let mut all = Vec::new();
    if job.metrics.as_ref().is_some_and(|m| m.pod_monitor) {
        all.push(Template::PodMonitor);
    }
    if job.network_policy.is_some() {
        all.extend([
            Template::JobManagerNetworkPolicy,
            Template::TaskManagerNetworkPolicy,
        ]);
    }
    if job.disruption_budget.is_some() {
        all.push(Template::DisruptionBudget);
    }
    if job.autoscaler.is_some() {
        all.push(Template::Autoscaler);
    }
    if !job.resources.is_empty() {
        all.push(Template::Resources);
    }
    all
}

/// The job's view and its files.
pub fn plan(out_dir: &str, job: &Job) -> Plan {
    let output = |template: Template| Output {
        path: format!(
            "{}/{}",
            job.out_path(),
            template.output().expect("a manifest writes a file")
        ),
        template,
    };
    let mut files: Vec<Output> = manifests(job).into_iter().map(output).collect();
    files.push(output(Template::Kustomization));
    // An existing image (image.ref, a session job's cluster image) needs no Dockerfile.
    if job.image.build.is_some() {
        files.push(output(Template::Dockerfile));
        if matches!(job.program, Program::Sql(_)) {
            files.push(output(Template::SqlRunner));
        }
    }
    Plan {
        view: view(job, out_dir),
        log4j_file: job.logging.file.clone(),
        pod_template: job.is_native() && job.has_cluster(),
        files,
    }
}

/// The view of an environment's folder: its jobs, sorted.
pub fn environment(environment: &str, mut jobs: Vec<String>) -> EnvironmentView {
    jobs.sort();
    EnvironmentView {
        generator: GENERATOR,
        source: crate::load::PROJECT_FILE,
        environment: environment.to_string(),
        jobs,
    }
}

/// The log4j text mounted, and what the pod template (rendered next, when there is one)
/// reads: the hash of the TaskManager's configuration.
pub fn before_pod_template(view: &JobView, log4j_text: String, pod_template: bool) -> Mounted {
    Mounted {
        taskmanager_config: pod_template
            .then(|| config_hash(view, &log4j_text, "")[..16].to_string()),
        log4j_text,
        ..Mounted::default()
    }
}

/// Everything mounted, and the hash of it all that rolls the pods.
pub fn mounted(view: &JobView, early: Mounted, pod_template_text: String) -> Mounted {
    Mounted {
        config_hash: config_hash(view, &early.log4j_text, &pod_template_text),
        pod_template_text,
        ..early
    }
}

// Long because it is the view's struct literal, one line per field the templates read.
/// Long because it is the view's struct literal, one field per line.
fn view(job: &Job, out_dir: &str) -> JobView {
    let format = job.version.config_format();
    let header = format!(
        "Generated by {GENERATOR} from {}. Do not edit: change the spec and run `flinkgen render`.",
        job.source
    );
    let options = crate::derive::options::all(job);
    let config_text = config::render(&options, format, &header);
    JobView {
        generator: GENERATOR,
        dockerfile: format!("{out_dir}/{}/Dockerfile", job.out_path()),
        source: job.source.clone(),
        name: job.name.clone(),
        namespace: job.namespace.clone(),
        flink_version: job.version.to_string(),
        image: job.image.reference.clone(),
        pull_policy: job.image.pull_policy.as_str(),
        pull_secrets: job
            .image
            .pull_secrets
            .iter()
            .map(|n| serde_json::json!({ "name": n }))
            .collect(),
        build: job
            .image
            .build
            .as_ref()
            .map(|b| build_view(job, b, out_dir)),
        plugins: job
            .plugins
            .iter()
            .map(|p| PluginView {
                dir: p.clone(),
                jar: format!("flink-{p}-{}.jar", job.version),
            })
            .collect(),
        labels: common_labels(job),
        config_map: wiring::config_map(&job.name, job.is_native()),
        config_file: format.file_name(),
        config_text,
        jobmanager: {
            let mut jm = process(job, "jobmanager", &job.job_manager);
            if !job.is_native() && matches!(job.kind, Kind::Application) {
                native_sidecars(&mut jm);
            }
            if ha_upgrade::applies(job) {
                jm.init_containers
                    .insert(0, ha_upgrade::init_container(job));
                jm.volumes.push(ha_upgrade::volume(job));
            }
            jm
        },
        taskmanager: {
            let mut tm = process(job, "taskmanager", &job.task_manager);
            if let Some(name) = crate::derive::local_state::pod_name_variable(job) {
                tm.env.insert(0, name);
            }
            tm
        },
        jobmanager_service: wiring::jobmanager_service(&job.name),
        jobmanager_args: command::jobmanager_args(job),
        taskmanager_args: command::taskmanager_args(job),
        project_files: project_files(job),
        ha_upgrade: ha_upgrade::applies(job).then(|| HaUpgradeView {
            name: ha_upgrade::config_map(&job.name),
            class: ha_upgrade::class_base64(),
        }),
        metrics: job
            .metrics
            .as_ref()
            .filter(|_| job.has_cluster())
            .map(|m| MetricsView {
                port: m.port,
                labels: m.labels.clone(),
                from: m.from.clone(),
                interval: m.interval.clone(),
                scrape_timeout: m.scrape_timeout.clone(),
                pod_target_labels: m.pod_target_labels.clone(),
            }),
        local_state: job.local_state.as_ref().map(|l| LocalStateView {
            size: l.size.clone(),
            storage_class: l.storage_class.clone(),
            mount_path: l.mount_path.clone(),
            service: wiring::taskmanager_service(&job.name),
        }),
        taskmanager_replicas: job.task_manager_replicas,
        ports: Ports {
            rpc: wiring::RPC_PORT,
            blob: wiring::BLOB_PORT,
            rest: wiring::REST_PORT,
            taskmanager_rpc: wiring::TM_RPC_PORT,
        },
        resources: manifests(job).iter().filter_map(|t| t.output()).collect(),
        network_policy: job.network_policy.clone(),
        instance_selector: instance_selector(job),
        component_key: if flink_selects(job) {
            "component"
        } else {
            "app.kubernetes.io/component"
        },
        extra_resources: job
            .resources
            .iter()
            .map(|r| ResourceView {
                file: r.file.clone(),
                doc: r.doc.clone(),
            })
            .collect(),
        autoscaler: job.autoscaler.as_ref().map(|a| AutoscalerView {
            kind: if job.local_state.is_some() {
                "StatefulSet"
            } else {
                "Deployment"
            },
            min_replicas: a.min_replicas,
            max_replicas: a.max_replicas,
            target_cpu_utilization: a.target_cpu_utilization,
        }),
        egress: job.egress.as_ref().map(|e| EgressView {
            rules: e.rules.clone(),
            dns: e.dns,
        }),
        disruption_budget: job
            .disruption_budget
            .as_ref()
            .map(|b| DisruptionBudgetView {
                field: b.field(),
                value: b.value().clone(),
            }),
        root_level: job.logging.root.as_str(),
        log_json: job.logging.json,
        loggers: loggers(&job.logging),
        kind: match job.kind {
            Kind::Application => "application",
            Kind::SessionCluster => "session-cluster",
            Kind::SessionJob(_) => "session-job",
        },
        native: job.is_native(),
        ha: job.ha.is_some(),
        service_account: job.service_account(),
        service_account_annotations: job
            .account
            .as_ref()
            .map(|a| a.annotations.clone())
            .unwrap_or_default(),
        role: format!("{}-flink", job.name),
        taskmanager_account: job.service_account(),
        jobmanager_token: job.calls_api(),
        taskmanager_token: job.ha.is_some(),
        jobmanager_replicas: job.job_manager_replicas,
        jobmanager_container: if job.is_native() {
            "flink-main-container"
        } else {
            "jobmanager"
        },
        pod_ip_env: match (job.is_native(), job.ha.is_some()) {
            (true, _) => Some("_POD_IP_ADDRESS"),
            (false, true) => Some("POD_IP"),
            (false, false) => None,
        },
        rest: job.rest.as_ref().map(|r| RestView {
            name: wiring::rest_service(&job.name),
            service_type: r.service_type.as_str(),
            node_port: r.node_port,
            annotations: r.annotations.clone(),
        }),
        ingress: job.ingress.as_ref().map(|i| IngressView {
            name: job.name.clone(),
            host: i.host.clone(),
            path: i.path.clone(),
            class_name: i.class_name.clone(),
            tls_secret: i.tls_secret.clone(),
            annotations: i.annotations.clone(),
            service: wiring::rest_endpoint(&job.name, job.is_native() || job.rest.is_some()),
        }),
        internal_service: (job.is_native() && job.ha.is_none()).then(|| job.name.clone()),
        pod_template_map: wiring::pod_template_map(&job.name),
        pod_template_dir: POD_TEMPLATE_DIR,
        pod_template_file: POD_TEMPLATE_FILE,
        submit: match &job.kind {
            Kind::SessionJob(_) if !job.is_operator() => {
                crate::derive::submit::submission(job).map(|s| submit_view(job, &s))
            }
            _ => None,
        },
        operator: job.is_operator().then(|| operator_view(job, &options)),
    }
}

/// Whether a volume of the job's pods is a ConfigMap flinkgen writes from project files.
fn has_project_files(job: &Job) -> bool {
    job.has_cluster()
        && [&job.job_manager, &job.task_manager]
            .iter()
            .any(|p| p.extras.mounts.values().any(|m| !m.files.is_empty()))
}

/// The files of every `configMap: { files }` volume of the job's pods, in one ConfigMap.
fn project_files(job: &Job) -> Option<ProjectFilesView> {
    if !has_project_files(job) {
        return None;
    }
    let data: BTreeMap<String, String> = [&job.job_manager, &job.task_manager]
        .iter()
        .flat_map(|p| p.extras.mounts.values())
        .flat_map(|m| {
            m.files
                .iter()
                .map(|(k, text)| (wiring::files_key(&m.name, k), text.clone()))
        })
        .collect();
    Some(ProjectFilesView {
        name: wiring::files_config_map(&job.name),
        data: data.into_iter().collect(),
    })
}

fn build_view(job: &Job, b: &crate::model::Build, out_dir: &str) -> BuildView {
    use crate::model::LibJar;
    BuildView {
        python: match &job.program {
            Program::Python(p) => p.install.as_ref().map(|i| PythonBuildView {
                pyflink: i.pyflink.clone(),
                venv: wiring::PYTHON_VENV,
                system: job
                    .version
                    .image_python()
                    .map(|(os, py)| format!("{os}'s Python {py}")),
                executable: p.executable.clone(),
                requirements: i.requirements.clone(),
                copies: p.copies.clone(),
            }),
            _ => None,
        },
        sql: match &job.program {
            Program::Sql(s) => Some(SqlBuildView {
                runner_source: format!(
                    "{out_dir}/{}/{}",
                    job.out_path(),
                    wiring::SQL_RUNNER_SOURCE
                ),
                runner_jar: wiring::SQL_RUNNER_JAR,
                jdk_image: wiring::SQL_RUNNER_JDK,
                script: s.script.clone(),
                script_in_image: wiring::in_usrlib(&s.script),
            }),
            _ => None,
        },
        base_image: b.base.clone(),
        image_tag: b.tag.clone(),
        jar: match &job.jar {
            Some(Jar::Built(path)) => Some(path.clone()),
            _ => None,
        },
        usrlib_jar: wiring::jar_file(&job.name),
        lib_files: b
            .lib
            .iter()
            .filter_map(|l| match l {
                LibJar::File(p) => Some(p.clone()),
                LibJar::Download { .. } => None,
            })
            .collect(),
        lib_downloads: b
            .lib
            .iter()
            .filter_map(|l| match l {
                LibJar::Download { url, sha256 } => Some(DownloadView {
                    url: url.clone(),
                    sha256: sha256.clone(),
                    name: l.file_name().to_string(),
                }),
                LibJar::File(_) => None,
            })
            .collect(),
        files: b.files.clone(),
    }
}

fn submit_view(job: &Job, s: &crate::derive::submit::Submission) -> SubmitView {
    let mut labels = common_labels(job);
    if flink_selects(job) {
        labels.insert("component".into(), "submitter".into());
    }
    labels.insert("app.kubernetes.io/component".into(), "submitter".into());
    // The session cluster's network policy admits its jobs' submitters by this label.
    labels.insert("app.kubernetes.io/part-of".into(), s.cluster.clone());
    SubmitView {
        name: format!("{}-submit-{}", job.name, &s.job_id[16..24]),
        cluster: s.cluster.clone(),
        cluster_source: s.cluster_source.clone(),
        rest_host: s.rest_host.clone(),
        rest_port: s.rest_port,
        job_id: s.job_id.clone(),
        args: s
            .secret_args
            .iter()
            .cloned()
            .chain(s.run_args.iter().map(|a| command::container_arg(a)))
            .collect(),
        env: job.secret_options.iter().map(|o| o.env_var()).collect(),
        wait_seconds: SUBMIT_WAIT_SECONDS,
        pod_labels: labels.clone(),
        labels,
    }
}

/// How long a submitter waits for its cluster's REST endpoint before it fails.
const SUBMIT_WAIT_SECONDS: u32 = 600;

/// See `model::flink_selects`.
fn flink_selects(job: &Job) -> bool {
    crate::model::flink_selects(job.mode, job.target)
}

/// The labels that pick every pod of this cluster (its network policies, its PodMonitor).
pub fn instance_selector(job: &Job) -> BTreeMap<String, String> {
    let key = if flink_selects(job) {
        "app"
    } else {
        "app.kubernetes.io/instance"
    };
    [(key.to_string(), job.name.clone())].into()
}

/// User labels first, so flinkgen's own keys always win (validation also refuses them).
fn common_labels(job: &Job) -> BTreeMap<String, String> {
    let mut labels = job.labels.clone();
    if flink_selects(job) {
        labels.insert("app".into(), job.name.clone());
    }
    labels.insert("app.kubernetes.io/name".into(), "flink".into());
    labels.insert("app.kubernetes.io/instance".into(), job.name.clone());
    labels.insert("app.kubernetes.io/managed-by".into(), "flinkgen".into());
    // A moving tag or an image of the user's own runs the line's release it was built with.
    let version = match job.image.release_known {
        true => job.version.to_string(),
        false => job.version.minor_str(),
    };
    labels.insert("app.kubernetes.io/version".into(), version);
    labels
}

/// Hash of everything mounted into the pods' conf folder, so any change to it rolls them.
fn config_hash(v: &JobView, log4j_text: &str, pod_template_text: &str) -> String {
    let mut h = crate::hash::Parts::default();
    for part in [
        v.config_file,
        &v.config_text,
        "log4j-console.properties",
        log4j_text,
    ] {
        h.add(part);
    }
    // Native TaskManagers are created from the pod template, so it rolls them too.
    if !pod_template_text.is_empty() {
        h.add(pod_template_text);
    }
    // So do the project files the pods mount.
    for (key, text) in v.project_files.iter().flat_map(|f| &f.data) {
        h.add(key).add(text);
    }
    h.hex(32)
}
