//! Live databases on real throwaway clusters (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects
//! another): introspection, `rolec snapshot`, and `rolec plan` converging a database, finding
//! drift, staying inside its scope, quoting hostile names and keeping passwords out of output.

mod support;

use std::path::Path;
use std::process::Output;

use rolec::live::apply::ApplyOptions;
use rolec::live::state::LiveState;
use rolec::model::catalog::Catalog;
use rolec::model::catalog::{AclItem, LiveObject};
use support::cli::policy_file;
use support::pg::PgCluster;

const DB: &str = "postgres";
const FIXTURE_SQL: &str = include_str!("fixtures/live/fixture.sql");
const FIXTURE_POLICY: &str = include_str!("fixtures/live/fixture.role");

// ---- helpers ------------------------------------------------------------------------------------

fn rolec(args: &[&str], env: &[(&str, &str)]) -> Output {
    support::cli::rolec_command().args(args).envs(env.iter().copied()).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn state(pg: &PgCluster) -> LiveState {
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    rolec::live::introspect(&mut c.client).unwrap()
}

/// `rolec plan --format json`: (statements, warnings, exit code with --detailed-exitcode).
fn plan(pg: &PgCluster, policy: &Path, extra: &[&str]) -> (Vec<String>, Vec<String>, i32) {
    let conn = pg.conn_str(DB);
    let mut args = vec!["plan", "--db", &conn, "--format", "json", "--detailed-exitcode", "--at", "2026-06-01"];
    args.extend_from_slice(extra);
    let p = policy.to_str().unwrap();
    args.push(p);
    let out = rolec(&args, &[]);
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 2, "rolec plan failed ({code}):\n{}\n{}", text(&out.stderr), text(&out.stdout));
    let json: serde_json::Value =
        serde_json::from_str(&text(&out.stdout)).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let strings = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.get("sql").and_then(|s| s.as_str()).or(c.as_str()).unwrap().to_string())
            .collect()
    };
    let changes = strings("changes");
    assert_eq!(code == 2, !changes.is_empty(), "--detailed-exitcode and the plan disagree");
    (changes, strings("warnings"), code)
}

/// Runs a plan's statements in one transaction.
#[track_caller]
fn apply(pg: &PgCluster, statements: &[String]) {
    let script = format!("BEGIN;\n{}\nCOMMIT;", statements.join("\n"));
    if let Err(e) = pg.exec(DB, &script) {
        panic!("applying the plan failed: {e}\n--- script:\n{script}");
    }
}

fn fixture_cluster() -> PgCluster {
    let pg = PgCluster::start();
    pg.exec(DB, FIXTURE_SQL).unwrap();
    pg
}

// ---- introspection ------------------------------------------------------------------------------

#[test]
fn introspection_reads_every_kind_of_fact_of_the_fixture() {
    let pg = fixture_cluster();
    let s = state(&pg);
    assert_eq!(s.server_version, pg.version_num());
    assert_eq!((s.database.as_str(), s.current_user.as_str()), ("postgres", "postgres"));

    let owner = s.role("App Owner").unwrap();
    assert!(owner.login && owner.createdb && !owner.superuser && owner.inherit);
    assert_eq!(owner.connection_limit, 3);
    assert_eq!(owner.valid_until.as_deref(), Some("2031-01-01T00:00:00Z"));
    assert_eq!(s.role("readers").unwrap().comment.as_deref(), Some("read-only group"));
    assert!(!s.role("writers").unwrap().inherit && !s.role("writers").unwrap().login);
    assert!(s.roles.iter().all(|r| !r.name.starts_with("pg_")));
    let alice = s.role("alice").unwrap();
    let settings: Vec<(Option<&str>, &str, &str)> =
        alice.settings.iter().map(|x| (x.database.as_deref(), x.param.as_str(), x.value.as_str())).collect();
    assert_eq!(settings, vec![(None, "statement_timeout", "5s"), (Some("postgres"), "work_mem", "8MB")]);

    let m = s.memberships.iter().find(|m| m.role == "writers" && m.member == "alice").unwrap();
    assert!(m.admin && m.grantor.as_deref() == Some("postgres"));
    let m = s.memberships.iter().find(|m| m.role == "readers" && m.member == "writers").unwrap();
    assert!(!m.admin);
    if pg.major() < 16 {
        assert!(!m.inherit, "before 16 inherit follows the member's rolinherit");
    }

    let has = |object: &dyn Fn(&LiveObject) -> bool, grantee: Option<&str>, privilege: &str| -> Option<bool> {
        s.privileges
            .iter()
            .find(|p| object(&p.object) && p.grantee.as_deref() == grantee && p.privilege == privilege)
            .map(|p| p.grantable)
    };
    let orders = |o: &LiveObject| matches!(o, LiveObject::Table { schema, name, relkind } if schema == "app" && name == "orders" && relkind == "r");
    let view =
        |o: &LiveObject| matches!(o, LiveObject::Table { name, relkind, .. } if name == "v_orders" && relkind == "v");
    let fn_ = |o: &LiveObject| matches!(o, LiveObject::Routine { name, args, prokind, .. } if name == "fn" && *args == ["integer", "text"] && prokind == "f");
    let pr = |o: &LiveObject| matches!(o, LiveObject::Routine { name, prokind, .. } if name == "pr" && prokind == "p");
    let col = |c: &'static str| move |o: &LiveObject| matches!(o, LiveObject::Column { table, column, .. } if table == "orders" && column == c);
    let db = |o: &LiveObject| matches!(o, LiveObject::Database { name } if name == "postgres");
    assert_eq!(has(&orders, Some("readers"), "SELECT"), Some(false));
    assert_eq!(has(&orders, Some("writers"), "INSERT"), Some(true), "with grant option");
    assert_eq!(has(&view, Some("readers"), "SELECT"), Some(false));
    assert_eq!(has(&orders, Some("App Owner"), "DELETE"), Some(false), "a NULL ACL is expanded to the owner's rights");
    assert_eq!(has(&col("id"), Some("alice"), "SELECT"), Some(false));
    assert_eq!(has(&col("note"), Some("alice"), "UPDATE"), Some(false));
    assert_eq!(has(&col("id"), Some("alice"), "UPDATE"), None);
    assert_eq!(has(&fn_, None, "EXECUTE"), None, "revoked from PUBLIC");
    assert_eq!(has(&fn_, Some("readers"), "EXECUTE"), Some(false));
    assert_eq!(has(&pr, None, "EXECUTE"), Some(false), "built-in default");
    assert_eq!(
        has(&|o| matches!(o, LiveObject::Sequence { name, .. } if name == "seq1"), Some("writers"), "USAGE"),
        Some(false)
    );
    assert_eq!(
        has(&|o| matches!(o, LiveObject::Schema { name } if name == "app"), Some("readers"), "USAGE"),
        Some(false)
    );
    assert_eq!(has(&|o| matches!(o, LiveObject::Type { name, .. } if name == "status"), None, "USAGE"), Some(false));
    assert_eq!(has(&db, Some("readers"), "CONNECT"), Some(false));
    assert_eq!(has(&db, None, "CONNECT"), Some(false));
    assert_eq!(has(&db, None, "TEMPORARY"), None, "revoked from PUBLIC");

    let defaults: Vec<(&str, Option<&str>, &str, &[AclItem])> = s
        .default_privileges
        .iter()
        .map(|d| (d.owner.as_str(), d.schema.as_deref(), d.kind.as_str(), d.acl.as_slice()))
        .collect();
    let item = |g: Option<&str>, p: &str| AclItem {
        grantee: g.map(str::to_string),
        privilege: p.to_string(),
        grantable: false,
    };
    assert_eq!(
        defaults,
        vec![
            ("App Owner", None, "functions", &[item(Some("App Owner"), "EXECUTE")][..]),
            (
                "App Owner",
                None,
                "types",
                &[item(None, "USAGE"), item(Some("App Owner"), "USAGE"), item(Some("writers"), "USAGE")][..]
            ),
            ("App Owner", Some("app"), "tables", &[item(Some("readers"), "SELECT")][..]),
        ]
    );
    let kinds: Vec<(&str, &str)> = s.objects.iter().map(|o| (o.name.as_str(), o.owner.as_deref().unwrap())).collect();
    assert_eq!(
        kinds,
        vec![
            ("fn", "App Owner"),
            ("pr", "App Owner"),
            ("seq1", "App Owner"),
            ("orders", "App Owner"),
            ("v_orders", "App Owner")
        ]
    );
    assert!(s.schemas.iter().any(|x| x.name == "app" && x.owner.as_deref() == Some("App Owner")));
}

#[test]
fn snapshot_writes_a_catalog_that_version_1_readers_accept() {
    let pg = fixture_cluster();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.json");
    let conn = pg.conn_str(DB);
    let out = rolec(&["snapshot", "--db", &conn, "-o", file.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = std::fs::read_to_string(&file).unwrap();
    let catalog = Catalog::parse(&json).unwrap();
    assert_eq!(catalog.server_version, Some(pg.version_num()));
    assert!(catalog.inventory().count() == 5);
    let live = LiveState::from_catalog(&catalog).expect("the live fields");
    assert_eq!(live, state(&pg));
    // A reader that knows only the inventory fields: the others are ignored.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in ["roles", "memberships", "privileges", "default_privileges", "database", "current_user"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert!(Catalog::parse(r#"{"format": "rolec-catalog/1", "objects": []}"#).unwrap().live.is_none());
    // The fixture gave `App Owner` the password `pw`; snapshots never read passwords.
    assert!(!json.contains("\"pw\"") && !json.contains("SCRAM-SHA-256") && !json.contains("md5"));
    // The snapshot is an inventory for `build --catalog`.
    let policy = policy_file("external role \"App Owner\"\nschema app { owner \"App Owner\" }\nrole r { grant select on tables in schema app }\n");
    let out = rolec(&["lint", "--catalog", file.to_str().unwrap(), policy.path.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// ---- plan ---------------------------------------------------------------------------------------

#[test]
fn the_fixture_policy_differs_from_the_fixture_by_one_default_privilege() {
    let pg = fixture_cluster();
    let policy = policy_file(FIXTURE_POLICY);
    let (changes, _, code) = plan(&pg, &policy.path, &[]);
    assert_eq!(changes, vec![r#"ALTER DEFAULT PRIVILEGES FOR ROLE "App Owner" REVOKE USAGE ON TYPES FROM "writers";"#]);
    assert_eq!(code, 2);
    apply(&pg, &changes);
    assert_eq!(plan(&pg, &policy.path, &[]), (vec![], vec![], 0));
}

const APP_SQL: &str = "
CREATE ROLE app_owner;
CREATE SCHEMA app AUTHORIZATION app_owner;
SET ROLE app_owner;
CREATE TABLE app.orders(id int, total numeric, note text);
CREATE TABLE app.customers(id int, name text);
CREATE SEQUENCE app.order_ids;
CREATE FUNCTION app.total(a int) RETURNS int LANGUAGE sql AS 'select a';
RESET ROLE;
";

const APP_POLICY: &str = r#"
external role app_owner
schema app { owner app_owner }

/// Reads the application.
role reader {
  grant usage on schema app
  grant select on tables in schema app
  grant execute on function app.total(integer)
  set statement_timeout = "30s"
}
role writer {
  member of reader
  grant insert, update, delete on tables in schema app
  grant usage, select on sequences in schema app
}
role auditor {
  grant select on column (id, total) of table app.orders
  grant connect on database postgres
}
user alice {
  member of writer with admin option
  connection limit 4
  valid until 2030-01-01
  set search_path = ["app", "public"]
  set work_mem = "16MB" in database postgres
}
user bob { member of reader, auditor; createdb }
defaults for role app_owner {
  revoke execute on functions from public
}
public { revoke create on schema public from public }
"#;

#[test]
fn a_plan_on_a_cluster_without_roles_creates_everything_and_a_second_plan_is_empty() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    let policy = policy_file(APP_POLICY);
    let (changes, warnings, code) = plan(&pg, &policy.path, &[]);
    assert_eq!(code, 2);
    assert!(warnings.is_empty(), "{warnings:?}");
    for role in ["reader", "writer", "auditor"] {
        assert!(changes.contains(&format!("CREATE ROLE \"{role}\";")), "{changes:#?}");
    }
    assert!(
        changes.contains(
            &r#"CREATE ROLE "alice" WITH LOGIN CONNECTION LIMIT 4 VALID UNTIL '2030-01-01T00:00:00Z';"#.to_string()
        ),
        "{changes:#?}"
    );
    assert!(changes.contains(&r#"CREATE ROLE "bob" WITH LOGIN CREATEDB;"#.to_string()), "{changes:#?}");
    assert!(
        changes.contains(&r#"GRANT SELECT ON TABLE "app"."customers" TO "reader";"#.to_string()),
        "bulk grants are expanded: {changes:#?}"
    );
    assert!(
        changes.contains(
            &r#"ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "app" GRANT SELECT ON TABLES TO "reader";"#
                .to_string()
        ),
        "{changes:#?}"
    );
    assert!(
        changes.contains(&r#"GRANT SELECT ("id", "total") ON TABLE "app"."orders" TO "auditor";"#.to_string()),
        "one statement for several columns: {changes:#?}"
    );
    // Roles are created before anything names them.
    let first_other = changes.iter().position(|c| !c.starts_with("CREATE ROLE")).unwrap();
    assert!(changes[first_other..].iter().all(|c| !c.starts_with("CREATE ROLE")), "{changes:#?}");
    apply(&pg, &changes);
    assert_eq!(plan(&pg, &policy.path, &[]), (vec![], vec![], 0), "one apply converges");

    // The same policy through `rolec build` gives the same catalog.
    let other = PgCluster::start();
    other.exec(DB, APP_SQL).unwrap();
    let built = rolec(
        &[
            "build",
            "--at",
            "2026-06-01",
            "--target-version",
            &pg.major().to_string(),
            "--out",
            policy.dir.path().join("out").to_str().unwrap(),
            policy.path.to_str().unwrap(),
        ],
        &[],
    );
    assert!(built.status.success(), "{}", text(&built.stderr));
    let up = std::fs::read_to_string(policy.dir.path().join("out/up.sql")).unwrap();
    other.exec(DB, &up).unwrap();
    let (a, b) =
        (support::build::expiry_normalized(&pg.snapshot(DB)), support::build::expiry_normalized(&other.snapshot(DB)));
    a.assert_same(&b, "plan+apply vs build");
}

#[test]
fn drift_by_hand_shows_up_as_exactly_the_repairing_statements() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    let policy = policy_file(APP_POLICY);
    apply(&pg, &plan(&pg, &policy.path, &[]).0);
    pg.exec(
        DB,
        r#"
        GRANT TRUNCATE ON app.orders TO writer;
        REVOKE SELECT ON app.customers FROM reader;
        GRANT UPDATE (note) ON app.orders TO auditor;
        ALTER ROLE alice CREATEROLE CONNECTION LIMIT 10 VALID UNTIL 'infinity';
        ALTER ROLE reader SET statement_timeout = '1min';
        ALTER ROLE reader SET lock_timeout = '1s';
        ALTER ROLE alice IN DATABASE postgres RESET work_mem;
        GRANT auditor TO alice;
        REVOKE reader FROM bob;
        REVOKE ADMIN OPTION FOR writer FROM alice;
        ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app GRANT DELETE ON TABLES TO reader;
        GRANT EXECUTE ON FUNCTION app.total(int) TO PUBLIC;
        GRANT CREATE ON SCHEMA public TO PUBLIC;
        COMMENT ON ROLE reader IS 'changed';
        COMMENT ON ROLE writer IS 'new';
        "#,
    )
    .unwrap();
    let (changes, _, code) = plan(&pg, &policy.path, &[]);
    assert_eq!(code, 2);
    let v16 = pg.major() >= 16;
    let expected = [
        if v16 { r#"GRANT "reader" TO "bob" WITH INHERIT TRUE, SET TRUE;"# } else { r#"GRANT "reader" TO "bob";"# },
        if v16 {
            r#"GRANT "writer" TO "alice" WITH ADMIN TRUE;"#
        } else {
            r#"GRANT "writer" TO "alice" WITH ADMIN OPTION;"#
        },
        r#"ALTER ROLE "reader" SET statement_timeout = '30s';"#,
        r#"ALTER ROLE "reader" RESET lock_timeout;"#,
        r#"ALTER ROLE "alice" WITH NOCREATEROLE CONNECTION LIMIT 4 VALID UNTIL '2030-01-01T00:00:00Z';"#,
        r#"ALTER ROLE "alice" IN DATABASE "postgres" SET work_mem = '16MB';"#,
        r#"REVOKE "auditor" FROM "alice";"#,
        r#"ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "app" REVOKE DELETE ON TABLES FROM "reader";"#,
        r#"GRANT SELECT ON TABLE "app"."customers" TO "reader";"#,
        r#"REVOKE UPDATE ("note") ON TABLE "app"."orders" FROM "auditor";"#,
        r#"REVOKE TRUNCATE ON TABLE "app"."orders" FROM "writer";"#,
        r#"REVOKE CREATE ON SCHEMA "public" FROM PUBLIC;"#,
        r#"COMMENT ON ROLE "reader" IS 'Reads the application.';"#,
        r#"COMMENT ON ROLE "writer" IS NULL;"#,
    ];
    let mut sorted_changes = changes.clone();
    sorted_changes.sort();
    let mut sorted_expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    sorted_expected.sort();
    assert_eq!(sorted_changes, sorted_expected, "in plan order: {changes:#?}");
    // EXECUTE for PUBLIC on app.total: the policy says nothing about it, so it stays.
    assert!(!changes.iter().any(|c| c.contains("FROM PUBLIC") && c.contains("total")));
    apply(&pg, &changes);
    assert_eq!(plan(&pg, &policy.path, &[]), (vec![], vec![], 0));
}

#[test]
fn roles_outside_the_managed_scope_are_never_touched() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    pg.exec(
        DB,
        "CREATE ROLE other LOGIN; CREATE ROLE app_old; CREATE ROLE app_kept; CREATE ROLE deployer SUPERUSER LOGIN;
         CREATE ROLE reader; GRANT reader TO other; GRANT SELECT ON app.orders TO other, app_old; GRANT reader TO app_old;",
    )
    .unwrap();
    let policy = policy_file("external role app_kept, app_owner\nschema app { owner app_owner }\nrole reader { grant select on table app.orders }\nrole app_new {}\n");
    // Without --manage only the declared roles are managed.
    let (changes, _, _) = plan(&pg, &policy.path, &[]);
    assert_eq!(changes, vec![r#"CREATE ROLE "app_new";"#, r#"GRANT SELECT ON TABLE "app"."orders" TO "reader";"#]);
    // With --manage, undeclared matching roles are dropped (after their privileges are
    // revoked); the external role, `other`, `postgres` and the connecting role are not.
    let (changes, _, _) = plan(&pg, &policy.path, &["--manage", "app_*"]);
    assert_eq!(
        changes,
        vec![
            r#"CREATE ROLE "app_new";"#,
            r#"GRANT SELECT ON TABLE "app"."orders" TO "reader";"#,
            r#"REVOKE SELECT ON TABLE "app"."orders" FROM "app_old";"#,
            r#"DROP ROLE "app_old";"#,
        ]
    );
    let conn = pg.conn_str_as(DB, "deployer");
    let out = rolec(&["plan", "--db", &conn, "--format", "json", "--manage", "*", policy.path.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dropped: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["destructive"] == true)
        .map(|c| c["sql"].as_str().unwrap())
        .collect();
    assert_eq!(
        dropped,
        vec![r#"DROP ROLE "app_old";"#, r#"DROP ROLE "other";"#],
        "never postgres, the connecting role or an external role"
    );
    let human = rolec(&["plan", "--db", &pg.conn_str(DB), "--manage", "app_*", policy.path.to_str().unwrap()], &[]);
    assert!(text(&human.stdout).contains("-- DESTRUCTIVE\nDROP ROLE \"app_old\";"), "{}", text(&human.stdout));
    // A policy that declares a protected role leaves it alone and says so.
    let policy = policy_file("role postgres { nosuperuser }\n");
    let (changes, warnings, _) = plan(&pg, &policy.path, &[]);
    assert!(changes.is_empty() && warnings.len() == 1 && warnings[0].contains("postgres"), "{changes:?} {warnings:?}");
}

#[test]
fn hostile_role_names_are_just_names() {
    let pg = PgCluster::start();
    let policy = policy_file(
        r#"
/// it's a "test"; DROP ROLE postgres; --
role "x""; DROP ROLE postgres; --" {
  set application_name = "'); DROP ROLE postgres; --"
}
user "Robert'); DROP TABLE students;--" { member of "x""; DROP ROLE postgres; --" }
role "$rolec$" { member of "x""; DROP ROLE postgres; --" }
"#,
    );
    let (changes, _, _) = plan(&pg, &policy.path, &[]);
    assert!(changes.contains(&r#"CREATE ROLE "x""; DROP ROLE postgres; --";"#.to_string()), "{changes:#?}");
    apply(&pg, &changes);
    let s = state(&pg);
    for name in ["x\"; DROP ROLE postgres; --", "Robert'); DROP TABLE students;--", "$rolec$", "postgres"] {
        assert!(s.role(name).is_some(), "{name}");
    }
    assert_eq!(
        s.role("x\"; DROP ROLE postgres; --").unwrap().comment.as_deref(),
        Some("it's a \"test\"; DROP ROLE postgres; --")
    );
    assert_eq!(plan(&pg, &policy.path, &[]).0, Vec::<String>::new());
}

#[test]
fn passwords_never_appear_in_output() {
    let pg = PgCluster::start();
    let policy = policy_file("user alice { password secret(\"ALICE_PASSWORD\") }\n");
    let conn = format!("{} password=hunter2-secret", pg.conn_str(DB));
    let env = [("ALICE_PASSWORD", "alice-s3cret-pw"), ("PGPASSWORD", "env-s3cret-pw")];
    for format in ["human", "json"] {
        let out = rolec(&["plan", "--db", &conn, "--format", format, policy.path.to_str().unwrap()], &env);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(out.status.success(), "{all}");
        assert!(all.contains("ALICE_PASSWORD") && all.contains("PASSWORD"), "{all}");
        for secret in ["hunter2-secret", "alice-s3cret-pw", "env-s3cret-pw", "SCRAM-SHA-256"] {
            assert!(!all.contains(secret), "{secret} in:\n{all}");
        }
    }
    // Connection errors are scrubbed too (a socket directory where no server runs).
    let dir = tempfile::tempdir().unwrap();
    let bad_kv = format!("host={} user=u password=hunter2-secret", dir.path().display());
    let bad_url = "postgresql://u:hunter2%2Dsecret@127.0.0.1:1/db?connect_timeout=2";
    for db in [bad_kv.as_str(), bad_url] {
        let out = rolec(&["plan", "--db", db, "--detailed-exitcode", policy.path.to_str().unwrap()], &env);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("cannot connect"), "{all}");
        assert!(!all.contains("hunter2") && !all.contains("env-s3cret-pw"), "{all}");
    }
    // The statement that runs carries a SCRAM verifier, made only when it runs.
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    let s = rolec::live::introspect(&mut c.client).unwrap();
    let ws = rolec::db::Workspace::load(
        rolec::db::Sources::Paths(vec![policy.path.clone()]),
        rolec::model::BuildOptions::default(),
    )
    .unwrap();
    let model = &ws.resolved().model;
    let scope = rolec::live::Scope::new(["alice"], [], &[], "postgres").unwrap();
    let p = rolec::live::diff(model, &s, &scope);
    let run: Vec<String> = p
        .changes
        .iter()
        .map(|ch| ch.executable(&|env| (env == "ALICE_PASSWORD").then(|| "alice-s3cret-pw".to_string())).unwrap())
        .collect();
    assert!(run[1].starts_with("ALTER ROLE \"alice\" PASSWORD 'SCRAM-SHA-256$4096:"), "{run:?}");
    apply(&pg, &run);
    assert!(pg.query_bool(DB, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'alice'"));
    // `rolec apply` sets it from the environment and records no secret in the ledger.
    let policy = policy_file(
        "user alice { password secret(\"ALICE_PASSWORD\") }\nuser bob { password secret(\"BOB_PASSWORD\") }\n",
    );
    let out = rolec(
        &["apply", "--db", &conn, policy.path.to_str().unwrap()],
        &[("BOB_PASSWORD", "bob-s3cret-pw"), ("PGPASSWORD", "env-s3cret-pw")],
    );
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(out.status.success(), "{all}");
    assert!(
        !all.contains("bob-s3cret-pw")
            && !all.contains("SCRAM-SHA-256")
            && !all.contains("hunter2")
            && !all.contains("env-s3cret-pw"),
        "{all}"
    );
    assert!(pg.query_bool(DB, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'bob'"));
    assert!(pg.query_bool(
        DB,
        "SELECT NOT EXISTS (SELECT FROM rolec.ledger WHERE array_to_string(statements, ' ') ~ 'SCRAM|s3cret')"
    ));
    // Without the variable, apply stops before changing anything (bob, which rolec created,
    // stays declared: it would be retired otherwise).
    let policy = policy_file("user bob {}\nuser carol { password secret(\"CAROL_PASSWORD\") }\n");
    let out = rolec(&["apply", "--db", &conn, policy.path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("CAROL_PASSWORD"), "{}", text(&out.stderr));
    assert!(pg.query_bool(DB, "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carol')"));
}

#[test]
fn connection_settings_come_from_pg_environment_variables() {
    let pg = PgCluster::start();
    let policy = policy_file("role r {}\n");
    let dir = pg.dir().to_str().unwrap().to_string();
    let env = [("PGHOST", dir.as_str()), ("PGPORT", "5432"), ("PGUSER", "postgres"), ("PGDATABASE", "postgres")];
    let out = rolec(&["plan", "--detailed-exitcode", policy.path.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("CREATE ROLE \"r\";"));
    // A URL with a percent-encoded socket directory.
    let url = format!("postgresql://postgres@{}:5432/postgres", dir.replace('/', "%2F"));
    let out = rolec(&["snapshot", "--db", &url], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    pg.exec(DB, "CREATE ROLE r").unwrap();
    let out = rolec(&["plan", "--detailed-exitcode", policy.path.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no changes"));
}

#[test]
fn membership_options_and_grantors_of_16_and_later() {
    let pg = PgCluster::start();
    if pg.major() < 16 {
        return; // INHERIT and SET options per membership exist from 16 on
    }
    pg.exec(
        DB,
        "CREATE ROLE admin_a CREATEROLE; CREATE ROLE grp; CREATE ROLE u LOGIN; GRANT grp TO admin_a WITH ADMIN OPTION;",
    )
    .unwrap();
    let policy = policy_file(
        "external role admin_a\nrole grp {}\nuser u { member of grp noinherit }\nuser v { member of grp noset }\n",
    );
    let (changes, _, _) = plan(&pg, &policy.path, &[]);
    assert_eq!(
        changes,
        vec![
            r#"CREATE ROLE "v" WITH LOGIN;"#,
            r#"GRANT "grp" TO "u" WITH INHERIT FALSE, SET TRUE;"#,
            r#"GRANT "grp" TO "v" WITH INHERIT TRUE, SET FALSE;"#
        ]
    );
    apply(&pg, &changes);
    assert!(plan(&pg, &policy.path, &[]).0.is_empty());
    // Options changed by hand, and a second grant of the same membership by another grantor,
    // which is out of band: it is revoked from that grantor (src/live/diff/memberships.rs).
    pg.exec(
        DB,
        "GRANT grp TO u WITH INHERIT TRUE; REVOKE SET OPTION FOR grp FROM u; GRANT grp TO v WITH SET TRUE;
                 SET ROLE admin_a; GRANT grp TO v WITH INHERIT TRUE, SET FALSE; RESET ROLE;",
    )
    .unwrap();
    let (changes, _, _) = plan(&pg, &policy.path, &[]);
    assert_eq!(
        changes,
        vec![
            r#"REVOKE "grp" FROM "v" GRANTED BY "admin_a";"#,
            r#"REVOKE INHERIT OPTION FOR "grp" FROM "u";"#,
            r#"REVOKE SET OPTION FOR "grp" FROM "v";"#,
            r#"GRANT "grp" TO "u" WITH SET TRUE;"#,
        ]
    );
    apply(&pg, &changes);
    assert!(plan(&pg, &policy.path, &[]).0.is_empty());
    // An undeclared membership granted by two grantors is revoked from each.
    pg.exec(DB, "CREATE ROLE other; GRANT other TO admin_a WITH ADMIN OPTION; GRANT other TO u; SET ROLE admin_a; GRANT other TO u; RESET ROLE;").unwrap();
    let (changes, _, _) = plan(&pg, &policy.path, &[]);
    assert_eq!(changes, vec![r#"REVOKE "other" FROM "u" GRANTED BY "admin_a";"#, r#"REVOKE "other" FROM "u";"#]);
    apply(&pg, &changes);
    assert!(plan(&pg, &policy.path, &[]).0.is_empty());
}

#[test]
fn memberships_whose_window_has_closed_are_revoked() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE admin; CREATE ROLE contractor LOGIN; GRANT admin TO contractor;").unwrap();
    let policy = policy_file("role admin {}\nuser contractor { member of admin from 2025-01-01 until 2026-01-01 }\n");
    // `plan` runs with --at 2026-06-01: the window has closed.
    assert_eq!(plan(&pg, &policy.path, &[]).0, vec![r#"REVOKE "admin" FROM "contractor";"#]);
    let conn = pg.conn_str(DB);
    let out = rolec(
        &["plan", "--db", &conn, "--at", "2025-06-01", "--detailed-exitcode", policy.path.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "inside the window: {}", text(&out.stdout));
}

// ---- apply --------------------------------------------------------------------------------------

fn ledger(pg: &PgCluster) -> Vec<Vec<Option<String>>> {
    pg.simple_rows(
        DB,
        "SELECT applied_by, plan_hash, array_length(statements, 1)::text FROM rolec.ledger ORDER BY applied_at",
    )
}

#[test]
fn apply_converges_in_one_run_and_records_it_in_the_ledger() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    let planned =
        rolec(&["plan", "--db", &conn, "--format", "json", "--at", "2026-06-01", policy.path.to_str().unwrap()], &[]);
    let json: serde_json::Value = serde_json::from_slice(&planned.stdout).unwrap();
    let out = rolec(&["apply", "--db", &conn, "--at", "2026-06-01", policy.path.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("CREATE ROLE \"reader\";"), "the plan is shown: {}", text(&out.stdout));
    assert_eq!(plan(&pg, &policy.path, &[]).0, Vec::<String>::new(), "converged in one apply");
    let n = json["changes"].as_array().unwrap().len().to_string();
    assert_eq!(
        ledger(&pg),
        vec![vec![Some("postgres".to_string()), Some(json["hash"].as_str().unwrap().to_string()), Some(n)]]
    );
    // A second apply has nothing to do and records nothing.
    let out = rolec(&["apply", "--db", &conn, "--at", "2026-06-01", policy.path.to_str().unwrap()], &[]);
    assert!(out.status.success() && text(&out.stderr).contains("nothing to apply"), "{}", text(&out.stderr));
    assert_eq!(ledger(&pg).len(), 1);
}

#[test]
fn apply_refuses_destructive_steps_without_allow_drop() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE app_old; CREATE ROLE keep_me;").unwrap();
    let policy = policy_file("role app_new {}\n");
    let conn = pg.conn_str(DB);
    let args = ["apply", "--db", &conn, "--manage", "app_*", policy.path.to_str().unwrap()];
    let out = rolec(&args, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--allow-drop") && text(&out.stderr).contains("DROP ROLE \"app_old\""),
        "{}",
        text(&out.stderr)
    );
    assert!(pg.query_bool(DB, "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_new') AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_old')"), "nothing applied");
    let out = rolec(&[&args[..5], &["--allow-drop", policy.path.to_str().unwrap()]].concat(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(pg.query_bool(DB, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_new') AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_old') AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'keep_me')"));
}

#[test]
fn apply_runs_a_saved_plan_only_while_it_still_fits() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let out = rolec(&["plan", "--db", &conn, "--format", "json", policy.path.to_str().unwrap()], &[]);
    std::fs::write(&saved, &out.stdout).unwrap();
    pg.exec(DB, "CREATE ROLE reader").unwrap(); // the database moves on
    let out = rolec(&["apply", "--db", &conn, "--plan", saved.to_str().unwrap(), policy.path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("changed since the saved plan"), "{}", text(&out.stderr));
    assert!(pg.query_bool(DB, "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'writer')"));
    let out = rolec(&["plan", "--db", &conn, "--format", "json", policy.path.to_str().unwrap()], &[]);
    std::fs::write(&saved, &out.stdout).unwrap();
    let out = rolec(&["apply", "--db", &conn, "--plan", saved.to_str().unwrap(), policy.path.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(plan(&pg, &policy.path, &[]).0.is_empty());

    // The plan made inside the transaction must be the saved one.
    pg.exec(DB, "ALTER ROLE reader CREATEDB").unwrap();
    let mut c = rolec::live::connect(&conn, &|_| None).unwrap();
    let stale = |_: &LiveState| Ok(rolec::live::ChangePlan::default());
    let err = rolec::live::apply::apply(
        &mut c,
        &stale,
        &ApplyOptions { saved_hash: Some("not-this-hash"), ..ApplyOptions::default() },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("changed since the saved plan"), "{err}");
}

/// `role filler_N { … }` for N < n: a plan long enough to need several batches.
fn fillers(n: usize, body: &str) -> String {
    (0..n).map(|i| format!("role filler_{i} {{ {body} }}\n")).collect()
}

#[test]
fn apply_treats_server_warnings_as_errors() {
    use rolec::live::diff::{Change, PlanPhase};
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE admin; CREATE ROLE outsider;").unwrap();
    // REVOKE of a membership that does not exist only warns (01000 "… is not a member of …");
    // a policy never plans that, so the plan is given whole. The fillers make the first batch;
    // the REVOKE runs in the second.
    let change = |sql: String| Change {
        phase: PlanPhase::Attributes,
        sql,
        destructive: false,
        note: None,
        password: None,
        drops_role: None,
        database: None,
    };
    let mut plan = rolec::live::ChangePlan::default();
    plan.changes.extend((0..rolec::live::apply::BATCH).map(|i| change(format!("CREATE ROLE \"filler_{i}\";"))));
    plan.changes.push(change(r#"REVOKE "admin" FROM "outsider";"#.to_string()));
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    let err = rolec::live::apply::apply(&mut c, &|_: &LiveState| Ok(plan.clone()), &ApplyOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("01"), "{err}");
    // The warning is traced to its statement, though it ran in a batch.
    assert!(err.ends_with("\n  in: REVOKE \"admin\" FROM \"outsider\";\nnothing was applied"), "{err}");
    assert!(pg.query_bool(DB, "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'filler_0')"), "rolled back");
}

#[test]
fn a_role_to_drop_that_owns_objects_stops_the_apply_with_a_clear_message() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE app_old; CREATE SCHEMA legacy AUTHORIZATION app_old; CREATE TABLE legacy.t(); ALTER TABLE legacy.t OWNER TO app_old;").unwrap();
    let policy = policy_file("role app_new {}\n");
    let conn = pg.conn_str(DB);
    let out =
        rolec(&["plan", "--db", &conn, "--manage", "app_*", "--format", "json", policy.path.to_str().unwrap()], &[]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let blockers = json["blockers"].as_array().unwrap();
    assert!(
        blockers.len() == 1 && blockers[0].as_str().unwrap().contains("schema `legacy`, `legacy.t`"),
        "{blockers:?}"
    );
    let out = rolec(&["apply", "--db", &conn, "--manage", "app_*", "--allow-drop", policy.path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("REASSIGN OWNED"), "{}", text(&out.stderr));
    assert!(pg.query_bool(DB, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_old') AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_new')"));
}

#[test]
fn a_statement_that_fails_mid_apply_leaves_the_database_as_it_was() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    // Roles come first, memberships later; the invalid setting fails when the server checks
    // it, in a batch between others (several batches have run or are to run), next to a
    // password whose verifier must not show.
    let batch = rolec::live::apply::BATCH;
    let policy = policy_file(&format!(
        "{APP_POLICY}\nrole broken {{\n  set work_mem = \"not a size\"\n}}\nuser pw {{ password secret(\"PW_PASSWORD\") }}\n{}",
        fillers(batch + 100, "member of reader")
    ));
    let statements = plan(&pg, &policy.path, &[]).0;
    let failing = r#"ALTER ROLE "broken" SET work_mem = 'not a size';"#;
    let at = statements.iter().position(|s| s == failing).expect("the failing statement is planned");
    assert!(
        at > batch && at < 2 * batch && statements.len() > 2 * batch,
        "in a middle batch: {at} of {}",
        statements.len()
    );
    let conn = pg.conn_str(DB);
    let before = pg.snapshot(DB);
    let out = rolec(
        &["apply", "--db", &conn, "--at", "2026-06-01", policy.path.to_str().unwrap()],
        &[("PW_PASSWORD", "pw-s3cret")],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("\n  in: {failing}\nnothing was applied")),
        "the error names the failing statement: {err}"
    );
    assert!(!err.contains("SCRAM") && !err.contains("pw-s3cret"), "{err}");
    let after = pg.snapshot(DB);
    assert!(before.diff(&after).is_empty(), "nothing changed:\n{}", before.diff(&after));
    // The ledger is created in the same transaction: it is gone too.
    assert!(pg.query_bool(DB, "SELECT to_regclass('rolec.ledger') IS NULL"), "nothing recorded");
}

#[test]
fn concurrent_applies_serialize_and_leave_the_policy_applied() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    let path = policy.path.to_str().unwrap().to_string();
    let runs: Vec<std::thread::JoinHandle<Output>> = (0..2)
        .map(|_| {
            let (conn, path) = (conn.clone(), path.clone());
            std::thread::spawn(move || rolec(&["apply", "--db", &conn, "--at", "2026-06-01", &path], &[]))
        })
        .collect();
    let outs: Vec<Output> = runs.into_iter().map(|r| r.join().unwrap()).collect();
    // Each run plans under the lock: one applies the plan, the other then finds nothing to do;
    // never a half-applied state or an error of the server.
    for out in &outs {
        assert!(out.status.success(), "exit {:?}: {}", out.status.code(), text(&out.stderr));
    }
    let said = |what: &str| outs.iter().filter(|o| text(&o.stderr).contains(what)).count();
    assert_eq!((said("recorded in rolec.ledger"), said("nothing to apply")), (1, 1), "one run applied");
    assert_eq!(plan(&pg, &policy.path, &[]).0, Vec::<String>::new(), "the policy is applied");
    assert_eq!(ledger(&pg).len(), 1, "applied once");
}
