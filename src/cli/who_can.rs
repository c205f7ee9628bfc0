//! `rolec who-can "QUESTION" <FILE|DIR>...`: every role and user of the policy that can do one
//! thing, each with its grounds. The question is one argument:
//!
//! - `PRIVILEGE on table|view|sequence SCHEMA.NAME`
//! - `PRIVILEGE on function SCHEMA.NAME(TYPE, …)`
//! - `PRIVILEGE on schema NAME` / `PRIVILEGE on database NAME`
//! - `PRIVILEGE on column (COL) of table SCHEMA.NAME`
//! - `PRIVILEGE on future tables|sequences|functions [in schema NAME] created by ROLE`: objects
//!   ROLE creates later (default privileges); without `in schema`, in a schema that has no
//!   per-schema defaults; `PRIVILEGE on future schemas created by ROLE`
//! - `grant PRIVILEGE on …`: who can grant it to others (holds it `with grant option`)
//! - `member of ROLE`, `usage of ROLE`, `set of ROLE` (`pg_has_role` modes)
//!
//! Exit 1 when the policy has errors; 2 when the question does not parse or names an unknown
//! role.

use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value};

use super::explain::{
    chain_json, chain_text, future_grounds_json, future_grounds_text, grounds_json, grounds_text, object_text,
    unknown_role, OutFormat,
};
use super::PolicyArgs;
use crate::analysis::explain::{
    objects, public_future_grounds, public_grounds, who_can, who_can_future, who_can_grant, who_reaches, PRIVILEGES,
};
use crate::analysis::membership::Mode;
use crate::analysis::privileges::{FutureKind, FutureObject, ObjectRef};
use crate::model::sqltype::canonical_type;
use crate::model::Model;
use crate::syntax::ast::Privilege;

#[derive(Args)]
pub struct WhoCanArgs {
    /// The question, quoted: "select on table app.orders", "execute on function app.f(int)",
    /// "usage on schema app", "update on column (a) of table app.t", "member of admin",
    /// "select on future tables in schema app created by app_owner" (objects created later),
    /// "grant select on table app.orders" (who holds it with grant option)
    #[arg(value_name = "QUESTION")]
    question: String,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
}

/// A parsed question.
#[derive(Debug, PartialEq, Eq)]
pub enum Question {
    Privilege(Privilege, ObjectRef),
    /// `grant PRIVILEGE on …`: who holds it `with grant option`.
    GrantOption(Privilege, ObjectRef),
    /// `[grant] PRIVILEGE on future KIND [in schema S] created by ROLE`.
    Future {
        privilege: Privilege,
        object: FutureObject,
        grant_option: bool,
    },
    Role(Mode, String),
}

pub fn run(args: WhoCanArgs) -> Result<ExitCode, String> {
    let question = parse(&args.question)?;
    let grant = matches!(question, Question::GrantOption(..));
    let Some(ws) = args.policy.load_sound()? else {
        return Ok(ExitCode::from(1));
    };
    let resolved = ws.resolved();
    let model = &resolved.model;
    let members = crate::db::membership_analysis(&ws.db, ws.policy);
    let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
    let is_user = |r: &str| model.roles.iter().any(|x| x.name == r && x.is_user);
    match question {
        Question::Role(mode, granted) => {
            if !members.roles().any(|r| r == granted) {
                return Err(unknown_role(model, &granted));
            }
            let who = who_reaches(model, members, &granted, mode);
            let title = format!("{} of {granted}", mode.sql().to_lowercase());
            match args.format {
                OutFormat::Human => {
                    println!("{title}:");
                    if who.is_empty() {
                        println!("  nobody");
                    }
                    for (r, chain) in &who {
                        println!("  {r}: {}", chain_text(&ws, model, chain));
                    }
                }
                OutFormat::Json => {
                    let roles: Vec<Value> = who
                        .iter()
                        .map(|(r, c)| json!({ "role": r, "user": is_user(r), "chain": chain_json(&ws, model, c) }))
                        .collect();
                    let v = json!({ "question": title, "mode": mode, "granted": granted, "roles": roles });
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                }
            }
        }
        Question::Privilege(privilege, object) | Question::GrantOption(privilege, object) => {
            let object = known_object(model, object);
            let (who, public) = if grant {
                (who_can_grant(model, privileges, privilege, &object), None)
            } else {
                (who_can(model, privileges, privilege, &object), public_grounds(privileges, privilege, &object))
            };
            let title =
                format!("{}{} on {}", if grant { "grant " } else { "" }, privilege.keyword(), object_text(&object));
            match args.format {
                OutFormat::Human => {
                    println!("{title}:");
                    if let Some(g) = &public {
                        println!("  (every role) {}", grounds_text(&ws, model, g));
                    }
                    if who.is_empty() {
                        println!("  nobody");
                    }
                    for (r, g) in &who {
                        println!("  {r}: {}", grounds_text(&ws, model, g));
                    }
                }
                OutFormat::Json => {
                    let roles: Vec<Value> = who
                        .iter()
                        .map(|(r, g)| json!({ "role": r, "user": is_user(r), "grounds": grounds_json(&ws, model, g) }))
                        .collect();
                    let v = json!({
                        "question": title,
                        "privilege": privilege,
                        "grant_option": grant,
                        "object": object,
                        "public": public.as_ref().map(|g| grounds_json(&ws, model, g)),
                        "roles": roles,
                    });
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                }
            }
        }
        Question::Future { privilege, object, grant_option } => {
            if !members.roles().any(|r| r == object.creator) {
                return Err(unknown_role(model, &object.creator));
            }
            let who = who_can_future(model, privileges, privilege, &object, grant_option);
            let public = if grant_option { None } else { public_future_grounds(privileges, privilege, &object) };
            let title =
                format!("{}{} on {}", if grant_option { "grant " } else { "" }, privilege.keyword(), object.describe());
            match args.format {
                OutFormat::Human => {
                    println!("{title}:");
                    if let Some(g) = &public {
                        println!("  (every role) {}", future_grounds_text(&ws, model, g));
                    }
                    if who.is_empty() {
                        println!("  nobody");
                    }
                    for (r, g) in &who {
                        println!("  {r}: {}", future_grounds_text(&ws, model, g));
                    }
                }
                OutFormat::Json => {
                    let roles: Vec<Value> = who.iter().map(|(r, g)| json!({ "role": r, "user": is_user(r), "grounds": future_grounds_json(&ws, model, g) })).collect();
                    let v = json!({
                        "question": title,
                        "privilege": privilege,
                        "grant_option": grant_option,
                        "object": object,
                        "public": public.as_ref().map(|g| future_grounds_json(&ws, model, g)),
                        "roles": roles,
                    });
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The object as the policy knows it: a function asked with `int` for a declared `integer`
/// (one canonical type spelling), a `table` that the policy declares as a view or sequence.
fn known_object(model: &Model, asked: ObjectRef) -> ObjectRef {
    let known = objects(model);
    if known.contains(&asked) {
        return asked;
    }
    known
        .into_iter()
        .find(|k| match (k, &asked) {
            (ObjectRef::Function { schema, name, args }, ObjectRef::Function { schema: s, name: n, args: a }) => {
                schema == s
                    && name == n
                    && args.len() == a.len()
                    && args.iter().zip(a).all(|(x, y)| canonical_type(x) == canonical_type(y))
            }
            (
                ObjectRef::View { schema, name } | ObjectRef::Sequence { schema, name },
                ObjectRef::Table { schema: s, name: n },
            ) => schema == s && name == n,
            _ => false,
        })
        .unwrap_or(asked)
}

/// The first word of `s` and the rest, trimmed.
fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

const USAGE: &str = "expected `[grant] PRIVILEGE on KIND NAME` (kinds: table, view, sequence, function, schema, database, column (COL) of table NAME), `[grant] PRIVILEGE on future tables|sequences|functions|schemas [in schema NAME] created by ROLE` or `member|usage|set of ROLE`";

/// Parses a question (keywords are case-insensitive).
pub fn parse(question: &str) -> Result<Question, String> {
    let (first, rest) = word(question.trim());
    if first.eq_ignore_ascii_case("grant") && !rest.is_empty() {
        return match parse(rest)? {
            Question::Privilege(p, o) => Ok(Question::GrantOption(p, o)),
            Question::Future { privilege, object, .. } => {
                Ok(Question::Future { privilege, object, grant_option: true })
            }
            _ => Err(format!("`{question}`: {USAGE}")),
        };
    }
    let (second, rest) = word(rest);
    let first_l = first.to_lowercase();
    if second.eq_ignore_ascii_case("of") && matches!(first_l.as_str(), "member" | "usage" | "set") {
        let (role, extra) = word(rest);
        if role.is_empty() || !extra.is_empty() {
            return Err(format!("`{question}`: expected one role name after `{first} of`"));
        }
        let mode = match first_l.as_str() {
            "member" => Mode::Member,
            "usage" => Mode::Usage,
            _ => Mode::Set,
        };
        return Ok(Question::Role(mode, role.to_string()));
    }
    let privilege = match first_l.as_str() {
        "temp" => Privilege::Temporary,
        p => PRIVILEGES
            .into_iter()
            .find(|x| x.keyword() == p)
            .ok_or_else(|| format!("`{question}`: `{first}` is not a privilege; {USAGE}"))?,
    };
    if !second.eq_ignore_ascii_case("on") {
        return Err(format!("`{question}`: {USAGE}"));
    }
    let (kind, name) = word(rest);
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{question}`: {USAGE}"));
    }
    let qualified = |n: &str| -> Result<(String, String), String> {
        if n.contains(char::is_whitespace) {
            return Err(format!("`{question}`: `{n}` is not one name"));
        }
        Ok(match n.split_once('.') {
            Some((s, t)) if !s.is_empty() && !t.is_empty() && !t.contains('.') => (s.to_string(), t.to_string()),
            None => ("public".to_string(), n.to_string()),
            _ => return Err(format!("`{question}`: expected SCHEMA.NAME, not `{n}`")),
        })
    };
    let single = |n: &str| -> Result<String, String> {
        if n.contains(char::is_whitespace) || n.contains('.') {
            Err(format!("`{question}`: `{n}` is not one name"))
        } else {
            Ok(n.to_string())
        }
    };
    if kind.eq_ignore_ascii_case("future") {
        let object = parse_future(question, name)?;
        if !object.kind.fits(privilege, 17) {
            return Err(format!("`{question}`: `{}` does not apply to {}", privilege.keyword(), object.kind.plural()));
        }
        return Ok(Question::Future { privilege, object, grant_option: false });
    }
    let object = match kind.to_lowercase().as_str() {
        "table" => qualified(name).map(|(schema, name)| ObjectRef::Table { schema, name })?,
        "view" => qualified(name).map(|(schema, name)| ObjectRef::View { schema, name })?,
        "sequence" => qualified(name).map(|(schema, name)| ObjectRef::Sequence { schema, name })?,
        "function" | "procedure" | "routine" => {
            let (head, args) = match name.split_once('(') {
                Some((h, a)) => {
                    (h.trim(), a.trim_end().strip_suffix(')').ok_or_else(|| format!("`{question}`: missing `)`"))?)
                }
                None => (name, ""),
            };
            let (schema, name) = qualified(head)?;
            let args = args.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect();
            ObjectRef::Function { schema, name, args }
        }
        "schema" => ObjectRef::Schema { name: single(name)? },
        "database" => ObjectRef::Database { name: single(name)? },
        "column" => {
            // `(a) of table s.t`
            let inner = name
                .strip_prefix('(')
                .and_then(|r| r.split_once(')'))
                .ok_or_else(|| format!("`{question}`: expected `column (COL) of table SCHEMA.NAME`"))?;
            let column = single(inner.0.trim())?;
            let (of, rest) = word(inner.1);
            let (kind, table) = word(rest);
            if !of.eq_ignore_ascii_case("of")
                || !(kind.eq_ignore_ascii_case("table") || kind.eq_ignore_ascii_case("view"))
            {
                return Err(format!("`{question}`: expected `column (COL) of table SCHEMA.NAME`"));
            }
            let (schema, table) = qualified(table.trim())?;
            ObjectRef::Column { schema, table, column }
        }
        _ => return Err(format!("`{question}`: `{kind}` is not an object kind; {USAGE}")),
    };
    if !fits(privilege, &object) {
        return Err(format!("`{question}`: `{}` does not apply to a {kind}", privilege.keyword()));
    }
    Ok(Question::Privilege(privilege, object))
}

/// `tables [in schema S] created by ROLE` (after `future`).
fn parse_future(question: &str, rest: &str) -> Result<FutureObject, String> {
    let bad = || {
        format!("`{question}`: expected `future tables|sequences|functions|schemas [in schema NAME] created by ROLE`")
    };
    let (kind, rest) = word(rest);
    let kind = match kind.to_lowercase().as_str() {
        "tables" | "table" | "views" | "view" => FutureKind::Table,
        "sequences" | "sequence" => FutureKind::Sequence,
        "functions" | "function" | "routines" | "routine" | "procedures" | "procedure" => FutureKind::Function,
        "schemas" | "schema" => FutureKind::Schema,
        _ => return Err(bad()),
    };
    let (w, mut rest) = word(rest);
    let mut schema = None;
    let mut w = w;
    if w.eq_ignore_ascii_case("in") {
        let (s, r) = word(rest);
        let (name, r) = word(r);
        if !s.eq_ignore_ascii_case("schema") || name.is_empty() || name.contains('.') || kind == FutureKind::Schema {
            return Err(bad());
        }
        schema = Some(name.to_string());
        let (next, r) = word(r);
        w = next;
        rest = r;
    }
    let (by, r) = word(rest);
    let (creator, extra) = word(r);
    if !w.eq_ignore_ascii_case("created") || !by.eq_ignore_ascii_case("by") || creator.is_empty() || !extra.is_empty() {
        return Err(bad());
    }
    Ok(FutureObject { kind, schema, creator: creator.to_string() })
}

/// Whether PostgreSQL knows the privilege on that kind of object (MAINTAIN from 17 is
/// accepted; the analysis answers no before 17).
fn fits(p: Privilege, o: &ObjectRef) -> bool {
    use Privilege::*;
    match o {
        ObjectRef::Table { .. } | ObjectRef::View { .. } => {
            matches!(p, Select | Insert | Update | Delete | Truncate | References | Trigger | Maintain)
        }
        ObjectRef::Sequence { .. } => matches!(p, Usage | Select | Update),
        ObjectRef::Function { .. } => p == Execute,
        ObjectRef::Schema { .. } => matches!(p, Usage | Create),
        ObjectRef::Database { .. } => matches!(p, Create | Connect | Temporary),
        ObjectRef::Column { .. } => matches!(p, Select | Insert | Update | References),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions() {
        let t = |s: &str, n: &str| ObjectRef::Table { schema: s.into(), name: n.into() };
        assert_eq!(parse("select on table app.orders"), Ok(Question::Privilege(Privilege::Select, t("app", "orders"))));
        assert_eq!(
            parse("  SELECT  ON  TABLE orders "),
            Ok(Question::Privilege(Privilege::Select, t("public", "orders")))
        );
        assert_eq!(
            parse("execute on function app.f(int, text)"),
            Ok(Question::Privilege(
                Privilege::Execute,
                ObjectRef::Function { schema: "app".into(), name: "f".into(), args: vec!["int".into(), "text".into()] }
            ))
        );
        assert_eq!(
            parse("execute on function app.f()")
                .map(|q| matches!(q, Question::Privilege(_, ObjectRef::Function { ref args, .. }) if args.is_empty())),
            Ok(true)
        );
        assert_eq!(
            parse("usage on schema app"),
            Ok(Question::Privilege(Privilege::Usage, ObjectRef::Schema { name: "app".into() }))
        );
        assert_eq!(
            parse("connect on database db"),
            Ok(Question::Privilege(Privilege::Connect, ObjectRef::Database { name: "db".into() }))
        );
        assert_eq!(
            parse("update on column (a) of table app.t"),
            Ok(Question::Privilege(
                Privilege::Update,
                ObjectRef::Column { schema: "app".into(), table: "t".into(), column: "a".into() }
            ))
        );
        assert_eq!(parse("member of admin"), Ok(Question::Role(Mode::Member, "admin".into())));
        assert_eq!(parse("usage of admin"), Ok(Question::Role(Mode::Usage, "admin".into())));
        assert_eq!(
            parse("grant select on table app.orders"),
            Ok(Question::GrantOption(Privilege::Select, t("app", "orders")))
        );
        let later =
            |kind, schema: Option<&str>| FutureObject { kind, schema: schema.map(str::to_string), creator: "o".into() };
        assert_eq!(
            parse("select on future tables in schema app created by o"),
            Ok(Question::Future {
                privilege: Privilege::Select,
                object: later(FutureKind::Table, Some("app")),
                grant_option: false
            })
        );
        assert_eq!(
            parse("GRANT usage on FUTURE sequences created by o"),
            Ok(Question::Future {
                privilege: Privilege::Usage,
                object: later(FutureKind::Sequence, None),
                grant_option: true
            })
        );
        assert_eq!(
            parse("create on future schemas created by o"),
            Ok(Question::Future {
                privilege: Privilege::Create,
                object: later(FutureKind::Schema, None),
                grant_option: false
            })
        );
        for bad in [
            "execute on future tables created by o",
            "select on future tables in app created by o",
            "select on future tables in schema app",
            "select on future tables created by",
            "select on future tables created by o x",
            "usage on future schemas in schema app created by o",
            "grant member of x",
            "grant",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        for bad in [
            "",
            "select",
            "select on",
            "select on tables app",
            "drop on table a.b",
            "execute on table a.b",
            "member of",
            "member of a b",
            "select on column a of table t",
            "select on table a.b.c",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(canonical_type("INT4"), "integer");
    }
}
