//! Proves generated output is usable, not just unchanged: every manifest round-trips through
//! the Kubernetes API types without losing a field, the files of a job agree with each other,
//! the Flink configuration reads back as Flink's own parser would, and kustomize builds each
//! folder. Runs over the committed examples (`out/`) and every golden case's `expected/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, PodTemplateSpec, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use serde_json::Value;

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every folder that holds one rendered job.
fn job_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(root().join("out"))
        .into_iter()
        .chain(walkdir::WalkDir::new(root().join("tests/cases")))
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "kustomization.yaml")
        .map(|e| e.path().parent().unwrap().to_path_buf())
        .filter(|d| is_job_dir(d))
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected rendered jobs in out/ and tests/cases, found {}",
        dirs.len()
    );
    dirs
}

/// A rendered job or cluster folder, as opposed to an environment folder of job folders.
fn is_job_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        name.ends_with(".yaml") && name != "kustomization.yaml"
    })
}

/// `over` merged into `base` as the Operator merges pod templates: maps by key, arrays by position.
fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let mut m = b.clone();
            for (k, v) in o {
                let merged = match b.get(k) {
                    Some(bv) => merge(bv, v),
                    None => v.clone(),
                };
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (Value::Array(b), Value::Array(o)) => {
            let n = b.len().max(o.len());
            Value::Array(
                (0..n)
                    .map(|i| match (b.get(i), o.get(i)) {
                        (Some(x), Some(y)) => merge(x, y),
                        (Some(x), None) => x.clone(),
                        (None, Some(y)) => y.clone(),
                        (None, None) => Value::Null,
                    })
                    .collect(),
            )
        }
        (_, o) => o.clone(),
    }
}

fn yaml_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Flink's legacy `flink-conf.yaml` reading: cut at `#`, split at the first `": "`.
fn legacy_parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("legacy Flink would skip `{line}`"));
        assert!(
            !k.trim().is_empty() && !v.trim().is_empty(),
            "legacy Flink would skip `{line}`"
        );
        assert!(
            out.insert(k.trim().to_string(), v.trim().to_string())
                .is_none(),
            "duplicate `{k}`"
        );
    }
    out
}

/// `config.yaml` as YAML: no nulls (Flink fails on them), scalars only at the leaves.
fn yaml_parse(text: &str) -> BTreeMap<String, String> {
    let map: BTreeMap<String, serde_yaml::Value> = serde_yaml::from_str(text).unwrap();
    map.into_iter()
        .map(|(k, v)| {
            let s = match &v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                serde_yaml::Value::Sequence(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| serde_yaml::to_string(i).unwrap().trim().to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                other => panic!("`{k}` has the value {other:?}, which Flink cannot load"),
            };
            (k, s)
        })
        .collect()
}

fn bytes(quantity: &str) -> u64 {
    for (suffix, f) in [("Ki", 1u64 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)] {
        if let Some(n) = quantity.strip_suffix(suffix) {
            return n.parse::<u64>().unwrap() * f;
        }
    }
    quantity.parse().unwrap()
}

fn flink_bytes(size: &str) -> u64 {
    let n: u64 = size.trim_end_matches(char::is_alphabetic).parse().unwrap();
    match size.trim_start_matches(char::is_numeric) {
        "m" => n << 20,
        "b" => n,
        other => panic!("unexpected unit {other}"),
    }
}

/// One rendered folder's manifests, parsed by kind.
struct Folder {
    dir: PathBuf,
    docs: Vec<(String, Value)>,
}

impl Folder {
    fn read(dir: &Path) -> Folder {
        let mut docs = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "resources.yaml" {
                // The spec's own objects: each must survive its type where the kind is known,
                // and none joins the checks of flinkgen's objects below.
                let text = std::fs::read_to_string(&path).unwrap();
                for doc in serde_yaml::Deserializer::from_str(&text) {
                    let json: Value = serde::Deserialize::deserialize(doc).unwrap();
                    if json.is_null() {
                        continue;
                    }
                    assert!(
                        json["metadata"]["namespace"].is_string(),
                        "{}",
                        path.display()
                    );
                    match common::check_manifest(&json) {
                        Err(e) if e.starts_with("unexpected kind") => {}
                        r => r.unwrap_or_else(|e| panic!("{}: {e}", path.display())),
                    }
                }
                continue;
            }
            if name.ends_with(".yaml") && name != "kustomization.yaml" {
                let json = yaml_json(&path);
                common::check_manifest(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                docs.push((name, json));
            }
        }
        docs.sort_by(|a, b| a.0.cmp(&b.0));
        Folder {
            dir: dir.to_path_buf(),
            docs,
        }
    }
    fn of_kind<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Vec<(String, T)> {
        self.docs
            .iter()
            .filter(|(_, j)| j["kind"] == kind)
            .map(|(n, j)| (n.clone(), serde_json::from_value(j.clone()).unwrap()))
            .collect()
    }
    fn one<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Option<T> {
        let mut all = self.of_kind::<T>(kind);
        assert!(all.len() <= 1, "{}: one {kind}", self.dir.display());
        all.pop().map(|(_, t)| t)
    }
    /// Every pod template: Jobs, Deployments, and native TaskManager pod templates.
    fn pods(&self) -> Vec<(String, PodTemplateSpec, bool)> {
        let mut pods = Vec::new();
        for (n, j) in self.of_kind::<Job>("Job") {
            pods.push((n, j.spec.unwrap().template, true));
        }
        for (n, d) in self.of_kind::<Deployment>("Deployment") {
            pods.push((n, d.spec.unwrap().template, true));
        }
        for (n, d) in self.of_kind::<StatefulSet>("StatefulSet") {
            pods.push((n, d.spec.unwrap().template, true));
        }
        // The Operator merges the shared pod template into each process's own.
        for (n, fd) in self
            .docs
            .iter()
            .filter(|(_, j)| j["kind"] == "FlinkDeployment")
        {
            for process in ["jobManager", "taskManager"] {
                let mut pod = merge(
                    &fd["spec"]["podTemplate"],
                    &fd["spec"][process]["podTemplate"],
                );
                // As the Operator does, the pods run as the resource's account.
                pod["spec"]["serviceAccountName"] = fd["spec"]["serviceAccount"].clone();
                let t: PodTemplateSpec = serde_json::from_value(pod).unwrap();
                pods.push((format!("{n}:{process}"), t, false));
            }
        }
        for (n, cm) in self.of_kind::<ConfigMap>("ConfigMap") {
            for (key, text) in cm.data.unwrap_or_default() {
                if key.ends_with("pod-template.yaml") {
                    let pod: Pod = serde_yaml::from_str(&text).unwrap();
                    let t = PodTemplateSpec {
                        metadata: Some(pod.metadata),
                        spec: pod.spec,
                    };
                    pods.push((format!("{n}:{key}"), t, false));
                }
            }
        }
        pods
    }
}

/// The objects of one folder refer to each other: every Service selects a pod of the folder,
/// workloads their own pods, the autoscaler its TaskManagers, the budget never the
/// JobManager, the binding the pods' account, the Ingress a Service of the folder.
#[test]
fn objects_of_a_folder_refer_to_each_other() {
    for dir in job_dirs() {
        let f = Folder::read(&dir);
        let ctx = dir.display();
        let services = f.of_kind::<Service>("Service");
        let pods = f.pods();
        // Every Service selects some pod of the folder, and Deployments their own pods.
        for (n, svc) in &services {
            let sel = svc.spec.as_ref().unwrap().selector.clone().unwrap();
            let hit = pods.iter().any(|(_, p, _)| {
                let labels = p.metadata.as_ref().unwrap().labels.clone().unwrap();
                sel.iter().all(|(k, v)| labels.get(k) == Some(v))
            });
            assert!(hit, "{ctx}: Service {n} selects no pod");
        }
        let workloads = f
            .of_kind::<Deployment>("Deployment")
            .into_iter()
            .map(|(n, d)| {
                let spec = d.spec.unwrap();
                (n, spec.selector, spec.template)
            })
            .chain(
                f.of_kind::<StatefulSet>("StatefulSet")
                    .into_iter()
                    .map(|(n, d)| {
                        let spec = d.spec.unwrap();
                        (n, spec.selector, spec.template)
                    }),
            );
        for (n, selector, template) in workloads {
            let labels = template.metadata.unwrap().labels.unwrap();
            for (k, v) in selector.match_labels.unwrap() {
                assert_eq!(labels.get(&k), Some(&v), "{ctx}: {n} selector {k}");
            }
        }
        // An autoscaler scales the folder's TaskManagers, whose cpu request its target is of.
        if let Some(hpa) = f.one::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(
            "HorizontalPodAutoscaler",
        ) {
            let spec = hpa.spec.unwrap();
            let target = &spec.scale_target_ref;
            let doc = f
                .docs
                .iter()
                .find(|(_, d)| {
                    d["kind"] == target.kind.as_str()
                        && d["metadata"]["name"] == target.name.as_str()
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{ctx}: the autoscaler's target {} {}",
                        target.kind, target.name
                    )
                });
            let containers = &doc.1["spec"]["template"]["spec"]["containers"];
            assert!(
                containers[0]["resources"]["requests"]["cpu"].is_string(),
                "{ctx}: a cpu request to scale on"
            );
            let start = doc.1["spec"]["replicas"].as_i64().unwrap() as i32;
            assert!(
                (spec.min_replicas.unwrap()..=spec.max_replicas).contains(&start),
                "{ctx}"
            );
        }
        if let Some(pdb) = f.one::<PodDisruptionBudget>("PodDisruptionBudget") {
            let sel = pdb.spec.unwrap().selector.unwrap().match_labels.unwrap();
            assert_eq!(
                sel.get("component")
                    .or(sel.get("app.kubernetes.io/component"))
                    .map(String::as_str),
                Some("taskmanager"),
                "{ctx}: a PDB must never select the JobManager"
            );
        }
        // RBAC: the binding ties the Role to the pods' account (the folder's, or an existing
        // one the spec names); an account without a Role is for a cloud identity, and then no
        // pod mounts an API token.
        let account = f.one::<ServiceAccount>("ServiceAccount");
        let role: Option<Role> = f.one("Role");
        let mut bound = None;
        if let Some(role) = role {
            let binding: RoleBinding = f.one("RoleBinding").expect("a RoleBinding");
            assert_eq!(binding.role_ref.name, role.metadata.name.unwrap(), "{ctx}");
            let subject = binding.subjects.unwrap()[0].name.clone();
            if let Some(sa) = &account {
                assert_eq!(Some(&subject), sa.metadata.name.as_ref(), "{ctx}");
            }
            bound = Some(subject);
            for rule in role.rules.unwrap() {
                for verb in rule.verbs {
                    assert_ne!(verb, "*", "{ctx}: least privilege");
                }
            }
        } else if account.is_some() && !dir.join("flinkdeployment.yaml").exists() {
            for (n, p, _) in &pods {
                let token = p.spec.as_ref().unwrap().automount_service_account_token;
                assert_eq!(
                    token,
                    Some(false),
                    "{ctx}: {n} mounts a token it has no Role for"
                );
            }
        }
        for (n, p, _) in &pods {
            if let Some(a) = &p.spec.as_ref().unwrap().service_account_name {
                let ours = account
                    .as_ref()
                    .and_then(|s| s.metadata.name.clone())
                    .or(bound.clone());
                if let Some(ours) = ours {
                    assert_eq!(a, &ours, "{ctx}: {n} uses the folder's account");
                }
            }
        }
        if let Some(ing) = f.one::<Ingress>("Ingress") {
            let backend = ing.spec.unwrap().rules.unwrap()[0]
                .http
                .clone()
                .unwrap()
                .paths[0]
                .backend
                .service
                .clone()
                .unwrap();
            assert!(
                services
                    .iter()
                    .any(|(_, s)| s.metadata.name == Some(backend.name.clone())),
                "{ctx}: the Ingress backend is a Service of the folder"
            );
            assert_eq!(backend.port.unwrap().number, Some(8081), "{ctx}");
        }
    }
}

/// An Operator folder's FlinkDeployment names its account and its image's jar and leaves the
/// keys the Operator forbids; a session submitter submits a file its image has, to its
/// cluster, under a fixed job id.
#[test]
fn operator_and_submitter_folders_agree() {
    for dir in job_dirs() {
        let f = Folder::read(&dir);
        let ctx = dir.display();
        let account = f.one::<ServiceAccount>("ServiceAccount");
        if let Some((_, fd)) = f.docs.iter().find(|(_, j)| j["kind"] == "FlinkDeployment") {
            let spec = &fd["spec"];
            let sa = account.as_ref().and_then(|s| s.metadata.name.clone());
            assert_eq!(
                spec["serviceAccount"].as_str(),
                sa.as_deref(),
                "{ctx}: the account exists"
            );
            for key in [
                "kubernetes.namespace",
                "kubernetes.cluster-id",
                "high-availability.cluster-id",
            ] {
                assert!(
                    spec["flinkConfiguration"].get(key).is_none(),
                    "{ctx}: the Operator forbids {key}"
                );
            }
            // A jar in usrlib/ of a built image is the one its Dockerfile copies there.
            let in_usrlib = spec["job"]["jarURI"]
                .as_str()
                .and_then(|j| j.strip_prefix("local:///opt/flink/usrlib/"));
            if let (Some(path), Ok(docker)) =
                (in_usrlib, std::fs::read_to_string(dir.join("Dockerfile")))
            {
                assert!(
                    docker.contains(&format!("$FLINK_HOME/usrlib/{path}"))
                        || docker.contains(&format!(" /opt/flink/usrlib/{path}\n")),
                    "{ctx}: jarURI is in the image"
                );
            }
            for process in ["jobManager", "taskManager"] {
                let memory = spec[process]["resource"]["memory"].as_str().unwrap();
                assert!(flink_bytes(memory) > 0, "{ctx}: {process} memory");
                // No cpu when the profile reserves none: the Operator then leaves Flink's default.
                let cpu = &spec[process]["resource"]["cpu"];
                assert!(cpu.is_null() || cpu.as_f64().unwrap() > 0.0, "{ctx}");
            }
            continue;
        }
        if f.docs.iter().any(|(_, j)| j["kind"] == "FlinkSessionJob") {
            continue;
        }
        if let Some(submit) = f
            .one::<Job>("Job")
            .filter(|_| dir.join("submit-job.yaml").exists())
        {
            let c = &submit.spec.unwrap().template.spec.unwrap().containers[0];
            let name = dir.file_name().unwrap().to_string_lossy();
            let args = c.command.clone().unwrap_or_default();
            // The jar (or Python script) flinkgen copied into the submitter's image, or one
            // the image has.
            let program = args
                .iter()
                .find(|a| a.ends_with(".jar"))
                .or_else(|| args.iter().skip_while(|a| *a != "-py").nth(1))
                .expect("a jar or a Python script");
            assert!(program.starts_with('/'), "{ctx}: submits a file, {program}");
            if let Ok(docker) = std::fs::read_to_string(dir.join("Dockerfile")) {
                let own = format!("/opt/flink/usrlib/{name}.jar");
                let file = program.rsplit('/').next().unwrap();
                assert!(
                    (*program == own && docker.contains(&format!("$FLINK_HOME/usrlib/{name}.jar")))
                        || docker.contains(&format!(" /opt/flink/usrlib/{file}\n")),
                    "{ctx}: {program} is in the image"
                );
            }
            let env: BTreeMap<String, String> = c
                .env
                .clone()
                .unwrap()
                .into_iter()
                .filter_map(|e| Some((e.name, e.value?)))
                .collect();
            assert_eq!(env["FLINK_JOB_ID"].len(), 32, "{ctx}: a Flink job id");
            assert!(env["FLINK_REST_HOST"].ends_with(".svc"), "{ctx}");
            continue;
        }
    }
}

/// A standalone or native folder's Flink configuration agrees with its pods and Services:
/// memory, mounted file, config hash, Java flags, addresses, ports, HA, native ids, slots.
#[test]
fn flink_configuration_agrees_with_the_pods() {
    for dir in job_dirs() {
        let f = Folder::read(&dir);
        let ctx = dir.display();
        let services = f.of_kind::<Service>("Service");
        let pods = f.pods();
        let operator = f
            .docs
            .iter()
            .any(|(_, j)| j["kind"] == "FlinkDeployment" || j["kind"] == "FlinkSessionJob");
        if operator || dir.join("submit-job.yaml").exists() {
            continue;
        }
        let account = f.one::<ServiceAccount>("ServiceAccount");
        let bound = f
            .one::<RoleBinding>("RoleBinding")
            .map(|b| b.subjects.unwrap()[0].name.clone());
        let cm: ConfigMap = f
            .of_kind::<ConfigMap>("ConfigMap")
            .into_iter()
            .map(|(_, c)| c)
            .find(|c| {
                !c.data
                    .as_ref()
                    .unwrap()
                    .keys()
                    .any(|k| k.ends_with("pod-template.yaml"))
            })
            .unwrap_or_else(|| panic!("{ctx}: a Flink ConfigMap"));
        let data = cm.data.clone().unwrap();
        let (file, conf) = match (data.get("config.yaml"), data.get("flink-conf.yaml")) {
            (Some(c), None) => ("config.yaml", yaml_parse(c)),
            (None, Some(c)) => ("flink-conf.yaml", legacy_parse(c)),
            _ => panic!("{ctx}: the ConfigMap must hold exactly one Flink config file"),
        };
        assert!(data.contains_key("log4j-console.properties"), "{ctx}");
        assert_eq!(conf["jobmanager.rpc.port"], "6123", "{ctx}");
        assert_eq!(conf["blob.server.port"], "6124", "{ctx}");
        assert_eq!(conf["rest.port"], "8081", "{ctx}");
        assert_eq!(conf["taskmanager.rpc.port"], "6122", "{ctx}");
        // Flink ships the Java 17 flags from 1.18; 1.15 to 1.17 have Java 8 and 11 images only.
        let version = cm
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/version"))
            .cloned()
            .unwrap_or_default();
        if ["1.15.", "1.16.", "1.17."]
            .iter()
            .any(|v| version.starts_with(v))
        {
            assert!(!conf.contains_key("env.java.opts.all"), "{ctx}");
        } else {
            assert!(
                conf["env.java.opts.all"].contains("--add-opens=java.base/java.lang=ALL-UNNAMED"),
                "{ctx}"
            );
        }
        // Every Flink pod: memory at least Flink's process size, the config file mounted,
        // rolled by the config hash, and no `--host` (Flink 2.x stops parsing at it).
        for (n, pod, full) in &pods {
            let component = pod.metadata.as_ref().unwrap().labels.as_ref().unwrap()
                ["app.kubernetes.io/component"]
                .clone();
            let size_key = format!("{component}.memory.process.size");
            let spec = pod.spec.as_ref().unwrap();
            let c = &spec.containers[0];
            let res = c.resources.as_ref().unwrap();
            let limit = bytes(&res.limits.as_ref().unwrap()["memory"].0);
            let request = bytes(&res.requests.as_ref().unwrap()["memory"].0);
            let process = flink_bytes(&conf[&size_key]);
            assert!(
                request >= process && limit >= process,
                "{ctx}: {n}: container memory below {size_key}"
            );
            assert_eq!(
                spec.security_context.as_ref().unwrap().run_as_user,
                Some(9999),
                "{ctx}"
            );
            if !full {
                continue;
            }
            let mounts = c.volume_mounts.as_ref().unwrap();
            assert!(
                mounts.iter().any(|m| m.mount_path == "/opt/flink/conf"),
                "{ctx}: {n}"
            );
            let items = spec.volumes.as_ref().unwrap()[0]
                .config_map
                .as_ref()
                .unwrap()
                .items
                .clone()
                .unwrap();
            assert!(
                items.iter().any(|i| i.key == file && i.path == file),
                "{ctx}: {n}: {file} not mounted"
            );
            let ann = pod.metadata.as_ref().unwrap().annotations.clone().unwrap();
            assert_eq!(ann["flinkgen/config-sha256"].len(), 64, "{ctx}");
            let args = c.args.clone().unwrap_or_default();
            assert!(
                !args.iter().any(|a| a == "--host"),
                "{ctx}: --host breaks Flink 2.x"
            );
            if n == "jobmanager-job.yaml" {
                assert_eq!(args[0], "standalone-job", "{ctx}");
                assert_eq!(spec.restart_policy.as_deref(), Some("OnFailure"), "{ctx}");
            }
        }
        let port = |svc: &Service, name: &str| {
            svc.spec
                .as_ref()
                .unwrap()
                .ports
                .as_ref()
                .unwrap()
                .iter()
                .find(|p| p.name.as_deref() == Some(name))
                .map(|p| p.port)
        };
        // `high-availability` is the key's name before 1.17.
        let ha = conf
            .get("high-availability.type")
            .or(conf.get("high-availability"))
            .map(String::as_str)
            == Some("kubernetes");
        if ha {
            assert!(conf.contains_key("high-availability.storageDir"), "{ctx}");
            assert_eq!(
                conf.get("kubernetes.namespace"),
                Some(&cm.metadata.namespace.clone().unwrap()),
                "{ctx}"
            );
            assert!(
                account.is_some() || bound.is_some(),
                "{ctx}: HA needs a service account bound to a Role"
            );
        }
        let native = conf.contains_key("kubernetes.pod-template-file.taskmanager");
        if native {
            // Flink finds everything by the cluster id.
            let id = &conf["kubernetes.cluster-id"];
            assert_eq!(
                cm.metadata.name.clone().unwrap(),
                format!("flink-config-{id}"),
                "{ctx}"
            );
            let jm: Deployment = f.one("Deployment").unwrap();
            assert_eq!(jm.metadata.name.as_ref(), Some(id), "{ctx}");
            let pod = jm.spec.unwrap().template.spec.unwrap();
            assert_eq!(
                pod.automount_service_account_token,
                Some(true),
                "{ctx}: the JobManager creates pods"
            );
            assert_eq!(
                pod.service_account_name.as_ref(),
                Some(&conf["kubernetes.service-account"]),
                "{ctx}"
            );
            let mounted: Vec<String> = pod.containers[0]
                .volume_mounts
                .clone()
                .unwrap()
                .into_iter()
                .map(|m| m.mount_path)
                .collect();
            let template = &conf["kubernetes.pod-template-file.taskmanager"];
            let (tdir, tfile) = template.rsplit_once('/').unwrap();
            assert!(
                mounted.iter().any(|m| m == tdir),
                "{ctx}: pod template mounted"
            );
            let (_, tm_pod, _) = pods
                .iter()
                .find(|(n, _, _)| n.ends_with(tfile))
                .expect("pod template");
            assert_eq!(
                tm_pod.spec.as_ref().unwrap().containers[0].name,
                "flink-main-container",
                "{ctx}"
            );
            // TaskManagers carry the configuration they start with, and the JobManager's
            // header says how to remove those a new JobManager would adopt.
            let labels = tm_pod.metadata.as_ref().unwrap().labels.as_ref().unwrap();
            let stamp = &labels["flinkgen/config"];
            assert!(
                stamp.len() == 16 && stamp.chars().all(|c| c.is_ascii_hexdigit()),
                "{ctx}"
            );
            let header = std::fs::read_to_string(dir.join("jobmanager-deployment.yaml")).unwrap();
            assert!(
                header.contains(&format!("flinkgen/config!={stamp}")),
                "{ctx}"
            );
            // The key's name before 1.17.
            let image = conf
                .get("kubernetes.container.image.ref")
                .or(conf.get("kubernetes.container.image"));
            assert_eq!(image, pod.containers[0].image.as_ref(), "{ctx}");
            if !ha {
                let svc = format!("{id}.{}", cm.metadata.namespace.clone().unwrap());
                assert_eq!(conf["jobmanager.rpc.address"], svc, "{ctx}");
                let internal = services
                    .iter()
                    .find(|(_, s)| s.metadata.name.as_ref() == Some(id))
                    .expect("internal Service");
                assert_eq!(port(&internal.1, "jobmanager-rpc"), Some(6123), "{ctx}");
                assert_eq!(port(&internal.1, "blobserver"), Some(6124), "{ctx}");
            }
            continue;
        }
        // Standalone: the config points at the Service, which exposes the pinned ports.
        let (_, svc) = services
            .iter()
            .find(|(n, _)| n == "jobmanager-service.yaml")
            .unwrap_or_else(|| panic!("{ctx}: a JobManager Service"));
        assert_eq!(
            conf["jobmanager.rpc.address"],
            svc.metadata.name.clone().unwrap(),
            "{ctx}"
        );
        assert_eq!(port(svc, "rpc"), Some(6123), "{ctx}");
        assert_eq!(port(svc, "blob-server"), Some(6124), "{ctx}");
        assert_eq!(port(svc, "webui"), Some(8081), "{ctx}");
        // TaskManagers are a Deployment, or a StatefulSet when each keeps local state.
        let replicas = match f.one::<StatefulSet>("StatefulSet") {
            Some(set) => {
                let spec = set.spec.unwrap();
                let claims = spec.volume_claim_templates.unwrap_or_default();
                assert_eq!(claims.len(), 1, "{ctx}: one local-state claim");
                let claim = claims[0].metadata.name.clone().unwrap();
                let pod = spec.template.spec.as_ref().unwrap();
                let mounted = pod.containers[0]
                    .volume_mounts
                    .iter()
                    .flatten()
                    .find(|m| m.name == claim)
                    .unwrap_or_else(|| panic!("{ctx}: the claim is mounted"));
                assert_eq!(
                    conf["process.taskmanager.working-dir"], mounted.mount_path,
                    "{ctx}: the working dir is on the claim"
                );
                spec.replicas.unwrap() as u32
            }
            None => {
                let tm: Deployment = f
                    .of_kind::<Deployment>("Deployment")
                    .into_iter()
                    .find(|(n, _)| n == "taskmanager-deployment.yaml")
                    .map(|(_, d)| d)
                    .unwrap_or_else(|| panic!("{ctx}: a TaskManager Deployment"));
                tm.spec.as_ref().unwrap().replicas.unwrap() as u32
            }
        };
        let slots: u32 = conf["taskmanager.numberOfTaskSlots"].parse().unwrap();
        if let Some(p) = conf.get("parallelism.default") {
            let parallelism: u32 = p.parse().unwrap();
            assert!(slots * replicas >= parallelism, "{ctx}: not enough slots");
        }
    }
}

/// The defaults every generated pod must have, whatever the spec says.
/// `full` is false for a native pod template, whose image and probes Flink fills in.
fn assert_hardened(pod: &PodTemplateSpec, full: bool, ctx: &str) {
    let spec = pod.spec.as_ref().unwrap();
    let psc = spec.security_context.as_ref().unwrap();
    assert_eq!(psc.run_as_non_root, Some(true), "{ctx}");
    assert_eq!(
        (psc.run_as_user, psc.run_as_group, psc.fs_group),
        (Some(9999), Some(9999), Some(9999)),
        "{ctx}"
    );
    assert_eq!(
        psc.seccomp_profile.as_ref().unwrap().type_,
        "RuntimeDefault",
        "{ctx}"
    );
    // A token only for pods that run as the folder's own, Role-bound account.
    let token = spec.automount_service_account_token;
    if token == Some(true) {
        assert!(
            spec.service_account_name.is_some(),
            "{ctx}: a token only with an own account"
        );
    } else {
        assert_eq!(token, Some(false), "{ctx}: no API access without need");
    }
    let writable: Vec<&str> = spec
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .filter(|v| v.empty_dir.is_some())
        .map(|v| v.name.as_str())
        .collect();
    // Flink's container comes first; sidecars and init containers share its hardening (the
    // spec may refine it, with a warning) but not its mounts, probes or pull policy.
    let flink = &spec.containers[0].name;
    // What the spec acknowledged in `weakens`, as the pod records it: `name=a,b; other=c`.
    let acknowledged: Vec<(String, String)> = pod
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get("flinkgen/weakens"))
        .into_iter()
        .flat_map(|v| v.split("; "))
        .filter_map(|e| e.split_once('='))
        .flat_map(|(n, list)| list.split(',').map(move |w| (n.to_string(), w.to_string())))
        .collect();
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        let weakens = |w: &str| acknowledged.iter().any(|(n, x)| *n == c.name && x == w);
        assert!(
            &c.name != flink || acknowledged.iter().all(|(n, _)| n != flink),
            "{ctx}: Flink's own container is never weakened"
        );
        let sc = c.security_context.as_ref().unwrap();
        if !weakens("allowPrivilegeEscalation") {
            assert_eq!(sc.allow_privilege_escalation, Some(false), "{ctx}");
        }
        if !weakens("readOnlyRootFilesystem") {
            assert_eq!(sc.read_only_root_filesystem, Some(true), "{ctx}");
        }
        if !weakens("capabilities.drop") {
            assert_eq!(
                sc.capabilities.as_ref().unwrap().drop.as_deref(),
                Some(&["ALL".to_string()][..]),
                "{ctx}"
            );
        }
        for (w, weaker) in [
            ("privileged", sc.privileged == Some(true)),
            ("runAsUser", sc.run_as_user == Some(0)),
            ("runAsGroup", sc.run_as_group == Some(0)),
            ("runAsNonRoot", sc.run_as_non_root == Some(false)),
            ("procMount", sc.proc_mount.as_deref() == Some("Unmasked")),
            (
                "seccompProfile",
                sc.seccomp_profile
                    .as_ref()
                    .is_some_and(|p| p.type_ == "Unconfined"),
            ),
            (
                "capabilities.add",
                sc.capabilities
                    .as_ref()
                    .and_then(|c| c.add.as_ref())
                    .is_some_and(|a| !a.is_empty()),
            ),
            (
                "hostPort",
                c.ports.iter().flatten().any(|p| p.host_port.is_some()),
            ),
        ] {
            assert!(
                !weaker || weakens(w),
                "{ctx}: container {} weakens {w} unacknowledged",
                c.name
            );
        }
        if &c.name != flink {
            // A sidecar without resources is written with a warning; sized ones keep both.
            if let (true, Some(res)) = (full, c.resources.as_ref()) {
                for k in ["cpu", "memory"] {
                    let both = res.requests.as_ref().is_some_and(|r| r.contains_key(k))
                        && res.limits.as_ref().is_some_and(|l| l.contains_key(k));
                    assert!(both, "{ctx}: {k}");
                }
            }
            continue;
        }
        let mounts: Vec<(&str, &str)> = c
            .volume_mounts
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| (m.name.as_str(), m.mount_path.as_str()))
            .collect();
        for path in ["/tmp", "/opt/flink/log"] {
            let m = mounts
                .iter()
                .find(|(_, p)| *p == path)
                .unwrap_or_else(|| panic!("{ctx}: {path} not writable"));
            assert!(writable.contains(&m.0), "{ctx}: {path} must be an emptyDir");
        }
        if !full {
            // Flink or the Operator sets a template's cpu and memory.
            continue;
        }
        // Memory always; cpu exactly when the profile reserves it (its pod label says so).
        let res = c.resources.as_ref().unwrap();
        let labels = pod
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let cpu = labels.get("flinkgen/cpu");
        // A pod without a profile (a session submitter) has fixed sizes, cpu included.
        let sized_by_profile = labels.contains_key("flinkgen/profile");
        for (k, wanted) in [
            ("memory", true),
            ("cpu", cpu.is_some() || !sized_by_profile),
        ] {
            let requests = res.requests.as_ref().unwrap();
            assert_eq!(
                requests.contains_key(k) && res.limits.as_ref().unwrap().contains_key(k),
                wanted,
                "{ctx}: {k}"
            );
        }
        if let Some(c) = cpu {
            assert_eq!(
                &res.requests.as_ref().unwrap()["cpu"].0,
                c,
                "{ctx}: cpu request"
            );
        }
        if !full {
            continue;
        }
        // A submitter is a batch Job that exits; probes are for long-running processes.
        if c.name != "submit" {
            assert!(
                c.liveness_probe.is_some() && c.readiness_probe.is_some(),
                "{ctx}: probes"
            );
        }
        let image = c.image.as_deref().unwrap();
        assert!(
            image.contains(':') && !image.ends_with(":latest"),
            "{ctx}: pinned image {image}"
        );
        assert!(c.image_pull_policy.is_some(), "{ctx}");
    }
}

#[test]
fn every_pod_is_hardened() {
    let mut count = 0;
    for dir in job_dirs() {
        for (name, pod, full) in Folder::read(&dir).pods() {
            assert_hardened(&pod, full, &format!("{}/{name}", dir.display()));
            count += 1;
        }
    }
    assert!(count >= 20, "{count} pods checked");
}

/// Every Dockerfile starts `FROM` an image, copies project files as the flink user, and puts a
/// project jar where the JobManager scans for it; a folder without one runs an existing image.
#[test]
fn dockerfiles_copy_what_the_pods_run() {
    let mut built_jars = 0;
    for dir in job_dirs() {
        let Ok(text) = std::fs::read_to_string(dir.join("Dockerfile")) else {
            continue;
        };
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        assert!(code[0].starts_with("FROM "), "{}", dir.display());
        // Earlier stages (the SQL runner's build) run as their own images' users; the rules
        // are for the image the pods run, the last stage.
        let last_from = code.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
        let code = &code[last_from..];
        for line in code
            .iter()
            .filter(|l| l.starts_with("COPY ") || l.starts_with("ADD "))
        {
            assert!(line.contains(" --chown=flink:flink "), "{line}");
            let dest = line.rsplit(' ').next().unwrap();
            assert!(
                dest.starts_with('/') || dest.starts_with("$FLINK_HOME/"),
                "{line}"
            );
        }
        // Plugins are enabled by copying from opt/ to plugins/, never into lib/.
        for line in code.iter().filter(|l| l.contains("$FLINK_HOME/opt/")) {
            assert!(!line.contains("/lib/"), "{line}");
        }
        let name = dir.file_name().unwrap().to_string_lossy();
        let usrlib = format!(" $FLINK_HOME/usrlib/{name}.jar");
        if code
            .iter()
            .any(|l| l.starts_with("COPY ") && l.ends_with(&usrlib))
        {
            built_jars += 1;
            // The JobManager finds that jar by scanning usrlib/, or by its local:// name.
            let manifests = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
                .collect::<String>();
            let named = format!("local:///opt/flink/usrlib/{name}.jar");
            assert!(
                manifests.contains(&named) || !manifests.contains("--jars"),
                "{}",
                dir.display()
            );
        }
    }
    assert!(built_jars >= 10, "{built_jars} images with a project jar");
}

#[test]
fn kustomize_builds_every_job_folder() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        // A missing kubectl must not pass as a green test: skipping is an explicit choice.
        assert!(
            std::env::var_os("FLINKGEN_NO_KUBECTL").is_some(),
            "kubectl is needed to build every folder with kustomize; install it, or set FLINKGEN_NO_KUBECTL=1 to skip this test knowingly"
        );
        eprintln!("FLINKGEN_NO_KUBECTL is set: skipping kustomize builds");
        return;
    }
    let mut dirs = job_dirs();
    // Environment folders aggregate their jobs' folders.
    let envs: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| d.parent())
        .filter(|p| p.join("kustomization.yaml").exists())
        .map(Path::to_path_buf)
        .collect();
    assert!(!envs.is_empty(), "an environment folder is covered");
    dirs.extend(envs);
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let docs = String::from_utf8(out.stdout).unwrap();
        let kinds: Vec<&str> = docs.lines().filter(|l| l.starts_with("kind: ")).collect();
        if is_job_dir(&dir) {
            // One object a listed file, but resources.yaml holds one a document.
            let listed = std::fs::read_to_string(dir.join("kustomization.yaml"))
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("  - "))
                .map(|f| match f {
                    "resources.yaml" => std::fs::read_to_string(dir.join(f))
                        .unwrap()
                        .lines()
                        .filter(|l| *l == "---")
                        .count(),
                    _ => 1,
                })
                .sum::<usize>();
            assert_eq!(kinds.len(), listed, "{}: {kinds:?}", dir.display());
            assert!(listed >= 1, "{}", dir.display());
        } else {
            assert!(
                kinds.len() >= 8,
                "{}: an environment holds all its jobs: {kinds:?}",
                dir.display()
            );
        }
    }
}

#[test]
fn committed_examples_are_current() {
    let g =
        flinkgen::generate(&root()).unwrap_or_else(|d| panic!("{}", flinkgen::error_report(&d)));
    let drift = flinkgen::emit::check(
        &root().join(&g.out_dir),
        &g.out_dir,
        &g.files,
        &g.owners,
        &Default::default(),
    );
    assert!(
        drift.is_empty(),
        "out/ is stale; run `cargo run -- render`:\n{}",
        drift.iter().map(|d| d.diff.as_str()).collect::<String>()
    );
    assert!(g.jobs >= 4, "at least four example jobs");
    assert!(
        g.warnings.is_empty(),
        "{}",
        flinkgen::warning_report(&g.warnings)
    );
}

#[test]
fn the_operator_schema_check_refuses_what_the_crd_would_drop() {
    let path = root().join("out/recommendations/flinkdeployment.yaml");
    let good = yaml_json(&path);
    common::check_manifest(&good).unwrap();
    let mut unknown = good.clone();
    unknown["spec"]["jobManager"]["replica"] = Value::from(2);
    assert!(common::check_manifest(&unknown)
        .unwrap_err()
        .contains("jobManager.replica is not a field"));
    let mut version = good.clone();
    version["spec"]["flinkVersion"] = Value::from("v3_0");
    assert!(common::check_manifest(&version).is_err());
    let mut pod = good.clone();
    pod["spec"]["taskManager"]["podTemplate"]["spec"]["nodeSelecter"] = Value::from("x");
    assert!(common::check_manifest(&pod).is_err());
    let mut typed = good;
    typed["spec"]["job"]["parallelism"] = Value::from("4");
    assert!(common::check_manifest(&typed).is_err());
}

/// Every path under usrlib/ that a manifest or configuration names (a Python script, its
/// `-pyfs` files, a SQL script, the SQL runner, a job jar) is one the job's Dockerfile copies
/// there, and the SQL runner's source is written beside the Dockerfile that compiles it.
#[test]
fn pods_name_only_usrlib_files_the_image_has() {
    let mut checked = 0;
    for dir in job_dirs() {
        let Ok(docker) = std::fs::read_to_string(dir.join("Dockerfile")) else {
            continue;
        };
        let dests: Vec<String> = docker
            .lines()
            .filter(|l| l.starts_with("COPY "))
            .filter_map(|l| l.rsplit(' ').next())
            .map(|d| d.replace("$FLINK_HOME", "/opt/flink"))
            .collect();
        if let Some(source) = docker
            .lines()
            .find(|l| l.starts_with("COPY ") && l.ends_with("/src/flinkgen/SqlRunner.java"))
        {
            let from = source.split(' ').nth(1).unwrap();
            assert!(
                from.ends_with(&format!(
                    "/{}/SqlRunner.java",
                    dir.file_name().unwrap().to_string_lossy()
                )),
                "{from}"
            );
            assert!(dir.join("SqlRunner.java").exists(), "{}", dir.display());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("/opt/flink/usrlib/") {
                let named: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "._/+-".contains(*c))
                    .collect();
                let named = named.trim_end_matches('.');
                let copied = dests.iter().any(|d| {
                    d.trim_end_matches('/') == named
                        || (d.ends_with('/') && named.starts_with(d.as_str()))
                });
                assert!(
                    copied,
                    "{}: `{named}` is not copied by its Dockerfile",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "{checked} usrlib paths checked");
}

/// javac reads `\u000a` as a line break before it reads comments, so a spec file named with
/// it could end the runner's header comment and add code that the image build compiles. The
/// runner rendered for such a name must compile (against stand-ins for the two Flink types it
/// uses) to exactly its own classes, with the name kept as text.
#[test]
fn hostile_spec_names_add_no_code_to_the_sql_runner() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    for d in ["jobs", "profiles", "sql"] {
        std::fs::create_dir_all(project.join(d)).unwrap();
    }
    let cases = root().join("tests/cases/python-and-sql/input");
    for f in [
        "flinkgen.yaml",
        "profiles/jm.yaml",
        "profiles/tm.yaml",
        "sql/orders.sql",
    ] {
        std::fs::copy(cases.join(f), project.join(f)).unwrap();
    }
    // `\u002f\u002f` is `//` to javac: it would comment out the rest of the header line.
    let hostile =
        r"jobs/q\u000aclass Evil { static { System.exit(42); } }\u000a\\u000a\u002f\u002f.yaml";
    std::fs::write(
        project.join(hostile),
        "name: orders-sql\nsql:\n  script: sql/orders.sql\nimage:\n  tag: \"1.0.0\"\n",
    )
    .unwrap();
    let g =
        flinkgen::generate(&project).unwrap_or_else(|d| panic!("{}", flinkgen::error_report(&d)));
    let source = &g.files["orders-sql/SqlRunner.java"];
    assert!(
        source
            .lines()
            .next()
            .unwrap()
            .contains(r"q\\u000aclass Evil"),
        "{source}"
    );
    let build = dir.path().join("build");
    let stubs = build.join("org/apache/flink/table/api");
    std::fs::create_dir_all(&stubs).unwrap();
    std::fs::create_dir_all(build.join("flinkgen")).unwrap();
    std::fs::write(
        stubs.join("EnvironmentSettings.java"),
        "package org.apache.flink.table.api;\npublic class EnvironmentSettings { public static EnvironmentSettings inStreamingMode() { return null; } }\n",
    )
    .unwrap();
    std::fs::write(
        stubs.join("TableEnvironment.java"),
        "package org.apache.flink.table.api;\npublic interface TableEnvironment {\n  static TableEnvironment create(EnvironmentSettings s) { return null; }\n  Config getConfig();\n  Object executeSql(String s);\n  interface Config { void set(String k, String v); }\n}\n",
    )
    .unwrap();
    std::fs::write(build.join("flinkgen/SqlRunner.java"), source).unwrap();
    let out = build.join("classes");
    let javac = Command::new("javac")
        .arg("-d")
        .arg(&out)
        .arg("-sourcepath")
        .arg(&build)
        .arg(build.join("flinkgen/SqlRunner.java"))
        .output()
        .expect("javac (Java 17) is needed to compile the SQL runner");
    assert!(
        javac.status.success(),
        "{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let classes: Vec<String> = walkdir::WalkDir::new(out.join("flinkgen"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        classes,
        ["SqlRunner.class"],
        "the runner compiled to more than itself"
    );
    assert!(!out.join("Evil.class").exists() && !out.join("flinkgen/Evil.class").exists());
}

/// The Operator upgrades a deployment only when its spec changes: editing a project file that
/// a configMap volume is built from must change the FlinkDeployment itself.
#[test]
fn an_operator_deployment_rolls_when_a_mounted_project_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let input = root().join("tests/cases/pods-and-secrets/input");
    for e in walkdir::WalkDir::new(&input)
        .into_iter()
        .filter_map(Result::ok)
    {
        let to = project.join(e.path().strip_prefix(&input).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    let deployment = |p: &Path| {
        let g = flinkgen::generate(p).unwrap_or_else(|d| panic!("{}", flinkgen::error_report(&d)));
        g.files["operator-audit/flinkdeployment.yaml"].clone()
    };
    let before = deployment(&project);
    std::fs::write(
        project.join("conf/audit-rules.yaml"),
        "rules:\n  - topic: audit\n    retain: 90d\n",
    )
    .unwrap();
    let after = deployment(&project);
    assert_ne!(
        before, after,
        "the FlinkDeployment must change with a mounted file"
    );
    let changed: Vec<&str> = after
        .lines()
        .zip(before.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.trim())
        .collect();
    assert!(
        changed
            .iter()
            .all(|l| l.starts_with("flinkgen/files-sha256:")),
        "{changed:?}"
    );
}

/// The Operator's own rule for a standalone FlinkDeployment's parallelism
/// (`FlinkConfigBuilder.getParallelism`): with `taskManager.replicas` the job runs at
/// replicas x slots whatever `job.parallelism` says. Every generated one must run at the
/// parallelism it writes.
#[test]
fn operator_deployments_run_at_the_parallelism_they_write() {
    let mut seen = 0;
    for dir in job_dirs() {
        let path = dir.join("flinkdeployment.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let d: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let spec = &d["spec"];
        let Some(job) = spec["job"].as_mapping() else {
            continue;
        };
        let written = job[&serde_yaml::Value::from("parallelism")]
            .as_u64()
            .unwrap();
        let slots: u64 = match &spec["flinkConfiguration"]["taskmanager.numberOfTaskSlots"] {
            serde_yaml::Value::String(s) => s.parse().unwrap(),
            v => v.as_u64().unwrap_or(1),
        };
        let runs = match spec["taskManager"]["replicas"].as_u64() {
            Some(r) => r * slots,
            None => written,
        };
        assert_eq!(runs, written, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} FlinkDeployments with a job");
}
