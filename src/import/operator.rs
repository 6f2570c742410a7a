//! The Flink Kubernetes Operator's resources: a `FlinkDeployment` with a job is an application
//! (`jobs/`), one without is a session cluster (`clusters/`), a `FlinkSessionJob` a job
//! submitted to one. Fields as the Operator's spec classes name them.

use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::tree::Tree;

use super::config::{self, At};
use super::draft::{Draft, Kind, Role};
use super::objects::Obj;
use super::{logging, pod, units};

/// `v1_20` → Flink 1.20.
pub fn version(obj: &Obj, diags: &mut Diagnostics) -> Option<Version> {
    let field = "spec.flinkVersion";
    let Some(v) = obj.text(&["spec", "flinkVersion"]) else {
        diags.push(obj.error(
            field,
            "the FlinkDeployment names no flinkVersion (the Operator requires one)",
        ));
        return None;
    };
    let dotted = v.trim_start_matches('v').replace('_', ".");
    match Version::parse(&dotted) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(
                obj.error(field, format!("{e}; this deployment is not imported"))
                    .help(format!(
                        "flinkgen supports Flink {}",
                        Version::supported_list()
                    )),
            );
            None
        }
    }
}

pub fn deployment(obj: &Obj, name: &str, version: Version) -> Draft {
    let kind = if obj.at(&["spec", "job"]).is_some() {
        Kind::Application
    } else {
        Kind::Cluster
    };
    let mut d = Draft::new(kind, name, &obj.file, version);
    d.put(&["target"], Tree::Text("operator".into()));
    // No mode is native (`KubernetesDeploymentMode.getDeploymentMode`).
    let mode = match obj.text(&["spec", "mode"]).as_deref() {
        Some("standalone") => "standalone",
        _ => "native",
    };
    d.put(&["mode"], Tree::Text(mode.into()));
    d.put(&["flinkVersion"], Tree::Text(version.minor_str()));
    if let Some(image) = obj.text(&["spec", "image"]) {
        d.image_ref(&image);
    }
    if let Some(p) = obj.text(&["spec", "imagePullPolicy"]) {
        d.put(&["image", "pullPolicy"], Tree::Text(p));
    }
    job(obj, &mut d);
    if let Some(ns) = &obj.namespace {
        d.put(&["namespace"], Tree::Text(ns.clone()));
    }
    if let Some(sa) = obj.text(&["spec", "serviceAccount"]) {
        d.put(&["serviceAccount", "name"], Tree::Text(sa));
        d.put(&["serviceAccount", "create"], Tree::Bool(false));
    }
    let options = config::from_map(obj, &["spec", "flinkConfiguration"]);
    let at = At {
        obj,
        field: "spec.flinkConfiguration".into(),
    };
    config::apply(&options, &at, &mut d);
    for role in [Role::JobManager, Role::TaskManager] {
        process(obj, role, &mut d);
    }
    let common = pod::Place {
        obj,
        path: vec!["spec", "podTemplate", "spec"],
        role: None,
        main: Some("flink-main-container"),
        config_maps: &[],
    };
    let main = pod::apply(&common, &mut d);
    properties_elsewhere(obj, &main, &mut d);
    ingress(obj, &mut d);
    if let Some(text) = obj.text(&["spec", "logConfiguration", "log4j-console.properties"]) {
        logging::apply(
            obj,
            "spec.logConfiguration.log4j-console.properties",
            &text,
            &mut d,
        );
    }
    if obj
        .at(&["spec", "logConfiguration", "logback-console.xml"])
        .is_some()
    {
        d.warn(obj.warning(
            "spec.logConfiguration.logback-console.xml",
            "flinkgen configures log4j only; the logback configuration is not imported",
        ));
    }
    if let Some(n) = obj.at(&["spec", "restartNonce"]) {
        d.put(&["operator", "restartNonce"], n.clone());
    }
    d
}

/// The JobManager's or TaskManager's part: replicas, resources and pod template.
/// Long because the Operator has two resource forms (`resource`, `resources`) with limit factors.
fn process(obj: &Obj, role: Role, d: &mut Draft) {
    let key = role.field();
    let Some(spec) = obj.at(&["spec", key]) else {
        return;
    };
    if let Some(r) = spec.get("replicas") {
        d.put(&[key, "replicas"], r.clone());
    }
    let requests = spec.at(&["resources", "requests"]);
    let limits = spec.at(&["resources", "limits"]);
    // The Operator prefers `resources` over the deprecated `resource` when both are given
    // (`FlinkConfigBuilder.applyResourceConfig`).
    let pick = |k: &str| {
        requests
            .and_then(|r| r.get(k))
            .or(limits.and_then(|l| l.get(k)))
    };
    let (memory, cpu, field) = if requests.is_some() || limits.is_some() {
        (pick("memory"), pick("cpu"), format!("spec.{key}.resources"))
    } else {
        (
            spec.at(&["resource", "memory"]),
            spec.at(&["resource", "cpu"]),
            format!("spec.{key}.resource"),
        )
    };
    if let Some(m) = memory.and_then(Tree::scalar_text) {
        match units::operator_memory(&m) {
            Some(bytes) => {
                let line = obj.line(&format!("{field}.memory"));
                d.memory.push((role, "process", m.clone(), line));
                d.profile(role).child("memory").set(
                    "process",
                    Tree::Text(crate::derive::quantity::flink_size(bytes)),
                );
            }
            None => d.warn(obj.warning(
                &format!("{field}.memory"),
                format!("`{m}` is not a memory size the Operator reads; not imported"),
            )),
        }
    }
    if let Some(c) = cpu.and_then(Tree::scalar_text) {
        match units::cpu_millis(&c) {
            Some(m) => d
                .profile(role)
                .set("cpu", Tree::Text(crate::derive::quantity::k8s_cpu(m))),
            None => d.warn(obj.warning(
                &format!("{field}.cpu"),
                format!("`{c}` is not a cpu amount; not imported"),
            )),
        }
    }
    if let Some(e) = spec
        .at(&["resource", "ephemeralStorage"])
        .or(pick("ephemeral-storage"))
    {
        d.profile(role).set("ephemeralStorage", e.clone());
    }
    for (what, q) in [("memory", "memory"), ("cpu", "cpu")] {
        let (Some(r), Some(l)) = (
            requests.and_then(|r| r.get(q)).and_then(Tree::scalar_text),
            limits.and_then(|l| l.get(q)).and_then(Tree::scalar_text),
        ) else {
            continue;
        };
        let parse = |t: &str| {
            if q == "memory" {
                units::operator_memory(t).map(|b| b as f64)
            } else {
                units::k8s_quantity(t)
            }
        };
        if let (Some(r), Some(l)) = (parse(&r), parse(&l)) {
            if r > 0.0 && l > r {
                d.profile(role)
                    .child("limitFactor")
                    .set(what, Tree::Float(l / r));
            }
        }
    }
    let place = pod::Place {
        obj,
        path: vec!["spec", key, "podTemplate", "spec"],
        role: Some(role),
        main: Some("flink-main-container"),
        config_maps: &[],
    };
    let main = pod::apply(&place, d);
    properties_elsewhere(obj, &main, d);
}

/// The Operator writes the processes' configuration from `flinkConfiguration`; options in a
/// pod's `FLINK_PROPERTIES` are not carried over, and said so.
fn properties_elsewhere(obj: &Obj, main: &pod::Main, d: &mut Draft) {
    if let Some(first) = main.properties.first() {
        let keys: Vec<&str> = main.properties.iter().map(|o| o.key.as_str()).collect();
        d.warn(obj.warning_line(first.line, "FLINK_PROPERTIES", format!("options in FLINK_PROPERTIES are not imported ({}): move them to spec.flinkConfiguration", keys.join(", "))));
    }
}

/// `spec.job` of a FlinkDeployment or FlinkSessionJob.
fn job(obj: &Obj, d: &mut Draft) {
    let Some(job) = obj.at(&["spec", "job"]) else {
        return;
    };
    let text = |k: &str| job.get(k).and_then(Tree::scalar_text);
    if let Some(jar) = text("jarURI") {
        d.put(&["jar"], Tree::Text(jar));
    }
    if let Some(c) = text("entryClass") {
        d.put(&["entryClass"], Tree::Text(c));
    }
    if let Some(args) = job.get("args") {
        let texts: Vec<String> = args.items().iter().filter_map(Tree::scalar_text).collect();
        if let Some(flag) = pod::secret_in_words(&texts) {
            let mut w = obj.warning("spec.job.args", format!("the program arguments carry a secret ({flag}); they are not imported: pass the value from a Secret (env with secretKeyRef, then $(VAR) in the argument)"));
            w.excerpt = None;
            d.warn(w);
        } else {
            d.put(&["args"], args.clone());
        }
    }
    if let Some(p) = job.get("parallelism") {
        d.put(&["parallelism"], p.clone());
    }
    if let Some(m) = text("upgradeMode") {
        d.put(&["upgradeMode"], Tree::Text(m));
    }
    if let Some(p) = text("initialSavepointPath") {
        d.put(&["savepoints", "restoreFrom"], Tree::Text(p));
    }
    if let Some(a) = job.get("allowNonRestoredState") {
        d.put(&["savepoints", "allowNonRestoredState"], a.clone());
    }
    if let Some(n) = job.get("savepointTriggerNonce") {
        d.put(&["operator", "savepointTriggerNonce"], n.clone());
    }
    if text("state").as_deref() == Some("suspended") {
        d.warn(obj.warning("spec.job.state", "the job is suspended in the input; flinkgen's FlinkDeployment runs it: keep it out of the cluster until it should run"));
    }
    for key in [
        "savepointRedeployNonce",
        "checkpointTriggerNonce",
        "autoscalerResetNonce",
    ] {
        if job.get(key).is_some() {
            d.warn(obj.warning(
                &format!("spec.job.{key}"),
                format!("`{key}` has no counterpart in flinkgen; not imported"),
            ));
        }
    }
}

/// The Operator's ingress template (`{{name}}.{{namespace}}.example.com`, or a path form) as
/// a host and path, as `IngressUtils.getIngressUrl` reads it: an optional `http(s)://`, the
/// placeholders in any case.
fn ingress(obj: &Obj, d: &mut Draft) {
    let Some(i) = obj.at(&["spec", "ingress"]) else {
        return;
    };
    let ns = obj.namespace.clone().unwrap_or_else(|| "default".into());
    let fill = |t: &str| {
        let lower = t.to_ascii_lowercase();
        let t = ["http://", "https://"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map_or(t, |p| &t[p.len()..]);
        replace_ignoring_case(
            &replace_ignoring_case(t, "{{name}}", &obj.name),
            "{{namespace}}",
            &ns,
        )
    };
    if let Some(t) = i.get("template").and_then(Tree::scalar_text) {
        let t = fill(&t);
        let (host, path) = match t.split_once('/') {
            Some((h, p)) => (h.to_string(), format!("/{p}")),
            None => (t.clone(), String::new()),
        };
        if !host.is_empty() {
            d.put(&["ingress", "host"], Tree::Text(host));
        }
        if !path.is_empty() {
            let clean = path
                .split('(')
                .next()
                .unwrap_or("/")
                .trim_end_matches('/')
                .to_string();
            d.put(
                &["ingress", "path"],
                Tree::Text(if clean.is_empty() { "/".into() } else { clean }),
            );
            d.warn(obj.warning("spec.ingress.template", format!("the ingress path `{path}` is imported as a prefix; the Operator's rewrite annotations are the ingress controller's business: check them")));
        }
    } else {
        d.spec.child("ingress");
    }
    if let Some(c) = i.get("className") {
        d.put(&["ingress", "className"], c.clone());
    }
    if let Some(a) = i.get("annotations") {
        d.put(&["ingress", "annotations"], a.clone());
    }
    if let Some(tls) = i.get("tls").map(Tree::items).and_then(|t| t.first()) {
        if let Some(s) = tls.get("secretName") {
            d.put(&["ingress", "tlsSecret"], s.clone());
        }
    }
}

/// A FlinkSessionJob: its job, and the session cluster it runs on.
pub fn session_job(obj: &Obj, cluster: &str, version: Version) -> Draft {
    let mut d = Draft::new(
        Kind::SessionJob(cluster.to_string()),
        &obj.name,
        &obj.file,
        version,
    );
    d.put(&["session"], Tree::Text(cluster.to_string()));
    job(obj, &mut d);
    if let Some(ns) = &obj.namespace {
        d.put(&["namespace"], Tree::Text(ns.clone()));
    }
    let options = config::from_map(obj, &["spec", "flinkConfiguration"]);
    let at = At {
        obj,
        field: "spec.flinkConfiguration".into(),
    };
    config::apply(&options, &at, &mut d);
    d
}

/// `text` with every `pattern` (ASCII, any case) replaced.
fn replace_ignoring_case(text: &str, pattern: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(pattern) {
        out.push_str(&text[at..at + i]);
        out.push_str(with);
        at += i + pattern.len();
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn fills_the_ingress_template_as_the_operator_does() {
        assert_eq!(
            super::replace_ignoring_case("https://{{NAME}}.{{name}}.x", "{{name}}", "a"),
            "https://a.a.x"
        );
    }
}
