//! `rolec.windows`, beside the ledger: when each relative time window (`member of r for 4h`)
//! started, written by the apply that first granted the membership, so that the window ends
//! at the same instant whatever `--at` later runs use. `plan`, `check` and `apply` read it
//! ([`read`]); `apply` creates it when missing and writes it ([`setup`], [`write`]).

use postgres::GenericClient;

use super::diff::windows::WindowBook;
use super::rolec_schema::{access, SCHEMA};
use super::state::LiveWindow;

const TABLE: &str = "CREATE TABLE IF NOT EXISTS rolec.windows (
    role text NOT NULL,
    member text NOT NULL,
    started_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    duration interval NOT NULL,
    reason text,
    PRIMARY KEY (role, member)
)";

const GRANTS: &str = "GRANT SELECT, INSERT, UPDATE, DELETE ON rolec.windows TO";

/// The recorded windows; none when the table does not exist. `Err(Ok(message))` when the
/// connecting role may not read it (without it every relative window would look new).
pub fn read<C: GenericClient>(client: &mut C) -> Result<Result<Vec<LiveWindow>, String>, postgres::Error> {
    let a = access(client, "windows", &["INSERT", "UPDATE", "DELETE"])?;
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
    let a = access(tx, "windows", &["INSERT", "UPDATE", "DELETE"])?;
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
