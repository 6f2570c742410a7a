//! What the Flink Kubernetes Operator does with a changed resource: any change of the spec
//! but `job.savepointTriggerNonce` is an upgrade that redeploys the cluster
//! (`AbstractFlinkResourceReconciler`: a spec change suspends and redeploys with the job's
//! upgrade mode); a new `savepointTriggerNonce` only takes a savepoint.

use serde_json::Value;

use super::facts::Facts;
use super::rules::{differences, Restart};

pub fn restarts(b: &Facts, a: &Facts, sb: &Value, sa: &Value) -> Vec<Restart> {
    let mut paths = Vec::new();
    differences(sb, sa, "spec", &mut paths);
    paths.retain(|p| p != "spec.job.savepointTriggerNonce");
    if paths.is_empty() {
        return Vec::new();
    }
    let shown: Vec<&str> = paths.iter().take(4).map(String::as_str).collect();
    let more = match paths.len() > 4 {
        true => format!(" and {} more", paths.len() - 4),
        false => String::new(),
    };
    let mut why = vec![format!(
        "the Operator redeploys on a spec change ({}{more})",
        shown.join(", ")
    )];
    let keys = super::rules::changed_keys(b, a);
    if !keys.is_empty() {
        why.push(format!("Flink configuration ({})", keys.join(", ")));
    }
    let roles: &[&str] = match a.files.contains_key("flinksessionjob.yaml") {
        true => &["job"],
        false => &["jobmanager", "taskmanager"],
    };
    roles
        .iter()
        .map(|r| Restart {
            role: r.to_string(),
            why: why.clone(),
        })
        .collect()
}
