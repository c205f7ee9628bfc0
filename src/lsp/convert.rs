//! Positions and addresses: the protocol counts UTF-16 code units per line and names files by
//! URI; the compiler counts bytes and names files by path.

use gen_lsp_types::{Position, Range, Uri};

/// The LSP position of a byte offset (clamped to the text, rounded down to a character).
pub fn position(text: &str, starts: &[u32], offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = starts.partition_point(|s| (*s as usize) <= offset).max(1) - 1;
    let start = starts.get(line).copied().unwrap_or(0) as usize;
    let before = &text[start..offset];
    // Most lines are ASCII: one unit per byte, found without decoding.
    let character = if before.is_ascii() { before.len() } else { before.encode_utf16().count() };
    Position { line: line as u32, character: character as u32 }
}

/// The byte offset of an LSP position; a column past the end of its line is the line's end, a
/// line past the end of the text is the text's end.
pub fn offset(text: &str, starts: &[u32], pos: Position) -> usize {
    let Some(&start) = starts.get(pos.line as usize) else { return text.len() };
    let start = start as usize;
    let end = starts.get(pos.line as usize + 1).map(|s| *s as usize - 1).unwrap_or(text.len());
    let line = text[start..end].strip_suffix('\r').unwrap_or(&text[start..end]);
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= pos.character {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    start + line.len()
}

pub fn range(text: &str, starts: &[u32], r: std::ops::Range<usize>) -> Range {
    Range { start: position(text, starts, r.start), end: position(text, starts, r.end) }
}

/// The path of a `file:` URI (percent-decoded); any other URI stands for itself.
pub fn uri_to_path(uri: &Uri) -> String {
    let s = uri.as_ref();
    let Some(rest) = s.strip_prefix("file://") else { return s.to_string() };
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `file:` URI of an absolute path (percent-encoded); `None` for a path that is not a file
/// (the standard modules, `<std>/…`). A path that is not absolute is taken to be a URI already.
pub fn path_to_uri(path: &str) -> Option<Uri> {
    if path.starts_with("<std>") {
        return None;
    }
    if !path.starts_with('/') {
        return Some(Uri::from(path));
    }
    let mut s = String::from("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Some(Uri::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::render::line_starts;

    #[test]
    fn utf16_columns() {
        // `é` is one UTF-16 unit and two bytes; `😀` is two units and four bytes.
        let text = "// 😀\nrole café_ü {}\n";
        let starts = line_starts(text);
        let at = text.find("ü").unwrap();
        assert_eq!(position(text, &starts, at), Position { line: 1, character: 10 });
        assert_eq!(offset(text, &starts, Position { line: 1, character: 10 }), at);
        let after_emoji = text.find('\n').unwrap();
        assert_eq!(position(text, &starts, after_emoji), Position { line: 0, character: 5 });
        assert_eq!(offset(text, &starts, Position { line: 0, character: 5 }), after_emoji);
        assert_eq!(offset(text, &starts, Position { line: 0, character: 99 }), after_emoji);
        assert_eq!(offset(text, &starts, Position { line: 9, character: 0 }), text.len());
    }

    #[test]
    fn uris() {
        let uri = path_to_uri("/tmp/a b/café.role").unwrap();
        assert_eq!(uri.as_ref(), "file:///tmp/a%20b/caf%C3%A9.role");
        assert_eq!(uri_to_path(&uri), "/tmp/a b/café.role");
        assert_eq!(path_to_uri("<std>/base_roles.role"), None);
    }
}
