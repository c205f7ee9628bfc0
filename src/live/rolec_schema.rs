//! Schema `rolec`, where rolec keeps its own tables in a database (the ledger, `rolec.windows`,
//! `rolec.roles`): whether one of them exists, and what the connecting role may do with it, so
//! that an apply says what an administrator grants before it runs anything.

use postgres::GenericClient;

use crate::pg::quote::ident;

/// Creates the schema when missing (`IF NOT EXISTS` still needs CREATE on the database).
pub const SCHEMA: &str = "CREATE SCHEMA IF NOT EXISTS rolec";

/// Whether schema `rolec` and table `rolec.$1` exist, and what the connecting role may do
/// there; `$2`: the privileges writing the table takes. By oid from the catalogs:
/// `to_regclass` would need USAGE on the schema.
const ACCESS: &str = "WITH s AS (SELECT (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'rolec') AS schema),
         t AS (SELECT (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = s.schema AND relname::text = $1) AS tab FROM s)
    SELECT s.schema IS NOT NULL, t.tab IS NOT NULL,
        pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),
        pg_catalog.has_schema_privilege(s.schema, 'USAGE'),
        pg_catalog.has_schema_privilege(s.schema, 'CREATE'),
        pg_catalog.has_table_privilege(t.tab, 'SELECT'),
        (SELECT pg_catalog.bool_and(pg_catalog.has_table_privilege(t.tab, p)) FROM pg_catalog.unnest($2::text[]) p),
        current_user::text, pg_catalog.current_database()::text
    FROM s, t";

/// What [`access`] finds.
pub struct Access {
    pub schema: bool,
    pub table: bool,
    pub create_in_database: bool,
    pub usage: bool,
    pub create_in_schema: bool,
    pub select: bool,
    /// Every privilege writing the table takes.
    pub write: bool,
    /// The connecting role, quoted.
    pub me: String,
    /// The database, quoted.
    pub database: String,
}

/// Whether `rolec.{table}` exists and what the connecting role may do with it; `write`: the
/// privileges writing it takes (`INSERT`, `DELETE`, …).
pub fn access<C: GenericClient>(client: &mut C, table: &str, write: &[&str]) -> Result<Access, postgres::Error> {
    let row = client.query_one(ACCESS, &[&table, &write])?;
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
