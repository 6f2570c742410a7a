//! Bitnami's Flink image and chart: its scripts (bitnami/containers,
//! bitnami/flink/*/rootfs/opt/bitnami/scripts: flink-env.sh, libflink.sh, run.sh) start the
//! process `FLINK_MODE` names and write the Flink configuration from variables, so in a
//! deployment of that image the variables are the configuration.

use crate::load::tree::Tree;

use super::config::FlinkOption;
use super::draft::Draft;
use super::objects::Obj;
use super::pod::Main;

/// Whether an image is Bitnami's Flink image (`bitnami/flink`, `bitnamilegacy/flink`, ...),
/// whose own scripts start Flink (bitnami/containers, bitnami/flink/*/rootfs/opt/bitnami/scripts).
pub fn image(image: &str) -> bool {
    let path = image.split('@').next().unwrap_or(image);
    let path = match path.rsplit_once(':') {
        Some((p, tag)) if !tag.contains('/') => p,
        _ => path,
    };
    let mut parts = path.rsplit('/');
    parts.next() == Some("flink") && parts.any(|p| p.starts_with("bitnami"))
}

/// The option a `FLINK_CFG_*` variable sets in Bitnami's image, as its libflink.sh
/// (`flink_configure_from_environment_variables`) names it: `__` is `-`, then `_` is `.`, all
/// lower case, with one exception for a key in camel case.
fn key(var: &str) -> Option<String> {
    let rest = var.strip_prefix("FLINK_CFG_")?;
    if var == "FLINK_CFG_HIGH__AVAILABILITY_STORAGE_DIR" {
        return Some("high-availability.storageDir".into());
    }
    Some(rest.replace("__", "-").replace('_', ".").to_lowercase())
}

/// A variable Bitnami's scripts read (flink-env.sh, libflink.sh, run.sh): `FLINK_MODE` picks
/// the process, `FLINK_CFG_*`, `FLINK_TASK_MANAGER_NUMBER_OF_TASK_SLOTS` and `FLINK_PROPERTIES`
/// (appended as it is) write the configuration. `None` for any other variable.
pub fn variable(
    obj: &Obj,
    field: &str,
    name: &str,
    e: &Tree,
    draft: &mut Draft,
    main: &mut Main,
) -> Option<Option<Tree>> {
    let value = e.get("value").and_then(Tree::scalar_text);
    let line = obj.line(field);
    let key = match name {
        "FLINK_MODE" | "BITNAMI_DEBUG" => return Some(None),
        "FLINK_PROPERTIES" => {
            main.properties.extend(super::config::legacy(
                &value.unwrap_or_default(),
                obj.line(&format!("{field}.value")) + 1,
            ));
            return Some(None);
        }
        "FLINK_TASK_MANAGER_NUMBER_OF_TASK_SLOTS" => "taskmanager.numberOfTaskSlots".to_string(),
        _ => key(name)?,
    };
    if let Some(v) = value {
        if v.contains('$') && !super::config::pinned(&key) {
            draft.warn(obj.warning(field, format!("`{name}` names other variables, which Bitnami's scripts substitute at start-up; flinkgen writes `{key}` as it is: check it")));
        }
        main.properties.push(FlinkOption {
            key,
            value: Tree::Text(v),
            line,
        });
        return Some(None);
    }
    match e.at(&["valueFrom", "secretKeyRef"]) {
        Some(r) if draft.spec.get("target").and_then(Tree::as_str) != Some("operator") => {
            let entry = Tree::Map(vec![
                (Tree::Text("secret".into()), r.get("name").cloned().unwrap_or(Tree::Null)),
                (Tree::Text("key".into()), r.get("key").cloned().unwrap_or(Tree::Null)),
            ]);
            draft.spec.child("flinkConfigFromSecrets").set(&key, entry);
        }
        _ => draft.warn(obj.warning(field, format!("`{name}` sets `{key}` from a source flinkgen's configuration cannot read; not imported: set it in flinkConfig, or flinkConfigFromSecrets for a Secret"))),
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_the_image_and_names_keys_as_libflink_does() {
        for yes in [
            "docker.io/bitnami/flink:1.20.1-debian-12-r5",
            "bitnami/flink:2.2.0",
            "registry.example.com/bitnamilegacy/flink@sha256:00",
        ] {
            assert!(super::image(yes), "{yes}");
        }
        for no in ["flink:1.20.1", "bitnami/kafka:3.9", "apache/flink:2.2.0"] {
            assert!(!super::image(no), "{no}");
        }
        let key = |v: &str| super::key(v).unwrap();
        assert_eq!(key("FLINK_CFG_REST_BIND__ADDRESS"), "rest.bind-address");
        assert_eq!(key("FLINK_CFG_STATE_BACKEND_TYPE"), "state.backend.type");
        assert_eq!(
            key("FLINK_CFG_HIGH__AVAILABILITY_STORAGE_DIR"),
            "high-availability.storageDir"
        );
        assert_eq!(super::key("FLINK_MODE"), None);
    }
}
