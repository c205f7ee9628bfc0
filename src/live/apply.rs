//! Applying a plan: one transaction under an advisory lock in which the database is read and
//! the plan made (refused if it differs from a saved plan), destructive steps refused unless
//! allowed, the statements run in batches, any warning of the server (such as "no privileges
//! were granted") an error, and each apply recorded in `rolec.ledger`.

use super::connect::{error_text, Connection, Notices};
use super::diff::{Change, ChangePlan};
use super::state::LiveState;

/// The advisory lock every apply takes (in the database it connects to): "rolec" in ASCII.
pub const LOCK_KEY: i64 = 0x0072_6f6c_6563;

/// Statements sent in one simple-query message: one round trip per batch instead of one per
/// statement, which is most of the time a large plan takes beyond the server's own work.
pub const BATCH: usize = 500;

const LEDGER: &str = "
CREATE SCHEMA IF NOT EXISTS rolec;
CREATE TABLE IF NOT EXISTS rolec.ledger (
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT session_user,
    plan_hash text NOT NULL,
    statements text[] NOT NULL
);";

/// What an apply did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub plan: ChangePlan,
}

/// Applies the plan `plan_for` makes from the state read inside the transaction (under the
/// lock, so the plan run is the plan made). With `saved_hash` (a plan saved earlier), refuses
/// a plan that is not that one. Passwords are read through `secret`. On any error nothing is
/// changed.
pub fn apply(
    conn: &mut Connection,
    plan_for: &dyn Fn(&LiveState) -> Result<ChangePlan, String>,
    saved_hash: Option<&str>,
    allow_drop: bool,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Result<Applied, String> {
    let notices = conn.notices.clone();
    let mut tx = conn.client.transaction().map_err(|e| error_text(&e))?;
    tx.execute("SELECT pg_catalog.pg_advisory_xact_lock($1)", &[&LOCK_KEY]).map_err(|e| error_text(&e))?;
    let state = super::introspect(&mut tx)?;
    let plan = plan_for(&state)?;
    if saved_hash.is_some_and(|h| h != plan.hash()) {
        return Err("the database or the policy changed since the saved plan was made: nothing was applied; make the plan again".to_string());
    }
    if !plan.blockers.is_empty() {
        return Err(format!("{}: nothing was applied", plan.blockers.join("; ")));
    }
    let others = elsewhere(&mut tx, &plan)?;
    if !others.is_empty() {
        return Err(format!("{}: nothing was applied", others.join("; ")));
    }
    if plan.is_destructive() && !allow_drop {
        let drops: Vec<&str> = plan.changes.iter().filter(|c| c.destructive).map(|c| c.sql.as_str()).collect();
        return Err(format!("the plan has destructive steps ({}): nothing was applied; pass --allow-drop to run them", drops.join(" ")));
    }
    if plan.is_empty() {
        return Ok(Applied { plan });
    }
    take(&notices);
    execute(&mut tx, &plan.changes, secret, &notices)?;
    tx.batch_execute(LEDGER).map_err(|e| format!("cannot write the ledger: {}", error_text(&e)))?;
    let statements: Vec<&str> = plan.changes.iter().map(|c| c.sql.as_str()).collect();
    tx.execute("INSERT INTO rolec.ledger (plan_hash, statements) VALUES ($1, $2)", &[&plan.hash(), &statements]).map_err(|e| format!("cannot write the ledger: {}", error_text(&e)))?;
    tx.commit().map_err(|e| error_text(&e))?;
    take(&notices);
    Ok(Applied { plan })
}

/// Takes the notices collected so far.
fn take(notices: &Notices) -> Vec<(String, String)> {
    std::mem::take(&mut *notices.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The server's warnings (SQLSTATE class 01) among `notices`, as one line; `None` if none.
fn warnings(notices: Vec<(String, String)>) -> Option<String> {
    let w: Vec<String> = notices.into_iter().filter(|(code, _)| code.starts_with("01")).map(|(code, m)| format!("{code}: {m}")).collect();
    (!w.is_empty()).then(|| w.join("; "))
}

/// The error for a statement that failed or warned. It shows `change.sql`, never the executable
/// form, which may hold a password.
fn failure(message: &str, change: &Change) -> String {
    format!("{message}\n  in: {}\nnothing was applied", change.sql)
}

/// Runs the statements in batches of [`BATCH`]. Each batch starts with a savepoint: when it
/// fails or warns (a notice cannot be traced to a statement of a batch), it is rolled back
/// to the savepoint and run again one statement at a time to name the statement at fault.
/// Any error aborts the whole apply.
fn execute(tx: &mut postgres::Transaction<'_>, changes: &[Change], secret: &dyn Fn(&str) -> Option<String>, notices: &Notices) -> Result<(), String> {
    // Every password is read before anything runs.
    let sql = changes.iter().map(|c| c.executable(secret)).collect::<Result<Vec<String>, String>>()?;
    for (i, batch) in sql.chunks(BATCH).enumerate() {
        let changes = &changes[i * BATCH..][..batch.len()];
        // Releasing the previous savepoint keeps one subtransaction open, not one per batch.
        let release = if i == 0 { "" } else { "RELEASE SAVEPOINT rolec_batch;\n" };
        let problem = match tx.batch_execute(&format!("{release}SAVEPOINT rolec_batch;\n{}", batch.join("\n"))) {
            Ok(()) => warnings(take(notices)),
            Err(e) => Some(error_text(&e)),
        };
        if let Some(problem) = problem {
            return Err(culprit(tx, changes, batch, notices).unwrap_or_else(|| format!("{problem}\n  in the batch of statements from: {}\nnothing was applied", changes[0].sql)));
        }
    }
    Ok(())
}

/// After a batch failed or warned: rolls it back to its savepoint and runs its statements one
/// by one; the error for the first that fails or warns. `None` if none does (or the savepoint
/// is gone, e.g. the connection broke).
fn culprit(tx: &mut postgres::Transaction<'_>, changes: &[Change], sql: &[String], notices: &Notices) -> Option<String> {
    tx.batch_execute("ROLLBACK TO SAVEPOINT rolec_batch").ok()?;
    take(notices);
    for (change, sql) in changes.iter().zip(sql) {
        if let Err(e) = tx.batch_execute(sql) {
            return Some(failure(&error_text(&e), change));
        }
        if let Some(w) = warnings(take(notices)) {
            return Some(failure(&w, change));
        }
    }
    None
}

/// What the roles the plan drops own or hold in other databases (pg_shdepend): DROP ROLE would
/// fail there, and REASSIGN OWNED / DROP OWNED only act on the connected database.
fn elsewhere(tx: &mut postgres::Transaction<'_>, plan: &ChangePlan) -> Result<Vec<String>, String> {
    const Q: &str = "SELECT d.datname::text,
            count(*) FILTER (WHERE s.deptype = 'o'),
            count(*) FILTER (WHERE s.deptype <> 'o')
        FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid = s.dbid
        WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass
          AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
          AND d.datname <> pg_catalog.current_database()
        GROUP BY 1 ORDER BY 1";
    // Databases the role owns: REASSIGN OWNED (with --successor) gives them away too.
    const Q_DATABASES: &str = "SELECT datname::text FROM pg_catalog.pg_database
        WHERE datdba = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) ORDER BY 1";
    let mut out = Vec::new();
    for role in plan.changes.iter().filter_map(|c| c.drops_role.as_deref()) {
        let reassigned = plan.changes.iter().any(|c| c.sql.starts_with(&format!("REASSIGN OWNED BY {} ", crate::lower::sql::ident(role))));
        if !reassigned {
            let owned: Vec<String> = tx.query(Q_DATABASES, &[&role]).map_err(|e| error_text(&e))?.iter().map(|r| format!("`{}`", r.get::<_, String>(0))).collect();
            if !owned.is_empty() {
                out.push(format!("role `{role}` is to be dropped but owns database {}: give `--successor ROLE` or change their owner first", owned.join(", ")));
            }
        }
        let rows = tx.query(Q, &[&role]).map_err(|e| error_text(&e))?;
        if rows.is_empty() {
            continue;
        }
        let places: Vec<String> = rows
            .iter()
            .map(|r| {
                let (db, owned, other): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
                let mut what = Vec::new();
                if owned > 0 {
                    what.push(format!("owns {owned} object{}", if owned == 1 { "" } else { "s" }));
                }
                if other > 0 {
                    what.push(format!("holds privileges on {other} object{}", if other == 1 { "" } else { "s" }));
                }
                format!("{} in database `{db}`", what.join(" and "))
            })
            .collect();
        out.push(format!(
            "role `{role}` is to be dropped but {}: run `REASSIGN OWNED BY … TO …; DROP OWNED BY …;` there first (or rolec apply --successor against that database)",
            places.join(", ")
        ));
    }
    Ok(out)
}
