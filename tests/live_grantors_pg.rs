//! Grants made by other grantors than rolec: an object privilege granted on by a role holding
//! the grant option, a membership granted by a role with ADMIN (16+), chains of such grants,
//! and `rolec import` of them — read, reported by `check`, revoked by `apply`, on real
//! throwaway clusters (PostgreSQL 15 by default; `ROLEC_PG_BIN` selects another).

mod support;

use std::path::Path;
use std::process::Output;

use support::cli::{ok, rolec, text};
use support::pg::PgCluster;

const DB: &str = "postgres";
const AT: &str = "2026-06-01";

/// The owner of the objects, a schema and a table; the policy's roles are created by `apply`.
const SETUP: &str = "
CREATE ROLE app_owner NOLOGIN;
CREATE SCHEMA app AUTHORIZATION app_owner;
CREATE TABLE app.t (id int, note text);
ALTER TABLE app.t OWNER TO app_owner;
";

/// A role outside the scope, that the policy knows of.
const EVE: &str = "CREATE ROLE eve NOLOGIN;";

#[track_caller]
fn sql(pg: &PgCluster, script: &str) {
    if let Err(e) = pg.exec(DB, script) {
        panic!("{e}\n--- script:\n{script}");
    }
}

/// Writes the policy (with the schema `app`, when it names it) and returns its path.
fn policy(dir: &Path, source: &str) -> String {
    let path = dir.join("policy.role");
    let schema = if source.contains(" app") { "schema app { owner app_owner }\n" } else { "" };
    std::fs::write(&path, format!("{schema}{source}")).unwrap();
    path.to_str().unwrap().to_string()
}

fn apply(pg: &PgCluster, policy: &str) -> Output {
    rolec(&["apply", "--db", &pg.conn_str(DB), "--at", AT, policy])
}

/// `rolec plan --format json`: each change as (sql, note).
fn plan(pg: &PgCluster, policy: &str) -> Vec<(String, String)> {
    let out = rolec(&["plan", "--db", &pg.conn_str(DB), "--at", AT, "--format", "json", policy]);
    ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["sql"].as_str().unwrap().to_string(), c["note"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// `rolec check --format json`: the findings that are not ✓ as (role, item, expected, actual),
/// and the exit code.
fn check(pg: &PgCluster, policy: &str) -> (Vec<(String, String, String, String)>, i32) {
    let out = rolec(&["check", "--db", &pg.conn_str(DB), "--at", AT, "--format", "json", policy]);
    let code = out.status.code().unwrap_or(-1);
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e} ({code}): {}", text(&out.stderr)));
    let f = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
    let problems = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] != "ok")
        .map(|x| (f(x, "role"), f(x, "item"), f(x, "expected"), f(x, "actual")))
        .collect();
    (problems, code)
}

/// The ACL of app.t, as `aclexplode` lists it: `grantee=privilege*/grantor` sorted.
fn acl(pg: &PgCluster) -> Vec<String> {
    pg.query_strings(
        DB,
        "SELECT pg_get_userbyid(a.grantee) || '=' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
                || '/' || pg_get_userbyid(a.grantor)
         FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = 'app.t'::regclass AND a.grantee <> c.relowner ORDER BY 1",
    )
}

fn has_select(pg: &PgCluster, role: &str) -> bool {
    pg.query_bool(DB, &format!("SELECT has_table_privilege('{role}', 'app.t', 'SELECT')"))
}

#[test]
fn a_privilege_granted_by_a_grantee_with_grant_option_is_reported_and_revoked() {
    let pg = PgCluster::start();
    sql(&pg, SETUP);
    let dir = tempfile::tempdir().unwrap();
    let p = policy(
        dir.path(),
        "external role app_owner\n\
         role bob { grant usage on schema app\n  grant select on table app.t with grant option }\n\
         role carol { grant usage on schema app\n  grant update on table app.t }\n",
    );
    ok(&apply(&pg, &p));
    assert_eq!(check(&pg, &p).1, 0);

    // Out of band: bob grants on what he holds with grant option.
    sql(&pg, "SET ROLE bob; GRANT SELECT ON app.t TO carol; RESET ROLE;");
    assert!(has_select(&pg, "carol"));
    let (problems, code) = check(&pg, &p);
    assert_eq!(code, 2, "{problems:?}");
    assert_eq!(
        problems,
        vec![(
            "carol".to_string(),
            "TABLE \"app\".\"t\" granted by bob".to_string(),
            "none".to_string(),
            "SELECT".to_string()
        )]
    );
    let changes = plan(&pg, &p);
    assert_eq!(
        changes,
        vec![(
            "SET ROLE \"bob\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\"; RESET ROLE;".to_string(),
            String::new()
        )]
    );
    ok(&apply(&pg, &p));
    assert!(!has_select(&pg, "carol"), "apply revokes what bob granted");
    assert!(plan(&pg, &p).is_empty());
    assert_eq!(check(&pg, &p).1, 0);

    // Held twice, from the owner and from bob, where the policy wants it once: the owner's
    // grant stays, bob's goes. Held from bob only: granted by the owner, bob's revoked.
    let p = policy(
        dir.path(),
        "external role app_owner\n\
         role bob { grant usage on schema app\n  grant select on table app.t with grant option }\n\
         role carol { grant usage on schema app\n  grant select, update on table app.t }\n",
    );
    ok(&apply(&pg, &p));
    sql(&pg, "SET ROLE bob; GRANT SELECT ON app.t TO carol; RESET ROLE;");
    assert!(acl(&pg).contains(&"carol=SELECT/bob".to_string()), "{:?}", acl(&pg));
    let (problems, code) = check(&pg, &p);
    assert_eq!(code, 2);
    assert_eq!(problems.len(), 1, "{problems:?}");
    ok(&apply(&pg, &p));
    assert_eq!(acl(&pg), ["bob=SELECT*/app_owner", "carol=SELECT/app_owner", "carol=UPDATE/app_owner"]);
    sql(&pg, "REVOKE SELECT ON app.t FROM carol; SET ROLE bob; GRANT SELECT ON app.t TO carol; RESET ROLE;");
    assert_eq!(
        plan(&pg, &p).into_iter().map(|c| c.0).collect::<Vec<_>>(),
        [
            "GRANT SELECT ON TABLE \"app\".\"t\" TO \"carol\";",
            "SET ROLE \"bob\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\"; RESET ROLE;"
        ]
    );
    ok(&apply(&pg, &p));
    assert_eq!(acl(&pg), ["bob=SELECT*/app_owner", "carol=SELECT/app_owner", "carol=UPDATE/app_owner"]);
    assert!(plan(&pg, &p).is_empty());
}

#[test]
fn a_chain_of_grants_is_revoked_deepest_first_with_cascade_only_for_what_the_plan_keeps() {
    let pg = PgCluster::start();
    sql(&pg, SETUP);
    sql(&pg, EVE);
    let dir = tempfile::tempdir().unwrap();
    let p = policy(
        dir.path(),
        "external role app_owner, eve\n\
         role bob { grant usage on schema app\n  grant select on table app.t with grant option }\n\
         role carol { grant usage on schema app }\n\
         role dave { grant usage on schema app }\n",
    );
    ok(&apply(&pg, &p));
    // bob → carol (with grant option) → dave (in scope) and eve (not in scope).
    sql(
        &pg,
        "SET ROLE bob; GRANT SELECT ON app.t TO carol WITH GRANT OPTION; RESET ROLE;
         SET ROLE carol; GRANT SELECT ON app.t TO dave, eve; RESET ROLE;",
    );
    let (problems, code) = check(&pg, &p);
    assert_eq!(code, 2);
    let items: Vec<(&str, &str)> = problems.iter().map(|(r, i, _, _)| (r.as_str(), i.as_str())).collect();
    assert_eq!(
        items,
        [("carol", "TABLE \"app\".\"t\" granted by bob"), ("dave", "TABLE \"app\".\"t\" granted by carol")],
        "{problems:?}"
    );
    let changes = plan(&pg, &p);
    assert_eq!(
        changes,
        [
            (
                "SET ROLE \"carol\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"dave\"; RESET ROLE;".to_string(),
                String::new()
            ),
            (
                "SET ROLE \"bob\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\" CASCADE; RESET ROLE;"
                    .to_string(),
                "CASCADE also revokes the grants that rest on this one: SELECT granted by carol to eve".to_string()
            ),
        ]
    );
    ok(&apply(&pg, &p));
    assert_eq!(acl(&pg), ["bob=SELECT*/app_owner"], "eve's grant went with carol's, as the plan said");
    assert!(plan(&pg, &p).is_empty());

    // The policy takes bob's grant option: what rests on it goes first, the rest by CASCADE.
    sql(
        &pg,
        "SET ROLE bob; GRANT SELECT ON app.t TO carol WITH GRANT OPTION; GRANT SELECT ON app.t TO eve; RESET ROLE;
         SET ROLE carol; GRANT SELECT ON app.t TO eve; RESET ROLE;",
    );
    let p = policy(
        dir.path(),
        "external role app_owner, eve\n\
         role bob { grant usage on schema app\n  grant select on table app.t }\n\
         role carol { grant usage on schema app }\n\
         role dave { grant usage on schema app }\n",
    );
    let changes: Vec<String> = plan(&pg, &p).into_iter().map(|c| c.0).collect();
    assert_eq!(
        changes,
        [
            "SET ROLE \"bob\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\" CASCADE; RESET ROLE;",
            "REVOKE GRANT OPTION FOR SELECT ON TABLE \"app\".\"t\" FROM \"bob\" CASCADE;",
        ]
    );
    ok(&apply(&pg, &p));
    assert_eq!(acl(&pg), ["bob=SELECT/app_owner"]);
    assert!(!has_select(&pg, "eve") && !has_select(&pg, "carol"));
    assert!(plan(&pg, &p).is_empty());
    assert_eq!(check(&pg, &p).1, 0);
}

#[test]
fn a_membership_granted_by_another_role_is_reported_and_revoked() {
    let pg = PgCluster::start();
    sql(&pg, SETUP);
    sql(&pg, EVE);
    let dir = tempfile::tempdir().unwrap();
    let p = policy(
        dir.path(),
        "external role eve\nrole grp {}\nrole bob { member of grp with admin option }\nrole carol { member of grp }\nrole dave {}\n",
    );
    ok(&apply(&pg, &p));
    assert_eq!(check(&pg, &p).1, 0);
    if pg.major() < 16 {
        // Before 16 a membership is one row whatever its grantor: nothing rests on a grantor.
        eprintln!("PostgreSQL {}: memberships have one grantor; nothing more to test", pg.major());
        return;
    }
    let members = |pg: &PgCluster| {
        pg.query_strings(
            DB,
            "SELECT pg_get_userbyid(member) || '/' || pg_get_userbyid(grantor) || CASE WHEN admin_option THEN '*' ELSE '' END
             FROM pg_auth_members WHERE roleid = 'grp'::regrole ORDER BY 1",
        )
    };
    let before = members(&pg);
    // bob (ADMIN) grants grp to carol, who has it already, and to dave, who should not.
    sql(&pg, "SET ROLE bob; GRANT grp TO carol, dave; RESET ROLE;");
    let (problems, code) = check(&pg, &p);
    assert_eq!(code, 2);
    let items: Vec<(&str, &str)> = problems.iter().map(|(r, i, _, _)| (r.as_str(), i.as_str())).collect();
    assert_eq!(items, [("dave", "member of grp"), ("carol", "member of grp granted by bob")], "{problems:?}");
    let changes: Vec<String> = plan(&pg, &p).into_iter().map(|c| c.0).collect();
    assert_eq!(
        changes,
        ["REVOKE \"grp\" FROM \"dave\" GRANTED BY \"bob\";", "REVOKE \"grp\" FROM \"carol\" GRANTED BY \"bob\";"]
    );
    ok(&apply(&pg, &p));
    assert_eq!(members(&pg), before);
    assert!(plan(&pg, &p).is_empty());

    // A chain: bob → carol with ADMIN → eve (not in scope). The policy drops bob's ADMIN.
    sql(
        &pg,
        "SET ROLE bob; GRANT grp TO carol WITH ADMIN OPTION; RESET ROLE; SET ROLE carol; GRANT grp TO eve; RESET ROLE;",
    );
    let p = policy(
        dir.path(),
        "external role eve\nrole grp {}\nrole bob { member of grp }\nrole carol { member of grp }\nrole dave {}\n",
    );
    let changes = plan(&pg, &p);
    let sqls: Vec<&str> = changes.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        sqls,
        ["REVOKE \"grp\" FROM \"carol\" GRANTED BY \"bob\" CASCADE;", "REVOKE ADMIN OPTION FOR \"grp\" FROM \"bob\";"],
        "{changes:?}"
    );
    assert!(changes[0].1.contains("grp granted by carol to eve"), "{changes:?}");
    ok(&apply(&pg, &p));
    assert!(!pg.query_bool(DB, "SELECT pg_has_role('eve', 'grp', 'MEMBER')"), "the plan said CASCADE drops eve's");
    assert!(plan(&pg, &p).is_empty());
    assert_eq!(check(&pg, &p).1, 0);
}

#[test]
fn import_writes_what_other_grantors_granted_and_apply_grants_it_again_as_the_owner() {
    let pg = PgCluster::start();
    sql(&pg, SETUP);
    sql(
        &pg,
        "CREATE ROLE bob; CREATE ROLE carol; GRANT USAGE ON SCHEMA app TO bob, carol;
         GRANT SELECT ON app.t TO bob WITH GRANT OPTION;
         SET ROLE bob; GRANT SELECT ON app.t TO carol; RESET ROLE;",
    );
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("imported");
    let conn = pg.conn_str(DB);
    ok(&rolec(&["import", "--db", &conn, "--manage", "bob", "--manage", "carol", "-o", out_dir.to_str().unwrap()]));
    let imported: String =
        std::fs::read_dir(&out_dir).unwrap().flatten().map(|e| std::fs::read_to_string(e.path()).unwrap()).collect();
    let carol = imported.split("role carol").nth(1).unwrap_or_else(|| panic!("{imported}"));
    let carol = &carol[..carol.find("\n}").unwrap()];
    assert!(carol.contains("grant select on table app.t"), "{imported}");
    let p = out_dir.to_str().unwrap();
    let changes: Vec<String> = plan(&pg, p).into_iter().map(|c| c.0).collect();
    assert_eq!(
        changes,
        [
            "GRANT SELECT ON TABLE \"app\".\"t\" TO \"carol\";",
            "SET ROLE \"bob\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\"; RESET ROLE;"
        ]
    );
    ok(&apply(&pg, p));
    assert_eq!(acl(&pg), ["bob=SELECT*/app_owner", "carol=SELECT/app_owner"]);
    assert!(plan(&pg, p).is_empty());
}

/// An owner in scope holds every privilege on its objects: a grant to it in the policy adds
/// nothing (the plan converges), and what is revoked from it by hand is reported and given back.
#[test]
fn an_owners_own_privileges_are_kept_and_given_back() {
    let pg = PgCluster::start();
    sql(&pg, "CREATE ROLE o NOLOGIN; CREATE SCHEMA s AUTHORIZATION o; CREATE TABLE s.t (id int); ALTER TABLE s.t OWNER TO o;");
    let dir = tempfile::tempdir().unwrap();
    let p = policy(dir.path(), "schema s { owner o }\nrole o { grant create, usage on schema s }\n");
    ok(&apply(&pg, &p));
    assert_eq!(plan(&pg, &p), [], "a grant to the owner converges");
    assert_eq!(check(&pg, &p), (vec![], 0));
    sql(&pg, "REVOKE USAGE ON SCHEMA s FROM o; REVOKE SELECT, UPDATE ON s.t FROM o;");
    let (problems, code) = check(&pg, &p);
    assert_eq!(code, 2, "{problems:?}");
    let items: Vec<&str> =
        problems.iter().filter(|(role, ..)| role == "o").map(|(_, item, ..)| item.as_str()).collect();
    assert_eq!(items.len(), 2, "{problems:?}");
    let sqls: Vec<String> = plan(&pg, &p).into_iter().map(|(sql, _)| sql).collect();
    assert_eq!(sqls.len(), 2, "{sqls:?}");
    assert!(sqls.iter().all(|s| s.starts_with("GRANT ") && s.contains("TO \"o\" WITH GRANT OPTION")), "{sqls:?}");
    ok(&apply(&pg, &p));
    assert_eq!(plan(&pg, &p), []);
    assert!(pg.query_bool(
        DB,
        "SELECT has_schema_privilege('o', 's', 'USAGE') AND has_table_privilege('o', 's.t', 'SELECT, UPDATE')"
    ));
}

/// A grantor finds the object by name only with USAGE on its schema: when it has none (granted
/// by the schema's owner), the plan lends it for the revoke and takes it back.
#[test]
fn a_grantor_without_usage_on_the_schema_is_lent_it_for_the_revoke() {
    let pg = PgCluster::start();
    sql(&pg, SETUP);
    let dir = tempfile::tempdir().unwrap();
    let p = policy(
        dir.path(),
        "external role app_owner\nrole bob { grant select on table app.t with grant option }\nrole carol {}\n",
    );
    ok(&apply(&pg, &p));
    sql(
        &pg,
        "GRANT USAGE ON SCHEMA app TO bob; SET ROLE bob; GRANT SELECT ON app.t TO carol; RESET ROLE;
         REVOKE USAGE ON SCHEMA app FROM bob;",
    );
    let sqls: Vec<String> = plan(&pg, &p).into_iter().map(|(sql, _)| sql).collect();
    assert_eq!(
        sqls,
        ["GRANT USAGE ON SCHEMA \"app\" TO \"bob\"; SET ROLE \"bob\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\"; RESET ROLE; REVOKE USAGE ON SCHEMA \"app\" FROM \"bob\";"]
    );
    ok(&apply(&pg, &p));
    assert_eq!(plan(&pg, &p), []);
    assert!(!has_select(&pg, "carol"));
    assert!(!pg.query_bool(DB, "SELECT has_schema_privilege('bob', 'app', 'USAGE')"));
}

/// A superuser's REVOKE acts as the object's owner, so a grant made through a superuser's own
/// grant option (by a member of it) is revoked with the superuser attribute lifted for the
/// statement, and the attribute is back afterwards.
#[test]
fn a_grant_made_through_a_superusers_grant_option_is_revoked() {
    let pg = PgCluster::start();
    sql(&pg, SETUP);
    let dir = tempfile::tempdir().unwrap();
    let p = policy(
        dir.path(),
        "external role app_owner\n\
         role boss { superuser\n  grant usage on schema app\n  grant select on table app.t with grant option }\n\
         role deputy { member of boss }\nrole carol {}\n",
    );
    ok(&apply(&pg, &p));
    sql(&pg, "SET ROLE deputy; GRANT SELECT ON app.t TO carol; RESET ROLE;");
    assert!(acl(&pg).contains(&"carol=SELECT/boss".to_string()), "{:?}", acl(&pg));
    let changes = plan(&pg, &p);
    assert_eq!(
        changes.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["ALTER ROLE \"boss\" NOSUPERUSER; SET ROLE \"boss\"; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"carol\"; RESET ROLE; ALTER ROLE \"boss\" SUPERUSER;"]
    );
    assert!(changes[0].1.contains("superuser"), "{changes:?}");
    ok(&apply(&pg, &p));
    assert!(!has_select(&pg, "carol"), "{:?}", acl(&pg));
    assert!(pg.query_bool(DB, "SELECT rolsuper FROM pg_roles WHERE rolname = 'boss'"));
    assert_eq!(plan(&pg, &p), []);

    // The same on a database, the case the live differential test found, where the grantor
    // has no USAGE to lend and none is needed.
    let p = policy(
        dir.path(),
        "external role app_owner\n\
         role boss { superuser\n  grant temporary on database postgres with grant option }\n\
         role deputy { member of boss }\nrole carol {}\n",
    );
    ok(&apply(&pg, &p));
    sql(&pg, "SET ROLE deputy; GRANT TEMPORARY ON DATABASE postgres TO carol; RESET ROLE;");
    assert_eq!(plan(&pg, &p).len(), 1);
    ok(&apply(&pg, &p));
    assert_eq!(plan(&pg, &p), []);
    assert!(!pg.query_bool(
        DB,
        "SELECT EXISTS (SELECT FROM pg_database d, aclexplode(d.datacl) a
         WHERE d.datname = 'postgres' AND a.grantee = 'carol'::regrole)"
    ));
}
