//! `rolec.roles`, beside the ledger: the roles applies created, so that a role rolec created
//! and the policy no longer declares is known to be rolec's and retired (dropped), while roles
//! made by hand stay untouched unless `--manage` matches them. A role is known by its oid: one
//! renamed outside rolec is still rolec's (under its new name), and one dropped by hand and made
//! again by hand under the same name is not. `plan`, `check` and `apply` read it ([`read`]);
//! `apply` creates it when it first creates a role and writes it in its transaction ([`setup`],
//! [`write`]).

use postgres::GenericClient;

use super::rolec_schema::{access, SCHEMA};

const TABLE: &str = "CREATE TABLE IF NOT EXISTS rolec.roles (
    oid oid PRIMARY KEY,
    role text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT session_user,
    plan_hash text NOT NULL
)";

const GRANTS: &str = "GRANT SELECT, INSERT, DELETE ON rolec.roles TO";

/// The current names of the roles applies created that still exist; none when the table does
/// not exist. `Ok(Err(message))` when the connecting role may not read it: then no role is
/// known to be rolec's, and none is retired.
pub fn read<C: GenericClient>(client: &mut C) -> Result<Result<Vec<String>, String>, postgres::Error> {
    let a = access(client, "roles", &["INSERT", "DELETE"])?;
    if !a.table {
        return Ok(Ok(Vec::new()));
    }
    if !(a.usage && a.select) {
        let me = &a.me;
        return Ok(Err(format!("cannot read rolec.roles (the roles rolec created), so no role is retired: {me} needs USAGE on schema rolec and SELECT on rolec.roles; an administrator grants them once: GRANT USAGE ON SCHEMA rolec TO {me}; GRANT SELECT ON rolec.roles TO {me};")));
    }
    // By oid: a role renamed outside rolec is found under its new name; a row whose role is
    // gone (dropped by hand) names nothing.
    const Q: &str = "SELECT r.rolname::text FROM rolec.roles s JOIN pg_catalog.pg_roles r ON r.oid = s.oid ORDER BY 1";
    Ok(Ok(client.query(Q, &[])?.iter().map(|r| r.get(0)).collect()))
}

/// The statements that create what is missing of the table, or, when the deployer may not,
/// what an administrator grants once; `None` when the apply has nothing to write there.
/// `creates`: the apply creates roles (then the table must exist); `drops`: it drops roles
/// (then their rows go, if the table exists).
pub fn setup(
    tx: &mut postgres::Transaction<'_>,
    creates: bool,
    drops: bool,
) -> Result<Result<Option<Vec<&'static str>>, String>, postgres::Error> {
    if !creates && !drops {
        return Ok(Ok(None));
    }
    let a = access(tx, "roles", &["INSERT", "DELETE"])?;
    let (me, database) = (&a.me, &a.database);
    Ok(match (a.schema, a.table) {
        (_, true) if a.usage && a.select && a.write => Ok(Some(Vec::new())),
        (_, true) => Err(format!("cannot write rolec.roles (the roles rolec created, which it retires when the policy no longer declares them): {me} needs USAGE on schema rolec and SELECT, INSERT, DELETE on rolec.roles; an administrator grants them once: GRANT USAGE ON SCHEMA rolec TO {me}; {GRANTS} {me};")),
        (_, false) if !creates => Ok(None),
        (true, false) if a.usage && a.create_in_schema => Ok(Some(vec![TABLE])),
        (true, false) => Err(format!("cannot create rolec.roles (the roles rolec created, which it retires when the policy no longer declares them): {me} needs USAGE and CREATE on schema rolec; an administrator grants them once: GRANT USAGE, CREATE ON SCHEMA rolec TO {me};")),
        (false, false) if a.create_in_database => Ok(Some(vec![SCHEMA, TABLE])),
        (false, false) => Err(format!("cannot create rolec.roles (the roles rolec created, which it retires when the policy no longer declares them): {me} needs CREATE on database {database}; an administrator runs once: CREATE SCHEMA rolec AUTHORIZATION {me}; (or GRANT CREATE ON DATABASE {database} TO {me};)")),
    })
}

/// Records the roles the apply created (after running its statements, in its transaction) and
/// forgets the rows of roles that no longer exist (dropped by this apply, or by hand).
pub fn write(tx: &mut postgres::Transaction<'_>, created: &[String], plan_hash: &str) -> Result<(), postgres::Error> {
    // One statement for all of them: a plan may create thousands of roles.
    const INSERT: &str = "INSERT INTO rolec.roles (oid, role, plan_hash)
        SELECT r.oid, r.rolname::text, $2 FROM pg_catalog.pg_roles r WHERE r.rolname = ANY ($1::text[])
        ON CONFLICT (oid) DO NOTHING";
    const FORGET: &str =
        "DELETE FROM rolec.roles s WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = s.oid)";
    if !created.is_empty() {
        tx.execute(INSERT, &[&created, &plan_hash])?;
    }
    tx.execute(FORGET, &[])?;
    Ok(())
}
