//! `rolec check` (drift audit), `rolec diff` (migrations between policy versions) and the
//! safety of `rolec apply` (revoking from users, `--successor`), on real throwaway clusters
//! (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::cli::{ok, text};
use support::pg::PgCluster;

const DB: &str = "postgres";
const AT: &str = "2026-06-01";
const HIERARCHY_SETUP: &str = include_str!("../examples/hierarchy/setup.sql");

// ---- helpers ------------------------------------------------------------------------------------

fn rolec_in(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = support::cli::rolec_command();
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    cmd.output().expect("cannot run rolec")
}

fn rolec(args: &[&str]) -> Output {
    rolec_in(None, args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn apply(pg: &PgCluster, policy: &Path, extra: &[&str]) -> Output {
    let conn = pg.conn_str(DB);
    let mut args = vec!["apply", "--db", &conn, "--at", AT];
    args.extend_from_slice(extra);
    args.push(s(policy));
    rolec(&args)
}

/// `rolec check --format json`: (the JSON, exit code).
fn check(pg: &PgCluster, policy: &Path) -> (serde_json::Value, i32) {
    let conn = pg.conn_str(DB);
    let out = rolec(&["check", "--db", &conn, "--at", AT, "--format", "json", s(policy)]);
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e} ({code}): {}\n{}", text(&out.stdout), text(&out.stderr)));
    (json, code)
}

fn check_human(pg: &PgCluster, policy: &Path) -> (String, i32) {
    let conn = pg.conn_str(DB);
    let out = rolec(&["check", "--db", &conn, "--at", AT, s(policy)]);
    (text(&out.stdout), out.status.code().unwrap_or(-1))
}

/// Findings that are not ✓, as (status, role, item, expected, actual).
fn problems(json: &serde_json::Value) -> Vec<(String, String, String, String, String)> {
    let f = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] != "ok")
        .map(|x| (f(x, "status"), f(x, "role"), f(x, "item"), f(x, "expected"), f(x, "actual")))
        .collect()
}

#[track_caller]
fn run_sql(pg: &PgCluster, sql: &str, what: &str) {
    if let Err(e) = pg.exec(DB, sql) {
        panic!("{what} failed: {e}\n--- script:\n{sql}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "role") {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn hierarchy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hierarchy")
}

#[track_caller]
fn edit(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, t.replace(from, to)).unwrap();
}

/// An edited copy of examples/hierarchy: more privileges, a membership less, an attribute and
/// a setting changed, a new user with a setting.
fn edited_hierarchy(dir: &Path) {
    copy_dir(&hierarchy(), dir);
    edit(
        &dir.join("base.role"),
        "grant insert, update on tables in schema app",
        "grant insert, update, delete on tables in schema app",
    );
    edit(
        &dir.join("composite.role"),
        "role analyst { member of read_only, report_writer }",
        "role analyst { member of read_only }",
    );
    edit(
        &dir.join("composite.role"),
        "  bypassrls\n  set statement_timeout = \"10min\"",
        "  set statement_timeout = \"20min\"",
    );
    std::fs::write(
        dir.join("newbie.role"),
        "/// Joined this year.\nuser newbie {\n  member of analyst\n  set work_mem = \"32MB\"\n}\n",
    )
    .unwrap();
}

/// A cluster with the hierarchy's objects; the snapshot of that base, for `--catalog`.
fn hierarchy_cluster(snapshot_to: Option<&Path>) -> PgCluster {
    let pg = PgCluster::start();
    run_sql(&pg, HIERARCHY_SETUP, "setup.sql");
    if let Some(path) = snapshot_to {
        ok(&rolec(&["snapshot", "--db", &pg.conn_str(DB), "-o", s(path)]));
    }
    pg
}

/// `rolec diff OLD NEW` into DIR with a layout.
fn diff(old: &str, new: &Path, catalog: &Path, out: &Path, layout: &str, cwd: Option<&Path>) {
    let o = rolec_in(
        cwd,
        &[
            "diff",
            old,
            s(new),
            "--catalog",
            s(catalog),
            "--at",
            AT,
            "-o",
            s(out),
            "--layout",
            layout,
            "--name",
            "roles",
            "--version",
            "42",
        ],
    );
    ok(&o);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---- check --------------------------------------------------------------------------------------

#[test]
fn check_reports_no_drift_on_a_converged_database_then_each_manual_change_and_apply_repairs_it() {
    let pg = hierarchy_cluster(None);
    let policy = hierarchy();
    ok(&apply(&pg, &policy, &[]));
    let (json, code) = check(&pg, &policy);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["drift"], false);
    assert!(problems(&json).is_empty(), "{:?}", problems(&json));
    assert!(json["summary"]["ok"].as_u64().unwrap() > 50, "every item is listed: {}", json["summary"]);
    let (human, code) = check_human(&pg, &policy);
    assert_eq!(code, 0);
    assert!(
        human.contains("read_only\n  ✓ role: present\n")
            && human.contains("  ✓ member of read_only: granted")
            && human.ends_with("0 ✗, 0 ?\nno drift\n"),
        "{human}"
    );

    // Manual changes behind rolec's back.
    run_sql(
        &pg,
        "GRANT DELETE ON app.orders TO read_only;
         REVOKE SELECT ON app.products FROM read_only;
         ALTER ROLE admin NOBYPASSRLS;
         ALTER ROLE admin SET statement_timeout = '1min';
         ALTER ROLE analyst CREATEDB;
         REVOKE report_writer FROM analyst;
         ALTER DEFAULT PRIVILEGES FOR ROLE schema_designer IN SCHEMA app REVOKE SELECT ON TABLES FROM read_only;",
        "manual changes",
    );
    let (json, code) = check(&pg, &policy);
    assert_eq!(code, 2, "{json:#}");
    assert_eq!(json["drift"], true);
    let p = problems(&json);
    let has = |role: &str, item: &str, expected: &str, actual: &str| {
        p.iter().any(|x| x.0 == "drift" && x.1 == role && x.2 == item && x.3 == expected && x.4 == actual)
    };
    assert!(has("read_only", r#"TABLE "app"."orders""#, "SELECT", "DELETE, SELECT"), "{p:#?}");
    assert!(has("read_only", r#"TABLE "app"."products""#, "SELECT", "none"), "{p:#?}");
    assert!(has("admin", "attribute bypassrls", "BYPASSRLS", "NOBYPASSRLS"), "{p:#?}");
    assert!(has("admin", "setting statement_timeout", "10min", "1min"), "{p:#?}");
    assert!(has("analyst", "attribute createdb", "NOCREATEDB", "CREATEDB"), "{p:#?}");
    assert!(
        p.iter().any(|x| x.1 == "analyst"
            && x.2 == "member of report_writer"
            && x.3.starts_with("granted")
            && x.4 == "not granted"),
        "{p:#?}"
    );
    assert!(
        has("read_only", "default privileges on tables for role schema_designer in schema app", "SELECT", "none"),
        "{p:#?}"
    );
    assert_eq!(p.len(), 7, "{p:#?}");
    let (human, _) = check_human(&pg, &policy);
    assert!(
        human.contains("admin\n")
            && human.contains("  ✗ attribute bypassrls: expected BYPASSRLS, actual NOBYPASSRLS\n"),
        "{human}"
    );
    assert!(human.contains("7 ✗, 0 ?") && human.ends_with("drift\n"), "{human}");

    // The next apply repairs everything.
    ok(&apply(&pg, &policy, &[]));
    let (json, code) = check(&pg, &policy);
    assert_eq!(code, 0, "{:?}", problems(&json));

    // A role the policy does not know, with access to a managed schema, and one made a member
    // of a managed role.
    run_sql(
        &pg,
        "CREATE ROLE mallory LOGIN; GRANT USAGE ON SCHEMA app TO mallory; CREATE ROLE eve; GRANT read_only TO eve;",
        "unknown roles",
    );
    let (json, code) = check(&pg, &policy);
    assert_eq!(code, 2);
    let p = problems(&json);
    assert_eq!(
        p.iter().map(|x| (x.0.as_str(), x.1.as_str(), x.2.as_str(), x.4.as_str())).collect::<Vec<_>>(),
        vec![("unknown", "mallory", r#"SCHEMA "app""#, "USAGE"), ("unknown", "eve", "member of read_only", "granted")]
    );
    let (human, _) = check_human(&pg, &policy);
    assert!(
        human.contains("mallory\n  ? SCHEMA \"app\": USAGE (a role the policy does not know)\n")
            && human.contains("0 ✗, 2 ?"),
        "{human}"
    );
    let quiet = rolec(&["check", "--db", &pg.conn_str(DB), "--at", AT, "--quiet", s(&policy)]);
    let quiet = text(&quiet.stdout);
    assert!(
        !quiet.contains("  ✓") && quiet.lines().count() == 7,
        "only the ? lines, their roles, title and summary:\n{quiet}"
    );
    // A managed role the policy does not declare is drift.
    let out = rolec(&["check", "--db", &pg.conn_str(DB), "--at", AT, "--manage", "mal*", "--quiet", s(&policy)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stdout).contains("mallory\n  ✗ role: expected absent (managed, not declared), actual present\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn check_exits_1_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    std::fs::write(&policy, "role r {}\n").unwrap();
    let out = rolec(&["check", "--db", &format!("host={} port=1 user=x dbname=x", s(dir.path())), s(&policy)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

// ---- diff ---------------------------------------------------------------------------------------

/// Apply OLD, run up: the catalog is NEW's build (on another cluster); run down: it is OLD's.
#[test]
fn diff_up_then_down_moves_the_catalog_between_the_two_builds_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let (new, catalog, out) = (tmp.path().join("new"), tmp.path().join("catalog.json"), tmp.path().join("out"));
    edited_hierarchy(&new);
    let old = hierarchy();

    let a = hierarchy_cluster(Some(&catalog));
    ok(&apply(&a, &old, &[]));
    let old_build = a.snapshot(DB);
    diff(s(&old), &new, &catalog, &out, "plain", None);
    let (up, down) = (read(&out.join("up.sql")), read(&out.join("down.sql")));
    assert!(
        !up.contains("DROP ROLE")
            && up.contains("CREATE ROLE \"newbie\" WITH LOGIN;")
            && up.contains("REVOKE \"report_writer\" FROM \"analyst\";"),
        "{up}"
    );
    assert!(
        up.contains("GRANT DELETE ON TABLE \"app\".\"orders\" TO \"data_entry\";") && !up.contains("INSERT"),
        "only the difference:\n{up}"
    );
    assert!(
        // On PostgreSQL 16 and later the membership's options are written out (`WITH INHERIT TRUE, SET TRUE`).
        down.contains("DROP ROLE \"newbie\";") && down.contains("GRANT \"report_writer\" TO \"analyst\""),
        "{down}"
    );
    run_sql(&a, &format!("BEGIN;\n{up}\nCOMMIT;"), "up.sql");
    let (json, code) = check(&a, &new);
    assert_eq!(code, 0, "after up the database matches NEW: {:?}", problems(&json));
    let migrated = a.snapshot(DB);

    let b = hierarchy_cluster(None);
    ok(&apply(&b, &new, &[]));
    b.snapshot(DB).assert_same(&migrated, "NEW's build vs OLD's build + up.sql");

    run_sql(&a, &format!("BEGIN;\n{down}\nCOMMIT;"), "down.sql");
    a.snapshot(DB).assert_same(&old_build, "OLD's build vs OLD's build + up.sql + down.sql");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

#[test]
fn diff_reads_the_old_version_from_a_git_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let policy = repo.join("policy");
    copy_dir(&hierarchy(), &policy);
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "old"]);
    // The working tree becomes NEW.
    std::fs::remove_dir_all(&policy).unwrap();
    edited_hierarchy(&policy);
    let (catalog, by_path, by_git, by_rev_path) =
        (tmp.path().join("catalog.json"), tmp.path().join("p"), tmp.path().join("g"), tmp.path().join("r"));

    let a = hierarchy_cluster(Some(&catalog));
    diff(s(&hierarchy()), &policy, &catalog, &by_path, "plain", None);
    diff("git:HEAD", &policy, &catalog, &by_git, "plain", None);
    diff("HEAD:policy", Path::new("policy"), &catalog, &by_rev_path, "plain", Some(&repo));
    for f in ["up.sql", "down.sql"] {
        assert_eq!(read(&by_git.join(f)), read(&by_path.join(f)), "git:HEAD, {f}");
        assert_eq!(read(&by_rev_path.join(f)), read(&by_path.join(f)), "HEAD:policy, {f}");
    }
    // The git revision's up and down run and restore the catalog.
    ok(&apply(&a, &hierarchy(), &[]));
    let old_build = a.snapshot(DB);
    run_sql(&a, &format!("BEGIN;\n{}\nCOMMIT;", read(&by_git.join("up.sql"))), "up.sql");
    assert_eq!(check(&a, &policy).1, 0);
    run_sql(&a, &format!("BEGIN;\n{}\nCOMMIT;", read(&by_git.join("down.sql"))), "down.sql");
    a.snapshot(DB).assert_same(&old_build, "after down");

    // The same version on both sides: nothing to write.
    let same = tmp.path().join("same");
    let out = rolec_in(Some(&repo), &["diff", "HEAD:policy", s(&hierarchy()), "-o", s(&same), "--at", AT]);
    ok(&out);
    assert!(text(&out.stderr).contains("no changes") && !same.exists(), "{}", text(&out.stderr));
    let out = rolec_in(Some(&repo), &["diff", "HEAD:nowhere", "policy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does not exist at revision HEAD"), "{}", text(&out.stderr));
}

#[test]
fn each_layout_writes_the_files_its_tool_expects_and_the_sql_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (new, catalog) = (tmp.path().join("new"), tmp.path().join("catalog.json"));
    edited_hierarchy(&new);
    let pg = hierarchy_cluster(Some(&catalog));
    ok(&apply(&pg, &hierarchy(), &[]));
    let old_build = pg.snapshot(DB);
    let files = |dir: &Path| -> Vec<String> {
        let mut out = Vec::new();
        for e in walk(dir) {
            out.push(e.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
        }
        out.sort();
        out
    };
    let round_trip = |up: &str, down: &str, what: &str| {
        run_sql(&pg, up, &format!("{what} up"));
        assert_eq!(check(&pg, &new).1, 0, "{what}: after up");
        run_sql(&pg, down, &format!("{what} down"));
        pg.snapshot(DB).assert_same(&old_build, &format!("{what}: after down"));
    };
    let old = hierarchy();
    let old = s(&old);

    let dir = tmp.path().join("flyway");
    diff(old, &new, &catalog, &dir, "flyway", None);
    assert_eq!(files(&dir), ["U42__roles.sql", "V42__roles.sql"]);
    // Flyway runs each migration in a transaction of its own.
    round_trip(
        &format!("BEGIN;\n{}\nCOMMIT;", read(&dir.join("V42__roles.sql"))),
        &format!("BEGIN;\n{}\nCOMMIT;", read(&dir.join("U42__roles.sql"))),
        "flyway",
    );

    let dir = tmp.path().join("sqitch");
    diff(old, &new, &catalog, &dir, "sqitch", None);
    assert_eq!(files(&dir), ["deploy/roles.sql", "revert/roles.sql", "sqitch.plan", "verify/roles.sql"]);
    let plan = read(&dir.join("sqitch.plan"));
    assert!(
        plan.starts_with("%syntax-version=1.0.0\n%project=roles\n\n")
            && plan.lines().last().unwrap().starts_with("roles 20"),
        "{plan}"
    );
    run_sql(&pg, &read(&dir.join("deploy/roles.sql")), "sqitch deploy");
    run_sql(&pg, &read(&dir.join("verify/roles.sql")), "sqitch verify");
    run_sql(&pg, &read(&dir.join("revert/roles.sql")), "sqitch revert");
    pg.snapshot(DB).assert_same(&old_build, "sqitch: after revert");
    assert!(pg.exec(DB, &read(&dir.join("verify/roles.sql"))).is_err(), "verify fails once reverted");

    let dir = tmp.path().join("dbmate");
    diff(old, &new, &catalog, &dir, "dbmate", None);
    assert_eq!(files(&dir), ["42_roles.sql"]);
    let migration = read(&dir.join("42_roles.sql"));
    let (up, down) = migration.strip_prefix("-- migrate:up\n").unwrap().split_once("-- migrate:down\n").unwrap();
    round_trip(&format!("BEGIN;\n{up}\nCOMMIT;"), &format!("BEGIN;\n{down}\nCOMMIT;"), "dbmate");

    let dir = tmp.path().join("golang-migrate");
    diff(old, &new, &catalog, &dir, "golang-migrate", None);
    assert_eq!(files(&dir), ["42_roles.down.sql", "42_roles.up.sql"]);
    round_trip(&read(&dir.join("42_roles.up.sql")), &read(&dir.join("42_roles.down.sql")), "golang-migrate");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

// ---- apply safety -------------------------------------------------------------------------------

#[test]
fn revoking_a_membership_from_a_user_needs_allow_drop() {
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    std::fs::write(&policy, "role grp {}\nrole sub { member of grp }\nuser u { member of grp }\n").unwrap();
    ok(&apply(&pg, &policy, &[]));
    std::fs::write(&policy, "role grp {}\nrole sub {}\nuser u {}\n").unwrap();
    let out = apply(&pg, &policy, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("--allow-drop") && err.contains(r#"REVOKE "grp" FROM "u";"#) && !err.contains(r#"FROM "sub""#),
        "{err}"
    );
    assert!(
        pg.query_bool(DB, "SELECT pg_has_role('u', 'grp', 'MEMBER') AND pg_has_role('sub', 'grp', 'MEMBER')"),
        "nothing applied"
    );
    let plan = rolec(&["plan", "--db", &pg.conn_str(DB), "--at", AT, s(&policy)]);
    assert!(
        text(&plan.stdout).contains(
            "-- revokes a membership from the login role `u` (a user)\n-- DESTRUCTIVE\nREVOKE \"grp\" FROM \"u\";"
        ),
        "{}",
        text(&plan.stdout)
    );
    ok(&apply(&pg, &policy, &["--allow-drop"]));
    assert!(
        pg.query_bool(DB, "SELECT NOT pg_has_role('u', 'grp', 'MEMBER') AND NOT pg_has_role('sub', 'grp', 'MEMBER')")
    );
    // A membership whose time window the policy closed is revoked without --allow-drop.
    std::fs::write(
        &policy,
        "role grp {}
role sub {}
user u { member of grp from 2025-01-01 until 2026-01-01 }
",
    )
    .unwrap();
    run_sql(&pg, "GRANT grp TO u", "grant");
    ok(&apply(&pg, &policy, &[]));
    assert!(pg.query_bool(DB, "SELECT NOT pg_has_role('u', 'grp', 'MEMBER')"));
}

#[test]
fn successor_reassigns_and_drops_what_a_role_owns_and_other_databases_stop_it() {
    let pg = PgCluster::start();
    pg.create_database("other");
    pg.create_database("third");
    run_sql(&pg, "CREATE ROLE app_old; ALTER DATABASE third OWNER TO app_old; CREATE ROLE app_heir; CREATE SCHEMA legacy AUTHORIZATION app_old; CREATE TABLE legacy.t(); ALTER TABLE legacy.t OWNER TO app_old; GRANT SELECT ON legacy.t TO app_heir;", "setup");
    pg.exec("other", "CREATE TABLE elsewhere(); ALTER TABLE elsewhere OWNER TO app_old; CREATE TABLE shared(); GRANT SELECT ON shared TO app_old;").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    std::fs::write(&policy, "role app_heir {}\n").unwrap();
    let manage = ["--manage", "app_*", "--allow-drop", "--successor", "app_heir"];

    // Objects in another database: stop, naming it.
    let out = apply(&pg, &policy, &manage);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "role `app_old` is to be dropped but owns 1 object and holds privileges on 1 object in database `other`"
        ),
        "{err}"
    );
    assert!(pg.query_bool(DB, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_old')"));

    pg.exec("other", "DROP TABLE elsewhere; DROP TABLE shared;").unwrap();
    // Without a successor: the blocker as before.
    let out = apply(&pg, &policy, &manage[..3]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--successor ROLE"), "{}", text(&out.stderr));
    // A successor that is itself dropped is refused.
    let out = apply(&pg, &policy, &["--manage", "app_*", "--allow-drop", "--successor", "app_old"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("that role is to be dropped"), "{}", text(&out.stderr));

    let out = apply(&pg, &policy, &manage);
    ok(&out);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("REASSIGN OWNED BY \"app_old\" TO \"app_heir\";\n")
            && shown.contains("DROP OWNED BY \"app_old\";\n")
            && shown.contains("other databases need the same"),
        "{shown}"
    );
    assert!(pg.query_bool(
        DB,
        "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_old')
            AND (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'legacy') = 'app_heir'
            AND (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'legacy.t'::regclass) = 'app_heir'
            AND (SELECT datdba::regrole::text FROM pg_database WHERE datname = 'third') = 'app_heir'"
    ));
    let (json, code) = check(&pg, &policy);
    assert_eq!(code, 0, "{:?}", problems(&json));

    // A role that owns only a database: without a successor, a clear message.
    run_sql(&pg, "CREATE ROLE app_dba; ALTER DATABASE third OWNER TO app_dba;", "setup");
    let out = apply(&pg, &policy, &manage[..3]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("role `app_dba` is to be dropped but owns database `third`"),
        "{}",
        text(&out.stderr)
    );
    ok(&apply(&pg, &policy, &manage));
    assert!(pg
        .query_bool(DB, "SELECT (SELECT datdba::regrole::text FROM pg_database WHERE datname = 'third') = 'app_heir'"));
}

// ---- the desired state ----------------------------------------------------------------------------

/// 2026-06-01T00:00:00Z, as `AT`.
const AT_EPOCH: i64 = 1_780_272_000;

/// The facts `apply` changes, in a comparable form (the ledger schema left out).
fn facts(s: &rolec::live::LiveState) -> String {
    use rolec::model::catalog::LiveObject;
    let mut roles = s.roles.clone();
    for r in &mut roles {
        r.valid_until = r.valid_until.as_ref().map(|_| "set".to_string());
        r.settings.sort();
    }
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    let mut memberships = s.memberships.clone();
    memberships.sort();
    let in_ledger = |o: &LiveObject| match o {
        LiveObject::Schema { name } => name == "rolec",
        LiveObject::Table { schema, .. } | LiveObject::Column { schema, .. } | LiveObject::Type { schema, .. } => {
            schema == "rolec"
        }
        _ => false,
    };
    let mut privileges: Vec<_> = s.privileges.iter().filter(|p| !in_ledger(&p.object)).cloned().collect();
    privileges.sort();
    privileges.dedup();
    let mut defaults = s.default_privileges.clone();
    for d in &mut defaults {
        d.acl.sort();
    }
    defaults.sort();
    format!("{roles:#?}\n{memberships:#?}\n{privileges:#?}\n{defaults:#?}")
}

/// The state `check`'s audit predicts is the state `apply` leaves, and it has no drift.
fn desired_state_is_what_apply_leaves(setup: &str, policy: &Path) {
    let pg = PgCluster::start();
    run_sql(&pg, setup, "setup");
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    let before = rolec::live::introspect(&mut c.client).unwrap();
    let options = rolec::model::BuildOptions { at: AT_EPOCH, target_version: pg.major(), ..Default::default() };
    let mut ws = rolec::db::Workspace::load(rolec::db::Sources::Paths(vec![policy.to_path_buf()]), options).unwrap();
    ws.set_catalog(Some(before.to_catalog()));
    let resolved = ws.resolved();
    let model = &resolved.model;
    let scope = rolec::live::Scope::new(
        model.roles.iter().map(|r| r.name.as_str()),
        model.external_roles.iter().map(String::as_str),
        &[],
        &before.current_user,
    )
    .unwrap();
    let audit = rolec::live::diff::audit(model, &before, &scope);
    assert!(!audit.plan.is_empty());
    let again = rolec::live::diff(model, &audit.desired, &scope);
    assert!(again.is_empty(), "the desired state needs no plan: {:?}", again.changes);

    ok(&apply(&pg, policy, &[]));
    let after = rolec::live::introspect(&mut c.client).unwrap();
    let (want, have) = (facts(&audit.desired), facts(&after));
    if want != have {
        let (w, h): (Vec<&str>, Vec<&str>) = (want.lines().collect(), have.lines().collect());
        let only_w: Vec<&&str> = w.iter().filter(|l| !h.contains(l)).collect();
        let only_h: Vec<&&str> = h.iter().filter(|l| !w.contains(l)).collect();
        panic!("predicted and applied states differ:\nonly predicted: {only_w:#?}\nonly applied: {only_h:#?}");
    }
    let (json, code) = check(&pg, policy);
    assert_eq!(code, 0, "{:?}", problems(&json));
}

#[test]
fn the_audited_desired_state_is_what_apply_leaves_for_the_hierarchy() {
    desired_state_is_what_apply_leaves(HIERARCHY_SETUP, &hierarchy());
}

#[test]
fn the_audited_desired_state_is_what_apply_leaves_for_the_live_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("fixture.role");
    std::fs::write(&policy, include_str!("fixtures/live/fixture.role")).unwrap();
    desired_state_is_what_apply_leaves(include_str!("fixtures/live/fixture.sql"), &policy);
}
