//! The template registry: every template of `templates/` that a job renders, with the file it
//! writes, its source (embedded, so the binary needs no files beside it) and the values it
//! reads, picked by name from the job's view and the mounted files. A template sees nothing
//! else, so what a manifest depends on is written here once; `render`'s tests hold each list
//! equal to the variables its template (and what it includes) actually reads.

use minijinja::Value;

use super::{JobView, Mounted};

/// `Variant: "template" => output [v.field | m.field, …]`: `v` is the job's view, `m` the
/// mounted files. Field names are checked by the compiler against the two structs.
macro_rules! registry {
    ($v:ident, $m:ident; $($variant:ident: $file:literal => $output:expr, [$($part:ident . $field:ident),* $(,)?],)*) => {
        /// A template of a job: one file of its folder, or a text its ConfigMaps embed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Template {
            $($variant,)*
        }

        impl Template {
            pub const ALL: &[Template] = &[$(Template::$variant,)*];

            /// Its name in `templates/`.
            pub fn file(self) -> &'static str {
                match self {
                    $(Template::$variant => $file,)*
                }
            }

            /// The file it writes in the job's folder; `None` for the two texts that are
            /// mounted into the pods, which ConfigMaps embed instead.
            pub fn output(self) -> Option<&'static str> {
                match self {
                    $(Template::$variant => $output,)*
                }
            }

            pub fn source(self) -> &'static str {
                match self {
                    $(Template::$variant => include_str!(concat!("../../templates/", $file)),)*
                }
            }

            /// The names of the values it reads.
            pub fn fields(self) -> &'static [&'static str] {
                match self {
                    $(Template::$variant => &[$(stringify!($field)),*],)*
                }
            }

            /// The context it is rendered with.
            pub fn context(self, $v: &JobView, $m: &Mounted) -> Value {
                match self {
                    $(Template::$variant => minijinja::context! {
                        $($field => Value::from(minijinja::value::Serde(&$part.$field)),)*
                    },)*
                }
            }
        }
    };
}

/// Parts other templates import or include, rendered only through them.
pub const FRAGMENTS: &[(&str, &str)] = &[
    (
        "_macros.yaml.j2",
        include_str!("../../templates/_macros.yaml.j2"),
    ),
    (
        "_jobmanager-pod.yaml.j2",
        include_str!("../../templates/_jobmanager-pod.yaml.j2"),
    ),
    (
        "_taskmanager-pod.yaml.j2",
        include_str!("../../templates/_taskmanager-pod.yaml.j2"),
    ),
];

/// The kustomization of an environment's folder, rendered from an `EnvironmentView`.
pub const ENVIRONMENT: (&str, &str) = (
    "environment-kustomization.yaml.j2",
    include_str!("../../templates/environment-kustomization.yaml.j2"),
);

registry! {
    v, m;
    Dockerfile: "Dockerfile.j2" => Some("Dockerfile"), [v.build, v.dockerfile, v.flink_version, v.generator, v.image, v.kind, v.name, v.plugins, v.source],
    SqlRunner: "SqlRunner.java.j2" => Some(crate::derive::wiring::SQL_RUNNER_SOURCE), [v.generator, v.source],
    Log4j: "log4j-console.properties.j2" => None, [v.generator, v.log_json, v.loggers, v.root_level, v.source],
    ConfigMap: "configmap.yaml.j2" => Some("configmap.yaml"), [v.config_file, v.config_map, v.config_text, v.generator, v.labels, m.log4j_text, v.namespace, v.source],
    HaUpgradeConfigMap: "ha-upgrade-configmap.yaml.j2" => Some("ha-upgrade-configmap.yaml"), [v.generator, v.ha_upgrade, v.labels, v.namespace, v.source],
    FilesConfigMap: "files-configmap.yaml.j2" => Some("files-configmap.yaml"), [v.generator, v.labels, v.namespace, v.project_files, v.source],
    PodTemplateConfigMap: "pod-template-configmap.yaml.j2" => Some("pod-template-configmap.yaml"), [v.generator, v.labels, v.namespace, v.pod_template_file, v.pod_template_map, m.pod_template_text, v.source],
    Kustomization: "kustomization.yaml.j2" => Some("kustomization.yaml"), [v.build, v.generator, v.image, v.kind, v.operator, v.resources, v.source],
    ServiceAccount: "serviceaccount.yaml.j2" => Some("serviceaccount.yaml"), [v.generator, v.labels, v.namespace, v.service_account, v.service_account_annotations, v.source],
    Role: "role.yaml.j2" => Some("role.yaml"), [v.generator, v.ha, v.jobmanager, v.labels, v.namespace, v.native, v.role, v.source],
    RoleBinding: "rolebinding.yaml.j2" => Some("rolebinding.yaml"), [v.generator, v.labels, v.namespace, v.role, v.service_account, v.source],
    JobManagerService: "jobmanager-service.yaml.j2" => Some("jobmanager-service.yaml"), [v.generator, v.jobmanager, v.jobmanager_service, v.namespace, v.ports, v.source],
    NativeInternalService: "native-internal-service.yaml.j2" => Some("jobmanager-service.yaml"), [v.generator, v.internal_service, v.jobmanager, v.namespace, v.ports, v.source],
    RestService: "rest-service.yaml.j2" => Some("rest-service.yaml"), [v.generator, v.jobmanager, v.name, v.namespace, v.native, v.ports, v.rest, v.source],
    Ingress: "ingress.yaml.j2" => Some("ingress.yaml"), [v.generator, v.ingress, v.jobmanager, v.namespace, v.ports, v.source],
    TaskManagerService: "taskmanager-service.yaml.j2" => Some("taskmanager-service.yaml"), [v.generator, v.local_state, v.namespace, v.ports, v.source, v.taskmanager],
    JobManagerNetworkPolicy: "jobmanager-networkpolicy.yaml.j2" => Some("jobmanager-networkpolicy.yaml"), [v.egress, v.generator, v.instance_selector, v.jobmanager, v.kind, v.metrics, v.name, v.namespace, v.network_policy, v.ports, v.source],
    TaskManagerNetworkPolicy: "taskmanager-networkpolicy.yaml.j2" => Some("taskmanager-networkpolicy.yaml"), [v.egress, v.generator, v.instance_selector, v.metrics, v.namespace, v.source, v.taskmanager],
    DisruptionBudget: "taskmanager-pdb.yaml.j2" => Some("taskmanager-pdb.yaml"), [v.disruption_budget, v.generator, v.namespace, v.source, v.taskmanager],
    Autoscaler: "taskmanager-hpa.yaml.j2" => Some("taskmanager-hpa.yaml"), [v.autoscaler, v.generator, v.namespace, v.source, v.taskmanager],
    Resources: "resources.yaml.j2" => Some("resources.yaml"), [v.extra_resources, v.generator, v.source],
    PodMonitor: "podmonitor.yaml.j2" => Some("podmonitor.yaml"), [v.component_key, v.generator, v.instance_selector, v.labels, v.metrics, v.name, v.namespace, v.source],
    JobManagerJob: "jobmanager-job.yaml.j2" => Some("jobmanager-job.yaml"), [v.generator, v.jobmanager, v.jobmanager_replicas, v.namespace, v.source,
        // _jobmanager-pod.yaml.j2, included
        v.config_file, m.config_hash, v.config_map, v.image, v.jobmanager_args, v.jobmanager_container,
        v.jobmanager_token, v.kind, v.metrics, v.native, v.pod_ip_env, v.pod_template_dir,
        v.pod_template_file, v.pod_template_map, v.ports, v.pull_policy, v.pull_secrets,
        v.service_account,],
    JobManagerDeployment: "jobmanager-deployment.yaml.j2" => Some("jobmanager-deployment.yaml"), [v.generator, v.jobmanager, v.jobmanager_replicas, v.kind, v.name, v.namespace, v.native,
        v.source, m.taskmanager_config,
        // _jobmanager-pod.yaml.j2, included
        v.config_file, m.config_hash, v.config_map, v.image, v.jobmanager_args, v.jobmanager_container,
        v.jobmanager_token, v.metrics, v.pod_ip_env, v.pod_template_dir, v.pod_template_file,
        v.pod_template_map, v.ports, v.pull_policy, v.pull_secrets, v.service_account,],
    TaskManagerStatefulSet: "taskmanager-statefulset.yaml.j2" => Some("taskmanager-statefulset.yaml"), [v.config_file, m.config_hash, v.config_map, v.generator, v.image, v.local_state, v.metrics,
        v.namespace, v.ports, v.pull_policy, v.pull_secrets, v.service_account, v.source,
        v.taskmanager, v.taskmanager_args, v.taskmanager_replicas, v.taskmanager_token,],
    TaskManagerDeployment: "taskmanager-deployment.yaml.j2" => Some("taskmanager-deployment.yaml"), [v.config_file, m.config_hash, v.config_map, v.generator, v.image, v.local_state, v.metrics,
        v.namespace, v.ports, v.pull_policy, v.pull_secrets, v.service_account, v.source,
        v.taskmanager, v.taskmanager_args, v.taskmanager_replicas, v.taskmanager_token,],
    TaskManagerPodTemplate: "taskmanager-pod-template.yaml.j2" => None, [v.ha, v.metrics, v.taskmanager, v.taskmanager_account, m.taskmanager_config],
    SubmitJob: "submit-job.yaml.j2" => Some("submit-job.yaml"), [v.generator, v.image, v.name, v.namespace, v.pull_policy, v.pull_secrets, v.source, v.submit],
    FlinkDeployment: "flinkdeployment.yaml.j2" => Some("flinkdeployment.yaml"), [v.build, v.generator, v.image, v.ingress, v.jobmanager, v.jobmanager_replicas, v.kind,
        v.labels, m.log4j_text, v.metrics, v.name, v.namespace, v.native, v.operator,
        v.pull_policy, v.pull_secrets, v.service_account, v.source, v.taskmanager,],
    FlinkSessionJob: "flinksessionjob.yaml.j2" => Some("flinksessionjob.yaml"), [v.generator, v.labels, v.name, v.namespace, v.operator, v.source],
}
