//! Resource profiles (`profiles/<name>.yaml`): what one JobManager or TaskManager process gets.

use schemars::JsonSchema;
use serde::Deserialize;

use super::scalar::Scalar;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSpec {
    pub description: Option<String>,
    /// CPU cores: a number (`1`, `0.5`) or a Kubernetes quantity (`500m`).
    pub cpu: Scalar,
    pub memory: MemorySpec,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemorySpec {
    /// Total process memory: a Flink size (`1728m`, `2g`) or a binary Kubernetes quantity (`2Gi`).
    pub process: Scalar,
}
