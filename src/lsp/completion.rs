//! Completion from the text before the cursor: role names after `member of` (and wherever a
//! role is expected), templates after `use` and `role x:`, template parameters inside a call,
//! schemas after `schema`, object kinds after `on`, privileges valid for the statement's
//! target after `grant`, and otherwise the keywords that may start a statement in the
//! enclosing block. Names come from the syntax trees, so a half-typed file still completes.

use std::collections::BTreeSet;

use gen_lsp_types::{CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse};

use super::{Failure, Server};
use crate::model::Object;
use crate::syntax::ast::Privilege;
use crate::syntax::names::{Globals, Symbol};

const ITEM_KEYWORDS: &[&str] = &[
    "role",
    "user",
    "template",
    "let",
    "for",
    "import",
    "external role",
    "schema",
    "table",
    "view",
    "sequence",
    "function",
    "defaults for role",
    "public",
    "policy",
    "grant",
    "manage roles matching",
];
const ROLE_KEYWORDS: &[&str] = &[
    "member of",
    "without member of",
    "grant",
    "revoke",
    "set",
    "comment",
    "tags",
    "use",
    "password secret",
    "password scram",
    "connection limit",
    "valid until",
    "connect from",
    "login",
    "nologin",
    "superuser",
    "nosuperuser",
    "createdb",
    "nocreatedb",
    "createrole",
    "nocreaterole",
    "replication",
    "noreplication",
    "bypassrls",
    "nobypassrls",
    "inherit",
    "noinherit",
];
const SCHEMA_KEYWORDS: &[&str] = &["owner", "creators", "tags", "comment"];
const POLICY_KEYWORDS: &[&str] = &[
    "exclusive",
    "max schemas",
    "max tables",
    "max tables tagged",
    "max admin rights",
    "forbid superuser",
    "forbid createrole",
    "forbid createdb",
    "forbid bypassrls",
    "forbid replication",
    "forbid grant",
    "warn",
    "warn memberships deeper than",
    "except",
];
const GRANT_KEYWORDS: &[&str] = &["grant", "revoke"];
const TARGET_KINDS: &[&str] = &[
    "table",
    "view",
    "sequence",
    "function",
    "procedure",
    "schema",
    "database",
    "type",
    "domain",
    "column",
    "tables in schema",
    "sequences in schema",
    "functions in schema",
];
/// Words after which a list of roles follows.
const ROLE_LIST_AFTER: &[&str] =
    &["of", "exclusive", "creators", "owner", "extends", "to", "from", "except", "role", "roles"];

pub(crate) fn completion(server: &Server, p: CompletionParams) -> Result<Option<CompletionResponse>, Failure> {
    let pos = p.text_document_position_params;
    let file = server.known_file(&pos.text_document.uri)?;
    let text = server.text(file);
    let offset = server.offset(file, pos.position);
    let (before, after) = text.split_at(offset);
    let line_after = after.split('\n').next().unwrap_or("");
    let scan = scan(before);
    // The statement so far, without the word being typed.
    let stmt = scan.statement.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '"');
    let items = match context(stmt, &scan.blocks) {
        Context::Roles => roles(server),
        Context::Templates => {
            names(server, |s| matches!(s, Symbol::Template(_)), CompletionItemKind::Function, "template")
        }
        Context::Schemas => {
            let mut items = names(server, |s| matches!(s, Symbol::Schema(_)), CompletionItemKind::Module, "schema");
            if !items.iter().any(|i| i.label == "public") {
                items.push(item("public", CompletionItemKind::Module, "schema"));
            }
            items
        }
        Context::Params(template) => params(server, &template, stmt),
        Context::TargetKinds => {
            TARGET_KINDS.iter().map(|k| item(k, CompletionItemKind::Keyword, "object kind")).collect()
        }
        Context::Privileges => privileges(line_after),
        Context::Keywords(words) => words.iter().map(|k| item(k, CompletionItemKind::Keyword, "keyword")).collect(),
        Context::Nothing => Vec::new(),
    };
    Ok(Some(CompletionResponse::CompletionItemList(items)))
}

#[derive(Debug, PartialEq)]
enum Context {
    Roles,
    Templates,
    Schemas,
    Params(String),
    TargetKinds,
    Privileges,
    Keywords(&'static [&'static str]),
    Nothing,
}

fn context(stmt: &str, blocks: &[String]) -> Context {
    // Inside the parentheses of a template call: its parameters.
    if let Some(open) = unclosed_paren(stmt) {
        let head = stmt[..open].trim_end();
        let name_start = head.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map(|i| i + 1).unwrap_or(0);
        let name = &head[name_start..];
        let before = head[..name_start].trim_end();
        if !name.is_empty() && (before.ends_with(':') || before.ends_with("use")) {
            return Context::Params(name.to_string());
        }
        return Context::Nothing;
    }
    let words: Vec<&str> = stmt.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    let last = words.last().copied().unwrap_or("");
    if stmt.trim_end().ends_with(':') || last == "use" {
        return Context::Templates;
    }
    if last == "schema" && words.len() >= 2 && matches!(words[words.len() - 2], "on" | "in") {
        return Context::Schemas;
    }
    if last == "on" {
        return Context::TargetKinds;
    }
    let first = words.first().copied().unwrap_or("");
    let in_grant = matches!(first, "grant" | "revoke")
        || (first == "warn" && words.get(1) == Some(&"grant"))
        || (first == "forbid" && words.get(1) == Some(&"grant"));
    if in_grant && !words.contains(&"on") {
        return Context::Privileges;
    }
    // A list of roles: a role-list keyword followed by names and commas only.
    if let Some(i) = words.iter().rposition(|w| ROLE_LIST_AFTER.contains(w)) {
        let keyword_ok = match words[i] {
            "of" => i > 0 && words[i - 1] == "member",
            "role" | "roles" => i > 0 && matches!(words[i - 1], "for" | "external"),
            "from" => matches!(first, "revoke"),
            "to" => in_grant || first == "defaults",
            _ => true,
        };
        let only_names = words[i + 1..].iter().all(|w| {
            !matches!(*w, "with" | "from" | "until" | "for" | "reason" | "noinherit" | "noset" | "inherit" | "in")
        });
        if keyword_ok
            && only_names
            && (words.len() == i + 1 || stmt.trim_end().ends_with(',') || stmt.ends_with(char::is_whitespace))
        {
            if words[i] == "role" && words[i - 1] == "external" {
                return Context::Nothing;
            }
            return Context::Roles;
        }
    }
    if words.is_empty() {
        return Context::Keywords(match blocks.last().map(String::as_str) {
            None | Some("for") => ITEM_KEYWORDS,
            Some("schema") => SCHEMA_KEYWORDS,
            Some("policy") => POLICY_KEYWORDS,
            Some("defaults" | "public") => GRANT_KEYWORDS,
            Some(_) => ROLE_KEYWORDS,
        });
    }
    Context::Nothing
}

/// The byte offset of the last `(` not closed in `s`.
fn unclosed_paren(s: &str) -> Option<usize> {
    let mut open = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '(' => open.push(i),
            ')' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

struct Scan {
    /// The first word before each `{` still open, outermost first (`role`, `template`, …).
    blocks: Vec<String>,
    /// The text of the statement the cursor is in, from its start (after `{`, `}`, `;` or a
    /// line break that ends a statement).
    statement: String,
}

/// Reads the text before the cursor, skipping strings and comments.
fn scan(before: &str) -> Scan {
    let mut blocks = Vec::new();
    let mut statement = String::new();
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                end_line(&mut statement);
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' => {
                statement.push('"');
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        break;
                    }
                }
                statement.push('"');
            }
            '{' => {
                let header = statement.split_whitespace().next().unwrap_or("").to_string();
                blocks.push(if header == "user" { "role".into() } else { header });
                statement.clear();
            }
            '}' => {
                blocks.pop();
                statement.clear();
            }
            ';' => statement.clear(),
            '\n' => end_line(&mut statement),
            c => statement.push(c),
        }
    }
    Scan { blocks, statement }
}

/// A line break ends a statement unless the line ends with a comma or an open bracket.
fn end_line(statement: &mut String) {
    let t = statement.trim_end();
    if t.ends_with(',') || unclosed_paren(t).is_some() || t.matches('[').count() > t.matches(']').count() {
        statement.push(' ');
    } else {
        statement.clear();
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        ..Default::default()
    }
}

/// The names declared in the policy for which `pick` holds, each once, sorted.
fn names(
    server: &Server,
    pick: impl Fn(&Symbol) -> bool,
    kind: CompletionItemKind,
    detail: &str,
) -> Vec<CompletionItem> {
    let found: BTreeSet<String> = server
        .occurrences()
        .into_iter()
        .filter(|o| o.def && pick(&o.symbol))
        .filter_map(|o| match o.symbol {
            Symbol::Role(n) | Symbol::Schema(n) => Some(super::navigation::display_name(&n)),
            Symbol::Template(n) => Some(n),
            _ => None,
        })
        .collect();
    found.iter().map(|n| item(n, kind, detail)).collect()
}

/// The policy's roles, then PostgreSQL's predefined roles of the target version.
fn roles(server: &Server) -> Vec<CompletionItem> {
    let mut items = names(server, |s| matches!(s, Symbol::Role(_)), CompletionItemKind::Class, "role");
    let version = server.workspace().options().target_version;
    for (name, since) in crate::pg::roles::predefined_roles() {
        if since <= version && !items.iter().any(|i| i.label == name) {
            let mut i = item(name, CompletionItemKind::Class, "predefined role");
            i.sort_text = Some(format!("~{name}"));
            items.push(i);
        }
    }
    items
}

/// The parameters of a template not given yet in the call, as `name = `.
fn params(server: &Server, template: &str, stmt: &str) -> Vec<CompletionItem> {
    let ws = server.workspace();
    let mut globals = Globals::default();
    for f in ws.files() {
        globals.add(crate::db::syntax_tree(&ws.db, *f));
    }
    let given = &stmt[unclosed_paren(stmt).map(|i| i + 1).unwrap_or(0)..];
    let Some(params) = globals.templates.get(template) else { return Vec::new() };
    params
        .iter()
        .filter(|(name, _, _)| {
            !given.split(',').any(|a| a.split('=').next().map(str::trim) == Some(name.as_str()) && a.contains('='))
        })
        .map(|(name, ty, _)| {
            let mut i = item(name, CompletionItemKind::Field, ty.as_str());
            i.insert_text = Some(format!("{name} = "));
            i
        })
        .collect()
}

/// The privileges that apply to the target named after the cursor (`… on table x`), or all.
fn privileges(line_after: &str) -> Vec<CompletionItem> {
    let words: Vec<&str> = line_after.split_whitespace().collect();
    let kind = words.iter().position(|w| *w == "on").and_then(|i| words.get(i + 1)).copied();
    let (s, n) = (String::new(), String::new());
    let object = match kind {
        Some("table" | "view" | "column" | "columns" | "tables") => Some(Object::Table { schema: s, name: n }),
        Some("sequence" | "sequences") => Some(Object::Sequence { schema: s, name: n }),
        Some("function" | "functions" | "procedure" | "procedures" | "routine" | "routines") => {
            Some(Object::Routine { schema: s, name: n, args: Vec::new() })
        }
        Some("schema" | "schemas") => Some(Object::Schema { name: n }),
        Some("database") => Some(Object::Database { name: n }),
        Some("type" | "types" | "domain") => Some(Object::Type { schema: s, name: n }),
        _ => None,
    };
    let allowed: Vec<Privilege> = match &object {
        Some(o) => crate::model::checks::allowed_on_object(o).0.to_vec(),
        None => crate::analysis::explain::PRIVILEGES.to_vec(),
    };
    allowed
        .iter()
        .chain([Privilege::All].iter().filter(|a| !allowed.contains(a)))
        .map(|p| item(p.keyword(), CompletionItemKind::Value, "privilege"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(before: &str) -> Context {
        let s = scan(before);
        let stmt = s.statement.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '"').to_string();
        context(&stmt, &s.blocks)
    }

    #[test]
    fn contexts() {
        assert_eq!(ctx("role a {\n  member of "), Context::Roles);
        assert_eq!(ctx("role a {\n  member of b, re"), Context::Roles);
        assert_eq!(ctx("role a {\n  member of b,\n    "), Context::Roles);
        assert_eq!(ctx("role a: "), Context::Templates);
        assert_eq!(ctx("role a { use "), Context::Templates);
        assert_eq!(ctx("role a { use reader(s = x, "), Context::Params("reader".into()));
        assert_eq!(ctx("role a {\n  grant sel"), Context::Privileges);
        assert_eq!(ctx("role a {\n  grant select on "), Context::TargetKinds);
        assert_eq!(ctx("role a {\n  grant select on schema "), Context::Schemas);
        assert_eq!(ctx("role a {\n  "), Context::Keywords(ROLE_KEYWORDS));
        assert_eq!(ctx("role a {}\n"), Context::Keywords(ITEM_KEYWORDS));
        assert_eq!(ctx("policy p {\n  ex"), Context::Keywords(POLICY_KEYWORDS));
        assert_eq!(ctx("role a { comment \"x { y\"\n  "), Context::Keywords(ROLE_KEYWORDS));
        assert_eq!(ctx("// role a {\n"), Context::Keywords(ITEM_KEYWORDS));
    }
}
