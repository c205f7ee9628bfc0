//! Code actions for the diagnostics under the cursor: declare an unknown role (or take the
//! name the diagnostic suggests, from its structured suggestions), and remove a membership or
//! privilege stated twice.

use std::collections::HashMap;

use gen_lsp_types::{CodeAction, CodeActionKind, CodeActionParams, CodeActionResponse, Range, TextEdit, WorkspaceEdit};

use super::{Failure, Server};
use crate::diagnostics::render::SourceMap;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{Item, ItemKind, MemberTarget, Stmt, StmtKind};
use crate::syntax::Span;

pub(crate) fn code_actions(server: &Server, p: CodeActionParams) -> Result<Option<Vec<CodeActionResponse>>, Failure> {
    let file = server.known_file(&p.text_document.uri)?;
    let mut actions = Vec::new();
    for d in super::diagnostics::of_file(server, file).iter() {
        let Some((uri, lsp)) = super::diagnostics::to_lsp(server, d) else { continue };
        if !overlaps(lsp.range, p.range) {
            continue;
        }
        let mut fixes: Vec<(String, Vec<TextEdit>)> = Vec::new();
        match d.code {
            Code::UnknownRole => {
                fixes.extend(replacements(server, d));
                fixes.push(declare_role(server, d));
            }
            Code::Redundant => fixes.extend(remove_duplicate(server, d)),
            _ => {}
        }
        for (title, edits) in fixes {
            let changes = HashMap::from([(uri.clone(), edits)]);
            actions.push(CodeActionResponse::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QuickFix),
                diagnostics: Some(vec![lsp.clone()]),
                edit: Some(WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                ..Default::default()
            }));
        }
    }
    Ok(Some(actions))
}

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The diagnostic's suggested edits (such as the name "did you mean" offers), those in its own
/// file.
fn replacements<'d>(server: &'d Server, d: &'d Diagnostic) -> impl Iterator<Item = (String, Vec<TextEdit>)> + 'd {
    d.suggestions.iter().filter(|s| s.span.file == d.primary.span.file).map(|s| {
        let edit = TextEdit { range: server.range(s.span), new_text: s.replacement.clone() };
        (format!("Replace with `{}`", s.replacement), vec![edit])
    })
}

/// `role NAME {}` at the end of the file, the name as written where it is used.
fn declare_role(server: &Server, d: &Diagnostic) -> (String, Vec<TextEdit>) {
    let ws = server.workspace();
    let file = ws.file(d.primary.span.file);
    let text = server.text(file);
    let name = text.get(ws.range(d.primary.span)).unwrap_or_default();
    let end = server.position(file, text.len());
    let sep = if text.is_empty() {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let edit = TextEdit { range: Range { start: end, end }, new_text: format!("{sep}role {name} {{}}\n") };
    (format!("Declare role `{name}`"), vec![edit])
}

/// Removes the second statement of a membership or privilege: the name from its list, or the
/// whole statement when it was the only one.
fn remove_duplicate(server: &Server, d: &Diagnostic) -> Option<(String, Vec<TextEdit>)> {
    let ws = server.workspace();
    let tree = crate::db::syntax_tree(&ws.db, ws.file(d.primary.span.file));
    let mut found = None;
    for item in &tree.items {
        visit_stmts(item, &mut |s| {
            let (spans, what): (Vec<Span>, &str) = match &s.kind {
                StmtKind::MemberOf(m) => (m.targets.iter().map(target_span).collect(), "membership"),
                StmtKind::Grant(g) => (g.privs.iter().map(|p| p.span).collect(), "privilege"),
                _ => return,
            };
            if let Some(i) = spans.iter().position(|sp| *sp == d.primary.span) {
                found = Some((s.span, spans, i, what));
            }
        });
    }
    let (stmt, spans, i, what) = found?;
    let range = if spans.len() == 1 {
        statement_range(server, stmt)
    } else if i > 0 {
        ws.range(spans[i - 1]).end..ws.range(spans[i]).end
    } else {
        ws.range(spans[0]).start..ws.range(spans[1]).start
    };
    let file = ws.file(d.primary.span.file);
    let range = Range { start: server.position(file, range.start), end: server.position(file, range.end) };
    Some((format!("Remove duplicate {what}"), vec![TextEdit { range, new_text: String::new() }]))
}

/// A statement's bytes: its whole line when nothing else is on it, else with a `;` next to it.
fn statement_range(server: &Server, stmt: Span) -> std::ops::Range<usize> {
    let ws = server.workspace();
    let text = ws.text(stmt.file);
    let r = ws.range(stmt);
    let line_start = text[..r.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[r.end..].find('\n').map(|i| r.end + i + 1).unwrap_or(text.len());
    if text[line_start..r.start].trim().is_empty() && text[r.end..line_end].trim().is_empty() {
        return line_start..line_end;
    }
    let before = text[..r.start].trim_end();
    if before.ends_with(';') {
        return before.len() - 1..r.end;
    }
    let after = &text[r.end..];
    match after.trim_start().strip_prefix(';') {
        Some(rest) => r.start..text.len() - rest.trim_start().len(),
        None => r,
    }
}

fn target_span(t: &MemberTarget) -> Span {
    match t {
        MemberTarget::Name(n) => n.span,
        MemberTarget::Glob { span, .. } | MemberTarget::AllRoles(span) => *span,
    }
}

/// Every statement of roles and templates, in `for` loops too.
fn visit_stmts(item: &Item, f: &mut dyn FnMut(&Stmt)) {
    match &item.kind {
        ItemKind::Role(r) => r.body.iter().for_each(&mut *f),
        ItemKind::Template(t) => t.body.iter().for_each(&mut *f),
        ItemKind::For(l) => l.items.iter().for_each(|i| visit_stmts(i, f)),
        ItemKind::InDatabase(_, items) => items.iter().for_each(|i| visit_stmts(i, f)),
        _ => {}
    }
}
