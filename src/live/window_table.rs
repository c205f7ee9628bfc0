//! `rolec.windows`, beside the ledger: when each relative time window (`member of r for 4h`)
//! started, written by the apply that first granted the membership, so that the window ends
//! at the same instant whatever `--at` later runs use. `plan`, `check` and `apply` read it
//! ([`read`]); `apply` creates it when missing and writes it ([`setup`], [`write`]).

use postgres::GenericClient;

use super::diff::windows::WindowBook;
use super::state::LiveWindow;
use crate::pg::quote::ident;

const SCHEMA: &str = "CREATE SCHEMA IF NOT EXISTS rolec";
const TABLE: &str = "CREATE TABLE IF NOT EXISTS rolec.windows (
    role text NOT NULL,
    member text NOT NULL,
    started_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    duration interval NOT NULL,
    reason text,
    PRIMARY KEY (role, member)
)";

/// Whether schema `rolec` and the table exist, and what the connecting role may do there.
/// By oid from the catalogs: `to_regclass` would need USAGE on the schema.
const ACCESS: &str = "WITH s AS (SELECT (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'rolec') AS schema),
         t AS (SELECT (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = s.schema AND relname = 'windows') AS tab FROM s)
    SELECT s.schema IS NOT NULL, t.tab IS NOT NULL,
        pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),
        pg_catalog.has_schema_privilege(s.schema, 'USAGE'),
        pg_catalog.has_schema_privilege(s.schema, 'CREATE'),
        pg_catalog.has_table_privilege(t.tab, 'SELECT'),
        pg_catalog.has_table_privilege(t.tab, 'INSERT') AND pg_catalog.has_table_privilege(t.tab, 'UPDATE')
            AND pg_catalog.has_table_privilege(t.tab, 'DELETE'),
        current_user::text, pg_catalog.current_database()::text
    FROM s, t";

struct Access {
    schema: bool,
    table: bool,
    create_in_database: bool,
    usage: bool,
    create_in_schema: bool,
    select: bool,
    write: bool,
    me: String,
    database: String,
}

fn access<C: GenericClient>(client: &mut C) -> Result<Access, postgres::Error> {
    let row = client.query_one(ACCESS, &[])?;
    let yes = |i: usize| row.get::<_, Option<bool>>(i) == Some(true);
    Ok(Access {
        schema: row.get(0),
        table: row.get(1),
        create_in_database: row.get(2),
        usage: yes(3),
        create_in_schema: yes(4),
        select: yes(5),
        write: yes(6),
        me: ident(&row.get::<_, String>(7)),
        database: ident(&row.get::<_, String>(8)),
    })
}

const GRANTS: &str = "GRANT SELECT, INSERT, UPDATE, DELETE ON rolec.windows TO";

/// The recorded windows; none when the table does not exist. `Err(Ok(message))` when the
/// connecting role may not read it (without it every relative window would look new).
pub fn read<C: GenericClient>(client: &mut C) -> Result<Result<Vec<LiveWindow>, String>, postgres::Error> {
    let a = access(client)?;
    if !a.table {
        return Ok(Ok(Vec::new()));
    }
    if !(a.usage && a.select) {
        let me = &a.me;
        return Ok(Err(format!("cannot read rolec.windows (when relative time windows started): {me} needs USAGE on schema rolec and SELECT on rolec.windows; an administrator grants them once: GRANT USAGE ON SCHEMA rolec TO {me}; GRANT SELECT ON rolec.windows TO {me};")));
    }
    const Q: &str = "SELECT role, member, extract(epoch FROM started_at)::int8, extract(epoch FROM ends_at)::int8,
            extract(epoch FROM duration)::int8, reason
        FROM rolec.windows ORDER BY 1, 2";
    let rows = client.query(Q, &[])?;
    Ok(Ok(rows
        .iter()
        .map(|r| LiveWindow {
            role: r.get(0),
            member: r.get(1),
            started_at: r.get(2),
            ends_at: r.get(3),
            duration: r.get(4),
            reason: r.get(5),
        })
        .collect()))
}

/// The statements that create what is missing of the table, or, when the deployer may not,
/// what an administrator grants once.
pub fn setup(tx: &mut postgres::Transaction<'_>) -> Result<Result<Vec<&'static str>, String>, postgres::Error> {
    let a = access(tx)?;
    let (me, database) = (&a.me, &a.database);
    Ok(match (a.schema, a.table) {
        (_, true) if a.usage && a.select && a.write => Ok(Vec::new()),
        (_, true) => Err(format!("cannot write rolec.windows (when relative time windows started): {me} needs USAGE on schema rolec and SELECT, INSERT, UPDATE, DELETE on rolec.windows; an administrator grants them once: GRANT USAGE ON SCHEMA rolec TO {me}; {GRANTS} {me};")),
        (true, false) if a.usage && a.create_in_schema => Ok(vec![TABLE]),
        (true, false) => Err(format!("cannot create rolec.windows (when relative time windows started): {me} needs USAGE and CREATE on schema rolec; an administrator grants them once: GRANT USAGE, CREATE ON SCHEMA rolec TO {me};")),
        (false, false) if a.create_in_database => Ok(vec![SCHEMA, TABLE]),
        (false, false) => Err(format!("cannot create rolec.windows (when relative time windows started): {me} needs CREATE on database {database}; an administrator runs once: CREATE SCHEMA rolec AUTHORIZATION {me}; (or GRANT CREATE ON DATABASE {database} TO {me};)")),
    })
}

/// Records the windows an apply started (or whose duration the policy changed) and forgets
/// those the policy no longer asks for.
pub fn write(tx: &mut postgres::Transaction<'_>, book: &WindowBook) -> Result<(), postgres::Error> {
    const UPSERT: &str = "INSERT INTO rolec.windows (role, member, started_at, ends_at, duration, reason)
        VALUES ($1, $2, pg_catalog.to_timestamp($3::int8), pg_catalog.to_timestamp($4::int8), $5::int8 * interval '1 second', $6)
        ON CONFLICT (role, member) DO UPDATE SET started_at = EXCLUDED.started_at, ends_at = EXCLUDED.ends_at,
            duration = EXCLUDED.duration, reason = EXCLUDED.reason";
    const DELETE: &str = "DELETE FROM rolec.windows WHERE role = $1 AND member = $2";
    for w in &book.record {
        tx.execute(UPSERT, &[&w.role, &w.member, &w.started_at, &w.ends_at, &w.duration, &w.reason])?;
    }
    for (role, member) in &book.forget {
        tx.execute(DELETE, &[role, member])?;
    }
    Ok(())
}
