//! Retiring roles on real throwaway clusters (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects
//! another): a role an apply created (`rolec.roles`) that the policy no longer declares is
//! dropped without any `--manage` glob (with `--allow-drop`, its objects to `--successor`);
//! roles made by hand stay; and the ledger records who applied what, when, and why.

mod support;

use std::process::Output;

use support::cli::{policy_file, PolicyFile};
use support::pg::PgCluster;

const DB: &str = "postgres";

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn role_exists(pg: &PgCluster, name: &str) -> bool {
    pg.query_bool(DB, &format!("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}')"))
}

fn apply_ok(conn: &str, policy: &PolicyFile, extra: &[&str]) -> String {
    let mut args = vec!["apply", "--db", conn];
    args.extend_from_slice(extra);
    args.push(policy.arg());
    let out = rolec(&args);
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_role_rolec_created_is_retired_when_the_policy_drops_it_and_its_objects_go_to_the_successor() {
    let pg = PgCluster::start();
    let conn = pg.conn_str(DB);
    pg.exec(DB, "CREATE ROLE heir;").unwrap();
    let v1 = policy_file("role keeper {}\nrole gone {}\nuser alice { member of gone }\n");
    apply_ok(&conn, &v1, &[]);
    let recorded = pg.query_strings(DB, "SELECT role || ' by ' || created_by FROM rolec.roles ORDER BY role");
    assert_eq!(recorded, ["alice by postgres", "gone by postgres", "keeper by postgres"]);
    // What `gone` owns, made after the apply.
    pg.exec(
        DB,
        "CREATE SCHEMA stash AUTHORIZATION gone; CREATE TABLE stash.t(id int); ALTER TABLE stash.t OWNER TO gone;",
    )
    .unwrap();

    // No `--manage` glob: the policy no longer declares `gone`, which rolec created.
    let v2 = policy_file("role keeper {}\nuser alice {}\n");
    let out = rolec(&["plan", "--db", &conn, v2.arg()]);
    let (plan, err) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{err}");
    assert!(
        plan.contains(
            "-- created by rolec (rolec.roles) and no longer declared: retired\n-- DESTRUCTIVE\nDROP ROLE \"gone\";"
        ),
        "{plan}"
    );
    assert!(err.contains("role `gone` is to be dropped but owns schema `stash`, `stash.t`"), "{err}");

    // check: the retired role still present is drift.
    let out = rolec(&["check", "--db", &conn, v2.arg()]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{report}");
    assert!(report.contains("✗ role: expected absent (created by rolec, not declared), actual present"), "{report}");

    // Blocked without --allow-drop, and without a successor for what it owns.
    let before = pg.snapshot(DB);
    let out = rolec(&["apply", "--db", &conn, "--successor", "heir", v2.arg()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("pass --allow-drop"), "{}", text(&out.stderr));
    let out = rolec(&["apply", "--db", &conn, "--allow-drop", v2.arg()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("owns schema `stash`"), "{}", text(&out.stderr));
    before.assert_same(&pg.snapshot(DB), "refused");

    let shown = apply_ok(&conn, &v2, &["--allow-drop", "--successor", "heir"]);
    assert!(shown.contains("REASSIGN OWNED BY \"gone\" TO \"heir\";"), "{shown}");
    assert!(!role_exists(&pg, "gone") && role_exists(&pg, "keeper") && role_exists(&pg, "alice"));
    assert!(pg.query_bool(DB, "SELECT NOT EXISTS (SELECT FROM pg_auth_members WHERE member = 'alice'::regrole)"));
    let owners = pg.query_strings(
        DB,
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'stash'
         UNION ALL SELECT relowner::regrole::text FROM pg_class WHERE oid = 'stash.t'::regclass",
    );
    assert_eq!(owners, ["heir", "heir"]);
    assert_eq!(pg.query_strings(DB, "SELECT role FROM rolec.roles ORDER BY role"), ["alice", "keeper"]);
    let out = rolec(&["plan", "--db", &conn, "--detailed-exitcode", v2.arg()]);
    assert_eq!(out.status.code(), Some(0), "converged: {}", text(&out.stdout));
}

#[test]
fn roles_are_known_by_oid_and_roles_made_by_hand_stay() {
    let pg = PgCluster::start();
    let conn = pg.conn_str(DB);
    // Made by hand, then declared (rolec only comments it), then no longer declared.
    pg.exec(DB, "CREATE ROLE handmade;").unwrap();
    let v1 = policy_file("/// Made by hand.\nrole handmade {}\nrole renamed {}\nrole remade {}\n");
    apply_ok(&conn, &v1, &[]);
    assert_eq!(pg.query_strings(DB, "SELECT role FROM rolec.roles ORDER BY role"), ["remade", "renamed"]);
    // Outside rolec: one of its roles renamed, another dropped and made again by hand.
    pg.exec(DB, "ALTER ROLE renamed RENAME TO moved; DROP ROLE remade; CREATE ROLE remade;").unwrap();

    let v2 = policy_file("role other {}\n");
    let out = rolec(&["plan", "--db", &conn, v2.arg()]);
    let plan = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The renamed role is rolec's under its new name; the others are not rolec's.
    assert!(plan.contains("DROP ROLE \"moved\";"), "{plan}");
    assert!(!plan.contains("\"handmade\"") && !plan.contains("\"remade\""), "{plan}");
    apply_ok(&conn, &v2, &["--allow-drop"]);
    assert!(!role_exists(&pg, "moved"));
    assert!(role_exists(&pg, "handmade") && role_exists(&pg, "remade"));
    // The rows of roles that are gone are forgotten.
    assert_eq!(pg.query_strings(DB, "SELECT role FROM rolec.roles ORDER BY role"), ["other"]);
    // A role made by hand is still dropped when `--manage` matches it.
    let out = rolec(&["plan", "--db", &conn, "--manage", "hand*", v2.arg()]);
    assert!(text(&out.stdout).contains("DROP ROLE \"handmade\";"), "{}", text(&out.stdout));
}

#[test]
fn a_deployer_that_may_not_read_the_roles_table_retires_nothing_with_a_warning() {
    let pg = PgCluster::start();
    let v1 = policy_file("role a {}\nrole b {}\n");
    apply_ok(&pg.conn_str(DB), &v1, &[]);
    pg.exec(DB, "CREATE ROLE deployer LOGIN CREATEROLE;").unwrap();
    let v2 = policy_file("role a {}\n");
    let out = rolec(&["plan", "--db", &pg.conn_str_as(DB, "deployer"), v2.arg()]);
    let (plan, err) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{err}");
    assert!(plan.contains("no changes"), "{plan}");
    assert!(
        err.contains("warning: cannot read rolec.roles (the roles rolec created), so no role is retired")
            && err.contains("GRANT SELECT ON rolec.roles TO \"deployer\";"),
        "{err}"
    );
    pg.exec(DB, "GRANT USAGE ON SCHEMA rolec TO deployer; GRANT SELECT ON rolec.roles TO deployer;").unwrap();
    let out = rolec(&["plan", "--db", &pg.conn_str_as(DB, "deployer"), v2.arg()]);
    assert!(text(&out.stdout).contains("DROP ROLE \"b\";"), "{}", text(&out.stdout));
}

#[test]
fn the_ledger_records_who_when_why_and_the_windows() {
    let pg = PgCluster::start();
    // `ops` logs in and runs as `boss` (its login sets the role): who logged in and whose
    // privileges ran the statements differ.
    pg.exec(
        DB,
        "CREATE ROLE boss SUPERUSER; CREATE ROLE ops LOGIN; GRANT boss TO ops; ALTER ROLE ops SET role = 'boss';",
    )
    .unwrap();
    let policy = policy_file(
        "role admin {}\nrole viewer {}\nuser oncall { member of admin for 4h reason \"INC-7 disk full\"\n  member of viewer reason \"reads dashboards\" }\n",
    );
    let before: String = pg.query_strings(DB, "SELECT now()::text").remove(0);
    apply_ok(&pg.conn_str_as(DB, "ops"), &policy, &["--reason", "CHG-42: on-call access"]);
    let rows = pg.simple_rows(
        DB,
        &format!(
            "SELECT applied_by, applied_as, reason, (applied_at >= '{before}' AND applied_at <= now())::text,
                 (SELECT string_agg(w ->> 'reason', ' | ' ORDER BY w ->> 'reason') FROM jsonb_array_elements(windows) w),
                 (SELECT string_agg(w ->> 'duration', ' | ') FROM jsonb_array_elements(windows) w WHERE w ->> 'duration' IS NOT NULL),
                 array_length(statements, 1)::text
             FROM rolec.ledger"
        ),
    );
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        [vec![
            s("ops"),
            s("boss"),
            s("CHG-42: on-call access"),
            s("true"),
            s("INC-7 disk full | reads dashboards"),
            s("4h"),
            s("5")
        ]]
    );
}

#[test]
fn an_old_ledger_gains_the_new_columns_and_a_reason_needs_them() {
    let pg = PgCluster::start();
    // A ledger as earlier versions made it, owned by someone else than the deployer.
    pg.exec(
        DB,
        "CREATE SCHEMA rolec; CREATE TABLE rolec.ledger (applied_at timestamptz NOT NULL DEFAULT now(),
            applied_by text NOT NULL DEFAULT session_user, plan_hash text NOT NULL, statements text[] NOT NULL);
         CREATE ROLE deployer LOGIN CREATEROLE; GRANT USAGE, CREATE ON SCHEMA rolec TO deployer;
         GRANT INSERT ON rolec.ledger TO deployer;",
    )
    .unwrap();
    let as_deployer = pg.conn_str_as(DB, "deployer");
    // The deployer may not add the `reason` column: a reason cannot be recorded, nothing applied.
    let out = rolec(&["apply", "--db", &as_deployer, "--reason", "CHG-1", policy_file("role a {}\n").arg()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ALTER TABLE rolec.ledger ADD COLUMN IF NOT EXISTS reason text;"), "{err}");
    assert!(!role_exists(&pg, "a"));
    // Without a reason it records what the old ledger holds.
    apply_ok(&as_deployer, &policy_file("role a {}\n"), &[]);
    assert_eq!(pg.query_strings(DB, "SELECT applied_by FROM rolec.ledger"), ["deployer"]);
    // Its owner's apply adds the columns; old rows keep NULL.
    apply_ok(&pg.conn_str(DB), &policy_file("role a {}\nrole b {}\n"), &["--reason", "CHG-2"]);
    let rows = pg.simple_rows(DB, "SELECT applied_by, applied_as, reason FROM rolec.ledger ORDER BY applied_at");
    let s = |v: &str| Some(v.to_string());
    assert_eq!(rows, [vec![s("deployer"), None, None], vec![s("postgres"), s("postgres"), s("CHG-2")]]);
}
