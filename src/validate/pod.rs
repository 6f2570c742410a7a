//! What a job's pods carry besides Flink: labels, the log configuration's levels, and the
//! disruption budget of its TaskManagers.

use std::collections::BTreeMap;

use super::units;
use crate::diag::Diagnostics;
use crate::load::scalar::Scalar;
use crate::load::spec::{JobSpec, LogLevel, Mode, PodDisruptionBudgetSpec};
use crate::load::Source;
use crate::model::{DisruptionBudget, DisruptionValue, Logging};

/// Labels flinkgen sets itself; user labels may not replace them.
const RESERVED_LABELS: &[&str] = &["app", "component"];

pub fn disruption_budget(
    src: &Source,
    p: &PodDisruptionBudgetSpec,
    mode: Mode,
    diags: &mut Diagnostics,
) -> Option<DisruptionBudget> {
    // Native TaskManager pods belong to the JobManager Deployment directly, which has no scale
    // Kubernetes could relate them to: only a plain minAvailable count works for them.
    if mode == Mode::Native
        && (p.max_unavailable.is_some() || !matches!(p.min_available, Some(Scalar::Int(_))))
    {
        diags.push(
            src.key_error(
                "podDisruptionBudget",
                "native TaskManager pods are not managed by a scalable controller, so Kubernetes cannot apply maxUnavailable or a percentage to them",
            )
            .help("use podDisruptionBudget.minAvailable with a pod count"),
        );
        return None;
    }
    type Bound = fn(DisruptionValue) -> DisruptionBudget;
    let (bound, field, value): (Bound, _, _) = match (&p.max_unavailable, &p.min_available) {
        (Some(_), Some(_)) => {
            diags.push(src.key_error(
                "podDisruptionBudget.minAvailable",
                "give either maxUnavailable or minAvailable, not both",
            ));
            return None;
        }
        (None, Some(v)) => (DisruptionBudget::MinAvailable, "minAvailable", v),
        (Some(v), None) => (DisruptionBudget::MaxUnavailable, "maxUnavailable", v),
        (None, None) => return Some(DisruptionBudget::MaxUnavailable(DisruptionValue::Count(1))),
    };
    let parsed = match value {
        // Kubernetes keeps the count as an int32.
        Scalar::Int(n) if (0..=i64::from(i32::MAX)).contains(n) => {
            Some(DisruptionValue::Count(*n as u32))
        }
        Scalar::Text(t) => t
            .strip_suffix('%')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| *n <= 100)
            .map(|_| DisruptionValue::Percent(t.clone())),
        _ => None,
    };
    if parsed.is_none() {
        diags.push(
            src.error(
                &format!("podDisruptionBudget.{field}"),
                format!(
                    "`{}` is neither a pod count nor a percentage",
                    value.as_text()
                ),
            )
            .help("write a number such as 1, or a percentage such as \"25%\""),
        );
    }
    parsed.map(bound)
}

pub fn labels(
    src: &Source,
    own: &BTreeMap<String, String>,
    project: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = project.clone();
    for (k, v) in own {
        let field = format!("labels.{k}");
        if RESERVED_LABELS.contains(&k.as_str()) || k.starts_with("app.kubernetes.io/") {
            diags.push(
                src.key_error(&field, format!("label `{k}` is set by flinkgen"))
                    .help("flinkgen sets it on every object it writes (`app` and `component` select the pods, `app.kubernetes.io/*` describe them); choose another key"),
            );
            continue;
        }
        if let Err(e) = units::label_key(k) {
            diags.push(src.key_error(&field, e));
            continue;
        }
        if let Err(e) = units::label_value(v) {
            diags.push(src.error(&field, e));
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    out
}

pub fn logging(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Logging {
    let mut out = Logging {
        root: LogLevel::Info,
        loggers: BTreeMap::new(),
    };
    let Some(l) = &spec.logging else { return out };
    out.root = l.level.unwrap_or(LogLevel::Info);
    for (name, level) in &l.loggers {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'));
        if ok {
            out.loggers.insert(name.clone(), *level);
        } else {
            diags.push(
                src.key_error(
                    &format!("logging.loggers.{name}"),
                    format!("`{name}` is not a logger name"),
                )
                .help("use a Java package or class name, such as org.apache.kafka"),
            );
        }
    }
    out
}
