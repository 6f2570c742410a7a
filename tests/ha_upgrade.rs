//! The HA upgrade step (src/derive/ha_upgrade/HaUpgrade.java), run against a fake Kubernetes
//! API (tests/ha-upgrade/fake_api.py, TLS with a token): it removes the stored job graphs of a
//! cluster whose configuration changed, keeps its checkpoint pointers and everything of other
//! clusters, keeps the graph when the configuration is the same, and retries a conflict.
//! Needs Java (javac), Python 3 and openssl, as CI machines have.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::{json, Value};

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/derive/ha_upgrade")
}

fn ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The committed class is what `javac --release 8` makes of the committed source.
#[test]
fn the_embedded_class_is_built_from_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    compile(tmp.path());
    let built = std::fs::read(tmp.path().join("HaUpgrade.class")).unwrap();
    let committed = std::fs::read(source_dir().join("HaUpgrade.class")).unwrap();
    assert!(
        built == committed,
        "src/derive/ha_upgrade/HaUpgrade.class is stale: run scripts/build-ha-upgrade.sh"
    );
}

fn compile(dir: &Path) {
    ok(Command::new("javac")
        .args(["--release", "8", "-Xlint:-options", "-d"])
        .arg(dir)
        .arg(source_dir().join("HaUpgrade.java")));
}

fn config_map(name: &str, app: &str, data: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "streaming",
            "resourceVersion": "7",
            "labels": { "app": app, "type": "flink-native-kubernetes", "configmap-type": "high-availability" },
            "annotations": { "control-plane.alpha.kubernetes.io/leader": "{\"holderIdentity\":\"jm-1\"}" }
        },
        "data": data
    })
}

struct Api {
    dir: tempfile::TempDir,
    server: Child,
    port: String,
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.server.kill();
    }
}

impl Api {
    fn start(configmaps: Vec<Value>, conflicts: u32) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let p = |f: &str| dir.path().join(f);
        ok(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .arg("-keyout")
            .arg(p("key.pem"))
            .arg("-out")
            .arg(p("cert.pem")));
        std::fs::create_dir(p("account")).unwrap();
        std::fs::copy(p("cert.pem"), p("account/ca.crt")).unwrap();
        std::fs::write(p("account/token"), "test-token\n").unwrap();
        let state = json!({ "configmaps": configmaps, "puts": 0, "conflicts": conflicts });
        std::fs::write(p("state.json"), state.to_string()).unwrap();
        compile(dir.path());
        let server = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ha-upgrade/fake_api.py"))
            .args([p("state.json"), p("cert.pem"), p("key.pem")])
            .arg("test-token")
            .arg(p("port"))
            .spawn()
            .unwrap();
        let mut port = String::new();
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(p("port")) {
                if !text.is_empty() {
                    port = text;
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(!port.is_empty(), "the fake API did not start");
        Api { dir, server, port }
    }

    /// Runs the step as the init container would, for cluster `payments` with `config`.
    fn run(&self, config: &str) -> String {
        let out = ok(Command::new("java")
            .args(["-XX:-UsePerfData", "-cp"])
            .arg(self.dir.path())
            .arg("HaUpgrade")
            .env("FLINKGEN_NAMESPACE", "streaming")
            .env("FLINKGEN_CLUSTER_ID", "payments")
            .env("FLINKGEN_CONFIG_SHA256", config)
            .env("FLINKGEN_PROGRAM_SHA256", "p1")
            .env(
                "FLINKGEN_SERVICE_ACCOUNT_DIR",
                self.dir.path().join("account"),
            )
            .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", &self.port));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.path().join("state.json")).unwrap())
            .unwrap()
    }

    fn map(&self, name: &str) -> Value {
        self.state()["configmaps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["metadata"]["name"] == name)
            .cloned()
            .unwrap()
    }
}

fn cluster(prefix: &str) -> Vec<Value> {
    vec![
        config_map(
            "payments-cluster-config-map",
            "payments",
            json!({ format!("{prefix}00000000000000000000000000000000"): "{\"location\":\"s3://state/ha/submittedJobGraph1\"}", "address": "akka://flink@10.0.0.1:6123" }),
        ),
        config_map(
            "payments-00000000000000000000000000000000-config-map",
            "payments",
            json!({ "checkpointID-0000000000000000042": "{\"location\":\"s3://state/ha/completedCheckpoint42\"}", "counter": "43" }),
        ),
        config_map(
            "refunds-cluster-config-map",
            "refunds",
            json!({ format!("{prefix}11111111111111111111111111111111"): "{}" }),
        ),
    ]
}

#[test]
fn a_new_configuration_drops_the_stored_graph_and_keeps_the_checkpoints() {
    for prefix in ["jobGraph-", "executionPlan-"] {
        let api = Api::start(cluster(prefix), 0);
        let out = api.run("aaa");
        assert!(out.contains("removed"), "{out}");
        let c = api.map("payments-cluster-config-map");
        assert_eq!(
            c["data"],
            json!({ "address": "akka://flink@10.0.0.1:6123" }),
            "{prefix}"
        );
        assert_eq!(
            c["metadata"]["annotations"]["flinkgen/job-sha256"],
            "aaa-p1"
        );
        // Flink's own leader annotation stays.
        assert!(
            c["metadata"]["annotations"]["control-plane.alpha.kubernetes.io/leader"].is_string()
        );
        assert_eq!(
            api.map("payments-00000000000000000000000000000000-config-map")["data"]["counter"],
            "43"
        );
        assert_eq!(
            api.map("refunds-cluster-config-map")["data"]
                .as_object()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(api.state()["puts"], 1);
    }
}

#[test]
fn the_same_configuration_keeps_the_graph_flink_stored() {
    let api = Api::start(cluster("jobGraph-"), 0);
    api.run("aaa");
    // The new JobManager stores the new graph under the same key.
    let mut state = api.state();
    state["configmaps"][0]["data"]["jobGraph-00000000000000000000000000000000"] =
        json!("{\"new\":true}");
    std::fs::write(api.dir.path().join("state.json"), state.to_string()).unwrap();
    let out = api.run("aaa");
    assert!(out.contains("Flink resumes it"), "{out}");
    assert_eq!(
        api.map("payments-cluster-config-map")["data"]["jobGraph-00000000000000000000000000000000"],
        "{\"new\":true}"
    );
    assert_eq!(api.state()["puts"], 1);
    // A later change drops it again.
    api.run("bbb");
    assert!(api.map("payments-cluster-config-map")["data"]
        .get("jobGraph-00000000000000000000000000000000")
        .is_none());
}

#[test]
fn a_concurrent_change_is_read_again_and_no_cluster_yet_is_fine() {
    let api = Api::start(cluster("jobGraph-"), 2);
    api.run("aaa");
    assert_eq!(api.state()["puts"], 3, "two conflicts, then the write");
    assert_eq!(
        api.map("payments-cluster-config-map")["metadata"]["annotations"]["flinkgen/job-sha256"],
        "aaa-p1"
    );
    let empty = Api::start(Vec::new(), 0);
    empty.run("aaa");
    assert_eq!(empty.state()["puts"], 0);
}
