//! `rolec lsp`, driven in process over `Connection::memory()`: a workspace of several files
//! in a temporary directory, then diagnostics, hover, navigation, rename, completion,
//! symbols, formatting and code actions, with UTF-16 columns on non-ASCII names.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

mod support;
use support::lsp::{uri_of, Client};

const A: &str = "\
/// Reads the app schema.
role reader {
  grant usage on schema app
  grant select on tables in schema app
}

role writer {
  member of reader
  grant insert on tables in schema app
}
";

const B: &str = "\
schema app { owner owner_role }
user owner_role {}
/* 😀 */ role café_ü { member of writer }
user alice { member of café_ü, reader }
template staff(boss: role) { member of boss }
user emp: staff(writer)
";

const C: &str = "user bob { member of unknown_role }\n";

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn standard() -> (tempfile::TempDir, Client) {
    let dir = workspace(&[("a.role", A), ("b.role", B), ("c.role", C)]);
    let client = Client::start(dir.path());
    (dir, client)
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
}

/// Labels of completion items.
fn labels(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn diagnostics_of_the_workspace_on_start() {
    let (_dir, mut c) = standard();
    let d = c.diagnostics("c.role");
    assert_eq!(codes(&d), ["E002"]);
    assert_eq!(d[0]["range"], range(0, 21, 0, 33));
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(d[0]["source"], "rolec");
    assert!(d[0]["message"].as_str().unwrap().starts_with("unknown role `unknown_role`"));
    // Policy diagnostics wait for a sound policy; a.role and b.role have no errors.
    assert!(codes(&c.diagnostics("a.role")).is_empty());
    c.shutdown();
}

#[test]
fn edits_break_and_repair_a_file() {
    let (_dir, mut c) = standard();
    c.open("c.role", C);
    c.change("c.role", 2, "user bob { member of \n");
    let broken = c.diagnostics("c.role");
    assert_eq!(codes(&broken), ["E001", "E001"], "{broken:?}");
    // A half-typed file does not stop the analysis of the others: b.role's names still resolve.
    c.change("c.role", 3, "user bob { member of reader }\nrole r2 { member of");
    assert!(codes(&c.diagnostics("c.role")).iter().all(|c| c == "E001"));
    c.change("c.role", 4, "user bob { member of reader }\n");
    assert!(c.diagnostics("c.role").is_empty());
    // The last publication for c.role is an empty list that clears the editor's markers.
    let last = c.notifications.iter().rev().find(|n| n.params["uri"] == c.uri("c.role")).unwrap();
    assert_eq!(last.params["diagnostics"], json!([]));
    // An edit in one file reports in another: b.role loses `writer`.
    c.open("a.role", A);
    c.change("a.role", 2, &A.replace("role writer", "role scribe"));
    let b = c.diagnostics("b.role");
    assert_eq!(codes(&b), ["E002", "E002"], "{b:?}");
    c.change("a.role", 3, A);
    assert!(c.diagnostics("b.role").is_empty());
    c.shutdown();
}

#[test]
fn incremental_changes_in_utf16() {
    let (_dir, mut c) = standard();
    c.open("b.role", B);
    // Replace `writer` after `café_ü { member of ` (line 2): UTF-16 columns 33..39.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": c.uri("b.role"), "version": 2 }, "contentChanges": [{ "range": range(2, 33, 2, 39), "text": "nobody" }] }),
    );
    let d = c.diagnostics("b.role");
    assert_eq!(codes(&d), ["E002"]);
    assert_eq!(d[0]["range"], range(2, 33, 2, 39));
    assert!(d[0]["message"].as_str().unwrap().contains("`nobody`"));
    c.shutdown();
}

#[test]
fn related_information_shows_chains() {
    let policy = "\
role approver {}
role requester {}
role team { member of requester }
user eve { member of approver, team }
policy sod { exclusive approver, requester }
";
    let dir = workspace(&[("p.role", policy)]);
    let mut c = Client::start(dir.path());
    let d = c.diagnostics("p.role");
    let e030: Vec<&Value> = d.iter().filter(|d| d["code"] == "E030").collect();
    assert_eq!(e030.len(), 1, "{d:?}");
    let related = e030[0]["relatedInformation"].as_array().expect("related information");
    assert!(related.len() >= 2, "{related:?}");
    for r in related {
        assert_eq!(r["location"]["uri"], c.uri("p.role"));
    }
    let messages: Vec<&str> = related.iter().map(|r| r["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("requester")), "{messages:?}");
    c.shutdown();
}

#[test]
fn related_information_follows_edits_in_the_other_file() {
    // The violation is reported on eve, in p.role; its chain goes through roles.role.
    let roles = "role approver {}\nrole requester {}\nrole team { member of requester }\n";
    let policy = "user eve { member of approver, team }\npolicy sod { exclusive approver, requester }\n";
    let dir = workspace(&[("p.role", policy), ("roles.role", roles)]);
    let mut c = Client::start(dir.path());
    let lines_in_roles = |c: &mut Client| -> Vec<u64> {
        let d = c.diagnostics("p.role");
        let e030 = d.iter().find(|d| d["code"] == "E030").unwrap_or_else(|| panic!("{d:?}")).clone();
        let related = e030["relatedInformation"].as_array().expect("related information").clone();
        let uri = c.uri("roles.role");
        related
            .iter()
            .filter(|r| r["location"]["uri"] == uri)
            .map(|r| r["location"]["range"]["start"]["line"].as_u64().unwrap())
            .collect()
    };
    let before = lines_in_roles(&mut c);
    assert!(!before.is_empty(), "the chain goes through roles.role");
    // A blank line on top of roles.role: p.role's diagnostics are the same, their related
    // positions in roles.role one line lower.
    c.open("roles.role", roles);
    c.change("roles.role", 2, &format!("\n{roles}"));
    let after = lines_in_roles(&mut c);
    assert_eq!(after, before.iter().map(|l| l + 1).collect::<Vec<_>>());
    c.shutdown();
}

#[test]
fn hover_on_a_role_shows_what_rolec_explain_prints() {
    let (dir, mut c) = standard();
    // Line 3 of b.role: `user alice { member of café_ü, reader }`; `café_ü` at 23..29.
    let h = c.ask("textDocument/hover", c.at("b.role", 3, 25));
    assert_eq!(h["range"], range(3, 23, 3, 29));
    let text = h["contents"]["value"].as_str().unwrap();
    // The same text as the command line, for a policy without errors.
    std::fs::remove_file(dir.path().join("c.role")).unwrap();
    // Files are named relative to the workspace folder, as `rolec explain` run there names them.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolec"))
        .args(["explain", "café_ü", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let explain = String::from_utf8(out.stdout).unwrap();
    assert!(explain.starts_with("role café_ü\n"), "{explain}");
    assert!(explain.contains(" (b.role:3)"), "{explain}");
    assert!(text.contains(&explain), "hover:\n{text}\nexplain:\n{explain}");
    assert!(!text.contains(&*dir.path().to_string_lossy()), "{text}");
    assert!(text.contains("reader [MEMBER, USAGE"), "{text}");
    // Doc comments come first.
    let h = c.ask("textDocument/hover", c.at("a.role", 1, 6));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("Reads the app schema.\n\n```text\nrole reader\n"), "{text}");
    assert!(text.contains("usage: direct grant at"), "{text}");
    // A template: its signature.
    let h = c.ask("textDocument/hover", c.at("b.role", 5, 11));
    assert!(h["contents"]["value"].as_str().unwrap().contains("template staff(boss: role)"));
    c.shutdown();
}

#[test]
fn definition_and_references_across_files() {
    let (_dir, mut c) = standard();
    // `writer` in b.role line 2 (`/* 😀 */ role café_ü { member of writer }`, UTF-16 columns 33..39).
    let def = c.ask("textDocument/definition", c.at("b.role", 2, 33));
    assert_eq!(def, json!({ "uri": c.uri("a.role"), "range": range(6, 5, 6, 11) }));
    // `café_ü` used on line 3 is declared on line 2, after a comment with an emoji (two UTF-16 units).
    let def = c.ask("textDocument/definition", c.at("b.role", 3, 23));
    assert_eq!(def, json!({ "uri": c.uri("b.role"), "range": range(2, 14, 2, 20) }));
    // The template of `user emp: staff(writer)`.
    let def = c.ask("textDocument/definition", c.at("b.role", 5, 11));
    assert_eq!(def["range"], range(4, 9, 4, 14));
    // A schema.
    let def = c.ask("textDocument/definition", c.at("a.role", 2, 24));
    assert_eq!(def, json!({ "uri": c.uri("b.role"), "range": range(0, 7, 0, 10) }));
    // A template parameter.
    let def = c.ask("textDocument/definition", c.at("b.role", 4, 40));
    assert_eq!(def["range"], range(4, 15, 4, 19));

    let mut refs = c.ask("textDocument/references", json!({ "textDocument": { "uri": c.uri("a.role") }, "position": { "line": 6, "character": 7 }, "context": { "includeDeclaration": true } }));
    let refs = refs.as_array_mut().unwrap();
    refs.sort_by_key(|r| (r["uri"].as_str().unwrap().to_string(), r["range"]["start"]["line"].as_u64()));
    let want = json!([
        { "uri": c.uri("a.role"), "range": range(6, 5, 6, 11) },
        { "uri": c.uri("b.role"), "range": range(2, 33, 2, 39) },
        { "uri": c.uri("b.role"), "range": range(5, 16, 5, 22) },
    ]);
    assert_eq!(Value::Array(refs.clone()), want);
    let refs = c.ask("textDocument/references", json!({ "textDocument": { "uri": c.uri("a.role") }, "position": { "line": 6, "character": 7 }, "context": { "includeDeclaration": false } }));
    assert_eq!(refs.as_array().unwrap().len(), 2);
    c.shutdown();
}

#[test]
fn grant_role_to_names_and_globs_lead_to_their_roles() {
    let dir = workspace(&[
        ("roles.role", "role code_review {}\nrole app_developer {}\nuser alice {}\n"),
        ("grants.role", "grant code_review to *_developer, alice\n"),
    ]);
    let mut c = Client::start(dir.path());
    // The granted role and a named member lead to their declarations.
    let def = c.ask("textDocument/definition", c.at("grants.role", 0, 8));
    assert_eq!(def, json!({ "uri": c.uri("roles.role"), "range": range(0, 5, 0, 16) }));
    let def = c.ask("textDocument/definition", c.at("grants.role", 0, 36));
    assert_eq!(def, json!({ "uri": c.uri("roles.role"), "range": range(2, 5, 2, 10) }));
    // Hover on a member: the role it reaches through the grant, with the grant's line.
    let h = c.ask("textDocument/hover", c.at("grants.role", 0, 36));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("code_review [MEMBER"), "{text}");
    assert!(text.contains("grants.role:1"), "{text}");
    c.shutdown();
}

#[test]
fn imports_lead_to_their_file() {
    let dir = workspace(&[("main.role", "import \"lib/base.role\"\nuser u { member of base }\n")]);
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(dir.path().join("lib/base.role"), "role base {}\n").unwrap();
    let mut c = Client::start(dir.path());
    let def = c.ask("textDocument/definition", c.at("main.role", 0, 10));
    assert_eq!(def, json!({ "uri": c.uri("lib/base.role"), "range": range(0, 0, 0, 0) }));
    let def = c.ask("textDocument/definition", c.at("main.role", 1, 20));
    assert_eq!(def, json!({ "uri": c.uri("lib/base.role"), "range": range(0, 5, 0, 9) }));
    c.shutdown();
}

#[test]
fn rename_a_role_in_every_file() {
    let (_dir, mut c) = standard();
    let prepared = c.ask("textDocument/prepareRename", c.at("b.role", 3, 24));
    assert_eq!(prepared, range(3, 23, 3, 29));
    let edit = c.ask("textDocument/rename", json!({ "textDocument": { "uri": c.uri("b.role") }, "position": { "line": 3, "character": 24 }, "newName": "barista" }));
    let mut edits = edit["changes"][c.uri("b.role")].as_array().unwrap().clone();
    edits.sort_by_key(|e| e["range"]["start"]["line"].as_u64());
    assert_eq!(
        Value::Array(edits),
        json!([
            { "range": range(2, 14, 2, 20), "newText": "barista" },
            { "range": range(3, 23, 3, 29), "newText": "barista" },
        ])
    );
    // A name that must be quoted is quoted; every file that uses it is edited.
    let edit = c.ask("textDocument/rename", json!({ "textDocument": { "uri": c.uri("a.role") }, "position": { "line": 1, "character": 6 }, "newName": "Read Only" }));
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[&c.uri("a.role")].as_array().unwrap().len(), 2);
    assert_eq!(changes[&c.uri("b.role")][0]["newText"], "\"Read Only\"");
    // A predefined role is not the policy's to rename.
    c.open("c.role", "user bob { member of pg_monitor }\n");
    let r = c.request("textDocument/rename", json!({ "textDocument": { "uri": c.uri("c.role") }, "position": { "line": 0, "character": 22 }, "newName": "x" }));
    assert!(r.response_result.unwrap_err().message.contains("not declared"));
    c.shutdown();
}

#[test]
fn completion_by_context() {
    let (_dir, mut c) = standard();
    let text = "user bob {\n  member of \n  grant  on sequence app.s\n  \n  use staff(\n}\nrole x: \n";
    c.open("c.role", text);
    let items = c.ask("textDocument/completion", c.at("c.role", 1, 12));
    let roles = labels(&items);
    for r in ["reader", "writer", "café_ü", "alice", "pg_monitor"] {
        assert!(roles.contains(&r.to_string()), "{r} not in {roles:?}");
    }
    let privs = labels(&c.ask("textDocument/completion", c.at("c.role", 2, 8)));
    assert_eq!(privs, ["usage", "select", "update", "all"]);
    let params = labels(&c.ask("textDocument/completion", c.at("c.role", 4, 12)));
    assert_eq!(params, ["boss"]);
    let templates = labels(&c.ask("textDocument/completion", c.at("c.role", 6, 8)));
    assert_eq!(templates, ["staff"]);
    let keywords = labels(&c.ask("textDocument/completion", c.at("c.role", 3, 2)));
    assert!(keywords.contains(&"member of".to_string()), "{keywords:?}");
    let top = labels(&c.ask("textDocument/completion", c.at("c.role", 7, 0)));
    assert!(top.contains(&"template".to_string()) && !top.contains(&"member of".to_string()), "{top:?}");
    c.shutdown();
}

#[test]
fn document_and_workspace_symbols() {
    let (_dir, mut c) = standard();
    let symbols = c.ask("textDocument/documentSymbol", json!({ "textDocument": { "uri": c.uri("b.role") } }));
    let outline: Vec<(String, String, u64)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["detail"].as_str().unwrap().to_string(),
                s["kind"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, u64)> = [
        ("app", "schema", 3),
        ("owner_role", "user", 5),
        ("café_ü", "role", 5),
        ("alice", "user", 5),
        ("staff", "template", 12),
        ("emp", "user", 5),
    ]
    .iter()
    .map(|(n, d, k)| (n.to_string(), d.to_string(), *k))
    .collect();
    assert_eq!(outline, want);
    assert_eq!(symbols[2]["selectionRange"], range(2, 14, 2, 20));
    let found = c.ask("workspace/symbol", json!({ "query": "CAF" }));
    assert_eq!(
        found,
        json!([{ "name": "café_ü", "kind": 5, "location": { "uri": c.uri("b.role"), "range": range(2, 14, 2, 20) } }])
    );
    c.shutdown();
}

#[test]
fn formatting_the_whole_file() {
    let (_dir, mut c) = standard();
    c.open("c.role", "user   bob{member of reader ,writer}\n\n\n");
    let edits = c.ask(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": c.uri("c.role") }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([{ "range": range(0, 0, 3, 0), "newText": "user bob { member of reader, writer }\n" }]));
    c.change("c.role", 2, "user bob { member of reader, writer }\n");
    let edits = c.ask(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": c.uri("c.role") }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([]));
    // A file with syntax errors is left alone.
    c.change("c.role", 3, "user bob { member of ");
    let edits = c.ask(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": c.uri("c.role") }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, Value::Null);
    c.shutdown();
}

#[test]
fn code_actions_fix_unknown_roles_and_duplicates() {
    let (_dir, mut c) = standard();
    c.open("c.role", "user bob { member of readr }\n");
    let d = c.diagnostics("c.role");
    let actions = c.ask("textDocument/codeAction", json!({ "textDocument": { "uri": c.uri("c.role") }, "range": range(0, 22, 0, 22), "context": { "diagnostics": d } }));
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Replace with `reader`", "Declare role `readr`"]);
    assert_eq!(
        actions[0]["edit"]["changes"][c.uri("c.role")],
        json!([{ "range": range(0, 21, 0, 26), "newText": "reader" }])
    );
    assert_eq!(
        actions[1]["edit"]["changes"][c.uri("c.role")],
        json!([{ "range": range(1, 0, 1, 0), "newText": "\nrole readr {}\n" }])
    );

    c.change("c.role", 2, "user bob {\n  member of reader, writer, reader\n  member of writer\n}\n");
    let d = c.diagnostics("c.role");
    assert_eq!(codes(&d), ["W004", "W004"], "{d:?}");
    let actions = c.ask("textDocument/codeAction", json!({ "textDocument": { "uri": c.uri("c.role") }, "range": range(1, 29, 1, 29), "context": { "diagnostics": [] } }));
    assert_eq!(actions[0]["title"], "Remove duplicate membership");
    assert_eq!(
        actions[0]["edit"]["changes"][c.uri("c.role")],
        json!([{ "range": range(1, 26, 1, 34), "newText": "" }])
    );
    let actions = c.ask("textDocument/codeAction", json!({ "textDocument": { "uri": c.uri("c.role") }, "range": range(2, 14, 2, 14), "context": { "diagnostics": [] } }));
    assert_eq!(actions[0]["edit"]["changes"][c.uri("c.role")], json!([{ "range": range(2, 0, 3, 0), "newText": "" }]));
    c.shutdown();
}

#[test]
fn a_failing_request_does_not_stop_the_server() {
    let (_dir, mut c) = standard();
    let r = c.request("rolec/panic", Value::Null);
    let e = r.response_result.expect_err("an error response");
    assert_eq!(e.code, lsp_server::ErrorCode::InternalError as i32);
    assert!(e.message.contains("requested panic"));
    let r = c.request("textDocument/unknown", json!({}));
    assert_eq!(r.response_result.unwrap_err().code, lsp_server::ErrorCode::MethodNotFound as i32);
    // Still serving.
    let h = c.ask("textDocument/hover", c.at("a.role", 1, 6));
    assert!(h["contents"]["value"].as_str().unwrap().contains("role reader"));
    c.shutdown();
}

#[test]
fn files_changed_on_disk_join_the_workspace() {
    let dir = workspace(&[("a.role", A)]);
    let caps = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut c = Client::start_with(dir.path(), caps);
    c.sync();
    assert_eq!(c.server_requests.len(), 1);
    assert_eq!(c.server_requests[0].method, "client/registerCapability");
    std::fs::write(dir.path().join("d.role"), "user dan { member of nobody }\n").unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": c.uri("d.role"), "type": 1 }] }));
    assert_eq!(codes(&c.diagnostics("d.role")), ["E002"]);
    std::fs::remove_file(dir.path().join("d.role")).unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": c.uri("d.role"), "type": 3 }] }));
    assert!(c.diagnostics("d.role").is_empty());
    c.shutdown();
}

/// d.role needs `reader`, which a.role declares.
const D: &str = "user dan { member of reader }\n";

fn watched(c: &Client, file: &str, kind: u8) {
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": c.uri(file), "type": kind }] }));
}

#[test]
fn without_the_capability_nothing_is_watched_silently() {
    let dir = workspace(&[("a.role", A)]);
    let caps = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": false } } });
    let mut c = Client::start_with(dir.path(), caps);
    c.sync();
    assert!(c.server_requests.is_empty(), "{:?}", c.server_requests);
    let others: Vec<_> =
        c.notifications.iter().filter(|n| n.method != "textDocument/publishDiagnostics").map(|n| &n.method).collect();
    assert!(others.is_empty(), "{others:?}");
    c.shutdown();
}

#[test]
fn a_file_changed_or_deleted_on_disk_is_read_again() {
    let dir = workspace(&[("a.role", A), ("d.role", D)]);
    let caps = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut c = Client::start_with(dir.path(), caps);
    c.sync();
    let register = &c.server_requests[0].params["registrations"][0];
    assert_eq!(register["method"], "workspace/didChangeWatchedFiles");
    assert_eq!(register["registerOptions"]["watchers"][0]["globPattern"], "**/*.role");
    assert!(codes(&c.diagnostics("d.role")).is_empty());
    // A checkout renames `reader` in a.role: d.role's member of is unknown now.
    std::fs::write(dir.path().join("a.role"), A.replace("reader", "readers")).unwrap();
    watched(&c, "a.role", 2);
    assert_eq!(codes(&c.diagnostics("d.role")), ["E002"]);
    std::fs::write(dir.path().join("a.role"), A).unwrap();
    watched(&c, "a.role", 2);
    assert!(codes(&c.diagnostics("d.role")).is_empty());
    // a.role deleted: its roles leave the policy, its own diagnostics are cleared.
    std::fs::write(dir.path().join("a.role"), "role reader {}\nrole reader {}\n").unwrap();
    watched(&c, "a.role", 2);
    assert_eq!(codes(&c.diagnostics("a.role")), ["E005"]);
    std::fs::remove_file(dir.path().join("a.role")).unwrap();
    watched(&c, "a.role", 3);
    assert!(c.diagnostics("a.role").is_empty());
    assert_eq!(codes(&c.diagnostics("d.role")), ["E002"]);
    let symbols = c.ask("workspace/symbol", json!({ "query": "reader" }));
    assert_eq!(symbols.as_array().map(Vec::len), Some(0), "{symbols}");
    c.shutdown();
}

#[test]
fn an_open_file_keeps_the_editors_text_until_it_is_closed() {
    let dir = workspace(&[("a.role", A), ("d.role", D)]);
    let caps = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut c = Client::start_with(dir.path(), caps);
    c.open("a.role", A);
    // On disk a.role loses `reader`; the editor's text still declares it.
    std::fs::write(dir.path().join("a.role"), "role writer {}\n").unwrap();
    watched(&c, "a.role", 2);
    assert!(codes(&c.diagnostics("d.role")).is_empty());
    // Deleted on disk while open, then closed: the file is gone, and so is `reader`.
    std::fs::remove_file(dir.path().join("a.role")).unwrap();
    watched(&c, "a.role", 3);
    assert!(codes(&c.diagnostics("d.role")).is_empty());
    c.notify("textDocument/didClose", json!({ "textDocument": { "uri": c.uri("a.role") } }));
    assert_eq!(codes(&c.diagnostics("d.role")), ["E002"]);
    c.shutdown();
}

/// Runs `rolec lsp ARGS` in `dir` with `input` on its standard input (then closed): its exit
/// status, standard output and standard error. Killed after a minute, so it cannot hang.
fn run_server(dir: &Path, args: &[&str], input: &[u8]) -> (Option<i32>, String, String) {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolec"))
        .arg("lsp")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // A refusing server exits without reading: a failed write is no error here.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("`rolec lsp {args:?}` did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap();
    (status.code(), out.join().unwrap(), err.join().unwrap())
}

/// LSP base-protocol frames of JSON-RPC messages.
fn frames(messages: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        let body = m.to_string();
        out.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes());
    }
    out
}

#[test]
fn the_binary_serves_with_the_flags_editors_send() {
    let dir = workspace(&[("c.role", C)]);
    let session = frames(&[
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": uri_of(dir.path()), "capabilities": {} } }),
        json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null }),
        json!({ "jsonrpc": "2.0", "method": "exit", "params": null }),
    ]);
    // `--stdio` is what vscode-languageclient adds; `--clientProcessId` is accepted and ignored.
    for args in [&["--stdio"][..], &[], &["--clientProcessId=4242", "--stdio"]] {
        let (code, out, err) = run_server(dir.path(), args, &session);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(out.contains(r#""serverInfo":{"name":"rolec""#), "{args:?}: {out}");
        assert!(out.contains(r#""code":"E002""#), "{args:?}: {out}");
    }
}

#[test]
fn other_transports_are_refused_in_one_line() {
    let dir = workspace(&[]);
    for flag in ["--pipe=/tmp/rolec.sock", "--socket=5007", "--node-ipc"] {
        let (code, out, err) = run_server(dir.path(), &[flag], b"");
        assert_eq!(code, Some(2), "{flag}: {err}");
        assert!(out.is_empty(), "{flag}: {out}");
        assert_eq!(err.lines().count(), 1, "{flag}: {err}");
        let name = flag.split('=').next().unwrap();
        assert!(err.starts_with(&format!("error: `rolec lsp {name}`: ")), "{flag}: {err}");
        assert!(err.contains("standard input and output only"), "{flag}: {err}");
    }
}

#[test]
fn without_a_root_opened_files_make_the_workspace() {
    let mut c = Client::start_with_params(
        Path::new("/nowhere"),
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    c.open("x.role", "role a {}\nuser b { member of a, c }\n");
    let d = c.diagnostics("x.role");
    assert_eq!(codes(&d), ["E002"]);
    assert_eq!(d[0]["range"], range(1, 22, 1, 23));
    let def = c.ask("textDocument/definition", c.at("x.role", 1, 19));
    assert_eq!(def["range"], range(0, 5, 0, 6));
    c.shutdown();
}

#[test]
fn every_prefix_of_a_file_is_served() {
    let (_dir, mut c) = standard();
    c.open("b.role", B);
    let cuts: Vec<usize> = B.char_indices().map(|(i, _)| i).chain([B.len()]).collect();
    for (version, cut) in cuts.into_iter().enumerate() {
        let text = &B[..cut];
        c.change("b.role", version as i32 + 2, text);
        let line = text.matches('\n').count() as u32;
        let character = text.rsplit('\n').next().unwrap().encode_utf16().count() as u32;
        let here = c.at("b.role", line, character);
        let mut whole = c.at("b.role", 0, 0);
        whole["range"] = range(0, 0, line, character);
        whole["context"] = json!({ "diagnostics": [] });
        whole["options"] = json!({ "tabSize": 2, "insertSpaces": true });
        for (method, params) in [
            ("textDocument/completion", &here),
            ("textDocument/hover", &here),
            ("textDocument/definition", &here),
            ("textDocument/documentSymbol", &here),
            ("textDocument/codeAction", &whole),
            ("textDocument/formatting", &whole),
        ] {
            let r = c.request(method, params.clone());
            assert!(r.response_result.is_ok(), "{method} at {cut}: {:?}", r.response_result);
        }
        // The other files are still analysed: `app` is unknown until b.role declares it.
        let a = codes(&c.diagnostics("a.role"));
        let declared = text.contains("schema app");
        assert_eq!(a.contains(&"E004".to_string()), !declared, "at {cut}: {a:?}");
        assert!(!a.contains(&"E001".to_string()));
    }
    c.change("b.role", 1000, B);
    assert!(c.diagnostics("b.role").is_empty());
    c.shutdown();
}

#[test]
fn a_half_typed_file_keeps_the_policy_diagnostics_of_the_others() {
    let dir = workspace(&[
        ("a.role", "role lonely {}\nrole reader { grant connect on database app }\nuser ann { member of reader }\n"),
        ("b.role", "user bob { member of reader }\n"),
    ]);
    let mut c = Client::start(dir.path());
    assert_eq!(codes(&c.diagnostics("a.role")), ["W040"], "the policy is sound: its warnings are published");
    let published_for_a = |c: &Client| {
        c.notifications
            .iter()
            .filter(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == c.uri("a.role"))
            .count()
    };
    let before = published_for_a(&c);

    // b.role half typed, then an unknown name: the policy is not sound; a.role keeps its warning.
    c.open("b.role", "user bob { member of reader }\n");
    c.change("b.role", 2, "user bob { member of reader }\nuser carol { memb\n");
    let broken = codes(&c.diagnostics("b.role"));
    assert!(!broken.is_empty() && broken.iter().all(|c| c == "E001"), "{broken:?}");
    assert_eq!(codes(&c.diagnostics("a.role")), ["W040"]);
    c.change("b.role", 3, "user bob { member of reader }\nuser carol { member of nobody }\n");
    assert_eq!(codes(&c.diagnostics("b.role")), ["E002"]);
    assert_eq!(codes(&c.diagnostics("a.role")), ["W040"]);
    // Repaired: nothing was sent for a.role in between, and its list is the analysis' again.
    c.change("b.role", 4, "user bob { member of reader }\nuser carol { member of lonely }\n");
    assert!(c.diagnostics("b.role").is_empty());
    assert!(c.diagnostics("a.role").is_empty(), "`lonely` is used now");
    assert_eq!(published_for_a(&c), before + 1, "one publication for a.role: the repair's");

    // A file edited while the policy is broken shows only its own diagnostics until repaired.
    c.open("a.role", "role lonely {}\nrole reader { grant connect on database app }\nuser ann { member of reader }\n");
    c.change("b.role", 5, "user bob { member of reader }\nuser carol { memb\n");
    c.change("a.role", 2, "role lonely {}\nrole lonely2 {}\nrole reader { grant connect on database app }\nuser ann { member of reader }\n");
    assert!(c.diagnostics("a.role").is_empty(), "{:?}", c.diagnostics("a.role"));
    c.change("b.role", 6, "user bob { member of reader }\n");
    assert_eq!(codes(&c.diagnostics("a.role")), ["W040", "W040"]);
    c.shutdown();
}

#[test]
fn a_policy_rule_is_reported_beside_an_unknown_role() {
    let dir = workspace(&[
        (
            "rules.role",
            "role approve {}\nrole submit {}\nuser mallory { member of approve, submit }\n\
             policy separation { exclusive approve, submit }\n",
        ),
        ("typo.role", "user ann { member of aprove }\n"),
    ]);
    let mut c = Client::start(dir.path());
    assert_eq!(codes(&c.diagnostics("typo.role")), ["E002"]);
    assert_eq!(codes(&c.diagnostics("rules.role")), ["E030"], "the breach shows while typo.role has an error");
    // Fixing the breach clears it while the error stays.
    c.open("rules.role", "role approve {}\nrole submit {}\nuser mallory { member of approve }\n");
    c.change(
        "rules.role",
        2,
        "role approve {}\nrole submit {}\nuser mallory { member of approve }\npolicy separation { exclusive approve, submit }\n",
    );
    assert!(c.diagnostics("rules.role").is_empty(), "{:?}", c.diagnostics("rules.role"));
    assert_eq!(codes(&c.diagnostics("typo.role")), ["E002"]);
    c.shutdown();
}
