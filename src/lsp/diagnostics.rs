//! Publishing diagnostics: every compiler and policy diagnostic of the workspace, per file,
//! with the secondary labels (the chains of a violation, the first statement of a duplicate)
//! as related information. Files that became clean get an empty list.

use std::collections::{BTreeMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use gen_lsp_types::{Code, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Message as DiagMessage, PublishDiagnosticsParams, Uri};
use lsp_server::{Connection, Message, Notification};

use super::Server;
use crate::diagnostics::{self, Severity};

/// One compiler diagnostic in protocol terms (`None` when its file has no URI).
pub(crate) fn to_lsp(server: &Server, d: &diagnostics::Diagnostic) -> Option<(Uri, Diagnostic)> {
    let uri = server.uri(d.primary.span.file)?;
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
        .filter_map(|l| Some(DiagnosticRelatedInformation { location: server.location(l.span)?, message: l.message.clone() }))
        .collect();
    let diagnostic = Diagnostic {
        range: server.range(d.primary.span),
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::Error,
            Severity::Warning => DiagnosticSeverity::Warning,
        }),
        code: Some(Code::String(d.code.as_str().to_string())),
        source: Some("rolec".into()),
        message: DiagMessage::String(message),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    };
    Some((uri, diagnostic))
}

/// The compiler diagnostics of the workspace. Should the analysis fail, the syntax
/// diagnostics of each file are still reported.
pub(crate) fn all(server: &Server) -> Vec<diagnostics::Diagnostic> {
    let ws = server.workspace();
    match catch_unwind(AssertUnwindSafe(|| ws.diagnostics())) {
        Ok(d) => d.as_ref().clone(),
        Err(_) => {
            eprintln!("rolec lsp: the analysis failed; reporting syntax errors only");
            ws.files().iter().flat_map(|f| crate::db::parse(&ws.db, *f).diagnostics.clone()).collect()
        }
    }
}

impl Server {
    /// Sends the diagnostics of every file whose list changed since it was last sent.
    pub(crate) fn publish_diagnostics(&mut self, connection: &Connection) {
        let mut by_uri: BTreeMap<String, (Uri, Vec<Diagnostic>)> = BTreeMap::new();
        for f in self.ws.files() {
            if let Some(uri) = self.uri(f.id(&self.ws.db)) {
                by_uri.entry(uri.as_ref().to_string()).or_insert((uri, Vec::new()));
            }
        }
        for d in all(self) {
            if let Some((uri, diagnostic)) = to_lsp(self, &d) {
                by_uri.entry(uri.as_ref().to_string()).or_insert((uri, Vec::new())).1.push(diagnostic);
            }
        }
        let current: HashSet<Uri> = by_uri.values().map(|(u, _)| u.clone()).collect();
        // Files that left the policy (an import removed) are cleared.
        let gone: Vec<Uri> = self.published.keys().filter(|u| !current.contains(*u)).cloned().collect();
        for uri in gone {
            self.published.remove(&uri);
            send(connection, uri, Vec::new());
        }
        for (uri, list) in by_uri.into_values() {
            let unchanged = match self.published.get(&uri) {
                Some(old) => *old == list,
                None => list.is_empty(),
            };
            if unchanged {
                continue;
            }
            self.published.insert(uri.clone(), list.clone());
            send(connection, uri, list);
        }
    }
}

fn send(connection: &Connection, uri: Uri, diagnostics: Vec<Diagnostic>) {
    let params = PublishDiagnosticsParams { uri, version: None, diagnostics };
    let _ = connection.sender.send(Message::Notification(Notification::new("textDocument/publishDiagnostics".into(), params)));
}
