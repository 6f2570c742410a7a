//! A pod of the input (a workload's template, or the Operator's `podTemplate`) as the pod
//! fields of a spec and the scheduling of a profile.

use crate::load::tree::Tree;
use crate::validate::literal;

use super::bitnami;
use super::config::FlinkOption;
use super::draft::{Draft, Role};
use super::objects::Obj;

/// What the caller reads from the Flink container itself: how it starts and what it asks for.
#[derive(Default)]
pub struct Main {
    pub image: Option<String>,
    pub pull_policy: Option<String>,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub requests: Tree,
    pub limits: Tree,
    /// Options from `FLINK_PROPERTIES`, which the image's entrypoint appends to the config
    /// (and, in Bitnami's image, from `FLINK_CFG_*` variables).
    pub properties: Vec<FlinkOption>,
    /// Folders the Flink container mounts from the node (`/opt/flink/usrlib` in the docs).
    pub host_paths: Vec<(String, String)>,
    /// The field path of the Flink container, for warnings.
    pub field: String,
    /// Volumes of the input that flinkgen's own stand for (`flink-logs` at /opt/flink/log),
    /// by the input's name, for the other containers that mount them.
    pub renames: Vec<(String, String)>,
}

/// Where a pod's fields go: the spec's top (both processes) or one process.
pub struct Place<'a> {
    pub obj: &'a Obj,
    /// Path of the PodSpec in the object (`spec.template.spec`).
    pub path: Vec<&'a str>,
    pub role: Option<Role>,
    /// The Flink container's name; the first container when `None`.
    pub main: Option<&'a str>,
    /// ConfigMaps holding the Flink configuration: their mounts are flinkgen's business.
    pub config_maps: &'a [String],
}

impl Place<'_> {
    fn field(&self, rest: &str) -> String {
        let base = self.path.join(".");
        if rest.is_empty() {
            base
        } else {
            format!("{base}.{rest}")
        }
    }

    fn put(&self, draft: &mut Draft, key: &str, value: Tree) {
        match self.role {
            Some(r) => draft.put(&[r.field(), key], value),
            None => draft.put(&[key], value),
        }
    }
}

/// Reads the pod into the draft and returns the Flink container. Long because it is a walk
/// over the PodSpec's fields, each carried over or reported in its turn.
pub fn apply(place: &Place, draft: &mut Draft) -> Main {
    let obj = place.obj;
    let Some(pod) = obj.at(&place.path) else {
        return Main::default();
    };
    let containers = pod.list("containers");
    let main_at = match place.main {
        Some(n) => containers
            .iter()
            .position(|c| c.get("name").and_then(Tree::as_str) == Some(n)),
        None => (!containers.is_empty()).then_some(0),
    };
    let mut main = Main::default();
    let volumes = pod.list("volumes");
    if let Some(i) = main_at {
        main = container(place, &containers[i], i, volumes, draft);
    }
    let mut sidecars = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        if Some(i) != main_at {
            sidecars.extend(extra_container(
                place,
                c,
                &format!("containers[{i}]"),
                &main.renames,
                draft,
            ));
        }
    }
    if !sidecars.is_empty() {
        place.put(draft, "sidecars", Tree::List(sidecars));
    }
    let inits: Vec<Tree> = pod
        .list("initContainers")
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            extra_container(
                place,
                c,
                &format!("initContainers[{i}]"),
                &main.renames,
                draft,
            )
        })
        .collect();
    if !inits.is_empty() {
        place.put(draft, "initContainers", Tree::List(inits));
    }
    if let Some(sa) = pod.get("serviceAccountName").and_then(Tree::scalar_text) {
        if draft.spec.get("serviceAccount").is_none() {
            draft.put(&["serviceAccount", "name"], Tree::Text(sa));
            draft.put(&["serviceAccount", "create"], Tree::Bool(false));
        }
    }
    for s in pod.list("imagePullSecrets") {
        if let Some(n) = s.get("name").and_then(Tree::scalar_text) {
            draft.pull_secret(&n);
        }
    }
    // A chart writes `priorityClassName: ""` for none: Kubernetes' Priority admission plugin
    // (plugin/pkg/admission/priority/admission.go) gives a pod with an empty class name the
    // default priority, as if it named none.
    if let Some(p) = pod
        .get("priorityClassName")
        .filter(|p| p.as_str() != Some(""))
    {
        place.put(draft, "priorityClassName", p.clone());
    }
    if let Some(p) = pod.get("terminationGracePeriodSeconds") {
        place.put(draft, "terminationGracePeriodSeconds", p.clone());
    }
    scheduling(place, pod, draft);
    if let Some(meta) = obj
        .at(&place.path[..place.path.len() - 1])
        .and_then(|t| t.get("metadata"))
    {
        let annotations: Vec<(Tree, Tree)> = meta
            .get("annotations")
            .map(Tree::entries)
            .unwrap_or(&[])
            .iter()
            .filter(|(k, _)| !k.as_str().is_some_and(flinkgen_annotation))
            .cloned()
            .collect();
        if !annotations.is_empty() {
            place.put(draft, "podAnnotations", Tree::Map(annotations));
        }
    }
    for (key, why) in [
        ("securityContext", "flinkgen runs every pod with its own hardening (the image's flink user, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault); the input's pod securityContext is not copied"),
        ("hostNetwork", "flinkgen's pods do not use the node's network"),
        ("hostPID", "flinkgen's pods do not share the node's processes"),
        ("dnsPolicy", "not carried over"),
        ("dnsConfig", "not carried over"),
        ("hostAliases", "not carried over"),
        ("runtimeClassName", "not carried over"),
        ("schedulerName", "not carried over"),
        ("topologySpreadConstraints", "not carried over: express the spread as pod anti-affinity in the profile's scheduling.affinity"),
        ("shareProcessNamespace", "not carried over"),
    ] {
        if pod.get(key).is_some() {
            draft.warn(obj.warning(&place.field(key), why));
        }
    }
    main
}

/// Annotations that describe the old tool's rollout, not the pods.
fn flinkgen_annotation(key: &str) -> bool {
    key.starts_with("checksum/")
        || key.starts_with("kubectl.kubernetes.io/")
        || key.starts_with("flinkgen/")
}

fn scheduling(place: &Place, pod: &Tree, draft: &mut Draft) {
    let roles: Vec<Role> = match place.role {
        Some(r) => vec![r],
        None => vec![Role::JobManager, Role::TaskManager],
    };
    for key in ["nodeSelector", "affinity", "tolerations"] {
        if let Some(v) = pod.get(key) {
            for r in &roles {
                draft.profile(*r).child("scheduling").set(key, v.clone());
            }
        }
    }
}

/// The Flink container: env, mounts and resources; how it starts goes back to the caller.
/// Long because every field of a Container is either carried over or reported here.
fn container(place: &Place, c: &Tree, i: usize, volumes: &[Tree], draft: &mut Draft) -> Main {
    let obj = place.obj;
    let at = |rest: &str| place.field(&format!("containers[{i}].{rest}"));
    let texts =
        |key: &str| -> Vec<String> { c.list(key).iter().filter_map(Tree::scalar_text).collect() };
    let mut main = Main {
        image: c.get("image").and_then(Tree::scalar_text),
        pull_policy: c.get("imagePullPolicy").and_then(Tree::scalar_text),
        command: texts("command"),
        args: texts("args"),
        requests: c
            .at(&["resources", "requests"])
            .cloned()
            .unwrap_or(Tree::Null),
        limits: c
            .at(&["resources", "limits"])
            .cloned()
            .unwrap_or(Tree::Null),
        field: place.field(&format!("containers[{i}]")),
        ..Main::default()
    };
    let mut env = Tree::Map(Vec::new());
    for (n, e) in c.list("env").iter().enumerate() {
        let field = at(&format!("env[{n}]"));
        let Some(name) = e.get("name").and_then(Tree::scalar_text) else {
            continue;
        };
        if let Some(v) = variable(place, &field, &name, e, draft, &mut main) {
            env.set(&name, v);
        }
    }
    if !env.entries().is_empty() {
        place.put(draft, "env", env);
    }
    let env_from: Vec<Tree> = c
        .list("envFrom")
        .iter()
        .filter_map(|e| {
            let mut out = Tree::Map(Vec::new());
            if let Some(n) = e.at(&["secretRef", "name"]) {
                out.set("secret", n.clone());
            } else if let Some(n) = e.at(&["configMapRef", "name"]) {
                out.set("configMap", n.clone());
            } else {
                return None;
            }
            if let Some(p) = e.get("prefix") {
                out.set("prefix", p.clone());
            }
            let optional = e
                .at(&["secretRef", "optional"])
                .or(e.at(&["configMapRef", "optional"]));
            if let Some(o) = optional {
                out.set("optional", o.clone());
            }
            Some(out)
        })
        .collect();
    if !env_from.is_empty() {
        place.put(draft, "envFrom", Tree::List(env_from));
    }
    let mounts = c.list("volumeMounts");
    let mut out = Tree::Map(Vec::new());
    for (n, m) in mounts.iter().enumerate() {
        let field = at(&format!("volumeMounts[{n}]"));
        if let Some((path, v)) = mount(place, &field, m, volumes, draft, &mut main) {
            out.set(&path, v);
        }
    }
    if !out.entries().is_empty() {
        place.put(draft, "volumes", out);
    }
    for (key, why) in [
        ("securityContext", "flinkgen runs the Flink container with its own hardening (the image's flink user 9999, read-only root filesystem with writable emptyDirs for /tmp and the logs, no privilege escalation, all capabilities dropped); the input's securityContext is not copied"),
        ("livenessProbe", "flinkgen writes its own probes (the RPC port, the REST API)"),
        ("readinessProbe", "flinkgen writes its own probes (the RPC port, the REST API)"),
        ("startupProbe", "flinkgen writes its own probes"),
        ("lifecycle", "lifecycle hooks of the Flink container are not carried over"),
        ("workingDir", "flinkgen runs Flink in the image's working directory (localState sets another one)"),
    ] {
        if c.get(key).is_some() {
            draft.warn(obj.warning(&at(key), why));
        }
    }
    for (n, p) in c.list("ports").iter().enumerate() {
        let port = p
            .get("containerPort")
            .and_then(Tree::scalar_text)
            .unwrap_or_default();
        if p.get("hostPort").is_some() {
            draft.warn(obj.warning(&at(&format!("ports[{n}].hostPort")), format!("the host port of {port} is not carried over: flinkgen's pods use no host ports")));
        }
        if !matches!(
            port.as_str(),
            "6121" | "6122" | "6123" | "6124" | "6125" | "8081"
        ) {
            let named = p
                .get("name")
                .and_then(Tree::scalar_text)
                .unwrap_or_default();
            if !(named.contains("metric") || named.contains("prom")) {
                draft.warn(obj.warning(
                    &at(&format!("ports[{n}]")),
                    format!("the container port {port} ({named}) is not one flinkgen declares (6122-6124, 8081, the metrics port): check what connects to it"),
                ));
            }
        }
    }
    main
}

/// One environment variable of the Flink container as a spec `env` value; `None` when it is
/// flinkgen's own business or carried elsewhere.
fn variable(
    place: &Place,
    field: &str,
    name: &str,
    e: &Tree,
    draft: &mut Draft,
    main: &mut Main,
) -> Option<Tree> {
    let obj = place.obj;
    let value = e.get("value").and_then(Tree::scalar_text);
    if main.image.as_deref().is_some_and(bitnami::image) {
        if let Some(handled) = bitnami::variable(obj, field, name, e, draft, main) {
            return handled;
        }
    }
    match name {
        "FLINK_PROPERTIES" => {
            let first = obj.line(&format!("{field}.value")) + 1;
            main.properties =
                super::config::entrypoint_properties(&value.unwrap_or_default(), first);
            if main.properties.iter().any(|o| o.text().contains('$')) {
                draft.warn(obj.warning(field, "FLINK_PROPERTIES names environment variables, which the image's entrypoint substitutes at start-up; flinkgen writes the options as they are: give such values through flinkConfigFromSecrets or env instead"));
            }
            return None;
        }
        "ENABLE_BUILT_IN_PLUGINS" => {
            for jar in value
                .unwrap_or_default()
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                plugin(draft, jar);
            }
            return None;
        }
        // The pod's address and node, which flinkgen's (and Flink's native) pods get anyway.
        "JOB_MANAGER_RPC_ADDRESS" | "POD_IP" | "_POD_IP_ADDRESS" | "_POD_NODE_ID" => return None,
        "FLINK_CONF_DIR" => {
            draft.warn(obj.warning(field, "FLINK_CONF_DIR is flinkgen's business: its configuration folder is not carried over"));
            return None;
        }
        _ => {}
    }
    if let Some(v) = value {
        if literal::secret_variable(name, &v) {
            let secret = secret_variable(obj, field, name, draft);
            return Some(Tree::Map(vec![
                (Tree::Text("secret".into()), Tree::Text(secret)),
                (Tree::Text("key".into()), Tree::Text(name.to_string())),
            ]));
        }
        return Some(Tree::Text(v));
    }
    value_from(obj, field, name, e, draft)
}

/// A variable whose value comes from a Secret, a ConfigMap or the pod's own fields.
fn value_from(obj: &Obj, field: &str, name: &str, e: &Tree, draft: &mut Draft) -> Option<Tree> {
    let from = e.get("valueFrom")?;
    let reference = |kind: &str, r: &Tree| -> Tree {
        let mut out = Tree::Map(Vec::new());
        out.set(kind, r.get("name").cloned().unwrap_or(Tree::Null));
        out.set("key", r.get("key").cloned().unwrap_or(Tree::Null));
        if let Some(o) = r.get("optional") {
            out.set("optional", o.clone());
        }
        out
    };
    if let Some(r) = from.get("secretKeyRef") {
        return Some(reference("secret", r));
    }
    if let Some(r) = from.get("configMapKeyRef") {
        return Some(reference("configMap", r));
    }
    if let Some(p) = from.at(&["fieldRef", "fieldPath"]) {
        if name == "POD_NAME"
            && p.as_str() == Some("metadata.name")
            && draft.spec.at(&["taskManager", "localState"]).is_some()
        {
            return None;
        }
        return Some(Tree::Map(vec![(Tree::Text("field".into()), p.clone())]));
    }
    draft.warn(obj.warning(field, format!("`{name}` takes its value from a container resource; flinkgen's env has no such source: not imported")));
    None
}

/// The flag of the first secret on a command line (`--password x`, a URI with a password, a
/// `-D` property Flink hides), by the rule render applies to the same fields.
pub fn secret_in_words(words: &[String]) -> Option<String> {
    literal::secret_argument(words).map(|(_, flag)| flag)
}

/// A variable whose value is a secret in clear: the placeholder Secret it will come from,
/// and a warning that shows no line (the line would show the value).
fn secret_variable(obj: &Obj, field: &str, name: &str, draft: &mut Draft) -> String {
    let secret = format!("{}-env-secrets", draft.name);
    let mut w = obj.warning(
        field,
        format!("`{name}` holds a secret in clear: its value was not copied; create the Secret `{secret}` with the key `{name}` holding it"),
    );
    w.excerpt = None;
    draft.warn(w);
    secret
}

/// `flink-s3-fs-presto-1.20.0.jar` → the plugin `s3-fs-presto`: the official entrypoint links
/// each jar of `ENABLE_BUILT_IN_PLUGINS` (`;`-separated) from `opt/` into `plugins/`
/// (docker-entrypoint.sh in apache/flink-docker); flinkgen names plugins by the jar's base name.
fn plugin(draft: &mut Draft, jar: &str) {
    let base = jar.trim_end_matches(".jar").trim_start_matches("flink-");
    let name = match base.rfind('-') {
        Some(cut) if base[cut + 1..].starts_with(|c: char| c.is_ascii_digit()) => &base[..cut],
        _ => base,
    };
    draft.add(&["plugins"], name);
}

/// One mount of the Flink container as a `volumes` entry, keyed by mount path. Long because
/// each of the five volume kinds flinkgen has is read in its own way.
fn mount(
    place: &Place,
    field: &str,
    m: &Tree,
    volumes: &[Tree],
    draft: &mut Draft,
    main: &mut Main,
) -> Option<(String, Tree)> {
    let obj = place.obj;
    let path = m.get("mountPath").and_then(Tree::scalar_text)?;
    let path = if path.len() > 1 {
        path.trim_end_matches('/').to_string()
    } else {
        path
    };
    let name = m
        .get("name")
        .and_then(Tree::scalar_text)
        .unwrap_or_default();
    let v = volumes
        .iter()
        .find(|v| v.get("name").and_then(Tree::as_str) == Some(name.as_str()))?;
    if let Some(cm) = v.at(&["configMap", "name"]).and_then(Tree::scalar_text) {
        if place.config_maps.contains(&cm) {
            return None;
        }
    }
    // Bitnami's image writes its configuration and logs below these: its own layout, which
    // flinkgen's pods (run from the official image) do not have.
    if main.image.as_deref().is_some_and(bitnami::image)
        && (path.starts_with("/opt/bitnami/") || path.starts_with("/bitnami/"))
    {
        return None;
    }
    // flinkgen mounts emptyDirs of its own at the two folders Flink writes to.
    let own = match path.as_str() {
        "/opt/flink/log" => Some("flink-logs"),
        "/tmp" => Some("tmp"),
        _ => None,
    };
    if let Some(own) = own {
        if v.get("emptyDir").is_some() {
            main.renames.push((name, own.to_string()));
            return None;
        }
        draft.warn(obj.warning(field, format!("flinkgen mounts an emptyDir of its own at {path} (the root filesystem is read-only); this volume is not imported")));
        return None;
    }
    if m.get("subPath").is_some() || m.get("subPathExpr").is_some() {
        draft.warn(obj.warning(field, format!("the mount at {path} uses a subPath, which flinkgen's volumes do not have: the whole volume is mounted there")));
    }
    let mut out = Tree::Map(Vec::new());
    if let Some(cm) = v.get("configMap") {
        out.set("configMap", cm.get("name").cloned().unwrap_or(Tree::Null));
        if cm.get("items").is_some() {
            draft.warn(obj.warning(field, format!("the ConfigMap mounted at {path} lists single keys (items); flinkgen mounts all of its keys")));
        }
    } else if let Some(s) = v.get("secret") {
        out.set("secret", s.get("secretName").cloned().unwrap_or(Tree::Null));
        if s.get("items").is_some() {
            draft.warn(obj.warning(field, format!("the Secret mounted at {path} lists single keys (items); flinkgen mounts all of its keys")));
        }
    } else if let Some(e) = v.get("emptyDir") {
        let mut d = Tree::Map(Vec::new());
        for k in ["medium", "sizeLimit"] {
            if let Some(x) = e.get(k) {
                d.set(k, x.clone());
            }
        }
        out.set("emptyDir", d);
    } else if let Some(h) = v.get("hostPath") {
        let host = h
            .get("path")
            .and_then(Tree::scalar_text)
            .unwrap_or_default();
        if path == "/opt/flink/usrlib" {
            main.host_paths.push((path, host));
            return None;
        }
        let mut d = Tree::Map(vec![(Tree::Text("path".into()), Tree::Text(host))]);
        if let Some(t) = h.get("type") {
            d.set("type", t.clone());
        }
        out.set("hostPath", d);
    } else if let Some(c) = v.at(&["persistentVolumeClaim", "claimName"]) {
        out.set("persistentVolumeClaim", c.clone());
    } else {
        draft.warn(obj.warning(field, format!("the volume `{name}` mounted at {path} is of a kind flinkgen's volumes do not have (configMap, secret, emptyDir, hostPath, persistentVolumeClaim): not imported")));
        return None;
    }
    out.set("name", Tree::Text(name));
    if m.get("readOnly") == Some(&Tree::Bool(true))
        && out.get("secret").is_none()
        && out.get("configMap").is_none()
    {
        out.set("readOnly", Tree::Bool(true));
    }
    Some((path, out))
}

/// A sidecar or init container, kept as a Container object: flinkgen hardens it, so its own
/// securityContext goes, and a secret in its env is replaced by a Secret reference.
fn extra_container(
    place: &Place,
    c: &Tree,
    at: &str,
    renames: &[(String, String)],
    draft: &mut Draft,
) -> Option<Tree> {
    let obj = place.obj;
    let field = place.field(at);
    let words: Vec<String> = ["command", "args"]
        .iter()
        .flat_map(|k| c.list(k))
        .filter_map(Tree::scalar_text)
        .collect();
    if let Some(flag) = secret_in_words(&words) {
        let name = c
            .get("name")
            .and_then(Tree::scalar_text)
            .unwrap_or_default();
        let mut w = obj.warning(
            &field,
            format!("the container `{name}` passes a secret on its command line ({flag}); it is not imported: give it the value from a Secret (env with secretKeyRef, then $(VAR) in the argument) and add it back"),
        );
        w.excerpt = None;
        draft.warn(w);
        return None;
    }
    let mut out = Tree::Map(Vec::new());
    for (k, v) in c.entries() {
        let key = k.as_str().unwrap_or_default();
        match key {
            "securityContext" => draft.warn(obj.warning(
                &format!("{field}.securityContext"),
                "flinkgen gives sidecars and init containers the pods' hardening; this securityContext is not copied (if the container needs a weaker setting, list it in `weakens`)",
            )),
            "env" => out.set("env", env_without_secrets(obj, &field, v, draft)),
            "volumeMounts" => out.set(key, renamed_mounts(v, renames)),
            _ => out.set(key, v.clone()),
        }
    }
    Some(out)
}

/// A container's `env` list with every secret in clear replaced by a `secretKeyRef`.
fn env_without_secrets(obj: &Obj, field: &str, env: &Tree, draft: &mut Draft) -> Tree {
    let mut out = Vec::new();
    for (n, e) in env.items().iter().enumerate() {
        let name = e
            .get("name")
            .and_then(Tree::scalar_text)
            .unwrap_or_default();
        let value = e.get("value").and_then(Tree::scalar_text);
        if !value.is_some_and(|v| literal::secret_variable(&name, &v)) {
            out.push(e.clone());
            continue;
        }
        let secret = secret_variable(obj, &format!("{field}.env[{n}]"), &name, draft);
        let reference = Tree::Map(vec![
            (Tree::Text("name".into()), Tree::Text(secret)),
            (Tree::Text("key".into()), Tree::Text(name.clone())),
        ]);
        out.push(Tree::Map(vec![
            (Tree::Text("name".into()), Tree::Text(name)),
            (
                Tree::Text("valueFrom".into()),
                Tree::Map(vec![(Tree::Text("secretKeyRef".into()), reference)]),
            ),
        ]));
    }
    Tree::List(out)
}

/// Mounts of volumes that flinkgen's own stand for, pointed at flinkgen's.
fn renamed_mounts(mounts: &Tree, renames: &[(String, String)]) -> Tree {
    Tree::List(
        mounts
            .items()
            .iter()
            .map(|m| {
                let mut m = m.clone();
                let name = m.get("name").and_then(Tree::scalar_text);
                if let Some((_, new)) = renames.iter().find(|(old, _)| Some(old) == name.as_ref()) {
                    m.set("name", Tree::Text(new.clone()));
                }
                m
            })
            .collect(),
    )
}
