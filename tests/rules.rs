//! The policy rules, stated per role in the library and over the whole model in
//! `support::whole_model`, on small policies: both give the diagnostics these tests expect.

mod support;

use rolec::analysis::privileges::effective;
use rolec::analysis::reach;
use rolec::db::{Sources, Workspace};
use rolec::diagnostics::Code;
use rolec::model::catalog::Catalog;
use rolec::model::{BuildOptions, PolicyScope};
use support::whole_model::check;

/// `(code, message)` of every policy violation of a policy that resolves without errors.
fn violations(text: &str) -> Vec<(String, String)> {
    let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), BuildOptions::default()).unwrap();
    let resolved = ws.resolved();
    let errors: Vec<&String> = resolved.diagnostics.iter().filter(|d| d.is_error()).map(|d| &d.message).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let analysis = reach(&resolved.model, 15);
    let privileges = effective(&resolved.model, &analysis);
    check(&resolved.model, &privileges, None).into_iter().map(|d| (d.code.as_str().to_string(), d.message)).collect()
}

fn messages(text: &str) -> Vec<String> {
    violations(text).into_iter().map(|(c, m)| format!("{c} {m}")).collect()
}

const ROLES: &str = "role a {}\nrole b {}\nrole both { member of a, b }\nuser u { member of both }\nuser v { member of a }\nuser w { member of b }\n";

#[test]
fn scope_filters_the_roles_checked() {
    let all = messages(&format!("{ROLES}policy p {{ exclusive a, b }}\n"));
    assert_eq!(all, ["E030 `both` holds both `a` and `b`", "E030 `u` holds both `a` and `b`"]);
    let users = messages(&format!("{ROLES}policy p applies to users {{ exclusive a, b }}\n"));
    assert_eq!(users, ["E030 `u` holds both `a` and `b`"]);
    let roles = messages(&format!("{ROLES}policy p applies to roles {{ exclusive a, b }}\n"));
    assert_eq!(roles, ["E030 `both` holds both `a` and `b`"]);
    let list = messages(&format!("{ROLES}policy p applies to [v, w] {{ exclusive a, b }}\n"));
    assert!(list.is_empty(), "{list:?}");
    let glob = messages(&format!("{ROLES}policy p applies to bo* {{ exclusive a, b }}\n"));
    assert_eq!(glob, ["E030 `both` holds both `a` and `b`"]);
    // A glob that matches nothing is an empty scope, not a warning.
    let none = messages(&format!("{ROLES}policy p applies to zz* {{ exclusive a, b }}\n"));
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn scope_of_the_model() {
    let ws = Workspace::load(
        Sources::Memory(vec![(
            "t.role".into(),
            format!("{ROLES}policy p applies to [u, \"b*\", both] {{ exclusive a, b }}\n"),
        )]),
        BuildOptions::default(),
    )
    .unwrap();
    // In a list, `"b*"` is a name, not a glob — and no role is called `b*`.
    assert!(ws.resolved().diagnostics.iter().any(|d| d.code == Code::UnknownRole));
    let ws = Workspace::load(
        Sources::Memory(vec![(
            "t.role".into(),
            format!("{ROLES}policy p applies to [u, both, u] {{ exclusive a, b }}\n"),
        )]),
        BuildOptions::default(),
    )
    .unwrap();
    assert_eq!(ws.resolved().model.policies[0].scope, PolicyScope::Names(vec!["u".into(), "both".into()]));
}

#[test]
fn each_role_and_pair_is_reported_once() {
    // The same pair in two rules and in two policies, in both orders.
    let text =
        format!("{ROLES}policy p {{\n  exclusive a, b\n  exclusive b, a\n}}\npolicy q {{ exclusive a, b, a }}\n");
    assert_eq!(messages(&text), ["E030 `both` holds both `a` and `b`", "E030 `u` holds both `a` and `b`"]);
    // An error rule wins over a `warn` rule for the same pair, whatever the order.
    let text = format!("{ROLES}policy p {{ warn exclusive a, b }}\npolicy q {{ exclusive b, a }}\n");
    assert_eq!(messages(&text), ["E030 `both` holds both `b` and `a`", "E030 `u` holds both `b` and `a`"]);
    let text = format!("{ROLES}policy p {{ warn exclusive a, b }}\n");
    assert_eq!(messages(&text), ["W030 `both` holds both `a` and `b`", "W030 `u` holds both `a` and `b`"]);
}

#[test]
fn superusers_count_only_through_memberships() {
    let text = "role a {}\nrole b {}\nuser root { superuser }\nuser boss {\n  superuser\n  member of a, b\n}\npolicy p { exclusive a, b }\n";
    assert_eq!(messages(text), ["E030 `boss` holds both `a` and `b`"]);
}

#[test]
fn limits_on_objects_are_checked() {
    let text = "schema app { owner o }\nrole o {}\nuser u { grant select on tables in schema app }\ntable app.t { tags [s] }\npolicy p applies to users { max schemas 0\n max tables 0\n max tables tagged s 0 }\n";
    let codes: Vec<String> = violations(text).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["E035", "E035"], "tables and tagged tables; `u` has no privilege on schema `app`");
}

/// `code message` of every policy violation, with a catalog snapshot or not.
fn run(text: &str, catalog: Option<&str>, version: u32) -> Vec<String> {
    let options = BuildOptions { target_version: version, ..Default::default() };
    let mut ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), options).unwrap();
    let catalog = catalog.map(|c| Catalog::parse(c).unwrap());
    ws.set_catalog(catalog.clone());
    let resolved = ws.resolved();
    let errors: Vec<&String> = resolved.diagnostics.iter().filter(|d| d.is_error()).map(|d| &d.message).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let model = &resolved.model;
    let privileges = effective(model, &reach(model, version));
    let direct: Vec<String> = check(model, &privileges, catalog.as_ref())
        .into_iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    // The role-by-role queries say the same (lint warnings apart).
    let mut tracked: Vec<String> = rolec::db::analysis_diagnostics(&ws.db, ws.policy)
        .iter()
        .flat_map(|part| part.iter())
        .filter(|d| !d.code.as_str().starts_with("W04"))
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    let mut sorted = direct.clone();
    sorted.sort();
    tracked.sort();
    assert_eq!(sorted, tracked);
    direct
}

fn lint(text: &str) -> Vec<String> {
    run(text, None, 15)
}

const INVENTORY: &str = "schema app { owner app_owner }\nschema hr { owner app_owner }\nrole app_owner\ntable app.a { tags [pci] }\ntable app.b { tags [pci] }\nview app.v\ntable hr.people { tags [pci] }\n";

#[test]
fn tables_are_counted_over_effective_privileges() {
    let text = format!("{INVENTORY}role reader {{ grant select on tables in schema app }}\nuser u {{ member of reader }}\nuser n {{\n  noinherit\n  member of reader\n}}\npolicy p applies to users {{ max tables 2 }}\n");
    assert_eq!(lint(&text), ["E035 `u` has privileges on 3 tables, the limit is 2 (policy `p`)"]);
    let text = text.replace("max tables 2", "warn max tables 3");
    assert!(lint(&text).is_empty());
    let text = text.replace("warn max tables 3", "warn max tables 1");
    assert_eq!(lint(&text), ["W035 `u` has privileges on 3 tables, the limit is 1 (policy `p`)"]);
}

#[test]
fn tagged_tables_and_single_grants() {
    let text = format!("{INVENTORY}user u {{\n  grant select on table app.a\n  grant insert on table hr.people\n  grant select on view app.v\n}}\npolicy p {{ max tables tagged pci 1 }}\n");
    assert_eq!(lint(&text), ["E035 `u` has privileges on 2 tables tagged `pci`, the limit is 1 (policy `p`)"]);
    assert!(lint(&text.replace("tagged pci 1", "tagged pci 2")).is_empty());
    assert!(lint(&text.replace("tagged pci 1", "tagged other 0")).is_empty());
}

#[test]
fn schemas_count_usage_create_owners_and_builtin_public() {
    let text = format!("{INVENTORY}user u {{\n  grant usage on schema app\n  grant usage on schema public\n}}\nuser o {{ member of app_owner }}\npolicy p applies to users {{ max schemas 1 }}\n");
    let out = lint(&text);
    assert_eq!(
        out,
        [
            "E035 `u` has privileges on 2 schemas, the limit is 1 (policy `p`)",
            "E035 `o` has privileges on 3 schemas, the limit is 1 (policy `p`)"
        ]
    );
    // Without a grant naming it, `public` is not counted.
    let text = format!("{INVENTORY}user o {{ member of app_owner }}\npolicy p applies to users {{ max schemas 2 }}\n");
    assert!(lint(&text).is_empty());
}

#[test]
fn unknown_tables_make_a_limit_unprovable() {
    let text = "schema app { owner o }\nschema empty { owner o }\nrole o\nrole reader { grant select on tables in schema empty }\nuser u { member of reader }\npolicy p applies to users { max tables 10 }\n";
    assert_eq!(
        lint(text),
        ["W036 the limit `max tables 10` of policy `p` cannot be proven for `u`: tables in schema `empty` are unknown"]
    );
    // Schemas are not concerned.
    assert!(lint(&text.replace("max tables 10", "max schemas 10")).is_empty());
    // A catalog snapshot is complete: a schema without objects in it has none.
    let catalog = r#"{"format": "rolec-catalog/1", "objects": [{"kind": "table", "schema": "app", "name": "t"}]}"#;
    assert!(run(text, Some(catalog), 15).is_empty());
    // Once the schema's tables are known, the count is exact.
    let declared = format!("{text}table empty.t\n");
    assert!(lint(&declared).is_empty());
    // Over the limit is proven even when some tables are unknown.
    let text = "schema app { owner o }\nschema x { owner o }\nrole o\ntable app.t\ntable app.u\nuser u {\n  grant select on tables in schema x\n  grant select on tables in schema app\n}\npolicy p { max tables 1 }\n";
    assert_eq!(lint(text), ["E035 `u` has privileges on 2 tables, the limit is 1 (policy `p`)"]);
}

#[test]
fn superusers_and_predefined_roles() {
    let text = format!("{INVENTORY}user root {{ superuser }}\nuser r {{ member of pg_read_all_data }}\npolicy p applies to users {{\n  max tables 3\n  max schemas 5\n}}\n");
    assert_eq!(
        lint(&text),
        [
            "E035 `root` is a superuser and has privileges on all 4 tables known, the limit is 3 (policy `p`)",
            "E035 `r` has privileges on 4 tables, the limit is 3 (policy `p`)",
            "W036 the limit `max schemas 5` of policy `p` cannot be proven for `root`: it is a superuser, with every privilege on every schema, and the schemas the policy does not name are unknown",
            "W036 the limit `max schemas 5` of policy `p` cannot be proven for `r`: it has the privileges of `pg_read_all_data`, on every schema, and the schemas the policy does not name are unknown",
        ]
    );
    let catalog = r#"{"format": "rolec-catalog/1", "schemas": [{"name": "app"}, {"name": "hr"}, {"name": "x"}]}"#;
    assert_eq!(run(&text, Some(catalog), 15).len(), 2, "a catalog makes the schema counts exact");
}

#[test]
fn maintain_counts_from_17() {
    let text = format!("{INVENTORY}user m {{ grant maintain on table app.a }}\npolicy p {{ max tables 0 }}\n");
    assert_eq!(run(&text, None, 17), ["E035 `m` has privileges on 1 table, the limit is 0 (policy `p`)"]);
}
