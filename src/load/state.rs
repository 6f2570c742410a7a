//! Checkpoints, savepoints and the state backend of a spec, as users write them.

use schemars::JsonSchema;
use serde::Deserialize;

use super::scalar::Scalar;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckpointSpec {
    /// Checkpoint interval as a Flink duration (`30s`, `5 min`). Without it Flink takes no
    /// periodic checkpoints; `dir` then still serves manual checkpoints and savepoints.
    pub interval: Option<Scalar>,
    /// Durable checkpoint location (`s3://bucket/path`).
    pub dir: Option<String>,
    /// Checkpointing guarantee (Flink's `execution.checkpointing.mode`).
    pub mode: Option<CheckpointMode>,
    /// How long a checkpoint may take before it is discarded, as a Flink duration (`10 min`).
    pub timeout: Option<Scalar>,
    /// Least time between the end of one checkpoint and the start of the next (`5s`).
    pub min_pause: Option<Scalar>,
    /// Checkpoints that may be in progress at once.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub max_concurrent: Option<u32>,
    /// Failed checkpoints the job tolerates before it fails itself.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub tolerable_failures: Option<u32>,
    /// What happens to the last checkpoint when the job is cancelled.
    pub retention: Option<Retention>,
    /// Completed checkpoints to keep.
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub retained: Option<u32>,
    /// Incremental checkpoints (RocksDB / ForSt).
    pub incremental: Option<bool>,
}

impl CheckpointSpec {
    /// An environment's checkpoint settings over the job's, field by field.
    /// Destructured so that a new field that is not merged fails to compile.
    pub fn overlay(self, o: CheckpointSpec) -> CheckpointSpec {
        let CheckpointSpec {
            interval,
            dir,
            mode,
            timeout,
            min_pause,
            max_concurrent,
            tolerable_failures,
            retention,
            retained,
            incremental,
        } = o;
        CheckpointSpec {
            interval: interval.or(self.interval),
            dir: dir.or(self.dir),
            mode: mode.or(self.mode),
            timeout: timeout.or(self.timeout),
            min_pause: min_pause.or(self.min_pause),
            max_concurrent: max_concurrent.or(self.max_concurrent),
            tolerable_failures: tolerable_failures.or(self.tolerable_failures),
            retention: retention.or(self.retention),
            retained: retained.or(self.retained),
            incremental: incremental.or(self.incremental),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CheckpointMode {
    ExactlyOnce,
    AtLeastOnce,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Retention {
    RetainOnCancellation,
    DeleteOnCancellation,
    None,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SavepointSpec {
    /// Default savepoint target directory.
    pub dir: Option<String>,
    /// Savepoint or retained checkpoint to start the job from.
    pub restore_from: Option<String>,
    /// Skip state that maps to no operator when restoring (default false).
    pub allow_non_restored_state: Option<bool>,
    /// Who owns the restored snapshot's files.
    pub claim_mode: Option<ClaimMode>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimMode {
    Claim,
    NoClaim,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    Hashmap,
    Rocksdb,
    Forst,
}
