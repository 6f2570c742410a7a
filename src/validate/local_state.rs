//! Local state (`taskManager.localState`): each standalone TaskManager keeps a claim of its
//! own as its working directory, so local state and recovery files outlive the pod. Its
//! checks; what it derives is `derive::local_state`.

use super::units;
use crate::derive::local_state;
use crate::diag::Diagnostics;
use crate::load::Source;

/// The Flink options local state writes are its own: a spec that sets one would undo it.
pub fn owned_options(src: &Source, user_keys: &[String], diags: &mut Diagnostics) {
    super::options::taken_by(
        src,
        user_keys,
        |k| local_state::KEYS.contains(&k),
        "taskManager.localState",
        "remove it: local state puts the working directory on the claim and turns local recovery on",
        diags,
    );
}

/// 63, a label value's limit, less the `-` and 10 characters of a controller revision hash.
const MAX_STATEFULSET_NAME: usize = 52;

/// The TaskManagers' local-state claims: standalone TaskManagers only, since native ones are
/// pods the JobManager creates itself and the Operator's are a Deployment.
pub fn local_state(
    src: &Source,
    name: &str,
    spec: &crate::load::pod::LocalStateSpec,
    native: bool,
    operator: bool,
    diags: &mut Diagnostics,
) -> Option<crate::model::LocalState> {
    let field = "taskManager.localState";
    if native || operator {
        let why = if native {
            "native TaskManagers are pods the JobManager creates one by one, which Kubernetes gives no claims"
        } else {
            "the Operator runs TaskManagers as a Deployment, which gives no pod a claim of its own"
        };
        diags.push(
            src.key_error(field, why)
                .help("use mode: standalone with target: manifests for local state on a disk of its own, or an emptyDir volume (lost with the pod)"),
        );
        return None;
    }
    // A StatefulSet labels each pod `controller-revision-hash: <set>-<10 characters>`, a label
    // value of at most 63 characters: a longer set is accepted by the API server and then
    // never creates a pod (kubernetes/kubernetes#64023; `ControllerRevisionName` in
    // pkg/controller/history).
    let set = crate::derive::wiring::taskmanager_name(name);
    if set.len() > MAX_STATEFULSET_NAME {
        diags.push(
            src.key_error(field, format!("the TaskManagers become the StatefulSet `{set}`, {} characters; Kubernetes creates no pods for a StatefulSet over {MAX_STATEFULSET_NAME} (its pods' controller-revision-hash label adds 11)", set.len()))
                .help(format!("shorten the name to at most {} characters", MAX_STATEFULSET_NAME - (set.len() - name.len()))),
        );
        return None;
    }
    let size = match units::memory(&spec.size) {
        Ok(b) => units::disk_size(b),
        Err(e) => {
            diags.push(src.error(&format!("{field}.size"), e));
            return None;
        }
    };
    if let Some(Err(e)) = spec.storage_class.as_deref().map(units::dns_subdomain) {
        diags.push(src.error(&format!("{field}.storageClass"), e));
        return None;
    }
    let mount_path = match &spec.mount_path {
        None => local_state::DIR.to_string(),
        Some(p) => {
            let here = format!("{field}.mountPath");
            let plain = p.starts_with('/')
                && p.len() > 1
                && p.chars().all(super::image::plain_path_char)
                && !p.split('/').skip(1).any(|s| matches!(s, "" | "." | ".."));
            if !plain {
                diags.push(src.error(&here, format!("`{p}` is not an absolute path")).help("write an absolute path of letters, digits and `._-+/`, such as /data/flink-state"));
                return None;
            }
            let taken =
                super::lib::reserved_for_volume(p).filter(|(dir, _)| *dir != local_state::DIR);
            if let Some((dir, why)) = taken {
                diags.push(
                    src.error(
                        &here,
                        format!("the claim at {p} would collide with {dir}: {why}"),
                    )
                    .help("mount it at a path of its own, such as /data/flink-state"),
                );
                return None;
            }
            p.clone()
        }
    };
    Some(crate::model::LocalState {
        size,
        storage_class: spec.storage_class.clone(),
        mount_path,
    })
}
