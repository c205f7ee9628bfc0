//! Default privileges as part of the expected live state, on real throwaway clusters
//! (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another): what the policy's `defaults`
//! give the objects their role creates later is expected when present (`plan` proposes
//! nothing, `check` reports ✓ with the grounds, `apply` changes nothing), and what they do not
//! give is still revoked.

mod support;

use std::path::Path;
use std::process::Output;

use support::cli::policy_file;
use support::pg::PgCluster;

const DB: &str = "postgres";
const AT: &str = "2026-06-01";

/// Per-schema defaults for tables, sequences and functions in `app`, global ones for types
/// and schemas; `writer` is managed and given nothing by the defaults.
const POLICY: &str = r#"
schema app { owner app_owner }
role app_owner { grant create on database postgres }
role other_owner { grant usage, create on schema app }
role reporter {}
role writer {}

defaults for role app_owner in schema app {
  grant select on tables to reporter
  grant usage on sequences to reporter
  grant execute on functions to reporter
}

defaults for role app_owner {
  grant usage on types to reporter
  grant usage on schemas to reporter
}
"#;

/// As app_owner (its defaults apply), in `app`, in `other` (no per-schema defaults) and a new
/// schema; and a table of `app` owned by another role.
const CREATE_LATER: &str = r#"
SET ROLE app_owner;
CREATE TABLE app.later (id int);
CREATE VIEW app.later_view AS SELECT 1 AS one;
CREATE SEQUENCE app.later_seq;
CREATE FUNCTION app.later_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE app.later_proc() LANGUAGE sql AS 'SELECT 1';
CREATE TYPE app.later_type AS ENUM ('a');
CREATE DOMAIN app.later_domain AS int;
CREATE TABLE other.later (id int);
CREATE SCHEMA later_schema;
RESET ROLE;
SET ROLE other_owner;
CREATE TABLE app.by_other (id int);
RESET ROLE;
"#;

/// What `CREATE_LATER` leaves that the defaults give reporter: (item, grounds).
const GIVEN: &[(&str, &str)] = &[
    (r#"TABLE "app"."later""#, r#"from default privileges of "app_owner" in schema "app""#),
    (r#"TABLE "app"."later_view""#, r#"from default privileges of "app_owner" in schema "app""#),
    (r#"SEQUENCE "app"."later_seq""#, r#"from default privileges of "app_owner" in schema "app""#),
    (r#"FUNCTION "app"."later_fn"()"#, r#"from default privileges of "app_owner" in schema "app""#),
    (r#"PROCEDURE "app"."later_proc"()"#, r#"from default privileges of "app_owner" in schema "app""#),
    (r#"TYPE "app"."later_type""#, r#"from default privileges of "app_owner""#),
    (r#"TYPE "app"."later_domain""#, r#"from default privileges of "app_owner""#),
    (r#"SCHEMA "later_schema""#, r#"from default privileges of "app_owner""#),
];

// ---- helpers ------------------------------------------------------------------------------------

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn run_sql(pg: &PgCluster, sql: &str) {
    if let Err(e) = pg.exec(DB, sql) {
        panic!("{e}\n--- script:\n{sql}");
    }
}

#[track_caller]
fn apply(pg: &PgCluster, policy: &Path) -> String {
    let conn = pg.conn_str(DB);
    let out = rolec(&["apply", "--db", &conn, "--at", AT, policy.to_str().unwrap()]);
    assert!(out.status.success(), "rolec apply failed:\n{}\n{}", text(&out.stderr), text(&out.stdout));
    text(&out.stdout)
}

/// `rolec plan --format json`: the statements.
#[track_caller]
fn plan(pg: &PgCluster, policy: &Path) -> Vec<String> {
    let conn = pg.conn_str(DB);
    let out = rolec(&["plan", "--db", &conn, "--at", AT, "--format", "json", policy.to_str().unwrap()]);
    assert!(out.status.success(), "rolec plan failed:\n{}\n{}", text(&out.stderr), text(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["changes"].as_array().unwrap().iter().map(|c| c["sql"].as_str().unwrap().to_string()).collect()
}

/// `rolec check` in JSON and in words, with its exit code.
fn check(pg: &PgCluster, policy: &Path) -> (serde_json::Value, String, i32) {
    let conn = pg.conn_str(DB);
    let p = policy.to_str().unwrap();
    let out = rolec(&["check", "--db", &conn, "--at", AT, "--format", "json", p]);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)));
    let human = rolec(&["check", "--db", &conn, "--at", AT, p]);
    assert_eq!(human.status.code(), out.status.code(), "human and JSON check disagree");
    (json, text(&human.stdout), out.status.code().unwrap_or(-1))
}

/// The finding of `role` on `item`.
#[track_caller]
fn finding<'j>(json: &'j serde_json::Value, role: &str, item: &str) -> &'j serde_json::Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["role"] == role && f["item"] == item)
        .unwrap_or_else(|| panic!("no finding of {role} on {item}:\n{json:#}"))
}

/// A cluster with schemas `app` and `other` of app_owner, the policy applied, then objects
/// created as app_owner and other_owner.
fn cluster_with_later_objects(policy: &Path) -> PgCluster {
    let pg = PgCluster::start();
    run_sql(&pg, "CREATE ROLE app_owner; CREATE ROLE other_owner;");
    run_sql(&pg, "CREATE SCHEMA app AUTHORIZATION app_owner; CREATE SCHEMA other AUTHORIZATION app_owner;");
    apply(&pg, policy);
    run_sql(&pg, CREATE_LATER);
    pg
}

// ---- tests --------------------------------------------------------------------------------------

/// Regression test: a privilege the policy's default privileges gave an object created later
/// was planned as a revoke, reported ✗ by check, and taken away by apply.
#[test]
fn privileges_from_default_privileges_are_expected() {
    let policy = policy_file(POLICY);
    let pg = cluster_with_later_objects(&policy.path);
    // PostgreSQL gave them (and nothing on other.later, whose schema has no defaults).
    assert!(pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'app.later', 'SELECT')"));
    assert!(pg.query_bool(DB, "SELECT has_type_privilege('reporter', 'app.later_domain', 'USAGE')"));
    assert!(!pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'other.later', 'SELECT')"));
    assert_eq!(plan(&pg, &policy.path), Vec::<String>::new(), "nothing to change");
    let (json, human, code) = check(&pg, &policy.path);
    assert_eq!(code, 0, "check found drift:\n{human}");
    for (item, grounds) in GIVEN {
        let f = finding(&json, "reporter", item);
        assert_eq!(f["status"], "ok", "{f}");
        assert_eq!(f["grounds"], *grounds, "{f}");
        let line = format!("✓ {item}: {} ({grounds})", f["actual"].as_str().unwrap());
        assert!(human.contains(&line), "no line {line:?} in:\n{human}");
    }
    assert_eq!(finding(&json, "reporter", r#"TABLE "app"."later""#)["actual"], "SELECT");
    assert_eq!(finding(&json, "reporter", r#"FUNCTION "app"."later_fn"()"#)["actual"], "EXECUTE");
    // A finding the policy grants has no grounds field.
    assert!(finding(&json, "app_owner", r#"DATABASE "postgres""#).get("grounds").is_none());

    let before = pg.snapshot(DB);
    apply(&pg, &policy.path);
    pg.snapshot(DB).assert_same(&before, "apply after objects created later");
}

/// Regression test: what the defaults do not give — another privilege, another grantee, a
/// grant option, an object of another owner or of a schema without defaults — is still revoked,
/// and what they give stays.
#[test]
fn privileges_the_defaults_do_not_give_are_revoked() {
    let policy = policy_file(POLICY);
    let pg = cluster_with_later_objects(&policy.path);
    run_sql(
        &pg,
        "GRANT INSERT ON app.later TO reporter;
         GRANT SELECT ON app.later TO writer;
         GRANT SELECT ON other.later TO reporter;
         GRANT SELECT ON app.by_other TO reporter;
         GRANT USAGE ON SEQUENCE app.later_seq TO reporter WITH GRANT OPTION;
         GRANT USAGE ON TYPE app.later_type TO writer;",
    );
    let mut got = plan(&pg, &policy.path);
    got.sort();
    let mut want = vec![
        r#"REVOKE INSERT ON TABLE "app"."later" FROM "reporter";"#,
        r#"REVOKE SELECT ON TABLE "app"."later" FROM "writer";"#,
        r#"REVOKE SELECT ON TABLE "other"."later" FROM "reporter";"#,
        r#"REVOKE SELECT ON TABLE "app"."by_other" FROM "reporter";"#,
        r#"REVOKE GRANT OPTION FOR USAGE ON SEQUENCE "app"."later_seq" FROM "reporter";"#,
        r#"REVOKE USAGE ON TYPE "app"."later_type" FROM "writer";"#,
    ];
    want.sort();
    assert_eq!(got, want);

    let (json, human, code) = check(&pg, &policy.path);
    assert_eq!(code, 2, "{human}");
    let later = finding(&json, "reporter", r#"TABLE "app"."later""#);
    assert_eq!(
        (&later["status"], &later["expected"], &later["actual"]),
        (&"drift".into(), &"SELECT".into(), &"INSERT, SELECT".into())
    );
    assert_eq!(finding(&json, "writer", r#"TABLE "app"."later""#)["status"], "drift");
    assert_eq!(finding(&json, "reporter", r#"TABLE "other"."later""#)["status"], "drift");
    let seq = finding(&json, "reporter", r#"SEQUENCE "app"."later_seq""#);
    assert_eq!((&seq["expected"], &seq["actual"]), (&"USAGE".into(), &"USAGE (grantable)".into()));

    apply(&pg, &policy.path);
    assert_eq!(plan(&pg, &policy.path), Vec::<String>::new());
    assert!(pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'app.later', 'SELECT')"));
    assert!(!pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'app.later', 'INSERT')"));
    assert!(pg.query_bool(DB, "SELECT has_sequence_privilege('reporter', 'app.later_seq', 'USAGE')"));
    assert!(!pg.query_bool(DB, "SELECT has_sequence_privilege('reporter', 'app.later_seq', 'USAGE WITH GRANT OPTION')"));
    assert!(!pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'other.later', 'SELECT')"));
    assert!(!pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'app.by_other', 'SELECT')"));
}

/// Objects their role created before the defaults existed: the plan does not give them what the
/// defaults give (no grant names them), and accepts it when they hold it — the same answer as
/// `who-can` gives for an object that role creates later.
#[test]
fn objects_created_before_the_defaults() {
    let policy = policy_file(POLICY);
    let pg = PgCluster::start();
    run_sql(&pg, "CREATE ROLE app_owner; CREATE ROLE other_owner; CREATE SCHEMA app AUTHORIZATION app_owner;");
    run_sql(&pg, "SET ROLE app_owner; CREATE TABLE app.early (id int); CREATE TABLE app.early_granted (id int);");
    apply(&pg, &policy.path);
    assert!(!pg.query_bool(DB, "SELECT has_table_privilege('reporter', 'app.early', 'SELECT')"));
    assert!(!pg.query_bool(DB, "SELECT has_schema_privilege('reporter', 'app', 'USAGE')"));
    run_sql(&pg, "GRANT SELECT ON app.early_granted TO reporter;");

    assert_eq!(plan(&pg, &policy.path), Vec::<String>::new());
    let (json, human, code) = check(&pg, &policy.path);
    assert_eq!(code, 0, "{human}");
    let f = finding(&json, "reporter", r#"TABLE "app"."early_granted""#);
    assert_eq!(
        (&f["status"], &f["grounds"]),
        (&"ok".into(), &r#"from default privileges of "app_owner" in schema "app""#.into())
    );
    assert!(!human.contains(r#"TABLE "app"."early":"#), "{human}");

    // who-can answers the same for a table app_owner creates later in app, and nothing for
    // one it creates elsewhere (no per-schema defaults there).
    let who = |question: &str| {
        let out = rolec(&["who-can", question, "--format", "json", policy.path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert!(who("select on future tables in schema app created by app_owner").contains("\"reporter\""));
    assert!(!who("select on future tables created by app_owner").contains("\"reporter\""));
}
