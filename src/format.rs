//! `rolec fmt`: one canonical layout for `.role` files.
//!
//! The formatter changes whitespace only: it never joins or splits lines, never touches the
//! inside of strings and comments, and so cannot change what a policy means. Per line it
//! sets the indentation (two spaces per open `{`, one more level inside a bracket or after a
//! trailing comma) and the spacing between tokens; blank lines collapse to one.

/// Formats a whole file. Idempotent: `format(&format(x)) == format(x)`.
pub fn format(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut depth: usize = 0;
    let mut brackets: usize = 0;
    let mut in_block_comment = false;
    let mut continues = false;
    for raw in text.lines() {
        if in_block_comment {
            // Inside `/* … */`: kept as written, up to and including the line that closes it.
            out.push(raw.trim_end().to_string());
            in_block_comment = !raw.contains("*/");
            continue;
        }
        let line = tokenize(raw.trim());
        if line.tokens.is_empty() && line.comment.is_none() {
            out.push(String::new());
            continues = false;
            continue;
        }
        let closers = line.tokens.iter().take_while(|t| **t == Token::Punct('}')).count();
        let level = depth.saturating_sub(closers) + usize::from(brackets > 0 || continues);
        let mut text = "  ".repeat(level);
        text.push_str(&join(&line.tokens));
        if let Some(comment) = &line.comment {
            if !line.tokens.is_empty() {
                text.push_str("  ");
            }
            text.push_str(comment);
        }
        out.push(text.trim_end().to_string());
        for t in &line.tokens {
            match t {
                Token::Punct('{') => depth += 1,
                Token::Punct('}') => depth = depth.saturating_sub(1),
                Token::Punct('[' | '(') => brackets += 1,
                Token::Punct(']' | ')') => brackets = brackets.saturating_sub(1),
                _ => {}
            }
        }
        continues = brackets == 0 && line.tokens.last() == Some(&Token::Punct(','));
        in_block_comment = line.opens_block_comment;
    }
    collapse_blank_lines(out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// A name, keyword, number, duration, timestamp, address or glob, as written.
    Word(String),
    /// A double-quoted string, as written (escapes included).
    Str(String),
    Punct(char),
}

struct Line {
    tokens: Vec<Token>,
    /// A trailing `// …` comment, or the start of a `/* …` comment, as written.
    comment: Option<String>,
    opens_block_comment: bool,
}

const PUNCT: &[char] = &['{', '}', '[', ']', '(', ')', ',', ';', '='];

fn tokenize(line: &str) -> Line {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if line[at..].starts_with("//") {
            return Line { tokens, comment: Some(line[at..].trim_end().to_string()), opens_block_comment: false };
        } else if line[at..].starts_with("/*") {
            // A block comment: kept whole when it ends on this line, else the rest of the line.
            match line[at + 2..].find("*/") {
                Some(end) => {
                    let end = at + 2 + end + 2;
                    tokens.push(Token::Word(line[at..end].to_string()));
                    while i < chars.len() && chars[i].0 < end {
                        i += 1;
                    }
                }
                None => {
                    return Line { tokens, comment: Some(line[at..].trim_end().to_string()), opens_block_comment: true }
                }
            }
        } else if c == '"' {
            let start = at;
            i += 1;
            while i < chars.len() {
                match chars[i].1 {
                    '\\' => i += 2,
                    '"' if chars.get(i + 1).is_some_and(|x| x.1 == '"') => i += 2,
                    '"' => {
                        i += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
            let end = chars.get(i).map(|x| x.0).unwrap_or(line.len());
            tokens.push(Token::Str(line[start..end].to_string()));
        } else if PUNCT.contains(&c) || is_colon(&chars, i) {
            tokens.push(Token::Punct(c));
            i += 1;
        } else {
            let start = at;
            while i < chars.len()
                && !chars[i].1.is_whitespace()
                && !PUNCT.contains(&chars[i].1)
                && !is_colon(&chars, i)
                && chars[i].1 != '"'
                && !line[chars[i].0..].starts_with("//")
                && !line[chars[i].0..].starts_with("/*")
            {
                i += 1;
            }
            let end = chars.get(i).map(|x| x.0).unwrap_or(line.len());
            tokens.push(Token::Word(line[start..end].to_string()));
        }
    }
    Line { tokens, comment: None, opens_block_comment: false }
}

/// A `:` that separates (`role x: t()`, `s: schema`): one followed by a space or the end of
/// the line. Inside timestamps and IPv6 addresses a `:` is part of the word.
fn is_colon(chars: &[(usize, char)], i: usize) -> bool {
    chars[i].1 == ':' && chars.get(i + 1).is_none_or(|c| c.1.is_whitespace())
}

/// Words that take a space before `(`: `column (a, b) of table t`.
const SPACE_BEFORE_PAREN: &[&str] = &["column", "columns"];

fn join(tokens: &[Token]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 && space_between(&tokens[i - 1], t) {
            out.push(' ');
        }
        match t {
            Token::Word(w) | Token::Str(w) => out.push_str(w),
            Token::Punct(c) => out.push(*c),
        }
    }
    out
}

fn space_between(a: &Token, b: &Token) -> bool {
    match (a, b) {
        (_, Token::Punct(',' | ';' | ')' | ']' | ':')) => false,
        (Token::Punct('(' | '['), _) => false,
        (Token::Punct('{'), Token::Punct('}')) => false,
        (Token::Word(w), Token::Punct('(')) => SPACE_BEFORE_PAREN.contains(&w.as_str()),
        // A qualified name with a quoted part: `"Sch ema".g`, `app."T"`, `"a"."b"`.
        (Token::Str(_), Token::Word(w)) if w.starts_with('.') => false,
        (Token::Word(w), Token::Str(_)) if w.ends_with('.') => false,
        _ => true,
    }
}

/// At most one blank line in a row, none at the start or the end, a final newline.
fn collapse_blank_lines(lines: Vec<String>) -> String {
    let mut out = String::new();
    let mut blank = false;
    for l in lines {
        if l.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn canonical_layout() {
        let messy = "\n\n/// Doc.\nrole   a{\n      member of b ,c   // why\n grant select on column(x,y) of table app.t\n\n\n\n  set search_path=[ app,\n public ]\n}\ntemplate t (s : schema) { use reader( s ) ; grant usage on schema s }\nrole x: t(\"app\")\nrole e {   }\n/* a\n   block */\nuser \"q\"\"x\" {member of a,\nb}\n\n";
        let want = "/// Doc.\nrole a {\n  member of b, c  // why\n  grant select on column (x, y) of table app.t\n\n  set search_path = [app,\n    public]\n}\ntemplate t(s: schema) { use reader(s); grant usage on schema s }\nrole x: t(\"app\")\nrole e {}\n/* a\n   block */\nuser \"q\"\"x\" { member of a,\n    b }\n";
        assert_eq!(format(messy), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn qualified_names_with_quoted_parts_stay_joined() {
        let text = "role a {\n  grant execute on function \"Sch ema\".g(\"Sch ema\".\"my ty\"\"pe\", app.\"T\")\n}\n";
        assert_eq!(format(text), text);
    }

    #[test]
    fn strings_and_comments_are_untouched() {
        let text = "role a {\n  comment \"  two  spaces, {braces} // not a comment \\\" \"  // a  comment ,\n}\n";
        assert_eq!(format(text), text);
    }
}
