//! Validation of one job spec into a `model::Job`.

use std::collections::BTreeMap;

use super::image::{image, Needs};
use super::pod::{disruption_budget, labels, logging};
use super::profile::Component;
use super::state::location;
use super::{process, units, version, Defaults, Profiles};
use crate::diag::{did_you_mean, Diagnostics};
use crate::flink::config::{Options, Value};
use crate::flink::{self, Version};
use crate::load::pod::MetricsSpec;
use crate::load::scalar::Scalar;
use crate::load::spec::{JobSpec, LoggingSpec, Mode};
use crate::load::Source;
use crate::model::{Job, Kind, Process};

/// The environment a job is validated for, and the Flink options it adds.
pub struct Environment<'a> {
    pub name: &'a str,
    /// Options for all jobs of the environment, with the project file that sets them.
    pub project: Option<(&'a Source, &'a BTreeMap<String, crate::load::tree::Tree>)>,
    /// The job's own options for this environment.
    pub job: Option<&'a BTreeMap<String, crate::load::tree::Tree>>,
}

/// What the spec being validated deploys; a session job carries its validated cluster.
pub enum Role<'a> {
    Application,
    Cluster,
    SessionJob(&'a Job),
}

/// Resolves a spec into a `Job`. It is long because it resolves each field of the model in
/// turn (each through a function of its own) and assembles them; splitting the assembly would
/// only pass the half-resolved fields around.
pub fn validate(
    src: &Source,
    spec: &JobSpec,
    role: &Role,
    defaults: &Defaults,
    profiles: &Profiles,
    env: Option<&Environment>,
    diags: &mut Diagnostics,
) -> Option<Job> {
    let before = diags.error_count();
    let cluster = match role {
        Role::SessionJob(c) => Some(*c),
        _ => None,
    };
    if let Some(c) = cluster {
        super::deploy::cluster_fields(src, spec, c, diags);
    }
    let name = name(src, spec, diags);
    let version = match cluster {
        Some(c) => super::deploy::session_version(src, spec, c, diags),
        None => job_version(src, spec, defaults, diags),
    };
    let namespace = spec.namespace.clone().unwrap_or_else(|| match cluster {
        Some(c) => c.namespace.clone(),
        None => defaults.namespace.clone(),
    });
    // An inherited namespace was checked with the project file.
    if let (Some(_), Err(e)) = (&spec.namespace, units::dns_label(&namespace, 63)) {
        diags.push(src.error("namespace", e));
    }
    let declared = super::program::declared(src, spec, role, &defaults.files, diags);
    let (mut jm, mut tm, replicas, slots) =
        processes(src, spec, cluster, defaults, profiles, version, diags);
    if cluster.is_none() {
        let base = super::extras::extras(src, "", &spec.pod(), &defaults.files, diags);
        for (process, field, role) in [
            (&mut jm, "jobManager.", spec.job_manager.pod()),
            (&mut tm, "taskManager.", spec.task_manager.pod()),
        ] {
            let own = super::extras::extras(src, field, &role, &defaults.files, diags);
            let merged = super::extras::merge(src, field, &base, &own, diags);
            if let Some(p) = process {
                p.extras = merged;
            }
        }
    }
    let mode = match cluster {
        Some(c) => c.mode,
        None => spec.mode.or(defaults.mode).unwrap_or(Mode::Standalone),
    };
    let target = super::deploy::target(src, spec, cluster, defaults.target, diags);
    // Native mode starts as many TaskManagers as the job's slots need.
    // Native clusters start TaskManagers on demand; the adaptive scheduler (and reactive mode)
    // runs a job with the slots there are: neither waits for a fixed slot count.
    let elastic = mode == Mode::Native || adaptive_scheduler(spec, cluster);
    let parallelism = parallelism(
        src,
        spec.parallelism,
        replicas,
        slots,
        elastic,
        matches!(role, Role::Cluster),
        diags,
    );
    let plugins = plugins(src, &spec.plugins, diags);
    // A session job's paths are read by its cluster, with the cluster's filesystems.
    let fs_plugins = cluster.map_or(&plugins, |c| &c.plugins);
    let labels = labels(src, &spec.labels, &defaults.labels, diags);
    let logging_spec = match cluster {
        // A session job's processes and their logging are its cluster's.
        Some(_) => None,
        None => super::layered(
            [
                defaults.logging.as_ref(),
                env.and_then(|e| defaults.env_logging.get(e.name)),
                spec.logging.as_ref(),
            ],
            LoggingSpec::overlay,
        ),
    };
    let logging = logging(src, logging_spec.as_ref(), &defaults.files, diags);
    let network_policy = network_policy(src, spec, diags);
    let disruption_budget = spec
        .pod_disruption_budget
        .as_ref()
        .and_then(|p| disruption_budget(src, p, mode, diags));
    let ha = spec.ha.as_ref().and_then(|h| {
        location(src, "ha.storageDir", &h.storage_dir, &plugins, diags)
            .then(|| h.storage_dir.clone())
    });
    let jm_replicas = super::deploy::job_manager_replicas(src, spec, diags);
    let rest = spec
        .rest
        .as_ref()
        .and_then(|r| super::deploy::rest(src, r, diags));
    let ingress = spec
        .ingress
        .as_ref()
        .and_then(|i| super::deploy::ingress(src, i, diags));
    let mut version = version?;
    let name = name?;
    let needs = Needs {
        cluster: cluster.map(|c| &c.image),
        built_jar: declared.as_ref().is_some_and(|d| d.builds(spec)),
        exact_version: matches!(&spec.flink_version, Some(Scalar::Text(t)) if t.trim().split('.').count() == 3),
        plugins: &plugins,
    };
    let image = image(
        src,
        spec.image.as_ref(),
        &name,
        &mut version,
        defaults,
        &needs,
        diags,
    );
    let entry = match (declared, &image) {
        (Some(d), Some(img)) => super::program::entry(src, spec, d, role, version, img, diags),
        _ => None,
    };
    let (state, restore) = super::state::state(src, spec, version, fs_plugins, diags);
    let scope = cluster.map(|c| c.source.as_str());
    let options = user_options(src, spec, env, version, scope, diags);
    let user_keys: Vec<String> = options.keys().cloned().collect();
    if spec.task_manager.local_state.is_some() {
        super::options::taken_by(
            src,
            &user_keys,
            |k| crate::derive::options::LOCAL_STATE_KEYS.contains(&k),
            "taskManager.localState",
            "remove it: local state puts the working directory on the claim and turns local recovery on",
            diags,
        );
    }
    if spec.python.is_some() {
        super::options::taken_by(
            src,
            &user_keys,
            |k| crate::derive::options::PYTHON_KEYS.contains(&k),
            "python.executable",
            "set the interpreter with python.executable",
            diags,
        );
    }
    let secret_options = super::secrets::secret_options(
        src,
        &spec.flink_config_from_secrets,
        &user_keys,
        version,
        diags,
    );
    if target != crate::load::spec::Target::Operator {
        operator_only_options(src, &options, diags);
        pod_options(src, &options, diags);
    }
    if diags.error_count() > before {
        return None;
    }
    let image = image?;
    let entry = entry?;
    let job = Job {
        name,
        kind: Kind::Application,
        mode,
        target,
        upgrade_mode: spec.upgrade_mode,
        ha,
        job_manager_replicas: jm_replicas,
        rest,
        ingress,
        environment: env.map(|e| e.name.to_string()),
        source: src.path.clone(),
        namespace,
        version,
        image,
        program: entry.program,
        jar: entry.jar,
        entry_class: entry.entry_class,
        args: entry.args,
        restore,
        state,
        job_manager: jm?,
        task_manager: tm?,
        task_manager_replicas: replicas,
        task_manager_slots: slots,
        // A session cluster's is only the default of jobs that set none.
        parallelism: match role {
            Role::Cluster => spec.parallelism.map(|_| parallelism),
            _ => Some(parallelism),
        },
        plugins,
        options: Options::new(),
        labels,
        logging,
        network_policy,
        disruption_budget,
        secret_options,
        account: spec
            .service_account
            .as_ref()
            .and_then(|a| super::extras::account(src, a, diags)),
        metrics: metrics(
            src,
            spec,
            cluster.is_some(),
            env,
            defaults,
            &user_keys,
            diags,
        ),
        local_state: spec.task_manager.local_state.as_ref().and_then(|l| {
            super::extras::local_state(
                src,
                l,
                mode == Mode::Native,
                target == crate::load::spec::Target::Operator,
                diags,
            )
        }),
    };
    let job = finish(src, spec, job, role, parallelism, options, diags);
    (diags.error_count() == before).then_some(job)
}

/// The job's Flink options, its kind, and the checks that need both.
fn finish(
    src: &Source,
    spec: &JobSpec,
    mut job: Job,
    role: &Role,
    parallelism: u32,
    user: Options,
    diags: &mut Diagnostics,
) -> Job {
    let cluster = match role {
        Role::SessionJob(c) => Some(*c),
        _ => None,
    };
    // What flinkgen derives comes first, so a user option may refine it; the options of HA
    // and native mode come last, as their keys name objects flinkgen creates.
    let base = crate::derive::options::base(&job, cluster.is_none());
    writable(src, &base, job.version, diags);
    job.options = base;
    let user = java_flags(&mut job.options, user);
    job.options.extend(user);
    job.kind = match role {
        Role::Application => Kind::Application,
        Role::Cluster => Kind::SessionCluster,
        Role::SessionJob(c) => Kind::SessionJob(super::deploy::submission(&job, c, parallelism)),
    };
    super::deploy::native_checks(src, &job, diags);
    super::deploy::jar_checks(src, spec, &job, diags);
    super::secrets::checks(src, &job, diags);
    super::paths::checks(src, &job, diags);
    super::pod::json_layout(src, &job, diags);
    let cluster_options = crate::derive::options::cluster(&job);
    job.options.extend(cluster_options);
    super::deploy::operator_checks(src, &job, cluster, diags);
    job
}

/// The user's JVM flags (`env.java.opts.all`, or its old name `env.java.opts`) go after the
/// flags flinkgen writes, which Flink needs on Java 17+: setting either key would otherwise
/// replace them (`env.java.opts.all` wins over `env.java.opts` in Flink).
fn java_flags(options: &mut Options, mut user: Options) -> Options {
    // Where flinkgen writes no flags (before 1.18), the user's keys stand as written.
    let Some(ours) = options
        .get("env.java.opts.all")
        .map(crate::flink::config::cli_value)
    else {
        return user;
    };
    let theirs: Vec<String> = ["env.java.opts", "env.java.opts.all"]
        .iter()
        .filter_map(|k| user.remove(*k))
        .map(|v| crate::flink::config::cli_value(&v))
        .collect();
    if !theirs.is_empty() {
        let all: Vec<String> = std::iter::once(ours).chain(theirs).collect();
        options.insert("env.java.opts.all".into(), Value::Text(all.join(" ")));
    }
    user
}

/// Flink options that shape the pods Flink's own Kubernetes client creates, and the spec
/// field that does it for the pods flinkgen writes. In plain manifests they would do nothing
/// (standalone) or reach only the TaskManagers (native: flinkgen writes the JobManager).
const POD_OPTIONS: &[(&str, &str)] = &[
    (
        "kubernetes.env.secretKeyRef",
        "env with { secret: <name>, key: <key> }",
    ),
    ("kubernetes.secrets", "volumes with { secret: <name> }"),
    ("containerized.master.env.", "jobManager.env"),
    ("containerized.taskmanager.env.", "taskManager.env"),
    (
        "kubernetes.jobmanager.annotations",
        "jobManager.podAnnotations",
    ),
    (
        "kubernetes.taskmanager.annotations",
        "taskManager.podAnnotations",
    ),
    (
        "kubernetes.jobmanager.tolerations",
        "the JobManager profile's scheduling.tolerations",
    ),
    (
        "kubernetes.taskmanager.tolerations",
        "the TaskManager profile's scheduling.tolerations",
    ),
    (
        "kubernetes.jobmanager.node-selector",
        "the JobManager profile's scheduling.nodeSelector",
    ),
    (
        "kubernetes.taskmanager.node-selector",
        "the TaskManager profile's scheduling.nodeSelector",
    ),
    ("kubernetes.rest-service.annotations", "rest.annotations"),
    ("kubernetes.jobmanager.service-account", "serviceAccount"),
    ("kubernetes.taskmanager.service-account", "serviceAccount"),
];

fn pod_options(src: &Source, options: &Options, diags: &mut Diagnostics) {
    for key in options.keys() {
        let hit = POD_OPTIONS
            .iter()
            .find(|(k, _)| key == k || (k.ends_with('.') && key.starts_with(k)));
        if let Some((_, field)) = hit {
            diags.push(
                src.key_error(
                    &format!("flinkConfig.{key}"),
                    format!("`{key}` shapes pods that Flink's Kubernetes client creates; flinkgen writes these pods itself, so it would do nothing or reach only the native TaskManagers"),
                )
                .help(format!("use {field}")),
            );
        }
    }
}

/// Options only the Flink Kubernetes Operator reads do nothing in plain manifests.
fn operator_only_options(src: &Source, options: &Options, diags: &mut Diagnostics) {
    for key in options.keys() {
        if key.starts_with("kubernetes.operator.") || key.starts_with("job.autoscaler.") {
            diags.push(
                src.warning(
                    &format!("flinkConfig.{key}"),
                    format!("`{key}` is read by the Flink Kubernetes Operator only; with target: manifests nothing reads it"),
                )
                .help("set target: operator, or remove it"),
            );
        }
    }
}

/// Whether the job's cluster schedules adaptively: `jobmanager.scheduler: adaptive` or
/// `scheduler-mode: reactive`, in the spec or in its session cluster's options.
fn adaptive_scheduler(spec: &JobSpec, cluster: Option<&Job>) -> bool {
    let is = |key: &str, value: &str| {
        let own = super::options::written(&spec.flink_config, key)
            .is_some_and(|v| v.eq_ignore_ascii_case(value));
        let theirs = cluster.is_some_and(
            |c| matches!(c.options.get(key), Some(Value::Text(t)) if t.eq_ignore_ascii_case(value)),
        );
        own || theirs
    };
    is("jobmanager.scheduler", "adaptive") || is("scheduler-mode", "reactive")
}

/// The reporter: the project's settings, the environment's, the spec's. A session job's
/// processes are its cluster's, so it has none of its own.
fn metrics(
    src: &Source,
    spec: &JobSpec,
    session_job: bool,
    env: Option<&Environment>,
    defaults: &Defaults,
    user_keys: &[String],
    diags: &mut Diagnostics,
) -> Option<crate::model::Metrics> {
    if session_job {
        return None;
    }
    let env_metrics = env.and_then(|e| defaults.env_metrics.get(e.name));
    let merged = super::layered(
        [
            defaults.metrics.as_ref(),
            env_metrics,
            spec.metrics.as_ref(),
        ],
        MetricsSpec::overlay,
    )?;
    let m = super::metrics::metrics(src, "metrics", &merged, diags)?;
    if !m.from.is_empty() && spec.network_policy.is_none() {
        diags.push(
            src.warning("metrics.prometheus.from", "`from` admits scrapers through the network policy, and the spec has none; every pod can reach the metrics port")
                .help("add networkPolicy: {} to restrict the pods' ingress"),
        );
    }
    super::options::taken_by(
        src,
        user_keys,
        super::metrics::owned,
        "metrics.prometheus",
        "set the port with metrics.prometheus.port; other reporters take another name than `prom`",
        diags,
    );
    // The official images carry the reporter in plugins/metrics-prometheus; another image is
    // trusted to.
    let image = spec.image.as_ref();
    let own_image = image
        .and_then(|i| i.reference.as_deref().or(i.base.as_deref()))
        .is_some_and(|r| !super::image::is_official(r));
    if own_image {
        diags.push(
            src.warning("metrics", "the image is not the official Flink image; flinkgen trusts it to have the Prometheus reporter in plugins/metrics-prometheus")
                .help("keep the official image's plugins/ folder in yours, or the reporter fails to load at start"),
        );
    }
    Some(m)
}

fn network_policy(
    src: &Source,
    spec: &JobSpec,
    diags: &mut Diagnostics,
) -> Option<Vec<serde_json::Value>> {
    spec.network_policy.as_ref().map(|n| {
        n.rest_from
            .iter()
            .enumerate()
            .filter_map(|(i, peer)| {
                let field = format!("networkPolicy.restFrom[{i}]");
                super::kube::typed::<k8s_openapi::api::networking::v1::NetworkPolicyPeer>(
                    src, &field, peer, diags,
                )
            })
            .collect()
    })
}

/// The user's Flink options: the spec's, then in an environment the project's environment
/// options and the spec's own for it (later places win).
fn user_options(
    src: &Source,
    spec: &JobSpec,
    env: Option<&Environment>,
    version: Version,
    scope: Option<&str>,
    diags: &mut Diagnostics,
) -> Options {
    let read = |src, prefix: &str, map, diags: &mut Diagnostics| {
        super::options::user_options(src, prefix, map, version, scope, diags)
    };
    let mut options = read(src, "flinkConfig", &spec.flink_config, diags);
    if let Some(env) = env {
        let prefix = format!("environments.{}.flinkConfig", env.name);
        if let Some((project_src, map)) = env.project {
            options.extend(read(project_src, &prefix, map, diags));
        }
        if let Some(map) = env.job {
            options.extend(read(src, &prefix, map, diags));
        }
    }
    options
}

type Processes = (Option<Process>, Option<Process>, u32, u32);

/// The JobManager and TaskManager, TaskManager replicas and slots: a session job's are its
/// cluster's.
#[allow(clippy::too_many_arguments)]
fn processes(
    src: &Source,
    spec: &JobSpec,
    cluster: Option<&Job>,
    defaults: &Defaults,
    profiles: &Profiles,
    version: Option<Version>,
    diags: &mut Diagnostics,
) -> Processes {
    if let Some(c) = cluster {
        return (
            Some(c.job_manager.clone()),
            Some(c.task_manager.clone()),
            c.task_manager_replicas,
            c.task_manager_slots,
        );
    }
    let jm = spec.job_manager.profile.as_ref();
    let tm = spec.task_manager.profile.as_ref();
    let [jm, tm] = [
        (
            Component::JobManager,
            "jobManager",
            jm,
            &spec.job_manager.overrides,
            &defaults.jm_profile,
        ),
        (
            Component::TaskManager,
            "taskManager",
            tm,
            &spec.task_manager.overrides,
            &defaults.tm_profile,
        ),
    ]
    .map(|(component, field, name, overrides, default)| {
        process(
            src,
            component,
            field,
            name,
            overrides.as_ref(),
            default.as_ref(),
            profiles,
            version,
            diags,
        )
    });
    let replicas = spec.task_manager.replicas.unwrap_or(1);
    let slots = spec.task_manager.slots.unwrap_or(1);
    (
        jm,
        tm,
        at_least_one(src, "taskManager.replicas", replicas, diags),
        at_least_one(src, "taskManager.slots", slots, diags),
    )
}

fn name(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Option<String> {
    let from_file = spec.name.is_none();
    let name = super::spec_name(src, spec);
    // 45 characters, as the Flink operator allows, leaves room for `-taskmanager` within
    // Kubernetes' 63-character limit on names and label values.
    match units::dns_label(&name, 45) {
        Ok(()) => Some(name),
        Err(e) => {
            let d = src.error("name", e);
            diags.push(if from_file {
                d.help("the name comes from the file; rename the file or set `name:`")
            } else {
                d
            });
            None
        }
    }
}

fn job_version(
    src: &Source,
    spec: &JobSpec,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<Version> {
    match &spec.flink_version {
        Some(v) => version(v)
            .map_err(|(msg, help)| diags.push(src.error("flinkVersion", msg).help(help)))
            .ok(),
        None if defaults.version.is_some() => defaults.version,
        // The project's version is wrong; that is reported at flinkgen.yaml.
        None if defaults.version_given => None,
        None => {
            diags.push(
                src.key_error("", "no Flink version given")
                    .field("flinkVersion")
                    .help(format!(
                        "set flinkVersion in the job or in flinkgen.yaml; supported: {}",
                        Version::supported_list()
                    )),
            );
            None
        }
    }
}

pub fn at_least_one(src: &Source, field: &str, n: u32, diags: &mut Diagnostics) -> u32 {
    if n == 0 {
        diags.push(src.error(field, "must be at least 1"));
    }
    n.max(1)
}

/// Flink's upper bound for an operator's max parallelism (key groups, `1 << 15`); a job with a
/// higher parallelism fails when it is scheduled.
const MAX_PARALLELISM: u32 = 1 << 15;

fn parallelism(
    src: &Source,
    p: Option<u32>,
    replicas: u32,
    slots: u32,
    elastic: bool,
    cluster: bool,
    diags: &mut Diagnostics,
) -> u32 {
    let total = replicas.saturating_mul(slots);
    let Some(p) = p else {
        // A session cluster has no job, so nothing defaults to its slot count.
        if total > MAX_PARALLELISM && !cluster {
            diags.push(
                src.error(
                    "taskManager.replicas",
                    format!("{replicas} TaskManager(s) x {slots} slot(s) = {total} slots, and the job's parallelism defaults to that; Flink runs at most {MAX_PARALLELISM} parallel tasks per operator"),
                )
                .help(format!("set parallelism to at most {MAX_PARALLELISM}, or lower taskManager.replicas or taskManager.slots")),
            );
        }
        return total.min(MAX_PARALLELISM);
    };
    if p == 0 {
        diags.push(src.error("parallelism", "must be at least 1"));
    } else if p > MAX_PARALLELISM {
        diags.push(
            src.error(
                "parallelism",
                format!("{p} is more than Flink allows: an operator's parallelism cannot exceed its max parallelism, which is at most {MAX_PARALLELISM}"),
            )
            .help(format!("use at most {MAX_PARALLELISM}")),
        );
    } else if p > total && !elastic {
        diags.push(
            src.error(
                "parallelism",
                format!("{p} needs {p} task slots, but {replicas} TaskManager(s) x {slots} slot(s) offer {total}"),
            )
            .help("raise taskManager.replicas or taskManager.slots, lower parallelism, or use the adaptive scheduler (jobmanager.scheduler: adaptive); with the default scheduler the job would wait for slots forever"),
        );
    }
    p.max(1)
}

fn plugins(src: &Source, names: &[String], diags: &mut Diagnostics) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, p) in names.iter().enumerate() {
        let field = format!("plugins[{i}]");
        if out.contains(p) {
            diags.push(src.error(&field, format!("plugin `{p}` is listed twice")));
        } else if flink::OPTIONAL_PLUGINS.contains(&p.as_str()) {
            out.push(p.clone());
        } else {
            let list = flink::OPTIONAL_PLUGINS.join(", ");
            let help = match did_you_mean(p, flink::OPTIONAL_PLUGINS.iter().copied()) {
                Some(best) => format!("did you mean `{best}`? available: {list}"),
                None => format!("available: {list} (metrics reporters are enabled already)"),
            };
            diags.push(
                src.error(&field, format!("unknown plugin `{p}`"))
                    .help(help),
            );
        }
    }
    out.sort();
    out
}

/// Every value flinkgen derived from typed fields must survive the config file format of the
/// version (the legacy flink-conf.yaml cuts lines at `#`); user options are checked as read.
fn writable(src: &Source, options: &Options, version: Version, diags: &mut Diagnostics) {
    let format = version.config_format();
    for (key, value) in options {
        let Some(why) = crate::flink::config::unwritable(value, format) else {
            continue;
        };
        let field = match key.as_str() {
            "execution.checkpointing.dir" | "state.checkpoints.dir" => "checkpoints.dir",
            "execution.checkpointing.savepoint-dir" | "state.savepoints.dir" => "savepoints.dir",
            k if k.starts_with("external-resource") => "taskManager.profile",
            _ => "",
        };
        let mut d = src.error(
            field,
            format!("the value of `{key}` cannot be written: {why}"),
        );
        if field == "taskManager.profile" {
            d = d.help(
                "change the GPU discovery script or its arguments in the TaskManager profile",
            );
        } else {
            d = d.help(format!(
                "Flink {} reads {}",
                version.minor_str(),
                format.file_name()
            ));
        }
        diags.push(d);
    }
}
