//! Names, values and strings (escapes and `{var}` interpolation).

use pest::iterators::Pair;

use super::{child, children, choice, Builder, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::*;
use crate::syntax::MAX_DEPTH;

impl Builder<'_> {
    pub(super) fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident { span: self.span(&p), text: p.as_str().to_string() }
    }

    pub(super) fn uint(&mut self, p: Pair<'_, Rule>) -> u64 {
        match p.as_str().parse() {
            Ok(v) => v,
            Err(_) => {
                self.syntax(self.span(&p), "this number is too large");
                u64::MAX
            }
        }
    }

    /// A `name` pair, or the `quoted` or `ident` pair inside one.
    pub(super) fn name(&mut self, p: Pair<'_, Rule>) -> Option<Name> {
        let span = self.span(&p);
        let c = if p.as_rule() == Rule::name { choice(p)? } else { p };
        let kind = match c.as_rule() {
            Rule::quoted | Rule::string => NameKind::Quoted(self.template(c)?),
            _ => NameKind::Bare(c.as_str().to_string()),
        };
        Some(Name { span, kind })
    }

    /// A `qname` pair: a name, after its schema if it has one.
    pub(super) fn qname(&mut self, p: Pair<'_, Rule>) -> Option<QName> {
        let span = self.span(&p);
        let mut names: Vec<Name> = children(&p, Rule::name).map(|n| self.name(n)).collect::<Option<_>>()?;
        let name = names.pop()?;
        Some(QName { span, schema: names.pop(), name })
    }

    /// A `value` pair, or one of its alternatives.
    pub(super) fn value(&mut self, p: Pair<'_, Rule>) -> Option<Value> {
        let span = self.span(&p);
        let c = if p.as_rule() == Rule::value { choice(p)? } else { p };
        let kind = match c.as_rule() {
            Rule::list if self.depth >= MAX_DEPTH => {
                self.too_deep(span, "lists");
                ValueKind::List(Vec::new())
            }
            Rule::list => {
                self.depth += 1;
                let values: Option<Vec<Value>> = children(&c, Rule::value).map(|v| self.value(v)).collect();
                self.depth -= 1;
                ValueKind::List(values?)
            }
            Rule::duration => ValueKind::Duration(c.as_str().to_string()),
            Rule::timestamp => ValueKind::Timestamp(c.as_str().to_string()),
            Rule::int_value => match c.as_str().parse() {
                Ok(v) => ValueKind::Int(v),
                Err(_) => {
                    self.syntax(span, "this number is too large");
                    ValueKind::Int(0)
                }
            },
            Rule::string => ValueKind::Str(self.template(c)?),
            Rule::ident => ValueKind::Word(self.ident(c)),
            _ => return None,
        };
        Some(Value { span, kind })
    }

    /// PostgreSQL cannot store a NUL character in a name or any other text; `\0` is not an
    /// escape (it would otherwise read as a plain `0`).
    fn nul(&mut self, span: Span) {
        self.diags.push(
            Diagnostic::new(Code::InvalidValue, span, "a string cannot contain a NUL character")
                .label("NUL character")
                .help("PostgreSQL cannot store `\\0` in a name or a value: remove it"),
        );
    }

    /// A string with escapes (`\"` or `""`, `\\`, `\n`, `\t`, `\r`, `\u{HEX}`, `\{`, `\}`) and `{var}`
    /// interpolations.
    pub(super) fn template(&mut self, p: Pair<'_, Rule>) -> Option<Template> {
        let span = self.span(&p);
        let inner_pair = child(&p, Rule::string_inner)?;
        let raw = inner_pair.as_str();
        let start = inner_pair.as_span().start();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = raw.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\\' => match chars.next() {
                    Some((_, 'n')) => lit.push('\n'),
                    Some((_, 't')) => lit.push('\t'),
                    Some((_, 'r')) => lit.push('\r'),
                    Some((_, 'u')) if chars.peek().is_some_and(|&(_, c)| c == '{') => {
                        chars.next();
                        let mut hex = String::new();
                        let mut end = None;
                        for (j, c) in chars.by_ref() {
                            if c == '}' {
                                end = Some(j + 1);
                                break;
                            }
                            hex.push(c);
                        }
                        let span = self.span_of(start + i, start + end.unwrap_or(raw.len()));
                        let code = end.and(u32::from_str_radix(&hex, 16).ok()).filter(|_| (1..=6).contains(&hex.len()));
                        match code.map(char::from_u32) {
                            Some(Some('\0')) => self.nul(span),
                            Some(Some(c)) => lit.push(c),
                            _ => self.diags.push(
                                Diagnostic::new(Code::InvalidValue, span, "expected a Unicode character as `\\u{HEX}`")
                                    .label("not a character")
                                    .help("write one to six hexadecimal digits of a Unicode scalar value, such as `\\u{1b}`"),
                            ),
                        }
                    }
                    Some((_, c @ ('0' | '\0'))) => self.nul(self.span_of(start + i, start + i + 1 + c.len_utf8())),
                    Some((_, c)) => lit.push(c),
                    None => {}
                },
                '\0' => self.nul(self.span_of(start + i, start + i + 1)),
                '"' => {
                    chars.next(); // `""` inside a string is one `"`, as in SQL
                    lit.push('"');
                }
                '{' => {
                    let mut var = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        var.push(c);
                    }
                    let vspan = self.span_of(start + i, start + i + var.len() + 2);
                    let valid = !var.is_empty() && var.chars().all(|c| c.is_alphanumeric() || c == '_');
                    if !closed || !valid {
                        self.diags.push(
                            Diagnostic::new(
                                Code::Syntax,
                                vspan,
                                "expected a variable name and `}` after `{` in a string",
                            )
                            .label("interpolation")
                            .help("write `\\{` for a literal brace"),
                        );
                        continue;
                    }
                    if !lit.is_empty() {
                        parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(StrPart::Var(Ident {
                        span: self.span_of(start + i + 1, start + i + 1 + var.len()),
                        text: var,
                    }));
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() || parts.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Some(Template { span, parts })
    }
}

pub(super) fn parse_attribute(word: &str) -> Attribute {
    let (on, base) = match word.strip_prefix("no") {
        Some(rest) => (false, rest),
        None => (true, word),
    };
    let kind = match base {
        "login" => AttributeKind::Login,
        "superuser" => AttributeKind::Superuser,
        "createdb" => AttributeKind::Createdb,
        "createrole" => AttributeKind::Createrole,
        "replication" => AttributeKind::Replication,
        "bypassrls" => AttributeKind::Bypassrls,
        _ => AttributeKind::Inherit,
    };
    Attribute { kind, on }
}

pub(super) fn doc_text(p: &Pair<'_, Rule>) -> String {
    let s = p.as_str().trim_end_matches(['\n', '\r']);
    let s = s.strip_prefix("///").unwrap_or(s);
    s.strip_prefix(' ').unwrap_or(s).to_string()
}

/// The literal text of a template without interpolations (imports take no variables).
pub(super) fn literal_text(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            StrPart::Lit(s) => s.clone(),
            StrPart::Var(v) => format!("{{{}}}", v.text),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Code;
    use crate::syntax::{parse, FileId};

    #[test]
    fn a_nul_character_in_a_string_is_refused_where_it_stands() {
        for (text, column) in
            [("role \"a\0b\" {}\n", 7), ("role \"a\\0b\" {}\n", 7), ("role r { comment \"\\\0\" }\n", 18)]
        {
            let parsed = parse(text, FileId(0));
            let codes: Vec<(Code, u32)> = parsed.diagnostics.iter().map(|d| (d.code, d.primary.span.start)).collect();
            assert_eq!(codes.len(), 1, "{text:?}: {codes:?}");
            assert_eq!(codes[0].0, Code::InvalidValue, "{text:?}");
            assert_eq!(
                &text[column as usize..column as usize + 1],
                if text.contains("\\") { "\\" } else { "\0" },
                "{text:?}: {codes:?}"
            );
        }
    }

    #[test]
    fn unicode_escapes_read_a_character_or_are_refused_where_they_stand() {
        let name = |text: &str| format!("{:?}", parse(text, FileId(0)).ast);
        assert!(name("role \"a\\u{1b}b\\rc\" {}\n").contains(r#""a\u{1b}b\rc""#));
        // `\u` without a brace is still the letter, as any other escaped character.
        assert!(name("role \"\\uv\" {}\n").contains(r#""uv""#));
        for text in [
            "role \"a\\u{}\" {}\n",
            "role \"a\\u{110000}\" {}\n",
            "role \"a\\u{d800}\" {}\n",
            "role \"a\\u{zz}\" {}\n",
            "role \"a\\u{1b\" {}\n",
            "role \"a\\u{0}\" {}\n",
        ] {
            let parsed = parse(text, FileId(0));
            let found: Vec<(Code, u32)> = parsed.diagnostics.iter().map(|d| (d.code, d.primary.span.start)).collect();
            assert_eq!(found, vec![(Code::InvalidValue, 7)], "{text:?}");
        }
    }
}
