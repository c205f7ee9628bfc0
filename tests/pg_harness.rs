//! Tests of the throwaway-cluster harness in tests/support/pg.rs.

mod support;

use std::time::Instant;
use support::pg::{DefaultPrivilegeRow, MembershipRow, PgCluster, PrivilegeRow, RoleSettingRow};

fn s(v: &str) -> String {
    v.to_owned()
}

#[test]
fn start_reports_version_and_drop_removes_dir() {
    let t = Instant::now();
    let pg = PgCluster::start();
    eprintln!("cluster start took {:?}", t.elapsed());
    assert!(pg.major() >= 14, "major {}", pg.major());
    assert_eq!(pg.major(), pg.version_num() / 10000);
    let shown = pg.query_strings("postgres", "SELECT current_setting('server_version_num')");
    assert_eq!(shown, vec![pg.version_num().to_string()]);
    // The settings the harness promises.
    for (name, value) in [
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("max_connections", "50"),
        ("listen_addresses", ""),
        ("server_encoding", "UTF8"),
    ] {
        assert_eq!(pg.query_strings("postgres", &format!("SHOW {name}")), vec![s(value)], "{name}");
    }
    // (`SHOW lc_collate` is gone since PostgreSQL 16.)
    assert_eq!(
        pg.query_strings("postgres", "SELECT datcollate FROM pg_database WHERE datname = current_database()"),
        vec![s("C.UTF-8")]
    );
    assert!(pg.query_bool("postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
    assert!(!pg.query_bool("postgres", "SELECT 1 = 2"));
    let dir = pg.dir().to_path_buf();
    assert!(dir.join(".s.PGSQL.5432").exists());
    assert!(pg.conn_str("x").contains(&format!("host={} port=5432 user=postgres dbname=x", dir.display())));
    drop(pg);
    assert!(!dir.exists(), "{} not removed", dir.display());
}

#[test]
fn clusters_are_independent() {
    let a = PgCluster::start();
    let b = PgCluster::start();
    assert_ne!(a.dir(), b.dir());
    a.exec("postgres", "CREATE ROLE only_in_a").unwrap();
    let q = "SELECT rolname FROM pg_roles WHERE rolname = 'only_in_a'";
    assert_eq!(a.query_strings("postgres", q), vec![s("only_in_a")]);
    assert!(b.query_strings("postgres", q).is_empty());
}

#[test]
fn snapshot_sees_each_change_and_reverting_restores_it() {
    let pg = PgCluster::start();
    pg.create_database("app db");
    let db = "app db";
    pg.exec(db, "CREATE TABLE t (id int)").unwrap();
    let before = pg.snapshot(db);
    assert_eq!(before, pg.snapshot(db), "two snapshots of an unchanged catalog differ");
    assert!(before.roles.iter().any(|r| r.name == "postgres" && r.superuser));

    pg.exec(
        db,
        r#"
        CREATE ROLE "Harness Role" LOGIN CONNECTION LIMIT 7 VALID UNTIL '2031-01-01 00:00:00+00';
        GRANT SELECT ON TABLE t TO "Harness Role";
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT UPDATE ON TABLES TO "Harness Role";
        COMMENT ON ROLE "Harness Role" IS 'a harness comment';
        ALTER ROLE "Harness Role" IN DATABASE "app db" SET work_mem = '8MB';
        ALTER ROLE "Harness Role" SET statement_timeout = '5s';
        GRANT pg_read_all_settings TO "Harness Role" WITH ADMIN OPTION;
        "#,
    )
    .unwrap();
    let after = pg.snapshot(db);
    let diff = before.diff(&after);
    eprintln!("{diff}");
    for needle in [
        "roles:",
        "name: \"Harness Role\"",
        "connlimit: 7",
        "valid_until: Some(\"2031-01-01 00:00:00+00\")",
        "config: [\"statement_timeout=5s\"]",
        "role_settings:",
        "setting: \"work_mem=8MB\"",
        "role_comments:",
        "comment: \"a harness comment\"",
        "memberships:",
        "role: \"pg_read_all_settings\"",
        "privileges:",
        "privilege: \"SELECT\"",
        "default_privileges:",
        "privilege: Some(\"UPDATE\")",
    ] {
        assert!(diff.contains(needle), "diff lacks {needle:?}:\n{diff}");
    }
    assert!(!diff.contains("\n  - "), "nothing should disappear:\n{diff}");

    // Typed rows, for tests that assert on structure.
    assert!(after.role_settings.contains(&RoleSettingRow {
        role: Some(s("Harness Role")),
        database: Some(s("app db")),
        setting: s("work_mem=8MB"),
    }));
    assert!(after.privileges.contains(&PrivilegeRow {
        objtype: s("table"),
        schema: Some(s("public")),
        name: s("t"),
        column: None,
        owner: Some(s("postgres")),
        grantee: s("Harness Role"),
        grantor: s("postgres"),
        privilege: s("SELECT"),
        grantable: false,
    }));
    assert!(after.default_privileges.contains(&DefaultPrivilegeRow {
        owner: s("postgres"),
        schema: Some(s("public")),
        objtype: s("TABLES"),
        grantee: Some(s("Harness Role")),
        privilege: Some(s("UPDATE")),
        grantable: Some(false),
    }));
    let m = after.memberships.iter().find(|m| m.member == "Harness Role").expect("membership row");
    assert_eq!(
        (m.role.as_str(), m.grantor.as_deref(), m.admin_option),
        ("pg_read_all_settings", Some("postgres"), true)
    );
    if pg.major() >= 16 {
        assert_eq!((m.inherit_option, m.set_option), (Some(true), Some(true)));
    } else {
        assert_eq!((m.inherit_option, m.set_option), (None, None));
    }

    pg.exec(
        db,
        r#"
        REVOKE SELECT ON TABLE t FROM "Harness Role";
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE UPDATE ON TABLES FROM "Harness Role";
        REVOKE pg_read_all_settings FROM "Harness Role";
        DROP ROLE "Harness Role";
        "#,
    )
    .unwrap();
    before.assert_same(&pg.snapshot(db), "after reverting");
}

#[test]
fn snapshot_explodes_defaults_and_empty_default_acl_entries() {
    let pg = PgCluster::start();
    let before = pg.snapshot("postgres");
    // A NULL ACL shows up as the built-in default: PUBLIC may connect to a database.
    assert!(before
        .privileges
        .iter()
        .any(|p| p.objtype == "database" && p.name == "postgres" && p.grantee == "PUBLIC" && p.privilege == "CONNECT"));
    assert!(!before.privileges.iter().any(|p| p.schema.as_deref() == Some("pg_catalog")));
    assert!(!before.privileges.iter().any(|p| p.name == "template0"));

    // Revoking everything from the owner in a global entry leaves an empty ({}) entry.
    pg.exec("postgres", "CREATE ROLE o; ALTER DEFAULT PRIVILEGES FOR ROLE o REVOKE ALL ON TABLES FROM o").unwrap();
    let after = pg.snapshot("postgres");
    assert!(
        after.default_privileges.contains(&DefaultPrivilegeRow {
            owner: s("o"),
            schema: None,
            objtype: s("TABLES"),
            grantee: None,
            privilege: None,
            grantable: None,
        }),
        "{:#?}",
        after.default_privileges
    );
}

#[test]
fn snapshot_of_the_shared_fixture() {
    // Adapted from the shared fixture.sql (psql meta-commands removed).
    const FIXTURE: &str = r#"
CREATE ROLE "App Owner" LOGIN CREATEDB CONNECTION LIMIT 3 VALID UNTIL '2031-01-01Z' PASSWORD 'pw';
CREATE ROLE readers NOLOGIN; CREATE ROLE writers NOLOGIN NOINHERIT; CREATE ROLE alice LOGIN;
COMMENT ON ROLE readers IS 'read-only group';
GRANT readers TO writers; GRANT writers TO alice WITH ADMIN OPTION;
CREATE SCHEMA app AUTHORIZATION "App Owner";
SET ROLE "App Owner";
CREATE TABLE app.orders(id int, total numeric, note text);
CREATE VIEW app.v_orders AS SELECT id FROM app.orders;
CREATE SEQUENCE app.seq1;
CREATE FUNCTION app.fn(a int, b text DEFAULT '') RETURNS int LANGUAGE sql AS 'select a';
CREATE PROCEDURE app.pr() LANGUAGE sql AS 'select 1';
CREATE TYPE app.status AS ENUM ('x','y');
RESET ROLE;
GRANT USAGE ON SCHEMA app TO readers;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO readers;
GRANT INSERT, UPDATE ON app.orders TO writers WITH GRANT OPTION;
GRANT SELECT (id, note), UPDATE (note) ON app.orders TO alice;
GRANT USAGE ON SEQUENCE app.seq1 TO writers;
REVOKE EXECUTE ON FUNCTION app.fn(int, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.fn(int, text) TO readers;
GRANT CONNECT ON DATABASE postgres TO readers;
REVOKE TEMPORARY ON DATABASE postgres FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE "App Owner" IN SCHEMA app GRANT SELECT ON TABLES TO readers;
ALTER DEFAULT PRIVILEGES FOR ROLE "App Owner" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE "App Owner" GRANT USAGE ON TYPES TO writers;
ALTER ROLE alice SET statement_timeout = '5s';
ALTER ROLE alice IN DATABASE postgres SET work_mem = '8MB';
"#;
    let pg = PgCluster::start();
    pg.exec("postgres", FIXTURE).unwrap();
    let snap = pg.snapshot("postgres");

    let owner = snap.roles.iter().find(|r| r.name == "App Owner").unwrap();
    assert!(owner.login && owner.createdb && !owner.superuser && owner.inherit);
    assert_eq!(owner.connlimit, 3);
    assert_eq!(owner.valid_until.as_deref(), Some("2031-01-01 00:00:00+00"));
    assert!(owner.password.as_deref().unwrap().starts_with("SCRAM-SHA-256$4096:"));
    let kinds = snap.password_kinds();
    let owner = kinds.roles.iter().find(|r| r.name == "App Owner").unwrap();
    assert_eq!(owner.password.as_deref(), Some("SCRAM-SHA-256"));
    assert!(!snap.roles.iter().find(|r| r.name == "writers").unwrap().inherit);
    assert_eq!(snap.roles.iter().find(|r| r.name == "alice").unwrap().config, vec![s("statement_timeout=5s")]);

    assert!(snap.memberships.contains(&MembershipRow {
        role: s("writers"),
        member: s("alice"),
        grantor: Some(s("postgres")),
        admin_option: true,
        inherit_option: (pg.major() >= 16).then_some(true),
        set_option: (pg.major() >= 16).then_some(true),
    }));

    let has = |objtype: &str, name: &str, column: Option<&str>, grantee: &str, privilege: &str| {
        snap.privileges.iter().any(|p| {
            p.objtype == objtype
                && p.name == name
                && p.column.as_deref() == column
                && p.grantee == grantee
                && p.privilege == privilege
        })
    };
    assert!(has("column", "orders", Some("note"), "alice", "UPDATE"));
    assert!(has("column", "orders", Some("id"), "alice", "SELECT"));
    assert!(!has("column", "orders", Some("id"), "alice", "UPDATE"));
    assert!(has("view", "v_orders", None, "readers", "SELECT"));
    assert!(has("sequence", "seq1", None, "writers", "USAGE"));
    assert!(has("function", "fn(a integer, b text)", None, "readers", "EXECUTE"));
    assert!(!has("function", "fn(a integer, b text)", None, "PUBLIC", "EXECUTE"));
    assert!(has("procedure", "pr()", None, "PUBLIC", "EXECUTE"));
    assert!(has("type", "status", None, "PUBLIC", "USAGE"));
    assert!(has("schema", "app", None, "readers", "USAGE"));
    assert!(has("database", "postgres", None, "readers", "CONNECT"));
    assert!(!has("database", "postgres", None, "PUBLIC", "TEMPORARY"));
    assert!(has("language", "plpgsql", None, "PUBLIC", "USAGE"));
    assert!(snap.privileges.iter().any(|p| p.name == "orders"
        && p.grantee == "writers"
        && p.privilege == "INSERT"
        && p.grantable
        && p.grantor == "App Owner"));

    let d = |schema: Option<&str>, objtype: &str, grantee: &str, privilege: &str| DefaultPrivilegeRow {
        owner: s("App Owner"),
        schema: schema.map(s),
        objtype: s(objtype),
        grantee: Some(s(grantee)),
        privilege: Some(s(privilege)),
        grantable: Some(false),
    };
    assert!(snap.default_privileges.contains(&d(Some("app"), "TABLES", "readers", "SELECT")));
    assert!(snap.default_privileges.contains(&d(None, "TYPES", "writers", "USAGE")));
    assert!(snap.default_privileges.contains(&d(None, "TYPES", "PUBLIC", "USAGE")));
    // The global FUNCTIONS entry holds the complete ACL: the owner, but no longer PUBLIC.
    assert!(snap.default_privileges.contains(&d(None, "FUNCTIONS", "App Owner", "EXECUTE")));
    assert!(!snap.default_privileges.contains(&d(None, "FUNCTIONS", "PUBLIC", "EXECUTE")));

    assert!(snap.role_comments.iter().any(|c| c.role == "readers" && c.comment == "read-only group"));
    assert!(snap.role_settings.contains(&RoleSettingRow {
        role: Some(s("alice")),
        database: None,
        setting: s("statement_timeout=5s"),
    }));
}

#[test]
fn exec_reports_sqlstate() {
    let pg = PgCluster::start();
    pg.exec("postgres", "CREATE ROLE dup").unwrap();
    let err = pg.exec("postgres", "CREATE ROLE dup").unwrap_err();
    assert!(err.starts_with("42710: "), "{err}");
    assert!(err.contains("role \"dup\" already exists"), "{err}");
    // A failing script is rolled back as a whole (one implicit transaction).
    let err = pg.exec("postgres", "CREATE ROLE r1; CREATE ROLE dup").unwrap_err();
    assert!(err.starts_with("42710: "), "{err}");
    assert!(pg.query_strings("postgres", "SELECT 1 FROM pg_roles WHERE rolname = 'r1'").is_empty());
    let err = pg.exec("no_such_db", "SELECT 1").unwrap_err();
    assert!(err.starts_with("3D000: "), "{err}");
}

#[test]
fn notices_and_warnings_are_captured() {
    let pg = PgCluster::start();
    let notices = pg.exec_collect_notices("postgres", "DO $$ BEGIN RAISE NOTICE 'hello'; END $$").unwrap();
    assert_eq!(notices, vec![s("NOTICE 00000: hello")]);

    // A grantor with some privilege but no grant option gets a WARNING (01006), not an error.
    pg.exec("postgres", "CREATE ROLE u LOGIN; CREATE TABLE t (id int); GRANT SELECT ON t TO u").unwrap();
    let notices = pg.exec_collect_notices_as("postgres", "u", "REVOKE SELECT ON TABLE t FROM PUBLIC").unwrap();
    // (One warning for the table, then one per column, system columns included.)
    assert_eq!(notices[0], "WARNING 01006: no privileges could be revoked for \"t\"");
    assert!(notices.iter().all(|n| n.starts_with("WARNING 01006: ")), "{notices:?}");

    let err = pg.exec_collect_notices("postgres", "DO $$ BEGIN RAISE NOTICE 'a'; END $$; SELECT 1/0").unwrap_err();
    assert!(err.starts_with("22012: "), "{err}");
}
