//! Markdown for `--format markdown` (a pull-request comment, `$GITHUB_STEP_SUMMARY`): text from
//! names is made inert — it can neither end a table cell or a code block nor open a link, an
//! emphasis or HTML.

/// `text` as Markdown prose or a table cell: every ASCII punctuation that Markdown may read is
/// backslash-escaped (`|` too, so a cell cannot be split), `<`, `>` and `&` become entities (HTML
/// and autolinks stay text), and line breaks become spaces (a line break ends a cell or a heading).
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' | '{' | '}' | '+' | '-' | '.'
            | ':' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `body` in a fenced code block of language `lang`: the fence is one backtick longer than the
/// longest run of backticks in the body (at least three), so no line of the body can close it.
pub fn fenced(lang: &str, body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let body = body.strip_suffix('\n').unwrap_or(body);
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

/// A table: the header row, then one row per entry; every cell is [`text`].
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let line = |cells: Vec<String>| format!("| {} |\n", cells.iter().map(|c| text(c)).collect::<Vec<_>>().join(" | "));
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// Where a plan or a check was made, for the heading: database, user, host and port (the
/// connection string's password is never part of a target).
pub fn target(t: &crate::live::Target) -> String {
    format!("database {} as {} on {} port {}", text(&t.dbname), text(&t.user), text(&t.host), t.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_is_longer_than_any_run_of_backticks_inside() {
        assert_eq!(fenced("sql", "SELECT 1;\n"), "```sql\nSELECT 1;\n```\n");
        assert_eq!(fenced("sql", "CREATE ROLE \"a````b\";"), "`````sql\nCREATE ROLE \"a````b\";\n`````\n");
    }

    #[test]
    fn cells_cannot_be_split_or_open_code_html_or_links() {
        assert_eq!(text("a|b`c<d>e\nf"), "a\\|b\\`c&lt;d&gt;e f");
        assert_eq!(text("[x](http://e)"), "\\[x\\]\\(http\\://e\\)");
    }
}
