//! What a job runs besides a jar, as users write it: a PyFlink program or a SQL script.

use schemars::JsonSchema;
use serde::Deserialize;

/// A PyFlink job: `script` (or `module` with `pyFiles`), run by Flink's `PythonDriver`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PythonSpec {
    /// The job's Python file: a project path (copied into `usrlib/`), or `local:///…` inside
    /// an existing image (`image.ref`).
    pub script: Option<String>,
    /// The job's module (`python -m`), found in `pyFiles`; instead of `script`.
    pub module: Option<String>,
    /// Extra Python files or folders (project paths) shipped with the job, on its `PYTHONPATH`.
    #[serde(default)]
    pub py_files: Vec<String>,
    /// A pip requirements file (project path), installed into the image at build time.
    pub requirements: Option<String>,
    /// The Python interpreter of the JobManager (client) and the TaskManagers' Python workers.
    /// Default: the interpreter the generated image installs; another one needs `image.base`
    /// or `image.ref` with that interpreter and PyFlink.
    pub executable: Option<String>,
}

/// A SQL job: a script of statements that ends with the INSERT (or statement set) that runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SqlSpec {
    /// The SQL script, a project path (copied into `usrlib/`), UTF-8.
    pub script: String,
}
