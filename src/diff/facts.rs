//! What a job's output folder says about the running job: its kind, the pod template of each
//! role, its Flink options, and the settings Flink's state rules read. Read from the rendered
//! files alone, so the committed side needs nothing but git.

use std::collections::BTreeMap;

use serde_json::Value;

/// A job (or session cluster) as one environment's output folder describes it.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The spec file the lock names as its source.
    pub source: String,
    /// File name → text, for the folder's files.
    pub files: BTreeMap<String, String>,
    /// File name → its YAML documents.
    pub docs: BTreeMap<String, Vec<Value>>,
    /// The Flink configuration, flat, values as written.
    pub options: BTreeMap<String, String>,
}

/// What the folder deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Application,
    SessionCluster,
    SessionJob,
    /// A FlinkDeployment with a job, or a FlinkSessionJob: the Operator upgrades it.
    Operator,
    OperatorSessionCluster,
}

/// One (environment, job) folder's key.
pub type Key = (Option<String>, String);

/// The files of one job folder, by name, and the spec the lock names as their source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub source: String,
    pub files: BTreeMap<String, String>,
}

/// Groups an output tree by job folder, using the lock to tell job folders (owned by a spec)
/// from environment folders (owned by the project file). Nothing is parsed yet.
pub fn folders(files: &BTreeMap<String, String>) -> BTreeMap<Key, Folder> {
    let mut owners: BTreeMap<&str, &str> = BTreeMap::new();
    if let Some(lock) = files.get(crate::emit::lock::LOCK_FILE) {
        for line in lock.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.split("  ");
            if let (Some(_), Some(path), Some(source)) = (parts.next(), parts.next(), parts.next())
            {
                owners.insert(path, source);
            }
        }
    }
    let mut out: BTreeMap<Key, Folder> = BTreeMap::new();
    for (path, text) in files {
        let Some(source) = owners.get(path.as_str()) else {
            continue;
        };
        if *source == crate::load::PROJECT_FILE {
            continue;
        }
        let Some((folder, name)) = path.rsplit_once('/') else {
            continue;
        };
        let key = match folder.split_once('/') {
            Some((env, job)) => (Some(env.to_string()), job.to_string()),
            None => (None, folder.to_string()),
        };
        out.entry(key)
            .or_insert_with(|| Folder {
                source: source.to_string(),
                files: BTreeMap::new(),
            })
            .files
            .insert(name.to_string(), text.clone());
    }
    out
}

/// The files whose objects the rules read: the workloads (pod templates, immutable fields),
/// the configuration and the Operator's resources. Services, RBAC, policies and the like
/// change no pod, so they are compared as text only.
const READ: &[&str] = &[
    "configmap.yaml",
    "pod-template-configmap.yaml",
    "jobmanager-job.yaml",
    "jobmanager-deployment.yaml",
    "taskmanager-deployment.yaml",
    "taskmanager-statefulset.yaml",
    "submit-job.yaml",
    "flinkdeployment.yaml",
    "flinksessionjob.yaml",
];

/// Every job of an output tree, read (tests, and tools that want all of them).
pub fn jobs(files: &BTreeMap<String, String>) -> BTreeMap<Key, Facts> {
    folders(files)
        .into_iter()
        .map(|(k, f)| (k, Facts::read(f)))
        .collect()
}

impl Facts {
    /// Parses the files the rules read.
    pub fn read(folder: Folder) -> Facts {
        let docs = folder
            .files
            .iter()
            .filter(|(name, _)| READ.contains(&name.as_str()))
            .map(|(name, text)| {
                let docs = crate::load::yaml::documents(text)
                    .map(|ds| ds.iter().filter_map(|d| d.to_json().ok()).collect())
                    .unwrap_or_default();
                (name.clone(), docs)
            })
            .collect();
        let mut f = Facts {
            source: folder.source,
            files: folder.files,
            docs,
            options: BTreeMap::new(),
        };
        f.options = f.read_options();
        f
    }

    pub fn kind(&self) -> Kind {
        if self.files.contains_key("flinksessionjob.yaml") {
            return Kind::Operator;
        }
        if let Some(d) = self.doc("flinkdeployment.yaml") {
            return match d["spec"]["job"].is_object() {
                true => Kind::Operator,
                false => Kind::OperatorSessionCluster,
            };
        }
        if self.files.contains_key("submit-job.yaml") {
            return Kind::SessionJob;
        }
        if self.files.contains_key("jobmanager-job.yaml") {
            return Kind::Application;
        }
        let native_app = self
            .pod("jobmanager")
            .is_some_and(|p| p.to_string().contains("kubernetes-application"));
        match native_app {
            true => Kind::Application,
            false => Kind::SessionCluster,
        }
    }

    pub fn is_native(&self) -> bool {
        self.files.contains_key("pod-template-configmap.yaml")
            || self.operator_spec().is_some_and(|s| s["mode"] == "native")
    }

    /// The first document of a file.
    pub fn doc(&self, file: &str) -> Option<&Value> {
        self.docs.get(file).and_then(|d| d.first())
    }

    /// A FlinkDeployment's or FlinkSessionJob's spec.
    pub fn operator_spec(&self) -> Option<&Value> {
        ["flinkdeployment.yaml", "flinksessionjob.yaml"]
            .iter()
            .find_map(|f| self.doc(f))
            .map(|d| &d["spec"])
    }

    /// The workload file that runs a role's pods.
    pub fn workload(&self, role: &str) -> Option<&'static str> {
        let files: &[&'static str] = match role {
            "jobmanager" => &["jobmanager-job.yaml", "jobmanager-deployment.yaml"],
            "taskmanager" => &[
                "taskmanager-statefulset.yaml",
                "taskmanager-deployment.yaml",
            ],
            "submitter" => &["submit-job.yaml"],
            _ => &[],
        };
        files.iter().copied().find(|f| self.files.contains_key(*f))
    }

    /// A role's pod template; a native cluster's TaskManagers are created from the template
    /// its ConfigMap embeds.
    pub fn pod(&self, role: &str) -> Option<Value> {
        if role == "taskmanager" && self.is_native() {
            let text = self.doc("pod-template-configmap.yaml")?["data"]
                .as_object()?
                .values()
                .next()?
                .as_str()?
                .to_string();
            return crate::load::yaml::documents(&text)
                .ok()?
                .first()?
                .to_json()
                .ok();
        }
        Some(self.doc(self.workload(role)?)?["spec"]["template"].clone())
    }

    /// The roles whose pods this folder runs.
    pub fn roles(&self) -> Vec<&'static str> {
        if self.operator_spec().is_some() {
            return match self.kind() {
                Kind::Operator if self.files.contains_key("flinksessionjob.yaml") => vec!["job"],
                _ => vec!["jobmanager", "taskmanager"],
            };
        }
        ["jobmanager", "taskmanager", "submitter"]
            .into_iter()
            .filter(|r| self.pod(r).is_some())
            .collect()
    }

    fn read_options(&self) -> BTreeMap<String, String> {
        if let Some(spec) = self.operator_spec() {
            let mut o: BTreeMap<String, String> = spec["flinkConfiguration"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default();
            if let Some(p) = spec["job"]["parallelism"].as_i64() {
                o.insert("parallelism.default".into(), p.to_string());
            }
            return o;
        }
        if let Some(submit) = self.doc("submit-job.yaml") {
            return submit_options(submit);
        }
        let Some(data) = self.doc("configmap.yaml").map(|d| &d["data"]) else {
            return BTreeMap::new();
        };
        let config = data["config.yaml"]
            .as_str()
            .or_else(|| data["flink-conf.yaml"].as_str())
            .unwrap_or_default();
        flat_options(config)
    }

    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }

    /// Periodic checkpoints are on.
    pub fn checkpoints(&self) -> bool {
        self.option("execution.checkpointing.interval").is_some()
    }

    pub fn ha(&self) -> bool {
        ["high-availability.type", "high-availability"]
            .iter()
            .any(|k| self.option(k).is_some_and(|v| v != "NONE" && v != "none"))
    }

    pub fn parallelism(&self) -> Option<u32> {
        self.option("parallelism.default")?.parse().ok()
    }

    pub fn max_parallelism(&self) -> Option<u32> {
        self.option("pipeline.max-parallelism")?.parse().ok()
    }

    pub fn state_backend(&self) -> String {
        self.option("state.backend.type")
            .or_else(|| self.option("state.backend"))
            .unwrap_or("hashmap")
            .to_ascii_lowercase()
    }

    /// The savepoint or checkpoint the job starts from, wherever the folder names it.
    pub fn restore_path(&self) -> Option<String> {
        for key in ["execution.state-recovery.path", "execution.savepoint.path"] {
            if let Some(p) = self.option(key) {
                return Some(p.to_string());
            }
        }
        if let Some(p) = self
            .operator_spec()
            .and_then(|s| s["job"]["initialSavepointPath"].as_str())
        {
            return Some(p.to_string());
        }
        ["jobmanager", "submitter"].iter().find_map(|role| {
            let pod = self.pod(role)?;
            let args: Vec<String> = pod["spec"]["containers"][0]["args"]
                .as_array()
                .into_iter()
                .chain(pod["spec"]["containers"][0]["command"].as_array())
                .flatten()
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            args.iter()
                .position(|a| a == "--fromSavepoint")
                .and_then(|i| args.get(i + 1).cloned())
        })
    }

    /// The Flink release, from the `app.kubernetes.io/version` label every object carries.
    pub fn version(&self) -> Option<String> {
        self.docs.values().flatten().find_map(|d| {
            d["metadata"]["labels"]["app.kubernetes.io/version"]
                .as_str()
                .map(String::from)
        })
    }

    /// Every image the folder's pods run (the Operator's resources: `spec.image`).
    pub fn images(&self) -> Vec<String> {
        let mut images: Vec<String> = ["jobmanager", "taskmanager", "submitter"]
            .iter()
            .filter_map(|r| self.pod(r))
            .flat_map(|p| {
                p["spec"]["containers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|c| c["image"].as_str().map(String::from))
            .collect();
        images.extend(
            self.operator_spec()
                .and_then(|s| s["image"].as_str())
                .map(String::from),
        );
        images
    }

    pub fn upgrade_mode(&self) -> Option<String> {
        self.operator_spec()?["job"]["upgradeMode"]
            .as_str()
            .map(String::from)
    }

    /// The claims a local-state StatefulSet's pods keep: `<claim>-<set>-<ordinal>`.
    pub fn local_state_claims(&self) -> Vec<String> {
        let Some(set) = self.doc("taskmanager-statefulset.yaml") else {
            return Vec::new();
        };
        let name = set["metadata"]["name"].as_str().unwrap_or_default();
        let replicas = set["spec"]["replicas"].as_u64().unwrap_or(1);
        let claims: Vec<&str> = set["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["metadata"]["name"].as_str())
            .collect();
        claims
            .iter()
            .flat_map(|c| (0..replicas).map(move |i| format!("{c}-{name}-{i}")))
            .collect()
    }

    /// The session cluster a session job is submitted to: the submitter's `FLINK_CLUSTER`, or
    /// a FlinkSessionJob's `deploymentName`.
    pub fn session_cluster(&self) -> Option<String> {
        if let Some(name) = self
            .doc("flinksessionjob.yaml")
            .and_then(|d| d["spec"]["deploymentName"].as_str())
        {
            return Some(name.to_string());
        }
        let pod = self.pod("submitter")?;
        pod["spec"]["containers"][0]["env"]
            .as_array()?
            .iter()
            .find(|e| e["name"] == "FLINK_CLUSTER")?["value"]
            .as_str()
            .map(String::from)
    }

    pub fn namespace(&self) -> String {
        self.docs
            .values()
            .flatten()
            .find_map(|d| d["metadata"]["namespace"].as_str().map(String::from))
            .unwrap_or_else(|| "default".into())
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// `key: value` lines of a configuration file as flinkgen writes it (flat keys, one per line,
/// JSON-quoted where YAML needs quotes).
fn flat_options(config: &str) -> BTreeMap<String, String> {
    config
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| {
            let v = v.trim();
            let value = match v.starts_with('"') {
                true => serde_json::from_str::<String>(v).unwrap_or_else(|_| v.to_string()),
                false => v.to_string(),
            };
            (k.to_string(), value)
        })
        .collect()
}

/// A session job's options: its submitter's `-Dkey=value` arguments and `--parallelism`.
fn submit_options(submit: &Value) -> BTreeMap<String, String> {
    let container = &submit["spec"]["template"]["spec"]["containers"][0];
    // The script's own name (`$0`) comes first; `flink run`'s arguments follow it.
    let words: Vec<&str> = ["command", "args"]
        .iter()
        .flat_map(|f| container[*f].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .skip_while(|w| *w != "flinkgen-submit")
        .collect();
    let mut o = BTreeMap::new();
    for (i, w) in words.iter().enumerate() {
        if let Some((k, v)) = w.strip_prefix("-D").and_then(|kv| kv.split_once('=')) {
            o.insert(k.to_string(), v.trim_matches('\'').to_string());
        }
        if *w == "--parallelism" {
            if let Some(p) = words.get(i + 1) {
                o.insert(
                    "parallelism.default".into(),
                    p.trim_matches('\'').to_string(),
                );
            }
        }
    }
    o
}
