//! A spec's environment variables: plain values, or references to Secrets, ConfigMaps and
//! pod fields, never a secret written out.

use serde_json::{json, Value};

use crate::diag::Diagnostics;
use crate::load::pod::{EnvSource, EnvValue};
use crate::load::scalar::Scalar;
use crate::load::Source;

use super::units;
use super::units::config_key;

/// Environment variables flinkgen sets itself.
const RESERVED_ENV: &[&str] = &["POD_IP", "_POD_IP_ADDRESS"];

/// `[A-Za-z_][A-Za-z0-9_]*`: the names `$(NAME)` expansion and shells can refer to.
pub fn env_name(n: &str) -> bool {
    n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Fields of the pod a container may read (the Downward API's `fieldRef` paths).
const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

pub fn env_var(
    src: &Source,
    field: &str,
    name: &str,
    value: &EnvValue,
    diags: &mut Diagnostics,
) -> Option<Value> {
    checked_name(src, field, name, diags)?;
    let from = match value {
        EnvValue::Value(Scalar::Float(f)) => {
            diags.push(
                src.error(field, format!("the number {f} must be quoted"))
                    .help("YAML may change how a float is written (1.10 becomes 1.1); quote it"),
            );
            return None;
        }
        EnvValue::Value(v) => {
            let text = v.as_text();
            if super::literal::secret_variable(name, &text) {
                diags.push(secret_variable(src, field, name));
                return None;
            }
            // The kubelet expands `$(VAR)` and turns `$$` into `$` in env values as in args
            // (kubernetes.io, "Define Dependent Environment Variables"); doubling every `$`
            // delivers the value as written.
            return Some(json!({ "name": name, "value": text.replace('$', "$$") }));
        }
        EnvValue::From(f) => f,
    };
    let sources = [
        from.secret.is_some(),
        from.config_map.is_some(),
        from.field.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        diags.push(
            src.error(field, "name exactly one of secret, configMap and field")
                .help("write { secret: <name>, key: <key> }, { configMap: <name>, key: <key> } or { field: spec.nodeName }"),
        );
        return None;
    }
    if let Some(path) = &from.field {
        return field_ref(src, field, name, path, from, diags);
    }
    key_ref(src, field, name, from, diags)
}

/// A name the container may set: a valid variable, not one flinkgen sets; warns for the
/// image's variables that cannot work on a read-only root filesystem.
fn checked_name(src: &Source, field: &str, name: &str, diags: &mut Diagnostics) -> Option<()> {
    if !env_name(name) {
        diags.push(
            src.key_error(
                field,
                format!("`{name}` is not an environment variable name"),
            )
            .help("use letters, digits and `_`, not starting with a digit"),
        );
        return None;
    }
    if RESERVED_ENV.contains(&name) || name.starts_with("FLINKGEN_") {
        diags.push(src.key_error(field, format!("`{name}` is set by flinkgen")));
        return None;
    }
    if name == "FLINK_CONF_DIR" {
        diags.push(
            src.key_error(field, "FLINK_CONF_DIR would make Flink read its configuration from another folder than /opt/flink/conf, where flinkgen mounts it, and start without the options flinkgen wrote")
                .help("remove it; put options in flinkConfig, and mount other files with volumes"),
        );
        return None;
    }
    match name {
        "FLINK_PROPERTIES" => diags.push(
            src.warning(field, "FLINK_PROPERTIES has no effect: the image's entrypoint cannot append it to the read-only configuration")
                .help("put the options in flinkConfig (or flinkConfigFromSecrets)"),
        ),
        "ENABLE_BUILT_IN_PLUGINS" => diags.push(
            src.warning(field, "ENABLE_BUILT_IN_PLUGINS has no effect: the image's entrypoint cannot copy into plugins/ on the read-only root filesystem")
                .help("list the plugins in `plugins`; flinkgen's image enables them at build time"),
        ),
        _ => {}
    }
    Some(())
}

/// A pod field (`spec.nodeName`, a label) read through the downward API.
fn field_ref(
    src: &Source,
    field: &str,
    name: &str,
    path: &str,
    from: &EnvSource,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let labelled = ["metadata.labels['", "metadata.annotations['"]
        .iter()
        .any(|p| path.starts_with(p) && path.ends_with("']"));
    if !POD_FIELDS.contains(&path) && !labelled {
        diags.push(
            src.error(
                &format!("{field}.field"),
                format!("`{path}` is not a pod field a container can read"),
            )
            .help(format!(
                "use one of: {}, metadata.labels['<key>'], metadata.annotations['<key>']",
                POD_FIELDS.join(", ")
            )),
        );
        return None;
    }
    if from.key.is_some() || from.optional.is_some() {
        diags.push(src.error(field, "a pod field takes no key or optional"));
        return None;
    }
    Some(json!({ "name": name, "valueFrom": { "fieldRef": { "fieldPath": path } } }))
}

/// One key of a Secret or ConfigMap.
fn key_ref(
    src: &Source,
    field: &str,
    name: &str,
    from: &EnvSource,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let (kind, object) = match (&from.secret, &from.config_map) {
        (Some(s), _) => ("secretKeyRef", s),
        (_, Some(c)) => ("configMapKeyRef", c),
        _ => return None,
    };
    if let Err(e) = units::dns_subdomain(object) {
        diags.push(src.error(field, e));
        return None;
    }
    let Some(key) = &from.key else {
        diags.push(
            src.key_error(field, format!("`{name}` names no key of {object}"))
                .help("add key: <the key in the Secret or ConfigMap>"),
        );
        return None;
    };
    if !config_key(key) {
        diags.push(src.error(
            &format!("{field}.key"),
            format!("`{key}` is not a Secret or ConfigMap key: letters, digits, `-`, `_` and `.`"),
        ));
        return None;
    }
    let mut r = json!({ "name": object, "key": key });
    if let Some(o) = from.optional {
        r["optional"] = json!(o);
    }
    Some(json!({ "name": name, "valueFrom": { kind: r } }))
}

/// The error for a variable whose literal value is a secret, wherever it is written.
pub fn secret_variable(src: &Source, field: &str, name: &str) -> crate::diag::Diagnostic {
    src.error(field, format!("`{name}` looks like a secret; flinkgen never writes a secret into out/, which is committed"))
        .help(format!("keep it in a Kubernetes Secret and write {name}: {{ secret: <name>, key: <key> }}; a variable that names a file may hold its absolute path, or end in _FILE, _PATH or _DIR"))
}

#[cfg(test)]
mod tests {
    use super::super::literal::secret_name;
    use super::*;

    #[test]
    fn names_are_checked_and_secrets_recognised() {
        assert!(env_name("KAFKA_PASSWORD") && !env_name("1X") && !env_name("A-B"));
        assert!(secret_name("KAFKA_PASSWORD") && secret_name("api_token"));
        assert!(!secret_name("TOKEN_URL") && !secret_name("REGION") && !secret_name("SECRET_FILE"));
    }
}
