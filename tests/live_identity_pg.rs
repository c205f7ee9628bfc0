//! What the live commands compare must be what PostgreSQL stores, on a real throwaway cluster
//! (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another): routines named by schema-qualified
//! or quoted argument types, `VALID UNTIL '-infinity'`, and list settings with quoted elements.
//! In each case `rolec apply` then `rolec plan` shows no change, and `rolec import` round-trips.

mod support;

use std::path::Path;
use std::process::Output;

use support::pg::PgCluster;

const DB: &str = "postgres";

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rolec apply` of the policy `text` (must succeed).
#[track_caller]
fn apply(pg: &PgCluster, dir: &Path, policy_text: &str) {
    let policy = dir.join("policy.role");
    std::fs::write(&policy, policy_text).unwrap();
    let conn = pg.conn_str(DB);
    let out = rolec(&["apply", "--db", &conn, "--at", "2026-06-01", policy.to_str().unwrap()]);
    assert!(out.status.success(), "apply failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
}

/// `rolec plan --detailed-exitcode` of `path` (file or directory) must show no change.
#[track_caller]
fn assert_plan_empty(pg: &PgCluster, path: &Path, extra: &[&str], what: &str) {
    let conn = pg.conn_str(DB);
    let mut args = vec!["plan", "--db", &conn, "--detailed-exitcode", "--at", "2026-06-01"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    let out = rolec(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: the plan is not empty:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// `rolec check` must find no drift.
#[track_caller]
fn assert_check_clean(pg: &PgCluster, path: &Path, what: &str) {
    let conn = pg.conn_str(DB);
    let out = rolec(&["check", "--db", &conn, "--at", "2026-06-01", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{what}: check found drift:\n{}\n{}", text(&out.stdout), text(&out.stderr));
}

/// `rolec import --manage GLOB -o DIR`, then the imported policy planned again is empty;
/// returns the imported text.
#[track_caller]
fn import_round_trips(pg: &PgCluster, dir: &Path, glob: &str, what: &str) -> String {
    let conn = pg.conn_str(DB);
    let out_dir = dir.join("imported");
    let out = rolec(&["import", "--db", &conn, "--manage", glob, "-o", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{what}: import failed: {}", text(&out.stderr));
    let mut imported = String::new();
    let mut files: Vec<_> = std::fs::read_dir(&out_dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files {
        imported.push_str(&std::fs::read_to_string(f).unwrap());
    }
    assert_plan_empty(pg, &out_dir, &["--manage", glob], &format!("{what} (imported policy)\n{imported}"));
    imported
}

// ---- routines -----------------------------------------------------------------------------------

const ROUTINES_SQL: &str = r#"
CREATE SCHEMA app;
CREATE SCHEMA "Sch ema";
CREATE TYPE app.mytype AS (a int);
CREATE TYPE public.mytype AS (a int);
CREATE TYPE "Sch ema"."my ty""pe" AS (a int);
CREATE TYPE public."my ty""pe" AS (a int);
CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION app.f(app.mytype) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE FUNCTION app.f(public.mytype) RETURNS int LANGUAGE sql AS 'SELECT 3';
CREATE FUNCTION public.f(app.mytype) RETURNS int LANGUAGE sql AS 'SELECT 4';
CREATE FUNCTION "Sch ema".g("Sch ema"."my ty""pe", int[]) RETURNS int LANGUAGE sql AS 'SELECT 5';
CREATE FUNCTION "Sch ema".g(public."my ty""pe", int[]) RETURNS int LANGUAGE sql AS 'SELECT 6';
CREATE FUNCTION public.g("Sch ema"."my ty""pe", int[]) RETURNS int LANGUAGE sql AS 'SELECT 7';
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA app, "Sch ema", public FROM PUBLIC;
"#;

const ROUTINES_POLICY: &str = r#"
schema app
schema "Sch ema"
role runner {
  grant execute on function app.f(app.mytype)
  grant execute on function app.f(int)
  grant execute on function "Sch ema".g("Sch ema"."my ty""pe", int[])
}
"#;

#[test]
fn routines_with_qualified_and_quoted_argument_types_land_on_the_right_overload() {
    let pg = PgCluster::start();
    pg.exec(DB, ROUTINES_SQL).unwrap();
    let dir = tempfile::tempdir().unwrap();
    apply(&pg, dir.path(), ROUTINES_POLICY);
    let can = |signature: &str| {
        pg.query_bool(
            DB,
            &format!(
                "SELECT has_function_privilege('runner', '{}'::regprocedure, 'EXECUTE')",
                signature.replace('\'', "''")
            ),
        )
    };
    assert!(can("app.f(app.mytype)"));
    assert!(can("app.f(integer)"));
    assert!(can(r#""Sch ema".g("Sch ema"."my ty""pe", integer[])"#));
    for other in [
        "app.f(public.mytype)",
        "public.f(app.mytype)",
        r#""Sch ema".g(public."my ty""pe", integer[])"#,
        r#"public.g("Sch ema"."my ty""pe", integer[])"#,
    ] {
        assert!(!can(other), "execute landed on {other}");
    }
    let policy = dir.path().join("policy.role");
    assert_plan_empty(&pg, &policy, &[], "after apply");
    assert_check_clean(&pg, &policy, "after apply");
    let imported = import_round_trips(&pg, dir.path(), "runner", "routines");
    assert!(imported.contains(r#"grant execute on function "Sch ema".g("Sch ema"."my ty""pe", integer"#), "{imported}");
}

/// The one type normaliser agrees with the server: a type written as a policy or a `who-can`
/// question may write it has the spelling of the type PostgreSQL resolves it to.
#[test]
fn type_names_normalise_as_the_server_resolves_them() {
    let pg = PgCluster::start();
    pg.exec(
        DB,
        r#"CREATE SCHEMA app; CREATE TYPE app.mytype AS (a int); CREATE SCHEMA "Sch ema"; CREATE TYPE "Sch ema"."my ty""pe" AS (a int);"#,
    )
    .unwrap();
    let mut client = pg.client(DB);
    client.batch_execute("SET search_path = pg_catalog").unwrap();
    for written in [
        "int",
        "INT4",
        "integer",
        "smallint",
        "int2",
        "bigint",
        "int8",
        "bool",
        "boolean",
        "varchar(10)",
        "character varying",
        "char varying(3)",
        "char",
        "character(2)",
        "bpchar",
        "\"char\"",
        "float",
        "float(10)",
        "float(30)",
        "float4",
        "float8",
        "double precision",
        "real",
        "decimal(10, 2)",
        "dec",
        "numeric",
        "timestamp",
        "timestamp(3)",
        "timestamp with time zone",
        "timestamptz",
        "timestamp(3) without time zone",
        "time",
        "timetz",
        "time with time zone",
        "bit",
        "varbit",
        "bit varying(4)",
        "text",
        "text[]",
        "int[][]",
        "int[3]",
        "jsonb",
        "uuid",
        "interval",
        "pg_catalog.int4",
        "\"any\"",
        "anyelement",
        "regclass",
        "app.mytype",
        "app.MyType[]",
        "\"app\".\"mytype\"",
        "\"Sch ema\".\"my ty\"\"pe\"",
        "\"Sch ema\".\"my ty\"\"pe\"[]",
    ] {
        let row = client
            .query_one("SELECT pg_catalog.format_type($1::text::pg_catalog.regtype, NULL)", &[&written])
            .unwrap_or_else(|e| panic!("{written}: {e}"));
        let server: String = row.get(0);
        assert_eq!(
            rolec::pg::types::canonical_type(written),
            rolec::pg::types::canonical_type(&server),
            "{written} is {server} on the server"
        );
    }
}

// ---- VALID UNTIL '-infinity' ------------------------------------------------------------------

/// `-infinity` (always expired) is neither no expiry nor a timestamp: plan, check, import and
/// the snapshot keep it apart.
#[test]
fn valid_until_minus_infinity_is_a_value_of_its_own() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE locked_out VALID UNTIL '-infinity'; CREATE ROLE to_lock").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let conn = pg.conn_str(DB);

    // No expiry in the policy: the live `-infinity` is drift, cleared with 'infinity'.
    let unlocked = dir.path().join("unlocked.role");
    std::fs::write(&unlocked, "role locked_out {}\n").unwrap();
    let out = rolec(&["plan", "--db", &conn, unlocked.to_str().unwrap()]);
    assert!(
        text(&out.stdout).contains(r#"ALTER ROLE "locked_out" WITH VALID UNTIL 'infinity';"#),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = rolec(&["check", "--db", &conn, unlocked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("-infinity"), "{}", text(&out.stdout));

    // `-infinity` in the policy: applied as such, then nothing to do.
    apply(
        &pg,
        dir.path(),
        "role locked_out { valid until \"-infinity\" }\nrole to_lock { valid until \"-infinity\" }\n",
    );
    assert!(pg.query_bool(
        DB,
        "SELECT bool_and(rolvaliduntil = '-infinity') FROM pg_roles WHERE rolname IN ('locked_out', 'to_lock')"
    ));
    let policy = dir.path().join("policy.role");
    assert_plan_empty(&pg, &policy, &[], "-infinity applied");
    assert_check_clean(&pg, &policy, "-infinity applied");
    let snapshot = rolec(&["snapshot", "--db", &conn]);
    assert!(text(&snapshot.stdout).contains(r#""valid_until": "-infinity""#), "{}", text(&snapshot.stdout));
    let imported = import_round_trips(&pg, dir.path(), "*lock*", "-infinity");
    assert!(imported.contains("valid until \"-infinity\""), "{imported}");
}

// ---- list settings ----------------------------------------------------------------------------

/// The values rolec sets read back from what the server stores, for a table of inputs: quoted
/// list settings (each element an identifier, keywords and mixed case quoted), plain lists,
/// scalars.
#[test]
fn stored_settings_read_back_as_the_values_set() {
    use rolec::pg::settings::{same_setting, stored_form, stored_values};
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE setter").unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("search_path", &["$user", "My Schema", "public"]),
        ("search_path", &["App", "lower", "with space", "a,b", "q\"uote", "user", "select", "x$y"]),
        ("search_path", &["public"]),
        ("search_path", &[""]),
        ("temp_tablespaces", &["Fast Space", "pg_default"]),
        ("session_preload_libraries", &["auto_explain", "My Lib"]),
        ("statement_timeout", &["10min"]),
        ("app.tags", &["a, B c"]),
        ("DateStyle", &["ISO", "MDY"]),
    ];
    for (param, values) in cases {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let literals: Vec<String> = values.iter().map(|v| support::pg::quote_literal(v)).collect();
        pg.exec(DB, &format!("ALTER ROLE setter RESET ALL; ALTER ROLE setter SET {param} = {}", literals.join(", ")))
            .unwrap();
        let stored = pg.query_strings(
            DB,
            "SELECT substr(c, strpos(c, '=') + 1) FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = 'setter'::regrole",
        );
        let [stored] = stored.as_slice() else { panic!("{param}: {stored:?}") };
        assert!(same_setting(param, &values, stored), "{param} = {values:?} is stored as {stored}");
        if param.contains("search_path") || param.contains("tablespaces") || param.contains("libraries") {
            assert_eq!(&stored_values(param, stored), &values, "{param}: {stored}");
        }
        // The form rolec expects reads back the same (the server also quotes keywords).
        assert!(same_setting(param, &values, &stored_form(param, &values)), "{param} = {values:?}");
        if !values.iter().any(|v| v == "user" || v == "select") {
            assert_eq!(&stored_form(param, &values), stored, "{param} = {values:?}");
        }
    }
}

/// Settings with quoted elements, mixed case, spaces and `$user`: applied, then nothing to do;
/// a value in other units is the same value; import round-trips.
#[test]
fn list_settings_with_quoted_elements_converge() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE SCHEMA \"My Schema\"").unwrap();
    let dir = tempfile::tempdir().unwrap();
    apply(
        &pg,
        dir.path(),
        r#"
role pathy {
  set search_path = ["$user", "My Schema", "public"]
  set statement_timeout = "10min"
}
role pathy_db {
  set search_path = ["App", "user", "a, b"] in database postgres
  set temp_tablespaces = ["pg_default"]
  set session_preload_libraries = "Some Lib"
}
"#,
    );
    let stored = pg.query_strings(
        DB,
        "SELECT c FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = 'pathy'::regrole AND c LIKE 'search_path=%'",
    );
    assert_eq!(stored, vec![r#"search_path="$user", "My Schema", public"#.to_string()]);
    let policy = dir.path().join("policy.role");
    assert_plan_empty(&pg, &policy, &[], "after apply");
    assert_check_clean(&pg, &policy, "after apply");
    // The same timeout in other units is no change.
    pg.exec(DB, "ALTER ROLE pathy SET statement_timeout = '600s'").unwrap();
    assert_plan_empty(&pg, &policy, &[], "10min is 600s");
    let imported = import_round_trips(&pg, dir.path(), "pathy*", "list settings");
    assert!(imported.contains(r#"set search_path = ["$user", "My Schema", "public"]"#), "{imported}");
}
