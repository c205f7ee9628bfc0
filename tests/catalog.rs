//! Catalog snapshots (`--catalog FILE`): their objects join the inventory.

use rolec::db::{Sources, Workspace};
use rolec::model::catalog::Catalog;
use rolec::model::{BuildOptions, Object};

const POLICY: &str = "schema app { owner app_owner }\nrole app_owner {}\ntable app.customers { tags [declared] }\nrole reader { grant select on tables in schema app }\n";

#[test]
fn catalog_objects_join_the_declared_inventory() {
    let mut ws =
        Workspace::load(Sources::Memory(vec![("p.role".into(), POLICY.into())]), BuildOptions::default()).unwrap();
    assert_eq!(ws.resolved().model.objects.len(), 1);
    let catalog = Catalog::parse(include_str!("../examples/catalog.sample.json")).unwrap();
    ws.set_catalog(Some(catalog.clone()));
    let model = ws.resolved().model.clone();
    // The catalog's schemas join the inventory too (with their owners).
    assert_eq!(
        model.objects.len(),
        catalog.objects.len() + catalog.schemas.len(),
        "one object is both declared and in the catalog"
    );
    let customers = model
        .objects
        .iter()
        .find(|o| o.object == Object::Table { schema: "app".into(), name: "customers".into() })
        .unwrap();
    assert_eq!(customers.tags, vec!["declared".to_string()], "the declaration wins");
    assert!(customers.origin.is_some());
    let events = model
        .objects
        .iter()
        .find(|o| o.object == Object::Table { schema: "audit".into(), name: "events".into() })
        .unwrap();
    assert_eq!((events.tags.clone(), events.origin), (vec!["audit".to_string()], None));
    // The bulk grant now covers the catalog's tables of `app` (what the privilege analysis sees).
    let privileges = rolec::db::privilege_analysis(&ws.db, ws.policy);
    let orders = rolec::analysis::privileges::ObjectRef::Table { schema: "app".into(), name: "orders".into() };
    assert!(privileges.has("reader", rolec::syntax::ast::Privilege::Select, &orders));
    ws.set_catalog(None);
    assert_eq!(ws.resolved().model.objects.len(), 1);
}

#[test]
fn the_command_reads_a_catalog_and_refuses_a_broken_one() {
    let rolec = env!("CARGO_BIN_EXE_rolec");
    let ok = std::process::Command::new(rolec)
        .args(["lint", "examples/hierarchy", "--catalog", "examples/catalog.sample.json"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"format": "rolec-catalog/1", "objects": [{"kind": "index"}]}"#).unwrap();
    let out = std::process::Command::new(rolec)
        .args(["lint", "examples/hierarchy", "--catalog"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a catalog snapshot"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = std::process::Command::new(rolec)
        .args(["build", "examples/hierarchy", "--out"])
        .arg(dir.path())
        .args(["--catalog", "/nonexistent.json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
