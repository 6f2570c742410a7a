//! Flink options that follow from typed model fields. Key names that changed between versions
//! are spelled through `flink::keys::spelled`, the same table that decides which keys users
//! may set, so the generated configuration always uses the name the target version reads.

use super::quantity::flink_size;
use super::wiring;
use crate::flink::config::{Options, Value};
use crate::flink::keys::spelled;
use crate::flink::Version;
use crate::load::spec::{CheckpointMode, ClaimMode, Retention, StateBackend};
use crate::model::{Jar, Job, Kind, Process, Program, Restore, State};

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// The state backend, checkpointing and savepoint options of a job.
/// Long because each checkpoint, savepoint and backend option is one insert, spelled per version.
pub fn state(s: &State, v: Version) -> Options {
    let mut o = Options::new();
    if let Some(b) = s.backend {
        let name = match b {
            StateBackend::Hashmap => "hashmap",
            StateBackend::Rocksdb => "rocksdb",
            StateBackend::Forst => "forst",
        };
        o.insert(spelled("state.backend.type", v).into(), text(name));
    }
    if let Some(c) = &s.checkpoints {
        let mut put = |key: &'static str, value: Value| {
            o.insert(spelled(key, v).into(), value);
        };
        if let Some(i) = &c.interval {
            put("execution.checkpointing.interval", text(i));
        }
        if let Some(t) = &c.timeout {
            put("execution.checkpointing.timeout", text(t));
        }
        if let Some(p) = &c.min_pause {
            put("execution.checkpointing.min-pause", text(p));
        }
        if let Some(m) = c.mode {
            let m = match m {
                CheckpointMode::ExactlyOnce => "EXACTLY_ONCE",
                CheckpointMode::AtLeastOnce => "AT_LEAST_ONCE",
            };
            put("execution.checkpointing.mode", text(m));
        }
        if let Some(n) = c.max_concurrent {
            put(
                "execution.checkpointing.max-concurrent-checkpoints",
                Value::Int(n.into()),
            );
        }
        if let Some(n) = c.tolerable_failures {
            put(
                "execution.checkpointing.tolerable-failed-checkpoints",
                Value::Int(n.into()),
            );
        }
        if let Some(r) = c.retention {
            let r = match r {
                Retention::RetainOnCancellation => "RETAIN_ON_CANCELLATION",
                Retention::DeleteOnCancellation => "DELETE_ON_CANCELLATION",
                Retention::None => "NO_EXTERNALIZED_CHECKPOINTS",
            };
            put(
                "execution.checkpointing.externalized-checkpoint-retention",
                text(r),
            );
        }
        if let Some(n) = c.retained {
            put("execution.checkpointing.num-retained", Value::Int(n.into()));
        }
        if let Some(b) = c.incremental {
            put("execution.checkpointing.incremental", Value::Bool(b));
        }
        if let Some(d) = &c.dir {
            put("execution.checkpointing.dir", text(d));
        }
    }
    if let Some(d) = &s.savepoint_dir {
        o.insert(
            spelled("execution.checkpointing.savepoint-dir", v).into(),
            text(d),
        );
    }
    if let Some(m) = s.claim_mode {
        let m = match m {
            ClaimMode::Claim => "CLAIM",
            ClaimMode::NoClaim => "NO_CLAIM",
        };
        o.insert(
            spelled("execution.state-recovery.claim-mode", v).into(),
            text(m),
        );
    }
    o
}

/// The restore a native application's JobManager performs at start (standalone JobManagers
/// and `flink run` take it as command-line flags instead).
pub fn restore(r: &Restore, v: Version) -> Options {
    let mut o = Options::new();
    o.insert(
        spelled("execution.state-recovery.path", v).into(),
        text(&r.path),
    );
    if r.allow_non_restored_state {
        o.insert(
            spelled("execution.state-recovery.ignore-unclaimed-state", v).into(),
            Value::Bool(true),
        );
    }
    o
}

/// A process's memory options under `prefix` (what its profile sets, and the process size
/// Flink's model gives, which the container is sized by) and its GPUs.
pub fn process(prefix: &str, p: &Process) -> Options {
    use crate::flink::memory::Configured;
    let mut o = Options::new();
    let (jvm, own_sizes, own_fractions, direct_limit) = match &p.configured {
        Configured::JobManager(c) => (
            &c.jvm,
            vec![("heap.size", c.heap), ("off-heap.size", c.off_heap)],
            vec![],
            c.direct_memory_limit,
        ),
        Configured::TaskManager(c) => (
            &c.jvm,
            vec![
                ("framework.heap.size", c.framework_heap),
                ("framework.off-heap.size", c.framework_off_heap),
                ("task.heap.size", c.task_heap),
                ("task.off-heap.size", c.task_off_heap),
                ("managed.size", c.managed),
                ("network.min", c.network_min),
                ("network.max", c.network_max),
            ],
            vec![
                ("managed.fraction", c.managed_fraction),
                ("network.fraction", c.network_fraction),
            ],
            None,
        ),
    };
    let sizes = [
        ("flink.size", jvm.flink),
        ("jvm-metaspace.size", jvm.metaspace),
        ("jvm-overhead.min", jvm.overhead_min),
        ("jvm-overhead.max", jvm.overhead_max),
        // The model's total, which sizes the container too (the profile's when it sets one).
        ("process.size", Some(p.memory.total_process())),
    ];
    for (key, bytes) in sizes.into_iter().chain(own_sizes) {
        if let Some(b) = bytes {
            o.insert(format!("{prefix}.memory.{key}"), text(&flink_size(b)));
        }
    }
    let fractions = std::iter::once(("jvm-overhead.fraction", jvm.overhead_fraction));
    for (key, f) in fractions.chain(own_fractions) {
        if let Some(f) = f {
            o.insert(format!("{prefix}.memory.{key}"), Value::Float(f));
        }
    }
    if let Some(b) = direct_limit {
        o.insert(
            format!("{prefix}.memory.enable-jvm-direct-memory-limit"),
            Value::Bool(b),
        );
    }
    if let Some(g) = &p.gpu {
        let gpu = "external-resource.gpu";
        o.insert("external-resources".into(), text("gpu"));
        o.insert(format!("{gpu}.amount"), Value::Int(g.amount as i64));
        o.insert(
            format!("{gpu}.driver-factory.class"),
            text("org.apache.flink.externalresource.gpu.GPUDriverFactory"),
        );
        o.insert(format!("{gpu}.kubernetes.config-key"), text(&g.config_key));
        if let Some(s) = &g.discovery_script {
            o.insert(format!("{gpu}.param.discovery-script.path"), text(s));
        }
        if let Some(a) = &g.discovery_args {
            o.insert(format!("{gpu}.param.discovery-script.args"), text(a));
        }
    }
    o
}

/// The options a Python job's `python.executable` sets.
pub const PYTHON_KEYS: &[&str] = &["python.client.executable", "python.executable"];

/// What every job's configuration carries before the user's options: for a job with a cluster
/// of its own, the pinned ports and the RPC address (the manifests use the same), the slots,
/// the JVM flags Flink needs on Java 17+, the processes' memory and resources; for a job, its
/// parallelism; and its state settings.
pub fn base(job: &Job) -> Options {
    let own_cluster = job.has_cluster();
    let mut o = Options::new();
    if own_cluster {
        o.insert("jobmanager.rpc.port".into(), Value::Int(wiring::RPC_PORT));
        o.insert("blob.server.port".into(), Value::Int(wiring::BLOB_PORT));
        o.insert(
            "taskmanager.rpc.port".into(),
            Value::Int(wiring::TM_RPC_PORT),
        );
        o.insert("rest.port".into(), Value::Int(wiring::REST_PORT));
        o.insert(
            "taskmanager.numberOfTaskSlots".into(),
            Value::Int(job.task_manager_slots.into()),
        );
        if let Some(flags) = job.version.java_opts() {
            o.insert("env.java.opts.all".into(), Value::Text(flags));
        }
        o.extend(process("jobmanager", &job.job_manager));
        o.extend(process("taskmanager", &job.task_manager));
        let address =
            wiring::rpc_address(&job.name, &job.namespace, job.is_native(), job.ha.is_some());
        if let Some(address) = address {
            o.insert("jobmanager.rpc.address".into(), text(&address));
        }
    }
    if let Some(p) = job.parallelism {
        o.insert("parallelism.default".into(), Value::Int(p.into()));
    }
    if let Program::Python(p) = &job.program {
        // The JobManager runs the job's script with the client's interpreter, and the
        // TaskManagers start their Python workers with the other.
        for key in PYTHON_KEYS {
            o.insert(key.to_string(), text(&p.executable));
        }
    }
    if let (true, Some(Jar::Remote(uri))) = (own_cluster, &job.jar) {
        o.insert(
            "user.artifacts.base-dir".into(),
            text(wiring::ARTIFACTS_DIR),
        );
        if uri.starts_with("http://") {
            o.insert("user.artifacts.raw-http-enabled".into(), Value::Bool(true));
        }
    }
    if own_cluster {
        o.extend(super::metrics::options(job));
    }
    if own_cluster {
        o.extend(super::local_state::options(job));
    }
    o.extend(state(&job.state, job.version));
    o
}

/// The job's complete Flink configuration: what flinkgen derives comes first, so a user
/// option may refine it (JVM flags are joined, not replaced); the options of HA, native mode
/// and the Operator come last, as their keys name objects flinkgen creates.
pub fn all(job: &Job) -> Options {
    let mut o = base(job);
    let user = java_flags(&mut o, job.flink_config.clone());
    o.extend(user);
    o.extend(cluster(job));
    o
}

/// The user's JVM flags (`env.java.opts.all`, or its old name `env.java.opts`) go after the
/// flags flinkgen writes, which Flink needs on Java 17+: setting either key would otherwise
/// replace them (`env.java.opts.all` wins over `env.java.opts` in Flink).
fn java_flags(options: &mut Options, mut user: Options) -> Options {
    // Where flinkgen writes no flags (before 1.18), the user's keys stand as written.
    let Some(ours) = options
        .get("env.java.opts.all")
        .map(crate::flink::config::cli_value)
    else {
        return user;
    };
    let theirs: Vec<String> = ["env.java.opts", "env.java.opts.all"]
        .iter()
        .filter_map(|k| user.remove(*k))
        .map(|v| crate::flink::config::cli_value(&v))
        .collect();
    if !theirs.is_empty() {
        let all: Vec<String> = std::iter::once(ours).chain(theirs).collect();
        options.insert("env.java.opts.all".into(), Value::Text(all.join(" ")));
    }
    user
}

/// The options of HA, native mode and the Operator target, which name objects flinkgen
/// creates; they are applied after the user's options.
pub fn cluster(job: &Job) -> Options {
    let mut o = Options::new();
    if !job.has_cluster() {
        return o;
    }
    if let Some(dir) = &job.ha {
        o.insert(
            spelled("high-availability.type", job.version).into(),
            text("kubernetes"),
        );
        o.insert("high-availability.storageDir".into(), text(dir));
    }
    if job.is_operator() {
        // The Operator sets the cluster ids, namespace, image, account, memory and target
        // itself (and refuses some of them); only what it cannot derive goes in.
        if let Some(r) = &job.rest {
            o.insert(
                "kubernetes.rest-service.exposed.type".into(),
                text(r.service_type.as_str()),
            );
        }
        for (process, p) in [
            ("jobmanager", &job.job_manager),
            ("taskmanager", &job.task_manager),
        ] {
            for (what, factor) in [
                ("cpu", p.cpu_limit_factor),
                ("memory", p.memory_limit_factor),
            ] {
                if factor != 1.0 {
                    o.insert(
                        format!("kubernetes.{process}.{what}.limit-factor"),
                        Value::Float(factor),
                    );
                }
            }
        }
        return o;
    }
    if job.ha.is_some() {
        // The default `/default` would mix the metadata of every job in storageDir.
        o.insert("high-availability.cluster-id".into(), text(&job.name));
    }
    if job.ha.is_some() || job.is_native() {
        o.insert("kubernetes.cluster-id".into(), text(&job.name));
        // Standalone pods read the namespace from here, not from their own pod.
        o.insert("kubernetes.namespace".into(), text(&job.namespace));
    }
    if job.is_native() {
        o.extend(native(job));
    }
    o
}

/// What `flink run --target kubernetes-application` or `kubernetes-session.sh` would put into
/// the configuration of a native cluster.
fn native(job: &Job) -> Options {
    let mut o = Options::new();
    // TaskManagers run as the same account (never the namespace's `default`), but their pod
    // template mounts no token unless HA needs one, so they get no API access.
    let account = job.service_account().unwrap_or_default();
    o.insert("kubernetes.service-account".into(), text(&account));
    o.insert(
        spelled("kubernetes.container.image.ref", job.version).into(),
        text(&job.image.reference),
    );
    o.insert(
        "kubernetes.container.image.pull-policy".into(),
        text(job.image.pull_policy.as_str()),
    );
    if !job.image.pull_secrets.is_empty() {
        o.insert(
            "kubernetes.container.image.pull-secrets".into(),
            Value::List(job.image.pull_secrets.clone()),
        );
    }
    o.insert(
        "kubernetes.pod-template-file.taskmanager".into(),
        text(&wiring::pod_template_path()),
    );
    o.insert(
        "kubernetes.rest-service.exposed.type".into(),
        text(
            job.rest
                .as_ref()
                .map_or("ClusterIP", |r| r.service_type.as_str()),
        ),
    );
    let tm = &job.task_manager;
    // Without a cpu in the profile, Flink's default applies: one cpu per slot.
    if let Some(millis) = tm.cpu_millis {
        o.insert(
            spelled("kubernetes.taskmanager.cpu.amount", job.version).into(),
            Value::Float(millis as f64 / 1000.0),
        );
        o.insert(
            "kubernetes.taskmanager.cpu.limit-factor".into(),
            Value::Float(tm.cpu_limit_factor),
        );
    }
    o.insert(
        "kubernetes.taskmanager.memory.limit-factor".into(),
        Value::Float(tm.memory_limit_factor),
    );
    if job.job_manager_replicas > 1 {
        o.insert(
            "kubernetes.jobmanager.replicas".into(),
            Value::Int(job.job_manager_replicas.into()),
        );
    }
    if matches!(job.kind, Kind::SessionCluster) {
        o.insert("execution.target".into(), text("kubernetes-session"));
        return o;
    }
    o.insert("execution.target".into(), text("kubernetes-application"));
    if let Some(jar) = &job.jar {
        o.insert(
            "pipeline.jars".into(),
            Value::List(vec![wiring::jar_uri(&job.name, jar)]),
        );
    }
    if let Some(c) = &job.entry_class {
        o.insert("$internal.application.main".into(), text(c));
    }
    if !job.args.is_empty() {
        o.insert(
            "$internal.application.program-args".into(),
            Value::List(job.args.clone()),
        );
    }
    if let Some(r) = &job.restore {
        o.extend(restore(r, job.version));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Checkpoints;

    fn version(v: &str) -> Version {
        Version::parse(v).unwrap()
    }

    #[test]
    fn state_keys_are_spelled_for_the_version() {
        let s = State {
            backend: Some(StateBackend::Rocksdb),
            checkpoints: Some(Checkpoints {
                interval: Some("30s".into()),
                timeout: None,
                min_pause: None,
                mode: None,
                max_concurrent: None,
                tolerable_failures: None,
                retention: None,
                retained: Some(3),
                incremental: Some(true),
                dir: Some("s3://b/ckpt".into()),
            }),
            savepoint_dir: Some("s3://b/sp".into()),
            claim_mode: Some(ClaimMode::NoClaim),
        };
        let new = state(&s, version("1.20"));
        let old = state(&s, version("1.18"));
        for (now, before) in [
            ("execution.checkpointing.dir", "state.checkpoints.dir"),
            (
                "execution.checkpointing.savepoint-dir",
                "state.savepoints.dir",
            ),
            (
                "execution.checkpointing.num-retained",
                "state.checkpoints.num-retained",
            ),
            (
                "execution.checkpointing.incremental",
                "state.backend.incremental",
            ),
            (
                "execution.state-recovery.claim-mode",
                "execution.savepoint-restore-mode",
            ),
        ] {
            assert!(new.contains_key(now) && !new.contains_key(before), "{now}");
            assert!(
                old.contains_key(before) && !old.contains_key(now),
                "{before}"
            );
        }
        assert_eq!(new.len(), old.len());
        assert_eq!(new["state.backend.type"], text("rocksdb"));
        let r = Restore {
            path: "s3://b/sp/1".into(),
            allow_non_restored_state: true,
        };
        assert!(restore(&r, version("1.19")).contains_key("execution.savepoint.path"));
        assert!(restore(&r, version("2.2"))
            .contains_key("execution.state-recovery.ignore-unclaimed-state"));
    }
}
