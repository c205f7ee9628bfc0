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
    assert_eq!(ws.resolved().model.roles.len(), 5);
}

#[test]
fn moving_an_item_without_changing_it_reuses_the_analysis() {
    let (mut ws, log) = workspace();
    ws.diagnostics();
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
