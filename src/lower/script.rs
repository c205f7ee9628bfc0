//! A plan's statements → the text of `up.sql` / `down.sql`: one transaction, optionally under
//! an advisory lock, each statement under a comment naming its source line.
//!
//! This is the only place where secrets are read: `secret("ENV")` passwords become SCRAM
//! verifiers here, and neither the secret nor its environment value reaches any message.

use super::{Plan, Sql, Statement};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::BuildOptions;
use crate::pg::quote as sql;
use crate::pg::scram;
use crate::syntax::Span;

/// The key of the advisory lock that `--lock` scripts take ("rolec" in ASCII).
pub const LOCK_KEY: i64 = 0x0072_6f6c_6563;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Renders one script. `locate` turns a span into `file:line`; `secret` reads an
/// environment variable. Fails only when a secret is missing.
pub fn render(
    plan: &Plan,
    direction: Direction,
    options: &BuildOptions,
    locate: &dyn Fn(Span) -> String,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<Diagnostic>> {
    let statements = match direction {
        Direction::Up => &plan.up,
        Direction::Down => &plan.down,
    };
    // Room for the statements and their comments (a guess for a comment and a verifier): a
    // large script is not copied over and over as it grows.
    let room = |s: &Statement| match &s.sql {
        Sql::Text { sql } => sql.len() + 64,
        Sql::SecretPassword { .. } => 256,
    };
    let mut out = String::with_capacity(statements.iter().map(room).sum::<usize>() + 1024);
    let mut errors = Vec::new();
    let name = if direction == Direction::Up { "up" } else { "down" };
    let sections = sections(statements, &plan.databases, direction);
    let several = sections.iter().any(|(db, _)| db.is_some());
    out.push_str(&format!(
        "-- rolec {name}.sql: {} statement(s) for PostgreSQL {}{}. Run as {}.\n",
        statements.len(),
        options.target_version,
        if options.rerunnable() { ", safe to run again" } else { "" },
        if several { "one transaction per database, with psql" } else { "one transaction" },
    ));
    for (k, (database, statements)) in sections.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        if let Some(db) = database {
            match sql::psql_connect(db) {
                Some(line) => out.push_str(&format!("{line}\n")),
                None => errors.extend(statements.first().and_then(|s| s.origin).map(|span| {
                    Diagnostic::new(
                        Code::InvalidValue,
                        span,
                        "a database name with a line break cannot be connected to",
                    )
                })),
            }
        }
        out.push_str("BEGIN;\n");
        if options.lock {
            out.push_str("-- serialize concurrent runs (cluster-wide for a superuser, else per database)\n");
            out.push_str(&lock_statement());
            out.push('\n');
        }
        for s in statements {
            out.push('\n');
            for comment in s.origin.map(locate).iter().chain(&s.note) {
                out.push_str("-- ");
                sql::push_comment_text(&mut out, comment);
                out.push('\n');
            }
            match &s.sql {
                Sql::Text { sql } => out.push_str(sql),
                Sql::SecretPassword { role, env } => match password_sql(role, env, s.origin, secret) {
                    Ok(text) => out.push_str(&text),
                    Err(d) => errors.push(*d),
                },
            }
            out.push('\n');
        }
        out.push_str("\nCOMMIT;\n");
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The statements by the database they run in, each in plan order: cluster-wide ones (and, for
/// a policy that names no database, all of them) first in `up.sql` and last in `down.sql`, the
/// databases in the policy's order (reversed in `down.sql`). Empty sections are left out, but
/// there is always one.
fn sections<'s>(
    statements: &'s [Statement],
    databases: &'s [String],
    direction: Direction,
) -> Vec<(Option<&'s str>, Vec<&'s Statement>)> {
    let mut order: Vec<Option<&str>> = vec![None];
    order.extend(databases.iter().map(|d| Some(d.as_str())));
    for s in statements {
        if !order.contains(&s.database.as_deref()) {
            order.push(s.database.as_deref());
        }
    }
    if direction == Direction::Down {
        order.reverse();
    }
    let mut out: Vec<(Option<&str>, Vec<&Statement>)> = order
        .into_iter()
        .map(|db| (db, statements.iter().filter(|s| s.database.as_deref() == db).collect::<Vec<_>>()))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    if out.is_empty() {
        out.push((None, Vec::new()));
    }
    out
}

/// Roles are cluster-wide, but advisory locks are per database, so two runs connected to
/// different databases would not wait for each other. A superuser therefore also locks
/// `pg_authid` against writes (logins, which only read it, go on); other roles, which may not
/// lock a catalog, take the advisory lock alone.
fn lock_statement() -> String {
    sql::do_block(&format!(
        "PERFORM pg_catalog.pg_advisory_xact_lock({LOCK_KEY}); \
         IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN \
         LOCK TABLE pg_catalog.pg_authid IN SHARE ROW EXCLUSIVE MODE; END IF;"
    ))
}

/// `ALTER ROLE role PASSWORD …` with the verifier of the password in environment variable
/// `env`, or E014 at `origin` when it is not set or empty.
fn password_sql(
    role: &str,
    env: &str,
    origin: Option<Span>,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Box<Diagnostic>> {
    let Some(password) = secret(env).filter(|p| !p.is_empty()) else {
        let span = origin.expect("password statements carry their origin");
        return Err(Box::new(
            Diagnostic::new(Code::MissingSecret, span, format!("environment variable `{env}` is not set or empty"))
                .label("the password is read from here")
                .help(format!("set `{env}` when running `rolec build`")),
        ));
    };
    let salt = scram::deterministic_salt(role, &password);
    let verifier = scram::verifier(&password, &salt, scram::DEFAULT_ITERATIONS);
    Ok(format!("ALTER ROLE {} PASSWORD {};", sql::ident(role), sql::literal(&verifier)))
}

/// The text of `hba.conf`, or `None` when the policy has no `connect from` rules.
pub fn render_hba(plan: &Plan, locate: &dyn Fn(Span) -> String) -> Option<String> {
    if plan.hba.is_empty() {
        return None;
    }
    let mut text = String::from("# rolec: pg_hba.conf lines for `connect from` rules.\n# Put them before the general `host` lines: the first matching line decides.\n");
    for l in &plan.hba {
        text.push_str(&format!("# {}\n{}\n", sql::comment_text(&locate(l.origin)), l.line));
    }
    Some(text)
}
