//! The emitted SQL: insta snapshots of `up.sql`, `down.sql` and `hba.conf` for every example and
//! for inline policies covering the emission modes, plus laws checked on every build:
//!
//! - every `CREATE ROLE` precedes every statement naming that role;
//! - statements come in phase order: CREATE ROLE → ALTER ROLE → GRANT role → ALTER DEFAULT
//!   PRIVILEGES → GRANT/REVOKE on objects → COMMENT;
//! - `down.sql` is exactly the inverses of `up.sql`'s statements in reverse order (statements
//!   without an inverse — `ALTER ROLE`, `COMMENT` — vanish with the `DROP ROLE`);
//! - no secret value appears in any output; the header counts the statements; rendering is
//!   deterministic; `--lock` takes the advisory lock first.
//!
//! Scripts are rendered as `rolec build` renders them, with a fixed `--at`, target version 15
//! unless said otherwise, and a fixed `secret` closure (never the process environment).
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test sql_snapshots` and review them.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rolec::db::{Sources, Workspace};
use rolec::diagnostics::{render, Code, Diagnostic};
use rolec::lower::script::{render as render_script, Direction};
use rolec::model::BuildOptions;

/// `--at` unless a test (or an example's build.args) says otherwise.
const DEFAULT_AT: &str = "2026-06-01T00:00:00Z";

fn timestamp(text: &str) -> i64 {
    rolec::model::values::parse_timestamp(text).unwrap_or_else(|| panic!("not a timestamp: {text:?}")).timestamp()
}

fn options(target_version: u32) -> BuildOptions {
    BuildOptions { at: timestamp(DEFAULT_AT), target_version, ..BuildOptions::default() }
}

/// The value the fixed `secret` closure gives environment variable `name` (unless the example
/// provides one).
fn fixed_secret(name: &str) -> String {
    format!("fixed-secret-of-{name}-9Qz")
}

/// What `rolec build` writes.
struct Built {
    up: String,
    down: String,
    hba: String,
    /// Roles the policy creates.
    roles: Vec<String>,
    /// Every secret value handed to the compiler.
    secrets: Vec<String>,
    options: BuildOptions,
}

impl Built {
    fn snapshot(&self) -> String {
        let mut s = format!("===== up.sql =====\n{}\n===== down.sql =====\n{}", self.up, self.down);
        if !self.hba.is_empty() {
            s.push_str(&format!("\n===== hba.conf =====\n{}", self.hba));
        }
        s
    }
}

fn memory(files: &[(&str, &str)]) -> Sources {
    Sources::Memory(files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect())
}

/// Compiles like `rolec build` and checks the laws; panics with the diagnostics on an error.
fn build(sources: Sources, mut options: BuildOptions, env: &[(String, String)]) -> Built {
    options.idempotent |= options.lock;
    let ws = Workspace::load(sources, options.clone()).expect("sources load");
    if let Some(name) = ws.resolved().unknown_sets.first() {
        panic!("`--set {name}`: the policy has no `let {name}`");
    }
    let diagnostics = ws.diagnostics();
    if diagnostics.iter().any(Diagnostic::is_error) {
        panic!("the policy has errors:\n{}", render::human(&diagnostics, &ws, false));
    }
    let plan = ws.plan();
    let secrets = RefCell::new(Vec::new());
    let secret = |name: &str| {
        let value = env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_else(|| fixed_secret(name));
        secrets.borrow_mut().push(value.clone());
        Some(value)
    };
    let locate = |span| ws.line_of(span);
    let render_both = || {
        let up = render_script(&plan, Direction::Up, &options, &locate, &secret)
            .unwrap_or_else(|e| panic!("up.sql: {}", render::human(&e, &ws, false)));
        let down = render_script(&plan, Direction::Down, &options, &locate, &secret)
            .unwrap_or_else(|e| panic!("down.sql: {}", render::human(&e, &ws, false)));
        (up, down)
    };
    let (up, down) = render_both();
    assert_eq!(render_both(), (up.clone(), down.clone()), "rendering is not deterministic");
    let hba = rolec::lower::script::render_hba(&plan, &locate).unwrap_or_default();
    let mut secrets = secrets.into_inner();
    secrets.sort();
    secrets.dedup();
    let built = Built {
        up,
        down,
        hba,
        roles: ws.resolved().model.roles.iter().map(|r| r.name.clone()).collect(),
        secrets,
        options,
    };
    check_laws(&built);
    built
}

// ---------------------------------------------------------------------------------- laws

/// The statements of a script, in order, without comments, BEGIN/COMMIT and the lock.
fn statements(script: &str) -> (Vec<String>, bool) {
    let body = script.split_once("BEGIN;\n").expect("BEGIN;").1;
    let body = body.rsplit_once("\nCOMMIT;\n").expect("COMMIT;").0;
    let mut out = Vec::new();
    let mut lock_first = false;
    for (i, block) in body.split("\n\n").enumerate() {
        let stmt: Vec<&str> = block.lines().skip_while(|l| l.is_empty() || l.starts_with("-- ")).collect();
        let stmt = stmt.join("\n");
        if stmt.trim().is_empty() {
            continue;
        }
        if stmt.contains("pg_advisory_xact_lock") {
            lock_first = i == 0;
            continue;
        }
        out.push(stmt);
    }
    (out, lock_first)
}

/// The statement inside an `--idempotent` DO block, without its exception handler and `;`.
fn unwrap(stmt: &str) -> String {
    let mut s = stmt.trim().to_string();
    if let Some(rest) = s.strip_prefix("DO $") {
        let tag_end = rest.find('$').expect("dollar tag");
        let tag = format!("${}$", &rest[..tag_end]);
        let body = rest[tag_end + 1..].trim_start();
        if body.starts_with("DECLARE ") {
            return s; // a whole PL/pgSQL block (settings reset), not one wrapped statement
        }
        let inner = body.strip_prefix("BEGIN ").expect("DO … BEGIN");
        let inner = inner.strip_suffix(&format!(" END {tag};")).expect("END $tag$;");
        let inner = match inner.rfind(" EXCEPTION WHEN ") {
            Some(i) => &inner[..i],
            None => inner,
        };
        s = inner.to_string();
    }
    let s = s.strip_suffix(';').unwrap_or(&s).to_string();
    s.replacen("DROP ROLE IF EXISTS ", "DROP ROLE ", 1)
}

/// Words of a statement; a double-quoted identifier or single-quoted literal is one word.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    if chars.get(i + 1) == Some(&q) {
                        cur.push(q);
                        i += 1;
                    } else {
                        quote = None;
                    }
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_bare(t: &str, word: &str) -> bool {
    t == word
}

/// 0 CREATE ROLE, 1 ALTER ROLE, 2 GRANT/REVOKE role, 3 ALTER DEFAULT PRIVILEGES,
/// 4 GRANT/REVOKE on objects, 5 COMMENT.
fn phase(stmt: &str) -> usize {
    let s = unwrap(stmt);
    let t = tokens(&s);
    match t.first().map(String::as_str) {
        Some("CREATE") if t.get(1).is_some_and(|w| w == "ROLE") => 0,
        Some("ALTER") if t.get(1).is_some_and(|w| w == "ROLE") => 1,
        Some("ALTER") if t.get(1).is_some_and(|w| w == "DEFAULT") => 3,
        Some("GRANT") | Some("REVOKE") => {
            if t.iter().any(|w| is_bare(w, "ON")) {
                4
            } else {
                2
            }
        }
        Some("COMMENT") => 5,
        // `--idempotent`: the PL/pgSQL block that resets a role's settings before its SETs.
        Some("DO") if s.contains("RESET ALL") => 1,
        _ => panic!("statement of no known phase: {stmt}"),
    }
}

/// The statement that undoes `stmt`, or `None` when DROP ROLE undoes it anyway.
fn inverse(stmt: &str) -> Option<String> {
    let s = unwrap(stmt);
    let t = tokens(&s);
    let swap = |t: &[String], start: usize| -> String {
        // t[start] is GRANT or REVOKE; swap it and the TO/FROM that follows; drop WITH … options.
        let mut out: Vec<String> = t[..start].to_vec();
        let grant = t[start] == "GRANT";
        out.push(if grant { "REVOKE" } else { "GRANT" }.to_string());
        let mut seen_to = false;
        for w in &t[start + 1..] {
            if !seen_to && is_bare(w, if grant { "TO" } else { "FROM" }) {
                out.push(if grant { "FROM" } else { "TO" }.to_string());
                seen_to = true;
                continue;
            }
            if seen_to && is_bare(w, "WITH") {
                break;
            }
            out.push(w.clone());
        }
        assert!(seen_to, "no TO/FROM in {s}");
        out.join(" ")
    };
    match phase(stmt) {
        0 => Some(format!("DROP ROLE {}", t[2..].join(" "))),
        1 | 5 => None,
        3 => {
            let i =
                t.iter().position(|w| w == "GRANT" || w == "REVOKE").expect("GRANT/REVOKE in ALTER DEFAULT PRIVILEGES");
            Some(swap(&t, i))
        }
        _ => Some(swap(&t, 0)),
    }
}

/// Whether `actual` is `wanted` (a GRANT) with some of its privileges left out.
fn grants_back_part_of(actual: &str, wanted: &str) -> bool {
    // Privileges are the words between the GRANT and the next `ON`.
    let split = |s: &str| -> Option<(Vec<String>, String)> {
        let t = tokens(s);
        let g = t.iter().position(|w| w == "GRANT")?;
        let on = g + t[g..].iter().position(|w| w == "ON")?;
        let privs = t[g + 1..on].iter().map(|w| w.trim_end_matches(',').to_string()).collect();
        let shape = [&t[..=g], &["<privileges>".to_string()][..], &t[on..]].concat().join(" ");
        Some((privs, shape))
    };
    let (Some((a_privs, a_shape)), Some((w_privs, w_shape))) = (split(actual), split(wanted)) else { return false };
    let all = w_privs.iter().any(|p| p == "ALL");
    a_shape == w_shape && !a_privs.is_empty() && a_privs.iter().all(|p| all || w_privs.contains(p))
}

/// A name as SQL writes an identifier.
fn ident(name: &str) -> String {
    rolec::pg::quote::ident(name)
}

fn check_laws(b: &Built) {
    let (up, up_lock_first) = statements(&b.up);
    let (down, down_lock_first) = statements(&b.down);

    // Headers count the statements.
    for (script, n, name) in [(&b.up, up.len(), "up"), (&b.down, down.len(), "down")] {
        let header = format!("-- rolec {name}.sql: {n} statement(s) for PostgreSQL {}", b.options.target_version);
        assert!(script.starts_with(&header), "{name}.sql header does not say {n} statements:\n{script}");
    }
    // --lock: the advisory lock is the first statement of both scripts.
    assert_eq!(up_lock_first, b.options.lock, "up.sql: the advisory lock must come first exactly when --lock");
    assert_eq!(down_lock_first, b.options.lock, "down.sql: the advisory lock must come first exactly when --lock");

    // Every managed role is created exactly once, before every statement naming it.
    for role in &b.roles {
        let id = ident(role);
        let creates: Vec<usize> =
            up.iter().enumerate().filter(|(_, s)| unwrap(s) == format!("CREATE ROLE {id}")).map(|(i, _)| i).collect();
        assert_eq!(creates.len(), 1, "role {role:?} is not created exactly once in up.sql");
        let created = creates[0];
        for (i, s) in up.iter().enumerate() {
            let names_it = tokens(&unwrap(s)).iter().any(|t| t.trim_end_matches([',', ';']) == id);
            assert!(!names_it || i >= created, "up.sql names {id} before creating it:\n  {s}");
        }
    }

    // Phases in order.
    let phases: Vec<usize> = up.iter().map(|s| phase(s)).collect();
    for (i, w) in phases.windows(2).enumerate() {
        assert!(w[0] <= w[1], "phase order broken in up.sql:\n  {}\nbefore\n  {}", up[i], up[i + 1]);
    }

    // down.sql = inverses of up.sql, reversed. A GRANT is undone by the matching REVOKE. A
    // REVOKE (from PUBLIC, or in global defaults) is undone by granting back only what the
    // built-in defaults held, i.e. a GRANT of a subset of its privileges, or nothing at all.
    let actual: Vec<String> = down.iter().map(|s| tokens(&unwrap(s)).join(" ")).collect();
    let mut j = 0;
    for s in up.iter().rev() {
        let Some(inv) = inverse(s) else { continue };
        let inv = tokens(&inv).join(" ");
        let undoes_a_revoke = tokens(&unwrap(s)).iter().any(|w| w == "REVOKE");
        if !undoes_a_revoke {
            assert_eq!(
                actual.get(j),
                Some(&inv),
                "down.sql statement {j} must undo\n  {s}\nwhole down.sql:\n{}",
                b.down
            );
            j += 1;
        } else if actual.get(j).is_some_and(|a| grants_back_part_of(a, &inv)) {
            j += 1;
        }
    }
    assert_eq!(
        j,
        actual.len(),
        "down.sql has statements that undo nothing in up.sql: {:?}",
        &actual[j.min(actual.len())..]
    );
    if b.options.idempotent {
        for s in &down {
            assert!(
                s.starts_with("DROP ROLE IF EXISTS ") || s.starts_with("DO $"),
                "--idempotent down.sql statement that fails on a missing object: {s}"
            );
        }
    }

    // No secret in any output.
    for secret in &b.secrets {
        for (name, text) in [("up.sql", &b.up), ("down.sql", &b.down), ("hba.conf", &b.hba)] {
            assert!(!text.contains(secret.as_str()), "the secret value {secret:?} appears in {name}");
        }
    }
}

// ---------------------------------------------------------------------------------- examples

/// `build.args`: one argument per line; `env:NAME=VALUE` lines are environment variables.
fn example_args(dir: &Path) -> (BuildOptions, Vec<(String, String)>) {
    let mut opts = options(15);
    let mut env = Vec::new();
    let Ok(text) = std::fs::read_to_string(dir.join("build.args")) else { return (opts, env) };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    while let Some(line) = lines.next() {
        if let Some(kv) = line.strip_prefix("env:") {
            let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("build.args: {line:?}"));
            env.push((k.to_string(), v.to_string()));
            continue;
        }
        let (flag, inline) = match line.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (line, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| lines.next().map(str::to_string))
                .unwrap_or_else(|| panic!("build.args: `{flag}` needs a value"))
        };
        match flag {
            "--set" => {
                let kv = value();
                let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("build.args: `--set {kv}`"));
                opts.sets.push((k.to_string(), v.to_string()));
            }
            "--at" => opts.at = timestamp(&value()),
            "--target-version" => opts.target_version = value().parse().expect("build.args: --target-version"),
            "--idempotent" => opts.idempotent = true,
            "--lock" => opts.lock = true,
            other => panic!("build.args: unsupported line {other:?}"),
        }
    }
    (opts, env)
}

#[test]
fn examples() {
    insta::glob!("../examples", "*", |dir| {
        if !dir.is_dir() {
            return;
        }
        let has_role =
            std::fs::read_dir(dir).unwrap().flatten().any(|e| e.path().extension().is_some_and(|x| x == "role"));
        if !has_role {
            return;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (opts, env) = example_args(dir);
        // A relative path, so that source comments read `examples/NAME/file.role:LINE`.
        let built = build(Sources::Paths(vec![PathBuf::from(format!("examples/{name}"))]), opts, &env);
        for (_, value) in &env {
            assert!(
                !built.up.contains(value.as_str()) && !built.down.contains(value.as_str()),
                "{name}: an env value appears in the SQL"
            );
        }
        insta::assert_snapshot!("example", built.snapshot());
    });
}

// ---------------------------------------------------------------------------------- inline policies

/// One policy that has a statement in every phase.
const EVERY_PHASE: &str = r#"
schema app { owner app_owner, creators [etl] }

/// Owns the app schema.
role app_owner {}
role etl {}

/// Reads everything in app.
role reader {
  grant usage on schema app
  grant select on tables in schema app
  grant select on column (id, "Name") of table app.customers
}

role writer {
  member of reader
  grant insert, update, delete on tables in schema app
  grant usage on sequences in schema app
  grant execute on function app.touch(integer, text)
}

user "alice.ng" {
  member of writer with admin option
  password secret("ALICE_PASSWORD")
  connection limit 5
  valid until 2030-01-01
  set statement_timeout = "5min"
  set search_path = ["app", "$user"]
  comment "Alice's login"
}

user contractor { member of reader from 2026-01-01 until 2026-12-31 reason "Project X" }

defaults for role app_owner {
  revoke execute on functions from public
}

public {
  revoke create on schema public from public
  grant usage on schema app to public
}
"#;

#[test]
fn plain_mode() {
    let b = build(memory(&[("policy.role", EVERY_PHASE)]), options(15), &[]);
    // Target 15: the admin option in the old spelling.
    assert!(b.up.contains(r#"GRANT "writer" TO "alice.ng" WITH ADMIN OPTION;"#), "{}", b.up);
    assert!(b.up.contains("ALTER ROLE \"alice.ng\" PASSWORD 'SCRAM-SHA-256$4096:"), "{}", b.up);
    assert!(!b.up.contains("DO $"), "plain mode has no DO blocks");
    insta::assert_snapshot!(b.snapshot());
}

#[test]
fn idempotent_mode() {
    let opts = BuildOptions { idempotent: true, ..options(15) };
    let b = build(memory(&[("policy.role", EVERY_PHASE)]), opts, &[]);
    assert!(b.up.contains(r#"DO $rolec$ BEGIN CREATE ROLE "reader"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $rolec$;"#), "{}", b.up);
    assert!(b.down.contains(r#"DROP ROLE IF EXISTS "reader";"#), "{}", b.down);
    assert!(
        b.up.starts_with("-- rolec up.sql:")
            && b.up.lines().next().unwrap().ends_with(", safe to run again. Run as one transaction.")
    );
    insta::assert_snapshot!(b.snapshot());
}

#[test]
fn lock_mode() {
    let opts = BuildOptions { lock: true, ..options(15) };
    let b = build(memory(&[("policy.role", "role a {}\nrole b { member of a }\n")]), opts, &[]);
    let lock = format!(
        "DO $rolec$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock({}); IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN LOCK TABLE pg_catalog.pg_authid IN SHARE ROW EXCLUSIVE MODE; END IF; END $rolec$;",
        rolec::lower::script::LOCK_KEY
    );
    for script in [&b.up, &b.down] {
        let after_begin = script.split_once("BEGIN;\n").unwrap().1;
        assert!(
            after_begin.starts_with(&format!(
                "-- serialize concurrent runs (cluster-wide for a superuser, else per database)\n{lock}\n"
            )),
            "{script}"
        );
        assert_eq!(script.matches("pg_advisory_xact_lock").count(), 1, "one lock per script");
    }
    // --lock implies --idempotent, as on the command line.
    assert!(b.up.contains("EXCEPTION WHEN duplicate_object"), "{}", b.up);
    insta::assert_snapshot!(b.snapshot());
}

#[test]
fn target_16_membership_options() {
    let policy = r#"
role admin {}
role auditor {}
user ops { member of admin with admin option noinherit noset }
user bot { member of auditor noinherit }
user viewer { member of pg_read_all_data noset }
user plain { member of admin inherit }
"#;
    let b = build(memory(&[("policy.role", policy)]), options(16), &[]);
    assert!(b.up.contains(r#"GRANT "admin" TO "ops" WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;"#), "{}", b.up);
    assert!(b.up.contains(r#"GRANT "auditor" TO "bot" WITH INHERIT FALSE;"#), "{}", b.up);
    assert!(b.up.contains(r#"GRANT "pg_read_all_data" TO "viewer" WITH SET FALSE;"#), "{}", b.up);
    assert!(b.up.contains(r#"GRANT "admin" TO "plain" WITH INHERIT TRUE;"#), "{}", b.up);
    assert!(b.down.contains(r#"REVOKE "admin" FROM "ops";"#), "{}", b.down);
    insta::assert_snapshot!(b.snapshot());
}

#[test]
fn target_17_maintain() {
    let policy = r#"
schema app { owner app_owner }
role app_owner {}
role maintainer {
  grant maintain on table app.big
  grant select, maintain on tables in schema app
  member of pg_maintain
}
defaults for role app_owner {
  grant maintain on tables to maintainer
}
"#;
    let b = build(memory(&[("policy.role", policy)]), options(17), &[]);
    assert!(b.up.contains(r#"GRANT MAINTAIN ON TABLE "app"."big" TO "maintainer";"#), "{}", b.up);
    assert!(b.up.contains(r#"GRANT SELECT, MAINTAIN ON ALL TABLES IN SCHEMA "app" TO "maintainer";"#), "{}", b.up);
    assert!(b.up.contains(r#"GRANT "pg_maintain" TO "maintainer";"#), "{}", b.up);
    assert!(b.up.contains("-- rolec up.sql:") && b.up.contains("for PostgreSQL 17."), "{}", b.up);
    insta::assert_snapshot!(b.snapshot());
}

const HOSTILE: &str = r#"
role "x\"; DROP ROLE postgres; --" {
  comment "it's a trap'); DROP ROLE postgres; --"
}
role "ünïcødé_ロール" { member of "x\"; DROP ROLE postgres; --" }
role "has $rolec$ inside" {
  set search_path = ["a'b", "c\\d"]
}
role "new\nline" {}
user "o'brien" {
  member of "has $rolec$ inside" for 4h reason "line one\nDROP ROLE postgres; -- injected"
  set application_name = "$rolec$ $rolec1$"
}
"#;

#[test]
fn hostile_names() {
    for idempotent in [false, true] {
        let opts = BuildOptions { idempotent, ..options(15) };
        let b = build(memory(&[("hostile.role", HOSTILE)]), opts, &[]);
        for script in [&b.up, &b.down] {
            // Nothing escapes its quotes: no line of the script starts a statement of its own
            // except the ones rolec writes.
            for line in script.lines() {
                assert!(!line.trim_start().starts_with("DROP ROLE postgres"), "injected statement:\n{script}");
            }
        }
        assert!(b.up.contains(r#""x""; DROP ROLE postgres; --""#), "{}", b.up);
        assert!(
            b.up.contains(
                r#"COMMENT ON ROLE "x""; DROP ROLE postgres; --" IS 'it''s a trap''); DROP ROLE postgres; --';"#
            ),
            "{}",
            b.up
        );
        assert!(b.up.contains("E'c\\\\d'"), "a backslash makes an E'' literal: {}", b.up);
        assert!(
            b.up.contains(r"reason: line one\nDROP ROLE postgres; -- injected"),
            "the reason stays in one comment line, its line break escaped:\n{}",
            b.up
        );
        if idempotent {
            // The dollar-quote tag must not occur inside the block it quotes.
            assert!(b.up.contains(r#"DO $rolec1$ BEGIN CREATE ROLE "has $rolec$ inside";"#), "{}", b.up);
            for stmt in statements(&b.up).0.iter().chain(statements(&b.down).0.iter()) {
                if let Some(rest) = stmt.strip_prefix("DO $") {
                    let tag = format!("${}$", &rest[..rest.find('$').unwrap()]);
                    assert_eq!(stmt.matches(&tag).count(), 2, "tag {tag} occurs inside its block: {stmt}");
                }
            }
        }
        insta::assert_snapshot!(if idempotent { "hostile_names_idempotent" } else { "hostile_names" }, b.snapshot());
    }
}

#[test]
fn hba_for_connect_from() {
    let policy = r#"
user app {
  connect from 10.0.1.0/24 to database production
  connect from 2001:db8::/32
  connect from 192.168.0.7
}
user "Mixed Case.user" { connect from 10.0.0.0/8 to database "all" }
user nobody_remote {}
"#;
    let b = build(memory(&[("hba.role", policy)]), options(15), &[]);
    let lines: Vec<&str> = b.hba.lines().filter(|l| !l.starts_with('#')).collect();
    let fields = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    // Allow lines of a role come before its reject lines, and every role ends with both rejects.
    for role in ["\"app\"", "\"Mixed Case.user\""] {
        let mine: Vec<Vec<String>> = lines.iter().filter(|l| l.contains(role)).map(|l| fields(l)).collect();
        let methods: Vec<&str> = mine.iter().map(|f| f.last().unwrap().as_str()).collect();
        let first_reject = methods.iter().position(|m| *m == "reject").expect("reject lines");
        assert!(methods[..first_reject].iter().all(|m| *m == "scram-sha-256"), "{role}: {methods:?}");
        assert_eq!(methods[first_reject..], ["reject", "reject"], "{role}: {methods:?}");
    }
    assert!(
        lines.iter().any(|l| fields(l) == ["host", "\"production\"", "\"app\"", "10.0.1.0/24", "scram-sha-256"]),
        "{}",
        b.hba
    );
    assert!(
        lines.iter().any(|l| fields(l) == ["host", "all", "\"app\"", "192.168.0.7/32", "scram-sha-256"]),
        "a bare address gets /32: {}",
        b.hba
    );
    // A database named "all" is quoted, so it does not mean every database.
    assert!(lines.iter().any(|l| fields(l)[1] == "\"all\""), "{}", b.hba);
    assert!(!b.hba.contains("nobody_remote"), "{}", b.hba);
    insta::assert_snapshot!(b.snapshot());
}

/// Several files, one importing a standard module, with a role used before it is declared.
#[test]
fn multi_file_and_stdlib() {
    let a = "import std.access\nschema data { owner owner_role }\nrole editor { use writer(data); member of later }\n";
    let b = "role owner_role {}\nrole later {}\n";
    let built = build(memory(&[("a.role", a), ("b.role", b)]), options(15), &[]);
    insta::assert_snapshot!(built.snapshot());
}

/// `grant ROLE to PATTERN` in one file over roles of another: every matching role (not the
/// granted role itself) gets the membership, with the statement's options; a pair a role's own
/// `member of` states too is granted once, with the body's options.
#[test]
fn grant_role_to_pattern() {
    let grants = "grant code_review to *_developer, alice with admin option\ngrant code_review to web_developer\n";
    let roles = "role code_review {}\nrole app_developer {}\nrole web_developer { member of code_review }\n\
                 role lead_developer_tools {}\nuser alice {}\nuser bob {}\n";
    let built = build(memory(&[("grants.role", grants), ("roles.role", roles)]), options(15), &[]);
    let mut memberships: Vec<&str> = built.up.lines().filter(|l| l.starts_with("GRANT \"code_review\"")).collect();
    memberships.sort_unstable();
    assert_eq!(
        memberships,
        [
            r#"GRANT "code_review" TO "alice" WITH ADMIN OPTION;"#,
            r#"GRANT "code_review" TO "app_developer" WITH ADMIN OPTION;"#,
            r#"GRANT "code_review" TO "web_developer";"#,
        ],
        "{}",
        built.up
    );
    insta::assert_snapshot!(built.snapshot());
}

/// `--roles-only`: roles, attributes, settings, comments and memberships; no object privilege
/// (role bodies, `public` blocks, top-level grants) and no default privilege, in either script.
#[test]
fn roles_only_mode() {
    let policy = "import std.access\nexternal role app_owner\nschema app { owner app_owner }\n\
                  /// Reads the application.\nrole reader { use reader(app); set work_mem = \"64MB\" }\n\
                  user alice { member of reader; connection limit 3 }\ngrant usage on schema app to reader\n\
                  public { revoke create on schema public }\n\
                  defaults for role app_owner { revoke execute on functions from public }\n";
    let full = build(memory(&[("p.role", policy)]), options(15), &[]);
    assert!(full.up.contains("ALTER DEFAULT PRIVILEGES") && full.up.contains(" ON SCHEMA "), "{}", full.up);
    let built = build(memory(&[("p.role", policy)]), BuildOptions { roles_only: true, ..options(15) }, &[]);
    for line in built.up.lines().chain(built.down.lines()).filter(|l| !l.starts_with("--")) {
        let object_privilege = (line.starts_with("GRANT ") || line.starts_with("REVOKE ")) && line.contains(" ON ");
        assert!(!object_privilege && !line.contains("DEFAULT PRIVILEGES"), "a privilege: {line}");
    }
    insta::assert_snapshot!(built.snapshot());
}

// ---------------------------------------------------------------------------------- E014

#[test]
fn missing_secret_is_e014() {
    let policy = "user u {\n  password secret(\"U_PASSWORD\")\n}\nuser v { password secret(\"V_PASSWORD\") }\n";
    let ws = Workspace::load(memory(&[("secret.role", policy)]), options(15)).unwrap();
    assert!(ws.diagnostics().is_empty(), "a secret is read only when SQL is written");
    let plan = ws.plan();
    let locate = |span| ws.line_of(span);
    let opts = options(15);

    // Not set at all.
    let none = |_: &str| None;
    let errors = render_script(&plan, Direction::Up, &opts, &locate, &none).expect_err("a missing secret fails");
    assert_eq!(
        errors.iter().map(|d| d.code).collect::<Vec<_>>(),
        [Code::MissingSecret, Code::MissingSecret],
        "one E014 per secret"
    );
    let text = render::human(&errors, &ws, false);
    assert!(text.contains("environment variable `U_PASSWORD` is not set or empty"), "{text}");
    assert!(text.contains("secret.role:2:"), "E014 points at the secret: {text}");

    // Set but empty: the same error (an empty password would disable password login).
    let empty = |_: &str| Some(String::new());
    let errors = render_script(&plan, Direction::Up, &opts, &locate, &empty).expect_err("an empty secret fails");
    assert!(errors.iter().all(|d| d.code == Code::MissingSecret));

    // One set, one missing: only the missing one is reported, and the value set never shows.
    let one = |name: &str| (name == "U_PASSWORD").then(|| "u-value-must-not-leak".to_string());
    let errors = render_script(&plan, Direction::Up, &opts, &locate, &one).expect_err("V_PASSWORD is missing");
    assert_eq!(errors.len(), 1);
    let text_one = render::human(&errors, &ws, false);
    assert!(text_one.contains("V_PASSWORD") && !text_one.contains("u-value-must-not-leak"), "{text_one}");

    // down.sql needs no secret.
    assert!(render_script(&plan, Direction::Down, &opts, &locate, &none).is_ok());
    insta::assert_snapshot!(text);
}

/// `rolec build` frees the database before lowering: a missing secret is then reported from
/// the sources the build kept ([`rolec::db::Locator`]), as it would be from the workspace.
#[test]
fn build_reports_a_missing_secret_from_the_sources_it_kept() {
    let policy = "user u {\n  password secret(\"U_PASSWORD\")\n}\nuser v { password secret(\"V_PASSWORD\") }\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.role"), policy).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolec"))
        .args(["build", "--out", "out", "secret.role"])
        .current_dir(dir.path())
        .env_remove("U_PASSWORD")
        .env_remove("V_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("out").exists(), "nothing is written when a secret is missing");
    let ws = Workspace::load(memory(&[("secret.role", policy)]), options(15)).unwrap();
    let locate = |span| ws.line_of(span);
    let none = |_: &str| None;
    let errors = render_script(&ws.plan(), Direction::Up, &options(15), &locate, &none).unwrap_err();
    assert_eq!(String::from_utf8_lossy(&out.stderr), render::human(&errors, &ws, false));
}

/// The sources kept apart from the database answer every question about a span as the
/// workspace does: over several files, items after other items, lines of multibyte text, and
/// paths shown relative to a directory.
#[test]
fn the_locator_answers_as_the_workspace() {
    use rolec::diagnostics::render::SourceMap;
    let files = [
        ("dir/a.role", "// é\nrole a {}\n\nrole b { member of a }\nuser ü { grant select on table s.t }\n"),
        ("dir/b.role", "schema s {}\n\n\nrole c { member of a, b; comment \"ö\" }\nrole unused {}\n"),
    ];
    let mut ws = Workspace::load(memory(&files), options(15)).unwrap();
    ws.show_paths_from(Path::new("dir"));
    let locator = ws.locator();
    let plan = ws.plan();
    let mut spans: Vec<rolec::syntax::Span> = plan.up.iter().chain(&plan.down).filter_map(|s| s.origin).collect();
    for d in ws.diagnostics().iter() {
        spans.extend(std::iter::once(d.primary.span).chain(d.secondary.iter().map(|l| l.span)));
    }
    assert!(spans.len() > 10 && spans.iter().any(|s| s.item > 1), "{spans:?}");
    for span in spans {
        assert_eq!(locator.line_of(span), ws.line_of(span), "{span:?}");
        assert_eq!(locator.range(span), ws.range(span), "{span:?}");
        assert_eq!(locator.path(span.file), ws.path(span.file));
        assert_eq!(locator.text(span.file), ws.text(span.file));
        let at = ws.range(span).start;
        assert_eq!(locator.line_col(span.file, at), ws.line_col(span.file, at), "{span:?}");
    }
}

// ---------------------------------------------------------------------------------- the laws themselves

/// The law checks must fail on scripts that break them (each for the right reason).
#[test]
fn the_laws_catch_broken_scripts() {
    let good = build(memory(&[("policy.role", EVERY_PHASE)]), options(15), &[]);
    let copy = |up: String, down: String| Built {
        up: fix_header(&up),
        down: fix_header(&down),
        hba: good.hba.clone(),
        roles: good.roles.clone(),
        secrets: good.secrets.clone(),
        options: good.options.clone(),
    };
    let fails_with = |b: Built, needle: &str| {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_laws(&b)));
        let payload = result.expect_err("the broken script passed the laws");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(message.contains(needle), "failed, but not because of {needle:?}: {message}");
    };
    let blocks = |s: &str| -> Vec<String> { s.split("\n\n").map(str::to_string).collect() };
    let find = |bs: &[String], prefix: &str| {
        bs.iter().position(|b| b.lines().any(|l| l.starts_with(prefix))).unwrap_or_else(|| panic!("no {prefix}"))
    };

    // A COMMENT moved before the ALTER ROLEs (after every CREATE ROLE): phases out of order.
    let mut up = blocks(&good.up);
    let i = find(&up, "COMMENT ON ROLE");
    let b = up.remove(i);
    let first_alter = find(&up, "ALTER ROLE");
    up.insert(first_alter, b);
    fails_with(copy(up.join("\n\n"), good.down.clone()), "phase order");

    // A membership before the CREATE ROLE of its member.
    let mut up = blocks(&good.up);
    let i = find(&up, "CREATE ROLE \"contractor\"");
    let b = up.remove(i);
    let j = find(&up, "GRANT \"reader\" TO \"contractor\"");
    up.insert(j + 1, b);
    fails_with(copy(up.join("\n\n"), good.down.clone()), "before creating it");

    // A statement missing from down.sql.
    let mut down = blocks(&good.down);
    let i = find(&down, "REVOKE \"reader\" FROM \"writer\"");
    down.remove(i);
    fails_with(copy(good.up.clone(), down.join("\n\n")), "must undo");

    // down.sql in the wrong order.
    let mut down = blocks(&good.down);
    let i = find(&down, "DROP ROLE \"reader\"");
    down.swap(i, i + 1);
    fails_with(copy(good.up.clone(), down.join("\n\n")), "must undo");

    // A secret in a comment.
    let leaked = good.up.replacen("BEGIN;\n", &format!("BEGIN;\n-- {}\n", good.secrets[0]), 1);
    fails_with(copy(leaked, good.down.clone()), "secret value");
}

/// Rewrites the statement count in a script's header line.
fn fix_header(script: &str) -> String {
    let n = statements(script).0.len();
    let (first, rest) = script.split_once('\n').unwrap();
    let (head, tail) = first.split_once(": ").unwrap();
    let tail = tail.split_once(" statement(s)").unwrap().1;
    format!("{head}: {n} statement(s){tail}\n{rest}")
}

/// A policy over two databases: cluster-wide statements in the first transaction, then each
/// database's under a psql `\connect` line (quoted as a conninfo value, so a name with `'`, `"`,
/// `=` or `:` stays a name); `down.sql` in the reverse order.
#[test]
fn several_databases() {
    let policy = r#"databases app, "o'dd"" =:x"
external role app_owner
role reader {}
for db in databases {
  role "reader_{db}" {}
  grant "reader_{db}" to reader
  in database "{db}" {
    schema data { owner app_owner }
    grant select on tables in schema data to "reader_{db}"
  }
}
grant usage on schema public to reader
"#;
    let ws = Workspace::load(memory(&[("policy.role", policy)]), options(15)).expect("sources load");
    assert!(ws.diagnostics().is_empty(), "{:?}", ws.diagnostics());
    let plan = ws.plan();
    let locate = |span| ws.line_of(span);
    let render = |d| render_script(&plan, d, &options(15), &locate, &|_: &str| None).expect("renders");
    let (up, down) = (render(Direction::Up), render(Direction::Down));
    let app = up.find(r#"\connect -reuse-previous=on "dbname='app'""#).expect("connects to app");
    let odd = up.find(r#"\connect -reuse-previous=on "dbname='o\'dd"" =:x'""#).expect("connects to the odd name");
    let created = up.find(r#"CREATE ROLE "reader_app";"#).unwrap();
    assert!(created < app && app < odd, "{up}");
    // A role body's (and a top-level) grant outside `in database` belongs to the first database.
    let public = up.find(r#"GRANT USAGE ON SCHEMA "public" TO "reader";"#).unwrap();
    assert!(app < public && public < odd, "{up}");
    assert!(down.find(r#"DROP ROLE "reader";"#).unwrap() > down.find("dbname='app'").unwrap(), "{down}");
    insta::assert_snapshot!(format!("{up}\n---- down.sql ----\n{down}"));
}
