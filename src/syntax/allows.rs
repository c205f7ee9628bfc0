//! Inline allows: a line comment `// rolec: allow W042` (several codes: `W040, W042`) that
//! silences warnings. At the end of a line of code it covers that line; on a line of its own
//! it covers what comes next: the whole top-level item when one starts there (a role, a
//! schema, a policy…), otherwise the next line of code. A warning is silenced when its
//! primary location starts in what an allow of its code covers.
//!
//! Comments are not in the syntax tree (the grammar skips them), so they are found in the
//! text, outside strings and block comments.

use std::ops::Range;

/// One `// rolec: allow …` comment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Allow {
    /// The codes as written (`W042`), each with its byte range in the text.
    pub codes: Vec<(String, Range<usize>)>,
    /// The comment's byte range.
    pub comment: Range<usize>,
    /// The byte range of the text it covers.
    pub covers: Range<usize>,
}

/// What marks a comment as an allow: `// rolec: allow`, spaces optional around `rolec:`.
const MARK: &str = "rolec:";

/// Every allow of a file. `items` are the absolute byte ranges of its top-level items.
pub fn allows(text: &str, items: &[Range<usize>]) -> Vec<Allow> {
    if !text.contains(MARK) {
        return Vec::new();
    }
    line_comments(text)
        .into_iter()
        .filter_map(|c| {
            let codes = codes(text, c.clone())?;
            let line_start = text[..c.start].rfind('\n').map_or(0, |i| i + 1);
            let covers = if text[line_start..c.start].trim().is_empty() {
                let next = next_code(text, c.end);
                match items.iter().find(|r| r.start == next) {
                    Some(item) => item.clone(),
                    None => next..text[next..].find('\n').map_or(text.len(), |i| next + i),
                }
            } else {
                line_start..c.start
            };
            Some(Allow { codes, comment: c, covers })
        })
        .collect()
}

/// The codes of an allow comment (`// rolec: allow W040, W042 reason…`), `None` if it is
/// not one. The codes are the leading words shaped as a code (a letter and digits); the
/// rest is the reason, free text. An allow without a code has none.
fn codes(text: &str, comment: Range<usize>) -> Option<Vec<(String, Range<usize>)>> {
    let body = &text[comment.clone()];
    let rest = body.strip_prefix("//")?.trim_start().strip_prefix(MARK)?.trim_start().strip_prefix("allow")?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None; // `allowed`, …
    }
    let base = comment.end - rest.len();
    let mut codes = Vec::new();
    let mut offset = 0;
    for part in rest.split([',', ' ', '\t']) {
        let code_shaped = part.len() > 1
            && part.starts_with(|c: char| c.is_ascii_alphabetic())
            && part[1..].bytes().all(|b| b.is_ascii_digit());
        if code_shaped {
            codes.push((part.to_string(), base + offset..base + offset + part.len()));
        } else if !part.is_empty() {
            break;
        }
        offset += part.len() + 1;
    }
    Some(codes)
}

/// The byte ranges of the `//` comments (not `///` doc comments) of a text, outside strings
/// and block comments, each to the end of its line.
fn line_comments(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut block_depth = 0;
    while i < bytes.len() {
        let two = &bytes[i..(i + 2).min(bytes.len())];
        if block_depth > 0 {
            match two {
                b"/*" => (block_depth, i) = (block_depth + 1, i + 2),
                b"*/" => (block_depth, i) = (block_depth - 1, i + 2),
                _ => i += 1,
            }
            continue;
        }
        match two {
            b"/*" => (block_depth, i) = (1, i + 2),
            b"//" => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                if !is_doc_comment(&text[i..]) {
                    out.push(i..end);
                }
                i = end;
            }
            [b'"', ..] => i = string_end(bytes, i + 1),
            _ => i += 1,
        }
    }
    out
}

/// Where a string that opened before `i` ends: after its closing quote (a doubled `""` and a
/// `\`-escaped character stay inside), or at the end of the line.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' if bytes.get(i + 1) == Some(&b'"') => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Whether a text starts with a doc comment: `///`, but not `////` (a plain one again).
fn is_doc_comment(text: &str) -> bool {
    text.starts_with("///") && !text.starts_with("////")
}

/// The start of the next code after `from`: past whitespace and `//` comments.
fn next_code(text: &str, mut from: usize) -> usize {
    loop {
        let rest = &text[from..];
        let trimmed = rest.trim_start();
        from += rest.len() - trimmed.len();
        if trimmed.starts_with("//") && !is_doc_comment(trimmed) {
            from += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_and_covered(text: &str, items: &[Range<usize>]) -> Vec<(Vec<String>, String)> {
        allows(text, items)
            .into_iter()
            .map(|a| (a.codes.into_iter().map(|(c, _)| c).collect(), text[a.covers].to_string()))
            .collect()
    }

    #[test]
    fn at_the_end_of_a_line_it_covers_the_line() {
        let text = "role r {\n  grant select on table t // rolec: allow W042\n}\n";
        assert_eq!(codes_and_covered(text, &[]), vec![(vec!["W042".to_string()], "  grant select on table t ".into())]);
    }

    #[test]
    fn on_its_own_line_it_covers_the_item_or_the_next_line() {
        let text =
            "// rolec: allow W040, W042\n// why\nrole r {\n  x\n}\nrole s {\n  // rolec: allow W041\n  y\n  z\n}\n";
        let r = text.find("role r").unwrap();
        let s = text.find("role s").unwrap();
        let items = [r..s - 1, s..text.len() - 1];
        assert_eq!(
            codes_and_covered(text, &items),
            vec![
                (vec!["W040".to_string(), "W042".to_string()], "role r {\n  x\n}".into()),
                (vec!["W041".to_string()], "y".into())
            ]
        );
    }

    #[test]
    fn not_in_strings_block_comments_or_doc_comments() {
        for text in [
            "role r { comment \"// rolec: allow W040\" }\n",
            "role r { comment \"a\"\"// rolec: allow W040\" }\n",
            "/* // rolec: allow W040 */ role r {}\n",
            "/// rolec: allow W040\nrole r {}\n",
            "// rolec: allowed W040\nrole r {}\n",
            "// rolec allow W040\nrole r {}\n",
        ] {
            assert_eq!(codes_and_covered(text, &[]), vec![], "{text}");
        }
    }

    #[test]
    fn codes_then_a_reason() {
        let text = "//rolec:allow W040,W041  W042 kept for the audit, see W001\n//  rolec: allow\nrole r {}\n";
        let found = codes_and_covered(text, &[]);
        assert_eq!(found[0].0, ["W040", "W041", "W042"]);
        assert!(found[1].0.is_empty(), "an allow without a code: {found:?}");
        let a = &allows(text, &[])[0];
        assert!(a.codes.iter().all(|(c, r)| &text[r.clone()] == c));
    }
}
