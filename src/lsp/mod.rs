//! `rolec lsp`: the language server, over standard input and output for editors, or any
//! [`lsp_server::Connection`] (in memory for tests): see [`transport`].
//!
//! One synchronous loop owns the salsa database (through [`Workspace`]): notifications that
//! change text run on it and set salsa inputs, so an edit re-runs only the queries that
//! depend on the edited file; requests only read (`&Server`), so they could run on a clone
//! of the database on a worker. Every request and notification runs under `catch_unwind`: a
//! panic becomes an error response and the server keeps serving.
//!
//! Invariants: only this module knows LSP types and JSON; positions in the protocol are
//! UTF-16 columns, converted in [`convert`] and nowhere else.
//!
//! One [`Server`] serves one policy; `projects` routes each message to the policy of its file
//! (one per `rolec.toml`, one per workspace folder for the files outside every project).
//!
//! Files: [`convert`] positions and URIs; `diagnostics` publishing; `projects` (the policies
//! and the routing); `hover`; `navigation` (definition, references, rename); `completion`;
//! `symbols` (document and workspace); `formatting`; `actions` (code actions).

mod actions;
mod completion;
pub mod convert;
mod diagnostics;
mod formatting;
mod hover;
mod navigation;
mod projects;
mod symbols;
pub mod transport;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use gen_lsp_types::{
    CodeActionProvider, CompletionOptions, DefinitionProvider, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DocumentFormattingProvider, DocumentSymbolProvider, HoverProvider, InitializeParams,
    InitializeResult, Location, Position, PositionEncodingKind, Range, ReferencesProvider, RenameOptions,
    RenameProvider, ServerCapabilities, ServerInfo, TextDocumentContentChangeEvent, TextDocumentSync,
    TextDocumentSyncKind, TextDocumentSyncOptions, Uri, WorkspaceFolders, WorkspaceFoldersServerCapabilities,
    WorkspaceOptions, WorkspaceSymbolProvider,
};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use crate::db::{SourceFile, Sources, Workspace};
use crate::diagnostics::render::SourceMap;
use crate::model::BuildOptions;
use crate::project::LintLevels;
use crate::syntax::names::{Globals, Occurrence};
use crate::syntax::{FileId, Span};

/// The server of one policy: the workspace (salsa inputs) and what was last sent to the client.
pub struct Server {
    ws: Workspace,
    /// The levels of warnings (`[lint]` of `rolec.toml`): those allowed are not published.
    lint: LintLevels,
    /// The URI the client used for each path it opened (answers use the same spelling).
    uris: HashMap<String, Uri>,
    /// Diagnostics last published, per URI.
    published: HashMap<Uri, diagnostics::Published>,
    /// Counts the text changes; `changed` holds the count at each file's last change, so that
    /// a list converted since then is known to hold current positions.
    edits: u64,
    changed: HashMap<FileId, u64>,
    /// Each file's diagnostics when the policy was last sound (see `diagnostics::publishable`).
    last_sound: HashMap<FileId, diagnostics::SoundLists>,
    /// The files open in the editor, with their text on disk when they were opened (restored
    /// when they are closed).
    on_disk: HashMap<String, Option<String>>,
}

/// Why the server stopped other than by the client's shutdown: the connection failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LspError {
    /// The handshake or the shutdown broke the protocol: what came instead.
    #[error("{0}")]
    Protocol(String),
    /// A message could not be sent: the client closed the connection (in the words of the
    /// channel's own error).
    #[error("sending on a disconnected channel")]
    Disconnected,
    /// The reply to `initialize` could not be written as JSON: serde_json's reason.
    #[error("{0}")]
    Encode(String),
}

/// Runs the server on a connection until the client shuts it down or the connection closes.
pub fn run(connection: Connection) -> Result<(), LspError> {
    serve(&transport::Transport::from(connection))
}

/// Runs the server until the client shuts it down or the connection closes.
pub fn serve(connection: &transport::Transport) -> Result<(), LspError> {
    // Edits re-parse only the items around them.
    crate::db::keep_parses();
    let (id, params) = connection.initialize_start()?;
    let init: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let mut router = projects::Router::new(folders_of(&init), options_of(&init));
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo { name: "rolec".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    connection.initialize_finish(id, serde_json::to_value(result).map_err(|e| LspError::Encode(e.to_string()))?)?;
    if watches_files(&init) {
        // Files created, changed or deleted outside the editor reach the workspace too.
        let register = json!({ "registrations": [{
            "id": "rolec-watch",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": { "watchers": [{ "globPattern": "**/*.role" }, { "globPattern": "**/rolec.toml" }] },
        }] });
        let req = Request::new(
            lsp_server::RequestId::from("rolec-watch".to_string()),
            "client/registerCapability".into(),
            register,
        );
        connection.send(Message::Request(req))?;
    }
    router.publish_all(connection);
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = router.handle_request(req);
                connection.send(Message::Response(response))?;
            }
            Message::Notification(n) => {
                let method = n.method.clone();
                match catch_unwind(AssertUnwindSafe(|| router.handle_notification(n))) {
                    Ok(touched) if touched.is_empty() => {}
                    Ok(touched) => router.publish(connection, &touched),
                    Err(panic) => eprintln!("rolec lsp: `{method}` failed: {}", panic_message(&panic)),
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSync::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::Incremental),
            ..Default::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".into(), ",".into(), "(".into()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProvider::Bool(true)),
        definition_provider: Some(DefinitionProvider::Bool(true)),
        references_provider: Some(ReferencesProvider::Bool(true)),
        document_symbol_provider: Some(DocumentSymbolProvider::Bool(true)),
        workspace_symbol_provider: Some(WorkspaceSymbolProvider::Bool(true)),
        code_action_provider: Some(CodeActionProvider::Bool(true)),
        document_formatting_provider: Some(DocumentFormattingProvider::Bool(true)),
        rename_provider: Some(RenameProvider::RenameOptions(RenameOptions {
            prepare_provider: Some(true),
            ..Default::default()
        })),
        workspace: Some(WorkspaceOptions {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(gen_lsp_types::ChangeNotifications::Bool(true)),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The workspace folders: every one of `workspaceFolders`, else `rootUri` (files only).
#[allow(deprecated)]
fn folders_of(init: &InitializeParams) -> Vec<PathBuf> {
    let uris: Vec<Uri> = match &init.workspace_folders_initialize_params.workspace_folders {
        Some(WorkspaceFolders::WorkspaceFolderList(list)) if !list.is_empty() => {
            list.iter().map(|f| f.uri.clone()).collect()
        }
        _ => init.root_uri.iter().cloned().collect(),
    };
    uris.iter()
        .filter(|uri| uri.as_ref().starts_with("file://"))
        .map(|uri| PathBuf::from(convert::uri_to_path(uri)))
        .collect()
}

/// Whether the client lets the server register a file watcher.
fn watches_files(init: &InitializeParams) -> bool {
    let caps = serde_json::to_value(&init.capabilities).unwrap_or_default();
    caps.pointer("/workspace/didChangeWatchedFiles/dynamicRegistration") == Some(&json!(true))
}

/// Build options: evaluated now; `initializationOptions.targetVersion` picks the version
/// (a project's `rolec.toml` overrides it).
fn options_of(init: &InitializeParams) -> BuildOptions {
    let mut options = BuildOptions { at: chrono::Utc::now().timestamp(), ..BuildOptions::default() };
    let version = init
        .initialization_options
        .as_ref()
        .and_then(|o| serde_json::to_value(o).ok())
        .and_then(|o| o.get("targetVersion").and_then(|v| v.as_u64()));
    if let Some(v) =
        version.and_then(|v| u32::try_from(v).ok()).filter(|v| crate::pg::roles::SUPPORTED_VERSIONS.contains(v))
    {
        options.target_version = v;
    }
    options
}

/// An error answered to a request.
pub(crate) struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    pub(crate) fn new(message: impl Into<String>) -> Failure {
        Failure { code: ErrorCode::RequestFailed, message: message.into() }
    }
}

type Answer = Result<serde_json::Value, Failure>;

/// Decodes the parameters, runs the handler and encodes its result.
fn answer<P: DeserializeOwned, R: Serialize>(req: Request, handler: impl FnOnce(P) -> Result<R, Failure>) -> Answer {
    let params: P = serde_json::from_value(req.params)
        .map_err(|e| Failure { code: ErrorCode::InvalidParams, message: e.to_string() })?;
    let result = handler(params)?;
    serde_json::to_value(result).map_err(|e| Failure { code: ErrorCode::InternalError, message: e.to_string() })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

impl Server {
    /// Loads the files and every `*.role` file under the directories given (as `rolec lint
    /// PATH…`); paths that cannot be read give an empty workspace that files join as they are
    /// opened. Hover names the files below `shown_from` relative to it.
    pub fn load(paths: Vec<PathBuf>, options: BuildOptions, shown_from: Option<&std::path::Path>) -> Server {
        let mut ws = Workspace::load(Sources::Paths(paths), options.clone())
            .ok()
            .or_else(|| Workspace::load(Sources::Paths(Vec::new()), options).ok())
            .expect("an empty workspace always loads");
        if let Some(dir) = shown_from {
            ws.show_paths_from(dir);
        }
        Server::with_workspace(ws)
    }

    /// A server over a workspace loaded already (tests give one that logs its queries).
    pub fn with_workspace(ws: Workspace) -> Server {
        Server {
            ws,
            lint: LintLevels::default(),
            uris: HashMap::new(),
            published: HashMap::new(),
            edits: 0,
            changed: HashMap::new(),
            last_sound: HashMap::new(),
            on_disk: HashMap::new(),
        }
    }

    pub(crate) fn handle_request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let method = req.method.clone();
        let server: &Server = self;
        let result = catch_unwind(AssertUnwindSafe(|| server.dispatch(req)));
        match result {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err(f)) => Response::new_err(id, f.code as i32, f.message),
            Err(panic) => {
                let message = format!("`{method}` failed: {}", panic_message(&panic));
                eprintln!("rolec lsp: {message}");
                Response::new_err(id, ErrorCode::InternalError as i32, message)
            }
        }
    }

    /// Requests only read the state: they could run on a worker with a clone of the database.
    fn dispatch(&self, req: Request) -> Answer {
        match req.method.as_str() {
            "textDocument/hover" => answer(req, |p| hover::hover(self, p)),
            "textDocument/definition" => answer(req, |p| navigation::definition(self, p)),
            "textDocument/references" => answer(req, |p| navigation::references(self, p)),
            "textDocument/prepareRename" => answer(req, |p| navigation::prepare_rename(self, p)),
            "textDocument/rename" => answer(req, |p| navigation::rename(self, p)),
            "textDocument/completion" => answer(req, |p| completion::completion(self, p)),
            "textDocument/documentSymbol" => answer(req, |p| symbols::document_symbols(self, p)),
            "workspace/symbol" => answer(req, |p| symbols::workspace_symbols(self, p)),
            "textDocument/formatting" => answer(req, |p| formatting::format(self, p)),
            "textDocument/codeAction" => answer(req, |p| actions::code_actions(self, p)),
            // Hidden: proves that a failing request does not stop the server.
            "rolec/panic" => answer(req, |()| -> Result<(), Failure> { panic!("requested panic") }),
            _ => Err(Failure { code: ErrorCode::MethodNotFound, message: format!("unknown request `{}`", req.method) }),
        }
    }

    /// Applies a notification; returns whether the text of the workspace changed.
    pub(crate) fn handle_notification(&mut self, n: Notification) -> bool {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else { return false };
                let path = convert::uri_to_path(&p.text_document.uri);
                self.uris.insert(path.clone(), p.text_document.uri);
                let disk = self.ws.file_by_path(&path).map(|f| f.text(&self.ws.db).clone());
                self.on_disk.entry(path.clone()).or_insert(disk);
                self.set_text(path, p.text_document.text);
                true
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else { return false };
                let path = convert::uri_to_path(&p.text_document.text_document_identifier.uri);
                let mut text = self.ws.file_by_path(&path).map(|f| f.text(&self.ws.db).clone()).unwrap_or_default();
                for change in p.content_changes {
                    match change {
                        TextDocumentContentChangeEvent::TextDocumentContentChangePartial(c) => {
                            let starts = crate::diagnostics::render::line_starts(&text);
                            let start = convert::offset(&text, &starts, c.range.start);
                            let end = convert::offset(&text, &starts, c.range.end).max(start);
                            text.replace_range(start..end, &c.text);
                        }
                        TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(c) => text = c.text,
                    }
                }
                self.set_text(path, text);
                true
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else { return false };
                let path = convert::uri_to_path(&p.text_document.uri);
                // Back to the text on disk: a file that was never saved keeps its last text, and
                // one that was on disk when it was opened and is gone now is empty (its roles leave
                // the policy, as a deleted file's do).
                let was_on_disk = self.on_disk.remove(&path).flatten().is_some();
                let disk = crate::db::files::read_policy_file(std::path::Path::new(&path))
                    .ok()
                    .or_else(|| was_on_disk.then(String::new));
                match (disk, self.ws.file_by_path(&path)) {
                    (Some(text), Some(_)) => {
                        self.set_text(path, text);
                        true
                    }
                    _ => false,
                }
            }
            "workspace/didChangeWatchedFiles" => {
                let Ok(p) = serde_json::from_value::<gen_lsp_types::DidChangeWatchedFilesParams>(n.params) else {
                    return false;
                };
                let mut changed = false;
                for event in p.changes {
                    let path = convert::uri_to_path(&event.uri);
                    // The editor's text wins over the disk while a document is open.
                    if self.on_disk.contains_key(&path) || !path.ends_with(".role") {
                        continue;
                    }
                    // A deleted file keeps its place in the workspace, empty.
                    let text = crate::db::files::read_policy_file(std::path::Path::new(&path)).unwrap_or_default();
                    if self.ws.file_by_path(&path).is_some() || !text.is_empty() {
                        self.set_text(path, text);
                        changed = true;
                    }
                }
                changed
            }
            _ => false,
        }
    }

    /// Sets the text of a file (opening it if the workspace did not have it).
    fn set_text(&mut self, path: String, text: String) {
        let file = self.ws.open_file(path, text);
        self.edits += 1;
        self.changed.insert(file.id(&self.ws.db), self.edits);
    }

    /// Whether the policy's files include `path`.
    pub(crate) fn holds(&self, path: &str) -> bool {
        self.ws.file_by_path(path).is_some_and(|f| self.ws.files().contains(&f))
    }

    /// The paths of the policy's files.
    pub(crate) fn paths(&self) -> impl Iterator<Item = String> + '_ {
        self.ws.files().iter().map(|f| f.path(&self.ws.db).clone())
    }

    /// The files open in the editor: path, URI and current text.
    pub(crate) fn open_documents(&self) -> Vec<(String, Uri, String)> {
        let mut open: Vec<(String, Uri, String)> = self
            .on_disk
            .keys()
            .filter_map(|path| {
                let uri = self.uris.get(path).cloned().or_else(|| convert::path_to_uri(path))?;
                Some((path.clone(), uri, self.ws.file_by_path(path)?.text(&self.ws.db).clone()))
            })
            .collect();
        open.sort_by(|a, b| a.0.cmp(&b.0));
        open
    }

    // ------------------------------------------------------------------ for the handlers

    pub(crate) fn workspace(&self) -> &Workspace {
        &self.ws
    }

    pub(crate) fn file(&self, uri: &Uri) -> Option<SourceFile> {
        self.ws.file_by_path(&convert::uri_to_path(uri))
    }

    /// The file of a URI, or a failure the client sees.
    pub(crate) fn known_file(&self, uri: &Uri) -> Result<SourceFile, Failure> {
        self.file(uri).ok_or_else(|| Failure::new(format!("`{}` is not a file of the workspace", uri.as_ref())))
    }

    pub(crate) fn uri(&self, file: FileId) -> Option<Uri> {
        let path = self.ws.file(file).path(&self.ws.db);
        self.uris.get(path).cloned().or_else(|| convert::path_to_uri(path))
    }

    pub(crate) fn text(&self, file: SourceFile) -> &str {
        file.text(&self.ws.db)
    }

    pub(crate) fn line_starts(&self, file: SourceFile) -> &[u32] {
        crate::db::line_starts(&self.ws.db, file)
    }

    /// The byte offset of a position in a file.
    pub(crate) fn offset(&self, file: SourceFile, pos: Position) -> usize {
        convert::offset(self.text(file), self.line_starts(file), pos)
    }

    pub(crate) fn position(&self, file: SourceFile, offset: usize) -> Position {
        convert::position(self.text(file), self.line_starts(file), offset)
    }

    pub(crate) fn range(&self, span: Span) -> Range {
        let file = self.ws.file(span.file);
        convert::range(self.text(file), self.line_starts(file), self.ws.range(span))
    }

    pub(crate) fn location(&self, span: Span) -> Option<Location> {
        Some(Location { uri: self.uri(span.file)?, range: self.range(span) })
    }

    /// Every name occurrence in the policy's files.
    pub(crate) fn occurrences(&self) -> Vec<Occurrence> {
        let trees: Vec<_> = self.ws.files().iter().map(|f| crate::db::syntax_tree(&self.ws.db, *f)).collect();
        let mut globals = Globals::default();
        for t in &trees {
            globals.add(t);
        }
        trees.iter().flat_map(|t| crate::syntax::names::occurrences(t, &globals)).collect()
    }

    /// The name under a position, with every occurrence of the policy.
    pub(crate) fn occurrence_at(
        &self,
        uri: &Uri,
        pos: Position,
    ) -> Result<(Option<Occurrence>, Vec<Occurrence>), Failure> {
        let file = self.known_file(uri)?;
        let offset = self.offset(file, pos);
        let id = file.id(&self.ws.db);
        let all = self.occurrences();
        let at = all
            .iter()
            .filter(|o| o.span.file == id)
            .filter(|o| {
                let r = self.ws.range(o.span);
                r.start <= offset && offset <= r.end
            })
            .min_by_key(|o| o.span.end - o.span.start)
            .cloned();
        Ok((at, all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;
    use serde_json::json;

    /// Every file's diagnostics.
    fn all(server: &Server) -> Vec<crate::diagnostics::Diagnostic> {
        server.ws.files().iter().flat_map(|f| diagnostics::of_file(server, *f)).collect()
    }

    fn count(log: &std::sync::Mutex<Vec<String>>, query: &str) -> usize {
        let events = std::mem::take(&mut *log.lock().expect("log"));
        events.iter().filter(|e| e.starts_with(&format!("{query}("))).count()
    }

    #[test]
    fn an_edit_reruns_only_what_depends_on_it() {
        let (db, log) = Database::with_execution_log();
        let sources = vec![
            ("/p/a.role".to_string(), "role reader {}\n".to_string()),
            ("/p/b.role".to_string(), "user alice { member of reader }\n".to_string()),
        ];
        let ws = Workspace::load_with(db, Sources::Memory(sources), BuildOptions::default()).expect("loads");
        let mut server = Server::with_workspace(ws);
        assert!(all(&server).is_empty());
        count(&log, "parse");
        let change = |text: &str| {
            Notification::new(
                "textDocument/didChange".into(),
                json!({ "textDocument": { "uri": "file:///p/b.role", "version": 2 }, "contentChanges": [{ "text": text }] }),
            )
        };
        // Text that only moves the item: b.role is parsed again, nothing is resolved again.
        assert!(server.handle_notification(change("// alice\n\nuser alice { member of reader }\n")));
        assert!(all(&server).is_empty());
        assert_eq!(count(&log, "resolved"), 0);
        // A real change: one parse, one resolution.
        assert!(server.handle_notification(change("user alice { member of readers }\n")));
        assert_eq!(all(&server).len(), 1);
        let events = std::mem::take(&mut *log.lock().expect("log"));
        assert_eq!(events.iter().filter(|e| e.starts_with("parse(")).count(), 1, "{events:?}");
        assert_eq!(events.iter().filter(|e| e.starts_with("resolved(")).count(), 1, "{events:?}");
    }
}
