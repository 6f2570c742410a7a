//! `flinkConfigFromSecrets`: Flink options whose values stay in Kubernetes Secrets. The pods
//! read each value into an environment variable and pass it to the Flink process as a dynamic
//! property (`-Dkey=$(VAR)`, expanded by the kubelet), so out/ holds only the reference.

use std::collections::BTreeMap;

use crate::diag::Diagnostics;
use crate::flink::keys;
use crate::flink::Version;
use crate::load::pod::SecretKeySpec;
use crate::load::Source;
use crate::model::{Job, Kind, SecretOption};

/// The options, checked where they are written.
pub fn secret_options(
    src: &Source,
    map: &BTreeMap<String, SecretKeySpec>,
    user_keys: &[String],
    version: Version,
    diags: &mut Diagnostics,
) -> Vec<SecretOption> {
    let mut out: Vec<SecretOption> = Vec::new();
    for (key, r) in map {
        let field = format!("flinkConfigFromSecrets.{key}");
        if !keys::valid_key(key) {
            diags.push(src.key_error(&field, format!("`{key}` is not a Flink option key")));
            continue;
        }
        if let Some(help) = keys::owner_help(key) {
            diags.push(
                src.key_error(&field, format!("`{key}` is set by flinkgen"))
                    .help(help),
            );
            continue;
        }
        if user_keys.contains(key) {
            diags.push(
                src.key_error(&field, format!("`{key}` is also set in flinkConfig"))
                    .help("give it in one place: its value in flinkConfig, or its Secret here"),
            );
            continue;
        }
        if let keys::Verdict::Invalid(msg) = keys::check(key, version) {
            diags.push(src.key_error(&field, msg));
            continue;
        }
        if let Err(e) = super::units::dns_subdomain(&r.secret) {
            diags.push(src.error(&format!("{field}.secret"), e));
            continue;
        }
        if !super::units::config_key(&r.key) {
            diags.push(src.error(
                &format!("{field}.key"),
                format!(
                    "`{}` is not a Secret key: letters, digits, `-`, `_` and `.`",
                    r.key
                ),
            ));
            continue;
        }
        let env = env_name(key);
        if let Some(other) = out.iter().find(|o| o.env == env) {
            diags.push(src.key_error(
                &field,
                format!("`{key}` and `{}` would share the variable {env}", other.key),
            ));
            continue;
        }
        out.push(SecretOption {
            key: key.clone(),
            env,
            secret: r.secret.clone(),
            secret_key: r.key.clone(),
        });
    }
    out
}

/// `s3.secret-key` is read from `FLINKGEN_OPT_S3_SECRET_KEY`.
fn env_name(key: &str) -> String {
    let upper: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("FLINKGEN_OPT_{upper}")
}

/// Where the options cannot reach the process without their value being written somewhere
/// readable, refuse: never drop them silently.
pub fn checks(src: &Source, job: &Job, diags: &mut Diagnostics) {
    let Some(first) = job.secret_options.first() else {
        return;
    };
    logged_in_clear(src, job, diags);
    let field = format!("flinkConfigFromSecrets.{}", first.key);
    let refuse = |why: &str, help: &str, diags: &mut Diagnostics| {
        diags.push(
            src.key_error(&field, why.to_string())
                .help(help.to_string()),
        );
    };
    let session_job = matches!(job.kind, Kind::SessionJob(_));
    if job.is_operator() {
        operator(src, job, &refuse, diags);
    } else if job.is_native() {
        refuse(
            "a native JobManager passes its command-line options on to the TaskManager pods it creates, so the value would stand in clear in their pod spec",
            "use mode: standalone, or give the processes the credentials as environment variables (env with secret references), which the S3 and GCS filesystems read themselves",
            diags,
        );
    } else if session_job {
        for o in &job.secret_options {
            if !super::deploy::job_level(&o.key) {
                diags.push(
                    src.key_error(
                        &format!("flinkConfigFromSecrets.{}", o.key),
                        format!("`{}` configures the session cluster's processes; a submitted job cannot change it", o.key),
                    )
                    .help("set it in the cluster's flinkConfigFromSecrets; a job may set pipeline.*, execution.*, state.*, restart-strategy.*, table.* and python.* options"),
                );
            }
        }
    }
}

/// The Operator writes the processes' command lines and configuration itself (read in its
/// `CmdStandaloneJobManagerDecorator`, `CmdStandaloneTaskManagerDecorator` and
/// `FlinkConfigBuilder`): the only words of a command line a FlinkDeployment controls are a
/// standalone application JobManager's, where `job.args` follow the entrypoint's own options
/// and `-Dkey=$(VAR)` there is a dynamic property (the kubelet expands the variable, read from
/// the Secret in the pod template). TaskManagers start with `taskmanager` alone and the
/// Operator's ConfigMap, so only options the job carries to them (job-level ones, shipped with
/// the job) can come from a Secret; a native JobManager passes its dynamic properties on to
/// the TaskManager pods it creates, in clear; a FlinkSessionJob has no pods.
fn operator(
    src: &Source,
    job: &Job,
    refuse: &dyn Fn(&str, &str, &mut Diagnostics),
    diags: &mut Diagnostics,
) {
    let alternative = "give the processes the credentials as environment variables (env with secret references), which the S3 and GCS filesystems read themselves; or use target: manifests, where every process can take options from Secrets";
    match job.kind {
        Kind::SessionJob(_) => refuse("a FlinkSessionJob has no pods of its own to read a Secret into", alternative, diags),
        Kind::SessionCluster => refuse("the Operator starts a session cluster's processes with command lines of its own; no word of them comes from the spec", alternative, diags),
        Kind::Application if job.is_native() => refuse(
            "a native JobManager passes its command-line options on to the TaskManager pods it creates, so the value would stand in clear in their pod spec",
            "use mode: standalone (the Operator then starts the JobManager with the job's arguments, where a job-level option can come from a Secret), or env with secret references",
            diags,
        ),
        Kind::Application => {
            for o in job.secret_options.iter().filter(|o| !super::deploy::job_level(&o.key)) {
                diags.push(
                    src.key_error(&format!("flinkConfigFromSecrets.{}", o.key), format!("the Operator starts the TaskManagers with `taskmanager` and its own ConfigMap only, so `{}`, which the processes read, cannot come from a Secret there", o.key))
                        .help(format!("job-level options (pipeline.*, execution.*, table.*, …) can, through the JobManager's arguments; for this one, {alternative}")),
                );
            }
        }
    }
}

/// Flink hides an option's value only when its key says it is secret
/// (`GlobalConfiguration.isSensitive`); any other option read from a Secret still reaches the
/// process as `-Dkey=value`, which Flink prints at startup (`Loading dynamic configuration
/// property: key, value`: `GlobalConfiguration.loadConfiguration` logs the dynamic properties
/// through `logConfiguration`, which writes `******` only where `isSensitive` says so, read
/// with javap in 1.20.4's flink-dist; and the program arguments) and serves on
/// the REST API (`/jobmanager/config`, the web UI). flinkgen cannot keep it out of there, so it
/// says where the value will be readable.
fn logged_in_clear(src: &Source, job: &Job, diags: &mut Diagnostics) {
    for o in job
        .secret_options
        .iter()
        .filter(|o| !keys::is_sensitive(&o.key))
    {
        diags.push(
            src.warning(
                &format!("flinkConfigFromSecrets.{}", o.key),
                format!("Flink does not hide `{}` (only keys naming a password, secret, token, …): its value from Secret {} will be printed in clear in the JobManager and TaskManager logs (`Loading dynamic configuration property`) and shown by the REST API and web UI (/jobmanager/config)", o.key, o.secret),
            )
            .help(if o.key.starts_with("s3.") {
                "for S3 credentials, give the processes AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the Secret in env instead: the S3 filesystems read them and nothing logs them"
            } else {
                "if the value must stay private, pass it another way (an env variable from the Secret that the code reads, or a file from a secret volume); keep the option here only if the value may be read by whoever reads the logs"
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn variables_are_named_after_the_key() {
        assert_eq!(
            super::env_name("s3.secret-key"),
            "FLINKGEN_OPT_S3_SECRET_KEY"
        );
    }
}
