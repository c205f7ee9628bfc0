//! The object-privilege analysis (`rolec::analysis::privileges`) against PostgreSQL itself:
//! for random policies over a fixed inventory (schemas s0, s1; tables s0.t0, s0.t1, s1.t0 with
//! columns a, b; view s0.v; sequence s0.q; function s0.f(integer)), after `up.sql` the
//! server's `has_table_privilege`, `has_column_privilege`, `has_sequence_privilege`,
//! `has_function_privilege`, `has_schema_privilege` and `has_database_privilege` must equal
//! the analyzer's answer for every policy role × object × privilege, asked both plainly and
//! `… WITH GRANT OPTION`.
//!
//! Objects created later: the policies also declare schema owners and creators (bulk grants
//! then imply default privileges) and `defaults for role C [in schema S]` blocks. After
//! `up.sql`, in a transaction that is rolled back, every creator role creates (after `SET
//! ROLE`) a table, a view, a sequence and a function in s0, s1 and s2 (a schema no default
//! privilege names, which stands for "any other schema") and a schema; the server's answers on
//! those must equal `PrivilegeAnalysis::answer_future` (and `answer_future_grant_option`).
//!
//! PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another server (16+ adds per-membership
//! options, 17 MAINTAIN). `PROPTEST_CASES` overrides the number of random policies (100, about
//! 10 s; `PROPTEST_CASES=2000` for a long run).

#[path = "privileges_pg/queries.rs"]
mod queries;
mod support;

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use queries::{create_future_objects, future_queries, privilege, queries, rows};
use rolec::analysis::privileges::{
    effective, FutureGrounds, FutureKind, FutureObject, Grounds, ObjectRef, PrivilegeAnalysis,
};
use rolec::analysis::reach;
use rolec::db::{Sources, Workspace};
use rolec::model::catalog::Catalog;
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
CREATE FUNCTION s0.g(bigint, numeric) RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE SCHEMA s2;
GRANT USAGE, CREATE ON SCHEMA s2 TO PUBLIC;
-- The validators of sql and plpgsql check that the creator may EXECUTE the new function,
-- which one whose default privileges revoke EXECUTE from itself and from PUBLIC may not: a
-- language without a validator for the functions created later.
CREATE FUNCTION public.nv_handler() RETURNS language_handler AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE C;
CREATE TRUSTED LANGUAGE plnv HANDLER public.nv_handler;
";

/// PUBLIC's built-in privileges on the objects the policies grant on and revoke from PUBLIC
/// (CREATE on schema `public` up to 14).
fn restore_public(version: u32) -> String {
    let create = if version >= 15 {
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
    } else {
        "GRANT CREATE ON SCHEMA public TO PUBLIC"
    };
    format!("GRANT EXECUTE ON FUNCTION s0.f(integer), s0.g(bigint, numeric) TO PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE postgres TO PUBLIC; {create};")
}

const INVENTORY: &str = "schema s0 {}\nschema s1 {}\ntable s0.t0\ntable s0.t1\ntable s1.t0\nview s0.v\nsequence s0.q\nfunction s0.f(integer)\n";

fn target_version(pg: &PgCluster) -> u32 {
    pg.major().clamp(14, 18)
}

fn role_list(pg: &PgCluster) -> Vec<String> {
    pg.query_strings(DB, "SELECT rolname FROM pg_roles ORDER BY 1")
}

struct Built {
    analysis: PrivilegeAnalysis,
    up: String,
    down: String,
    /// Declared schema owners: (schema, owner).
    owners: Vec<(String, String)>,
    /// Roles whose future objects the policy says something about: schema owners and
    /// creators, `defaults for role` roles.
    creators: Vec<String>,
}

/// Compiles a policy as `rolec build [--catalog FILE]` does.
fn build(text: &str, catalog: Option<&str>, version: u32) -> Built {
    let options = BuildOptions { target_version: version, ..Default::default() };
    let mut ws = Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), options)
        .expect("in-memory sources load");
    if let Some(json) = catalog {
        ws.set_catalog(Some(Catalog::parse(json).unwrap_or_else(|e| panic!("{e}\n{json}"))));
    }
    let errors: Vec<String> = ws
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    assert!(errors.is_empty(), "policy has errors: {errors:?}\n--- policy:\n{text}");
    let model = ws.resolved().model.clone();
    let (up, down) = ws.render_scripts(&|_| None);
    let (up, down) =
        (up.unwrap_or_else(|d| panic!("up.sql: {d:?}")), down.unwrap_or_else(|d| panic!("down.sql: {d:?}")));
    let analysis = effective(&model, &reach(&model, version));
    // The tracked query gives the same answer.
    let tracked = rolec::db::privilege_analysis(&ws.db, ws.policy);
    assert_eq!(&analysis, tracked.as_ref());
    let owners = model.schemas.iter().filter_map(|s| Some((s.name.clone(), s.owner.clone()?))).collect();
    let mut creators: Vec<String> = model
        .schemas
        .iter()
        .flat_map(|s| s.creator_roles().cloned())
        .chain(model.default_privileges.iter().map(|d| d.owner.clone()))
        .collect();
    creators.sort();
    creators.dedup();
    Built { analysis, up, down, owners, creators }
}

/// Counts of answers compared and of their grounds, for the report.
#[derive(Default)]
struct Tally {
    compared: usize,
    future: usize,
    options: usize,
    grounds: std::collections::BTreeMap<String, usize>,
}

impl Tally {
    fn count<T: std::fmt::Debug>(&mut self, prefix: &str, ours: &Option<T>) {
        let kind = match ours {
            None => "false".to_string(),
            Some(g) => format!("{prefix}{}", format!("{g:?}").split([' ', '(', '{']).next().unwrap_or_default()),
        };
        *self.grounds.entry(kind).or_default() += 1;
    }
}

/// What a catalog snapshot says of the inventory: its JSON, and the statements that make the
/// test server so (the owners it names).
#[derive(Default)]
struct CatalogSpec {
    json: Option<String>,
    owners: Vec<String>,
}

/// Applies `up.sql`; in a transaction: gives the declared schemas their owners, and the
/// objects the owners the catalog names, compares every answer on the existing objects,
/// creates the future objects as their creators, compares every answer on those, rolls back;
/// runs `down.sql` and restores PUBLIC's built-in privileges. Returns the number of answers.
fn differential(
    pg: &PgCluster,
    text: &str,
    catalog: &CatalogSpec,
    before: &[String],
    expected_roles: usize,
    tally: &mut Tally,
) -> Result<usize, String> {
    let version = target_version(pg);
    let built = build(text, catalog.json.as_deref(), version);
    pg.exec(DB, &built.up)
        .map_err(|e| format!("up.sql failed: {e}\n--- policy:\n{text}\n--- up.sql:\n{}", built.up))?;
    let mut problems = Vec::new();
    let mut results = Vec::new();
    let mut future = Vec::new();
    {
        let mut client = pg.client(DB);
        let mut tx = client.transaction().map_err(|e| e.to_string())?;
        let mut run = || -> Result<(), String> {
            for (schema, owner) in &built.owners {
                tx.batch_execute(&format!("ALTER SCHEMA {schema} OWNER TO {owner}"))
                    .map_err(|e| format!("schema owner: {}", support::pg::error_text(&e)))?;
            }
            for sql in &catalog.owners {
                tx.batch_execute(sql).map_err(|e| format!("{sql}: {}", support::pg::error_text(&e)))?;
            }
            for (name, sql, object) in queries(version) {
                results.push((name, rows(&mut tx, &sql)?, object));
            }
            let create = create_future_objects(&built.creators);
            tx.batch_execute(&create).map_err(|e| {
                format!("creating the future objects failed: {}\n{create}", support::pg::error_text(&e))
            })?;
            for (name, sql, kind) in future_queries(version) {
                future.push((name, rows(&mut tx, &sql)?, kind));
            }
            Ok(())
        };
        if let Err(e) = run() {
            problems.push(e);
        }
        let _ = tx.rollback();
    }
    let down = pg.exec(DB, &built.down);
    // down.sql undoes a PUBLIC grant after a PUBLIC revoke of a built-in privilege by revoking
    // it: the next policy starts from the built-in privileges again.
    pg.exec(DB, &restore_public(version)).expect("restore PUBLIC's built-in privileges");
    let after = role_list(pg);
    if let Err(e) = down {
        problems.push(format!("down.sql failed: {e}\n--- down.sql:\n{}", built.down));
    } else if after != before {
        problems.push(format!("down.sql left the roles {after:?}, expected {before:?}"));
    }
    let mut compared = 0;
    for (name, rows, object) in &results {
        let mut roles = std::collections::BTreeSet::new();
        for row in rows {
            let (role, (p, option), server) = (&row[0], privilege(&row[4]), row[5] == "t");
            let obj = object(row);
            let ours = if option {
                built.analysis.answer_grant_option(role, p, &obj)
            } else {
                built.analysis.answer(role, p, &obj)
            };
            roles.insert(role.clone());
            compared += 1;
            tally.options += option as usize;
            tally.count(if option { "option:" } else { "" }, &ours);
            if server != ours.is_some() {
                problems.push(format!("{name}({role}, {obj:?}, {}): server {server}, analyzer {ours:?}", row[4]));
            }
        }
        if roles.len() != expected_roles {
            problems.push(format!("{name}: rows for {} roles, expected {expected_roles}", roles.len()));
        }
    }
    let mut objects = std::collections::BTreeSet::new();
    for (name, rows, kind) in &future {
        for row in rows {
            let (role, schema, object, (p, option), server) =
                (&row[0], &row[1], &row[2], privilege(&row[3]), row[4] == "t");
            let creator = object.split_once('_').map(|(_, c)| c.to_string()).unwrap_or_default();
            // s2: a schema that no default privilege names.
            let schema = (schema != "s2" && !schema.is_empty()).then(|| schema.clone());
            let obj = FutureObject { kind: *kind, schema, creator };
            let ours = if option {
                built.analysis.answer_future_grant_option(role, p, &obj)
            } else {
                built.analysis.answer_future(role, p, &obj)
            };
            objects.insert((row[1].clone(), object.clone()));
            compared += 1;
            tally.future += 1;
            tally.options += option as usize;
            tally.count(if option { "future option:" } else { "future:" }, &ours);
            if server != ours.is_some() {
                problems.push(format!(
                    "{name}({role}, {obj:?} `{}.{object}`, {}): server {server}, analyzer {ours:?}",
                    row[1], row[3]
                ));
            }
        }
    }
    let expected_objects = built.creators.len() * 13;
    if objects.len() != expected_objects {
        problems.push(format!("{} future objects answered, expected {expected_objects}", objects.len()));
    }
    tally.compared += compared;
    if problems.is_empty() {
        Ok(compared)
    } else {
        Err(format!(
            "PostgreSQL {} (target {version}) disagrees:\n  {}\n--- policy:\n{text}",
            pg.major(),
            problems.join("\n  ")
        ))
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
        "grant execute on function s0.f(int4)",
        "grant execute on function s0.g(int8, numeric(10, 2))",
        "grant execute on function s0.g(bigint, decimal) with grant option",
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
        "grant insert, update on tables in schema s1 with grant option",
        "grant usage on schema s0 with grant option",
        "grant execute on function s0.f(integer) with grant option",
        "grant update on column (a) of table s0.t1 with grant option",
        "grant connect, temporary on database postgres with grant option",
        "grant usage on sequence s0.q with grant option",
        "grant all on sequences in schema s0 with grant option",
    ];
    if version >= 17 {
        g.extend([
            "grant maintain on table s0.t0",
            "grant maintain on tables in schema s1",
            "grant maintain on table s0.t1 with grant option",
        ]);
    }
    g
}

/// Entries of `defaults for role C [in schema S]` blocks: `{g}` is a random role, `{o}` the
/// block's role. The first `SCOPED` may also appear with `in schema` (grants, not on schemas).
fn defaults_catalog(version: u32) -> Vec<&'static str> {
    let mut d = vec![
        "grant select on tables to {g}",
        "grant insert, update on tables to {g} with grant option",
        "grant all on tables to {g}",
        "grant usage on sequences to {g}",
        "grant select, update on sequences to {g} with grant option",
        "grant execute on functions to {g}",
        "grant execute on routines to {g} with grant option",
        "grant select on tables to public",
        "grant execute on functions to public",
        "grant usage on sequences to public",
        "grant trigger on tables to {o}",
        // Global only.
        "grant usage on schemas to {g}",
        "grant create on schemas to {g} with grant option",
        "revoke execute on functions from public",
        "revoke all on tables from {o}",
        "revoke select, insert on tables from {o}",
        "revoke select on tables from {g}",
        "revoke usage on sequences from {g}",
        "revoke execute on functions from {o}",
        "revoke usage on schemas from {o}",
        "revoke all on sequences from {o}",
    ];
    if version >= 17 {
        d.insert(SCOPED, "grant maintain on tables to {g}");
    }
    d
}

const SCOPED: usize = 11;

/// `schema sK { owner …, creators […] }`: role indexes.
#[derive(Clone, Debug)]
struct SchemaSpec {
    owner: Option<usize>,
    creators: Vec<usize>,
}

/// `defaults for role r{owner} [in schema s{schema}] { … }`: (entry, grantee role) pairs.
#[derive(Clone, Debug)]
struct DefaultsSpec {
    owner: usize,
    schema: Option<usize>,
    entries: Vec<(usize, usize)>,
}

/// Statements of the `public` block, in any order and number: grants and revokes of the same
/// privilege meet (the last one wins), routines under every spelling of their signature.
const PUBLIC: &[&str] = &[
    "grant select on table s1.t0",
    "revoke select on table s1.t0",
    "revoke execute on function s0.f(integer)",
    "revoke execute on function s0.f(int4)",
    "grant execute on function s0.f(int)",
    "revoke execute on function s0.g(int8, numeric(10, 2))",
    "grant execute on function s0.g(bigint, numeric)",
    "revoke connect on database postgres",
    "revoke temporary on database postgres",
    "grant temporary on database postgres",
    "grant create on database postgres",
    "revoke create on database postgres",
    "grant usage on schema s1",
    "revoke usage on schema s1",
    "grant create on schema public",
    "revoke create on schema public",
    "grant update on column (b) of table s0.t1",
    "revoke update on table s0.t1",
    "grant insert on tables in schema s0",
    "revoke insert on table s0.t0",
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
    schemas: Vec<SchemaSpec>,
    defaults: Vec<DefaultsSpec>,
    /// Owners the catalog names (role indexes), one per [`CATALOG_OBJECTS`] entry.
    owners: Vec<Option<usize>>,
}

/// The inventory as the catalog lists it: kind, schema, name, arguments (spelled otherwise
/// than in the policy), and the statement that gives it an owner.
const CATALOG_OBJECTS: &[(&str, &str, &str, &[&str], &str)] = &[
    ("table", "s0", "t0", &[], "ALTER TABLE s0.t0 OWNER TO"),
    ("table", "s0", "t1", &[], "ALTER TABLE s0.t1 OWNER TO"),
    ("table", "s1", "t0", &[], "ALTER TABLE s1.t0 OWNER TO"),
    ("view", "s0", "v", &[], "ALTER VIEW s0.v OWNER TO"),
    ("sequence", "s0", "q", &[], "ALTER SEQUENCE s0.q OWNER TO"),
    ("function", "s0", "f", &["int4"], "ALTER FUNCTION s0.f(integer) OWNER TO"),
    ("function", "s0", "g", &["int8", "numeric(12,4)"], "ALTER FUNCTION s0.g(bigint, numeric) OWNER TO"),
];

/// The catalog of a case: every inventory object and schema, owners where the case names one
/// (a schema's only when the policy declares none).
fn catalog_spec(c: &Case) -> CatalogSpec {
    let mut spec = CatalogSpec::default();
    let owner = |k: usize| c.owners[k].map(|o| format!("r{}", o % c.n));
    let mut objects = Vec::new();
    for (k, (kind, schema, name, args, alter)) in CATALOG_OBJECTS.iter().enumerate() {
        let mut o = serde_json::json!({ "kind": kind, "schema": schema, "name": name, "args": args });
        if let Some(r) = owner(k) {
            o["owner"] = r.clone().into();
            spec.owners.push(format!("{alter} {r}"));
        }
        objects.push(o);
    }
    let mut schemas = Vec::new();
    for (k, sc) in c.schemas.iter().enumerate() {
        let mut o = serde_json::json!({ "name": format!("s{k}") });
        if let Some(r) = owner(CATALOG_OBJECTS.len() + k).filter(|_| sc.owner.is_none()) {
            o["owner"] = r.clone().into();
            spec.owners.push(format!("ALTER SCHEMA s{k} OWNER TO {r}"));
        }
        schemas.push(o);
    }
    let json = serde_json::json!({ "format": "rolec-catalog/1", "schemas": schemas, "objects": objects });
    spec.json = Some(json.to_string());
    spec
}

const MAX_ROLES: usize = 10;

fn case(version: u32) -> impl Strategy<Value = Case> {
    let catalog = grant_catalog(version).len();
    let role = (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.05),
        prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
        prop::collection::btree_set(0..catalog, 0..4),
    )
        .prop_map(|(user, noinherit, superuser, predefined, grants)| RoleSpec {
            user,
            noinherit,
            superuser,
            predefined,
            grants: grants.into_iter().collect(),
        });
    let edge = prop::option::weighted(0.3, prop_oneof![2 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))]);
    let public = prop_oneof![1 => Just(Vec::new()), 2 => prop::collection::vec(0..PUBLIC.len(), 1..7)];
    let owners = prop::collection::vec(prop::option::weighted(0.3, 0..MAX_ROLES), CATALOG_OBJECTS.len() + 2);
    // Role indexes are taken modulo the number of roles.
    let schema = (prop::option::weighted(0.6, 0..MAX_ROLES), prop::collection::btree_set(0..MAX_ROLES, 0..3))
        .prop_map(|(owner, creators)| SchemaSpec { owner, creators: creators.into_iter().collect() });
    let entries = defaults_catalog(version).len();
    let defaults =
        (0..MAX_ROLES, prop::option::weighted(0.5, 0..2usize), prop::collection::vec((0..entries, 0..MAX_ROLES), 1..5))
            .prop_map(|(owner, schema, entries)| DefaultsSpec { owner, schema, entries });
    (
        (
            5..=MAX_ROLES,
            prop::collection::vec(role, MAX_ROLES),
            prop::collection::vec(edge, MAX_ROLES * (MAX_ROLES - 1) / 2),
            public,
        ),
        prop::collection::vec(schema, 2),
        prop::collection::vec(defaults, 0..4),
        owners,
    )
        .prop_map(|((n, roles, edges, public), schemas, defaults, owners)| Case {
            n,
            roles,
            edges,
            public,
            schemas,
            defaults,
            owners,
        })
}

fn policy_text(c: &Case, version: u32) -> String {
    let catalog = grant_catalog(version);
    let defaults = defaults_catalog(version);
    let scoped = SCOPED + usize::from(version >= 17);
    let mut out = String::from("table s0.t0\ntable s0.t1\ntable s1.t0\nview s0.v\nsequence s0.q\nfunction s0.f(integer)\nfunction s0.g(bigint, numeric(10, 2))\n");
    for (k, sc) in c.schemas.iter().enumerate() {
        let mut parts = Vec::new();
        if let Some(o) = sc.owner {
            parts.push(format!("owner r{}", o % c.n));
        }
        let creators: Vec<String> = sc.creators.iter().map(|r| format!("r{}", r % c.n)).collect();
        if !creators.is_empty() {
            parts.push(format!("creators [{}]", creators.join(", ")));
        }
        let _ = writeln!(out, "schema s{k} {{ {} }}", parts.join(", "));
    }
    for d in &c.defaults {
        let owner = format!("r{}", d.owner % c.n);
        let scope = d.schema.map(|s| format!(" in schema s{s}")).unwrap_or_default();
        let _ = writeln!(out, "defaults for role {owner}{scope} {{");
        for &(e, g) in &d.entries {
            let e = if d.schema.is_some() { e % scoped } else { e };
            let _ = writeln!(out, "  {}", defaults[e].replace("{g}", &format!("r{}", g % c.n)).replace("{o}", &owner));
        }
        out.push_str("}\n");
    }
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
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let mut runner =
        TestRunner::new(Config { cases, max_shrink_iters: 32, failure_persistence: None, ..Config::default() });
    let tally = std::cell::RefCell::new(Tally::default());
    let result = runner.run(&case(version), |c| {
        let text = policy_text(&c, version);
        differential(&pg, &text, &catalog_spec(&c), &before, c.n, &mut tally.borrow_mut()).map_err(|e| {
            eprintln!("{e}");
            TestCaseError::fail(e)
        })?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = tally.into_inner();
    eprintln!(
        "PostgreSQL {}: {cases} random policies, {} answers compared ({} on objects created later, {} WITH GRANT OPTION) in {:?}; answers by grounds: {:?}",
        pg.major(),
        tally.compared,
        tally.future,
        tally.options,
        started.elapsed(),
        tally.grounds
    );
    // Not vacuous: both answers, grants, default privileges and grant options occur.
    if cases >= 10 {
        for kind in [
            "false",
            "Grant",
            "Owner",
            "option:Owner",
            "Public",
            "BuiltinPublic",
            "option:Grant",
            "future:Default",
            "future:Owner",
            "future:DefaultPublic",
            "future:BuiltinPublic",
            "future option:Owner",
            "future option:Default",
        ] {
            assert!(tally.grounds.get(kind).copied().unwrap_or(0) > 0, "no {kind} answers: {:?}", tally.grounds);
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
    )
    .replace("schema s0 {}", "schema s0 { owner r5 }")
        + "role r5\nrole r6 { grant select on table s0.t0 with grant option }\ndefaults for role r5 {\n  revoke execute on functions from public\n  grant execute on functions to r6 with grant option\n}\n";
    let n = differential(&pg, &text, &CatalogSpec::default(), &before, 7, &mut Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let built = build(&text, None, version);
    let t0 = ObjectRef::Table { schema: "s0".into(), name: "t0".into() };
    let a = &built.analysis;
    assert!(
        matches!(a.answer("r1", Privilege::Select, &t0), Some(Grounds::Grant { bulk: true, .. })),
        "{}",
        describe(&a.answer("r1", Privilege::Select, &t0))
    );
    assert_eq!(a.answer("r2", Privilege::Select, &t0), None);
    assert!(matches!(a.answer("r3", Privilege::Select, &t0), Some(Grounds::Predefined { .. })));
    let f = ObjectRef::Function { schema: "s0".into(), name: "f".into(), args: vec!["integer".into()] };
    assert_eq!(a.answer("r4", Privilege::Execute, &f), None);
    // Grant options, and objects r5 creates later.
    assert!(matches!(a.answer_grant_option("r6", Privilege::Select, &t0), Some(Grounds::Grant { .. })));
    assert_eq!(a.answer_grant_option("r0", Privilege::Select, &t0), None);
    let later = |kind, schema: &str| FutureObject { kind, schema: Some(schema.into()), creator: "r5".into() };
    assert!(matches!(
        a.answer_future("r1", Privilege::Select, &later(FutureKind::Table, "s0")),
        Some(FutureGrounds::Default { .. })
    ));
    assert_eq!(a.answer_future("r1", Privilege::Select, &later(FutureKind::Table, "s1")), None);
    assert_eq!(a.answer_future("r1", Privilege::Execute, &later(FutureKind::Function, "s1")), None);
    assert!(matches!(
        a.answer_future_grant_option("r6", Privilege::Execute, &later(FutureKind::Function, "s1")),
        Some(FutureGrounds::Default { .. })
    ));
    assert!(matches!(
        a.answer_future_grant_option("r5", Privilege::Select, &later(FutureKind::Table, "s1")),
        Some(FutureGrounds::Owner { .. })
    ));
    eprintln!("PostgreSQL {}: hand-written policy, {n} answers compared", pg.major());
}
