//! Quoting, as PostgreSQL reads SQL. Every name rolec prints goes through [`ident`], every value through [`literal`],
//! every text in a `--` comment through [`comment`]: a role called `x"; DROP ROLE postgres; --`
//! stays a role with that name, and no name or value ever starts a line of its own. Scripts are
//! piped to psql and read by line-based tools (dbmate splits a file at a line `-- migrate:down`),
//! so a line break coming from a name is never printed raw, not even inside quotes.

/// Whether `c` is never printed raw: a control character (line feed, carriage return, vertical
/// tab, form feed, NEL, escape…) or a Unicode line or paragraph separator. Each of them ends a
/// line for some reader or rewrites a terminal.
pub fn is_unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Whether `name` reads back as itself when written without quotes, by its shape: a lower-case
/// letter or `_`, then lower-case letters, digits or `_` (unquoted names fold to lower case).
/// Keywords are not considered here.
pub fn is_plain_identifier(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A double-quoted identifier, inner quotes doubled. A name with unprintable characters is
/// written as a Unicode-escaped identifier (`U&"a\000ab"`), which means the same name.
pub fn ident(name: &str) -> String {
    if !name.chars().any(is_unprintable) {
        return format!("\"{}\"", name.replace('"', "\"\""));
    }
    let mut out = String::from("U&\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\"\""),
            '\\' => out.push_str("\\\\"),
            c if is_unprintable(c) => out.push_str(&format!("\\{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// psql's `\connect` to database `name`, with the other connection parameters kept. The name
/// is passed as a conninfo value (`dbname='…'`, `\` and `'` escaped), so that a name holding
/// `=` or looking like a URI is still a name, inside a double-quoted psql argument (inner `"`
/// doubled), where no `:variable` or backquote is expanded. `None` for a name with an
/// unprintable character: psql ends a meta-command at a line break, whatever the quotes.
pub fn psql_connect(name: &str) -> Option<String> {
    if name.chars().any(is_unprintable) {
        return None;
    }
    let conninfo = format!("dbname='{}'", name.replace('\\', "\\\\").replace('\'', "\\'"));
    Some(format!("\\connect -reuse-previous=on \"{}\"", conninfo.replace('"', "\"\"")))
}

/// `schema.name`, both quoted.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A string literal that reads the same whatever `standard_conforming_strings` is; unprintable
/// characters are escaped (`E'a\nb'`).
pub fn literal(value: &str) -> String {
    if !value.contains('\\') && !value.chars().any(is_unprintable) {
        return format!("'{}'", value.replace('\'', "''"));
    }
    let mut out = String::from("E'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unprintable(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text for a `--` comment, escaped so that it stays on its line: unprintable characters are
/// written `\n`, `\r`, `\t` or `\u{…}`. psql and the server end a `--` comment at a line break
/// only, so nothing else in the text can act (no `;`, `\` meta-command or `:variable`).
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_comment_text(&mut out, text);
    out
}

/// [`comment_text`], appended to `out`.
pub fn push_comment_text(out: &mut String, text: &str) {
    let escaped = |c: char| matches!(c, '\n' | '\r' | '\t') || is_unprintable(c);
    if !text.chars().any(escaped) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unprintable(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// A whole `-- …` comment line (without its line break) for `text`.
pub fn comment(text: &str) -> String {
    let mut out = String::from("-- ");
    push_comment_text(&mut out, text);
    out
}

/// Wraps `body` in a `DO` block, with a dollar-quote tag that does not occur in the body. The
/// body is statements ending in `;` (put between `BEGIN` and `END`), or a whole block that
/// starts with `DECLARE`.
pub fn do_block(body: &str) -> String {
    let mut tag = "$rolec$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$rolec{n}$");
    }
    if body.starts_with("DECLARE") {
        format!("DO {tag} {body} {tag};")
    } else {
        format!("DO {tag} BEGIN {body} END {tag};")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("x\"; DROP ROLE postgres; --"), "\"x\"\"; DROP ROLE postgres; --\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b'"), "E'a\\\\b'''");
        assert_eq!(do_block("SELECT '$rolec$';"), "DO $rolec1$ BEGIN SELECT '$rolec$'; END $rolec1$;");
    }

    #[test]
    fn plain_identifiers() {
        for plain in ["app", "_x", "work_mem", "a1"] {
            assert!(is_plain_identifier(plain), "{plain}");
        }
        for quoted in ["", "App", "1a", "a-b", "a.b", "a b", "é"] {
            assert!(!is_plain_identifier(quoted), "{quoted}");
        }
    }

    #[test]
    fn no_line_break_is_printed_raw() {
        let hostile = "a\nb\rc\u{b}d\u{c}e\u{85}f\u{2028}g\u{2029}h\\i\"j'k\u{1b}l";
        for text in [ident(hostile), literal(hostile), comment(hostile)] {
            assert!(!text.chars().any(is_unprintable), "{text:?}");
        }
        assert_eq!(ident("a\nb\\\""), r#"U&"a\000ab\\""""#);
        assert_eq!(literal("a\nb\u{2028}'"), r"E'a\nb\u2028'''");
        assert_eq!(comment("bob\nDROP ROLE victim; --"), r"-- bob\nDROP ROLE victim; --");
    }
}
