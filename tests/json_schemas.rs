//! Every JSON output of the real binary against its JSON Schema in docs/schemas/: `lint` and
//! `build` on the examples and on a policy with errors, `explain` and `who-can` on the
//! examples, and `snapshot`, `plan`, `check` and `usage` on a throwaway PostgreSQL.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::pg::PgCluster;

const BASE: &str = "https://github.com/rolec/rolec/raw/main/docs/schemas/";

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas")
}

/// Validates `json` against docs/schemas/`name`.schema.json (its references to the other
/// schemas resolved among them, never fetched), and checks that it names `format`.
#[track_caller]
fn validate(name: &str, format: &str, json: &Value) {
    assert_eq!(json["format"], format, "{name}: the format field");
    let mut registry = jsonschema::Registry::new();
    for entry in std::fs::read_dir(schemas_dir()).unwrap() {
        let path = entry.unwrap().path();
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let file = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(schema["$id"], format!("{BASE}{file}"), "the $id of {file}");
        jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{file} is not a valid schema: {e}"));
        registry = registry.add(format!("{BASE}{file}"), schema).unwrap();
    }
    let registry = registry.prepare().unwrap();
    let root = serde_json::json!({ "$ref": format!("{BASE}{name}.schema.json") });
    let validator = jsonschema::options().with_registry(&registry).build(&root).unwrap();
    let errors: Vec<String> = validator.iter_errors(json).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\nin {}", serde_json::to_string_pretty(json).unwrap());
}

fn rolec(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::cli::rolec_command();
    cmd.args(args).envs(env.iter().copied());
    cmd.output().expect("cannot run rolec")
}

/// The JSON a command prints, with its exit code checked.
#[track_caller]
fn json_of(out: &Output, code: i32) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(code), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).to_str().unwrap().to_string()
}

const EXAMPLES: &[&str] =
    &["base_roles", "compliance", "default_privileges", "hierarchy", "multi_tenant", "read_write_per_db"];

/// Errors with related locations, a warning with help, and an allow that allows nothing.
const BROKEN: &str = "\
role a {}
role a { member of nobody }
role lonely {} // rolec: allow E002
";

#[test]
fn lint_and_build_json_match_their_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    for name in EXAMPLES {
        let path = example(name);
        let lint = json_of(&rolec(&["lint", "--format", "json", &path], &[("AUTHENTICATOR_PASSWORD", "x")]), 0);
        validate("lint", "rolec-lint/1", &lint);
        let build = rolec(
            &["build", "--format", "json", "--out", out_dir.to_str().unwrap(), &path],
            &[("AUTHENTICATOR_PASSWORD", "x")],
        );
        validate("lint", "rolec-build/1", &json_of(&build, 0));
    }
    let broken = dir.path().join("broken.role");
    std::fs::write(&broken, BROKEN).unwrap();
    let lint = json_of(&rolec(&["lint", "--format", "json", broken.to_str().unwrap()], &[]), 1);
    validate("lint", "rolec-lint/1", &lint);
    let diagnostics = lint["diagnostics"].as_array().unwrap();
    assert!(diagnostics.iter().any(|d| !d["related"].as_array().unwrap().is_empty()), "{lint}");
    assert!(diagnostics.iter().any(|d| d["code"] == "W043"), "{lint}");
    let build =
        rolec(&["build", "--format", "json", "--out", out_dir.to_str().unwrap(), broken.to_str().unwrap()], &[]);
    validate("lint", "rolec-build/1", &json_of(&build, 1));
}

/// The roles and users of the `*.role` files in a directory, as declared (`role NAME`).
fn declared_roles(dir: &str) -> Vec<String> {
    let mut roles = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "role") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let mut words = line.split_whitespace();
                if let (Some("role" | "user"), Some(name)) = (words.next(), words.next()) {
                    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        roles.push(name.to_string());
                    }
                }
            }
        }
    }
    roles
}

#[test]
fn explain_and_who_can_json_match_their_schemas() {
    let mut explained = 0;
    for name in EXAMPLES {
        let path = example(name);
        for role in declared_roles(&path).iter().take(8) {
            let out = rolec(&["explain", role, &path, "--format", "json"], &[]);
            validate("explain", "rolec-explain/1", &json_of(&out, 0));
            explained += 1;
        }
    }
    assert!(explained > 20, "{explained} roles explained");
    let hierarchy = example("hierarchy");
    for question in [
        "member of read_only",
        "usage of data_entry",
        "usage on schema app",
        "grant usage on schema app",
        "select on future tables in schema reports created by report_writer",
        "execute on future functions created by schema_designer",
    ] {
        let out = rolec(&["who-can", question, &hierarchy, "--format", "json"], &[]);
        let json = json_of(&out, 0);
        assert!(!json["roles"].as_array().unwrap().is_empty() || json["public"].is_object(), "{question}: {json}");
        validate("who-can", "rolec-who-can/1", &json);
    }
}

const DB: &str = "postgres";

/// Two exclusive roles, a password from the environment, a grant on a table.
const LIVE_POLICY: &str = r#"
schema app
table app.t
role reader { grant usage on schema app
  grant select on table app.t }
role writer { grant usage on schema app
  grant insert on table app.t }
user alice { member of reader
  password secret("ALICE_PASSWORD") }
policy separation { exclusive reader, writer }
"#;

#[test]
fn snapshot_plan_and_check_json_match_their_schemas() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE SCHEMA app; CREATE TABLE app.t (id int);").unwrap();
    let conn = pg.conn_str(DB);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    std::fs::write(&policy, LIVE_POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let env = [("ALICE_PASSWORD", "a secret")];

    let catalog = json_of(&rolec(&["snapshot", "--db", &conn], &[]), 0);
    validate("catalog", "rolec-catalog/1", &catalog);
    pg.create_database("second");
    pg.exec("second", "CREATE SCHEMA app; CREATE TABLE app.t (id int);").unwrap();
    let several = ["snapshot", "--db", &conn, "--database", DB, "--database", "second"];
    let catalog = json_of(&rolec(&several, &[]), 0);
    validate("catalog", "rolec-catalog/2", &catalog);
    assert_eq!(catalog["other_databases"][0]["database"], "second", "{catalog}");

    let plan = json_of(&rolec(&["plan", "--db", &conn, "--format", "json", policy], &env), 0);
    validate("plan", "rolec-plan/1", &plan);
    assert!(plan["changes"].as_array().unwrap().iter().any(|c| c["password"]["from"] == "env"), "{plan}");
    let applied = rolec(&["apply", "--db", &conn, policy], &env);
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));

    // By hand: a role outside the policy that breaks its rule, and a privilege taken away.
    pg.exec(DB, "CREATE ROLE bob; GRANT reader, writer TO bob; REVOKE SELECT ON app.t FROM reader;").unwrap();
    let check = json_of(&rolec(&["check", "--db", &conn, "--format", "json", policy], &env), 2);
    validate("check", "rolec-check/1", &check);
    assert!(!check["rules"].as_array().unwrap().is_empty(), "{check}");
    let plan = json_of(&rolec(&["plan", "--db", &conn, "--format", "json", policy], &env), 0);
    validate("plan", "rolec-plan/1", &plan);
    assert!(!plan["rules"].as_array().unwrap().is_empty(), "{plan}");
}

#[test]
fn usage_json_matches_its_schema() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE alice LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE lonely;").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A csvlog login of alice, a gzip-compressed jsonlog one, and a line that does not read.
    let csv = dir.path().join("postgresql.csv");
    std::fs::write(
        &csv,
        "2026-12-05 11:53:16.994 UTC,\"alice\",\"postgres\",15436,\"[local]\",6b13fb2c.3c4c,2,\"authentication\",\
         2026-12-05 11:53:16 UTC,3/1,0,LOG,00000,\"connection authorized: user=alice database=postgres\",,,,,,,,,\"\",\
         \"client backend\",,0\nnot a record\n",
    )
    .unwrap();
    let json = dir.path().join("postgresql.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut gz,
        b"{\"timestamp\":\"2026-12-06 08:00:00.000 UTC\",\"user\":\"alice\",\"error_severity\":\"LOG\",\
          \"message\":\"connection authorized: user=alice database=postgres\"}\n",
    )
    .unwrap();
    std::fs::write(&json, gz.finish().unwrap()).unwrap();
    let policy = dir.path().join("p.role");
    std::fs::write(&policy, "user carol {}\n").unwrap();
    let conn = pg.conn_str(DB);
    let args = [
        "usage",
        "--db",
        &conn,
        "--format",
        "json",
        "--at",
        "2027-01-01T00:00:00Z",
        policy.to_str().unwrap(),
        "--log",
        csv.to_str().unwrap(),
        json.to_str().unwrap(),
    ];
    let usage = json_of(&rolec(&args, &[]), 0);
    validate("usage", "rolec-usage/1", &usage);
    assert_eq!(usage["logs"]["files"][0]["skipped"], 1, "{usage}");
    assert_eq!(usage["logs"]["files"][1]["gzip"], true, "{usage}");
    let alice = usage["login_roles"].as_array().unwrap().iter().find(|r| r["role"] == "alice").unwrap();
    assert_eq!(alice["last_seen"], "2026-12-06T08:00:00Z", "{usage}");
}
