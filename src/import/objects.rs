//! The Kubernetes objects of the input files, each with where it came from, so that every
//! warning about it names the input file and line.

use std::collections::HashMap;

use crate::diag::{Diagnostic, Diagnostics, Pos};
use crate::load::tree::Tree;
use crate::load::yaml;

/// One input file as given on the command line (`-` is standard input).
pub struct Input {
    pub path: String,
    pub text: String,
}

/// One object of an input file.
pub struct Obj {
    pub file: String,
    pub kind: String,
    pub api_version: String,
    pub name: String,
    pub namespace: Option<String>,
    pub tree: Tree,
    /// Line of each field's key, by dotted path (`spec.template.spec.containers[0].args`).
    lines: HashMap<String, usize>,
    /// The path prefix of this object in its document (`items[2]` inside a `List`).
    prefix: String,
    start: usize,
    excerpts: std::sync::Arc<Vec<String>>,
}

impl Obj {
    /// The line of a field, or of its closest written parent.
    pub fn line(&self, field: &str) -> usize {
        let mut f = if self.prefix.is_empty() {
            field.to_string()
        } else if field.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}.{field}", self.prefix)
        };
        loop {
            if let Some(l) = self.lines.get(&f) {
                return *l;
            }
            match f.rfind(['.', '[']) {
                Some(cut) => f.truncate(cut),
                None => return self.lines.get("kind").copied().unwrap_or(self.start),
            }
        }
    }

    /// A warning about `field` of this object: what was not carried over, and what to check.
    pub fn warning(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.located(Diagnostic::warning(&self.file, message), field)
    }

    /// A warning at a line inside a field's text (an option of an embedded configuration).
    pub fn warning_line(&self, line: usize, label: &str, message: impl Into<String>) -> Diagnostic {
        let d =
            Diagnostic::warning(&self.file, message).field(format!("{}: {label}", self.shown()));
        self.at_line(d, line)
    }

    pub fn error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.located(Diagnostic::error(&self.file, message), field)
    }

    fn located(&self, d: Diagnostic, field: &str) -> Diagnostic {
        let line = self.line(field);
        let label = if field.is_empty() {
            self.shown()
        } else {
            format!("{}: {field}", self.shown())
        };
        self.at_line(d.field(label), line)
    }

    /// Points at the first word of the line (a key, or a list item's key).
    fn at_line(&self, mut d: Diagnostic, line: usize) -> Diagnostic {
        let text = self
            .excerpts
            .get(line.saturating_sub(1))
            .map(|l| l.trim_end().to_string());
        let col = text.as_deref().map_or(1, |t| {
            let indent = t.len() - t.trim_start().len();
            let item = if t.trim_start().starts_with("- ") {
                2
            } else {
                0
            };
            t[..indent + item].chars().count() + 1
        });
        d.pos = Some(Pos { line, col });
        d.excerpt = text;
        d
    }

    pub fn at(&self, path: &[&str]) -> Option<&Tree> {
        self.tree.at(path)
    }

    pub fn text(&self, path: &[&str]) -> Option<String> {
        self.at(path).and_then(Tree::scalar_text)
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }

    /// A Kubernetes object written as text inside a field of this one (a native JobManager's
    /// pod template in its ConfigMap), with the lines of the input file, as the field is a
    /// block scalar that starts on the line after its key.
    pub fn embedded(&self, field: &str, kind: &str) -> Result<Obj, String> {
        let path: Vec<&str> = match field.split_once('.') {
            Some((head, key)) => vec![head, key],
            None => vec![field],
        };
        let text = self.text(&path).unwrap_or_default();
        let doc = yaml::marked_documents(&text)
            .map_err(|(_, e)| e)?
            .into_iter()
            .next()
            .ok_or("it is empty")?;
        if doc
            .tree
            .get("kind")
            .and_then(Tree::as_str)
            .is_some_and(|k| k != kind)
        {
            return Err(format!("it is not a {kind}"));
        }
        let shift = self.line(field);
        Ok(Obj {
            file: self.file.clone(),
            kind: kind.to_string(),
            api_version: "v1".into(),
            name: format!("{}/{}", self.name, path.last().unwrap_or(&field)),
            namespace: self.namespace.clone(),
            tree: doc.tree,
            lines: doc.lines.into_iter().map(|(k, l)| (k, l + shift)).collect(),
            prefix: String::new(),
            start: doc.start + shift,
            excerpts: self.excerpts.clone(),
        })
    }

    /// `kind name`, for messages.
    pub fn shown(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

/// Every object of the inputs; a `List` (what `kubectl get -o yaml` writes) counts as its items.
pub fn read(inputs: &[Input], diags: &mut Diagnostics) -> Vec<Obj> {
    let mut out = Vec::new();
    for input in inputs {
        let docs = match yaml::marked_documents(&input.text) {
            Ok(d) => d,
            Err((pos, message)) => {
                diags.push(Diagnostic::error(&input.path, message).at(Some(pos)).help(
                    "import reads Kubernetes YAML: one object per document, `---` between them",
                ));
                continue;
            }
        };
        let excerpts: std::sync::Arc<Vec<String>> =
            std::sync::Arc::new(input.text.lines().map(str::to_string).collect());
        for doc in docs {
            let lines = doc.lines;
            let push = |mut tree: Tree, prefix: String| {
                // The API server decodes with Go's encoding/json, where a JSON null leaves a
                // pointer, slice or map field nil (unset); `helm template` writes nulls
                // wherever a value is empty (`nodeAffinity:`, `initContainers:`).
                drop_nulls(&mut tree);
                let field = |k: &str| -> Option<String> { tree.get(k).and_then(Tree::scalar_text) };
                let obj = Obj {
                    file: input.path.clone(),
                    kind: field("kind").unwrap_or_default(),
                    api_version: field("apiVersion").unwrap_or_default(),
                    name: tree
                        .at(&["metadata", "name"])
                        .and_then(Tree::scalar_text)
                        .unwrap_or_default(),
                    namespace: tree
                        .at(&["metadata", "namespace"])
                        .and_then(Tree::scalar_text),
                    tree,
                    lines: lines.clone(),
                    prefix,
                    start: doc.start,
                    excerpts: excerpts.clone(),
                };
                obj
            };
            let is_list = doc.tree.get("kind").and_then(Tree::as_str) == Some("List");
            if is_list {
                for (i, item) in doc.tree.list("items").iter().enumerate() {
                    out.push(push(item.clone(), format!("items[{i}]")));
                }
            } else if doc.tree.get("kind").is_some() {
                out.push(push(doc.tree, String::new()));
            } else {
                diags.push(
                    Diagnostic::warning(
                        &input.path,
                        "this document is not a Kubernetes object (it has no `kind`); skipped",
                    )
                    .at(Some(Pos {
                        line: doc.start.max(1),
                        col: 1,
                    })),
                );
            }
        }
    }
    out
}

fn drop_nulls(tree: &mut Tree) {
    match tree {
        Tree::Map(entries) => {
            entries.retain(|(_, v)| !v.is_null());
            for (_, v) in entries {
                drop_nulls(v);
            }
        }
        Tree::List(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}
