//! Renderers: human (as ariadne draws reports, see [`super::human`]), JSON and GitHub
//! annotations. All take a [`SourceMap`] to turn spans into positions; none shows text under a
//! redacted span.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::human;
use super::text::{is_unprintable, FileId, Span};
use super::{Diagnostic, Severity};

/// Where spans point: implemented by the workspace.
pub trait SourceMap {
    fn path(&self, file: FileId) -> String;
    fn text(&self, file: FileId) -> &str;
    /// Absolute byte range of a span in its file's text.
    fn range(&self, span: Span) -> std::ops::Range<usize>;
    /// 1-based line and column (in characters) of a byte offset; implementations with a line
    /// index answer without scanning the file.
    fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        line_col(self.text(file), offset)
    }
}

/// 1-based line and column (in characters) of a byte offset, by scanning the text.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    line_col_indexed(text, &line_starts(text), offset)
}

/// Byte offsets at which the lines of `text` start.
pub fn line_starts(text: &str) -> Vec<u32> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1)).collect()
}

/// [`line_col`] with the line starts computed once per file.
pub fn line_col_indexed(text: &str, starts: &[u32], offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line = starts.partition_point(|s| (*s as usize) <= offset).max(1);
    let start = starts[line - 1] as usize;
    let col = text[start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `path:line:column` of a span's start.
pub fn location(map: &dyn SourceMap, span: Span) -> String {
    let (line, col) = map.line_col(span.file, map.range(span).start);
    format!("{}:{line}:{col}", map.path(span.file))
}

/// Human-readable reports, as a terminal shows them. A range redacted by any diagnostic (a
/// plaintext password, say) is masked in every report, since several can show the same line,
/// and so is every password literal ([`super::secrets::password_literals`]).
pub fn human(diagnostics: &[Diagnostic], map: &dyn SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    let _ = write_human(diagnostics, map, color, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Reports rendered at a time by one thread of [`write_human`]: enough to keep the threads
/// busy, few enough that what waits to be written stays small.
const REPORTS_PER_CHUNK: usize = 256;

/// [`human`], written to `w` as the reports are rendered, on every core, in order: a large
/// policy's reports are never held in memory all at once.
pub fn write_human(
    diagnostics: &[Diagnostic],
    map: &dyn SourceMap,
    color: bool,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // The texts of every file a report shows, masked once; ariadne's line index is built once
    // per file for all reports (and all threads).
    let mut texts: HashMap<FileId, (String, String)> = HashMap::new();
    for d in diagnostics {
        for span in std::iter::once(&d.primary.span).chain(d.secondary.iter().map(|l| &l.span)) {
            texts.entry(span.file).or_insert_with(|| (map.path(span.file), map.text(span.file).to_string()));
        }
    }
    for r in diagnostics.iter().flat_map(|d| d.redact.iter()) {
        if let Some((_, text)) = texts.get_mut(&r.file) {
            mask(text, map.range(*r));
        }
    }
    // Every password literal too, found in the text itself: the line of a syntax error may hold
    // one the parser could not read.
    for (_, text) in texts.values_mut() {
        for r in super::secrets::password_literals(text) {
            mask(text, r);
        }
        *text = terminal_safe_source(std::mem::take(text));
    }
    // Where each label is, found here: the source map need not be shared between threads.
    let ranges: Vec<Vec<std::ops::Range<usize>>> = diagnostics
        .iter()
        .map(|d| {
            std::iter::once(&d.primary.span)
                .chain(d.secondary.iter().map(|l| &l.span))
                .map(|span| clamp(map.range(*span), &texts[&span.file].1))
                .collect()
        })
        .collect();
    // Each file's lines are indexed once, for all reports (and all threads).
    let files: HashMap<FileId, human::File> =
        texts.into_iter().map(|(id, (path, text))| (id, human::File::new(path, text))).collect();
    // The largest chunk rendered so far: the room the next one starts with, so that its bytes are
    // not copied over and over as it grows.
    let largest_chunk = std::sync::atomic::AtomicUsize::new(0);
    let render = |chunk: usize| -> Vec<u8> {
        let mut out = Vec::with_capacity(largest_chunk.load(std::sync::atomic::Ordering::Relaxed));
        let start = chunk * REPORTS_PER_CHUNK;
        let end = (start + REPORTS_PER_CHUNK).min(diagnostics.len());
        for (d, ranges) in diagnostics[start..end].iter().zip(&ranges[start..end]) {
            render_report(d, ranges, &files, color, &mut out);
        }
        largest_chunk.fetch_max(out.len(), std::sync::atomic::Ordering::Relaxed);
        out
    };
    let chunks = diagnostics.len().div_ceil(REPORTS_PER_CHUNK);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(chunks);
    if threads < 2 {
        for chunk in 0..chunks {
            w.write_all(&render(chunk))?;
        }
        return Ok(());
    }
    // The threads take the chunks in order; this one writes each as soon as those before it are
    // written.
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel::<(usize, Vec<u8>)>();
        for _ in 0..threads {
            let (send, next, render) = (send.clone(), &next, &render);
            scope.spawn(move || loop {
                let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // A closed channel: the writer failed, nothing more is wanted.
                if chunk >= chunks || send.send((chunk, render(chunk))).is_err() {
                    break;
                }
            });
        }
        drop(send);
        let mut waiting: std::collections::BTreeMap<usize, Vec<u8>> = std::collections::BTreeMap::new();
        let mut written = 0;
        for (chunk, bytes) in receive {
            waiting.insert(chunk, bytes);
            while let Some(bytes) = waiting.remove(&written) {
                w.write_all(&bytes)?;
                written += 1;
            }
        }
        Ok(())
    })
}

/// One report, its labels at `ranges` (the primary label's first, then the secondary ones').
fn render_report(
    d: &Diagnostic,
    ranges: &[std::ops::Range<usize>],
    files: &HashMap<FileId, human::File>,
    color: bool,
    out: &mut Vec<u8>,
) {
    let primary = &files[&d.primary.span.file];
    let message = terminal_safe(&d.message);
    let messages: Vec<Cow<str>> =
        std::iter::once(&d.primary).chain(&d.secondary).map(|l| terminal_safe(&l.message)).collect();
    let help = d.help.as_deref().map(terminal_safe);
    // ariadne starts a new group (under a header repeating the primary location) whenever a
    // label lies above the previous one, so labels are drawn in file and line order.
    let mut labels: Vec<human::Label> = std::iter::once(&d.primary)
        .chain(&d.secondary)
        .zip(ranges)
        .zip(&messages)
        .map(|((l, range), message)| human::Label { file: &files[&l.span.file], range: range.clone(), message })
        .collect();
    labels.sort_by(|a, b| {
        (a.file.path != primary.path, &a.file.path, a.range.start).cmp(&(
            b.file.path != primary.path,
            &b.file.path,
            b.range.start,
        ))
    });
    let report = human::Report {
        severity: d.severity(),
        code: d.code.as_str(),
        message: &message,
        primary: (primary, ranges[0].start),
        labels,
        help: help.as_deref(),
    };
    human::write(&report, color, out);
}

/// A message as a terminal may show it: a control character (an escape sequence or a line break
/// in a role name, say) is written `\u{1b}`, so that a name can neither rewrite the terminal nor
/// forge a line of the report. Most messages have none, and are not copied.
fn terminal_safe(message: &str) -> Cow<'_, str> {
    if has_unprintable(message) {
        Cow::Owned(escape_controls(message, false))
    } else {
        Cow::Borrowed(message)
    }
}

/// A message of several lines (a command's error or warning) as a terminal may show it: as
/// [`terminal_safe`], but its own line breaks and tabs are kept.
pub fn terminal_lines(message: &str) -> String {
    escape_controls(message, true)
}

/// Whether `text` has a character [`is_unprintable`].
fn has_unprintable(text: &str) -> bool {
    has_unprintable_but(text, |_| false)
}

/// Whether `text` has a character [`is_unprintable`] other than the C0 controls `kept` allows.
/// Each such character has a byte below `0x20`, `0x7f`, `0xc2` (the C1 controls are `c2 80` to
/// `c2 9f`) or `0xa8`/`0xa9` (U+2028 and U+2029 are `e2 80 a8` and `e2 80 a9`): a text without
/// any such byte, the common case, is passed over a block of bytes at a time without reading its
/// characters.
fn has_unprintable_but(text: &str, kept: impl Fn(u8) -> bool) -> bool {
    let suspect = |b: u8| (b < 0x20 && !kept(b)) || b == 0x7f || b == 0xc2 || b == 0xa8 || b == 0xa9;
    text.as_bytes().chunks(64).any(|block| block.iter().fold(false, |found, &b| found | suspect(b)))
        && text.chars().any(|c| is_unprintable(c) && !(c.is_ascii() && kept(c as u8)))
}

fn escape_controls(message: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if keep_lines && matches!(c, '\n' | '\t') {
            out.push(c);
        } else if is_unprintable(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A source text as a command may print it (`rolec fmt --diff`): every password literal
/// masked, control characters other than line breaks and tabs shown as `?`, byte for byte.
pub fn printable_source(text: &str) -> String {
    let mut text = text.to_string();
    for r in super::secrets::password_literals(&text) {
        mask(&mut text, r);
    }
    terminal_safe_source(text)
}

/// A source text as the report shows its lines: control characters other than line breaks and
/// tabs become `?` (one per byte, so that every offset into the text stays valid).
fn terminal_safe_source(text: String) -> String {
    if !has_unprintable_but(&text, |b| matches!(b, b'\n' | b'\r' | b'\t')) {
        return text;
    }
    text.chars()
        .flat_map(|c| {
            let shown = if is_unprintable_in_source(c) { '?' } else { c };
            std::iter::repeat_n(shown, if shown == c { 1 } else { c.len_utf8() })
        })
        .collect()
}

/// A character [`terminal_safe_source`] replaces: a control character other than a line break or
/// a tab.
fn is_unprintable_in_source(c: char) -> bool {
    is_unprintable(c) && !matches!(c, '\n' | '\r' | '\t')
}

fn clamp(r: std::ops::Range<usize>, text: &str) -> std::ops::Range<usize> {
    let start = floor_char_boundary(text, r.start.min(text.len()));
    let end = floor_char_boundary(text, r.end.min(text.len())).max(start);
    start..end
}

/// Replaces the characters of `range` with `*`, keeping byte length and line breaks.
fn mask(text: &mut String, range: std::ops::Range<usize>) {
    let range = clamp(range, text);
    let masked: String = text[range.clone()].chars().map(|c| if c == '\n' { c } else { '*' }).collect();
    // Multi-byte characters become several `*`, so offsets after the range stay valid.
    let masked: String = masked
        .chars()
        .zip(text[range.clone()].chars())
        .flat_map(|(m, c)| std::iter::repeat_n(m, c.len_utf8()))
        .collect();
    text.replace_range(range, &masked);
}

#[derive(Serialize)]
struct JsonLabel {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: String,
}

/// One diagnostic of the JSON output.
#[derive(Serialize)]
pub struct JsonDiagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: String,
    related: Vec<JsonLabel>,
    help: Option<String>,
}

fn json_label(map: &dyn SourceMap, span: Span, message: &str) -> JsonLabel {
    let r = map.range(span);
    let (line, column) = map.line_col(span.file, r.start);
    let (end_line, end_column) = map.line_col(span.file, r.end);
    JsonLabel { file: map.path(span.file), line, column, end_line, end_column, message: message.to_string() }
}

/// One JSON array of diagnostics, with 1-based lines and columns.
pub fn json(diagnostics: &[Diagnostic], map: &dyn SourceMap) -> serde_json::Value {
    serde_json::to_value(json_records(diagnostics, map)).unwrap_or_default()
}

/// The records of [`json`], to write with [`write_json_document`].
pub fn json_records(diagnostics: &[Diagnostic], map: &dyn SourceMap) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let p = json_label(map, d.primary.span, &d.primary.message);
            JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity(),
                message: d.message.clone(),
                file: p.file,
                line: p.line,
                column: p.column,
                end_line: p.end_line,
                end_column: p.end_column,
                label: p.message,
                related: d.secondary.iter().map(|l| json_label(map, l.span, &l.message)).collect(),
                help: d.help.clone(),
            }
        })
        .collect()
}

/// The versioned JSON document of diagnostics, `{"diagnostics": [...], "format": FORMAT}`,
/// pretty-printed to `w`. The text is the one `serde_json::to_string_pretty` gives of the
/// document built whole as a `Value` (keys sorted), but only one record at a time is a `Value`:
/// a large policy's tens of thousands of reports never sit in memory as one.
pub fn write_json_document(format: &str, records: &[JsonDiagnostic], w: impl std::io::Write) -> serde_json::Result<()> {
    /// The records as an array, each turned into a `Value` only as it is written.
    struct Records<'a>(&'a [JsonDiagnostic]);
    impl Serialize for Records<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            // Through a `Value`, whose keys are sorted, as in the document built whole.
            serializer.collect_seq(self.0.iter().map(|r| serde_json::to_value(r).unwrap_or_default()))
        }
    }
    /// Its fields in the order of a sorted map's keys, as in the document built whole.
    #[derive(Serialize)]
    struct Document<'a> {
        diagnostics: Records<'a>,
        format: &'a str,
    }
    serde_json::to_writer_pretty(w, &Document { diagnostics: Records(records), format })
}

/// GitHub Actions workflow commands (`::error file=…,line=…::message`).
pub fn github(diagnostics: &[Diagnostic], map: &dyn SourceMap) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let p = json_label(map, d.primary.span, "");
        let level = if d.is_error() { "error" } else { "warning" };
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&p.file),
            p.line,
            p.column,
            p.end_line,
            p.end_column,
            d.code,
            escape_data(&message)
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `file:line:col: error[E002]: message` — one line per diagnostic.
pub fn concise(diagnostics: &[Diagnostic], map: &dyn SourceMap) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let level = if d.is_error() { "error" } else { "warning" };
            format!("{}: {level}[{}]: {}\n", location(map, d.primary.span), d.code, d.message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with the characters the escaping looks for among ordinary ones.
    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("([a-z `→é中\t\n\r]|\u{1b}|\u{7f}|\u{85}|\u{9f}|\u{2028}|\u{2029}|\u{0})*")
            .unwrap()
    }

    proptest::proptest! {
        #[test]
        fn unprintable_characters_are_found_by_their_bytes(text in text(), any in ".*") {
            proptest::prop_assert_eq!(has_unprintable(&text), text.chars().any(is_unprintable));
            proptest::prop_assert_eq!(has_unprintable(&any), any.chars().any(is_unprintable));
        }

        #[test]
        fn a_message_is_escaped_character_by_character(message in text()) {
            let escaped: String = message
                .chars()
                .map(|c| if is_unprintable(c) { format!("\\u{{{:x}}}", c as u32) } else { c.to_string() })
                .collect();
            proptest::prop_assert_eq!(terminal_safe(&message), escaped);
        }

        #[test]
        fn a_source_keeps_its_length_and_line_breaks(source in text()) {
            let shown: String = source
                .chars()
                .map(|c| match c {
                    '\n' | '\r' | '\t' => c.to_string(),
                    c if is_unprintable(c) => "?".repeat(c.len_utf8()),
                    c => c.to_string(),
                })
                .collect();
            proptest::prop_assert_eq!(terminal_safe_source(source), shown);
        }
    }
}
