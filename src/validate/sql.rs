//! SQL scripts: split into statements the way flinkgen's runner (templates/SqlRunner.java.j2)
//! splits them, and checked for what would make the job fail or do nothing at start.

/// One statement: its text without comments, and the line of the script it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub line: usize,
}

impl Statement {
    /// The statement's words, uppercased and single-spaced, for matching its kind.
    fn words(&self) -> String {
        words(&self.text)
    }

    /// Whether executing it submits a Flink job.
    fn starts_job(&self) -> bool {
        let w = self.words();
        [
            "INSERT ", "EXECUTE ", "SELECT ", "WITH ", "TABLE ", "VALUES ",
        ]
        .iter()
        .any(|k| w.starts_with(k))
    }

    /// The first words, for messages.
    fn head(&self) -> String {
        let w = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        match w.char_indices().nth(40) {
            Some((i, _)) => format!("{}…", &w[..i]),
            None => w,
        }
    }
}

fn words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Why a script cannot be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    pub what: &'static str,
    pub line: usize,
}

/// The script's statements without comments (a `/*+ hint */` stays) and without their `;`.
/// A `;` inside quotes, backticks, a comment or an `EXECUTE STATEMENT SET BEGIN … END` block
/// does not end a statement; a statement of only comments is dropped.
pub fn split(script: &str) -> Result<Vec<Statement>, Unclosed> {
    let chars: Vec<char> = script.chars().collect();
    let mut statements = Vec::new();
    let mut code = String::new();
    let mut line = 1;
    let mut start_line: Option<usize> = None;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let comment =
            (c == '-' && at(i + 1) == '-') || (c == '/' && at(i + 1) == '*' && at(i + 2) != '+');
        if !c.is_whitespace() && start_line.is_none() && !comment {
            start_line = Some(line);
        }
        match c {
            '\'' | '"' | '`' => {
                let opened = line;
                let mut end = i + 1;
                loop {
                    match chars.get(end) {
                        None => {
                            let what = match c {
                                '\'' => "string",
                                '"' => "double-quoted name",
                                _ => "backtick-quoted name",
                            };
                            return Err(Unclosed { what, line: opened });
                        }
                        Some(&q) if q == c && at(end + 1) == c => end += 2,
                        Some(&q) if q == c => break,
                        Some(_) => end += 1,
                    }
                }
                let quoted: String = chars[i..=end].iter().collect();
                line += quoted.matches('\n').count();
                code.push_str(&quoted);
                i = end + 1;
            }
            '-' if comment => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                code.push(' ');
            }
            '/' if comment => {
                let opened = line;
                let mut end = i + 2;
                while !(at(end) == '*' && at(end + 1) == '/') {
                    if end >= chars.len() {
                        return Err(Unclosed {
                            what: "comment",
                            line: opened,
                        });
                    }
                    if chars[end] == '\n' {
                        line += 1;
                    }
                    end += 1;
                }
                code.push(' ');
                i = end + 2;
            }
            ';' if !in_statement_set(&code) => {
                push(&mut statements, &mut code, &mut start_line);
                i += 1;
            }
            _ => {
                if c == '\n' {
                    line += 1;
                }
                code.push(c);
                i += 1;
            }
        }
    }
    push(&mut statements, &mut code, &mut start_line);
    Ok(statements)
}

/// Inside `EXECUTE STATEMENT SET BEGIN …` until the `END` before a `;`.
fn in_statement_set(code: &str) -> bool {
    let w = words(code);
    w.starts_with("EXECUTE STATEMENT SET") && w.rsplit(' ').next() != Some("END")
}

fn push(statements: &mut Vec<Statement>, code: &mut String, start_line: &mut Option<usize>) {
    let text = code.trim();
    if !text.is_empty() {
        statements.push(Statement {
            text: text.to_string(),
            line: start_line.unwrap_or(1),
        });
    }
    code.clear();
    *start_line = None;
}

/// What is wrong with a script as a job, with the line it concerns and a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
    pub help: &'static str,
}

const ONE_JOB: &str = "end the script with one INSERT INTO …, or put several into EXECUTE STATEMENT SET BEGIN INSERT INTO …; INSERT INTO …; END;";

/// A script is a job when it ends with the one statement that starts it (an INSERT or a
/// statement set), after any number of DDL and `SET 'key' = 'value'` statements: every
/// statement that starts a job runs as its own job, which an application cluster with HA and
/// a session job's fixed job id do not allow, and a script without one runs nothing.
pub fn check(script: &str) -> Vec<Problem> {
    let statements = match split(script) {
        Ok(s) => s,
        Err(u) => {
            return vec![Problem {
                line: u.line,
                message: format!("this {} is never closed", u.what),
                help: "close it; a ';' inside it does not end the statement",
            }]
        }
    };
    let Some(last) = statements.last() else {
        return vec![Problem {
            line: 1,
            message: "the script holds no SQL statement".into(),
            help: ONE_JOB,
        }];
    };
    let mut problems = Vec::new();
    for s in &statements {
        let w = s.words();
        if w.starts_with("BEGIN STATEMENT SET") || w == "END" {
            problems.push(Problem {
                line: s.line,
                message: format!(
                    "`{}` is the SQL client's statement set, which TableEnvironment does not run",
                    s.head()
                ),
                help: "write EXECUTE STATEMENT SET BEGIN INSERT INTO …; INSERT INTO …; END;",
            });
        } else if w.starts_with("SET") && !set_statement(&s.text) {
            problems.push(Problem {
                line: s.line,
                message: format!("`{}` is not SET 'key' = 'value'", s.head()),
                help: "quote both: SET 'pipeline.name' = 'orders';",
            });
        } else if s.starts_job() && !std::ptr::eq(s, last) {
            problems.push(Problem {
                line: s.line,
                message: format!(
                    "`{}` starts a job before the script's end; each such statement runs as a job of its own",
                    s.head()
                ),
                help: ONE_JOB,
            });
        }
    }
    let w = last.words();
    if !(w.starts_with("INSERT ") || w.starts_with("EXECUTE ")) {
        problems.push(Problem {
            line: last.line,
            message: format!(
                "the script ends with `{}`, not with the INSERT or statement set that runs the job",
                last.head()
            ),
            help: ONE_JOB,
        });
    }
    problems
}

/// `SET 'key' = 'value'`, the form the runner applies (quotes doubled inside).
fn set_statement(text: &str) -> bool {
    let Some(rest) = text
        .get(3..)
        .filter(|_| text[..3].eq_ignore_ascii_case("SET"))
    else {
        return false;
    };
    let rest = rest.trim_start();
    let Some((_, rest)) = quoted(rest) else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix('=') else {
        return false;
    };
    matches!(quoted(rest.trim_start()), Some((_, "")))
}

/// A leading `'…'` literal and what follows it (trimmed).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_prefix('\'')?;
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|&(_, n)| n) == Some('\'') {
                chars.next();
                continue;
            }
            return Some((&body[..i], body[i + 1..].trim()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<String> {
        split(script).unwrap().into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn semicolons_in_quotes_comments_and_statement_sets_do_not_split() {
        let script = "-- a; comment\nSET 'pipeline.name' = 'a;b';\nCREATE TABLE `t;` (s STRING) WITH ('x' = 'it''s;');\n/* ; */\nEXECUTE STATEMENT SET BEGIN\n INSERT INTO a SELECT 1;\n INSERT INTO b SELECT 2;\nEND;\n-- trailing\n";
        let s = split(script).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].text, "SET 'pipeline.name' = 'a;b'");
        assert_eq!(s[0].line, 2);
        assert_eq!(s[1].line, 3);
        assert!(s[1].text.ends_with("('x' = 'it''s;')"));
        assert_eq!(s[2].line, 5);
        assert!(s[2].text.starts_with("EXECUTE STATEMENT SET BEGIN"));
        assert!(s[2].text.ends_with("END"));
        assert!(check(script).is_empty());
    }

    proptest::proptest! {
        /// Any text splits or reports an unclosed part, without panicking; statements are
        /// never empty and keep every quoted part whole.
        #[test]
        fn any_text_splits_or_is_reported(script in "(?s)[-/*';`\"a-zA-Z \n+]{0,80}|.{0,40}") {
            if let Ok(statements) = split(&script) {
                for s in &statements {
                    proptest::prop_assert!(!s.text.trim().is_empty());
                    proptest::prop_assert!(s.line >= 1 && s.line <= script.lines().count().max(1));
                }
            }
            let _ = check(&script);
        }
    }

    #[test]
    fn hints_stay_and_a_missing_final_semicolon_is_fine() {
        assert_eq!(
            texts("INSERT INTO a SELECT /*+ OPTIONS('x'='1') */ * FROM b"),
            ["INSERT INTO a SELECT /*+ OPTIONS('x'='1') */ * FROM b"]
        );
    }

    #[test]
    fn scripts_that_are_not_one_job_are_refused_with_the_line() {
        let lines = |s: &str| check(s).iter().map(|p| p.line).collect::<Vec<_>>();
        assert_eq!(lines("-- nothing\n"), [1]);
        assert_eq!(lines("CREATE TABLE a (x INT);\n"), [1]);
        assert_eq!(
            lines("INSERT INTO a SELECT 1;\n\nINSERT INTO b SELECT 2;"),
            [1]
        );
        assert_eq!(lines("SELECT 1;\nINSERT INTO b SELECT 2;"), [1]);
        assert_eq!(lines("SET x = 1;\nINSERT INTO b SELECT 2;"), [1]);
        assert_eq!(
            lines("BEGIN STATEMENT SET;\nINSERT INTO b SELECT 2;\nEND;"),
            [1, 2, 3, 3]
        );
        assert_eq!(lines("INSERT INTO a SELECT 'x;\n"), [1]);
        assert_eq!(lines("\n/* open\n"), [2]);
    }
}
