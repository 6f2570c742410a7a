//! What a job's pods carry besides Flink: labels, the log configuration's levels, and the
//! disruption budget of its TaskManagers.

use std::collections::BTreeMap;

use super::units;
use crate::diag::Diagnostics;
use crate::load::scalar::Scalar;
use crate::load::spec::{LogFormat, LogLevel, LoggingSpec, Mode, PodDisruptionBudgetSpec};
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

/// The spec's labels over the project's. `app` and `component` are the user's, except where
/// Flink or the Operator select pods by them (`flink_selects`: native mode, the Operator).
pub fn labels(
    src: &Source,
    own: &BTreeMap<String, String>,
    project: &BTreeMap<String, String>,
    flink_selects: bool,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = project.clone();
    if flink_selects {
        // The project's labels were checked with its file; a clash shows only with this job.
        out.retain(|k, _| !RESERVED_LABELS.contains(&k.as_str()));
    }
    for (k, v) in own {
        let field = format!("labels.{k}");
        if flink_selects && RESERVED_LABELS.contains(&k.as_str()) {
            diags.push(
                src.key_error(&field, format!("label `{k}` is Flink's here: in native mode (and for the Operator) Flink finds this cluster's pods by `app` and `component`"))
                    .help("choose another key; with mode: standalone and target: manifests, app and component are yours"),
            );
            continue;
        }
        if k.starts_with("app.kubernetes.io/") {
            diags.push(
                src.key_error(&field, format!("label `{k}` is set by flinkgen"))
                    .help("flinkgen sets the app.kubernetes.io/* labels on every object it writes (instance and component select the pods); choose another key"),
            );
            continue;
        }
        if let Err(e) = units::label_key(k) {
            diags.push(src.key_error(&field, e));
            continue;
        }
        if super::literal::secret_annotation(k, v) {
            diags.push(src.error(&field, format!("the label `{k}` looks like it holds a secret; flinkgen never writes a secret into out/, which is committed")));
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

pub fn logging(
    src: &Source,
    l: Option<&LoggingSpec>,
    files: &super::ProjectFiles,
    diags: &mut Diagnostics,
) -> Logging {
    let mut out = Logging {
        root: LogLevel::Info,
        loggers: BTreeMap::new(),
        json: false,
        file: None,
    };
    let Some(l) = l else { return out };
    out.root = l.level.unwrap_or(LogLevel::Info);
    out.json = l.format == Some(LogFormat::Json);
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
    if let Some(path) = &l.file {
        let set = [
            ("level", l.level.is_some()),
            ("loggers", !l.loggers.is_empty()),
            ("format", l.format.is_some()),
        ];
        for (field, _) in set.iter().filter(|(_, s)| *s) {
            diags.push(
                src.key_error(&format!("logging.{field}"), format!("`logging.{field}` shapes the generated log4j configuration, and logging.file replaces it"))
                    .help(format!("set it in {path}, or remove logging.file")),
            );
        }
        out.file = log_file(src, path, files, diags);
    }
    out
}

/// The project's own log4j2 properties: read as it is, with a console appender (else the logs
/// vanish from `kubectl logs`); a log file outside the writable folders is a warning.
fn log_file(
    src: &Source,
    path: &str,
    files: &super::ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<String> {
    super::image::project_path(src, "logging.file", path, false, diags)?;
    let text = match files.get(path) {
        Some(Ok(t)) => t.clone(),
        Some(Err(e)) => {
            diags.push(
                src.error("logging.file", format!("{path}: {}", e.message))
                    .help(e.help.clone()),
            );
            return None;
        }
        None => {
            diags.push(src.error("logging.file", format!("{path} was not read")));
            return None;
        }
    };
    let property = |line: &str| -> Option<(String, String)> {
        let line = line.trim();
        if line.starts_with(['#', '!']) {
            return None;
        }
        let (k, v) = line.split_once(['=', ':'])?;
        Some((k.trim().to_string(), v.trim().to_string()))
    };
    let props: Vec<(String, String)> = text.lines().filter_map(property).collect();
    let console = props.iter().any(|(k, v)| {
        k.starts_with("appender.") && k.ends_with(".type") && v.eq_ignore_ascii_case("console")
    });
    if !console {
        diags.push(
            src.error("logging.file", format!("{path} has no console appender (appender.<name>.type = Console), so the logs would vanish from `kubectl logs`"))
                .help("add a Console appender and refer to it from rootLogger.appenderRef"),
        );
        return None;
    }
    for (k, v) in props.iter().filter(|(k, _)| k.ends_with(".fileName")) {
        let writable = v.starts_with("${sys:log.file}")
            || v.starts_with("/opt/flink/log/")
            || v.starts_with("/tmp/");
        if !writable {
            diags.push(
                src.warning("logging.file", format!("{path} writes `{k}` to {v}, outside the writable folders; that appender fails on the read-only root filesystem"))
                    .help("write log files to ${sys:log.file} or under /opt/flink/log"),
            );
        }
    }
    Some(text)
}

/// JSON console lines need log4j's JSON template layout on the classpath: Flink ships it in
/// `lib/` from 2.1 (checked in each distribution); before, the image must add it.
pub fn json_layout(src: &Source, job: &crate::model::Job, diags: &mut Diagnostics) {
    if !job.logging.json || job.version.at_least(2, 1) || !job.has_cluster() {
        return;
    }
    const JAR: &str = "log4j-layout-template-json-";
    let log4j = job.version.log4j();
    match &job.image.build {
        Some(b) if b.lib.iter().any(|l| l.file_name().starts_with(JAR)) => {}
        None if !super::image::is_official(&job.image.reference) => diags.push(
            src.warning("logging.format", "the image is not the official Flink image; flinkgen trusts it to have log4j's JSON template layout in lib/")
                .help(format!("without log4j-layout-template-json-{log4j}.jar in lib/, Flink fails to start its logging")),
        ),
        _ => diags.push(
            src.error(
                "logging.format",
                format!("Flink {}'s lib/ has no log4j JSON template layout (Flink ships it from 2.1)", job.version.minor_str()),
            )
            .help(format!(
                "add it to a built image with image.lib: [{{ url: https://repo1.maven.org/maven2/org/apache/logging/log4j/log4j-layout-template-json/{log4j}/log4j-layout-template-json-{log4j}.jar, sha256: <its checksum> }}] (Flink {} ships log4j {log4j}), or use Flink 2.1 or later",
                job.version.minor_str()
            )),
        ),
    }
}
