//! Writing values back as the language spells them: the inverse of the parser's reading.

/// A double-quoted string (or quoted name) that the parser reads back as `s`: `\`, `"` and `{`
/// escaped with `\`, newlines, tabs and carriage returns as `\n`, `\t` and `\r`, other control
/// characters and line separators as `\u{HEX}` (a string may not span lines).
pub fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '{' => out.push_str("\\{"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unprintable(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name as the language reads it back: bare when folding leaves it as it is (lower-case
/// ASCII letters, digits, `_` and `$`, not starting with a digit or `$`), else quoted.
pub fn name(s: &str) -> String {
    let mut chars = s.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if bare {
        s.to_string()
    } else {
        string(s)
    }
}

pub use crate::pg::quote::is_unprintable;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bare_only_when_folding_keeps_them() {
        assert_eq!(name("app_owner$1"), "app_owner$1");
        assert_eq!(name("_x"), "_x");
        for quoted in ["Ops Team", "jane.doe", "1st", "Upper", "we\"ird", "", "é"] {
            assert_eq!(name(quoted), string(quoted), "{quoted}");
        }
    }

    #[test]
    fn strings_read_back_the_same() {
        for s in [
            "plain",
            "a\"b",
            "back\\slash",
            "{var}",
            "line\nbreak\ttab",
            "cr\rret",
            "esc\u{1b}[31m",
            "sep\u{2028}\u{85}",
            "x\"; DROP ROLE postgres; --",
        ] {
            let text = format!("role {} {{}}\n", string(s));
            let parsed = crate::syntax::parse(&text, crate::syntax::FileId(0));
            assert!(parsed.diagnostics.is_empty(), "{s:?}: {:?}", parsed.diagnostics);
            assert!(format!("{:?}", parsed.ast).contains(&format!("{s:?}")), "{s:?} reads back");
        }
    }
}
