//! `rolec import` and `manage roles matching` on real throwaway clusters (PostgreSQL 15 by
//! default; `ROLEC_PG_BIN` selects another, see scripts/pg-matrix.sh): importing a database and
//! planning the imported policy against it shows no change — for the live fixture and for every
//! bundled example applied to a fresh cluster.

mod support;

use std::path::Path;
use std::process::Output;

use support::build::{compile, examples};
use support::pg::PgCluster;

const DB: &str = "postgres";
const FIXTURE_SQL: &str = include_str!("fixtures/live/fixture.sql");

fn rolec(args: &[&str], env: &[(String, String)]) -> Output {
    support::cli::rolec_command().args(args).envs(env.iter().map(|(k, v)| (k, v))).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The imported files, concatenated (for assertion messages).
fn read_dir(dir: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            format!("// ==== {}\n{}", p.file_name().unwrap().to_string_lossy(), std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

/// `rolec import -o DIR`, then `rolec plan DIR` must be empty; returns the imported text.
fn import_then_plan_is_empty(pg: &PgCluster, extra: &[&str], what: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let conn = pg.conn_str(DB);
    let out_dir = dir.path().join("policy");
    let mut args = vec!["import", "--db", &conn, "-o", out_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = rolec(&args, &[]);
    assert!(out.status.success(), "{what}: import failed: {}", text(&out.stderr));
    let imported = read_dir(&out_dir);
    // Formatted canonically.
    for f in std::fs::read_dir(&out_dir).unwrap().flatten() {
        let t = std::fs::read_to_string(f.path()).unwrap();
        assert_eq!(rolec::format::format(&t), t, "{what}: {} is not formatted", f.path().display());
    }
    let mut args = vec!["plan", "--db", &conn, "--detailed-exitcode", "--at", "2026-06-01"];
    args.extend_from_slice(extra);
    args.push(out_dir.to_str().unwrap());
    let plan = rolec(&args, &[]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{what}: the plan of the imported policy is not empty (PostgreSQL {}):\n{}\n{}\n---- imported:\n{imported}",
        pg.major(),
        text(&plan.stdout),
        text(&plan.stderr)
    );
    imported
}

#[test]
fn import_fixture_then_plan_is_empty() {
    let pg = PgCluster::start();
    pg.exec(DB, FIXTURE_SQL).unwrap();
    pg.exec(DB, "CREATE ROLE \"odd \"\"name{x}\" LOGIN; COMMENT ON ROLE \"odd \"\"name{x}\" IS 'line one\nline \"two\" {brace}'; CREATE ROLE app_ro NOLOGIN BYPASSRLS; GRANT readers TO app_ro; ALTER ROLE app_ro SET search_path = app, public")
        .unwrap();
    // Exactness of the factoring: all tables without the implied default privileges stay per
    // table; all sequences with them become a bulk grant; and the other object kinds.
    pg.exec(
        DB,
        "CREATE ROLE bulk_nodefault; GRANT SELECT ON ALL TABLES IN SCHEMA app TO bulk_nodefault;
         CREATE ROLE seq_user; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA app TO seq_user;
         ALTER DEFAULT PRIVILEGES FOR ROLE \"App Owner\" IN SCHEMA app GRANT USAGE, SELECT ON SEQUENCES TO seq_user;
         GRANT EXECUTE ON PROCEDURE app.pr() TO seq_user; GRANT USAGE ON TYPE app.status TO seq_user;
         GRANT SELECT (total) ON app.orders TO seq_user WITH GRANT OPTION; GRANT SELECT ON app.v_orders TO PUBLIC;
         ALTER DEFAULT PRIVILEGES FOR ROLE seq_user REVOKE ALL ON TABLES FROM seq_user;
         ALTER DEFAULT PRIVILEGES FOR ROLE seq_user GRANT SELECT ON TABLES TO PUBLIC;
         CREATE ROLE \"All\" VALID UNTIL 'infinity' CONNECTION LIMIT 0 CREATEROLE REPLICATION;",
    )
    .unwrap();
    if pg.major() >= 16 {
        pg.exec(
            DB,
            "CREATE ROLE app_auditor LOGIN NOINHERIT; GRANT readers TO app_auditor WITH INHERIT TRUE, SET FALSE",
        )
        .unwrap();
    }
    let imported = import_then_plan_is_empty(&pg, &[], "fixture");
    // Readable factoring: groups and users apart, a bulk grant where it is exact.
    assert!(
        imported.contains("// ==== groups.role")
            && imported.contains("// ==== users.role")
            && imported.contains("// ==== schemas.role"),
        "{imported}"
    );
    assert!(imported.contains("grant select on tables in schema app"), "{imported}");
    assert!(imported.contains("external role \"App Owner\"") || imported.contains("user \"App Owner\""), "{imported}");
    assert!(imported.contains("member of writers with admin option"), "{imported}");
    assert!(imported.contains("grant select on column (id, note) of table app.orders"), "{imported}");
    assert!(imported.contains("defaults for role \"App Owner\""), "{imported}");
    assert!(!imported.to_lowercase().contains("scram-sha-256"), "{imported}");
    assert!(
        imported.contains("grant select on table app.orders\n")
            && !imported.contains("role bulk_nodefault {\n  grant select on tables"),
        "{imported}"
    );
    assert!(imported.contains("grant select, usage on sequences in schema app"), "{imported}");
    assert!(
        imported.contains("grant execute on procedure app.pr()") && imported.contains("grant usage on type app.status"),
        "{imported}"
    );
    assert!(imported.contains("grant select on column (total) of table app.orders with grant option"), "{imported}");
    assert!(imported.contains("grant select on table app.v_orders"), "{imported}");
    assert!(imported.contains("revoke all on tables from seq_user"), "{imported}");
    // Roles after the roles they are members of.
    let (r, w, a) = (
        imported.find("role readers").unwrap(),
        imported.find("role writers").unwrap(),
        imported.find("user alice").unwrap(),
    );
    assert!(r < w && w < a, "{imported}");
    if pg.major() >= 16 {
        assert!(imported.contains("member of readers inherit noset"), "{imported}");
    }

    // Importing twice gives the same files.
    assert_eq!(import_then_plan_is_empty(&pg, &[], "fixture again"), imported);
}

#[test]
fn import_with_manage_globs_keeps_the_scope() {
    let pg = PgCluster::start();
    pg.exec(DB, FIXTURE_SQL).unwrap();
    pg.exec(DB, "CREATE ROLE app_a NOLOGIN; CREATE ROLE app_b LOGIN; GRANT app_a TO app_b; GRANT readers TO app_a; CREATE ROLE other NOLOGIN").unwrap();
    let imported = import_then_plan_is_empty(&pg, &["--manage", "app_*"], "--manage app_*");
    assert!(imported.contains("manage roles matching \"app_*\""), "{imported}");
    assert!(imported.contains("external role") && imported.contains("readers"), "{imported}");
    assert!(!imported.contains("role other"), "{imported}");
    // Without -o the files are printed; a malformed glob is a usage error.
    let conn = pg.conn_str(DB);
    let out = rolec(&["import", "--db", &conn, "--manage", "app_*"], &[]);
    let printed = text(&out.stdout);
    assert!(
        out.status.success() && printed.contains("// ---- groups.role") && printed.contains("role app_a {"),
        "{printed}"
    );
    assert_eq!(rolec(&["import", "--db", &conn, "--manage", "app_["], &[]).status.code(), Some(2));

    // The statement alone (no --manage flag) puts undeclared matching roles in scope: a new
    // app_ role not in the policy is dropped, `other` is left alone.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.role"),
        "manage roles matching \"app_*\"\nexternal role readers\nrole app_a { member of readers }\n",
    )
    .unwrap();
    let conn = pg.conn_str(DB);
    let plan = rolec(&["plan", "--db", &conn, "--at", "2026-06-01", dir.path().to_str().unwrap()], &[]);
    let sql = text(&plan.stdout);
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    assert!(sql.contains("DROP ROLE \"app_b\";"), "{sql}");
    assert!(!sql.contains("\"other\"") && !sql.contains("\"alice\""), "{sql}");
}

/// Every example: setup.sql, then the up.sql of `rolec build` for the server's version, then
/// import, then plan — empty.
#[test]
fn import_each_example_then_plan_is_empty() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut failures = Vec::new();
    let mut done = Vec::new();
    for ex in examples(&root) {
        let pg = PgCluster::start();
        let Ok(mut args) = ex.build_args() else { continue };
        if args.target_given && args.options.target_version > pg.major() {
            continue;
        }
        args.options.target_version = pg.major();
        if let Some(setup) = ex.file("setup.sql") {
            if let Err(e) = pg.exec(DB, &setup) {
                failures.push(format!("{}: setup.sql: {e}", ex.name));
                continue;
            }
        }
        let env = args.env_pairs();
        let built = match compile(rolec::db::Sources::Paths(vec![ex.dir.clone()]), args.options.clone(), &env) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{}: build failed: {e:?}", ex.name));
                continue;
            }
        };
        if let Err(e) = pg.exec(DB, &built.up) {
            failures.push(format!("{}: up.sql: {e}", ex.name));
            continue;
        }
        let name = ex.name.clone();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| import_then_plan_is_empty(&pg, &[], &name))) {
            Ok(_) => done.push(ex.name.clone()),
            Err(e) => {
                failures.push(e.downcast_ref::<String>().cloned().unwrap_or_else(|| format!("{}: panicked", ex.name)))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(done.len() >= 5, "too few examples ran: {done:?}");
}
