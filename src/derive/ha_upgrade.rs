//! The HA upgrade step of an application cluster with Kubernetes HA. A new JobManager finds
//! its job id among the jobs recovered from the HA ConfigMaps and resumes the stored job graph
//! instead of the new one (Flink's `EmbeddedExecutor.execute`, every release 1.15–2.3), so a
//! new jar, topology, parallelism or checkpoint setting would silently not take effect. The
//! Flink Kubernetes Operator removes the stored graph before it deploys an upgrade and keeps
//! the checkpoint pointers (`FlinkUtils.deleteJobGraphInKubernetesHA`); flinkgen's manifests do
//! the same with an init container of the JobManager, which runs `HaUpgrade.java` (beside this
//! file, compiled to Java 8 bytecode) when the pod's configuration or program (image and
//! arguments) differs from what the HA ConfigMaps record. A JobManager restarted with the same
//! ones resumes the stored graph, as Flink intends.
//!
//! What the step relies on, read with javap in flink-dist 1.15.4, 1.20.4, 2.0.2 and 2.3.0
//! (`org.apache.flink.kubernetes.utils.Constants`): HA ConfigMaps carry the labels
//! `app=<cluster-id>` and `type=flink-native-kubernetes` (`LABEL_APP_KEY`,
//! `LABEL_TYPE_NATIVE_TYPE`; the Operator selects them the same way, `KubernetesUtils.getCommonLabels`),
//! stored graphs are keys `jobGraph-` on 1.x (`JOB_GRAPH_STORE_KEY_PREFIX`) and
//! `executionPlan-` on 2.x (`EXECUTION_PLAN_STORE_KEY_PREFIX`), checkpoint pointers keys
//! `checkpointID-` (`CHECKPOINT_ID_KEY_PREFIX`), which the step leaves alone.

use serde_json::{json, Value};

use crate::model::{Job, Kind};

/// The step's class, which the init container runs with the image's own JRE.
pub const CLASS: &[u8] = include_bytes!("ha_upgrade/HaUpgrade.class");

/// Where the init container finds the class.
const MOUNT: &str = "/opt/flinkgen/ha-upgrade";
const VOLUME: &str = "flinkgen-ha-upgrade";

/// Application clusters with Kubernetes HA, in the manifests flinkgen writes (the Operator
/// does this itself).
pub fn applies(job: &Job) -> bool {
    job.ha.is_some() && matches!(job.kind, Kind::Application) && !job.is_operator()
}

/// The ConfigMap holding the class.
pub fn config_map(job: &str) -> String {
    format!("{job}-ha-upgrade")
}

/// The init container, first of the JobManager's. It reads the pod's own configuration hash
/// and namespace through the downward API, is given the hash of the program (the image and the
/// JobManager's arguments, which the configuration hash does not cover), and calls the API with
/// the pod's service account, whose Role already lets Flink's HA update its ConfigMaps.
pub fn init_container(job: &Job) -> Value {
    let mut program = crate::hash::Parts::default();
    program.add(&job.image.reference);
    for arg in super::command::jobmanager_args(job) {
        program.add(&arg);
    }
    let field = |path: &str| json!({ "fieldRef": { "apiVersion": "v1", "fieldPath": path } });
    json!({
        "name": "flinkgen-ha-upgrade",
        "image": job.image.reference,
        "imagePullPolicy": job.image.pull_policy.as_str(),
        "command": ["java", "-XX:-UsePerfData", "-Xmx32m", "-cp", MOUNT, "HaUpgrade"],
        "env": [
            { "name": "FLINKGEN_NAMESPACE", "valueFrom": field("metadata.namespace") },
            // The HA cluster id flinkgen writes (high-availability.cluster-id).
            { "name": "FLINKGEN_CLUSTER_ID", "value": job.name },
            { "name": "FLINKGEN_CONFIG_SHA256", "valueFrom": field("metadata.annotations['flinkgen/config-sha256']") },
            { "name": "FLINKGEN_PROGRAM_SHA256", "value": program.hex(16) },
        ],
        "resources": {
            "requests": { "cpu": "100m", "memory": "128Mi" },
            "limits": { "cpu": "500m", "memory": "128Mi" },
        },
        "securityContext": super::wiring::container_hardening(),
        "volumeMounts": [
            { "name": VOLUME, "mountPath": MOUNT, "readOnly": true },
            { "name": "tmp", "mountPath": "/tmp" },
        ],
    })
}

/// The class as a ConfigMap's `binaryData` value.
pub fn class_base64() -> String {
    base64(CLASS)
}

/// Standard, padded base64 (RFC 4648), as the API server reads `binaryData`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The volume the class is mounted from.
pub fn volume(job: &Job) -> Value {
    json!({ "name": VOLUME, "configMap": { "name": config_map(&job.name) } })
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_as_rfc_4648_spells_it() {
        // RFC 4648, section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), encoded);
        }
        assert_eq!(super::base64(&[0xfb, 0xff]), "+/8=");
    }
}
