//! Validation of one job spec into a `model::Job`.

use std::collections::BTreeMap;

use super::profile::Component;
use super::{image_part, process, units, version, Defaults, Profiles};
use crate::diag::{did_you_mean, Diagnostics};
use crate::flink::config::Options;
use crate::flink::{self, Version};
use crate::load::scalar::Scalar;
use crate::load::spec::PodDisruptionBudgetSpec;
use crate::load::spec::{
    CheckpointSpec, ImageSpec, JobSpec, LogLevel, Mode, SavepointSpec, StateBackend,
};
use crate::load::Source;
use crate::model::{Checkpoints, DisruptionValue, Job, Kind, Logging, Restore, State};

/// Labels flinkgen sets itself; user labels may not replace them.
const RESERVED_LABELS: &[&str] = &["app", "component"];

/// The environment a job is validated for, and the Flink options it adds.
pub struct Environment<'a> {
    pub name: &'a str,
    /// Options for all jobs of the environment, with the project file that sets them.
    pub project: Option<(&'a Source, &'a BTreeMap<String, crate::load::tree::Tree>)>,
    /// The job's own options for this environment.
    pub job: Option<&'a BTreeMap<String, crate::load::tree::Tree>>,
}

/// What the spec being validated deploys; a session job carries its validated cluster.
pub enum Role<'a> {
    Application,
    Cluster,
    SessionJob(&'a Job),
}

pub fn validate(
    src: &Source,
    spec: &JobSpec,
    role: &Role,
    defaults: &Defaults,
    profiles: &Profiles,
    env: Option<&Environment>,
    diags: &mut Diagnostics,
) -> Option<Job> {
    let before = diags.error_count();
    let cluster = match role {
        Role::SessionJob(c) => Some(*c),
        _ => None,
    };
    if let Some(c) = cluster {
        super::deploy::cluster_fields(src, spec, c, diags);
    }
    let name = name(src, spec, diags);
    let version = match cluster {
        Some(c) => super::deploy::session_version(src, spec, c, diags),
        None => job_version(src, spec, defaults, diags),
    };
    let namespace = spec.namespace.clone().unwrap_or_else(|| match cluster {
        Some(c) => c.namespace.clone(),
        None => defaults.namespace.clone(),
    });
    // An inherited namespace was checked with the project file.
    if let (Some(_), Err(e)) = (&spec.namespace, units::dns_label(&namespace, 63)) {
        diags.push(src.error("namespace", e));
    }
    let jar = match role {
        Role::Cluster => Some(String::new()),
        _ => jar(src, &spec.jar, diags),
    };
    let entry_class = spec.entry_class.clone();
    if let Some(c) = &entry_class {
        if !java_class(c) {
            diags.push(
                src.error("entryClass", format!("`{c}` is not a Java class name"))
                    .help("write the fully qualified name, such as com.example.WordCount"),
            );
        }
    }
    let args = args(src, &spec.args, diags);
    let (jm, tm) = match cluster {
        Some(c) => (Some(c.job_manager.clone()), Some(c.task_manager.clone())),
        None => (
            process(
                src,
                Component::JobManager,
                "jobManager",
                spec.job_manager.profile.as_ref(),
                spec.job_manager.overrides.as_ref(),
                defaults.jm_profile.as_ref(),
                profiles,
                diags,
            ),
            process(
                src,
                Component::TaskManager,
                "taskManager",
                spec.task_manager.profile.as_ref(),
                spec.task_manager.overrides.as_ref(),
                defaults.tm_profile.as_ref(),
                profiles,
                diags,
            ),
        ),
    };
    let (replicas, slots) = match cluster {
        Some(c) => (c.task_manager_replicas, c.task_manager_slots),
        None => (
            at_least_one(
                src,
                "taskManager.replicas",
                spec.task_manager.replicas.unwrap_or(1),
                diags,
            ),
            at_least_one(
                src,
                "taskManager.slots",
                spec.task_manager.slots.unwrap_or(1),
                diags,
            ),
        ),
    };
    let mode = match cluster {
        Some(c) => c.mode,
        None => spec.mode.or(defaults.mode).unwrap_or(Mode::Standalone),
    };
    let target = super::deploy::target(src, spec, cluster, defaults.target, diags);
    // Native mode starts as many TaskManagers as the job's slots need.
    let parallelism = parallelism(
        src,
        spec.parallelism,
        replicas,
        slots,
        mode == Mode::Native,
        diags,
    );
    let plugins = plugins(src, &spec.plugins, diags);
    // A session job's paths are read by its cluster, with the cluster's filesystems.
    let fs_plugins = cluster.map_or(&plugins, |c| &c.plugins);
    let labels = labels(src, &spec.labels, &defaults.labels, diags);
    let logging = logging(src, spec, diags);
    let network_policy = spec.network_policy.as_ref().map(|n| {
        n.rest_from
            .iter()
            .enumerate()
            .filter_map(|(i, peer)| {
                let field = format!("networkPolicy.restFrom[{i}]");
                super::kube::typed::<k8s_openapi::api::networking::v1::NetworkPolicyPeer>(
                    src, &field, peer, diags,
                )
            })
            .collect::<Vec<_>>()
    });
    let disruption_budget = spec
        .pod_disruption_budget
        .as_ref()
        .and_then(|p| disruption_budget(src, p, mode, diags));
    let ha = spec.ha.as_ref().and_then(|h| {
        location(src, "ha.storageDir", &h.storage_dir, &plugins, diags)
            .then(|| h.storage_dir.clone())
    });
    let jm_replicas = super::deploy::job_manager_replicas(src, spec, diags);
    let rest = spec
        .rest
        .as_ref()
        .and_then(|r| super::deploy::rest(src, r, diags));
    let ingress = spec
        .ingress
        .as_ref()
        .and_then(|i| super::deploy::ingress(src, i, diags));
    let version = version?;
    let name = name?;
    let image_spec = match cluster {
        // The job image only carries the jar and Flink's client: the cluster's base fits.
        Some(c) => Some(ImageSpec {
            base: Some(c.base_image.clone()),
            ..spec.image.clone().unwrap_or_default()
        }),
        None => spec.image.clone(),
    };
    let image = image(src, image_spec.as_ref(), &name, version, defaults, diags);

    let mut state = State {
        backend: state_backend(src, spec.state_backend, version, diags),
        checkpoints: spec
            .checkpoints
            .as_ref()
            .and_then(|c| checkpoints(src, c, fs_plugins, diags)),
        ..State::default()
    };
    let restore = spec
        .savepoints
        .as_ref()
        .and_then(|s| savepoints(src, s, fs_plugins, &mut state, diags));
    let scope = cluster.map(|c| c.source.as_str());
    let mut options = Options::new();
    options.extend(super::options::user_options(
        src,
        "flinkConfig",
        &spec.flink_config,
        version,
        scope,
        diags,
    ));
    if let Some(env) = env {
        // Later places win: the project's environment options, then the job's own.
        let prefix = format!("environments.{}.flinkConfig", env.name);
        if let Some((project_src, map)) = env.project {
            options.extend(super::options::user_options(
                project_src,
                &prefix,
                map,
                version,
                scope,
                diags,
            ));
        }
        if let Some(map) = env.job {
            options.extend(super::options::user_options(
                src, &prefix, map, version, scope, diags,
            ));
        }
    }

    if diags.error_count() > before {
        return None;
    }
    let image = image?;
    let mut job = Job {
        name,
        kind: Kind::Application,
        mode,
        target,
        upgrade_mode: spec.upgrade_mode,
        jar_uri: spec.jar_uri.clone(),
        ha,
        job_manager_replicas: jm_replicas,
        rest,
        ingress,
        environment: env.map(|e| e.name.to_string()),
        source: src.path.clone(),
        namespace,
        version,
        base_image: image.base,
        image: image.reference,
        image_tag: image.tag,
        pull_policy: image.pull_policy,
        jar: jar?,
        entry_class,
        args,
        restore,
        state,
        job_manager: jm?,
        task_manager: tm?,
        task_manager_replicas: replicas,
        task_manager_slots: slots,
        parallelism: (!matches!(role, Role::Cluster)).then_some(parallelism),
        plugins,
        options: Options::new(),
        labels,
        logging,
        network_policy,
        disruption_budget,
    };
    // What flinkgen derives comes first, so a user option may refine it; the options of HA
    // and native mode come last, as their keys name objects flinkgen creates.
    let base = crate::derive::options::base(&job, cluster.is_none());
    writable(src, &base, version, diags);
    job.options = base;
    job.options.extend(options);
    job.kind = match role {
        Role::Application => Kind::Application,
        Role::Cluster => Kind::SessionCluster,
        Role::SessionJob(c) => Kind::SessionJob(super::deploy::submission(&job, c)),
    };
    super::deploy::native_checks(src, &job, diags);
    let cluster_options = crate::derive::options::cluster(&job);
    job.options.extend(cluster_options);
    super::deploy::operator_checks(src, &job, cluster, diags);
    (diags.error_count() == before).then_some(job)
}

fn disruption_budget(
    src: &Source,
    p: &PodDisruptionBudgetSpec,
    mode: Mode,
    diags: &mut Diagnostics,
) -> Option<(&'static str, DisruptionValue)> {
    // Native TaskManager pods belong to the JobManager Deployment directly, which has no scale
    // Kubernetes could relate them to: only a plain minAvailable count works for them.
    if mode == Mode::Native
        && (p.max_unavailable.is_some() || !matches!(p.min_available, Some(Scalar::Int(_))))
    {
        diags.push(
            src.key_error(
                "podDisruptionBudget",
                "native TaskManager pods are not managed by a scalable controller, so Kubernetes cannot apply maxUnavailable or a percentage to them",
            )
            .help("use podDisruptionBudget.minAvailable with a pod count"),
        );
        return None;
    }
    let (field, value) = match (&p.max_unavailable, &p.min_available) {
        (Some(_), Some(_)) => {
            diags.push(src.key_error(
                "podDisruptionBudget.minAvailable",
                "give either maxUnavailable or minAvailable, not both",
            ));
            return None;
        }
        (None, Some(v)) => ("minAvailable", v),
        (Some(v), None) => ("maxUnavailable", v),
        (None, None) => return Some(("maxUnavailable", DisruptionValue::Count(1))),
    };
    let path = format!("podDisruptionBudget.{field}");
    let parsed = match value {
        Scalar::Int(n) if (0..=i64::from(u32::MAX)).contains(n) => {
            Some(DisruptionValue::Count(*n as u32))
        }
        Scalar::Text(t) => t
            .strip_suffix('%')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| *n <= 100)
            .map(|_| DisruptionValue::Percent(t.clone())),
        _ => None,
    };
    if parsed.is_none() {
        diags.push(
            src.error(
                &path,
                format!(
                    "`{}` is neither a pod count nor a percentage",
                    value.as_text()
                ),
            )
            .help("write a number such as 1, or a percentage such as \"25%\""),
        );
    }
    parsed.map(|v| (field, v))
}

fn name(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Option<String> {
    let from_file = spec.name.is_none();
    let name = super::spec_name(src, spec);
    // 45 characters, as the Flink operator allows, leaves room for `-taskmanager` within
    // Kubernetes' 63-character limit on names and label values.
    match units::dns_label(&name, 45) {
        Ok(()) => Some(name),
        Err(e) => {
            let d = src.error("name", e);
            diags.push(if from_file {
                d.help("the name comes from the file; rename the file or set `name:`")
            } else {
                d
            });
            None
        }
    }
}

fn job_version(
    src: &Source,
    spec: &JobSpec,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<Version> {
    match &spec.flink_version {
        Some(v) => version(v)
            .map_err(|(msg, help)| diags.push(src.error("flinkVersion", msg).help(help)))
            .ok(),
        None if defaults.version.is_some() => defaults.version,
        None => {
            diags.push(
                src.key_error("", "no Flink version given")
                    .field("flinkVersion")
                    .help(format!(
                        "set flinkVersion in the job or in flinkgen.yaml; supported: {}",
                        Version::supported_list()
                    )),
            );
            None
        }
    }
}

/// The job image, resolved.
struct Image {
    base: String,
    tag: String,
    /// `repository:tag`, with `@digest` when pinned.
    reference: String,
    pull_policy: crate::load::spec::PullPolicy,
}

fn image(
    src: &Source,
    spec: Option<&ImageSpec>,
    name: &str,
    version: Version,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<Image> {
    let empty = ImageSpec::default();
    let spec = spec.unwrap_or(&empty);
    let java = spec
        .java
        .or(defaults.java)
        .unwrap_or_else(|| version.default_java());
    let mut ok = true;
    if !version.java_versions().contains(&java) {
        let allowed: Vec<String> = version.java_versions().iter().map(u32::to_string).collect();
        diags.push(
            src.error(
                "image.java",
                format!(
                    "there is no Flink {} image for Java {java}",
                    version.minor_str()
                ),
            )
            .help(format!("use one of: {}", allowed.join(", "))),
        );
        ok = false;
    }
    // The reference lands on the Dockerfile's FROM line unquoted: a trailing `\` would join
    // the next line and `${…}` would let a build argument pick the image.
    let reference_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@');
    let base = match &spec.base {
        Some(b) if b.is_empty() || b.len() > 255 || !b.chars().all(reference_char) => {
            diags.push(
                src.error("image.base", format!("`{b}` is not an image reference"))
                    .help("write [registry/]repository[:tag][@sha256:digest] with letters, digits and `._-/:@` only, such as flink:1.20.3-scala_2.12-java17"),
            );
            ok = false;
            String::new()
        }
        Some(b) => b.clone(),
        None => version.image(java),
    };
    let repository = match (&spec.repository, &defaults.registry) {
        (Some(r), _) => r.clone(),
        (None, Some(reg)) => format!("{}/{name}", reg.trim_end_matches('/')),
        (None, None) => {
            diags.push(
                src.key_error("image", "no image repository for the job image")
                    .field("image.repository")
                    .help("set image.repository here, or image.registry in flinkgen.yaml"),
            );
            return None;
        }
    };
    if let Err(e) = image_part(&repository) {
        diags.push(src.error("image.repository", e));
        ok = false;
    }
    let tag =
        match &spec.tag {
            Some(Scalar::Text(t)) => t.clone(),
            Some(Scalar::Int(i)) => i.to_string(),
            Some(other) => {
                diags.push(
                    src.error(
                        "image.tag",
                        format!("the tag `{}` must be quoted", other.as_text()),
                    )
                    .help("YAML reads 1.10 as the number 1.1: write tag: \"1.10\""),
                );
                return None;
            }
            None => {
                diags.push(src.key_error("image", "the job image has no tag").field("image.tag")
                .help("set image.tag, such as \"1.0.0\"; `latest` makes renders irreproducible"));
                return None;
            }
        };
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !tag_ok {
        diags.push(
            src.error("image.tag", format!("`{tag}` is not an image tag"))
                .help(
                    "at most 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
                ),
        );
        ok = false;
    }
    let mut reference = format!("{repository}:{tag}");
    if let Some(d) = &spec.digest {
        let hex = d.strip_prefix("sha256:").unwrap_or("");
        if hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            reference = format!("{reference}@{d}");
        } else {
            diags.push(
                src.error("image.digest", format!("`{d}` is not an image digest"))
                    .help("write sha256: and 64 lowercase hex digits"),
            );
            ok = false;
        }
    }
    let pull = spec.pull_policy.unwrap_or(defaults.pull_policy);
    ok.then_some(Image {
        base,
        tag,
        reference,
        pull_policy: pull,
    })
}

/// The jar path becomes a `COPY` source: it must stay inside the build context (the project
/// root) and be plain enough to need no quoting in a Dockerfile.
fn jar(src: &Source, jar: &str, diags: &mut Diagnostics) -> Option<String> {
    let err = |msg: String| {
        src.error("jar", msg)
            .help("give the path of the built jar relative to the project root, such as target/my-job.jar")
    };
    if jar.starts_with('/') || jar.contains('\\') || jar.contains(':') {
        diags.push(err(format!("`{jar}` is not a relative path")));
        return None;
    }
    if jar
        .split('/')
        .any(|seg| seg == ".." || seg.is_empty() || seg == ".")
    {
        diags.push(err(format!(
            "`{jar}` must stay inside the project (no `..`, `.` or empty parts)"
        )));
        return None;
    }
    if !jar
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
    {
        diags.push(err(format!(
            "`{jar}` may only use letters, digits and `._-+/`"
        )));
        return None;
    }
    if !jar.ends_with(".jar") {
        diags.push(err(format!("`{jar}` is not a .jar file")));
        return None;
    }
    Some(jar.to_string())
}

fn java_class(c: &str) -> bool {
    c.split('.').all(|part| {
        part.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_' || ch == '$')
            && part
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$')
    })
}

fn args(src: &Source, args: &[Scalar], diags: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match a {
            Scalar::Float(f) => diags.push(
                src.error(
                    &format!("args[{i}]"),
                    format!("the number {f} must be quoted"),
                )
                .help("YAML may change how a float is written (1.10 becomes 1.1); quote it"),
            ),
            other => out.push(other.as_text()),
        }
    }
    out
}

fn at_least_one(src: &Source, field: &str, n: u32, diags: &mut Diagnostics) -> u32 {
    if n == 0 {
        diags.push(src.error(field, "must be at least 1"));
    }
    n.max(1)
}

/// Flink's upper bound for an operator's max parallelism (key groups, `1 << 15`); a job with a
/// higher parallelism fails when it is scheduled.
const MAX_PARALLELISM: u32 = 1 << 15;

fn parallelism(
    src: &Source,
    p: Option<u32>,
    replicas: u32,
    slots: u32,
    native: bool,
    diags: &mut Diagnostics,
) -> u32 {
    let total = replicas.saturating_mul(slots);
    let Some(p) = p else {
        if total > MAX_PARALLELISM {
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
    } else if p > total && !native {
        diags.push(
            src.error(
                "parallelism",
                format!("{p} needs {p} task slots, but {replicas} TaskManager(s) x {slots} slot(s) offer {total}"),
            )
            .help("raise taskManager.replicas or taskManager.slots, or lower parallelism: the job would wait for slots forever"),
        );
    }
    p.max(1)
}

fn plugins(src: &Source, names: &[String], diags: &mut Diagnostics) -> Vec<String> {
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

/// A durable location: `scheme://…`, with the filesystem plugin its scheme needs.
fn location(
    src: &Source,
    field: &str,
    uri: &str,
    plugins: &[String],
    diags: &mut Diagnostics,
) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else {
        diags.push(
            src.error(field, format!("`{uri}` has no scheme"))
                .help("write a URI such as s3://bucket/path or file:///data/path"),
        );
        return false;
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || uri.chars().any(char::is_whitespace) {
        diags.push(src.error(field, format!("`{uri}` is not a valid URI")));
        return false;
    }
    if let Some(needed) = flink::plugins_for_scheme(scheme) {
        if !needed.iter().any(|n| plugins.iter().any(|p| p == n)) {
            diags.push(
                src.error(
                    field,
                    format!("no filesystem plugin for `{scheme}://` is enabled"),
                )
                .help(format!(
                    "add {} to plugins",
                    needed
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )),
            );
            return false;
        }
    }
    true
}

fn state_backend(
    src: &Source,
    b: Option<StateBackend>,
    v: Version,
    diags: &mut Diagnostics,
) -> Option<StateBackend> {
    if b == Some(StateBackend::Forst) && v.major < 2 {
        diags.push(
            src.error(
                "stateBackend",
                "the ForSt state backend exists from Flink 2.0",
            )
            .help("use rocksdb or hashmap"),
        );
        return None;
    }
    b
}

fn checkpoints(
    src: &Source,
    c: &CheckpointSpec,
    plugins: &[String],
    diags: &mut Diagnostics,
) -> Option<Checkpoints> {
    let mut duration = |field: &str, value: &Scalar, min_ms: u64| match units::duration(value) {
        Ok(ms) if ms < min_ms => {
            diags.push(src.error(field, format!("must be at least {min_ms}ms")));
            None
        }
        Ok(_) => Some(value.as_text().trim().to_string()),
        Err(e) => {
            diags.push(src.error(field, e));
            None
        }
    };
    // Flink refuses intervals under 10 ms.
    let interval = duration("checkpoints.interval", &c.interval, 10);
    let timeout = c
        .timeout
        .as_ref()
        .and_then(|t| duration("checkpoints.timeout", t, 1));
    let min_pause = c
        .min_pause
        .as_ref()
        .and_then(|p| duration("checkpoints.minPause", p, 0));
    if let Some(n) = c.max_concurrent {
        at_least_one(src, "checkpoints.maxConcurrent", n, diags);
    }
    if let Some(n) = c.retained {
        at_least_one(src, "checkpoints.retained", n, diags);
    }
    let dir = c
        .dir
        .as_ref()
        .filter(|d| location(src, "checkpoints.dir", d, plugins, diags))
        .cloned();
    Some(Checkpoints {
        interval: interval?,
        timeout,
        min_pause,
        mode: c.mode,
        max_concurrent: c.max_concurrent,
        tolerable_failures: c.tolerable_failures,
        retention: c.retention,
        retained: c.retained,
        incremental: c.incremental,
        dir,
    })
}

/// The savepoint directory and claim mode, and the savepoint to restore from.
fn savepoints(
    src: &Source,
    s: &SavepointSpec,
    plugins: &[String],
    state: &mut State,
    diags: &mut Diagnostics,
) -> Option<Restore> {
    state.savepoint_dir = s
        .dir
        .as_ref()
        .filter(|d| location(src, "savepoints.dir", d, plugins, diags))
        .cloned();
    if s.claim_mode.is_some() && s.restore_from.is_none() {
        diags.push(src.warning(
            "savepoints.claimMode",
            "has no effect without savepoints.restoreFrom",
        ));
    }
    state.claim_mode = s.claim_mode;
    if s.allow_non_restored_state == Some(true) && s.restore_from.is_none() {
        diags.push(src.warning(
            "savepoints.allowNonRestoredState",
            "has no effect without savepoints.restoreFrom",
        ));
    }
    let path = s.restore_from.as_ref()?;
    location(src, "savepoints.restoreFrom", path, plugins, diags).then(|| Restore {
        path: path.clone(),
        allow_non_restored_state: s.allow_non_restored_state.unwrap_or(false),
    })
}

fn labels(
    src: &Source,
    own: &BTreeMap<String, String>,
    project: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = project.clone();
    for (k, v) in own {
        let field = format!("labels.{k}");
        if RESERVED_LABELS.contains(&k.as_str()) || k.starts_with("app.kubernetes.io/") {
            diags.push(
                src.key_error(&field, format!("label `{k}` is set by flinkgen"))
                    .help("the selectors use it; choose another key"),
            );
            continue;
        }
        if let Err(e) = units::label_key(k) {
            diags.push(src.key_error(&field, e));
            continue;
        }
        if let Err(e) = units::label_value(v) {
            diags.push(src.error(&field, e));
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    out
}

fn logging(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Logging {
    let mut out = Logging {
        root: LogLevel::Info,
        loggers: BTreeMap::new(),
    };
    let Some(l) = &spec.logging else { return out };
    out.root = l.level.unwrap_or(LogLevel::Info);
    for (name, level) in &l.loggers {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'));
        if ok {
            out.loggers.insert(name.clone(), *level);
        } else {
            diags.push(
                src.key_error(
                    &format!("logging.loggers.{name}"),
                    format!("`{name}` is not a logger name"),
                )
                .help("use a Java package or class name, such as org.apache.kafka"),
            );
        }
    }
    out
}

/// Every value flinkgen derived from typed fields must survive the config file format of the
/// version (the legacy flink-conf.yaml cuts lines at `#`); user options are checked as read.
fn writable(src: &Source, options: &Options, version: Version, diags: &mut Diagnostics) {
    let format = version.config_format();
    for (key, value) in options {
        let Some(why) = crate::flink::config::unwritable(value, format) else {
            continue;
        };
        let field = match key.as_str() {
            "execution.checkpointing.dir" | "state.checkpoints.dir" => "checkpoints.dir",
            "execution.checkpointing.savepoint-dir" | "state.savepoints.dir" => "savepoints.dir",
            k if k.starts_with("external-resource") => "taskManager.profile",
            _ => "",
        };
        let mut d = src.error(
            field,
            format!("the value of `{key}` cannot be written: {why}"),
        );
        if field == "taskManager.profile" {
            d = d.help(
                "change the GPU discovery script or its arguments in the TaskManager profile",
            );
        } else {
            d = d.help(format!(
                "Flink {} reads {}",
                version.minor_str(),
                format.file_name()
            ));
        }
        diags.push(d);
    }
}
