//! Hover: for a role, what `rolec explain` prints (attributes, roles reached and effective
//! privileges, each with its chain); for a template its signature; for a schema its owner;
//! for a variable its definition; each with its doc comments.

use gen_lsp_types::{Contents, Hover, HoverParams, MarkupContent, MarkupKind};

use super::{Failure, Server};
use crate::analysis::explain::explain;
use crate::syntax::ast::{ItemKind, SourceAst};
use crate::syntax::names::{literal_name, Symbol};
use crate::syntax::Span;

pub(crate) fn hover(server: &Server, p: HoverParams) -> Result<Option<Hover>, Failure> {
    let pos = p.text_document_position_params;
    let (Some(at), _) = server.occurrence_at(&pos.text_document.uri, pos.position)? else { return Ok(None) };
    let text = match &at.symbol {
        Symbol::Role(name) => role(server, name),
        Symbol::Template(name) => template(server, name),
        Symbol::Schema(name) => schema(server, name),
        Symbol::Variable { def, .. } => format!("```rolec\n{}\n```", line_of(server, *def)),
        Symbol::Import(path) => format!("import `{path}`"),
    };
    Ok(Some(Hover {
        contents: Contents::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: text }),
        range: Some(server.range(at.span)),
    }))
}

fn role(server: &Server, name: &str) -> String {
    let ws = server.workspace();
    let resolved = ws.resolved();
    let model = &resolved.model;
    let members = crate::db::membership_analysis(&ws.db, ws.policy);
    let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
    let mut out = docs(server, |kind| match kind {
        ItemKind::Role(r) if literal_name(&r.name).as_deref() == Some(name) => Some(r.docs.clone()),
        _ => None,
    });
    match explain(model, members, privileges, name) {
        Some(e) => {
            let later = !crate::analysis::explain::future_objects(model, privileges).is_empty();
            out.push_str(&format!("```text\n{}```", crate::cli::explain::human(ws, model, &e, later)))
        }
        None => match crate::pg::roles::predefined_since(name) {
            Some(since) => out.push_str(&format!("predefined role `{name}` (PostgreSQL {since} and later)")),
            None => out.push_str(&format!("unknown role `{name}`")),
        },
    }
    out
}

fn template(server: &Server, name: &str) -> String {
    let ws = server.workspace();
    for f in ws.files() {
        let tree = crate::db::syntax_tree(&ws.db, *f);
        for item in &tree.items {
            let ItemKind::Template(t) = &item.kind else { continue };
            if t.name.text != name {
                continue;
            }
            let params: Vec<String> = t
                .params
                .iter()
                .map(|p| match &p.default {
                    Some(v) => format!("{}: {} = {}", p.name.text, p.ty.as_str(), source(server, v.span)),
                    None => format!("{}: {}", p.name.text, p.ty.as_str()),
                })
                .collect();
            let mut out = doc_text(&t.docs);
            out.push_str(&format!("```rolec\ntemplate {name}({})\n```", params.join(", ")));
            return out;
        }
    }
    format!("unknown template `{name}`")
}

fn schema(server: &Server, name: &str) -> String {
    let resolved = server.workspace().resolved();
    let mut out = docs(server, |kind| match kind {
        ItemKind::Schema(s) if literal_name(&s.name).as_deref() == Some(name) => Some(s.docs.clone()),
        _ => None,
    });
    out.push_str(&format!("schema `{name}`"));
    if let Some(s) = resolved.model.schemas.iter().find(|s| s.name == name) {
        if let Some(owner) = &s.owner {
            out.push_str(&format!("\n\nowner: `{owner}`"));
        }
        if !s.creators.is_empty() {
            out.push_str(&format!(
                "\n\ncreators: {}",
                s.creators.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    out
}

/// The doc comments of the first item `pick` accepts, as a paragraph.
fn docs(server: &Server, pick: impl Fn(&ItemKind) -> Option<Vec<String>>) -> String {
    let ws = server.workspace();
    for f in ws.files() {
        let tree: &std::sync::Arc<SourceAst> = crate::db::syntax_tree(&ws.db, *f);
        for item in &tree.items {
            if let Some(d) = pick(&item.kind) {
                return doc_text(&d);
            }
        }
    }
    String::new()
}

fn doc_text(docs: &[String]) -> String {
    if docs.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = docs.iter().map(|d| d.trim()).collect();
    format!("{}\n\n", lines.join("\n"))
}

fn source(server: &Server, span: Span) -> String {
    use crate::diagnostics::render::SourceMap;
    let ws = server.workspace();
    let text = ws.text(span.file);
    text.get(ws.range(span)).unwrap_or_default().to_string()
}

/// The line a span starts on, trimmed.
fn line_of(server: &Server, span: Span) -> String {
    use crate::diagnostics::render::SourceMap;
    let ws = server.workspace();
    let text = ws.text(span.file);
    let at = ws.range(span).start.min(text.len());
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    text[start..end].trim().to_string()
}
