//! What the connecting role (the deployer) needs to run a plan, asked of the server before
//! anything runs, so that a deployer without superuser (as on managed services) is told every
//! statement it cannot run and why, instead of failing at the first.
//!
//! The rules, per statement rolec writes (PostgreSQL's own checks; "CREATEROLE" means the
//! attribute, "ADMIN" the ADMIN OPTION on the role, which on 16+ a CREATEROLE role gets only on
//! the roles it creates):
//!
//! | statement | 14/15 | 16+ |
//! |---|---|---|
//! | CREATE ROLE | CREATEROLE; SUPERUSER, REPLICATION, BYPASSRLS: superuser | CREATEROLE; SUPERUSER: superuser; CREATEDB, REPLICATION, BYPASSRLS: having it |
//! | ALTER ROLE, SET/RESET, COMMENT, DROP ROLE | CREATEROLE; a superuser role, a replication role (ALTER) or (NO)SUPERUSER/REPLICATION/BYPASSRLS: superuser | CREATEROLE and ADMIN; a superuser role or (NO)SUPERUSER: superuser; the others: having it |
//! | GRANT/REVOKE a role | CREATEROLE or ADMIN; a superuser role: superuser | ADMIN; GRANTED BY g: the privileges of g |
//! | ALTER DEFAULT PRIVILEGES FOR ROLE o | membership in o | SET on o |
//! | GRANT/REVOKE on an object | the privileges of its owner (then the owner is the grantor, as the plan compares) | same |
//! | REASSIGN OWNED BY a TO b, DROP OWNED BY a | the privileges of a (and b) | same |
//!
//! SET of a parameter reserved to superusers also needs `GRANT SET ON PARAMETER` (15+).

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use super::diff::{Change, ChangePlan, PasswordFrom};
use crate::pg::quote::ident;
use crate::pg::types::canonical_type;

/// What the server says about the deployer.
struct Deployer {
    name: String,
    superuser: bool,
    createrole: bool,
    createdb: bool,
    replication: bool,
    bypassrls: bool,
}

/// What the server says about a role a statement names, and the deployer's relation to it.
#[derive(Clone, Copy, Default)]
struct RoleFacts {
    superuser: bool,
    replication: bool,
    /// Membership (pg_has_role MEMBER).
    member: bool,
    /// The role's privileges (pg_has_role USAGE: member with inheritance).
    usage: bool,
    admin: bool,
    /// SET ROLE to it (16+; MEMBER before).
    set: bool,
}

/// A statement of a plan, as far as privileges go.
#[derive(Debug, PartialEq)]
enum Statement {
    CreateRole {
        role: String,
        options: Vec<String>,
    },
    AlterRole {
        role: String,
        options: Vec<String>,
    },
    SetParameter {
        role: String,
        param: String,
    },
    CommentOnRole {
        role: String,
    },
    Membership {
        role: String,
        grantor: Option<String>,
    },
    DefaultPrivileges {
        owner: String,
    },
    /// `kind` as in the statement (TABLE, SCHEMA, …); `schema` for objects in one; `args` the
    /// argument types of a routine as written (`integer, text`).
    Object {
        kind: String,
        schema: String,
        name: String,
        args: String,
    },
    ReassignOwned {
        from: String,
        to: String,
    },
    DropOwned {
        role: String,
    },
    DropRole {
        role: String,
    },
    Other,
}

/// Each statement of `plan` the connecting role cannot run, with why, as `(sql, why)`; empty
/// for a superuser. Runs inside the apply's transaction, before anything is applied.
pub fn missing(
    tx: &mut postgres::Transaction<'_>,
    plan: &ChangePlan,
    major: u32,
) -> Result<Vec<(String, String)>, postgres::Error> {
    let row = tx.query_one("SELECT rolname::text, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user", &[])?;
    let me = Deployer {
        name: row.get(0),
        superuser: row.get(1),
        createrole: row.get(2),
        createdb: row.get(3),
        replication: row.get(4),
        bypassrls: row.get(5),
    };
    if me.superuser {
        return Ok(Vec::new());
    }
    let statements: Vec<Statement> = plan.changes.iter().map(statement).collect();
    let created: BTreeSet<&str> = statements
        .iter()
        .filter_map(|s| if let Statement::CreateRole { role, .. } = s { Some(role.as_str()) } else { None })
        .collect();
    let roles = role_facts(tx, &statements, major)?;
    let owners = object_owners(tx, &statements)?;
    let params = superuser_parameters(tx, &statements, major)?;
    let facts = |role: &str| -> Option<RoleFacts> {
        match roles.get(role) {
            Some(f) => Some(*f),
            // A role the plan creates: on 16+ its creator holds ADMIN on it.
            None if created.contains(role) => Some(RoleFacts { admin: major >= 16, ..RoleFacts::default() }),
            None => None,
        }
    };
    let mut out = Vec::new();
    for (i, (change, s)) in plan.changes.iter().zip(&statements).enumerate() {
        let why = why_not(&me, s, major, &facts, owners.get(&i), &params);
        if let Some(why) = why {
            out.push((change.sql.clone(), why));
        }
    }
    Ok(out)
}

/// Why the deployer cannot run `s`, if it cannot.
fn why_not(
    me: &Deployer,
    s: &Statement,
    major: u32,
    facts: &dyn Fn(&str) -> Option<RoleFacts>,
    owner: Option<&(String, bool)>,
    params: &BTreeSet<String>,
) -> Option<String> {
    let v16 = major >= 16;
    let needs_createrole =
        || (!me.createrole).then(|| format!("needs CREATEROLE (ALTER ROLE {} CREATEROLE)", ident(&me.name)));
    let needs_admin = |role: &str| (v16 && !facts(role).is_some_and(|f| f.admin)).then(|| admin_hint(me, role));
    let superuser_role = |role: &str| {
        facts(role)
            .is_some_and(|f| f.superuser)
            .then(|| format!("`{role}` is a superuser: only a superuser can change it"))
    };
    // On 16+, giving or taking CREATEDB, REPLICATION or BYPASSRLS needs having it; before, the
    // last two need superuser.
    let attributes = |options: &[String]| -> Option<String> {
        let has = |a: &str| options.iter().any(|o| o == a || o.strip_prefix("NO") == Some(a));
        if has("SUPERUSER") {
            return Some("only a superuser can set SUPERUSER".to_string());
        }
        for (attribute, held) in
            [("CREATEDB", me.createdb), ("REPLICATION", me.replication), ("BYPASSRLS", me.bypassrls)]
        {
            if !has(attribute) {
                continue;
            }
            if !v16 && attribute != "CREATEDB" {
                return Some(format!("only a superuser can set {attribute} (before PostgreSQL 16)"));
            }
            if v16 && !held {
                return Some(format!("only a role that has {attribute} can set it"));
            }
        }
        None
    };
    match s {
        Statement::CreateRole { options, .. } => needs_createrole().or_else(|| attributes(options)),
        Statement::AlterRole { role, options } => superuser_role(role)
            .or_else(|| {
                (!v16 && facts(role).is_some_and(|f| f.replication))
                    .then(|| format!("`{role}` has REPLICATION: only a superuser can change it (before PostgreSQL 16)"))
            })
            .or_else(|| attributes(options))
            .or_else(needs_createrole)
            .or_else(|| needs_admin(role)),
        Statement::SetParameter { role, param } => {
            superuser_role(role).or_else(needs_createrole).or_else(|| needs_admin(role)).or_else(|| {
                params.contains(param).then(|| {
                    format!(
                        "`{param}` is reserved to superusers: needs GRANT SET ON PARAMETER {param} TO {}",
                        ident(&me.name)
                    )
                })
            })
        }
        Statement::CommentOnRole { role } | Statement::DropRole { role } => {
            superuser_role(role).or_else(needs_createrole).or_else(|| needs_admin(role))
        }
        Statement::Membership { role, grantor } => {
            let f = facts(role)?;
            if f.superuser {
                return Some(format!("`{role}` is a superuser: only a superuser can grant or revoke it"));
            }
            if v16 && !f.admin {
                return Some(admin_hint(me, role));
            }
            if !v16 && !me.createrole && !f.admin {
                return Some(format!("needs CREATEROLE or ADMIN OPTION on `{role}`"));
            }
            let g = grantor.as_deref().filter(|g| *g != me.name)?;
            (!facts(g).is_some_and(|f| f.usage)).then(|| {
                format!(
                    "revoking what `{g}` granted needs the privileges of `{g}` (GRANT {} TO {})",
                    ident(g),
                    ident(&me.name)
                )
            })
        }
        Statement::DefaultPrivileges { owner } => {
            let f = facts(owner)?;
            let (ok, what) = if v16 { (f.set, "SET option on") } else { (f.member, "membership in") };
            (!ok).then(|| format!("needs {what} `{owner}` (GRANT {} TO {})", ident(owner), ident(&me.name)))
        }
        Statement::Object { kind, .. } => {
            let (owner, usage) = owner?;
            (!usage).then(|| {
                format!(
                    "needs the privileges of `{owner}`, the owner of the {} (GRANT {} TO {})",
                    kind.to_ascii_lowercase(),
                    ident(owner),
                    ident(&me.name)
                )
            })
        }
        Statement::ReassignOwned { from, to } => [from, to]
            .into_iter()
            .find(|r| facts(r).is_some_and(|f| !f.usage))
            .map(|r| format!("needs the privileges of `{r}` (GRANT {} TO {})", ident(r), ident(&me.name))),
        Statement::DropOwned { role } => facts(role)
            .is_some_and(|f| !f.usage)
            .then(|| format!("needs the privileges of `{role}` (GRANT {} TO {})", ident(role), ident(&me.name))),
        Statement::Other => None,
    }
}

fn admin_hint(me: &Deployer, role: &str) -> String {
    format!(
        "needs ADMIN OPTION on `{role}` (on PostgreSQL 16 and later CREATEROLE gives it only on the roles the deployer created: GRANT {} TO {} WITH ADMIN OPTION)",
        ident(role),
        ident(&me.name)
    )
}

/// The roles the statements name, with what the server says about them.
fn role_facts(
    tx: &mut postgres::Transaction<'_>,
    statements: &[Statement],
    major: u32,
) -> Result<HashMap<String, RoleFacts>, postgres::Error> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for s in statements {
        match s {
            Statement::CreateRole { role, .. }
            | Statement::AlterRole { role, .. }
            | Statement::SetParameter { role, .. }
            | Statement::CommentOnRole { role }
            | Statement::DropOwned { role }
            | Statement::DropRole { role } => {
                names.insert(role);
            }
            Statement::Membership { role, grantor } => {
                names.insert(role);
                names.extend(grantor.as_deref());
            }
            Statement::DefaultPrivileges { owner } => {
                names.insert(owner);
            }
            Statement::ReassignOwned { from, to } => {
                names.extend([from.as_str(), to.as_str()]);
            }
            Statement::Object { .. } | Statement::Other => {}
        }
    }
    let names: Vec<&str> = names.into_iter().collect();
    let set = if major >= 16 { "pg_catalog.pg_has_role(oid, 'SET')" } else { "pg_catalog.pg_has_role(oid, 'MEMBER')" };
    let query = format!(
        "SELECT rolname::text, rolsuper, rolreplication, pg_catalog.pg_has_role(oid, 'MEMBER'), pg_catalog.pg_has_role(oid, 'USAGE'),
                pg_catalog.pg_has_role(oid, 'MEMBER WITH ADMIN OPTION'), {set}
         FROM pg_catalog.pg_roles WHERE rolname = ANY($1)"
    );
    let rows = tx.query(&query, &[&names])?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                RoleFacts {
                    superuser: r.get(1),
                    replication: r.get(2),
                    member: r.get(3),
                    usage: r.get(4),
                    admin: r.get(5),
                    set: r.get(6),
                },
            )
        })
        .collect())
}

/// The owner of the object of each object statement (by index), and whether the deployer has
/// its privileges. Objects that do not exist are left out (their statement fails by itself).
fn object_owners(
    tx: &mut postgres::Transaction<'_>,
    statements: &[Statement],
) -> Result<HashMap<usize, (String, bool)>, postgres::Error> {
    // Looked up in the catalogs by name, not with to_regclass and the like, which need USAGE
    // on the schema.
    const RELATIONS: &str = "SELECT o.i::int4, r.rolname::text, pg_catalog.pg_has_role(r.oid, 'USAGE')
        FROM (SELECT i, CASE
                WHEN k IN ('TABLE', 'SEQUENCE') THEN (SELECT c.relowner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = s AND c.relname = x)
                WHEN k = 'SCHEMA' THEN (SELECT nspowner FROM pg_catalog.pg_namespace WHERE nspname = x)
                WHEN k = 'DATABASE' THEN (SELECT datdba FROM pg_catalog.pg_database WHERE datname = x)
                WHEN k = 'TYPE' THEN (SELECT t.typowner FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = s AND t.typname = x)
              END AS owner
              FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[]) AS u(i, k, s, x)) o
        JOIN pg_catalog.pg_roles r ON r.oid = o.owner";
    // Every routine of the name, with its argument types as the live state reads them (under
    // `search_path = pg_catalog`, see `introspect`): the statement's are in that canonical
    // spelling, so a routine is matched by its `regprocedure` identity, never by a path.
    const ROUTINES: &str = "SELECT u.i::int4, r.rolname::text, pg_catalog.pg_has_role(r.oid, 'USAGE'),
            ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, j) ORDER BY j)
        FROM unnest($1::int4[], $2::text[], $3::text[]) AS u(i, s, x)
        JOIN pg_catalog.pg_namespace n ON n.nspname = u.s
        JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid AND p.proname = u.x
        JOIN pg_catalog.pg_roles r ON r.oid = p.proowner";
    let (mut relations, mut routines): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for (i, s) in statements.iter().enumerate() {
        if let Statement::Object { kind, schema, name, args } = s {
            if matches!(kind.as_str(), "FUNCTION" | "PROCEDURE" | "ROUTINE") {
                routines.push((i as i32, schema.as_str(), name.as_str(), args.as_str()));
            } else {
                relations.push((i as i32, kind.as_str(), schema.as_str(), name.as_str()));
            }
        }
    }
    let mut owners = HashMap::new();
    if !relations.is_empty() {
        let index: Vec<i32> = relations.iter().map(|r| r.0).collect();
        let kinds: Vec<&str> = relations.iter().map(|r| r.1).collect();
        let schemas: Vec<&str> = relations.iter().map(|r| r.2).collect();
        let names: Vec<&str> = relations.iter().map(|r| r.3).collect();
        for r in tx.query(RELATIONS, &[&index, &kinds, &schemas, &names])? {
            owners.insert(r.get::<_, i32>(0) as usize, (r.get(1), r.get(2)));
        }
    }
    if !routines.is_empty() {
        let index: Vec<i32> = routines.iter().map(|r| r.0).collect();
        let schemas: Vec<&str> = routines.iter().map(|r| r.1).collect();
        let names: Vec<&str> = routines.iter().map(|r| r.2).collect();
        // The path is set in a savepoint rolled back at once, so the apply's own is kept.
        let mut read = tx.transaction()?;
        read.batch_execute("SET LOCAL search_path = pg_catalog")?;
        let rows = read.query(ROUTINES, &[&index, &schemas, &names])?;
        read.rollback()?;
        let args_of: HashMap<i32, &str> = routines.iter().map(|r| (r.0, r.3)).collect();
        for r in rows {
            let i: i32 = r.get(0);
            let live: Vec<String> = r.get(3);
            let live = live.iter().map(|t| canonical_type(t)).collect::<Vec<_>>().join(", ");
            if args_of[&i] == live {
                owners.insert(i as usize, (r.get(1), r.get(2)));
            }
        }
    }
    Ok(owners)
}

/// The parameters the statements set that are reserved to superusers and that the deployer
/// was not granted SET on (15+; before, only a superuser sets them).
fn superuser_parameters(
    tx: &mut postgres::Transaction<'_>,
    statements: &[Statement],
    major: u32,
) -> Result<BTreeSet<String>, postgres::Error> {
    let params: Vec<&str> = statements
        .iter()
        .filter_map(|s| if let Statement::SetParameter { param, .. } = s { Some(param.as_str()) } else { None })
        .collect();
    if params.is_empty() {
        return Ok(BTreeSet::new());
    }
    let granted = if major >= 15 { "pg_catalog.has_parameter_privilege(name, 'SET')" } else { "false" };
    let query = format!(
        "SELECT name FROM pg_catalog.pg_settings WHERE name = ANY($1) AND context = 'superuser' AND NOT {granted}"
    );
    Ok(tx.query(&query, &[&params])?.iter().map(|r| r.get(0)).collect())
}

/// A word of a statement rolec wrote.
#[derive(Debug, PartialEq)]
enum Token {
    /// A keyword or unquoted name, upper-cased.
    Word(String),
    /// A quoted name, unquoted.
    Name(String),
    /// A literal or a punctuation mark.
    Other,
}

/// The tokens of `sql` with where each is.
fn tokens(sql: &str) -> Vec<(Token, Range<usize>)> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'"' || c == b'\'' {
            // A quoted name or a literal: the quote doubled stands for itself.
            let mut text = Vec::new();
            i += 1;
            while i < bytes.len() {
                if bytes[i] == c {
                    if bytes.get(i + 1) == Some(&c) {
                        text.push(c);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                text.push(bytes[i]);
                i += 1;
            }
            let token = if c == b'"' { Token::Name(String::from_utf8_lossy(&text).into_owned()) } else { Token::Other };
            out.push((token, start..i));
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Token::Word(sql[start..i].to_ascii_uppercase()), start..i));
        } else {
            // One character (UTF-8 continuation bytes only occur inside quotes).
            i += sql[i..].chars().next().map_or(1, char::len_utf8);
            out.push((Token::Other, start..i));
        }
    }
    out
}

/// What a statement of the plan is, read from its SQL.
fn statement(change: &Change) -> Statement {
    if let Some(PasswordFrom::Env { role, .. } | PasswordFrom::Verifier { role, .. }) = &change.password {
        return Statement::AlterRole { role: role.clone(), options: Vec::new() };
    }
    let sql = change.sql.as_str();
    let t = tokens(sql);
    let word = |i: usize| match t.get(i) {
        Some((Token::Word(w), _)) => w.as_str(),
        _ => "",
    };
    let name = |i: usize| match t.get(i) {
        Some((Token::Name(n), _)) => Some(n.clone()),
        _ => None,
    };
    let words_from = |i: usize| {
        t.iter()
            .skip(i)
            .filter_map(|(tok, _)| if let Token::Word(w) = tok { Some(w.clone()) } else { None })
            .collect::<Vec<String>>()
    };
    let names: Vec<&String> =
        t.iter().filter_map(|(tok, _)| if let Token::Name(n) = tok { Some(n) } else { None }).collect();
    match (word(0), word(1)) {
        ("CREATE", "ROLE") => name(2).map(|role| Statement::CreateRole { role, options: words_from(3) }),
        ("ALTER", "ROLE") => name(2).map(|role| {
            let at = if word(3) == "IN" { 6 } else { 3 };
            match word(at) {
                "SET" | "RESET" => {
                    // The parameter: names and words up to `=` or `;`, joined by dots.
                    let param = t[at + 1..]
                        .iter()
                        .take_while(|(_, r)| !matches!(&sql[r.clone()], "=" | ";"))
                        .map(|(tok, r)| match tok {
                            Token::Name(n) => n.clone(),
                            _ => sql[r.clone()].to_ascii_lowercase(),
                        })
                        .collect::<String>();
                    Statement::SetParameter { role, param }
                }
                _ => Statement::AlterRole { role, options: words_from(3) },
            }
        }),
        ("COMMENT", "ON") if word(2) == "ROLE" => name(3).map(|role| Statement::CommentOnRole { role }),
        ("ALTER", "DEFAULT") => name(5).map(|owner| Statement::DefaultPrivileges { owner }),
        ("REASSIGN", "OWNED") => names
            .first()
            .zip(names.get(1))
            .map(|(from, to)| Statement::ReassignOwned { from: from.to_string(), to: to.to_string() }),
        ("DROP", "OWNED") => name(3).map(|role| Statement::DropOwned { role }),
        ("DROP", "ROLE") => name(2).map(|role| Statement::DropRole { role }),
        ("GRANT" | "REVOKE", _) => {
            let on = t.iter().position(|(tok, _)| *tok == Token::Word("ON".to_string()));
            let to = t.iter().position(|(tok, _)| matches!(tok, Token::Word(w) if w == "TO" || w == "FROM"));
            match (on, to) {
                (Some(on), Some(to)) if on + 2 < to => {
                    let kind = word(on + 1).to_string();
                    let object = &t[on + 2..to];
                    let parts: Vec<String> = object
                        .iter()
                        .take_while(|(_, r)| &sql[r.clone()] != "(")
                        .filter_map(|(tok, _)| if let Token::Name(n) = tok { Some(n.clone()) } else { None })
                        .collect();
                    let (schema, name) = match parts.as_slice() {
                        [name] => (String::new(), name.clone()),
                        [schema, name] => (schema.clone(), name.clone()),
                        _ => return Statement::Other,
                    };
                    // A routine's argument types: what is between its parentheses.
                    let open = object.iter().find(|(_, r)| &sql[r.clone()] == "(").map(|(_, r)| r.end);
                    let close = object.iter().rev().find(|(_, r)| &sql[r.clone()] == ")").map(|(_, r)| r.start);
                    let args = match (open, close) {
                        (Some(open), Some(close)) if open <= close => sql[open..close].trim().to_string(),
                        _ => String::new(),
                    };
                    Some(Statement::Object { kind, schema, name, args })
                }
                _ => {
                    let by = t.iter().position(|(tok, _)| *tok == Token::Word("GRANTED".to_string()));
                    let grantor = by.and_then(|b| name(b + 2));
                    names.first().map(|role| Statement::Membership { role: role.to_string(), grantor })
                }
            }
        }
        _ => None,
    }
    .unwrap_or(Statement::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::diff::PlanPhase;

    fn of(sql: &str) -> Statement {
        statement(&Change {
            phase: PlanPhase::Attributes,
            sql: sql.to_string(),
            destructive: false,
            note: None,
            password: None,
            drops_role: None,
            database: None,
        })
    }

    #[test]
    fn statements_rolec_writes_are_read_back() {
        let s = |x: &str| x.to_string();
        assert_eq!(
            of(r#"CREATE ROLE "a ""b"" ON" WITH LOGIN SUPERUSER;"#),
            Statement::CreateRole { role: s("a \"b\" ON"), options: vec![s("WITH"), s("LOGIN"), s("SUPERUSER")] }
        );
        assert_eq!(
            of(r#"ALTER ROLE "r" IN DATABASE "d" SET "My"."x" = 'a';"#),
            Statement::SetParameter { role: s("r"), param: s("My.x") }
        );
        assert_eq!(
            of(r#"ALTER ROLE "r" RESET work_mem;"#),
            Statement::SetParameter { role: s("r"), param: s("work_mem") }
        );
        assert_eq!(
            of(r#"REVOKE ADMIN OPTION FOR "r" FROM "m" GRANTED BY "g";"#),
            Statement::Membership { role: s("r"), grantor: Some(s("g")) }
        );
        assert_eq!(of(r#"GRANT "TO" TO "ON";"#), Statement::Membership { role: s("TO"), grantor: None });
        assert_eq!(
            of(r#"GRANT SELECT ("on", "to") ON TABLE "s"."t TO x" TO "r";"#),
            Statement::Object { kind: s("TABLE"), schema: s("s"), name: s("t TO x"), args: s("") }
        );
        assert_eq!(
            of(r#"REVOKE GRANT OPTION FOR EXECUTE ON FUNCTION "s"."f"(integer, text) FROM PUBLIC;"#),
            Statement::Object { kind: s("FUNCTION"), schema: s("s"), name: s("f"), args: s("integer, text") }
        );
        assert_eq!(
            of(r#"GRANT USAGE ON SCHEMA "app" TO "r";"#),
            Statement::Object { kind: s("SCHEMA"), schema: s(""), name: s("app"), args: s("") }
        );
        assert_eq!(
            of(r#"ALTER DEFAULT PRIVILEGES FOR ROLE "o" IN SCHEMA "s" GRANT SELECT ON TABLES TO "r";"#),
            Statement::DefaultPrivileges { owner: s("o") }
        );
        assert_eq!(of(r#"REASSIGN OWNED BY "a" TO "b";"#), Statement::ReassignOwned { from: s("a"), to: s("b") });
        assert_eq!(of(r#"COMMENT ON ROLE "r" IS 'it''s "x"';"#), Statement::CommentOnRole { role: s("r") });
    }
}
