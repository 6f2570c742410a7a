//! The Flink Kubernetes Operator's CRDs, per release: the spec schemas of FlinkDeployment and
//! FlinkSessionJob as each release's Helm chart defines them (`scripts/operator-crds.py`
//! generates `operator/<release>.json` from the Operator's repository). The API server of a
//! cluster running one release rejects (or silently drops) what its CRD does not define, so
//! what flinkgen writes for the Operator is checked against the release a project names.

use serde_json::Value;

/// Releases flinkgen knows, oldest first; the last is the default.
pub const RELEASES: &[(&str, &str)] = &[
    ("1.10", include_str!("operator/1.10.json")),
    ("1.11", include_str!("operator/1.11.json")),
    ("1.12", include_str!("operator/1.12.json")),
    ("1.13", include_str!("operator/1.13.json")),
    ("1.14", include_str!("operator/1.14.json")),
    ("1.15", include_str!("operator/1.15.json")),
];

/// The newest release, the default of `operatorVersion`.
pub fn newest() -> &'static str {
    RELEASES[RELEASES.len() - 1].0
}

/// The release named `v` (`"1.14"`), as flinkgen keeps it.
pub fn release(v: &str) -> Option<&'static str> {
    RELEASES.iter().map(|(r, _)| *r).find(|r| *r == v)
}

fn schema(release: &str, kind: &str) -> Option<Value> {
    let (_, text) = RELEASES.iter().find(|(r, _)| *r == release)?;
    let all: Value = serde_json::from_str(text).expect("operator CRD data is JSON (tested)");
    Some(all[kind].clone())
}

/// Checks a resource's `spec` against `release`'s CRD: the first field it does not accept.
pub fn check(release: &str, kind: &str, spec: &Value) -> Result<(), String> {
    let Some(schema) = schema(release, kind) else {
        return Err(format!("no CRD of {kind} for Operator {release}"));
    };
    conforms(spec, &schema, "spec", &|_, _| Ok(()))
}

/// The releases whose CRD accepts `spec`.
pub fn accepting(kind: &str, spec: &Value) -> Vec<&'static str> {
    RELEASES
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| check(r, kind, spec).is_ok())
        .collect()
}

/// Checks an embedded Pod template (`x-kubernetes-pod-template`) at a path.
pub type PodCheck<'a> = &'a dyn Fn(&Value, &str) -> Result<(), String>;

/// Whether `v` fits the cut-down structural schema (type, enum, properties,
/// additionalProperties, items, required). An embedded Pod template is the Kubernetes Pod
/// type, which flinkgen writes from typed values: `pod` checks it (render passes one that
/// accepts it; the tests round-trip it through the Pod type).
pub fn conforms(v: &Value, schema: &Value, path: &str, pod: PodCheck) -> Result<(), String> {
    if schema["x-kubernetes-pod-template"] == true {
        return pod(v, path);
    }
    let ok = match schema["type"].as_str() {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !ok {
        return Err(format!(
            "{path} is not a {}",
            schema["type"].as_str().unwrap_or("value")
        ));
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            return Err(format!("{path}: {v} is not one of {}", list(allowed)));
        }
    }
    if let Some(items) = v.as_array() {
        for (i, item) in items.iter().enumerate() {
            conforms(item, &schema["items"], &format!("{path}[{i}]"), pod)?;
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(r.as_str().unwrap_or_default()) {
                return Err(format!(
                    "{path}.{} is missing",
                    r.as_str().unwrap_or_default()
                ));
            }
        }
        for (k, child) in obj {
            let sub = match schema["properties"].get(k) {
                Some(p) => p,
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => return Err(format!("{path}.{k} is not a field")),
                    Value::Object(_) => &schema["additionalProperties"],
                    _ => continue,
                },
            };
            conforms(child, sub, &format!("{path}.{k}"), pod)?;
        }
    }
    Ok(())
}

fn list(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_release_is_checked_by_its_own_crd() {
        for (r, _) in RELEASES {
            for kind in ["FlinkDeployment", "FlinkSessionJob"] {
                assert!(
                    schema(r, kind).unwrap()["properties"].is_object(),
                    "{r} {kind}"
                );
            }
        }
        let v2_2 = json!({ "flinkVersion": "v2_2" });
        assert_eq!(
            accepting("FlinkDeployment", &v2_2),
            ["1.13", "1.14", "1.15"]
        );
        let v2_3 = json!({ "flinkVersion": "v2_3" });
        assert!(accepting("FlinkDeployment", &v2_3).is_empty());
        let e = check(
            "1.15",
            "FlinkDeployment",
            &json!({ "job": { "jarUri": "x" } }),
        );
        assert_eq!(e.unwrap_err(), "spec.job.jarUri is not a field");
        assert!(check("1.15", "FlinkDeployment", &json!({ "restartNonce": 2 })).is_ok());
        assert_eq!(newest(), "1.15");
    }
}
