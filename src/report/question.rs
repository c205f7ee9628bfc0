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

/// The text up to the first whitespace outside a quoted name, and the rest, trimmed: one
/// name as written (`s2."Order Items 1"` is one).
fn name_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match outside_quotes(s, char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// The parts of a dotted name as PostgreSQL sees them: a bare part folded to lower case, a
/// double-quoted part kept as written (`""` or `\"` is a quote, and `\n`, `\t`, `\r`,
/// `\u{HEX}` and `\\` read as in the language). `None` when `text` is not one dotted name
/// (whitespace or a quote inside a bare part, an empty part, an unclosed quote).
fn name_parts(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    '\\' => part.push(escaped(&mut chars)?),
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c.is_whitespace() || c == '"' {
                    return None;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// The character after a `\` in a quoted name.
fn escaped(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    Some(match chars.next()? {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'u' if chars.peek() == Some(&'{') => {
            chars.next();
            let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).filter(|&c| c != '\0')?
        }
        c => c,
    })
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
        let (role, extra) = name_word(rest);
        if role.is_empty() || !extra.is_empty() {
            return Err(fail(QuestionProblem::RoleName(first.to_string())));
        }
        let role = one_name(role).map_err(fail)?;
        let mode = match first_l.as_str() {
            "member" => Mode::Member,
            "usage" => Mode::Usage,
            _ => Mode::Set,
        };
        return Ok(Question::Role(mode, role));
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
    let qualified = |n: &str| qualified_name(n).map_err(fail);
    let single = |n: &str| one_name(n).map_err(fail);
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
            let (head, args) = match outside_quotes(name, |c| c == '(') {
                Some(i) => (
                    name[..i].trim(),
                    name[i + 1..]
                        .trim_end()
                        .strip_suffix(')')
                        .ok_or_else(|| fail(QuestionProblem::MissingParenthesis))?,
                ),
                None => (name, ""),
            };
            let (schema, name) = qualified(head)?;
            let args = argument_types(args);
            ObjectRef::Function { schema, name, args }
        }
        "schema" => ObjectRef::Schema { name: single(name)? },
        "database" => ObjectRef::Database { name: single(name)? },
        "column" => {
            // `(a) of table s.t`
            let inner = name
                .strip_prefix('(')
                .and_then(|r| outside_quotes(r, |c| c == ')').map(|i| (&r[..i], &r[i + 1..])))
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

/// One name (a role, schema, database or column), as PostgreSQL sees it.
fn one_name(text: &str) -> Result<String, QuestionProblem> {
    match name_parts(text) {
        Some(mut parts) if parts.len() == 1 => Ok(parts.remove(0)),
        _ => Err(QuestionProblem::NotOneName(text.to_string())),
    }
}

/// `SCHEMA.NAME`, or `NAME` in `public`.
fn qualified_name(text: &str) -> Result<(String, String), QuestionProblem> {
    match name_parts(text) {
        None => Err(QuestionProblem::NotOneName(text.to_string())),
        Some(parts) => match <[String; 1]>::try_from(parts) {
            Ok([name]) => Ok(("public".to_string(), name)),
            Err(parts) => match <[String; 2]>::try_from(parts) {
                Ok([schema, name]) => Ok((schema, name)),
                Err(_) => Err(QuestionProblem::NotQualified(text.to_string())),
            },
        },
    }
}

/// Where a character `wanted` first occurs in `text` outside double quotes (`""` inside a
/// quoted name toggles twice).
fn outside_quotes(text: &str, wanted: impl Fn(char) -> bool) -> Option<usize> {
    let mut quoted = false;
    text.char_indices().find_map(|(i, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        (wanted(c) && !quoted).then_some(i)
    })
}

/// The argument types of a routine as written, split at the commas outside parentheses and
/// quotes (`numeric(10, 2)` is one type).
fn argument_types(text: &str) -> Vec<String> {
    let (mut types, mut current, mut depth, mut quoted) = (Vec::new(), String::new(), 0u32, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                types.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    types.push(current);
    types.into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
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
        let (name, r) = name_word(r);
        if !s.eq_ignore_ascii_case("schema") || name.is_empty() || kind == FutureKind::Schema {
            return Err(bad());
        }
        schema = Some(one_name(name).map_err(|_| bad())?);
        let (next, r) = word(r);
        w = next;
        rest = r;
    }
    let (by, r) = word(rest);
    let (creator, extra) = name_word(r);
    if !w.eq_ignore_ascii_case("created") || !by.eq_ignore_ascii_case("by") || creator.is_empty() || !extra.is_empty() {
        return Err(bad());
    }
    let creator = one_name(creator).map_err(|_| bad())?;
    Ok(FutureObject { kind, schema, creator })
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

    /// Names as the language writes them: bare names folded to lower case, quoted names kept
    /// as written (spaces, dots, `""` and `\"` for a quote).
    #[test]
    fn quoted_names() {
        let t = |s: &str, n: &str| ObjectRef::Table { schema: s.into(), name: n.into() };
        assert_eq!(
            parse(r#"select on table s2."Order Items 1""#),
            Ok(Question::Privilege(Privilege::Select, t("s2", "Order Items 1")))
        );
        assert_eq!(
            parse(r#"select on table "My Schema"."a.b""#),
            Ok(Question::Privilege(Privilege::Select, t("My Schema", "a.b")))
        );
        assert_eq!(parse("select on table App.Orders"), Ok(Question::Privilege(Privilege::Select, t("app", "orders"))));
        assert_eq!(parse(r#"member of "we""ird 12""#), Ok(Question::Role(Mode::Member, "we\"ird 12".into())));
        assert_eq!(parse(r#"member of "we\"ird""#), Ok(Question::Role(Mode::Member, "we\"ird".into())));
        assert_eq!(parse(r#"set of "Ops Team""#), Ok(Question::Role(Mode::Set, "Ops Team".into())));
        assert_eq!(parse(r#"usage of "a\u{1b}b""#), Ok(Question::Role(Mode::Usage, "a\u{1b}b".into())));
        assert_eq!(
            parse(r#"usage on schema "Sales Data""#),
            Ok(Question::Privilege(Privilege::Usage, ObjectRef::Schema { name: "Sales Data".into() }))
        );
        assert_eq!(
            parse(r#"update on column ("Order Id") of table s."T (1)""#),
            Ok(Question::Privilege(
                Privilege::Update,
                ObjectRef::Column { schema: "s".into(), table: "T (1)".into(), column: "Order Id".into() }
            ))
        );
        assert_eq!(
            parse(r#"execute on function "S"."f (x)"(numeric(10, 2), "my type")"#),
            Ok(Question::Privilege(
                Privilege::Execute,
                ObjectRef::Function {
                    schema: "S".into(),
                    name: "f (x)".into(),
                    args: vec!["numeric(10, 2)".into(), "\"my type\"".into()]
                }
            ))
        );
        assert_eq!(
            parse(r#"select on future tables in schema "Sales Data" created by "Ops Team 6""#),
            Ok(Question::Future {
                privilege: Privilege::Select,
                object: FutureObject {
                    kind: FutureKind::Table,
                    schema: Some("Sales Data".into()),
                    creator: "Ops Team 6".into()
                },
                grant_option: false
            })
        );
        for bad in [
            r#"member of "unclosed"#,
            r#"member of "a" b"#,
            r#"member of a."b""#,
            r#"select on table s."t" x"#,
            r#"select on table ."t""#,
            r#"select on table "".t"#,
            r#"usage on schema "a".b"#,
            r#"select on future tables created by "x"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
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
