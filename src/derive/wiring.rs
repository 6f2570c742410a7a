//! A job's wiring: the names of the Kubernetes objects flinkgen creates for it, the ports it
//! pins, and the paths it mounts or copies into. The Flink configuration names some of them
//! (the RPC address, the pod template file, the jar) and the manifests create them; both take
//! them from here.

use crate::model::{Jar, Job, Program};

/// Ports flinkgen pins (Flink picks random blob and TaskManager RPC ports otherwise, which a
/// Service or probe could not reach).
pub const RPC_PORT: i64 = 6123;
pub const BLOB_PORT: i64 = 6124;
pub const TM_RPC_PORT: i64 = 6122;
pub const REST_PORT: i64 = 8081;

/// Where a native JobManager finds the TaskManager pod template.
pub const POD_TEMPLATE_DIR: &str = "/opt/flink/pod-template";
pub const POD_TEMPLATE_FILE: &str = "taskmanager-pod-template.yaml";

/// Where the generated Dockerfile puts the job's jar, inside the image.
pub const USRLIB: &str = "/opt/flink/usrlib";

/// The virtual environment a generated image installs PyFlink into, and its interpreter.
pub const PYTHON_VENV: &str = "/opt/flink-python";
pub const PYTHON_EXECUTABLE: &str = "/opt/flink-python/bin/python";
/// Flink's entry point for Python programs (in the distribution's flink-python jar).
pub const PYTHON_DRIVER: &str = "org.apache.flink.client.python.PythonDriver";

/// flinkgen's SQL runner: its source in the job's output folder, its jar and class in the image.
pub const SQL_RUNNER_SOURCE: &str = "SqlRunner.java";
pub const SQL_RUNNER_JAR: &str = "/opt/flink/usrlib/flinkgen-sql-runner.jar";
pub const SQL_RUNNER_CLASS: &str = "flinkgen.SqlRunner";
/// The JDK that compiles the runner in the Dockerfile's first stage (to Java 8 class files,
/// which every Flink image runs).
pub const SQL_RUNNER_JDK: &str = "eclipse-temurin:17-jdk-jammy";

/// Whether `path` is the folder `dir` or inside it (trailing slashes aside).
pub fn under(path: &str, dir: &str) -> bool {
    let (path, dir) = (path.trim_end_matches('/'), dir.trim_end_matches('/'));
    path == dir || path.starts_with(&format!("{dir}/"))
}

/// A project file's path in the image: `usrlib/` and its last path part.
pub fn in_usrlib(project_path: &str) -> String {
    let trimmed = project_path.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    format!("{USRLIB}/{name}")
}

/// The job jar's path inside the image.
pub fn jar_in_image(name: &str) -> String {
    format!("{USRLIB}/{}", jar_file(name))
}

/// The job jar's file name in `usrlib/`.
pub fn jar_file(name: &str) -> String {
    format!("{name}.jar")
}

/// The jar as `pipeline.jars`, `standalone-job --jars` and the Operator's `jarURI` name it.
pub fn jar_uri(name: &str, jar: &Jar) -> String {
    match jar {
        Jar::Built(_) => format!("local://{}", jar_in_image(name)),
        Jar::InImage(path) => format!("local://{path}"),
        Jar::Remote(uri) => uri.clone(),
    }
}

/// The Operator's `jarURI`: the job jar, or for a Python job the distribution's
/// flink-python jar, whose PythonDriver starts the script.
pub fn program_jar_uri(job: &Job) -> Option<String> {
    match (&job.program, &job.jar) {
        (Program::Python(_), _) => Some(format!("local:///opt/flink/{}", job.version.python_jar())),
        (_, Some(jar)) => Some(jar_uri(&job.name, jar)),
        (_, None) => None,
    }
}

/// The jar's path inside the image, as `flink run` takes it; a remote jar has none.
pub fn jar_path(name: &str, jar: &Jar) -> Option<String> {
    match jar {
        Jar::Built(_) => Some(jar_in_image(name)),
        Jar::InImage(path) => Some(path.clone()),
        Jar::Remote(_) => None,
    }
}

/// The ConfigMap flinkgen writes from project files for `configMap: { files }` volumes.
pub fn files_config_map(name: &str) -> String {
    format!("{name}-files")
}

/// A project file's key in that ConfigMap: the volume's name, then the file's.
pub fn files_key(volume: &str, file: &str) -> String {
    format!("{volume}.{file}")
}

/// The TaskManagers' Deployment, or StatefulSet with local state.
pub fn taskmanager_name(name: &str) -> String {
    format!("{name}-taskmanager")
}

/// The headless Service that governs the TaskManagers' StatefulSet (with local state).
pub fn taskmanager_service(name: &str) -> String {
    format!("{name}-taskmanager")
}

/// Where a JobManager stores the jars it fetches (`user.artifacts.base-dir`): the root
/// filesystem is read-only and /tmp is the pods' writable emptyDir.
pub const ARTIFACTS_DIR: &str = "/tmp/flink-artifacts";

/// The ConfigMap with the Flink configuration. A native JobManager mounts it into the
/// TaskManager pods it creates under the name Flink derives from the cluster id.
pub fn config_map(name: &str, native: bool) -> String {
    if native {
        format!("flink-config-{name}")
    } else {
        format!("{name}-config")
    }
}

/// The standalone JobManager's Service: RPC, blob and REST.
pub fn jobmanager_service(name: &str) -> String {
    format!("{name}-jobmanager")
}

/// The REST Service: the optional one of a standalone cluster, the one Flink itself names
/// for a native cluster.
pub fn rest_service(name: &str) -> String {
    format!("{name}-rest")
}

/// The Service that serves a cluster's REST API: its REST Service when it has one (always in
/// native mode), else the JobManager Service.
pub fn rest_endpoint(name: &str, has_rest_service: bool) -> String {
    if has_rest_service {
        rest_service(name)
    } else {
        jobmanager_service(name)
    }
}

/// The ConfigMap holding a native cluster's TaskManager pod template.
pub fn pod_template_map(name: &str) -> String {
    format!("pod-template-{name}")
}

/// The pod template file as the JobManager reads it.
pub fn pod_template_path() -> String {
    format!("{POD_TEMPLATE_DIR}/{POD_TEMPLATE_FILE}")
}

/// The JobManager's RPC address, as TaskManagers reach it: the JobManager Service in
/// standalone mode, the headless Service Flink creates in native mode; none with native HA,
/// where TaskManagers find the leader through ConfigMaps.
pub fn rpc_address(name: &str, namespace: &str, native: bool, ha: bool) -> Option<String> {
    match (native, ha) {
        (false, _) => Some(jobmanager_service(name)),
        (true, false) => Some(format!("{name}.{namespace}")),
        (true, true) => None,
    }
}

/// A Service's address from elsewhere in the cluster.
pub fn in_cluster_host(service: &str, namespace: &str) -> String {
    format!("{service}.{namespace}.svc")
}

/// The securityContext of every container flinkgen writes or adds (the templates'
/// `container_security` macro writes the same for Flink's own containers).
pub fn container_hardening() -> serde_json::Value {
    serde_json::json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "capabilities": { "drop": ["ALL"] },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree_between_config_and_manifests() {
        assert_eq!(
            rpc_address("j", "ns", false, true).as_deref(),
            Some("j-jobmanager")
        );
        assert_eq!(rpc_address("j", "ns", true, false).as_deref(), Some("j.ns"));
        assert_eq!(rpc_address("j", "ns", true, true), None);
        assert_eq!(rest_endpoint("j", true), rest_service("j"));
        assert_eq!(rest_endpoint("j", false), jobmanager_service("j"));
        assert_eq!(
            jar_uri("j", &Jar::Built("x.jar".into())),
            "local:///opt/flink/usrlib/j.jar"
        );
        assert_eq!(jar_path("j", &Jar::Remote("https://h/j.jar".into())), None);
        assert_eq!(config_map("j", true), "flink-config-j");
        assert_eq!(
            pod_template_path(),
            "/opt/flink/pod-template/taskmanager-pod-template.yaml"
        );
    }
}
