//! `rolec lsp` with project files: one policy per `rolec.toml` under the workspace folders,
//! each with its own options, and multi-root workspaces.

use std::path::Path;

use serde_json::{json, Value};

mod support;
use support::lsp::{uri_of, Client};

/// Writes the files (paths relative to `dir`, directories made as needed).
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
}

/// How many times diagnostics were published for a file.
fn publications(c: &Client, file: &str) -> usize {
    let uri = c.uri(file);
    c.notifications.iter().filter(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri).count()
}

const ROLES: &str = "role app_rw {}\nuser alice { member of app_rw }\n";

#[test]
fn two_projects_under_one_folder_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("envs/prod/rolec.toml", ""),
            ("envs/prod/roles.role", ROLES),
            ("envs/staging/rolec.toml", ""),
            ("envs/staging/roles.role", ROLES),
        ],
    );
    let mut c = Client::start(dir.path());
    // Each project declares `app_rw` once: no E005.
    assert_eq!(codes(&c.diagnostics("envs/prod/roles.role")), Vec::<String>::new());
    assert_eq!(codes(&c.diagnostics("envs/staging/roles.role")), Vec::<String>::new());
    // Hover names the file from its project's root.
    let hover = c.ask(
        "textDocument/hover",
        json!({ "textDocument": { "uri": c.uri("envs/prod/roles.role") }, "position": { "line": 1, "character": 6 } }),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("(roles.role:2)"), "{text}");
    assert!(!text.contains("envs/"), "{text}");
    // Breaking staging reports it there and publishes nothing for prod.
    let before = publications(&c, "envs/prod/roles.role");
    c.open("envs/staging/roles.role", ROLES);
    c.change("envs/staging/roles.role", 2, "role app_rw {}\nuser alice { member of app_rwx }\n");
    assert_eq!(codes(&c.diagnostics("envs/staging/roles.role")), ["E002"]);
    assert_eq!(publications(&c, "envs/prod/roles.role"), before);
    // References stay within the policy of the file.
    let refs = c.ask(
        "textDocument/references",
        json!({ "textDocument": { "uri": c.uri("envs/prod/roles.role") }, "position": { "line": 0, "character": 6 },
                "context": { "includeDeclaration": true } }),
    );
    let uris: Vec<&str> = refs.as_array().unwrap().iter().map(|l| l["uri"].as_str().unwrap()).collect();
    assert_eq!(uris.len(), 2, "{refs}");
    assert!(uris.iter().all(|u| *u == c.uri("envs/prod/roles.role")), "{refs}");
    c.shutdown();
}

#[test]
fn every_folder_of_a_multi_root_workspace_is_served() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("a/roles.role", ROLES),
            ("b/roles.role", "role app_rw {}\nuser bob { member of app_rw, nobody }\n"),
            ("c/roles.role", "user carol { member of nobody }\n"),
        ],
    );
    let folder = |name: &str| json!({ "uri": uri_of(&dir.path().join(name)), "name": name });
    let mut c = Client::start_with_params(
        dir.path(),
        json!({ "processId": null, "capabilities": {}, "workspaceFolders": [folder("a"), folder("b")] }),
    );
    assert_eq!(codes(&c.diagnostics("a/roles.role")), Vec::<String>::new());
    assert_eq!(codes(&c.diagnostics("b/roles.role")), ["E002"]);
    // A folder added is served; a folder removed is cleared.
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [folder("c")], "removed": [folder("b")] } }),
    );
    assert_eq!(codes(&c.diagnostics("c/roles.role")), ["E002"]);
    assert_eq!(codes(&c.diagnostics("b/roles.role")), Vec::<String>::new());
    c.shutdown();
}

#[test]
fn the_target_version_of_rolec_toml_wins_over_the_editors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("rolec.toml", "target-version = 16\n"),
            ("p.role", "schema app {}\nrole m { grant maintain on table app.t }\n"),
        ],
    );
    // The editor asks for 17, where `maintain` exists; the project says 16.
    let mut c = Client::start_with_params(
        dir.path(),
        json!({ "processId": null, "rootUri": uri_of(dir.path()), "capabilities": {},
                "initializationOptions": { "targetVersion": 17 } }),
    );
    let d = c.diagnostics("p.role");
    assert_eq!(codes(&d), ["E018"]);
    assert!(d[0]["message"].as_str().unwrap().contains("the target is 16"), "{d:?}");
    c.shutdown();
}

#[test]
fn warnings_allowed_by_rolec_toml_are_not_published() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "role unused {}\nuser bob { member of nobody_else }\nrole nobody_else {}\n";
    write(dir.path(), &[("allow/rolec.toml", "[lint]\nW040 = \"allow\"\n"), ("allow/p.role", policy)]);
    write(dir.path(), &[("warn/rolec.toml", ""), ("warn/p.role", policy)]);
    let mut c = Client::start(dir.path());
    assert_eq!(codes(&c.diagnostics("warn/p.role")), ["W040"]);
    assert_eq!(codes(&c.diagnostics("allow/p.role")), Vec::<String>::new());
    c.shutdown();
}

#[test]
fn a_project_file_created_on_disk_splits_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("envs/prod/roles.role", ROLES), ("envs/staging/roles.role", ROLES)]);
    let caps = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut c = Client::start_with(dir.path(), caps);
    // One policy: `app_rw` is declared twice.
    let both = [c.diagnostics("envs/prod/roles.role"), c.diagnostics("envs/staging/roles.role")].concat();
    assert!(codes(&both).contains(&"E005".to_string()), "{both:?}");
    let watchers = &c.server_requests[0].params["registrations"][0]["registerOptions"]["watchers"];
    assert!(watchers.as_array().unwrap().iter().any(|w| w["globPattern"] == "**/rolec.toml"), "{watchers}");
    write(dir.path(), &[("envs/prod/rolec.toml", ""), ("envs/staging/rolec.toml", "")]);
    let created = |f: &str| json!({ "uri": c.uri(f), "type": 1 });
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [created("envs/prod/rolec.toml"), created("envs/staging/rolec.toml")] }),
    );
    assert_eq!(codes(&c.diagnostics("envs/prod/roles.role")), Vec::<String>::new());
    assert_eq!(codes(&c.diagnostics("envs/staging/roles.role")), Vec::<String>::new());
    // Deleted again: one policy again.
    std::fs::remove_file(dir.path().join("envs/prod/rolec.toml")).unwrap();
    std::fs::remove_file(dir.path().join("envs/staging/rolec.toml")).unwrap();
    let deleted = |f: &str| json!({ "uri": c.uri(f), "type": 3 });
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [deleted("envs/prod/rolec.toml"), deleted("envs/staging/rolec.toml")] }),
    );
    let both = [c.diagnostics("envs/prod/roles.role"), c.diagnostics("envs/staging/roles.role")].concat();
    assert!(codes(&both).contains(&"E005".to_string()), "{both:?}");
    c.shutdown();
}

#[test]
fn a_bad_project_file_is_reported_on_itself_and_the_last_good_options_stay() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "schema app {}\nrole m { grant maintain on table app.t }\n";
    write(dir.path(), &[("rolec.toml", "target-version = 17\n"), ("p.role", policy)]);
    let caps = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut c = Client::start_with(dir.path(), caps);
    assert_eq!(codes(&c.diagnostics("p.role")), Vec::<String>::new());
    assert_eq!(c.diagnostics("rolec.toml"), Vec::<Value>::new());
    // A mistake on line 2: reported there; the project keeps version 17.
    write(dir.path(), &[("rolec.toml", "target-version = 17\npaths = 3\n")]);
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": c.uri("rolec.toml"), "type": 2 }] }));
    let d = c.diagnostics("rolec.toml");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"], json!({ "line": 1, "character": 8 }));
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(codes(&c.diagnostics("p.role")), Vec::<String>::new());
    // Fixed to 16: the error goes, and 16 applies.
    write(dir.path(), &[("rolec.toml", "target-version = 16\n")]);
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": c.uri("rolec.toml"), "type": 2 }] }));
    assert_eq!(c.diagnostics("rolec.toml"), Vec::<Value>::new());
    assert_eq!(codes(&c.diagnostics("p.role")), ["E018"]);
    c.shutdown();
}

#[test]
fn a_file_opened_outside_the_folders_joins_its_project() {
    let dir = tempfile::tempdir().unwrap();
    let b = "schema app {}\nuser m {\n  member of elsewhere_rw\n  grant maintain on table app.t\n}\n";
    write(
        dir.path(),
        &[
            ("folder/x.role", ROLES),
            ("elsewhere/rolec.toml", "target-version = 17\n"),
            ("elsewhere/a.role", "role elsewhere_rw {}\nrole m {}\n"),
            ("elsewhere/b.role", b),
        ],
    );
    let mut c = Client::start_with_params(
        dir.path(),
        json!({ "processId": null, "rootUri": uri_of(&dir.path().join("folder")), "capabilities": {} }),
    );
    c.open("elsewhere/b.role", b);
    // The whole project is loaded (a.role's roles are known: `m` twice, no unknown role) with
    // its version (`maintain` exists).
    let both = [c.diagnostics("elsewhere/a.role"), c.diagnostics("elsewhere/b.role")].concat();
    assert_eq!(codes(&both), ["E005"]);
    assert_eq!(codes(&c.diagnostics("folder/x.role")), Vec::<String>::new());
    c.shutdown();
}

#[test]
fn a_set_name_the_policy_does_not_let_is_reported_on_rolec_toml_until_it_does() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("rolec.toml", "target-version = 16\n[set]\nregion = \"eu\"\n"), ("p.role", ROLES)]);
    let mut c = Client::start(dir.path());
    let d = c.diagnostics("rolec.toml");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"], json!({ "line": 2, "character": 0 }));
    assert_eq!(d[0]["message"], "[set] region: the policy has no `let region`");
    // Declared in the policy: the error goes; and it is not sent again while nothing changes.
    c.open("p.role", ROLES);
    c.change("p.role", 2, &format!("let region = \"us\"\n{ROLES}"));
    assert_eq!(c.diagnostics("rolec.toml"), Vec::<Value>::new());
    let sent = publications(&c, "rolec.toml");
    c.change("p.role", 3, &format!("let region = \"us\"\n{ROLES}\n"));
    c.sync();
    assert_eq!(publications(&c, "rolec.toml"), sent);
    c.shutdown();
}
