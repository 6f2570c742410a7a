//! The Flink configuration file, written in the one format each version reads. Values are typed
//! and quoted here, never in templates, so no user string can change the file's structure.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `flink-conf.yaml`, read line by line: `key: value`, cut at the first `#`, no quoting.
    Legacy,
    /// `config.yaml`, standard YAML 1.2.
    ConfigYaml,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Legacy => "flink-conf.yaml",
            Format::ConfigYaml => "config.yaml",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<String>),
}

/// Options sorted by key, so the file is stable and easy to review.
pub type Options = BTreeMap<String, Value>;

/// Why a value cannot be written in a format; validation reports it against the user's field.
pub fn unwritable(value: &Value, format: Format) -> Option<String> {
    let texts: Vec<&str> = match value {
        Value::Text(s) => vec![s.as_str()],
        Value::List(items) => items.iter().map(String::as_str).collect(),
        _ => return None,
    };
    for t in &texts {
        if t.is_empty() {
            return Some("the value is empty; Flink fails to load empty values".into());
        }
        if t.contains(['\n', '\r']) {
            return Some("the value spans several lines; Flink options are single-line".into());
        }
        if t.chars().any(|c| c.is_control() && c != '\t') {
            return Some("the value contains control characters".into());
        }
        if format == Format::Legacy {
            if t.contains('#') {
                return Some(
                    "flink-conf.yaml cuts every line at `#`, so this value would be truncated"
                        .into(),
                );
            }
            if t.trim() != *t {
                return Some(
                    "flink-conf.yaml trims values, so leading or trailing spaces are lost".into(),
                );
            }
            if matches!(value, Value::List(_)) && t.contains(';') {
                return Some(
                    "flink-conf.yaml separates list items with `;`, so items cannot contain it"
                        .into(),
                );
            }
        }
    }
    None
}

pub fn render(options: &Options, format: Format, header: &str) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    for (key, value) in options {
        out.push_str(key);
        out.push_str(": ");
        out.push_str(&match format {
            Format::Legacy => legacy_value(value),
            Format::ConfigYaml => yaml_value(value),
        });
        out.push('\n');
    }
    out
}

/// A value as Flink reads it from a string: `flink-conf.yaml` lines and `-Dkey=value` flags.
pub fn cli_value(v: &Value) -> String {
    legacy_value(v)
}

fn legacy_value(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => items.join(";"),
    }
}

fn yaml_value(v: &Value) -> String {
    match v {
        Value::Text(s) => yaml_string(s),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            let s = f.to_string();
            // Keep it a float for YAML: `1` would read back as an integer.
            if s.contains(['.', 'e', 'E']) || !f.is_finite() {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(|s| flow_string(s)).collect();
            format!("[{}]", inner.join(", "))
        }
    }
}

/// A string as a YAML scalar: plain when it cannot be read as anything but this exact string,
/// else double-quoted (JSON escaping is valid YAML 1.2 double-quoted syntax).
pub fn yaml_string(s: &str) -> String {
    if plain_safe(s, false) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// A double-quoted YAML scalar. JSON escapes only what JSON needs; YAML 1.1 readers (kubectl's
/// go-yaml among them) also break lines at NEL, U+2028 and U+2029, and invisible formatting
/// characters would hide in review, so those are escaped too.
pub fn double_quoted(s: &str) -> String {
    let json = serde_json::to_string(s).expect("strings always serialize");
    if !json.chars().any(crate::diag::hidden) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if crate::diag::hidden(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn flow_string(s: &str) -> String {
    if plain_safe(s, true) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

fn plain_safe(s: &str, in_flow: bool) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    // `-`, `?` and `:` only start an indicator when a space follows (`--add-opens=…` is plain).
    let second = bytes.get(1).copied();
    if b"-?:".contains(&first) && second.is_none_or(|c| c == b' ') {
        return false;
    }
    if b",[]{}#&*!|>'\"%@`~ \t".contains(&first) || matches!(last, b' ' | b'\t' | b':') {
        return false;
    }
    // One pass over the bytes: `: ` and ` #` change the structure, flow indicators matter in
    // flow context, and control characters (and a BOM) need escapes.
    let mut prev = 0u8;
    for &b in bytes {
        let structural = (prev == b':' && b == b' ') || (prev == b' ' && b == b'#');
        let flow = in_flow && matches!(b, b',' | b'[' | b']' | b'{' | b'}');
        if structural || flow || b < 0x20 || b == 0x7f {
            return false;
        }
        prev = b;
    }
    // The byte loop rejected every ASCII control; only other characters can be hidden.
    (s.is_ascii() || !s.chars().any(crate::diag::hidden)) && !looks_typed(s)
}

/// Would a YAML 1.1 or 1.2 reader take this plain scalar for a bool, null or number?
/// Both are checked because Flink 1.19+ and kubectl tooling use different YAML versions.
fn looks_typed(s: &str) -> bool {
    const WORDS: [&str; 14] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".nan", ".inf", "-.inf",
        "+.inf",
    ];
    // Called for every string a template writes: compared in place, not lower-cased copies.
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return true;
    }
    let body = s.trim_start_matches(['+', '-']);
    let numeric_start = body
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    numeric_start
        && body.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(c, '.' | '_' | 'x' | 'o' | 'X' | 'O' | '+' | '-' | ':')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_yaml_would_misread() {
        assert_eq!(yaml_string("flink-jobmanager"), "flink-jobmanager");
        assert_eq!(yaml_string("s3://bucket/ckpt"), "s3://bucket/ckpt");
        assert_eq!(yaml_string("10 min"), "10 min");
        assert_eq!(yaml_string("0755"), "\"0755\"");
        assert_eq!(yaml_string("no"), "\"no\"");
        assert_eq!(yaml_string("1e3"), "\"1e3\"");
        assert_eq!(yaml_string("a: b"), "\"a: b\"");
        assert_eq!(yaml_string("x #y"), "\"x #y\"");
        assert_eq!(yaml_string("*alias"), "\"*alias\"");
        assert_eq!(yaml_string("{{ x }}"), "\"{{ x }}\"");
        assert_eq!(yaml_string("--add-opens=a/b=C"), "--add-opens=a/b=C");
        assert_eq!(yaml_string("-"), "\"-\"");
        assert_eq!(yaml_string("-1"), "\"-1\"");
        assert_eq!(yaml_string("line\nbreak"), "\"line\\nbreak\"");
    }

    #[test]
    fn every_quoted_string_reads_back_identically() {
        for s in [
            "--x=y",
            "-",
            "-1",
            "? x",
            "0755",
            "no",
            "a: b",
            "x #y",
            "*a",
            "{{ x }}",
            "line\nbreak",
            "'q'",
            "\"dq\"",
            "12:30",
            "~",
            "1_000",
            "0x1F",
            "- a",
        ] {
            let doc = format!("k: {}\n", yaml_string(s));
            let back: BTreeMap<String, String> = crate::load::yaml::from_str(&doc).unwrap();
            assert_eq!(back["k"], s, "{doc}");
        }
    }

    #[test]
    fn renders_both_formats() {
        let mut o = Options::new();
        o.insert(
            "a.list".into(),
            Value::List(vec!["x".into(), "y, z".into()]),
        );
        o.insert("b.int".into(), Value::Int(2));
        o.insert("c.float".into(), Value::Float(1.0));
        o.insert("d.text".into(), Value::Text("true".into()));
        assert_eq!(
            render(&o, Format::ConfigYaml, "hdr"),
            "# hdr\na.list: [x, \"y, z\"]\nb.int: 2\nc.float: 1.0\nd.text: \"true\"\n"
        );
        assert_eq!(
            render(&o, Format::Legacy, "hdr"),
            "# hdr\na.list: x;y, z\nb.int: 2\nc.float: 1\nd.text: true\n"
        );
    }

    #[test]
    fn legacy_refuses_what_it_would_mangle() {
        assert!(unwritable(&Value::Text("s3://b/#x".into()), Format::Legacy).is_some());
        assert!(unwritable(&Value::Text("s3://b/#x".into()), Format::ConfigYaml).is_none());
        assert!(unwritable(&Value::Text(String::new()), Format::ConfigYaml).is_some());
        assert!(unwritable(&Value::List(vec!["a;b".into()]), Format::Legacy).is_some());
    }
}
