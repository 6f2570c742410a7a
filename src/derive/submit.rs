//! A session job's submission: the `flink run` arguments its submitter passes, and the fixed
//! job id that makes re-running it safe.

use super::wiring;
use crate::flink::config;
use crate::model::{Job, Kind, Program};

/// How a session job reaches its cluster, and what it submits.
#[derive(Debug, Clone)]
pub struct Submission {
    pub cluster: String,
    /// The cluster's spec file, for messages.
    pub cluster_source: String,
    /// `host:port` of the cluster's REST endpoint.
    pub rest_host: String,
    pub rest_port: i64,
    /// Fixed Flink job id: the first half names the job, the second the submission, so a
    /// running copy is recognised and an unchanged submission is never repeated.
    pub job_id: String,
    /// `-D<key>=$(VAR)` for each option read from a Secret, to pass unescaped.
    pub secret_args: Vec<String>,
    /// `flink run` options and the program arguments.
    pub run_args: Vec<String>,
}

/// The `flink run` call of a session job, and the job id that makes it idempotent; `None`
/// for a spec that is not a session job.
pub fn submission(job: &Job) -> Option<Submission> {
    let Kind::SessionJob(cluster) = &job.kind else {
        return None;
    };
    let parallelism = job.parallelism?;
    let mut run_args = vec!["--parallelism".to_string(), parallelism.to_string()];
    // `flink run -py` picks PythonDriver itself; only a jar needs its class named.
    let python = matches!(job.program, Program::Python(_));
    if let (Some(c), false) = (&job.entry_class, python) {
        run_args.extend(["--class".to_string(), c.clone()]);
    }
    run_args.extend(job.restore.iter().flat_map(crate::model::Restore::flags));
    for (k, v) in super::options::all(job)
        .iter()
        .filter(|(k, _)| *k != "parallelism.default")
    {
        run_args.push(format!("-D{k}={}", config::cli_value(v)));
    }
    if let Some(path) = job
        .jar
        .as_ref()
        .and_then(|j| wiring::jar_path(&job.name, j))
    {
        run_args.push(path);
    }
    run_args.extend(job.args.iter().cloned());
    let service = wiring::rest_endpoint(&cluster.name, cluster.native);
    let identity = hex16(&[
        "flinkgen session job",
        &cluster.namespace,
        &cluster.name,
        &job.name,
    ]);
    // Options read from Secrets are passed by reference; the kubelet expands `$(VAR)`.
    let secret_args: Vec<String> = job.secret_options.iter().map(|o| o.flag()).collect();
    let mut parts: Vec<&str> = vec![&job.image.reference];
    parts.extend(secret_args.iter().map(String::as_str));
    parts.extend(run_args.iter().map(String::as_str));
    Some(Submission {
        cluster: cluster.name.clone(),
        cluster_source: cluster.source.clone(),
        rest_host: wiring::in_cluster_host(&service, &cluster.namespace),
        rest_port: wiring::REST_PORT,
        job_id: format!("{identity}{}", hex16(&parts)),
        secret_args,
        run_args,
    })
}

/// 16 hex digits of the SHA-256 of `parts`, each length-prefixed so that no two lists collide.
fn hex16(parts: &[&str]) -> String {
    let mut h = crate::hash::Parts::default();
    for p in parts {
        h.add(p);
    }
    h.hex(8)
}
