//! `rolec explain` and `rolec who-can`: the human and JSON outputs (chains with `file:line`,
//! grounds of each privilege), and the exit codes.

use std::process::{Command, Output};

/// Line numbers matter: the assertions name them.
const POLICY: &str = "\
schema app { owner app_owner }
role app_owner
table app.orders
table app.items
function app.total(integer)
role reader {
  grant usage on schema app
  grant select on tables in schema app
}
role developer { member of reader }
role team_a { member of developer }
role writer { grant insert, update on table app.orders }
role auditor { member of pg_read_all_data }
user alice {
  member of team_a
  member of writer noinherit
}
user bob {
  member of auditor
  grant delete on table app.items
}
public {
  grant select on table app.items to public
}
";

fn rolec(args: &[&str], policy: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.role");
    std::fs::write(&path, policy).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rolec"))
        .args(args)
        .arg(&path)
        .args(["--target-version", "16", "--at", "2025-06-01"])
        .output()
        .unwrap();
    (out, path.display().to_string())
}

fn stdout(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn explain_lists_roles_and_privileges_with_chains() {
    let (out, p) = rolec(&["explain", "alice"], POLICY);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let expected = [
        "user alice".to_string(),
        "attributes: login".to_string(),
        format!("  reader [MEMBER, USAGE, SET]: alice → team_a → developer → reader ({p}:15, {p}:11, {p}:10)"),
        format!("  team_a [MEMBER, USAGE, SET]: alice → team_a ({p}:15)"),
        // 16+: the noinherit membership gives MEMBER and SET, not USAGE.
        format!("  writer [MEMBER, SET]: alice → writer ({p}:16)"),
        "  table app.orders".to_string(),
        format!("    select: through role `reader` (bulk grant at {p}:8) via alice → team_a → developer → reader ({p}:15, {p}:11, {p}:10)"),
        "  table app.items".to_string(),
        "  function app.total(integer)".to_string(),
        "    execute: built-in default (PUBLIC)".to_string(),
        "  schema app".to_string(),
        format!("    usage: through role `reader` (grant at {p}:7) via alice → team_a → developer → reader ({p}:15, {p}:11, {p}:10)"),
    ];
    for e in &expected {
        assert!(lines.contains(&e.as_str()), "no line {e:?} in:\n{text}");
    }
    // Nothing through the noinherit membership.
    assert!(!text.contains("insert") && !text.contains("update:"), "{text}");
    assert!(!text.contains("delete"), "{text}");
}

#[test]
fn explain_json_has_chains_and_lines() {
    let (out, p) = rolec(&["explain", "alice", "--format", "json"], POLICY);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["role"], "alice");
    assert_eq!(json["user"], true);
    assert_eq!(json["attributes"]["login"], true);
    let roles = json["roles"].as_array().unwrap();
    let reader_usage = roles.iter().find(|r| r["role"] == "reader" && r["mode"] == "usage").unwrap();
    let steps = reader_usage["chain"]["steps"].as_array().unwrap();
    let chain: Vec<(&str, &str, String)> = steps
        .iter()
        .map(|s| (s["member"].as_str().unwrap(), s["role"].as_str().unwrap(), s["at"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        chain,
        [
            ("alice", "team_a", format!("{p}:15")),
            ("team_a", "developer", format!("{p}:11")),
            ("developer", "reader", format!("{p}:10"))
        ]
    );
    assert!(roles.iter().any(|r| r["role"] == "writer" && r["mode"] == "set"));
    assert!(!roles.iter().any(|r| r["role"] == "writer" && r["mode"] == "usage"));
    let privileges = json["privileges"].as_array().unwrap();
    let items_select =
        privileges.iter().find(|x| x["object"]["name"] == "items" && x["privilege"] == "select").unwrap();
    let g = &items_select["grounds"];
    assert_eq!(
        (g["kind"].as_str(), g["grantee"].as_str(), g["bulk"].as_bool()),
        (Some("grant"), Some("reader"), Some(true))
    );
    assert_eq!(g["at"], format!("{p}:8"));
    assert_eq!(g["via"]["steps"].as_array().unwrap().len(), 3);
    let exec = privileges.iter().find(|x| x["object"]["type"] == "function").unwrap();
    assert_eq!(exec["grounds"]["kind"], "builtin_public");
}

#[test]
fn explain_predefined_direct_and_public() {
    let (out, p) = rolec(&["explain", "bob"], POLICY);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    for e in [
        format!("    select: predefined role `pg_read_all_data` via bob → auditor → pg_read_all_data ({p}:19, {p}:13)"),
        format!("    delete: direct grant at {p}:20"),
        format!("    select: PUBLIC (grant at {p}:23)"),
        format!("  pg_read_all_data [MEMBER, USAGE, SET]: bob → auditor → pg_read_all_data ({p}:19, {p}:13)"),
    ] {
        assert!(lines.contains(&e.as_str()), "no line {e:?} in:\n{text}");
    }
}

#[test]
fn who_can_lists_exactly_the_roles_that_can() {
    let (out, p) = rolec(&["who-can", "select on table app.orders"], POLICY);
    let text = stdout(&out);
    let expected = vec![
        "select on table app.orders:".to_string(),
        format!("  reader: direct bulk grant at {p}:8"),
        format!("  developer: through role `reader` (bulk grant at {p}:8) via developer → reader ({p}:10)"),
        format!("  team_a: through role `reader` (bulk grant at {p}:8) via team_a → developer → reader ({p}:11, {p}:10)"),
        format!("  auditor: predefined role `pg_read_all_data` via auditor → pg_read_all_data ({p}:13)"),
        format!("  alice: through role `reader` (bulk grant at {p}:8) via alice → team_a → developer → reader ({p}:15, {p}:11, {p}:10)"),
        format!("  bob: predefined role `pg_read_all_data` via bob → auditor → pg_read_all_data ({p}:19, {p}:13)"),
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);

    // The noinherit membership does not give alice writer's privileges.
    let (out, p) = rolec(&["who-can", "insert on table app.orders"], POLICY);
    assert_eq!(stdout(&out), format!("insert on table app.orders:\n  writer: direct grant at {p}:12\n"));

    let (out, p) = rolec(&["who-can", "member of developer"], POLICY);
    assert_eq!(stdout(&out), format!("member of developer:\n  team_a: team_a → developer ({p}:11)\n  alice: alice → team_a → developer ({p}:15, {p}:11)\n"));
    let (out, _) = rolec(&["who-can", "usage of writer"], POLICY);
    assert_eq!(stdout(&out), "usage of writer:\n  nobody\n");

    let (out, _) = rolec(&["who-can", "usage on schema app", "--format", "json"], POLICY);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let who: Vec<(&str, &str)> = json["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["role"].as_str().unwrap(), r["grounds"]["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        who,
        [
            ("app_owner", "owner"),
            ("reader", "grant"),
            ("developer", "grant"),
            ("team_a", "grant"),
            ("auditor", "predefined"),
            ("alice", "grant"),
            ("bob", "predefined")
        ]
    );
    assert!(json["public"].is_null());

    // Every role, through PUBLIC; `int` finds the declared `integer`.
    let (out, _) = rolec(&["who-can", "execute on function app.total(int)", "--format", "json"], POLICY);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["public"]["kind"], "builtin_public");
    assert_eq!(json["roles"].as_array().unwrap().len(), 8);
    assert!(json["roles"].as_array().unwrap().iter().all(|r| r["grounds"]["kind"] == "builtin_public"));
    let (out, p) = rolec(&["who-can", "select on table app.items"], POLICY);
    let text = stdout(&out);
    assert!(text.contains(&format!("  (every role) PUBLIC (grant at {p}:23)\n")), "{text}");
    // A grant to a role is preferred to PUBLIC, PUBLIC to a predefined role.
    assert!(text.contains(&format!("  bob: PUBLIC (grant at {p}:23)\n")), "{text}");
    assert!(text.contains(&format!("  reader: direct bulk grant at {p}:8\n")), "{text}");
}

#[test]
fn unknown_roles_and_bad_questions_exit_2() {
    let (out, _) = rolec(&["explain", "alcie"], POLICY);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the policy has no role `alcie`; did you mean `alice`?"), "{err}");
    let (out, _) = rolec(&["who-can", "member of nobody"], POLICY);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the policy has no role `nobody`"));
    let (out, _) = rolec(&["who-can", "drop on table app.orders"], POLICY);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_policy_with_errors_exits_1() {
    let bad = "role r { member of nope }\n";
    let (out, _) = rolec(&["explain", "r"], bad);
    assert_eq!(out.status.code(), Some(1));
    let (out, _) = rolec(&["who-can", "member of r"], bad);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn superusers_and_external_roles() {
    let policy = "external role legacy\nrole r { member of legacy }\nuser boss { superuser }\n";
    let (out, _) = rolec(&["explain", "boss"], policy);
    let text = stdout(&out);
    assert!(
        text.contains("attributes: login, superuser\n")
            && text.contains("superuser: member of every role, every privilege on every object\n"),
        "{text}"
    );
    let (out, _) = rolec(&["explain", "legacy"], policy);
    assert_eq!(stdout(&out), "external role legacy\nroles:\n  (none)\nprivileges:\n  (none)\n");
    let (out, p) = rolec(&["who-can", "member of legacy"], policy);
    assert_eq!(stdout(&out), format!("member of legacy:\n  r: r → legacy ({p}:2)\n  boss: superuser\n"));
}

/// Line numbers matter: the assertions name them.
const LATER: &str = "\
schema app { owner app_owner, creators [etl] }
role app_owner
user etl
role reader {
  grant usage on schema app
  grant select on tables in schema app with grant option
}
user alice { member of reader }
role runner
defaults for role app_owner {
  revoke execute on functions from public
  grant execute on functions to runner
}
table app.orders
";

#[test]
fn explain_shows_grant_options_and_objects_created_later() {
    let (out, p) = rolec(&["explain", "alice"], LATER);
    let text = stdout(&out);
    let via = format!("via alice → reader ({p}:8)");
    for e in [
        format!("    select: through role `reader` (bulk grant at {p}:6) {via} (with grant option)"),
        format!("    usage: through role `reader` (grant at {p}:5) {via}"),
        "on objects created later:".to_string(),
        "  future tables in schema app created by etl".to_string(),
        "  future functions in schema app created by etl".to_string(),
        "    execute: built-in default (PUBLIC)".to_string(),
    ] {
        assert!(text.lines().any(|l| l == e), "no line {e:?} in:\n{text}");
    }
    // PUBLIC's EXECUTE is revoked for functions app_owner creates.
    assert!(!text.contains("future functions in schema app created by app_owner"), "{text}");
    let (out, p) = rolec(&["explain", "runner", "--format", "json"], LATER);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let later = json["created_later"].as_array().unwrap();
    let global = later.iter().find(|x| x["description"] == "future functions created by app_owner").unwrap();
    assert_eq!(global["privilege"], "execute");
    assert_eq!(
        (global["grounds"]["kind"].as_str(), global["grounds"]["at"].as_str(), global["grounds"]["implied"].as_bool()),
        (Some("default"), Some(format!("{p}:12").as_str()), Some(false))
    );
    assert!(global["grant_option"].is_null());
    let (out, _) = rolec(&["explain", "reader", "--format", "json"], LATER);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let select = json["privileges"].as_array().unwrap().iter().find(|x| x["privilege"] == "select").unwrap();
    assert_eq!(select["grant_option"]["kind"], "grant");
}

#[test]
fn who_can_on_objects_created_later_and_grant_options() {
    let (out, p) = rolec(&["who-can", "select on future tables in schema app created by etl"], LATER);
    assert_eq!(
        stdout(&out),
        format!("select on future tables in schema app created by etl:\n  etl: creator `etl` owns it\n  reader: direct bulk grant at {p}:6\n  alice: through role `reader` (bulk grant at {p}:6) via alice → reader ({p}:8)\n")
    );
    let (out, p) = rolec(&["who-can", "execute on future functions created by app_owner"], LATER);
    assert_eq!(stdout(&out), format!("execute on future functions created by app_owner:\n  app_owner: creator `app_owner` owns it\n  runner: direct default privilege at {p}:12\n"));
    let (out, _) =
        rolec(&["who-can", "execute on future functions in schema app created by etl", "--format", "json"], LATER);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["public"]["kind"], "builtin_public");
    assert_eq!(json["object"]["creator"], "etl");
    let (out, p) = rolec(&["who-can", "grant select on table app.orders"], LATER);
    assert_eq!(stdout(&out), format!("grant select on table app.orders:\n  reader: direct bulk grant at {p}:6\n  alice: through role `reader` (bulk grant at {p}:6) via alice → reader ({p}:8)\n"));
    let (out, _) = rolec(&["who-can", "grant usage on schema app"], LATER);
    assert_eq!(stdout(&out), "grant usage on schema app:\n  app_owner: owner `app_owner`\n");
    let (out, _) = rolec(&["who-can", "grant delete on future tables created by etl"], LATER);
    assert_eq!(stdout(&out), "grant delete on future tables created by etl:\n  etl: creator `etl` owns it\n");
    let (out, _) = rolec(&["who-can", "select on future tables created by nobody"], LATER);
    assert_eq!(out.status.code(), Some(2));
}

/// Names with spaces, dots and quotes, written in who-can questions as the policy writes them.
const QUOTED: &str = r#"schema s2 { owner "Ops Team 6" }
role "Ops Team 6"
table s2."Order Items 1"
role "we""ird 12" {
  grant select on table s2."Order Items 1"
}
user "jane.doe" { member of "we""ird 12" with admin option }
defaults for role "Ops Team 6" in schema s2 {
  grant select on tables to "we""ird 12"
}
"#;

#[test]
fn who_can_takes_every_name_the_language_takes() {
    let (out, _) = rolec(&["who-can", r#"select on table s2."Order Items 1""#], QUOTED);
    let text = stdout(&out);
    // The object is written back as the question names it.
    assert!(text.starts_with("select on table s2.\"Order Items 1\":\n"), "{text}");
    for role in ["  we\"ird 12: direct grant", "  jane.doe: through role `we\"ird 12`"] {
        assert!(text.lines().any(|l| l.starts_with(role)), "no line starting {role:?} in:\n{text}");
    }
    let (out, _) = rolec(&["who-can", r#"member of "we""ird 12""#], QUOTED);
    assert!(stdout(&out).lines().any(|l| l.starts_with("  jane.doe: jane.doe → we\"ird 12")), "{out:?}");
    let (out, _) = rolec(&["who-can", r#"select on future tables in schema s2 created by "Ops Team 6""#], QUOTED);
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("  we\"ird 12: direct default privilege")), "{text}");
    // Bare names fold to lower case, as in the policy: `S2` is `s2`.
    let (out, _) = rolec(&["who-can", r#"usage on schema S2"#], QUOTED);
    assert!(stdout(&out).lines().any(|l| l.starts_with("  Ops Team 6: owner")));
    let (out, _) = rolec(&["who-can", r#"member of "we""ird 12"x"#], QUOTED);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_json_has_admin_options_and_every_kind_created_later() {
    let (out, _) = rolec(&["explain", "jane.doe", "--format", "json"], QUOTED);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let member = json["roles"].as_array().unwrap().iter().find(|r| r["mode"] == "member").unwrap();
    assert_eq!(member["chain"]["steps"][0]["admin"], true);
    // The creator has default privileges about tables only; on the sequences and functions it
    // creates it still holds everything as their owner, as who-can answers.
    let (out, _) = rolec(&["explain", "Ops Team 6", "--format", "json"], QUOTED);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let later: Vec<&str> =
        json["created_later"].as_array().unwrap().iter().map(|x| x["description"].as_str().unwrap()).collect();
    for kind in ["tables", "sequences", "functions"] {
        let d = format!(r#"future {kind} in schema s2 created by "Ops Team 6""#);
        assert!(later.contains(&d.as_str()), "no {d} in {later:?}");
    }
    let (out, _) = rolec(&["who-can", r#"usage on future sequences in schema s2 created by "Ops Team 6""#], QUOTED);
    assert!(stdout(&out).lines().any(|l| l.starts_with("  Ops Team 6: creator")));
}
