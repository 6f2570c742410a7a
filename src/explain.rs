//! `flinkgen explain <job>`: what each process of a job gets, as Flink will compute it:
//! every memory component, the JVM flags, cpu, and the container's requests and limits.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::derive::quantity as units;
use crate::flink::memory::MIB;
use crate::model::{Job, Kind, Memory, Process};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub job: String,
    pub source: String,
    pub flink_version: String,
    /// How the spec is deployed, in words.
    pub deployment: String,
    pub job_manager: ProcessExplanation,
    pub task_manager: ProcessExplanation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessExplanation {
    pub profile: String,
    pub replicas: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<u32>,
    /// Memory components in bytes, in the order Flink documents them.
    #[serde(serialize_with = "as_map")]
    pub memory: Vec<Part>,
    pub jvm_flags: String,
    pub cpu: String,
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

/// One memory component: its JSON key, its table label, and its size.
#[derive(Debug)]
pub struct Part {
    pub key: &'static str,
    pub label: &'static str,
    pub bytes: u64,
}

fn as_map<S: serde::Serializer>(parts: &[Part], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(parts.len()))?;
    for p in parts {
        m.serialize_entry(p.key, &p.bytes)?;
    }
    m.end()
}

pub fn explain(job: &Job) -> Explanation {
    Explanation {
        job: job.name.clone(),
        source: job.source.clone(),
        flink_version: job.version.to_string(),
        deployment: deployment(job),
        job_manager: process(&job.job_manager, job.job_manager_replicas, None),
        task_manager: process(
            &job.task_manager,
            job.task_manager_replicas,
            Some(job.task_manager_slots),
        ),
    }
}

fn deployment(job: &Job) -> String {
    let ha = if job.ha.is_some() {
        ", Kubernetes HA"
    } else {
        ""
    };
    // What runs, when it is not a jar: the interpreter or the runner is worth seeing.
    let program = match &job.program {
        crate::model::Program::Java => String::new(),
        crate::model::Program::Python(p) => format!("; PyFlink with {}", p.executable),
        crate::model::Program::Sql(s) => format!("; SQL script {} (flinkgen's runner)", s.script),
    };
    match &job.kind {
        Kind::Application => format!("application mode, {}{ha}{program}", job.mode.as_str()),
        Kind::SessionCluster => format!("session cluster, {}{ha}", job.mode.as_str()),
        Kind::SessionJob(s) => format!(
            "submitted to session cluster {} ({}){program}; the processes below are the cluster's",
            s.name, s.source
        ),
    }
}

fn process(p: &Process, replicas: u32, slots: Option<u32>) -> ProcessExplanation {
    let part = |key, label, bytes| Part { key, label, bytes };
    let memory = match p.memory {
        Memory::JobManager(m) => vec![
            part("heap", "JVM heap", m.heap),
            part("offHeap", "Off-heap", m.off_heap),
            part("metaspace", "JVM metaspace", m.metaspace),
            part("overhead", "JVM overhead", m.overhead),
            part("totalFlink", "Total Flink memory", m.total_flink()),
            part("totalProcess", "Total process memory", m.total_process()),
        ],
        Memory::TaskManager(m) => vec![
            part("frameworkHeap", "Framework heap", m.framework_heap),
            part("taskHeap", "Task heap", m.task_heap),
            part("managed", "Managed memory", m.managed),
            part("network", "Network memory", m.network),
            part(
                "frameworkOffHeap",
                "Framework off-heap",
                m.framework_off_heap,
            ),
            part("taskOffHeap", "Task off-heap", m.task_off_heap),
            part("metaspace", "JVM metaspace", m.metaspace),
            part("overhead", "JVM overhead", m.overhead),
            part("totalFlink", "Total Flink memory", m.total_flink()),
            part("totalProcess", "Total process memory", m.total_process()),
        ],
    };
    ProcessExplanation {
        profile: p.profile.clone(),
        replicas,
        slots,
        memory,
        jvm_flags: p.memory.jvm_flags(),
        cpu: p.cpu_millis.map_or_else(
            || "not reserved (no request or limit)".into(),
            units::k8s_cpu,
        ),
        requests: p.requests.clone(),
        limits: p.limits.clone(),
    }
}

/// The explanation as an aligned, readable table.
pub fn table(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}), Flink {}", e.job, e.source, e.flink_version);
    let _ = writeln!(out, "{}", e.deployment);
    for (title, p) in [
        ("JobManager", &e.job_manager),
        ("TaskManager", &e.task_manager),
    ] {
        let _ = write!(
            out,
            "\n{title}: profile {}, {} replica(s)",
            p.profile, p.replicas
        );
        if let Some(s) = p.slots {
            let _ = write!(out, " x {s} slot(s)");
        }
        out.push('\n');
        for part in &p.memory {
            let mib = part.bytes as f64 / MIB as f64;
            let _ = writeln!(
                out,
                "  {:<22}{mib:>12.3} MiB {:>14} bytes",
                part.label, part.bytes
            );
        }
        let _ = writeln!(out, "  {:<22}{}", "JVM flags", p.jvm_flags);
        let _ = writeln!(out, "  {:<22}{}", "CPU", p.cpu);
        let _ = writeln!(
            out,
            "  {:<22}{}",
            "Container requests",
            quantities(&p.requests)
        );
        let _ = writeln!(out, "  {:<22}{}", "Container limits", quantities(&p.limits));
    }
    out
}

fn quantities(q: &BTreeMap<String, String>) -> String {
    q.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}
