//! The question `rolec who-can` answers, parsed from one argument (keywords are
//! case-insensitive):
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

use crate::analysis::explain::PRIVILEGES;
use crate::analysis::membership::Mode;
use crate::analysis::privileges::{FutureKind, FutureObject, ObjectRef};
use crate::syntax::ast::Privilege;

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

/// A question that does not parse: the question as asked and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{question}`: {problem}")]
pub struct QuestionError {
    pub question: String,
    pub problem: QuestionProblem,
}

/// What is wrong with a question.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuestionProblem {
    /// No form of question fits.
    #[error("{}", USAGE)]
    Usage,
    /// `member of` without a role, or with more than one word.
    #[error("expected one role name after `{0} of`")]
    RoleName(String),
    #[error("`{0}` is not a privilege; {USAGE}", USAGE = USAGE)]
    NotAPrivilege(String),
    #[error("`{0}` is not an object kind; {USAGE}", USAGE = USAGE)]
    NotAnObjectKind(String),
    /// A name with spaces, or a dot where one name is expected.
    #[error("`{0}` is not one name")]
    NotOneName(String),
    #[error("expected SCHEMA.NAME, not `{0}`")]
    NotQualified(String),
    /// A function's argument list without its closing parenthesis.
    #[error("missing `)`")]
    MissingParenthesis,
    #[error("expected `column (COL) of table SCHEMA.NAME`")]
    NotAColumn,
    #[error("expected `future tables|sequences|functions|schemas [in schema NAME] created by ROLE`")]
    NotFutureObjects,
    /// The privilege does not exist on that kind of object; `on` is `a table`, `tables`, ….
    #[error("`{}` does not apply to {on}", .privilege.keyword())]
    DoesNotApply { privilege: Privilege, on: String },
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
pub fn parse(question: &str) -> Result<Question, QuestionError> {
    let fail = |problem| QuestionError { question: question.to_string(), problem };
    let (first, rest) = word(question.trim());
    if first.eq_ignore_ascii_case("grant") && !rest.is_empty() {
        return match parse(rest)? {
            Question::Privilege(p, o) => Ok(Question::GrantOption(p, o)),
            Question::Future { privilege, object, .. } => {
                Ok(Question::Future { privilege, object, grant_option: true })
            }
            _ => Err(fail(QuestionProblem::Usage)),
        };
    }
    let (second, rest) = word(rest);
    let first_l = first.to_lowercase();
    if second.eq_ignore_ascii_case("of") && matches!(first_l.as_str(), "member" | "usage" | "set") {
        let (role, extra) = word(rest);
        if role.is_empty() || !extra.is_empty() {
            return Err(fail(QuestionProblem::RoleName(first.to_string())));
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
            .ok_or_else(|| fail(QuestionProblem::NotAPrivilege(first.to_string())))?,
    };
    if !second.eq_ignore_ascii_case("on") {
        return Err(fail(QuestionProblem::Usage));
    }
    let (kind, name) = word(rest);
    let name = name.trim();
    if name.is_empty() {
        return Err(fail(QuestionProblem::Usage));
    }
    let qualified = |n: &str| -> Result<(String, String), QuestionError> {
        if n.contains(char::is_whitespace) {
            return Err(fail(QuestionProblem::NotOneName(n.to_string())));
        }
        Ok(match n.split_once('.') {
            Some((s, t)) if !s.is_empty() && !t.is_empty() && !t.contains('.') => (s.to_string(), t.to_string()),
            None => ("public".to_string(), n.to_string()),
            _ => return Err(fail(QuestionProblem::NotQualified(n.to_string()))),
        })
    };
    let single = |n: &str| -> Result<String, QuestionError> {
        if n.contains(char::is_whitespace) || n.contains('.') {
            Err(fail(QuestionProblem::NotOneName(n.to_string())))
        } else {
            Ok(n.to_string())
        }
    };
    if kind.eq_ignore_ascii_case("future") {
        let object = parse_future(question, name)?;
        if !object.kind.fits(privilege, 17) {
            return Err(fail(QuestionProblem::DoesNotApply { privilege, on: object.kind.plural().to_string() }));
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
                    (h.trim(), a.trim_end().strip_suffix(')').ok_or_else(|| fail(QuestionProblem::MissingParenthesis))?)
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
                .ok_or_else(|| fail(QuestionProblem::NotAColumn))?;
            let column = single(inner.0.trim())?;
            let (of, rest) = word(inner.1);
            let (kind, table) = word(rest);
            if !of.eq_ignore_ascii_case("of")
                || !(kind.eq_ignore_ascii_case("table") || kind.eq_ignore_ascii_case("view"))
            {
                return Err(fail(QuestionProblem::NotAColumn));
            }
            let (schema, table) = qualified(table.trim())?;
            ObjectRef::Column { schema, table, column }
        }
        _ => return Err(fail(QuestionProblem::NotAnObjectKind(kind.to_string()))),
    };
    if !privilege_applies_to(privilege, &object) {
        return Err(fail(QuestionProblem::DoesNotApply { privilege, on: format!("a {kind}") }));
    }
    Ok(Question::Privilege(privilege, object))
}

/// `tables [in schema S] created by ROLE` (after `future`).
fn parse_future(question: &str, rest: &str) -> Result<FutureObject, QuestionError> {
    let bad = || QuestionError { question: question.to_string(), problem: QuestionProblem::NotFutureObjects };
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
fn privilege_applies_to(p: Privilege, o: &ObjectRef) -> bool {
    p != Privilege::All && o.acl_kind().accepts(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::types::canonical_type;

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

#[cfg(test)]
mod messages {
    use super::*;

    /// The typed errors keep the words the command line has always printed.
    #[test]
    fn errors_read_as_before() {
        let err = |q: &str| parse(q).unwrap_err().to_string();
        assert_eq!(err("drop on table a.b"), format!("`drop on table a.b`: `drop` is not a privilege; {USAGE}"));
        assert_eq!(err("execute on TABLE a.b"), "`execute on TABLE a.b`: `execute` does not apply to a TABLE");
        assert_eq!(
            err("select on future schemas created by o"),
            "`select on future schemas created by o`: `select` does not apply to schemas"
        );
        assert_eq!(err("select on table a.b.c"), "`select on table a.b.c`: expected SCHEMA.NAME, not `a.b.c`");
        assert_eq!(err("usage on schema a.b"), "`usage on schema a.b`: `a.b` is not one name");
        assert_eq!(err("execute on function f(int"), "`execute on function f(int`: missing `)`");
        assert_eq!(err("Member of"), "`Member of`: expected one role name after `Member of`");
        assert_eq!(err("select on colum x"), format!("`select on colum x`: `colum` is not an object kind; {USAGE}"));
        // `grant` before a question that does not parse: the error names the question after `grant`.
        assert_eq!(err("grant drop on table a.b"), format!("`drop on table a.b`: `drop` is not a privilege; {USAGE}"));
        assert_eq!(err("grant member of x"), format!("`grant member of x`: {USAGE}"));
        assert_eq!(parse("select on future tables created by").unwrap_err().problem, QuestionProblem::NotFutureObjects);
    }
}
