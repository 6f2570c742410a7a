//! Proves generated output is usable, not just unchanged: every manifest round-trips through
//! the Kubernetes API types without losing a field, the files of a job agree with each other,
//! the Flink configuration reads back as Flink's own parser would, and kustomize builds each
//! folder. Runs over the committed examples (`out/`) and every golden case's `expected/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde_json::Value;

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every folder that holds one rendered job.
fn job_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(root().join("out"))
        .into_iter()
        .chain(walkdir::WalkDir::new(root().join("tests/cases")))
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "Dockerfile")
        .map(|e| e.path().parent().unwrap().to_path_buf())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected rendered jobs in out/ and tests/cases, found {}",
        dirs.len()
    );
    dirs
}

fn yaml_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(path: &Path) -> T {
    common::round_trip(&yaml_json(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Flink's legacy `flink-conf.yaml` reading: cut at `#`, split at the first `": "`.
fn legacy_parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("legacy Flink would skip `{line}`"));
        assert!(
            !k.trim().is_empty() && !v.trim().is_empty(),
            "legacy Flink would skip `{line}`"
        );
        assert!(
            out.insert(k.trim().to_string(), v.trim().to_string())
                .is_none(),
            "duplicate `{k}`"
        );
    }
    out
}

/// `config.yaml` as YAML: no nulls (Flink fails on them), scalars only at the leaves.
fn yaml_parse(text: &str) -> BTreeMap<String, String> {
    let map: BTreeMap<String, serde_yaml::Value> = serde_yaml::from_str(text).unwrap();
    map.into_iter()
        .map(|(k, v)| {
            let s = match &v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                serde_yaml::Value::Sequence(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| serde_yaml::to_string(i).unwrap().trim().to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                other => panic!("`{k}` has the value {other:?}, which Flink cannot load"),
            };
            (k, s)
        })
        .collect()
}

fn bytes(quantity: &str) -> u64 {
    for (suffix, f) in [("Ki", 1u64 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)] {
        if let Some(n) = quantity.strip_suffix(suffix) {
            return n.parse::<u64>().unwrap() * f;
        }
    }
    quantity.parse().unwrap()
}

fn flink_bytes(size: &str) -> u64 {
    let n: u64 = size.trim_end_matches(char::is_alphabetic).parse().unwrap();
    match size.trim_start_matches(char::is_numeric) {
        "m" => n << 20,
        "b" => n,
        other => panic!("unexpected unit {other}"),
    }
}

#[test]
fn manifests_survive_kubernetes_types_and_agree_with_each_other() {
    for dir in job_dirs() {
        let cm: ConfigMap = round_trip(&dir.join("configmap.yaml"));
        let svc: Service = round_trip(&dir.join("jobmanager-service.yaml"));
        let jm: Job = round_trip(&dir.join("jobmanager-job.yaml"));
        let tm: Deployment = round_trip(&dir.join("taskmanager-deployment.yaml"));
        let ctx = dir.display();
        for policy in [
            "jobmanager-networkpolicy.yaml",
            "taskmanager-networkpolicy.yaml",
        ] {
            if dir.join(policy).exists() {
                let np: NetworkPolicy = round_trip(&dir.join(policy));
                assert!(np.spec.unwrap().ingress.is_some(), "{ctx}");
            }
        }
        if dir.join("taskmanager-pdb.yaml").exists() {
            let pdb: PodDisruptionBudget = round_trip(&dir.join("taskmanager-pdb.yaml"));
            let sel = pdb.spec.unwrap().selector.unwrap().match_labels.unwrap();
            assert_eq!(
                sel.get("component").map(String::as_str),
                Some("taskmanager"),
                "{ctx}: a PDB must never select the JobManager"
            );
        }

        let data = cm.data.clone().unwrap();
        let (file, conf) = match (data.get("config.yaml"), data.get("flink-conf.yaml")) {
            (Some(c), None) => ("config.yaml", yaml_parse(c)),
            (None, Some(c)) => ("flink-conf.yaml", legacy_parse(c)),
            _ => panic!("{ctx}: the ConfigMap must hold exactly one Flink config file"),
        };
        assert!(data.contains_key("log4j-console.properties"), "{ctx}");

        // The config points at the Service, and the pinned ports match what it exposes.
        let svc_name = svc.metadata.name.clone().unwrap();
        assert_eq!(conf["jobmanager.rpc.address"], svc_name, "{ctx}");
        let svc_ports: BTreeMap<String, i32> = svc
            .spec
            .as_ref()
            .unwrap()
            .ports
            .as_ref()
            .unwrap()
            .iter()
            .map(|p| (p.name.clone().unwrap(), p.port))
            .collect();
        assert_eq!(
            conf["jobmanager.rpc.port"],
            svc_ports["rpc"].to_string(),
            "{ctx}"
        );
        assert_eq!(
            conf["blob.server.port"],
            svc_ports["blob-server"].to_string(),
            "{ctx}"
        );
        assert_eq!(conf["rest.port"], svc_ports["webui"].to_string(), "{ctx}");
        assert_eq!(conf["taskmanager.rpc.port"], "6122", "{ctx}");
        assert!(
            conf["env.java.opts.all"].contains("--add-opens=java.base/java.lang=ALL-UNNAMED"),
            "{ctx}"
        );

        // The Service selects the JobManager pods and only them.
        let jm_pod = jm.spec.as_ref().unwrap().template.clone();
        let jm_labels = jm_pod.metadata.as_ref().unwrap().labels.clone().unwrap();
        for (k, v) in svc.spec.as_ref().unwrap().selector.as_ref().unwrap() {
            assert_eq!(jm_labels.get(k), Some(v), "{ctx}: Service selector {k}");
        }
        let tm_pod = tm.spec.as_ref().unwrap().template.clone();
        let tm_labels = tm_pod.metadata.as_ref().unwrap().labels.clone().unwrap();
        for (k, v) in tm
            .spec
            .as_ref()
            .unwrap()
            .selector
            .match_labels
            .as_ref()
            .unwrap()
        {
            assert_eq!(tm_labels.get(k), Some(v), "{ctx}: Deployment selector {k}");
        }
        assert_ne!(
            jm_labels.get("component"),
            tm_labels.get("component"),
            "{ctx}"
        );

        assert_eq!(
            jm_pod.spec.as_ref().unwrap().restart_policy.as_deref(),
            Some("OnFailure"),
            "{ctx}"
        );
        for (pod, size_key) in [
            (&jm_pod, "jobmanager.memory.process.size"),
            (&tm_pod, "taskmanager.memory.process.size"),
        ] {
            let spec = pod.spec.as_ref().unwrap();
            let c = &spec.containers[0];
            let res = c.resources.as_ref().unwrap();
            let limit = bytes(&res.limits.as_ref().unwrap()["memory"].0);
            let request = bytes(&res.requests.as_ref().unwrap()["memory"].0);
            let process = flink_bytes(&conf[size_key]);
            assert!(
                request >= process && limit >= process,
                "{ctx}: container memory below {size_key}"
            );
            let mounts = c.volume_mounts.as_ref().unwrap();
            assert!(
                mounts.iter().any(|m| m.mount_path == "/opt/flink/conf"),
                "{ctx}"
            );
            let items = spec.volumes.as_ref().unwrap()[0]
                .config_map
                .as_ref()
                .unwrap()
                .items
                .clone()
                .unwrap();
            assert!(
                items.iter().any(|i| i.key == file && i.path == file),
                "{ctx}: {file} not mounted"
            );
            assert_eq!(
                spec.security_context.as_ref().unwrap().run_as_user,
                Some(9999),
                "{ctx}"
            );
            // Both pods roll when the configuration changes.
            let ann = pod.metadata.as_ref().unwrap().annotations.clone().unwrap();
            assert_eq!(ann["flinkgen/config-sha256"].len(), 64, "{ctx}");
        }
        let jm_args = jm_pod.spec.as_ref().unwrap().containers[0]
            .args
            .clone()
            .unwrap();
        assert_eq!(jm_args[0], "standalone-job", "{ctx}");
        assert!(
            !jm_args.iter().any(|a| a == "--host"),
            "{ctx}: --host breaks Flink 2.x"
        );
        let slots: u32 = conf["taskmanager.numberOfTaskSlots"].parse().unwrap();
        let replicas = tm.spec.as_ref().unwrap().replicas.unwrap() as u32;
        let parallelism: u32 = conf["parallelism.default"].parse().unwrap();
        assert!(slots * replicas >= parallelism, "{ctx}: not enough slots");
    }
}

/// The defaults every generated pod must have, whatever the spec says.
fn assert_hardened(pod: &PodTemplateSpec, ctx: &str) {
    let spec = pod.spec.as_ref().unwrap();
    let psc = spec.security_context.as_ref().unwrap();
    assert_eq!(psc.run_as_non_root, Some(true), "{ctx}");
    assert_eq!(
        (psc.run_as_user, psc.run_as_group, psc.fs_group),
        (Some(9999), Some(9999), Some(9999)),
        "{ctx}"
    );
    assert_eq!(
        psc.seccomp_profile.as_ref().unwrap().type_,
        "RuntimeDefault",
        "{ctx}"
    );
    assert_eq!(
        spec.automount_service_account_token,
        Some(false),
        "{ctx}: no API access without need"
    );
    let writable: Vec<&str> = spec
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .filter(|v| v.empty_dir.is_some())
        .map(|v| v.name.as_str())
        .collect();
    for c in &spec.containers {
        let sc = c.security_context.as_ref().unwrap();
        assert_eq!(sc.allow_privilege_escalation, Some(false), "{ctx}");
        assert_eq!(sc.read_only_root_filesystem, Some(true), "{ctx}");
        assert_eq!(
            sc.capabilities.as_ref().unwrap().drop.as_deref(),
            Some(&["ALL".to_string()][..]),
            "{ctx}"
        );
        let res = c.resources.as_ref().unwrap();
        for k in ["cpu", "memory"] {
            assert!(
                res.requests.as_ref().unwrap().contains_key(k)
                    && res.limits.as_ref().unwrap().contains_key(k),
                "{ctx}: {k}"
            );
        }
        assert!(
            c.liveness_probe.is_some() && c.readiness_probe.is_some(),
            "{ctx}: probes"
        );
        let image = c.image.as_deref().unwrap();
        assert!(
            image.contains(':') && !image.ends_with(":latest"),
            "{ctx}: pinned image {image}"
        );
        assert!(c.image_pull_policy.is_some(), "{ctx}");
        let mounts: Vec<(&str, &str)> = c
            .volume_mounts
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| (m.name.as_str(), m.mount_path.as_str()))
            .collect();
        for path in ["/tmp", "/opt/flink/log"] {
            let m = mounts
                .iter()
                .find(|(_, p)| *p == path)
                .unwrap_or_else(|| panic!("{ctx}: {path} not writable"));
            assert!(writable.contains(&m.0), "{ctx}: {path} must be an emptyDir");
        }
    }
}

#[test]
fn every_pod_is_hardened() {
    for dir in job_dirs() {
        let ctx = dir.display().to_string();
        let jm: Job = round_trip(&dir.join("jobmanager-job.yaml"));
        let tm: Deployment = round_trip(&dir.join("taskmanager-deployment.yaml"));
        assert_hardened(&jm.spec.unwrap().template, &ctx);
        assert_hardened(&tm.spec.unwrap().template, &ctx);
    }
}

#[test]
fn dockerfiles_copy_the_jar_into_usrlib() {
    for dir in job_dirs() {
        let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        assert!(code[0].starts_with("FROM "), "{}", dir.display());
        let copy = code.iter().find(|l| l.starts_with("COPY ")).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy();
        assert!(copy.starts_with("COPY --chown=flink:flink "), "{copy}");
        assert!(
            copy.ends_with(&format!(" $FLINK_HOME/usrlib/{name}.jar")),
            "{copy}"
        );
        assert!(!text.contains("/lib/"), "plugins never go to lib/");
    }
}

#[test]
fn kustomize_builds_every_job_folder() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("kubectl not found: skipping kustomize builds");
        return;
    }
    let mut dirs = job_dirs();
    // Environment folders aggregate their jobs' folders.
    let envs: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| d.parent())
        .filter(|p| p.join("kustomization.yaml").exists())
        .map(Path::to_path_buf)
        .collect();
    assert!(!envs.is_empty(), "an environment folder is covered");
    dirs.extend(envs);
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let docs = String::from_utf8(out.stdout).unwrap();
        let kinds: Vec<&str> = docs.lines().filter(|l| l.starts_with("kind: ")).collect();
        if dir.join("Dockerfile").exists() {
            let listed = std::fs::read_to_string(dir.join("kustomization.yaml"))
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("  - "))
                .count();
            assert_eq!(kinds.len(), listed, "{}: {kinds:?}", dir.display());
            assert!(listed >= 4, "{}", dir.display());
        } else {
            assert!(
                kinds.len() >= 8,
                "{}: an environment holds all its jobs: {kinds:?}",
                dir.display()
            );
        }
    }
}

#[test]
fn committed_examples_are_current() {
    let g =
        flinkgen::generate(&root()).unwrap_or_else(|d| panic!("{}", flinkgen::error_report(&d)));
    let drift = flinkgen::emit::check(
        &root().join(&g.out_dir),
        &g.out_dir,
        &g.files,
        &g.owners,
        &Default::default(),
    );
    assert!(
        drift.is_empty(),
        "out/ is stale; run `cargo run -- render`:\n{}",
        drift.iter().map(|d| d.diff.as_str()).collect::<String>()
    );
    assert!(g.jobs >= 4, "at least four example jobs");
    assert!(
        g.warnings.is_empty(),
        "{}",
        flinkgen::warning_report(&g.warnings)
    );
}
