//! What a spec adds to its Flink pods (environment, volumes, containers, annotations,
//! priority, grace period), checked where it is written and then merged: the job's or
//! cluster's for every pod, a role's (`jobManager:` / `taskManager:`) over it. The parts are
//! checked in `env`, `volumes` and `containers`; the account and local state here.

use std::collections::BTreeMap;

use serde_json::json;

use super::units;
use crate::diag::Diagnostics;
use crate::load::pod::PodFields;
use crate::load::Source;
use crate::model::PodExtras;

/// The pod fields of one place, checked; `prefix` is where they are written (`""`,
/// `taskManager.`, `environments.prod.` …). Long because it walks the pod fields in turn,
/// each checked by its own module (env, volumes, containers).
pub fn extras(
    src: &Source,
    prefix: &str,
    p: &PodFields,
    files: &super::ProjectFiles,
    diags: &mut Diagnostics,
) -> PodExtras {
    let mut out = PodExtras::default();
    for (name, value) in &p.env {
        let field = format!("{prefix}env.{name}");
        if let Some(var) = super::env::env_var(src, &field, name, value, diags) {
            out.env.insert(name.clone(), var);
        }
    }
    for (i, from) in p.env_from.iter().enumerate() {
        let field = format!("{prefix}envFrom[{i}]");
        let source = match (&from.secret, &from.config_map) {
            (Some(s), None) => Some(("secretRef", s)),
            (None, Some(c)) => Some(("configMapRef", c)),
            _ => None,
        };
        let Some((kind, name)) = source else {
            diags.push(src.error(&field, "name exactly one of secret and configMap"));
            continue;
        };
        if let Err(e) = units::dns_subdomain(name) {
            diags.push(src.error(&field, e));
            continue;
        }
        let mut entry = json!({ kind: { "name": name } });
        if let Some(o) = from.optional {
            entry[kind]["optional"] = json!(o);
        }
        if let Some(prefix) = &from.prefix {
            if !super::env::env_name(prefix) {
                diags.push(src.error(
                    &format!("{field}.prefix"),
                    format!("`{prefix}` cannot start an environment variable name"),
                ));
                continue;
            }
            entry["prefix"] = json!(prefix);
        }
        out.env_from.push(entry);
    }
    for (path, v) in &p.volumes {
        let field = format!("{prefix}volumes.{path}");
        if let Some(m) = super::volumes::volume(src, &field, path, v, files, diags) {
            out.mounts.insert(path.clone(), m);
        }
    }
    annotations(
        src,
        &format!("{prefix}podAnnotations"),
        &p.pod_annotations,
        diags,
    );
    for k in p.pod_annotations.keys() {
        let field = format!("{prefix}podAnnotations.{k}");
        if k.starts_with("flinkgen/") {
            diags.push(src.key_error(
                &field,
                "annotations under flinkgen/ are flinkgen's own (the config hash)",
            ));
        }
    }
    out.annotations = p.pod_annotations.clone();
    if let Some(pc) = &p.priority_class_name {
        if let Err(e) = units::dns_subdomain(pc) {
            diags.push(src.error(&format!("{prefix}priorityClassName"), e));
        }
    }
    out.priority_class_name = p.priority_class_name.clone();
    out.termination_grace_period_seconds = p.termination_grace_period_seconds;
    let mut weakened = Vec::new();
    for (list, what, into) in [
        (&p.sidecars, "sidecars", &mut out.sidecars),
        (
            &p.init_containers,
            "initContainers",
            &mut out.init_containers,
        ),
    ] {
        for (i, c) in list.iter().enumerate() {
            let field = format!("{prefix}{what}[{i}]");
            if let Some((c, weakens)) = super::containers::container(src, &field, c, diags) {
                if !weakens.is_empty() {
                    let name = c["name"].as_str().unwrap_or_default();
                    weakened.push(super::containers::weakens_entry(name, &weakens));
                }
                into.push(c);
            }
        }
    }
    if !weakened.is_empty() {
        out.annotations.insert(
            super::containers::WEAKENS_ANNOTATION.to_string(),
            weakened.join("; "),
        );
    }
    out
}

/// A role's extras over the spec's: maps merge by key (the role wins), lists append. Two
/// mounts may not share a volume name, since the pod lists volumes by name.
pub fn merge(
    src: &Source,
    field: &str,
    base: &PodExtras,
    role: &PodExtras,
    diags: &mut Diagnostics,
) -> PodExtras {
    let mut out = base.clone();
    out.env.extend(role.env.clone());
    out.env_from.extend(role.env_from.iter().cloned());
    out.mounts.extend(role.mounts.clone());
    out.annotations.extend(role.annotations.clone());
    // Both the spec's and the role's containers may weaken something: the pod lists both.
    let key = super::containers::WEAKENS_ANNOTATION;
    if let (Some(b), Some(r)) = (base.annotations.get(key), role.annotations.get(key)) {
        out.annotations.insert(key.to_string(), format!("{b}; {r}"));
    }
    out.priority_class_name = role.priority_class_name.clone().or(out.priority_class_name);
    out.termination_grace_period_seconds = role
        .termination_grace_period_seconds
        .or(out.termination_grace_period_seconds);
    out.sidecars.extend(role.sidecars.iter().cloned());
    out.init_containers
        .extend(role.init_containers.iter().cloned());
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, m) in &out.mounts {
        if let Some(other) = seen.insert(&m.name, path) {
            // Point at the one written under the role, if either is.
            let (at, prefix) = match (
                role.mounts.contains_key(path),
                role.mounts.contains_key(other),
            ) {
                (true, _) => (path.as_str(), field),
                (_, true) => (other, field),
                _ => (path.as_str(), ""),
            };
            diags.push(
                src.key_error(
                    &format!("{prefix}volumes.{at}"),
                    format!(
                        "the volumes at {other} and {path} are both named `{}`",
                        m.name
                    ),
                )
                .help("give one of them another `name:`"),
            );
        }
    }
    super::containers::containers_fit(src, field, base, &out, diags);
    out
}

/// The spec's service account: a valid name, annotations only on an account flinkgen writes.
pub fn account(
    src: &Source,
    a: &crate::load::pod::ServiceAccountSpec,
    diags: &mut Diagnostics,
) -> Option<crate::model::Account> {
    let mut ok = true;
    if let Err(e) = units::dns_subdomain(&a.name) {
        diags.push(src.error("serviceAccount.name", e));
        ok = false;
    }
    ok &= annotations(src, "serviceAccount.annotations", &a.annotations, diags);
    let create = a.create.unwrap_or(true);
    if !create && !a.annotations.is_empty() {
        diags.push(
            src.key_error("serviceAccount.annotations", "annotations go on the account flinkgen writes, but `create: false` says it exists already")
                .help("annotate the existing account where it is defined, or remove `create: false`"),
        );
        ok = false;
    }
    ok.then(|| crate::model::Account {
        name: a.name.clone(),
        annotations: a.annotations.clone(),
        create,
    })
}

/// Annotations at `field`: valid keys, and no secret as a value (the one rule of `literal`).
pub fn annotations(
    src: &Source,
    field: &str,
    map: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for (k, v) in map {
        let here = format!("{field}.{k}");
        if let Err(e) = units::label_key(k) {
            diags.push(src.key_error(&here, e));
            ok = false;
        } else if super::literal::secret_annotation(k, v) {
            diags.push(
                src.error(&here, format!("the annotation `{k}` looks like it holds a secret; flinkgen never writes a secret into out/, which is committed"))
                    .help("annotate with where the secret is (a Secret's name, a Vault path), not its value"),
            );
            ok = false;
        }
    }
    ok
}
