//! A spec's volumes: one source each (a Secret, a ConfigMap or project files, a claim, an
//! emptyDir, a node path), named by their mount path unless named, never over flinkgen's own
//! mounts.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::diag::Diagnostics;
use crate::load::pod::{ConfigMapSource, HostPathSpec, VolumeSpec};
use crate::load::Source;
use crate::model::Mount;

use super::units;
use super::units::{config_key, disk_size};
use super::ProjectFiles;

/// Volume names flinkgen's own mounts use.
const RESERVED_VOLUMES: &[&str] = &[
    "flink-config-volume",
    "pod-template-volume",
    "tmp",
    "flink-logs",
];

/// One mount of the spec: its path and name checked, and its one source as a Kubernetes `Volume`.
/// Long because the path, the name and each of the five sources are checked in turn.
pub fn volume(
    src: &Source,
    field: &str,
    path: &str,
    v: &VolumeSpec,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<Mount> {
    let plain = path.starts_with('/')
        && path.len() > 1
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
        && !path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .any(|s| matches!(s, "" | "." | ".."));
    if !plain {
        diags.push(
            src.key_error(field, format!("`{path}` is not an absolute mount path"))
                .help("write an absolute path of letters, digits and `._-+/`, such as /etc/kafka"),
        );
        return None;
    }
    if let Some((dir, why)) = super::lib::reserved_for_volume(path) {
        let msg = if path.trim_end_matches('/') == dir {
            format!("{dir} is taken: {why}")
        } else if super::lib::hidden_by_mount(path).is_some() {
            format!("flinkgen mounts {dir} itself: {why}")
        } else if super::paths::under(path, dir) {
            format!("a volume at {path} would hide part of {dir}: {why}")
        } else {
            format!("a volume at {path} would hide {dir}: {why}")
        };
        diags
            .push(src.key_error(field, msg).help(
                "mount the volume at a path of its own, such as /etc/<name> or /data/<name>",
            ));
        return None;
    }
    let name = match &v.name {
        Some(n) => n.clone(),
        None => volume_name(path),
    };
    if let Err(e) = units::dns_label(&name, 63) {
        diags.push(src.error(&format!("{field}.name"), e));
        return None;
    }
    if RESERVED_VOLUMES.contains(&name.as_str()) {
        diags.push(
            src.error(
                field,
                format!("the volume name `{name}` is one of flinkgen's own"),
            )
            .help("set another `name:`"),
        );
        return None;
    }
    let sources = [
        v.secret.is_some(),
        v.config_map.is_some(),
        v.persistent_volume_claim.is_some(),
        v.empty_dir.is_some(),
        v.host_path.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        diags.push(
            src.key_error(field, "name exactly one source: secret, configMap, persistentVolumeClaim, emptyDir or hostPath"),
        );
        return None;
    }
    let named = |kind: &str, n: &str, diags: &mut Diagnostics| -> Option<()> {
        units::dns_subdomain(n)
            .map_err(|e| diags.push(src.error(&format!("{field}.{kind}"), e)))
            .ok()
    };
    let mut read_only = v.read_only.unwrap_or(false);
    let volume = if let Some(s) = &v.secret {
        named("secret", s, diags)?;
        read_only = true;
        json!({ "name": name, "secret": { "secretName": s } })
    } else if let Some(ConfigMapSource::Name(c)) = &v.config_map {
        named("configMap", c, diags)?;
        read_only = true;
        json!({ "name": name, "configMap": { "name": c } })
    } else if let Some(ConfigMapSource::Files(f)) = &v.config_map {
        let contents = config_files(
            src,
            &format!("{field}.configMap.files"),
            &f.files,
            files,
            diags,
        )?;
        // The ConfigMap's name is the job's; plan writes the volume that refers to it.
        return Some(Mount {
            name,
            read_only: true,
            volume: Value::Null,
            files: contents,
        });
    } else if let Some(c) = &v.persistent_volume_claim {
        named("persistentVolumeClaim", c, diags)?;
        json!({ "name": name, "persistentVolumeClaim": { "claimName": c, "readOnly": read_only } })
    } else if let Some(e) = &v.empty_dir {
        empty_dir(src, field, &name, e, diags)?
    } else {
        host_path(src, field, &name, v.host_path.as_ref()?, diags)?
    };
    Some(Mount {
        name,
        read_only,
        volume,
        files: BTreeMap::new(),
    })
}

/// An emptyDir, on the node's disk or in memory, with an optional size limit.
fn empty_dir(
    src: &Source,
    field: &str,
    name: &str,
    e: &crate::load::pod::EmptyDirSpec,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let mut spec = json!({});
    if let Some(size) = &e.size_limit {
        match units::memory(size) {
            Ok(bytes) => spec["sizeLimit"] = json!(disk_size(bytes)),
            Err(err) => {
                diags.push(src.error(&format!("{field}.emptyDir.sizeLimit"), err));
                return None;
            }
        }
    }
    match e.medium.as_deref() {
        None => {}
        Some("Memory") => spec["medium"] = json!("Memory"),
        Some(m) => {
            diags.push(
                src.error(
                    &format!("{field}.emptyDir.medium"),
                    format!("`{m}` is not an emptyDir medium"),
                )
                .help("use Memory (a tmpfs), or leave it out for the node's disk"),
            );
            return None;
        }
    }
    Some(json!({ "name": name, "emptyDir": spec }))
}

/// A node path: allowed with a warning, since it ties the pod to a node's files.
fn host_path(
    src: &Source,
    field: &str,
    name: &str,
    spec: &HostPathSpec,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let (host, kind) = match spec {
        HostPathSpec::Path(p) => (p.clone(), None),
        HostPathSpec::Typed(t) => (t.path.clone(), t.path_type.clone()),
    };
    if !host.starts_with('/') {
        diags.push(src.error(
            &format!("{field}.hostPath"),
            format!("`{host}` is not an absolute path on the node"),
        ));
        return None;
    }
    const TYPES: &[&str] = &[
        "DirectoryOrCreate",
        "Directory",
        "FileOrCreate",
        "File",
        "Socket",
        "CharDevice",
        "BlockDevice",
    ];
    if let Some(k) = kind.as_deref().filter(|k| !TYPES.contains(k)) {
        diags.push(
            src.error(
                &format!("{field}.hostPath.type"),
                format!("`{k}` is not a hostPath type"),
            )
            .help(format!("use one of: {}", TYPES.join(", "))),
        );
        return None;
    }
    diags.push(
        src.warning(field, format!("a hostPath volume ties the pod to what node {host} holds, and gives it access to the node's files"))
            .help("prefer a persistentVolumeClaim or an emptyDir unless the path is a local disk meant for it"),
    );
    let mut hp = json!({ "path": host });
    if let Some(k) = kind {
        hp["type"] = json!(k);
    }
    Some(json!({ "name": name, "hostPath": hp }))
}

/// The files of a ConfigMap flinkgen writes: each key a Secret-style key, each source a
/// project file that was read as UTF-8 text. A ConfigMap holds at most 1 MiB in all.
fn config_files(
    src: &Source,
    field: &str,
    wanted: &BTreeMap<String, String>,
    files: &ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, String>> {
    if wanted.is_empty() {
        diags.push(src.key_error(field, "name at least one file"));
        return None;
    }
    let mut out = BTreeMap::new();
    let mut total = 0;
    for (key, path) in wanted {
        let here = format!("{field}.{key}");
        if !config_key(key) {
            diags.push(src.key_error(&here, format!("`{key}` is not a file name a ConfigMap can hold: letters, digits, `-`, `_` and `.`, not `.` or starting with `..`")));
            return None;
        }
        super::image::project_path(src, &here, path, false, diags)?;
        match files.get(path) {
            Some(Ok(text)) => {
                total += text.len();
                out.insert(key.clone(), text.clone());
            }
            Some(Err(e)) => {
                diags.push(
                    src.error(&here, format!("{path}: {}", e.message))
                        .help(e.help.clone()),
                );
                return None;
            }
            None => {
                diags.push(src.error(&here, format!("{path} was not read")));
                return None;
            }
        }
    }
    if total > 1 << 20 {
        diags.push(src.key_error(field, "the files hold more than the 1 MiB a ConfigMap can").help("mount large files from a volume of their own (a persistentVolumeClaim), or build them into the image with image.files"));
        return None;
    }
    Some(out)
}

/// The documented rule: the mount path's parts joined with `-`, lowercased, anything but
/// letters and digits turned into `-` (`/etc/kafka` is `etc-kafka`); cut to 63 characters.
pub fn volume_name(path: &str) -> String {
    let mut name: String = path
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let mut name = name.trim_matches('-').to_string();
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_follow_the_path() {
        assert_eq!(volume_name("/etc/kafka"), "etc-kafka");
        assert_eq!(volume_name("/mnt/NVMe_0/"), "mnt-nvme-0");
        assert_eq!(volume_name("/a/.b"), "a-b");
    }
}
