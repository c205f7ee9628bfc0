//! The privilege analysis against policies: grants, bulk grants, columns, inheritance,
//! predefined roles, built-in defaults and objects created later.

use super::*;
use crate::analysis::membership::reach;
use crate::db::{Sources, Workspace};
use crate::diagnostics::Diagnostic;
use crate::model::BuildOptions;

fn analysis(text: &str, version: u32) -> PrivilegeAnalysis {
    let options = BuildOptions { target_version: version, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), options).unwrap();
    let errors: Vec<String> =
        ws.diagnostics().iter().filter(|d| Diagnostic::is_error(d)).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let a = crate::db::privilege_analysis(&ws.db, ws.policy);
    let model = &ws.resolved().model;
    let a: &PrivilegeAnalysis = a.as_ref();
    assert_eq!(*a, effective(model, &reach(model, version)));
    a.clone()
}

fn table(s: &str, n: &str) -> ObjectRef {
    ObjectRef::Table { schema: s.into(), name: n.into() }
}

const INVENTORY: &str = "schema s0 {}\nschema s1 { owner so }\nrole so\ntable s0.t0\ntable s0.t1\nview s0.v\nsequence s0.q\nfunction s0.f(integer)\ntable s1.t0\n";

#[test]
fn grants_bulk_columns_and_inheritance() {
    let text = format!(
        "{INVENTORY}role a {{\n  grant select on tables in schema s0\n  grant update on column (a) of table s1.t0\n  grant all on sequence s0.q\n}}\nrole b {{ member of a }}\nrole c {{\n  noinherit\n  member of a\n}}\nuser u {{ member of so }}\n"
    );
    let a = analysis(&text, 15);
    for t in ["t0", "t1", "v"] {
        assert!(
            matches!(
                a.answer("a", Privilege::Select, &table("s0", t)),
                Some(Grounds::Grant { bulk: true, via: Chain::SameRole, .. })
            ),
            "{t}"
        );
    }
    assert!(!a.has("a", Privilege::Select, &table("s1", "t0")));
    assert!(
        matches!(a.answer("b", Privilege::Select, &table("s0", "t1")), Some(Grounds::Grant { via: Chain::Memberships(ref s), .. }) if s.len() == 1)
    );
    assert!(!a.has("c", Privilege::Select, &table("s0", "t1")));
    let col = |c: &str| ObjectRef::Column { schema: "s1".into(), table: "t0".into(), column: c.into() };
    assert!(a.has("b", Privilege::Update, &col("a")) && !a.has("b", Privilege::Update, &col("b")));
    assert!(!a.has("b", Privilege::Update, &table("s1", "t0")));
    // Table-level grants answer for every column.
    assert!(a.has(
        "a",
        Privilege::Select,
        &ObjectRef::Column { schema: "s0".into(), table: "t0".into(), column: "zz".into() }
    ));
    let q = ObjectRef::Sequence { schema: "s0".into(), name: "q".into() };
    assert!(a.has("a", Privilege::Usage, &q) && a.has("a", Privilege::Update, &q));
    assert!(a.answer("a", Privilege::Delete, &q).is_none(), "does not fit a sequence");
    // Owner of a schema, through membership.
    assert!(matches!(
        a.answer("u", Privilege::Create, &ObjectRef::Schema { name: "s1".into() }),
        Some(Grounds::Owner { .. })
    ));
    assert!(!a.has("u", Privilege::Create, &ObjectRef::Schema { name: "s0".into() }));
}

#[test]
fn builtin_public_predefined_and_revokes() {
    let text = format!(
        "{INVENTORY}role a {{ member of pg_read_all_data }}\nrole w {{ member of pg_write_all_data }}\nrole n\npublic {{\n  revoke execute on function s0.f(integer) from public\n  grant select on table s0.t1 to public\n}}\n"
    );
    let a = analysis(&text, 15);
    let f = ObjectRef::Function { schema: "s0".into(), name: "f".into(), args: vec!["integer".into()] };
    assert!(!a.has("a", Privilege::Execute, &f));
    let db = ObjectRef::Database { name: "postgres".into() };
    assert_eq!(a.answer("w", Privilege::Connect, &db), Some(Grounds::BuiltinPublic));
    assert!(!a.has("w", Privilege::Create, &db));
    assert!(matches!(a.answer("w", Privilege::Select, &table("s0", "t1")), Some(Grounds::Public { .. })));
    assert!(matches!(a.answer("a", Privilege::Select, &table("s0", "t0")), Some(Grounds::Predefined { .. })));
    assert!(!a.has("a", Privilege::Insert, &table("s0", "t0")));
    assert!(a.has("w", Privilege::Insert, &table("s0", "t0")) && !a.has("w", Privilege::Select, &table("s0", "t0")));
    for r in ["a", "w"] {
        assert!(matches!(
            a.answer(r, Privilege::Usage, &ObjectRef::Schema { name: "s0".into() }),
            Some(Grounds::Predefined { .. })
        ));
    }
    let public = ObjectRef::Schema { name: "public".into() };
    assert_eq!(a.answer("n", Privilege::Usage, &public), Some(Grounds::BuiltinPublic));
    assert!(
        !a.has("n", Privilege::Create, &public)
            && !a.has("n", Privilege::Usage, &ObjectRef::Schema { name: "s0".into() })
    );
    assert!(analysis(&text, 14).has("n", Privilege::Create, &public));
    // MAINTAIN fits relations from 17 only.
    let text = format!("{INVENTORY}role m {{ grant all on table s0.t0 }}\n");
    assert!(!analysis(&text, 16).has("m", Privilege::Maintain, &table("s0", "t0")));
    assert!(analysis(&text, 17).has("m", Privilege::Maintain, &table("s0", "t0")));
    assert!(analysis(&text, 17).has("m", Privilege::Trigger, &table("s0", "t0")));
}

#[test]
fn superuser_has_every_fitting_privilege() {
    let a = analysis(&format!("{INVENTORY}user boss {{\n  superuser\n  noinherit\n}}\n"), 15);
    assert_eq!(a.answer("boss", Privilege::Truncate, &table("s0", "t0")), Some(Grounds::Superuser));
    assert_eq!(a.answer("boss", Privilege::Execute, &table("s0", "t0")), None);
}

fn future(kind: FutureKind, schema: Option<&str>, creator: &str) -> FutureObject {
    FutureObject { kind, schema: schema.map(str::to_string), creator: creator.into() }
}

#[test]
fn default_privileges_for_objects_created_later() {
    let text = "schema app { owner o, creators [c] }\nschema other {}\nrole o\nrole c\nrole r { grant select on tables in schema app }\nrole w { member of r }\nrole n {\n  noinherit\n  member of r\n}\nrole x\nrole y\ndefaults for role o {\n  revoke execute on functions from public\n  grant usage on sequences to x\n  grant usage on schemas to y\n}\ndefaults for role o in schema app {\n  grant execute on functions to y with grant option\n  grant execute on functions to public\n}\n";
    let a = analysis(text, 15);
    let model = a_model(text);
    let d = |g: &Option<FutureGrounds>| match g {
        Some(FutureGrounds::Default { entry, .. }) => Some(model.default_privileges[*entry].clone()),
        _ => None,
    };
    let t_app_o = future(FutureKind::Table, Some("app"), "o");
    // Bulk grants cover tables the owner and the creators make later in that schema only.
    let g = a.answer_future("r", Privilege::Select, &t_app_o);
    assert!(matches!(g, Some(FutureGrounds::Default { via: Chain::SameRole, .. })), "{g:?}");
    assert!(d(&g).is_some_and(|e| e.implied));
    assert!(matches!(
        a.answer_future("w", Privilege::Select, &t_app_o),
        Some(FutureGrounds::Default { via: Chain::Memberships(_), .. })
    ));
    assert!(a.answer_future("n", Privilege::Select, &t_app_o).is_none());
    assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, Some("app"), "c")).is_some());
    assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, Some("other"), "o")).is_none());
    assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, None, "o")).is_none());
    assert!(a.answer_future("r", Privilege::Insert, &t_app_o).is_none());
    // The creator owns what it creates; a member of a creator too.
    assert!(matches!(
        a.answer_future("o", Privilege::Truncate, &t_app_o),
        Some(FutureGrounds::Owner { via: Chain::SameRole, .. })
    ));
    assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, Some("app"), "x")).is_none());
    // Global entries apply in every schema; per-schema ones add to them.
    for s in [None, Some("app"), Some("other")] {
        assert!(matches!(
            a.answer_future("x", Privilege::Usage, &future(FutureKind::Sequence, s, "o")),
            Some(FutureGrounds::Default { .. })
        ));
        assert!(a.answer_future("x", Privilege::Usage, &future(FutureKind::Sequence, s, "c")).is_none());
    }
    // PUBLIC's EXECUTE: revoked globally for o, given back in app; built in for c.
    let f = |s: Option<&str>, c: &str| future(FutureKind::Function, s, c);
    assert_eq!(a.answer_future("x", Privilege::Execute, &f(None, "o")), None);
    assert_eq!(a.answer_future("x", Privilege::Execute, &f(Some("other"), "o")), None);
    assert!(matches!(
        a.answer_future("x", Privilege::Execute, &f(Some("app"), "o")),
        Some(FutureGrounds::DefaultPublic { .. })
    ));
    assert_eq!(a.answer_future("x", Privilege::Execute, &f(Some("app"), "c")), Some(FutureGrounds::BuiltinPublic));
    assert!(matches!(
        a.answer_future("y", Privilege::Execute, &f(Some("app"), "o")),
        Some(FutureGrounds::Default { .. })
    ));
    // Grant options: the creator's, and `with grant option` entries; never PUBLIC's.
    assert!(matches!(
        a.answer_future_grant_option("y", Privilege::Execute, &f(Some("app"), "o")),
        Some(FutureGrounds::Default { .. })
    ));
    assert_eq!(a.answer_future_grant_option("x", Privilege::Execute, &f(Some("app"), "o")), None);
    assert_eq!(a.answer_future_grant_option("r", Privilege::Select, &t_app_o), None);
    assert!(matches!(
        a.answer_future_grant_option("o", Privilege::Select, &t_app_o),
        Some(FutureGrounds::Owner { .. })
    ));
    // Schemas created later: global entries only; the schema named is ignored.
    assert!(a.answer_future("y", Privilege::Usage, &future(FutureKind::Schema, None, "o")).is_some());
    assert!(a.answer_future("y", Privilege::Usage, &future(FutureKind::Schema, Some("app"), "o")).is_some());
    assert!(a.answer_future("y", Privilege::Create, &future(FutureKind::Schema, None, "o")).is_none());
    // Privileges that do not fit the kind.
    assert_eq!(a.answer_future("o", Privilege::Execute, &t_app_o), None);
    assert_eq!(a.answer_future("o", Privilege::All, &t_app_o), None);
    let scopes: Vec<FutureObject> = a.future_scopes().collect();
    assert!(
        scopes.contains(&future(FutureKind::Table, Some("app"), "c"))
            && scopes.contains(&future(FutureKind::Function, None, "o"))
    );
}

fn a_model(text: &str) -> crate::model::Model {
    let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), BuildOptions::default()).unwrap();
    ws.resolved().model.clone()
}

#[test]
fn default_privileges_revoked_from_the_creator_and_replayed_in_order() {
    let text = "schema app {}\nrole o\nrole m { member of o }\nrole x\nuser su { superuser }\nrole reader { member of pg_read_all_data }\ndefaults for role o {\n  revoke all on tables from o\n  grant select on tables to x\n  revoke select on tables from x\n  grant insert on tables to x\n}\ndefaults for role o in schema app {\n  grant select on tables to o\n}\n";
    for version in [15, 17] {
        let a = analysis(text, version);
        let t = |s: Option<&str>| future(FutureKind::Table, s, "o");
        // The owner keeps its grant options, not the privileges a global default revoked.
        for r in ["o", "m"] {
            assert_eq!(a.answer_future(r, Privilege::Select, &t(None)), None);
            assert!(matches!(
                a.answer_future(r, Privilege::Select, &t(Some("app"))),
                Some(FutureGrounds::Default { .. })
            ));
            assert_eq!(a.answer_future(r, Privilege::Insert, &t(Some("app"))), None);
            assert!(matches!(
                a.answer_future_grant_option(r, Privilege::Insert, &t(None)),
                Some(FutureGrounds::Owner { .. })
            ));
        }
        assert_eq!(a.answer_future("x", Privilege::Select, &t(None)), None);
        assert!(a.answer_future("x", Privilege::Insert, &t(None)).is_some());
        assert_eq!(a.answer_future("su", Privilege::Delete, &t(None)), Some(FutureGrounds::Superuser));
        assert_eq!(a.answer_future_grant_option("su", Privilege::Delete, &t(None)), Some(FutureGrounds::Superuser));
        assert!(matches!(
            a.answer_future("reader", Privilege::Select, &t(None)),
            Some(FutureGrounds::Predefined { .. })
        ));
        assert_eq!(a.answer_future_grant_option("reader", Privilege::Select, &t(None)), None);
        assert_eq!(a.answer_future("o", Privilege::Maintain, &t(None)), None);
        assert_eq!(
            a.answer_future("x", Privilege::Maintain, &future(FutureKind::Table, None, "x")).is_some(),
            version >= 17
        );
    }
    // A grant, a revoke and a grant again of the same privilege: the last one wins.
    let text = "role o\nrole x\ndefaults for role o {\n  grant select on tables to x\n  revoke select on tables from x\n  grant select, update on tables to x\n}\n";
    let a = analysis(text, 15);
    let g = a.answer_future("x", Privilege::Select, &future(FutureKind::Table, None, "o"));
    assert!(matches!(g, Some(FutureGrounds::Default { entry: 2, .. })), "{g:?}");
}

#[test]
fn grant_options_follow_usage_membership() {
    let text = format!(
        "{INVENTORY}role a {{\n  grant select on table s0.t0 with grant option\n  grant insert on table s0.t0\n  grant update on tables in schema s0 with grant option\n  grant usage on schema s0 with grant option\n}}\nrole b {{ member of a }}\nrole c {{\n  noinherit\n  member of a\n}}\nrole rd {{ member of pg_read_all_data }}\nuser u {{ member of so }}\nuser boss {{ superuser }}\npublic {{\n  grant select on table s0.t1 to public\n}}\n"
    );
    let a = analysis(&text, 16);
    let t0 = table("s0", "t0");
    assert!(matches!(
        a.answer_grant_option("a", Privilege::Select, &t0),
        Some(Grounds::Grant { via: Chain::SameRole, bulk: false, .. })
    ));
    assert!(matches!(
        a.answer_grant_option("b", Privilege::Select, &t0),
        Some(Grounds::Grant { via: Chain::Memberships(_), .. })
    ));
    assert_eq!(a.answer_grant_option("c", Privilege::Select, &t0), None);
    assert!(a.has("a", Privilege::Insert, &t0) && a.answer_grant_option("a", Privilege::Insert, &t0).is_none());
    assert!(matches!(
        a.answer_grant_option("b", Privilege::Update, &table("s0", "t1")),
        Some(Grounds::Grant { bulk: true, .. })
    ));
    let col = ObjectRef::Column { schema: "s0".into(), table: "t0".into(), column: "a".into() };
    assert!(a.answer_grant_option("a", Privilege::Select, &col).is_some());
    assert!(a.answer_grant_option("a", Privilege::Usage, &ObjectRef::Schema { name: "s0".into() }).is_some());
    // PUBLIC grants, predefined roles and built-in defaults give no grant option.
    assert!(
        a.has("b", Privilege::Select, &table("s0", "t1"))
            && a.answer_grant_option("rd", Privilege::Select, &table("s0", "t1")).is_none()
    );
    assert!(a.has("rd", Privilege::Select, &t0) && a.answer_grant_option("rd", Privilege::Select, &t0).is_none());
    let db = ObjectRef::Database { name: "postgres".into() };
    assert!(a.has("b", Privilege::Connect, &db) && a.answer_grant_option("b", Privilege::Connect, &db).is_none());
    // The owner of a schema (and who has its privileges) and a superuser hold every option.
    assert!(matches!(
        a.answer_grant_option("u", Privilege::Create, &ObjectRef::Schema { name: "s1".into() }),
        Some(Grounds::Owner { .. })
    ));
    assert_eq!(a.answer_grant_option("boss", Privilege::Trigger, &t0), Some(Grounds::Superuser));
    assert_eq!(a.answer_grant_option("boss", Privilege::Execute, &t0), None);
}

#[test]
fn ten_thousand_roles_times_the_inventory() {
    // 100 schemas × 10 tables; 10,000 roles in layers, each with a grant or a membership.
    let mut text = String::new();
    for s in 0..100 {
        text.push_str(&format!("schema s{s} {{}}\n"));
        for t in 0..10 {
            text.push_str(&format!("table s{s}.t{t}\n"));
        }
    }
    for i in 0..10_000 {
        if i < 100 {
            text.push_str(&format!(
                "role r{i} {{ grant select on tables in schema s{i}\n grant insert on table s{i}.t0 }}\n"
            ));
        } else {
            text.push_str(&format!("role r{i} {{ member of r{}, r{} }}\n", i - 100, (i * 7) % (i - 1)));
        }
    }
    let options = BuildOptions { target_version: 16, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text)]), options).unwrap();
    let model = ws.resolved().model.clone();
    let members = reach(&model, 16);
    let start = std::time::Instant::now();
    let a = effective(&model, &members);
    let built = start.elapsed();
    let objects = ObjectRef::of_inventory(&model);
    assert_eq!(objects.len(), 1000);
    let start = std::time::Instant::now();
    // Every tenth table (one per schema), so that the debug build stays quick: 1,000,000
    // answers (about 3 s in a debug build, 0.5 s in release).
    let mut yes = 0usize;
    for i in 0..10_000 {
        let r = format!("r{i}");
        for o in objects.iter().step_by(10) {
            yes += a.has(&r, Privilege::Select, o) as usize;
        }
    }
    let answered = start.elapsed();
    eprintln!("privileges: index {built:?}; 10,000 roles x 100 tables (SELECT) in {answered:?}, {yes} true");
    assert!(yes > 0);
    assert!(answered.as_secs() < 60, "{answered:?}");
}
