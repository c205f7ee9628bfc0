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
//! holds thousands of diagnostics and tens of thousands of related locations. A diagnostic
//! that is the same, at the same positions, as in the list the file published last is copied
//! from that list's text ([`Written`]); and a file's lists are read in order where they are,
//! not merged into one ([`Lists`]).

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use gen_lsp_types::{Diagnostic, DiagnosticSeverity, Range, Uri};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::transport::Transport;
use super::Server;
use crate::db::file_diagnostics::sort_key;
use crate::db::SourceFile;
use crate::diagnostics::{self, Severity};
use crate::syntax::{FileId, Span};

/// What was last published for one URI.
pub(crate) struct Published {
    /// The compiler's lists it was converted from.
    source: Lists,
    /// The last other list found equal to it. While a file is broken and repaired in turn, its
    /// lists alternate between two `Arc`s that hold the same diagnostics (those of the last
    /// sound policy, and the list made from them while broken): both are known to be the same
    /// without comparing thousands of diagnostics at each edit.
    also: Option<Lists>,
    /// The edit count when it was converted, and the files its positions are in, with the URI
    /// each was written with.
    converted_at: u64,
    files: Vec<(FileId, Option<Uri>)>,
    /// As sent: the JSON array of the diagnostics.
    sent: Arc<String>,
    /// Where each diagnostic is in `sent`, and the positions it was written with.
    written: Written,
}

impl Published {
    /// Whether `list` holds what was published.
    fn holds(&mut self, list: &Lists) -> bool {
        if self.source.same(list) || self.also.as_ref().is_some_and(|also| also.same(list)) {
            return true;
        }
        let same = self.source == *list;
        if same {
            self.also = Some(list.clone());
        }
        same
    }
}

/// Where each diagnostic of a list is in its JSON text, and the positions it was written with:
/// the next list of the file copies the text of a diagnostic that is the same, at the same
/// positions, instead of writing it again. Most edits leave most of a file's diagnostics as
/// they were, and their text (with the related locations, a URI each) is what takes longest.
#[derive(Default)]
struct Written {
    /// The end of each diagnostic's text (the array's items are separated by one comma).
    ends: Vec<usize>,
    /// The ranges of the diagnostics, each's own then its related locations', all in a row;
    /// and the end of each diagnostic's.
    ranges: Vec<Range>,
    range_ends: Vec<usize>,
    /// How many diagnostics were copied from the list before.
    copied: usize,
}

/// One file's compiler diagnostics, or some of them.
type List = Arc<Vec<diagnostics::Diagnostic>>;

/// One file's compiler diagnostics, as lists each sorted by [`sort_key`] and read as one: in
/// the order of that key, and among equal keys the earlier list's first. That is the order of
/// [`crate::db::file_diagnostics::merged`], without copying a large file's thousands of
/// diagnostics into one list at each edit that adds one (a syntax error, say).
#[derive(Clone, Default)]
pub(crate) struct Lists(Vec<List>);

impl Lists {
    fn of(lists: impl IntoIterator<Item = List>) -> Lists {
        Lists(lists.into_iter().filter(|l| !l.is_empty()).collect())
    }

    /// These and one more list, whose diagnostics go after these' among equal keys.
    fn and(&self, list: List) -> Lists {
        Lists::of(self.0.iter().cloned().chain([list]))
    }

    /// Whether both are made of the same lists (the same `Arc`s).
    fn same(&self, other: &Lists) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }

    fn len(&self) -> usize {
        self.0.iter().map(|l| l.len()).sum()
    }

    /// The diagnostics, in order.
    fn items(&self) -> Vec<&diagnostics::Diagnostic> {
        if let [list] = &self.0[..] {
            return list.iter().collect();
        }
        let mut next = vec![0; self.0.len()];
        let mut out = Vec::with_capacity(self.len());
        loop {
            let heads = self.0.iter().zip(&next).enumerate().filter_map(|(i, (list, &n))| Some((i, list.get(n)?)));
            // `min_by_key` keeps the first of equal keys: the earlier list's.
            let Some((i, d)) = heads.min_by_key(|(_, d)| sort_key(d)) else { return out };
            out.push(d);
            next[i] += 1;
        }
    }
}

/// Equal when they hold the same diagnostics in the same order.
impl PartialEq for Lists {
    fn eq(&self, other: &Lists) -> bool {
        self.same(other) || self.items() == other.items()
    }
}

/// A file's lists when the policy was last sound: those of the policy (lowering, analysis),
/// all of its diagnostics, and the edit count then.
pub(crate) struct SoundLists {
    policy: List,
    all: Lists,
    at: u64,
    /// The list last published from these while the policy was broken: what it was made of
    /// (what the analysis showed, and the file's list then) and what it was. The next edit
    /// elsewhere leaves most files' lists the same (the same `Arc`), and then so is this.
    while_broken: Option<(crate::db::AnalysisShown, Lists, Lists)>,
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

/// The places of the files some diagnostics point into. Shared by the threads that write a
/// list (no database in it).
struct Places<'a> {
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
        Places { files }
    }

    /// The range of a span in a file of these places (the start of the file for any other:
    /// every span of the diagnostics they were made for is in one of them).
    fn range(&self, span: Span) -> Range {
        match self.files.get(&span.file) {
            Some(p) => super::convert::range(p.text, p.starts, crate::db::span_range(p.parsed, span)),
            None => Range::default(),
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

/// The list a file published before: its diagnostics, its text and where each is in it.
type Old<'a> = (&'a [&'a diagnostics::Diagnostic], &'a str, &'a Written);

/// A file's diagnostics as a JSON array, copying from `old` what it holds the same; a long
/// list is written in two halves side by side (the longest part of a refresh after the
/// analysis, while the other core is idle).
fn write_list(places: &Places, list: &[&diagnostics::Diagnostic], old: Option<Old>) -> (String, Written) {
    let (mut text, mut written) = if list.len() < 64 {
        write_items(places, list, old)
    } else {
        let (first, second) = list.split_at(list.len() / 2);
        let (first, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| write_items(places, second, old));
            (write_items(places, first, old), second.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        join(first, second)
    };
    text.insert(0, '[');
    written.ends.iter_mut().for_each(|end| *end += 1);
    text.push(']');
    (text, written)
}

/// Two runs of items written apart, as one.
fn join((mut text, mut written): (String, Written), (second_text, second): (String, Written)) -> (String, Written) {
    if second.ends.is_empty() {
        return (text, written);
    }
    let shift = if written.ends.is_empty() { 0 } else { text.len() + 1 };
    if shift > 0 {
        text.push(',');
    }
    text.push_str(&second_text);
    written.ends.extend(second.ends.iter().map(|end| end + shift));
    let range_shift = written.ranges.len();
    written.ranges.extend(second.ranges);
    written.range_ends.extend(second.range_ends.iter().map(|end| end + range_shift));
    written.copied += second.copied;
    (text, written)
}

/// Some diagnostics as JSON items separated by commas, without the brackets.
fn write_items(places: &Places, list: &[&diagnostics::Diagnostic], old: Option<Old>) -> (String, Written) {
    let (mut text, mut written) = (Vec::new(), Written::default());
    // Both lists are sorted by `sort_key`: the old one is walked once, from where this part's
    // first diagnostic would be.
    let mut next = match (old, list.first()) {
        (Some((old, _, _)), Some(first)) => old.partition_point(|d| sort_key(d) < sort_key(first)),
        _ => 0,
    };
    for d in list {
        let wire = wire(places, d);
        let range_start = written.ranges.len();
        written.ranges.push(wire.range);
        written.ranges.extend(wire.related_information.iter().map(|r| r.location.range));
        let ranges = &written.ranges[range_start..];
        if !written.ends.is_empty() {
            text.push(b',');
        }
        match old.and_then(|old| same_in(old, &mut next, d, ranges)) {
            Some(same) => {
                text.extend_from_slice(same.as_bytes());
                written.copied += 1;
            }
            None => {
                if serde_json::to_writer(&mut text, &wire).is_err() {
                    text.extend_from_slice(b"null");
                }
            }
        }
        written.ends.push(text.len());
        written.range_ends.push(written.ranges.len());
    }
    // JSON text copied or written by serde_json: UTF-8.
    (String::from_utf8(text).unwrap_or_default(), written)
}

/// The text of the diagnostic of the old list that equals `d` and was written at `ranges`:
/// looked for among the few with `d`'s sort key, from `next` on (which moves past the old
/// diagnostics that sort before `d`).
fn same_in<'a>(
    (old, text, written): Old<'a>,
    next: &mut usize,
    d: &diagnostics::Diagnostic,
    ranges: &[Range],
) -> Option<&'a str> {
    let key = sort_key(d);
    while *next < old.len() && sort_key(old[*next]) < key {
        *next += 1;
    }
    let candidates = (*next..old.len()).take_while(|&i| sort_key(old[i]) == key).take(8);
    let found = candidates.into_iter().find(|&i| {
        let range_start = if i == 0 { 0 } else { written.range_ends[i - 1] };
        written.ranges.get(range_start..written.range_ends[i]) == Some(ranges) && old[i] == d
    })?;
    let start = if found == 0 { 1 } else { written.ends[found - 1] + 1 };
    text.get(start..written.ends[found])
}

/// The compiler diagnostics of each file. Should the analysis fail, the syntax diagnostics of
/// each file are still reported.
fn lists(server: &Server, files: &[SourceFile]) -> Vec<Lists> {
    use crate::db::file_diagnostics::{file_policy_diagnostics, file_source_diagnostics};
    let ws = server.workspace();
    let per_file = || {
        ws.analyze_in_parallel();
        let (db, policy) = (&ws.db, ws.policy);
        // As `db::file_diagnostics::file_diagnostics` makes them, without merging the two.
        let of = |f: &SourceFile| {
            Lists::of([
                file_source_diagnostics(db, policy, *f).clone(),
                file_policy_diagnostics(db, policy, *f).clone(),
            ])
        };
        files.iter().map(of).collect()
    };
    match catch_unwind(AssertUnwindSafe(per_file)) {
        Ok(lists) => lists,
        Err(_) => {
            eprintln!("rolec lsp: the analysis failed; reporting syntax errors only");
            files.iter().map(|f| Lists::of([Arc::new(crate::db::parse(&ws.db, *f).diagnostics.clone())])).collect()
        }
    }
}

/// The compiler diagnostics of one file.
pub(crate) fn of_file(server: &Server, file: SourceFile) -> Vec<diagnostics::Diagnostic> {
    lists(server, &[file]).remove(0).items().into_iter().cloned().collect()
}

impl Server {
    /// The lists to publish. While the policy has errors, the analysis runs on what resolved
    /// and some of its findings are withheld (see [`crate::db::AnalysisShown`]: those about
    /// something absent, and all while memberships form a cycle). Rather than clearing them
    /// from every file until the next keystroke brings them all back, each file keeps those of
    /// the last sound policy, as long as its text has not changed since.
    fn publishable(&mut self, files: &[SourceFile]) -> Vec<Lists> {
        use crate::db::file_diagnostics::file_policy_diagnostics;
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
                    .filter(|old| Arc::ptr_eq(&old.policy, &policy) && old.all.same(all))
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
                if let Some((_, _, made)) =
                    kept.while_broken.as_ref().filter(|(was_shown, was, _)| *was_shown == shown && was.same(&list))
                {
                    return made.clone();
                }
                let withheld: Vec<_> = kept.policy.iter().filter(|d| !shown_now(d)).cloned().collect();
                let made = if withheld.is_empty() {
                    list.clone()
                } else if kept.all.items().into_iter().filter(|d| shown_now(d)).eq(list.items()) {
                    // Most often the file's list is what it was: the list published then.
                    kept.all.clone()
                } else {
                    list.and(Arc::new(withheld))
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
                let items = list.items();
                if !items.iter().all(|d| self.lint.reports(d)) {
                    *list =
                        Lists::of([Arc::new(items.into_iter().filter(|d| self.lint.reports(d)).cloned().collect())]);
                }
            }
        }
        let mut current = HashSet::new();
        let mut updates: HashMap<Uri, Published> = HashMap::new();
        for (file, source) in files.iter().zip(lists) {
            let Some(uri) = self.uri(file.id(&self.ws.db)) else { continue };
            current.insert(uri.clone());
            // The cheap test first: a list in a file that changed is converted again anyway.
            if let Some(p) = self.published.get_mut(&uri) {
                if p.files.iter().all(|(f, _)| self.changed.get(f).is_none_or(|&at| at <= p.converted_at))
                    && p.holds(&source)
                {
                    continue;
                }
            }
            let items = source.items();
            let places = Places::of(self, items.iter().copied());
            let mut files: Vec<(FileId, Option<Uri>)> = places.files.iter().map(|(f, p)| (*f, p.uri.clone())).collect();
            files.sort_by_key(|(f, _)| *f);
            // Text is copied only where every file keeps its URI (an editor that opens a file
            // may name it otherwise than the server did).
            let previous = self.published.get(&uri);
            let same_uris =
                |p: &&Published| p.files.iter().all(|(f, u)| places.files.get(f).is_none_or(|n| n.uri == *u));
            let old_items = previous.filter(same_uris).map(|p| p.source.items());
            let old = previous.zip(old_items.as_deref()).map(|(p, i)| (i, p.sent.as_str(), &p.written));
            let (sent, written) = write_list(&places, &items, old);
            let sent = Arc::new(sent);
            let unchanged = match previous {
                Some(p) => p.sent == sent,
                None => *sent == "[]",
            };
            if !unchanged {
                send_json(connection, &uri, &sent);
            }
            drop((items, old_items, places));
            updates.insert(uri, Published { source, also: None, converted_at: self.edits, files, sent, written });
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
        self.published.get(uri).is_some_and(|p| *p.sent != "[]")
    }

    /// Every URI published.
    pub(crate) fn published_uris(&self) -> Vec<Uri> {
        self.published.keys().cloned().collect()
    }
}

/// Sends one file's diagnostics.
pub(crate) fn send(connection: &Transport, uri: &Uri, diagnostics: &[Diagnostic]) {
    send_json(connection, uri, &Arc::new(serde_json::to_string(diagnostics).unwrap_or_else(|_| "[]".into())));
}

/// Sends one file's diagnostics, given as a JSON array.
fn send_json(connection: &Transport, uri: &Uri, diagnostics: &Arc<String>) {
    let Ok(uri) = serde_json::to_string(uri) else { return };
    let head = Arc::new(format!(r#"{{"uri":{uri},"diagnostics":"#));
    // A closed connection ends the server's loop when it next reads.
    let _ =
        connection.notify_json("textDocument/publishDiagnostics", &[head, diagnostics.clone(), Arc::new("}".into())]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;
    use gen_lsp_types::PublishDiagnosticsParams;
    use lsp_server::{Connection, Message};

    /// A server over the policy of these files (path, text).
    fn server_of(files: &[(&str, &str)]) -> Server {
        let sources = files.iter().map(|(path, text)| (path.to_string(), text.to_string())).collect();
        Server::with_workspace(Workspace::load(Sources::Memory(sources), BuildOptions::default()).expect("loads"))
    }

    /// The lists are written by rolec itself, not by the protocol's types: read into those
    /// types and written back, each is the same JSON, so no field is misnamed, missing or of
    /// the wrong kind; and the text survives names that JSON must escape.
    #[test]
    fn the_json_written_is_the_protocols() {
        let a = "role reader { grant usage on schema app }\nrole \"qu\\\"ote\\\\d ünï\" {}\nuser alice { member of reader, reader, readers }\n";
        let b = "schema app { owner alice }\nrole lonely {}\nuser \"tab\there\" { member of nobody }\n";
        let mut server = server_of(&[("/p/a.role", a), ("/p/b.role", b)]);
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

    /// A long list is written in two halves; the text is one array all the same, copied from
    /// an old list or not.
    #[test]
    fn a_long_list_is_written_in_two_halves_as_one() {
        let text: String = (0..200).map(|i| format!("role unused_{i} {{}}\n")).collect();
        let server = server_of(&[("/p/a.role", &text)]);
        let file = server.ws.files()[0];
        let all = lists(&server, &[file]).remove(0);
        let items = all.items();
        assert!(items.len() >= 200, "a warning per role");
        let places = Places::of(&server, items.iter().copied());
        let (full, written) = write_list(&places, &items, None);
        for n in [0, 1, 63, 64, 65, 127, 200] {
            let wires: Vec<Wire> = items[..n].iter().map(|d| wire(&places, d)).collect();
            let expected = serde_json::to_string(&wires).expect("JSON");
            assert_eq!(write_list(&places, &items[..n], None).0, expected, "{n} items");
            let (copied, w) = write_list(&places, &items[..n], Some((&items, &full, &written)));
            assert_eq!((copied, w.copied), (expected, n), "{n} items, copied");
        }
    }

    /// Lists read as one come in the order `merged` sorts them into, ties included.
    #[test]
    fn lists_read_in_the_order_of_merged() {
        use crate::db::file_diagnostics::merged;
        use crate::diagnostics::Code;
        let at = |code: Code, item: u32, start: u32, message: &str| {
            diagnostics::Diagnostic::new(code, Span { file: FileId(0), item, start, end: start + 1 }, message)
        };
        let sorted = |mut list: Vec<diagnostics::Diagnostic>| {
            list.sort_by_key(sort_key);
            Arc::new(list)
        };
        // Equal keys in every list, errors and warnings, an empty list.
        let a = sorted(vec![
            at(Code::UnknownRole, 0, 4, "a1"),
            at(Code::Redundant, 1, 0, "a2"),
            at(Code::Redundant, 2, 3, "a3"),
        ]);
        let b = sorted(vec![
            at(Code::Redundant, 1, 0, "b1"),
            at(Code::UnknownRole, 0, 4, "b2"),
            at(Code::Redundant, 0, 1, "b3"),
        ]);
        let c = sorted(vec![
            at(Code::Redundant, 1, 0, "c1"),
            at(Code::Redundant, 3, 0, "c2"),
            at(Code::UnknownRole, 0, 0, "c3"),
        ]);
        let two = Lists::of([a.clone(), Arc::new(Vec::new()), b.clone()]);
        assert_eq!(two.items().into_iter().cloned().collect::<Vec<_>>(), merged(&a, &b));
        let three = two.and(c.clone());
        assert_eq!(three.items().into_iter().cloned().collect::<Vec<_>>(), merged(&merged(&a, &b), &c));
        assert_eq!(three.len(), 9);
        assert!(three != two && three == Lists::of([Arc::new(merged(&merged(&a, &b), &c))]));
    }

    /// The text of a list copied in part from the last one published is the text written
    /// afresh, whatever moved: lines added above, a column shifted, a file its related
    /// locations point into edited, a syntax error and its repair.
    #[test]
    fn a_list_copied_from_the_last_one_is_the_list_written_afresh() {
        let a = "role approver {}\nrole requester {}\nrole team_a { member of approver }\nrole team_b { member of requester }\n";
        let b = "user alice { member of team_a, team_b }\nuser bob { member of team_a, team_b }\nuser carol { member of team_a, team_a }\npolicy sod applies to users { warn exclusive approver, requester }\n";
        let mut server = server_of(&[("/p/a.role", a), ("/p/b.role", b)]);
        let (ours, _client) = Connection::memory();
        let transport = Transport::from(ours);
        server.publish_diagnostics(&transport, &|_| true);
        let edits = [
            ("/p/b.role", format!("// a line above\n{b}")),
            ("/p/b.role", format!("// a line above\n{}", b.replace("user bob", "user  bob"))),
            ("/p/a.role", format!("// a line above\n{a}")),
            ("/p/b.role", format!("// a line above\n{}", b.replace("user carol", "user carol2"))),
            ("/p/b.role", format!("// a line above\n{}x", b.replace("user carol", "user carol2"))),
            ("/p/b.role", format!("// a line above\n{}", b.replace("user carol", "user carol2"))),
            ("/p/a.role", format!("// a line above\n{a}// and one below\n")),
        ];
        let (mut copied, mut related) = (0, 0);
        let last = edits.last().expect("edits").1.clone();
        for (path, text) in edits {
            server.set_text(path.into(), text);
            server.publish_diagnostics(&transport, &|_| true);
            check(&server, path, &mut copied, &mut related);
        }
        // An editor opens a file under a URI spelled otherwise than the server's own: the
        // related locations into it are written with that URI, not copied with the old one.
        let opened = serde_json::json!({ "textDocument": {
            "uri": "file:///p/%61.role", "languageId": "rolec", "version": 1, "text": last } });
        assert!(server.handle_notification(lsp_server::Notification::new("textDocument/didOpen".into(), opened)));
        server.publish_diagnostics(&transport, &|_| true);
        check(&server, "/p/a.role", &mut copied, &mut related);
        let spelled = |uri: &str| server.published.values().filter(|p| p.sent.contains(uri)).count();
        assert!(spelled("file:///p/%61.role") > 0, "related locations in a.role");
        assert_eq!(spelled("file:///p/a.role"), 0, "no related location keeps the URI of before");
        assert!(copied > 0 && related > 0, "lists with related locations were copied in part");
    }

    fn check(server: &Server, path: &str, copied: &mut usize, related: &mut usize) {
        for published in server.published.values() {
            let items = published.source.items();
            let places = Places::of(server, items.iter().copied());
            assert_eq!(*published.sent, write_list(&places, &items, None).0, "after the edit of {path}");
            *copied += published.written.copied;
            *related += items.iter().map(|d| d.secondary.len()).sum::<usize>();
        }
    }
}
