//! What a spec adds to its pods: environment, volumes, annotations, scheduling priority. The
//! same fields exist on a job or cluster (all its Flink pods) and under `jobManager:` /
//! `taskManager:` (one role), and in environment overlays; `pod_fields!` declares them once.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::scalar::Scalar;

/// Declares a spec struct with the pod fields appended, and `pod()` to read them as one
/// `PodFields`. The fields are plain (not `#[serde(flatten)]`), because flattening would lose
/// `deny_unknown_fields` and with it the "unknown field, did you mean" errors.
macro_rules! pod_fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($body)*
            /// Environment variables of the Flink container: a value, or
            /// `{ secret: name, key: k }`, `{ configMap: name, key: k }`, `{ field: spec.nodeName }`.
            #[serde(default)]
            pub env: std::collections::BTreeMap<String, $crate::load::pod::EnvValue>,
            /// Secrets and ConfigMaps whose every key becomes an environment variable.
            #[serde(default)]
            pub env_from: Vec<$crate::load::pod::EnvFromSpec>,
            /// Volumes mounted into the Flink container, by absolute mount path.
            #[serde(default)]
            pub volumes: std::collections::BTreeMap<String, $crate::load::pod::VolumeSpec>,
            /// Annotations on the pods (not on the workloads).
            #[serde(default)]
            pub pod_annotations: std::collections::BTreeMap<String, String>,
            /// PriorityClass of the pods.
            pub priority_class_name: Option<String>,
            /// Seconds a pod may take to stop (Kubernetes' default is 30).
            #[serde(default, deserialize_with = "crate::load::scalar::int32")]
            #[schemars(range(max = 2147483647))]
            pub termination_grace_period_seconds: Option<u32>,
            /// Containers beside Flink's (Kubernetes `Container` objects): log forwarders,
            /// proxies. They get the pods' hardening; a securityContext or hostPort weaker than
            /// it is an error unless the entry lists the setting in `weakens`
            /// (`weakens: [readOnlyRootFilesystem]`), which then warns on every render.
            #[serde(default)]
            #[schemars(with = "Vec<serde_json::Value>")]
            pub sidecars: Vec<$crate::load::tree::Tree>,
            /// Containers that run to completion before Flink starts (hardened, and
            /// acknowledging weaker settings in `weakens`, like sidecars).
            #[serde(default)]
            #[schemars(with = "Vec<serde_json::Value>")]
            pub init_containers: Vec<$crate::load::tree::Tree>,
        }

        impl $name {
            pub fn pod(&self) -> $crate::load::pod::PodFields {
                $crate::load::pod::PodFields {
                    env: self.env.clone(),
                    env_from: self.env_from.clone(),
                    volumes: self.volumes.clone(),
                    pod_annotations: self.pod_annotations.clone(),
                    priority_class_name: self.priority_class_name.clone(),
                    termination_grace_period_seconds: self.termination_grace_period_seconds,
                    sidecars: self.sidecars.clone(),
                    init_containers: self.init_containers.clone(),
                }
            }

            /// Sets the pod fields to `p` (an environment overlay's result).
            pub fn set_pod(&mut self, p: $crate::load::pod::PodFields) {
                self.env = p.env;
                self.env_from = p.env_from;
                self.volumes = p.volumes;
                self.pod_annotations = p.pod_annotations;
                self.priority_class_name = p.priority_class_name;
                self.termination_grace_period_seconds = p.termination_grace_period_seconds;
                self.sidecars = p.sidecars;
                self.init_containers = p.init_containers;
            }
        }
    };
}

/// The pod fields of one place (a spec, a role, an overlay).
#[derive(Debug, Clone, Default)]
pub struct PodFields {
    pub env: BTreeMap<String, EnvValue>,
    pub env_from: Vec<EnvFromSpec>,
    pub volumes: BTreeMap<String, VolumeSpec>,
    pub pod_annotations: BTreeMap<String, String>,
    pub priority_class_name: Option<String>,
    pub termination_grace_period_seconds: Option<u32>,
    pub sidecars: Vec<super::tree::Tree>,
    pub init_containers: Vec<super::tree::Tree>,
}

impl PodFields {
    /// `over` on top of these: maps merge by key (over wins), lists append, values replace.
    pub fn merged(&self, over: &PodFields) -> PodFields {
        let mut out = self.clone();
        out.env.extend(over.env.clone());
        out.env_from.extend(over.env_from.iter().cloned());
        out.volumes.extend(over.volumes.clone());
        out.pod_annotations.extend(over.pod_annotations.clone());
        out.priority_class_name = over.priority_class_name.clone().or(out.priority_class_name);
        out.termination_grace_period_seconds = over
            .termination_grace_period_seconds
            .or(out.termination_grace_period_seconds);
        out.sidecars.extend(over.sidecars.iter().cloned());
        out.init_containers
            .extend(over.init_containers.iter().cloned());
        out
    }
}

/// An environment variable: a plain value, or a reference to where Kubernetes reads it.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    Value(Scalar),
    From(EnvSource),
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvSource {
    /// A Secret's name (with `key`).
    pub secret: Option<String>,
    /// A ConfigMap's name (with `key`).
    pub config_map: Option<String>,
    /// The key in the Secret or ConfigMap.
    pub key: Option<String>,
    /// A field of the pod (`metadata.name`, `spec.nodeName`, `status.podIP` …).
    pub field: Option<String>,
    /// Start the pod even when the Secret or ConfigMap (or its key) is missing.
    pub optional: Option<bool>,
}

/// A scalar is a value; a map names its source. Written by hand so that a wrong map gets the
/// source's own field error.
impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value, or a map with secret/configMap and key, or field")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Value(Scalar::Text(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Value(Scalar::Int(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue::Value(Scalar::Text(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue::Value(Scalar::Float(v)))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue::Value(Scalar::Bool(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<EnvValue, A::Error> {
                EnvSource::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(EnvValue::From)
            }
        }
        d.deserialize_any(V)
    }
}

/// Every key of a Secret or ConfigMap as an environment variable.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvFromSpec {
    /// A Secret whose keys become variables.
    pub secret: Option<String>,
    /// A ConfigMap whose keys become variables.
    pub config_map: Option<String>,
    /// Prepended to every variable name.
    pub prefix: Option<String>,
    /// Start the pod even when the Secret or ConfigMap is missing.
    pub optional: Option<bool>,
}

/// One volume; exactly one source.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VolumeSpec {
    /// The volume's name in the pod; derived from the mount path when not given.
    pub name: Option<String>,
    /// A Secret's keys as files (always read-only).
    pub secret: Option<String>,
    /// An existing ConfigMap's keys as files, or `{ files: { key: project/path } }` for a
    /// ConfigMap flinkgen writes from project files (always read-only).
    pub config_map: Option<ConfigMapSource>,
    /// An existing PersistentVolumeClaim, by name.
    pub persistent_volume_claim: Option<String>,
    /// A scratch folder that lives as long as the pod (`{}`, or `{ medium: Memory, sizeLimit: 1Gi }`).
    pub empty_dir: Option<EmptyDirSpec>,
    /// A folder of the node (`/mnt/nvme`, or `{ path, type }`); allowed with a warning.
    pub host_path: Option<HostPathSpec>,
    /// Mount read-only (Secrets and ConfigMaps always are).
    pub read_only: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmptyDirSpec {
    /// Kubernetes quantity, such as 20Gi.
    pub size_limit: Option<Scalar>,
    /// `Memory` for a tmpfs.
    pub medium: Option<String>,
}

#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum HostPathSpec {
    Path(String),
    Typed(HostPathTyped),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostPathTyped {
    /// The folder on the node.
    pub path: String,
    /// Kubernetes' hostPath type (`Directory`, `DirectoryOrCreate`, …).
    #[serde(rename = "type")]
    pub path_type: Option<String>,
}

impl<'de> Deserialize<'de> for HostPathSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = HostPathSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a path, or a map with path and type")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HostPathSpec, E> {
                Ok(HostPathSpec::Path(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<HostPathSpec, A::Error> {
                HostPathTyped::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(HostPathSpec::Typed)
            }
        }
        d.deserialize_any(V)
    }
}

/// A key of a Kubernetes Secret.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretKeySpec {
    /// The Secret's name.
    pub secret: String,
    /// The key in the Secret whose value the option takes.
    pub key: String,
}

/// The Kubernetes account the Flink pods run as.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccountSpec {
    /// The account's name; flinkgen writes it unless it exists already (see the security chapter).
    pub name: String,
    /// Annotations of the account, such as a cloud identity
    /// (`eks.amazonaws.com/role-arn`, `iam.gke.io/gcp-service-account`).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Write the ServiceAccount (default true); false: it exists, flinkgen only binds to it.
    pub create: Option<bool>,
}

/// A TaskManager's own disk for local state: each TaskManager gets a claim of `size`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalStateSpec {
    /// Kubernetes quantity, such as 50Gi.
    pub size: Scalar,
    /// StorageClass of the claims; the cluster's default when not given.
    pub storage_class: Option<String>,
    /// Where the claim is mounted in the TaskManager (default `/opt/flink/local-state`); it
    /// becomes the TaskManager's working directory.
    pub mount_path: Option<String>,
}

/// A ConfigMap volume's source: an existing ConfigMap by name, or project files.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum ConfigMapSource {
    Name(String),
    Files(ConfigMapFiles),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigMapFiles {
    /// File name in the mounted folder -> project file (relative to the project root).
    pub files: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for ConfigMapSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ConfigMapSource;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a ConfigMap's name, or a map with files")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ConfigMapSource, E> {
                Ok(ConfigMapSource::Name(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<ConfigMapSource, A::Error> {
                ConfigMapFiles::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(ConfigMapSource::Files)
            }
        }
        d.deserialize_any(V)
    }
}

impl PodFields {
    /// Project files this place's volumes turn into ConfigMaps.
    pub fn project_files(&self) -> impl Iterator<Item = &String> {
        self.volumes
            .values()
            .filter_map(|v| match &v.config_map {
                Some(ConfigMapSource::Files(f)) => Some(f.files.values()),
                _ => None,
            })
            .flatten()
    }
}

/// What the pods expose for monitoring.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsSpec {
    /// Flink's Prometheus reporter (`metrics.reporter.prom.*`) on every JobManager and
    /// TaskManager, on a named `metrics` container port.
    pub prometheus: Option<PrometheusSpec>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusSpec {
    /// Port of the reporter's HTTP endpoint (default 9249).
    #[serde(default, deserialize_with = "crate::load::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub port: Option<u32>,
    /// Write a monitoring.coreos.com/v1 PodMonitor for the Prometheus Operator.
    pub pod_monitor: Option<bool>,
    /// Annotate the pods with prometheus.io/scrape, port and path.
    pub annotations: Option<bool>,
    /// Labels on the PodMonitor, for the Prometheus resource's podMonitorSelector.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// NetworkPolicyPeer objects the network policy admits to the metrics port.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub from: Vec<super::tree::Tree>,
    /// How often Prometheus scrapes the pods (a Prometheus duration: `30s`, `1m`); the
    /// Prometheus resource's own interval when not given. PodMonitor only.
    pub interval: Option<String>,
    /// How long Prometheus waits for one scrape (a Prometheus duration), at most `interval`
    /// (Prometheus refuses a longer one); Prometheus' own default when not given. PodMonitor only.
    pub scrape_timeout: Option<String>,
    /// Pod labels Prometheus copies onto the scraped series (`team`, `env`). PodMonitor only.
    #[serde(default)]
    pub pod_target_labels: Vec<String>,
}

impl MetricsSpec {
    /// `over` on top of these settings: each field it sets replaces ours, maps merge.
    pub fn overlay(&self, over: &MetricsSpec) -> MetricsSpec {
        let prometheus = match (&self.prometheus, &over.prometheus) {
            (Some(b), Some(o)) => {
                let mut labels = b.labels.clone();
                labels.extend(o.labels.clone());
                Some(PrometheusSpec {
                    port: o.port.or(b.port),
                    pod_monitor: o.pod_monitor.or(b.pod_monitor),
                    annotations: o.annotations.or(b.annotations),
                    labels,
                    from: if o.from.is_empty() {
                        b.from.clone()
                    } else {
                        o.from.clone()
                    },
                    interval: o.interval.clone().or(b.interval.clone()),
                    scrape_timeout: o.scrape_timeout.clone().or(b.scrape_timeout.clone()),
                    pod_target_labels: if o.pod_target_labels.is_empty() {
                        b.pod_target_labels.clone()
                    } else {
                        o.pod_target_labels.clone()
                    },
                })
            }
            (b, o) => o.clone().or(b.clone()),
        };
        MetricsSpec { prometheus }
    }
}
