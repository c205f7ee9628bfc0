//! A whole cluster in one policy, beyond plan/check/apply: `rolec import` and `rolec snapshot`
//! over several databases, and a role dropped that holds privileges or owns objects in several
//! databases of the policy. On real throwaway clusters, with the real binary.

mod support;

use rolec::live::LiveState;
use rolec::model::catalog::{Catalog, LiveObject};
use support::cli::{ok, rolec, text};
use support::pg::PgCluster;

/// Databases `app` and `billing`, each with schema `data` (owned by `app_owner`) and tables
/// `data.t` and `data.u`, and different grants in each: `reader` reads in app (also tables
/// created later there), `writer` inserts (with the grant option) in billing, where PUBLIC may
/// not create temporary tables.
fn cluster() -> PgCluster {
    let pg = PgCluster::start();
    pg.exec(
        "postgres",
        "CREATE ROLE app_owner; CREATE ROLE reader; CREATE ROLE writer; CREATE ROLE alice LOGIN IN ROLE reader",
    )
    .unwrap();
    for db in ["app", "billing"] {
        pg.create_database(db);
        pg.exec(
            db,
            "CREATE SCHEMA data AUTHORIZATION app_owner; SET ROLE app_owner; CREATE TABLE data.t (id int, note text); CREATE TABLE data.u (id int);",
        )
        .unwrap();
    }
    pg.exec(
        "app",
        "GRANT USAGE ON SCHEMA data TO reader; GRANT SELECT ON data.t TO reader; GRANT UPDATE (note) ON data.t TO alice;
         ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA data GRANT SELECT ON TABLES TO reader;",
    )
    .unwrap();
    pg.exec(
        "billing",
        "GRANT USAGE ON SCHEMA data TO writer; GRANT INSERT ON data.t, data.u TO writer WITH GRANT OPTION;
         REVOKE TEMPORARY ON DATABASE billing FROM PUBLIC;",
    )
    .unwrap();
    pg
}

#[test]
fn import_over_two_databases_writes_one_policy_that_plans_no_change() {
    let pg = cluster();
    let conn = pg.conn_str("postgres");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("policy");
    ok(&rolec(&["import", "--db", &conn, "--database", "app", "--database", "billing", "-o", dir.to_str().unwrap()]));
    let schemas = std::fs::read_to_string(dir.join("schemas.role")).unwrap();
    assert!(schemas.contains("databases app, billing\n"), "{schemas}");
    let (app, billing) = (schemas.find("in database app {").unwrap(), schemas.find("in database billing {").unwrap());
    let (reader, writer) = (
        schemas.find("grant select on table data.t to reader").unwrap(),
        schemas.find("grant insert on table data.t to writer with grant option").unwrap(),
    );
    assert!(app < reader && reader < billing && billing < writer, "{schemas}");
    // Roles and memberships once, outside the databases' blocks.
    let users = std::fs::read_to_string(dir.join("users.role")).unwrap();
    assert_eq!(users.matches("user alice").count(), 1, "{users}");
    assert!(users.contains("member of reader") && !users.contains("grant"), "{users}");

    // Planned against the same cluster: nothing to change, in either database.
    let plan = rolec(&["plan", "--db", &conn, "--detailed-exitcode", dir.to_str().unwrap()]);
    assert_eq!(plan.status.code(), Some(0), "{}{}\n{schemas}", text(&plan.stdout), text(&plan.stderr));
    let check = rolec(&["check", "--db", &conn, dir.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}{}", text(&check.stdout), text(&check.stderr));

    // The databases a policy names, read again from it: the same policy.
    let again = rolec(&["import", "--db", &conn, "--databases-of", dir.to_str().unwrap()]);
    ok(&again);
    let printed = text(&again.stdout);
    assert!(printed.contains(&schemas), "{printed}");
    // `--database` narrows them; a database the policy does not name is a usage error.
    let narrowed = rolec(&["import", "--db", &conn, "--databases-of", dir.to_str().unwrap(), "--database", "billing"]);
    ok(&narrowed);
    let narrowed = text(&narrowed.stdout);
    assert!(narrowed.contains("databases billing\n") && !narrowed.contains("in database app"), "{narrowed}");
    assert!(narrowed.contains("grant insert on table data.t to writer with grant option"), "{narrowed}");
    let unknown = rolec(&["import", "--db", &conn, "--databases-of", dir.to_str().unwrap(), "--database", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("`--database nope`: the policy names only the databases app, billing"));
    // A database that does not exist: its name and the server's reason, exit 1.
    let missing = rolec(&["import", "--db", &conn, "--database", "app", "--database", "gone"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("gone"), "{}", text(&missing.stderr));
}

#[test]
fn snapshot_over_two_databases_records_each_and_reads_back() {
    let pg = cluster();
    let conn = pg.conn_str("postgres");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.json");
    ok(&rolec(&[
        "snapshot",
        "--db",
        &conn,
        "--database",
        "app",
        "--database",
        "billing",
        "-o",
        file.to_str().unwrap(),
    ]));
    let json = std::fs::read_to_string(&file).unwrap();
    let catalog = Catalog::parse(&json).unwrap();
    assert_eq!(catalog.format, "rolec-catalog/2");
    let states = LiveState::all_from_catalog(&catalog);
    assert_eq!(states.iter().map(|s| s.database.as_str()).collect::<Vec<_>>(), ["app", "billing"]);
    let holds = |s: &LiveState, grantee: &str, privilege: &str| {
        s.privileges.iter().any(|p| {
            p.grantee.as_deref() == Some(grantee)
                && p.privilege == privilege
                && matches!(&p.object, LiveObject::Table { schema, name, .. } if schema == "data" && name == "t")
        })
    };
    assert!(holds(&states[0], "reader", "SELECT") && !holds(&states[0], "writer", "INSERT"));
    assert!(holds(&states[1], "writer", "INSERT") && !holds(&states[1], "reader", "SELECT"));
    assert!(states[0].default_privileges.iter().any(|d| d.owner == "app_owner"));
    assert!(states[1].default_privileges.is_empty());
    // Roles are cluster-wide: the same in both.
    assert!(states[1].role("alice").is_some_and(|r| r.login));

    // A reader of the inventory (`--catalog`) reads the first database's.
    let policy = support::cli::policy_file("schema data {}\nrole r { grant select on tables in schema data }\n");
    let explained = rolec(&["explain", "r", "--catalog", file.to_str().unwrap(), policy.arg()]);
    ok(&explained);
    assert!(text(&explained.stdout).contains("table data.u"), "{}", text(&explained.stdout));
    // One database: format 1, as before.
    let one = rolec(&["snapshot", "--db", &pg.conn_str("app")]);
    ok(&one);
    let one = Catalog::parse(&text(&one.stdout)).unwrap();
    assert_eq!(one.format, "rolec-catalog/1");
    assert!(
        one.other_databases.is_empty()
            && !text(&rolec(&["snapshot", "--db", &conn]).stdout).contains("other_databases")
    );
}

/// Roles that `manage roles matching "tmp_*"` makes rolec's and no policy declares: dropped.
const DROP_POLICY: &str = r#"databases app, billing
manage roles matching "tmp_*"
external role app_owner, heir
in database app { schema data { owner app_owner } }
in database billing { schema data { owner app_owner } }
"#;

fn role_exists(pg: &PgCluster, role: &str) -> bool {
    pg.query_bool("postgres", &format!("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}')"))
}

#[test]
fn a_role_dropped_gives_up_what_it_holds_in_every_database_of_the_policy() {
    let pg = PgCluster::start();
    pg.exec("postgres", "CREATE ROLE app_owner; CREATE ROLE heir; CREATE ROLE tmp_worker").unwrap();
    for db in ["app", "billing"] {
        pg.create_database(db);
        pg.exec(db, "CREATE SCHEMA data AUTHORIZATION app_owner; CREATE TABLE data.t (id int); ALTER TABLE data.t OWNER TO app_owner")
            .unwrap();
    }
    // A table tmp_worker owns in app; a grant and default privileges of its own in billing.
    pg.exec("app", "CREATE TABLE data.w (id int); ALTER TABLE data.w OWNER TO tmp_worker").unwrap();
    pg.exec(
        "billing",
        "GRANT USAGE ON SCHEMA data TO tmp_worker; GRANT SELECT ON data.t TO tmp_worker;
         ALTER DEFAULT PRIVILEGES FOR ROLE tmp_worker GRANT SELECT ON TABLES TO heir;",
    )
    .unwrap();
    let policy = support::cli::policy_file(DROP_POLICY);
    let conn = pg.conn_str("postgres");
    let live = |cmd: &str, extra: &[&str]| {
        let mut args = vec![cmd, "--db", conn.as_str()];
        args.extend_from_slice(extra);
        args.push(policy.arg());
        rolec(&args)
    };

    // Without a successor, what it owns in app blocks the drop: nothing changes.
    let refused = live("apply", &["--allow-drop"]);
    assert_eq!(refused.status.code(), Some(1), "{}{}", text(&refused.stdout), text(&refused.stderr));
    assert!(text(&refused.stderr).contains("owns `data.w` in database `app`"), "{}", text(&refused.stderr));
    assert!(role_exists(&pg, "tmp_worker"));
    assert!(pg.query_bool("billing", "SELECT has_table_privilege('tmp_worker', 'data.t', 'SELECT')"));

    // The plan: in billing, REASSIGN OWNED and DROP OWNED, before DROP ROLE (in app).
    let plan = live("plan", &["--successor", "heir"]);
    ok(&plan);
    let sql = text(&plan.stdout);
    let (billing, drop_owned, app, drop_role) = (
        sql.rfind("dbname='billing'").unwrap(),
        sql.rfind(r#"DROP OWNED BY "tmp_worker";"#).unwrap(),
        sql.rfind("dbname='app'").unwrap(),
        sql.find(r#"DROP ROLE "tmp_worker";"#).unwrap(),
    );
    assert!(billing < drop_owned && drop_owned < app && app < drop_role, "{sql}");
    assert_eq!(sql.matches(r#"REASSIGN OWNED BY "tmp_worker" TO "heir";"#).count(), 2, "{sql}");

    ok(&live("apply", &["--allow-drop", "--successor", "heir"]));
    assert!(!role_exists(&pg, "tmp_worker"));
    assert_eq!(pg.query_strings("app", "SELECT tableowner::text FROM pg_tables WHERE tablename = 'w'"), ["heir"]);
    assert!(!pg.query_bool("billing", "SELECT EXISTS (SELECT FROM pg_default_acl)"));
    let again = live("plan", &["--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}{}", text(&again.stdout), text(&again.stderr));

    // A database the policy does not name where the role still holds something: refused,
    // naming it, and nothing changes in the databases it names either.
    pg.create_database("other");
    pg.exec("postgres", "CREATE ROLE tmp_late").unwrap();
    pg.exec("other", "GRANT CREATE ON SCHEMA public TO tmp_late").unwrap();
    pg.exec("billing", "GRANT SELECT ON data.t TO tmp_late").unwrap();
    let refused = live("apply", &["--allow-drop", "--successor", "heir"]);
    assert_eq!(refused.status.code(), Some(1), "{}{}", text(&refused.stdout), text(&refused.stderr));
    let message = text(&refused.stderr);
    assert!(message.contains("`tmp_late`") && message.contains("in database `other`"), "{message}");
    assert!(!message.contains("database `billing`"), "{message}");
    assert!(role_exists(&pg, "tmp_late"));
    assert!(pg.query_bool("billing", "SELECT has_table_privilege('tmp_late', 'data.t', 'SELECT')"));
}
