//! Fields the API server never lets `kubectl apply` change: a changed one needs the object
//! deleted and created again, and says how.

use serde_json::Value;

use super::facts::Facts;

/// (file, what changed, how to make the change) for each object of a folder that
/// `kubectl apply` would be refused on.
pub fn replaced(b: &Facts, a: &Facts, folder: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (file, docs) in &a.docs {
        let Some(before) = b.docs.get(file) else {
            continue;
        };
        for (new, old) in docs.iter().zip(before) {
            if new["kind"] != old["kind"] || new["metadata"]["name"] != old["metadata"]["name"] {
                continue;
            }
            let name = new["metadata"]["name"].as_str().unwrap_or_default();
            let fields = frozen(new["kind"].as_str().unwrap_or_default());
            let changed: Vec<&str> = fields
                .iter()
                .copied()
                .filter(|f| pointer(old, f) != pointer(new, f))
                .collect();
            if changed.is_empty() {
                continue;
            }
            let how = match new["kind"].as_str() {
                Some("StatefulSet") => format!("kubectl delete statefulset -n {} {name} --cascade=orphan, then apply (its pods and claims stay); Argo CD: the sync option Replace=true", b.namespace()),
                _ => format!("kubectl replace --force -f {folder}/{file} (deletes and creates it); Argo CD: the sync options Force=true,Replace=true"),
            };
            let what = changed
                .iter()
                .map(|f| format!("spec.{f}"))
                .collect::<Vec<_>>()
                .join(", ");
            // Claims are created from the template once: a new size reaches none of them.
            let claims = match changed.contains(&"volumeClaimTemplates") {
                true => " (existing claims keep their size: resize each with kubectl patch pvc, where the storage class allows expansion)",
                false => "",
            };
            out.push((
                file.clone(),
                format!(
                    "{} {name}: {what} cannot change{claims}",
                    new["kind"].as_str().unwrap_or_default()
                ),
                how,
            ));
        }
    }
    out
}

/// Immutable spec fields per kind, the ones flinkgen's objects set, as the API server refuses
/// them: a StatefulSet answers "spec: Forbidden: updates to statefulset spec for fields other
/// than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit',
/// 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
/// (`ValidateStatefulSetUpdate`, pkg/apis/apps/validation); a Job's `spec.selector`
/// (`ValidateImmutableField`) and `spec.template` (`validatePodTemplateUpdate`), both in
/// `ValidateJobSpecUpdate` of pkg/apis/batch/validation; a Deployment's `spec.selector`
/// ("field is immutable" since apps/v1).
fn frozen(kind: &str) -> &'static [&'static str] {
    match kind {
        "Job" => &["template", "selector"],
        "StatefulSet" => &[
            "volumeClaimTemplates",
            "serviceName",
            "selector",
            "podManagementPolicy",
        ],
        "Deployment" => &["selector"],
        _ => &[],
    }
}

fn pointer<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    v["spec"].get(field)
}
