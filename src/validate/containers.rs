//! Sidecars and init containers: Kubernetes Containers read with the API's own type, sized,
//! hardened like Flink's container, mounting only volumes the pod has.

use serde_json::{json, Value};

use crate::diag::Diagnostics;
use crate::load::Source;
use crate::model::PodExtras;

use super::units;

/// Names of flinkgen's own containers, which a sidecar may not take.
const RESERVED_CONTAINERS: &[&str] = &[
    "jobmanager",
    "taskmanager",
    "flink-main-container",
    "submit",
];

/// The field of a sidecar or init container entry (beside the Kubernetes `Container` fields,
/// removed before they are read) that acknowledges the hardening it weakens, by setting name.
const ACKNOWLEDGE: &str = "weakens";

/// The settings by which a container can weaken the pods' hardening, as `weakens` names them,
/// with the test for each on the container as written out.
type Weakening = (&'static str, fn(&Value) -> bool);
const WEAKENINGS: &[Weakening] = &[
    ("allowPrivilegeEscalation", |c| {
        sc(c, "allowPrivilegeEscalation") == &json!(true)
    }),
    ("readOnlyRootFilesystem", |c| {
        sc(c, "readOnlyRootFilesystem") == &json!(false)
    }),
    ("privileged", |c| sc(c, "privileged") == &json!(true)),
    ("runAsNonRoot", |c| sc(c, "runAsNonRoot") == &json!(false)),
    ("runAsUser", |c| sc(c, "runAsUser") == &json!(0)),
    ("runAsGroup", |c| sc(c, "runAsGroup") == &json!(0)),
    ("capabilities.add", |c| {
        sc(c, "capabilities")["add"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    }),
    ("capabilities.drop", |c| {
        !sc(c, "capabilities")["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == "ALL"))
    }),
    ("seccompProfile", |c| {
        sc(c, "seccompProfile")["type"] == "Unconfined"
    }),
    ("appArmorProfile", |c| {
        sc(c, "appArmorProfile")["type"] == "Unconfined"
    }),
    ("procMount", |c| sc(c, "procMount") == "Unmasked"),
    ("seLinuxOptions", |c| {
        sc(c, "seLinuxOptions")["type"]
            .as_str()
            .is_some_and(|t| t == "spc_t" || t.starts_with("unconfined"))
    }),
    ("windowsOptions.hostProcess", |c| {
        sc(c, "windowsOptions")["hostProcess"] == json!(true)
    }),
    ("hostPort", |c| {
        c["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p.get("hostPort").is_some()))
    }),
];

/// One field of a container's securityContext (null when unset).
fn sc<'a>(c: &'a Value, key: &str) -> &'a Value {
    &c["securityContext"][key]
}

/// A container as the Kubernetes API reads it, named, with an image and resources, hardened
/// like Flink's. A setting weaker than that baseline is an error unless the entry acknowledges
/// it in `weakens`, and then a warning on every render.
pub fn container(
    src: &Source,
    field: &str,
    c: &crate::load::tree::Tree,
    diags: &mut Diagnostics,
) -> Option<(Value, Vec<&'static str>)> {
    let (c, acknowledged) = acknowledgements(src, field, c, diags)?;
    let mut c = super::kube::typed::<k8s_openapi::api::core::v1::Container>(src, field, &c, diags)?;
    let name = c["name"].as_str().unwrap_or_default().to_string();
    if let Err(e) = units::dns_label(&name, 63) {
        diags.push(src.error(&format!("{field}.name"), e));
        return None;
    }
    if RESERVED_CONTAINERS.contains(&name.as_str()) {
        diags.push(src.error(
            &format!("{field}.name"),
            format!("`{name}` is the name of flinkgen's own container"),
        ));
        return None;
    }
    if c.get("image").is_none() {
        diags.push(
            src.key_error(field, format!("container `{name}` has no image"))
                .help("add image: <repository>:<tag>"),
        );
        return None;
    }
    let res = &c["resources"];
    let sized = ["requests", "limits"]
        .iter()
        .all(|k| res[k]["cpu"].is_string() && res[k]["memory"].is_string());
    if !sized {
        // Kubernetes runs it as it is; the pod then has no guaranteed share for it, and a
        // node under memory pressure evicts the pod first. Inventing sizes would be worse.
        diags.push(
            src.warning(field, format!("container `{name}` has no cpu and memory requests and limits: it shares what the node has spare, and makes the pod the first to be evicted under memory pressure"))
                .help("add resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 200m, memory: 128Mi } } sized for what it does"),
        );
    }
    secrets_written(src, field, &name, &c, diags)?;
    // flinkgen's containers' hardening, which a sidecar's own securityContext refines field
    // by field.
    let mut sc = crate::derive::wiring::container_hardening();
    if let Some(own) = c.get("securityContext").and_then(Value::as_object) {
        for (k, v) in own {
            match (k.as_str(), v.as_object()) {
                // `capabilities: { add: [...] }` adds to the dropped set; it does not undo it.
                ("capabilities", Some(caps)) => {
                    for (ck, cv) in caps {
                        sc["capabilities"][ck] = cv.clone();
                    }
                }
                _ => sc[k] = v.clone(),
            }
        }
    }
    c["securityContext"] = sc;
    let kept = weakened(src, field, &name, &c, &acknowledged, diags)?;
    Some((c, kept))
}

/// The pod annotation that records what its containers weaken, as `weakens` acknowledged it
/// (`debug-proxy=readOnlyRootFilesystem`): visible to reviewers and to policy tools in the
/// cluster, which see the pod and not the spec.
pub const WEAKENS_ANNOTATION: &str = "flinkgen/weakens";

/// `name=a,b` entries joined by `; `, as the annotation holds them.
pub fn weakens_entry(name: &str, settings: &[&str]) -> String {
    format!("{name}={}", settings.join(","))
}

/// The entry without `weakens`, and the settings it names (each one `WEAKENINGS` knows).
fn acknowledgements(
    src: &Source,
    field: &str,
    c: &crate::load::tree::Tree,
    diags: &mut Diagnostics,
) -> Option<(crate::load::tree::Tree, Vec<String>)> {
    use crate::load::tree::Tree;
    let Tree::Map(entries) = c else {
        return Some((c.clone(), Vec::new()));
    };
    let mut rest = Vec::new();
    let mut names = Vec::new();
    for (k, v) in entries {
        if k.as_str() != Some(ACKNOWLEDGE) {
            rest.push((k.clone(), v.clone()));
            continue;
        }
        let here = format!("{field}.{ACKNOWLEDGE}");
        let known: Vec<&str> = WEAKENINGS.iter().map(|(n, _)| *n).collect();
        let Tree::List(items) = v else {
            diags.push(src.error(
                &here,
                "list the settings the container weakens, such as [readOnlyRootFilesystem]",
            ));
            return None;
        };
        for item in items {
            match item.as_str() {
                Some(n) if known.contains(&n) => names.push(n.to_string()),
                other => {
                    let written = other.unwrap_or_default();
                    let mut d = src.error(
                        &here,
                        format!("`{written}` is not a hardening setting a container can weaken"),
                    );
                    d = match crate::diag::did_you_mean(written, known.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!("one of: {}", known.join(", "))),
                    };
                    diags.push(d);
                    return None;
                }
            }
        }
    }
    Some((Tree::Map(rest), names))
}

/// Every setting by which the container is weaker than flinkgen's own: an error when not
/// acknowledged, a warning when it is (so each render says it again).
fn weakened(
    src: &Source,
    field: &str,
    name: &str,
    c: &Value,
    acknowledged: &[String],
    diags: &mut Diagnostics,
) -> Option<Vec<&'static str>> {
    let weak: Vec<&'static str> = WEAKENINGS
        .iter()
        .filter(|(_, test)| test(c))
        .map(|(n, _)| *n)
        .collect();
    let (known, unknown): (Vec<&'static str>, Vec<&'static str>) = weak
        .iter()
        .partition(|w| acknowledged.iter().any(|a| a == *w));
    for stale in acknowledged.iter().filter(|a| !weak.contains(&a.as_str())) {
        diags.push(
            src.warning(
                &format!("{field}.{ACKNOWLEDGE}"),
                format!("container `{name}` does not weaken {stale}"),
            )
            .help("remove it from the list"),
        );
    }
    if !known.is_empty() {
        diags.push(
            src.warning(
                &format!("{field}.{ACKNOWLEDGE}"),
                format!(
                    "container `{name}` weakens the pods' hardening: {}",
                    known.join(", ")
                ),
            )
            .help("acknowledged in weakens; keep it only while the container cannot run otherwise"),
        );
    }
    if unknown.is_empty() {
        return Some(known);
    }
    let at = if unknown == ["hostPort"] {
        format!("{field}.ports")
    } else {
        format!("{field}.securityContext")
    };
    diags.push(
        src.error(
            &at,
            format!("container `{name}` weakens the pods' hardening: {}", unknown.join(", ")),
        )
        .help(format!(
            "remove the setting; if the container cannot run otherwise, acknowledge it with {ACKNOWLEDGE}: [{}] in this entry",
            unknown.join(", ")
        )),
    );
    None
}

/// A container's env, command and args follow the one secret rule of every value flinkgen
/// writes (`literal`): a password there would be committed as plainly as in flinkgen's env.
fn secrets_written(
    src: &Source,
    field: &str,
    name: &str,
    c: &Value,
    diags: &mut Diagnostics,
) -> Option<()> {
    let mut ok = true;
    for (i, e) in c["env"].as_array().into_iter().flatten().enumerate() {
        let (var, value) = (e["name"].as_str().unwrap_or_default(), &e["value"]);
        if value
            .as_str()
            .is_some_and(|v| super::literal::secret_variable(var, v))
        {
            diags.push(super::env::secret_variable(
                src,
                &format!("{field}.env[{i}]"),
                var,
            ));
            ok = false;
        }
    }
    for list in ["command", "args"] {
        let words: Vec<String> = c[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(String::from))
            .collect();
        if let Some((i, flag)) = super::literal::secret_argument(&words) {
            diags.push(
                src.error(&format!("{field}.{list}[{i}]"), format!("container `{name}` is given a secret on its command line ({flag}); flinkgen never writes a secret into out/, which is committed"))
                    .help("read it from a Secret: an env entry with valueFrom.secretKeyRef, referred to as $(VAR) in args, or a file from a secret volume"),
            );
            ok = false;
        }
    }
    ok.then_some(())
}

/// Sidecars and init containers have unique names and mount only volumes the pod has. Those
/// written for every pod are reported once, under the JobManager's check.
pub fn containers_fit(
    src: &Source,
    field: &str,
    base: &PodExtras,
    x: &PodExtras,
    diags: &mut Diagnostics,
) {
    let mut volumes: Vec<&str> = x.mounts.values().map(|m| m.name.as_str()).collect();
    volumes.extend(["flink-config-volume", "tmp", "flink-logs"]);
    let mut names: Vec<&str> = Vec::new();
    for (what, list, shared) in [
        ("sidecars", &x.sidecars, base.sidecars.len()),
        (
            "initContainers",
            &x.init_containers,
            base.init_containers.len(),
        ),
    ] {
        for (i, c) in list.iter().enumerate() {
            let (prefix, at) = if i < shared {
                ("", i)
            } else {
                (field, i - shared)
            };
            let here = format!("{prefix}{what}[{at}]");
            let name = c["name"].as_str().unwrap_or_default();
            let duplicate = names.contains(&name);
            names.push(name);
            if i < shared && field != "jobManager." {
                continue;
            }
            if duplicate {
                diags.push(src.key_error(&here, format!("two containers are named `{name}`")));
            }
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let v = m["name"].as_str().unwrap_or_default();
                if !volumes.contains(&v) {
                    diags.push(
                        src.key_error(
                            &here,
                            format!(
                                "container `{name}` mounts `{v}`, which the pod has no volume of"
                            ),
                        )
                        .help(format!("mount one of: {}", volumes.join(", "))),
                    );
                }
            }
        }
    }
}
