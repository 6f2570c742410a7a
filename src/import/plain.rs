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
use super::{logging, pod, units};

/// What a workload runs, from its Flink container's arguments (the image's entrypoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runs {
    Session,
    Application,
    TaskManager,
}

struct Workload<'a> {
    obj: &'a Obj,
    runs: Runs,
    config_map: Option<String>,
    labels: Vec<(String, String)>,
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "Job"];

const POD: &[&str] = &["spec", "template", "spec"];

fn workload<'a>(obj: &'a Obj, config_maps: &[&Obj]) -> Option<Workload<'a>> {
    if !WORKLOADS.iter().any(|k| obj.is(k)) {
        return None;
    }
    let pod = obj.at(&["spec", "template", "spec"])?;
    let runs = pod
        .get("containers")
        .map(Tree::items)
        .unwrap_or(&[])
        .iter()
        .find_map(|c| {
            let words: Vec<String> = ["command", "args"]
                .iter()
                .flat_map(|k| {
                    c.get(k)
                        .map(Tree::items)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(Tree::scalar_text)
                })
                .collect();
            words
                .iter()
                .find_map(|w| match w.rsplit('/').next().unwrap_or(w) {
                    "jobmanager" | "jobmanager.sh" => Some(Runs::Session),
                    "standalone-job" | "standalone-job.sh" => Some(Runs::Application),
                    "taskmanager" | "taskmanager.sh" => Some(Runs::TaskManager),
                    _ => None,
                })
        })?;
    let mounted: Vec<String> = pod
        .get("volumes")
        .map(Tree::items)
        .unwrap_or(&[])
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

fn is_flink_config(obj: &Obj) -> bool {
    obj.is("ConfigMap")
        && (obj.at(&["data", "flink-conf.yaml"]).is_some()
            || obj.at(&["data", "config.yaml"]).is_some())
}

/// Whether a selector (`matchLabels` or a Service's plain map) picks pods with these labels.
fn selects(selector: Option<&Tree>, labels: &[(String, String)]) -> bool {
    let Some(sel) = selector else {
        return false;
    };
    let sel = sel.get("matchLabels").unwrap_or(sel);
    let wanted: Vec<(String, String)> = sel
        .entries()
        .iter()
        .filter_map(|(k, v)| Some((k.scalar_text()?, v.scalar_text()?)))
        .collect();
    !wanted.is_empty() && wanted.iter().all(|w| labels.contains(w))
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
        let kind = if jm.runs == Runs::Application {
            Kind::Application
        } else {
            Kind::Cluster
        };
        let mut d = Draft::new(kind.clone(), &base, &jm.obj.file, version);
        d.put(&["target"], Tree::Text("manifests".into()));
        d.put(&["mode"], Tree::Text("standalone".into()));
        d.put(&["flinkVersion"], Tree::Text(version.minor_str()));
        if let Some(ns) = &jm.obj.namespace {
            d.put(&["namespace"], Tree::Text(ns.clone()));
        }
        let cm_names: Vec<String> = jm.config_map.iter().cloned().collect();
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
        let jm_main = role_pod(jm.obj, Role::JobManager, &cm_names, &mut d);
        arguments(jm.obj, &jm_main, &mut d);
        if let Some(tm) = tm {
            if let Some(r) = tm.obj.at(&["spec", "replicas"]) {
                d.put(&["taskManager", "replicas"], r.clone());
            }
            let tm_main = role_pod(tm.obj, Role::TaskManager, &cm_names, &mut d);
            if tm_main.image.is_some() && tm_main.image != jm_main.image {
                d.warn(tm.obj.warning(&format!("{}.image", tm_main.field), "the TaskManagers run another image than the JobManager; flinkgen runs one image for both: the JobManager's"));
            }
            tm_flags(tm.obj, &tm_main, &mut d);
        } else if kind == Kind::Cluster || jm.runs == Runs::Application {
            d.warn(jm.obj.warning("metadata.name", "no TaskManager workload of this cluster is in the input; flinkgen writes one TaskManager"));
        }
        image(jm.obj, &jm_main, &mut d);
        attach(objs, used, jm, tm, &mut d);
        drafts.push(d);
    }
    drafts
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
fn role_pod(obj: &Obj, role: Role, config_maps: &[String], d: &mut Draft) -> pod::Main {
    let place = pod::Place {
        obj,
        path: POD.to_vec(),
        role: Some(role),
        main: None,
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

/// Services, Ingress, account, monitor, policy and budget of a cluster, found by the pods
/// they select or the Services they name. Long because each kind joins in its own way.
fn attach(objs: &[Obj], used: &mut [bool], jm: &Workload, tm: Option<&Workload>, d: &mut Draft) {
    let tm_labels: &[(String, String)] = tm.map_or(&[], |t| &t.labels);
    let mut services = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        if used[i] {
            continue;
        }
        let sel = o.at(&["spec", "selector"]);
        let jm_pods = selects(sel, &jm.labels);
        let tm_pods = selects(sel, tm_labels);
        match o.kind.as_str() {
            "Service" if jm_pods || tm_pods => {
                used[i] = true;
                services.push(o.name.clone());
                let ty = o
                    .text(&["spec", "type"])
                    .unwrap_or_else(|| "ClusterIP".into());
                let ports: Vec<&Tree> = o
                    .at(&["spec", "ports"])
                    .map(Tree::items)
                    .unwrap_or(&[])
                    .iter()
                    .collect();
                let rest = ports
                    .iter()
                    .find(|p| p.get("port").and_then(Tree::scalar_text).as_deref() == Some("8081"));
                if jm_pods && ty != "ClusterIP" {
                    if let Some(p) = rest {
                        d.put(&["rest", "type"], Tree::Text(ty.clone()));
                        if let Some(np) = p.get("nodePort") {
                            d.put(&["rest", "nodePort"], np.clone());
                        }
                        if let Some(a) = o.at(&["metadata", "annotations"]) {
                            d.put(&["rest", "annotations"], a.clone());
                        }
                        continue;
                    }
                }
                if tm_pods && ty != "ClusterIP" {
                    d.warn(o.warning("spec.type", format!("the {ty} Service {} exposes TaskManager ports (queryable state); flinkgen writes no such Service: add it through `resources` if something still uses it", o.name)));
                } else if !jm_pods && o.text(&["spec", "clusterIP"]).as_deref() != Some("None") {
                    d.warn(o.warning("metadata.name", format!("the Service {} selects the TaskManagers; flinkgen writes no such Service: add it through `resources` if something uses it", o.name)));
                }
            }
            "PodDisruptionBudget" if tm_pods => {
                used[i] = true;
                for k in ["maxUnavailable", "minAvailable"] {
                    if let Some(v) = o.at(&["spec", k]) {
                        d.put(&["podDisruptionBudget", k], v.clone());
                    }
                }
            }
            "NetworkPolicy"
                if selects(o.at(&["spec", "podSelector"]), &jm.labels)
                    || selects(o.at(&["spec", "podSelector"]), tm_labels) =>
            {
                used[i] = true;
                d.spec.child("networkPolicy");
                d.warn(o.warning("spec", format!("the NetworkPolicy {} is replaced by flinkgen's (the cluster's own pods, the REST port from `networkPolicy.restFrom`, the metrics port from `metrics.prometheus.from`): move its peers there", o.name)));
            }
            "PodMonitor"
                if selects(o.at(&["spec", "selector"]), &jm.labels)
                    || selects(o.at(&["spec", "selector"]), tm_labels) =>
            {
                used[i] = true;
                let prom = d.spec.child("metrics").child("prometheus");
                prom.set("podMonitor", Tree::Bool(true));
                if let Some(ep) = o
                    .at(&["spec", "podMetricsEndpoints"])
                    .and_then(|e| e.items().first())
                {
                    for k in ["interval", "scrapeTimeout"] {
                        if let Some(v) = ep.get(k) {
                            prom.set(k, v.clone());
                        }
                    }
                }
                if let Some(l) = o.at(&["metadata", "labels"]) {
                    prom.set("labels", l.clone());
                }
            }
            "HorizontalPodAutoscaler"
                if tm.is_some_and(|t| {
                    o.text(&["spec", "scaleTargetRef", "name"]).as_deref()
                        == Some(t.obj.name.as_str())
                }) =>
            {
                used[i] = true;
                d.warn(o.warning("spec", "the TaskManagers' HorizontalPodAutoscaler is imported only with reactive mode (`scheduler-mode: reactive`): see taskManager.autoscaler"));
                if let (Some(min), Some(max)) = (
                    o.at(&["spec", "minReplicas"]),
                    o.at(&["spec", "maxReplicas"]),
                ) {
                    d.put(&["taskManager", "autoscaler", "minReplicas"], min.clone());
                    d.put(&["taskManager", "autoscaler", "maxReplicas"], max.clone());
                }
            }
            _ => {}
        }
    }
    let account = d
        .spec
        .at(&["serviceAccount", "name"])
        .and_then(Tree::scalar_text);
    for (i, o) in objs.iter().enumerate() {
        if used[i] {
            continue;
        }
        match o.kind.as_str() {
            "Ingress" => {
                let backends: Vec<String> = o
                    .at(&["spec", "rules"])
                    .map(Tree::items)
                    .unwrap_or(&[])
                    .iter()
                    .flat_map(|r| {
                        r.at(&["http", "paths"])
                            .map(Tree::items)
                            .unwrap_or(&[])
                            .iter()
                    })
                    .filter_map(|p| {
                        p.at(&["backend", "service", "name"])
                            .and_then(Tree::scalar_text)
                    })
                    .collect();
                if !backends.iter().any(|b| services.contains(b)) {
                    continue;
                }
                used[i] = true;
                if let Some(rule) = o.at(&["spec", "rules"]).and_then(|r| r.items().first()) {
                    if let Some(h) = rule.get("host") {
                        d.put(&["ingress", "host"], h.clone());
                    }
                    if let Some(p) = rule
                        .at(&["http", "paths"])
                        .and_then(|p| p.items().first())
                        .and_then(|p| p.get("path"))
                    {
                        d.put(&["ingress", "path"], p.clone());
                    }
                } else {
                    d.spec.child("ingress");
                }
                if let Some(c) = o.at(&["spec", "ingressClassName"]) {
                    d.put(&["ingress", "className"], c.clone());
                }
                if let Some(s) = o
                    .at(&["spec", "tls"])
                    .and_then(|t| t.items().first())
                    .and_then(|t| t.get("secretName"))
                {
                    d.put(&["ingress", "tlsSecret"], s.clone());
                }
                if let Some(a) = o.at(&["metadata", "annotations"]) {
                    d.put(&["ingress", "annotations"], a.clone());
                }
            }
            "ServiceAccount" if account.as_deref() == Some(o.name.as_str()) => {
                used[i] = true;
                d.put(&["serviceAccount", "create"], Tree::Bool(true));
                if let Some(a) = o.at(&["metadata", "annotations"]) {
                    d.put(&["serviceAccount", "annotations"], a.clone());
                }
            }
            "RoleBinding" => {
                let binds = o
                    .at(&["subjects"])
                    .map(Tree::items)
                    .unwrap_or(&[])
                    .iter()
                    .any(|s| {
                        s.get("kind").and_then(Tree::as_str) == Some("ServiceAccount")
                            && s.get("name").and_then(Tree::scalar_text) == account
                    });
                if !binds {
                    continue;
                }
                used[i] = true;
                let role = o.text(&["roleRef", "name"]).unwrap_or_default();
                if let Some(r) = objs.iter().position(|x| x.is("Role") && x.name == role) {
                    used[r] = true;
                }
                d.warn(o.warning("roleRef", format!("the RoleBinding {} (Role {role}) is replaced by the least RBAC flinkgen writes for what the cluster does (HA, native mode): check the account needs nothing else", o.name)));
            }
            _ => {}
        }
    }
}
