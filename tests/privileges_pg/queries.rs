//! The queries of the differential test: the `has_*_privilege` functions asked for every
//! role × object × privilege, and the objects the creators make later.

use std::fmt::Write as _;

use rolec::analysis::privileges::{FutureKind, ObjectRef};
use rolec::syntax::ast::Privilege;

/// A privilege as the queries name it, and whether it is asked `WITH GRANT OPTION`.
pub fn privilege(name: &str) -> (Privilege, bool) {
    match name.strip_suffix(" WITH GRANT OPTION") {
        Some(p) => (plain_privilege(p), true),
        None => (plain_privilege(name), false),
    }
}

/// `'SELECT','SELECT WITH GRANT OPTION',…` for a list of privilege names.
pub fn with_options(privileges: &[&str]) -> String {
    privileges.iter().flat_map(|p| [format!("'{p}'"), format!("'{p} WITH GRANT OPTION'")]).collect::<Vec<_>>().join(",")
}

pub fn plain_privilege(name: &str) -> Privilege {
    Privilege::from_sql(name).unwrap_or_else(|| panic!("unknown privilege {name}"))
}

pub fn table_privileges(version: u32) -> String {
    let mut p = vec!["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];
    if version >= 17 {
        p.push("MAINTAIN");
    }
    with_options(&p)
}

/// One query per kind; each row: role, object parts, privilege, answer. The object is built
/// from the row by the closure.
/// A `has_*_privilege` function's name, its query, and how a row names the object.
pub type Query = (&'static str, String, fn(&[String]) -> ObjectRef);

pub fn queries(version: u32) -> Vec<Query> {
    let roles = "pg_roles r";
    let role_filter = "r.rolname ~ '^r[0-9]+$'";
    vec![
        (
            "has_table_privilege",
            format!(
                "SELECT r.rolname, n.nspname, c.relname, c.relkind::text, p, has_table_privilege(r.oid, c.oid, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v') ORDER BY 1, 2, 3, 5",
                table_privileges(version)
            ),
            |r| if r[3] == "v" { ObjectRef::View { schema: r[1].clone(), name: r[2].clone() } } else { ObjectRef::Table { schema: r[1].clone(), name: r[2].clone() } },
        ),
        (
            "has_column_privilege",
            format!(
                "SELECT r.rolname, n.nspname, c.relname, a.attname, p, has_column_privilege(r.oid, c.oid, a.attname, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v') ORDER BY 1, 2, 3, 4, 5",
                with_options(&["SELECT", "INSERT", "UPDATE", "REFERENCES"])
            ),
            |r| ObjectRef::Column { schema: r[1].clone(), table: r[2].clone(), column: r[3].clone() },
        ),
        (
            "has_sequence_privilege",
            format!(
                "SELECT r.rolname, 's0', 'q', '', p, has_sequence_privilege(r.oid, 's0.q', p) FROM {roles}, unnest(ARRAY[{}]) p WHERE {role_filter} ORDER BY 1, 5",
                with_options(&["USAGE", "SELECT", "UPDATE"])
            ),
            |r| ObjectRef::Sequence { schema: r[1].clone(), name: r[2].clone() },
        ),
        (
            "has_function_privilege",
            format!("SELECT r.rolname, n.nspname, f.proname, pg_get_function_identity_arguments(f.oid), p, has_function_privilege(r.oid, f.oid, p) FROM {roles}, pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname = 's0' AND f.proname IN ('f', 'g') ORDER BY 1, 3, 5", with_options(&["EXECUTE"])),
            |r| ObjectRef::Function {
                schema: r[1].clone(),
                name: r[2].clone(),
                args: r[3].split(", ").map(str::to_string).collect(),
            },
        ),
        (
            "has_schema_privilege",
            format!(
                "SELECT r.rolname, s, '', '', p, has_schema_privilege(r.oid, s, p) FROM {roles}, unnest(ARRAY['s0','s1','public']) s, unnest(ARRAY[{}]) p WHERE {role_filter} ORDER BY 1, 2, 5",
                with_options(&["USAGE", "CREATE"])
            ),
            |r| ObjectRef::Schema { name: r[1].clone() },
        ),
        (
            "has_database_privilege",
            format!(
                "SELECT r.rolname, 'postgres', '', '', p, has_database_privilege(r.oid, 'postgres', p) FROM {roles}, unnest(ARRAY[{}]) p WHERE {role_filter} ORDER BY 1, 5",
                with_options(&["CREATE", "CONNECT", "TEMPORARY"])
            ),
            |r| ObjectRef::Database { name: r[1].clone() },
        ),
    ]
}

/// The objects the creators make after `up.sql`: `f{t,v,q,f}_CREATOR` in s0, s1, s2 and
/// schema `fs_CREATOR`. A query per `has_*_privilege`; each row: role, schema, name, privilege,
/// answer.
pub type FutureQuery = (&'static str, String, FutureKind);

pub fn future_queries(version: u32) -> Vec<FutureQuery> {
    let roles = "pg_roles r";
    let role_filter = "r.rolname ~ '^r[0-9]+$'";
    vec![
        (
            "has_table_privilege",
            format!(
                "SELECT r.rolname, n.nspname, c.relname, p, has_table_privilege(r.oid, c.oid, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname IN ('s0', 's1', 's2') AND c.relname ~ '^f[tv]_' ORDER BY 1, 2, 3, 4",
                table_privileges(version)
            ),
            FutureKind::Table,
        ),
        (
            "has_sequence_privilege",
            format!(
                "SELECT r.rolname, n.nspname, c.relname, p, has_sequence_privilege(r.oid, c.oid, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname IN ('s0', 's1', 's2') AND c.relname ~ '^fq_' ORDER BY 1, 2, 3, 4",
                with_options(&["USAGE", "SELECT", "UPDATE"])
            ),
            FutureKind::Sequence,
        ),
        (
            "has_function_privilege",
            format!(
                "SELECT r.rolname, n.nspname, f.proname, p, has_function_privilege(r.oid, f.oid, p) FROM {roles}, pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname IN ('s0', 's1', 's2') AND f.proname ~ '^ff_' ORDER BY 1, 2, 3, 4",
                with_options(&["EXECUTE"])
            ),
            FutureKind::Function,
        ),
        (
            "has_schema_privilege",
            format!(
                "SELECT r.rolname, '', n.nspname, p, has_schema_privilege(r.oid, n.oid, p) FROM {roles}, pg_namespace n, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname ~ '^fs_' ORDER BY 1, 3, 4",
                with_options(&["USAGE", "CREATE"])
            ),
            FutureKind::Schema,
        ),
    ]
}

/// As each creator (`SET ROLE`): the objects of [`future_queries`]. The creator gets what it
/// needs to create them first (in the transaction that is rolled back).
pub fn create_future_objects(creators: &[String]) -> String {
    let mut sql = String::new();
    for c in creators {
        let _ = writeln!(sql, "GRANT USAGE, CREATE ON SCHEMA s0, s1 TO {c}; GRANT CREATE ON DATABASE postgres TO {c};");
        let _ = writeln!(sql, "SET ROLE {c};");
        for s in ["s0", "s1", "s2"] {
            let _ = writeln!(
                sql,
                "CREATE TABLE {s}.ft_{c} (a int); CREATE VIEW {s}.fv_{c} AS SELECT 1 AS a; CREATE SEQUENCE {s}.fq_{c}; CREATE FUNCTION {s}.ff_{c}() RETURNS integer LANGUAGE plnv AS 'BEGIN RETURN 1; END';"
            );
        }
        let _ = writeln!(sql, "CREATE SCHEMA fs_{c};\nRESET ROLE;");
    }
    sql
}

/// The rows of the last result of `sql`, NULL as the empty string.
pub fn rows(tx: &mut postgres::Transaction<'_>, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    for m in tx.simple_query(sql).map_err(|e| format!("{sql}: {}", crate::support::pg::error_text(&e)))? {
        match m {
            postgres::SimpleQueryMessage::Row(row) => {
                out.push((0..row.len()).map(|i| row.get(i).unwrap_or_default().to_string()).collect())
            }
            postgres::SimpleQueryMessage::RowDescription(_) => out.clear(),
            _ => {}
        }
    }
    Ok(out)
}
