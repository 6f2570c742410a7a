//! Stage 4, render: templates from `templates/`, embedded in the binary, filled with plan
//! view-models. In `.yaml` templates every `{{ value }}` is escaped as a YAML scalar (plain when
//! unambiguous, double-quoted otherwise), so user text can never change a manifest's structure.

use std::collections::BTreeMap;

use minijinja::value::ValueKind;
use minijinja::{
    AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior, Value,
};

use crate::flink::config::yaml_string;

use crate::plan;

/// Every template, embedded so the binary needs no files beside it.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "Dockerfile.j2",
        include_str!("../../templates/Dockerfile.j2"),
    ),
    (
        "configmap.yaml.j2",
        include_str!("../../templates/configmap.yaml.j2"),
    ),
    (
        "jobmanager-job.yaml.j2",
        include_str!("../../templates/jobmanager-job.yaml.j2"),
    ),
    (
        "jobmanager-service.yaml.j2",
        include_str!("../../templates/jobmanager-service.yaml.j2"),
    ),
    (
        "kustomization.yaml.j2",
        include_str!("../../templates/kustomization.yaml.j2"),
    ),
    (
        "log4j-console.properties.j2",
        include_str!("../../templates/log4j-console.properties.j2"),
    ),
    (
        "taskmanager-deployment.yaml.j2",
        include_str!("../../templates/taskmanager-deployment.yaml.j2"),
    ),
    (
        "_macros.yaml.j2",
        include_str!("../../templates/_macros.yaml.j2"),
    ),
    (
        "jobmanager-networkpolicy.yaml.j2",
        include_str!("../../templates/jobmanager-networkpolicy.yaml.j2"),
    ),
    (
        "taskmanager-networkpolicy.yaml.j2",
        include_str!("../../templates/taskmanager-networkpolicy.yaml.j2"),
    ),
    (
        "environment-kustomization.yaml.j2",
        include_str!("../../templates/environment-kustomization.yaml.j2"),
    ),
    (
        "taskmanager-pdb.yaml.j2",
        include_str!("../../templates/taskmanager-pdb.yaml.j2"),
    ),
    (
        "taskmanager-hpa.yaml.j2",
        include_str!("../../templates/taskmanager-hpa.yaml.j2"),
    ),
    (
        "resources.yaml.j2",
        include_str!("../../templates/resources.yaml.j2"),
    ),
    (
        "_jobmanager-pod.yaml.j2",
        include_str!("../../templates/_jobmanager-pod.yaml.j2"),
    ),
    (
        "jobmanager-deployment.yaml.j2",
        include_str!("../../templates/jobmanager-deployment.yaml.j2"),
    ),
    (
        "native-internal-service.yaml.j2",
        include_str!("../../templates/native-internal-service.yaml.j2"),
    ),
    (
        "rest-service.yaml.j2",
        include_str!("../../templates/rest-service.yaml.j2"),
    ),
    (
        "ingress.yaml.j2",
        include_str!("../../templates/ingress.yaml.j2"),
    ),
    (
        "serviceaccount.yaml.j2",
        include_str!("../../templates/serviceaccount.yaml.j2"),
    ),
    ("role.yaml.j2", include_str!("../../templates/role.yaml.j2")),
    (
        "rolebinding.yaml.j2",
        include_str!("../../templates/rolebinding.yaml.j2"),
    ),
    (
        "pod-template-configmap.yaml.j2",
        include_str!("../../templates/pod-template-configmap.yaml.j2"),
    ),
    (
        "taskmanager-pod-template.yaml.j2",
        include_str!("../../templates/taskmanager-pod-template.yaml.j2"),
    ),
    (
        "podmonitor.yaml.j2",
        include_str!("../../templates/podmonitor.yaml.j2"),
    ),
    (
        "files-configmap.yaml.j2",
        include_str!("../../templates/files-configmap.yaml.j2"),
    ),
    (
        "taskmanager-service.yaml.j2",
        include_str!("../../templates/taskmanager-service.yaml.j2"),
    ),
    (
        "submit-job.yaml.j2",
        include_str!("../../templates/submit-job.yaml.j2"),
    ),
    (
        "flinkdeployment.yaml.j2",
        include_str!("../../templates/flinkdeployment.yaml.j2"),
    ),
    (
        "flinksessionjob.yaml.j2",
        include_str!("../../templates/flinksessionjob.yaml.j2"),
    ),
    (
        "SqlRunner.java.j2",
        include_str!("../../templates/SqlRunner.java.j2"),
    ),
];

pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_debug(true);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".yaml.j2") {
                AutoEscape::Custom("yaml")
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(yaml_formatter);
        env.add_filter("block", block_filter);
        env.add_filter("yaml_map", yaml_map_filter);
        env.add_filter("yaml_block", yaml_block_filter);
        env.add_filter("comment", comment_filter);
        env.add_filter("javacomment", java_comment_filter);
        env.add_filter("shift", shift_filter);
        env.add_filter("dockerquote", docker_quote_filter);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("embedded templates parse (tested)");
        }
        Renderer { env }
    }

    pub fn render(
        &self,
        template: &str,
        ctx: &impl serde::Serialize,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(template)?.render(ctx)
    }

    /// The `kustomization.yaml` that aggregates one environment's jobs.
    pub fn environment(&self, view: &plan::EnvironmentView) -> Result<String, minijinja::Error> {
        self.render("environment-kustomization.yaml.j2", view)
    }

    /// Plans and renders one job into (path below out dir → file text).
    pub fn job(
        &self,
        job: &crate::model::Job,
        out_dir: &str,
    ) -> Result<BTreeMap<String, String>, minijinja::Error> {
        let plan = plan::plan(out_dir, job, |template, ctx| self.render(template, &ctx))?;
        plan.files
            .into_iter()
            .map(|o| {
                let ctx = plan::context(o.template, &plan.view, &plan.mounted)?;
                Ok((o.path, self.env.get_template(o.template)?.render(ctx)?))
            })
            .collect()
    }
}

/// Writes values into YAML templates: strings as safe scalars, numbers and bools as they are.
/// A missing value is an error, so `null` can never slip into a manifest.
fn yaml_formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if state.auto_escape() != AutoEscape::Custom("yaml") || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = match value.kind() {
        ValueKind::String => yaml_string(value.as_str().unwrap_or_default()),
        ValueKind::Number => value.to_string(),
        // minijinja displays booleans Python-style (`True`), which YAML 1.2 reads as a string.
        ValueKind::Bool => value.is_true().to_string(),
        kind => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("a {kind} cannot be written as a YAML scalar"),
            ))
        }
    };
    out.write_str(&text).map_err(Error::from)
}

/// A mapping of strings as block-style YAML lines at `indent`, keys sorted.
fn yaml_map_filter(map: Value, indent: usize) -> Result<Value, Error> {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    for key in map.try_iter()? {
        let value = map.get_item(&key)?;
        let (Some(k), Some(v)) = (key.as_str(), value.as_str()) else {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "yaml_map takes a map of strings",
            ));
        };
        lines.push((
            k.to_string(),
            format!("{pad}{}: {}", yaml_string(k), yaml_string(v)),
        ));
    }
    lines.sort();
    let lines: Vec<String> = lines.into_iter().map(|(_, line)| line).collect();
    if lines.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "yaml_map needs at least one entry",
        ));
    }
    Ok(Value::from_safe_string(lines.join("\n")))
}

/// Any structured value as block-style YAML lines at `indent`, for Kubernetes objects that
/// arrive whole (tolerations, affinity). The YAML library does the quoting.
fn yaml_block_filter(value: Value, indent: usize) -> Result<Value, Error> {
    let text = crate::load::yaml::to_block(&value).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot write YAML: {e}"),
        )
    })?;
    let pad = " ".repeat(indent);
    let lines: Vec<String> = text.lines().map(|l| format!("{pad}{l}")).collect();
    Ok(Value::from_safe_string(lines.join("\n")))
}

/// A macro's output moved right by `indent` spaces, so one macro serves every nesting depth.
/// Only safe (already escaped) template output is accepted: shifting never bypasses escaping.
fn shift_filter(value: Value, indent: usize) -> Result<Value, Error> {
    let (true, Some(text)) = (value.is_safe(), value.as_str()) else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "shift takes a macro's output, not a value",
        ));
    };
    let pad = " ".repeat(indent);
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect();
    Ok(Value::from_safe_string(lines.join("\n")))
}

/// A YAML block scalar (`|`), indented by `indent`, so embedded files stay readable in review.
/// Text a literal block cannot carry exactly falls back to a double-quoted JSON string.
fn block_filter(text: String, indent: usize) -> Value {
    let representable = !text.is_empty()
        && !text.starts_with([' ', '\t', '\n'])
        && !text.contains('\r')
        && text.ends_with('\n')
        && !text.ends_with("\n\n")
        && !text
            .chars()
            .any(|c| c != '\n' && c != '\t' && crate::diag::hidden(c))
        && !text.lines().any(|l| l.ends_with([' ', '\t']));
    if !representable {
        return Value::from_safe_string(crate::flink::config::double_quoted(&text));
    }
    let pad = " ".repeat(indent);
    let mut out = String::from("|");
    for line in text.lines() {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Value::from_safe_string(out)
}

/// Text for a `#` comment: one line, no control characters.
fn comment_filter(text: String) -> Value {
    Value::from_safe_string(
        text.chars()
            .map(|c| if crate::diag::hidden(c) { '?' } else { c })
            .collect(),
    )
}

/// Text for a `//` comment of generated Java source. javac turns `\u000a` into a line break
/// before it reads comments (JLS 3.3), so a file name holding it could end the comment and
/// add code. A `\` is the start of such an escape only after an even number of `\`, so
/// doubling every one leaves none that can start it; line breaks are already replaced.
fn java_comment_filter(text: String) -> Value {
    Value::from_safe_string(
        text.chars()
            .map(|c| if crate::diag::hidden(c) { '?' } else { c })
            .collect::<String>()
            .replace('\\', "\\\\"),
    )
}

/// A double-quoted Dockerfile string (LABEL values): JSON quoting, with `$` escaped so the
/// builder does not expand it.
fn docker_quote_filter(text: String) -> Value {
    let json = serde_json::to_string(&text).expect("strings serialize");
    Value::from_safe_string(json.replace('$', "\\$"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each template's context holds exactly what the template (with the parts it includes)
    /// reads: nothing missing, which strict undefined would only catch on the paths a golden
    /// case takes, and nothing more, so the lists in plan::context stay a true account.
    #[test]
    fn each_template_gets_exactly_the_values_it_reads() {
        use std::collections::BTreeSet;
        let renderer = Renderer::new();
        let reads = |name: &str| -> BTreeSet<String> {
            let t = renderer.env.get_template(name).unwrap();
            let mut vars: BTreeSet<String> = t.undeclared_variables(false).into_iter().collect();
            if t.source()
                .contains("{% include \"_jobmanager-pod.yaml.j2\" %}")
            {
                vars.extend(
                    renderer
                        .env
                        .get_template("_jobmanager-pod.yaml.j2")
                        .unwrap()
                        .undeclared_variables(false),
                );
            }
            vars
        };
        // Rendered through another way: macros and included parts, and the environment
        // folder's kustomization (its own EnvironmentView).
        let not_alone = [
            "_macros.yaml.j2",
            "_jobmanager-pod.yaml.j2",
            "environment-kustomization.yaml.j2",
        ];
        for (name, _) in TEMPLATES.iter().filter(|(n, _)| !not_alone.contains(n)) {
            let (_, fields) = plan::FIELDS
                .iter()
                .find(|(t, _)| t == name)
                .unwrap_or_else(|| panic!("{name} has no context in plan::context"));
            let given: BTreeSet<String> = fields.iter().map(|f| f.to_string()).collect();
            assert_eq!(given, reads(name), "{name}");
        }
        assert_eq!(plan::FIELDS.len(), TEMPLATES.len() - not_alone.len());
    }

    #[test]
    fn every_template_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        Renderer::new();
    }

    #[test]
    fn shift_moves_macro_output_and_refuses_plain_values() {
        let mut env = Renderer::new().env;
        env.add_template(
            "t.yaml.j2",
            "{% macro m() %}\na:\n  b: {{ v }}\n{%- endmacro %}{{ m()|shift(4) }}|{{ v|shift(2) }}",
        )
        .unwrap();
        let t = env.get_template("t.yaml.j2").unwrap();
        let err = t.render(minijinja::context! { v => "x: y" }).unwrap_err();
        assert!(
            err.to_string().contains("shift takes a macro's output"),
            "{err}"
        );
        env.add_template(
            "u.yaml.j2",
            "{% macro m() %}\na:\n  b: {{ v }}\n{%- endmacro %}{{ m()|shift(4) }}",
        )
        .unwrap();
        let out = env
            .get_template("u.yaml.j2")
            .unwrap()
            .render(minijinja::context! { v => "x: y" })
            .unwrap();
        assert_eq!(out, "    a:\n      b: \"x: y\"");
    }

    #[test]
    fn block_scalar_round_trips() {
        for text in [
            "a: 1\nb: 2\n",
            "x\n\ny\n",
            " leading\n",
            "no newline",
            "tabs\tin\n",
            "trailing \n",
            "a\r\nb\n",
            "",
        ] {
            let rendered = block_filter(text.to_string(), 4).to_string();
            let doc = format!("k: {rendered}\n").replace("\n    ", "\n    ");
            let back: BTreeMap<String, String> = crate::load::yaml::from_str(&doc).unwrap();
            assert_eq!(back["k"], text, "{doc}");
        }
    }
}
