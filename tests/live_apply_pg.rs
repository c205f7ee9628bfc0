//! The safety of `rolec apply` on real throwaway clusters (PostgreSQL 15 by default;
//! `ROLEC_PG_BIN` selects another): saved plans checked against their hash, retries after
//! deadlocks and concurrent updates, and a deployer without superuser.

mod support;

use std::path::PathBuf;
use std::process::Output;

use support::cli::{policy_file, PolicyFile};
use support::pg::PgCluster;

const DB: &str = "postgres";

// ---- helpers ------------------------------------------------------------------------------------

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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
    type Edit = (&'static str, fn(&mut serde_json::Value));
    let edits: [Edit; 3] = [
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
        assert!(
            err.contains(&format!("`{}`: the listed changes do not match the plan's hash", file.display())),
            "{what}: {err}"
        );
        before.assert_same(&pg.snapshot(DB), what);
    }
    // The file as `plan` wrote it still applies.
    let file = write_plan(&policy, &plan);
    let out = rolec(&["apply", "--db", &conn, "--plan", file.to_str().unwrap(), policy.arg()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(ledger_rows(&pg), vec![vec![Some("postgres".into()), Some(plan["hash"].as_str().unwrap().to_string())]]);
}

// ---- conflicts with other sessions --------------------------------------------------------------

/// A session granting by hand inside a transaction, to collide with an apply: it has granted
/// on `app.orders` (the apply's last grant) and not committed. Its deadlock_timeout is long,
/// so that in a deadlock the apply is the session the server aborts.
fn hand_session(pg: &PgCluster) -> (postgres::Client, String) {
    let mut hand = pg.client(DB);
    hand.batch_execute("SET deadlock_timeout = '1min'; BEGIN; GRANT SELECT ON app.orders TO hand;").unwrap();
    let xid = hand.query_one("SELECT txid_current()::text", &[]).unwrap().get(0);
    (hand, xid)
}

/// Waits until some session waits for transaction `xid` (true), or `run` has ended (false).
fn waits_for(pg: &PgCluster, xid: &str, run: &std::thread::JoinHandle<Output>) -> bool {
    let query = format!("SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = '{xid}')");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if pg.query_bool(DB, &query) {
            return true;
        }
        if run.is_finished() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the apply neither waited for the hand-made grant nor ended within 60 s");
}

/// The plan grants on `app.customers` before `app.orders`, so a session holding `app.orders`
/// and then granting on `app.customers` deadlocks with it.
fn assert_grant_order(plan: &serde_json::Value) {
    let sql: Vec<&str> = plan["changes"].as_array().unwrap().iter().map(|c| c["sql"].as_str().unwrap()).collect();
    let at = |s: &str| sql.iter().position(|x| *x == s).unwrap_or_else(|| panic!("{s} not in {sql:#?}"));
    assert!(
        at(r#"GRANT SELECT ON TABLE "app"."customers" TO "reader";"#)
            < at(r#"GRANT SELECT ON TABLE "app"."orders" TO "reader";"#),
        "{sql:#?}"
    );
}

fn spawn_apply(args: Vec<String>) -> std::thread::JoinHandle<Output> {
    std::thread::spawn(move || rolec(&args.iter().map(String::as_str).collect::<Vec<_>>()))
}

#[test]
fn an_apply_aborted_by_a_deadlock_is_made_again_and_succeeds() {
    let pg = PgCluster::start();
    pg.exec(DB, &format!("{APP_SQL}CREATE ROLE hand;")).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    let plan = saved_plan(&conn, &policy);
    assert_grant_order(&plan);
    let file = write_plan(&policy, &plan);
    let (mut hand, xid) = hand_session(&pg);
    let run = spawn_apply(vec![
        "apply".into(),
        "--db".into(),
        conn.clone(),
        "--plan".into(),
        file.to_str().unwrap().into(),
        policy.arg().into(),
    ]);
    assert!(waits_for(&pg, &xid, &run), "the apply waits for the hand-made grant on app.orders");
    // The hand session now waits for the apply's grant on app.customers: a deadlock.
    hand.batch_execute("GRANT SELECT ON app.customers TO hand; COMMIT;").unwrap();
    let out = run.join().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: attempt 1 of") && err.contains("40P01: deadlock detected") && err.contains("made again"),
        "{err}"
    );
    // The plan made again is still the saved one: applied and recorded once.
    assert_eq!(ledger_rows(&pg), vec![vec![Some("postgres".into()), Some(plan["hash"].as_str().unwrap().to_string())]]);
    let out = rolec(&["plan", "--db", &conn, "--detailed-exitcode", policy.arg()]);
    assert_eq!(out.status.code(), Some(0), "converged: {}", text(&out.stdout));
    assert!(pg.query_bool(DB, "SELECT has_table_privilege('hand', 'app.customers', 'SELECT') AND has_table_privilege('hand', 'app.orders', 'SELECT')"), "the hand-made grants stay");
}

#[test]
fn an_apply_that_keeps_deadlocking_gives_up_after_its_attempts_and_changes_nothing() {
    let pg = PgCluster::start();
    pg.exec(DB, &format!("{APP_SQL}CREATE ROLE hand;")).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    assert_grant_order(&saved_plan(&conn, &policy));
    let before = pg.snapshot(DB);
    let (mut hand, xid) = hand_session(&pg);
    let run = spawn_apply(vec!["apply".into(), "--db".into(), conn.clone(), policy.arg().into()]);
    // Every attempt deadlocks: the hand session keeps app.orders and, each time the apply
    // waits for it, takes app.customers in a savepoint it then rolls back.
    let mut deadlocks = 0;
    while waits_for(&pg, &xid, &run) {
        hand.batch_execute("SAVEPOINT s; GRANT SELECT ON app.customers TO hand; ROLLBACK TO SAVEPOINT s;").unwrap();
        deadlocks += 1;
    }
    hand.batch_execute("ROLLBACK").unwrap();
    let out = run.join().unwrap();
    let err = text(&out.stderr);
    let attempts = rolec::live::apply::ATTEMPTS;
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(deadlocks, attempts, "{err}");
    assert!(
        err.contains(&format!("gave up after {attempts} attempts"))
            && err.contains("40P01: deadlock detected")
            && err.contains("nothing was applied"),
        "{err}"
    );
    before.assert_same(&pg.snapshot(DB), "nothing applied");
    assert!(pg.query_bool(DB, "SELECT to_regclass('rolec.ledger') IS NULL"), "nothing recorded");
}

#[test]
fn an_apply_that_meets_a_concurrent_grant_on_the_same_object_is_made_again() {
    let pg = PgCluster::start();
    pg.exec(DB, &format!("{APP_SQL}CREATE ROLE hand;")).unwrap();
    let policy = policy_file(APP_POLICY);
    let conn = pg.conn_str(DB);
    let (mut hand, xid) = hand_session(&pg);
    let run = spawn_apply(vec!["apply".into(), "--db".into(), conn.clone(), policy.arg().into()]);
    assert!(waits_for(&pg, &xid, &run), "the apply waits for the hand-made grant on app.orders");
    // The row of app.orders the apply read is no longer the latest: "tuple concurrently updated".
    hand.batch_execute("COMMIT").unwrap();
    let out = run.join().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("XX000: tuple concurrently updated") && err.contains("made again"), "{err}");
    let out = rolec(&["plan", "--db", &conn, "--detailed-exitcode", policy.arg()]);
    assert_eq!(out.status.code(), Some(0), "converged: {}", text(&out.stdout));
    assert_eq!(ledger_rows(&pg).len(), 1);
}

// ---- a deployer without superuser -------------------------------------------------------------

const ROLES_ONLY: &str = r#"
/// Reads.
role reader { set work_mem = "8MB" }
user alice { member of reader with admin option
  connection limit 3 }
"#;

fn roles_exist(pg: &PgCluster, names: &str) -> bool {
    pg.query_bool(DB, &format!("SELECT count(*) > 0 FROM pg_roles WHERE rolname IN ({names})"))
}

#[test]
fn a_createrole_deployer_applies_a_roles_only_plan_and_it_is_recorded() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE deployer LOGIN CREATEROLE;").unwrap();
    // `seed` is made by the first apply below: declared here, it is not retired.
    let policy = policy_file(&format!("{ROLES_ONLY}role seed {{}}\n"));
    let as_deployer = pg.conn_str_as(DB, "deployer");
    let apply = || rolec(&["apply", "--db", &as_deployer, policy.arg()]);
    let before = pg.snapshot(DB);
    // No ledger, and no CREATE on the database to make one: refused before anything runs,
    // saying what an administrator does once.
    let out = apply();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the connecting role `deployer` lacks privileges the plan needs")
            && err.contains("CREATE SCHEMA rolec AUTHORIZATION \"deployer\";"),
        "{err}"
    );
    before.assert_same(&pg.snapshot(DB), "refused");
    assert!(!roles_exist(&pg, "'reader', 'alice'"));

    // A ledger made by an earlier apply as superuser, which recorded the role it created in
    // rolec.roles: the deployer needs to insert into both (and read and delete rolec.roles).
    let seed = policy_file("role seed {}\n");
    assert!(rolec(&["apply", "--db", &pg.conn_str(DB), seed.arg()]).status.success());
    let before = pg.snapshot(DB);
    let out = apply();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("GRANT USAGE ON SCHEMA rolec TO \"deployer\"; GRANT INSERT ON rolec.ledger TO \"deployer\";")
            && err.contains("GRANT SELECT, INSERT, DELETE ON rolec.roles TO \"deployer\";"),
        "{err}"
    );
    before.assert_same(&pg.snapshot(DB), "refused");
    pg.exec(
        DB,
        "GRANT USAGE ON SCHEMA rolec TO deployer; GRANT INSERT ON rolec.ledger TO deployer;
         GRANT SELECT, INSERT, DELETE ON rolec.roles TO deployer;",
    )
    .unwrap();
    let out = apply();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(roles_exist(&pg, "'reader', 'alice'"));
    let who: Vec<String> = pg.query_strings(DB, "SELECT applied_by FROM rolec.ledger ORDER BY applied_at");
    assert_eq!(who, ["postgres", "deployer"]);
    let out = rolec(&["plan", "--db", &as_deployer, "--detailed-exitcode", policy.arg()]);
    assert_eq!(out.status.code(), Some(0), "converged: {}", text(&out.stdout));
}

#[test]
fn a_deployer_whose_own_schema_holds_the_ledger_creates_it() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE deployer LOGIN CREATEROLE; CREATE SCHEMA rolec AUTHORIZATION deployer;").unwrap();
    let policy = policy_file(ROLES_ONLY);
    let out = rolec(&["apply", "--db", &pg.conn_str_as(DB, "deployer"), policy.arg()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(pg.query_strings(DB, "SELECT applied_by FROM rolec.ledger"), ["deployer"]);
}

#[test]
fn a_plan_needing_privileges_the_deployer_lacks_is_refused_naming_each() {
    let pg = PgCluster::start();
    pg.exec(DB, APP_SQL).unwrap();
    pg.exec(DB, "CREATE ROLE deployer LOGIN CREATEROLE; CREATE SCHEMA rolec AUTHORIZATION deployer; CREATE ROLE boss SUPERUSER;").unwrap();
    // A routine whose argument type lives in a schema of its own: it is known by its
    // regprocedure identity, whatever the deployer's search_path.
    pg.exec(DB, "SET ROLE app_owner; CREATE TYPE app.mood AS ENUM ('ok'); CREATE FUNCTION app.cheer(app.mood, int) RETURNS int LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON FUNCTION app.cheer(app.mood, int) FROM PUBLIC; RESET ROLE;").unwrap();
    let policy = policy_file(&format!("{APP_POLICY}\nrole fine {{}}\nrole ops {{ replication }}\n/// The boss.\nrole boss {{ superuser }}\nrole caller {{ grant execute on function app.cheer(app.mood, int) }}\n"));
    let before = pg.snapshot(DB);
    let out = rolec(&["apply", "--db", &pg.conn_str_as(DB, "deployer"), policy.arg()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let owner = "needs the privileges of `app_owner`, the owner of the";
    // From 16 on, CREATEROLE is ADMIN-based: a role that has an attribute may give it, and
    // `FOR ROLE` needs the SET option rather than plain membership.
    let (replication, for_role) = if pg.major() >= 16 {
        (
            "only a role that has REPLICATION can set it",
            "needs SET option on `app_owner` (GRANT \"app_owner\" TO \"deployer\")",
        )
    } else {
        (
            "only a superuser can set REPLICATION",
            "needs membership in `app_owner` (GRANT \"app_owner\" TO \"deployer\")",
        )
    };
    for (statement, why) in [
        (r#"CREATE ROLE "ops" WITH REPLICATION;"#, replication),
        (r#"COMMENT ON ROLE "boss" IS 'The boss.';"#, "`boss` is a superuser: only a superuser can change it"),
        (r#"GRANT USAGE ON SCHEMA "app" TO "reader";"#, owner),
        (r#"GRANT SELECT ON TABLE "app"."orders" TO "reader";"#, owner),
        (r#"GRANT EXECUTE ON FUNCTION "app"."cheer"("app"."mood", integer) TO "caller";"#, owner),
        (
            r#"ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "app" GRANT SELECT ON TABLES TO "reader";"#,
            for_role,
        ),
    ] {
        assert!(err.contains(&format!("\n  {statement}\n    {why}")), "{statement}: {why}\n{err}");
    }
    // What it may do is not listed.
    assert!(!err.contains(r#"CREATE ROLE "fine";"#) && !err.contains(r#"CREATE ROLE "reader";"#), "{err}");
    before.assert_same(&pg.snapshot(DB), "nothing applied");
    assert!(pg.query_bool(DB, "SELECT to_regclass('rolec.ledger') IS NULL"), "nothing recorded");
    // Given the owner's privileges and without the roles only a superuser may change, it applies.
    pg.exec(DB, "GRANT app_owner TO deployer;").unwrap();
    let policy = policy_file(&format!("{APP_POLICY}\nrole fine {{}}\n"));
    let out = rolec(&["apply", "--db", &pg.conn_str_as(DB, "deployer"), policy.arg()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
