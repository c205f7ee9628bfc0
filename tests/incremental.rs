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
    let mut groups = String::from(
        "schema app {}\ntable app.t0\ntable app.t1 { tags [pci] }\nrole base { grant usage on schema app }\n",
    );
    for g in 0..10 {
        groups.push_str(&format!("role g{g} {{\n  member of base\n  grant select on table app.t{}\n}}\n", g % 2));
    }
    groups.push_str(
        "policy p applies to users {\n  exclusive g0, g1\n  warn max tables 1\n  warn memberships deeper than 5\n}\n",
    );
    let mut sources = vec![("groups.role".to_string(), groups)];
    for f in 0..3 {
        let mut users = String::new();
        for u in 0..100 {
            users.push_str(&format!(
                "user u{f}_{u} {{\n  member of g{}\n  grant select on table app.t0\n}}\n",
                (u % 9) + 1
            ));
        }
        sources.push((format!("users_{f}.role"), users));
    }
    let ws = Workspace::load_with(db, Sources::Memory(sources), BuildOptions::default()).unwrap();
    (ws, log)
}

/// Replaces `from` by `to` in users_1.role of [`large_workspace`]: the diagnostics after, and
/// the queries that ran.
fn edit_users_1(
    ws: &mut Workspace,
    log: &std::sync::Mutex<Vec<String>>,
    from: &str,
    to: &str,
) -> (std::sync::Arc<Vec<rolec::diagnostics::Diagnostic>>, Vec<String>) {
    let text = ws.file_by_path("users_1.role").unwrap().text(&ws.db).clone();
    assert!(text.contains(from), "{from}");
    rewrite(ws, log, "users_1.role", &text.replace(from, to))
}

/// Sets the text of file `path`: the diagnostics after, and the queries that ran.
fn rewrite(
    ws: &mut Workspace,
    log: &std::sync::Mutex<Vec<String>>,
    path: &str,
    text: &str,
) -> (std::sync::Arc<Vec<rolec::diagnostics::Diagnostic>>, Vec<String>) {
    let file = ws.file_by_path(path).unwrap();
    ws.set_text(file, text.to_string());
    (ws.diagnostics(), executed(log))
}

#[test]
fn editing_one_grant_reruns_the_analysis_of_one_chunk_of_roles() {
    let (mut ws, log) = large_workspace();
    let before = ws.diagnostics();
    let first = executed(&log);
    let chunks = count(&first, "chunk_diagnostics");
    assert!(chunks >= 5, "several chunks: {first:?}");
    assert_eq!(count(&first, "membership_graph"), 1);

    // One more privilege in one user's grant, in the middle of a file.
    let (after, events) = edit_users_1(
        &mut ws,
        &log,
        "user u1_50 {\n  member of g6\n  grant select on table app.t0",
        "user u1_50 {\n  member of g6\n  grant select, insert on table app.t0",
    );
    assert_eq!(count(&events, "parse"), 1, "{events:?}");
    assert_eq!(
        count(&events, "membership_graph"),
        0,
        "memberships unchanged, the graph is not built again: {events:?}"
    );
    assert_eq!(count(&events, "chunk_view"), 0, "{events:?}");
    assert_eq!(
        count(&events, "nodes_reaching_grants"),
        0,
        "the roles holding grants are the same: the graph is not walked again: {events:?}"
    );
    assert_eq!(count(&events, "chunk_diagnostics"), 1, "only the edited user's chunk: {events:?}");
    assert_eq!(
        count(&events, "role_chunk"),
        chunks,
        "every chunk is extracted again, and compares equal but one: {events:?}"
    );
    // The user's grant is no longer shadowed by g6's (it grants more than select).
    assert_eq!(after.len() + 1, before.len(), "{after:?}");

    // A fresh analysis of the edited policy says the same.
    let sources = ws
        .files()
        .iter()
        .map(|f| (f.path(&ws.db).clone(), f.text(&ws.db).clone()))
        .filter(|(p, _)| !p.starts_with("<std>"))
        .collect();
    let fresh = Workspace::load(Sources::Memory(sources), BuildOptions::default()).unwrap();
    assert_eq!(fresh.diagnostics().len(), after.len());
}

#[test]
fn editing_a_users_membership_reruns_the_checks_of_its_chunk() {
    let (mut ws, log) = large_workspace();
    ws.diagnostics();
    let chunks = count(&executed(&log), "chunk_diagnostics");
    // A user in a chunk without groups: no other chunk reads its facts.
    let (after, events) =
        edit_users_1(&mut ws, &log, "user u1_50 {\n  member of g6", "user u1_50 {\n  member of g0, g1");
    assert_eq!(count(&events, "membership_graph"), 1, "{events:?}");
    assert_eq!(count(&events, "chunk_view"), chunks, "every chunk looks at its part of the graph again: {events:?}");
    assert_eq!(count(&events, "chunk_diagnostics"), 1, "only the user's chunk sees a change: {events:?}");
    assert!(after.iter().any(|d| d.code.as_str() == "E030" && d.message.contains("u1_50")), "{after:?}");
}

#[test]
fn renaming_a_user_resolves_its_file_and_reruns_the_checks_of_its_chunk() {
    let (mut ws, log) = large_workspace();
    ws.diagnostics();
    executed(&log);
    let (after, events) = edit_users_1(&mut ws, &log, "user u1_50 {", "user u1_50x {");
    assert_eq!(count(&events, "resolved_file"), 1, "no other file names the user: {events:?}");
    assert_eq!(count(&events, "graph_shape"), 1, "{events:?}");
    assert_eq!(count(&events, "chunk_view"), 1, "the graph's shape is the same; one chunk's names changed: {events:?}");
    assert_eq!(count(&events, "chunk_diagnostics"), 1, "{events:?}");
    assert!(after.iter().any(|d| d.message.contains("u1_50x")), "{after:?}");
    // The same as from scratch.
    let sources = ws.files().iter().map(|f| (f.path(&ws.db).clone(), f.text(&ws.db).clone())).collect();
    let fresh = Workspace::load(Sources::Memory(sources), BuildOptions::default()).unwrap();
    assert_eq!(*after, *fresh.diagnostics());
}

// ---------------------------------------------------------------- resolution per file

/// Files that refer to each other in every way resolution knows: a template used in another
/// file, a role extended from another file (through a chain), `all roles`, globs, a `for` loop
/// over a `let`, top-level grants, `defaults` and a policy.
fn linked_sources() -> Vec<(String, String)> {
    let files = [
        ("lib.role", "let teams = [\"red\", \"blue\"]\ntemplate reader(s: schema) {\n  grant usage on schema {s}\n  grant select on tables in schema {s}\n}\n"),
        ("schemas.role", "schema app { owner owner_role }\nschema ops {}\nrole owner_role {}\n"),
        ("base.role", "role base {\n  grant usage on schema app\n}\nrole middle extends base {\n  grant select on table app.t1\n}\n"),
        ("teams.role", "for t in teams {\n  role \"team_{t}\": reader(\"app\") {\n    member of base\n  }\n}\nrole everyone { member of all roles }\n"),
        ("users.role", "user alice extends middle {\n  member of \"team_*\"\n}\nuser bob: reader(\"ops\") {}\ngrant select on table app.t2 to bob\n"),
        ("rules.role", "defaults for role owner_role {\n  grant select on tables to base\n}\npolicy p {\n  exclusive team_red, team_blue\n}\n"),
    ];
    files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

fn resolved_from_scratch(ws: &Workspace, paths: &[String]) -> rolec::model::Resolved {
    let sources = paths.iter().map(|p| (p.clone(), ws.file_by_path(p).unwrap().text(&ws.db).clone())).collect();
    let fresh = Workspace::load(Sources::Memory(sources), BuildOptions::default()).unwrap();
    (*fresh.resolved()).clone()
}

#[test]
fn resolving_after_edits_equals_resolving_from_scratch() {
    let sources = linked_sources();
    let paths: Vec<String> = sources.iter().map(|(p, _)| p.clone()).collect();
    let mut ws = Workspace::load(Sources::Memory(sources), BuildOptions::default()).unwrap();
    assert_eq!(*ws.resolved(), resolved_from_scratch(&ws, &paths));
    let edits = [
        // Inside a role body that another file extends.
        ("base.role", "role base {\n  grant usage on schema ops\n}\nrole middle extends base {\n  grant select on table app.t1\n}\n"),
        // Inside a template another file uses.
        ("lib.role", "let teams = [\"red\", \"blue\"]\ntemplate reader(s: schema) {\n  grant usage on schema {s}\n  grant select, insert on tables in schema {s}\n}\n"),
        // A role renamed: the exclusivity rule and a membership no longer resolve.
        ("teams.role", "for t in teams {\n  role \"squad_{t}\": reader(\"app\") {\n    member of base\n  }\n}\nrole everyone { member of all roles }\n"),
        // A `let` changed: every file's names move.
        ("lib.role", "let teams = [\"red\", \"blue\", \"green\"]\ntemplate reader(s: schema) {\n  grant usage on schema {s}\n}\n"),
        ("teams.role", "for t in teams {\n  role \"team_{t}\": reader(\"app\") {\n    member of base\n  }\n}\nrole everyone { member of all roles }\n"),
        // Half typed, then repaired.
        ("users.role", "user alice extends middle {\n  membr of \"team_*\"\n}\nuser bob: reader(\"ops\") {}\ngrant select on table app.t2 to bob\n"),
        ("users.role", "user alice extends middle {\n  member of \"team_*\"\n}\nuser bob: reader(\"ops\") {}\ngrant select on table app.t2 to bob\n"),
        // A role declared twice across files, then an `extends` cycle across files.
        ("users.role", "user alice extends middle {}\nrole base {}\n"),
        ("base.role", "role base extends middle {}\nrole middle extends base {}\n"),
        ("base.role", "role base {}\nrole middle extends base { grant usage on schema app }\n"),
    ];
    for (i, (path, text)) in edits.iter().enumerate() {
        let file = ws.file_by_path(path).unwrap();
        ws.set_text(file, text.to_string());
        assert_eq!(*ws.resolved(), resolved_from_scratch(&ws, &paths), "after edit {i} of {path}");
    }
}

#[test]
fn editing_a_role_body_resolves_only_its_file() {
    let (db, log) = Database::with_execution_log();
    let mut ws = Workspace::load_with(db, Sources::Memory(linked_sources()), BuildOptions::default()).unwrap();
    ws.diagnostics();
    executed(&log);

    let (_, events) = rewrite(&mut ws, &log, "users.role", "user alice extends middle {\n  member of \"team_*\"\n}\nuser bob: reader(\"ops\") { grant usage on schema app }\ngrant select on table app.t2 to bob\n");
    assert_eq!(count(&events, "global_scope"), 0, "no outline changed: {events:?}");
    assert_eq!(count(&events, "resolved_file"), 1, "{events:?}");
    assert_eq!(count(&events, "resolved"), 1, "{events:?}");

    // A role another file extends: both files are resolved again.
    let (_, events) = rewrite(
        &mut ws,
        &log,
        "base.role",
        "role base {\n  grant usage on schema ops\n}\nrole middle extends base {\n  grant select on table app.t1\n}\n",
    );
    assert_eq!(count(&events, "global_scope"), 0, "{events:?}");
    assert_eq!(count(&events, "resolved_file"), 2, "base.role and users.role (alice extends middle): {events:?}");
    let alice =
        ws.resolved().model.grants.iter().filter(|g| g.grantee == rolec::model::Grantee::Role("alice".into())).count();
    assert_eq!(alice, 2, "alice has base's new grant and middle's");

    // A user renamed: the scope is built again, but only the files whose answers from it
    // change are resolved again: its own, and teams.role, whose `member of all roles` reads
    // every name (the new name is not a group, but the list of declarations changed).
    let (_, events) = rewrite(&mut ws, &log, "users.role", "user alice extends middle {\n  member of \"team_*\"\n}\nuser bobby: reader(\"ops\") { grant usage on schema app }\ngrant select on table app.t2 to bobby\n");
    assert_eq!(count(&events, "global_scope"), 1, "{events:?}");
    assert_eq!(count(&events, "resolved_file"), 2, "users.role and teams.role: {events:?}");
    assert!(ws.resolved().model.roles.iter().any(|r| r.name == "bobby"));

    // A new role changes the outline and the scope. Declarations are keyed by file, so the
    // other files' answers stay the same but for teams.role (`all roles`); users.role reads
    // base.role's bodies (alice extends middle).
    let (_, events) = rewrite(&mut ws, &log, "base.role", "role base {\n  grant usage on schema ops\n}\nrole middle extends base {\n  grant select on table app.t1\n}\nrole extra {}\n");
    assert_eq!(count(&events, "global_scope"), 1, "{events:?}");
    assert_eq!(count(&events, "resolved_file"), 3, "base.role, teams.role, users.role: {events:?}");
    assert!(
        ws.resolved().model.memberships.iter().any(|m| m.member == "everyone" && m.role == "extra"),
        "`all roles` takes the new role"
    );

    // A role added before the others of its file: the keys of that file's later roles move,
    // and only the files that name them or read every role are resolved again.
    let (_, events) = rewrite(&mut ws, &log, "base.role", "role first {}\nrole base {\n  grant usage on schema ops\n}\nrole middle extends base {\n  grant select on table app.t1\n}\nrole extra {}\n");
    assert_eq!(
        count(&events, "resolved_file"),
        4,
        "base.role, teams.role and users.role (named base), rules.role (named base): {events:?}"
    );
    assert_eq!(
        *ws.resolved(),
        resolved_from_scratch(&ws, &ws.files().iter().map(|f| f.path(&ws.db).clone()).collect::<Vec<_>>())
    );
}

/// A chain of 200 roles, the last chunk's 8 roles reaching all of them: the checks of that
/// chunk see its roles and their own memberships (9 roles) unless a rule in scope follows
/// memberships further, or a role of the chunk holds grants and reaches another that does
/// (W042). Otherwise every chunk would build the part it reaches, n²/2 roles on a chain.
#[test]
fn a_chunk_sees_the_roles_it_reaches_only_when_its_checks_follow_memberships() {
    let chain =
        (1..200).fold("role r0 {}\n".to_string(), |t, i| t + &format!("role r{i} {{ member of r{} }}\n", i - 1));
    let seen_by_last_chunk = |extra: &str| {
        let sources = vec![("p.role".to_string(), chain.clone() + extra)];
        let ws = Workspace::load(Sources::Memory(sources), BuildOptions::default()).unwrap();
        assert!(!ws.diagnostics().iter().any(|d| d.is_error()), "{extra}");
        let last = *rolec::db::analysis::chunk_count(&ws.db, ws.policy) - 1;
        rolec::db::analysis::chunk_view(&ws.db, ws.policy, last).part().graph.names().len()
    };
    let own = 200 % rolec::analysis::rules::CHUNK + 1;
    assert_eq!(seen_by_last_chunk(""), own);
    assert_eq!(seen_by_last_chunk("policy p applies to all {\n  memberships deeper than 3\n}\n"), 200);
    assert_eq!(seen_by_last_chunk("policy p applies to all {\n  max tables 3\n}\n"), 200);
    assert_eq!(seen_by_last_chunk("policy p applies to all {\n  warn exclusive r0, r1\n}\n"), 200);
    assert_eq!(seen_by_last_chunk("policy p applies to all {\n  max admin rights 3\n}\n"), own, "own rights");
    assert_eq!(seen_by_last_chunk("policy p applies to all {\n  forbid superuser\n}\n"), own);
    let grants = "schema app { owner r0 }\ngrant select on table app.t to r0\ngrant select on table app.t to r199\n";
    assert_eq!(seen_by_last_chunk(grants), 200, "r199 reaches r0, which holds a grant");
    let grant = "schema app { owner r0 }\ngrant select on table app.t to r199\n";
    assert_eq!(seen_by_last_chunk(grant), own, "nothing to shadow");
}

/// `rolec build` frees the syntax trees once the policy is resolved: what comes after (the
/// diagnostics with an inline allow, where spans are, the plan) never
/// parses a file again and equals what a workspace that kept its trees gives. A tree asked
/// for afterwards is parsed again, so the trees were indeed freed.
#[test]
fn freeing_the_syntax_trees_keeps_every_later_answer() {
    let sources = vec![
        ("a.role".to_string(), "role read_only {}\nrole writer { member of read_only }\nrole unused {}\n".to_string()),
        (
            "b.role".to_string(),
            "// rolec: allow W040\nrole quiet {}\nuser alice { member of writer\n  grant select on table s.t }\n"
                .to_string(),
        ),
        ("c.role".to_string(), "user bob { member of read_only }\nrole r { connection limit 2 }\n".to_string()),
    ];
    let kept = Workspace::load(Sources::Memory(sources.clone()), BuildOptions::default()).unwrap();
    let (db, log) = Database::with_execution_log();
    let mut freed = Workspace::load_with(db, Sources::Memory(sources), BuildOptions::default()).unwrap();
    freed.free_syntax_trees();
    executed(&log);

    let diagnostics = freed.diagnostics();
    assert_eq!(diagnostics, kept.diagnostics());
    assert!(!diagnostics.is_empty());
    let locator = freed.locator();
    let spans: Vec<_> = diagnostics.iter().map(|d| d.primary.span).collect();
    for span in &spans {
        assert_eq!(locator.line_of(*span), kept.line_of(*span));
        assert_eq!(
            rolec::diagnostics::render::location(&freed, *span),
            rolec::diagnostics::render::location(&kept, *span)
        );
    }
    assert_eq!(freed.plan(), kept.plan());
    let after = executed(&log);
    assert_eq!(count(&after, "parse"), 0, "nothing after resolution parses again: {after:?}");

    let a = freed.file_by_path("a.role").unwrap();
    let b = freed.file_by_path("b.role").unwrap();
    rolec::db::syntax_tree(&freed.db, a);
    rolec::db::syntax_tree(&freed.db, b);
    let asked = executed(&log);
    assert!(count(&asked, "parse") >= 1, "the trees were freed: {asked:?}");
}
