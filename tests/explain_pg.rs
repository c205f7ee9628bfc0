//! `rolec explain` and `rolec who-can` (the real binary, `--format json`, `--catalog`) against
//! PostgreSQL itself: after `up.sql` of `rolec build` and the owners the catalog names, every
//! answer the server gives on the policy's objects for every policy role — `pg_has_role` in
//! each mode, `has_*_privilege` plainly and `WITH GRANT OPTION` — is what `explain` lists, and
//! `who-can` lists exactly the roles the server says can.
//!
//! The policy has what the analysis once got wrong: a superuser (a member of every role), a
//! table and a schema owned, as the catalog says, by a policy role, one routine written under
//! several spellings of its signature, and a `public` block that grants and then revokes.
//! PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another server.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::cli::rolec_command;
use support::pg::PgCluster;

const DB: &str = "postgres";

const SETUP: &str = "
CREATE SCHEMA s0;
CREATE SCHEMA s1;
CREATE TABLE s0.t0 (a int);
CREATE FUNCTION s0.f(integer, text) RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION s0.g(bigint, numeric) RETURNS integer LANGUAGE sql AS 'SELECT 1';
";

const POLICY: &str = r#"schema s0 {}
schema s1 {}
table s0.t0
function s0.f(integer, text)
function s0.g(int8, numeric(10, 2))
role r05 { superuser }
role r06
user u01 { member of r06 }
role r07 {
  grant execute on function s0.g(bigint, decimal) with grant option
  grant select on table s0.t0
}
public {
  grant create on schema public
  revoke create on schema public
  revoke execute on function s0.f(int4, text)
  grant usage on schema s0
  revoke usage on schema s0
  revoke execute on function s0.g(bigint, numeric)
}
"#;

/// The catalog: s0.t0 and schema s1 owned by r06; f spelled otherwise again.
const CATALOG: &str = r#"{ "format": "rolec-catalog/1",
  "schemas": [{ "name": "s0" }, { "name": "s1", "owner": "r06" }],
  "objects": [{ "kind": "table", "schema": "s0", "name": "t0", "owner": "r06" },
              { "kind": "function", "schema": "s0", "name": "f", "args": ["int", "text"] }] }"#;

const ROLES: [&str; 4] = ["r05", "r06", "u01", "r07"];

/// Objects asked about: how explain names it (type, name), its SQL for `has_*_privilege`, the
/// function, and the privileges.
const OBJECTS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "table",
        "t0",
        "s0.t0",
        "has_table_privilege",
        &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
    ),
    ("function", "f", "s0.f(integer, text)", "has_function_privilege", &["EXECUTE"]),
    ("function", "g", "s0.g(bigint, numeric)", "has_function_privilege", &["EXECUTE"]),
    ("schema", "public", "public", "has_schema_privilege", &["USAGE", "CREATE"]),
    ("schema", "s0", "s0", "has_schema_privilege", &["USAGE", "CREATE"]),
    ("schema", "s1", "s1", "has_schema_privilege", &["USAGE", "CREATE"]),
];

fn rolec(args: &[&str]) -> String {
    let out = rolec_command().args(args).output().expect("run rolec");
    assert!(out.status.success(), "rolec {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn explain_and_who_can_agree_with_the_server() {
    let pg = PgCluster::start();
    let version = pg.major().clamp(14, 18);
    pg.exec(DB, SETUP).expect("create the objects");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    let catalog = dir.path().join("catalog.json");
    std::fs::write(&policy, POLICY).unwrap();
    std::fs::write(&catalog, CATALOG).unwrap();
    let (p, c, out) = (policy.to_str().unwrap(), catalog.to_str().unwrap(), dir.path().join("out"));
    let target = version.to_string();
    let common = ["--catalog", c, "--target-version", &target];
    rolec(&[&["build", p, "--out", out.to_str().unwrap()][..], &common].concat());
    let up = std::fs::read_to_string(out.join("up.sql")).unwrap();
    pg.exec(DB, &up).unwrap_or_else(|e| panic!("up.sql: {e}\n{up}"));
    pg.exec(DB, "ALTER TABLE s0.t0 OWNER TO r06; ALTER SCHEMA s1 OWNER TO r06").expect("the catalog's owners");

    let mut compared = 0;
    let mut problems = Vec::new();
    let modes: &[&str] = if version >= 16 { &["member", "usage", "set"] } else { &["member", "usage"] };
    for role in ROLES {
        let e: Value = serde_json::from_str(&rolec(&[&["explain", role, p, "--format", "json"][..], &common].concat()))
            .expect("explain JSON");
        // Memberships: every other policy role, in each mode.
        let listed: BTreeSet<(String, String)> = e["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["role"].as_str().unwrap().to_string(), r["mode"].as_str().unwrap().to_string()))
            .collect();
        for granted in ROLES.iter().filter(|&&g| g != role) {
            for mode in modes {
                let server = pg.query_bool(DB, &format!("SELECT pg_has_role('{role}', '{granted}', '{mode}')"));
                let ours = listed.contains(&(granted.to_string(), mode.to_string()));
                compared += 1;
                if server != ours {
                    problems.push(format!("pg_has_role({role}, {granted}, {mode}): server {server}, explain {ours}"));
                }
            }
        }
        // Privileges: one entry per object (one spelling of each routine), as the server says.
        let privileges = e["privileges"].as_array().unwrap();
        let functions: BTreeSet<String> =
            privileges.iter().filter(|x| x["object"]["type"] == "function").map(|x| x["object"].to_string()).collect();
        if functions.len() > 2 {
            problems.push(format!("explain {role} names the routines {} ways: {functions:?}", functions.len()));
        }
        for (kind, name, sql, function, names) in OBJECTS {
            for privilege in *names {
                let entry = privileges.iter().find(|x| {
                    x["object"]["type"] == *kind
                        && x["object"]["name"] == *name
                        && x["privilege"] == privilege.to_lowercase()
                });
                for option in [false, true] {
                    let asked = if option { format!("{privilege} WITH GRANT OPTION") } else { privilege.to_string() };
                    let server = pg.query_bool(DB, &format!("SELECT {function}('{role}', '{sql}', '{asked}')"));
                    let ours = match entry {
                        Some(x) if option => !x["grant_option"].is_null(),
                        Some(x) => !x["grounds"].is_null(),
                        None => false,
                    };
                    compared += 1;
                    if server != ours {
                        problems.push(format!("{function}({role}, {sql}, {asked}): server {server}, explain {ours}"));
                    }
                }
            }
        }
    }
    // who-can, asked under another spelling: exactly the roles the server says.
    for (question, function, sql, privilege) in [
        ("execute on function s0.f(int4, text)", "has_function_privilege", "s0.f(integer, text)", "EXECUTE"),
        ("execute on function s0.g(int8, decimal)", "has_function_privilege", "s0.g(bigint, numeric)", "EXECUTE"),
        ("create on schema public", "has_schema_privilege", "public", "CREATE"),
        ("delete on table s0.t0", "has_table_privilege", "s0.t0", "DELETE"),
    ] {
        let answer: Value =
            serde_json::from_str(&rolec(&[&["who-can", question, p, "--format", "json"][..], &common].concat()))
                .expect("who-can JSON");
        let who: BTreeSet<&str> =
            answer["roles"].as_array().unwrap().iter().map(|r| r["role"].as_str().unwrap()).collect();
        for role in ROLES {
            let server = pg.query_bool(DB, &format!("SELECT {function}('{role}', '{sql}', '{privilege}')"));
            let ours = who.contains(role) || !answer["public"].is_null();
            compared += 1;
            if server != ours {
                problems.push(format!("who-can {question:?}: {role}: server {server}, who-can {ours}\n{answer:#}"));
            }
        }
    }
    assert!(problems.is_empty(), "PostgreSQL {} disagrees:\n  {}", pg.major(), problems.join("\n  "));
    assert!(compared > 150, "{compared} answers compared");
    eprintln!("PostgreSQL {}: {compared} answers of explain and who-can compared", pg.major());
}
