//! Robustness: whatever the input, loading, diagnosing, planning and rendering never panic,
//! every diagnostic points inside its file, and error recovery works per statement.
//!
//! 1. arbitrary bytes, unicode and token soup as a file; deeply nested text;
//! 2. every prefix of the bundled examples and of the inline policies below;
//! 3. random line- and token-level mutations of those policies (and odd build options, and
//!    incremental rebuilds compared with fresh ones);
//! 4. N syntax errors on N lines give N `E001` on those lines;
//! 5. generated valid policies build without errors, and one added membership that closes a
//!    cycle gives exactly one `E006` showing that cycle.
//!
//! Each test stays well under 20 s in a debug build. Two `#[ignore]`d tests record known
//! bugs (`cargo test --test robustness -- --ignored` shows them).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

use rolec::db::{Sources, Workspace};
use rolec::diagnostics::render::{self, SourceMap};
use rolec::diagnostics::{Code, Diagnostic};
use rolec::lower::script::{render, Direction};
use rolec::model::BuildOptions;

// ====================================================================== the pipeline

/// The options every check builds with: a fixed instant and PostgreSQL 17, so that the
/// version-dependent features (`noinherit`, `noset` memberships, `maintain`) are allowed.
fn options() -> BuildOptions {
    BuildOptions { at: 1_735_689_600, target_version: 17, ..BuildOptions::default() }
    // 2025-01-01
}

/// What one run of the pipeline produced.
struct Outcome {
    diagnostics: Vec<Diagnostic>,
    /// `up.sql` and `down.sql`, when the policy has no error.
    scripts: Option<(String, String)>,
    concise: String,
}

impl Outcome {
    fn errors(&self) -> Vec<&Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error()).collect()
    }

    fn codes(&self) -> Vec<Code> {
        self.diagnostics.iter().map(|d| d.code).collect()
    }
}

/// Load, diagnose, render the diagnostics every way, plan, and, without errors, render the
/// scripts. Checks every span and every position on the way; panics (fails) on a violation.
fn run(files: &[(String, String)]) -> Outcome {
    run_with(files, options())
}

fn run_with(files: &[(String, String)], options: BuildOptions) -> Outcome {
    let ws = Workspace::load(Sources::Memory(files.to_vec()), options).expect("in-memory sources always load");
    let diagnostics: Vec<Diagnostic> = ws.diagnostics().to_vec();
    for d in &diagnostics {
        check_spans(&ws, d);
    }
    let human = render::human(&diagnostics, &ws, false);
    let _colored = render::human(&diagnostics, &ws, true);
    let json = render::json(&diagnostics, &ws);
    let github = render::github(&diagnostics, &ws);
    let concise = render::concise(&diagnostics, &ws);
    assert_eq!(json.as_array().map(Vec::len), Some(diagnostics.len()), "one JSON object per diagnostic");
    assert_eq!(
        github.lines().filter(|l| l.starts_with("::")).count(),
        diagnostics.len(),
        "one annotation per diagnostic"
    );
    for item in json.as_array().into_iter().flatten() {
        let line = item["line"].as_u64().unwrap_or(0);
        let end_line = item["end_line"].as_u64().unwrap_or(0);
        assert!(line >= 1 && end_line >= line, "JSON lines out of order: {item}");
    }
    if !diagnostics.is_empty() {
        assert!(!human.is_empty(), "the human renderer printed nothing for {} diagnostics", diagnostics.len());
    }

    // Lowering must not panic even for a policy with errors (the CLI stops earlier).
    let plan = ws.plan();
    let scripts = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        let locate = |span| ws.line_of(span);
        let secret = |_: &str| Some("robustness-password".to_string());
        let up = render(&plan, Direction::Up, ws.options(), &locate, &secret);
        let down = render(&plan, Direction::Down, ws.options(), &locate, &secret);
        match (up, down) {
            (Ok(up), Ok(down)) => Some((up, down)),
            (up, down) => panic!("a policy without errors failed to render: {:?} {:?}", up.err(), down.err()),
        }
    };
    Outcome { diagnostics, scripts, concise }
}

/// Every span of a diagnostic (primary, secondary, redacted) lies inside its file's text.
fn check_spans(ws: &Workspace, d: &Diagnostic) {
    let spans =
        std::iter::once(d.primary.span).chain(d.secondary.iter().map(|l| l.span)).chain(d.redact.iter().copied());
    for span in spans {
        assert!((span.file.0 as usize) < ws.files().len(), "{} points at unknown file {:?}", d.code, span.file);
        let text = ws.text(span.file);
        let range = ws.range(span);
        assert!(
            range.start <= range.end && range.end <= text.len(),
            "{} `{}`: span {:?} → {:?} is outside the file ({} bytes)",
            d.code,
            d.message,
            span,
            range,
            text.len()
        );
        assert!(
            text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
            "{} `{}`: span {:?} → {:?} splits a character",
            d.code,
            d.message,
            span,
            range
        );
    }
}

fn one_file(text: &str) -> Vec<(String, String)> {
    vec![("policy/main.role".to_string(), text.to_string())]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 64,
        // Seeds of failures found, re-run first next time.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/generated/robustness.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

// ====================================================================== the corpus

/// Hand-written valid policies covering every construct of the language (§1–§6 of the
/// design), as multi-file policies: `(path, text)`.
fn inline_policies() -> Vec<Vec<(String, String)>> {
    let p = |files: &[(&str, &str)]| files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect::<Vec<_>>();
    vec![
        // §1 roles and users, every attribute and every grant target.
        p(&[(
            "roles/main.role",
            r#"// Roles and users.
/// Read-only access to the application schema.
role read_only {
  grant usage on schema app
  grant select on tables in schema app        // current AND future tables
}

role data_entry {
  grant insert, update on tables in schema app
  grant usage on sequences in schema app
}

role developer { member of read_only, data_entry }
role security_admin { createrole; nosuperuser }

role admin {
  member of developer, security_admin
  bypassrls
  set statement_timeout = "10min"
  set work_mem = "64MB" in database appdb
  set search_path to ["app", "public"]
}

/* A block comment /* nested */ before a user. */
user "jane.smith" {
  member of admin
  password secret("JANE_PASSWORD")
  connection limit 5
  valid until 2027-01-01
  comment "Jane; she's \"the\" admin"
  tags [staff, "EU"]
}

user svc {
  nologin
  login
  createdb
  replication
  noinherit
  connection limit -1
  valid until infinity
  password scram "SCRAM-SHA-256$4096:cm9sZWMtZXhhbXBsZS1zYQ==$xU6Z0a6Ek6y95rVzuNDs/D8tca7FttA6YpGgvqmbsfg=:vQ7+QIsl95bdhpXj9a4rqmcT5E5hPhYVmHUcs3zqglg="
  grant select on table app.orders with grant option
  grant select, insert, update, delete, truncate, references, trigger, maintain on table app.items
  grant all privileges on view app.v_orders
  grant usage, select, update on sequence app.orders_id_seq
  grant execute on function app.total(integer, text, numeric(10, 2), int[], public.mood)
  grant execute on procedure app.refresh()
  grant execute on routine app.nightly(double precision)
  grant usage on type app.mood
  grant usage on domain app.email
  grant select, update on column (a, "B") of table app.orders
  grant insert on columns (a) of view app.v_orders
  grant connect, temporary on database appdb
  grant create, temp on database otherdb
  grant execute on functions in schema app
  grant execute on routines in schema app
  grant all on schema app
}

schema app { owner app_owner }
role app_owner
external role legacy, "Legacy Admin"
role uses_predefined { member of pg_read_all_data, pg_monitor, legacy, "Legacy Admin" }

public {
  revoke create on schema public from public
  grant usage on schema app to public
  grant execute on function app.total(integer, text, numeric(10, 2), int[], public.mood)
}
"#,
        )]),
        // §2 composition and membership options, §3 windows and connections.
        p(&[(
            "org.role",
            r#"schema app { owner schema_designer }
role schema_designer { grant usage, create on schema app }
role read_only { grant usage on schema app; grant select on tables in schema app }
role report_writer {}
role data_entry { grant insert on tables in schema app }
role security_admin {}
role auditor {}
role analyst    { member of read_only, report_writer }
role developer  { member of read_only, data_entry, schema_designer }
role admin      { member of developer, security_admin }
role tenant_a {}
role tenant_b {}
role super_admin { member of admin, all roles }
role support    { member of tenant_*, tenant_? }

user ops { member of admin with admin option }
user auditor_bot { member of auditor noinherit }
user viewer { member of pg_read_all_data noset }
user both { member of auditor inherit noset with admin option }

user contractor { member of developer from 2024-01-01 until 2024-12-31 }
user future { member of developer from 2030-01-01T08:00:00Z }
user dev_oncall { member of admin for 4h reason "Emergency production fix" }
user windowed {
  member of read_only from 2024-06-01 10:00 until 2026-01-01T00:00:00+02:00
}
user prod_admin {
  member of admin
  connect from 10.0.1.0/24 to database production
  connect from 2001:db8::/32
  connect from 192.168.1.1
}
"#,
        )]),
        // §4 bulk grants and default privileges.
        p(&[
            (
                "db/schemas.role",
                r#"schema app { owner app_owner }
schema reports { owner app_owner, creators [report_writer, etl] }
schema "Mixed Case" {
  owner app_owner
  tags [pii]
  comment "a quoted schema"
}
role app_owner
role report_writer { grant usage, create on schema reports }
user etl { grant usage, create on schema reports }
"#,
            ),
            (
                "db/defaults.role",
                r#"role read_only {
  grant usage on schema app
  grant select on tables in schema app
  grant select on tables in schema "Mixed Case"
  grant usage, select on sequences in schema reports
  grant execute on functions in schema reports
}

defaults for role app_owner in schema app {
  grant select on tables to read_only
  grant usage on sequences to read_only, public
  grant execute on functions to read_only with grant option
  grant usage on types to read_only
}

defaults for role app_owner, etl in schema reports, app {
  grant select, insert on tables to read_only
}

defaults for role app_owner {
  revoke execute on functions from public
  revoke usage on types from public
  grant usage, create on schemas to read_only
  grant execute on routines to read_only
}
"#,
            ),
        ]),
        // §5 templates, extends, let / for, imports.
        p(&[
            (
                "gen/main.role",
                r#"import "lib/templates.role"
import std.base_roles
import std.access

let tenants = ["001", "002", "003"]
let env = "prod"
let limit = 5
let timeout = 10min
let since = 2024-01-01

role read_only {}
role company_resources {}
role self_service_hr {}
role approve_pull_requests {}
role manage_team {}
role schema_designer {}
role developer { member of read_only, schema_designer; set statement_timeout = "1min" }
role tenant_base {}
schema data { owner "app_{env}" }
role "app_{env}" {}

role new_employee: employee()
role contractor:   employee() without member of company_resources
role slow: employee(timeout = 1h) without set work_mem
role quick: employee(30s) { comment "quick" }
role editor { use reader(public); use writer(data) }
role editor2 { use writer2(s = data) without grant delete on tables in schema data }

role team_lead extends developer {
  member of approve_pull_requests, manage_team
  without member of schema_designer
  without login
  set statement_timeout = "10min"
}
role senior_lead extends team_lead { without set statement_timeout }

for t in tenants {
  schema "tenant_{t}" { owner tenant_base }
  /// One tenant.
  role "tenant_{t}" { member of tenant_base; grant all on schema "tenant_{t}" }
  for u in ["a", "b"] {
    user "user_{t}_{u}" { member of "tenant_{t}" from since }
  }
}
role all_tenants { member of tenant_0* }
"#,
            ),
            (
                "gen/lib/templates.role",
                r#"/// Every employee.
template employee(timeout: duration = 5min) {
  member of read_only, company_resources, self_service_hr
  set statement_timeout = timeout
  set work_mem = "256MB"
}
template writer2(s: schema, extra: list = ["x"], n: int = 3, label: string = "w", owner: role = read_only) {
  use reader(s)
  grant insert, update, delete on tables in schema s
  comment "{label}"
}
"#,
            ),
        ]),
        // §6 policies and inventory.
        p(&[(
            "policy.role",
            r#"schema app { owner app_owner }
role app_owner
role approver {}
role requester {}
role developer {}
role trader {}
role risk_manager {}
user dba { superuser }
user alice { member of approver }
user bob { member of requester }

/// Duties that must stay apart.
policy separation_of_duties {
  exclusive approver, requester
  exclusive trader, risk_manager, developer
}

policy max_permissions applies to users {
  max schemas 5
  max tables 100
  max tables tagged sensitive 10
  max admin rights 3
}
policy for_roles applies to roles { max schemas 10 }
policy for_all applies to all { warn max tables 1000 }
policy for_list applies to [alice, bob] { max schemas 2 }
policy for_glob applies to app_* { max schemas 2 }

policy hygiene {
  forbid superuser except dba
  forbid createrole
  forbid grant on schema public to public
  forbid grant create on schema public to public
  warn memberships deeper than 6
}

table app.card_numbers { tags [sensitive, pci] }
view app.v_cards { tags [sensitive] }
sequence app.card_seq
function app.mask(text) { comment "masks a card number" }
"#,
        )]),
    ]
}

/// Every example policy (`examples/*/` directories), as `(path, text)` files; examples are
/// being written while this runs, so unreadable ones are skipped.
fn example_policies() -> Vec<Vec<(String, String)>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&root).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| {
            let mut files = Vec::new();
            collect_role_files(dir, &mut files);
            files.sort();
            files
                .into_iter()
                .filter_map(|p| {
                    let text = std::fs::read_to_string(&p).ok()?;
                    Some((p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().into_owned(), text))
                })
                .collect::<Vec<_>>()
        })
        .filter(|files| !files.is_empty())
        .collect()
}

fn collect_role_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_role_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "role") {
            out.push(p);
        }
    }
}

fn corpus() -> Vec<Vec<(String, String)>> {
    let mut all = inline_policies();
    all.extend(example_policies());
    all
}

#[test]
fn inline_policies_are_valid() {
    for files in inline_policies() {
        let out = run(&files);
        assert!(out.errors().is_empty(), "inline policy {} has errors:\n{}", files[0].0, out.concise);
        assert!(out.scripts.is_some());
    }
}

// ====================================================================== 1. arbitrary input

/// Words and punctuation of the language, and some that are not.
const TOKENS: &[&str] = &[
    "role",
    "user",
    "template",
    "let",
    "for",
    "in",
    "import",
    "external",
    "schema",
    "owner",
    "creators",
    "defaults",
    "grant",
    "revoke",
    "on",
    "to",
    "from",
    "public",
    "policy",
    "applies",
    "exclusive",
    "max",
    "tagged",
    "forbid",
    "except",
    "memberships",
    "deeper",
    "than",
    "member",
    "of",
    "until",
    "reason",
    "without",
    "set",
    "connection",
    "limit",
    "valid",
    "password",
    "scram",
    "secret",
    "database",
    "comment",
    "tags",
    "use",
    "connect",
    "column",
    "columns",
    "table",
    "tables",
    "view",
    "sequence",
    "sequences",
    "function",
    "functions",
    "procedure",
    "routine",
    "routines",
    "type",
    "types",
    "domain",
    "schemas",
    "extends",
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
    "maintain",
    "usage",
    "create",
    "temporary",
    "execute",
    "all",
    "privileges",
    "roles",
    "users",
    "with",
    "admin",
    "option",
    "noinherit",
    "inherit",
    "noset",
    "login",
    "superuser",
    "bypassrls",
    "when",
    "std.access",
    "std.base_roles",
    "std.nope",
    "a",
    "b",
    "x_1",
    "app.t",
    "É",
    "日本",
    "_",
    "$",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ":",
    "=",
    ".",
    "*",
    "?",
    "/",
    "//",
    "///",
    "/*",
    "*/",
    "\"",
    "\"a\"",
    "\"{x}\"",
    "\"{\"",
    "\"\\",
    "\\",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\t",
    " ",
    " ",
    " ",
    "0",
    "5",
    "-1",
    "99999999999999999999",
    "4h",
    "5min",
    "1w",
    "2024-01-01",
    "2024-02-30",
    "2024-01-01T10:00:00Z",
    "10.0.0.0/8",
    "::1/129",
    "\u{FEFF}",
    "\u{0}",
    "\u{301}",
    "🦀",
    "SCRAM-SHA-256$4096:AAAA$BBBB:CCCC",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|ts| {
        let mut s = String::new();
        for t in ts {
            s.push_str(t);
            s.push(' ');
        }
        s
    })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        run(&one_file(&String::from_utf8_lossy(&bytes)));
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,300}") {
        run(&one_file(&text));
    }

    #[test]
    fn token_soup_never_panics(text in token_soup(), second in token_soup()) {
        run(&[("a/one.role".to_string(), text), ("a/two.role".to_string(), second)]);
    }
}

/// Re-parsing after an edit, from the parse before it, gives the parse from scratch: for every
/// file of the corpus, a chain of random edits (a few characters deleted, a token of the
/// language or a brace, quote or comment opener typed), each re-parsed from the last.
#[test]
fn reparsing_after_edits_equals_parsing_from_scratch() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let file = rolec::syntax::FileId(3);
    let (mut reused, mut edits) = (0, 0);
    for files in corpus() {
        for (path, original) in files {
            let mut text = original.clone();
            let mut parsed = rolec::syntax::parse(&text, file);
            for _ in 0..150 {
                let mut at = next(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + next(4)).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let typed = TOKENS[next(TOKENS.len())];
                let before = text.clone();
                text.replace_range(at..end, typed);
                let fresh = rolec::syntax::parse(&text, file);
                if let Some(again) = rolec::syntax::reparse(&before, &parsed, &text, file) {
                    if again != fresh {
                        let kinds = |p: &rolec::syntax::Parsed| {
                            p.ast
                                .items
                                .iter()
                                .zip(&p.item_offsets)
                                .map(|(i, o)| {
                                    format!("{o}:{}", format!("{:?}", i.kind).chars().take(12).collect::<String>())
                                })
                                .collect::<Vec<_>>()
                        };
                        eprintln!("OLD {:?}\nNEW {:?}\nAGAIN {:?}", kinds(&parsed), kinds(&fresh), kinds(&again));
                    }
                    assert!(again == fresh, "{path}: `{}` typed over {at}..{end} of\n{before}", typed.escape_debug());
                    reused += 1;
                }
                edits += 1;
                parsed = fresh;
                // Now and then back to the file as written, so that most edits are to a
                // file that parses.
                if next(8) == 0 {
                    let back = rolec::syntax::parse(&original, file);
                    if let Some(again) = rolec::syntax::reparse(&text, &parsed, &original, file) {
                        assert!(again == back, "{path}: back to the file as written from\n{text}");
                    }
                    (text, parsed) = (original.clone(), back);
                }
            }
        }
    }
    assert!(reused * 2 > edits, "most edits re-parse part of the file: {reused} of {edits}");
}

#[test]
fn deep_nesting_never_panics() {
    // pest stops at its stack limit; everything after it must cope with deep trees too.
    for n in [10, 100, 1000] {
        for text in [
            format!("{}{}", "{".repeat(n), "}".repeat(n)),
            format!("role a {{ {}{} }}", "{".repeat(n), "}".repeat(n)),
            "/*".repeat(n),
            format!("let x = {}{}", "[".repeat(n), "]".repeat(n)),
            format!("let x = {}", "[".repeat(n)),
            format!("{}role r\n{}", "for x in [\"a\"] {\n".repeat(n), "}\n".repeat(n)),
            format!("role a {{ grant execute on function f({}) }}", "(".repeat(n)),
            format!("role a {{ grant execute on function f({}) }}", "int[".repeat(n)),
        ] {
            run(&one_file(&text));
        }
    }
    for n in [1, 2, 5, 8, 40] {
        run(&one_file(&"{".repeat(n)));
        run(&one_file(&format!("role a {{ {}", "{".repeat(n))));
    }
}

/// Unclosed `{` must not make parsing blow up (the catch-all `brace_block` once read every `{`
/// both as a nested block and as a plain character: exponential). An editor with a
/// half-typed file hits this.
#[test]
fn unclosed_braces_parse_in_linear_time() {
    for text in [
        "{".repeat(30),
        "{ { }".repeat(30),
        (0..30).map(|i| format!("for x in [\"a\"] {{ role r{i}_{{x}} {{ member of a }}\n")).collect(),
    ] {
        let (tx, rx) = std::sync::mpsc::channel();
        let probe = text.clone();
        std::thread::spawn(move || {
            run(&one_file(&probe));
            let _ = tx.send(());
        });
        // The thread cannot be stopped; the test binary ends it when it exits.
        let done = rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok();
        assert!(done, "no result after 10 s for {} bytes: {:?}…", text.len(), &text[..40.min(text.len())]);
    }
}

// ====================================================================== 2. truncations

/// Byte offsets of at most `max` char boundaries of `text`, always including both ends.
fn cut_points(text: &str, max: usize) -> Vec<usize> {
    let all: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    if all.len() <= max {
        return all;
    }
    let step = all.len().div_ceil(max);
    // A step that is not a multiple of typical token lengths, so cuts land everywhere.
    let step = if step.is_multiple_of(2) { step + 1 } else { step };
    let mut points: Vec<usize> = all.iter().copied().step_by(step).collect();
    points.push(text.len());
    points
}

#[test]
fn every_prefix_is_handled() {
    // About 2,500 pipeline runs in all; each policy's other files stay whole.
    for files in corpus() {
        for (i, (path, text)) in files.iter().enumerate() {
            for cut in cut_points(text, 150) {
                let mut truncated = files.clone();
                truncated[i].1 = text[..cut].to_string();
                let result = std::panic::catch_unwind(|| run(&truncated));
                if let Err(e) = result {
                    panic!("{path} cut at byte {cut} panicked: {e:?}\n--- text ---\n{}", &text[..cut]);
                }
            }
        }
    }
}

// ====================================================================== 3. mutations

#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Inserts a token before word `word` of line `line`.
    InsertToken {
        line: Index,
        word: Index,
        token: &'static str,
    },
    /// Replaces word `word` of line `line` with a token.
    ReplaceWord {
        line: Index,
        word: Index,
        token: &'static str,
    },
}

const MUTATION_TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "*",
    "//",
    "/*",
    "///",
    "\n",
    "role",
    "user",
    "grant",
    "revoke",
    "member of",
    "without",
    "use",
    "extends",
    "for",
    "let",
    "schema",
    "table",
    "tables in schema",
    "select",
    "execute",
    "usage",
    "all roles",
    "public",
    "noinherit",
    "with admin option",
    "from 2024-01-01",
    "for 4h",
    "until",
    "set",
    "x",
    "\"{t}\"",
    "read_only",
    "app",
    "pg_monitor",
];

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop::sample::select(MUTATION_TOKENS);
    prop_oneof![
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<Index>(), any::<Index>(), token.clone()).prop_map(|(line, word, token)| Edit::InsertToken {
            line,
            word,
            token
        }),
        (any::<Index>(), any::<Index>(), token).prop_map(|(line, word, token)| Edit::ReplaceWord { line, word, token }),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    match edit {
        Edit::DeleteLine(i) => {
            lines.remove(i.index(n));
        }
        Edit::DuplicateLine(i) => {
            let i = i.index(n);
            lines.insert(i, lines[i].clone());
        }
        Edit::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
        Edit::InsertToken { line, word, token } | Edit::ReplaceWord { line, word, token } => {
            let l = line.index(n);
            let mut words: Vec<String> = lines[l].split(' ').map(str::to_string).collect();
            let w = word.index(words.len());
            if matches!(edit, Edit::InsertToken { .. }) {
                words.insert(w, token.to_string());
            } else {
                words[w] = token.to_string();
            }
            lines[l] = words.join(" ");
        }
    }
    lines.join("\n") + "\n"
}

/// Build options, including odd ones: unsupported versions, instants at the ends of time.
fn any_options() -> impl Strategy<Value = BuildOptions> {
    let at = prop_oneof![Just(0i64), Just(i64::MIN), Just(i64::MAX), any::<i64>(), 1_600_000_000i64..1_900_000_000];
    let version = prop_oneof![prop::sample::select(vec![14u32, 15, 16, 17, 18]), any::<u32>()];
    let sets = prop::collection::vec(
        (prop::sample::select(vec!["tenants", "db", "env", "limit", "timeout", "nope"]), "[a-z0-9,:\\-]{0,12}"),
        0..3,
    );
    (at, version, any::<bool>(), any::<bool>(), any::<bool>(), sets).prop_map(
        |(at, target_version, idempotent, lock, roles_only, sets)| BuildOptions {
            at,
            target_version,
            idempotent: idempotent || lock,
            lock,
            roles_only,
            sets: sets.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
        },
    )
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn mutations_never_panic(policy in any::<Index>(), file in any::<Index>(), edits in prop::collection::vec(edit(), 1..4)) {
        let corpus = corpus();
        let mut files = corpus[policy.index(corpus.len())].clone();
        let f = file.index(files.len());
        for e in &edits {
            files[f].1 = apply(&files[f].1, e);
        }
        // `run` renders the scripts whenever there is no error, and fails if that fails.
        run(&files);
    }
}

/// The diagnostics (as `file:line:col: code: message`) and the statements of a workspace.
fn summary(ws: &Workspace) -> (String, Vec<String>, Vec<String>) {
    let diagnostics = render::concise(&ws.diagnostics(), ws);
    let plan = ws.plan();
    let sql = |s: &rolec::lower::Statement| {
        format!("{:?} {:?} @{}", s.sql, s.note, s.origin.map(|o| ws.line_of(o)).unwrap_or_default())
    };
    (diagnostics, plan.up.iter().map(sql).collect(), plan.down.iter().map(sql).collect())
}

/// An import removed (or added) by an edit changes the policy's files at once: the roles of
/// `std.base_roles` are gone after `import std.base_roles` is deleted, and back when it returns.
#[test]
fn set_text_follows_imports() {
    let text = "import std.base_roles\nrole x { member of anonymous }\n";
    let mut ws = Workspace::load(Sources::Memory(one_file(text)), options()).unwrap();
    assert!(ws.diagnostics().is_empty());
    let edited = "role x { member of anonymous }\n";
    ws.set_text(ws.file_by_path("policy/main.role").unwrap(), edited.to_string());
    let fresh = Workspace::load(Sources::Memory(one_file(edited)), options()).unwrap();
    assert_eq!(summary(&ws), summary(&fresh), "the deleted import still counts");
    ws.set_text(ws.file_by_path("policy/main.role").unwrap(), text.to_string());
    assert!(ws.diagnostics().is_empty(), "the import is followed again");
}

proptest! {
    #![proptest_config(config(300))]

    /// After `set_text`, what salsa reuses gives the same answers as a fresh build.
    #[test]
    fn incremental_rebuild_matches_fresh_build(policy in any::<Index>(), file in any::<Index>(), edits in prop::collection::vec(edit(), 1..4)) {
        let corpus = corpus();
        let files = corpus[policy.index(corpus.len())].clone();
        let f = file.index(files.len());
        let mut ws = Workspace::load(Sources::Memory(files.clone()), options()).unwrap();
        let _ = summary(&ws);
        let mut edited = files.clone();
        for e in &edits {
            edited[f].1 = apply(&edited[f].1, e);
            let handle = ws.file_by_path(&edited[f].0).expect("a loaded file");
            ws.set_text(handle, edited[f].1.clone());
            let _ = summary(&ws);
        }
        // Edits that change imports are covered too: `set_text` follows them again.
        let fresh = Workspace::load(Sources::Memory(edited.clone()), options()).unwrap();
        let (a, b) = (summary(&ws), summary(&fresh));
        prop_assert!(a == b, "incremental:\n{}\nfresh:\n{}\n{}", a.0, b.0, show(&edited));
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn any_build_options_never_panic(policy in any::<Index>(), options in any_options()) {
        let corpus = corpus();
        run_with(&corpus[policy.index(corpus.len())], options);
    }
}

#[test]
fn imports_never_panic() {
    let files = |pairs: &[(&str, &str)]| pairs.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect::<Vec<_>>();
    for policy in [
        files(&[("a.role", "import \"a.role\"\nrole a {}")]),
        files(&[
            ("x/a.role", "import \"b.role\"\nrole a {}"),
            ("x/b.role", "import \"a.role\"\nrole b { member of a }"),
        ]),
        files(&[("x/a.role", "import \"../../../../etc/passwd\"\nimport \"/abs.role\"\nimport \"\"\nimport \"{v}\"")]),
        files(&[("x/a.role", "import \"missing.role\"\nimport std.nope\nimport std.access\nimport std.access")]),
        files(&[
            ("x/a.role", "for x in [\"a\"] { import \"b.role\" }\nrole r { use reader(public) }"),
            ("x/b.role", "role b {}"),
        ]),
    ] {
        run(&policy);
    }
}

// ====================================================================== 4. error recovery

/// One line with one syntax error each, at every statement level; the error is on the line.
const BAD_LINES: &[(&str, &str)] = &[
    ("top level", "rol misspelled {}"),
    ("role statement", "role r1 {\n  member off a\n}"),
    ("grant target", "role r2 {\n  grant select on tabel app.t\n}"),
    ("privilege", "role r3 {\n  grant selekt on table app.t\n}"),
    ("attribute", "role r4 {\n  superuserr\n}"),
    ("connection limit", "role r5 {\n  connection limit many\n}"),
    ("set", "role r6 {\n  set = 5\n}"),
    ("password", "role r7 {\n  password secret(FOO)\n}"),
    ("schema statement", "schema s1 {\n  ownr x\n}"),
    ("defaults statement", "defaults for role r1 {\n  grant select on tablez to r1\n}"),
    ("public statement", "public {\n  grant usage on shema app\n}"),
    ("policy rule", "policy p1 {\n  exclusiv a, b\n}"),
    ("object statement", "table app.t {\n  tagz [a]\n}"),
    ("let", "let = 3"),
    ("template parameter", "template t1(s: schemaa) {}"),
    ("membership option", "role r8 {\n  member of a until\n}"),
    ("for body", "for x in [\"a\"] {\n  rolle y\n}"),
    ("template body", "template t2() {\n  grand usage on schema app\n}"),
];

#[test]
fn each_syntax_error_is_reported_on_its_line() {
    for n in 1..=BAD_LINES.len() {
        let mut text = String::from("// N errors on N lines\nrole ok_start {}\n");
        let mut expected = Vec::new();
        for (i, (_, bad)) in BAD_LINES[..n].iter().enumerate() {
            text.push_str(&format!("role ok_{i} {{ grant usage on schema public }}\n"));
            let first_line = text.lines().count() + 1;
            // The erroneous line is the only line of a one-line case, else the second line.
            let offset = if bad.contains('\n') { 1 } else { 0 };
            expected.push((BAD_LINES[i].0, first_line + offset));
            text.push_str(bad);
            text.push('\n');
        }
        text.push_str("role ok_end {}\n");
        let ws = Workspace::load(Sources::Memory(one_file(&text)), options()).unwrap();
        let diagnostics = ws.diagnostics();
        let syntax_lines: Vec<usize> = diagnostics
            .iter()
            .filter(|d| d.code == Code::Syntax)
            .map(|d| render::line_col(&text, ws.range(d.primary.span).start).0)
            .collect();
        assert!(
            syntax_lines.len() >= n,
            "{n} errors, {} E001:\n{}\n{text}",
            syntax_lines.len(),
            render::concise(&diagnostics, &ws)
        );
        for (what, line) in &expected {
            assert!(
                syntax_lines.contains(line),
                "no E001 on line {line} ({what}); E001 lines: {syntax_lines:?}\n{}\n{text}",
                render::concise(&diagnostics, &ws)
            );
        }
        // The valid roles around the errors are all still there.
        let resolved = ws.resolved();
        for i in 0..n {
            assert!(
                resolved.model.roles.iter().any(|r| r.name == format!("ok_{i}")),
                "role ok_{i} lost after {n} errors"
            );
        }
        assert!(resolved.model.roles.iter().any(|r| r.name == "ok_end"), "role ok_end lost after {n} errors");
    }
}

// ====================================================================== 5. generated policies

/// Attributes a generated role may have (`superuser` only on `dba`, see `hygiene`).
const ATTRS: &[&str] =
    &["login", "nologin", "createdb", "createrole", "replication", "bypassrls", "noinherit", "inherit"];

const MEMBER_OPTIONS: &[&str] = &[
    "",
    "",
    " with admin option",
    " noinherit",
    " inherit",
    " noset",
    " from 2020-01-01 until 2030-01-01",
    " for 4h reason \"on call\"",
    " from 2020-01-01T08:00:00Z",
    " until 2031-06-30",
    " from 2019-01-01 until 2020-01-01", // closed at build time: a warning, not an error
];

const SETTINGS: &[&str] = &[
    "set statement_timeout = \"10min\"",
    "set work_mem = \"64MB\" in database appdb",
    "set search_path = [\"app\", \"public\"]",
    "set lock_timeout to 5s",
    "set app.tenant = \"t1\"",
];

/// Grant targets and the privileges each takes.
const TARGETS: &[(&str, &[&str])] = &[
    ("table {s}.t{o}", &["select", "insert", "update", "delete", "truncate", "references", "trigger", "maintain"]),
    ("view {s}.v{o}", &["select", "insert", "update", "delete", "truncate", "references", "trigger"]),
    ("sequence {s}.q{o}", &["usage", "select", "update"]),
    ("function {s}.f{o}(integer, text)", &["execute"]),
    ("procedure {s}.p{o}()", &["execute"]),
    ("schema {s}", &["usage", "create"]),
    ("database db{o}", &["create", "connect", "temporary", "temp"]),
    ("type {s}.ty{o}", &["usage"]),
    ("domain {s}.d{o}", &["usage"]),
    ("column (c{o}, \"C x\") of table {s}.t{o}", &["select", "insert", "update", "references"]),
    ("tables in schema {s}", &["select", "insert", "update", "delete", "truncate", "references", "trigger"]),
    ("sequences in schema {s}", &["usage", "select", "update"]),
    ("functions in schema {s}", &["execute"]),
    ("routines in schema {s}", &["execute"]),
];

#[derive(Clone, Debug)]
struct GrantSpec {
    target: Index,
    schema: Index,
    object: u8,
    /// Bit i: the i-th privilege of the target; none → `all`.
    privileges: u8,
    grant_option: bool,
}

#[derive(Clone, Debug)]
struct RoleSpec {
    user: bool,
    quoted: bool,
    doc: bool,
    attrs: Vec<Index>,
    /// Memberships in earlier group roles, with an option from `MEMBER_OPTIONS`.
    members: Vec<(Index, Index)>,
    grants: Vec<GrantSpec>,
    settings: Vec<Index>,
    limit: Option<i64>,
    valid_until: bool,
    /// `Some(true)`: `secret(…)`, `Some(false)`: a SCRAM verifier.
    password: Option<bool>,
    comment: bool,
    tags: bool,
    connect: bool,
    /// `use reader(S)` / `use writer(S)`.
    uses: Vec<(bool, Index)>,
    /// `use joins(R)`: membership through a template parameter of type `role`.
    joins: Option<Index>,
    /// `role x: limited(…)`, with or without an argument and `without set work_mem`.
    from_template: Option<(Option<u8>, bool)>,
    /// Another earlier role whose body this one copies.
    extends: Option<Index>,
}

#[derive(Clone, Debug)]
struct PolicySpec {
    roles: Vec<RoleSpec>,
    schemas: Vec<(Index, Option<Index>)>,
    defaults: Vec<(Index, Option<Index>, Index)>,
    loop_names: Vec<&'static str>,
    loop_target: Index,
    top: bool,
    support: bool,
    files: usize,
    public_block: bool,
}

fn grant_spec() -> impl Strategy<Value = GrantSpec> {
    (any::<Index>(), any::<Index>(), 0u8..4, any::<u8>(), prop::bool::weighted(0.15)).prop_map(
        |(target, schema, object, privileges, grant_option)| GrantSpec {
            target,
            schema,
            object,
            privileges,
            grant_option,
        },
    )
}

fn role_spec() -> impl Strategy<Value = RoleSpec> {
    (
        (
            any::<bool>(),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.3),
            prop::collection::vec(any::<Index>(), 0..3),
        ),
        (prop::collection::vec((any::<Index>(), any::<Index>()), 0..4), prop::collection::vec(grant_spec(), 0..5)),
        (
            prop::collection::vec(any::<Index>(), 0..3),
            prop::option::weighted(0.2, -1i64..100),
            prop::bool::weighted(0.2),
        ),
        (
            prop::option::weighted(0.15, prop::bool::weighted(0.3)),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.1),
        ),
        (
            prop::collection::vec((any::<bool>(), any::<Index>()), 0..2),
            prop::option::weighted(0.15, any::<Index>()),
            prop::option::weighted(0.15, (prop::option::of(0u8..3), any::<bool>())),
            prop::option::weighted(0.2, any::<Index>()),
        ),
    )
        .prop_map(
            |(
                (user, quoted, doc, attrs),
                (members, grants),
                (settings, limit, valid_until),
                (password, comment, tags, connect),
                (uses, joins, from_template, extends),
            )| RoleSpec {
                user,
                quoted,
                doc,
                attrs,
                members,
                grants,
                settings,
                limit,
                valid_until,
                password,
                comment,
                tags,
                connect,
                uses,
                joins,
                from_template,
                extends,
            },
        )
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        prop::collection::vec(role_spec(), 1..10),
        prop::collection::vec((any::<Index>(), prop::option::of(any::<Index>())), 0..4),
        prop::collection::vec((any::<Index>(), prop::option::of(any::<Index>()), any::<Index>()), 0..3),
        prop::sample::subsequence(vec!["eu", "us", "apac", "latam"], 0..4),
        any::<Index>(),
        (prop::bool::weighted(0.3), prop::bool::weighted(0.3), 1usize..4, any::<bool>()),
    )
        .prop_map(|(roles, schemas, defaults, loop_names, loop_target, (top, support, files, public_block))| {
            PolicySpec { roles, schemas, defaults, loop_names, loop_target, top, support, files, public_block }
        })
}

const TEMPLATES: &str = r#"/// Read access to a schema, now and later.
template reader(s: schema) {
  grant usage on schema s
  grant select on tables in schema s
}
template writer(s: schema) {
  use reader(s)
  grant insert, update, delete on tables in schema s
}
template limited(timeout: duration = 5min) {
  set statement_timeout = timeout
  set work_mem = "64MB"
}
template joins(r: role) { member of r }
"#;

const VERIFIER: &str = "SCRAM-SHA-256$4096:cm9sZWMtZXhhbXBsZS1zYQ==$xU6Z0a6Ek6y95rVzuNDs/D8tca7FttA6YpGgvqmbsfg=:vQ7+QIsl95bdhpXj9a4rqmcT5E5hPhYVmHUcs3zqglg=";

/// A generated policy: its files and its membership graph over the generated roles
/// (`r0…`, then the loop roles, `support` and `top`).
struct Generated {
    files: Vec<(String, String)>,
    names: Vec<String>,
    /// `edges[i]`: the roles `names[i]` is a direct member of.
    edges: Vec<BTreeSet<usize>>,
    /// Generated roles other roles `extends`.
    extended: BTreeSet<usize>,
    /// Where to add a statement to role `r{i}`: `(file, byte offset before its closing brace)`.
    bodies: Vec<(usize, usize)>,
}

impl Generated {
    /// Every role `i` reaches through memberships (not itself).
    fn reach(&self, i: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = self.edges[i].iter().copied().collect();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(self.edges[n].iter().copied());
            }
        }
        seen
    }
}

fn generate(spec: &PolicySpec) -> Generated {
    let n = spec.roles.len();
    let role_name = |i: usize| format!("r{i}");
    let groups: Vec<usize> = (0..n).filter(|&i| !spec.roles[i].user).collect();
    // Schemas, each owned by a generated role.
    let schemas: Vec<String> = (0..spec.schemas.len()).map(|i| format!("s{i}")).collect();
    let schema_of = |ix: &Index| -> String {
        let k = ix.index(schemas.len() + 1);
        schemas.get(k).cloned().unwrap_or_else(|| "public".to_string())
    };

    let mut names: Vec<String> = (0..n).map(role_name).collect();
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let mut extended = BTreeSet::new();
    let mut texts: Vec<String> = vec![String::new(); spec.files];
    let mut bodies = Vec::new();
    texts[0].push_str(TEMPLATES);

    for (i, r) in spec.roles.iter().enumerate() {
        let earlier_groups: Vec<usize> = groups.iter().copied().filter(|&g| g < i).collect();
        let f = i % spec.files;
        let mut s = String::new();
        if r.doc {
            s.push_str(&format!("/// Role number {i}.\n"));
        }
        let name = if r.quoted { format!("\"{}\"", role_name(i)) } else { role_name(i) };
        s.push_str(&format!("{} {name}", if r.user { "user" } else { "role" }));
        if let Some((arg, without)) = r.from_template {
            match arg {
                Some(a) => s.push_str(&format!(": limited({})", ["30s", "10min", "timeout = 1h"][a as usize])),
                None => s.push_str(": limited()"),
            }
            if without {
                s.push_str(" without set work_mem");
            }
        }
        if let Some(e) = &r.extends {
            if i > 0 {
                let base = e.index(i);
                s.push_str(&format!(" extends {}", role_name(base)));
                extended.insert(base);
                let inherited = edges[base].clone();
                edges[i].extend(inherited);
            }
        }
        s.push_str(" {\n");
        for a in &r.attrs {
            s.push_str(&format!("  {}\n", ATTRS[a.index(ATTRS.len())]));
        }
        for (target, option) in &r.members {
            if earlier_groups.is_empty() {
                break;
            }
            let t = earlier_groups[target.index(earlier_groups.len())];
            s.push_str(&format!(
                "  member of {}{}\n",
                role_name(t),
                MEMBER_OPTIONS[option.index(MEMBER_OPTIONS.len())]
            ));
            edges[i].insert(t);
        }
        if let (Some(j), false) = (&r.joins, earlier_groups.is_empty()) {
            let t = earlier_groups[j.index(earlier_groups.len())];
            s.push_str(&format!("  use joins({})\n", role_name(t)));
            edges[i].insert(t);
        }
        for (write, schema) in &r.uses {
            s.push_str(&format!("  use {}({})\n", if *write { "writer" } else { "reader" }, schema_of(schema)));
        }
        for g in &r.grants {
            let (pattern, privs) = TARGETS[g.target.index(TARGETS.len())];
            let chosen: Vec<&str> =
                privs.iter().enumerate().filter(|(k, _)| g.privileges & (1 << k) != 0).map(|(_, p)| *p).collect();
            let privs = if chosen.is_empty() { "all".to_string() } else { chosen.join(", ") };
            let target = pattern.replace("{s}", &schema_of(&g.schema)).replace("{o}", &g.object.to_string());
            s.push_str(&format!(
                "  grant {privs} on {target}{}\n",
                if g.grant_option { " with grant option" } else { "" }
            ));
        }
        for k in &r.settings {
            s.push_str(&format!("  {}\n", SETTINGS[k.index(SETTINGS.len())]));
        }
        if let Some(l) = r.limit {
            s.push_str(&format!("  connection limit {l}\n"));
        }
        if r.valid_until {
            s.push_str("  valid until 2030-01-01T00:00:00Z\n");
        }
        match r.password {
            Some(true) => s.push_str(&format!("  password secret(\"PW_{i}\")\n")),
            Some(false) => s.push_str(&format!("  password scram \"{VERIFIER}\"\n")),
            None => {}
        }
        if r.comment {
            s.push_str(&format!("  comment \"Role {i}: it's \\\"generated\\\"\"\n"));
        }
        if r.tags {
            s.push_str("  tags [generated, \"Mixed\"]\n");
        }
        if r.connect {
            s.push_str("  connect from 10.0.0.0/8 to database appdb\n");
        }
        bodies.push((f, texts[f].len() + s.len()));
        s.push_str("}\n\n");
        texts[f].push_str(&s);
    }

    // `let` and `for`: leaf roles, members of one written group role.
    let mut extra = String::from("let suffix = \"prod\"\nuser \"app_{suffix}\" { connection limit 3 }\n");
    if !spec.loop_names.is_empty() {
        let names_list: Vec<String> = spec.loop_names.iter().map(|x| format!("\"{x}\"")).collect();
        extra.push_str(&format!(
            "let regions = [{}]\nfor x in regions {{\n  role \"loop_{{x}}\" {{\n",
            names_list.join(", ")
        ));
        let target = (!groups.is_empty()).then(|| groups[spec.loop_target.index(groups.len())]);
        if let Some(t) = target {
            extra.push_str(&format!("    member of {}\n", role_name(t)));
        }
        extra.push_str("    grant usage on schema public\n  }\n}\n");
        for x in &spec.loop_names {
            names.push(format!("loop_{x}"));
            edges.push(target.into_iter().collect());
        }
    }
    let loop_roles: Vec<usize> = (n..names.len()).collect();
    if spec.support && !loop_roles.is_empty() {
        extra.push_str("role support { member of loop_* }\n");
        names.push("support".to_string());
        edges.push(loop_roles.iter().copied().collect());
    }
    if spec.top {
        // `all roles`: every group role but itself, including the generated ones.
        extra.push_str("role top { member of all roles }\n");
        let all: BTreeSet<usize> = (0..names.len()).filter(|&k| k >= n || !spec.roles[k].user).collect();
        names.push("top".to_string());
        edges.push(all);
    }
    texts[0].push_str(&extra);

    // Schemas, default privileges, PUBLIC, inventory and policies in the last file.
    let last = spec.files - 1;
    let mut tail = String::new();
    for (k, (owner, creator)) in spec.schemas.iter().enumerate() {
        tail.push_str(&format!("schema s{k} {{ owner {}", role_name(owner.index(n))));
        if let Some(c) = creator {
            tail.push_str(&format!(", creators [{}]", role_name(c.index(n))));
        }
        tail.push_str(" }\n");
        tail.push_str(&format!("table s{k}.t0 {{ tags [sensitive] }}\n"));
    }
    for (owner, schema, grantee) in &spec.defaults {
        let owner = role_name(owner.index(n));
        let grantee = role_name(grantee.index(n));
        match schema {
            Some(s) if !schemas.is_empty() => tail.push_str(&format!(
                "defaults for role {owner} in schema {} {{\n  grant select on tables to {grantee}\n  grant usage on sequences to {grantee}, public\n}}\n",
                schemas[s.index(schemas.len())]
            )),
            _ => tail.push_str(&format!(
                "defaults for role {owner} {{\n  revoke execute on functions from public\n  grant usage on types to {grantee} with grant option\n}}\n"
            )),
        }
    }
    if spec.public_block {
        tail.push_str(&format!(
            "public {{\n  revoke create on schema public from public\n  grant usage on schema {} to public\n}}\n",
            schemas.first().map_or("public", String::as_str)
        ));
    }
    tail.push_str("user dba { superuser }\npolicy hygiene {\n  forbid superuser except dba\n  warn memberships deeper than 6\n}\n");
    texts[last].push_str(&tail);

    let mut generated = Generated {
        files: texts.into_iter().enumerate().map(|(k, t)| (format!("gen/f{k}.role"), t)).collect(),
        names,
        edges,
        extended,
        bodies,
    };
    // Two roles no role reaches both of are exclusive; declare one such pair if there is one.
    if let Some((a, b)) = exclusive_pair(&generated) {
        let rule = format!("policy sod {{ exclusive {}, {} }}\n", generated.names[a], generated.names[b]);
        generated.files[last].1.push_str(&rule);
    }
    generated
}

fn exclusive_pair(g: &Generated) -> Option<(usize, usize)> {
    let reach: Vec<BTreeSet<usize>> = (0..g.names.len())
        .map(|i| {
            let mut r = g.reach(i);
            r.insert(i);
            r
        })
        .collect();
    for a in 0..g.names.len() {
        for b in a + 1..g.names.len() {
            if !reach.iter().any(|r| r.contains(&a) && r.contains(&b)) {
                return Some((a, b));
            }
        }
    }
    None
}

fn show(files: &[(String, String)]) -> String {
    files.iter().map(|(p, t)| format!("--- {p}\n{t}")).collect()
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn generated_policies_build(spec in policy_spec()) {
        let g = generate(&spec);
        let out = run(&g.files);
        prop_assert!(out.errors().is_empty(), "errors in a valid policy:\n{}\n{}", out.concise, show(&g.files));
        let (up, down) = out.scripts.as_ref().expect("a policy without errors renders");
        prop_assert!(up.contains("CREATE ROLE \"r0\";"), "r0 is not created:\n{up}");
        prop_assert!(down.contains("DROP ROLE \"r0\";"));
        // Only warnings that the generator can cause (its `warn memberships deeper than 6`
        // holds for random hierarchies only most of the time: W034; random roles and grants
        // may be unused or shadowed, random windows may close soon: W040–W042).
        for c in out.codes() {
            prop_assert!(
                matches!(c, Code::WindowClosed | Code::SchemaWithoutOwner | Code::Redundant | Code::UnusedGlob | Code::DeepMemberships | Code::UnusedRole | Code::WindowClosingSoon | Code::ShadowedGrant),
                "unexpected {c}:\n{}",
                out.concise
            );
        }
    }

    /// The role-by-role analysis (salsa queries per chunk of roles) reports what the plain
    /// whole-model statement of the rules reports.
    #[test]
    fn role_by_role_analysis_equals_the_whole_model_rules(spec in policy_spec(), max in 0u64..4) {
        let mut g = generate(&spec);
        let last = g.files.len() - 1;
        g.files[last].1.push_str(&format!("policy limits applies to users {{\n  warn max schemas {max}\n  warn max tables {max}\n  warn max admin rights {max}\n}}\n"));
        let ws = Workspace::load(Sources::Memory(g.files.clone()), options()).unwrap();
        prop_assume!(!ws.diagnostics().iter().any(Diagnostic::is_error));
        let key = |d: &Diagnostic| format!("{} {} {:?}", d.code.as_str(), d.message, d.primary.span);
        let mut per_role: Vec<String> = rolec::db::analysis_diagnostics(&ws.db, ws.policy).iter().flat_map(|p| p.iter().map(key)).collect();
        let library: Vec<_> = ws.files().iter().filter(|f| f.path(&ws.db).starts_with("<std>/")).map(|f| f.id(&ws.db)).collect();
        let mut whole: Vec<String> = support::whole_model::diagnostics(&ws.resolved().model, options().target_version, None, options().at, &library).iter().map(key).collect();
        per_role.sort();
        whole.sort();
        prop_assert_eq!(per_role, whole, "{}", show(&g.files));
    }

    #[test]
    fn one_added_membership_is_reported_as_the_cycle(spec in policy_spec(), pick in any::<Index>()) {
        let mut g = generate(&spec);
        let n = spec.roles.len();
        // (member, role) pairs that close a cycle: `role` already reaches `member`; a role
        // that others extend would pass the new membership on, making more cycles.
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for j in 0..n {
            for i in g.reach(j) {
                if i < n && !g.extended.contains(&i) {
                    candidates.push((i, j));
                }
            }
        }
        // Without such a pair, a role that is a member of itself.
        let (i, j) = if candidates.is_empty() { let i = pick.index(n); (i, i) } else { candidates[pick.index(candidates.len())] };
        let (file, at) = g.bodies[i];
        g.files[file].1.insert_str(at, &format!("  member of r{j}\n"));
        let out = run(&g.files);
        let errors = out.errors();
        prop_assert!(
            errors.len() == 1 && errors[0].code == Code::MembershipCycle,
            "expected exactly one E006 for r{i} → r{j}:\n{}\n{}",
            out.concise,
            show(&g.files)
        );
        let message = &errors[0].message;
        let edge = format!("`r{i}` → `r{j}`");
        prop_assert!(message.contains(&edge), "the cycle does not show {edge}: {message}");
        // Every step of the cycle shown is a membership of the policy.
        let path: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
        prop_assert!(path.len() >= 2 && path.first() == path.last(), "not a closed path: {message}");
        for w in path.windows(2) {
            let a = g.names.iter().position(|x| x == w[0]).unwrap();
            let b = g.names.iter().position(|x| x == w[1]).unwrap();
            prop_assert!(g.edges[a].contains(&b) || (a, b) == (i, j), "`{}` is not a member of `{}`: {message}", w[0], w[1]);
        }
    }
}
