//! Checks and helpers shared by the test suites.

#![allow(dead_code)]

use serde_json::Value;

/// The first place where two JSON trees differ, as a path.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (l, r) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(l, r, &format!("{path}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: generated {a} but the API type keeps {b}")),
    }
}

/// Parses `json` as the Kubernetes type `T` and requires that nothing is lost on the way back.
pub fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    json: &Value,
) -> Result<T, String> {
    let typed: T = serde_json::from_value(json.clone())
        .map_err(|e| format!("not a valid {}: {e}", std::any::type_name::<T>()))?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    match first_difference(json, &back, "") {
        Some(d) => Err(format!(
            "a field does not survive the Kubernetes types: {d}"
        )),
        None => Ok(typed),
    }
}

/// Round-trips any generated manifest through the API type its `kind` names.
pub fn check_manifest(json: &Value) -> Result<(), String> {
    use k8s_openapi::api::{
        apps::v1::{Deployment, StatefulSet},
        batch::v1::Job,
        core::v1,
        networking::v1::{Ingress, NetworkPolicy},
        policy::v1::PodDisruptionBudget,
        rbac::v1::{Role, RoleBinding},
    };
    match json["kind"].as_str() {
        Some("Job") => round_trip::<Job>(json).map(drop),
        Some("Deployment") => round_trip::<Deployment>(json).map(drop),
        Some("StatefulSet") => round_trip::<StatefulSet>(json).map(drop),
        Some("Service") => round_trip::<v1::Service>(json).map(drop),
        Some("ConfigMap") => {
            let cm = round_trip::<v1::ConfigMap>(json)?;
            // A native pod template is a Pod inside the ConfigMap: check it as one too.
            for (key, text) in cm.data.iter().flatten() {
                if key.ends_with("pod-template.yaml") {
                    let pod: Value =
                        serde_yaml::from_str(text).map_err(|e| format!("{key}: {e}"))?;
                    round_trip::<v1::Pod>(&pod).map_err(|e| format!("{key}: {e}"))?;
                }
            }
            Ok(())
        }
        Some("ServiceAccount") => round_trip::<v1::ServiceAccount>(json).map(drop),
        Some("Role") => round_trip::<Role>(json).map(drop),
        Some("RoleBinding") => round_trip::<RoleBinding>(json).map(drop),
        Some("Ingress") => round_trip::<Ingress>(json).map(drop),
        Some(kind @ ("FlinkDeployment" | "FlinkSessionJob")) => {
            let crds: Value =
                serde_json::from_str(include_str!("../data/operator-crds.json")).unwrap();
            validate_schema(json, &crds[kind], "")
        }
        Some("NetworkPolicy") => round_trip::<NetworkPolicy>(json).map(drop),
        Some("HorizontalPodAutoscaler") => {
            round_trip::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(json).map(drop)
        }
        Some("PodMonitor") => {
            let crd: Value =
                serde_json::from_str(include_str!("../data/podmonitor-crd.json")).unwrap();
            validate_schema(json, &crd["PodMonitor"], "")
        }
        Some("PodDisruptionBudget") => round_trip::<PodDisruptionBudget>(json).map(drop),
        Some("Kustomization") => Ok(()),
        other => Err(format!("unexpected kind {other:?}")),
    }
}

/// Checks `v` against the subset of OpenAPI v3 schema the Operator's CRDs use, with flinkgen's
/// own checker; embedded Pod templates are round-tripped through the Kubernetes Pod type.
pub fn validate_schema(v: &Value, schema: &Value, path: &str) -> Result<(), String> {
    let pod = |v: &Value, path: &str| {
        // Operator templates are partial: the Pod type's one required field may be absent.
        let mut pod = v.clone();
        if pod["spec"].is_object() && pod["spec"].get("containers").is_none() {
            pod["spec"]["containers"] = Value::Array(Vec::new());
        }
        round_trip::<k8s_openapi::api::core::v1::PodTemplateSpec>(&pod)
            .map(drop)
            .map_err(|e| format!("{path}: {e}"))
    };
    flinkgen::flink::operator::conforms(v, schema, path, &pod)
}

/// A scratch copy of a golden case's input, to run the binary on.
pub fn scratch_case(case: &str) -> tempfile::TempDir {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(case)
        .join("input");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&src, dir.path());
    dir
}

/// Copies the tree at `from` into `to` (folders and regular files).
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}
