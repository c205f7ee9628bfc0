//! `rolec.ledger`: one row per apply that ran statements — when (`applied_at`), who
//! (`applied_by`: the session user, who logged in; `applied_as`: the current user, whose
//! privileges ran the statements), what (`plan_hash`, `statements` as shown, passwords never),
//! the windows and reasons of the memberships it granted or revoked (`windows`), and why
//! (`reason`: `rolec apply --reason`). The schema and the table are each created only when
//! missing; a deployer who may not create them gets the statements an administrator runs once.
//! A ledger made before a column existed gains it when the deployer owns the table; otherwise
//! the apply goes on without it, unless it has something to record there.

use postgres::types::ToSql;

use super::diff::ChangePlan;
use super::rolec_schema::SCHEMA;
use crate::pg::quote::ident;

const TABLE: &str = "CREATE TABLE IF NOT EXISTS rolec.ledger (
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT session_user,
    plan_hash text NOT NULL,
    statements text[] NOT NULL,
    windows jsonb,
    applied_as text,
    reason text
)";

/// Columns added after the first ledgers, each with what adds it to an old ledger (old rows
/// keep NULL).
const WINDOWS: &str = "ALTER TABLE rolec.ledger ADD COLUMN IF NOT EXISTS windows jsonb";
const APPLIED_AS: &str = "ALTER TABLE rolec.ledger ADD COLUMN IF NOT EXISTS applied_as text";
const REASON: &str = "ALTER TABLE rolec.ledger ADD COLUMN IF NOT EXISTS reason text";

/// What recording an apply in the ledger takes.
pub(super) struct Ledger {
    /// Statements that create (or add) what is missing.
    pub setup: Vec<&'static str>,
    /// Whether the ledger has (or gets) each of the later columns.
    windows: bool,
    applied_as: bool,
    reason: bool,
}

/// The statements that create what is missing of the ledger, or, when the deployer may not,
/// what an administrator runs once. `has_windows`: the apply grants or revokes memberships
/// with a window or reason; `has_reason`: it was given `--reason`.
pub(super) fn setup(
    tx: &mut postgres::Transaction<'_>,
    has_windows: bool,
    has_reason: bool,
) -> Result<Result<Ledger, String>, postgres::Error> {
    // By oid from the catalogs: to_regclass would need USAGE on the schema.
    const Q: &str = "WITH s AS (SELECT (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'rolec') AS schema),
             t AS (SELECT (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = s.schema AND relname = 'ledger') AS tab FROM s)
        SELECT s.schema IS NOT NULL, t.tab IS NOT NULL,
            pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),
            pg_catalog.has_schema_privilege(s.schema, 'USAGE'),
            pg_catalog.has_schema_privilege(s.schema, 'CREATE'),
            pg_catalog.has_table_privilege(t.tab, 'INSERT'),
            current_user::text, pg_catalog.current_database()::text,
            ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = t.tab AND a.attnum > 0 AND NOT a.attisdropped),
            (SELECT pg_catalog.pg_has_role(c.relowner, 'USAGE') FROM pg_catalog.pg_class c WHERE c.oid = t.tab)
        FROM s, t";
    let row = tx.query_one(Q, &[])?;
    let (schema, table, create_in_database): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
    let (usage, create_in_schema, insert): (Option<bool>, Option<bool>, Option<bool>) =
        (row.get(3), row.get(4), row.get(5));
    let (me, database) = (ident(&row.get::<_, String>(6)), ident(&row.get::<_, String>(7)));
    let (columns, owner): (Vec<String>, Option<bool>) = (row.get(8), row.get(9));
    let created = |setup: Vec<&'static str>| Ok(Ledger { setup, windows: true, applied_as: true, reason: true });
    Ok(match (schema, table) {
        (_, true) if usage == Some(true) && insert == Some(true) => {
            let mut ledger = Ledger { setup: Vec::new(), windows: true, applied_as: true, reason: true };
            for (column, add, needed, has) in [
                ("windows", WINDOWS, has_windows, &mut ledger.windows),
                ("applied_as", APPLIED_AS, false, &mut ledger.applied_as),
                ("reason", REASON, has_reason, &mut ledger.reason),
            ] {
                if columns.iter().any(|c| c == column) {
                    continue;
                }
                if owner == Some(true) {
                    ledger.setup.push(add);
                } else if needed {
                    let what = if column == "reason" { "the apply's reason" } else { "time windows and reasons" };
                    return Ok(Err(format!("cannot record {what} in the ledger rolec.ledger: it has no `{column}` column and {me} does not own it; its owner runs once: {add};")));
                } else {
                    *has = false;
                }
            }
            Ok(ledger)
        }
        (_, true) => Err(format!("cannot write the ledger rolec.ledger: {me} needs USAGE on schema rolec and INSERT on rolec.ledger; an administrator grants them once: GRANT USAGE ON SCHEMA rolec TO {me}; GRANT INSERT ON rolec.ledger TO {me};")),
        (true, false) if usage == Some(true) && create_in_schema == Some(true) => created(vec![TABLE]),
        (true, false) => Err(format!("cannot create the ledger rolec.ledger: {me} needs USAGE and CREATE on schema rolec; an administrator grants them once: GRANT USAGE, CREATE ON SCHEMA rolec TO {me};")),
        (false, false) if create_in_database => created(vec![SCHEMA, TABLE]),
        (false, false) => Err(format!("cannot create the ledger rolec.ledger: {me} needs CREATE on database {database}; an administrator runs once: CREATE SCHEMA rolec AUTHORIZATION {me}; (or GRANT CREATE ON DATABASE {database} TO {me};)")),
    })
}

/// Records the apply of `plan` (after `ledger.setup` ran), with the columns the ledger has.
pub(super) fn record(
    tx: &mut postgres::Transaction<'_>,
    ledger: &Ledger,
    plan: &ChangePlan,
    reason: Option<&str>,
) -> Result<(), postgres::Error> {
    let hash = plan.hash();
    let statements: Vec<&str> = plan.changes.iter().map(|c| c.sql.as_str()).collect();
    let windows = plan.windows.ledger_json();
    let mut columns = vec!["plan_hash", "statements"];
    let mut values = vec!["$1".to_string(), "$2".to_string()];
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&hash, &statements];
    if ledger.windows {
        columns.push("windows");
        params.push(&windows);
        values.push(format!("(${}::text)::jsonb", params.len()));
    }
    if ledger.applied_as {
        // The statements have reset any role they set: this is the role the apply ran as.
        columns.push("applied_as");
        values.push("current_user".to_string());
    }
    if ledger.reason {
        columns.push("reason");
        params.push(&reason);
        values.push(format!("${}::text", params.len()));
    }
    let sql = format!("INSERT INTO rolec.ledger ({}) VALUES ({})", columns.join(", "), values.join(", "));
    tx.execute(&sql, &params)?;
    Ok(())
}
