//! Publishing diagnostics: every compiler and policy diagnostic of the workspace, per file,
//! with the secondary labels (the chains of a violation, the first statement of a duplicate)
//! as related information. Files that became clean get an empty list.
//!
//! An edit changes the lists of few files: each file's list comes from its own salsa query
//! (`db::file_diagnostics`), and a list is converted to protocol terms again only when it
//! changed or when a file it points into changed (positions are lines and UTF-16 columns, so
//! they move with the text), then sent only when the converted list changed.
//!
//! A list is written as JSON text straight from the compiler's diagnostics ([`Wire`]), and
//! that text is what is compared and sent (see [`super::transport`]): a 200 KB file's list
//! holds thousands of diagnostics and tens of thousands of related locations.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use gen_lsp_types::{Diagnostic, DiagnosticSeverity, Range, Uri};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::transport::Transport;
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
    /// As sent: the JSON array of the diagnostics.
    sent: String,
}

/// One file's compiler diagnostics.
type List = Arc<Vec<diagnostics::Diagnostic>>;

/// A file's lists when the policy was last sound: those of the policy (lowering, analysis),
/// all of its diagnostics, and the edit count then.
pub(crate) struct SoundLists {
    policy: List,
    all: List,
    at: u64,
    /// The list last published from these while the policy was broken: what it was made of
    /// (what the analysis showed, and the file's list then) and what it was. The next edit
    /// elsewhere leaves most files' lists the same (the same `Arc`), and then so is this.
    while_broken: Option<(crate::db::AnalysisShown, List, List)>,
}

/// One compiler diagnostic in protocol terms (`None` when its file has no URI): its JSON
/// read back as the protocol's type, so that code actions quote exactly what was published.
pub(crate) fn to_lsp(server: &Server, d: &diagnostics::Diagnostic) -> Option<(Uri, Diagnostic)> {
    let places = Places::of(server, [d]);
    let uri = places.files.get(&d.primary.span.file)?.uri.clone()?;
    let json = serde_json::to_value(wire(&places, d)).ok()?;
    Some((uri, serde_json::from_value(json).ok()?))
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

    /// The location of a span in a file of these places that has a URI.
    fn location(&self, span: Span) -> Option<Location<'_>> {
        Some(Location { uri: self.files.get(&span.file)?.uri.as_ref()?, range: self.range(span) })
    }
}

/// A diagnostic as the protocol's `Diagnostic` writes it, borrowing from the compiler's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    range: Range,
    severity: DiagnosticSeverity,
    code: &'static str,
    source: &'static str,
    message: MessageText<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_information: Vec<Related<'a>>,
}

/// The message an editor shows: the diagnostic's, its primary label's in parentheses, and
/// its help on a line of its own; written straight into the JSON (most lists have thousands).
struct MessageText<'a>(&'a diagnostics::Diagnostic);

impl std::fmt::Display for MessageText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        f.write_str(&d.message)?;
        if !d.primary.message.is_empty() {
            write!(f, " ({})", d.primary.message)?;
        }
        if let Some(help) = &d.help {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

impl Serialize for MessageText<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The protocol's `DiagnosticRelatedInformation`.
#[derive(Serialize)]
struct Related<'a> {
    location: Location<'a>,
    message: &'a str,
}

/// The protocol's `Location`.
#[derive(Serialize)]
struct Location<'a> {
    uri: &'a Uri,
    range: Range,
}

/// One compiler diagnostic in protocol terms, for the file of its primary span.
fn wire<'a>(places: &'a Places, d: &'a diagnostics::Diagnostic) -> Wire<'a> {
    let related_information = d
        .secondary
        .iter()
        .filter_map(|l| Some(Related { location: places.location(l.span)?, message: &l.message }))
        .collect();
    Wire {
        range: places.range(d.primary.span),
        severity: match d.severity() {
            Severity::Error => DiagnosticSeverity::Error,
            Severity::Warning => DiagnosticSeverity::Warning,
        },
        code: d.code.as_str(),
        source: "rolec",
        message: MessageText(d),
        related_information,
    }
}

/// A JSON array of `items`, written in two halves side by side when there are many: for a
/// file with thousands of diagnostics, the longest part of a refresh after the analysis,
/// while the other core is idle.
fn json_array<T: Serialize + Sync>(items: &[T]) -> String {
    let write = |part: &[T]| serde_json::to_string(part).unwrap_or_else(|_| "[]".into());
    if items.len() < 64 {
        return write(items);
    }
    let (first, second) = items.split_at(items.len() / 2);
    let (mut first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| write(second));
        (write(first), second.join().unwrap_or_else(|_| "[]".into()))
    });
    // `[a,b]` and `[c,d]` make `[a,b,c,d]`: both halves hold items.
    first.pop();
    first.push(',');
    first.push_str(&second[1..]);
    first
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
                let policy = file_policy_diagnostics(db, policy, *f).clone();
                // A repair gives back the lists of before (the same `Arc`s): what was made
                // from them while broken still holds, for the next half-typed word.
                let while_broken = self
                    .last_sound
                    .remove(&f.id(db))
                    .filter(|old| Arc::ptr_eq(&old.policy, &policy) && Arc::ptr_eq(&old.all, all))
                    .and_then(|old| old.while_broken);
                let kept = SoundLists { policy, all: all.clone(), at: self.edits, while_broken };
                self.last_sound.insert(f.id(db), kept);
            }
            return lists;
        }
        let shown = catch_unwind(AssertUnwindSafe(|| crate::db::shown_while_broken(&ws.db, ws.policy)))
            .unwrap_or(crate::db::AnalysisShown::Nothing);
        let shown_now = |d: &diagnostics::Diagnostic| shown.shows(d);
        let (changed, last_sound) = (&self.changed, &mut self.last_sound);
        files
            .iter()
            .zip(lists)
            .map(|(f, list)| {
                let id = f.id(&ws.db);
                let unchanged = |at: u64| changed.get(&id).is_none_or(|&c| c <= at);
                let Some(kept) = last_sound.get_mut(&id).filter(|kept| unchanged(kept.at)) else { return list };
                if let Some((_, _, made)) = kept
                    .while_broken
                    .as_ref()
                    .filter(|(was_shown, was, _)| *was_shown == shown && Arc::ptr_eq(was, &list))
                {
                    return made.clone();
                }
                let withheld: Vec<_> = kept.policy.iter().filter(|d| !shown_now(d)).cloned().collect();
                let made = if withheld.is_empty() {
                    list.clone()
                } else if kept.all.iter().filter(|d| shown_now(d)).eq(list.iter()) {
                    // Most often the file's list is what it was: the list published then.
                    kept.all.clone()
                } else {
                    Arc::new(merged(&list, &withheld))
                };
                kept.while_broken = Some((shown, list, made.clone()));
                made
            })
            .collect()
    }

    /// Sends the diagnostics of every file it `owns` whose list changed since it was last sent
    /// (without the warnings its lint levels allow). Returns the files it published before and
    /// no longer publishes (they left the policy, or another policy owns them now), for the
    /// caller to clear unless another policy publishes them.
    pub(crate) fn publish_diagnostics(&mut self, connection: &Transport, owns: &dyn Fn(&str) -> bool) -> Vec<Uri> {
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
            let wires: Vec<Wire> = source.iter().map(|d| wire(&places, d)).collect();
            let sent = json_array(&wires);
            drop(wires);
            let mut files: Vec<FileId> = source
                .iter()
                .flat_map(|d| std::iter::once(d.primary.span.file).chain(d.secondary.iter().map(|l| l.span.file)))
                .collect();
            files.sort();
            files.dedup();
            let unchanged = match self.published.get(&uri) {
                Some(old) => old.sent == sent,
                None => sent == "[]",
            };
            if !unchanged {
                send_json(connection, &uri, &sent);
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
        self.published.get(uri).is_some_and(|p| p.sent != "[]")
    }

    /// Every URI published.
    pub(crate) fn published_uris(&self) -> Vec<Uri> {
        self.published.keys().cloned().collect()
    }
}

/// Sends one file's diagnostics.
pub(crate) fn send(connection: &Transport, uri: &Uri, diagnostics: &[Diagnostic]) {
    send_json(connection, uri, &json_array(diagnostics));
}

/// Sends one file's diagnostics, given as a JSON array.
fn send_json(connection: &Transport, uri: &Uri, diagnostics: &str) {
    let Ok(uri) = serde_json::to_string(uri) else { return };
    // A closed connection ends the server's loop when it next reads.
    let _ = connection
        .notify_json("textDocument/publishDiagnostics", &format!(r#"{{"uri":{uri},"diagnostics":{diagnostics}}}"#));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;
    use gen_lsp_types::PublishDiagnosticsParams;
    use lsp_server::{Connection, Message};

    /// The lists are written by rolec itself, not by the protocol's types: read into those
    /// types and written back, each is the same JSON, so no field is misnamed, missing or of
    /// the wrong kind; and the text survives names that JSON must escape.
    #[test]
    fn the_json_written_is_the_protocols() {
        let a = "role reader { grant usage on schema app }\nrole \"qu\\\"ote\\\\d ünï\" {}\nuser alice { member of reader, reader, readers }\n";
        let b = "schema app { owner alice }\nrole lonely {}\nuser \"tab\there\" { member of nobody }\n";
        let sources = vec![("/p/a.role".to_string(), a.to_string()), ("/p/b.role".to_string(), b.to_string())];
        let ws = Workspace::load(Sources::Memory(sources), BuildOptions::default()).expect("loads");
        let mut server = Server::with_workspace(ws);
        let (ours, client) = Connection::memory();
        let transport = Transport::from(ours);
        server.publish_diagnostics(&transport, &|_| true);
        drop(transport);
        let (mut lists, mut related, mut helps) = (0, 0, 0);
        for message in client.receiver.try_iter() {
            let Message::Notification(n) = message else { panic!("only notifications: {message:?}") };
            assert_eq!(n.method, "textDocument/publishDiagnostics");
            let typed: PublishDiagnosticsParams =
                serde_json::from_value(n.params.clone()).expect("the protocol's type");
            assert_eq!(serde_json::to_value(&typed).expect("written back"), n.params);
            lists += 1;
            for d in &typed.diagnostics {
                related += d.related_information.as_ref().map_or(0, Vec::len);
                helps += usize::from(format!("{:?}", d.message).contains("help: "));
            }
        }
        assert_eq!(lists, 2, "both files have diagnostics");
        assert!(related > 0 && helps > 0, "related information and help lines are covered");
    }

    #[test]
    fn a_long_list_is_written_in_two_halves_as_one() {
        let items: Vec<String> = (0..200).map(|i| format!("item \"{i}\" \\ ü")).collect();
        for n in [0, 1, 63, 64, 65, 127, 200] {
            assert_eq!(json_array(&items[..n]), serde_json::to_string(&items[..n]).expect("JSON"), "{n} items");
        }
    }
}
