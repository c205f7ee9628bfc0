//! What hover shows for a name under the cursor, as Markdown: for a role, what `rolec explain`
//! prints (attributes, roles reached and effective privileges, each with its chain); for a
//! template its signature; for a schema its owner; for a variable its definition; each with
//! its doc comments.

use crate::db::Workspace;
use crate::diagnostics::render::SourceMap;
use crate::syntax::ast::{ItemKind, SourceAst};
use crate::syntax::names::{literal_name, Symbol};
use crate::syntax::Span;

/// The Markdown shown for `symbol`.
pub fn markdown(ws: &Workspace, symbol: &Symbol) -> String {
    match symbol {
        Symbol::Role(name) => role(ws, name),
        Symbol::Template(name) => template(ws, name),
        Symbol::Schema(name) => schema(ws, name),
        Symbol::Variable { def, .. } => format!("```rolec\n{}\n```", line_of(ws, *def)),
        Symbol::Import(path) => format!("import `{path}`"),
    }
}

fn role(ws: &Workspace, name: &str) -> String {
    let mut out = docs(ws, |kind| match kind {
        ItemKind::Role(r) if literal_name(&r.name).as_deref() == Some(name) => Some(r.docs.clone()),
        _ => None,
    });
    match super::explain::human_if_known(ws, name) {
        Some(text) => out.push_str(&format!("```text\n{text}```")),
        None => match crate::pg::roles::predefined_since(name) {
            Some(since) => out.push_str(&format!("predefined role `{name}` (PostgreSQL {since} and later)")),
            None => out.push_str(&format!("unknown role `{name}`")),
        },
    }
    out
}

fn template(ws: &Workspace, name: &str) -> String {
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
                    Some(v) => format!("{}: {} = {}", p.name.text, p.ty.as_str(), source(ws, v.span)),
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

fn schema(ws: &Workspace, name: &str) -> String {
    let resolved = ws.resolved();
    let mut out = docs(ws, |kind| match kind {
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
fn docs(ws: &Workspace, pick: impl Fn(&ItemKind) -> Option<Vec<String>>) -> String {
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

fn source(ws: &Workspace, span: Span) -> String {
    let text = ws.text(span.file);
    text.get(ws.range(span)).unwrap_or_default().to_string()
}

/// The line a span starts on, trimmed.
fn line_of(ws: &Workspace, span: Span) -> String {
    let text = ws.text(span.file);
    let at = ws.range(span).start.min(text.len());
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    text[start..end].trim().to_string()
}
