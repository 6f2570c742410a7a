//! Local state (`taskManager.localState`): what it derives. Each TaskManager is a StatefulSet
//! pod with a claim of its own mounted as its working directory; Flink reuses a working
//! directory when the same resource id (the pod's name, stable in a StatefulSet) starts again,
//! so local state survives a restart. Its checks are `validate::local_state`.

use crate::flink::config::{Options, Value};
use crate::flink::keys::spelled;
use crate::model::Job;

/// Where each TaskManager's claim is mounted unless the spec says otherwise.
pub const DIR: &str = "/opt/flink/local-state";

/// Keys local state sets, which a spec with `taskManager.localState` may not set itself.
pub const KEYS: &[&str] = &[
    "process.taskmanager.working-dir",
    "process.working-dir",
    "taskmanager.resource-id",
    "execution.checkpointing.local-backup.enabled",
    "execution.state-recovery.from-local",
    "state.backend.local-recovery",
];

/// The variable a TaskManager with local state reads its pod name from.
pub const POD_NAME_ENV: &str = "FLINKGEN_POD_NAME";

/// The configuration's part: the working directory on the claim, local backup and recovery on.
pub fn options(job: &Job) -> Options {
    let mut o = Options::new();
    let Some(l) = &job.local_state else {
        return o;
    };
    o.insert(
        "process.taskmanager.working-dir".into(),
        Value::Text(l.mount_path.clone()),
    );
    for key in [
        "execution.checkpointing.local-backup.enabled",
        "execution.state-recovery.from-local",
    ] {
        o.insert(spelled(key, job.version).into(), Value::Bool(true));
    }
    o
}

/// The command line's part: the resource id is the pod's name, known only in the pod.
pub fn resource_id_flag(job: &Job) -> Option<String> {
    job.local_state
        .as_ref()
        .map(|_| format!("-Dtaskmanager.resource-id=$({POD_NAME_ENV})"))
}

/// The TaskManager container's variable holding its pod's name.
pub fn pod_name_variable(job: &Job) -> Option<serde_json::Value> {
    job.local_state.as_ref().map(|_| {
        serde_json::json!({
            "name": POD_NAME_ENV,
            "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } },
        })
    })
}
