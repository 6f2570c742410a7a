//! Resolving a profile for one process of one job: the job's overrides on top of the profile,
//! Flink's memory derivation, and the container resources, labels and scheduling it implies.

use std::collections::BTreeMap;

use super::{kube, units};
use crate::diag::{Diagnostic, Diagnostics};
use crate::flink::memory::{
    self, Configured, JobManagerOptions, JvmOptions, MemoryError, TaskManagerOptions,
};
use crate::load::profile::{MemorySpec, ProfileSpec};
use crate::load::scalar::Scalar;
use crate::load::Source;
use crate::model::{Gpu, Memory, Process};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    JobManager,
    TaskManager,
}

impl Component {
    fn title(self) -> &'static str {
        match self {
            Component::JobManager => "JobManager",
            Component::TaskManager => "TaskManager",
        }
    }
}

/// Where each field of the merged profile was written: the job's overrides win.
pub struct Origin<'a> {
    pub name: &'a str,
    pub profile: &'a Source,
    pub job: Option<(&'a Source, String)>,
    /// The Flink release the profile is resolved for (its memory defaults); None for a profile
    /// no job uses, checked with the current defaults.
    pub version: Option<crate::flink::Version>,
}

impl Origin<'_> {
    pub fn locate(&self, field: &str) -> (&Source, String) {
        if let Some((src, base)) = &self.job {
            let path = format!("{base}.{field}");
            if src.has(&path) {
                return (src, path);
            }
        }
        (self.profile, field.to_string())
    }
    fn error(&self, field: &str, msg: impl Into<String>) -> Diagnostic {
        let (src, path) = self.locate(field);
        src.error(&path, msg)
    }
    fn key_error(&self, field: &str, msg: impl Into<String>) -> Diagnostic {
        let (src, path) = self.locate(field);
        src.key_error(&path, msg)
    }
    fn is_set(&self, field: &str) -> bool {
        self.profile.has(field)
            || self
                .job
                .as_ref()
                .is_some_and(|(s, b)| s.has(&format!("{b}.{field}")))
    }
}

/// Memory fields only one kind of process has, with the profile spelling.
const TM_ONLY: &[&str] = &[
    "taskHeap",
    "taskOffHeap",
    "managed",
    "managedFraction",
    "network",
    "networkMin",
    "networkMax",
    "networkFraction",
    "frameworkHeap",
    "frameworkOffHeap",
];
const JM_ONLY: &[&str] = &["heap", "offHeap", "directMemoryLimit"];

/// Flink's short option keys (as in `MemoryError::keys`) and the profile fields that set them.
const FIELD_OF_KEY: &[(&str, &str)] = &[
    ("process.size", "process"),
    ("flink.size", "flink"),
    ("jvm-metaspace.size", "metaspace"),
    ("jvm-overhead.min", "overheadMin"),
    ("jvm-overhead.max", "overheadMax"),
    ("jvm-overhead.fraction", "overheadFraction"),
    ("task.heap.size", "taskHeap"),
    ("task.off-heap.size", "taskOffHeap"),
    ("managed.size", "managed"),
    ("managed.fraction", "managedFraction"),
    ("network.min", "networkMin"),
    ("network.max", "networkMax"),
    ("network.fraction", "networkFraction"),
    ("framework.heap.size", "frameworkHeap"),
    ("framework.off-heap.size", "frameworkOffHeap"),
    ("heap.size", "heap"),
    ("off-heap.size", "offHeap"),
];

/// GPU resource names Flink's GPU plugin serves, and its shipped discovery script.
const GPUS: &[&str] = &["nvidia.com/gpu", "amd.com/gpu"];
const NVIDIA_SCRIPT: &str = "plugins/external-resource-gpu/nvidia-gpu-discovery.sh";

pub fn resolve(
    component: Component,
    origin: &Origin,
    spec: &ProfileSpec,
    diags: &mut Diagnostics,
) -> Option<Process> {
    let before = diags.error_count();
    let cpu = match &spec.cpu {
        Some(c) => units::cpu(c)
            .map_err(|e| diags.push(origin.error("cpu", e)))
            .ok(),
        None => {
            diags.push(
                origin
                    .profile
                    .warning("", format!("profile `{}` gives no cpu: the containers flinkgen writes get no cpu request or limit (the node's spare cpu, and no guarantee), and pods that Flink or the Operator create from it get Flink's defaults: 1 cpu for a JobManager (kubernetes.jobmanager.cpu.amount), one per slot for a TaskManager (kubernetes.taskmanager.cpu.amount)", origin.name))
                    .field("cpu")
                    .help("set cpu (cores, such as 1 or 500m) to reserve it"),
            );
            None
        }
    };
    let empty = MemorySpec::default();
    let mem_spec = spec.memory.as_ref().unwrap_or(&empty);
    let configured = memory_config(component, origin, mem_spec, diags);
    let memory = configured.as_ref().and_then(|c| {
        derive(c)
            .map_err(|e| diags.push(refusal(component, origin, &e)))
            .ok()
    });
    let (requests, limits, labels, gpu) = resources(component, origin, spec, cpu, memory, diags);
    let scheduling = scheduling(origin, spec, diags);
    if diags.error_count() > before {
        return None;
    }
    let memory = memory?;
    if let Memory::JobManager(m) = memory {
        // Flink only logs a warning for this, but the JobManager then fails to start.
        if m.heap < 128 * memory::MIB {
            let field = if origin.is_set("memory.heap") {
                "memory.heap"
            } else {
                "memory"
            };
            let (src, path) = origin.locate(field);
            diags.push(src.warning(&path, format!(
                "the JobManager heap would be {}; Flink accepts it with a warning, but a JobManager needs at least 128m to start",
                memory::human(m.heap)
            )));
        }
    }
    let (node_selector, tolerations, affinity, extra_labels) = scheduling?;
    let mut pod_labels = labels;
    pod_labels.extend(extra_labels);
    Some(Process {
        profile: origin.name.to_string(),
        cpu_millis: cpu,
        cpu_limit_factor: spec
            .limit_factor
            .as_ref()
            .and_then(|l| l.cpu)
            .unwrap_or(1.0),
        memory_limit_factor: spec
            .limit_factor
            .as_ref()
            .and_then(|l| l.memory)
            .unwrap_or(1.0),
        memory,
        configured: configured?,
        gpu,
        requests,
        limits,
        pod_labels,
        node_selector,
        tolerations,
        affinity,
        // The spec's own additions are set by the job that uses the profile.
        extras: Default::default(),
    })
}

pub fn derive(configured: &Configured) -> Result<Memory, MemoryError> {
    match configured {
        Configured::JobManager(o) => memory::job_manager(o).map(Memory::JobManager),
        Configured::TaskManager(o) => memory::task_manager(o).map(Memory::TaskManager),
    }
}

fn refusal(component: Component, origin: &Origin, e: &MemoryError) -> Diagnostic {
    let fields: Vec<&str> = e
        .keys
        .iter()
        .filter_map(|k| {
            FIELD_OF_KEY
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, f)| *f)
        })
        .collect();
    let set: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|f| origin.is_set(&format!("memory.{f}")))
        .collect();
    let msg = format!(
        "Flink refuses this {} memory: {}",
        component.title(),
        e.message
    );
    let mut d = match set.first() {
        Some(f) => origin.error(&format!("memory.{f}"), msg),
        None => origin.key_error("memory", msg),
    };
    let mut help = String::new();
    if let Some(detail) = &e.detail {
        help.push_str(detail);
        help.push_str("; ");
    }
    let list = if set.is_empty() { &fields } else { &set };
    if list.is_empty() {
        help.push_str("change the profile's memory sizes");
    } else {
        // Group the fields by the file that sets them: the profile, or the job's overrides.
        let mut by_file: Vec<(String, Vec<String>)> = Vec::new();
        for f in list {
            let (src, path) = origin.locate(&format!("memory.{f}"));
            match by_file.iter_mut().find(|(file, _)| *file == src.path) {
                Some((_, paths)) => paths.push(path),
                None => by_file.push((src.path.clone(), vec![path])),
            }
        }
        let parts: Vec<String> = by_file
            .iter()
            .map(|(file, paths)| format!("{} in {file}", paths.join(" or ")))
            .collect();
        help.push_str(&format!("change {}", parts.join(", or ")));
    }
    d.help = Some(help);
    d
}

/// Parses every size and fraction into Flink's options, and records the Flink keys the user set.
/// Fields of the other process's memory model are refused, naming the profile's use.
fn wrong_kind(component: Component, origin: &Origin, diags: &mut Diagnostics) {
    let wrong_kind = match component {
        Component::JobManager => TM_ONLY,
        Component::TaskManager => JM_ONLY,
    };
    for f in wrong_kind {
        let field = format!("memory.{f}");
        if origin.is_set(&field) {
            let other = if component == Component::JobManager {
                "a TaskManager"
            } else {
                "a JobManager"
            };
            diags.push(origin.key_error(
                &field,
                format!(
                    "`{f}` is {other} option, but profile `{}` is used for the {}",
                    origin.name,
                    component.title()
                ),
            ));
        }
    }
}

/// A fixed size and a range for the same component contradict each other.
fn fixed_or_range(origin: &Origin, diags: &mut Diagnostics) {
    for (fixed, parts) in [
        ("overhead", ["overheadMin", "overheadMax"]),
        ("network", ["networkMin", "networkMax"]),
    ] {
        let f = format!("memory.{fixed}");
        if origin.is_set(&f) && parts.iter().any(|p| origin.is_set(&format!("memory.{p}"))) {
            diags.push(origin.key_error(
                &f,
                format!(
                    "give either `{fixed}` (a fixed size) or `{}`/`{}`, not both",
                    parts[0], parts[1]
                ),
            ));
        }
    }
}

/// A profile's memory fields, each parsed and checked (sizes in bytes, fractions finite), as
/// the inputs of Flink's memory model.
fn memory_config(
    component: Component,
    origin: &Origin,
    m: &MemorySpec,
    diags: &mut Diagnostics,
) -> Option<Configured> {
    let before = diags.error_count();
    wrong_kind(component, origin, diags);
    let configured = memory_options(component, m, origin.version, &mut |field, e| {
        diags.push(origin.error(&format!("memory.{field}"), e))
    });
    fixed_or_range(origin, diags);
    (diags.error_count() == before).then_some(configured)
}

/// The inputs of Flink's memory model from a profile's memory fields; a field that cannot be
/// read is left out and handed to `unreadable` (validate reports it; import, which only asks
/// whether Flink would accept the input's settings, has its own words for them).
pub fn memory_options(
    component: Component,
    m: &MemorySpec,
    version: Option<crate::flink::Version>,
    unreadable: &mut dyn FnMut(&str, String),
) -> Configured {
    let u = unreadable;
    // `overhead` and `network` set both bounds; the single bounds refine them.
    let overhead = size(u, "overhead", &m.overhead);
    let network = size(u, "network", &m.network);
    let jvm = JvmOptions {
        process: size(u, "process", &m.process),
        flink: size(u, "flink", &m.flink),
        metaspace: size(u, "metaspace", &m.metaspace),
        overhead_min: size(u, "overheadMin", &m.overhead_min).or(overhead),
        overhead_max: size(u, "overheadMax", &m.overhead_max).or(overhead),
        overhead_fraction: fraction(u, "overheadFraction", m.overhead_fraction),
    };
    match component {
        Component::JobManager => Configured::JobManager(JobManagerOptions {
            jvm,
            heap: size(u, "heap", &m.heap),
            off_heap: size(u, "offHeap", &m.off_heap),
            direct_memory_limit: m.direct_memory_limit,
        }),
        Component::TaskManager => Configured::TaskManager(TaskManagerOptions {
            jvm,
            framework_heap: size(u, "frameworkHeap", &m.framework_heap),
            framework_off_heap: size(u, "frameworkOffHeap", &m.framework_off_heap),
            task_heap: size(u, "taskHeap", &m.task_heap),
            task_off_heap: size(u, "taskOffHeap", &m.task_off_heap),
            managed: size(u, "managed", &m.managed),
            network_min: size(u, "networkMin", &m.network_min).or(network),
            network_max: size(u, "networkMax", &m.network_max).or(network),
            managed_fraction: fraction(u, "managedFraction", m.managed_fraction),
            network_fraction: fraction(u, "networkFraction", m.network_fraction),
            network_max_default: version.and_then(|v| v.default_network_max()),
        }),
    }
}

/// One memory size of the profile, in bytes.
fn size(
    unreadable: &mut dyn FnMut(&str, String),
    field: &str,
    value: &Option<Scalar>,
) -> Option<u64> {
    units::memory(value.as_ref()?)
        .map_err(|e| unreadable(field, e))
        .ok()
}

/// One memory fraction of the profile, as written (the model reads it as a Java float).
fn fraction(unreadable: &mut dyn FnMut(&str, String), field: &str, v: Option<f64>) -> Option<f64> {
    let f = v?;
    if !f.is_finite() {
        unreadable(field, "must be a number between 0 and 1".into());
        return None;
    }
    Some(f)
}

type Quantities = BTreeMap<String, String>;

/// Container requests and limits, the profile labels, and the GPUs for Flink.
fn resources(
    component: Component,
    origin: &Origin,
    spec: &ProfileSpec,
    cpu: Option<u64>,
    memory: Option<Memory>,
    diags: &mut Diagnostics,
) -> (Quantities, Quantities, Quantities, Option<Gpu>) {
    let (mut requests, mut limits, mut labels) =
        (Quantities::new(), Quantities::new(), Quantities::new());
    labels.insert("flinkgen/profile".into(), origin.name.to_string());
    let factor = |field: &str, f: Option<f64>, diags: &mut Diagnostics| -> f64 {
        match f {
            Some(f) if !(f.is_finite() && f >= 1.0) => {
                diags.push(
                    origin
                        .error(
                            &format!("limitFactor.{field}"),
                            format!("{f} is below 1: the limit would be smaller than the request"),
                        )
                        .help("use 1 for limit = request, or more to allow bursts"),
                );
                1.0
            }
            Some(f) => f,
            None => 1.0,
        }
    };
    let cpu_factor = factor("cpu", spec.limit_factor.as_ref().and_then(|l| l.cpu), diags);
    let mem_factor = factor(
        "memory",
        spec.limit_factor.as_ref().and_then(|l| l.memory),
        diags,
    );
    if let Some(millis) = cpu {
        requests.insert("cpu".into(), units::k8s_cpu(millis));
        limits.insert(
            "cpu".into(),
            units::k8s_cpu((millis as f64 * cpu_factor) as u64),
        );
        labels.insert("flinkgen/cpu".into(), units::k8s_cpu(millis));
    }
    if let Some(m) = memory {
        let process = m.total_process();
        let limit = (process as f64 * mem_factor) as u64;
        requests.insert("memory".into(), units::k8s_memory(process));
        limits.insert("memory".into(), units::k8s_memory(limit.max(process)));
        labels.insert("flinkgen/memory".into(), units::k8s_memory(process));
    }
    if let Some(e) = &spec.ephemeral_storage {
        let q = e.as_text();
        if k8s_quantity(&q) {
            requests.insert("ephemeral-storage".into(), q.clone());
            limits.insert("ephemeral-storage".into(), q);
        } else {
            diags.push(
                origin
                    .error(
                        "ephemeralStorage",
                        format!("`{q}` is not a Kubernetes quantity"),
                    )
                    .help("write for example 10Gi"),
            );
        }
    }
    let mut placed = [requests, limits, labels];
    let gpu = extended_resources(component, origin, spec, &mut placed, diags);
    let [requests, limits, labels] = placed;
    let gpu = flink_gpu(origin, spec, gpu, diags);
    (requests, limits, labels, gpu)
}

/// Extended resources (GPUs and others) into `[requests, limits, labels]`: the container's
/// requests and limits, and the pod's labels. Returns the GPU kind and count, of which a
/// TaskManager may have one.
fn extended_resources(
    component: Component,
    origin: &Origin,
    spec: &ProfileSpec,
    [requests, limits, labels]: &mut [Quantities; 3],
    diags: &mut Diagnostics,
) -> Option<(String, u64)> {
    let mut gpu: Option<(String, u64)> = None;
    for (name, amount) in &spec.resources {
        let field = format!("resources.{name}");
        if matches!(name.as_str(), "cpu" | "memory" | "ephemeral-storage") {
            diags.push(
                origin
                    .key_error(
                        &field,
                        format!("`{name}` is set by the profile's own field"),
                    )
                    .help("use cpu, memory or ephemeralStorage"),
            );
            continue;
        }
        if !extended_resource_name(name) {
            diags.push(
                origin
                    .key_error(&field, format!("`{name}` is not an extended resource name"))
                    .help("use a domain-qualified name such as nvidia.com/gpu"),
            );
            continue;
        }
        let n = match amount {
            Scalar::Int(n) if *n > 0 => *n as u64,
            _ => {
                diags.push(
                    origin
                        .error(
                            &field,
                            format!("`{}` is not a whole number of at least 1", amount.as_text()),
                        )
                        .help("extended resources are counted in whole units"),
                );
                continue;
            }
        };
        requests.insert(name.clone(), n.to_string());
        limits.insert(name.clone(), n.to_string());
        labels.insert(
            format!("flinkgen/{}", name.replace('/', "-")),
            n.to_string(),
        );
        if GPUS.contains(&name.as_str()) {
            if component == Component::JobManager {
                diags.push(origin.key_error(
                    &field,
                    "GPUs are used by TaskManagers; a JobManager profile cannot request them",
                ));
            } else if let Some((other, _)) = &gpu {
                diags.push(origin.key_error(
                    &field,
                    format!("only one GPU kind per TaskManager (also `{other}`)"),
                ));
            } else {
                gpu = Some((name.clone(), n));
            }
        }
    }
    gpu
}

/// The profile's GPUs as Flink's GPU plugin finds them: the discovery script Flink ships
/// for NVIDIA, or the profile's own.
fn flink_gpu(
    origin: &Origin,
    spec: &ProfileSpec,
    gpu: Option<(String, u64)>,
    diags: &mut Diagnostics,
) -> Option<Gpu> {
    match (gpu, &spec.gpu) {
        (Some((name, amount)), g) => {
            let g = g.clone().unwrap_or_default();
            let script = match (g.discovery_script, name.as_str()) {
                (Some(s), _) => Some(s),
                (None, "nvidia.com/gpu") => Some(NVIDIA_SCRIPT.to_string()),
                (None, _) => {
                    diags.push(
                        origin
                            .key_error(
                                &format!("resources.{name}"),
                                "Flink ships a discovery script for NVIDIA GPUs only",
                            )
                            .help("set gpu.discoveryScript to a script in the image"),
                    );
                    None
                }
            };
            Some(Gpu {
                amount,
                config_key: name,
                discovery_script: script,
                discovery_args: g.discovery_args,
            })
        }
        (None, Some(_)) => {
            diags.push(
                origin
                    .key_error("gpu", "`gpu` is set but the profile requests no GPU")
                    .help("add nvidia.com/gpu or amd.com/gpu to resources"),
            );
            None
        }
        (None, None) => None,
    }
}

type Scheduling = (
    BTreeMap<String, String>,
    Vec<serde_json::Value>,
    Option<serde_json::Value>,
    BTreeMap<String, String>,
);

fn scheduling(origin: &Origin, spec: &ProfileSpec, diags: &mut Diagnostics) -> Option<Scheduling> {
    let before = diags.error_count();
    let Some(s) = &spec.scheduling else {
        return Some(Default::default());
    };
    for (k, v) in s.node_selector.iter().chain(&s.labels) {
        let field = if s.node_selector.contains_key(k) {
            format!("scheduling.nodeSelector.{k}")
        } else {
            format!("scheduling.labels.{k}")
        };
        if let Err(e) = units::label_key(k) {
            diags.push(origin.key_error(&field, e));
        } else if let Err(e) = units::label_value(v) {
            diags.push(origin.error(&field, e));
        }
    }
    for k in s.labels.keys() {
        if k == "app"
            || k == "component"
            || k.starts_with("app.kubernetes.io/")
            || k.starts_with("flinkgen/")
        {
            diags.push(origin.key_error(
                &format!("scheduling.labels.{k}"),
                format!("label `{k}` is set by flinkgen"),
            ));
        }
    }
    let tolerations: Vec<serde_json::Value> = s
        .tolerations
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let (src, path) = origin.locate(&format!("scheduling.tolerations[{i}]"));
            kube::typed::<k8s_openapi::api::core::v1::Toleration>(src, &path, t, diags)
        })
        .collect();
    let affinity = s.affinity.as_ref().and_then(|a| {
        let (src, path) = origin.locate("scheduling.affinity");
        kube::typed::<k8s_openapi::api::core::v1::Affinity>(src, &path, a, diags)
    });
    (diags.error_count() == before).then(|| {
        (
            s.node_selector.clone(),
            tolerations,
            affinity,
            s.labels.clone(),
        )
    })
}

fn extended_resource_name(name: &str) -> bool {
    match name.split_once('/') {
        Some((domain, n)) => {
            units::label_key(name).is_ok() && domain.contains('.') && !n.is_empty()
        }
        None => false,
    }
}

fn k8s_quantity(q: &str) -> bool {
    let digits: String = q.chars().take_while(|c| c.is_ascii_digit()).collect();
    !digits.is_empty()
        && matches!(
            &q[digits.len()..],
            "" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
        )
}
