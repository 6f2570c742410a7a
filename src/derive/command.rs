//! The processes' command lines: the entry point each container runs, and the Flink options
//! that can only be given there because their values exist only in the pod (its IP, its name,
//! a Secret's value read into a variable). The configuration file holds the rest
//! (`derive::options`).

use super::wiring;
use crate::model::{Jar, Job, Kind, Restore};

/// `standalone-job` stops parsing options at the first token it does not know, so every Flink
/// option goes before the program arguments. `--host` is never used: 2.x no longer parses it,
/// while `-D` works on every version.
pub fn jobmanager_args(job: &Job) -> Vec<String> {
    let ha = job.ha.is_some();
    match (job.is_native(), &job.kind) {
        (true, Kind::SessionCluster) => {
            return ["bash", "-c", "kubernetes-jobmanager.sh kubernetes-session"]
                .map(String::from)
                .to_vec()
        }
        (true, _) => {
            return [
                "bash",
                "-c",
                "kubernetes-jobmanager.sh kubernetes-application",
            ]
            .map(String::from)
            .to_vec()
        }
        (false, Kind::SessionCluster) => {
            // jobmanager.sh turns a host argument into the advertised RPC address, and takes
            // dynamic properties only as separate `-D` and `key=value` words.
            let mut args = vec!["jobmanager".to_string()];
            if ha {
                args.push("$(POD_IP)".into());
            }
            for o in &job.secret_options {
                args.extend(["-D".to_string(), o.property()]);
            }
            return args;
        }
        _ => {}
    }
    let mut args = vec!["standalone-job".to_string()];
    if ha {
        args.push("-Djobmanager.rpc.address=$(POD_IP)".into());
    }
    args.extend(job.secret_options.iter().map(|o| o.flag()));
    // A jar in usrlib/ (the generated image's copy of the project jar or the SQL runner, or
    // one an image has there) is found by scanning it, as it is on every version; any other
    // jar is named with --jars (Flink 1.19+; validation refuses the rest).
    let scanned = |jar: &Jar| match jar {
        Jar::Built(_) => true,
        Jar::InImage(path) => wiring::under(path, wiring::USRLIB),
        Jar::Remote(_) => false,
    };
    match &job.jar {
        Some(jar) if !scanned(jar) && job.version.at_least(1, 19) => {
            args.extend([
                "--jars".to_string(),
                container_arg(&wiring::jar_uri(&job.name, jar)),
            ]);
        }
        _ => {}
    }
    if let Some(c) = &job.entry_class {
        args.extend(["--job-classname".to_string(), container_arg(c)]);
    }
    args.extend(
        job.restore
            .iter()
            .flat_map(Restore::flags)
            .map(|a| container_arg(&a)),
    );
    args.extend(job.args.iter().map(|a| container_arg(a)));
    args
}

/// A value as a container argument: Kubernetes expands `$(NAME)` in `command` and `args` and
/// turns `$$` into `$`, so every `$` of user text is doubled to reach the process unchanged.
pub fn container_arg(value: &str) -> String {
    value.replace('$', "$$")
}

/// A TaskManager's arguments: options read from Secrets, and local state's resource id.
pub fn taskmanager_args(job: &Job) -> Vec<String> {
    std::iter::once("taskmanager".to_string())
        .chain(super::local_state::resource_id_flag(job))
        .chain(job.secret_options.iter().map(|o| o.flag()))
        .collect()
}
