//! Go to definition, find references and rename, over the name occurrences of every file
//! ([`crate::syntax::names`]): roles, templates, schemas, variables and imports.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use gen_lsp_types::{
    Definition, DefinitionParams, DefinitionResponse, Location, PrepareRenameParams, PrepareRenameResult, Range,
    ReferenceParams, RenameParams, TextEdit, Uri, WorkspaceEdit,
};

use super::{Failure, Server};
use crate::syntax::names::{Occurrence, Symbol};

pub(crate) fn definition(server: &Server, p: DefinitionParams) -> Result<Option<DefinitionResponse>, Failure> {
    let pos = p.text_document_position_params;
    let (Some(at), all) = server.occurrence_at(&pos.text_document.uri, pos.position)? else { return Ok(None) };
    let locations: Vec<Location> = match &at.symbol {
        Symbol::Import(_) => {
            import_target(server, &at).map(|uri| Location { uri, range: Range::default() }).into_iter().collect()
        }
        _ => all.iter().filter(|o| o.def && o.symbol == at.symbol).filter_map(|o| server.location(o.span)).collect(),
    };
    Ok(match locations.len() {
        0 => None,
        1 => Some(DefinitionResponse::Definition(Definition::Location(
            locations.into_iter().next().expect("one location"),
        ))),
        _ => Some(DefinitionResponse::Definition(Definition::LocationList(locations))),
    })
}

pub(crate) fn references(server: &Server, p: ReferenceParams) -> Result<Option<Vec<Location>>, Failure> {
    let pos = p.text_document_position_params;
    let (Some(at), all) = server.occurrence_at(&pos.text_document.uri, pos.position)? else { return Ok(None) };
    let target = import_target(server, &at);
    let found = all
        .iter()
        .filter(|o| p.context.include_declaration || !o.def)
        .filter(|o| match (&at.symbol, &o.symbol) {
            (Symbol::Import(_), Symbol::Import(_)) => import_target(server, o) == target,
            (a, b) => a == b,
        })
        .filter_map(|o| server.location(o.span))
        .collect();
    Ok(Some(found))
}

pub(crate) fn prepare_rename(server: &Server, p: PrepareRenameParams) -> Result<Option<PrepareRenameResult>, Failure> {
    let pos = p.text_document_position_params;
    let (Some(at), all) = server.occurrence_at(&pos.text_document.uri, pos.position)? else { return Ok(None) };
    renamable(server, &at, &all)?;
    Ok(Some(PrepareRenameResult::Range(server.range(at.span))))
}

pub(crate) fn rename(server: &Server, p: RenameParams) -> Result<Option<WorkspaceEdit>, Failure> {
    let pos = p.text_document_position_params;
    let (Some(at), all) = server.occurrence_at(&pos.text_document.uri, pos.position)? else { return Ok(None) };
    renamable(server, &at, &all)?;
    let new_text = match &at.symbol {
        Symbol::Role(_) | Symbol::Schema(_) => {
            if p.new_name.is_empty() || p.new_name.len() > 63 {
                return Err(Failure::new("a name has 1 to 63 bytes"));
            }
            display_name(&p.new_name)
        }
        _ => {
            if !is_identifier(&p.new_name) {
                return Err(Failure::new(format!("`{}` is not an identifier", p.new_name)));
            }
            p.new_name.clone()
        }
    };
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for o in all.iter().filter(|o| o.symbol == at.symbol) {
        if let Some(loc) = server.location(o.span) {
            changes.entry(loc.uri).or_default().push(TextEdit { range: loc.range, new_text: new_text.clone() });
        }
    }
    Ok(Some(WorkspaceEdit { changes: Some(changes), ..Default::default() }))
}

/// Whether the symbol can be renamed: declared in the workspace's own files.
fn renamable(server: &Server, at: &Occurrence, all: &[Occurrence]) -> Result<(), Failure> {
    let what = match &at.symbol {
        Symbol::Import(_) => return Err(Failure::new("an import cannot be renamed")),
        Symbol::Role(n) => format!("role `{n}`"),
        Symbol::Schema(n) => format!("schema `{n}`"),
        Symbol::Template(n) => format!("template `{n}`"),
        Symbol::Variable { name, .. } => format!("variable `{name}`"),
    };
    let defs: Vec<&Occurrence> = all.iter().filter(|o| o.def && o.symbol == at.symbol).collect();
    if defs.is_empty() {
        return Err(Failure::new(format!("{what} is not declared in this policy")));
    }
    if all.iter().filter(|o| o.symbol == at.symbol).any(|o| server.uri(o.span.file).is_none()) {
        return Err(Failure::new(format!("{what} is used by a standard module")));
    }
    Ok(())
}

/// The file an import names (`None` for a file the workspace cannot address).
fn import_target(server: &Server, o: &Occurrence) -> Option<Uri> {
    let Symbol::Import(rel) = &o.symbol else { return None };
    let ws = server.workspace();
    let importer = ws.file(o.span.file).path(&ws.db).clone();
    let target = resolve_import(&importer, rel);
    match ws.file_by_path(&target) {
        Some(f) => server.uri(f.id(&ws.db)),
        None => super::convert::path_to_uri(&target),
    }
}

/// An import path relative to the importing file, normalised as the workspace does.
fn resolve_import(importer: &str, rel: &str) -> String {
    let base = Path::new(importer).parent().unwrap_or(Path::new(""));
    let joined = if Path::new(rel).is_absolute() { PathBuf::from(rel) } else { base.join(rel) };
    let mut parts: Vec<Component> = Vec::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.iter().collect::<PathBuf>().to_string_lossy().into_owned()
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// How a name is written: bare when that reads back the same, else quoted.
pub(crate) fn display_name(name: &str) -> String {
    // Bare names are folded to lower case ASCII only: `café_ü` reads back the same.
    let bare = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| (c.is_alphanumeric() || c == '_') && !c.is_ascii_uppercase());
    if bare && !is_keyword(name) {
        name.to_string()
    } else {
        crate::syntax::write::string(name)
    }
}

/// Words a bare name had better not be, though keywords are contextual.
fn is_keyword(name: &str) -> bool {
    matches!(name, "all" | "public" | "role" | "user" | "member" | "of" | "grant" | "on" | "to" | "in")
}
