//! YAML reading with positions. serde_yaml does the typing but keeps no spans and silently lets
//! a repeated map key win, so a yaml-rust2 event pass first indexes where every field is and
//! rejects duplicate keys; later stages use that index to point errors at the right line.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diag::{did_you_mean, Diagnostic, Diagnostics, Pos};

/// YAML text straight into a type, without positions or diagnostics (the render cache's quick
/// look at the project file, round-trip checks). This module is the only one that names the
/// YAML crate.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

/// The documents of a multi-document YAML text (Kubernetes manifests), as trees; an empty
/// document (a trailing `---`) is skipped.
pub fn documents(text: &str) -> Result<Vec<super::tree::Tree>, String> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for (n, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let tree =
            super::tree::Tree::deserialize(doc).map_err(|e| format!("document {}: {e}", n + 1))?;
        if !tree.is_null() {
            out.push(tree);
        }
    }
    Ok(out)
}

mod marked;
pub use marked::{marked_documents, MarkedDocument};

/// A value as block-style YAML (Kubernetes objects that arrive whole: tolerations, affinity).
pub fn to_block<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}

/// One input file, read once, with the positions of its fields.
#[derive(Debug, Clone)]
pub struct Source {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub text: String,
    index: HashMap<String, Vec<(Pos, Pos)>>,
    /// Where the first alias (`*name`) is, for errors about alias expansion.
    first_alias: Option<Pos>,
    /// For an environment view: the override prefix, and the fields it shadows.
    overlay: Option<(String, std::collections::HashSet<String>)>,
}

impl Source {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        // YAML takes a lone CR for a line break (old Mac files), and so does the parser; the
        // checks and positions here count lines by LF, so both are made LF first.
        let text = if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text
        };
        Source {
            path: path.into(),
            text,
            index: HashMap::new(),
            first_alias: None,
            overlay: None,
        }
    }

    /// Position of a field's value (`taskManager.replicas`, `args[1]`); for a field that is
    /// not there, the key of the closest enclosing field, so a missing field points at its parent.
    pub fn value_pos(&self, field: &str) -> Option<Pos> {
        match self.index.get(field).and_then(|all| all.first()) {
            Some((_, v)) => Some(*v),
            None => self.key_pos(field),
        }
    }

    /// Position of a field's key, for errors about the field itself rather than its value.
    pub fn key_pos(&self, field: &str) -> Option<Pos> {
        self.lookup(field).map(|(k, _)| k)
    }

    /// A view of this file in which the fields under `prefix` (`environments.prod`) stand in
    /// for the same fields at the top, so errors about overridden values point at the override.
    pub fn overlaid(&self, prefix: &str) -> Source {
        let mut view = self.clone();
        let lead = format!("{prefix}.");
        let mut shadowed = std::collections::HashSet::new();
        for (key, pos) in &self.index {
            if let Some(rest) = key.strip_prefix(&lead) {
                view.index.insert(rest.to_string(), pos.clone());
                shadowed.insert(rest.to_string());
            }
        }
        view.overlay = Some((prefix.to_string(), shadowed));
        view
    }

    /// Whether the file spells out this exact field.
    pub fn has(&self, field: &str) -> bool {
        self.index.contains_key(field)
    }

    /// Key position of the `n`th field spelled `field` (flat `a.b` and nested `a: {b}` both
    /// index as `a.b`), for errors about the second occurrence.
    pub fn nth_key_pos(&self, field: &str, n: usize) -> Option<Pos> {
        self.index
            .get(field)
            .and_then(|all| all.get(n))
            .map(|(k, _)| *k)
    }

    fn lookup(&self, field: &str) -> Option<(Pos, Pos)> {
        let mut f = field;
        loop {
            if let Some(p) = self.index.get(f).and_then(|all| all.first()) {
                return Some(*p);
            }
            let cut = f.rfind(['.', '['])?;
            f = &f[..cut];
        }
    }

    pub fn line(&self, line: usize) -> Option<String> {
        self.text
            .lines()
            .nth(line.checked_sub(1)?)
            .map(|l| l.trim_end().to_string())
    }

    /// An error about `field`, pointing at its value.
    pub fn error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.attach(
            Diagnostic::error(&self.path, message).field(self.shown(field)),
            self.value_pos(field),
        )
    }

    /// A warning about `field`, pointing at its key.
    pub fn warning(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.attach(
            Diagnostic::warning(&self.path, message).field(self.shown(field)),
            self.key_pos(field),
        )
    }

    /// An error about a field's key (an unknown or misplaced name).
    pub fn key_error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        self.attach(
            Diagnostic::error(&self.path, message).field(self.shown(field)),
            self.key_pos(field),
        )
    }

    /// The field as the user wrote it: in an environment view, an overridden field is named
    /// with its `environments.<env>.` prefix.
    fn shown(&self, field: &str) -> String {
        match &self.overlay {
            Some((prefix, shadowed)) if shadowed.contains(field) => format!("{prefix}.{field}"),
            _ => field.to_string(),
        }
    }

    fn attach(&self, mut d: Diagnostic, pos: Option<Pos>) -> Diagnostic {
        d.pos = pos;
        d.excerpt = pos.and_then(|p| self.line(p.line));
        d
    }

    /// Indexes the file and deserializes it into `T`; problems go to `diags`.
    pub fn parse<T: DeserializeOwned>(&mut self, diags: &mut Diagnostics) -> Option<T> {
        let meaningful = self
            .text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l.trim() != "---");
        if !meaningful {
            diags.push(
                Diagnostic::error(&self.path, "the file is empty")
                    .help("write the fields in YAML, or delete the file"),
            );
            return None;
        }
        if !self.build_index(diags) {
            return None;
        }
        match serde_yaml::from_str::<T>(&self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.push(self.serde_error(&e));
                None
            }
        }
    }

    fn build_index(&mut self, diags: &mut Diagnostics) -> bool {
        let mut indexer = Indexer::default();
        let mut parser = Parser::new_from_str(&self.text);
        if let Err(e) = parser.load(&mut indexer, true) {
            let m = e.marker();
            let pos = Some(Pos {
                line: m.line(),
                col: m.col() + 1,
            });
            let d = Diagnostic::error(&self.path, format!("invalid YAML: {}", e.info()))
                .help("check indentation, quotes and brackets at or above this position");
            diags.push(self.attach(d, pos));
            return false;
        }
        if indexer.documents > 1 {
            diags.push(
                Diagnostic::error(&self.path, "the file holds more than one YAML document")
                    .help("put each job or profile in its own file"),
            );
            return false;
        }
        let ok = indexer.duplicates.is_empty() && indexer.problems.is_empty();
        for (field, pos, message, help) in std::mem::take(&mut indexer.problems) {
            let mut d = Diagnostic::error(&self.path, message).help(help);
            if !field.is_empty() {
                d = d.field(field);
            }
            diags.push(self.attach(d, Some(pos)));
        }
        self.first_alias = indexer.first_alias;
        for (field, pos, first) in indexer.duplicates {
            let d = Diagnostic::error(
                &self.path,
                format!("this key is given twice (first at line {})", first.line),
            )
            .field(field)
            .help("remove one of them: YAML parsers disagree on which one wins");
            diags.push(self.attach(d, Some(pos)));
        }
        self.index = indexer.index;
        ok
    }

    fn serde_error(&self, e: &serde_yaml::Error) -> Diagnostic {
        let full = e.to_string();
        // serde_yaml appends the location; we print it our own way.
        let text = match full.rfind(" at line ") {
            Some(i) => &full[..i],
            None => &full[..],
        };
        let (field, message) = split_field(text);
        let help = suggestion(message);
        // The help lists what is allowed; the message need not repeat it.
        let message = match (&help, message.find(", expected")) {
            (Some(_), Some(cut)) => &message[..cut],
            _ => message,
        };
        let mut d = Diagnostic::error(&self.path, message.to_string());
        if let Some(f) = field {
            d = d.field(f);
        }
        if let Some(help) = help {
            d = d.help(help);
        }
        if full.contains("repetition limit exceeded") {
            let d = Diagnostic::error(
                &self.path,
                "aliases (`*name`) here expand into more values than a spec can have",
            )
            .help("write the values out instead of repeating anchors; an alias that expands exponentially is refused");
            return self.attach(d, self.first_alias.or(Some(Pos { line: 1, col: 1 })));
        }
        // A value refused by its own deserializer is located at its parent mapping; the
        // number in the message finds the exact field.
        if let (Some(f), Some(n)) = (field, message.split(' ').next()) {
            if let Some((at, pos)) = self.find_value(f, n) {
                let d = Diagnostic::error(&self.path, message.to_string()).field(at);
                return self.attach(d, Some(pos));
            }
        }
        // The reader's own errors (a raw control character) give a byte offset, not a line.
        if let Some(offset) = text
            .rsplit_once("at position ")
            .and_then(|(_, n)| n.trim().parse::<usize>().ok())
        {
            let before = &self.text[..offset.min(self.text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            let msg = text.rsplit_once(" at position ").map_or(text, |(m, _)| m);
            let d = Diagnostic::error(&self.path, format!("invalid YAML: {msg}")).help(
                "write control characters as escapes inside double quotes (\"\\t\", \"\\u001b\")",
            );
            return self.attach(d, Some(Pos { line, col }));
        }
        let mut pos = e.location().map(|l| Pos {
            line: l.line(),
            col: l.column(),
        });
        // serde_yaml reports struct-level problems (missing field) at the start of the file.
        if pos == Some(Pos { line: 1, col: 1 }) || pos.is_none() {
            pos = field.and_then(|f| self.key_pos(f)).or(pos);
        }
        self.attach(d, pos)
    }
}

impl Source {
    /// The field below `prefix` whose value is written as `text`, and where.
    fn find_value(&self, prefix: &str, text: &str) -> Option<(String, Pos)> {
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let lead = format!("{prefix}.");
        let mut hits: Vec<(String, Pos)> = self
            .index
            .iter()
            .filter(|(k, _)| k.starts_with(&lead))
            .flat_map(|(k, all)| all.iter().map(move |(_, v)| (k.clone(), *v)))
            .filter(|(_, v)| {
                self.line(v.line).is_some_and(|l| {
                    let rest: String = l.chars().skip(v.col - 1).collect();
                    rest.starts_with(text)
                        && !rest[text.len()..].starts_with(|c: char| c.is_ascii_digit())
                })
            })
            .collect();
        hits.sort_by_key(|(_, p)| *p);
        hits.into_iter().next()
    }
}

/// `taskManager.replicas: invalid type…` → (Some("taskManager.replicas"), "invalid type…").
fn split_field(text: &str) -> (Option<&str>, &str) {
    if let Some((head, rest)) = text.split_once(": ") {
        let looks_like_path = !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '[' | ']' | '_' | '-'));
        if looks_like_path {
            return (Some(head), rest);
        }
    }
    (None, text)
}

/// For "unknown field `x`, expected one of `a`, `b`": the closest allowed name, and the list.
fn suggestion(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next()?;
        return Some(format!("add `{name}:`; it is required"));
    }
    let kind = ["unknown field `", "unknown variant `"]
        .into_iter()
        .find(|k| message.starts_with(k))?;
    let rest = &message[kind.len()..];
    let (wrong, expected) = rest.split_once('`')?;
    let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if allowed.is_empty() {
        return None;
    }
    let list = allowed.join(", ");
    Some(match did_you_mean(wrong, allowed.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? allowed: {list}"),
        None => format!("allowed: {list}"),
    })
}

enum Frame {
    Map {
        pending_key: Option<(String, Pos)>,
        seen: HashMap<String, Pos>,
        path: String,
    },
    Seq {
        next: usize,
        path: String,
    },
}

#[derive(Default)]
struct Indexer {
    stack: Vec<Frame>,
    index: HashMap<String, Vec<(Pos, Pos)>>,
    duplicates: Vec<(String, Pos, Pos)>,
    /// (field, position, message, help) of values YAML would read as something else than
    /// what they look like, and of tags flinkgen would silently drop.
    problems: Vec<(String, Pos, String, String)>,
    first_alias: Option<Pos>,
    documents: usize,
}

/// Why a plain scalar is a number other than the text it shows, if it is: serde_yaml reads
/// `0x1F` as 31 and `+5` as 5, and a YAML 1.1 reader takes `017` for octal 15, so a tag or an
/// argument written that way would silently change.
fn surprising_number(s: &str) -> Option<&'static str> {
    let plus = s.starts_with('+');
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = t.to_ascii_lowercase();
    let digits = |rest: &str, radix: u32| {
        !rest.is_empty() && rest.chars().all(|c| c.is_digit(radix) || c == '_')
    };
    if let Some(r) = lower.strip_prefix("0x") {
        return digits(r, 16).then_some("a hexadecimal number");
    }
    if let Some(r) = lower.strip_prefix("0o") {
        return digits(r, 8).then_some("an octal number");
    }
    if let Some(r) = lower.strip_prefix("0b") {
        return digits(r, 2).then_some("a binary number");
    }
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return Some("a special floating-point value");
    }
    let numeric = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit());
    if t.len() > 1 && t.starts_with('0') && t.chars().all(|c| c.is_ascii_digit()) {
        return Some("a number with a leading zero (octal in YAML 1.1, decimal in YAML 1.2)");
    }
    if plus && numeric {
        return Some("a number whose `+` sign is dropped");
    }
    None
}

/// Tags YAML itself defines (`!!str` is a way to quote); any other tag would be dropped.
fn known_tag(tag: &yaml_rust2::parser::Tag) -> bool {
    matches!(tag.handle.as_str(), "!!" | "tag:yaml.org,2002:")
        && matches!(
            tag.suffix.as_str(),
            "str" | "int" | "float" | "bool" | "null" | "map" | "seq"
        )
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Indexer {
    /// Called for every node; returns the path the node lives at, or None for a mapping key.
    /// A block collection's start marker sits on the `:` before it, so a container's value
    /// position is its key's.
    fn place(&mut self, pos: Pos, scalar: Option<&str>, container: bool) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { next, path }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                self.index.entry(p.clone()).or_default().push((pos, pos));
                Some(p)
            }
            Some(Frame::Map {
                pending_key,
                seen,
                path,
            }) => match pending_key.take() {
                Some((key, key_pos)) => {
                    let p = join(path, &key);
                    let value_pos = if container { key_pos } else { pos };
                    self.index
                        .entry(p.clone())
                        .or_default()
                        .push((key_pos, value_pos));
                    Some(p)
                }
                None => {
                    let key = scalar.unwrap_or("?").to_string();
                    if let Some(first) = seen.get(&key) {
                        self.duplicates.push((join(path, &key), pos, *first));
                    } else {
                        seen.insert(key.clone(), pos);
                    }
                    *pending_key = Some((key, pos));
                    None
                }
            },
        }
    }
}

impl Indexer {
    fn check_tag(&mut self, tag: Option<&yaml_rust2::parser::Tag>, field: Option<&str>, pos: Pos) {
        let Some(tag) = tag.filter(|t| !known_tag(t)) else {
            return;
        };
        let shown = if tag.handle == "!" {
            format!("!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        self.problems.push((
            field.unwrap_or_default().to_string(),
            pos,
            format!("the YAML tag `{shown}` is not supported; flinkgen would drop it and use the bare value"),
            "remove the tag: flinkgen resolves no secrets or references at build time (keep secrets out of specs)".into(),
        ));
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos {
            line: mark.line(),
            col: mark.col() + 1,
        };
        match ev {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(value, style, _, tag) => {
                // An empty plain scalar (`key:` with nothing after it) is marked at the next
                // token, often on the next line; the key is the better place to point at.
                let empty = value.is_empty() && style == TScalarStyle::Plain;
                let placed = self.place(pos, Some(&value), empty);
                self.check_tag(tag.as_ref(), placed.as_deref(), pos);
                // `!!str 0x1F` is a way to quote: the tag keeps the text.
                let why = surprising_number(&value)
                    .filter(|_| style == TScalarStyle::Plain && tag.is_none());
                if let (Some(field), Some(why)) = (placed, why) {
                    self.problems.push((
                        field,
                        pos,
                        format!("YAML reads `{value}` as {why}, not as the text `{value}`"),
                        format!("quote it (\"{value}\") to keep the text, or write the number in plain decimal"),
                    ));
                }
            }
            Event::Alias(_) => {
                self.first_alias.get_or_insert(pos);
                self.place(pos, None, false);
            }
            Event::MappingStart(_, tag) => {
                // A mapping used as a key has no sensible path; index its content under "?".
                let path = self.place(pos, None, true).unwrap_or_else(|| "?".into());
                self.check_tag(tag.as_ref(), Some(&path), pos);
                self.stack.push(Frame::Map {
                    pending_key: None,
                    seen: HashMap::new(),
                    path,
                });
            }
            Event::SequenceStart(_, tag) => {
                let path = self.place(pos, None, true).unwrap_or_else(|| "?".into());
                self.check_tag(tag.as_ref(), Some(&path), pos);
                self.stack.push(Frame::Seq { next: 0, path });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Doc {
        #[allow(dead_code)]
        task_manager: Tm,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Tm {
        #[allow(dead_code)]
        replicas: u32,
    }

    #[test]
    fn indexes_nested_fields_and_items() {
        let mut s = Source::new(
            "a.yaml",
            "taskManager:\n  replicas: 3\nargs:\n  - x\n  - y\n",
        );
        let mut d = Diagnostics::default();
        assert!(s.build_index(&mut d));
        assert_eq!(
            s.value_pos("taskManager.replicas"),
            Some(Pos { line: 2, col: 13 })
        );
        assert_eq!(
            s.key_pos("taskManager.replicas"),
            Some(Pos { line: 2, col: 3 })
        );
        assert_eq!(s.value_pos("args[1]"), Some(Pos { line: 5, col: 5 }));
        assert_eq!(
            s.value_pos("taskManager.nothing"),
            Some(Pos { line: 1, col: 1 })
        );
    }

    #[test]
    fn rejects_duplicate_keys_with_both_lines() {
        let mut s = Source::new("a.yaml", "flinkConfig:\n  a: 1\n  a: 2\n");
        let mut d = Diagnostics::default();
        assert!(s.parse::<serde_yaml::Value>(&mut d).is_none());
        let all = d.into_sorted();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].field.as_deref(), Some("flinkConfig.a"));
        assert_eq!(all[0].pos, Some(Pos { line: 3, col: 3 }));
        assert!(all[0].message.contains("first at line 2"));
    }

    #[test]
    fn unknown_field_gets_suggestion_and_position() {
        let mut s = Source::new("a.yaml", "taskManager:\n  replica: 3\n");
        let mut d = Diagnostics::default();
        assert!(s.parse::<Doc>(&mut d).is_none());
        let e = &d.into_sorted()[0];
        assert_eq!(e.field.as_deref(), Some("taskManager"));
        assert_eq!(e.pos, Some(Pos { line: 2, col: 3 }));
        assert_eq!(
            e.help.as_deref(),
            Some("did you mean `replicas`? allowed: replicas")
        );
    }

    #[test]
    fn empty_and_broken_files() {
        let mut d = Diagnostics::default();
        assert!(Source::new("a.yaml", "# nothing\n")
            .parse::<Doc>(&mut d)
            .is_none());
        assert!(Source::new("b.yaml", "a: [\n")
            .parse::<Doc>(&mut d)
            .is_none());
        let all = d.into_sorted();
        assert_eq!(all[0].message, "the file is empty");
        assert!(all[1].message.starts_with("invalid YAML"));
        assert!(all[1].pos.is_some());
    }

    #[test]
    fn old_mac_line_endings_are_lines() {
        let mut d = Diagnostics::default();
        for text in [
            "# a comment\rtaskManager:\r  replicas: 2\r",
            "# a comment\r\ntaskManager:\r\n  replicas: 2\r\n",
        ] {
            let doc = Source::new("a.yaml", text).parse::<Doc>(&mut d);
            assert_eq!(doc.map(|x| x.task_manager.replicas), Some(2), "{text:?}");
        }
        let mut src = Source::new("b.yaml", "# a comment\rtaskManager:\r  replicas: [\r");
        assert!(src.parse::<Doc>(&mut d).is_none());
        assert_eq!(d.into_sorted()[0].pos.map(|p| p.line), Some(4));
    }
}
