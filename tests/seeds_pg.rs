//! Layouts of the seed policies on real throwaway clusters (PostgreSQL 15 by default;
//! `ROLEC_PG_BIN` selects another), through the `rolec` binary: a reverse bulk membership
//! (`grant ROLE to PATTERN`), `std.access` `writer` inserting into serial tables, and a
//! roles-only build.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::pg::PgCluster;

const DB: &str = "postgres";

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_policy(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.role");
    std::fs::write(&path, text).unwrap();
    path
}

fn apply(pg: &PgCluster, policy: &Path) {
    let out = rolec(&["apply", "--db", &pg.conn_str(DB), policy.to_str().unwrap()]);
    assert!(out.status.success(), "apply failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
}

/// Whether `member` is a direct member of `role` on the server.
fn direct_member(pg: &PgCluster, member: &str, role: &str) -> bool {
    pg.query_bool(
        DB,
        &format!(
            "SELECT EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
             JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = '{role}' AND u.rolname = '{member}')"
        ),
    )
}

const ROLES: &str = "
role code_review {}
role app_developer {}
role web_developer {}
user alice {}
grant code_review to *_developer
";

#[test]
fn grant_role_to_a_pattern_reaches_every_matching_role_and_one_added_later() {
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(dir.path(), ROLES);
    apply(&pg, &policy);
    for member in ["app_developer", "web_developer"] {
        assert!(direct_member(&pg, member, "code_review"), "{member} is not a member of code_review");
        assert!(pg.query_bool(DB, &format!("SELECT pg_has_role('{member}', 'code_review', 'USAGE')")));
    }
    assert!(!direct_member(&pg, "alice", "code_review"), "alice does not match `*_developer`");
    assert!(!direct_member(&pg, "code_review", "code_review"));

    // A role added to the policy later that matches gets the membership on the next apply.
    write_policy(dir.path(), &format!("{ROLES}role data_developer {{}}\n"));
    apply(&pg, &policy);
    assert!(direct_member(&pg, "data_developer", "code_review"), "the new role is not a member");
    assert!(pg.query_bool(DB, "SELECT pg_has_role('data_developer', 'code_review', 'USAGE')"));
    // And the server now matches the policy.
    let out = rolec(&["check", "--db", &pg.conn_str(DB), policy.to_str().unwrap()]);
    assert!(out.status.success(), "check after apply:\n{}\n{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn a_writer_inserts_into_serial_tables_created_before_and_after_the_apply() {
    let pg = PgCluster::start();
    pg.exec(
        DB,
        "CREATE ROLE app_owner;
         CREATE SCHEMA app AUTHORIZATION app_owner;
         SET ROLE app_owner;
         CREATE TABLE app.before_apply(id serial PRIMARY KEY, v text);
         RESET ROLE;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(
        dir.path(),
        "import std.access\nexternal role app_owner\nschema app { owner app_owner }\nuser editor { use writer(app) }\n",
    );
    apply(&pg, &policy);
    pg.exec(DB, "SET ROLE app_owner; CREATE TABLE app.after_apply(id serial PRIMARY KEY, v text);").unwrap();
    for table in ["app.before_apply", "app.after_apply"] {
        let insert = format!("INSERT INTO {table}(v) VALUES ('x')");
        if let Err(e) = pg.exec_as(DB, "editor", &insert) {
            panic!("{insert} as a writer: {e}");
        }
    }
    assert_eq!(pg.query_strings(DB, "SELECT count(*) FROM app.after_apply"), ["1"]);
}

#[test]
fn a_roles_only_build_grants_no_object_or_default_privileges() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE app_owner; CREATE SCHEMA app AUTHORIZATION app_owner; CREATE TABLE app.t(id int);")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(
        dir.path(),
        "import std.access
external role app_owner
schema app { owner app_owner }
role reader { use reader(app) }
role writer { use writer(app); grant execute on functions in schema app }
user alice { member of reader; connection limit 3 }
grant writer to alice
grant usage on schema app to reader
public { revoke create on schema public }
defaults for role app_owner { revoke execute on functions from public }
",
    );
    let out_dir = dir.path().join("out");
    let out = rolec(&["build", "--roles-only", "--out", out_dir.to_str().unwrap(), policy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let up = std::fs::read_to_string(out_dir.join("up.sql")).unwrap();
    let down = std::fs::read_to_string(out_dir.join("down.sql")).unwrap();
    for script in [&up, &down] {
        for line in script.lines().filter(|l| !l.starts_with("--")) {
            let object_privilege = (line.starts_with("GRANT ") || line.starts_with("REVOKE ")) && line.contains(" ON ");
            assert!(!object_privilege, "an object privilege in a roles-only script: {line}\n{script}");
            assert!(!line.contains("DEFAULT PRIVILEGES"), "a default privilege in a roles-only script: {line}");
        }
    }
    assert!(up.contains(r#"GRANT "reader" TO "alice";"#), "{up}");
    assert!(up.contains(r#"GRANT "writer" TO "alice";"#), "{up}");
    assert!(up.contains("CONNECTION LIMIT 3"), "{up}");

    // On the server: the roles and memberships exist, and no privilege was granted.
    pg.exec(DB, &up).unwrap();
    assert!(pg.query_bool(DB, "SELECT pg_has_role('alice', 'writer', 'MEMBER')"));
    assert!(pg.query_bool(DB, "SELECT NOT has_schema_privilege('reader', 'app', 'USAGE')"));
    assert!(pg.query_bool(DB, "SELECT NOT has_table_privilege('writer', 'app.t', 'INSERT')"));
    assert!(pg.query_bool(DB, "SELECT count(*) = 0 FROM pg_default_acl"));
    pg.exec(DB, &down).unwrap();
    assert!(
        pg.query_bool(DB, "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname IN ('alice', 'reader', 'writer'))")
    );
}
