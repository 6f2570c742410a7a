//! What a spec adds to its Flink pods (environment, volumes, annotations, priority, grace
//! period), checked where it is written and then merged: the job's or cluster's for every pod,
//! a role's (`jobManager:` / `taskManager:`) over it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::units;
use crate::diag::Diagnostics;
use crate::load::pod::{ConfigMapSource, EnvValue, HostPathSpec, PodFields, VolumeSpec};
use crate::load::scalar::Scalar;
use crate::load::Source;
use crate::model::{Mount, PodExtras};

/// Environment variables flinkgen sets itself.
const RESERVED_ENV: &[&str] = &["POD_IP", "_POD_IP_ADDRESS"];

/// Volume names flinkgen's own mounts use.
const RESERVED_VOLUMES: &[&str] = &[
    "flink-config-volume",
    "pod-template-volume",
    "tmp",
    "flink-logs",
];

/// The pod fields of one place, checked; `prefix` is where they are written (`""`,
/// `taskManager.`, `environments.prod.` …).
pub fn extras(
    src: &Source,
    prefix: &str,
    p: &PodFields,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> PodExtras {
    let mut out = PodExtras::default();
    for (name, value) in &p.env {
        let field = format!("{prefix}env.{name}");
        if let Some(var) = env_var(src, &field, name, value, diags) {
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
            if !env_name(prefix) {
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
        if let Some(m) = volume(src, &field, path, v, files, diags) {
            out.mounts.insert(path.clone(), m);
        }
    }
    for k in p.pod_annotations.keys() {
        let field = format!("{prefix}podAnnotations.{k}");
        if let Err(e) = units::label_key(k) {
            diags.push(src.key_error(&field, e));
        } else if k.starts_with("flinkgen/") {
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
            if let Some(c) = container(src, &field, c, diags) {
                into.push(c);
            }
        }
    }
    out
}

/// Names of flinkgen's own containers, which a sidecar may not take.
const RESERVED_CONTAINERS: &[&str] = &[
    "jobmanager",
    "taskmanager",
    "flink-main-container",
    "submit",
];

/// The hardening of flinkgen's containers, which a sidecar's own securityContext refines
/// field by field.
fn hardened() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "capabilities": { "drop": ["ALL"] },
    })
}

/// A container as the Kubernetes API reads it, named, with an image and resources, hardened
/// like Flink's unless it says otherwise (then a warning names what it weakens).
fn container(
    src: &Source,
    field: &str,
    c: &crate::load::tree::Tree,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let mut c = super::kube::typed::<k8s_openapi::api::core::v1::Container>(src, field, c, diags)?;
    let name = c["name"].as_str().unwrap_or_default().to_string();
    if let Err(e) = units::dns_label(&name, 63) {
        diags.push(src.error(&format!("{field}.name"), e));
        return None;
    }
    if RESERVED_CONTAINERS.contains(&name.as_str()) {
        diags.push(src.error(
            &format!("{field}.name"),
            format!("`{name}` is the name of flinkgen's own container"),
        ));
        return None;
    }
    if c.get("image").is_none() {
        diags.push(
            src.key_error(field, format!("container `{name}` has no image"))
                .help("add image: <repository>:<tag>"),
        );
        return None;
    }
    let res = &c["resources"];
    let sized = ["requests", "limits"]
        .iter()
        .all(|k| res[k]["cpu"].is_string() && res[k]["memory"].is_string());
    if !sized {
        diags.push(
            src.key_error(field, format!("container `{name}` needs cpu and memory requests and limits, like every container flinkgen writes"))
                .help("add resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 200m, memory: 128Mi } }"),
        );
        return None;
    }
    let mut sc = hardened();
    if let Some(own) = c.get("securityContext").and_then(Value::as_object) {
        let weakened: Vec<&str> = [
            ("allowPrivilegeEscalation", json!(true)),
            ("readOnlyRootFilesystem", json!(false)),
            ("privileged", json!(true)),
            ("runAsNonRoot", json!(false)),
            ("runAsUser", json!(0)),
        ]
        .iter()
        .filter(|(k, bad)| own.get(*k) == Some(bad))
        .map(|(k, _)| *k)
        .chain(
            own.get("capabilities")
                .and_then(|c| c.get("add"))
                .map(|_| "capabilities.add"),
        )
        .collect();
        if !weakened.is_empty() {
            diags.push(
                src.warning(
                    &format!("{field}.securityContext"),
                    format!(
                        "container `{name}` weakens the pods' hardening: {}",
                        weakened.join(", ")
                    ),
                )
                .help("keep it only if the container cannot run otherwise"),
            );
        }
        for (k, v) in own {
            sc[k] = v.clone();
        }
    }
    c["securityContext"] = sc;
    Some(c)
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
    containers_fit(src, field, base, &out, diags);
    out
}

/// Sidecars and init containers have unique names and mount only volumes the pod has. Those
/// written for every pod are reported once, under the JobManager's check.
fn containers_fit(
    src: &Source,
    field: &str,
    base: &PodExtras,
    x: &PodExtras,
    diags: &mut Diagnostics,
) {
    let mut volumes: Vec<&str> = x.mounts.values().map(|m| m.name.as_str()).collect();
    volumes.extend(["flink-config-volume", "tmp", "flink-logs"]);
    let mut names: Vec<&str> = Vec::new();
    for (what, list, shared) in [
        ("sidecars", &x.sidecars, base.sidecars.len()),
        (
            "initContainers",
            &x.init_containers,
            base.init_containers.len(),
        ),
    ] {
        for (i, c) in list.iter().enumerate() {
            let (prefix, at) = if i < shared {
                ("", i)
            } else {
                (field, i - shared)
            };
            let here = format!("{prefix}{what}[{at}]");
            let name = c["name"].as_str().unwrap_or_default();
            let duplicate = names.contains(&name);
            names.push(name);
            if i < shared && field != "jobManager." {
                continue;
            }
            if duplicate {
                diags.push(src.key_error(&here, format!("two containers are named `{name}`")));
            }
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let v = m["name"].as_str().unwrap_or_default();
                if !volumes.contains(&v) {
                    diags.push(
                        src.key_error(
                            &here,
                            format!(
                                "container `{name}` mounts `{v}`, which the pod has no volume of"
                            ),
                        )
                        .help(format!("mount one of: {}", volumes.join(", "))),
                    );
                }
            }
        }
    }
}

/// The TaskManagers' local-state claims: standalone TaskManagers only, since native ones are
/// pods the JobManager creates itself and the Operator's are a Deployment.
pub fn local_state(
    src: &Source,
    spec: &crate::load::pod::LocalStateSpec,
    native: bool,
    operator: bool,
    diags: &mut Diagnostics,
) -> Option<crate::model::LocalState> {
    let field = "taskManager.localState";
    if native || operator {
        let why = if native {
            "native TaskManagers are pods the JobManager creates one by one, which Kubernetes gives no claims"
        } else {
            "the Operator runs TaskManagers as a Deployment, which gives no pod a claim of its own"
        };
        diags.push(
            src.key_error(field, why)
                .help("use mode: standalone with target: manifests for local state on a disk of its own, or an emptyDir volume (lost with the pod)"),
        );
        return None;
    }
    let size = match units::memory(&spec.size) {
        Ok(b) => disk_size(b),
        Err(e) => {
            diags.push(src.error(&format!("{field}.size"), e));
            return None;
        }
    };
    if let Some(Err(e)) = spec.storage_class.as_deref().map(units::dns_subdomain) {
        diags.push(src.error(&format!("{field}.storageClass"), e));
        return None;
    }
    Some(crate::model::LocalState {
        size,
        storage_class: spec.storage_class.clone(),
    })
}

/// A disk size as people write it: whole GiB as `Gi`, else `Mi`.
fn disk_size(bytes: u64) -> String {
    if bytes > 0 && bytes.is_multiple_of(1 << 30) {
        format!("{}Gi", bytes >> 30)
    } else {
        units::k8s_memory(bytes)
    }
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
    for k in a.annotations.keys() {
        if let Err(e) = units::label_key(k) {
            diags.push(src.key_error(&format!("serviceAccount.annotations.{k}"), e));
            ok = false;
        }
    }
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

/// `[A-Za-z_][A-Za-z0-9_]*`: the names `$(NAME)` expansion and shells can refer to.
fn env_name(n: &str) -> bool {
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

fn env_var(
    src: &Source,
    field: &str,
    name: &str,
    value: &EnvValue,
    diags: &mut Diagnostics,
) -> Option<Value> {
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
    let from = match value {
        EnvValue::Value(Scalar::Float(f)) => {
            diags.push(
                src.error(field, format!("the number {f} must be quoted"))
                    .help("YAML may change how a float is written (1.10 becomes 1.1); quote it"),
            );
            return None;
        }
        EnvValue::Value(v) => {
            if secret_name(name) {
                diags.push(
                    src.error(field, format!("`{name}` looks like a secret; flinkgen never writes a secret into out/, which is committed"))
                        .help(format!("keep it in a Kubernetes Secret and write {name}: {{ secret: <name>, key: <key> }}")),
                );
                return None;
            }
            return Some(json!({ "name": name, "value": v.as_text() }));
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
        let labelled = ["metadata.labels['", "metadata.annotations['"]
            .iter()
            .any(|p| path.starts_with(p) && path.ends_with("']"));
        if !POD_FIELDS.contains(&path.as_str()) && !labelled {
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
        return Some(json!({ "name": name, "valueFrom": { "fieldRef": { "fieldPath": path } } }));
    }
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

/// Whether a variable's name says it holds a secret (`KAFKA_PASSWORD`, `API_TOKEN`); names
/// of where a secret is (`…_FILE`, `…_URL`) do not.
fn secret_name(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "APIKEY",
        "API_KEY",
        "TOKEN",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "JAAS",
    ];
    const ONLY_A_PLACE: &[&str] = &[
        "_NAME",
        "_FILE",
        "_PATH",
        "_URL",
        "_URI",
        "_ENDPOINT",
        "_HOST",
        "_PORT",
        "_DIR",
    ];
    let upper = name.to_ascii_uppercase();
    WORDS.iter().any(|w| upper.contains(w)) && !ONLY_A_PLACE.iter().any(|s| upper.ends_with(s))
}

/// A key of a Secret or ConfigMap: `[-._a-zA-Z0-9]+`.
pub fn config_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Project files as the loader read them.
pub type ProjectFiles = BTreeMap<String, Result<String, crate::load::input::InputError>>;

fn volume(
    src: &Source,
    field: &str,
    path: &str,
    v: &VolumeSpec,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<Mount> {
    let plain = path.starts_with('/')
        && path.len() > 1
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
        && !path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .any(|s| matches!(s, "" | "." | ".."));
    if !plain {
        diags.push(
            src.key_error(field, format!("`{path}` is not an absolute mount path"))
                .help("write an absolute path of letters, digits and `._-+/`, such as /etc/kafka"),
        );
        return None;
    }
    if let Some((dir, why)) = super::lib::hidden_by_mount(path) {
        diags.push(
            src.key_error(field, format!("flinkgen mounts {dir} itself: {why}"))
                .help("mount the volume at another path"),
        );
        return None;
    }
    let name = match &v.name {
        Some(n) => n.clone(),
        None => volume_name(path),
    };
    if let Err(e) = units::dns_label(&name, 63) {
        diags.push(src.error(&format!("{field}.name"), e));
        return None;
    }
    if RESERVED_VOLUMES.contains(&name.as_str()) {
        diags.push(
            src.error(
                field,
                format!("the volume name `{name}` is one of flinkgen's own"),
            )
            .help("set another `name:`"),
        );
        return None;
    }
    let sources = [
        v.secret.is_some(),
        v.config_map.is_some(),
        v.persistent_volume_claim.is_some(),
        v.empty_dir.is_some(),
        v.host_path.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        diags.push(
            src.key_error(field, "name exactly one source: secret, configMap, persistentVolumeClaim, emptyDir or hostPath"),
        );
        return None;
    }
    let named = |kind: &str, n: &str, diags: &mut Diagnostics| -> Option<()> {
        units::dns_subdomain(n)
            .map_err(|e| diags.push(src.error(&format!("{field}.{kind}"), e)))
            .ok()
    };
    let mut read_only = v.read_only.unwrap_or(false);
    let volume = if let Some(s) = &v.secret {
        named("secret", s, diags)?;
        read_only = true;
        json!({ "name": name, "secret": { "secretName": s } })
    } else if let Some(ConfigMapSource::Name(c)) = &v.config_map {
        named("configMap", c, diags)?;
        read_only = true;
        json!({ "name": name, "configMap": { "name": c } })
    } else if let Some(ConfigMapSource::Files(f)) = &v.config_map {
        let contents = config_files(
            src,
            &format!("{field}.configMap.files"),
            &f.files,
            files,
            diags,
        )?;
        // The ConfigMap's name is the job's; plan writes the volume that refers to it.
        return Some(Mount {
            name,
            read_only: true,
            volume: Value::Null,
            files: contents,
        });
    } else if let Some(c) = &v.persistent_volume_claim {
        named("persistentVolumeClaim", c, diags)?;
        json!({ "name": name, "persistentVolumeClaim": { "claimName": c, "readOnly": read_only } })
    } else if let Some(e) = &v.empty_dir {
        let mut spec = json!({});
        if let Some(size) = &e.size_limit {
            match units::memory(size) {
                Ok(bytes) => spec["sizeLimit"] = json!(disk_size(bytes)),
                Err(err) => {
                    diags.push(src.error(&format!("{field}.emptyDir.sizeLimit"), err));
                    return None;
                }
            }
        }
        match e.medium.as_deref() {
            None => {}
            Some("Memory") => spec["medium"] = json!("Memory"),
            Some(m) => {
                diags.push(
                    src.error(
                        &format!("{field}.emptyDir.medium"),
                        format!("`{m}` is not an emptyDir medium"),
                    )
                    .help("use Memory (a tmpfs), or leave it out for the node's disk"),
                );
                return None;
            }
        }
        json!({ "name": name, "emptyDir": spec })
    } else {
        let (host, kind) = match v.host_path.as_ref()? {
            HostPathSpec::Path(p) => (p.clone(), None),
            HostPathSpec::Typed(t) => (t.path.clone(), t.path_type.clone()),
        };
        if !host.starts_with('/') {
            diags.push(src.error(
                &format!("{field}.hostPath"),
                format!("`{host}` is not an absolute path on the node"),
            ));
            return None;
        }
        const TYPES: &[&str] = &[
            "DirectoryOrCreate",
            "Directory",
            "FileOrCreate",
            "File",
            "Socket",
            "CharDevice",
            "BlockDevice",
        ];
        if let Some(k) = kind.as_deref().filter(|k| !TYPES.contains(k)) {
            diags.push(
                src.error(
                    &format!("{field}.hostPath.type"),
                    format!("`{k}` is not a hostPath type"),
                )
                .help(format!("use one of: {}", TYPES.join(", "))),
            );
            return None;
        }
        diags.push(
            src.warning(field, format!("a hostPath volume ties the pod to what node {host} holds, and gives it access to the node's files"))
                .help("prefer a persistentVolumeClaim or an emptyDir unless the path is a local disk meant for it"),
        );
        let mut hp = json!({ "path": host });
        if let Some(k) = kind {
            hp["type"] = json!(k);
        }
        json!({ "name": name, "hostPath": hp })
    };
    Some(Mount {
        name,
        read_only,
        volume,
        files: BTreeMap::new(),
    })
}

/// The files of a ConfigMap flinkgen writes: each key a Secret-style key, each source a
/// project file that was read as UTF-8 text. A ConfigMap holds at most 1 MiB in all.
fn config_files(
    src: &Source,
    field: &str,
    wanted: &BTreeMap<String, String>,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, String>> {
    if wanted.is_empty() {
        diags.push(src.key_error(field, "name at least one file"));
        return None;
    }
    let mut out = BTreeMap::new();
    let mut total = 0;
    for (key, path) in wanted {
        let here = format!("{field}.{key}");
        if !config_key(key) {
            diags.push(src.key_error(&here, format!("`{key}` is not a file name a ConfigMap can hold: letters, digits, `-`, `_` and `.`")));
            return None;
        }
        super::image::project_path(src, &here, path, false, diags)?;
        match files.get(path) {
            Some(Ok(text)) => {
                total += text.len();
                out.insert(key.clone(), text.clone());
            }
            Some(Err(e)) => {
                diags.push(
                    src.error(&here, format!("{path}: {}", e.message))
                        .help(e.help.clone()),
                );
                return None;
            }
            None => {
                diags.push(src.error(&here, format!("{path} was not read")));
                return None;
            }
        }
    }
    if total > 1 << 20 {
        diags.push(src.key_error(field, "the files hold more than the 1 MiB a ConfigMap can").help("mount large files from a volume of their own (a persistentVolumeClaim), or build them into the image with image.files"));
        return None;
    }
    Some(out)
}

/// The documented rule: the mount path's parts joined with `-`, lowercased, anything but
/// letters and digits turned into `-` (`/etc/kafka` is `etc-kafka`); cut to 63 characters.
pub fn volume_name(path: &str) -> String {
    let mut name: String = path
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let mut name = name.trim_matches('-').to_string();
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_follow_the_path() {
        assert_eq!(volume_name("/etc/kafka"), "etc-kafka");
        assert_eq!(volume_name("/mnt/NVMe_0/"), "mnt-nvme-0");
        assert_eq!(volume_name("/a/.b"), "a-b");
        assert!(env_name("KAFKA_PASSWORD") && !env_name("1X") && !env_name("A-B"));
        assert!(secret_name("KAFKA_PASSWORD") && secret_name("api_token"));
        assert!(!secret_name("TOKEN_URL") && !secret_name("REGION") && !secret_name("SECRET_FILE"));
    }
}
