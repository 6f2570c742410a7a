//! Plain manifests of standalone clusters (the Flink docs' YAML, `helm template`, `kustomize
//! build`): workloads are grouped into clusters by the Flink configuration they mount (else by
//! their `app` label), then Services, Ingresses, accounts, monitors, policies and budgets join
//! the cluster whose pods they select.

use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::tree::Tree;

use super::config::{self, At, FlinkOption};
use super::draft::{Draft, Kind, Role};
use super::objects::Obj;
use super::{attach, bitnami, logging, pod, units};

/// What a workload runs, from its Flink container's arguments (the image's entrypoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runs {
    Session,
    Application,
    TaskManager,
    /// A native JobManager (`kubernetes-jobmanager.sh`, as Flink's KubernetesJobManagerFactory
    /// starts it): it creates its TaskManager pods from the pod template.
    NativeSession,
    NativeApplication,
}

pub(super) struct Workload<'a> {
    pub(super) obj: &'a Obj,
    runs: Runs,
    config_map: Option<String>,
    pub(super) labels: Vec<(String, String)>,
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "Job"];

const POD: &[&str] = &["spec", "template", "spec"];

fn workload<'a>(obj: &'a Obj, config_maps: &[&Obj]) -> Option<Workload<'a>> {
    if !WORKLOADS.iter().any(|k| obj.is(k)) {
        return None;
    }
    let pod = obj.at(&["spec", "template", "spec"])?;
    let runs = pod.list("containers").iter().find_map(|c| {
        bitnami_mode(c).or_else(|| {
            let words: Vec<String> = ["command", "args"]
                .iter()
                .flat_map(|k| c.list(k).iter().filter_map(Tree::scalar_text))
                .collect();
            // A native JobManager starts through `bash -c "<script> <target>"`: one word.
            let words: Vec<&str> = words.iter().flat_map(|w| w.split_whitespace()).collect();
            let native = |target: &str| words.contains(&target);
            words
                .iter()
                .find_map(|w| match w.rsplit('/').next().unwrap_or(w) {
                    "jobmanager" | "jobmanager.sh" => Some(Runs::Session),
                    "standalone-job" | "standalone-job.sh" => Some(Runs::Application),
                    "taskmanager" | "taskmanager.sh" => Some(Runs::TaskManager),
                    "kubernetes-jobmanager.sh" if native("kubernetes-application") => {
                        Some(Runs::NativeApplication)
                    }
                    "kubernetes-jobmanager.sh" => Some(Runs::NativeSession),
                    _ => None,
                })
        })
    })?;
    let mounted: Vec<String> = pod
        .list("volumes")
        .iter()
        .filter_map(|v| v.at(&["configMap", "name"]).and_then(Tree::scalar_text))
        .collect();
    let config_map = config_maps
        .iter()
        .map(|c| c.name.clone())
        .find(|n| mounted.contains(n));
    let labels = obj
        .at(&["spec", "template", "metadata", "labels"])
        .map(Tree::entries)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.scalar_text()?, v.scalar_text()?)))
        .collect();
    Some(Workload {
        obj,
        runs,
        config_map,
        labels,
    })
}

/// What a container of Bitnami's image runs: its run.sh starts the process `FLINK_MODE`
/// names, `jobmanager` when unset (flink-env.sh).
fn bitnami_mode(c: &Tree) -> Option<Runs> {
    let image = c.get("image").and_then(Tree::scalar_text)?;
    if !bitnami::image(&image) {
        return None;
    }
    let mode = c
        .list("env")
        .iter()
        .find(|e| e.get("name").and_then(Tree::as_str) == Some("FLINK_MODE"))
        .and_then(|e| e.get("value").and_then(Tree::scalar_text));
    match mode.as_deref().unwrap_or("jobmanager") {
        "jobmanager" => Some(Runs::Session),
        "standalone-job" => Some(Runs::Application),
        "taskmanager" => Some(Runs::TaskManager),
        _ => None,
    }
}

fn is_flink_config(obj: &Obj) -> bool {
    obj.is("ConfigMap")
        && (obj.at(&["data", "flink-conf.yaml"]).is_some()
            || obj.at(&["data", "config.yaml"]).is_some())
}

/// Each cluster of the input as a draft; `used` marks the objects a draft took.
/// Long because a cluster is assembled from up to a dozen kinds of object, each joined here.
pub fn clusters(
    objs: &[Obj],
    name: Option<&str>,
    default_version: Option<Version>,
    used: &mut [bool],
    diags: &mut Diagnostics,
) -> Vec<Draft> {
    let config_maps: Vec<&Obj> = objs.iter().filter(|o| is_flink_config(o)).collect();
    let workloads: Vec<(usize, Workload)> = objs
        .iter()
        .enumerate()
        .filter_map(|(i, o)| workload(o, &config_maps).map(|w| (i, w)))
        .collect();
    let mut drafts = Vec::new();
    let mut taken = vec![false; workloads.len()];
    for (n, (i, jm)) in workloads.iter().enumerate() {
        if jm.runs == Runs::TaskManager || taken[n] {
            continue;
        }
        taken[n] = true;
        used[*i] = true;
        let app = jm
            .labels
            .iter()
            .find(|(k, _)| k == "app" || k == "app.kubernetes.io/instance")
            .cloned();
        let same = |w: &Workload| match (&jm.config_map, &w.config_map) {
            (Some(a), Some(b)) => a == b,
            (None, None) => app.as_ref().is_some_and(|a| w.labels.contains(a)),
            _ => false,
        };
        let tms: Vec<usize> = workloads
            .iter()
            .enumerate()
            .filter(|(m, (_, w))| !taken[*m] && w.runs == Runs::TaskManager && same(w))
            .map(|(m, _)| m)
            .collect();
        if tms.len() > 1 {
            diags.push(jm.obj.error("metadata.name", format!("{} TaskManager workloads belong to this JobManager; flinkgen writes one per cluster, so this cluster is not imported", tms.len())));
            continue;
        }
        let tm = tms.first().map(|m| {
            taken[*m] = true;
            used[workloads[*m].0] = true;
            &workloads[*m].1
        });
        let base = name.map(str::to_string).unwrap_or_else(|| {
            let n = &jm.obj.name;
            n.strip_suffix("-jobmanager")
                .or(n.strip_suffix("-jm"))
                .unwrap_or(n)
                .to_string()
        });
        let image_name = pod_container(jm.obj)
            .and_then(|c| c.get("image").and_then(Tree::scalar_text))
            .unwrap_or_default();
        let Some(version) = image_version(&image_name).or(default_version) else {
            diags.push(jm.obj.error("spec.template.spec.containers", format!("cannot tell the Flink version from the image `{image_name}`")).help("add `flinkVersion: \"1.20\"` (the version the image runs) to flinkgen.yaml, then import again"));
            continue;
        };
        let kind = if matches!(jm.runs, Runs::Application | Runs::NativeApplication) {
            Kind::Application
        } else {
            Kind::Cluster
        };
        let native = matches!(jm.runs, Runs::NativeApplication | Runs::NativeSession);
        let mut d = Draft::new(kind.clone(), &base, &jm.obj.file, version);
        d.put(&["target"], Tree::Text("manifests".into()));
        let mode = if native { "native" } else { "standalone" };
        d.put(&["mode"], Tree::Text(mode.into()));
        d.put(&["flinkVersion"], Tree::Text(version.minor_str()));
        if let Some(ns) = &jm.obj.namespace {
            d.put(&["namespace"], Tree::Text(ns.clone()));
        }
        let mut cm_names: Vec<String> = jm.config_map.iter().cloned().collect();
        let template = native
            .then(|| pod_template(objs, jm.obj, used, diags))
            .flatten();
        if let Some((cm, _)) = &template {
            cm_names.push(cm.clone());
        }
        let mut options: Vec<(&Obj, String, Vec<FlinkOption>)> = Vec::new();
        if let Some(cm) = config_maps
            .iter()
            .find(|c| Some(&c.name) == jm.config_map.as_ref())
        {
            if let Some(pos) = objs.iter().position(|o| std::ptr::eq(o, *cm)) {
                used[pos] = true;
            }
            let (key, standard) = match cm.text(&["data", "config.yaml"]) {
                Some(_) => ("config.yaml", true),
                None => ("flink-conf.yaml", false),
            };
            let text = cm.text(&["data", key]).unwrap_or_default();
            let field = format!("data.{key}");
            let first = cm.line(&field) + 1;
            let opts = if standard {
                config::standard(&text, first).unwrap_or_else(|e| {
                    diags.push(cm.error(
                        &field,
                        format!("the configuration is not YAML Flink reads: {e}"),
                    ));
                    Vec::new()
                })
            } else {
                config::legacy(&text, first)
            };
            options.push((cm, field, opts));
            if let Some(log) = cm.text(&["data", "log4j-console.properties"]) {
                logging::apply(cm, "data.log4j-console.properties", &log, &mut d);
            }
        }
        let replicas = if jm.obj.is("Job") {
            jm.obj.at(&["spec", "parallelism"])
        } else {
            jm.obj.at(&["spec", "replicas"])
        };
        if let Some(r) = replicas.filter(|r| r.scalar_text().as_deref() != Some("1")) {
            d.put(&["jobManager", "replicas"], r.clone());
        }
        // Local state first: it decides which of the options flinkgen writes itself.
        if let Some(tm) = tm {
            local_state(tm.obj, &mut d);
        }
        // The config's options first: the containers' FLINK_PROPERTIES and -D flags come after
        // them in the entrypoint, and win.
        for (cm, field, opts) in &options {
            let at = At {
                obj: cm,
                field: field.clone(),
            };
            config::apply(opts, &at, &mut d);
        }
        let jm_main = role_pod(jm.obj, POD, Role::JobManager, &cm_names, &mut d);
        arguments(jm.obj, &jm_main, &mut d);
        if let Some(tm) = tm {
            if let Some(r) = tm.obj.at(&["spec", "replicas"]) {
                d.put(&["taskManager", "replicas"], r.clone());
            }
            let tm_main = role_pod(tm.obj, POD, Role::TaskManager, &cm_names, &mut d);
            if tm_main.image.is_some() && tm_main.image != jm_main.image {
                d.warn(tm.obj.warning(&format!("{}.image", tm_main.field), "the TaskManagers run another image than the JobManager; flinkgen runs one image for both: the JobManager's"));
            }
            tm_flags(tm.obj, &tm_main, &mut d);
            if tm_main.image.as_deref().is_some_and(bitnami::image)
                && d.spec.at(&["taskManager", "slots"]).is_none()
            {
                d.warn(tm.obj.warning(&tm_main.field, "without FLINK_TASK_MANAGER_NUMBER_OF_TASK_SLOTS, Bitnami's image gives each TaskManager as many slots as its node has processors (flink-env.sh); flinkgen's default is 1: set taskManager.slots to what the cluster ran"));
            }
        } else if let Some((_, Some(pod))) = &template {
            // Flink merges its own main container into the template's `flink-main-container`.
            let tm_main = role_pod(pod, &["spec"], Role::TaskManager, &cm_names, &mut d);
            if tm_main.image.is_some() && tm_main.image != jm_main.image {
                d.warn(pod.warning(&format!("{}.image", tm_main.field), "the TaskManager pod template names another image than the JobManager; flinkgen runs one image for both: the JobManager's"));
            }
        } else if native {
            d.warn(jm.obj.warning("metadata.name", "the JobManager's TaskManager pod template (ConfigMap pod-template-<cluster id>) is not in the input; flinkgen writes its own, from the profile"));
        } else if kind == Kind::Cluster || jm.runs == Runs::Application {
            d.warn(jm.obj.warning("metadata.name", "no TaskManager workload of this cluster is in the input; flinkgen writes one TaskManager"));
        }
        image(jm.obj, &jm_main, &mut d);
        attach::attach(objs, used, jm, tm, &mut d);
        drafts.push(d);
    }
    drafts
}

/// The container a native pod template's Flink settings go into (Flink's
/// `Constants.MAIN_CONTAINER_NAME`).
const NATIVE_MAIN: &str = "flink-main-container";

/// The TaskManager pod template a native JobManager mounts (Flink's
/// `KubernetesPodTemplateMountDecorator`: ConfigMap `pod-template-<cluster id>`, key
/// `taskmanager-pod-template.yaml`): the ConfigMap's name, and the template as an object of
/// the input whose lines are those of the input file.
fn pod_template(
    objs: &[Obj],
    jm: &Obj,
    used: &mut [bool],
    diags: &mut Diagnostics,
) -> Option<(String, Option<Obj>)> {
    const KEY: &str = "taskmanager-pod-template.yaml";
    let mounted: Vec<String> = jm
        .at(&["spec", "template", "spec", "volumes"])
        .map(Tree::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.at(&["configMap", "name"]).and_then(Tree::scalar_text))
        .collect();
    let (i, cm) = objs.iter().enumerate().find(|(_, o)| {
        o.is("ConfigMap") && mounted.contains(&o.name) && o.at(&["data", KEY]).is_some()
    })?;
    used[i] = true;
    let field = format!("data.{KEY}");
    let pod = cm
        .embedded(&field, "Pod")
        .map_err(|e| diags.push(cm.warning(&field, format!("the TaskManager pod template is not a Pod flinkgen can read ({e}); not imported"))))
        .ok();
    Some((cm.name.clone(), pod))
}

fn pod_container(obj: &Obj) -> Option<&Tree> {
    obj.at(&["spec", "template", "spec", "containers"])?
        .items()
        .first()
}

/// `apache/flink:1.20.0-scala_2.12-java17` → 1.20.0.
fn image_version(image: &str) -> Option<Version> {
    let tag = image.rsplit_once(':')?.1;
    let v: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    Version::parse(v.trim_end_matches('.')).ok()
}

/// A workload's pod into the draft as one process's fields, its resources into its profile.
fn role_pod(
    obj: &Obj,
    path: &[&str],
    role: Role,
    config_maps: &[String],
    d: &mut Draft,
) -> pod::Main {
    let place = pod::Place {
        obj,
        path: path.to_vec(),
        role: Some(role),
        main: Some(NATIVE_MAIN).filter(|_| obj.is("Pod")),
        config_maps,
    };
    let main = pod::apply(&place, d);
    if !main.properties.is_empty() {
        let at = At {
            obj,
            field: format!("{}.env.FLINK_PROPERTIES", main.field),
        };
        config::apply(&main.properties, &at, d);
    }
    let pick = |k: &str| {
        main.requests
            .get(k)
            .or(main.limits.get(k))
            .and_then(Tree::scalar_text)
    };
    if let Some(c) = pick("cpu") {
        if let Some(m) = units::cpu_millis(&c) {
            d.profile(role)
                .set("cpu", Tree::Text(crate::derive::quantity::k8s_cpu(m)));
        }
    }
    if let Some(m) = pick("memory") {
        let process = d
            .profile(role)
            .at(&["memory", "process"])
            .and_then(Tree::as_str)
            .and_then(units::flink_memory);
        let has_memory = d.profile(role).get("memory").is_some();
        let same = units::k8s_quantity(&m).is_some_and(|b| Some(b as u64) == process);
        let field = format!("{}.resources", main.field);
        match units::k8s_quantity(&m) {
            Some(bytes) if !has_memory => {
                d.warn(obj.warning(&field, format!("the Flink configuration sets no memory for the {}; its process size is taken from the container's {m}", role.suffix())));
                d.profile(role).child("memory").set("process", Tree::Text(crate::derive::quantity::flink_size(bytes as u64 / (1 << 20) * (1 << 20))));
            }
            _ if same => {}
            _ => d.warn(obj.warning(&field, format!("the container asks for {m} of memory; flinkgen sizes the container by Flink's process memory (the profile), request = limit unless limitFactor.memory says otherwise"))),
        }
    }
    main
}

/// The JobManager's arguments: what `standalone-job` runs, and the flags it takes.
fn arguments(obj: &Obj, main: &pod::Main, d: &mut Draft) {
    let words: Vec<String> = main.command.iter().chain(&main.args).cloned().collect();
    let Some(start) = words.iter().position(|w| {
        let w = w.rsplit('/').next().unwrap_or(w);
        matches!(
            w,
            "standalone-job" | "standalone-job.sh" | "jobmanager" | "jobmanager.sh"
        )
    }) else {
        return;
    };
    let field = format!("{}.args", main.field);
    let mut rest = words[start + 1..].iter().peekable();
    let mut program = Vec::new();
    let mut dynamic = Vec::new();
    // The options `standalone-job` takes, short and long, as Flink 1.20.4 declares them
    // (javap: StandaloneApplicationClusterConfigurationParserFactory, CommandLineOptions,
    // CliFrontendParser's SAVEPOINT_PATH_OPTION and SAVEPOINT_ALLOW_NON_RESTORED_OPTION).
    while let Some(w) = rest.next() {
        let mut value = || rest.next().cloned().unwrap_or_default();
        match w.as_str() {
            "--job-classname" | "-j" => d.put(&["entryClass"], Tree::Text(value())),
            "--fromSavepoint" | "-s" => d.put(&["savepoints", "restoreFrom"], Tree::Text(value())),
            "--allowNonRestoredState" | "-n" => {
                d.put(&["savepoints", "allowNonRestoredState"], Tree::Bool(true))
            }
            "--jars" | "-jars" => {
                let jar = value();
                let jar = if jar.contains("://") {
                    jar
                } else {
                    format!("local://{jar}")
                };
                d.put(&["jar"], Tree::Text(jar));
            }
            "--host" | "-h" | "--configDir" | "-c" => {
                value();
            }
            "--webui-port" | "-r" => {
                let port = value();
                d.warn(obj.warning(&field, format!("the REST port is set to {port} on the command line; flinkgen pins it to 8081: check clients that use the old port")));
            }
            "--job-id" | "-jid" => {
                let id = value();
                d.warn(obj.warning(&field, format!("the input pins the job id {id}; flinkgen passes no --job-id: check that nothing outside Flink refers to that id")));
            }
            "-D" => dynamic.push(value()),
            w if w.starts_with("-D") => dynamic.push(w[2..].to_string()),
            "$(POD_IP)" if program.is_empty() => {}
            _ => program.push(Tree::Text(w.clone())),
        }
    }
    if !dynamic.is_empty() {
        let first = obj.line(&field);
        let opts: Vec<FlinkOption> = dynamic
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| FlinkOption {
                key: k.to_string(),
                value: Tree::Text(v.to_string()),
                line: first,
            })
            .collect();
        let at = At {
            obj,
            field: field.clone(),
        };
        config::apply(&opts, &at, d);
    }
    let texts: Vec<String> = program.iter().filter_map(Tree::scalar_text).collect();
    if let Some(flag) = pod::secret_in_words(&texts) {
        let mut w = obj.warning(&field, format!("the program arguments carry a secret ({flag}); they are not imported: pass the value from a Secret (env with secretKeyRef, then $(VAR) in the argument)"));
        w.excerpt = None;
        d.warn(w);
    } else if !program.is_empty() {
        d.put(&["args"], Tree::List(program));
    }
}

/// TaskManager flags: `-Dtaskmanager.resource-id=$(POD_NAME)` is local recovery's, which
/// `taskManager.localState` writes itself.
fn tm_flags(obj: &Obj, main: &pod::Main, d: &mut Draft) {
    let field = format!("{}.args", main.field);
    let opts: Vec<FlinkOption> = main
        .args
        .iter()
        .filter_map(|a| a.strip_prefix("-D"))
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| {
            *k != "taskmanager.resource-id" || d.spec.at(&["taskManager", "localState"]).is_none()
        })
        .map(|(k, v)| FlinkOption {
            key: k.to_string(),
            value: Tree::Text(v.to_string()),
            line: obj.line(&field),
        })
        .collect();
    let at = At { obj, field };
    config::apply(&opts, &at, d);
}

/// A TaskManager StatefulSet's claim template is flinkgen's `localState`.
fn local_state(obj: &Obj, d: &mut Draft) {
    let Some(claim) = obj
        .at(&["spec", "volumeClaimTemplates"])
        .and_then(|t| t.items().first())
    else {
        return;
    };
    let name = claim
        .at(&["metadata", "name"])
        .and_then(Tree::scalar_text)
        .unwrap_or_default();
    let mount = pod_container(obj)
        .and_then(|c| c.get("volumeMounts"))
        .map(Tree::items)
        .unwrap_or(&[])
        .iter()
        .find(|m| m.get("name").and_then(Tree::as_str) == Some(name.as_str()))
        .and_then(|m| m.get("mountPath").and_then(Tree::scalar_text));
    if let Some(size) = claim.at(&["spec", "resources", "requests", "storage"]) {
        d.put(&["taskManager", "localState", "size"], size.clone());
    }
    if let Some(c) = claim.at(&["spec", "storageClassName"]) {
        d.put(&["taskManager", "localState", "storageClass"], c.clone());
    }
    if let Some(m) = mount {
        d.put(&["taskManager", "localState", "mountPath"], Tree::Text(m));
    }
}

/// The image: run as it is, or, when the jar comes from the node (the docs' hostPath), built
/// `FROM` it with the jar copied in.
fn image(obj: &Obj, main: &pod::Main, d: &mut Draft) {
    let Some(image) = main.image.clone() else {
        return;
    };
    if let Some(p) = &main.pull_policy {
        d.put(&["image", "pullPolicy"], Tree::Text(p.clone()));
    }
    if bitnami::image(&image) && d.kind == Kind::Cluster {
        let official = d.version.image(d.version.default_java());
        d.warn(obj.warning(&format!("{}.image", main.field), format!("`{image}` is Bitnami's image, whose scripts and layout (Flink in /opt/bitnami/flink, started from FLINK_MODE and FLINK_CFG_* variables) flinkgen's pods do not use: imported with the official image of the same release, {official}; jars and plugins the Bitnami image carried go into an image built FROM it")));
        d.image_ref(&official);
        return;
    }
    if d.kind != Kind::Application || d.spec.get("jar").is_some() {
        d.image_ref(&image);
        return;
    }
    if let Some((_, host)) = main.host_paths.first() {
        let jar = format!("jars/{}.jar", d.name);
        d.put(&["image", "base"], Tree::Text(image.clone()));
        d.put(&["image", "tag"], Tree::Text("1.0.0".into()));
        d.put(&["jar"], Tree::Text(jar.clone()));
        d.warn(obj.warning(&main.field, format!("the job jar came from the node's folder {host} (hostPath at /opt/flink/usrlib); flinkgen builds an image FROM {image} with the jar copied in: put the jar at {jar} and set image.tag")));
    } else {
        d.image_ref(&image);
        let jar = format!("local:///opt/flink/usrlib/{}.jar", d.name);
        d.put(&["jar"], Tree::Text(jar.clone()));
        d.warn(obj.warning(&main.field, format!("the input does not say which jar in the image runs (Flink scans /opt/flink/usrlib); imported as {jar}: correct the file name")));
    }
}
