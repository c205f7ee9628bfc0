//! The policy's rules (`policy { … }` blocks) over a live server: `rolec check` reports a rule
//! broken by roles, memberships, attributes or privileges the policy does not state (made by
//! hand, outside the managed scope), and `rolec plan` warns when the database it leaves still
//! breaks one. Real throwaway clusters (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects
//! another), the real `rolec` binary.

mod support;

use std::process::Output;

use support::pg::PgCluster;

const DB: &str = "postgres";

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A cluster with `policy` applied (after `setup`); the directory and the policy's path.
fn applied(setup: &str, policy: &str) -> (PgCluster, tempfile::TempDir, String) {
    let pg = PgCluster::start();
    if !setup.is_empty() {
        pg.exec(DB, setup).unwrap_or_else(|e| panic!("setup failed: {e}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.role");
    std::fs::write(&path, policy).unwrap();
    let path = path.to_str().unwrap().to_string();
    let out = rolec(&["apply", "--db", &pg.conn_str(DB), &path]);
    assert!(out.status.success(), "apply failed:\n{}\n{}", text(&out.stderr), text(&out.stdout));
    (pg, dir, path)
}

fn by_hand(pg: &PgCluster, sql: &str) {
    pg.exec(DB, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `rolec check`: (JSON, human output, exit code).
fn check(pg: &PgCluster, policy: &str) -> (serde_json::Value, String, i32) {
    let conn = pg.conn_str(DB);
    let out = rolec(&["check", "--db", &conn, "--format", "json", policy]);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)));
    let human = rolec(&["check", "--db", &conn, policy]);
    assert_eq!(human.status.code(), out.status.code(), "{}", text(&human.stderr));
    (json, text(&human.stdout), out.status.code().unwrap_or(-1))
}

/// The rules check reports: (code, role or PUBLIC, message).
fn rules(json: &serde_json::Value) -> Vec<(String, String, String)> {
    let rules = json["rules"].as_array().unwrap_or_else(|| panic!("no `rules` in {json:#}"));
    rules
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["role"].as_str().unwrap_or("PUBLIC").to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rule<'a>(json: &'a serde_json::Value, code: &str, role: &str) -> &'a serde_json::Value {
    json["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("no `rules` in {json:#}"))
        .iter()
        .find(|r| r["code"] == code && r["role"] == role)
        .unwrap_or_else(|| panic!("no {code} for {role} in {json:#}"))
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

const SOD: &str = "role approver {}\nrole requester {}\nuser alice { member of approver }\n\n\
                   policy sod {\n  exclusive approver, requester\n}\n";

#[test]
fn an_unmanaged_role_given_two_exclusive_roles_by_hand_breaks_the_rule() {
    let (pg, _dir, policy) = applied("", SOD);
    let policy = policy.as_str();
    // Out of band, on roles the policy does not manage: `bob` reaches `approver` through
    // `team`, and `requester` directly.
    by_hand(&pg, "CREATE ROLE team; CREATE ROLE bob LOGIN; GRANT approver TO team; GRANT team, requester TO bob;");
    let (json, human, code) = check(&pg, policy);
    assert_eq!(code, 2, "{human}");
    assert_eq!(json["drift"], true);
    let r = rule(&json, "E030", "bob");
    assert_eq!(r["severity"], "error");
    assert_eq!(r["message"], "`bob` holds both `approver` and `requester`");
    let help = r["help"].as_str().unwrap();
    assert!(
        help.contains("to `approver`: `bob` → `team` → `approver`; to `requester`: `bob` → `requester`"),
        "the chains, as the compiler words them: {help}"
    );
    let live = strings(&r["live"]);
    assert!(live.contains(&"role `bob` is on the server, not in the policy".to_string()), "{live:?}");
    for step in ["`bob` → `team`", "`team` → `approver`", "`bob` → `requester`"] {
        assert!(
            live.contains(&format!("{step} (member of) is on the server, not in the policy")),
            "{step} in {live:?}"
        );
    }
    // The rule's place in the policy.
    let places: Vec<String> =
        r["policy"].as_array().unwrap().iter().map(|p| format!("{} {}", p["at"], p["label"])).collect();
    assert!(places.iter().any(|p| p.contains("p.role:6:3") && p.contains("exclusive in policy `sod`")), "{places:?}");
    // Only bob breaks it: alice (declared) and team (one of the two) do not.
    assert_eq!(rules(&json).len(), 1, "{:?}", rules(&json));
    assert!(human.contains("bob\n"), "{human}");
    assert!(human.contains("✗ rule E030: `bob` holds both `approver` and `requester` [live]"), "{human}");
    assert!(human.contains("live: role `bob` is on the server, not in the policy"), "{human}");
    assert!(human.contains("1 rule violation on the server"), "{human}");

    // The plan cannot fix it (bob and team are outside the managed scope): it warns, and
    // does not fail.
    let out = rolec(&["plan", "--db", &pg.conn_str(DB), policy]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("after this plan the database still breaks a rule, outside the managed scope"), "{stderr}");
    assert!(stderr.contains("rule E030: `bob` holds both `approver` and `requester`"), "{stderr}");
    let out = rolec(&["plan", "--db", &pg.conn_str(DB), "--format", "json", policy]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules(&plan), vec![("E030".into(), "bob".into(), "`bob` holds both `approver` and `requester`".into())]);

    // Taken back by hand: the rule holds again.
    by_hand(&pg, "REVOKE requester FROM bob;");
    let (json, human, _) = check(&pg, policy);
    assert!(rules(&json).is_empty(), "{human}");
}

#[test]
fn a_managed_member_of_an_exclusive_pair_is_revoked_by_the_plan_so_the_plan_does_not_warn() {
    let (pg, _dir, policy) = applied("", SOD);
    let policy = policy.as_str();
    // alice is managed: check reports the rule, and the plan revokes the membership.
    by_hand(&pg, "GRANT requester TO alice;");
    let (json, human, code) = check(&pg, policy);
    assert_eq!(code, 2, "{human}");
    let r = rule(&json, "E030", "alice");
    let live = strings(&r["live"]);
    assert_eq!(live, vec!["`alice` → `requester` (member of) is on the server, not in the policy"]);
    // The membership the policy states is named at its place.
    assert!(
        r["policy"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["at"].as_str().unwrap().ends_with("p.role:3:24")
                && p["label"] == "`alice` → `approver` (member of)"),
        "{r:#}"
    );
    let out = rolec(&["plan", "--db", &pg.conn_str(DB), "--format", "json", policy]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules(&plan).is_empty(), "{plan:#}");
    assert!(plan["changes"].to_string().contains(r#"REVOKE \"requester\" FROM \"alice\""#), "{plan:#}");
}

#[test]
fn forbid_superuser_is_broken_by_a_hand_made_role() {
    let policy_text = "role app {}\n\npolicy hygiene {\n  forbid superuser\n  forbid createrole\n}\n";
    let (pg, _dir, policy) = applied("", policy_text);
    let policy = policy.as_str();
    // The connecting role is a superuser: rolec never changes it, and the rules leave it out.
    let (json, human, code) = check(&pg, policy);
    assert_eq!((code, rules(&json)), (0, vec![]), "{human}");

    by_hand(&pg, "CREATE ROLE ops SUPERUSER; ALTER ROLE app CREATEROLE;");
    let (json, human, code) = check(&pg, policy);
    assert_eq!(code, 2, "{human}");
    let r = rule(&json, "E031", "ops");
    assert_eq!(r["message"], "`ops` has `superuser`, which policy `hygiene` forbids");
    assert_eq!(strings(&r["live"]), vec!["role `ops` is on the server, not in the policy"]);
    // A declared role given the attribute by hand.
    let r = rule(&json, "E031", "app");
    assert_eq!(r["message"], "`app` has `createrole`, which policy `hygiene` forbids");
    assert_eq!(strings(&r["live"]), vec!["`app` has createrole on the server, not in the policy"]);
    assert_eq!(rules(&json).len(), 2, "{:?}", rules(&json));
    assert!(human.contains("✗ rule E031: `ops` has `superuser`, which policy `hygiene` forbids [live]"), "{human}");
    // ops is outside the scope: the plan warns about it; app's attribute it puts back.
    let out = rolec(&["plan", "--db", &pg.conn_str(DB), "--format", "json", policy]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rules(&plan),
        vec![("E031".into(), "ops".into(), "`ops` has `superuser`, which policy `hygiene` forbids".into())]
    );
}

#[test]
fn a_max_limit_is_broken_through_an_out_of_band_grant() {
    let setup = "CREATE SCHEMA app; CREATE TABLE app.t1 (); CREATE TABLE app.t2 (); CREATE TABLE app.t3 ();";
    let policy_text = "schema app\n\nrole reader {\n  grant select on table app.t1\n}\n\n\
                       policy limits {\n  max tables 2\n}\n";
    let (pg, _dir, policy) = applied(setup, policy_text);
    let policy = policy.as_str();
    let (json, human, code) = check(&pg, policy);
    assert_eq!((code, rules(&json)), (0, vec![]), "{human}");

    // A role the policy does not know holds two more tables, and is made a member of reader's
    // own helper by hand: reader now reaches three tables.
    by_hand(&pg, "CREATE ROLE helper; GRANT SELECT ON app.t2, app.t3 TO helper; GRANT helper TO reader;");
    let (json, human, code) = check(&pg, policy);
    assert_eq!(code, 2, "{human}");
    let r = rule(&json, "E035", "reader");
    assert_eq!(r["message"], "`reader` has privileges on 3 tables, the limit is 2 (policy `limits`)");
    assert_eq!(
        strings(&r["live"]),
        vec![
            "grant on table `app.t2`: 1 table is on the server, not in the policy",
            "grant on table `app.t3`: 1 table is on the server, not in the policy"
        ]
    );
    // helper itself holds two: within the limit.
    assert_eq!(rules(&json).len(), 1, "{:?}", rules(&json));
}

#[test]
fn a_clean_cluster_has_no_findings() {
    let setup = "CREATE SCHEMA app; CREATE TABLE app.t1 ();";
    let policy_text = "schema app\n\nrole approver {}\nrole requester {\n  grant select on table app.t1\n}\n\
                       user alice { member of approver }\nuser bill { member of requester }\n\n\
                       policy everything {\n  exclusive approver, requester\n  forbid superuser\n  \
                       forbid grant on schema public to public\n  max tables 1\n  max admin rights 0\n  \
                       memberships deeper than 1\n}\n";
    let (pg, _dir, policy) = applied(setup, policy_text);
    let policy = policy.as_str();
    // Roles the policy does not know, with nothing that breaks a rule.
    by_hand(&pg, "CREATE ROLE carol LOGIN; CREATE ROLE dave; GRANT dave TO carol;");
    let (json, human, code) = check(&pg, policy);
    assert_eq!(code, 0, "{human}");
    assert_eq!(json["rules"], serde_json::json!([]), "{json:#}");
    assert_eq!(json["summary"]["rules"], 0);
    assert!(human.ends_with("no drift\n") && !human.contains("rule "), "{human}");
    let out = rolec(&["plan", "--db", &pg.conn_str(DB), policy]);
    assert!(out.status.success() && !text(&out.stderr).contains("breaks a rule"), "{}", text(&out.stderr));
}

#[test]
fn a_policy_without_rules_reports_no_rules() {
    let (pg, _dir, policy) = applied("", "role approver {}\n");
    by_hand(&pg, "CREATE ROLE ops SUPERUSER;");
    let (json, _, code) = check(&pg, &policy);
    assert_eq!((code, &json["rules"]), (0, &serde_json::json!([])));
}
