//! Resource profiles (`profiles/<name>.yaml`): what one JobManager or TaskManager process gets.
//! Every field is optional so that a job can override single fields of its profile with the
//! same shape (`taskManager.overrides`); validation checks that what is needed is there.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::scalar::Scalar;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSpec {
    /// What the profile is for; for readers only.
    pub description: Option<String>,
    /// CPU cores: a number (`1`, `0.5`) or millicores (`500m`).
    pub cpu: Option<Scalar>,
    pub memory: Option<MemorySpec>,
    /// Extended resources per process, e.g. `nvidia.com/gpu: 1`. GPUs are also declared to
    /// Flink as external resources.
    #[serde(default)]
    pub resources: BTreeMap<String, Scalar>,
    pub gpu: Option<GpuSpec>,
    /// Container limit = request x factor (at least 1).
    pub limit_factor: Option<LimitFactor>,
    /// Local disk for the container: a Kubernetes quantity (`10Gi`).
    pub ephemeral_storage: Option<Scalar>,
    pub scheduling: Option<SchedulingSpec>,
}

/// Flink's memory options. Give one of `process`, `flink`, or the fine-grained set
/// (`taskHeap` and `managed` for a TaskManager, `heap` for a JobManager); the rest default as
/// in Flink. Sizes are Flink sizes (`1728m`, `4g`) or binary Kubernetes quantities (`4Gi`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemorySpec {
    /// Total process memory: what the container gets.
    pub process: Option<Scalar>,
    /// Total Flink memory: process memory without JVM metaspace and overhead.
    pub flink: Option<Scalar>,
    /// JVM metaspace (default 256m).
    pub metaspace: Option<Scalar>,
    /// JVM overhead as a fixed size (sets min and max).
    pub overhead: Option<Scalar>,
    /// Least JVM overhead (Flink's `*.memory.jvm-overhead.min`).
    pub overhead_min: Option<Scalar>,
    /// Most JVM overhead (Flink's `*.memory.jvm-overhead.max`).
    pub overhead_max: Option<Scalar>,
    /// JVM overhead as a fraction of the process memory (Flink's `*.memory.jvm-overhead.fraction`).
    pub overhead_fraction: Option<f64>,
    /// TaskManager: task heap.
    pub task_heap: Option<Scalar>,
    /// TaskManager: task off-heap (direct) memory (default 0).
    pub task_off_heap: Option<Scalar>,
    /// TaskManager: managed (native) memory, for RocksDB, batch sorting, Python.
    pub managed: Option<Scalar>,
    /// TaskManager: managed memory as a fraction of total Flink memory (default 0.4).
    pub managed_fraction: Option<f64>,
    /// TaskManager: network buffers as a fixed size (sets min and max).
    pub network: Option<Scalar>,
    /// Least network memory (Flink's `taskmanager.memory.network.min`).
    pub network_min: Option<Scalar>,
    /// Most network memory (Flink's `taskmanager.memory.network.max`).
    pub network_max: Option<Scalar>,
    /// Network memory as a fraction of the total Flink memory (`taskmanager.memory.network.fraction`).
    pub network_fraction: Option<f64>,
    /// TaskManager: framework heap (default 128m).
    pub framework_heap: Option<Scalar>,
    /// TaskManager: framework off-heap (default 128m).
    pub framework_off_heap: Option<Scalar>,
    /// JobManager: JVM heap.
    pub heap: Option<Scalar>,
    /// JobManager: off-heap memory (default 128m).
    pub off_heap: Option<Scalar>,
    /// JobManager: limit direct memory to the off-heap size with -XX:MaxDirectMemorySize.
    pub direct_memory_limit: Option<bool>,
}

/// How TaskManagers find their GPUs (Flink's GPU plugin).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GpuSpec {
    /// Discovery script, relative to the Flink home; default: Flink's NVIDIA script.
    pub discovery_script: Option<String>,
    /// Arguments of the script, e.g. `--enable-coordination-mode`.
    pub discovery_args: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitFactor {
    /// The cpu limit as a multiple of the request (at least 1; default 1).
    pub cpu: Option<f64>,
    /// The memory limit as a multiple of the request (at least 1; default 1).
    pub memory: Option<f64>,
}

/// Where the pods may run. Tolerations and affinity use the Kubernetes API's own shape.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchedulingSpec {
    /// Node labels the pods must run on (the pod's `nodeSelector`).
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Kubernetes tolerations of the pods.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub tolerations: Vec<super::tree::Tree>,
    /// A Kubernetes affinity of the pods (node and pod affinity).
    #[schemars(with = "Option<serde_json::Value>")]
    pub affinity: Option<super::tree::Tree>,
    /// Extra pod labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl ProfileSpec {
    /// `over`'s fields replace this profile's, one by one; maps merge by key. Destructured so
    /// that a new field that is not merged fails to compile.
    pub fn overlay(&self, over: &ProfileSpec) -> ProfileSpec {
        let ProfileSpec {
            description,
            cpu,
            memory,
            resources,
            gpu,
            limit_factor,
            ephemeral_storage,
            scheduling,
        } = over.clone();
        let mut merged_resources = self.resources.clone();
        merged_resources.extend(resources);
        ProfileSpec {
            description: description.or_else(|| self.description.clone()),
            cpu: cpu.or_else(|| self.cpu.clone()),
            memory: match (&self.memory, memory) {
                (Some(base), Some(m)) => Some(base.overlay(m)),
                (base, m) => m.or_else(|| base.clone()),
            },
            resources: merged_resources,
            gpu: gpu.or_else(|| self.gpu.clone()),
            limit_factor: match (&self.limit_factor, limit_factor) {
                (Some(base), Some(LimitFactor { cpu, memory })) => Some(LimitFactor {
                    cpu: cpu.or(base.cpu),
                    memory: memory.or(base.memory),
                }),
                (base, l) => l.or_else(|| base.clone()),
            },
            ephemeral_storage: ephemeral_storage.or_else(|| self.ephemeral_storage.clone()),
            scheduling: match (&self.scheduling, scheduling) {
                (Some(base), Some(s)) => Some(base.overlay(s)),
                (base, s) => s.or_else(|| base.clone()),
            },
        }
    }
}

impl MemorySpec {
    fn overlay(&self, over: MemorySpec) -> MemorySpec {
        let MemorySpec {
            process,
            flink,
            metaspace,
            overhead,
            overhead_min,
            overhead_max,
            overhead_fraction,
            task_heap,
            task_off_heap,
            managed,
            managed_fraction,
            network,
            network_min,
            network_max,
            network_fraction,
            framework_heap,
            framework_off_heap,
            heap,
            off_heap,
            direct_memory_limit,
        } = over;
        let b = self.clone();
        MemorySpec {
            process: process.or(b.process),
            flink: flink.or(b.flink),
            metaspace: metaspace.or(b.metaspace),
            overhead: overhead.or(b.overhead),
            overhead_min: overhead_min.or(b.overhead_min),
            overhead_max: overhead_max.or(b.overhead_max),
            overhead_fraction: overhead_fraction.or(b.overhead_fraction),
            task_heap: task_heap.or(b.task_heap),
            task_off_heap: task_off_heap.or(b.task_off_heap),
            managed: managed.or(b.managed),
            managed_fraction: managed_fraction.or(b.managed_fraction),
            network: network.or(b.network),
            network_min: network_min.or(b.network_min),
            network_max: network_max.or(b.network_max),
            network_fraction: network_fraction.or(b.network_fraction),
            framework_heap: framework_heap.or(b.framework_heap),
            framework_off_heap: framework_off_heap.or(b.framework_off_heap),
            heap: heap.or(b.heap),
            off_heap: off_heap.or(b.off_heap),
            direct_memory_limit: direct_memory_limit.or(b.direct_memory_limit),
        }
    }
}

impl SchedulingSpec {
    fn overlay(&self, over: SchedulingSpec) -> SchedulingSpec {
        let SchedulingSpec {
            node_selector,
            tolerations,
            affinity,
            labels,
        } = over;
        let mut s = self.clone();
        s.node_selector.extend(node_selector);
        s.labels.extend(labels);
        if !tolerations.is_empty() {
            s.tolerations = tolerations;
        }
        s.affinity = affinity.or(s.affinity);
        s
    }
}
