//! A job's state: backend, checkpoints, savepoints and the restore, checked into typed
//! model fields (`derive::options` writes them as Flink options).

use super::cluster::at_least_one;
use super::units;
use crate::diag::Diagnostics;
use crate::flink::{self, Version};
use crate::load::scalar::Scalar;
use crate::load::spec::{CheckpointSpec, SavepointSpec, StateBackend};
use crate::load::Source;
use crate::model::{Checkpoints, Restore, State};

/// The job's state settings and the savepoint it restores from.
pub fn state(
    src: &Source,
    spec: &crate::load::spec::JobSpec,
    version: Version,
    plugins: &[String],
    diags: &mut Diagnostics,
) -> (State, Option<Restore>) {
    let mut state = State {
        backend: state_backend(src, spec.state_backend, version, diags),
        checkpoints: spec
            .checkpoints
            .as_ref()
            .and_then(|c| checkpoints(src, c, plugins, diags)),
        ..State::default()
    };
    let restore = spec
        .savepoints
        .as_ref()
        .and_then(|s| savepoints(src, s, plugins, &mut state, diags));
    (state, restore)
}

/// A durable location: `scheme://…`, with the filesystem plugin its scheme needs.
pub fn location(
    src: &Source,
    field: &str,
    uri: &str,
    plugins: &[String],
    diags: &mut Diagnostics,
) -> bool {
    if super::literal::password_in_uri(uri) {
        diags.push(super::literal::uri_with_password(src, field));
        return false;
    }
    let Some((scheme, rest)) = uri.split_once("://") else {
        diags.push(
            src.error(field, format!("`{uri}` has no scheme"))
                .help("write a URI such as s3://bucket/path or file:///data/path"),
        );
        return false;
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || uri.chars().any(char::is_whitespace) {
        diags.push(src.error(field, format!("`{uri}` is not a valid URI")));
        return false;
    }
    if let Some(needed) = flink::plugins_for_scheme(scheme) {
        if !needed.iter().any(|n| plugins.iter().any(|p| p == n)) {
            diags.push(
                src.error(
                    field,
                    format!("no filesystem plugin for `{scheme}://` is enabled"),
                )
                .help(format!(
                    "add {} to plugins",
                    needed
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )),
            );
            return false;
        }
    }
    true
}

pub fn state_backend(
    src: &Source,
    b: Option<StateBackend>,
    v: Version,
    diags: &mut Diagnostics,
) -> Option<StateBackend> {
    if b == Some(StateBackend::Forst) && v.major < 2 {
        diags.push(
            src.error(
                "stateBackend",
                "the ForSt state backend exists from Flink 2.0",
            )
            .help("use rocksdb or hashmap"),
        );
        return None;
    }
    b
}

pub fn checkpoints(
    src: &Source,
    c: &CheckpointSpec,
    plugins: &[String],
    diags: &mut Diagnostics,
) -> Option<Checkpoints> {
    let mut duration = |field: &str, value: &Scalar, min_ms: u64| match units::duration(value) {
        Ok(ms) if ms < min_ms => {
            diags.push(src.error(field, format!("must be at least {min_ms}ms")));
            None
        }
        Ok(_) => Some(value.as_text().trim().to_string()),
        Err(e) => {
            diags.push(src.error(field, e));
            None
        }
    };
    // Flink refuses intervals under 10 ms.
    // Outer None: no interval given; inner None: a wrong one (reported).
    let interval = c
        .interval
        .as_ref()
        .map(|i| duration("checkpoints.interval", i, 10));
    let timeout = c
        .timeout
        .as_ref()
        .and_then(|t| duration("checkpoints.timeout", t, 1));
    let min_pause = c
        .min_pause
        .as_ref()
        .and_then(|p| duration("checkpoints.minPause", p, 0));
    if let Some(n) = c.max_concurrent {
        at_least_one(src, "checkpoints.maxConcurrent", n, diags);
    }
    if let Some(n) = c.retained {
        at_least_one(src, "checkpoints.retained", n, diags);
    }
    let dir = c
        .dir
        .as_ref()
        .filter(|d| location(src, "checkpoints.dir", d, plugins, diags))
        .cloned();
    let interval = match interval {
        Some(Some(text)) => Some(text),
        Some(None) => return None,
        None => None,
    };
    Some(Checkpoints {
        interval,
        timeout,
        min_pause,
        mode: c.mode,
        max_concurrent: c.max_concurrent,
        tolerable_failures: c.tolerable_failures,
        retention: c.retention,
        retained: c.retained,
        incremental: c.incremental,
        dir,
    })
}

/// The savepoint directory and claim mode, and the savepoint to restore from.
pub fn savepoints(
    src: &Source,
    s: &SavepointSpec,
    plugins: &[String],
    state: &mut State,
    diags: &mut Diagnostics,
) -> Option<Restore> {
    state.savepoint_dir = s
        .dir
        .as_ref()
        .filter(|d| location(src, "savepoints.dir", d, plugins, diags))
        .cloned();
    if s.claim_mode.is_some() && s.restore_from.is_none() {
        diags.push(src.warning(
            "savepoints.claimMode",
            "has no effect without savepoints.restoreFrom",
        ));
    }
    state.claim_mode = s.claim_mode;
    if s.allow_non_restored_state == Some(true) && s.restore_from.is_none() {
        diags.push(src.warning(
            "savepoints.allowNonRestoredState",
            "has no effect without savepoints.restoreFrom",
        ));
    }
    let path = s.restore_from.as_ref()?;
    location(src, "savepoints.restoreFrom", path, plugins, diags).then(|| Restore {
        path: path.clone(),
        allow_non_restored_state: s.allow_non_restored_state.unwrap_or(false),
    })
}
