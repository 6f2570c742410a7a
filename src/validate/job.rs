//! Validation of one job spec into a `model::Job`.

use super::image::{image, Needs};
use super::pod::{disruption_budget, labels, logging};
use super::state::location;
use super::{units, version, Defaults};
use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::scalar::Scalar;
use crate::load::spec::{JobSpec, LoggingSpec, Mode};
use crate::load::Source;
use crate::model::{Job, Kind, SessionCluster};

use super::subject::{Role, Subject};

/// Resolves a spec into a `Job`. It is long because it resolves each field of the model in
/// turn (each through a function of its own) and assembles them; splitting the assembly would
/// only pass the half-resolved fields around.
pub fn validate(cx: &Subject, diags: &mut Diagnostics) -> Option<Job> {
    let Subject {
        src,
        spec,
        role,
        defaults,
        env,
        ..
    } = *cx;
    let before = diags.error_count();
    let cluster = cx.cluster();
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
    let (mut jm, mut tm, replicas, slots) = super::cluster::processes(cx, version, diags);
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
    let elastic = mode == Mode::Native || super::cluster::adaptive_scheduler(spec, cluster);
    let operator_job = target == crate::load::spec::Target::Operator
        && mode == Mode::Standalone
        && matches!(role, Role::Application);
    let (replicas, replicas_derived) = match operator_job {
        true => super::cluster::operator_replicas(src, spec, replicas, slots, diags),
        false => (replicas, false),
    };
    let parallelism = super::cluster::parallelism(cx, replicas, slots, elastic, diags);
    let plugins = super::cluster::plugins(src, &spec.plugins, diags);
    // A session job's paths are read by its cluster, with the cluster's filesystems.
    let fs_plugins = cluster.map_or(&plugins, |c| &c.plugins);
    let flink_selects = crate::model::flink_selects(mode, target);
    let labels = labels(src, &spec.labels, &defaults.labels, flink_selects, diags);
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
    let logging = if spec.logging.is_none() {
        // Only the project's settings: checked, and reported, at the project file already.
        logging(
            src,
            logging_spec.as_ref(),
            &defaults.files,
            &mut Diagnostics::default(),
        )
    } else {
        logging(src, logging_spec.as_ref(), &defaults.files, diags)
    };
    let network_policy = network_policy(src, spec, diags);
    let egress = egress(src, spec, diags);
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
        builds: declared.as_ref().is_some_and(|d| d.builds),
        exact_version: matches!(&spec.flink_version, Some(Scalar::Text(t)) if t.trim().split('.').count() == 3),
        plugins: &plugins,
    };
    let image = image(cx, &name, &mut version, &needs, diags);
    let entry = match (declared, &image) {
        (Some(d), Some(img)) => super::program::entry(cx, d, version, img, diags),
        _ => None,
    };
    let (state, restore) = super::state::state(src, spec, version, fs_plugins, diags);
    let scope = cluster.map(|c| c.source.as_str());
    let options = super::options::spec_options(src, spec, env, version, scope, diags);
    let user_keys: Vec<String> = options.keys().cloned().collect();
    if spec.task_manager.local_state.is_some() {
        super::local_state::owned_options(src, &user_keys, diags);
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
        super::options::operator_only_options(src, &options, diags);
        super::options::pod_options(src, &options, diags);
    }
    if diags.error_count() > before {
        return None;
    }
    let image = image?;
    let entry = entry?;
    let resources = super::resources::resources(
        src,
        &spec.resources,
        &name,
        &namespace,
        &defaults.files,
        diags,
    );
    let job = Job {
        name: name.clone(),
        kind: match role {
            Role::Application => Kind::Application,
            Role::Cluster => Kind::SessionCluster,
            Role::SessionJob(c) => Kind::SessionJob(SessionCluster {
                name: c.name.clone(),
                source: c.source.clone(),
                namespace: c.namespace.clone(),
                native: c.is_native(),
            }),
        },
        mode,
        target,
        upgrade_mode: spec.upgrade_mode,
        operator_release: defaults.operator_release,
        restart_nonce: spec.operator.as_ref().and_then(|o| o.restart_nonce),
        savepoint_trigger_nonce: spec
            .operator
            .as_ref()
            .and_then(|o| o.savepoint_trigger_nonce),
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
        task_manager_replicas_derived: replicas_derived,
        task_manager_slots: slots,
        // A session cluster's is only the default of jobs that set none.
        parallelism: match role {
            Role::Cluster => spec.parallelism.map(|_| parallelism),
            _ => Some(parallelism),
        },
        plugins,
        flink_config: options,
        labels,
        logging,
        network_policy,
        egress,
        autoscaler: spec
            .task_manager
            .autoscaler
            .as_ref()
            .map(|a| crate::model::Autoscaler {
                min_replicas: a.min_replicas,
                max_replicas: a.max_replicas,
                target_cpu_utilization: a.target_cpu_utilization.unwrap_or(70),
            }),
        resources,
        disruption_budget,
        secret_options,
        account: spec
            .service_account
            .as_ref()
            .and_then(|a| super::extras::account(src, a, diags)),
        metrics: super::metrics::for_spec(cx, &user_keys, diags),
        local_state: spec.task_manager.local_state.as_ref().and_then(|l| {
            super::local_state::local_state(
                src,
                &name,
                l,
                mode == Mode::Native,
                target == crate::load::spec::Target::Operator,
                diags,
            )
        }),
    };
    checks(src, spec, &job, cluster, diags);
    (diags.error_count() == before).then_some(job)
}

/// The checks that read more than one field of the job, or what derive makes of them.
fn checks(src: &Source, spec: &JobSpec, job: &Job, cluster: Option<&Job>, diags: &mut Diagnostics) {
    // Values flinkgen derives from the spec (paths, GPU discovery arguments) must be
    // writable in the version's configuration format.
    super::options::writable(src, &crate::derive::options::base(job), job.version, diags);
    super::deploy::native_checks(src, job, diags);
    super::deploy::jar_checks(src, spec, job, diags);
    super::secrets::checks(src, job, diags);
    super::paths::checks(src, job, diags);
    super::pod::json_layout(src, job, diags);
    super::deploy::operator_checks(src, job, cluster, diags);
    super::deploy::egress_checks(src, job, diags);
    super::cluster::autoscaler_checks(src, job, diags);
}

fn network_policy(
    src: &Source,
    spec: &JobSpec,
    diags: &mut Diagnostics,
) -> Option<Vec<serde_json::Value>> {
    spec.network_policy.as_ref().map(|n| {
        super::kube::typed_list::<k8s_openapi::api::networking::v1::NetworkPolicyPeer>(
            src,
            "networkPolicy.restFrom",
            &n.rest_from,
            diags,
        )
    })
}

/// Limited egress: the spec's rules, read with the API's own type.
fn egress(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Option<crate::model::Egress> {
    let n = spec.network_policy.as_ref()?;
    let Some(rules) = &n.egress else {
        if n.egress_dns.is_some() {
            diags.push(
                src.key_error(
                    "networkPolicy.egressDns",
                    "egressDns applies when egress is limited, and networkPolicy.egress is not set",
                )
                .help("add egress: [...] with the destinations the job needs, or remove egressDns"),
            );
        }
        return None;
    };
    let typed = super::kube::typed_list::<k8s_openapi::api::networking::v1::NetworkPolicyEgressRule>(
        src,
        "networkPolicy.egress",
        rules,
        diags,
    );
    (typed.len() == rules.len()).then(|| crate::model::Egress {
        rules: typed,
        dns: n.egress_dns.unwrap_or(true),
    })
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
