//! Document symbols (the outline of one file) and workspace symbols (declarations of every
//! file, filtered by the query).

use gen_lsp_types::{
    BaseSymbolInformation, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolInformation, SymbolKind,
    WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

use super::{Failure, Server};
use crate::diagnostics::render::SourceMap;
use crate::syntax::ast::{Item, ItemKind, Name, ObjectKind};
use crate::syntax::Span;

pub(crate) fn document_symbols(
    server: &Server,
    p: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>, Failure> {
    let file = server.known_file(&p.text_document.uri)?;
    let tree = crate::db::syntax_tree(&server.workspace().db, file);
    let symbols = tree.items.iter().filter_map(|i| symbol(server, i)).collect();
    Ok(Some(DocumentSymbolResponse::DocumentSymbolList(symbols)))
}

pub(crate) fn workspace_symbols(
    server: &Server,
    p: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>, Failure> {
    let query = p.query.to_lowercase();
    let ws = server.workspace();
    let mut out = Vec::new();
    for f in ws.files() {
        let Some(uri) = server.uri(f.id(&ws.db)) else { continue };
        let tree = crate::db::syntax_tree(&ws.db, *f);
        let mut stack: Vec<DocumentSymbol> = tree.items.iter().filter_map(|i| symbol(server, i)).collect();
        while let Some(s) = stack.pop() {
            stack.extend(s.children.clone().unwrap_or_default());
            if !s.name.to_lowercase().contains(&query) {
                continue;
            }
            #[allow(deprecated)]
            out.push(SymbolInformation {
                deprecated: None,
                location: gen_lsp_types::Location { uri: uri.clone(), range: s.selection_range },
                base_symbol_information: BaseSymbolInformation {
                    name: s.name,
                    kind: s.kind,
                    tags: None,
                    container_name: None,
                },
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.base_symbol_information.name, a.location.uri.as_ref())
            .cmp(&(&b.base_symbol_information.name, b.location.uri.as_ref()))
    });
    Ok(Some(WorkspaceSymbolResponse::SymbolInformationList(out)))
}

/// One item of the outline; `None` for items that declare nothing.
fn symbol(server: &Server, item: &Item) -> Option<DocumentSymbol> {
    let (name, detail, kind, at, children): (String, &str, SymbolKind, Span, Vec<DocumentSymbol>) = match &item.kind {
        ItemKind::Role(r) => (
            written(server, &r.name),
            if r.is_user { "user" } else { "role" },
            SymbolKind::Class,
            r.name.span,
            Vec::new(),
        ),
        ItemKind::Template(t) => (t.name.text.clone(), "template", SymbolKind::Function, t.name.span, Vec::new()),
        ItemKind::Let(l) => (l.name.text.clone(), "let", SymbolKind::Variable, l.name.span, Vec::new()),
        ItemKind::Schema(s) => (written(server, &s.name), "schema", SymbolKind::Namespace, s.name.span, Vec::new()),
        ItemKind::Policy(p) => (p.name.text.clone(), "policy", SymbolKind::Interface, p.name.span, Vec::new()),
        ItemKind::Object(o) => {
            let kind = match o.kind {
                ObjectKind::Table => "table",
                ObjectKind::View => "view",
                ObjectKind::Sequence => "sequence",
                ObjectKind::Function => "function",
            };
            (written_span(server, o.name.span), kind, SymbolKind::Struct, o.name.span, Vec::new())
        }
        ItemKind::For(f) => {
            let children = f.items.iter().filter_map(|i| symbol(server, i)).collect();
            (format!("for {}", f.var.text), "for", SymbolKind::Array, f.var.span, children)
        }
        ItemKind::External(names) => {
            let first = names.first()?;
            let all: Vec<String> = names.iter().map(|n| written(server, n)).collect();
            (all.join(", "), "external role", SymbolKind::Class, first.span, Vec::new())
        }
        ItemKind::Import(_) => (written_span(server, item.span), "import", SymbolKind::Module, item.span, Vec::new()),
        _ => return None,
    };
    #[allow(deprecated)]
    Some(DocumentSymbol {
        name,
        detail: Some(detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: server.range(item.span),
        selection_range: server.range(at),
        children: (!children.is_empty()).then_some(children),
    })
}

/// A name as written in the source.
fn written(server: &Server, n: &Name) -> String {
    written_span(server, n.span)
}

fn written_span(server: &Server, span: Span) -> String {
    let ws = server.workspace();
    ws.text(span.file).get(ws.range(span)).unwrap_or_default().to_string()
}
