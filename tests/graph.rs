//! `rolec graph`: the DOT and Mermaid renderings of the role hierarchy (shapes, labels, closed
//! windows left out, determinism), quoting of hostile role names, and the command's exit codes.

use std::path::Path;
use std::process::Command;

use rolec::analysis::graph::{dot, mermaid};
use rolec::db::{Sources, Workspace};
use rolec::model::{BuildOptions, Model};

/// 2025-01-01, PostgreSQL 16 (per-membership `noinherit` / `noset`).
fn options() -> BuildOptions {
    BuildOptions { at: 1_735_689_600, target_version: 16, ..BuildOptions::default() }
}

/// The model of a policy that must have no errors.
fn model(policy: &str) -> Model {
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), policy.into())]), options()).unwrap();
    let errors: Vec<_> = ws.diagnostics().iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    ws.resolved().model.clone()
}

const SMALL: &str = r#"
external role legacy_app
role readers { member of pg_read_all_data }
role writers {
  member of readers noinherit
  member of legacy_app
}
user alice {
  member of writers with admin option
  member of readers noset
}
user bob { member of readers from 2020-01-01 until 2020-06-01 }
user carol {
  noinherit
  member of writers
}
"#;

fn lines(s: &str) -> Vec<&str> {
    s.lines().map(str::trim).collect()
}

#[test]
fn dot_of_a_small_policy() {
    let out = dot(&model(SMALL));
    let l = lines(&out);
    assert_eq!(l.first(), Some(&"digraph roles {"));
    assert_eq!(l.last(), Some(&"}"));
    for expected in [
        r#""alice" [shape=ellipse];"#,
        r#""bob" [shape=ellipse];"#,
        r#""readers" [shape=box];"#,
        r#""writers" [shape=box];"#,
        r#""legacy_app" [shape=box, style=dashed];"#,
        r#""pg_read_all_data" [shape=box, style=dashed, color=gray40, fontcolor=gray40];"#,
        r#""alice" -> "writers" [label="admin"];"#,
        r#""alice" -> "readers" [label="noset"];"#,
        r#""writers" -> "readers" [label="noinherit", style=dashed];"#,
        r#""writers" -> "legacy_app";"#,
        r#""readers" -> "pg_read_all_data";"#,
        // A member that is `noinherit` as a whole does not inherit through its memberships.
        r#""carol" -> "writers" [label="noinherit", style=dashed];"#,
    ] {
        assert!(l.contains(&expected), "missing `{expected}` in\n{out}");
    }
    // bob's window closed in 2020: no edge, but bob is still a node.
    assert!(!out.contains(r#""bob" ->"#), "{out}");
    assert_eq!(l.iter().filter(|x| x.contains("->")).count(), 6, "{out}");
    // Sorted: nodes by name, then edges by (member, role).
    let alice = l.iter().position(|x| x.starts_with(r#""alice" ["#)).unwrap();
    let writers = l.iter().position(|x| x.starts_with(r#""writers" ["#)).unwrap();
    assert!(alice < writers);
    let e1 = l.iter().position(|x| x.starts_with(r#""alice" -> "readers""#)).unwrap();
    let e2 = l.iter().position(|x| x.starts_with(r#""alice" -> "writers""#)).unwrap();
    assert!(writers < e1 && e1 < e2);
}

#[test]
fn mermaid_of_a_small_policy() {
    let out = mermaid(&model(SMALL));
    let l = lines(&out);
    assert_eq!(l[0], "flowchart BT");
    // Nodes sorted by name: alice, bob, carol, legacy_app, pg_read_all_data, readers, writers.
    for expected in [
        r#"n0(["alice"])"#,
        r#"n1(["bob"])"#,
        r#"n2(["carol"])"#,
        r#"n3["legacy_app"]:::external"#,
        r#"n4["pg_read_all_data"]:::predefined"#,
        r#"n5["readers"]"#,
        r#"n6["writers"]"#,
        r#"n0 -->|"noset"| n5"#,
        r#"n0 -->|"admin"| n6"#,
        r#"n2 -.->|"noinherit"| n6"#,
        r#"n5 --> n4"#,
        r#"n6 -.->|"noinherit"| n5"#,
        r#"n6 --> n3"#,
        "classDef external stroke-dasharray: 5 5",
    ] {
        assert!(l.contains(&expected), "missing `{expected}` in\n{out}");
    }
    assert!(!l.iter().any(|x| x.starts_with("n1 ")), "bob's closed membership is drawn:\n{out}");
}

#[test]
fn output_is_deterministic() {
    let m = model(SMALL);
    assert_eq!(dot(&m), dot(&m));
    assert_eq!(mermaid(&m), mermaid(&m));
    // Declaration order does not matter either.
    let reordered = "user carol {\n  noinherit\n  member of writers\n}\nuser bob { member of readers from 2020-01-01 until 2020-06-01 }\n\
        user alice {\n  member of readers noset\n  member of writers with admin option\n}\n\
        role writers {\n  member of legacy_app\n  member of readers noinherit\n}\nrole readers { member of pg_read_all_data }\nexternal role legacy_app\n";
    let r = model(reordered);
    assert_eq!(dot(&m), dot(&r));
    assert_eq!(mermaid(&m), mermaid(&r));
}

// ====================================================================== hostile names

/// Names that are syntax in DOT, Mermaid, HTML or SQL (written as policy source: `\"`, `\\`,
/// `\n` and `\{` are escapes of the policy language).
const HOSTILE: &[(&str, &str)] = &[
    (r#"x\"; DROP ROLE postgres; --"#, r#"x"; DROP ROLE postgres; --"#),
    (r#"back\\slash\\"#, r#"back\slash\"#),
    (r#"q\\\"q"#, r#"q\"q"#),
    ("ünïcødé 🚀 ロール", "ünïcødé 🚀 ロール"),
    (r#"new\nline"#, "new\nline"),
    ("#quot; & <b>bold</b>", "#quot; & <b>bold</b>"),
    ("`md` \\{x\\} [sq] (p) |pipe|", "`md` {x} [sq] (p) |pipe|"),
    ("a --> b; c -.-> d", "a --> b; c -.-> d"),
];

fn hostile_policy() -> String {
    let mut p = String::from("role \"plain\" {}\n");
    for (i, (src, _)) in HOSTILE.iter().enumerate() {
        let kw = if i % 2 == 0 { "user" } else { "role" };
        let opt = if i % 3 == 0 { " with admin option" } else { "" };
        p.push_str(&format!("{kw} \"{src}\" {{ member of plain{opt} }}\n"));
    }
    // Edges between hostile names too.
    p.push_str(&format!("role \"{}\" {{ member of \"{}\" noinherit }}\n", "a\\\"\\\\b", HOSTILE[0].0));
    p
}

/// Splits DOT text into tokens: quoted strings (unescaped: `\"` → `"`, `\\` → `\`, `\n` →
/// newline) and the bare text between them. Panics on an unterminated string.
fn dot_tokens(text: &str) -> (Vec<String>, String) {
    let mut strings = Vec::new();
    let mut bare = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            bare.push(c);
            continue;
        }
        bare.push_str("\"\"");
        let mut s = String::new();
        loop {
            match chars.next().expect("unterminated DOT string") {
                '"' => break,
                '\\' => match chars.next().expect("unterminated DOT string") {
                    '"' => s.push('"'),
                    '\\' => s.push('\\'),
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    other => panic!("unexpected escape `\\{other}` in a DOT string"),
                },
                '\n' => panic!("raw line break in a DOT string"),
                c => s.push(c),
            }
        }
        strings.push(s);
    }
    (strings, bare)
}

#[test]
fn hostile_names_in_dot() {
    let m = model(&hostile_policy());
    let out = dot(&m);
    let (strings, bare) = dot_tokens(&out);
    // Outside strings: balanced braces and brackets, and nothing of any name.
    assert_eq!(bare.matches('{').count(), 1, "{bare}");
    assert_eq!(bare.matches('}').count(), 1, "{bare}");
    assert_eq!(bare.matches('[').count(), bare.matches(']').count(), "{bare}");
    assert!(bare.trim_end().ends_with('}'));
    for (_, name) in HOSTILE {
        // Every name comes back from the quoted strings, exactly.
        assert!(strings.iter().any(|s| s == name), "`{name}` not found in\n{out}");
        for word in ["DROP", "bold", "ロール", "pipe", "slash"] {
            assert!(!bare.contains(word), "`{word}` outside a quoted string:\n{bare}");
        }
    }
    // Every statement line is a node or an edge of quoted ids.
    for line in bare.lines().map(str::trim).filter(|l| l.starts_with("\"\"")) {
        assert!(
            line == "\"\" [shape=ellipse];" || line == "\"\" [shape=box];" || line.starts_with("\"\" -> \"\""),
            "odd line `{line}`"
        );
    }
    assert!(strings.iter().any(|s| s == "a\"\\b"));

    // Graphviz itself, when installed.
    match which_dot() {
        None => println!("note: Graphviz `dot` is not installed; skipping `dot -Tsvg` on the hostile graph"),
        Some(()) => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("g.dot");
            std::fs::write(&path, &out).unwrap();
            let r = Command::new("dot").arg("-Tsvg").arg(&path).output().unwrap();
            assert!(r.status.success(), "dot -Tsvg failed: {}", String::from_utf8_lossy(&r.stderr));
            assert!(String::from_utf8_lossy(&r.stdout).contains("<svg"));
        }
    }
}

#[test]
fn hostile_names_in_mermaid() {
    let m = model(&hostile_policy());
    let out = mermaid(&m);
    for line in out.lines().skip(1) {
        // Outside the quoted labels a line holds only generated ids, arrows and classes.
        let mut outside = String::new();
        let mut inside = false;
        for c in line.chars() {
            if c == '"' {
                inside = !inside;
            } else if !inside {
                outside.push(c);
            }
        }
        assert!(!inside, "unbalanced quotes in `{line}`");
        let allowed = |c: char| c.is_ascii_alphanumeric() || " []()|:-.>;#,".contains(c);
        assert!(outside.chars().all(allowed), "unexpected text outside labels in `{line}`");
        for word in ["DROP", "bold", "ロール", "pipe", "slash", "md"] {
            assert!(!outside.contains(word), "`{word}` outside a label in `{line}`");
        }
    }
    // No name appears raw: those with `"`, `#`, `<`, `` ` ``, `\` or a line break are encoded.
    for (_, name) in HOSTILE {
        if name.contains(['"', '#', '<', '`', '\\', '\n']) {
            assert!(!out.contains(name), "raw `{name}` in\n{out}");
        }
    }
    assert!(out.contains(r#"["x#quot;; DROP ROLE postgres; --"]"#), "{out}");
    assert!(out.contains("new#10;line"), "{out}");
    assert!(out.contains("ünïcødé 🚀 ロール"), "{out}");
}

// ====================================================================== the command

fn which_dot() -> Option<()> {
    Command::new("which").arg("dot").output().ok().filter(|o| o.status.success()).map(|_| ())
}

fn rolec(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rolec")).args(args).current_dir(dir).output().unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn command_prints_dot_and_mermaid() {
    let out = rolec(&["graph", "examples/hierarchy", "--at", "2025-01-01"], root());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("digraph roles {"), "{stdout}");
    assert!(stdout.contains(r#""hana.sato" -> "admin" [label="admin"];"#), "{stdout}");

    let out = rolec(&["graph", "examples/hierarchy", "--format", "mermaid"], root());
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("flowchart BT\n"), "{stdout}");
}

#[test]
fn command_writes_to_a_file_and_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.role"), SMALL).unwrap();
    let out =
        rolec(&["graph", "ok.role", "--target-version", "16", "--at", "2025-01-01", "--out", "g.dot"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(dir.path().join("g.dot")).unwrap(), dot(&model(SMALL)));

    std::fs::write(dir.path().join("bad.role"), "role a { member of nobody }\n").unwrap();
    let out = rolec(&["graph", "bad.role"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("E002"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn command_svg_needs_graphviz() {
    let out = rolec(&["graph", "examples/hierarchy", "--format", "svg"], root());
    match which_dot() {
        Some(()) => {
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
        }
        None => {
            assert_eq!(out.status.code(), Some(2));
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("Graphviz"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

// ====================================================================== exclusive rules

/// The model of a policy whose only errors are violations of `exclusive` rules (E030).
fn model_with_violations(policy: &str) -> Model {
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), policy.into())]), options()).unwrap();
    let errors: Vec<_> = ws
        .diagnostics()
        .iter()
        .filter(|d| d.is_error() && d.code.as_str() != "E030")
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    ws.resolved().model.clone()
}

/// alice reaches `approver` by alice → team_a → approver (and by a longer chain through `mid`)
/// and `requester` by alice → team_b → requester. bob shares `team_a` but breaks nothing; the
/// rule applies to users, so the teams themselves are not checked.
const SOD: &str = r#"
role approver {}
role requester {}
role auditor {}
role team_a { member of approver }
role team_b { member of requester }
role mid { member of team_a }
user alice { member of mid, team_a, team_b }
user bob { member of team_a, auditor }
policy sod applies to users { RULE }
"#;

fn sod(rule: &str) -> Model {
    model_with_violations(&SOD.replace("RULE", rule))
}

const CHAIN_EDGES: [&str; 4] =
    [r#""alice" -> "team_a""#, r#""alice" -> "team_b""#, r#""team_a" -> "approver""#, r#""team_b" -> "requester""#];

#[test]
fn dot_marks_an_exclusive_pair_its_violation_and_the_chains() {
    let out = dot(&sod("exclusive approver, requester"));
    let l = lines(&out);
    assert!(l.contains(&r#""approver" -> "requester" [dir=none, constraint=false, style=dashed, color=red, fontcolor=red, label="exclusive (policy sod)"];"#), "{out}");
    assert!(
        l.contains(&r##""alice" [shape=ellipse, style=filled, color=red, penwidth=2, fillcolor="#ffe0e0"];"##),
        "{out}"
    );
    // Other nodes are drawn as before.
    for n in ["bob", "team_a", "mid", "approver"] {
        let line = l.iter().find(|x| x.starts_with(&format!("\"{n}\" ["))).unwrap();
        assert!(!line.contains("red"), "{line}");
    }
    // Exactly the edges of the two shortest chains are red: not alice → mid → team_a (longer),
    // nor bob's memberships.
    let red: Vec<&str> = l.iter().copied().filter(|x| x.contains("->") && x.contains("penwidth=2.5")).collect();
    assert_eq!(red.len(), CHAIN_EDGES.len(), "{out}");
    for e in CHAIN_EDGES {
        assert!(red.contains(&format!("{e} [color=red, penwidth=2.5];").as_str()), "`{e}` not red in\n{out}");
    }
    for e in [r#""alice" -> "mid";"#, r#""mid" -> "team_a";"#, r#""bob" -> "team_a";"#, r#""bob" -> "auditor";"#] {
        assert!(l.contains(&e), "missing plain `{e}` in\n{out}");
    }
    assert!(l.iter().any(|x| x.starts_with("graph [label=")), "legend missing:\n{out}");
}

#[test]
fn mermaid_marks_an_exclusive_pair_its_violation_and_the_chains() {
    let out = mermaid(&sod("exclusive approver, requester"));
    let l = lines(&out);
    // Nodes: alice, approver, auditor, bob, mid, requester, team_a, team_b.
    assert!(l.contains(&r#"n0(["alice"]):::violation"#), "{out}");
    assert!(l.contains(&r#"n3(["bob"])"#), "{out}");
    assert!(l.contains(&r#"n1 -.-|"exclusive (policy sod)"| n5"#), "{out}");
    assert!(l.contains(&"classDef violation stroke:red,stroke-width:3px,fill:#ffe0e0"), "{out}");
    assert!(l.iter().any(|x| x.starts_with("%% ")), "legend missing:\n{out}");
    // Links in order: alice→mid, alice→team_a, alice→team_b, bob→auditor, bob→team_a,
    // mid→team_a, team_a→approver, team_b→requester, then the pair.
    let links: Vec<&str> = l.iter().copied().filter(|x| x.starts_with('n') && x.contains(" n")).collect();
    assert_eq!(links.len(), 9, "{out}");
    assert_eq!(links[8], r#"n1 -.-|"exclusive (policy sod)"| n5"#);
    assert!(l.contains(&"linkStyle 1,2,6,7 stroke:red,stroke-width:3px"), "{out}");
    assert!(l.contains(&"linkStyle 8 stroke:red,color:red"), "{out}");
    assert_eq!(l.iter().filter(|x| x.starts_with("linkStyle")).count(), 2, "{out}");
}

#[test]
fn a_rule_without_violation_draws_only_its_pairs() {
    let m = sod("exclusive approver, requester, mid");
    // alice breaks approver/requester and mid/requester; now a rule nobody breaks.
    let clean = sod("exclusive requester, auditor\n exclusive mid, auditor");
    let out = dot(&clean);
    let l = lines(&out);
    assert!(l.contains(&r#""auditor" -> "requester" [dir=none, constraint=false, style=dashed, color=red, fontcolor=red, label="exclusive (policy sod)"];"#), "{out}");
    assert!(l.contains(&r#""auditor" -> "mid" [dir=none, constraint=false, style=dashed, color=red, fontcolor=red, label="exclusive (policy sod)"];"#), "{out}");
    assert!(!out.contains("penwidth"), "no violation, nothing marked:\n{out}");
    assert!(!out.contains("filled"), "{out}");
    let mm = mermaid(&clean);
    assert!(!mm.contains("violation") && !mm.contains("stroke-width"), "{mm}");
    assert_eq!(mm.matches(" -.-|").count(), 2, "{mm}");
    assert!(mm.contains("linkStyle 8,9 stroke:red,color:red"), "{mm}");

    // A rule of three roles: each pair; alice breaks two of them.
    let out = dot(&m);
    let pairs: Vec<&str> = out.lines().filter(|x| x.contains("dir=none")).collect();
    assert_eq!(pairs.len(), 3, "{out}");
    for (a, b) in [("approver", "mid"), ("approver", "requester"), ("mid", "requester")] {
        assert!(
            pairs.iter().any(|p| p.trim().starts_with(&format!("\"{a}\" -> \"{b}\" "))),
            "pair {a}, {b} missing in\n{out}"
        );
    }
    // alice → mid joins the chains (alice reaches `mid` through it).
    assert!(out.contains(r#""alice" -> "mid" [color=red, penwidth=2.5];"#), "{out}");
}

#[test]
fn warn_rules_are_drawn_lighter() {
    let out = dot(&sod("warn exclusive approver, requester"));
    let l = lines(&out);
    assert!(l.contains(&r#""approver" -> "requester" [dir=none, constraint=false, style=dashed, color=orange, fontcolor=orange, label="exclusive (policy sod)"];"#), "{out}");
    assert!(
        l.contains(&r##""alice" [shape=ellipse, style=filled, color=orange, penwidth=2, fillcolor="#fff0d0"];"##),
        "{out}"
    );
    for e in CHAIN_EDGES {
        assert!(l.contains(&format!("{e} [color=orange, penwidth=2.5];").as_str()), "`{e}` not orange in\n{out}");
    }
    assert!(!out.contains("color=red"), "{out}");
    let mm = mermaid(&sod("warn exclusive approver, requester"));
    assert!(mm.contains(r#"n0(["alice"]):::violationwarn"#), "{mm}");
    assert!(mm.contains("classDef violationwarn stroke:orange"), "{mm}");
    assert!(mm.contains("linkStyle 1,2,6,7 stroke:orange,stroke-width:3px"), "{mm}");
    assert!(mm.contains("linkStyle 8 stroke:orange,color:orange"), "{mm}");
    assert!(!mm.contains(":::violation\n") && !mm.contains(":red"), "{mm}");

    // The same pair in an error rule and a `warn` rule: the error wins.
    let both = dot(&sod("warn exclusive approver, requester\n exclusive requester, approver"));
    assert_eq!(both.matches("dir=none").count(), 1, "{both}");
    assert!(both.contains(r#""alice" [shape=ellipse, style=filled, color=red"#), "{both}");
    assert!(!both.contains("color=orange"), "{both}");
}

#[test]
fn marks_are_deterministic_and_escaped() {
    let m = sod("exclusive approver, requester, auditor");
    assert_eq!(dot(&m), dot(&m));
    assert_eq!(mermaid(&m), mermaid(&m));
    // Hostile names in an exclusive rule and on a violating chain.
    let text = "role \"a\\\"b\" {}\nrole \"c<d>\" {}\nuser \"u\\\\v\" { member of \"a\\\"b\", \"c<d>\" }\npolicy p { exclusive \"a\\\"b\", \"c<d>\" }\n";
    let m = model_with_violations(text);
    let out = dot(&m);
    assert!(out.contains(r#""a\"b" -> "c<d>" [dir=none"#), "{out}");
    assert!(out.contains(r#""u\\v" -> "a\"b" [color=red, penwidth=2.5];"#), "{out}");
    let mm = mermaid(&m);
    assert!(mm.contains(r#"n2(["u#92;v"]):::violation"#), "{mm}");
    assert!(mm.contains(r#"n0 -.-|"exclusive (policy p)"| n1"#), "{mm}");
    assert!(!mm.contains("c<d>"), "{mm}");
}

#[test]
fn command_draws_violations_of_error_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sod.role"), SOD.replace("RULE", "exclusive approver, requester")).unwrap();
    // E030 fails the build, yet the graph is what shows it: drawn, with the diagnostic on stderr.
    let out = rolec(&["graph", "sod.role", "--target-version", "16", "--at", "2025-01-01"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E030"));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), dot(&sod("exclusive approver, requester")));
    let out = rolec(
        &["graph", "sod.role", "--target-version", "16", "--at", "2025-01-01", "--format", "mermaid"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), mermaid(&sod("exclusive approver, requester")));
    if which_dot().is_some() {
        let out = rolec(&["graph", "sod.role", "--format", "svg"], dir.path());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let svg = String::from_utf8_lossy(&out.stdout);
        assert!(svg.contains("<svg") && svg.contains("exclusive (policy sod)"), "{svg}");
    }
    // Other errors still stop it.
    std::fs::write(dir.path().join("bad.role"), SOD.replace("RULE", "exclusive approver, nobody")).unwrap();
    let out = rolec(&["graph", "bad.role"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}
