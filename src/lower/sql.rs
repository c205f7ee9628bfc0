//! Quoting. Every name rolec prints goes through [`ident`], every value through [`literal`]:
//! a role called `x"; DROP ROLE postgres; --` stays a role with that name.

/// A double-quoted identifier, inner quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.name`, both quoted.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A string literal that reads the same whatever `standard_conforming_strings` is.
pub fn literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
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
}
