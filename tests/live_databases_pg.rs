//! One policy over several databases of a cluster (`databases a, b`, `in database`): `plan`,
//! `check` and `apply` read and change each database in one run, `--database` narrows them,
//! what one database needs never revokes what another has, and two applies to different
//! databases of one cluster serialize. On real throwaway clusters, with the real binary.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::cli::{ok, rolec, text};
use support::pg::PgCluster;

const AT: &str = "2026-06-01";

/// A per-database suffix layout written once: `reader_<db>` per database, all in `reader`.
const SUFFIX_LAYOUT: &str = r#"databases app, billing

external role app_owner
role reader {}

for db in databases {
  role "reader_{db}" {}
  grant "reader_{db}" to reader
  in database "{db}" {
    schema data { owner app_owner }
    grant usage on schema data to "reader_{db}"
    grant select on tables in schema data to "reader_{db}"
  }
}
"#;

fn policy_dir(policy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.role"), policy).unwrap();
    dir
}

/// A cluster with databases `app` and `billing`, each with schema `data` (owned by `app_owner`)
/// and a table `data.t`.
fn cluster() -> PgCluster {
    let pg = PgCluster::start();
    pg.exec("postgres", "CREATE ROLE app_owner").unwrap();
    for db in ["app", "billing"] {
        pg.create_database(db);
        pg.exec(db, "CREATE SCHEMA data AUTHORIZATION app_owner; SET ROLE app_owner; CREATE TABLE data.t (id int);")
            .unwrap();
    }
    pg
}

fn live(cmd: &str, pg: &PgCluster, dir: &Path, extra: &[&str]) -> Output {
    let conn = pg.conn_str("postgres");
    let mut args = vec![cmd, "--db", &conn, "--at", AT];
    args.extend_from_slice(extra);
    args.push(dir.to_str().unwrap());
    rolec(&args)
}

fn has(pg: &PgCluster, db: &str, role: &str, privilege: &str) -> bool {
    pg.query_bool(db, &format!("SELECT has_table_privilege('{role}', 'data.t', '{privilege}')"))
}

#[test]
fn suffix_layout_applied_drifted_checked_and_repaired_in_every_database() {
    let pg = cluster();
    let dir = policy_dir(SUFFIX_LAYOUT);
    ok(&live("apply", &pg, dir.path(), &[]));
    for (db, other) in [("app", "billing"), ("billing", "app")] {
        assert!(has(&pg, db, &format!("reader_{db}"), "SELECT"), "reader_{db} reads data.t in {db}");
        assert!(!has(&pg, db, &format!("reader_{other}"), "SELECT"), "reader_{other} has nothing in {db}");
        assert!(has(&pg, db, "reader", "SELECT"), "reader reads data.t in {db} through reader_{db}");
    }
    // Applying again changes nothing: neither database's part revokes the other's.
    let again = live("plan", &pg, dir.path(), &["--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}{}", text(&again.stdout), text(&again.stderr));

    // Drift by hand in both databases.
    pg.exec("app", "REVOKE SELECT ON data.t FROM reader_app").unwrap();
    pg.exec("billing", "GRANT INSERT ON data.t TO reader_billing").unwrap();
    let check = live("check", &pg, dir.path(), &["--format", "json"]);
    assert_eq!(check.status.code(), Some(2), "{}{}", text(&check.stdout), text(&check.stderr));
    let json: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let drift: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "drift")
        .map(|f| format!("{} {}", f["role"].as_str().unwrap(), f["item"].as_str().unwrap()))
        .collect();
    assert!(drift.iter().any(|d| d.starts_with("reader_app in database app: TABLE")), "{drift:?}");
    assert!(drift.iter().any(|d| d.starts_with("reader_billing in database billing: TABLE")), "{drift:?}");

    // The plan says where each statement runs, as psql reads it.
    let plan = live("plan", &pg, dir.path(), &[]);
    ok(&plan);
    let sql = text(&plan.stdout);
    let (app, billing) = (sql.find("dbname='app'").unwrap(), sql.find("dbname='billing'").unwrap());
    let grant = sql.find(r#"GRANT SELECT ON TABLE "data"."t" TO "reader_app";"#).unwrap();
    let revoke = sql.find(r#"REVOKE INSERT ON TABLE "data"."t" FROM "reader_billing";"#).unwrap();
    assert!(app < grant && grant < billing && billing < revoke, "{sql}");

    // `--database app` repairs app only, and leaves billing's drift alone.
    ok(&live("apply", &pg, dir.path(), &["--database", "app"]));
    assert!(has(&pg, "app", "reader_app", "SELECT"));
    assert!(has(&pg, "billing", "reader_billing", "INSERT"), "billing is not touched");

    // One apply repairs both.
    pg.exec("app", "REVOKE SELECT ON data.t FROM reader_app").unwrap();
    ok(&live("apply", &pg, dir.path(), &[]));
    assert!(has(&pg, "app", "reader_app", "SELECT"));
    assert!(!has(&pg, "billing", "reader_billing", "INSERT"));
    assert!(has(&pg, "billing", "reader_billing", "SELECT"));
    let clean = live("check", &pg, dir.path(), &[]);
    assert_eq!(clean.status.code(), Some(0), "{}{}", text(&clean.stdout), text(&clean.stderr));

    // A database the policy does not name is refused.
    let unknown = live("plan", &pg, dir.path(), &["--database", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("`--database nope`: the policy names only the databases app, billing"));
}

#[test]
fn concurrent_applies_to_different_databases_serialize() {
    let pg = cluster();
    let dir = policy_dir(SUFFIX_LAYOUT);
    for _ in 0..3 {
        let conn = pg.conn_str("postgres");
        let spawn = |db: &str| {
            let mut cmd = support::cli::rolec_command();
            cmd.args(["apply", "--db", &conn, "--at", AT, "--database", db, dir.path().to_str().unwrap()]);
            cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        };
        let (a, b) = (spawn("app"), spawn("billing"));
        for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
            ok(&out);
            assert!(!text(&out.stderr).contains("42710"), "{}", text(&out.stderr));
        }
        assert!(has(&pg, "app", "reader_app", "SELECT") && has(&pg, "billing", "reader_billing", "SELECT"));
        // Start again from no roles.
        for db in ["app", "billing"] {
            pg.exec(db, "DROP OWNED BY reader_app, reader_billing").unwrap();
        }
        pg.exec("postgres", "DROP ROLE reader_app, reader_billing, reader").unwrap();
    }
}

#[test]
fn build_scripts_run_in_psql_across_databases() {
    let pg = cluster();
    let dir = policy_dir(SUFFIX_LAYOUT);
    let out = dir.path().join("out");
    ok(&rolec(&["build", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap(), "--at", AT]));
    let psql = |file: &str| {
        let mut cmd = Command::new(std::env::var("ROLEC_PSQL").unwrap_or_else(|_| "psql".to_string()));
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &pg.conn_str("postgres"), "-f"]);
        cmd.arg(out.join(file));
        for var in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"] {
            cmd.env_remove(var);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{file}: {}{}", text(&o.stdout), text(&o.stderr));
    };
    psql("up.sql");
    assert!(has(&pg, "app", "reader_app", "SELECT") && !has(&pg, "app", "reader_billing", "SELECT"));
    assert!(has(&pg, "billing", "reader_billing", "SELECT") && !has(&pg, "billing", "reader_app", "SELECT"));
    psql("down.sql");
    assert!(!pg.query_bool("postgres", "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname LIKE 'reader%')"));
}
