//! The membership analysis (`rolec::analysis::membership`) against PostgreSQL itself: for
//! random and hand-written policies, `pg_has_role(a, b, mode)` on the server after `up.sql`
//! must equal the analyzer's answer for every pair of roles and every mode the server knows
//! (MEMBER and USAGE; SET from 16), and so must what `explain` lists for each role (a
//! superuser: every role).
//!
//! PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another server (16+ checks the
//! per-membership INHERIT/SET options). `PROPTEST_CASES` overrides the number of random
//! policies (24).

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rolec::analysis::explain::explain;
use rolec::analysis::privileges::effective;
use rolec::analysis::{reach, Chain, MembershipAnalysis, Mode};
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use support::pg::{quote_literal, PgCluster};

const DB: &str = "postgres";
/// `--at`: 2026-06-01T00:00:00Z (closed windows of the policies lie in 2020).
const AT: i64 = 1_780_272_000;

struct Built {
    analysis: MembershipAnalysis,
    /// What `rolec explain` lists per role: (role, granted, mode).
    explained: BTreeSet<(String, String, Mode)>,
    roles: Vec<String>,
    up: String,
    down: String,
}

fn target_version(pg: &PgCluster) -> u32 {
    pg.major().clamp(14, 18)
}

/// Compiles a policy as `rolec build` does; panics on errors (the generators write valid
/// policies only).
fn build(text: &str, version: u32) -> Built {
    let options = BuildOptions { target_version: version, at: AT, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), options)
        .expect("in-memory sources load");
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
    let analysis = reach(&model, version);
    let privileges = effective(&model, &analysis);
    let mut explained = BTreeSet::new();
    for r in &model.roles {
        let e = explain(&model, &analysis, &privileges, &r.name).expect("a declared role");
        explained.extend(e.roles.into_iter().map(|x| (r.name.clone(), x.role, x.mode)));
    }
    Built { analysis, explained, roles: model.roles.iter().map(|r| r.name.clone()).collect(), up, down }
}

fn role_list(pg: &PgCluster) -> Vec<String> {
    pg.query_strings(DB, "SELECT rolname FROM pg_roles ORDER BY 1")
}

fn modes(version: u32) -> &'static [Mode] {
    if version >= 16 {
        &[Mode::Member, Mode::Usage, Mode::Set]
    } else {
        &[Mode::Member, Mode::Usage]
    }
}

fn describe(answer: &Option<Chain>) -> String {
    match answer {
        None => "false".into(),
        Some(Chain::SameRole) => "true (same role)".into(),
        Some(Chain::Superuser) => "true (superuser)".into(),
        Some(Chain::Memberships(steps)) => {
            let mut s = format!("true via {}", steps.shown()[0].member);
            for st in steps.shown() {
                let _ = write!(s, " -[#{}]-> {}", st.membership, st.role);
            }
            s
        }
    }
}

/// Applies `up.sql`, asks the server `pg_has_role` for every pair (`members` × `targets`) and
/// mode in one query, runs `down.sql` and checks that the role list is back to `before`.
/// Returns the numbers of answers compared and of them compared with `explain`, or every
/// mismatch.
fn differential(pg: &PgCluster, text: &str, before: &[String], pairs_where: &str) -> Result<(usize, usize), String> {
    let version = target_version(pg);
    let built = build(text, version);
    pg.exec(DB, &built.up)
        .map_err(|e| format!("up.sql failed: {e}\n--- policy:\n{text}\n--- up.sql:\n{}", built.up))?;
    let modes = modes(version);
    let columns: Vec<String> = modes.iter().map(|m| format!("pg_has_role(a.oid, b.oid, '{}')", m.sql())).collect();
    let sql = format!(
        "SELECT a.rolname, b.rolname, {} FROM pg_roles a, pg_roles b WHERE {pairs_where} ORDER BY 1, 2",
        columns.join(", ")
    );
    let rows = pg.simple_rows(DB, &sql);
    let down = pg.exec(DB, &built.down);
    let after = role_list(pg);

    let mut problems = Vec::new();
    if let Err(e) = down {
        problems.push(format!("down.sql failed: {e}\n--- down.sql:\n{}", built.down));
    } else if after != before {
        problems.push(format!("down.sql left the roles {after:?}, expected {before:?}"));
    }
    let (mut compared, mut explained) = (0, 0);
    for row in &rows {
        let text_of = |i: usize| row[i].clone().unwrap_or_default();
        let (a, b) = (text_of(0), text_of(1));
        for (i, &mode) in modes.iter().enumerate() {
            let server = text_of(2 + i) == "t";
            let ours = built.analysis.answer(&a, &b, mode);
            compared += 1;
            if server != ours.is_some() {
                problems.push(format!(
                    "pg_has_role({a:?}, {b:?}, '{}'): server {server}, analyzer {}",
                    mode.sql(),
                    describe(&ours)
                ));
            }
            // `explain a` lists b in this mode (not a itself; SET separately from 16; only the
            // roles the policy knows).
            let known = built.analysis.roles().any(|r| r == b);
            if a != b && (mode != Mode::Set || version >= 16) && built.roles.contains(&a) && known {
                explained += 1;
                let listed = built.explained.contains(&(a.clone(), b.clone(), mode));
                if server != listed {
                    problems.push(format!(
                        "pg_has_role({a:?}, {b:?}, '{}'): server {server}, explain {a} lists it: {listed}",
                        mode.sql()
                    ));
                }
            }
        }
    }
    if rows.is_empty() && !built.roles.is_empty() {
        problems.push("the query returned no pairs".into());
    }
    if problems.is_empty() {
        Ok((compared, explained))
    } else {
        Err(format!(
            "PostgreSQL {} (target {version}) disagrees:\n  {}\n--- policy:\n{text}",
            pg.major(),
            problems.join("\n  ")
        ))
    }
}

// ---- random policies ----------------------------------------------------------------------------

const MAX_ROLES: usize = 14;

#[derive(Clone, Debug)]
struct RoleSpec {
    user: bool,
    noinherit: bool,
    superuser: bool,
}

#[derive(Clone, Debug)]
struct EdgeSpec {
    admin: bool,
    /// 16+: `None`, `Some(true)` = `inherit`, `Some(false)` = `noinherit`.
    inherit: Option<bool>,
    noset: bool,
    closed: bool,
}

#[derive(Clone, Debug)]
struct Case {
    n: usize,
    roles: Vec<RoleSpec>,
    /// Edge `r_i member of r_j` (j < i) at index `i * (i - 1) / 2 + j`.
    edges: Vec<Option<EdgeSpec>>,
}

fn case() -> impl Strategy<Value = Case> {
    let role = (any::<bool>(), prop::bool::weighted(0.25), prop::bool::weighted(0.06))
        .prop_map(|(user, noinherit, superuser)| RoleSpec { user, noinherit, superuser });
    let inherit = prop_oneof![2 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))];
    let edge = prop::option::weighted(
        0.3,
        (prop::bool::weighted(0.2), inherit, prop::bool::weighted(0.25), prop::bool::weighted(0.1))
            .prop_map(|(admin, inherit, noset, closed)| EdgeSpec { admin, inherit, noset, closed }),
    );
    (
        6..=MAX_ROLES,
        prop::collection::vec(role, MAX_ROLES),
        prop::collection::vec(edge, MAX_ROLES * (MAX_ROLES - 1) / 2),
    )
        .prop_map(|(n, roles, edges)| Case { n, roles, edges })
}

/// The policy text of a case; the 16+ membership options only when the target has them.
fn policy_text(c: &Case, version: u32) -> String {
    let mut out = String::new();
    for i in 0..c.n {
        let r = &c.roles[i];
        let _ = writeln!(out, "{} r{i} {{", if r.user { "user" } else { "role" });
        if r.noinherit {
            out.push_str("  noinherit\n");
        }
        if r.superuser {
            out.push_str("  superuser\n");
        }
        for j in 0..i {
            let Some(e) = &c.edges[i * (i - 1) / 2 + j] else { continue };
            let _ = write!(out, "  member of r{j}");
            if e.admin {
                out.push_str(" with admin option");
            }
            if version >= 16 {
                match e.inherit {
                    Some(true) => out.push_str(" inherit"),
                    Some(false) => out.push_str(" noinherit"),
                    None => {}
                }
                if e.noset {
                    out.push_str(" noset");
                }
            }
            if e.closed {
                out.push_str(" from 2020-01-01 until 2020-02-01");
            }
            out.push('\n');
        }
        out.push_str("}\n");
    }
    out
}

#[test]
fn random_policies_agree_with_pg_has_role() {
    let started = std::time::Instant::now();
    let pg = PgCluster::start();
    let version = target_version(&pg);
    let before = role_list(&pg);
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    let mut runner =
        TestRunner::new(Config { cases, max_shrink_iters: 48, failure_persistence: None, ..Config::default() });
    let compared = std::cell::Cell::new(0usize);
    let result = runner.run(&case(), |c| {
        let text = policy_text(&c, version);
        let (n, e) = differential(&pg, &text, &before, "a.rolname ~ '^r[0-9]+$' AND b.rolname ~ '^r[0-9]+$'")
            .map_err(TestCaseError::fail)?;
        // Every pair, every mode: n² rows; and explain's list for every pair of two roles.
        let m = modes(version).len();
        prop_assert_eq!(n, c.n * c.n * m, "pairs of\n{}", text);
        prop_assert_eq!(e, c.n * (c.n - 1) * m, "explained pairs of\n{}", text);
        compared.set(compared.get() + n + e);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "PostgreSQL {}: {cases} random policies, {} answers compared in {:?}",
        pg.major(),
        compared.get(),
        started.elapsed()
    );
}

// ---- hand-written cases -------------------------------------------------------------------------

/// Policies for the corners of the semantics; `None`: needs 16+.
fn hand_written(version: u32) -> Vec<&'static str> {
    let mut cases = vec![
        // A NOINHERIT role in the middle of a chain: its members have it, not what it has.
        "role a\nrole b { member of a }\nrole c {\n  noinherit\n  member of b\n}\nuser u { member of c }\n",
        // A NOINHERIT user: only its own privileges, still a member of everything above.
        "role a\nrole b { member of a }\nuser u {\n  noinherit\n  member of b with admin option\n}\n",
        // A superuser (even NOINHERIT) has every role; superuser is not inherited by members.
        "role a\nuser boss {\n  superuser\n  noinherit\n}\nrole m { member of boss }\n",
        // External and predefined roles as targets.
        "external role ext\nrole a { member of ext, pg_read_all_data }\nuser u { member of a }\nuser v {\n  noinherit\n  member of a\n}\n",
        // Closed and future windows are not granted; the open one is.
        "role a\nrole b { member of a from 2020-01-01 until 2020-02-01 }\nuser u {\n  member of b\n  member of a from 2030-01-01\n}\nuser w { member of a from 2026-01-01 until 2027-01-01 }\n",
        // Two ways up, of different lengths and inheritance.
        "role a\nrole d { member of a }\nrole c { member of d }\nrole b { member of c }\nrole e {\n  noinherit\n  member of a\n}\nuser u { member of b, e }\n",
    ];
    if version >= 16 {
        cases.extend([
            // Explicit options beat the member's attribute, both ways.
            "role a\nrole b\nrole c {\n  noinherit\n  member of b inherit\n}\nuser u {\n  member of c noinherit\n  member of a\n}\n",
            // SET: noset anywhere in the chain blocks SET ROLE, not membership or usage.
            "role a\nrole b { member of a }\nuser u { member of b noset }\nuser v { member of b }\nrole x { member of a noset noinherit }\nuser w { member of x }\n",
            // A noinherit role whose grants default to INHERIT FALSE, SET stays on.
            "role a\nrole b {\n  noinherit\n  member of a\n}\nuser u { member of b inherit noset }\n",
        ]);
    }
    cases
}

#[test]
fn hand_written_policies_agree_with_pg_has_role() {
    let started = std::time::Instant::now();
    let pg = PgCluster::start();
    let version = target_version(&pg);
    pg.exec(DB, "CREATE ROLE ext").expect("create the external role");
    let before = role_list(&pg);
    let mut failures = Vec::new();
    let mut compared = 0;
    for text in hand_written(version) {
        let built = build(text, version);
        let names: BTreeSet<&str> = built.roles.iter().map(String::as_str).collect();
        let list = |extra: &[&str]| names.iter().chain(extra).map(|n| quote_literal(n)).collect::<Vec<_>>().join(", ");
        // Members: the policy's roles; targets: also the external and a predefined role
        // (neither has memberships of its own on a fresh server).
        let pairs_where =
            format!("a.rolname IN ({}) AND b.rolname IN ({})", list(&[]), list(&["ext", "pg_read_all_data"]));
        match differential(&pg, text, &before, &pairs_where) {
            Ok((n, e)) => {
                assert_eq!(n, names.len() * (names.len() + 2) * modes(version).len(), "pairs of\n{text}");
                assert!(e >= names.len() * (names.len() - 1) * modes(version).len(), "explained pairs of\n{text}");
                compared += n + e;
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // A few answers spelled out, so that the comparison above is not vacuous.
    let built = build(hand_written(version)[0], version);
    let a = &built.analysis;
    assert!(a.has("u", "a", Mode::Member) && !a.has("u", "a", Mode::Usage) && a.has("u", "c", Mode::Usage));
    let built = build(hand_written(version)[5], version);
    match built.analysis.answer("u", "a", Mode::Usage) {
        Some(Chain::Memberships(steps)) => assert_eq!(steps.len(), 4, "{steps:?}"),
        other => panic!("{other:?}"),
    }
    eprintln!(
        "PostgreSQL {}: {} hand-written policies, {compared} answers compared in {:?}",
        pg.major(),
        hand_written(version).len(),
        started.elapsed()
    );
}
