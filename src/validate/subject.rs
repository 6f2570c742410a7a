//! What a spec is validated as (`Role`) and for (`Environment`). Kept apart from `job`, which
//! assembles the model, so that the modules `job` calls take these without importing it back.

use std::collections::BTreeMap;

use crate::load::Source;
use crate::model::Job;

/// The environment a job is validated for, and the Flink options it adds.
pub struct Environment<'a> {
    pub name: &'a str,
    /// Options for all jobs of the environment, with the project file that sets them.
    pub project: Option<(&'a Source, &'a BTreeMap<String, crate::load::tree::Tree>)>,
    /// The job's own options for this environment.
    pub job: Option<&'a BTreeMap<String, crate::load::tree::Tree>>,
}

/// What the spec being validated deploys; a session job carries its validated cluster.
pub enum Role<'a> {
    Application,
    Cluster,
    SessionJob(&'a Job),
}
