//! `flinkgen schema`: JSON Schemas of the input files, for editors (`# yaml-language-server:
//! $schema=…`) and CI validation. Generated from the same types the loader reads, so they
//! cannot drift; `tests/schema.rs` fails when the committed copies are stale.

use schemars::schema_for;

use crate::load::{
    profile::ProfileSpec,
    project::ProjectSpec,
    spec::{ClusterSpec, JobSpec},
};

/// (file name, schema text) for each input kind, pretty-printed with a final newline.
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty =
        |v: schemars::Schema| serde_json::to_string_pretty(&v).expect("schemas serialize") + "\n";
    vec![
        ("job.schema.json", pretty(schema_for!(JobSpec))),
        ("cluster.schema.json", pretty(schema_for!(ClusterSpec))),
        ("profile.schema.json", pretty(schema_for!(ProfileSpec))),
        ("project.schema.json", pretty(schema_for!(ProjectSpec))),
    ]
}

/// The book's field reference: one Markdown page per input kind, generated from the schemas,
/// so the doc comments of `load/` are the one source of every field's description.
/// `tests/schema.rs` fails when the committed pages (`docs/src/reference/`) are stale.
pub fn reference() -> Vec<(String, String)> {
    schemas()
        .into_iter()
        .map(|(file, text)| {
            let schema: Value = serde_json::from_str(&text).expect("schemas are JSON");
            let kind = file.trim_end_matches(".schema.json");
            (format!("{kind}.md"), page(kind, file, &schema))
        })
        .collect()
}

use serde_json::Value;

fn page(kind: &str, file: &str, schema: &Value) -> String {
    let title = match kind {
        "job" => "Job spec (`jobs/*.yaml`)",
        "cluster" => "Session cluster (`clusters/*.yaml`)",
        "profile" => "Profile (`profiles/*.yaml`)",
        _ => "Project settings (`flinkgen.yaml`)",
    };
    let mut rows = Vec::new();
    let mut walk = Walk {
        defs: &schema["$defs"],
        home: Default::default(),
        rows: &mut rows,
    };
    walk.homes(schema);
    walk.object("", schema, &mut Vec::new());
    let mut out = format!(
        "# {title}\n\n<!-- Generated from schema/{file} by `SNAPSHOTS=overwrite cargo test --test schema`; \
         do not edit: change the doc comment in src/load/ instead. -->\n\n{}\n\n\
         | Field | Type | Description |\n|---|---|---|\n",
        cell(schema["description"].as_str().unwrap_or_default())
    );
    for (field, ty, text) in rows {
        out.push_str(&format!("| `{field}` | {ty} | {} |\n", cell(&text)));
    }
    out
}

/// Walks a schema's properties depth first; an object type is listed in full at its home, the
/// shallowest field that holds it, and other uses point there, which keeps overlays
/// (`environments.<name>`) from repeating whole pages.
struct Walk<'a> {
    defs: &'a Value,
    home: std::collections::BTreeMap<String, String>,
    rows: &'a mut Vec<(String, String, String)>,
}

impl Walk<'_> {
    /// Each object type's home, found breadth first.
    fn homes(&mut self, schema: &Value) {
        let mut queue = std::collections::VecDeque::from([(String::new(), schema.clone())]);
        while let Some((path, schema)) = queue.pop_front() {
            for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                let field = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                for (suffix, target) in self.objects(prop) {
                    let def = target.trim_start_matches("#/$defs/").to_string();
                    if !self.home.contains_key(&def) {
                        let at = format!("{field}{suffix}");
                        self.home.insert(def.clone(), at.clone());
                        queue.push_back((at, self.defs[&def].clone()));
                    }
                }
            }
        }
    }

    fn object(&mut self, path: &str, schema: &Value, stack: &mut Vec<String>) {
        let Some(props) = schema["properties"].as_object() else {
            return;
        };
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, prop) in props {
            let field = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            let mut ty = self.type_name(prop);
            if required.contains(&name.as_str()) {
                ty.push_str(" (required)");
            }
            let text = self.description(prop);
            self.rows.push((field.clone(), ty, text));
            self.nested(&field, prop, stack);
        }
    }

    /// The object types a property holds (directly, in a list, in a map, or as one choice),
    /// listed under it.
    fn nested(&mut self, field: &str, prop: &Value, stack: &mut Vec<String>) {
        for (suffix, target) in self.objects(prop) {
            let path = format!("{field}{suffix}");
            let def = target.trim_start_matches("#/$defs/").to_string();
            if stack.contains(&def) {
                continue;
            }
            match self.home.get(&def) {
                Some(home) if home != &path => {
                    let home = home.clone();
                    let last = self.rows.last_mut().expect("the property's own row");
                    last.2
                        .push_str(&format!(" Its fields are those of `{home}`."));
                    continue;
                }
                _ => {}
            }
            let schema = self.defs[&def].clone();
            stack.push(def);
            self.object(&path, &schema, stack);
            stack.pop();
        }
    }

    /// The `$ref`s of object types reachable from a property, with the path suffix each is
    /// listed under (`[]` for list items, `.<name>` for map values).
    fn objects(&self, v: &Value) -> Vec<(String, String)> {
        if let Some(r) = v["$ref"].as_str() {
            let def = &self.defs[r.trim_start_matches("#/$defs/")];
            if def["properties"].is_object() {
                return vec![(String::new(), r.to_string())];
            }
            return self.objects(def);
        }
        let mut found = Vec::new();
        for choice in ["anyOf", "oneOf"] {
            for c in v[choice].as_array().into_iter().flatten() {
                found.extend(self.objects(c));
            }
        }
        if v["items"].is_object() {
            found.extend(
                self.objects(&v["items"])
                    .into_iter()
                    .map(|(s, r)| (format!("[]{s}"), r)),
            );
        }
        if v["additionalProperties"].is_object() {
            found.extend(
                self.objects(&v["additionalProperties"])
                    .into_iter()
                    .map(|(s, r)| (format!(".<name>{s}"), r)),
            );
        }
        found
    }

    fn type_name(&self, v: &Value) -> String {
        if let Some(r) = v["$ref"].as_str() {
            let name = r.trim_start_matches("#/$defs/");
            let def = &self.defs[name];
            // YAML reads `1.20` as a number: such fields take either, and validation decides.
            if name == "Scalar" {
                return "text or number".into();
            }
            return if def["properties"].is_object() {
                "object".into()
            } else {
                self.type_name(def)
            };
        }
        if let Some(values) = v["enum"].as_array() {
            let list: Vec<String> = values.iter().map(|e| format!("`{}`", text(e))).collect();
            return format!("one of {}", list.join(", "));
        }
        for choice in ["anyOf", "oneOf"] {
            if let Some(cs) = v[choice].as_array() {
                let mut names: Vec<String> = cs
                    .iter()
                    .filter(|c| c["type"] != "null")
                    .map(|c| self.type_name(c))
                    .collect();
                names.dedup();
                return names.join(" or ");
            }
        }
        let one = |t: &str| -> String {
            match t {
                "array" => format!("list of {}", self.type_name(&v["items"])),
                "object" => match &v["additionalProperties"] {
                    Value::Object(_) => {
                        format!("map of {}", self.type_name(&v["additionalProperties"]))
                    }
                    _ if v["properties"].is_object() => "object".into(),
                    _ => "map".into(),
                },
                "integer" => match v["minimum"].as_f64() {
                    Some(m) if m >= 0.0 => "whole number ≥ 0".into(),
                    _ => "whole number".into(),
                },
                "number" => "number".into(),
                "boolean" => "true or false".into(),
                other => other.into(),
            }
        };
        match &v["type"] {
            Value::String(t) => one(t),
            Value::Array(ts) => {
                let names: Vec<String> = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .map(one)
                    .collect();
                names.join(" or ")
            }
            _ => "any".into(),
        }
    }

    /// The property's own description, else its type's.
    fn description(&self, v: &Value) -> String {
        if let Some(d) = v["description"].as_str() {
            return d.to_string();
        }
        let via_ref = |r: &Value| {
            r["$ref"]
                .as_str()
                .and_then(|r| self.defs[r.trim_start_matches("#/$defs/")]["description"].as_str())
                .map(String::from)
        };
        via_ref(v)
            .or_else(|| {
                v["anyOf"]
                    .as_array()
                    .and_then(|cs| cs.iter().find_map(via_ref))
            })
            .unwrap_or_default()
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// Text for one Markdown table cell: on one line, with `|` escaped.
fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
