//! What a change does to a running job: which pods are replaced and why, whether `kubectl
//! apply` can make the change, and what becomes of the job's state, by Flink's rules (each
//! cited where it is applied; docs/src/reviewing-a-change.md lists them).

use serde::Serialize;
use serde_json::Value;

use super::facts::{Facts, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Apply {
    Apply,
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    None,
    Kept,
    Restored,
    Lost,
    Incompatible,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restart {
    pub role: String,
    pub why: Vec<String>,
}

/// One job's verdict, in the JSON shape `flinkgen diff --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub name: String,
    pub environment: Option<String>,
    pub change: Change,
    pub restarts: Vec<Restart>,
    pub apply: Apply,
    pub state: State,
    pub reasons: Vec<String>,
}

impl Verdict {
    fn new(name: &str, environment: &Option<String>, change: Change) -> Verdict {
        Verdict {
            name: name.to_string(),
            environment: environment.clone(),
            change,
            restarts: Vec::new(),
            apply: Apply::Apply,
            state: State::None,
            reasons: Vec::new(),
        }
    }
}

/// The max parallelism Flink derives at a job's first start when none is configured
/// (`KeyGroupRangeAssignment.computeDefaultMaxParallelism`: 1.5 × parallelism rounded up to
/// a power of two, within [128, 32768]); a restored job keeps it.
pub fn default_max_parallelism(parallelism: u32) -> u32 {
    let wanted = u64::from(parallelism) + u64::from(parallelism) / 2;
    (wanted.next_power_of_two().clamp(128, 32768)) as u32
}

pub fn added(name: &str, env: &Option<String>, a: &Facts, renamed_from: Option<&str>) -> Verdict {
    let mut v = Verdict::new(name, env, Change::Added);
    v.reasons.push(match renamed_from {
        Some(old) => format!("renamed from `{old}` ({}): Flink sees a new job, which starts without the old one's state unless savepoints.restoreFrom names a savepoint of it", a.source),
        None => format!("new in {}: it starts for the first time", a.source),
    });
    if let Some(p) = a.restore_path() {
        v.state = State::Restored;
        v.reasons
            .push(format!("it starts from {p} (savepoints.restoreFrom)"));
    } else if renamed_from.is_some() && a.checkpoints() {
        v.state = State::Lost;
    }
    v
}

pub fn removed(name: &str, env: &Option<String>, b: &Facts, renamed_to: Option<&str>) -> Verdict {
    let mut v = Verdict::new(name, env, Change::Removed);
    v.reasons.push(match renamed_to {
        Some(new) => format!("renamed to `{new}`: this job's objects are deleted, and its state goes with them"),
        None => format!("removed ({} is gone): its objects are deleted when the output is applied with pruning (kubectl apply --prune, Argo CD)", b.source),
    });
    if stateful(b) {
        v.state = State::Lost;
        v.reasons.push("the running job is stopped without a savepoint: take one first (flink stop --savepointPath <dir> <job id>) if the state is still needed".into());
    }
    let claims = b.local_state_claims();
    if !claims.is_empty() {
        v.reasons.push(format!(
            "its local-state claims stay behind (a StatefulSet's claims outlive it): {}; delete them with kubectl delete pvc -n {} {}",
            claims.join(", "),
            b.namespace(),
            claims.join(" ")
        ));
    }
    v
}

/// Whether the job has state worth keeping: periodic checkpoints, or a restore it started from.
fn stateful(f: &Facts) -> bool {
    matches!(
        f.kind(),
        Kind::Application | Kind::SessionJob | Kind::Operator
    ) && (f.checkpoints() || f.restore_path().is_some())
}

/// How a restarted job gets its state back, if it does, and from where.
enum Recovery {
    /// From the latest checkpoint (HA store, the Operator's last-state, a TaskManager failover).
    Checkpoint(&'static str),
    /// From a savepoint (the Operator's savepoint mode, or a new explicit restore path).
    Savepoint(String),
}

impl Recovery {
    fn how(&self) -> &str {
        match self {
            Recovery::Checkpoint(how) => how,
            Recovery::Savepoint(how) => how,
        }
    }
}

/// Long because it is the one place where a changed job's verdict is decided, rule by rule,
/// and each rule adds its reason line as it goes.
pub fn changed(name: &str, env: &Option<String>, b: &Facts, a: &Facts, folder: &str) -> Verdict {
    let mut v = Verdict::new(name, env, Change::Changed);
    if b.files == a.files {
        v.change = Change::Unchanged;
        v.state = if stateful(a) {
            State::Kept
        } else {
            State::None
        };
        return v;
    }
    v.restarts = restarts(b, a);
    for (file, why, how) in super::immutable::replaced(b, a, folder) {
        v.apply = Apply::Replace;
        v.reasons
            .push(format!("{file}: {why}; kubectl apply is refused: {how}"));
    }
    let image_changed = b.images() != a.images();
    if v.restarts.is_empty() {
        v.state = if stateful(a) {
            State::Kept
        } else {
            State::None
        };
        v.reasons
            .push("no pod is replaced: the running job keeps going".into());
        return v;
    }
    if !stateful(b) && a.restore_path().is_none() {
        v.state = State::None;
        v.reasons.push(match a.kind() {
            Kind::SessionCluster | Kind::OperatorSessionCluster => "a session cluster keeps no state of its own".into(),
            _ => "the job keeps no state (no periodic checkpoints, no restore path): a restart starts it afresh".into(),
        });
        return v;
    }
    let jm = v
        .restarts
        .iter()
        .any(|r| r.role == "jobmanager" || r.role == "job");
    let new_restore = a
        .restore_path()
        .filter(|p| Some(p) != b.restore_path().as_ref());
    let recovery = match (a.kind(), jm) {
        (Kind::Operator, _) => match a.upgrade_mode().as_deref() {
            Some("savepoint") => Some(Recovery::Savepoint(
                "the Operator's savepoint upgrade (upgradeMode: savepoint)".into(),
            )),
            Some("last-state") => Some(Recovery::Checkpoint(
                "the Operator's last-state upgrade (upgradeMode: last-state)",
            )),
            _ => {
                v.reasons.push("upgradeMode is stateless: the Operator redeploys the job without its state (set upgradeMode: savepoint or last-state)".into());
                None
            }
        },
        (Kind::SessionJob, _) => {
            v.reasons.push("a new submission: the submitter refuses while the earlier one runs; stop that one with a savepoint (flink stop --savepointPath <dir> <job id>)".into());
            new_restore.map(|p| Recovery::Savepoint(format!("the new restore path {p}")))
        }
        (_, false) => {
            // TaskManagers replaced under a running JobManager: Flink restarts the job's tasks
            // from the latest completed checkpoint (its failover), with the same job graph.
            a.checkpoints().then_some(Recovery::Checkpoint(
                "its latest checkpoint, by the running JobManager (only TaskManagers are replaced)",
            ))
        }
        (_, true) => match new_restore {
            Some(p) => Some(Recovery::Savepoint(format!(
                "the new restore path {p} (savepoints.restoreFrom)"
            ))),
            None if a.ha() && b.ha() && a.checkpoints() => {
                v.reasons.push(match a.files.contains_key("ha-upgrade-configmap.yaml") {
                    true => "with HA a new JobManager would resume the job graph stored in the HA ConfigMaps; flinkgen's HA upgrade step (the init container flinkgen-ha-upgrade) removes it first and keeps the checkpoint pointers, as the Operator does, so the new jar and settings take effect".into(),
                    false => ha_graph_reason(a),
                });
                Some(Recovery::Checkpoint(
                    "the checkpoint the HA store points to (ha)",
                ))
            }
            None => {
                v.reasons.push(format!(
                    "the JobManager is replaced{} and the job starts afresh: set ha (with checkpoints), or take a savepoint and set savepoints.restoreFrom",
                    if a.ha() { " and its HA store is new" } else { " without HA" }
                ));
                None
            }
        },
    };
    let Some(recovery) = recovery else {
        v.state = State::Lost;
        return v;
    };
    v.state = State::Restored;
    v.reasons
        .push(format!("the job restarts from {}", recovery.how()));
    for problem in incompatibilities(b, a, &recovery) {
        v.state = State::Incompatible;
        v.reasons.push(problem);
    }
    v.reasons.extend(risks(b, a, &recovery, image_changed));
    v
}

/// The trap of an application cluster with HA: a new JobManager finds the job id among the
/// jobs recovered from the HA store and attaches to the stored job graph instead of
/// submitting the new one (`EmbeddedExecutor.execute`, "Job … was recovered successfully", in
/// every release 1.15–2.3, read with javap). The Operator deletes the stored graph before an
/// upgrade for this reason, and so does flinkgen's HA upgrade step; this is what diff says for
/// output without the step.
fn ha_graph_reason(a: &Facts) -> String {
    let key = if a.version().is_some_and(|v| v.starts_with('1')) {
        "jobGraph-"
    } else {
        "executionPlan-"
    };
    format!(
        "with HA the new JobManager resumes the job graph stored in the HA ConfigMaps, not the new one: a new jar, topology, parallelism or checkpoint setting does not take effect. Before applying, stop the job with a savepoint and set savepoints.restoreFrom, or remove the `{key}` keys from the HA ConfigMap of cluster-id {} (kubectl edit configmap -n {}), which keeps the checkpoint pointers",
        a.option("kubernetes.cluster-id").or(a.option("high-availability.cluster-id")).unwrap_or("?"),
        a.namespace()
    )
}

/// Where Flink would refuse the restore, or misassign state.
fn incompatibilities(b: &Facts, a: &Facts, recovery: &Recovery) -> Vec<String> {
    let mut out = Vec::new();
    // A configured max parallelism must equal the one stored with the state
    // (`Checkpoints.loadAndValidateCheckpoint`: "Max parallelism mismatch"); without one, the
    // job adopts the stored value and fails only when its parallelism exceeds it
    // (`StateAssignmentOperation.checkParallelismPreconditions`). Both seen on Flink 2.3.0
    // by scripts/verify-state-rules.py.
    let before_p = b.parallelism();
    let stored = b
        .max_parallelism()
        .or(before_p.map(default_max_parallelism));
    if let Some(stored) = stored {
        let source = match b.max_parallelism() {
            Some(_) => "pinned by pipeline.max-parallelism".to_string(),
            None => format!(
                "derived by Flink from parallelism {} at the job's first start, if that was its parallelism then",
                before_p.unwrap_or_default()
            ),
        };
        match (a.max_parallelism(), a.parallelism()) {
            (Some(m), _) if m != stored => out.push(format!(
                "pipeline.max-parallelism becomes {m}, and the state holds {stored} key groups ({source}): Flink refuses to restore it (\"Max parallelism mismatch\", Checkpoints.loadAndValidateCheckpoint)"
            )),
            (None, Some(p)) if p > stored => out.push(format!(
                "parallelism {p} exceeds the state's max parallelism {stored} ({source}): Flink refuses to restore it (StateAssignmentOperation.checkParallelismPreconditions); restore at a parallelism up to {stored}, or start without state and pin pipeline.max-parallelism"
            )),
            _ => {}
        }
    }
    if let Recovery::Checkpoint(_) = recovery {
        let (sb, sa) = (b.state_backend(), a.state_backend());
        if sb != sa {
            out.push(format!(
                "the state backend changes from {sb} to {sa}, and the job restores from a checkpoint, which is in the old backend's native format; only a savepoint (canonical format) switches backends: take one and set savepoints.restoreFrom"
            ));
        }
        // Flink's capabilities table ("Checkpoints vs. Savepoints"): aligned checkpoints carry
        // over minor upgrades (1.x → 1.y), unaligned ones do not; a major upgrade is promised
        // for neither.
        if let (Some(vb), Some(va)) = (b.version(), a.version()) {
            if major(&vb) != major(&va) {
                out.push(format!(
                    "Flink changes from {vb} to {va}, a major release, and the job restores from a checkpoint, which Flink carries over minor releases only (Checkpoints vs. Savepoints): take a savepoint and set savepoints.restoreFrom"
                ));
            } else if minor(&vb) != minor(&va) && unaligned(b) {
                out.push(format!(
                    "Flink changes from {vb} to {va} and the job restores from an unaligned checkpoint, which Flink does not carry over minor releases (Checkpoints vs. Savepoints): take a savepoint and set savepoints.restoreFrom"
                ));
            }
        }
    }
    out
}

/// What may still go wrong in a restore flinkgen judges possible.
fn risks(b: &Facts, a: &Facts, recovery: &Recovery, image_changed: bool) -> Vec<String> {
    let mut out = Vec::new();
    if image_changed {
        out.push("risk: a new image may change operator uids or state types, which flinkgen cannot see inside the jar; every stateful operator needs a stable uid (allowNonRestoredState only drops state)".to_string());
    }
    // 2.x ships Kryo 5, 1.x Kryo 2: Kryo 5's util.Pool and serializers.RecordSerializer are in
    // flink-dist 2.3.0 and not in 1.20.4 (listed with unzip).
    if let (Recovery::Savepoint(_), Some(vb), Some(va)) = (recovery, b.version(), a.version()) {
        if major(&vb) != major(&va) {
            out.push(format!(
                "risk: Flink {va} reads a {vb} savepoint only where the state's serializers did not change (2.x ships Kryo 5, 1.x Kryo 2): check every state type first"
            ));
        }
    }
    out
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or_default()
}

fn unaligned(f: &Facts) -> bool {
    [
        "execution.checkpointing.unaligned.enabled",
        "execution.checkpointing.unaligned",
    ]
    .iter()
    .any(|k| f.option(k) == Some("true"))
}

fn minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The roles whose pods are replaced, and why.
fn restarts(b: &Facts, a: &Facts) -> Vec<Restart> {
    if let (Some(sb), Some(sa)) = (b.operator_spec(), a.operator_spec()) {
        return super::operator::restarts(b, a, sb, sa);
    }
    let mut out = Vec::new();
    for role in a.roles() {
        let (Some(pb), Some(pa)) = (b.pod(role), a.pod(role)) else {
            continue;
        };
        if pb == pa {
            continue;
        }
        out.push(Restart {
            role: role.to_string(),
            why: why(b, a, &pb, &pa),
        });
    }
    // A native JobManager creates its TaskManagers: a new one starts new ones.
    if a.is_native()
        && out.iter().any(|r| r.role == "jobmanager")
        && !out.iter().any(|r| r.role == "taskmanager")
    {
        out.push(Restart {
            role: "taskmanager".into(),
            why: vec!["created anew by the new JobManager (native mode)".into()],
        });
    }
    out
}

const CONFIG_HASH: &str = "flinkgen/config-sha256";

/// Why a pod template changed: the configuration behind its hash, its image, other fields.
fn why(b: &Facts, a: &Facts, pb: &Value, pa: &Value) -> Vec<String> {
    let mut why = Vec::new();
    let hash = |p: &Value| p["metadata"]["annotations"][CONFIG_HASH].clone();
    if hash(pb) != hash(pa) {
        let keys = changed_keys(b, a);
        if !keys.is_empty() {
            why.push(format!("Flink configuration ({})", keys.join(", ")));
        }
        let data = |f: &Facts, key: &str| f.doc("configmap.yaml").map(|d| d["data"][key].clone());
        if data(b, "log4j-console.properties") != data(a, "log4j-console.properties") {
            why.push("logging configuration".into());
        }
        if b.files.get("files-configmap.yaml") != a.files.get("files-configmap.yaml") {
            why.push("a mounted project file (files-configmap.yaml)".into());
        }
        if b.files.get("pod-template-configmap.yaml") != a.files.get("pod-template-configmap.yaml")
        {
            why.push("the TaskManager pod template".into());
        }
        if why.is_empty() {
            why.push("configuration hash".into());
        }
    }
    let images = |p: &Value| -> Vec<String> {
        p["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["image"].as_str().map(String::from))
            .collect()
    };
    if images(pb) != images(pa) {
        why.push(format!(
            "image {} → {}",
            images(pb).join(", "),
            images(pa).join(", ")
        ));
    }
    let mut paths = Vec::new();
    differences(&own_fields(pb), &own_fields(pa), "", &mut paths);
    if !paths.is_empty() {
        let shown: Vec<String> = paths.iter().take(4).cloned().collect();
        let more = if paths.len() > 4 {
            format!(" and {} more", paths.len() - 4)
        } else {
            String::new()
        };
        why.push(format!("pod template ({}{more})", shown.join(", ")));
    }
    if why.is_empty() {
        // Only what flinkgen adds itself differs: the HA upgrade step, new since `base`.
        why.push("flinkgen's HA upgrade step (init container flinkgen-ha-upgrade)".into());
    }
    why
}

/// A pod template without what `why` names otherwise (the config hash, the images) and without
/// flinkgen's HA upgrade step (its init container and volume), which follows the image and
/// arguments; output from before the step existed has neither.
fn own_fields(p: &Value) -> Value {
    let mut p = p.clone();
    if let Some(m) = p["metadata"]["annotations"].as_object_mut() {
        m.remove(CONFIG_HASH);
    }
    for c in p["spec"]["containers"].as_array_mut().into_iter().flatten() {
        if let Some(m) = c.as_object_mut() {
            m.remove("image");
        }
    }
    for list in ["initContainers", "volumes"] {
        if let Some(items) = p["spec"][list].as_array_mut() {
            items.retain(|c| c["name"] != "flinkgen-ha-upgrade");
            if items.is_empty() {
                if let Some(spec) = p["spec"].as_object_mut() {
                    spec.remove(list);
                }
            }
        }
    }
    p
}

/// Flink options added, removed or changed.
pub fn changed_keys(b: &Facts, a: &Facts) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> =
        b.options.keys().chain(a.options.keys()).collect();
    keys.into_iter()
        .filter(|k| b.options.get(*k) != a.options.get(*k))
        .cloned()
        .collect()
}

/// The paths at which two JSON values differ, outermost first.
pub fn differences(b: &Value, a: &Value, path: &str, out: &mut Vec<String>) {
    match (b, a) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                differences(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &here,
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                differences(l, r, &format!("{path}[{i}]"), out);
            }
        }
        _ if b == a => {}
        _ => out.push(path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    /// Vectors from Flink's own `KeyGroupRangeAssignment.computeDefaultMaxParallelism`, the
    /// same on 1.20.4 and 2.3.0 (scripts/java/MaxParallelism.java writes them).
    #[test]
    fn flinks_default_max_parallelism() {
        let data = include_str!("../../tests/data/max-parallelism.txt");
        let mut n = 0;
        for line in data.lines() {
            let (p, m) = line.split_once(' ').unwrap();
            let (p, m): (u32, u32) = (p.parse().unwrap(), m.parse().unwrap());
            assert_eq!(super::default_max_parallelism(p), m, "{p}");
            n += 1;
        }
        assert!(n >= 10);
    }

    /// Output rendered before the HA upgrade step existed: adding it restarts the JobManager,
    /// and the report says it is flinkgen's own step, not a template change of the user's.
    #[test]
    fn the_upgrade_step_added_since_base_is_named() {
        let job = |init: &str| {
            let pod = format!(
                "apiVersion: batch/v1\nkind: Job\nmetadata: {{ name: p-jobmanager }}\nspec:\n  template:\n    spec:\n{init}      containers: [{{ name: jobmanager, image: flink }}]\n"
            );
            let lock = "0  p/jobmanager-job.yaml  jobs/p.yaml\n0  p/configmap.yaml  jobs/p.yaml\n";
            let config = "kind: ConfigMap\ndata:\n  config.yaml: |\n    high-availability.type: kubernetes\n    execution.checkpointing.interval: 1 min\n";
            super::super::facts::jobs(&std::collections::BTreeMap::from([
                ("flinkgen.lock".to_string(), lock.to_string()),
                ("p/jobmanager-job.yaml".to_string(), pod),
                ("p/configmap.yaml".to_string(), config.to_string()),
            ]))
        };
        let (b, a) = (
            job(""),
            job("      initContainers: [{ name: flinkgen-ha-upgrade, image: flink }]\n"),
        );
        let key = (None, "p".to_string());
        let v = super::changed("p", &None, &b[&key], &a[&key], "out/p");
        assert_eq!(
            v.restarts[0].why,
            ["flinkgen's HA upgrade step (init container flinkgen-ha-upgrade)"]
        );
        assert_eq!(v.state, super::State::Restored);
    }
}
