//! Local paths Flink writes must be writable in the pods: the root filesystem is read-only, so
//! only /tmp, the log folder and the spec's volumes are. A path elsewhere would crash the pod at
//! start (or at its first checkpoint), so it is refused here with the option and the fix.

use crate::diag::Diagnostics;
use crate::flink::config::{cli_value, Value};
use crate::load::Source;
use crate::model::Job;

/// Options naming local folders Flink writes, and how a list of them is separated.
const LOCAL_DIRS: &[(&str, &[char])] = &[
    ("io.tmp.dirs", &[',', ';', ':']),
    ("taskmanager.tmp.dirs", &[',', ';', ':']),
    ("process.working-dir", &[]),
    ("process.jobmanager.working-dir", &[]),
    ("process.taskmanager.working-dir", &[]),
    ("env.log.dir", &[]),
    ("env.pid.dir", &[]),
    ("state.backend.rocksdb.localdir", &[',', ';', ':']),
    ("state.backend.forst.local-dir", &[',', ';', ':']),
    ("taskmanager.state.local.root-dirs", &[',', ';', ':']),
    ("web.upload.dir", &[]),
    ("web.tmpdir", &[]),
    ("blob.storage.directory", &[]),
    ("user.artifacts.base-dir", &[]),
];

pub use crate::derive::wiring::under;

/// Where the pods can write without a volume of the spec's.
const WRITABLE: &[&str] = &["/tmp", "/opt/flink/log"];

/// State locations that may be `file://` URIs, by the field that sets them.
fn state_locations(job: &Job) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(d) = job.state.checkpoints.as_ref().and_then(|c| c.dir.clone()) {
        out.push(("checkpoints.dir", d));
    }
    if let Some(d) = &job.state.savepoint_dir {
        out.push(("savepoints.dir", d.clone()));
    }
    if let Some(d) = &job.ha {
        out.push(("ha.storageDir", d.clone()));
    }
    out
}

pub fn checks(src: &Source, job: &Job, diags: &mut Diagnostics) {
    let mut mounts: Vec<&str> = [&job.job_manager, &job.task_manager]
        .iter()
        .flat_map(|p| p.extras.mounts.keys().map(String::as_str))
        .collect();
    if let Some(l) = &job.local_state {
        // Two mounts at one path (or one inside the other's) are refused by the API server.
        for m in job.task_manager.extras.mounts.keys() {
            if under(m, &l.mount_path) || under(&l.mount_path, m) {
                diags.push(
                    src.error(
                        "taskManager.localState.mountPath",
                        format!(
                            "the local-state claim at {} and the volume at {m} overlap",
                            l.mount_path
                        ),
                    )
                    .help("mount the claim or the volume at a path of its own"),
                );
            }
        }
        mounts.push(&l.mount_path);
    }
    let writable = |path: &str| {
        WRITABLE.iter().any(|d| under(path, d)) || mounts.iter().any(|m| under(path, m))
    };
    let options = crate::derive::options::all(job);
    for (key, seps) in LOCAL_DIRS {
        let Some(value) = options.get(*key) else {
            continue;
        };
        let text = match value {
            Value::List(items) => items.join(","),
            other => cli_value(other),
        };
        let paths: Vec<&str> = if seps.is_empty() {
            vec![text.as_str()]
        } else {
            text.split(*seps).filter(|p| !p.is_empty()).collect()
        };
        for path in paths {
            let local = path.strip_prefix("file://").unwrap_or(path);
            if !writable(local) {
                diags.push(
                    src.key_error(
                        &format!("flinkConfig.{key}"),
                        format!("`{key}` is {path}, on the pods' read-only root filesystem; Flink would fail to write there"),
                    )
                    .help(format!("use a folder under /tmp, or mount a volume there: volumes: {{ {local}: {{ emptyDir: {{}} }} }}")),
                );
            }
        }
    }
    for (field, uri) in state_locations(job) {
        let Some(path) = uri.strip_prefix("file://") else {
            continue;
        };
        if under(path, "/tmp") || under(path, "/opt/flink/log") {
            diags.push(
                src.warning(field, format!("{uri} is in the pod's own emptyDir: it is gone when the pod is, and other pods never see it"))
                    .help("use durable shared storage (s3://, gs://, a ReadWriteMany volume)"),
            );
        } else if !mounts.iter().any(|m| under(path, m)) {
            diags.push(
                src.error(field, format!("{uri} is on the pods' read-only root filesystem; Flink would fail to write there"))
                    .help("use durable shared storage (s3://, gs://), or mount a shared volume (volumes: with a ReadWriteMany persistentVolumeClaim) at that path"),
            );
        }
    }
}
