//! What the Flink Kubernetes Operator does with a changed resource: a spec change is an
//! upgrade that suspends and redeploys the cluster with the job's upgrade mode
//! (`AbstractFlinkResourceReconciler`), except for the fields its spec classes mark
//! `@SpecDiff(DiffType.IGNORE)`, which it applies without a restart.

use serde_json::Value;

use super::facts::Facts;
use super::rules::{differences, Restart};

/// Spec paths whose change redeploys nothing, read in flink-kubernetes-operator (main,
/// 1.16-SNAPSHOT): `JobSpec`'s `savepointTriggerNonce`, `initialSavepointPath`,
/// `checkpointTriggerNonce`, `upgradeMode`, `allowNonRestoredState` and
/// `autoscalerResetNonce`, and the `flinkConfiguration` prefixes of `AbstractFlinkSpec`'s
/// `@SpecDiff.Config` (`job.autoscaler`, `parallelism.default`, `kubernetes.operator`).
const IGNORED: &[&str] = &[
    "spec.job.savepointTriggerNonce",
    "spec.job.initialSavepointPath",
    "spec.job.checkpointTriggerNonce",
    "spec.job.upgradeMode",
    "spec.job.allowNonRestoredState",
    "spec.job.autoscalerResetNonce",
    "spec.flinkConfiguration.job.autoscaler",
    "spec.flinkConfiguration.parallelism.default",
    "spec.flinkConfiguration.kubernetes.operator",
];

pub fn restarts(b: &Facts, a: &Facts, sb: &Value, sa: &Value) -> Vec<Restart> {
    let mut paths = Vec::new();
    differences(sb, sa, "spec", &mut paths);
    paths.retain(|p| {
        !IGNORED
            .iter()
            .any(|i| p == i || p.starts_with(&format!("{i}.")))
    });
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
    a.roles()
        .into_iter()
        .map(|r| Restart {
            role: r.to_string(),
            why: why.clone(),
        })
        .collect()
}
