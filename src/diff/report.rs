//! The report in three forms: text for a terminal, Markdown for a pull-request comment, JSON
//! for tools.

use super::{Change, Report, State, Verdict};

impl Report {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serializes") + "\n"
    }

    /// One block per job that changes, then a count of those that do not.
    pub fn text(&self, color: bool) -> String {
        let paint = |text: &str, code: &str| match color {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_string(),
        };
        let mut out = String::new();
        // Reasons quote spec text; its control characters are escaped before colors are added.
        let safe = crate::diag::printable_lines;
        for j in self.changed() {
            let state = paint(&word(j.state), state_color(j.state));
            out.push_str(&format!(
                "{}: {}; state {state}; {}\n",
                paint(&safe(&title(j)), "1"),
                word(j.change),
                apply_text(j)
            ));
            for r in &j.restarts {
                out.push_str(&format!(
                    "  restarts {}: {}\n",
                    r.role,
                    safe(&r.why.join("; "))
                ));
            }
            for reason in &j.reasons {
                out.push_str(&format!("  - {}\n", safe(reason)));
            }
        }
        out.push_str(&self.summary());
        out
    }

    /// A table of the jobs that change, then each one's details.
    pub fn markdown(&self) -> String {
        let mut out = String::from("## flinkgen diff\n\n");
        let changed: Vec<&Verdict> = self.changed().collect();
        if !changed.is_empty() {
            out.push_str("| Job | Change | Restarts | Apply | State |\n|---|---|---|---|---|\n");
            for j in &changed {
                let roles: Vec<&str> = j.restarts.iter().map(|r| r.role.as_str()).collect();
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | {}{} |\n",
                    title(j),
                    word(j.change),
                    if roles.is_empty() {
                        "none".to_string()
                    } else {
                        roles.join(", ")
                    },
                    match j.apply {
                        super::Apply::Apply => "apply",
                        super::Apply::Replace => "**replace**",
                    },
                    match j.state {
                        State::Lost | State::Incompatible => "⚠️ ",
                        _ => "",
                    },
                    word(j.state)
                ));
            }
            out.push('\n');
            for j in &changed {
                out.push_str(&format!("### `{}`\n\n", title(j)));
                for r in &j.restarts {
                    out.push_str(&format!(
                        "- restarts **{}**: {}\n",
                        r.role,
                        cell(&r.why.join("; "))
                    ));
                }
                for reason in &j.reasons {
                    out.push_str(&format!("- {}\n", cell(reason)));
                }
                out.push('\n');
            }
        }
        out.push_str(&self.summary());
        out
    }

    /// The jobs a change reaches: its own files, or its session cluster's restart.
    fn changed(&self) -> impl Iterator<Item = &Verdict> {
        self.jobs
            .iter()
            .filter(|j| j.change != Change::Unchanged || !j.restarts.is_empty())
    }

    fn summary(&self) -> String {
        let changed = self.changed().count();
        let at_risk = self
            .jobs
            .iter()
            .filter(|j| matches!(j.state, State::Lost | State::Incompatible))
            .count();
        format!(
            "{changed} of {} job(s) affected, {at_risk} of them lose or cannot restore their state.\n",
            self.jobs.len()
        )
    }
}

fn title(j: &Verdict) -> String {
    match &j.environment {
        Some(e) => format!("{e}/{}", j.name),
        None => j.name.clone(),
    }
}

/// A value's name as the JSON report spells it (the enums' serde names are the one source).
fn word(v: impl serde::Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

fn state_color(s: State) -> &'static str {
    match s {
        State::Lost | State::Incompatible => "1;31",
        State::Restored => "33",
        _ => "32",
    }
}

fn apply_text(j: &Verdict) -> &'static str {
    match j.apply {
        super::Apply::Apply => "kubectl apply",
        super::Apply::Replace => "needs replace (see below)",
    }
}

/// Text for Markdown: `|` and `<` escaped, so a reason cannot break the comment's layout.
fn cell(s: &str) -> String {
    crate::diag::printable_lines(s)
        .replace('\n', " ")
        .replace('|', "\\|")
        .replace('<', "&lt;")
}
