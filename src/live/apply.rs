//! Applying a plan: one transaction under an advisory lock, the plan computed again inside it
//! and refused if it differs from the one that was shown (or saved), destructive steps refused
//! unless allowed, any warning of the server (such as "no privileges were granted") an error,
//! and each apply recorded in `rolec.ledger`.

use super::connect::{error_text, Connection};
use super::diff::ChangePlan;
use super::state::LiveState;

/// The advisory lock every apply takes (in the database it connects to): "rolec" in ASCII.
pub const LOCK_KEY: i64 = 0x0072_6f6c_6563;

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

/// Applies the plan `plan_for` computes from the state read inside the transaction, if its hash
/// is `expected_hash`. Passwords are read through `secret`. On any error nothing is changed.
pub fn apply(
    conn: &mut Connection,
    plan_for: &dyn Fn(&LiveState) -> Result<ChangePlan, String>,
    expected_hash: &str,
    allow_drop: bool,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Result<Applied, String> {
    let notices = conn.notices.clone();
    let take = || std::mem::take(&mut *notices.lock().unwrap_or_else(|e| e.into_inner()));
    let mut tx = conn.client.transaction().map_err(|e| error_text(&e))?;
    tx.execute("SELECT pg_catalog.pg_advisory_xact_lock($1)", &[&LOCK_KEY]).map_err(|e| error_text(&e))?;
    let state = super::introspect(&mut tx)?;
    let plan = plan_for(&state)?;
    if plan.hash() != expected_hash {
        return Err("the database changed since the plan was made: nothing was applied; make the plan again".to_string());
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
    take();
    for change in &plan.changes {
        let sql = change.executable(secret)?;
        tx.batch_execute(&sql).map_err(|e| format!("{}\n  in: {}\nnothing was applied", error_text(&e), change.sql))?;
        let warnings: Vec<String> = take().into_iter().filter(|(code, _)| code.starts_with("01")).map(|(code, m)| format!("{code}: {m}")).collect();
        if !warnings.is_empty() {
            return Err(format!("{}\n  in: {}\nnothing was applied", warnings.join("; "), change.sql));
        }
    }
    tx.batch_execute(LEDGER).map_err(|e| format!("cannot write the ledger: {}", error_text(&e)))?;
    let statements: Vec<&str> = plan.changes.iter().map(|c| c.sql.as_str()).collect();
    tx.execute("INSERT INTO rolec.ledger (plan_hash, statements) VALUES ($1, $2)", &[&plan.hash(), &statements]).map_err(|e| format!("cannot write the ledger: {}", error_text(&e)))?;
    tx.commit().map_err(|e| error_text(&e))?;
    take();
    Ok(Applied { plan })
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
