//! Each template's own view: the values it reads, picked by name from the job's view and the
//! mounted files. A template sees nothing else, so what a manifest depends on is written here
//! once, per template; `render`'s tests hold each list equal to the variables its template
//! (and what it includes) actually reads, so a list can be neither short nor stale.

use minijinja::Value;

use super::{JobView, Mounted};

/// `template => [v.field | m.field, …]`: `v` is the job's view, `m` the mounted files. Field
/// names are checked by the compiler against the two structs.
macro_rules! contexts {
    ($v:ident, $m:ident; $($template:literal => [$($part:ident . $field:ident),* $(,)?],)*) => {
        /// The context `template` is rendered with; an error for a template no job renders
        /// alone (macros, included parts).
        pub fn context(
            template: &str,
            $v: &JobView,
            $m: &Mounted,
        ) -> Result<Value, minijinja::Error> {
            match template {
                $($template => Ok(minijinja::context! {
                    $($field => Value::from_serialize(&$part.$field),)*
                }),)*
                _ => Err(minijinja::Error::new(
                    minijinja::ErrorKind::TemplateNotFound,
                    format!("{template} has no context in plan::context"),
                )),
            }
        }

        /// Every template with a view of its own, and the names in it.
        pub const FIELDS: &[(&str, &[&str])] = &[
            $(($template, &[$(stringify!($field)),*]),)*
        ];
    };
}

contexts! {
    v, m;
    "Dockerfile.j2" => [v.build, v.dockerfile, v.flink_version, v.generator, v.image, v.kind, v.name, v.plugins, v.source],
    "SqlRunner.java.j2" => [v.generator, v.source],
    "log4j-console.properties.j2" => [v.generator, v.log_json, v.loggers, v.root_level, v.source],
    "configmap.yaml.j2" => [v.config_file, v.config_map, v.config_text, v.generator, v.labels, m.log4j_text, v.namespace, v.source],
    "files-configmap.yaml.j2" => [v.generator, v.labels, v.namespace, v.project_files, v.source],
    "pod-template-configmap.yaml.j2" => [v.generator, v.labels, v.namespace, v.pod_template_file, v.pod_template_map, m.pod_template_text, v.source],
    "kustomization.yaml.j2" => [v.build, v.generator, v.image, v.kind, v.operator, v.resources, v.source],
    "serviceaccount.yaml.j2" => [v.generator, v.labels, v.namespace, v.service_account, v.service_account_annotations, v.source],
    "role.yaml.j2" => [v.generator, v.ha, v.jobmanager, v.labels, v.namespace, v.native, v.role, v.source],
    "rolebinding.yaml.j2" => [v.generator, v.labels, v.namespace, v.role, v.service_account, v.source],
    "jobmanager-service.yaml.j2" => [v.generator, v.jobmanager, v.jobmanager_service, v.namespace, v.ports, v.source],
    "native-internal-service.yaml.j2" => [v.generator, v.internal_service, v.jobmanager, v.namespace, v.ports, v.source],
    "rest-service.yaml.j2" => [v.generator, v.jobmanager, v.name, v.namespace, v.native, v.ports, v.rest, v.source],
    "ingress.yaml.j2" => [v.generator, v.ingress, v.jobmanager, v.namespace, v.ports, v.source],
    "taskmanager-service.yaml.j2" => [v.generator, v.local_state, v.namespace, v.ports, v.source, v.taskmanager],
    "jobmanager-networkpolicy.yaml.j2" => [v.egress, v.generator, v.instance_selector, v.jobmanager, v.kind, v.metrics, v.name, v.namespace, v.network_policy, v.ports, v.source],
    "taskmanager-networkpolicy.yaml.j2" => [v.egress, v.generator, v.instance_selector, v.metrics, v.namespace, v.source, v.taskmanager],
    "taskmanager-pdb.yaml.j2" => [v.disruption_budget, v.generator, v.namespace, v.source, v.taskmanager],
    "taskmanager-hpa.yaml.j2" => [v.autoscaler, v.generator, v.namespace, v.source, v.taskmanager],
    "resources.yaml.j2" => [v.extra_resources, v.generator, v.source],
    "podmonitor.yaml.j2" => [v.component_key, v.generator, v.instance_selector, v.labels, v.metrics, v.name, v.namespace, v.source],
    "jobmanager-job.yaml.j2" => [
        v.generator, v.jobmanager, v.jobmanager_replicas, v.namespace, v.source,
        // _jobmanager-pod.yaml.j2, included
        v.config_file, m.config_hash, v.config_map, v.image, v.jobmanager_args, v.jobmanager_container,
        v.jobmanager_token, v.kind, v.metrics, v.native, v.pod_ip_env, v.pod_template_dir,
        v.pod_template_file, v.pod_template_map, v.ports, v.pull_policy, v.pull_secrets,
        v.service_account,
    ],
    "jobmanager-deployment.yaml.j2" => [
        v.generator, v.jobmanager, v.jobmanager_replicas, v.kind, v.name, v.namespace, v.native,
        v.source, v.taskmanager_config,
        // _jobmanager-pod.yaml.j2, included
        v.config_file, m.config_hash, v.config_map, v.image, v.jobmanager_args, v.jobmanager_container,
        v.jobmanager_token, v.metrics, v.pod_ip_env, v.pod_template_dir, v.pod_template_file,
        v.pod_template_map, v.ports, v.pull_policy, v.pull_secrets, v.service_account,
    ],
    "taskmanager-deployment.yaml.j2" => [
        v.config_file, m.config_hash, v.config_map, v.generator, v.image, v.local_state, v.metrics,
        v.namespace, v.ports, v.pull_policy, v.pull_secrets, v.service_account, v.source,
        v.taskmanager, v.taskmanager_args, v.taskmanager_replicas, v.taskmanager_token,
    ],
    "taskmanager-pod-template.yaml.j2" => [v.ha, v.metrics, v.taskmanager, v.taskmanager_account, v.taskmanager_config],
    "submit-job.yaml.j2" => [v.generator, v.image, v.name, v.namespace, v.pull_policy, v.pull_secrets, v.source, v.submit],
    "flinkdeployment.yaml.j2" => [
        v.build, v.generator, v.image, v.ingress, v.jobmanager, v.jobmanager_replicas, v.kind,
        v.labels, m.log4j_text, v.metrics, v.name, v.namespace, v.native, v.operator,
        v.pull_policy, v.pull_secrets, v.service_account, v.source, v.taskmanager,
    ],
    "flinksessionjob.yaml.j2" => [v.generator, v.labels, v.name, v.namespace, v.operator, v.source],
}
