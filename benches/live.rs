//! Live benchmarks: `plan` and `apply` on a database with 5,000 roles and 50,000 grants.
//!
//! The generated policy: 200 group roles (NOLOGIN) and 4,800 users (LOGIN), each user a member
//! of one or two groups; every role has 10 object grants (tables, columns, sequences,
//! functions of 20 schemas) — 50,000 `grant`s in all — and the groups also have bulk grants.
//! The database (`setup`): the owner role `app_owner`, 20 schemas of 50 tables, 5 sequences and
//! 5 functions each.
//!
//! Each run starts throwaway clusters (tests/support/pg.rs: socket only, fsync off) and
//! measures, with medians over several runs:
//! 1. `plan, empty database`: introspection + diff against the setup alone (the model is
//!    compiled once, outside the timing; its compile time is printed separately);
//! 2. `plan, converged`: the same after the apply (the plan is empty);
//! 3. `apply from empty`: what `rolec apply` does after connecting (but compiling the policy):
//!    in one transaction the advisory lock, introspection, diff, the statements in batches of
//!    500 (one round trip each), the ledger;
//! 4. `psql -1 -f`: the same statements (the plan's SQL) run by psql in one transaction on a
//!    fresh database with the same setup.
//!
//! Targets: plan under 2 s; apply within 1.3× of psql. Run with `cargo bench --bench live`
//! (needs PostgreSQL binaries as the tests do: `ROLEC_PG_BIN`, and `psql` on PATH);
//! `-- --runs N` changes the number of runs (default 5; at most 5 applies and psql runs);
//! `-- --plan-only` stops after the plans against the empty database (for profiling).

/// The allocator of the `rolec` binary, so that the figures are those of the commands.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/support/pg.rs"]
#[allow(dead_code)]
mod pg;
#[path = "../tests/support/tls.rs"]
#[allow(dead_code)]
mod tls;

use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pg::PgCluster;
use rolec::db::{Sources, Workspace};
use rolec::live::{LiveState, Scope};
use rolec::model::{BuildOptions, Resolved};

const DB: &str = "postgres";
const SCHEMAS: usize = 20;
const TABLES: usize = 50;
const SEQUENCES: usize = 5;
const FUNCTIONS: usize = 5;
const GROUPS: usize = 200;
const USERS: usize = 4_800;
const GRANTS_PER_ROLE: usize = 10;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn setup_sql() -> String {
    let mut s = String::from("CREATE ROLE app_owner NOLOGIN;\n");
    for i in 0..SCHEMAS {
        writeln!(s, "CREATE SCHEMA s{i} AUTHORIZATION app_owner;").unwrap();
    }
    s.push_str("SET ROLE app_owner;\n");
    for i in 0..SCHEMAS {
        for t in 0..TABLES {
            writeln!(s, "CREATE TABLE s{i}.t{t} (id int, a text, b text);").unwrap();
        }
        for q in 0..SEQUENCES {
            writeln!(s, "CREATE SEQUENCE s{i}.q{q};").unwrap();
        }
        for f in 0..FUNCTIONS {
            writeln!(s, "CREATE FUNCTION s{i}.f{f}(x int) RETURNS int LANGUAGE sql AS 'select x';").unwrap();
        }
    }
    s.push_str("RESET ROLE;\n");
    s
}

/// The policy: one file of groups, one of users; returns it and the number of grants.
fn policy() -> (Vec<(String, String)>, usize) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut grants = 0;
    let grant = |rng: &mut Rng, out: &mut String| {
        let s = rng.below(SCHEMAS);
        match rng.below(10) {
            0..=5 => {
                let privs =
                    ["select", "select, insert", "select, update", "insert, update, delete", "all"][rng.below(5)];
                writeln!(out, "  grant {privs} on table s{s}.t{}", rng.below(TABLES)).unwrap();
            }
            6 => writeln!(out, "  grant select, update on column (a, b) of table s{s}.t{}", rng.below(TABLES)).unwrap(),
            7 => writeln!(out, "  grant usage on sequence s{s}.q{}", rng.below(SEQUENCES)).unwrap(),
            8 => writeln!(out, "  grant execute on function s{s}.f{}(int)", rng.below(FUNCTIONS)).unwrap(),
            _ => writeln!(out, "  grant usage on schema s{s}").unwrap(),
        }
    };
    let mut schemas = String::from("external role app_owner\n");
    for i in 0..SCHEMAS {
        writeln!(schemas, "schema s{i} {{ owner app_owner }}").unwrap();
    }
    let mut groups = String::new();
    for g in 0..GROUPS {
        writeln!(groups, "role g{g} {{").unwrap();
        if g % 10 == 0 {
            writeln!(groups, "  grant select on tables in schema s{}", g / 10 % SCHEMAS).unwrap();
        }
        for _ in 0..GRANTS_PER_ROLE {
            grant(&mut rng, &mut groups);
            grants += 1;
        }
        groups.push_str("}\n");
    }
    let mut users = String::new();
    for u in 0..USERS {
        let a = rng.below(GROUPS);
        let b = rng.below(GROUPS);
        writeln!(users, "user u{u} {{").unwrap();
        if a == b || u % 2 == 0 {
            writeln!(users, "  member of g{a}").unwrap();
        } else {
            writeln!(users, "  member of g{a}, g{b}").unwrap();
        }
        for _ in 0..GRANTS_PER_ROLE {
            grant(&mut rng, &mut users);
            grants += 1;
        }
        users.push_str("}\n");
    }
    (vec![("schemas.role".into(), schemas), ("groups.role".into(), groups), ("users.role".into(), users)], grants)
}

fn compile(files: &[(String, String)], state: &LiveState) -> Arc<Resolved> {
    let options = BuildOptions { target_version: state.major(), ..BuildOptions::default() };
    let mut ws = Workspace::load(Sources::Memory(files.to_vec()), options).expect("policy");
    ws.set_catalog(Some(state.to_catalog()));
    let resolved = ws.resolved();
    assert!(!resolved.diagnostics.iter().any(|d| d.is_error()), "the generated policy has errors");
    resolved
}

fn scope(model: &rolec::model::Model, state: &LiveState) -> Scope {
    Scope::new(
        model.roles.iter().map(|r| r.name.as_str()),
        model.external_roles.iter().map(String::as_str),
        &model.managed_globs,
        &state.current_user,
    )
    .unwrap()
}

fn fresh(setup: &str) -> PgCluster {
    let pg = PgCluster::start();
    pg.exec(DB, setup).expect("setup");
    pg.exec(DB, "CHECKPOINT").unwrap();
    pg
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Introspection + diff; returns (introspection, diff, plan).
fn plan(pg: &PgCluster, resolved: &Resolved) -> (Duration, Duration, rolec::live::ChangePlan) {
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    let t = Instant::now();
    let state = rolec::live::introspect(&mut c.client).unwrap();
    let introspect = t.elapsed();
    let t = Instant::now();
    let plan = rolec::live::diff(&resolved.model, &state, &scope(&resolved.model, &state));
    (introspect, t.elapsed(), plan)
}

fn main() {
    let mut runs = 5;
    let mut plan_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs);
        }
        plan_only |= a == "--plan-only";
    }
    let apply_runs = runs.clamp(1, 5);
    let setup = setup_sql();
    let (files, grants) = policy();

    let pg = fresh(&setup);
    let state = {
        let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
        rolec::live::introspect(&mut c.client).unwrap()
    };
    let t = Instant::now();
    let resolved = compile(&files, &state);
    let compile_time = t.elapsed();
    println!(
        "live bench: PostgreSQL {}, {} roles, {grants} grants ({} memberships), {} objects; policy compiled in {}",
        pg.major(),
        resolved.model.roles.len(),
        resolved.model.memberships.len(),
        state.objects.len(),
        secs(compile_time)
    );

    // 1. plan against the empty database.
    let mut empty = Vec::new();
    let mut breakdown = Vec::new();
    let mut statements = Vec::new();
    for _ in 0..runs {
        let (i, d, p) = plan(&pg, &resolved);
        empty.push(i + d);
        breakdown.push((i, d));
        statements = p.changes.iter().map(|c| c.sql.clone()).collect::<Vec<_>>();
    }
    let script = format!("{}\n", statements.join("\n"));
    println!(
        "plan, empty database:  median {} ({} statements; last run: introspection {}, diff {})",
        secs(median(empty.clone())),
        statements.len(),
        secs(breakdown[runs - 1].0),
        secs(breakdown[runs - 1].1)
    );

    if plan_only {
        return;
    }

    // 3. and 4., alternating (the machine's load changes over time): apply from empty, and
    // psql -1 -f with the same statements, each on a fresh database.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sql");
    std::fs::write(&path, &script).unwrap();
    let mut applies = Vec::new();
    let mut psql = Vec::new();
    let mut converged_pg = None;
    for _ in 0..apply_runs {
        let db = fresh(&setup);
        let t = Instant::now();
        let mut conn = rolec::live::connect(&db.conn_str(DB), &|_| None).unwrap();
        let model = &resolved.model;
        let plan_for = |s: &LiveState| Ok(rolec::live::diff(model, s, &scope(model, s)));
        rolec::live::apply::apply(&mut conn, &plan_for, None, false, &|_| None, None).expect("apply");
        applies.push(t.elapsed());
        drop(conn);
        converged_pg = Some(db);

        let db = fresh(&setup);
        let t = Instant::now();
        let out = Command::new("psql")
            .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&path)
            .arg(db.conn_str(DB))
            .output()
            .expect("psql on PATH");
        psql.push(t.elapsed());
        assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let apply_median = median(applies.clone());
    let psql_median = median(psql.clone());
    let list = |v: &[Duration]| v.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect::<Vec<_>>().join(" ");
    println!("apply from empty:      median {} (runs: {} s)", secs(apply_median), list(&applies));
    println!("psql -1 -f:            median {} (runs: {} s)", secs(psql_median), list(&psql));

    // 2. plan against the converged database.
    let converged = converged_pg.expect("an applied database");
    let mut conv = Vec::new();
    let mut last = (Duration::ZERO, Duration::ZERO);
    for _ in 0..runs {
        let (i, d, p) = plan(&converged, &resolved);
        assert!(p.is_empty(), "the plan after apply is not empty: {:?}", p.changes.iter().take(5).collect::<Vec<_>>());
        conv.push(i + d);
        last = (i, d);
    }
    println!(
        "plan, converged:       median {} (last run: introspection {}, diff {})",
        secs(median(conv.clone())),
        secs(last.0),
        secs(last.1)
    );
    drop(converged);
    let ratio = apply_median.as_secs_f64() / psql_median.as_secs_f64();
    let (pe, pc) = (median(empty), median(conv));
    println!(
        "targets: plan < 2 s: empty {} / converged {} ({}); apply ≤ 1.3× psql: {ratio:.2}× ({})",
        secs(pe),
        secs(pc),
        if pe.as_secs_f64() < 2.0 && pc.as_secs_f64() < 2.0 { "met" } else { "MISSED" },
        if ratio <= 1.3 { "met" } else { "MISSED" }
    );
}
