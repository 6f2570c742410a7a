//! The spec under validation (`Subject`): what it is validated as (`Role`), for which
//! environment (`Environment`), and the project around it. Kept apart from `job`, which
//! assembles the model, so that the modules `job` calls take these without importing it back.

use std::collections::BTreeMap;

use super::{Defaults, Profiles};
use crate::load::spec::JobSpec;
use crate::load::Source;
use crate::model::Job;

/// One spec under validation and the project around it: what most checks read, passed as one.
pub struct Subject<'a> {
    pub src: &'a Source,
    pub spec: &'a JobSpec,
    pub role: &'a Role<'a>,
    pub defaults: &'a Defaults,
    pub profiles: &'a Profiles,
    pub env: Option<&'a Environment<'a>>,
}

impl<'a> Subject<'a> {
    /// A session job's validated cluster.
    pub fn cluster(&self) -> Option<&'a Job> {
        match self.role {
            Role::SessionJob(c) => Some(c),
            _ => None,
        }
    }
}

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
