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
//!    fresh database with the same setup;
//! 5. `rolec plan` (the binary, as users run it) on the converged database, beside the same
//!    roles and grants spread over three databases (`databases a, b, c`, each object grant in
//!    one of them) of another converged cluster.
//!
//! Targets: plan under 2 s; apply within 1.3× of psql; three databases within 1.5× of one.
//! Run with `cargo bench --bench live` (needs PostgreSQL binaries as the tests do:
//! `ROLEC_PG_BIN`, and `psql` on PATH);
//! `-- --runs N` changes the number of runs (default 5; at most 5 applies and psql runs);
//! `-- --plan-only` stops after the plans against the empty database (for profiling);
//! `-- --huge` measures instead 50,000 roles and 500,000 grants through the binary: apply from
//! empty beside `psql -1 -f`, the plan with nothing to do and the plan after 1 % drift, with
//! the peak memory of each `rolec` (maxrss, through GNU time when /usr/bin/time exists; at most
//! 3 runs).

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

/// How many roles a generated policy has.
struct Size {
    groups: usize,
    users: usize,
}

/// The layout measured by default: 5,000 roles, 50,000 grants.
const BENCH: Size = Size { groups: GROUPS, users: USERS };
/// `--huge`: 50,000 roles, 500,000 grants.
const HUGE: Size = Size { groups: 2_000, users: 48_000 };

/// The policy: one file of groups, one of users; returns it and the number of grants. With
/// `databases`, the same roles and grants spread over those databases (`databases a, b, c`):
/// each object grant, top-level in an `in database` block, goes to the next database in turn,
/// and each database has the schemas.
fn policy_of(size: &Size, databases: &[&str]) -> (Vec<(String, String)>, usize) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut grants = 0;
    let grant = |rng: &mut Rng| -> String {
        let s = rng.below(SCHEMAS);
        match rng.below(10) {
            0..=5 => {
                let privs =
                    ["select", "select, insert", "select, update", "insert, update, delete", "all"][rng.below(5)];
                format!("grant {privs} on table s{s}.t{}", rng.below(TABLES))
            }
            6 => format!("grant select, update on column (a, b) of table s{s}.t{}", rng.below(TABLES)),
            7 => format!("grant usage on sequence s{s}.q{}", rng.below(SEQUENCES)),
            8 => format!("grant execute on function s{s}.f{}(int)", rng.below(FUNCTIONS)),
            _ => format!("grant usage on schema s{s}"),
        }
    };
    // The object grants of each database when spread: (database, grant … to role).
    let mut spread: Vec<String> = vec![String::new(); databases.len()];
    let mut place = |role: &str, grant: String, body: &mut String, n: usize| match databases.is_empty() {
        true => writeln!(body, "  {grant}").unwrap(),
        false => writeln!(spread[n % databases.len()], "  {grant} to {role}").unwrap(),
    };
    let mut schemas = String::from("external role app_owner\n");
    let mut schema_list = String::new();
    for i in 0..SCHEMAS {
        writeln!(schema_list, "schema s{i} {{ owner app_owner }}").unwrap();
    }
    match databases.is_empty() {
        true => schemas.push_str(&schema_list),
        false => writeln!(schemas, "databases {}", databases.join(", ")).unwrap(),
    }
    let mut groups = String::new();
    for g in 0..size.groups {
        writeln!(groups, "role g{g} {{").unwrap();
        let mut body = String::new();
        if g % 10 == 0 {
            let bulk = format!("grant select on tables in schema s{}", g / 10 % SCHEMAS);
            place(&format!("g{g}"), bulk, &mut body, grants);
        }
        for _ in 0..GRANTS_PER_ROLE {
            let line = grant(&mut rng);
            place(&format!("g{g}"), line, &mut body, grants);
            grants += 1;
        }
        groups.push_str(&body);
        groups.push_str("}\n");
    }
    // The users, 10,000 to a file (a policy file may hold 16 MiB).
    let mut users = vec![String::new()];
    for u in 0..size.users {
        if u > 0 && u % 10_000 == 0 {
            users.push(String::new());
        }
        let users = users.last_mut().unwrap();
        let a = rng.below(size.groups);
        let b = rng.below(size.groups);
        writeln!(users, "user u{u} {{").unwrap();
        if a == b || u % 2 == 0 {
            writeln!(users, "  member of g{a}").unwrap();
        } else {
            writeln!(users, "  member of g{a}, g{b}").unwrap();
        }
        let mut body = String::new();
        for _ in 0..GRANTS_PER_ROLE {
            let line = grant(&mut rng);
            place(&format!("u{u}"), line, &mut body, grants);
            grants += 1;
        }
        users.push_str(&body);
        users.push_str("}\n");
    }
    let mut files = vec![("schemas.role".into(), schemas), ("groups.role".into(), groups)];
    for (i, text) in users.into_iter().enumerate() {
        files.push((if i == 0 { "users.role".into() } else { format!("users{i}.role") }, text));
    }
    for (db, grants) in databases.iter().zip(spread) {
        files.push((format!("{db}.role"), format!("in database {db} {{\n{schema_list}{grants}}}\n")));
    }
    (files, grants)
}

/// The default layout in one database.
fn policy() -> (Vec<(String, String)>, usize) {
    policy_of(&BENCH, &[])
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
    fresh_with(setup, &[])
}

/// [`fresh`] with server settings (`name=value`).
fn fresh_with(setup: &str, settings: &[&str]) -> PgCluster {
    let pg = PgCluster::start_with_settings(settings);
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

/// A run of the `rolec` binary.
struct Run {
    wall: Duration,
    /// The peak resident memory of the process in KiB (getrusage's maxrss, through GNU time
    /// when /usr/bin/time is installed).
    maxrss_kib: Option<u64>,
    stdout: String,
}

/// Runs a script with `psql -1 -f` (one transaction, stop at the first error) on `pg`'s
/// database; the wall time it took.
fn psql_script(path: &std::path::Path, pg: &PgCluster) -> Duration {
    let t = Instant::now();
    let out = Command::new("psql")
        .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(path)
        .arg(pg.conn_str(DB))
        .output()
        .expect("psql on PATH");
    let elapsed = t.elapsed();
    assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
    elapsed
}

/// Runs the `rolec` binary as users do (without the environment's PG* variables), expecting
/// exit status `code`.
fn rolec(args: &[&str], code: i32) -> Run {
    let time = std::path::Path::new("/usr/bin/time");
    let dir = tempfile::tempdir().unwrap();
    let rss = dir.path().join("maxrss");
    let mut cmd = match time.exists() {
        true => {
            let mut c = Command::new(time);
            c.arg("-f").arg("%M").arg("-o").arg(&rss).arg(env!("CARGO_BIN_EXE_rolec"));
            c
        }
        false => Command::new(env!("CARGO_BIN_EXE_rolec")),
    };
    cmd.args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PG")) {
        cmd.env_remove(k);
    }
    let t = Instant::now();
    let out = cmd.output().expect("the rolec binary");
    let wall = t.elapsed();
    // The end of standard error: a large policy's warnings come first.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    assert_eq!(out.status.code(), Some(code), "rolec {args:?}, standard error ends:\n{}", tail.join("\n"));
    let maxrss_kib = std::fs::read_to_string(&rss).ok().and_then(|t| t.trim().lines().last()?.parse().ok());
    Run { wall, maxrss_kib, stdout: String::from_utf8_lossy(&out.stdout).into_owned() }
}

/// A policy's files in a new directory.
fn write_policy(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.0} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a (no /usr/bin/time)".into())
}

/// A cluster with databases `a`, `b` and `c`, each with the setup (`app_owner` once).
fn fresh_three(setup: &str) -> PgCluster {
    let pg = PgCluster::start();
    for (i, db) in ["a", "b", "c"].into_iter().enumerate() {
        pg.create_database(db);
        let sql = if i == 0 { setup.to_string() } else { setup.replacen("CREATE ROLE app_owner NOLOGIN;\n", "", 1) };
        pg.exec(db, &sql).expect("setup");
    }
    pg.exec(DB, "CHECKPOINT").unwrap();
    pg
}

/// `--huge`: 50,000 roles and 500,000 grants through the `rolec` binary: apply from empty
/// (beside psql running the plan's SQL), the plan with nothing to do, and the plan after 1 % of
/// the roles drifted; wall times and peak memory.
fn huge(setup: &str, runs: usize) {
    let (files, grants) = policy_of(&HUGE, &[]);
    let dir = write_policy(&files);
    let policy = dir.path().to_str().unwrap();
    println!("live bench --huge: {} roles, {grants} grants", HUGE.groups + HUGE.users);
    let (mut applies, mut psqls) = (Vec::new(), Vec::new());
    let mut converged = None;
    // One transaction locks every role it grants to: 50,000 are over the default lock table
    // (max_locks_per_transaction 64 × 100 connections), for psql as for rolec.
    let settings = ["max_locks_per_transaction=1024"];
    for _ in 0..runs {
        let pg = fresh_with(setup, &settings);
        let conn = pg.conn_str(DB);
        let script = rolec(&["plan", "--db", &conn, policy], 0).stdout;
        let run = rolec(&["apply", "--db", &conn, policy], 0);
        println!("apply from empty:      {} (peak memory {})", secs(run.wall), mib(run.maxrss_kib));
        applies.push(run.wall);
        converged = Some(pg);

        let pg = fresh_with(setup, &settings);
        let path = dir.path().join("plan.sql");
        std::fs::write(&path, script).unwrap();
        psqls.push(psql_script(&path, &pg));
        std::fs::remove_file(&path).unwrap();
    }
    let (apply, psql) = (median(applies), median(psqls));
    println!(
        "psql -1 -f:            median {}; apply median {} ({:.2}× psql)",
        secs(psql),
        secs(apply),
        apply.as_secs_f64() / psql.as_secs_f64()
    );
    let pg = converged.expect("an applied cluster");
    let conn = pg.conn_str(DB);
    let mut noop = Vec::new();
    for _ in 0..runs {
        let run = rolec(&["plan", "--detailed-exitcode", "--db", &conn, policy], 0);
        println!("plan, nothing to do:   {} (peak memory {})", secs(run.wall), mib(run.maxrss_kib));
        noop.push(run.wall);
    }
    // 1 % drift: every hundredth user lost its login and its grants in schema s0.
    let mut drift = String::new();
    for u in (0..HUGE.users).step_by(100) {
        writeln!(drift, "ALTER ROLE u{u} NOLOGIN; REVOKE ALL ON ALL TABLES IN SCHEMA s0 FROM u{u};").unwrap();
    }
    pg.exec(DB, &drift).expect("drift");
    let mut drifted = Vec::new();
    for _ in 0..runs {
        let run = rolec(&["plan", "--detailed-exitcode", "--db", &conn, policy], 2);
        println!("plan after 1 % drift:  {} (peak memory {})", secs(run.wall), mib(run.maxrss_kib));
        drifted.push(run.wall);
    }
    println!("medians: no-op plan {}, plan after drift {}", secs(median(noop)), secs(median(drifted)));
}

fn main() {
    let mut runs = 5;
    let mut plan_only = false;
    let mut huge_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs);
        }
        plan_only |= a == "--plan-only";
        huge_only |= a == "--huge";
    }
    let apply_runs = runs.clamp(1, 5);
    let setup = setup_sql();
    if huge_only {
        huge(&setup, runs.clamp(1, 3));
        return;
    }
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
        rolec::live::apply::apply(&mut conn, &plan_for, &rolec::live::apply::ApplyOptions::default()).expect("apply");
        applies.push(t.elapsed());
        drop(conn);
        converged_pg = Some(db);

        let db = fresh(&setup);
        psql.push(psql_script(&path, &db));
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

    // 5. `rolec plan` as users run it, on converged clusters: the policy in one database, and
    // the same roles and grants spread over three (`databases a, b, c`), alternating.
    let one_dir = write_policy(&files);
    let (split, _) = policy_of(&BENCH, &["a", "b", "c"]);
    let three_dir = write_policy(&split);
    let (one_policy, three_policy) = (one_dir.path().to_str().unwrap(), three_dir.path().to_str().unwrap());
    let three = fresh_three(&setup);
    rolec(&["apply", "--db", &three.conn_str("a"), three_policy], 0);
    let (mut one_db, mut three_db) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        one_db.push(rolec(&["plan", "--detailed-exitcode", "--db", &converged.conn_str(DB), one_policy], 0).wall);
        three_db.push(rolec(&["plan", "--detailed-exitcode", "--db", &three.conn_str("a"), three_policy], 0).wall);
    }
    let (one_db, three_db) = (median(one_db), median(three_db));
    println!(
        "rolec plan, converged: one database median {}, three databases median {} ({:.2}×)",
        secs(one_db),
        secs(three_db),
        three_db.as_secs_f64() / one_db.as_secs_f64()
    );
    drop(converged);
    drop(three);
    let ratio = apply_median.as_secs_f64() / psql_median.as_secs_f64();
    let (pe, pc) = (median(empty), median(conv));
    let spread = three_db.as_secs_f64() / one_db.as_secs_f64();
    println!(
        "targets: plan < 2 s: empty {} / converged {} ({}); apply ≤ 1.3× psql: {ratio:.2}× ({}); three databases ≤ 1.5× one: {spread:.2}× ({})",
        secs(pe),
        secs(pc),
        if pe.as_secs_f64() < 2.0 && pc.as_secs_f64() < 2.0 { "met" } else { "MISSED" },
        if ratio <= 1.3 { "met" } else { "MISSED" },
        if spread <= 1.5 { "met" } else { "MISSED" }
    );
}
