//! The safety of `rolec apply` on real throwaway clusters (PostgreSQL 15 by default;
//! `ROLEC_PG_BIN` selects another): saved plans checked against their hash, retries after
//! deadlocks and concurrent updates, and a deployer without superuser.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use support::pg::PgCluster;

const DB: &str = "postgres";

// ---- helpers ------------------------------------------------------------------------------------

fn rolec(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolec"));
    cmd.args(args);
    for var in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
        cmd.env_remove(var);
    }
    cmd.output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A policy file in a temporary directory, beside which a saved plan can be written.
struct PolicyFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl PolicyFile {
    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

fn policy_file(text: &str) -> PolicyFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.role");
    std::fs::write(&path, text).unwrap();
    PolicyFile { dir, path }
}

/// `rolec plan --format json` as `conn`, parsed.
fn saved_plan(conn: &str, policy: &PolicyFile) -> serde_json::Value {
    let out = rolec(&["plan", "--db", conn, "--format", "json", policy.arg()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write_plan(policy: &PolicyFile, plan: &serde_json::Value) -> PathBuf {
    let path = policy.dir.path().join("plan.json");
    std::fs::write(&path, serde_json::to_string_pretty(plan).unwrap()).unwrap();
    path
}

fn ledger_rows(pg: &PgCluster) -> Vec<Vec<Option<String>>> {
    pg.simple_rows(DB, "SELECT applied_by, plan_hash FROM rolec.ledger ORDER BY applied_at")
}

const APP_SQL: &str = "
CREATE ROLE app_owner;
CREATE SCHEMA app AUTHORIZATION app_owner;
SET ROLE app_owner;
CREATE TABLE app.orders(id int);
CREATE TABLE app.customers(id int);
RESET ROLE;
";

const APP_POLICY: &str = "
external role app_owner
schema app { owner app_owner }
role reader { grant usage on schema app\n grant select on tables in schema app }
";

// ---- saved plans --------------------------------------------------------------------------------

#[test]
fn a_saved_plan_whose_listed_changes_were_edited_is_refused() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    let plan = saved_plan(&conn, &policy);
    let before = pg.snapshot(DB);
    let edits: [(&str, fn(&mut serde_json::Value)); 3] = [
        ("a statement changed", |p| p["changes"][0]["sql"] = "CREATE ROLE \"reader\" WITH SUPERUSER;".into()),
        ("a statement added", |p| {
            let extra = serde_json::json!({"phase": "comments", "sql": "COMMENT ON ROLE \"reader\" IS 'ok';", "destructive": false});
            p["changes"].as_array_mut().unwrap().push(extra)
        }),
        ("a statement removed", |p| {
            p["changes"].as_array_mut().unwrap().pop();
        }),
    ];
    for (what, edit) in edits {
        let mut tampered = plan.clone();
        edit(&mut tampered);
        let file = write_plan(&policy, &tampered);
        let out = rolec(&["apply", "--db", &conn, "--plan", file.to_str().unwrap(), policy.arg()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains(&format!("`{}`: the listed changes do not match the plan's hash", file.display())), "{what}: {err}");
        before.assert_same(&pg.snapshot(DB), what);
    }
    // The file as `plan` wrote it still applies.
    let file = write_plan(&policy, &plan);
    let out = rolec(&["apply", "--db", &conn, "--plan", file.to_str().unwrap(), policy.arg()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(ledger_rows(&pg), vec![vec![Some("postgres".into()), Some(plan["hash"].as_str().unwrap().to_string())]]);
}
