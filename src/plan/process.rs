//! The view of one Flink process (JobManager or TaskManager): resources, scheduling, the pod
//! additions and logging. Its command line is `derive::command`'s.

use std::collections::BTreeMap;

use super::*;

/// One process's view: resources, scheduling and the pod additions. Long because it is the
/// view's struct literal, one field per line, as `view` is.
pub(super) fn process(job: &Job, component: &str, p: &Process) -> ProcessView {
    // Only immutable facts go in the selector: Deployment selectors cannot change later.
    let (app, comp) = if flink_selects(job) {
        ("app", "component")
    } else {
        ("app.kubernetes.io/instance", "app.kubernetes.io/component")
    };
    let mut selector: BTreeMap<String, String> = [
        (app.to_string(), job.name.clone()),
        (comp.to_string(), component.to_string()),
    ]
    .into();
    if job.is_native() {
        // Flink labels the pods it creates with this, and finds its TaskManagers by it.
        selector.insert("type".into(), "flink-native-kubernetes".into());
    }
    let mut labels = common_labels(job);
    labels.extend(selector.clone());
    labels.insert("app.kubernetes.io/component".into(), component.into());
    let mut pod_labels = labels.clone();
    pod_labels.extend(p.pod_labels.clone());
    ProcessView {
        // Native TaskManagers look up the JobManager Deployment by the cluster id.
        name: if job.is_native() && component == "jobmanager" {
            job.name.clone()
        } else {
            format!("{}-{component}", job.name)
        },
        profile: p.profile.clone(),
        requests: p.requests.clone(),
        limits: p.limits.clone(),
        labels,
        pod_labels,
        selector,
        node_selector: p.node_selector.clone(),
        tolerations: p.tolerations.clone(),
        affinity: p.affinity.clone(),
        env: p
            .extras
            .env
            .values()
            .cloned()
            // The Operator's TaskManagers cannot use them (only its JobManager takes -D options).
            .chain(
                job.secret_options
                    .iter()
                    .filter(|_| !(job.is_operator() && component == "taskmanager"))
                    .map(|o| o.env_var()),
            )
            .collect(),
        env_from: p.extras.env_from.clone(),
        mounts: p
            .extras
            .mounts
            .iter()
            .map(|(path, m)| {
                let mut mount = serde_json::json!({ "name": m.name, "mountPath": path });
                if m.read_only {
                    mount["readOnly"] = serde_json::json!(true);
                }
                mount
            })
            .collect(),
        volumes: p
            .extras
            .mounts
            .values()
            .map(|m| {
                if m.files.is_empty() {
                    return m.volume.clone();
                }
                let items: Vec<serde_json::Value> = m
                    .files
                    .keys()
                    .map(|k| serde_json::json!({ "key": wiring::files_key(&m.name, k), "path": k }))
                    .collect();
                serde_json::json!({
                    "name": m.name,
                    "configMap": { "name": wiring::files_config_map(&job.name), "items": items },
                })
            })
            .collect(),
        annotations: {
            let mut a = p.extras.annotations.clone();
            if let Some(m) = job.metrics.as_ref().filter(|m| m.annotations) {
                a.insert("prometheus.io/scrape".into(), "true".into());
                a.insert("prometheus.io/port".into(), m.port.to_string());
                a.insert("prometheus.io/path".into(), "/metrics".into());
            }
            // The Operator upgrades a deployment when its spec changes; the ConfigMap of
            // project files is not part of it, so its content's hash is, to roll the pods
            // when a mounted file is edited (as flinkgen/config-sha256 does elsewhere).
            if job.is_operator() {
                let mut h = crate::hash::Parts::default();
                let mut any = false;
                for m in p.extras.mounts.values() {
                    for (key, text) in &m.files {
                        h.add(&m.name).add(key).add(text);
                        any = true;
                    }
                }
                if any {
                    a.insert(FILES_HASH_ANNOTATION.into(), h.hex(32));
                }
            }
            a
        },
        priority_class_name: p.extras.priority_class_name.clone(),
        termination_grace_period_seconds: p.extras.termination_grace_period_seconds,
        sidecars: p.extras.sidecars.clone(),
        init_containers: p.extras.init_containers.clone(),
    }
}

pub(super) fn loggers(logging: &Logging) -> Vec<LoggerView> {
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

/// The JobManager of an application is a `batch/v1` Job, which completes only when every
/// container has exited: a log forwarder in `containers` would keep it running after the job
/// finished, and its readiness would gate the Service. Kubernetes' native sidecars (an init
/// container with `restartPolicy: Always`, on by default since 1.29) run beside the main
/// container and do not keep a Job from completing (kubernetes.io, "Sidecar Containers").
pub(super) fn native_sidecars(p: &mut ProcessView) {
    for mut c in std::mem::take(&mut p.sidecars) {
        c["restartPolicy"] = serde_json::json!("Always");
        p.init_containers.push(c);
    }
}

/// Libraries that log too much at INFO for a console. The Netty one is harmless but alarming.
pub const DEFAULT_LOGGERS: &[(&str, LogLevel)] = &[
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
