//! Publishing diagnostics: every compiler and policy diagnostic of the workspace, per file,
//! with the secondary labels (the chains of a violation, the first statement of a duplicate)
//! as related information. Files that became clean get an empty list.
//!
//! An edit changes the lists of few files: each file's list comes from its own salsa query
//! (`db::file_diagnostics`), and a list is converted to protocol terms again only when it
//! changed or when a file it points into changed (positions are lines and UTF-16 columns, so
//! they move with the text), then sent only when the converted list changed.
//!
//! What is sent depends only on the fields shown of each diagnostic, the ranges of its spans
//! and the URIs of their files: those are compared, and the JSON is made straight from the
//! compiler's diagnostics, only for a list that is sent (a large file's list has thousands of
//! diagnostics with tens of thousands of related locations: typed protocol structures, made
//! and compared at every edit, then serialized into JSON values, cost as much again).

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use gen_lsp_types::{
    Code, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Message as DiagMessage, Range, Uri,
};
use lsp_server::{Connection, Message, Notification};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use super::Server;
use crate::db::SourceFile;
use crate::diagnostics::{self, Severity};
use crate::syntax::{FileId, Span};

/// What was last published for one URI.
pub(crate) struct Published {
    /// The compiler's list it was converted from.
    source: Arc<Vec<diagnostics::Diagnostic>>,
    /// The edit count when it was converted, and the files its positions are in.
    converted_at: u64,
    files: Vec<FileId>,
    /// The positions and URIs it was sent with.
    converted: Converted,
}

/// A list in protocol terms, without its JSON: the range of every span (each diagnostic's
/// primary span, then its secondary spans) and the URI of each file they are in. With the
/// fields shown of each diagnostic ([`same_shown`]), all that the JSON sent depends on.
#[derive(PartialEq)]
struct Converted {
    ranges: Vec<Range>,
    uris: Vec<(FileId, Option<Uri>)>,
}

/// A file's list while the policy has errors, as [`Server::publishable`] made it from the
/// lists it was given: the same lists give the same list, without comparing them again.
pub(crate) struct BrokenView {
    list: Arc<Vec<diagnostics::Diagnostic>>,
    kept_all: Arc<Vec<diagnostics::Diagnostic>>,
    kept_policy: Arc<Vec<diagnostics::Diagnostic>>,
    shown: crate::db::AnalysisShown,
    result: Arc<Vec<diagnostics::Diagnostic>>,
}

/// A file's lists when the policy was last sound: those of the policy (lowering, analysis),
/// all of its diagnostics, and the edit count then.
pub(crate) struct SoundLists {
    policy: Arc<Vec<diagnostics::Diagnostic>>,
    all: Arc<Vec<diagnostics::Diagnostic>>,
    at: u64,
}

/// One compiler diagnostic in protocol terms (`None` when its file has no URI).
pub(crate) fn to_lsp(server: &Server, d: &diagnostics::Diagnostic) -> Option<(Uri, Diagnostic)> {
    Some((server.uri(d.primary.span.file)?, convert(&Places::of(server, [d]), d)))
}

/// What converting the spans of one file needs: its URI, text, line starts and item offsets,
/// looked up once per publication rather than once per span (a large file's list has
/// thousands of diagnostics, with tens of thousands of related locations in a few files).
struct Place<'a> {
    uri: Option<Uri>,
    text: &'a str,
    starts: &'a [u32],
    parsed: &'a crate::syntax::Parsed,
}

/// The places of the files some diagnostics point into.
struct Places<'a> {
    server: &'a Server,
    files: FxHashMap<FileId, Place<'a>>,
}

impl<'a> Places<'a> {
    fn of<'d>(server: &'a Server, diagnostics: impl IntoIterator<Item = &'d diagnostics::Diagnostic>) -> Places<'a> {
        let (ws, mut files) = (server.workspace(), FxHashMap::default());
        for d in diagnostics {
            for span in std::iter::once(d.primary.span).chain(d.secondary.iter().map(|l| l.span)) {
                files.entry(span.file).or_insert_with(|| {
                    let file = ws.file(span.file);
                    Place {
                        uri: server.uri(span.file),
                        text: file.text(&ws.db),
                        starts: crate::db::line_starts(&ws.db, file),
                        parsed: crate::db::parse(&ws.db, file),
                    }
                });
            }
        }
        Places { server, files }
    }

    fn range(&self, span: Span) -> Range {
        match self.files.get(&span.file) {
            Some(p) => super::convert::range(p.text, p.starts, crate::db::span_range(p.parsed, span)),
            None => self.server.range(span),
        }
    }

    fn uri(&self, file: FileId) -> Option<Uri> {
        match self.files.get(&file) {
            Some(p) => p.uri.clone(),
            None => self.server.uri(file),
        }
    }

    fn location(&self, span: Span) -> Option<Location> {
        let uri = match self.files.get(&span.file) {
            Some(p) => p.uri.clone()?,
            None => self.server.uri(span.file)?,
        };
        Some(Location { uri, range: self.range(span) })
    }
}

/// The message shown: the diagnostic's, its primary label's and its help line.
fn message(d: &diagnostics::Diagnostic) -> String {
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(" ({})", d.primary.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    message
}

fn severity(d: &diagnostics::Diagnostic) -> DiagnosticSeverity {
    match d.severity() {
        Severity::Error => DiagnosticSeverity::Error,
        Severity::Warning => DiagnosticSeverity::Warning,
    }
}

/// One compiler diagnostic in protocol terms, for the file of its primary span.
fn convert(places: &Places, d: &diagnostics::Diagnostic) -> Diagnostic {
    let message = message(d);
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation { location: places.location(l.span)?, message: l.message.clone() })
        })
        .collect();
    Diagnostic {
        range: places.range(d.primary.span),
        severity: Some(severity(d)),
        code: Some(Code::String(d.code.as_str().to_string())),
        source: Some("rolec".into()),
        message: DiagMessage::String(message),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The compiler diagnostics of each file. Should the analysis fail, the syntax diagnostics of
/// each file are still reported.
fn lists(server: &Server, files: &[SourceFile]) -> Vec<Arc<Vec<diagnostics::Diagnostic>>> {
    let ws = server.workspace();
    let per_file = || {
        ws.analyze_in_parallel();
        files.iter().map(|f| crate::db::file_diagnostics::file_diagnostics(&ws.db, ws.policy, *f).clone()).collect()
    };
    match catch_unwind(AssertUnwindSafe(per_file)) {
        Ok(lists) => lists,
        Err(_) => {
            eprintln!("rolec lsp: the analysis failed; reporting syntax errors only");
            files.iter().map(|f| Arc::new(crate::db::parse(&ws.db, *f).diagnostics.clone())).collect()
        }
    }
}

/// The compiler diagnostics of one file.
pub(crate) fn of_file(server: &Server, file: SourceFile) -> Arc<Vec<diagnostics::Diagnostic>> {
    lists(server, &[file]).remove(0)
}

impl Server {
    /// The lists to publish. While the policy has errors, the analysis runs on what resolved
    /// and some of its findings are withheld (see [`crate::db::AnalysisShown`]: those about
    /// something absent, and all while memberships form a cycle). Rather than clearing them
    /// from every file until the next keystroke brings them all back, each file keeps those of
    /// the last sound policy, as long as its text has not changed since.
    fn publishable(&mut self, files: &[SourceFile]) -> Vec<Arc<Vec<diagnostics::Diagnostic>>> {
        use crate::db::file_diagnostics::{file_policy_diagnostics, merged};
        let ws = &self.ws;
        let sound = catch_unwind(AssertUnwindSafe(|| ws.is_sound())).ok();
        let lists = lists(self, files);
        if sound == Some(true) {
            for (f, all) in files.iter().zip(&lists) {
                let (db, policy) = (&self.ws.db, self.ws.policy);
                let kept = SoundLists {
                    policy: file_policy_diagnostics(db, policy, *f).clone(),
                    all: all.clone(),
                    at: self.edits,
                };
                self.last_sound.insert(f.id(db), kept);
            }
            return lists;
        }
        let shown = catch_unwind(AssertUnwindSafe(|| crate::db::shown_while_broken(&ws.db, ws.policy)))
            .unwrap_or(crate::db::AnalysisShown::Nothing);
        let shown_now = |d: &diagnostics::Diagnostic| shown.shows(d);
        let views = &mut self.while_broken;
        files
            .iter()
            .zip(lists)
            .map(|(f, list)| {
                let id = f.id(&ws.db);
                let unchanged = |at: u64| self.changed.get(&id).is_none_or(|&c| c <= at);
                let Some(kept) = self.last_sound.get(&id).filter(|kept| unchanged(kept.at)) else { return list };
                // While a file is half typed, every keystroke gives the other files the same
                // lists: the same answer, without comparing thousands of diagnostics again.
                if let Some(view) = views.get(&id).filter(|v| {
                    v.shown == shown
                        && Arc::ptr_eq(&v.list, &list)
                        && Arc::ptr_eq(&v.kept_all, &kept.all)
                        && Arc::ptr_eq(&v.kept_policy, &kept.policy)
                }) {
                    return view.result.clone();
                }
                let withheld: Vec<_> = kept.policy.iter().filter(|d| !shown_now(d)).cloned().collect();
                let result = if withheld.is_empty() {
                    list.clone()
                } else if kept.all.iter().filter(|d| shown_now(d)).eq(list.iter()) {
                    // Most often the file's list is what it was: the list published then.
                    kept.all.clone()
                } else {
                    Arc::new(merged(&list, &withheld))
                };
                let view = BrokenView {
                    list,
                    kept_all: kept.all.clone(),
                    kept_policy: kept.policy.clone(),
                    shown,
                    result: result.clone(),
                };
                views.insert(id, view);
                result
            })
            .collect()
    }

    /// Sends the diagnostics of every file it `owns` whose list changed since it was last sent
    /// (without the warnings its lint levels allow). Returns the files it published before and
    /// no longer publishes (they left the policy, or another policy owns them now), for the
    /// caller to clear unless another policy publishes them.
    pub(crate) fn publish_diagnostics(&mut self, connection: &Connection, owns: &dyn Fn(&str) -> bool) -> Vec<Uri> {
        let files: Vec<SourceFile> = self.ws.files().iter().copied().filter(|f| owns(f.path(&self.ws.db))).collect();
        let mut lists = self.publishable(&files);
        if self.lint != crate::project::LintLevels::default() {
            for list in &mut lists {
                if list.iter().any(|d| self.lint.level(d.code) == crate::project::Level::Allow) {
                    *list = Arc::new(self.lint.reported(list));
                }
            }
        }
        let mut current = HashSet::new();
        let mut updates: HashMap<Uri, Published> = HashMap::new();
        for (file, source) in files.iter().zip(lists) {
            let Some(uri) = self.uri(file.id(&self.ws.db)) else { continue };
            current.insert(uri.clone());
            // The cheap test first: a list in a file that changed is converted again anyway.
            if self.published.get(&uri).is_some_and(|p| {
                p.files.iter().all(|f| self.changed.get(f).is_none_or(|&at| at <= p.converted_at)) && p.source == source
            }) {
                continue;
            }
            let places = Places::of(self, source.iter());
            let mut files: Vec<FileId> = source
                .iter()
                .flat_map(|d| std::iter::once(d.primary.span.file).chain(d.secondary.iter().map(|l| l.span.file)))
                .collect();
            files.sort();
            files.dedup();
            let converted = Converted::of(&places, &files, &source);
            let unchanged = match self.published.get(&uri) {
                Some(old) => {
                    old.converted == converted
                        && (Arc::ptr_eq(&old.source, &source)
                            || (old.source.len() == source.len()
                                && old.source.iter().zip(source.iter()).all(|(a, b)| same_shown(a, b))))
                }
                None => source.is_empty(),
            };
            if !unchanged {
                send_list(connection, &uri, &source, &converted);
            }
            updates.insert(uri, Published { source, converted_at: self.edits, files, converted });
        }
        self.published.extend(updates);
        let gone: Vec<Uri> = self.published.keys().filter(|u| !current.contains(*u)).cloned().collect();
        for uri in &gone {
            self.published.remove(uri);
        }
        gone
    }

    /// Whether the last list published for `uri` is not empty.
    pub(crate) fn shows_diagnostics(&self, uri: &Uri) -> bool {
        self.published.get(uri).is_some_and(|p| !p.source.is_empty())
    }

    /// Every URI published.
    pub(crate) fn published_uris(&self) -> Vec<Uri> {
        self.published.keys().cloned().collect()
    }
}

impl Converted {
    fn of(places: &Places, files: &[FileId], source: &[diagnostics::Diagnostic]) -> Converted {
        let mut ranges = Vec::with_capacity(source.iter().map(|d| 1 + d.secondary.len()).sum());
        for d in source {
            ranges.push(places.range(d.primary.span));
            ranges.extend(d.secondary.iter().map(|l| places.range(l.span)));
        }
        let uris = files.iter().map(|f| (*f, places.uri(*f))).collect();
        Converted { ranges, uris }
    }

    fn uri(&self, file: FileId) -> Option<&Uri> {
        self.uris.iter().find(|(f, _)| *f == file).and_then(|(_, uri)| uri.as_ref())
    }
}

/// Whether two diagnostics are shown alike, their ranges aside: the same code (and so
/// severity), messages and help, and secondary labels in the same files with the same messages.
fn same_shown(a: &diagnostics::Diagnostic, b: &diagnostics::Diagnostic) -> bool {
    a.code == b.code
        && a.message == b.message
        && a.primary.message == b.primary.message
        && a.help == b.help
        && a.secondary.len() == b.secondary.len()
        && a.secondary.iter().zip(&b.secondary).all(|(x, y)| x.span.file == y.span.file && x.message == y.message)
}

fn range_json(r: &Range) -> Value {
    let position = |p: &gen_lsp_types::Position| {
        let mut m = Map::new();
        m.insert("line".into(), p.line.into());
        m.insert("character".into(), p.character.into());
        Value::Object(m)
    };
    let mut m = Map::new();
    m.insert("start".into(), position(&r.start));
    m.insert("end".into(), position(&r.end));
    Value::Object(m)
}

/// The JSON of one diagnostic, `ranges` those of its spans: what `serde_json::to_value` makes
/// of [`convert`]'s (checked by a test), without the typed structure in between.
fn diagnostic_json(d: &diagnostics::Diagnostic, ranges: &[Range], converted: &Converted) -> Value {
    let mut m = Map::new();
    m.insert("range".into(), range_json(&ranges[0]));
    m.insert("severity".into(), serde_json::to_value(severity(d)).unwrap_or_default());
    m.insert("code".into(), Value::String(d.code.as_str().to_string()));
    m.insert("source".into(), Value::String("rolec".into()));
    m.insert("message".into(), Value::String(message(d)));
    let related: Vec<Value> = d
        .secondary
        .iter()
        .zip(&ranges[1..])
        .filter_map(|(l, range)| {
            let mut location = Map::new();
            location.insert("uri".into(), Value::String(converted.uri(l.span.file)?.as_ref().to_string()));
            location.insert("range".into(), range_json(range));
            let mut info = Map::new();
            info.insert("location".into(), Value::Object(location));
            info.insert("message".into(), Value::String(l.message.clone()));
            Some(Value::Object(info))
        })
        .collect();
    if !related.is_empty() {
        m.insert("relatedInformation".into(), Value::Array(related));
    }
    Value::Object(m)
}

/// The JSON of a list converted as `converted` says.
fn list_json(source: &[diagnostics::Diagnostic], ranges: &[Range], converted: &Converted) -> Vec<Value> {
    let mut at = 0;
    source
        .iter()
        .map(|d| {
            let n = 1 + d.secondary.len();
            at += n;
            diagnostic_json(d, &ranges[at - n..at], converted)
        })
        .collect()
}

/// Sends one file's list. Its JSON is made in two halves side by side when there are many
/// diagnostics: for a file with hundreds of them, most of the time of a refresh after the
/// analysis, when the other core is idle.
fn send_list(connection: &Connection, uri: &Uri, source: &[diagnostics::Diagnostic], converted: &Converted) {
    let json = if source.len() < 64 {
        list_json(source, &converted.ranges, converted)
    } else {
        let (first, second) = source.split_at(source.len() / 2);
        let split = first.iter().map(|d| 1 + d.secondary.len()).sum();
        let (first_ranges, second_ranges) = converted.ranges.split_at(split);
        std::thread::scope(|scope| {
            let second = scope.spawn(|| list_json(second, second_ranges, converted));
            let mut json = list_json(first, first_ranges, converted);
            json.extend(second.join().unwrap_or_default());
            json
        })
    };
    notify(connection, uri, json);
}

/// Sends diagnostics in protocol terms already (the problems of project files; an empty list
/// to clear a file).
pub(crate) fn send(connection: &Connection, uri: &Uri, diagnostics: &[Diagnostic]) {
    notify(connection, uri, diagnostics.iter().filter_map(|d| serde_json::to_value(d).ok()).collect());
}

/// Sends a `publishDiagnostics` notification with the JSON of a list.
fn notify(connection: &Connection, uri: &Uri, json: Vec<Value>) {
    // Moved in, not serialized again (as `json!` would).
    let mut params = serde_json::Map::new();
    params.insert("uri".into(), serde_json::to_value(uri).unwrap_or_default());
    params.insert("diagnostics".into(), serde_json::Value::Array(json));
    let params = serde_json::Value::Object(params);
    let _ = connection
        .sender
        .send(Message::Notification(Notification { method: "textDocument/publishDiagnostics".into(), params }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;

    /// The JSON made from the compiler's diagnostics is what serde makes of the protocol's
    /// types: ranges in UTF-16 columns, related locations, help lines, every field.
    #[test]
    fn the_json_made_directly_is_that_of_the_protocol_types() {
        let broken = [
            ("/p/a.role", "/* 😀 */ role café { member of bé }\nrole bé { member of café }\n"),
            ("/p/b.role", "user bob { member of readr }\nrole reader {}\n"),
        ];
        let sound =
            [("/p/c.role", "role reader {}\nuser alice { member of reader\n member of reader }\nrole unused_é {}\n")];
        let (mut total, mut related) = (0, 0);
        for sources in [&broken[..], &sound[..]] {
            let sources = sources.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
            let ws = Workspace::load(Sources::Memory(sources), BuildOptions::default()).expect("loads");
            let server = Server::with_workspace(ws);
            for f in server.ws.files() {
                let source = of_file(&server, *f);
                let places = Places::of(&server, source.iter());
                let mut files: Vec<FileId> = source
                    .iter()
                    .flat_map(|d| std::iter::once(d.primary.span.file).chain(d.secondary.iter().map(|l| l.span.file)))
                    .collect();
                files.sort();
                files.dedup();
                let converted = Converted::of(&places, &files, &source);
                let direct = list_json(&source, &converted.ranges, &converted);
                let typed: Vec<Value> =
                    source.iter().map(|d| serde_json::to_value(convert(&places, d)).expect("json")).collect();
                assert_eq!(direct, typed);
                total += direct.len();
                related += direct.iter().filter(|d| d.get("relatedInformation").is_some()).count();
            }
        }
        assert!(total >= 4 && related >= 2, "{total} diagnostics, {related} with related information");
    }
}
