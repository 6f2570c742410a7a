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

pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

/// Every embedded template: file name and source.
fn sources() -> impl Iterator<Item = (&'static str, &'static str)> {
    let job_templates = plan::Template::ALL.iter().map(|t| (t.file(), t.source()));
    let parts = plan::FRAGMENTS.iter().chain([&plan::ENVIRONMENT]).copied();
    job_templates.chain(parts)
}

/// The source of an embedded template, by file name.
fn embedded(name: &str) -> Option<&'static str> {
    sources()
        .find(|(file, _)| *file == name)
        .map(|(_, source)| source)
}

impl Renderer {
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_debug(true);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".yaml.j2") {
                AutoEscape::Custom("yaml".into())
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
        env.add_function("header", header_function);
        // Compiled on first use: a render after a one-spec edit needs a handful of the 34, and
        // compiling them all was 7 % of its time. Every template is compiled by the tests.
        env.set_loader(|name| Ok(embedded(name).map(str::to_string)));
        Renderer { env }
    }

    pub fn render(
        &self,
        template: &str,
        ctx: &impl serde::Serialize,
    ) -> Result<String, minijinja::Error> {
        self.env
            .get_template(template)?
            .render(minijinja::value::Serde(ctx))
    }

    /// The `kustomization.yaml` that aggregates one environment's jobs.
    pub fn environment(&self, view: &plan::EnvironmentView) -> Result<String, minijinja::Error> {
        self.render(plan::ENVIRONMENT.0, view)
    }

    /// Plans and renders one job into (path below out dir → file text).
    pub fn job(
        &self,
        job: &crate::model::Job,
        out_dir: &str,
    ) -> Result<BTreeMap<String, String>, minijinja::Error> {
        let mut plan = plan::plan(out_dir, job);
        // The mounted texts first: their bytes feed the hash in every pod's annotations. The
        // log4j text reads nothing mounted; the pod template reads only the early hash.
        let log4j_text = match plan.log4j_file.take() {
            Some(text) => text,
            None => self.template(plan::Template::Log4j, &plan.view, &Default::default())?,
        };
        let early = plan::before_pod_template(&plan.view, log4j_text, plan.pod_template);
        let pod_template_text = match plan.pod_template {
            true => self.template(plan::Template::TaskManagerPodTemplate, &plan.view, &early)?,
            false => String::new(),
        };
        let mounted = plan::mounted(&plan.view, early, pod_template_text);
        plan.files
            .into_iter()
            .map(|o| {
                let mut text = self.template(o.template, &plan.view, &mounted)?;
                // Rendering grows the text by doubling; a large project holds every file
                // until it is written, so the slack would be a third of its memory.
                text.shrink_to_fit();
                Ok((o.path, text))
            })
            .collect()
    }

    fn template(
        &self,
        t: plan::Template,
        view: &plan::JobView,
        mounted: &plan::Mounted,
    ) -> Result<String, minijinja::Error> {
        self.env
            .get_template(t.file())?
            .render(t.context(view, mounted))
    }
}

/// Writes values into YAML templates: strings as safe scalars, numbers and bools as they are.
/// A missing value is an error, so `null` can never slip into a manifest.
fn yaml_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if !matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "yaml") || value.is_safe()
    {
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
        && !hides_characters(&text)
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

/// The two comment lines every generated file starts with. A function rather than a macro:
/// a template that imports the macros evaluates all of them on every render, and most
/// templates need only this.
fn header_function(generator: String, source: String) -> Value {
    Value::from_safe_string(format!(
        "# Generated by {} from {}.\n# Do not edit: change the spec and run `flinkgen render`.",
        comment(&generator),
        comment(&source)
    ))
}

fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if crate::diag::hidden(c) { '?' } else { c })
        .collect()
}

/// Whether a text holds characters a block scalar cannot show (line breaks and tabs are
/// fine). Most texts are ASCII, where only control bytes can hide.
fn hides_characters(text: &str) -> bool {
    if text.is_ascii() {
        return text
            .bytes()
            .any(|b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f);
    }
    text.chars()
        .any(|c| c != '\n' && c != '\t' && crate::diag::hidden(c))
}

/// Text for a `#` comment: one line, no control characters.
fn comment_filter(text: String) -> Value {
    Value::from_safe_string(comment(&text))
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
    /// case takes, and nothing more, so the registry's lists stay a true account.
    #[test]
    fn each_template_gets_exactly_the_values_it_reads() {
        use std::collections::BTreeSet;
        let renderer = Renderer::new();
        let reads = |name: &str| -> BTreeSet<String> {
            let t = renderer.env.get_template(name).unwrap();
            let mut vars: BTreeSet<String> = t.undeclared_variables(false).into_iter().collect();
            for (part, _) in plan::FRAGMENTS {
                if t.source().contains(&format!("{{% include \"{part}\" %}}")) {
                    let p = renderer.env.get_template(part).unwrap();
                    vars.extend(p.undeclared_variables(false));
                }
            }
            // The function flinkgen registers is not a value of the context (minijinja's own
            // globals, such as `namespace`, are shadowed by the context and stay listed).
            vars.remove("header");
            vars
        };
        for t in plan::Template::ALL {
            let given: BTreeSet<String> = t.fields().iter().map(|f| f.to_string()).collect();
            assert_eq!(given, reads(t.file()), "{}", t.file());
        }
    }

    #[test]
    fn every_template_file_is_embedded_once() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = sources().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        // Templates compile on first use; each must compile, whether or not a case uses it.
        let renderer = Renderer::new();
        for name in &embedded {
            if let Err(e) = renderer.env.get_template(name) {
                panic!("{name}: {e:#}");
            }
        }
        assert!(renderer.env.get_template("nothing.yaml.j2").is_err());
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
