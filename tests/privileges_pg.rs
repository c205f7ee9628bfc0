//! The object-privilege analysis (`rolec::analysis::privileges`) against PostgreSQL itself:
//! for random policies over a fixed inventory (schemas s0, s1; tables s0.t0, s0.t1, s1.t0 with
//! columns a, b; view s0.v; sequence s0.q; function s0.f(integer)), after `up.sql` the
//! server's `has_table_privilege`, `has_column_privilege`, `has_sequence_privilege`,
//! `has_function_privilege`, `has_schema_privilege` and `has_database_privilege` must equal
//! the analyzer's answer for every policy role × object × privilege.
//!
//! PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another server (16+ adds per-membership
//! options, 17 MAINTAIN). `PROPTEST_CASES` overrides the number of random policies (20).

mod support;

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rolec::analysis::privileges::{effective, Grounds, ObjectRef, PrivilegeAnalysis};
use rolec::analysis::reach;
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use rolec::syntax::ast::Privilege;
use support::pg::PgCluster;

const DB: &str = "postgres";

const SETUP: &str = "
CREATE SCHEMA s0;
CREATE SCHEMA s1;
CREATE TABLE s0.t0 (a int, b int);
CREATE TABLE s0.t1 (a int, b int);
CREATE TABLE s1.t0 (a int, b int);
CREATE VIEW s0.v AS SELECT a, b FROM s0.t0;
CREATE SEQUENCE s0.q;
CREATE FUNCTION s0.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1';
";

const INVENTORY: &str = "schema s0 {}\nschema s1 {}\ntable s0.t0\ntable s0.t1\ntable s1.t0\nview s0.v\nsequence s0.q\nfunction s0.f(integer)\n";

fn target_version(pg: &PgCluster) -> u32 {
    pg.major().clamp(14, 18)
}

fn role_list(pg: &PgCluster) -> Vec<String> {
    pg.query_strings(DB, "SELECT rolname FROM pg_roles ORDER BY 1")
}

fn privilege(name: &str) -> Privilege {
    match name {
        "SELECT" => Privilege::Select,
        "INSERT" => Privilege::Insert,
        "UPDATE" => Privilege::Update,
        "DELETE" => Privilege::Delete,
        "TRUNCATE" => Privilege::Truncate,
        "REFERENCES" => Privilege::References,
        "TRIGGER" => Privilege::Trigger,
        "MAINTAIN" => Privilege::Maintain,
        "USAGE" => Privilege::Usage,
        "CREATE" => Privilege::Create,
        "CONNECT" => Privilege::Connect,
        "TEMPORARY" => Privilege::Temporary,
        "EXECUTE" => Privilege::Execute,
        other => panic!("unknown privilege {other}"),
    }
}

fn table_privileges(version: u32) -> &'static str {
    if version >= 17 {
        "'SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER','MAINTAIN'"
    } else {
        "'SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER'"
    }
}

/// One query per kind; each row: role, object parts, privilege, answer. The object is built
/// from the row by the closure.
/// A `has_*_privilege` function's name, its query, and how a row names the object.
type Query = (&'static str, String, fn(&[String]) -> ObjectRef);

fn queries(version: u32) -> Vec<Query> {
    let roles = "pg_roles r";
    let role_filter = "r.rolname ~ '^r[0-9]+$'";
    vec![
        (
            "has_table_privilege",
            format!(
                "SELECT r.rolname, n.nspname, c.relname, c.relkind::text, p, has_table_privilege(r.oid, c.oid, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{}]) p WHERE {role_filter} AND n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v') ORDER BY 1, 2, 3, 5",
                table_privileges(version)
            ),
            |r| if r[3] == "v" { ObjectRef::View { schema: r[1].clone(), name: r[2].clone() } } else { ObjectRef::Table { schema: r[1].clone(), name: r[2].clone() } },
        ),
        (
            "has_column_privilege",
            format!(
                "SELECT r.rolname, n.nspname, c.relname, a.attname, p, has_column_privilege(r.oid, c.oid, a.attname, p) FROM {roles}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0, unnest(ARRAY['SELECT','INSERT','UPDATE','REFERENCES']) p WHERE {role_filter} AND n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v') ORDER BY 1, 2, 3, 4, 5"
            ),
            |r| ObjectRef::Column { schema: r[1].clone(), table: r[2].clone(), column: r[3].clone() },
        ),
        (
            "has_sequence_privilege",
            format!(
                "SELECT r.rolname, 's0', 'q', '', p, has_sequence_privilege(r.oid, 's0.q', p) FROM {roles}, unnest(ARRAY['USAGE','SELECT','UPDATE']) p WHERE {role_filter} ORDER BY 1, 5"
            ),
            |r| ObjectRef::Sequence { schema: r[1].clone(), name: r[2].clone() },
        ),
        (
            "has_function_privilege",
            format!("SELECT r.rolname, 's0', 'f', 'integer', 'EXECUTE', has_function_privilege(r.oid, 's0.f(integer)', 'EXECUTE') FROM {roles} WHERE {role_filter} ORDER BY 1"),
            |r| ObjectRef::Function { schema: r[1].clone(), name: r[2].clone(), args: vec![r[3].clone()] },
        ),
        (
            "has_schema_privilege",
            format!(
                "SELECT r.rolname, s, '', '', p, has_schema_privilege(r.oid, s, p) FROM {roles}, unnest(ARRAY['s0','s1','public']) s, unnest(ARRAY['USAGE','CREATE']) p WHERE {role_filter} ORDER BY 1, 2, 5"
            ),
            |r| ObjectRef::Schema { name: r[1].clone() },
        ),
        (
            "has_database_privilege",
            format!(
                "SELECT r.rolname, 'postgres', '', '', p, has_database_privilege(r.oid, 'postgres', p) FROM {roles}, unnest(ARRAY['CREATE','CONNECT','TEMPORARY']) p WHERE {role_filter} ORDER BY 1, 5"
            ),
            |r| ObjectRef::Database { name: r[1].clone() },
        ),
    ]
}

struct Built {
    analysis: PrivilegeAnalysis,
    up: String,
    down: String,
}

fn build(text: &str, version: u32) -> Built {
    let options = BuildOptions { target_version: version, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), options).expect("in-memory sources load");
    let errors: Vec<String> = ws.diagnostics().iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code.as_str(), d.message)).collect();
    assert!(errors.is_empty(), "policy has errors: {errors:?}\n--- policy:\n{text}");
    let model = ws.resolved().model.clone();
    let (up, down) = ws.render_scripts(&|_| None);
    let (up, down) = (up.unwrap_or_else(|d| panic!("up.sql: {d:?}")), down.unwrap_or_else(|d| panic!("down.sql: {d:?}")));
    let analysis = effective(&model, &reach(&model, version));
    // The tracked query gives the same answer.
    let tracked = rolec::db::privilege_analysis(&ws.db, ws.policy);
    assert_eq!(&analysis, tracked.as_ref());
    Built { analysis, up, down }
}

/// Applies `up.sql`, compares every answer, runs `down.sql`; returns the number of answers.
fn differential(pg: &PgCluster, text: &str, before: &[String], expected_roles: usize, tally: &mut std::collections::BTreeMap<String, usize>) -> Result<usize, String> {
    let version = target_version(pg);
    let built = build(text, version);
    pg.exec(DB, &built.up).map_err(|e| format!("up.sql failed: {e}\n--- policy:\n{text}\n--- up.sql:\n{}", built.up))?;
    let mut results = Vec::new();
    for (name, sql, object) in queries(version) {
        results.push((name, pg.simple_rows(DB, &sql), object));
    }
    let down = pg.exec(DB, &built.down);
    let after = role_list(pg);
    let mut problems = Vec::new();
    if let Err(e) = down {
        problems.push(format!("down.sql failed: {e}\n--- down.sql:\n{}", built.down));
    } else if after != before {
        problems.push(format!("down.sql left the roles {after:?}, expected {before:?}"));
    }
    let mut compared = 0;
    for (name, rows, object) in &results {
        let mut roles = std::collections::BTreeSet::new();
        for row in rows {
            let row: Vec<String> = row.iter().map(|c| c.clone().unwrap_or_default()).collect();
            let (role, p, server) = (&row[0], privilege(&row[4]), row[5] == "t");
            let obj = object(&row);
            let ours = built.analysis.answer(role, p, &obj);
            roles.insert(role.clone());
            compared += 1;
            let kind = match &ours {
                None => "false".to_string(),
                Some(g) => format!("{g:?}").split([' ', '(', '{']).next().unwrap_or_default().to_string(),
            };
            *tally.entry(kind).or_default() += 1;
            if server != ours.is_some() {
                problems.push(format!("{name}({role}, {obj:?}, {}): server {server}, analyzer {ours:?}", row[4]));
            }
        }
        if roles.len() != expected_roles {
            problems.push(format!("{name}: rows for {} roles, expected {expected_roles}", roles.len()));
        }
    }
    if problems.is_empty() {
        Ok(compared)
    } else {
        Err(format!("PostgreSQL {} (target {version}) disagrees:\n  {}\n--- policy:\n{text}", pg.major(), problems.join("\n  ")))
    }
}

// ---- random policies ----------------------------------------------------------------------------

/// Grants a role may hold; `maintain` ones only on 17+.
fn grant_catalog(version: u32) -> Vec<&'static str> {
    let mut g = vec![
        "grant select on table s0.t0",
        "grant insert, update on table s0.t0",
        "grant all on table s0.t1",
        "grant delete, truncate, references, trigger on table s1.t0",
        "grant select on view s0.v",
        "grant all on view s0.v",
        "grant usage on sequence s0.q",
        "grant select, update on sequence s0.q",
        "grant all on sequence s0.q",
        "grant execute on function s0.f(integer)",
        "grant select on column (a) of table s0.t1",
        "grant update, references on columns (a, b) of table s1.t0",
        "grant insert on column (b) of table s0.t0",
        "grant select on column (a) of view s0.v",
        "grant usage on schema s0",
        "grant create on schema s1",
        "grant all on schema s1",
        "grant create on database postgres",
        "grant all on database postgres",
        "grant select on tables in schema s0",
        "grant insert, delete on tables in schema s1",
        "grant all on tables in schema s0",
        "grant execute on functions in schema s0",
        "grant usage, select on sequences in schema s0",
        "grant select on table s0.t0 with grant option",
    ];
    if version >= 17 {
        g.extend(["grant maintain on table s0.t0", "grant maintain on tables in schema s1"]);
    }
    g
}

/// Statements of the `public` block (each distinct in object and privilege, so that no grant
/// and revoke of the same privilege meet).
const PUBLIC: &[&str] = &[
    "grant select on table s1.t0",
    "revoke execute on function s0.f(integer)",
    "revoke connect on database postgres",
    "revoke temporary on database postgres",
    "grant usage on schema s1",
    "grant update on column (b) of table s0.t1",
    "grant insert on tables in schema s0",
];

#[derive(Clone, Debug)]
struct RoleSpec {
    user: bool,
    noinherit: bool,
    superuser: bool,
    /// 0: nothing, 1: pg_read_all_data, 2: pg_write_all_data, 3: pg_maintain (17+; else
    /// nothing), weighted towards 0.
    predefined: u8,
    grants: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Case {
    n: usize,
    roles: Vec<RoleSpec>,
    /// `r_i member of r_j` (j < i) at `i * (i - 1) / 2 + j`: `Some(inherit option)`.
    edges: Vec<Option<Option<bool>>>,
    public: Vec<usize>,
}

const MAX_ROLES: usize = 10;

fn case(version: u32) -> impl Strategy<Value = Case> {
    let catalog = grant_catalog(version).len();
    let role = (any::<bool>(), prop::bool::weighted(0.2), prop::bool::weighted(0.05), prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)], prop::collection::btree_set(0..catalog, 0..4))
        .prop_map(|(user, noinherit, superuser, predefined, grants)| RoleSpec { user, noinherit, superuser, predefined, grants: grants.into_iter().collect() });
    let edge = prop::option::weighted(0.3, prop_oneof![2 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))]);
    let public = prop_oneof![1 => Just(std::collections::BTreeSet::new()), 1 => prop::collection::btree_set(0..PUBLIC.len(), 1..4)];
    (5..=MAX_ROLES, prop::collection::vec(role, MAX_ROLES), prop::collection::vec(edge, MAX_ROLES * (MAX_ROLES - 1) / 2), public)
        .prop_map(|(n, roles, edges, public)| Case { n, roles, edges, public: public.into_iter().collect() })
}

fn policy_text(c: &Case, version: u32) -> String {
    let catalog = grant_catalog(version);
    let mut out = String::from(INVENTORY);
    for i in 0..c.n {
        let r = &c.roles[i];
        let _ = writeln!(out, "{} r{i} {{", if r.user { "user" } else { "role" });
        if r.noinherit {
            out.push_str("  noinherit\n");
        }
        if r.superuser {
            out.push_str("  superuser\n");
        }
        match r.predefined {
            1 => out.push_str("  member of pg_read_all_data\n"),
            2 => out.push_str("  member of pg_write_all_data\n"),
            3 if version >= 17 => out.push_str("  member of pg_maintain\n"),
            _ => {}
        }
        for j in 0..i {
            let Some(inherit) = c.edges[i * (i - 1) / 2 + j] else { continue };
            let _ = write!(out, "  member of r{j}");
            if version >= 16 {
                match inherit {
                    Some(true) => out.push_str(" inherit"),
                    Some(false) => out.push_str(" noinherit"),
                    None => {}
                }
            }
            out.push('\n');
        }
        for &g in &r.grants {
            let _ = writeln!(out, "  {}", catalog[g]);
        }
        out.push_str("}\n");
    }
    if !c.public.is_empty() {
        out.push_str("public {\n");
        for &p in &c.public {
            let _ = writeln!(out, "  {}", PUBLIC[p]);
        }
        out.push_str("}\n");
    }
    out
}

fn describe(g: &Option<Grounds>) -> String {
    format!("{g:?}")
}

#[test]
fn random_policies_agree_with_has_privilege() {
    let started = std::time::Instant::now();
    let pg = PgCluster::start();
    let version = target_version(&pg);
    pg.exec(DB, SETUP).expect("create the inventory");
    let before = role_list(&pg);
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 32, failure_persistence: None, ..Config::default() });
    let compared = std::cell::Cell::new(0usize);
    let tally = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let result = runner.run(&case(version), |c| {
        let text = policy_text(&c, version);
        let n = differential(&pg, &text, &before, c.n, &mut tally.borrow_mut()).map_err(TestCaseError::fail)?;
        compared.set(compared.get() + n);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = tally.into_inner();
    eprintln!("PostgreSQL {}: {cases} random policies, {} answers compared in {:?}; answers by grounds: {tally:?}", pg.major(), compared.get(), started.elapsed());
    // Not vacuous: both answers, and grants, occur.
    if cases >= 10 {
        for kind in ["false", "Grant", "BuiltinPublic"] {
            assert!(tally.get(kind).copied().unwrap_or(0) > 0, "no {kind} answers: {tally:?}");
        }
    }
}

#[test]
fn hand_written_policy_agrees_and_explains() {
    let pg = PgCluster::start();
    let version = target_version(&pg);
    pg.exec(DB, SETUP).expect("create the inventory");
    let before = role_list(&pg);
    let text = format!(
        "{INVENTORY}role r0 {{\n  grant select on tables in schema s0\n  grant usage on schema s0\n}}\nrole r1 {{ member of r0 }}\nrole r2 {{\n  noinherit\n  member of r0\n}}\nuser r3 {{ member of pg_read_all_data }}\nrole r4 {{ member of pg_write_all_data }}\npublic {{\n  revoke execute on function s0.f(integer)\n}}\n"
    );
    let n = differential(&pg, &text, &before, 5, &mut Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let built = build(&text, version);
    let t0 = ObjectRef::Table { schema: "s0".into(), name: "t0".into() };
    let a = &built.analysis;
    assert!(matches!(a.answer("r1", Privilege::Select, &t0), Some(Grounds::Grant { bulk: true, .. })), "{}", describe(&a.answer("r1", Privilege::Select, &t0)));
    assert_eq!(a.answer("r2", Privilege::Select, &t0), None);
    assert!(matches!(a.answer("r3", Privilege::Select, &t0), Some(Grounds::Predefined { .. })));
    let f = ObjectRef::Function { schema: "s0".into(), name: "f".into(), args: vec!["integer".into()] };
    assert_eq!(a.answer("r4", Privilege::Execute, &f), None);
    eprintln!("PostgreSQL {}: hand-written policy, {n} answers compared", pg.major());
}
