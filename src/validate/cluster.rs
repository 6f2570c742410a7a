//! The cluster a spec runs: its JobManager and TaskManager processes (a session job's are its
//! cluster's), TaskManager replicas and slots, the job's parallelism, and the plugins.

use super::process;
use super::profile::Component;
use super::subject::{Role, Subject};
use crate::diag::{did_you_mean, Diagnostics};
use crate::flink::config::Value;
use crate::flink::{self, Version};
use crate::load::spec::JobSpec;
use crate::load::Source;
use crate::model::{Job, Process};

/// Whether the job's cluster schedules adaptively: `jobmanager.scheduler: adaptive` or
/// `scheduler-mode: reactive`, in the spec or in its session cluster's options.
pub fn adaptive_scheduler(spec: &JobSpec, cluster: Option<&Job>) -> bool {
    let is = |key: &str, value: &str| {
        let own = super::options::written(&spec.flink_config, key)
            .is_some_and(|v| v.eq_ignore_ascii_case(value));
        let theirs = cluster.is_some_and(
            |c| matches!(c.flink_config.get(key), Some(Value::Text(t)) if t.eq_ignore_ascii_case(value)),
        );
        own || theirs
    };
    is("jobmanager.scheduler", "adaptive") || is("scheduler-mode", "reactive")
}

/// JobManager, TaskManager, TaskManager replicas and slots.
type Processes = (Option<Process>, Option<Process>, u32, u32);

/// The JobManager and TaskManager, TaskManager replicas and slots: a session job's are its
/// cluster's.
pub fn processes(cx: &Subject, version: Option<Version>, diags: &mut Diagnostics) -> Processes {
    let Subject {
        src,
        spec,
        defaults,
        profiles,
        ..
    } = *cx;
    if let Some(c) = cx.cluster() {
        return (
            Some(c.job_manager.clone()),
            Some(c.task_manager.clone()),
            c.task_manager_replicas,
            c.task_manager_slots,
        );
    }
    let jm = spec.job_manager.profile.as_ref();
    let tm = spec.task_manager.profile.as_ref();
    let [jm, tm] = [
        (
            Component::JobManager,
            "jobManager",
            jm,
            &spec.job_manager.overrides,
            &defaults.jm_profile,
        ),
        (
            Component::TaskManager,
            "taskManager",
            tm,
            &spec.task_manager.overrides,
            &defaults.tm_profile,
        ),
    ]
    .map(|(component, field, name, overrides, default)| {
        let choice = super::ProfileChoice {
            component,
            field,
            name,
            overrides: overrides.as_ref(),
            default: default.as_ref(),
        };
        process(src, choice, profiles, version, diags)
    });
    let replicas = spec.task_manager.replicas.unwrap_or(1);
    let slots = spec.task_manager.slots.unwrap_or(1);
    (
        jm,
        tm,
        at_least_one(src, "taskManager.replicas", replicas, diags),
        at_least_one(src, "taskManager.slots", slots, diags),
    )
}

pub fn at_least_one(src: &Source, field: &str, n: u32, diags: &mut Diagnostics) -> u32 {
    if n == 0 {
        diags.push(src.error(field, "must be at least 1"));
    }
    n.max(1)
}

/// Flink's upper bound for an operator's max parallelism (key groups, `1 << 15`); a job with a
/// higher parallelism fails when it is scheduled.
const MAX_PARALLELISM: u32 = 1 << 15;

/// A standalone FlinkDeployment's TaskManager count as the Operator decides it
/// (`FlinkConfigBuilder.getParallelism` and `applyTaskManagerSpec`, read in the Operator's
/// main branch): with `taskManager.replicas` the job runs at replicas × slots and
/// `job.parallelism` is ignored with only a log line; without them the Operator starts
/// ceil(parallelism / slots) TaskManagers. So a parallelism and replicas that disagree are
/// refused, and a parallelism alone leaves the replicas to the Operator (returned derived).
pub fn operator_replicas(
    src: &Source,
    spec: &JobSpec,
    replicas: u32,
    slots: u32,
    diags: &mut Diagnostics,
) -> (u32, bool) {
    let slots = slots.max(1);
    match (spec.parallelism, spec.task_manager.replicas) {
        (Some(p), None) if p > 0 => (p.div_ceil(slots), true),
        (Some(p), Some(r)) if p != r.saturating_mul(slots) => {
            diags.push(
                src.error("parallelism", format!("the Operator runs a job with taskManager.replicas at replicas x slots = {r} x {slots} = {}, and ignores parallelism {p}", r.saturating_mul(slots)))
                    .help(format!("remove taskManager.replicas (the Operator then starts {} TaskManager(s) for parallelism {p}), or set parallelism to {}", p.div_ceil(slots), r.saturating_mul(slots))),
            );
            (replicas, false)
        }
        _ => (replicas, false),
    }
}

/// The TaskManagers' autoscaler. Changing the TaskManager count under a running job is what
/// reactive mode is for: Flink rescales the job to the slots there are (and only in a
/// standalone application cluster). Elsewhere the count would fight the job or the Operator.
pub fn autoscaler_checks(src: &Source, job: &Job, diags: &mut Diagnostics) {
    let Some(a) = &job.autoscaler else {
        return;
    };
    let field = "taskManager.autoscaler";
    let refuse = |why: &str, help: &str, diags: &mut Diagnostics| {
        diags.push(src.key_error(field, why.to_string()).help(help.to_string()));
    };
    if job.is_operator() {
        return refuse("the Operator scales jobs with its own autoscaler, and would undo a HorizontalPodAutoscaler's count", "use the Operator's autoscaler: flinkConfig job.autoscaler.enabled: \"true\"", diags);
    }
    if job.is_native() {
        return refuse(
            "native TaskManagers are pods the JobManager creates, with no Deployment to scale",
            "use mode: standalone with scheduler-mode: reactive",
            diags,
        );
    }
    if !matches!(job.kind, crate::model::Kind::Application) {
        return refuse("Flink runs reactive mode in application clusters only; a session cluster cannot rescale its jobs to a changing TaskManager count", "give the job a cluster of its own (remove session), with scheduler-mode: reactive", diags);
    }
    let reactive = matches!(job.flink_config.get("scheduler-mode"), Some(Value::Text(t)) if t.eq_ignore_ascii_case("reactive"));
    if !reactive {
        return refuse("an autoscaler changes the TaskManager count under the running job, which only reactive mode rescales the job to (extra TaskManagers would idle, fewer would fail it)", "add flinkConfig: { scheduler-mode: reactive }", diags);
    }
    let target = a.target_cpu_utilization;
    let mut ok = true;
    if job.task_manager.cpu_millis.is_none() {
        diags.push(
            src.key_error(field, format!("the autoscaler keeps the TaskManagers' cpu use at {target}% of their cpu request, and the TaskManager profile `{}` requests none", job.task_manager.profile))
                .help("give the TaskManager profile a cpu"),
        );
        ok = false;
    }
    if a.min_replicas == 0 || a.max_replicas < a.min_replicas {
        diags.push(src.error(
            &format!("{field}.maxReplicas"),
            format!(
                "maxReplicas {} must be at least minReplicas {}, and minReplicas at least 1",
                a.max_replicas, a.min_replicas
            ),
        ));
        ok = false;
    }
    let start = job.task_manager_replicas;
    if ok && !(a.min_replicas..=a.max_replicas).contains(&start) {
        diags.push(
            src.error("taskManager.replicas", format!("{start} TaskManager(s) to start with, outside the autoscaler's {} to {}", a.min_replicas, a.max_replicas))
                .help("set taskManager.replicas within minReplicas and maxReplicas: it is the count the Deployment starts with"),
        );
    }
    if target == 0 {
        diags.push(src.error(
            &format!("{field}.targetCpuUtilization"),
            "must be at least 1 (percent of the cpu request)",
        ));
    }
}

/// The job's parallelism: the spec's, else every slot there is.
pub fn parallelism(
    cx: &Subject,
    replicas: u32,
    slots: u32,
    elastic: bool,
    diags: &mut Diagnostics,
) -> u32 {
    let (src, p) = (cx.src, cx.spec.parallelism);
    let cluster = matches!(cx.role, Role::Cluster);
    let total = replicas.saturating_mul(slots);
    let Some(p) = p else {
        // A session cluster has no job, so nothing defaults to its slot count.
        if total > MAX_PARALLELISM && !cluster {
            diags.push(
                src.error(
                    "taskManager.replicas",
                    format!("{replicas} TaskManager(s) x {slots} slot(s) = {total} slots, and the job's parallelism defaults to that; Flink runs at most {MAX_PARALLELISM} parallel tasks per operator"),
                )
                .help(format!("set parallelism to at most {MAX_PARALLELISM}, or lower taskManager.replicas or taskManager.slots")),
            );
        }
        return total.min(MAX_PARALLELISM);
    };
    if p == 0 {
        diags.push(src.error("parallelism", "must be at least 1"));
    } else if p > MAX_PARALLELISM {
        diags.push(
            src.error(
                "parallelism",
                format!("{p} is more than Flink allows: an operator's parallelism cannot exceed its max parallelism, which is at most {MAX_PARALLELISM}"),
            )
            .help(format!("use at most {MAX_PARALLELISM}")),
        );
    } else if p > total && !elastic {
        diags.push(
            src.error(
                "parallelism",
                format!("{p} needs {p} task slots, but {replicas} TaskManager(s) x {slots} slot(s) offer {total}"),
            )
            .help("raise taskManager.replicas or taskManager.slots, lower parallelism, or use the adaptive scheduler (jobmanager.scheduler: adaptive); with the default scheduler the job would wait for slots forever"),
        );
    }
    p.max(1)
}

pub fn plugins(src: &Source, names: &[String], diags: &mut Diagnostics) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, p) in names.iter().enumerate() {
        let field = format!("plugins[{i}]");
        if out.contains(p) {
            diags.push(src.error(&field, format!("plugin `{p}` is listed twice")));
        } else if flink::OPTIONAL_PLUGINS.contains(&p.as_str()) {
            out.push(p.clone());
        } else {
            let list = flink::OPTIONAL_PLUGINS.join(", ");
            let help = match did_you_mean(p, flink::OPTIONAL_PLUGINS.iter().copied()) {
                Some(best) => format!("did you mean `{best}`? available: {list}"),
                None => format!("available: {list} (metrics reporters are enabled already)"),
            };
            diags.push(
                src.error(&field, format!("unknown plugin `{p}`"))
                    .help(help),
            );
        }
    }
    out.sort();
    out
}
