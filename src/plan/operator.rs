//! The plan of a job for the Flink Kubernetes Operator: its resources' files and the
//! Operator's view of the job (what the Operator sets itself stays out of its configuration).

use std::collections::BTreeMap;

use super::*;

/// Keys the Operator writes itself from the resource's other fields.
pub(super) const OPERATOR_SETS: &[&str] = &[
    "jobmanager.rpc.address",
    "jobmanager.memory.process.size",
    "taskmanager.memory.process.size",
    "parallelism.default",
];

pub(super) fn operator_manifests(job: &Job) -> Vec<Template> {
    if let Kind::SessionJob(_) = job.kind {
        return vec![Template::FlinkSessionJob];
    }
    let mut all = rbac(job);
    if has_project_files(job) {
        all.push(Template::FilesConfigMap);
    }
    all.push(Template::FlinkDeployment);
    all.extend(policies(job));
    all
}

pub(super) fn operator_view(job: &Job, options: &config::Options) -> OperatorView {
    use crate::derive::quantity as units;
    // A session cluster's parallelism is the default of its jobs, which the Operator does not
    // set from any other field.
    let cluster = matches!(job.kind, Kind::SessionCluster);
    let flink_configuration = options
        .iter()
        .filter(|(k, _)| {
            !OPERATOR_SETS.contains(&k.as_str()) || (cluster && *k == "parallelism.default")
        })
        .map(|(k, v)| (k.clone(), config::cli_value(v)))
        .collect();
    let tm = &job.task_manager;
    let standard = ["cpu", "memory", "ephemeral-storage"];
    let extra = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .filter(|(k, _)| !standard.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let session = match &job.kind {
        Kind::SessionJob(s) => Some(s),
        _ => None,
    };
    // Every job has a jar and a parallelism; a session cluster has no job part.
    let job_view =
        wiring::program_jar_uri(job)
            .zip(job.parallelism)
            .map(|(jar_uri, parallelism)| OperatorJobView {
                jar_uri,
                entry_class: job.entry_class.clone(),
                args: operator_job_args(job),
                parallelism: parallelism.into(),
                upgrade_mode: job.upgrade_mode.map_or("stateless", |m| m.as_str()),
                savepoint_trigger_nonce: job.savepoint_trigger_nonce,
                initial_savepoint_path: job.restore.as_ref().map(|r| r.path.clone()),
                allow_non_restored_state: job
                    .restore
                    .as_ref()
                    .is_some_and(|r| r.allow_non_restored_state),
                deployment_name: session.map(|s| s.name.clone()),
                cluster_source: session.map(|s| s.source.clone()),
            });
    OperatorView {
        flink_version: format!("v{}_{}", job.version.major, job.version.minor),
        flink_configuration,
        jobmanager_memory: units::flink_size(job.job_manager.memory.total_process()),
        jobmanager_cpu: job.job_manager.cpu_millis.map(|m| m as f64 / 1000.0),
        taskmanager_memory: units::flink_size(tm.memory.total_process()),
        taskmanager_cpu: tm.cpu_millis.map(|m| m as f64 / 1000.0),
        taskmanager_ephemeral_storage: tm.requests.get("ephemeral-storage").cloned(),
        taskmanager_replicas: (!job.is_native() && !job.task_manager_replicas_derived)
            .then_some(job.task_manager_replicas),
        taskmanager_extra_requests: extra(&tm.requests),
        taskmanager_extra_limits: extra(&tm.limits),
        jobmanager_token: job.is_native() || job.ha.is_some(),
        taskmanager_token: job.ha.is_some(),
        ingress_template: job.ingress.as_ref().map(|i| {
            let host = i.host.as_deref().unwrap_or_default();
            if i.path == "/" && !host.is_empty() {
                host.to_string()
            } else {
                format!("{host}{}", i.path)
            }
        }),
        job: job_view,
        restart_nonce: job.restart_nonce,
    }
}

/// A FlinkDeployment's `job.args`. In standalone mode the Operator makes them the JobManager
/// container's arguments, after the entrypoint's own options: the kubelet expands `$(VAR)` in
/// them (so user text has every `$` doubled, as in flinkgen's own containers), and a leading
/// `-Dkey=$(VAR)` is a dynamic property read from a Secret (`flinkConfigFromSecrets`). In
/// native mode they are the program's arguments only, passed through Flink's configuration.
pub(super) fn operator_job_args(job: &Job) -> Vec<String> {
    if job.is_native() {
        return job.args.clone();
    }
    job.secret_options
        .iter()
        .map(|o| o.flag())
        .chain(
            job.args
                .iter()
                .map(|a| crate::derive::command::container_arg(a)),
        )
        .collect()
}

/// On the Operator's pod templates: a hash of the project files the pods mount.
pub(super) const FILES_HASH_ANNOTATION: &str = "flinkgen/files-sha256";
