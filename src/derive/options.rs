//! Flink options that follow from typed model fields. Key names that changed between versions
//! are spelled through `flink::keys::spelled`, the same table that decides which keys users
//! may set, so the generated configuration always uses the name the target version reads.

use crate::flink::config::{Options, Value};
use crate::flink::keys::spelled;
use crate::flink::Version;
use crate::load::spec::{CheckpointMode, ClaimMode, Retention, StateBackend};
use crate::model::{Restore, State};

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// The state backend, checkpointing and savepoint options of a job.
pub fn state(s: &State, v: Version) -> Options {
    let mut o = Options::new();
    if let Some(b) = s.backend {
        let name = match b {
            StateBackend::Hashmap => "hashmap",
            StateBackend::Rocksdb => "rocksdb",
            StateBackend::Forst => "forst",
        };
        o.insert("state.backend.type".into(), text(name));
    }
    if let Some(c) = &s.checkpoints {
        let mut put = |key: &'static str, value: Value| {
            o.insert(spelled(key, v).into(), value);
        };
        put("execution.checkpointing.interval", text(&c.interval));
        if let Some(t) = &c.timeout {
            put("execution.checkpointing.timeout", text(t));
        }
        if let Some(p) = &c.min_pause {
            put("execution.checkpointing.min-pause", text(p));
        }
        if let Some(m) = c.mode {
            let m = match m {
                CheckpointMode::ExactlyOnce => "EXACTLY_ONCE",
                CheckpointMode::AtLeastOnce => "AT_LEAST_ONCE",
            };
            put("execution.checkpointing.mode", text(m));
        }
        if let Some(n) = c.max_concurrent {
            put(
                "execution.checkpointing.max-concurrent-checkpoints",
                Value::Int(n.into()),
            );
        }
        if let Some(n) = c.tolerable_failures {
            put(
                "execution.checkpointing.tolerable-failed-checkpoints",
                Value::Int(n.into()),
            );
        }
        if let Some(r) = c.retention {
            let r = match r {
                Retention::RetainOnCancellation => "RETAIN_ON_CANCELLATION",
                Retention::DeleteOnCancellation => "DELETE_ON_CANCELLATION",
                Retention::None => "NO_EXTERNALIZED_CHECKPOINTS",
            };
            put(
                "execution.checkpointing.externalized-checkpoint-retention",
                text(r),
            );
        }
        if let Some(n) = c.retained {
            put("execution.checkpointing.num-retained", Value::Int(n.into()));
        }
        if let Some(b) = c.incremental {
            put("execution.checkpointing.incremental", Value::Bool(b));
        }
        if let Some(d) = &c.dir {
            put("execution.checkpointing.dir", text(d));
        }
    }
    if let Some(d) = &s.savepoint_dir {
        o.insert(
            spelled("execution.checkpointing.savepoint-dir", v).into(),
            text(d),
        );
    }
    if let Some(m) = s.claim_mode {
        let m = match m {
            ClaimMode::Claim => "CLAIM",
            ClaimMode::NoClaim => "NO_CLAIM",
        };
        o.insert(
            spelled("execution.state-recovery.claim-mode", v).into(),
            text(m),
        );
    }
    o
}

/// The restore a native application's JobManager performs at start (standalone JobManagers
/// and `flink run` take it as command-line flags instead).
pub fn restore(r: &Restore, v: Version) -> Options {
    let mut o = Options::new();
    o.insert(
        spelled("execution.state-recovery.path", v).into(),
        text(&r.path),
    );
    if r.allow_non_restored_state {
        o.insert(
            spelled("execution.state-recovery.ignore-unclaimed-state", v).into(),
            Value::Bool(true),
        );
    }
    o
}
