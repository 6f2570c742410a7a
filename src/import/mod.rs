//! `flinkgen import`: Kubernetes YAML of existing Flink deployments (the Operator's resources,
//! plain manifests) into the project files that reproduce them. Nothing is overwritten and no
//! secret value is copied; whatever the input does that a spec cannot say is a warning that
//! names the input file and line.

mod attach;
mod bitnami;
mod config;
mod draft;
mod logging;
mod objects;
mod operator;
mod plain;
mod pod;
mod units;

use std::path::Path;

use crate::diag::{Diagnostic, Diagnostics};
use crate::flink::Version;
use crate::load::profile::MemorySpec;
use crate::load::project::ProjectSpec;
use crate::load::tree::Tree;
use crate::validate::profile::{memory_options, Component};

pub use objects::Input;

use draft::{Draft, Kind, Role};

/// What an import writes and says.
pub struct Imported {
    /// Project-relative paths and their texts, in the order written.
    pub files: Vec<(String, String)>,
    pub warnings: Vec<Diagnostic>,
    /// One line per imported deployment: what it became and where it came from.
    pub summary: Vec<String>,
}

/// Reads the inputs and builds the project files; writes nothing. Long because it is the
/// import from end to end: read, convert, report what was left, check names, lay out files.
pub fn plan(root: &Path, name: Option<&str>, inputs: &[Input]) -> Result<Imported, Diagnostics> {
    let mut diags = Diagnostics::default();
    let objs = objects::read(inputs, &mut diags);
    let project_text = std::fs::read_to_string(root.join("flinkgen.yaml")).ok();
    let project: Option<ProjectSpec> = project_text
        .as_deref()
        .and_then(|t| crate::load::yaml::from_str(t).ok());
    let default_version = project
        .as_ref()
        .and_then(|p| p.flink_version.as_ref())
        .and_then(|v| Version::parse(&v.as_text()).ok());
    let mut used = vec![false; objs.len()];
    let mut drafts = operator_drafts(&objs, name, default_version, &mut used, &mut diags);
    drafts.extend(plain::clusters(
        &objs,
        name.filter(|_| drafts.is_empty()),
        default_version,
        &mut used,
        &mut diags,
    ));
    let mut warnings = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        if used[i] {
            continue;
        }
        let why = match o.kind.as_str() {
            "Secret" => "a Secret is never copied into the project: keep it where it is (the imported specs name it)".to_string(),
            "Namespace" => "namespaces are not flinkgen's to write".to_string(),
            _ => format!("{} is not part of any Flink deployment found in the input; not imported", o.shown()),
        };
        warnings.push(o.warning("", why));
    }
    if drafts.is_empty() {
        let files: Vec<&str> = inputs.iter().map(|i| i.path.as_str()).collect();
        if !diags.has_errors() {
            diags.push(
                Diagnostic::error(files.join(", "), "no Flink deployment found: nothing was imported")
                    .help("import reads FlinkDeployment and FlinkSessionJob resources, and JobManager / TaskManager workloads (Deployment, StatefulSet, Job) that run the Flink image's jobmanager, standalone-job or taskmanager command"),
            );
        }
        return Err(diags);
    }
    if let Some(n) = name {
        let named = drafts
            .iter()
            .filter(|d| !matches!(d.kind, Kind::SessionJob(_)))
            .count();
        if named > 1 {
            diags.push(
                Diagnostic::general(format!(
                    "--name {n} names one deployment, but the input holds {named}"
                ))
                .help("import them without --name (each keeps its own name), or one at a time"),
            );
            return Err(diags);
        }
    }
    let dirs = Dirs::of(project.as_ref());
    let mut files = Vec::new();
    let mut summary = Vec::new();
    for mut d in drafts {
        check_memory(&mut d);
        filesystem_plugins(&mut d);
        plugins_need_a_build(&mut d);
        summary.push(describe(&d, &dirs));
        files.extend(write(&d, &dirs));
        warnings.append(&mut d.warnings);
    }
    if project_text.is_none() {
        files.insert(0, ("flinkgen.yaml".to_string(), project_file()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (path, _) in &files {
        if !seen.insert(path.clone()) {
            diags.push(
                Diagnostic::error(
                    path.clone(),
                    "two imported deployments would both be written here",
                )
                .help("import them one at a time with --name"),
            );
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    warnings.extend(diags.into_sorted());
    Ok(Imported {
        files,
        warnings,
        summary,
    })
}

/// Writes the files, none of which may exist yet: every clash is reported before anything is
/// written.
pub fn write_files(root: &Path, imported: &Imported) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    for (path, _) in &imported.files {
        if std::fs::symlink_metadata(root.join(path)).is_ok() {
            diags.push(
                Diagnostic::error(path.clone(), "the file exists; import never overwrites")
                    .help("move it away, or import under another name with --name"),
            );
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    for (path, text) in &imported.files {
        let full = root.join(path);
        let result = full
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&full)?;
                f.write_all(text.as_bytes())
            });
        if let Err(e) = result {
            diags.push(Diagnostic::error(
                path.clone(),
                format!("cannot write: {e}"),
            ));
            return Err(diags);
        }
    }
    Ok(())
}

fn operator_drafts(
    objs: &[objects::Obj],
    name: Option<&str>,
    default_version: Option<Version>,
    used: &mut [bool],
    diags: &mut Diagnostics,
) -> Vec<Draft> {
    let mut drafts = Vec::new();
    let deployments: Vec<usize> = (0..objs.len())
        .filter(|i| {
            objs[*i].is("FlinkDeployment") && objs[*i].api_version.starts_with("flink.apache.org/")
        })
        .collect();
    let renamed = |n: &str| -> String {
        match name {
            Some(x) if deployments.len() == 1 => x.to_string(),
            _ => n.to_string(),
        }
    };
    let mut versions = std::collections::BTreeMap::new();
    for &i in &deployments {
        let o = &objs[i];
        used[i] = true;
        let Some(v) = operator::version(o, diags) else {
            continue;
        };
        versions.insert(o.name.clone(), (renamed(&o.name), v));
        drafts.push(operator::deployment(o, &renamed(&o.name), v));
    }
    for (i, o) in objs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is("FlinkSessionJob") && o.api_version.starts_with("flink.apache.org/"))
    {
        used[i] = true;
        let Some(cluster) = o.text(&["spec", "deploymentName"]) else {
            diags.push(o.error(
                "spec.deploymentName",
                "the FlinkSessionJob names no session cluster (deploymentName)",
            ));
            continue;
        };
        let (cluster, version) = match versions.get(&cluster) {
            Some((n, v)) => (n.clone(), *v),
            None => match default_version {
                Some(v) => (cluster, v),
                None => {
                    diags.push(o.error("spec.deploymentName", format!("the session cluster {cluster} is not in the input, so its Flink version is unknown")).help("import it together with its FlinkDeployment, or set flinkVersion in flinkgen.yaml and import its clusters/ file first"));
                    continue;
                }
            },
        };
        drafts.push(operator::session_job(o, &cluster, version));
    }
    drafts
}

/// The project's folders, as its flinkgen.yaml sets them.
struct Dirs {
    jobs: String,
    clusters: String,
    profiles: String,
}

impl Dirs {
    fn of(p: Option<&ProjectSpec>) -> Dirs {
        let get = |f: fn(&ProjectSpec) -> Option<&String>, d: &str| {
            p.and_then(f).cloned().unwrap_or_else(|| d.to_string())
        };
        Dirs {
            jobs: get(|p| p.jobs_dir.as_ref(), "jobs"),
            clusters: get(|p| p.clusters_dir.as_ref(), "clusters"),
            profiles: get(|p| p.profiles_dir.as_ref(), "profiles"),
        }
    }
}

fn describe(d: &Draft, dirs: &Dirs) -> String {
    match &d.kind {
        Kind::Application => format!(
            "{}/{}.yaml: application {} (from {})",
            dirs.jobs, d.name, d.name, d.origin
        ),
        Kind::Cluster => format!(
            "{}/{}.yaml: session cluster {} (from {})",
            dirs.clusters, d.name, d.name, d.origin
        ),
        Kind::SessionJob(c) => format!(
            "{}/{}.yaml: job {} on the session cluster {c} (from {})",
            dirs.jobs, d.name, d.name, d.origin
        ),
    }
}

/// Spec fields in the order a reader looks for them.
const ORDER: &[&str] = &[
    "target",
    "mode",
    "session",
    "flinkVersion",
    "namespace",
    "image",
    "jar",
    "entryClass",
    "python",
    "sql",
    "args",
    "parallelism",
    "upgradeMode",
    "jobManager",
    "taskManager",
    "stateBackend",
    "checkpoints",
    "savepoints",
    "ha",
    "plugins",
    "flinkConfig",
    "flinkConfigFromSecrets",
    "logging",
    "metrics",
    "serviceAccount",
    "env",
    "envFrom",
    "volumes",
    "podAnnotations",
    "priorityClassName",
    "terminationGracePeriodSeconds",
    "sidecars",
    "initContainers",
    "rest",
    "ingress",
    "networkPolicy",
    "podDisruptionBudget",
    "operator",
];

fn ordered(spec: &Tree) -> Tree {
    let mut entries = spec.entries().to_vec();
    entries.sort_by_key(|(k, _)| {
        ORDER
            .iter()
            .position(|o| Some(*o) == k.as_str())
            .unwrap_or(ORDER.len())
    });
    Tree::Map(entries)
}

fn yaml(header: &str, schema: &str, tree: &Tree) -> String {
    let body = crate::load::yaml::to_block(tree).unwrap_or_default();
    format!("# yaml-language-server: $schema={schema}\n# {header}\n{body}")
}

fn write(d: &Draft, dirs: &Dirs) -> Vec<(String, String)> {
    let mut spec = d.spec.clone();
    let mut out = Vec::new();
    let header = format!("Imported by `flinkgen import` from {}.", d.origin);
    if !matches!(d.kind, Kind::SessionJob(_)) {
        for role in [Role::JobManager, Role::TaskManager] {
            let profile = match role {
                Role::JobManager => &d.jm,
                Role::TaskManager => &d.tm,
            };
            let name = format!("{}-{}", d.name, role.suffix());
            let mut p = Tree::Map(vec![(
                Tree::Text("description".into()),
                Tree::Text(format!(
                    "{} of {}, imported from {}.",
                    role_title(role),
                    d.name,
                    d.origin
                )),
            )]);
            for (k, v) in profile.entries() {
                p.set(k.as_str().unwrap_or_default(), v.clone());
            }
            out.push((
                format!("{}/{name}.yaml", dirs.profiles),
                yaml(&header, &schema_path(&dirs.profiles, "profile"), &p),
            ));
            draft::put(&mut spec, &[role.field(), "profile"], Tree::Text(name));
        }
    }
    let (dir, schema) = match d.kind {
        Kind::Cluster => (&dirs.clusters, "cluster"),
        _ => (&dirs.jobs, "job"),
    };
    out.insert(
        0,
        (
            format!("{dir}/{}.yaml", d.name),
            yaml(&header, &schema_path(dir, schema), &ordered(&spec)),
        ),
    );
    out.extend(d.files.iter().cloned());
    out
}

fn schema_path(dir: &str, schema: &str) -> String {
    let depth = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .count();
    format!("{}schema/{schema}.schema.json", "../".repeat(depth))
}

fn role_title(role: Role) -> &'static str {
    match role {
        Role::JobManager => "JobManager",
        Role::TaskManager => "TaskManager",
    }
}

/// A new project's settings: only where built images go, since every imported spec names its
/// own version, namespace and profiles.
fn project_file() -> String {
    "# yaml-language-server: $schema=schema/project.schema.json\n# Created by `flinkgen import`; every imported spec names its own version, namespace and profiles.\nimage:\n  # Where images flinkgen builds are pushed: <registry>/<job name>:<image.tag>.\n  registry: registry.example.com/flink\n".to_string()
}

/// A location on a filesystem Flink reads through a plugin (`s3://`) needs that plugin; an
/// input whose image enables it some other way (a `plugins/` folder built in) says nothing
/// about it, so the likeliest plugin is added and the user asked to check.
fn filesystem_plugins(d: &mut Draft) {
    let paths = [
        &["checkpoints", "dir"][..],
        &["savepoints", "dir"],
        &["savepoints", "restoreFrom"],
        &["ha", "storageDir"],
    ];
    for path in paths {
        let Some(uri) = d.spec.at(path).and_then(Tree::scalar_text) else {
            continue;
        };
        let Some((scheme, _)) = uri.split_once("://") else {
            continue;
        };
        let Some(plugins) = crate::flink::plugins_for_scheme(scheme) else {
            continue;
        };
        let listed = d.spec.list("plugins");
        if plugins
            .iter()
            .any(|p| listed.iter().any(|l| l.as_str() == Some(p)))
        {
            continue;
        }
        d.add(&["plugins"], plugins[0]);
        d.warnings.push(
            Diagnostic::warning(&d.origin, format!("`{}` is on {scheme}://, and the input enables no plugin for it (its image may carry one in plugins/); imported with the plugin {}: check it is the one the cluster used", path.join("."), plugins[0]))
                .field(format!("{}: plugins", d.name)),
        );
    }
}

/// The official images keep optional plugins in `opt/`; their entrypoint copies them into
/// `plugins/` when `ENABLE_BUILT_IN_PLUGINS` says so, which a read-only root filesystem does
/// not allow. flinkgen builds them into an image instead, so an official image run as it is
/// becomes the base of one.
fn plugins_need_a_build(d: &mut Draft) {
    if d.spec.get("plugins").is_none_or(|p| p.items().is_empty()) {
        return;
    }
    let Some(image) = d.spec.at(&["image", "ref"]).and_then(Tree::scalar_text) else {
        return;
    };
    let repo = image.split(['@', ':']).next().unwrap_or("");
    let official = matches!(
        repo,
        "flink"
            | "apache/flink"
            | "docker.io/library/flink"
            | "docker.io/apache/flink"
            | "library/flink"
    );
    if !official {
        return;
    }
    let image_tree = d.spec.child("image");
    if let Tree::Map(entries) = image_tree {
        entries.retain(|(k, _)| k.as_str() != Some("ref"));
    }
    image_tree.set("base", Tree::Text(image.clone()));
    image_tree.set("tag", Tree::Text("1.0.0".into()));
    d.warnings.push(
        Diagnostic::warning(&d.origin, format!("the cluster runs the official image {image} with plugins, which flinkgen does not enable at start-up: it builds an image FROM it with the plugins in plugins/ (a generated Dockerfile): push it and set image.tag"))
            .field(format!("{}: image", d.name)),
    );
}

/// Flink's own memory model on the input's settings: a process Flink would refuse to start is
/// said at import, at the line that configured it.
fn check_memory(d: &mut Draft) {
    for role in [Role::JobManager, Role::TaskManager] {
        let mine: Vec<&(Role, &str, String, usize)> =
            d.memory.iter().filter(|m| m.0 == role).collect();
        if mine.is_empty() {
            continue;
        }
        let profile = match role {
            Role::JobManager => &d.jm,
            Role::TaskManager => &d.tm,
        };
        // The profile as render reads it, through render's own builder of the model's inputs.
        // (A profile render could not read is refused by the render that follows the import.)
        let Some(spec) = profile
            .get("memory")
            .and_then(|m| serde_json::to_value(m).ok())
            .and_then(|v| serde_json::from_value::<MemorySpec>(v).ok())
        else {
            continue;
        };
        let component = match role {
            Role::JobManager => Component::JobManager,
            Role::TaskManager => Component::TaskManager,
        };
        let configured = memory_options(component, &spec, Some(d.version), &mut |_, _| {});
        let result = crate::validate::profile::derive(&configured);
        if let Err(e) = result {
            let (_, field, text, line) = mine[0];
            let msg = format!(
                "Flink would refuse the {}'s memory settings (memory.{field}: {text} and the others): {}{}",
                role_title(role),
                e.message,
                e.detail.map(|x| format!(" ({x})")).unwrap_or_default()
            );
            let mut w = Diagnostic::warning(&d.origin, msg).at(Some(crate::diag::Pos {
                line: *line,
                col: 1,
            }));
            w.help = Some(format!("the imported profile {}-{} keeps them; `flinkgen render` refuses it until they add up", d.name, role.suffix()));
            d.warnings.push(w);
        }
    }
}
