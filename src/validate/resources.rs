//! `resources:` Kubernetes manifests of the project that a job deploys beside its own objects.
//! They reach `out/` as they are, so they are held to what flinkgen's own output is: the
//! Kubernetes types of the kinds it knows (an unknown field is an error), the job's namespace,
//! no secret values, and no name of an object flinkgen writes itself.

use serde_json::{json, Value};

use crate::derive::wiring;
use crate::diag::Diagnostics;
use crate::load::tree::Tree;
use crate::load::Source;
use crate::model::Resource;

use super::ProjectFiles;

/// Kinds that belong to no namespace: a job's folder deploys into its namespace only.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
];

/// The manifests at `paths`, checked, each document in the job's namespace.
pub fn resources(
    src: &Source,
    paths: &[String],
    name: &str,
    namespace: &str,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> Vec<Resource> {
    let mut out = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let field = format!("resources[{i}]");
        if super::image::project_path(src, &field, path, false, diags).is_none() {
            continue;
        }
        let text = match files.get(path) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                diags.push(
                    src.error(&field, format!("{path}: {}", e.message))
                        .help(e.help.clone()),
                );
                continue;
            }
            None => {
                diags.push(src.error(
                    &field,
                    format!("`{path}` names a folder; list the manifest files"),
                ));
                continue;
            }
        };
        let docs = match crate::load::yaml::documents(text) {
            Ok(d) => d,
            Err(e) => {
                diags.push(src.error(&field, format!("{path}: invalid YAML: {e}")));
                continue;
            }
        };
        if docs.is_empty() {
            diags.push(src.error(&field, format!("{path} holds no Kubernetes object")));
        }
        for (n, doc) in docs.iter().enumerate() {
            let at = Place {
                src,
                field: &field,
                path,
                n: n + 1,
            };
            if let Some(doc) = object(&at, doc, name, namespace, diags) {
                out.push(Resource {
                    file: path.clone(),
                    doc,
                });
            }
        }
    }
    out
}

/// Where a document is, for messages: the spec field and the file's n-th document.
struct Place<'a> {
    src: &'a Source,
    field: &'a str,
    path: &'a str,
    n: usize,
}

impl Place<'_> {
    fn error(&self, message: impl std::fmt::Display) -> crate::diag::Diagnostic {
        self.src.error(
            self.field,
            format!("{} (document {}): {message}", self.path, self.n),
        )
    }
    fn warning(&self, message: impl std::fmt::Display) -> crate::diag::Diagnostic {
        self.src.warning(
            self.field,
            format!("{} (document {}): {message}", self.path, self.n),
        )
    }
}

/// One document: named, namespaced in the job's namespace, checked by its kind.
fn object(
    at: &Place,
    doc: &Tree,
    job: &str,
    namespace: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let mut json = match doc.to_json() {
        Ok(j) if j.is_object() => j,
        Ok(_) => {
            diags.push(at.error("is not a Kubernetes object (a map with apiVersion and kind)"));
            return None;
        }
        Err(e) => {
            diags.push(at.error(e));
            return None;
        }
    };
    let (Some(_), Some(kind)) = (json["apiVersion"].as_str(), json["kind"].as_str()) else {
        diags.push(at.error("has no apiVersion and kind"));
        return None;
    };
    let kind = kind.to_string();
    let Some(name) = json["metadata"]["name"].as_str().map(String::from) else {
        diags.push(at.error(format!("the {kind} has no metadata.name")));
        return None;
    };
    if let Err(e) = super::units::dns_subdomain(&name) {
        diags.push(at.error(format!("the {kind}'s name: {e}")));
        return None;
    }
    if CLUSTER_SCOPED.contains(&kind.as_str()) {
        diags.push(
            at.error(format!(
                "a {kind} belongs to no namespace; a job deploys objects of its own namespace only"
            ))
            .help("apply cluster-wide objects with the platform's own manifests"),
        );
        return None;
    }
    match json["metadata"]["namespace"].as_str() {
        Some(ns) if ns != namespace => {
            diags.push(
                at.error(format!(
                    "the {kind} {name} is in namespace {ns}, and the job in {namespace}"
                ))
                .help("remove metadata.namespace: flinkgen puts the object in the job's namespace"),
            );
            return None;
        }
        _ => json["metadata"]["namespace"] = json!(namespace),
    }
    checked(at, json, job, diags)
}

/// A namespaced object's content: no Secret data nor secret value, no name of flinkgen's, and
/// the fields of its Kubernetes type where flinkgen knows the kind.
fn checked(at: &Place, json: Value, job: &str, diags: &mut Diagnostics) -> Option<Value> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let (api, kind) = (text(&json["apiVersion"]), text(&json["kind"]));
    let name = text(&json["metadata"]["name"]);
    let (api, kind, name) = (api.as_str(), kind.as_str(), name.as_str());
    if kind == "Secret"
        && api == "v1"
        && (json.get("data").is_some() || json.get("stringData").is_some())
    {
        diags.push(
            at.error(format!("the Secret {name} holds data; flinkgen never writes a secret into out/, which is committed"))
                .help("create the Secret outside git (a secret manager, Sealed Secrets, External Secrets) and refer to it by name"),
        );
        return None;
    }
    if let Some(why) = secret_in(&json, "") {
        diags.push(at.error(format!(
            "{why}; flinkgen never writes a secret into out/, which is committed"
        )));
        return None;
    }
    if owned_name(job, name) {
        diags.push(
            at.error(format!(
                "`{name}` is the name of an object flinkgen writes for this job"
            ))
            .help("give the object a name of its own"),
        );
        return None;
    }
    match typed(api, kind, &json) {
        Some(Ok(())) => Some(json),
        Some(Err(e)) => {
            diags.push(at.error(format!("not a valid {kind}: {e}")));
            None
        }
        None => {
            diags.push(
                at.warning(format!("{api} {kind} is not a kind flinkgen knows the schema of; it is written as it is, unchecked"))
                    .help("check it with its own schema (kubectl apply --dry-run=server, or kubeconform with the CRD)"),
            );
            Some(json)
        }
    }
}

/// The names flinkgen gives a job's own objects (wiring), whatever their kind.
fn owned_name(job: &str, name: &str) -> bool {
    [
        job.to_string(),
        wiring::jobmanager_service(job),
        wiring::rest_service(job),
        wiring::taskmanager_name(job),
        wiring::config_map(job, false),
        wiring::config_map(job, true),
        wiring::pod_template_map(job),
        wiring::files_config_map(job),
        format!("{job}-jobmanager"),
        format!("{job}-flink"),
    ]
    .contains(&name.to_string())
}

/// The one secret rule of `literal`, over a whole object: an env entry, any key and its
/// string value, any URI.
fn secret_in(v: &Value, at: &str) -> Option<String> {
    match v {
        Value::Object(map) => {
            if let (Some(Value::String(n)), Some(Value::String(val))) =
                (map.get("name"), map.get("value"))
            {
                if super::literal::secret_variable(n, val) {
                    return Some(format!("{at}: the variable {n} holds a secret"));
                }
            }
            map.iter().find_map(|(k, x)| {
                let here = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match x {
                    Value::String(s) if super::literal::secret_annotation(k, s) => {
                        Some(format!("{here} holds a secret"))
                    }
                    _ => secret_in(x, &here),
                }
            })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| secret_in(x, &format!("{at}[{i}]"))),
        Value::String(s) if super::literal::password_in_uri(s) => {
            Some(format!("{at} is a URI with a password"))
        }
        _ => None,
    }
}

/// Round-trips a known kind through its Kubernetes type: a field the type does not know is an
/// error. `None` for a kind flinkgen has no type of (custom resources).
fn typed(api: &str, kind: &str, json: &Value) -> Option<Result<(), String>> {
    use k8s_openapi::api::{
        apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
        networking::v1 as net, policy::v1 as policy, rbac::v1 as rbac,
    };
    fn check<T: serde::de::DeserializeOwned + serde::Serialize>(
        json: &Value,
    ) -> Result<(), String> {
        use super::kube::Refusal;
        match super::kube::round_trip::<T>(json) {
            Ok(_) => Ok(()),
            Err(Refusal::Invalid(e)) => Err(e),
            Err(Refusal::Unknown(path)) => {
                Err(format!("unknown field {}", path.trim_start_matches('.')))
            }
        }
    }
    Some(match (api, kind) {
        ("v1", "Service") => check::<core::Service>(json),
        ("v1", "ConfigMap") => check::<core::ConfigMap>(json),
        ("v1", "ServiceAccount") => check::<core::ServiceAccount>(json),
        ("v1", "PersistentVolumeClaim") => check::<core::PersistentVolumeClaim>(json),
        ("v1", "Pod") => check::<core::Pod>(json),
        ("v1", "Secret") => check::<core::Secret>(json),
        ("apps/v1", "Deployment") => check::<apps::Deployment>(json),
        ("apps/v1", "StatefulSet") => check::<apps::StatefulSet>(json),
        ("apps/v1", "DaemonSet") => check::<apps::DaemonSet>(json),
        ("batch/v1", "Job") => check::<batch::Job>(json),
        ("batch/v1", "CronJob") => check::<batch::CronJob>(json),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            check::<autoscaling::HorizontalPodAutoscaler>(json)
        }
        ("networking.k8s.io/v1", "NetworkPolicy") => check::<net::NetworkPolicy>(json),
        ("networking.k8s.io/v1", "Ingress") => check::<net::Ingress>(json),
        ("policy/v1", "PodDisruptionBudget") => check::<policy::PodDisruptionBudget>(json),
        ("rbac.authorization.k8s.io/v1", "Role") => check::<rbac::Role>(json),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => check::<rbac::RoleBinding>(json),
        _ => return None,
    })
}
