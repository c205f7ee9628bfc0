//! Publishing diagnostics: every compiler and policy diagnostic of the workspace, per file,
//! with the secondary labels (the chains of a violation, the first statement of a duplicate)
//! as related information. Files that became clean get an empty list.
//!
//! An edit changes the lists of few files: each file's list comes from its own salsa query
//! (`db::file_diagnostics`), and a list is converted to protocol terms again only when it
//! changed or when a file it points into changed (positions are lines and UTF-16 columns, so
//! they move with the text), then sent only when the converted list changed.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use gen_lsp_types::{
    Code, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Message as DiagMessage, Range, Uri,
};
use lsp_server::{Connection, Message, Notification};
use rustc_hash::FxHashMap;

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
    /// As sent.
    sent: Vec<Diagnostic>,
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

    fn location(&self, span: Span) -> Option<Location> {
        let uri = match self.files.get(&span.file) {
            Some(p) => p.uri.clone()?,
            None => self.server.uri(span.file)?,
        };
        Some(Location { uri, range: self.range(span) })
    }
}

/// One compiler diagnostic in protocol terms, for the file of its primary span.
fn convert(places: &Places, d: &diagnostics::Diagnostic) -> Diagnostic {
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(" ({})", d.primary.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation { location: places.location(l.span)?, message: l.message.clone() })
        })
        .collect();
    Diagnostic {
        range: places.range(d.primary.span),
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::Error,
            Severity::Warning => DiagnosticSeverity::Warning,
        }),
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
        files
            .iter()
            .zip(lists)
            .map(|(f, list)| {
                let id = f.id(&ws.db);
                let unchanged = |at: u64| self.changed.get(&id).is_none_or(|&c| c <= at);
                let Some(kept) = self.last_sound.get(&id).filter(|kept| unchanged(kept.at)) else { return list };
                let withheld: Vec<_> = kept.policy.iter().filter(|d| !shown_now(d)).cloned().collect();
                if withheld.is_empty() {
                    list
                } else if kept.all.iter().filter(|d| shown_now(d)).eq(list.iter()) {
                    // Most often the file's list is what it was: the list published then.
                    kept.all.clone()
                } else {
                    Arc::new(merged(&list, &withheld))
                }
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
            let sent: Vec<Diagnostic> = source.iter().map(|d| convert(&places, d)).collect();
            let mut files: Vec<FileId> = source
                .iter()
                .flat_map(|d| std::iter::once(d.primary.span.file).chain(d.secondary.iter().map(|l| l.span.file)))
                .collect();
            files.sort();
            files.dedup();
            let unchanged = match self.published.get(&uri) {
                Some(old) => old.sent == sent,
                None => sent.is_empty(),
            };
            if !unchanged {
                send(connection, &uri, &sent);
            }
            updates.insert(uri, Published { source, converted_at: self.edits, files, sent });
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
        self.published.get(uri).is_some_and(|p| !p.sent.is_empty())
    }

    /// Every URI published.
    pub(crate) fn published_uris(&self) -> Vec<Uri> {
        self.published.keys().cloned().collect()
    }
}

/// Sends one file's diagnostics. Their JSON is made in two halves side by side when there are
/// many: for a file with hundreds of diagnostics, most of the time of a refresh after the
/// analysis, when the other core is idle.
pub(crate) fn send(connection: &Connection, uri: &Uri, diagnostics: &[Diagnostic]) {
    let to_json = |part: &[Diagnostic]| -> Vec<serde_json::Value> {
        part.iter().filter_map(|d| serde_json::to_value(d).ok()).collect()
    };
    let json = if diagnostics.len() < 64 {
        to_json(diagnostics)
    } else {
        let (first, second) = diagnostics.split_at(diagnostics.len() / 2);
        std::thread::scope(|scope| {
            let second = scope.spawn(|| to_json(second));
            let mut json = to_json(first);
            json.extend(second.join().unwrap_or_default());
            json
        })
    };
    // Moved in, not serialized again (as `json!` would).
    let mut params = serde_json::Map::new();
    params.insert("uri".into(), serde_json::to_value(uri).unwrap_or_default());
    params.insert("diagnostics".into(), serde_json::Value::Array(json));
    let params = serde_json::Value::Object(params);
    let _ = connection
        .sender
        .send(Message::Notification(Notification { method: "textDocument/publishDiagnostics".into(), params }));
}
