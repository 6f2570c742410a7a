//! The house rules a reader relies on, kept by a test: no source file over 700 lines, and no
//! function over 80 lines without a one-line reason (a doc line saying "Long because …").

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
