//! Salsa reuse: an edit re-runs only what depends on it.

use rolec::db::{Database, Sources, Workspace};
use rolec::model::BuildOptions;

fn workspace() -> (Workspace, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let (db, log) = Database::with_execution_log();
    let sources = vec![
        ("a.role".to_string(), "role read_only {}\nrole writer { member of read_only }\n".to_string()),
        ("b.role".to_string(), "user alice { member of writer }\n".to_string()),
        ("c.role".to_string(), "user bob { member of read_only }\n".to_string()),
    ];
    let ws = Workspace::load_with(db, Sources::Memory(sources), BuildOptions::default()).unwrap();
    (ws, log)
}

fn executed(log: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn count(events: &[String], query: &str) -> usize {
    events.iter().filter(|e| e.starts_with(&format!("{query}("))).count()
}

#[test]
fn editing_one_file_reparses_only_that_file() {
    let (mut ws, log) = workspace();
    assert!(ws.diagnostics().is_empty());
    let first = executed(&log);
    assert_eq!(count(&first, "parse"), 3, "{first:?}");

    let b = ws.file_by_path("b.role").unwrap();
    ws.set_text(b, "user alice { member of writer }\nuser carol { member of writer }\n".to_string());
    assert!(ws.diagnostics().is_empty());
    let second = executed(&log);
    assert_eq!(count(&second, "parse"), 1, "only b.role is parsed again: {second:?}");
    assert_eq!(count(&second, "resolved"), 1, "{second:?}");
    assert_eq!(count(&second, "plan"), 0, "diagnostics do not lower the policy: {second:?}");
    assert_eq!(ws.resolved().model.roles.len(), 5);
}

#[test]
fn moving_an_item_without_changing_it_reuses_the_analysis() {
    let (mut ws, log) = workspace();
    ws.diagnostics();
    ws.plan();
    executed(&log);

    // Blank lines and comments before the only item: the syntax tree is unchanged (spans are
    // relative to their item), so resolution and lowering are not executed again.
    let c = ws.file_by_path("c.role").unwrap();
    ws.set_text(c, "// bob runs the reports\n\n\nuser bob { member of read_only }\n".to_string());
    ws.diagnostics();
    ws.plan();
    let events = executed(&log);
    assert_eq!(count(&events, "parse"), 1, "{events:?}");
    assert_eq!(count(&events, "resolved"), 0, "resolution reused: {events:?}");
    assert_eq!(count(&events, "plan"), 0, "lowering reused: {events:?}");
}

#[test]
fn diagnostics_point_at_the_moved_text() {
    let (mut ws, _log) = workspace();
    let c = ws.file_by_path("c.role").unwrap();
    ws.set_text(c, "user bob { member of read_onyl }\n".to_string());
    let before = rolec::diagnostics::render::concise(&ws.diagnostics(), &ws);
    assert!(before.starts_with("c.role:1:22: error[E002]"), "{before}");
    ws.set_text(c, "\n\n\nuser bob { member of read_onyl }\n".to_string());
    let after = rolec::diagnostics::render::concise(&ws.diagnostics(), &ws);
    assert!(after.starts_with("c.role:4:22: error[E002]"), "{after}");
}

/// A policy with a few hundred users in several files, groups and policy rules: enough roles
/// for several chunks of the per-role analysis.
fn large_workspace() -> (Workspace, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let (db, log) = Database::with_execution_log();
    let mut groups = String::from("schema app {}\ntable app.t0\ntable app.t1 { tags [pci] }\nrole base { grant usage on schema app }\n");
    for g in 0..10 {
        groups.push_str(&format!("role g{g} {{\n  member of base\n  grant select on table app.t{}\n}}\n", g % 2));
    }
    groups.push_str("policy p applies to users {\n  exclusive g0, g1\n  warn max tables 1\n  warn memberships deeper than 5\n}\n");
    let mut sources = vec![("groups.role".to_string(), groups)];
    for f in 0..3 {
        let mut users = String::new();
        for u in 0..100 {
            users.push_str(&format!("user u{f}_{u} {{\n  member of g{}\n  grant select on table app.t0\n}}\n", (u % 9) + 1));
        }
        sources.push((format!("users_{f}.role"), users));
    }
    let ws = Workspace::load_with(db, Sources::Memory(sources), BuildOptions::default()).unwrap();
    (ws, log)
}

#[test]
fn editing_one_grant_reruns_the_analysis_of_one_chunk_of_roles() {
    let (mut ws, log) = large_workspace();
    let before = ws.diagnostics();
    let first = executed(&log);
    let chunks = count(&first, "chunk_diagnostics");
    assert!(chunks >= 5, "several chunks: {first:?}");
    assert_eq!(count(&first, "membership_analysis"), 1);

    // One more privilege in one user's grant, in the middle of a file.
    let file = ws.file_by_path("users_1.role").unwrap();
    let text = file.text(&ws.db).clone().replace("user u1_50 {\n  member of g6\n  grant select on table app.t0", "user u1_50 {\n  member of g6\n  grant select, insert on table app.t0");
    ws.set_text(file, text);
    let after = ws.diagnostics();
    let events = executed(&log);
    assert_eq!(count(&events, "parse"), 1, "{events:?}");
    assert_eq!(count(&events, "membership_analysis"), 0, "memberships unchanged: {events:?}");
    assert_eq!(count(&events, "membership_graph"), 0, "not even the graph is built again: {events:?}");
    assert_eq!(count(&events, "chunk_diagnostics"), 1, "only the edited user's chunk: {events:?}");
    assert_eq!(count(&events, "role_chunk"), chunks, "every chunk is extracted again, and compares equal but one: {events:?}");
    // The user's grant is no longer shadowed by g6's (it grants more than select).
    assert_eq!(after.len() + 1, before.len(), "{after:?}");

    // A fresh analysis of the edited policy says the same.
    let sources = ws.files().iter().map(|f| (f.path(&ws.db).clone(), f.text(&ws.db).clone())).filter(|(p, _)| !p.starts_with("<std>")).collect();
    let fresh = Workspace::load(Sources::Memory(sources), BuildOptions::default()).unwrap();
    assert_eq!(fresh.diagnostics().len(), after.len());
}

#[test]
fn editing_a_membership_reruns_the_membership_analysis() {
    let (mut ws, log) = large_workspace();
    ws.diagnostics();
    executed(&log);
    let file = ws.file_by_path("users_0.role").unwrap();
    let text = file.text(&ws.db).clone().replace("user u0_7 {\n  member of g8", "user u0_7 {\n  member of g0, g1");
    ws.set_text(file, text);
    let after = ws.diagnostics();
    let events = executed(&log);
    assert_eq!(count(&events, "membership_analysis"), 1, "{events:?}");
    assert!(after.iter().any(|d| d.code.as_str() == "E030" && d.message.contains("u0_7")), "{after:?}");
}
