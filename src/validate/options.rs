//! User-supplied Flink options (`flinkConfig`): flattened, checked against the job's Flink
//! version and against the keys flinkgen owns, and converted to typed values.

use super::subject::Environment;
use crate::load::spec::JobSpec;

use crate::load::tree::Tree;

use crate::diag::{did_you_mean, Diagnostics};
use crate::flink::config::{self, Format, Options, Value};
use crate::flink::keys::{self, Verdict};
use crate::flink::Version;
use crate::load::Source;

/// Reads the options at `prefix` (`flinkConfig`, or `environments.prod.flinkConfig`) of `src`.
pub fn user_options(
    src: &Source,
    prefix: &str,
    map: &std::collections::BTreeMap<String, Tree>,
    version: Version,
    session_cluster: Option<&str>,
    diags: &mut Diagnostics,
) -> Options {
    let mut out = Options::new();
    // How each flattened key was spelled, to explain a key given both flat and nested.
    let mut origin: std::collections::BTreeMap<String, String> = Default::default();
    let mut leaves = Vec::new();
    for (k, v) in map {
        flatten(k, &format!("{prefix}.{k}"), k, v, &mut leaves);
    }
    for (key, field, value, spelling) in leaves {
        if keys::is_sensitive(&key) && !value.is_null() {
            diags.push(
                src.error(
                    &field,
                    format!("`{key}` holds a secret (Flink hides its value in logs and the web UI); flinkgen never writes a secret into out/, which is committed"),
                )
                .help(format!("keep the value in a Kubernetes Secret and name it instead: flinkConfigFromSecrets: {{ {key}: {{ secret: <name>, key: <key in the Secret> }} }}")),
            );
            continue;
        }
        let Some(value) = convert(src, &field, &key, value, version, diags) else {
            continue;
        };
        if let Some(why) = secret_inside(&key, &value) {
            diags.push(
                src.error(&field, format!("{why}; flinkgen never writes a secret into out/, which is committed"))
                    .help("keep the value in a Kubernetes Secret: an option through flinkConfigFromSecrets, a variable through env with { secret: <name>, key: <key> }, a file through volumes"),
            );
            continue;
        }
        if let Some(cluster_file) = session_cluster {
            if !super::deploy::job_level(&key) {
                diags.push(
                    src.key_error(
                        &field,
                        format!("`{key}` configures the session cluster's processes; a submitted job cannot change it"),
                    )
                    .help(format!(
                        "set it in the flinkConfig of {cluster_file}; a job may set pipeline.*, execution.*, state.*, restart-strategy.*, table.* and python.* options"
                    )),
                );
                continue;
            }
        }
        if let Some(first) = origin.get(&key) {
            let pos = src.nth_key_pos(&field, 1);
            let d = src.key_error(
                &field,
                format!("`{key}` is given twice, written `{first}` and `{spelling}`"),
            );
            let mut d =
                d.help("give each option once, either flat or nested: Flink keeps one silently");
            if pos.is_some() {
                d.pos = pos;
                d.excerpt = pos.and_then(|p| src.line(p.line));
            }
            diags.push(d);
            continue;
        }
        origin.insert(key.clone(), spelling);
        out.insert(key, value);
    }
    out
}

/// Refuses the user's options that a spec field writes while it is set (`field`): the field
/// wins, so the option would be silently ignored.
pub fn taken_by(
    src: &Source,
    user_keys: &[String],
    owns: impl Fn(&str) -> bool,
    field: &str,
    help: &str,
    diags: &mut Diagnostics,
) {
    for key in user_keys.iter().filter(|k| owns(k)) {
        diags.push(
            src.key_error(
                &format!("flinkConfig.{key}"),
                format!("`{key}` is set by {field}"),
            )
            .help(help),
        );
    }
}

/// The value of one option as the user wrote it, flat (`a.b: v`) or nested (`a: {b: v}`),
/// before any check: for the few settings that change how other fields are judged.
pub fn written(map: &std::collections::BTreeMap<String, Tree>, key: &str) -> Option<String> {
    let mut leaves = Vec::new();
    for (k, v) in map {
        flatten(k, k, k, v, &mut leaves);
    }
    leaves
        .into_iter()
        .find(|(flat, ..)| flat == key)
        .and_then(|(_, _, value, _)| value.scalar_text())
}

/// (flat key, field path, value, how the user spelled it: nesting shown as `a: {b}`).
type Leaf<'a> = (String, String, &'a Tree, String);

fn flatten<'a>(key: &str, field: &str, spelling: &str, v: &'a Tree, out: &mut Vec<Leaf<'a>>) {
    match v {
        Tree::Map(m) => {
            for (k, child) in m {
                let k = k.scalar_text().unwrap_or_else(|| "?".into());
                let spelled = format!("{spelling}: {{{k}}}");
                flatten(
                    &format!("{key}.{k}"),
                    &format!("{field}.{k}"),
                    &spelled,
                    child,
                    out,
                );
            }
        }
        _ => out.push((key.to_string(), field.to_string(), v, spelling.to_string())),
    }
}

/// Whether a user may set `key` on this version: a well-formed key flinkgen does not own and
/// the version knows (deprecated and unknown keys warn).
fn key_allowed(
    src: &Source,
    field: &str,
    key: &str,
    version: Version,
    diags: &mut Diagnostics,
) -> bool {
    if !keys::valid_key(key) {
        diags.push(
            src.key_error(field, format!("`{key}` is not a Flink option key"))
                .help(
                    "keys are letters, digits, `.`, `-` and `_`, such as `restart-strategy.type`",
                ),
        );
        return false;
    }
    if let Some(help) = keys::owner_help(key) {
        diags.push(
            src.key_error(field, format!("`{key}` is set by flinkgen"))
                .help(help),
        );
        return false;
    }
    match keys::check(key, version) {
        Verdict::Ok if keys::declared(key, version) => {}
        Verdict::Ok => {
            // A key no option declares may be the job's own setting; only a near miss of a
            // real option is worth a word.
            let known = keys::declared_keys(version);
            // A deprecated alias is never the name to suggest: its option's own key is.
            let best = did_you_mean(key, known.iter().copied())
                .map(|b| keys::replacement(b, version).unwrap_or(b));
            if let Some(best) = best {
                let msg = format!(
                    "`{key}` is not an option of Flink {}; did you mean `{best}`?",
                    version.minor_str()
                );
                diags.push(src.warning(field, msg));
            }
        }
        Verdict::Deprecated(msg) => diags.push(src.warning(field, msg)),
        Verdict::Invalid(msg) => {
            diags.push(src.key_error(field, msg));
            return false;
        }
    }
    true
}

fn convert(
    src: &Source,
    field: &str,
    key: &str,
    v: &Tree,
    version: Version,
    diags: &mut Diagnostics,
) -> Option<Value> {
    if !key_allowed(src, field, key, version, diags) {
        return None;
    }
    if v.is_null() || v.as_str() == Some("") {
        diags.push(src.error(field, "the value is empty").help(
            "Flink refuses empty values (config.yaml fails to load); give a value or remove the key",
        ));
        return None;
    }
    let value = match v {
        Tree::Bool(b) => Value::Bool(*b),
        Tree::Int(i) => Value::Int(*i),
        Tree::Float(f) => Value::Float(*f),
        Tree::Text(s) => Value::Text(s.clone()),
        Tree::List(items) => {
            let texts: Option<Vec<String>> = items.iter().map(Tree::scalar_text).collect();
            match texts {
                Some(t) if !t.is_empty() => Value::List(t),
                _ => {
                    diags
                        .push(src.error(field, "a list option must hold one or more plain values"));
                    return None;
                }
            }
        }
        Tree::Null | Tree::Map(_) => {
            diags.push(src.error(field, "YAML tags are not supported in Flink options"));
            return None;
        }
    };
    if let Value::Float(f) = value {
        if !f.is_finite() {
            diags.push(src.error(field, "the number is not finite"));
            return None;
        }
    }
    let format = version.config_format();
    if let Some(why) = config::unwritable(&value, format) {
        let mut d = src.error(field, why);
        if format == Format::Legacy {
            d = d.help(format!(
                "Flink {} reads flink-conf.yaml",
                version.minor_str()
            ));
        }
        diags.push(d);
        return None;
    }
    Some(value)
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

pub fn pod_options(src: &Source, options: &Options, diags: &mut Diagnostics) {
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
pub fn operator_only_options(src: &Source, options: &Options, diags: &mut Diagnostics) {
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

/// The user's Flink options: the spec's, then in an environment the project's environment
/// options and the spec's own for it (later places win).
pub fn spec_options(
    src: &Source,
    spec: &JobSpec,
    env: Option<&Environment>,
    version: Version,
    scope: Option<&str>,
    diags: &mut Diagnostics,
) -> Options {
    let read = |src, prefix: &str, map, diags: &mut Diagnostics| {
        user_options(src, prefix, map, version, scope, diags)
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

/// Every value flinkgen derived from typed fields must survive the config file format of the
/// version (the legacy flink-conf.yaml cuts lines at `#`); user options are checked as read.
pub fn writable(src: &Source, options: &Options, version: Version, diags: &mut Diagnostics) {
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

/// A secret inside an option whose own key Flink does not hide: a system property in the JVM
/// options (`-Djavax.net.ssl.keyStorePassword=…`), or a variable Flink sets in its containers
/// (`containerized.taskmanager.env.DB_PASSWD`).
fn secret_inside(key: &str, value: &Value) -> Option<String> {
    let text = match value {
        Value::Text(t) => t.clone(),
        Value::List(l) => l.join(";"),
        _ => return None,
    };
    let text = &text;
    if super::literal::password_in_uri(text) {
        return Some(format!("`{key}` holds a URI with a password"));
    }
    // Flink's map options (`kubernetes.jobmanager.annotations: k:v,k:v`) are annotations too.
    if key.ends_with(".annotations") || key.ends_with(".labels") {
        let secret = text
            .split(',')
            .filter_map(|kv| kv.split_once(':'))
            .find(|(k, v)| super::literal::secret_annotation(k.trim(), v.trim()));
        if let Some((k, _)) = secret {
            return Some(format!("`{key}` sets `{}`, which holds a secret", k.trim()));
        }
    }
    if key.starts_with("env.java.") {
        return super::literal::jvm_secret(text)
            .map(|p| format!("`{key}` sets the system property `{p}`, which holds a secret"));
    }
    let variable = [
        "containerized.master.env.",
        "containerized.taskmanager.env.",
    ]
    .iter()
    .find_map(|p| key.strip_prefix(p))?;
    super::literal::secret_variable(variable, text)
        .then(|| format!("`{key}` sets the variable {variable}, which holds a secret"))
}
