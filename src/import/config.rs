//! Flink options of the input (a ConfigMap's `flink-conf.yaml` or `config.yaml`, the
//! Operator's `flinkConfiguration`, `FLINK_PROPERTIES`) sorted into what a spec says with its
//! own fields, what profiles say, what flinkgen writes itself, and what stays `flinkConfig`.

use crate::diag::Diagnostic;
use crate::flink::keys::{self, Verdict};
use crate::flink::Version;
use crate::load::tree::Tree;
use crate::validate::literal;

use super::draft::{Draft, Role};
use super::objects::Obj;

/// One option of the input and where it was written.
#[derive(Clone)]
pub struct FlinkOption {
    pub key: String,
    pub value: Tree,
    pub line: usize,
}

impl FlinkOption {
    pub fn text(&self) -> String {
        match &self.value {
            Tree::List(items) => items
                .iter()
                .filter_map(Tree::scalar_text)
                .collect::<Vec<_>>()
                .join(";"),
            v => v.scalar_text().unwrap_or_default(),
        }
    }
}

/// Options of a legacy `flink-conf.yaml` as Flink's own reader takes them: everything after
/// `#` a comment, the rest trimmed and split at the first `": "` (javap of
/// `GlobalConfiguration.loadLegacyYAMLResource`, 1.20.4; a line without `": "` is skipped).
pub fn legacy(text: &str, first_line: usize) -> Vec<FlinkOption> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let conf = line.split('#').next().unwrap_or("").trim();
        if conf.is_empty() {
            continue;
        }
        if let Some((k, v)) = conf.split_once(": ") {
            out.push(FlinkOption {
                key: k.trim().to_string(),
                value: Tree::Text(v.trim().to_string()),
                line: first_line + i,
            });
        }
    }
    out
}

/// Options of `FLINK_PROPERTIES` as the official image's entrypoint reads them
/// (`process_flink_properties` in apache/flink-docker's docker-entrypoint.sh): each line with
/// all whitespace removed, split at its first `:`; no comments. The entrypoint passes each
/// value through `envsubst`, so one that names a variable is the caller's to report.
pub fn entrypoint_properties(text: &str, first_line: usize) -> Vec<FlinkOption> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let packed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            let (k, v) = packed.split_once(':')?;
            Some(FlinkOption {
                key: k.to_string(),
                value: Tree::Text(v.to_string()),
                line: first_line + i,
            })
        })
        .collect()
}

/// Options of a standard YAML `config.yaml` (Flink 1.19 and later), nested keys flattened.
pub fn standard(text: &str, first_line: usize) -> Result<Vec<FlinkOption>, String> {
    let docs = crate::load::yaml::marked_documents(text).map_err(|(_, m)| m)?;
    let mut out = Vec::new();
    for doc in docs {
        let mut leaves = Vec::new();
        flatten("", &doc.tree, &mut leaves);
        for (key, value) in leaves {
            let line = doc.lines.get(&key).copied().unwrap_or(1);
            out.push(FlinkOption {
                key,
                value,
                line: first_line + line - 1,
            });
        }
    }
    Ok(out)
}

/// The Operator's `flinkConfiguration` map (flat keys, or nested from Operator 1.13 on).
pub fn from_map(obj: &Obj, path: &[&str]) -> Vec<FlinkOption> {
    let mut leaves = Vec::new();
    if let Some(t) = obj.at(path) {
        flatten("", t, &mut leaves);
    }
    let field = path.join(".");
    leaves
        .into_iter()
        .map(|(key, value)| FlinkOption {
            line: obj.line(&format!("{field}.{key}")),
            key,
            value,
        })
        .collect()
}

fn flatten(prefix: &str, t: &Tree, out: &mut Vec<(String, Tree)>) {
    match t {
        Tree::Map(entries) => {
            for (k, v) in entries {
                let k = k.scalar_text().unwrap_or_default();
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        v if !prefix.is_empty() => out.push((prefix.to_string(), v.clone())),
        _ => {}
    }
}

/// Where a warning about an option points.
pub struct At<'a> {
    pub obj: &'a Obj,
    /// The field holding the options (`data.flink-conf.yaml`, `spec.flinkConfiguration`).
    pub field: String,
}

impl At<'_> {
    pub fn warning(&self, o: &FlinkOption, message: impl Into<String>) -> Diagnostic {
        self.obj
            .warning_line(o.line, &format!("{}: {}", self.field, o.key), message)
    }
}

/// Sorts every option into the draft. Long because it is the one table of Flink keys that
/// spec and profile fields stand for; split, the table would be read in pieces.
pub fn apply(options: &[FlinkOption], at: &At, draft: &mut Draft) {
    let version = draft.version;
    for o in options {
        let key = o.key.as_str();
        let text = o.text();
        if keys::is_sensitive(key) || literal::password_in_uri(&text) {
            draft.secret_option(at, o);
            continue;
        }
        if let Verdict::Invalid(msg) = keys::check(key, version) {
            // Flink would not read it; a typed field says it the way the version reads it.
            let what = if is_typed(key) {
                "imported into the spec field that stands for it, which flinkgen writes under this version's name: the cluster will now use it, check that is intended"
            } else {
                "not imported"
            };
            draft.warn(at.warning(
                o,
                format!("{msg}, so the input's cluster ignored it; {what}"),
            ));
            if !is_typed(key) {
                continue;
            }
        }
        if let Some(field) = memory_field(key) {
            draft.memory(at, o, field);
            continue;
        }
        match key {
            "taskmanager.numberOfTaskSlots" => draft.int(at, o, &["taskManager", "slots"]),
            "parallelism.default" => {
                if draft.spec.get("parallelism").is_none() {
                    draft.int(at, o, &["parallelism"]);
                }
            }
            "kubernetes.jobmanager.replicas" => draft.int(at, o, &["jobManager", "replicas"]),
            "state.backend" | "state.backend.type" => draft.state_backend(at, o),
            "execution.checkpointing.interval" => draft.text(o, &["checkpoints", "interval"]),
            "execution.checkpointing.timeout" => draft.text(o, &["checkpoints", "timeout"]),
            "execution.checkpointing.min-pause" => draft.text(o, &["checkpoints", "minPause"]),
            "execution.checkpointing.max-concurrent-checkpoints" => {
                draft.int(at, o, &["checkpoints", "maxConcurrent"])
            }
            "execution.checkpointing.tolerable-failed-checkpoints" => {
                draft.int(at, o, &["checkpoints", "tolerableFailures"])
            }
            "execution.checkpointing.num-retained" | "state.checkpoints.num-retained" => {
                draft.int(at, o, &["checkpoints", "retained"])
            }
            "execution.checkpointing.dir" | "state.checkpoints.dir" => {
                draft.text(o, &["checkpoints", "dir"])
            }
            "execution.checkpointing.incremental" | "state.backend.incremental" => {
                draft.boolean(at, o, &["checkpoints", "incremental"])
            }
            "execution.checkpointing.mode" => {
                let v = text.to_ascii_lowercase().replace('_', "-");
                draft.enumerated(
                    at,
                    o,
                    &["checkpoints", "mode"],
                    &v,
                    &["exactly-once", "at-least-once"],
                );
            }
            "execution.checkpointing.externalized-checkpoint-retention" => {
                let v = match text.to_ascii_uppercase().as_str() {
                    "NO_EXTERNALIZED_CHECKPOINTS" => "none".to_string(),
                    other => other.to_ascii_lowercase().replace('_', "-"),
                };
                draft.enumerated(
                    at,
                    o,
                    &["checkpoints", "retention"],
                    &v,
                    &["retain-on-cancellation", "delete-on-cancellation", "none"],
                );
            }
            "execution.checkpointing.savepoint-dir" | "state.savepoints.dir" => {
                draft.text(o, &["savepoints", "dir"])
            }
            "execution.state-recovery.path" | "execution.savepoint.path" => {
                draft.text(o, &["savepoints", "restoreFrom"])
            }
            "execution.state-recovery.ignore-unclaimed-state"
            | "execution.savepoint.ignore-unclaimed-state" => {
                draft.boolean(at, o, &["savepoints", "allowNonRestoredState"])
            }
            "execution.state-recovery.claim-mode" | "execution.savepoint-restore-mode" => {
                let v = text.to_ascii_lowercase().replace('_', "-");
                draft.enumerated(
                    at,
                    o,
                    &["savepoints", "claimMode"],
                    &v,
                    &["claim", "no-claim"],
                );
            }
            "high-availability" | "high-availability.type" => draft.ha_type(at, o),
            "high-availability.storageDir" => draft.text(o, &["ha", "storageDir"]),
            "high-availability.cluster-id" | "kubernetes.cluster-id" => {
                let name = draft.name.clone();
                if text != name {
                    draft.warn(at.warning(
                        o,
                        format!("the input's cluster id is `{text}`; flinkgen uses the name `{name}`, so HA metadata and checkpoints kept under the old id are not found by the new cluster: take a savepoint first and start from it (savepoints.restoreFrom)"),
                    ));
                }
            }
            "kubernetes.jobmanager.cpu" | "kubernetes.jobmanager.cpu.amount" => {
                draft.cpu(at, o, Role::JobManager)
            }
            "kubernetes.taskmanager.cpu" | "kubernetes.taskmanager.cpu.amount" => {
                draft.cpu(at, o, Role::TaskManager)
            }
            "kubernetes.jobmanager.cpu.limit-factor" => {
                draft.limit_factor(at, o, Role::JobManager, "cpu")
            }
            "kubernetes.taskmanager.cpu.limit-factor" => {
                draft.limit_factor(at, o, Role::TaskManager, "cpu")
            }
            "kubernetes.jobmanager.memory.limit-factor" => {
                draft.limit_factor(at, o, Role::JobManager, "memory")
            }
            "kubernetes.taskmanager.memory.limit-factor" => {
                draft.limit_factor(at, o, Role::TaskManager, "memory")
            }
            "kubernetes.container.image" | "kubernetes.container.image.ref" => {
                draft.image_ref(&text)
            }
            "kubernetes.container.image.pull-policy" => {
                draft.enumerated(
                    at,
                    o,
                    &["image", "pullPolicy"],
                    &text,
                    &["Always", "IfNotPresent", "Never"],
                );
            }
            "kubernetes.container.image.pull-secrets" => {
                for s in text
                    .split([';', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    draft.pull_secret(s);
                }
            }
            "kubernetes.rest-service.exposed.type" => draft.rest_type(at, o),
            "metrics.reporters" => {}
            k if k.starts_with("metrics.reporter.prom.") => draft.prometheus(at, o),
            // What `flink run-application --target kubernetes-application` ships to a native
            // JobManager: the program (DeploymentOptionsInternal / ApplicationConfiguration
            // keys, javap 1.20.4), which a spec says with its own fields.
            "$internal.application.main" => draft.text(o, &["entryClass"]),
            "$internal.application.program-args" => {
                let args = match &o.value {
                    Tree::List(items) => items.clone(),
                    v => v
                        .scalar_text()
                        .unwrap_or_default()
                        .split(';')
                        .map(|a| Tree::Text(a.to_string()))
                        .collect(),
                };
                let words: Vec<String> = args.iter().filter_map(Tree::scalar_text).collect();
                if let Some(flag) = super::pod::secret_in_words(&words) {
                    let mut w = at.warning(o, format!("the program arguments carry a secret ({flag}); they are not imported: pass the value from a Secret (env with secretKeyRef, then $(VAR) in the argument)"));
                    w.excerpt = None;
                    draft.warn(w);
                } else if !args.is_empty() {
                    draft.put(&["args"], Tree::List(args));
                }
            }
            "pipeline.jars" => draft.jars(at, o),
            // Set by Flink's own client for the cluster it starts, never by a user
            // (DeploymentOptionsInternal, KubernetesConfigOptionsInternal).
            k if k.starts_with("$internal.") || k.starts_with("kubernetes.internal.") => {}
            _ => other(at, o, version, draft),
        }
    }
}

/// Keys no typed field stands for: kept as `flinkConfig` when flinkgen lets a spec set them,
/// renamed when the version deprecates them, else reported.
fn other(at: &At, o: &FlinkOption, version: Version, draft: &mut Draft) {
    let key = o.key.as_str();
    if LOCAL_STATE.contains(&key) && draft.spec.at(&["taskManager", "localState"]).is_some() {
        draft.warn(at.warning(
            o,
            format!("`{key}` is not imported: taskManager.localState (from the TaskManagers' claim) turns local recovery on and puts the working directory on the claim"),
        ));
        return;
    }
    if let Some((_, pinned)) = PINNED.iter().find(|(k, _)| *k == key) {
        let text = o.text();
        if !pinned.is_empty() && text != *pinned {
            draft.warn(at.warning(
                o,
                format!("the input pins `{key}` to {text}; flinkgen pins it to {pinned}: check clients and network policies that use the old port"),
            ));
        }
        return;
    }
    if let Some(help) = keys::owner_help(key) {
        draft.warn(at.warning(
            o,
            format!("`{key}` is written by flinkgen, not imported ({help})"),
        ));
        return;
    }
    if !keys::valid_key(key) {
        draft.warn(at.warning(
            o,
            format!("`{key}` is not a Flink option key; not imported"),
        ));
        return;
    }
    let mut key = key.to_string();
    match keys::check(&key, version) {
        Verdict::Invalid(_) => return,
        Verdict::Deprecated(msg) => {
            if let Some(new) = keys::replacement(&key, version) {
                draft.warn(at.warning(o, format!("{msg}: imported as `{new}`")));
                key = new.to_string();
            } else {
                draft.warn(at.warning(o, msg));
            }
        }
        Verdict::Ok => {}
    }
    if key.starts_with("env.java.opts") {
        if let Some(flag) = literal::jvm_secret(&o.text()) {
            draft.warn(at.warning(
                o,
                format!("the JVM flags carry a secret (`{flag}`); not imported: pass it from a Secret (env with secretKeyRef, then ${{VAR}} in the flag)"),
            ));
            return;
        }
        draft.warn(at.warning(
            o,
            "JVM flags are imported as written; flinkgen adds the flags the Flink version needs (module opens) before them: check they still apply to the image's Java",
        ));
    }
    if o.value.is_null() || o.text().is_empty() {
        draft.warn(at.warning(o, format!("`{key}` has no value; not imported")));
        return;
    }
    draft.flink_config(&key, o.value.clone());
}

/// Whether `apply` reads the key into a typed field rather than `flinkConfig`.
fn is_typed(key: &str) -> bool {
    memory_field(key).is_some()
        || keys::OWNED.iter().any(|o| o.key == key)
        || key.starts_with("metrics.reporter.prom.")
}

/// Local recovery's options, which `taskManager.localState` writes.
const LOCAL_STATE: &[&str] = &[
    "execution.checkpointing.local-backup.enabled",
    "state.backend.local-recovery",
    "process.taskmanager.working-dir",
    "process.working-dir",
];

/// Whether flinkgen pins the option (the input's value is dropped).
pub fn pinned(key: &str) -> bool {
    PINNED.iter().any(|(k, _)| *k == key)
}

/// Ports and addresses flinkgen's Services and probes depend on: dropped, with a word when
/// the input used another value (an empty pin: any value is the Service's own business).
const PINNED: &[(&str, &str)] = &[
    ("jobmanager.rpc.address", ""),
    ("jobmanager.rpc.port", "6123"),
    ("blob.server.port", "6124"),
    ("taskmanager.rpc.port", "6122"),
    ("rest.port", "8081"),
    ("rest.bind-port", "8081"),
    ("jobmanager.rpc.bind-port", "6123"),
    ("taskmanager.rpc.bind-port", "6122"),
    ("rest.address", ""),
    ("rest.bind-address", ""),
    ("jobmanager.bind-host", ""),
    ("taskmanager.bind-host", ""),
    ("taskmanager.host", ""),
    ("kubernetes.namespace", ""),
    ("kubernetes.service-account", ""),
    ("kubernetes.jobmanager.service-account", ""),
    ("kubernetes.taskmanager.service-account", ""),
    ("execution.target", ""),
    ("kubernetes.pod-template-file", ""),
    ("kubernetes.pod-template-file.default", ""),
    ("kubernetes.pod-template-file.jobmanager", ""),
    ("kubernetes.pod-template-file.taskmanager", ""),
];

/// The profile memory field a Flink memory key sets, by process.
fn memory_field(key: &str) -> Option<(Role, &'static str)> {
    const TM: &[(&str, &str)] = &[
        ("process.size", "process"),
        ("flink.size", "flink"),
        ("task.heap.size", "taskHeap"),
        ("task.off-heap.size", "taskOffHeap"),
        ("managed.size", "managed"),
        ("managed.fraction", "managedFraction"),
        ("framework.heap.size", "frameworkHeap"),
        ("framework.off-heap.size", "frameworkOffHeap"),
        ("network.min", "networkMin"),
        ("network.max", "networkMax"),
        ("network.fraction", "networkFraction"),
        ("jvm-metaspace.size", "metaspace"),
        ("jvm-overhead.min", "overheadMin"),
        ("jvm-overhead.max", "overheadMax"),
        ("jvm-overhead.fraction", "overheadFraction"),
    ];
    const JM: &[(&str, &str)] = &[
        ("process.size", "process"),
        ("flink.size", "flink"),
        ("heap.size", "heap"),
        ("off-heap.size", "offHeap"),
        ("jvm-metaspace.size", "metaspace"),
        ("jvm-overhead.min", "overheadMin"),
        ("jvm-overhead.max", "overheadMax"),
        ("jvm-overhead.fraction", "overheadFraction"),
        ("enable-jvm-direct-memory-limit", "directMemoryLimit"),
    ];
    // Flink's deprecated spellings, read as the option they fall back to.
    match key {
        "taskmanager.heap.size" => return Some((Role::TaskManager, "flink")),
        "jobmanager.heap.size" => return Some((Role::JobManager, "heap")),
        _ => {}
    }
    if let Some(rest) = key.strip_prefix("taskmanager.memory.") {
        return TM
            .iter()
            .find(|(k, _)| *k == rest)
            .map(|(_, f)| (Role::TaskManager, *f));
    }
    if let Some(rest) = key.strip_prefix("jobmanager.memory.") {
        return JM
            .iter()
            .find(|(k, _)| *k == rest)
            .map(|(_, f)| (Role::JobManager, *f));
    }
    None
}

/// Whether a memory field holds a fraction or a flag rather than a size.
pub fn not_a_size(field: &str) -> bool {
    field.ends_with("Fraction") || field == "directMemoryLimit"
}
