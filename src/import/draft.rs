//! One deployment being imported: the spec and the two profiles it will be written as,
//! built field by field from the input, with the warnings found on the way.

use crate::diag::Diagnostic;
use crate::flink::Version;
use crate::load::tree::Tree;

use super::config::{self, At, FlinkOption};
use super::units;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    JobManager,
    TaskManager,
}

impl Role {
    pub fn field(self) -> &'static str {
        match self {
            Role::JobManager => "jobManager",
            Role::TaskManager => "taskManager",
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            Role::JobManager => "jobmanager",
            Role::TaskManager => "taskmanager",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An application cluster: `jobs/<name>.yaml`.
    Application,
    /// A session cluster: `clusters/<name>.yaml`.
    Cluster,
    /// A job submitted to the session cluster of this name: `jobs/<name>.yaml`, no profiles.
    SessionJob(String),
}

pub struct Draft {
    pub kind: Kind,
    pub name: String,
    /// The input file it came from, for the summary.
    pub origin: String,
    pub version: Version,
    pub spec: Tree,
    pub jm: Tree,
    pub tm: Tree,
    /// Further project files (a log4j configuration), by project path.
    pub files: Vec<(String, String)>,
    pub warnings: Vec<Diagnostic>,
    /// The Flink options' memory sizes, in bytes, for the memory model's check at import.
    pub memory: Vec<(Role, &'static str, String, usize)>,
}

impl Draft {
    pub fn new(kind: Kind, name: &str, origin: &str, version: Version) -> Draft {
        Draft {
            kind,
            name: name.to_string(),
            origin: origin.to_string(),
            version,
            spec: Tree::Map(Vec::new()),
            jm: Tree::Map(Vec::new()),
            tm: Tree::Map(Vec::new()),
            files: Vec::new(),
            warnings: Vec::new(),
            memory: Vec::new(),
        }
    }

    pub fn warn(&mut self, d: Diagnostic) {
        self.warnings.push(d);
    }

    /// Sets a spec field by path, creating the maps on the way.
    pub fn put(&mut self, path: &[&str], value: Tree) {
        put(&mut self.spec, path, value);
    }

    pub fn profile(&mut self, role: Role) -> &mut Tree {
        match role {
            Role::JobManager => &mut self.jm,
            Role::TaskManager => &mut self.tm,
        }
    }

    pub fn int(&mut self, at: &At, o: &FlinkOption, path: &[&str]) {
        match o.text().trim().parse::<i64>() {
            Ok(n) if n >= 0 => self.put(path, Tree::Int(n)),
            _ => self.warn(at.warning(
                o,
                format!("`{}` is not a whole number; not imported", o.text()),
            )),
        }
    }

    pub fn text(&mut self, o: &FlinkOption, path: &[&str]) {
        self.put(path, Tree::Text(o.text()));
    }

    pub fn boolean(&mut self, at: &At, o: &FlinkOption, path: &[&str]) {
        match o.text().trim().to_ascii_lowercase().as_str() {
            "true" => self.put(path, Tree::Bool(true)),
            "false" => self.put(path, Tree::Bool(false)),
            other => {
                self.warn(at.warning(o, format!("`{other}` is not true or false; not imported")))
            }
        }
    }

    pub fn enumerated(
        &mut self,
        at: &At,
        o: &FlinkOption,
        path: &[&str],
        v: &str,
        allowed: &[&str],
    ) {
        if allowed.contains(&v) {
            self.put(path, Tree::Text(v.to_string()));
        } else {
            self.warn(at.warning(
                o,
                format!(
                    "`{}` has no counterpart in flinkgen (allowed: {}); not imported",
                    o.text(),
                    allowed.join(", ")
                ),
            ));
        }
    }

    pub fn state_backend(&mut self, at: &At, o: &FlinkOption) {
        let t = o.text().to_ascii_lowercase();
        let v = if t.contains("rocksdb") {
            "rocksdb"
        } else if t.contains("forst") {
            "forst"
        } else if t == "hashmap" || t.contains("hashmapstatebackend") {
            "hashmap"
        } else if matches!(t.as_str(), "filesystem" | "jobmanager") {
            // Both load HashMapStateBackendFactory (javap of StateBackendLoader, 1.20.4).
            self.warn(at.warning(
                o,
                format!("the `{t}` state backend is Flink's old name of `hashmap` (with checkpoints in the checkpoint storage); imported as hashmap"),
            ));
            "hashmap"
        } else {
            self.warn(at.warning(o, format!("the state backend `{}` has no counterpart in flinkgen (hashmap, rocksdb, forst); not imported", o.text())));
            return;
        };
        self.put(&["stateBackend"], Tree::Text(v.into()));
    }

    pub fn ha_type(&mut self, at: &At, o: &FlinkOption) {
        let t = o.text().to_ascii_lowercase();
        if t == "kubernetes" || t.contains("kuberneteshaservicesfactory") {
            self.spec.child("ha");
        } else if t != "none" && !t.is_empty() {
            self.warn(at.warning(
                o,
                format!("high availability through `{}` is not what flinkgen writes (Kubernetes HA, `ha.storageDir`); not imported: the cluster runs without HA until you add `ha`", o.text()),
            ));
        }
    }

    pub fn cpu(&mut self, at: &At, o: &FlinkOption, role: Role) {
        match units::cpu_millis(&o.text()) {
            Some(m) => self
                .profile(role)
                .set("cpu", Tree::Text(crate::derive::quantity::k8s_cpu(m))),
            None => self.warn(at.warning(
                o,
                format!("`{}` is not a cpu amount; not imported", o.text()),
            )),
        }
    }

    pub fn limit_factor(&mut self, at: &At, o: &FlinkOption, role: Role, what: &str) {
        match o.text().trim().parse::<f64>() {
            Ok(f) if f >= 1.0 => {
                if f > 1.0 {
                    self.profile(role)
                        .child("limitFactor")
                        .set(what, Tree::Float(f));
                }
            }
            _ => self.warn(at.warning(
                o,
                format!(
                    "`{}` is not a limit factor of 1 or more; not imported",
                    o.text()
                ),
            )),
        }
    }

    pub fn image_ref(&mut self, image: &str) {
        if self.spec.at(&["image", "ref"]).is_none() {
            self.put(&["image", "ref"], Tree::Text(image.to_string()));
        }
    }

    /// The job jar from `pipeline.jars` (a native JobManager's, or a standalone one's):
    /// a spec runs one jar.
    pub fn jars(&mut self, at: &At, o: &FlinkOption) {
        let text = o.text();
        let jars: Vec<&str> = text
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let Some(first) = jars.first() else { return };
        if self.spec.get("jar").is_none() {
            self.put(&["jar"], Tree::Text(first.to_string()));
        }
        if jars.len() > 1 {
            self.warn(at.warning(
                o,
                format!("the input runs {} jars; a spec runs one (imported: {first}): copy the others into the image's lib/ folder or build one jar", jars.len()),
            ));
        }
    }

    pub fn pull_secret(&mut self, name: &str) {
        self.add(&["image", "pullSecrets"], name);
    }

    /// Adds `item` to the list at `path` unless it is there already.
    pub fn add(&mut self, path: &[&str], item: &str) {
        let mut list = self
            .spec
            .at(path)
            .map(|t| t.items().to_vec())
            .unwrap_or_default();
        if !list.iter().any(|t| t.as_str() == Some(item)) {
            list.push(Tree::Text(item.to_string()));
            self.put(path, Tree::List(list));
        }
    }

    pub fn rest_type(&mut self, at: &At, o: &FlinkOption) {
        let t = o.text();
        let v = match t.as_str() {
            "ClusterIP" | "NodePort" | "LoadBalancer" => t.clone(),
            _ => {
                self.warn(at.warning(o, format!("the REST service type `{t}` has no counterpart in flinkgen (ClusterIP, NodePort, LoadBalancer); not imported")));
                return;
            }
        };
        self.put(&["rest", "type"], Tree::Text(v));
    }

    /// Flink's Prometheus reporter becomes `metrics.prometheus`; its port the metrics port.
    pub fn prometheus(&mut self, at: &At, o: &FlinkOption) {
        let rest = o.key.trim_start_matches("metrics.reporter.prom.");
        match rest {
            "factory.class" | "class" => {
                if !o.text().contains("PrometheusReporter") {
                    self.warn(at.warning(o, format!("the reporter named `prom` is `{}`, not Flink's Prometheus reporter; not imported", o.text())));
                    return;
                }
                self.spec.child("metrics").child("prometheus");
            }
            "port" => match o.text().trim().parse::<i64>() {
                Ok(p) => {
                    self.spec.child("metrics").child("prometheus").set("port", Tree::Int(p));
                }
                Err(_) => self.warn(at.warning(
                    o,
                    format!("the reporter's port `{}` is a range; flinkgen gives each pod one port (default 9249): check what scrapes it", o.text()),
                )),
            },
            _ => self.warn(at.warning(o, format!("`{}` is not carried over: flinkgen configures the Prometheus reporter itself", o.key))),
        }
    }

    /// A memory option goes into its process's profile, as Flink reads it.
    pub fn memory(&mut self, at: &At, o: &FlinkOption, (role, field): (Role, &'static str)) {
        let text = o.text();
        let value = if config::not_a_size(field) {
            match (field, text.trim().to_ascii_lowercase().as_str()) {
                ("directMemoryLimit", "true") => Tree::Bool(true),
                ("directMemoryLimit", "false") => Tree::Bool(false),
                (_, t) => match t.parse::<f64>() {
                    Ok(f) if field != "directMemoryLimit" => Tree::Float(f),
                    _ => {
                        self.warn(
                            at.warning(o, format!("`{text}` is not a valid value; not imported")),
                        );
                        return;
                    }
                },
            }
        } else {
            match units::flink_memory(&text) {
                Some(bytes) => Tree::Text(crate::derive::quantity::flink_size(bytes)),
                None => {
                    self.warn(at.warning(
                        o,
                        format!("`{text}` is not a size Flink reads; not imported"),
                    ));
                    return;
                }
            }
        };
        if o.key.ends_with(".heap.size") && !o.key.contains(".memory.") {
            self.warn(at.warning(
                o,
                format!(
                    "`{}` is Flink's deprecated name; imported as the profile's memory.{field}",
                    o.key
                ),
            ));
        }
        self.memory.push((role, field, text, o.line));
        self.profile(role).child("memory").set(field, value);
    }

    /// A secret option becomes a reference to a Secret the user creates; its value is neither
    /// copied nor shown.
    pub fn secret_option(&mut self, at: &At, o: &FlinkOption) {
        if self.spec.get("target").and_then(Tree::as_str) == Some("operator") {
            // The Operator writes the processes' configuration itself; no Secret can feed it.
            let mut w = at.warning(
                o,
                format!("`{}` holds a secret: its value was not copied, and the Operator cannot take it from a Secret: give the processes the credential another way (the pods' cloud identity, or an env variable from a Secret that the filesystem or connector reads)", o.key),
            );
            w.excerpt = None;
            self.warn(w);
            return;
        }
        let secret = format!("{}-flink-secrets", self.name);
        let key: String = o
            .key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let entry = Tree::Map(vec![
            (Tree::Text("secret".into()), Tree::Text(secret.clone())),
            (Tree::Text("key".into()), Tree::Text(key.clone())),
        ]);
        self.spec.child("flinkConfigFromSecrets").set(&o.key, entry);
        let mut w = at.warning(
            o,
            format!("`{}` holds a secret: its value was not copied; create the Secret `{secret}` with the key `{key}` holding it (flinkConfigFromSecrets names it)", o.key),
        );
        // The line would show the value.
        w.excerpt = None;
        self.warn(w);
    }

    pub fn flink_config(&mut self, key: &str, value: Tree) {
        self.spec.child("flinkConfig").set(key, value);
    }
}

pub fn put(tree: &mut Tree, path: &[&str], value: Tree) {
    match path {
        [] => {}
        [last] => tree.set(last, value),
        [first, rest @ ..] => put(tree.child(first), rest, value),
    }
}
