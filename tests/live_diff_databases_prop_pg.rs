//! The live commands over a policy that names two databases, against PostgreSQL. For random
//! policies (roles, memberships, and in each database its own random grants — the grants of
//! `support/live_diff.rs`, bulk grants and grant options included): an apply of the `rolec`
//! binary, then twice random grants and revokes made by hand in both databases and an apply
//! again. After each apply:
//! - `rolec plan` is empty (neither database's part undoes the other's);
//! - in each database, every answer of PostgreSQL (`has_table/column/sequence/function/
//!   schema/database_privilege` for every policy role × object × privilege, plainly and `WITH
//!   GRANT OPTION`) equals what that database's part of the policy means
//!   (`PrivilegeAnalysis::answer` of `Model::for_database`);
//! - when the hand changes before it changed an answer, `rolec check` before it reported drift.
//!
//! `PROPTEST_CASES` the number of policies (2 by default); `ROLEC_PG_BIN` the server.

#[allow(dead_code)]
#[path = "support/live_diff.rs"]
mod live_diff;
mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

use live_diff::{privilege, with_options};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rolec::analysis::privileges::{effective, ObjectRef, PrivilegeAnalysis};
use rolec::analysis::reach;
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use support::pg::{quote_ident as q, PgCluster};

const DATABASES: [&str; 2] = ["live", "live2"];
const AT: &str = "2026-06-01T00:00:00Z";
const MAX_ROLES: usize = 5;

/// Objects the hand changes grant and revoke on (`{db}`: the database they are made in), with
/// their privileges.
const OBJECTS: &[(&str, &[&str])] = &[
    ("TABLE s0.t0", &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]),
    ("TABLE s1.t0", &["SELECT", "INSERT", "DELETE", "TRIGGER"]),
    ("SEQUENCE s0.q", &["USAGE", "SELECT", "UPDATE"]),
    ("FUNCTION s0.f(integer)", &["EXECUTE"]),
    ("SCHEMA s0", &["USAGE", "CREATE"]),
    ("SCHEMA s1", &["USAGE", "CREATE"]),
    ("DATABASE {db}", &["CREATE", "CONNECT", "TEMPORARY"]),
];

/// One grant or revoke by hand: database, object, privilege and role (indexes, taken modulo),
/// with the grant option or not.
#[derive(Clone, Copy, Debug)]
struct Drift {
    database: usize,
    object: u32,
    privilege: u32,
    role: u32,
    grant: bool,
    option: bool,
}

#[derive(Clone, Debug)]
struct Case {
    n: usize,
    /// `r_i member of r_j` (j < i) at `i * (i - 1) / 2 + j`.
    edges: Vec<bool>,
    /// Per database, per role: indexes into the grant catalog.
    grants: Vec<Vec<Vec<usize>>>,
    /// The hand changes before the second and third apply.
    drift: Vec<Vec<Drift>>,
}

fn case(version: u32) -> impl Strategy<Value = Case> {
    let catalog = live_diff::grant_catalog(version).len();
    let grants = prop::collection::vec(prop::collection::vec(prop::collection::vec(0..catalog, 0..4), MAX_ROLES), 2);
    let drift = (0..2usize, any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), prop::bool::weighted(0.3))
        .prop_map(|(database, object, privilege, role, grant, option)| Drift {
            database,
            object,
            privilege,
            role,
            grant,
            option,
        });
    (
        3..=MAX_ROLES,
        prop::collection::vec(prop::bool::weighted(0.3), MAX_ROLES * (MAX_ROLES - 1) / 2),
        grants,
        prop::collection::vec(prop::collection::vec(drift, 1..6), 2),
    )
        .prop_map(|(n, edges, grants, drift)| Case { n, edges, grants, drift })
}

/// The policy of a case: the roles and memberships, and each database's block with its
/// inventory and grants.
fn policy_text(c: &Case, version: u32) -> String {
    let catalog = live_diff::grant_catalog(version);
    let mut out = format!("databases {}\n", DATABASES.join(", "));
    for i in 0..c.n {
        let _ = writeln!(out, "role r{i} {{");
        for j in 0..i {
            if c.edges[i * (i - 1) / 2 + j] {
                let _ = writeln!(out, "  member of r{j}");
            }
        }
        out.push_str("}\n");
    }
    for (d, db) in DATABASES.iter().enumerate() {
        let _ = writeln!(out, "in database {db} {{");
        out.push_str("  schema s0 {}\n  schema s1 {}\n  table s0.t0\n  table s0.t1\n  table s1.t0\n  view s0.v\n");
        out.push_str("  sequence s0.q\n  function s0.f(integer)\n");
        for (i, grants) in c.grants[d].iter().enumerate().take(c.n) {
            for &g in grants {
                let line = catalog[g].replace(" on database live", &format!(" on database {db}"));
                let (grant, option) = match line.strip_suffix(" with grant option") {
                    Some(g) => (g.to_string(), " with grant option"),
                    None => (line, ""),
                };
                let _ = writeln!(out, "  {grant} to r{i}{option}");
            }
        }
        out.push_str("}\n");
    }
    out
}

/// What each database's part of the policy means.
fn oracles(text: &str, version: u32) -> Vec<PrivilegeAnalysis> {
    let options = BuildOptions { target_version: version, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), options)
        .expect("in-memory sources load");
    let errors: Vec<String> = ws.diagnostics().iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "policy has errors: {errors:?}\n--- policy:\n{text}");
    let model = &ws.resolved().model;
    DATABASES
        .iter()
        .map(|db| {
            let part = model.for_database(Some(db));
            effective(&part, &reach(&part, version))
        })
        .collect()
}

/// A query of answers, and how a row names its object.
type Query = (String, fn(&[String]) -> ObjectRef);

/// Each row: role, schema, name, column or argument, privilege, answer.
fn queries(version: u32, db: &str) -> Vec<Query> {
    let mut tables = vec!["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];
    if version >= 17 {
        tables.push("MAINTAIN");
    }
    let roles = "pg_roles r";
    let policy_role = "r.rolname ~ '^r[0-9]+$'";
    let relations = "n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v')";
    vec![
        (
            format!("SELECT r.rolname, n.nspname, c.relname, c.relkind::text, p, has_table_privilege(r.oid, c.oid, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{}]) p WHERE {policy_role} AND {relations}", with_options(&tables)),
            |r| if r[3] == "v" { ObjectRef::View { schema: r[1].clone(), name: r[2].clone() } } else { ObjectRef::Table { schema: r[1].clone(), name: r[2].clone() } },
        ),
        (
            format!("SELECT r.rolname, n.nspname, c.relname, a.attname, p, has_column_privilege(r.oid, c.oid, a.attname, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0, unnest(ARRAY[{}]) p WHERE {policy_role} AND {relations}", with_options(&["SELECT", "INSERT", "UPDATE", "REFERENCES"])),
            |r| ObjectRef::Column { schema: r[1].clone(), table: r[2].clone(), column: r[3].clone() },
        ),
        (
            format!("SELECT r.rolname, 's0', 'q', '', p, has_sequence_privilege(r.oid, 's0.q', p) FROM {roles}, unnest(ARRAY[{}]) p WHERE {policy_role}", with_options(&["USAGE", "SELECT", "UPDATE"])),
            |r| ObjectRef::Sequence { schema: r[1].clone(), name: r[2].clone() },
        ),
        (
            format!("SELECT r.rolname, 's0', 'f', 'integer', p, has_function_privilege(r.oid, 's0.f(integer)', p) FROM {roles}, unnest(ARRAY[{}]) p WHERE {policy_role}", with_options(&["EXECUTE"])),
            |r| ObjectRef::Function { schema: r[1].clone(), name: r[2].clone(), args: vec![r[3].clone()] },
        ),
        (
            format!("SELECT r.rolname, s, '', '', p, has_schema_privilege(r.oid, s, p) FROM {roles}, unnest(ARRAY['s0','s1']) s, unnest(ARRAY[{}]) p WHERE {policy_role}", with_options(&["USAGE", "CREATE"])),
            |r| ObjectRef::Schema { name: r[1].clone() },
        ),
        (
            format!("SELECT r.rolname, '{db}', '', '', p, has_database_privilege(r.oid, '{db}', p) FROM {roles}, unnest(ARRAY[{}]) p WHERE {policy_role}", with_options(&["CREATE", "CONNECT", "TEMPORARY"])),
            |r| ObjectRef::Database { name: r[1].clone() },
        ),
    ]
}

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every answer of each database that differs from what its part of the policy means.
fn differences(pg: &PgCluster, version: u32, oracles: &[PrivilegeAnalysis]) -> Vec<String> {
    let mut problems = Vec::new();
    for (db, o) in DATABASES.iter().zip(oracles) {
        for (sql, object) in queries(version, db) {
            let rows: Vec<Vec<String>> = pg
                .simple_rows(db, &sql)
                .into_iter()
                .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
                .collect();
            assert!(!rows.is_empty(), "no rows: {sql}");
            for row in rows {
                let (role, (p, option), server) = (&row[0], privilege(&row[4]), row[5] == "t");
                let obj = object(&row);
                let ours = if option { o.answer_grant_option(role, p, &obj) } else { o.answer(role, p, &obj) };
                if server != ours.is_some() {
                    problems.push(format!("in {db}: {obj:?} {role} {}: server {server}, policy {ours:?}", row[4]));
                }
            }
        }
    }
    problems
}

/// One case: apply, then twice hand changes and apply again; the first problem, as text.
fn run(pg: &PgCluster, version: u32, c: &Case, policy: &Path, log: &mut String) -> Result<(), String> {
    let text_of_policy = policy_text(c, version);
    std::fs::write(policy, &text_of_policy).unwrap();
    let oracles = oracles(&text_of_policy, version);
    let conn = pg.conn_str("postgres");
    let live = |cmd: &str, extra: &[&str]| {
        let mut args = vec![cmd, "--db", conn.as_str(), "--at", AT];
        args.extend_from_slice(extra);
        args.push(policy.to_str().unwrap());
        rolec(&args)
    };
    for round in 0..=c.drift.len() {
        if round > 0 {
            for d in &c.drift[round - 1] {
                let db = DATABASES[d.database];
                let (object, privileges) = OBJECTS[d.object as usize % OBJECTS.len()];
                let object = object.replace("{db}", db);
                let p = privileges[d.privilege as usize % privileges.len()];
                let role = format!("r{}", d.role as usize % c.n);
                let sql = match (d.grant, d.option) {
                    (true, false) => format!("GRANT {p} ON {object} TO {}", q(&role)),
                    (true, true) => format!("GRANT {p} ON {object} TO {} WITH GRANT OPTION", q(&role)),
                    (false, _) => format!("REVOKE {p} ON {object} FROM {} CASCADE", q(&role)),
                };
                pg.exec(db, &sql).map_err(|e| format!("{sql} in {db}: {e}"))?;
                let _ = writeln!(log, "in {db}: {sql}");
            }
            let drifted = !differences(pg, version, &oracles).is_empty();
            let check = live("check", &[]);
            if drifted && check.status.code() != Some(2) {
                return Err(format!(
                    "round {round}: answers drifted but check exited {:?}:\n{}{}",
                    check.status.code(),
                    text(&check.stdout),
                    text(&check.stderr)
                ));
            }
        }
        let applied = live("apply", &[]);
        if !applied.status.success() {
            return Err(format!("apply {round} failed:\n{}{}", text(&applied.stdout), text(&applied.stderr)));
        }
        let problems = differences(pg, version, &oracles);
        if !problems.is_empty() {
            return Err(format!("after apply {round}:\n{}", problems.join("\n")));
        }
        let plan = live("plan", &["--detailed-exitcode"]);
        if plan.status.code() != Some(0) {
            return Err(format!(
                "after apply {round}, plan is not empty ({:?}):\n{}{}",
                plan.status.code(),
                text(&plan.stdout),
                text(&plan.stderr)
            ));
        }
    }
    Ok(())
}

/// Both databases afresh (from the template holding the inventory), and no roles but `before`.
fn reset(pg: &PgCluster, before: &[String]) {
    for db in DATABASES {
        pg.exec("postgres", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).expect("drop the database");
    }
    let extra: Vec<String> = pg
        .query_strings("postgres", "SELECT rolname FROM pg_roles ORDER BY 1")
        .into_iter()
        .filter(|r| !before.contains(r))
        .map(|r| q(&r))
        .collect();
    if !extra.is_empty() {
        pg.exec("postgres", &format!("DROP ROLE {}", extra.join(", "))).expect("drop the roles of the last case");
    }
    for db in DATABASES {
        pg.exec("postgres", &format!("CREATE DATABASE {db} TEMPLATE inventory")).expect("create the database");
    }
}

#[test]
fn two_databases_agree_with_their_parts_of_the_policy_over_hand_changes() {
    let pg = PgCluster::start();
    let version = pg.major().clamp(14, 18);
    pg.create_database("inventory");
    pg.exec("inventory", live_diff::SETUP).expect("create the inventory");
    let before = pg.query_strings("postgres", "SELECT rolname FROM pg_roles ORDER BY 1");
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let mut runner =
        TestRunner::new(Config { cases, max_shrink_iters: 16, failure_persistence: None, ..Config::default() });
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    let result = runner.run(&case(version), |c| {
        reset(&pg, &before);
        let mut log = String::new();
        run(&pg, version, &c, &policy, &mut log).map_err(|e| {
            let text = std::fs::read_to_string(&policy).unwrap_or_default();
            TestCaseError::fail(format!("{e}\n--- policy:\n{text}--- hand changes:\n{log}"))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
