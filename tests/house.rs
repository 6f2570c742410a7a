//! The house rules a reader relies on, kept by a test: the stages import only earlier ones, no
//! source file is over 700 lines, and no function over 80 lines goes without a one-line reason
//! (a doc line saying "Long because …").

use std::path::Path;

fn sources() -> Vec<(String, String)> {
    walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            (e.path().display().to_string(), text)
        })
        .collect()
}

#[test]
fn no_source_file_is_over_700_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, t)| t.lines().count() > 700)
        .map(|(p, t)| format!("{p}: {} lines", t.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these by concern: {long:?}");
}

#[test]
fn a_function_over_80_lines_says_why() {
    let mut unexplained = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let trimmed = line.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(super) fn ", "pub(crate) fn "]
                .iter()
                .any(|p| trimmed.starts_with(p))
                && !line.trim_end().ends_with(';');
            if !is_fn {
                i += 1;
                continue;
            }
            // The function ends at the first `}` at its own indentation.
            let indent = &line[..line.len() - trimmed.len()];
            let close = format!("{indent}}}");
            let end = (i + 1..lines.len())
                .find(|&j| lines[j] == close)
                .unwrap_or(lines.len() - 1);
            if end - i + 1 > 80 {
                let docs = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| {
                        let t = l.trim_start();
                        t.starts_with("///") || t.starts_with("#[")
                    })
                    .any(|l| l.to_lowercase().contains("long because"));
                if !docs {
                    unexplained.push(format!("{path}:{}: {}", i + 1, trimmed));
                }
            }
            i = end + 1;
        }
    }
    assert!(
        unexplained.is_empty(),
        "split these, or say in a doc line why they stay whole (\"Long because …\"): {unexplained:#?}"
    );
}

/// The modules of `src/` in pipeline order (docs/src/architecture.md draws it): each may use
/// only those before it. The first three are helpers every stage may use; the last six are
/// the commands built on the pipeline. `lib.rs` and `main.rs` run the stages and may use all.
const LINE: &[&str] = &[
    "diag", "hash", "par", "load", "flink", "model", "derive", "validate", "plan", "render",
    "emit", "diff", "cache", "explain", "schema", "init", "import", "cli",
];

/// The top-level modules a source text names through `crate::`, including grouped imports
/// (`use crate::{a, b::c}`); comment lines are skipped.
fn crate_paths(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Each comma-separated item at the group's own depth starts with a module name.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    _ if item_start && !c.is_whitespace() => {
                        found.push(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

#[test]
fn each_stage_uses_only_the_stages_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (path, text) in sources() {
        let rel = Path::new(&path).strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs");
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(place) = LINE.iter().position(|m| *m == module) else {
            wrong.push(format!(
                "{path}: module `{module}` is not in the line; add it"
            ));
            continue;
        };
        for used in crate_paths(&text) {
            match LINE.iter().position(|m| *m == used) {
                Some(p) if p > place => wrong.push(format!(
                    "{path}: {module} uses crate::{used}, a later stage"
                )),
                None if used != module => wrong.push(format!(
                    "{path}: uses crate::{used}, which is not in the line"
                )),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_import_reader_sees_grouped_and_plain_paths() {
    let text = "use crate::{derive::wiring, model::{Job, Kind}};\n// crate::emit\nlet x = crate::plan::f();";
    assert_eq!(crate_paths(text), ["derive", "model", "plan"]);
}

/// A function's parameters, counted at the top level of its parenthesis (so tuple and
/// generic types with commas count once).
fn parameter_counts(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("fn ") {
        let rest = &text[at + 3..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = rest.find('(') else { continue };
        // Between the name and the parenthesis only generic parameters may stand.
        let between = rest[name.len()..open].trim();
        if name.is_empty() || !(between.is_empty() || between.starts_with('<')) {
            continue;
        }
        // Parameters are the non-empty pieces between top-level commas; `->` is no bracket.
        let (mut depth, mut count, mut piece, mut prev) = (0i32, 0, false, ' ');
        for c in rest[open..].chars() {
            let arrow = prev == '-' && c == '>';
            prev = c;
            match c {
                '>' if arrow => {}
                '(' | '<' | '[' | '{' => depth += 1,
                ')' | '>' | ']' | '}' => depth -= 1,
                ',' if depth == 1 => {
                    count += usize::from(piece);
                    piece = false;
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            piece |= depth > 1 || (c != '(' && !c.is_whitespace());
        }
        let count = count + usize::from(piece);
        found.push((name, count));
    }
    found
}

#[test]
fn no_function_takes_seven_parameters() {
    let many: Vec<String> = sources()
        .into_iter()
        .flat_map(|(path, text)| {
            parameter_counts(&text)
                .into_iter()
                .filter(|(_, n)| *n >= 7)
                .map(move |(name, n)| format!("{path}: {name} takes {n}"))
        })
        .collect();
    assert!(
        many.is_empty(),
        "pass a context (validate::subject::Subject) or a struct instead: {many:#?}"
    );
}

#[test]
fn parameters_are_counted_at_the_top_level() {
    let text = "fn a(x: (u8, u8), y: Vec<(u8, u8)>) {}\nfn b<T: Into<u8>>(t: T, u: [u8; 2], v: &mut Z) {}\nfn c() {}\nfn d(self: &Self,) {}\nfn e(f: impl Fn(u8) -> u8, g: u8, h: u8) {}";
    assert_eq!(
        parameter_counts(text),
        [
            ("a".into(), 2),
            ("b".into(), 3),
            ("c".into(), 0),
            ("d".into(), 1),
            ("e".into(), 3)
        ]
    );
}
