//! SQL type names of routine arguments, in one canonical spelling: what PostgreSQL's
//! `regprocedure` (and `format_type`) print with `search_path = pg_catalog`. Built-in types
//! have their `format_type` names (`int` is `integer`, `varchar(10)` is `character varying`),
//! every other type is schema-qualified and quoted (`"app"."mytype"`), modifiers are dropped and
//! array bounds become one `[]` — the same routine has the same signature whatever the
//! `search_path` or the spelling. The live state is read in that form (see
//! rolec's live introspection); the policy's signatures, snapshots and `who-can` questions go through
//! [`canonical_type`] before they are compared.

use super::quote::ident;

/// The canonical spelling of a type name as SQL writes it (see the module comment). A type the
/// text does not qualify keeps no schema: it is found through the `search_path`.
pub fn canonical_type(text: &str) -> String {
    let tokens = tokens(text);
    let mut words: Vec<Word> = Vec::new();
    let mut schema: Option<Word> = None;
    let mut modifiers: Vec<u32> = Vec::new();
    let mut array = false;
    for token in tokens {
        match token {
            Token::Word(w) => words.push(w),
            Token::Dot if schema.is_none() && words.len() == 1 => schema = words.pop(),
            Token::Dot => {}
            Token::Modifiers(m) => modifiers = m,
            Token::Array => array = true,
        }
    }
    let suffix = if array { "[]" } else { "" };
    if let Some(s) = schema.filter(|s| s.text != "pg_catalog") {
        let name = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
        return format!("{}.{}{suffix}", ident(&s.text), ident(&name));
    }
    let name = match words.as_slice() {
        // A quoted word is the type of exactly that name, as `format_type` quotes `"char"` or
        // `"any"`: no alias applies.
        [w] if w.quoted => ident(&w.text),
        // Several words, some quoted: no built-in name; each word keeps its quotes, so that
        // the text stays inert.
        _ if words.iter().any(|w| w.quoted) => {
            words.iter().map(|w| if w.quoted { ident(&w.text) } else { w.text.clone() }).collect::<Vec<_>>().join(" ")
        }
        _ => builtin(&words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "), &modifiers),
    };
    format!("{name}{suffix}")
}

/// Whether a routine argument written `wanted` (canonical) is the live argument `live`
/// (canonical): the same, or an unqualified name that the live, qualified type has.
pub fn same_type_unqualified(wanted: &str, live: &str) -> bool {
    if wanted == live {
        return true;
    }
    if wanted.contains("\".\"") || !live.starts_with('"') {
        return false;
    }
    let (wanted, live) = (split_array(wanted), split_array(live));
    if wanted.1 != live.1 {
        return false;
    }
    let bare = unquote(wanted.0);
    live.0.rsplit_once("\".\"").is_some_and(|(_, name)| unquote(&format!("\"{name}")) == bare)
}

fn split_array(t: &str) -> (&str, bool) {
    match t.strip_suffix("[]") {
        Some(base) => (base, true),
        None => (t, false),
    }
}

fn unquote(t: &str) -> String {
    match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => t.to_string(),
    }
}

/// `format_type`'s name for a built-in type written without schema (or a user type found
/// through the `search_path`, unchanged).
fn builtin(name: &str, modifiers: &[u32]) -> String {
    let t = match name {
        "int" | "int4" => "integer",
        "int2" => "smallint",
        "int8" => "bigint",
        "bool" => "boolean",
        "varchar" | "char varying" => "character varying",
        // `format_type` without a modifier writes `character` as its internal name.
        "char" | "character" => "bpchar",
        "float" if modifiers.first().is_some_and(|p| *p <= 24) => "real",
        "float" | "float8" => "double precision",
        "float4" => "real",
        "decimal" | "dec" => "numeric",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        "time" => "time without time zone",
        "timetz" => "time with time zone",
        "varbit" => "bit varying",
        other => other,
    };
    t.to_string()
}

#[derive(Clone, Debug)]
struct Word {
    text: String,
    quoted: bool,
}

#[derive(Clone, Debug)]
enum Token {
    /// A bare word (lower-cased, as PostgreSQL folds it) or a quoted one (as written).
    Word(Word),
    Dot,
    /// `(10, 2)`.
    Modifiers(Vec<u32>),
    /// `[]` or `[5]`.
    Array,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '"' => {
                chars.next();
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            s.push('"');
                        } else {
                            break;
                        }
                    } else {
                        s.push(c);
                    }
                }
                out.push(Token::Word(Word { text: s, quoted: true }));
            }
            '.' => {
                chars.next();
                out.push(Token::Dot);
            }
            '(' => {
                chars.next();
                let mut inside = String::new();
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                    inside.push(c);
                }
                out.push(Token::Modifiers(inside.split(',').filter_map(|n| n.trim().parse().ok()).collect()));
            }
            '[' => {
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
                out.push(Token::Array);
            }
            c if c.is_whitespace() || c == ']' || c == ')' => {
                chars.next();
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '"' | '.' | '(' | '[' | ']' | ')') {
                        break;
                    }
                    s.extend(c.to_lowercase());
                    chars.next();
                }
                out.push(Token::Word(Word { text: s, quoted: false }));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_take_their_format_type_names() {
        for (written, canonical) in [
            ("int", "integer"),
            ("INT4", "integer"),
            ("varchar(10)", "character varying"),
            ("numeric(10, 2)[]", "numeric[]"),
            ("double  precision", "double precision"),
            ("float(10)", "real"),
            ("timestamptz(3)", "timestamp with time zone"),
            ("timestamp(3) with time zone", "timestamp with time zone"),
            ("pg_catalog.int4", "integer"),
            ("char", "bpchar"),
            ("\"char\"", "\"char\""),
            ("\"any\"", "\"any\""),
            ("int[][]", "integer[]"),
        ] {
            assert_eq!(canonical_type(written), canonical, "{written}");
        }
    }

    #[test]
    fn user_types_are_qualified_and_quoted() {
        assert_eq!(canonical_type("app.mytype"), "\"app\".\"mytype\"");
        assert_eq!(canonical_type("\"app\".MyType"), "\"app\".\"mytype\"");
        assert_eq!(canonical_type("\"Sch ema\".\"my ty\"\"pe\"[]"), "\"Sch ema\".\"my ty\"\"pe\"[]");
        assert_eq!(canonical_type("mytype"), "mytype");
    }

    #[test]
    fn an_unqualified_name_matches_a_qualified_live_type() {
        assert!(same_type_unqualified("mytype", "\"app\".\"mytype\""));
        assert!(same_type_unqualified("mytype[]", "\"app\".\"mytype\"[]"));
        assert!(!same_type_unqualified("mytype", "\"app\".\"mytype\"[]"));
        assert!(!same_type_unqualified("\"public\".\"mytype\"", "\"app\".\"mytype\""));
        assert!(same_type_unqualified("\"My Type\"", "\"app\".\"My Type\""));
    }
}
