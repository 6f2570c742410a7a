//! Job and cluster names: unique in each environment, since they name the output folder
//! and the Kubernetes resources.

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::spec::JobSpec;
use crate::load::Source;
use crate::model::Job;

/// The names taken so far, in each environment, with the spec that took each first.
pub type Taken = std::collections::HashMap<(String, Option<String>), String>;

/// The names the `known` specs (unchanged, and not loaded by an incremental render) take.
pub fn known_names(known: &[crate::load::Known]) -> Taken {
    let mut taken = Taken::new();
    for k in known {
        for (n, e) in &k.jobs {
            taken
                .entry((n.clone(), e.clone()))
                .or_insert_with(|| k.source.clone());
        }
    }
    taken
}

/// Adds a job unless its name is taken in its environment.
pub fn add_unique(
    jobs: &mut Vec<Job>,
    taken: &mut Taken,
    job: Option<Job>,
    (src, spec): (&Source, &JobSpec),
    diags: &mut Diagnostics,
) {
    let Some(job) = job else { return };
    let key = (job.name.clone(), job.environment.clone());
    if let Some(first) = taken.get(&key) {
        diags.push(duplicate(&job.name, first, src, spec));
        return;
    }
    taken.insert(key, job.source.clone());
    jobs.push(job);
}

fn duplicate(name: &str, first: &str, src: &Source, spec: &JobSpec) -> Diagnostic {
    let message = format!("the name `{name}` is also used by {first}");
    let d = match spec.name {
        Some(_) => src.key_error("name", message),
        // The name is the file's: there is no field to point at.
        None => Diagnostic::error(
            &src.path,
            format!(
                "{message} (the name comes from this file's name; set `name:` to give it another)"
            ),
        ),
    };
    d.help(
        "job and cluster names must be unique: they name the output folder and the Kubernetes resources",
    )
}
