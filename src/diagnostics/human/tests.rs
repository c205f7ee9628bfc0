//! The direct writer against ariadne: the same bytes for every report it draws.

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};

use super::*;

/// A report over `files` (path, text): labels as (file, byte range, message).
#[derive(Debug)]
struct Case {
    files: Vec<(String, String)>,
    labels: Vec<(usize, Range<usize>, String)>,
    message: String,
    help: Option<String>,
    severity: Severity,
    color: bool,
}

/// Both writers' bytes for `case`: `None` for the direct writer if it leaves the report to
/// ariadne, `None` for ariadne if it panics (it reads a character offset as a byte offset for
/// the location of a header in a file other than the primary label's).
fn both(case: &Case) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let files: Vec<File> = case.files.iter().map(|(path, text)| File::new(path.clone(), text.clone())).collect();
    let report = Report {
        severity: case.severity,
        code: "W030",
        message: &case.message,
        primary: (&files[case.labels[0].0], case.labels[0].1.start),
        labels: case
            .labels
            .iter()
            .map(|(file, range, message)| Label { file: &files[*file], range: range.clone(), message })
            .collect(),
        help: case.help.as_deref(),
    };
    let mut direct = Vec::new();
    let drawn = write_direct(&report, case.color, &mut direct);
    let reference = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = Vec::new();
        write_with_ariadne(&report, case.color, &mut out);
        out
    }))
    .ok();
    (drawn.then_some(direct), reference)
}

fn assert_same(case: &Case) -> bool {
    let (direct, reference) = both(case);
    if let (Some(direct), Some(reference)) = (&direct, &reference) {
        assert!(
            direct == reference,
            "direct:\n{}\nariadne:\n{}\nfiles: {:?}\nlabels: {:?}",
            String::from_utf8_lossy(direct),
            String::from_utf8_lossy(reference),
            case.files,
            case.labels
        );
    }
    direct.is_some()
}

/// Pieces of source text: words, white space, line breaks of every kind, wide, combining,
/// control and non-ASCII characters.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "role",
        "x",
        "member of",
        " ",
        "  ",
        "\t",
        "\n",
        "\n",
        "\n",
        "\r\n",
        "\r",
        "é",
        "中文",
        "e\u{301}",
        "🦀",
        "\u{a0}",
        "\u{2028}",
        "\u{2029}",
        "\u{85}",
        "\u{b}",
        "\u{c}",
        // Control characters (the report shows them as `?`, but the writer draws any text) and
        // characters of no width.
        "\u{1}",
        "\u{1f}",
        "\u{7f}",
        "\u{200b}",
        "~",
        "{",
        "}",
        ",",
        "\"q\"",
        "// note   ",
    ])
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(piece(), 0..60).prop_map(|p| p.concat()),
        // Many lines: labels far apart, line numbers of several digits.
        (prop::collection::vec(piece(), 0..40), 0usize..120).prop_map(|(p, n)| {
            let body = p.concat();
            (0..n).map(|i| format!("line {i}{}\n", if i % 7 == 0 { "\t" } else { "" })).collect::<String>() + &body
        }),
    ]
}

fn message() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z `→é中\t]{0,20}", "[a-zA-Z ]{60,120}",]
}

/// A byte range of `text` on char boundaries, chosen from `a`, `b` and `kind`: mostly short
/// ranges within a line, also empty ones, ones at a line's end, and ones over several lines.
fn range_in(text: &str, a: usize, b: usize, kind: u8) -> Range<usize> {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let start = bounds[a % bounds.len()];
    let i = bounds.iter().position(|&x| x == start).unwrap_or(0);
    // The end of the line, before its line break.
    let line_end = text[start..].find(['\n', '\r', '\u{2028}']).map_or(text.len(), |n| start + n);
    let end = match kind % 8 {
        0 => start,
        // To the end of the line, with or without its line break.
        1 if b.is_multiple_of(2) => line_end,
        1 => bounds.iter().copied().find(|&x| x > line_end).unwrap_or(line_end),
        // Anywhere after the start, often on another line.
        2 => bounds[(i + b % 40).min(bounds.len() - 1)],
        _ => bounds[(i + b % 6).min(bounds.len() - 1)].min(line_end.max(start)),
    };
    start..end
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(text(), 1..4),
        prop::collection::vec((any::<usize>(), any::<usize>(), any::<usize>(), any::<u8>(), message()), 1..7),
        message(),
        prop::option::of(prop_oneof![message(), "[a-z ]{1,10}\n[a-z ]{1,10}"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(texts, labels, message, help, error, color, sorted)| {
            let files: Vec<(String, String)> =
                texts.into_iter().enumerate().map(|(i, t)| (format!("f{i}.role"), t)).collect();
            let mut labels: Vec<(usize, Range<usize>, String)> = labels
                .into_iter()
                .map(|(f, a, b, kind, m)| {
                    let f = f % files.len();
                    (f, range_in(&files[f].1, a, b, kind), m)
                })
                .collect();
            if sorted {
                // As rolec orders them: the primary label's file first, then by file and start.
                let primary = labels[0].0;
                let first = labels[0].clone();
                labels.sort_by_key(|(f, r, _)| (*f != primary, *f, r.start));
                let at = labels.iter().position(|l| l == &first).unwrap_or(0);
                labels.swap(0, at);
                labels[1..].sort_by_key(|(f, r, _)| (*f != primary, *f, r.start));
            }
            let severity = if error { Severity::Error } else { Severity::Warning };
            Case { files, labels, message, help, severity, color }
        })
}

#[test]
fn the_direct_writer_writes_the_bytes_of_ariadne() {
    let mut runner = TestRunner::new(RunnerConfig { cases: 3000, ..RunnerConfig::default() });
    // ariadne's panics (see `both`) are expected: not printed.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let drawn = std::sync::atomic::AtomicUsize::new(0);
    let all = std::sync::atomic::AtomicUsize::new(0);
    let result = runner
        .run(&case(), |case| {
            all.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if assert_same(&case) {
                drawn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(())
        })
        .map_err(|e| e.to_string());
    std::panic::set_hook(hook);
    result.unwrap();
    // Most generated reports take the direct path (the rest have a label over several lines).
    let (drawn, all) = (drawn.into_inner(), all.into_inner());
    assert!(drawn * 2 > all, "only {drawn} of {all} reports drawn directly");
}

fn one(text: &str, labels: &[(Range<usize>, &str)], help: Option<&str>, color: bool) -> Case {
    Case {
        files: vec![("a.role".to_string(), text.to_string())],
        labels: labels.iter().map(|(r, m)| (0, r.clone(), m.to_string())).collect(),
        message: "message".to_string(),
        help: help.map(str::to_string),
        severity: Severity::Warning,
        color,
    }
}

#[test]
fn shapes_of_rolec_reports_are_drawn_directly_as_ariadne_draws_them() {
    let far: String = (0..400).map(|i| format!("role r{i} {{ member of x }}\n")).collect();
    let cases = [
        one("role a { member of b }\n", &[(19..20, "here")], Some("did you mean `c`?"), false),
        // Labels hundreds of lines apart, on one line, and at the same column.
        one(&far, &[(5..7, "first"), (5000..5003, "second"), (9000..9001, ""), (9002..9004, "next")], None, true),
        one(
            "\tgrant\t中文 x\r\nrole é\u{301}🦀 y\r\n",
            &[(1..6, "tab"), (6..13, "wide"), (26..30, "crab")],
            None,
            true,
        ),
        // Empty labels: inside a line, at its end, at the start of the next line, at the end of the file.
        one("ab\ncd\n", &[(1..1, "in"), (2..2, "end"), (3..3, "start"), (6..6, "eof")], Some(""), false),
        one("ab\ncd", &[(2..3, "break"), (5..5, "eof")], Some("two\nlines"), true),
        one("", &[(0..0, "empty file")], None, true),
    ];
    for case in &cases {
        assert!(assert_same(case), "left to ariadne: {:?}", case.labels);
    }
}

#[test]
fn a_label_over_several_lines_is_left_to_ariadne() {
    let case = one("role a {\n  login\n}\n", &[(0..18, "the role")], None, false);
    let (direct, reference) = both(&case);
    assert!(direct.is_none());
    let files = [File::new("a.role".to_string(), case.files[0].1.clone())];
    let label = Label { file: &files[0], range: 0..18, message: "the role" };
    let report = Report {
        severity: Severity::Warning,
        code: "W030",
        message: "message",
        primary: (&files[0], 0),
        labels: vec![label],
        help: None,
    };
    let mut out = Vec::new();
    write(&report, false, &mut out);
    assert_eq!(Some(out), reference);
}

#[test]
fn printable_ascii_takes_one_column_and_is_drawn_as_itself() {
    // The law behind the writer's shortcut for lines of printable ASCII (`' '..='~'`).
    for c in ' '..='~' {
        for col in 0..8 {
            assert_eq!(char_width(c, col), (c, 1), "{c:?} at {col}");
        }
    }
}
