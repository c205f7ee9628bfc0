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

pub use crate::pg::quote::is_unprintable;

#[cfg(test)]
mod tests {
    use super::*;

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
