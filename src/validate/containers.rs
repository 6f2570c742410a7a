//! Sidecars and init containers: Kubernetes Containers read with the API's own type, sized,
//! hardened like Flink's container, mounting only volumes the pod has.

use serde_json::{json, Value};

use crate::diag::Diagnostics;
use crate::load::Source;
use crate::model::PodExtras;

use super::units;

/// Names of flinkgen's own containers, which a sidecar may not take.
const RESERVED_CONTAINERS: &[&str] = &[
    "jobmanager",
    "taskmanager",
    "flink-main-container",
    "submit",
];

/// The hardening of flinkgen's containers, which a sidecar's own securityContext refines
/// field by field.
fn hardened() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "capabilities": { "drop": ["ALL"] },
    })
}

/// A container as the Kubernetes API reads it, named, with an image and resources, hardened
/// like Flink's unless it says otherwise (then a warning names what it weakens).
pub fn container(
    src: &Source,
    field: &str,
    c: &crate::load::tree::Tree,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let mut c = super::kube::typed::<k8s_openapi::api::core::v1::Container>(src, field, c, diags)?;
    let name = c["name"].as_str().unwrap_or_default().to_string();
    if let Err(e) = units::dns_label(&name, 63) {
        diags.push(src.error(&format!("{field}.name"), e));
        return None;
    }
    if RESERVED_CONTAINERS.contains(&name.as_str()) {
        diags.push(src.error(
            &format!("{field}.name"),
            format!("`{name}` is the name of flinkgen's own container"),
        ));
        return None;
    }
    if c.get("image").is_none() {
        diags.push(
            src.key_error(field, format!("container `{name}` has no image"))
                .help("add image: <repository>:<tag>"),
        );
        return None;
    }
    let res = &c["resources"];
    let sized = ["requests", "limits"]
        .iter()
        .all(|k| res[k]["cpu"].is_string() && res[k]["memory"].is_string());
    if !sized {
        diags.push(
            src.key_error(field, format!("container `{name}` needs cpu and memory requests and limits, like every container flinkgen writes"))
                .help("add resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 200m, memory: 128Mi } }"),
        );
        return None;
    }
    let mut sc = hardened();
    if let Some(own) = c.get("securityContext").and_then(Value::as_object) {
        let weakened: Vec<&str> = [
            ("allowPrivilegeEscalation", json!(true)),
            ("readOnlyRootFilesystem", json!(false)),
            ("privileged", json!(true)),
            ("runAsNonRoot", json!(false)),
            ("runAsUser", json!(0)),
        ]
        .iter()
        .filter(|(k, bad)| own.get(*k) == Some(bad))
        .map(|(k, _)| *k)
        .chain(
            own.get("capabilities")
                .and_then(|c| c.get("add"))
                .map(|_| "capabilities.add"),
        )
        .collect();
        if !weakened.is_empty() {
            diags.push(
                src.warning(
                    &format!("{field}.securityContext"),
                    format!(
                        "container `{name}` weakens the pods' hardening: {}",
                        weakened.join(", ")
                    ),
                )
                .help("keep it only if the container cannot run otherwise"),
            );
        }
        for (k, v) in own {
            sc[k] = v.clone();
        }
    }
    c["securityContext"] = sc;
    Some(c)
}

/// Sidecars and init containers have unique names and mount only volumes the pod has. Those
/// written for every pod are reported once, under the JobManager's check.
pub fn containers_fit(
    src: &Source,
    field: &str,
    base: &PodExtras,
    x: &PodExtras,
    diags: &mut Diagnostics,
) {
    let mut volumes: Vec<&str> = x.mounts.values().map(|m| m.name.as_str()).collect();
    volumes.extend(["flink-config-volume", "tmp", "flink-logs"]);
    let mut names: Vec<&str> = Vec::new();
    for (what, list, shared) in [
        ("sidecars", &x.sidecars, base.sidecars.len()),
        (
            "initContainers",
            &x.init_containers,
            base.init_containers.len(),
        ),
    ] {
        for (i, c) in list.iter().enumerate() {
            let (prefix, at) = if i < shared {
                ("", i)
            } else {
                (field, i - shared)
            };
            let here = format!("{prefix}{what}[{at}]");
            let name = c["name"].as_str().unwrap_or_default();
            let duplicate = names.contains(&name);
            names.push(name);
            if i < shared && field != "jobManager." {
                continue;
            }
            if duplicate {
                diags.push(src.key_error(&here, format!("two containers are named `{name}`")));
            }
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let v = m["name"].as_str().unwrap_or_default();
                if !volumes.contains(&v) {
                    diags.push(
                        src.key_error(
                            &here,
                            format!(
                                "container `{name}` mounts `{v}`, which the pod has no volume of"
                            ),
                        )
                        .help(format!("mount one of: {}", volumes.join(", "))),
                    );
                }
            }
        }
    }
}
