//! Where source text may hold a password, found by scanning the text (not by parsing it), so
//! that a line is masked even when the parser could not read it: an unterminated string after
//! `password`, or a statement with a syntax error beside the password.

use std::ops::Range;

/// Byte ranges of the password literals of `text`: what follows the keyword `password` (or
/// `password scram`) — a string literal with its quotes, the rest of the line when the string
/// is never closed, or a bare word. `password secret("ENV")` names a variable, not a secret.
/// Keywords are matched in any case, inside neither comments nor strings.
pub fn password_literals(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = block_comment_end(bytes, i),
            b'"' => i = string_end(bytes, i),
            c if is_word_byte(c) => {
                let end = word_end(bytes, i);
                if text[i..end].eq_ignore_ascii_case("password") {
                    if let Some(literal) = literal_after(text, end) {
                        i = literal.end;
                        out.push(literal);
                        continue;
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// The password literal after the keyword `password`, which ends at `from`.
fn literal_after(text: &str, from: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut start = skip_trivia(text, from);
    let next_word = |at: usize| &text[at..word_end(bytes, at)];
    if next_word(start).eq_ignore_ascii_case("scram") {
        start = skip_trivia(text, word_end(bytes, start));
    } else if next_word(start).eq_ignore_ascii_case("secret") {
        return None;
    }
    let end = match bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'}' | b'(' | b')' | b';' | b',' => return None,
        _ => {
            start
                + text[start..].find(|c: char| c.is_whitespace() || "{}();,".contains(c)).unwrap_or(text.len() - start)
        }
    };
    Some(start..end)
}

/// The end of the string literal opened at `start`: after its closing quote, or at the end of
/// the line when it is never closed.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    loop {
        match bytes.get(i) {
            None | Some(b'\n') | Some(b'\r') => return i.min(bytes.len()),
            Some(b'\\') => i += 2,
            Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
            Some(b'"') => return i + 1,
            Some(_) => i += 1,
        }
    }
}

/// Skips spaces, line breaks and comments.
fn skip_trivia(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
        } else if text[i..].starts_with("//") {
            i = line_end(bytes, i);
        } else if text[i..].starts_with("/*") {
            i = block_comment_end(bytes, i);
        } else {
            break;
        }
    }
    i
}

/// The end of the block comment opened at `start`; block comments nest, as in the grammar.
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let (mut depth, mut i) = (0usize, start);
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'/', Some(b'*')) => (depth, i) = (depth + 1, i + 2),
            (b'*', Some(b'/')) => {
                (depth, i) = (depth - 1, i + 2);
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p)
}

/// Letters, digits, `_`, and the bytes of non-ASCII characters (so a word never ends inside one).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn word_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().position(|&b| !is_word_byte(b)).map_or(bytes.len(), |p| i + p)
}

/// Whether `offset` lies in a password literal of `text`.
pub fn in_password_literal(text: &str, offset: usize) -> bool {
    password_literals(text).iter().any(|r| r.contains(&offset))
}

#[cfg(test)]
mod tests {
    use super::password_literals;

    proptest::proptest! {
        #[test]
        fn ranges_are_on_character_boundaries(text in "(password|scram|secret|\"|\\\\|/\\*|\\*/|//|\n| |é|x|\\{|\\()*") {
            for r in password_literals(&text) {
                assert!(r.start <= r.end && text.is_char_boundary(r.start) && text.is_char_boundary(r.end), "{text:?} {r:?}");
            }
        }
    }

    fn masked(text: &str) -> Vec<&str> {
        password_literals(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn string_scram_bare_and_unterminated_literals() {
        assert_eq!(masked(r#"user a { password "x\"y" }"#), [r#""x\"y""#]);
        assert_eq!(masked(r#"user a { password scram "S" connection limit x }"#), [r#""S""#]);
        assert_eq!(masked("user a { password \"SEKRIT\n}"), ["\"SEKRIT"]);
        assert_eq!(masked("user a { PASSWORD /* c */\n  hunter2; }"), ["hunter2"]);
        assert_eq!(masked("user a { password scram}"), Vec::<&str>::new());
    }

    #[test]
    fn secrets_comments_strings_and_longer_words_are_not_passwords() {
        assert_eq!(masked(r#"user a { password secret("PW") } // password "c""#), Vec::<&str>::new());
        assert_eq!(masked(r#"role "password" { comment "password x" } role password_x {}"#), Vec::<&str>::new());
        assert_eq!(masked("/* password \"c\" */ user é { password \"ü\" }"), ["\"ü\""]);
        // Comments nest: the quote in the comment opens no string.
        assert_eq!(masked("/* /* */ \" */ user a { password \"x\" }"), ["\"x\""]);
    }
}
