//! Diagnostics: every problem flinkgen finds is collected here, so one run reports all of them,
//! each with the file, position and field a user has to change.

use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file, 1-based, as editors count.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

// Serializable: the render cache keeps each spec's warnings to show them again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the project root, with `/` separators, so output is the same everywhere.
    pub file: String,
    pub pos: Option<Pos>,
    /// Dotted field path inside the file (`taskManager.replicas`), when the problem has one.
    pub field: Option<String>,
    pub message: String,
    pub help: Option<String>,
    /// The source line the position points at, shown under the message.
    pub excerpt: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            pos: None,
            field: None,
            message: message.into(),
            help: None,
            excerpt: None,
        }
    }

    /// A problem that belongs to no input file: a command-line argument, a run as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        Diagnostic::error(String::new(), message)
    }

    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, message)
        }
    }

    pub fn at(mut self, pos: Option<Pos>) -> Self {
        self.pos = pos;
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let message = printable(&self.message);
        match &self.field {
            Some(field) => writeln!(f, "{kind}: {}: {message}", printable(field))?,
            None => writeln!(f, "{kind}: {message}")?,
        }
        match self.pos {
            // A problem with no file (a command-line argument) has no location line.
            _ if self.file.is_empty() => {}
            Some(p) => writeln!(f, "  --> {}:{}:{}", printable(&self.file), p.line, p.col)?,
            None => writeln!(f, "  --> {}", printable(&self.file))?,
        }
        if let (Some(text), Some(p)) = (&self.excerpt, self.pos) {
            let gutter = p.line.to_string();
            let pad = " ".repeat(gutter.len());
            let (shown, col) = excerpt_window(text, p.col);
            writeln!(f, "{pad} |")?;
            writeln!(f, "{gutter} | {}", printable_lines(&shown))?;
            // Columns count characters, so the caret lines up for non-ASCII text too; an
            // escaped character takes as many columns as its escape.
            let lead: String = shown
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| match c {
                    '\t' => "\t".to_string(),
                    c if hidden(c) => " ".repeat(format!("\\u{{{:x}}}", c as u32).len()),
                    _ => " ".to_string(),
                })
                .collect();
            writeln!(f, "{pad} | {lead}^")?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {}", printable(help))?;
        }
        Ok(())
    }
}

/// A long source line (minified YAML, a huge value) is cut to a window around the column.
fn excerpt_window(text: &str, col: usize) -> (String, usize) {
    const WIDTH: usize = 120;
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= WIDTH {
        return (text.to_string(), col);
    }
    let start = col
        .saturating_sub(WIDTH / 2)
        .min(chars.len().saturating_sub(WIDTH));
    let end = (start + WIDTH).min(chars.len());
    let mut out = String::new();
    let mut shift = start;
    if start > 0 {
        out.push('…');
        shift -= 1;
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    (out, col - shift)
}

/// Messages quote user text; control characters in it (a newline in a label value) would
/// break the report's layout, so they are shown escaped.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Characters a terminal would act on or not show: controls (escape sequences), line and
/// paragraph separators, zero-width and bidirectional formatting characters, the BOM.
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Text for a terminal, line by line: newlines and tabs kept, every other hidden character
/// escaped, so input quoted in a message or a diff cannot move the cursor or recolor.
pub fn printable_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Problems found so far, in the order a user should read them.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend_from(&mut self, items: &[Diagnostic]) {
        self.items.extend(items.iter().cloned());
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Sorted by file and position so the report does not depend on discovery order.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (&a.file, a.pos, a.severity, &a.field, &a.message)
                .cmp(&(&b.file, b.pos, b.severity, &b.field, &b.message))
        });
        self.items.dedup();
        self.items
    }
}

/// Edit distance, to suggest the intended name for a misspelt field, profile or key.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate, if it is close enough to be a plausible typo. Runs on every user
/// option key of every job, so candidates whose length alone rules them out are skipped.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong_lower = wrong.to_ascii_lowercase();
    let wrong_len = wrong.chars().count();
    candidates
        .into_iter()
        .filter_map(|c| {
            let len = c.chars().count();
            let limit = (len.max(wrong_len) / 3).max(1);
            if len.abs_diff(wrong_len) > limit {
                return None;
            }
            let d = levenshtein(&wrong_lower, &c.to_ascii_lowercase());
            (d <= limit).then_some((d, c))
        })
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("replica", ["profile", "replicas", "slots"]),
            Some("replicas")
        );
        assert_eq!(
            did_you_mean("paralelism", ["parallelism", "args"]),
            Some("parallelism")
        );
        assert_eq!(did_you_mean("zzz", ["parallelism", "args"]), None);
        assert_eq!(
            did_you_mean("TaskManager", ["taskManager"]),
            Some("taskManager")
        );
    }

    #[test]
    fn renders_position_and_caret() {
        let mut d = Diagnostic::error("jobs/a.yaml", "must be at least 1")
            .field("taskManager.replicas")
            .at(Some(Pos { line: 7, col: 13 }))
            .help("set 1 or more");
        d.excerpt = Some("  replicas: 0".into());
        assert_eq!(
            d.to_string(),
            "error: taskManager.replicas: must be at least 1\n  --> jobs/a.yaml:7:13\n  |\n7 |   replicas: 0\n  |             ^\n  = help: set 1 or more\n"
        );
    }
}
