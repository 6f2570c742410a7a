//! `flinkgen schema`: JSON Schemas of the input files, for editors (`# yaml-language-server:
//! $schema=…`) and CI validation. Generated from the same types the loader reads, so they
//! cannot drift; `tests/schema.rs` fails when the committed copies are stale.

use schemars::schema_for;

use crate::load::{
    profile::ProfileSpec,
    project::ProjectSpec,
    spec::{ClusterSpec, JobSpec},
};

/// (file name, schema text) for each input kind, pretty-printed with a final newline.
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |v: schemars::Schema| {
        serde_json::to_string_pretty(&v).expect("schemas serialize") + "\n"
    };
    vec![
        ("job.schema.json", pretty(schema_for!(JobSpec))),
        ("cluster.schema.json", pretty(schema_for!(ClusterSpec))),
        ("profile.schema.json", pretty(schema_for!(ProfileSpec))),
        ("project.schema.json", pretty(schema_for!(ProjectSpec))),
    ]
}
