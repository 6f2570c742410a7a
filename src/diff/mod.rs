//! `flinkgen diff`: what the specs as they are now would do to the jobs deployed from the
//! committed output, job by job: which pods are replaced, whether `kubectl apply` can do it,
//! and what becomes of each job's state, by Flink's own rules.

pub mod facts;
pub mod git;
mod immutable;
mod operator;
mod report;
pub mod rules;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use rules::{Apply, Change, State, Verdict};

/// Every job's verdict, in the order of their output folders.
#[derive(Debug, Serialize)]
pub struct Report {
    pub jobs: Vec<Verdict>,
}

impl Report {
    /// 3 when a job loses its state or cannot restore it (so CI can ask for an approval), else 0.
    pub fn exit_code(&self) -> u8 {
        match self
            .jobs
            .iter()
            .any(|j| matches!(j.state, State::Lost | State::Incompatible))
        {
            true => 3,
            false => 0,
        }
    }
}

/// Compares two output trees (paths below the output folder → text). Each folder is read once,
/// and an unchanged one only on one side; folders are read on all cores.
pub fn compare(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    out_dir: &str,
) -> Report {
    let (fb, fa) = (facts::folders(before), facts::folders(after));
    let keys: Vec<facts::Key> = fb
        .keys()
        .chain(fa.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    // (before, after); an unchanged folder is read once and shared.
    type Pair = (
        Option<std::sync::Arc<facts::Facts>>,
        Option<std::sync::Arc<facts::Facts>>,
    );
    let read =
        |f: Option<&facts::Folder>| f.map(|f| std::sync::Arc::new(facts::Facts::read(f.clone())));
    let pairs: Vec<Pair> = crate::par::map(&keys, |k| match (fb.get(k), fa.get(k)) {
        (Some(b), Some(a)) if b == a => {
            let one = read(Some(a));
            (one.clone(), one)
        }
        (b, a) => (read(b), read(a)),
    });
    let b: BTreeMap<&facts::Key, &facts::Facts> = keys
        .iter()
        .zip(&pairs)
        .filter_map(|(k, (b, _))| b.as_deref().map(|f| (k, f)))
        .collect();
    let a: BTreeMap<&facts::Key, &facts::Facts> = keys
        .iter()
        .zip(&pairs)
        .filter_map(|(k, (_, a))| a.as_deref().map(|f| (k, f)))
        .collect();
    // A job whose spec file now renders under another name was renamed.
    let renamed = |from: &BTreeMap<&facts::Key, &facts::Facts>,
                   to: &BTreeMap<&facts::Key, &facts::Facts>,
                   key: &facts::Key| {
        let source = &from[key].source;
        to.iter()
            .find(|(k, f)| k.0 == key.0 && !from.contains_key(**k) && &f.source == source)
            .map(|(k, _)| k.1.clone())
    };
    let jobs = keys
        .iter()
        .filter_map(|key| {
            let (env, name) = key;
            let folder = match env {
                Some(e) => format!("{out_dir}/{e}/{name}"),
                None => format!("{out_dir}/{name}"),
            };
            Some(match (b.get(key), a.get(key)) {
                (Some(fb), Some(fa)) => rules::changed(name, env, fb, fa, &folder),
                (Some(fb), None) => rules::removed(name, env, fb, renamed(&b, &a, key).as_deref()),
                (None, Some(fa)) => rules::added(name, env, fa, renamed(&a, &b, key).as_deref()),
                (None, None) => return None,
            })
        })
        .collect();
    let mut report = Report { jobs };
    cluster_restarts(&mut report, &a);
    report
}

/// A session cluster whose JobManager is replaced takes its jobs down with it: with HA it
/// recovers them from their latest checkpoints, without HA they are gone. The Operator deletes
/// and redeploys a session cluster on any spec change, keeping its HA data
/// (`SessionReconciler.reconcileSpecChange`), so the same holds for its FlinkSessionJobs.
fn cluster_restarts(report: &mut Report, after: &BTreeMap<&facts::Key, &facts::Facts>) {
    let restarted: Vec<(Option<String>, String, bool)> = report
        .jobs
        .iter()
        .filter(|v| v.restarts.iter().any(|r| r.role == "jobmanager"))
        .filter_map(|v| {
            let f = after.get(&(v.environment.clone(), v.name.clone()))?;
            let session = matches!(
                f.kind(),
                facts::Kind::SessionCluster | facts::Kind::OperatorSessionCluster
            );
            session.then(|| (v.environment.clone(), v.name.clone(), f.ha()))
        })
        .collect();
    for (env, cluster, ha) in restarted {
        let mut names = Vec::new();
        for v in report.jobs.iter_mut().filter(|v| v.environment == env) {
            let Some(f) = after.get(&(env.clone(), v.name.clone())) else {
                continue;
            };
            if f.session_cluster().as_deref() != Some(cluster.as_str()) {
                continue;
            }
            names.push(v.name.clone());
            v.restarts.push(rules::Restart {
                role: "job".into(),
                why: vec![format!("its session cluster `{cluster}` restarts")],
            });
            let state = match (ha, f.checkpoints()) {
                (true, true) => State::Restored,
                (_, false) => State::None,
                (false, true) => State::Lost,
            };
            v.state = v.state.max(state);
            v.reasons.push(match state {
                State::Restored => format!("session cluster `{cluster}` restarts; with HA it recovers this job from its latest checkpoint"),
                State::Lost if f.operator_spec().is_some() => format!("session cluster `{cluster}` is redeployed without HA: the new cluster recovers none of its jobs, so this job's state is lost (take a savepoint first and set savepoints.restoreFrom if it is needed)"),
                State::Lost => format!("session cluster `{cluster}` restarts without HA: this job stops and is not resubmitted (its submitter finished); run the submitter again, from a savepoint if the state is needed"),
                _ => format!("session cluster `{cluster}` restarts: this job stops with it"),
            });
        }
        if let Some(v) = report
            .jobs
            .iter_mut()
            .find(|v| v.environment == env && v.name == cluster)
        {
            if !names.is_empty() {
                v.reasons.push(format!(
                    "the jobs it runs stop with it: {}",
                    names.join(", ")
                ));
            }
        }
    }
}
