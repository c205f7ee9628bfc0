//! One human report, written directly: the bytes ariadne 0.6 writes for the reports rolec makes
//! (its default configuration, byte offsets, labels without a colour of their own), at a cost
//! that grows with the lines a report shows, not with the lines between its labels, and without
//! a formatting call per character. A label spanning several lines is drawn by ariadne itself
//! ([`write_with_ariadne`]), the reference this writer is tested against.

use std::ops::Range;
use std::sync::OnceLock;

use ariadne::{Config, IndexType, Label as AriadneLabel, ReportKind, Source};
use unicode_width::UnicodeWidthChar;

use super::Severity;

/// One line of a file as ariadne divides the text: after `\n`, `\r` (`\r\n` is one break) and
/// the other Unicode line separators; the break belongs to the line.
#[derive(Clone, Copy)]
struct Line {
    byte: usize,
    byte_len: usize,
    char: usize,
    char_len: usize,
}

const SEPARATORS: [char; 7] = ['\r', '\n', '\x0B', '\x0C', '\u{0085}', '\u{2028}', '\u{2029}'];

/// The text of a file a report shows, with its lines indexed once for every report.
pub(super) struct File {
    pub path: String,
    pub text: String,
    lines: Vec<Line>,
    /// ariadne's own index (of a copy of the text), built only if a report of this file needs
    /// ariadne.
    source: OnceLock<Source<String>>,
}

impl File {
    pub fn new(path: String, text: String) -> File {
        let mut lines = Vec::new();
        let (mut byte, mut char, mut char_len) = (0, 0, 0);
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            char_len += 1;
            if SEPARATORS.contains(&c) {
                let mut end = i + c.len_utf8();
                if c == '\r' && chars.next_if(|(_, c)| *c == '\n').is_some() {
                    end += 1;
                    char_len += 1;
                }
                lines.push(Line { byte, byte_len: end - byte, char, char_len });
                (byte, char, char_len) = (end, char + char_len, 0);
            }
        }
        if byte < text.len() || lines.is_empty() {
            lines.push(Line { byte, byte_len: text.len() - byte, char, char_len });
        }
        File { path, text, lines, source: OnceLock::new() }
    }

    /// The line a byte offset is on (the last one for the end of the text).
    fn byte_line(&self, offset: usize) -> usize {
        self.lines.partition_point(|l| l.byte <= offset).saturating_sub(1)
    }

    /// The line a character offset is on (the last one for the end of the text).
    fn char_line(&self, offset: usize) -> usize {
        self.lines.partition_point(|l| l.char <= offset).saturating_sub(1)
    }

    /// A line's text, with its line break.
    fn line_text(&self, line: usize) -> &str {
        let l = self.lines[line];
        &self.text[l.byte..l.byte + l.byte_len]
    }
}

/// A label of a report: a byte range of a file and the message under it.
pub(super) struct Label<'a> {
    pub file: &'a File,
    pub range: Range<usize>,
    pub message: &'a str,
}

/// A report as both writers take it: its labels in the order they are drawn.
pub(super) struct Report<'a> {
    pub severity: Severity,
    pub code: &'static str,
    pub message: &'a str,
    /// The primary label's file and the start of its range: the location of the header.
    pub primary: (&'a File, usize),
    pub labels: Vec<Label<'a>>,
    pub help: Option<&'a str>,
}

/// Writes `report` to `out`: directly, or through ariadne for a shape this writer does not draw.
pub(super) fn write(report: &Report, color: bool, out: &mut Vec<u8>) {
    if !write_direct(report, color, out) {
        write_with_ariadne(report, color, out);
    }
}

/// `report` as ariadne writes it.
pub(super) fn write_with_ariadne(report: &Report, color: bool, out: &mut Vec<u8>) {
    let kind = match report.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let (primary_file, primary_start) = report.primary;
    // ariadne uses only the start of the report's span (for the header's location).
    let mut builder = ariadne::Report::build(kind, (primary_file.path.to_string(), primary_start..primary_start))
        .with_code(report.code)
        .with_message(report.message)
        .with_config(Config::default().with_index_type(IndexType::Byte).with_color(color));
    for l in &report.labels {
        builder =
            builder.with_label(AriadneLabel::new((l.file.path.to_string(), l.range.clone())).with_message(l.message));
    }
    if let Some(h) = report.help {
        builder = builder.with_help(h);
    }
    let files: Vec<&File> = report.labels.iter().map(|l| l.file).chain([primary_file]).collect();
    let _ = builder.finish().write(Sources(files), out);
}

/// The files of one report, by path, as ariadne fetches them.
struct Sources<'a>(Vec<&'a File>);

impl ariadne::Cache<String> for Sources<'_> {
    type Storage = String;

    fn fetch(&mut self, id: &String) -> Result<&Source<String>, impl std::fmt::Debug> {
        let file = self.0.iter().find(|f| &f.path == id).ok_or_else(|| format!("no source `{id}`"))?;
        Ok::<_, String>(file.source.get_or_init(|| Source::from(file.text.clone())))
    }

    fn display<'b>(&self, id: &'b String) -> Option<impl std::fmt::Display + 'b> {
        Some(id)
    }
}

// The colours ariadne gives the parts of a report (labels have none) and its box characters.
const MARGIN: &str = "38;5;246";
const SKIPPED_MARGIN: &str = "38;5;240";
const UNIMPORTANT: &str = "38;5;249";
const NOTE: &str = "38;5;115";
const RED: &str = "31";
const YELLOW: &str = "33";

/// A label placed in its file: character offsets, as ariadne draws them, and its line.
struct Placed<'a> {
    file: &'a File,
    start: usize,
    end: usize,
    line: usize,
    message: &'a str,
}

/// The labels of one file drawn under one header, in the order given.
struct Group<'a> {
    file: &'a File,
    start: usize,
    end: usize,
    labels: Vec<Placed<'a>>,
}

/// Where ariadne puts a label, or `None` if it spans several lines (or is not where it could be).
fn place<'a>(label: &Label<'a>) -> Option<Placed<'a>> {
    let (file, range) = (label.file, &label.range);
    if range.end > file.text.len() || range.start > range.end {
        return None;
    }
    let line = file.byte_line(range.start);
    let (l, text) = (file.lines[line], file.line_text(line));
    let start = l.char + text.get(..range.start - l.byte)?.chars().count();
    if range.start == range.end {
        return Some(Placed { file, start, end: start, line, message: label.message });
    }
    if file.byte_line(range.end - 1) != line {
        return None;
    }
    let end = start + text.get(range.start - l.byte..range.end - l.byte)?.chars().count();
    Some(Placed { file, start, end, line, message: label.message })
}

/// Writes `report` as ariadne would, if it has only labels within one line; `false` (and
/// nothing written) otherwise.
fn write_direct(report: &Report, color: bool, out: &mut Vec<u8>) -> bool {
    let mut groups: Vec<Group> = Vec::new();
    for label in &report.labels {
        let Some(placed) = place(label) else { return false };
        // A new group (and header) for another file, or a label above the previous one.
        match groups.last_mut() {
            Some(g) if g.file.path == placed.file.path && g.labels.last().is_none_or(|l| l.line <= placed.line) => {
                g.start = g.start.min(placed.start);
                g.end = g.end.max(placed.end);
                g.labels.push(placed);
            }
            _ => groups.push(Group { file: placed.file, start: placed.start, end: placed.end, labels: vec![placed] }),
        }
    }
    let ranges: Vec<Range<usize>> = groups
        .iter()
        .map(|g| g.file.char_line(g.start)..g.file.char_line(g.end.saturating_sub(1).max(g.start)) + 1)
        .collect();
    let width = ranges.iter().map(|r| digits(r.end)).max().unwrap_or(0);
    let w = &mut Writer { out, color, width };
    let mut scratch = Scratch::default();

    let (kind_color, kind) = match report.severity {
        Severity::Error => (RED, "Error"),
        Severity::Warning => (YELLOW, "Warning"),
    };
    w.color_start(kind_color);
    w.push("[");
    w.push(report.code);
    w.push("] ");
    w.push(kind);
    w.push(":");
    w.color_end();
    w.push(" ");
    w.push(report.message);
    w.push("\n");
    let count = groups.len();
    for (i, (group, range)) in groups.iter().zip(ranges).enumerate() {
        write_group(w, &mut scratch, report, group, range, i == 0);
        let last = i + 1 == count;
        if last {
            if let Some(help) = report.help {
                w.gap_line();
                for (n, line) in help.lines().enumerate() {
                    w.skipped_margin();
                    if n == 0 {
                        w.paint(NOTE, "Help");
                        w.push(": ");
                    } else {
                        w.push("      ");
                    }
                    w.push(line);
                    w.push("\n");
                }
            }
            w.color_start(MARGIN);
            w.dashes(width + 2);
            w.push("╯");
            w.color_end();
        } else {
            w.spaces(width + 2);
            w.paint(MARGIN, "│");
        }
        w.push("\n");
    }
    true
}

/// Buffers the lines of one report share, so that drawing a line allocates nothing.
#[derive(Default)]
struct Scratch<'a> {
    /// The labels a group shows: their line and their index in the group.
    shown: Vec<(usize, usize)>,
    /// The labels of one line, in the order of their arrows.
    arrows: Vec<Arrow<'a>>,
    /// The columns of one line, as far as its text or its arrows reach.
    columns: Vec<Column>,
    /// The bounds of the stretches of one line's arrow lines.
    stretches: Vec<usize>,
}

/// The columns of a line's arrow lines, in stretches whose columns all draw the same character.
struct Stretches<'c> {
    columns: &'c [Column],
    /// The first column of each stretch, and the end of the last.
    bounds: &'c [usize],
    /// Whether every column takes one column on screen (no tab, no wide character).
    one_column_each: bool,
}

/// A label on a line: its columns (characters from the line's start) and the column of its arrow.
struct Arrow<'a> {
    col: usize,
    start: usize,
    end: usize,
    message: &'a str,
}

/// One column of a line.
#[derive(Clone, Copy)]
struct Column {
    /// The columns the character there takes on screen (one past the end of the text).
    width: usize,
    /// Under a label: the character is not dimmed and the arrows underline it.
    covered: bool,
    /// The rows of arrows that draw a vertical bar here: those up to the last arrow of this
    /// column (a row's bar comes from its own arrow or one below).
    bar_rows: usize,
}

/// The header of a group and the lines it shows.
fn write_group<'a>(
    w: &mut Writer,
    scratch: &mut Scratch<'a>,
    report: &Report,
    group: &Group<'a>,
    range: Range<usize>,
    first: bool,
) {
    let file = group.file;
    // ariadne's location: the primary label's start in its file; elsewhere the first label's
    // start in characters, which ariadne reads as a byte offset (kept, so the bytes are its).
    let (primary_file, primary_start) = report.primary;
    let at = if file.path == primary_file.path { primary_start } else { group.labels[0].start };
    let line = file.byte_line(at.min(file.text.len()));
    let text = file.line_text(line);
    let mut col = (at - file.lines[line].byte).min(text.len());
    // Where that lands inside a character ariadne panics; the character's start is shown.
    while !text.is_char_boundary(col) {
        col -= 1;
    }
    let col = text[..col].chars().count();
    w.spaces(w.width + 2);
    w.paint(MARGIN, if first { "╭" } else { "├" });
    w.paint(MARGIN, "─");
    w.paint(MARGIN, "[");
    w.push(" ");
    w.push(&file.path);
    w.push(":");
    w.number(line + 1);
    w.push(":");
    w.number(col + 1);
    w.push(" ");
    w.paint(MARGIN, "]");
    w.push("\n");
    w.spaces(w.width + 2);
    w.paint(MARGIN, "│");
    w.push("\n");

    // The labels each line shows (an empty label at a line's start is also at the end of the
    // line before), in the order of the group.
    let mut shown = std::mem::take(&mut scratch.shown);
    shown.clear();
    for (k, l) in group.labels.iter().enumerate() {
        let at = file.char_line(l.start);
        let span = file.lines[at];
        if l.end <= span.char + span.char_len && range.contains(&at) {
            shown.push((at, k));
        }
        if l.start == l.end && at > 0 && l.start == span.char && range.contains(&(at - 1)) {
            shown.push((at - 1, k));
        }
    }
    shown.sort_unstable();
    // One gap line stands for each run of lines without labels.
    let mut next = range.start;
    for on_line in shown.chunk_by(|a, b| a.0 == b.0) {
        let line = on_line[0].0;
        if line > next {
            w.gap_line();
        }
        let labels = on_line.iter().map(|(_, k)| &group.labels[*k]);
        write_line(w, scratch, file, line, labels);
        next = line + 1;
    }
    if next < range.end {
        w.gap_line();
    }
    scratch.shown = shown;
}

/// One line of source and the arrows of its labels.
fn write_line<'a: 'p, 'p>(
    w: &mut Writer,
    scratch: &mut Scratch<'a>,
    file: &File,
    line: usize,
    labels: impl Iterator<Item = &'p Placed<'a>>,
) {
    let offset = file.lines[line].char;
    let arrows = &mut scratch.arrows;
    arrows.clear();
    arrows.extend(labels.map(|l| Arrow {
        col: ((l.start + l.end) / 2).max(l.start) - offset,
        start: l.start - offset,
        end: l.end - offset,
        message: l.message,
    }));
    arrows.sort_by_key(|a| (a.col, std::cmp::Reverse(a.start)));
    let arrow_len = arrows.iter().map(|a| a.end).max().unwrap_or(0) + 2;
    let text = file.line_text(line).trim_end();

    // The width ariadne gives each character: a tab reaches the next multiple of 4 (counted in
    // characters), other white space is one column. Printable ASCII is one column each, as is
    // every column past the text.
    let printable_ascii = text.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    let columns = &mut scratch.columns;
    columns.clear();
    let blank = Column { width: 1, covered: false, bar_rows: 0 };
    if !printable_ascii {
        columns.extend(text.chars().enumerate().map(|(col, c)| Column { width: char_width(c, col).1, ..blank }));
    }
    let len = columns.len().max(text.len()).max(arrow_len);
    columns.resize(len, blank);
    for (row, arrow) in arrows.iter().enumerate() {
        for column in &mut columns[arrow.start..arrow.end] {
            column.covered = true;
        }
        columns[arrow.col].bar_rows = row + 1;
    }

    w.line_margin(line + 1);
    if printable_ascii && !w.color {
        w.push(text);
    } else {
        let mut buf = [0; 4];
        for (col, c) in text.chars().enumerate() {
            let (c, n) = char_width(c, col);
            let color = if columns[col].covered { None } else { Some(UNIMPORTANT) };
            let s: &str = c.encode_utf8(&mut buf);
            if c == ' ' {
                for _ in 0..n {
                    w.paint_opt(color, " ");
                }
            } else {
                w.paint_opt(color, s);
            }
        }
    }
    w.push("\n");

    // An arrow line draws the same character in every column between two of these: the columns
    // where a label starts or ends, where an arrow is and the one after it.
    let columns = &columns[..arrow_len];
    let stretches = &mut scratch.stretches;
    stretches.clear();
    stretches.extend([0, arrow_len]);
    for arrow in arrows.iter() {
        stretches.extend([arrow.start, arrow.end, arrow.col, arrow.col + 1]);
    }
    stretches.sort_unstable();
    stretches.dedup();
    let one_column_each = printable_ascii || columns.iter().all(|column| column.width == 1);
    let arrow_line = Stretches { columns, bounds: stretches, one_column_each };
    for (row, arrow) in arrows.iter().enumerate() {
        w.skipped_margin();
        w.arrow_line(&arrow_line, |col| {
            let bar = row < columns[col].bar_rows;
            let underline = row == 0 && columns[col].covered;
            match (bar, underline) {
                (true, true) => (Glyph::Tee, Glyph::Dash),
                (true, false) => (Glyph::Bar, Glyph::Space),
                (false, true) => (Glyph::Dash, Glyph::Dash),
                (false, false) => (Glyph::Space, Glyph::Space),
            }
        });
        w.push("\n");
        w.skipped_margin();
        w.arrow_line(&arrow_line, |col| {
            if col == arrow.col {
                (Glyph::Corner, Glyph::Dash)
            } else if col > arrow.col {
                (Glyph::Dash, Glyph::Dash)
            } else if row < columns[col].bar_rows {
                (Glyph::Bar, Glyph::Space)
            } else {
                (Glyph::Space, Glyph::Space)
            }
        });
        w.push(" ");
        w.push(arrow.message);
        w.push("\n");
    }
}

/// ariadne's `Config::char_width` with a tab width of 4: what a character is drawn as and how
/// many columns it takes; every white space character is drawn as spaces.
fn char_width(c: char, col: usize) -> (char, usize) {
    match c {
        '\t' => (' ', 4 - col % 4),
        c if c.is_whitespace() => (' ', 1),
        c => (c, c.width().unwrap_or(1)),
    }
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A character of an arrow line.
#[derive(Clone, Copy)]
enum Glyph {
    Space,
    Bar,
    Tee,
    Dash,
    Corner,
}

impl Glyph {
    fn as_str(self) -> &'static str {
        match self {
            Glyph::Space => " ",
            Glyph::Bar => "│",
            Glyph::Tee => "┬",
            Glyph::Dash => "─",
            Glyph::Corner => "╰",
        }
    }
}

/// The output of one report, with the margin width of its line numbers.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
    color: bool,
    width: usize,
}

impl Writer<'_> {
    fn push(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn spaces(&mut self, n: usize) {
        self.out.resize(self.out.len() + n, b' ');
    }

    fn number(&mut self, n: usize) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut n = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&buf[i..]);
    }

    /// The start of a colour, as yansi writes it when colour is on.
    fn color_start(&mut self, color: &str) {
        if self.color {
            self.push("\x1b[");
            self.push(color);
            self.push("m");
        }
    }

    /// The end of a colour.
    fn color_end(&mut self) {
        if self.color {
            self.push("\x1b[0m");
        }
    }

    /// `s` in a colour, as yansi writes it when colour is on.
    fn paint(&mut self, color: &str, s: &str) {
        self.color_start(color);
        self.push(s);
        self.color_end();
    }

    fn paint_opt(&mut self, color: Option<&str>, s: &str) {
        match color {
            Some(color) => self.paint(color, s),
            None => self.push(s),
        }
    }

    /// The margin of a source line: its number, right-aligned.
    fn line_margin(&mut self, number: usize) {
        self.push(" ");
        self.color_start(MARGIN);
        self.spaces(self.width - digits(number));
        self.number(number);
        self.push(" │");
        self.color_end();
        self.push(" ");
    }

    /// The margin of a line that shows no source.
    fn skipped_margin(&mut self) {
        self.push(" ");
        self.color_start(SKIPPED_MARGIN);
        self.spaces(self.width + 1);
        self.push("│");
        self.color_end();
        self.push(" ");
    }

    /// The line that stands for lines not shown (and comes before a help line).
    fn gap_line(&mut self) {
        self.skipped_margin();
        self.push("\n");
    }

    /// An arrow line: in each column `c`, then `tail` for the rest of a wide character's width,
    /// `(c, tail)` given by `glyphs` for the first column of each stretch.
    fn arrow_line(&mut self, line: &Stretches, glyphs: impl Fn(usize) -> (Glyph, Glyph)) {
        for stretch in line.bounds.windows(2) {
            let (from, to) = (stretch[0], stretch[1]);
            let (c, tail) = glyphs(from);
            if line.one_column_each {
                self.run(c, to - from);
            } else {
                for column in &line.columns[from..to] {
                    if column.width > 0 {
                        self.run(c, 1);
                        self.run(tail, column.width - 1);
                    }
                }
            }
        }
    }

    /// `count` times `glyph`.
    fn run(&mut self, glyph: Glyph, count: usize) {
        match glyph {
            Glyph::Space => self.spaces(count),
            Glyph::Dash => self.dashes(count),
            _ => {
                for _ in 0..count {
                    self.push(glyph.as_str());
                }
            }
        }
    }

    /// `count` times `─`, copied from a line of them.
    fn dashes(&mut self, count: usize) {
        const DASHES: &str = "────────────────────────────────";
        const DASH: usize = "─".len();
        let mut left = count;
        while left > 0 {
            let n = left.min(DASHES.len() / DASH);
            self.push(&DASHES[..n * DASH]);
            left -= n;
        }
    }
}

#[cfg(test)]
mod tests;
