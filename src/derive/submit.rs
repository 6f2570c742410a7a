//! A session job's submission: the `flink run` arguments its submitter passes, and the fixed
//! job id that makes re-running it safe.

use super::wiring;
use crate::flink::config;
use crate::model::{Job, Program, Submission};

/// The `flink run` call of a session job, and the job id that makes it idempotent.
pub fn submission(job: &Job, cluster: &Job, parallelism: u32) -> Submission {
    let mut run_args = vec!["--parallelism".to_string(), parallelism.to_string()];
    // `flink run -py` picks PythonDriver itself; only a jar needs its class named.
    let python = matches!(job.program, Program::Python(_));
    if let (Some(c), false) = (&job.entry_class, python) {
        run_args.extend(["--class".to_string(), c.clone()]);
    }
    run_args.extend(job.restore.iter().flat_map(crate::model::Restore::flags));
    for (k, v) in job
        .options
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
    let service = wiring::rest_endpoint(&cluster.name, cluster.is_native());
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
    Submission {
        cluster: cluster.name.clone(),
        cluster_source: cluster.source.clone(),
        rest_host: wiring::in_cluster_host(&service, &cluster.namespace),
        rest_port: wiring::REST_PORT,
        job_id: format!("{identity}{}", hex16(&parts)),
        secret_args,
        run_args,
    }
}

/// 16 hex digits of the SHA-256 of `parts`, each length-prefixed so that no two lists collide.
fn hex16(parts: &[&str]) -> String {
    let mut h = crate::hash::Parts::default();
    for p in parts {
        h.add(p);
    }
    h.hex(8)
}
