//! The formatter on every bundled policy: idempotent, and the formatted policy compiles to
//! exactly the same SQL and diagnostics.

use std::path::{Path, PathBuf};

use rolec::db::{Sources, Workspace};
use rolec::lower::script::{render, Direction};
use rolec::model::BuildOptions;

fn role_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            role_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "role") {
            out.push(p);
        }
    }
}

/// The SQL and diagnostic codes of one policy given as in-memory files.
fn compile(files: Vec<(String, String)>) -> (String, String, Vec<String>) {
    let options = BuildOptions { at: 1_780_000_000, ..BuildOptions::default() };
    let ws = Workspace::load(Sources::Memory(files), options.clone()).unwrap();
    let diagnostics: Vec<String> = ws.diagnostics().iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    if diagnostics.iter().any(|d| d.starts_with('E')) {
        return (String::new(), String::new(), diagnostics);
    }
    let plan = ws.plan();
    let locate = |span| ws.line_of(span);
    let secret = |_: &str| Some("a secret".to_string());
    let up = render(&plan, Direction::Up, &options, &locate, &secret).unwrap_or_default();
    let down = render(&plan, Direction::Down, &options, &locate, &secret).unwrap_or_default();
    // Source lines move when blank lines collapse: compare statements, not `-- file:line`.
    let strip = |s: String| s.lines().filter(|l| !l.starts_with("-- ")).collect::<Vec<_>>().join("\n");
    (strip(up), strip(down), diagnostics)
}

#[test]
fn every_bundled_policy_formats_idempotently_to_the_same_sql() {
    let mut checked = 0;
    for root in ["examples", "stdlib", "tests/ui"] {
        let mut dirs: Vec<PathBuf> = vec![PathBuf::from(root)];
        if root == "examples" {
            dirs = std::fs::read_dir(root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        }
        for dir in dirs {
            let mut files = Vec::new();
            role_files(&dir, &mut files);
            // Each example is one policy; stdlib and UI files are policies of one file each.
            let groups: Vec<Vec<PathBuf>> =
                if root == "examples" { vec![files] } else { files.into_iter().map(|f| vec![f]).collect() };
            for group in groups {
                let original: Vec<(String, String)> =
                    group.iter().map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap())).collect();
                let formatted: Vec<(String, String)> =
                    original.iter().map(|(p, t)| (p.clone(), rolec::format::format(t))).collect();
                for (p, t) in &formatted {
                    assert_eq!(&rolec::format::format(t), t, "formatting {p} twice changes it");
                }
                let before = compile(original.clone());
                let after = compile(formatted);
                let codes = |d: &[String]| d.iter().map(|x| x[..4].to_string()).collect::<Vec<_>>();
                assert_eq!(codes(&before.2), codes(&after.2), "diagnostics change when {:?} is formatted", group);
                assert_eq!((&before.0, &before.1), (&after.0, &after.1), "SQL changes when {:?} is formatted", group);
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} policies were checked");
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_fixes_them() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.role");
    let clean = dir.path().join("clean.role");
    std::fs::write(&messy, "role a{\n      login }\n").unwrap();
    std::fs::write(&clean, "role b {\n  login\n}\n").unwrap();
    let rolec = env!("CARGO_BIN_EXE_rolec");
    let out = std::process::Command::new(rolec).args(["fmt", "--check"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), messy.display().to_string());
    let out = std::process::Command::new(rolec).arg("fmt").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), "role a {\n  login }\n");
    let out = std::process::Command::new(rolec).args(["fmt", "--check"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // A file with a syntax error is reported and left as it is.
    std::fs::write(&messy, "role a {{\n   login\n").unwrap();
    let out = std::process::Command::new(rolec).arg("fmt").arg(&messy).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), "role a {{\n   login\n");
}
