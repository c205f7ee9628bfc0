//! A property test over the whole pipeline with hostile names: random small policies (roles and
//! users with names drawn from a hostile alphabet, memberships, grants on a schema and a table,
//! comments, doc comments, settings) are compiled in-process (no panic, whatever the input), and
//! each policy that compiles without errors is run on one real server, reset between cases:
//!
//! - `up.sql` piped to psql gives exactly the declared roles and memberships, and a plan against
//!   the result is empty; `down.sql` restores the catalog exactly;
//! - `rolec plan` printed and piped to psql makes the database match (a second plan is empty)
//!   with nothing else changed; the sentinel role `victim` survives throughout.
//!
//! `ROLEC_FUZZ_CASES=N` runs N cases instead of the default 32.

mod support;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rolec::syntax::write::string as q;
use support::build::{compile, options_at, policy};
use support::pg::{quote_ident, CatalogSnapshot, PgCluster};
use support::psql::psql;

const DB: &str = "postgres";
const AT: &str = "2026-06-01";
const DEFAULT_CASES: u32 = 32;
/// A schema and a table the grants name (created by the test), one of them hostile.
const SCHEMAS: [&str; 2] = ["s1", "h\n;\\! touch pwned_s"];
const TABLE: &str = "t:var\n--";

/// Characters names and texts are drawn from: line breaks of every kind, quotes, comment and
/// statement delimiters, psql's `\` and `:`, dollar quotes, braces.
const HOSTILE: &[char] = &[
    'a', 'b', 'Z', ' ', '\n', '\t', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}', '\u{1b}', '"', '\'', '\\', ';',
    '-', '*', '/', '$', ':', '{', '}', '!', 'é',
];

/// A text of hostile characters; one in fifty also has a NUL, which the compiler refuses.
fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    let chars = proptest::collection::vec(proptest::sample::select(HOSTILE), 1..max);
    (chars, proptest::option::weighted(0.02, 0..max)).prop_map(|(cs, nul)| {
        let mut text: String = cs.into_iter().collect();
        if let Some(at) = nul {
            text.insert(text.char_indices().nth(at).map_or(text.len(), |(i, _)| i), '\0');
        }
        text
    })
}

#[derive(Clone, Debug)]
struct GenRole {
    name: String,
    user: bool,
    /// Indexes of roles; those not declared before this one are left out (no cycles).
    member_of: Vec<usize>,
    /// Indexes into [`grant_statements`].
    grants: Vec<usize>,
    comment: Option<String>,
    /// A `///` line (no line breaks: it ends at one).
    doc: Option<String>,
    setting: Option<String>,
}

fn gen_role() -> impl Strategy<Value = GenRole> {
    (
        hostile_text(10),
        any::<bool>(),
        proptest::collection::vec(0usize..5, 0..3),
        proptest::collection::vec(0usize..3, 0..3),
        proptest::option::of(hostile_text(12)),
        proptest::option::of("[a-z;:'\\\\$ ]{1,10}"),
        proptest::option::of(hostile_text(8)),
    )
        .prop_map(|(name, user, member_of, grants, comment, doc, setting)| GenRole {
            name,
            user,
            member_of,
            grants,
            comment,
            doc,
            setting,
        })
}

fn grant_statements() -> [String; 3] {
    [
        format!("grant usage on schema {}", q(SCHEMAS[0])),
        format!("grant usage on schema {}", q(SCHEMAS[1])),
        format!("grant select on table {}.{}", q(SCHEMAS[1]), q(TABLE)),
    ]
}

/// The memberships a policy declares, as (role, member) over the roles' names.
fn memberships(roles: &[GenRole]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (i, r) in roles.iter().enumerate() {
        for &j in r.member_of.iter().filter(|&&j| j < i) {
            out.insert((roles[j].name.clone(), r.name.clone()));
        }
    }
    out
}

fn policy_text(roles: &[GenRole]) -> String {
    let mut text = String::new();
    for s in SCHEMAS {
        text.push_str(&format!("schema {}\n", q(s)));
    }
    let grants = grant_statements();
    for (i, r) in roles.iter().enumerate() {
        if let Some(d) = &r.doc {
            text.push_str(&format!("/// {d}\n"));
        }
        text.push_str(&format!("{} {} {{\n", if r.user { "user" } else { "role" }, q(&r.name)));
        for &j in r.member_of.iter().filter(|&&j| j < i) {
            text.push_str(&format!("  member of {}\n", q(&roles[j].name)));
        }
        for &g in &r.grants {
            text.push_str(&format!("  {}\n", grants[g]));
        }
        if let Some(c) = &r.comment {
            text.push_str(&format!("  comment {}\n", q(c)));
        }
        if let Some(v) = &r.setting {
            text.push_str(&format!("  set app.note = {}\n", q(v)));
        }
        text.push_str("}\n");
    }
    text
}

struct Server {
    pg: PgCluster,
    dir: tempfile::TempDir,
    baseline: CatalogSnapshot,
    baseline_roles: BTreeSet<String>,
}

impl Server {
    fn roles(&self) -> BTreeSet<String> {
        self.pg.query_strings(DB, "SELECT rolname FROM pg_roles").into_iter().collect()
    }

    /// Drops every role a case created, whatever state a failed case left.
    fn reset(&self) {
        for r in self.roles().difference(&self.baseline_roles) {
            let r = quote_ident(r);
            self.pg.exec(DB, &format!("DROP OWNED BY {r}; DROP ROLE {r}")).unwrap();
        }
    }

    fn psql(&self, what: &str, script: &str) -> Result<(), String> {
        psql(&self.pg.conn_str(DB), self.dir.path(), script, None)
            .map_err(|e| format!("{what}: {e}\n--- script:\n{script}"))?;
        if !self.roles().contains("victim") {
            return Err(format!("{what}: the sentinel role was dropped\n--- script:\n{script}"));
        }
        let pwned = std::fs::read_dir(self.dir.path())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with("pwned"));
        if pwned {
            return Err(format!("{what}: psql ran a shell command\n--- script:\n{script}"));
        }
        Ok(())
    }

    /// `rolec plan`: (exit code with --detailed-exitcode, the printed plan).
    fn plan(&self, policy: &Path) -> Result<(i32, String), String> {
        let conn = self.pg.conn_str(DB);
        let out = support::cli::rolec_command()
            .args(["plan", "--db", &conn, "--at", AT, "--detailed-exitcode", policy.to_str().unwrap()])
            .output()
            .map_err(|e| e.to_string())?;
        let code = out.status.code().ok_or_else(|| format!("rolec plan ended by a signal: {:?}", out.status))?;
        if code == 1 {
            return Err(format!("rolec plan failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok((code, String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// The roles and memberships of the database are those of the policy, and a plan is empty.
    fn matches(&self, what: &str, roles: &[GenRole], policy: &Path) -> Result<(), String> {
        let declared: BTreeSet<String> = roles.iter().map(|r| r.name.clone()).collect();
        let now: BTreeSet<String> = self.roles().difference(&self.baseline_roles).cloned().collect();
        if now != declared {
            return Err(format!("{what}: roles {now:?}, the policy declares {declared:?}"));
        }
        let members: BTreeSet<(String, String)> = self
            .pg
            .simple_rows(DB, "SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member")
            .into_iter()
            .map(|row| (row[0].clone().unwrap(), row[1].clone().unwrap()))
            .filter(|(_, m)| declared.contains(m))
            .collect();
        if members != memberships(roles) {
            return Err(format!("{what}: memberships {members:?}, the policy declares {:?}", memberships(roles)));
        }
        let (code, plan) = self.plan(policy)?;
        if code != 0 {
            return Err(format!("{what}: a plan is not empty:\n{plan}"));
        }
        Ok(())
    }

    fn back_to_baseline(&self, what: &str) -> Result<(), String> {
        let now = self.pg.snapshot(DB);
        if now != self.baseline {
            return Err(format!("{what}: the catalog differs from before:\n{}", self.baseline.diff(&now)));
        }
        Ok(())
    }

    fn case(&self, roles: &[GenRole]) -> Result<bool, String> {
        let text = policy_text(roles);
        let compiled = catch_unwind(AssertUnwindSafe(|| compile(policy(&[("p.role", &text)]), options_at(AT), &[])))
            .map_err(|_| format!("the compiler panicked on:\n{text}"))?;
        let Ok(built) = compiled else {
            return Ok(false);
        };
        self.reset();
        let path = self.dir.path().join("p.role");
        std::fs::write(&path, &text).unwrap();

        self.psql("up.sql", &built.up)?;
        self.matches("up.sql", roles, &path)?;
        self.psql("down.sql", &built.down)?;
        self.back_to_baseline("down.sql")?;

        let (_, plan) = self.plan(&path)?;
        self.psql("rolec plan | psql", &plan)?;
        self.matches("rolec plan | psql", roles, &path)?;
        self.psql("down.sql after the plan", &built.down)?;
        self.back_to_baseline("down.sql after the plan")?;
        std::fs::remove_file(&path).unwrap();
        Ok(true)
    }
}

#[test]
fn hostile_policies_compile_without_panic_and_run_exactly_as_declared() {
    let cases = std::env::var("ROLEC_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE victim").unwrap();
    pg.exec(
        DB,
        &format!(
            "CREATE SCHEMA {0}; CREATE SCHEMA {1}; CREATE TABLE {1}.{2} (id int)",
            quote_ident(SCHEMAS[0]),
            quote_ident(SCHEMAS[1]),
            quote_ident(TABLE)
        ),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let baseline = pg.snapshot(DB);
    let baseline_roles = pg.query_strings(DB, "SELECT rolname FROM pg_roles").into_iter().collect();
    let server = Server { pg, dir, baseline, baseline_roles };

    let started = Instant::now();
    let ran = std::cell::Cell::new((0u32, 0u32));
    let mut runner =
        TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 200, ..Config::default() });
    let result = runner.run(&proptest::collection::vec(gen_role(), 1..6), |roles| {
        let compiled = server.case(&roles).map_err(TestCaseError::fail)?;
        let (n, ok) = ran.get();
        ran.set((n + 1, ok + u32::from(compiled)));
        Ok(())
    });
    let (n, ok) = ran.get();
    eprintln!("{n} cases ({ok} compiled and ran on the server) in {:.1?}", started.elapsed());
    if let Err(e) = result {
        panic!("{e}");
    }
}
