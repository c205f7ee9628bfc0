//! UI tests: one `tests/ui/*.role` file per rule, expected diagnostics written inline.
//!
//! # Annotations
//!
//! ```text
//! role x { member of develper }   //~ E002
//! role y { member of nope }       //~ E002 unknown role `nope`
//!                                 //~^ E002        (the line above)
//! role z { member of a, b }       //~ E002 E002    (two on this line)
//! ```
//!
//! An annotation names the line where the diagnostic's PRIMARY span starts (`//~^` one line up,
//! `//~^^` two, …), one or more codes, and optionally a text fragment that must occur in the
//! diagnostic (its message, labels or help) — the fragment belongs to the last code of the
//! annotation. The runner compares the multiset of expected and actual (line, code): a missing
//! and an unexpected diagnostic both fail. Diagnostics located in another file (an import) are
//! always unexpected.
//!
//! # Headers
//!
//! - `// options: --target-version 16 --at 2025-01-01 --set x=y --idempotent --lock` sets the
//!   build options (default: target 15, `--at 2025-06-01T00:00:00Z`).
//! - `// must-not-appear: TEXT` (repeatable): TEXT must not occur in any rendering (human,
//!   JSON, GitHub, concise) of the file's diagnostics — for secrets that must be redacted.
//!
//! # Files
//!
//! `eNNN_*.role` / `wNNN_*.role` must expect at least one diagnostic of code ENNN/WNNN;
//! `ok_*.role` must produce no diagnostic at all (not even a warning). Every code of
//! [`Code::ALL`] except E014 (produced while writing SQL, see tests/sql_snapshots.rs) must have
//! a file. Files are compiled alone (through `Sources::Paths`, so relative imports read
//! `tests/ui/imports/…`; standard modules load on `import std.…`).
//!
//! The human rendering of every file with diagnostics is snapshot-tested with insta
//! (`tests/snapshots/ui__human@FILE.snap`), so wording changes are reviewed.
//!
//! # Known bugs
//!
//! Files in [`KNOWN_BUGS`] state the CORRECT behaviour and currently fail; the runner prints them
//! and does not fail on them. When one starts to pass, the runner fails and asks for it to be
//! removed from the list (so the list stays true).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rolec::db::{Sources, Workspace};
use rolec::diagnostics::render::{self, SourceMap};
use rolec::diagnostics::{Code, Diagnostic};
use rolec::model::BuildOptions;

/// Files whose annotations describe correct behaviour the compiler does not have yet.
/// Each entry: file name, one line on what is wrong.
const KNOWN_BUGS: &[(&str, &str)] = &[];

/// `--at` when a file's options do not give one.
const DEFAULT_AT: &str = "2025-06-01T00:00:00Z";

const UI_DIR: &str = "tests/ui";

// ---------------------------------------------------------------------------------- parsing

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    line: usize,
    code: String,
    fragment: Option<String>,
}

#[derive(Clone, Debug)]
struct Actual {
    /// The file the primary span is in (relative path as loaded).
    path: String,
    line: usize,
    code: String,
    /// Message, labels and help: where a fragment is looked for.
    text: String,
    message: String,
}

struct Header {
    options: BuildOptions,
    must_not_appear: Vec<String>,
}

fn timestamp(text: &str) -> i64 {
    rolec::model::values::parse_timestamp(text).unwrap_or_else(|| panic!("not a timestamp: {text:?}")).timestamp()
}

fn parse_header(file: &str, text: &str) -> Header {
    let mut options = BuildOptions { at: timestamp(DEFAULT_AT), ..BuildOptions::default() };
    let mut must_not_appear = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("// options:") {
            let mut words = rest.split_whitespace();
            while let Some(flag) = words.next() {
                let mut value = || words.next().unwrap_or_else(|| panic!("{file}: `{flag}` needs a value"));
                match flag {
                    "--target-version" => {
                        options.target_version =
                            value().parse().unwrap_or_else(|_| panic!("{file}: bad --target-version"))
                    }
                    "--at" => options.at = timestamp(value()),
                    "--set" => {
                        let kv = value();
                        let (k, v) =
                            kv.split_once('=').unwrap_or_else(|| panic!("{file}: `--set {kv}` needs NAME=VALUE"));
                        options.sets.push((k.to_string(), v.to_string()));
                    }
                    "--idempotent" => options.idempotent = true,
                    "--lock" => {
                        options.lock = true;
                        options.idempotent = true;
                    }
                    other => panic!("{file}: unknown option `{other}` in the options header"),
                }
            }
        } else if let Some(rest) = line.strip_prefix("// must-not-appear:") {
            must_not_appear.push(rest.trim().to_string());
        }
    }
    Header { options, must_not_appear }
}

fn is_code(word: &str) -> bool {
    word.len() == 4 && (word.starts_with('E') || word.starts_with('W')) && word[1..].chars().all(|c| c.is_ascii_digit())
}

/// The `//~` annotations of a file.
fn parse_expected(file: &str, text: &str) -> Vec<Expected> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(pos) = line.find("//~") else { continue };
        let mut rest = &line[pos + 3..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix('^') {
            up += 1;
            rest = r;
        }
        let target = (i + 1)
            .checked_sub(up)
            .filter(|l| *l >= 1)
            .unwrap_or_else(|| panic!("{file}:{}: `//~^` points above the file", i + 1));
        let rest = rest.trim();
        let mut codes = Vec::new();
        let mut remainder = rest;
        loop {
            let trimmed = remainder.trim_start();
            let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
            let word = &trimmed[..word_end];
            if !is_code(word) {
                remainder = trimmed;
                break;
            }
            codes.push(word.to_string());
            remainder = &trimmed[word_end..];
        }
        assert!(!codes.is_empty(), "{file}:{}: an annotation needs at least one code: {line:?}", i + 1);
        let fragment = remainder.trim();
        let last = codes.len() - 1;
        for (j, code) in codes.into_iter().enumerate() {
            let fragment = (j == last && !fragment.is_empty()).then(|| fragment.to_string());
            out.push(Expected { line: target, code, fragment });
        }
    }
    out
}

// ---------------------------------------------------------------------------------- compiling

struct Compiled {
    rel_path: String,
    ws: Workspace,
    diagnostics: Vec<Diagnostic>,
    actual: Vec<Actual>,
    header: Header,
    expected: Vec<Expected>,
}

fn ui_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(UI_DIR)
        .expect("tests/ui exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "role"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn compile(path: &Path) -> Compiled {
    let name = file_name(path);
    let rel_path = format!("{UI_DIR}/{name}");
    let text = std::fs::read_to_string(&rel_path).unwrap_or_else(|e| panic!("{rel_path}: {e}"));
    let header = parse_header(&name, &text);
    let expected = parse_expected(&name, &text);
    let ws = Workspace::load(Sources::Paths(vec![PathBuf::from(&rel_path)]), header.options.clone())
        .unwrap_or_else(|e| panic!("{rel_path}: {e}"));
    let diagnostics: Vec<Diagnostic> = ws.diagnostics().to_vec();
    let actual = diagnostics
        .iter()
        .map(|d| {
            let file = d.primary.span.file;
            let (line, _) = render::line_col(ws.text(file), ws.range(d.primary.span).start);
            let mut text = format!("{}\n{}", d.message, d.primary.message);
            for l in &d.secondary {
                text.push('\n');
                text.push_str(&l.message);
            }
            if let Some(h) = &d.help {
                text.push('\n');
                text.push_str(h);
            }
            Actual { path: ws.path(file), line, code: d.code.as_str().to_string(), text, message: d.message.clone() }
        })
        .collect();
    Compiled { rel_path, ws, diagnostics, actual, header, expected }
}

/// Compares expectations with diagnostics; returns one line per problem.
fn check(c: &Compiled) -> Vec<String> {
    let mut problems = Vec::new();
    let name = c.rel_path.rsplit('/').next().unwrap();
    let mut used = vec![false; c.actual.len()];
    let matches = |a: &Actual, e: &Expected| a.path == c.rel_path && a.line == e.line && a.code == e.code;
    // Expectations with a fragment first: they are the more specific ones.
    let mut order: Vec<&Expected> = c.expected.iter().filter(|e| e.fragment.is_some()).collect();
    order.extend(c.expected.iter().filter(|e| e.fragment.is_none()));
    for e in order {
        let found = c.actual.iter().enumerate().position(|(i, a)| {
            !used[i] && matches(a, e) && e.fragment.as_ref().is_none_or(|f| a.text.contains(f.as_str()))
        });
        match found {
            Some(i) => used[i] = true,
            None => {
                let fragment = e.fragment.as_ref().map(|f| format!(" containing {f:?}")).unwrap_or_default();
                let near: Vec<String> =
                    c.actual.iter().filter(|a| matches(a, e)).map(|a| format!("{:?}", a.message)).collect();
                let near =
                    if near.is_empty() { String::new() } else { format!(" (found on that line: {})", near.join(", ")) };
                problems.push(format!("{}:{}: expected {}{fragment}, not reported{near}", c.rel_path, e.line, e.code));
            }
        }
    }
    for (a, used) in c.actual.iter().zip(&used) {
        if !used {
            problems.push(format!("{}:{}: unexpected {}: {}", a.path, a.line, a.code, a.message));
        }
    }
    // The file name states the rule the file is about.
    if let Some(code) = name.split('_').next().filter(|p| is_code(&p.to_ascii_uppercase())) {
        let code = code.to_ascii_uppercase();
        if !c.expected.iter().any(|e| e.code == code) {
            problems.push(format!("{}: the file is named for {code} but expects no {code}", c.rel_path));
        }
    } else if name.starts_with("ok_") {
        if !c.expected.is_empty() {
            problems.push(format!("{}: an ok_ file must not expect diagnostics", c.rel_path));
        }
    } else {
        problems.push(format!("{}: name the file eNNN_…, wNNN_… or ok_…", c.rel_path));
    }
    // Redaction: nothing listed under `must-not-appear` in any rendering.
    for secret in &c.header.must_not_appear {
        for (format, text) in renderings(c) {
            if text.contains(secret.as_str()) {
                problems.push(format!("{}: `{secret}` appears in the {format} rendering", c.rel_path));
            }
        }
    }
    problems
}

fn human(c: &Compiled) -> String {
    render::human(&c.diagnostics, &c.ws, false)
}

fn renderings(c: &Compiled) -> Vec<(&'static str, String)> {
    vec![
        ("human", human(c)),
        ("json", serde_json::to_string_pretty(&render::json(&c.diagnostics, &c.ws)).unwrap()),
        ("github", render::github(&c.diagnostics, &c.ws)),
        ("concise", render::concise(&c.diagnostics, &c.ws)),
    ]
}

// ---------------------------------------------------------------------------------- tests

#[test]
fn ui_expectations() {
    let files = ui_files();
    assert!(!files.is_empty(), "no files in {UI_DIR}");
    let known: BTreeSet<&str> = KNOWN_BUGS.iter().map(|(f, _)| *f).collect();
    for f in &known {
        assert!(files.iter().any(|p| file_name(p) == *f), "KNOWN_BUGS names {f}, which is not in {UI_DIR}");
    }
    let mut failures = Vec::new();
    let mut fixed = Vec::new();
    let mut still_failing = Vec::new();
    let (mut n_expected, mut n_ok) = (0, 0);
    for path in &files {
        let name = file_name(path);
        let c = compile(path);
        n_expected += c.expected.len();
        if name.starts_with("ok_") {
            n_ok += 1;
        }
        let problems = check(&c);
        match (known.contains(name.as_str()), problems.is_empty()) {
            (false, true) => {}
            (false, false) => {
                failures.push(format!("{name}:\n  {}\n--- human rendering ---\n{}", problems.join("\n  "), human(&c)))
            }
            (true, true) => fixed.push(name),
            (true, false) => still_failing.push((name, problems)),
        }
    }
    println!("ui: {} files ({n_ok} ok_ files), {n_expected} expected diagnostics", files.len());
    if !still_failing.is_empty() {
        println!("ui: {} known bug(s), still failing as expected:", still_failing.len());
        for (name, problems) in &still_failing {
            let why = KNOWN_BUGS.iter().find(|(f, _)| f == name).map(|(_, w)| *w).unwrap_or("");
            println!("  {name}: {why}");
            for p in problems {
                println!("      {p}");
            }
        }
    }
    let mut message = String::new();
    if !fixed.is_empty() {
        message.push_str(&format!(
            "these KNOWN_BUGS files pass now; remove them from KNOWN_BUGS in tests/ui.rs: {}\n\n",
            fixed.join(", ")
        ));
    }
    if !failures.is_empty() {
        message.push_str(&format!("{} ui file(s) failed:\n\n{}", failures.len(), failures.join("\n\n")));
    }
    assert!(message.is_empty(), "{message}");
}

/// Every diagnostic code has a ui file (E014 needs a missing environment variable at render
/// time and is covered in tests/sql_snapshots.rs).
#[test]
fn every_code_has_a_ui_file() {
    let names: Vec<String> = ui_files().iter().map(|p| file_name(p)).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| *c != "E014")
        .filter(|c| !names.iter().any(|n| n.starts_with(&format!("{}_", c.to_ascii_lowercase()))))
        .collect();
    assert!(missing.is_empty(), "codes without a tests/ui file: {missing:?}");
}

/// The human rendering of every file that has diagnostics.
#[test]
fn ui_human_snapshots() {
    insta::glob!("ui/*.role", |path| {
        let c = compile(path);
        if c.diagnostics.is_empty() {
            return; // ok_ files: nothing to show
        }
        insta::assert_snapshot!("human", human(&c));
    });
}

/// The machine renderers (JSON, GitHub annotations, concise), on a few files.
#[test]
fn ui_other_renderers() {
    for name in ["e005_duplicates.role", "e010_template_arguments.role", "e011_plaintext_password.role"] {
        let c = compile(Path::new(name));
        let mut all = String::new();
        for (format, text) in renderings(&c).into_iter().skip(1) {
            all.push_str(&format!("===== {format} =====\n{text}\n"));
        }
        insta::with_settings!({ snapshot_suffix => name, input_file => format!("{UI_DIR}/{name}") }, {
            insta::assert_snapshot!("machine", all);
        });
    }
}

/// ariadne prints a `├─[ file:line:col ]` header above each group of labels, and for a group in
/// the same file as the primary label it prints the PRIMARY location. Every header must name a
/// line that the group below it shows (the renderer adds labels in line order for this).
#[test]
fn human_group_headers_point_at_the_lines_they_show() {
    let mut problems = Vec::new();
    for path in ui_files() {
        let c = compile(&path);
        let text = human(&c);
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let Some(start) = l.find("─[ ") else { continue };
            let Some(loc) = l[start + "─[ ".len()..].strip_suffix(" ]") else { continue };
            let mut parts = loc.rsplitn(3, ':');
            let (_col, line) = (parts.next(), parts.next().and_then(|x| x.parse::<usize>().ok()));
            let Some(line) = line else { continue };
            // The line numbers shown in the group: ` 12 │ …` rows until the next header or end.
            let shown: Vec<usize> = lines[i + 1..]
                .iter()
                .take_while(|r| !r.contains("─[ ") && !r.starts_with('['))
                .filter_map(|r| r.split('│').next().and_then(|n| n.trim().parse().ok()))
                .collect();
            if !shown.is_empty() && !shown.contains(&line) {
                problems.push(format!("{}: header `{loc}` above lines {shown:?}", c.rel_path));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// E010 points at the call (primary) and at the parameter or template (secondary), on another
/// line.
#[test]
fn e010_points_at_call_and_parameter() {
    let c = compile(Path::new("e010_template_arguments.role"));
    let e010: Vec<&Diagnostic> = c.diagnostics.iter().filter(|d| d.code == Code::TemplateArgument).collect();
    assert!(!e010.is_empty());
    let line = |span| render::line_col(c.ws.text(c.diagnostics[0].primary.span.file), c.ws.range(span).start).0;
    for d in e010 {
        assert!(!d.secondary.is_empty(), "E010 without a label on the parameter: {}", d.message);
        for s in &d.secondary {
            assert_ne!(
                line(s.span),
                line(d.primary.span),
                "the secondary label of `{}` is on the call's line",
                d.message
            );
            assert!(
                s.message.contains("parameter declared here") || s.message.contains("template declared here"),
                "{}",
                s.message
            );
        }
    }
}

/// E006 shows the whole cycle: one label per membership of the cycle, each on its own
/// `member of`.
#[test]
fn e006_shows_every_membership_of_the_cycle() {
    for (file, steps) in [("e006_cycle_self.role", 1), ("e006_cycle_two.role", 2), ("e006_cycle_three.role", 3)] {
        let c = compile(Path::new(file));
        let d = c.diagnostics.iter().find(|d| d.code == Code::MembershipCycle).expect("an E006");
        assert_eq!(1 + d.secondary.len(), steps, "{file}: labels {:?}", d.secondary);
        assert_eq!(d.message.matches('→').count(), steps, "{file}: {}", d.message);
        let text = human(&c);
        for label in std::iter::once(&d.primary).chain(&d.secondary) {
            assert!(label.message.contains("is a member of"), "{file}: {}", label.message);
            assert!(text.contains(&label.message), "{file}: the rendering lacks `{}`", label.message);
        }
    }
}
