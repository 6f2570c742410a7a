//! Stage 2, validate: raw specs → `model::Job`, collecting every problem with its position.

mod cluster;
mod containers;
pub mod deploy;
mod env;
mod extras;
mod image;
mod job;
mod kube;
mod lib;
pub mod literal;
mod local_state;
mod metrics;
mod names;
mod options;
mod paths;
mod pod;
pub mod profile;
mod program;
mod resources;
mod secrets;
mod sql;
pub mod state;
mod subject;
pub mod units;
mod volumes;

use std::collections::BTreeMap;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::flink::Version;
use crate::load::profile::ProfileSpec;
use crate::load::project::EnvironmentSpec;
use crate::load::scalar::Scalar;
use crate::load::spec::JobSpec;
use crate::load::spec::PullPolicy;
use crate::load::{Inputs, Source};
use crate::model::{Job, Process};
use names::{add_unique, known_names};
use profile::Component;

/// Project files as the loader read them.
pub type ProjectFiles = BTreeMap<String, Result<String, crate::load::input::InputError>>;

/// Project-wide defaults after validation.
#[derive(Clone)]
pub struct Defaults {
    pub namespace: String,
    pub version: Option<Version>,
    /// The project file names a version, valid or not (a wrong one is reported there once).
    pub version_given: bool,
    pub registry: Option<String>,
    pub java: Option<u32>,
    pub pull_policy: PullPolicy,
    pub pull_secrets: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// Project files that volumes turn into ConfigMaps, as the loader read them.
    pub files: ProjectFiles,
    /// The project's metrics, and each environment's (checked at the project file).
    pub metrics: Option<crate::load::pod::MetricsSpec>,
    pub env_metrics: BTreeMap<String, crate::load::pod::MetricsSpec>,
    /// The project's logging, and each environment's.
    pub logging: Option<crate::load::spec::LoggingSpec>,
    pub env_logging: BTreeMap<String, crate::load::spec::LoggingSpec>,
    pub jm_profile: Option<String>,
    pub tm_profile: Option<String>,
    pub mode: Option<crate::load::spec::Mode>,
    pub target: Option<crate::load::spec::Target>,
    /// The Operator release the project targets (`operatorVersion`).
    pub operator_release: &'static str,
}

/// Profiles by name, as loaded; each use resolves them for its process and overrides.
pub type Profiles = BTreeMap<String, (Source, ProfileSpec)>;

/// Every job of the loaded specs, validated; what each job spec's validation said goes to
/// `by_spec` too (by the spec's path), for the render cache.
pub fn validate(
    inputs: &Inputs,
    diags: &mut Diagnostics,
    by_spec: &mut std::collections::BTreeMap<String, Vec<crate::diag::Diagnostic>>,
) -> Vec<Job> {
    let defaults = defaults(inputs, diags);
    if !inputs.partial {
        check_unused_profiles(inputs, &defaults, diags);
    }
    let envs = &inputs.project.environments;
    check_environment_names(inputs, diags);
    // One (environment, spec) pair per rendering; without environments, one per spec.
    let env_list: Vec<Option<(&String, &EnvironmentSpec)>> = if envs.is_empty() {
        vec![None]
    } else {
        envs.iter().map(Some).collect()
    };
    let pairs =
        |specs: &'_ [(Source, JobSpec)]| -> Vec<(Option<(&String, &EnvironmentSpec)>, usize)> {
            env_list
                .iter()
                .flat_map(|e| (0..specs.len()).map(move |i| (*e, i)))
                .collect()
        };
    // Clusters first: session jobs are checked against their validated cluster.
    let mut all: Vec<Job> = Vec::new();
    // An unchanged spec's names were taken before any loaded job's; only a name clash
    // (an error, after which an incremental render starts over in full) can tell.
    let mut taken = known_names(&inputs.known);
    let cluster_pairs = pairs(&inputs.clusters);
    let validated = crate::par::map(&cluster_pairs, |(env, i)| {
        let mut d = Diagnostics::default();
        let job = one(
            inputs,
            &defaults,
            *env,
            &inputs.clusters[*i],
            &subject::Role::Cluster,
            &mut d,
        );
        (job, d)
    });
    for ((_, i), (job, d)) in cluster_pairs.iter().zip(validated) {
        diags.extend(d);
        let (src, spec) = &inputs.clusters[*i];
        add_unique(&mut all, &mut taken, job, (src, spec), diags);
    }
    let clusters = all.clone();
    let job_pairs = pairs(&inputs.jobs);
    let validated = crate::par::map(&job_pairs, |(env, i)| {
        let mut d = Diagnostics::default();
        let job = job(inputs, &defaults, &clusters, *env, &inputs.jobs[*i], &mut d);
        (job, d)
    });
    for ((_, i), (job, d)) in job_pairs.iter().zip(validated) {
        let (src, spec) = &inputs.jobs[*i];
        by_spec
            .entry(src.path.clone())
            .or_default()
            .extend(d.items().iter().cloned());
        diags.extend(d);
        add_unique(&mut all, &mut taken, job, (src, spec), diags);
    }
    all
}

/// Validates one job spec for one environment (or for none), a session job against its
/// validated cluster.
fn job(
    inputs: &Inputs,
    defaults: &Defaults,
    clusters: &[Job],
    env: Option<(&String, &EnvironmentSpec)>,
    spec: &(Source, JobSpec),
    d: &mut Diagnostics,
) -> Option<Job> {
    let role = match &spec.1.session {
        None => subject::Role::Application,
        Some(name) => {
            let env_name = env.map(|(n, _)| n.clone());
            let found = clusters
                .iter()
                .find(|c| &c.name == name && c.environment == env_name);
            match found {
                Some(c) => subject::Role::SessionJob(c),
                None => {
                    unknown_cluster(inputs, &spec.0, name, d);
                    return None;
                }
            }
        }
    };
    one(inputs, defaults, env, spec, &role, d)
}

/// Validates one spec for one environment (or for none).
fn one(
    inputs: &Inputs,
    defaults: &Defaults,
    env: Option<(&String, &EnvironmentSpec)>,
    (src, spec): &(Source, JobSpec),
    role: &subject::Role,
    d: &mut Diagnostics,
) -> Option<Job> {
    let profiles = &inputs.profiles;
    let subject = |src, spec, defaults, env| subject::Subject {
        src,
        spec,
        role,
        defaults,
        profiles,
        env,
    };
    match env {
        None => job::validate(&subject(src, spec, defaults, None), d),
        Some((env_name, env_spec)) => {
            let overlay = spec.environments.get(env_name);
            let (view, merged) = match overlay {
                Some(o) => (
                    src.overlaid(&format!("environments.{env_name}")),
                    spec.with_overlay(o),
                ),
                None => (src.clone(), spec.clone()),
            };
            let env = subject::Environment {
                name: env_name,
                project: inputs
                    .project_src
                    .as_ref()
                    .map(|ps| (ps, &env_spec.flink_config)),
                job: overlay.map(|o| &o.flink_config),
            };
            let defaults = defaults.for_environment(env_spec);
            job::validate(&subject(&view, &merged, &defaults, Some(&env)), d)
        }
    }
}

/// A session job names a cluster no spec defines. A cluster spec that exists but failed
/// validation has reported its own errors already.
fn unknown_cluster(inputs: &Inputs, src: &Source, name: &str, diags: &mut Diagnostics) {
    let names: Vec<String> = inputs
        .clusters
        .iter()
        .map(|(s, spec)| spec_name(s, spec))
        .collect();
    if names.iter().any(|n| n == name) {
        return;
    }
    let dir = inputs
        .project
        .clusters_dir
        .clone()
        .unwrap_or_else(|| "clusters".into());
    let help = match did_you_mean(name, names.iter().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`? clusters: {}", names.join(", ")),
        None if names.is_empty() => {
            format!("define the session cluster in {dir}/{name}.yaml")
        }
        None => format!(
            "clusters: {}; or define {dir}/{name}.yaml",
            names.join(", ")
        ),
    };
    diags.push(
        src.error("session", format!("there is no session cluster `{name}`"))
            .help(help),
    );
}

/// The name a spec gives itself, or its file's name.
fn spec_name(src: &Source, spec: &JobSpec) -> String {
    spec.name.clone().unwrap_or_else(|| {
        let file = src.path.rsplit('/').next().unwrap_or(&src.path);
        file.trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_string()
    })
}

/// Environment names become folder names; a job may only refine declared environments.
fn check_environment_names(inputs: &Inputs, diags: &mut Diagnostics) {
    let envs = &inputs.project.environments;
    if let Some(ps) = &inputs.project_src {
        for name in envs.keys() {
            if let Err(e) = units::dns_label(name, 63) {
                diags.push(ps.key_error(&format!("environments.{name}"), e));
            }
        }
    }
    let declared: Vec<&str> = envs.keys().map(String::as_str).collect();
    for (src, spec) in inputs.jobs.iter().chain(&inputs.clusters) {
        for name in spec.environments.keys().filter(|n| !envs.contains_key(*n)) {
            let help = match did_you_mean(name, declared.iter().copied()) {
                Some(best) => format!(
                    "did you mean `{best}`? environments: {}",
                    declared.join(", ")
                ),
                None if declared.is_empty() => "declare environments in flinkgen.yaml first".into(),
                None => format!("environments: {}", declared.join(", ")),
            };
            diags.push(
                src.key_error(
                    &format!("environments.{name}"),
                    format!("unknown environment `{name}`"),
                )
                .help(help),
            );
        }
    }
}

impl Defaults {
    /// The defaults as one environment changes them.
    fn for_environment(&self, e: &EnvironmentSpec) -> Defaults {
        let mut d = self.clone();
        if let Some(ns) = &e.namespace {
            d.namespace = ns.clone();
        }
        d.labels.extend(e.labels.clone());
        d.jm_profile = e.profiles.job_manager.clone().or(d.jm_profile);
        d.tm_profile = e.profiles.task_manager.clone().or(d.tm_profile);
        d
    }
}

/// Long because it checks each project-wide setting where it is read, one after the other.
fn defaults(inputs: &Inputs, diags: &mut Diagnostics) -> Defaults {
    let p = &inputs.project;
    let src = inputs.project_src.as_ref();
    let report = |diags: &mut Diagnostics, field: &str, msg: String| match src {
        Some(s) => diags.push(s.error(field, msg)),
        None => diags.push(Diagnostic::error(crate::load::PROJECT_FILE, msg).field(field)),
    };
    let namespace = p.namespace.clone().unwrap_or_else(|| "default".into());
    if let Err(e) = units::dns_label(&namespace, 63) {
        report(diags, "namespace", e);
    }
    let version = p.flink_version.as_ref().and_then(|v| match version(v) {
        Ok(v) => Some(v),
        Err((msg, help)) => {
            let d = match src {
                Some(s) => s.error("flinkVersion", msg),
                None => Diagnostic::error(crate::load::PROJECT_FILE, msg),
            };
            diags.push(d.help(help));
            None
        }
    });
    if let Some(r) = &p.image.registry {
        if let Err(e) = image_part(r) {
            report(diags, "image.registry", e);
        }
    }
    for (i, secret) in p.image.pull_secrets.iter().enumerate() {
        if let Err(e) = units::dns_subdomain(secret) {
            report(diags, &format!("image.pullSecrets[{i}]"), e);
        }
    }
    for (name, e) in &p.environments {
        if let Some(ns) = &e.namespace {
            if let Err(err) = units::dns_label(ns, 63) {
                report(diags, &format!("environments.{name}.namespace"), err);
            }
        }
        for (k, v) in &e.labels {
            if let Err(err) = units::label_key(k).and_then(|_| units::label_value(v)) {
                report(diags, &format!("environments.{name}.labels.{k}"), err);
            }
        }
    }
    default_profiles(inputs, diags);
    let mut labels = BTreeMap::new();
    for (k, v) in &p.labels {
        if let Err(e) = units::label_key(k).and_then(|_| units::label_value(v)) {
            report(diags, &format!("labels.{k}"), e);
        }
        labels.insert(k.clone(), v.clone());
    }
    Defaults {
        namespace,
        version,
        version_given: p.flink_version.is_some(),
        registry: p.image.registry.clone(),
        java: p.image.java,
        pull_policy: p.image.pull_policy.unwrap_or(PullPolicy::IfNotPresent),
        pull_secrets: p.image.pull_secrets.clone(),
        labels,
        files: inputs.files.clone(),
        metrics: project_metrics(src, p.metrics.as_ref(), "metrics", diags),
        env_metrics: p
            .environments
            .iter()
            .filter_map(|(name, e)| {
                let field = format!("environments.{name}.metrics");
                project_metrics(src, e.metrics.as_ref(), &field, diags).map(|m| (name.clone(), m))
            })
            .collect(),
        logging: project_logging(src, p.logging.as_ref(), None, &inputs.files, diags),
        env_logging: p
            .environments
            .iter()
            .filter_map(|(name, e)| {
                let l = project_logging(src, e.logging.as_ref(), Some(name), &inputs.files, diags);
                Some((name.clone(), l?))
            })
            .collect(),
        jm_profile: p.profiles.job_manager.clone(),
        tm_profile: p.profiles.task_manager.clone(),
        mode: p.mode,
        target: p.target,
        operator_release: operator_release(src, p.operator_version.as_ref(), diags),
    }
}

/// Settings given in layers (the project's, its environment's, the spec's with its own
/// overlay), each over the ones before, field by field.
pub fn layered<T: Clone>(layers: [Option<&T>; 3], overlay: impl Fn(&T, &T) -> T) -> Option<T> {
    layers.into_iter().flatten().fold(None, |acc, layer| {
        Some(match acc {
            Some(a) => overlay(&a, layer),
            None => layer.clone(),
        })
    })
}

/// The project's logging settings (or an environment's, `env`), checked once at the project
/// file, where a problem is (its log4j file, a logger name); a wrong one is dropped so that
/// jobs do not repeat the error at a line they do not have.
fn project_logging(
    src: Option<&Source>,
    l: Option<&crate::load::spec::LoggingSpec>,
    env: Option<&str>,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<crate::load::spec::LoggingSpec> {
    let (src, l) = (src?, l?);
    let view = match env {
        Some(name) => src.overlaid(&format!("environments.{name}")),
        None => src.clone(),
    };
    let before = diags.error_count();
    pod::logging(&view, Some(l), files, diags);
    (diags.error_count() == before).then(|| l.clone())
}

/// The Operator release the project names, one flinkgen has the CRDs of; the newest without.
fn operator_release(
    src: Option<&Source>,
    v: Option<&Scalar>,
    diags: &mut Diagnostics,
) -> &'static str {
    let newest = crate::flink::operator::newest();
    let Some(v) = v else { return newest };
    let text = v.as_text();
    let known: Vec<&str> = crate::flink::operator::RELEASES
        .iter()
        .map(|(r, _)| *r)
        .collect();
    // "1.15.0" names the same CRDs as "1.15": a patch release does not change them.
    let line = text.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    if let (Some(r), false) = (
        crate::flink::operator::release(&line),
        matches!(v, Scalar::Float(_)),
    ) {
        return r;
    }
    if let Some(src) = src {
        let d = if matches!(v, Scalar::Float(_)) {
            src.error(
                "operatorVersion",
                format!("the number {text} must be quoted"),
            )
            .help("write operatorVersion: \"1.15\" (YAML reads 1.10 as 1.1)")
        } else {
            src.error(
                "operatorVersion",
                format!("flinkgen knows no Flink Kubernetes Operator release `{text}`"),
            )
            .help(format!("use one of: {}", known.join(", ")))
        };
        diags.push(d);
    }
    newest
}

/// The project's metrics settings, checked once at the project file; a wrong one is dropped
/// so that jobs do not repeat the error.
fn project_metrics(
    src: Option<&Source>,
    m: Option<&crate::load::pod::MetricsSpec>,
    field: &str,
    diags: &mut Diagnostics,
) -> Option<crate::load::pod::MetricsSpec> {
    let (src, m) = (src?, m?);
    if m.prometheus.is_some() && metrics::metrics(src, field, m, diags).is_none() {
        return None;
    }
    Some(m.clone())
}

/// A default names a profile for every job; a typo is the project file's, reported once
/// there rather than at each job that falls back to it.
fn default_profiles(inputs: &Inputs, diags: &mut Diagnostics) {
    let p = &inputs.project;
    let src = inputs.project_src.as_ref();
    let known: Vec<&str> = inputs.profiles.keys().map(String::as_str).collect();
    let envs = p
        .environments
        .iter()
        .map(|(n, e)| (format!("environments.{n}."), &e.profiles));
    for (prefix, d) in std::iter::once((String::new(), &p.profiles)).chain(envs) {
        for (field, name) in [
            ("jobManager", &d.job_manager),
            ("taskManager", &d.task_manager),
        ] {
            let Some(name) = name else { continue };
            if inputs.profiles.contains_key(name) {
                continue;
            }
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`? profiles: {}", known.join(", ")),
                None => format!("profiles: {}", known.join(", ")),
            };
            let field = format!("{prefix}profiles.{field}");
            let msg = format!("unknown profile `{name}`");
            let d = match src {
                Some(s) => s.error(&field, msg),
                None => Diagnostic::error(crate::load::PROJECT_FILE, msg).field(field),
            };
            diags.push(d.help(help));
        }
    }
}

/// A Flink version as written; YAML turns an unquoted `1.20` into the number 1.2, so numbers
/// are refused with a hint rather than silently misread.
pub fn version(v: &Scalar) -> Result<Version, (String, String)> {
    let supported = format!("supported: {}", Version::supported_list());
    match v {
        Scalar::Text(t) => Version::parse(t).map_err(|e| (e, supported)),
        other => Err((
            format!(
                "the Flink version must be a quoted string, not the number {}",
                other.as_text()
            ),
            format!("YAML reads 1.20 as 1.2: write flinkVersion: \"1.20\"; {supported}"),
        )),
    }
}

/// Profiles no job uses are still checked, so a broken one fails before anyone adopts it.
/// A profile with JobManager-only memory fields is checked as a JobManager's, others as a
/// TaskManager's.
/// The checks across every job spec that a render in chunks makes once all are known:
/// `inputs` holds the shared inputs, and every job spec in `known`.
pub fn unused_profiles(inputs: &Inputs, diags: &mut Diagnostics) {
    let defaults = defaults(inputs, diags);
    check_unused_profiles(inputs, &defaults, diags);
}

fn check_unused_profiles(inputs: &Inputs, defaults: &Defaults, diags: &mut Diagnostics) {
    let mut used: Vec<&str> = [&defaults.jm_profile, &defaults.tm_profile]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    for e in inputs.project.environments.values() {
        used.extend(e.profiles.job_manager.as_deref());
        used.extend(e.profiles.task_manager.as_deref());
    }
    for (_, spec) in inputs.jobs.iter().chain(&inputs.clusters) {
        used.extend(spec.profiles());
    }
    for k in &inputs.known {
        used.extend(k.profiles.iter().map(String::as_str));
    }
    for (name, (src, spec)) in &inputs.profiles {
        // The file name becomes the `flinkgen/profile` label of every pod that uses it.
        if name.is_empty() || units::label_value(name).is_err() {
            diags.push(
                Diagnostic::error(&src.path, format!("the profile name `{name}` (the file name) cannot be a Kubernetes label value"))
                    .help("rename the file: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit, such as tm-small.yaml"),
            );
            continue;
        }
        if used.contains(&name.as_str()) {
            continue;
        }
        let jm_only = spec.memory.as_ref().is_some_and(|m| {
            m.heap.is_some() || m.off_heap.is_some() || m.direct_memory_limit.is_some()
        });
        let component = if jm_only {
            Component::JobManager
        } else {
            Component::TaskManager
        };
        let origin = profile::Origin {
            name,
            profile: src,
            job: None,
            version: None,
        };
        profile::resolve(component, &origin, spec, diags);
    }
}

/// Which profile one process of a job uses: the spec's (`jobManager.profile`) or the
/// project's default, and the job's overrides of single fields.
pub struct ProfileChoice<'a> {
    pub component: Component,
    /// `jobManager` or `taskManager`, for messages.
    pub field: &'a str,
    pub name: Option<&'a String>,
    pub overrides: Option<&'a ProfileSpec>,
    pub default: Option<&'a String>,
}

/// Resolves the profile of one process of a job, with the job's overrides on top.
fn process(
    src: &Source,
    choice: ProfileChoice,
    profiles: &Profiles,
    version: Option<Version>,
    diags: &mut Diagnostics,
) -> Option<Process> {
    let ProfileChoice {
        component,
        field,
        name,
        overrides,
        default,
    } = choice;
    let from_default = name.is_none();
    let Some(name) = name.or(default) else {
        let d = src.key_error(
            &format!("{field}.profile"),
            "no profile given, and the project sets no default",
        );
        diags.push(d.help(format!(
            "set {field}.profile to one of: {}",
            profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
        return None;
    };
    let Some((profile_src, spec)) = profiles.get(name) else {
        if from_default {
            // Reported at the project file by `defaults`.
            return None;
        }
        let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
        let mut d = src.error(
            &format!("{field}.profile"),
            format!("unknown profile `{name}`"),
        );
        d = d.help(match did_you_mean(name, known.iter().copied()) {
            Some(best) => format!("did you mean `{best}`? profiles: {}", known.join(", ")),
            None if known.is_empty() => "there are no profiles; add profiles/<name>.yaml".into(),
            None => format!("profiles: {}", known.join(", ")),
        });
        diags.push(d);
        return None;
    };
    let merged = match overrides {
        Some(o) => spec.overlay(o),
        None => spec.clone(),
    };
    let origin = profile::Origin {
        name,
        profile: profile_src,
        job: overrides.map(|_| (src, format!("{field}.overrides"))),
        version,
    };
    profile::resolve(component, &origin, &merged, diags)
}

/// One `/`-separated part of an image reference: registry host, path or repository.
fn image_part(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.split('/').all(|seg| {
            !seg.is_empty()
                && seg.chars().all(|c| {
                    c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || matches!(c, '.' | '-' | '_' | ':')
                })
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not an image repository: use lowercase letters, digits, `.`, `-`, `_`, separated by `/`"
        ))
    }
}
