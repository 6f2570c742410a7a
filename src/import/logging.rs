//! The input's log4j configuration: Flink's own file (console and rolling file appenders with
//! Flink's pattern) becomes levels in `logging`; anything else is kept byte for byte as the
//! project file `logging.file` names.

use std::collections::BTreeMap;

use crate::load::tree::Tree;

use super::draft::Draft;
use super::objects::Obj;

/// The pattern of Flink's shipped `conf/log4j-console.properties` (read in the 1.20.4 and
/// 2.3.0 distributions): a file with only this layout is one flinkgen writes as well.
const FLINK_PATTERN: &str = "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n";

const LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"];

/// Properties as log4j reads them: `key = value`, `#` and `!` comment lines.
fn properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

pub fn apply(obj: &Obj, field: &str, text: &str, d: &mut Draft) {
    let props = properties(text);
    let flinks_own = props.iter().all(|(k, v)| {
        let Some(rest) = k.strip_prefix("appender.") else {
            return !k.starts_with("filter.") && !k.starts_with("monitorInterval");
        };
        match rest.split_once('.').map(|(_, r)| r) {
            Some("type") => matches!(v.as_str(), "CONSOLE" | "Console" | "RollingFile"),
            Some("layout.type") => v == "PatternLayout",
            Some("layout.pattern") => v == FLINK_PATTERN,
            _ => true,
        }
    });
    let level = |v: &str| LEVELS.contains(&v.to_ascii_uppercase().as_str());
    // The shipped file says `${env:ROOT_LOG_LEVEL:-INFO}`: the level when the variable is unset.
    let root = props
        .get("rootLogger.level")
        .map(|v| {
            v.strip_prefix("${env:ROOT_LOG_LEVEL:-")
                .and_then(|r| r.strip_suffix('}'))
                .unwrap_or(v)
                .to_string()
        })
        .unwrap_or_else(|| "INFO".into());
    if !flinks_own || !level(&root) {
        let path = format!("logging/{}/log4j-console.properties", d.name);
        d.put(&["logging", "file"], Tree::Text(path.clone()));
        d.files.push((path.clone(), text.to_string()));
        d.warn(obj.warning(field, format!("the log4j configuration is not Flink's own; it is kept byte for byte as {path} (logging.file): check it writes to the console, which flinkgen's pods read")));
        return;
    }
    if !root.eq_ignore_ascii_case("INFO") {
        d.put(&["logging", "level"], Tree::Text(root.to_ascii_uppercase()));
    }
    for (k, name) in &props {
        let Some(id) = k
            .strip_prefix("logger.")
            .and_then(|r| r.strip_suffix(".name"))
        else {
            continue;
        };
        let Some(lv) = props.get(&format!("logger.{id}.level")) else {
            continue;
        };
        let lv = lv.to_ascii_uppercase();
        // flinkgen writes its own levels for a few libraries; the same level says nothing new,
        // another one (Flink ships org.apache.hadoop at INFO, flinkgen WARN) is kept.
        let flinkgens = crate::plan::DEFAULT_LOGGERS
            .iter()
            .any(|(n, l)| n == name && l.as_str() == lv);
        if !level(&lv) || flinkgens {
            continue;
        }
        d.spec
            .child("logging")
            .child("loggers")
            .set(name, Tree::Text(lv));
    }
}
