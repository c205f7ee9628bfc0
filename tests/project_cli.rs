//! The project file (`rolec.toml`) on the command line: commands without paths compile the
//! project of the working directory, a path inside a project stands for the whole project,
//! projects stay apart, flags override the file, `[lint]` levels decide what is reported and
//! what fails, and a bad project file is a usage error at its line and column.

use std::path::Path;
use std::process::Output;

/// `rolec ARGS` run in `dir`.
fn rolec_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rolec")).args(args).current_dir(dir).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory holding `files` (`(relative path, text)`).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// A policy of two files: `b.role` uses the role `a.role` declares.
const A: &str = "role reader {}\n";
const B: &str = "user alice { member of reader }\n";

#[test]
fn without_paths_the_project_of_the_working_directory_is_linted() {
    let dir = tree(&[("rolec.toml", "paths = [\"policy\"]\n"), ("policy/a.role", A), ("policy/b.role", B)]);
    let out = rolec_in(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 error(s), 0 warning(s)"), "{}", stderr(&out));
    // From a directory below the root too; diagnostics name files relative to where rolec runs.
    std::fs::write(dir.path().join("policy/b.role"), "user alice { member of writer }\n").unwrap();
    let out = rolec_in(&dir.path().join("policy"), &["lint"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("E002") && stderr(&out).contains("b.role:1:"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&dir.path().display().to_string()), "{}", stderr(&out));

    let bare = tree(&[("a.role", A)]);
    let out = rolec_in(bare.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rolec.toml") && stderr(&out).contains("FILE|DIR"), "{}", stderr(&out));
}

#[test]
fn a_file_of_a_project_stands_for_the_whole_project() {
    let dir = tree(&[("rolec.toml", ""), ("a.role", A), ("b.role", B)]);
    // b.role alone would name an unknown role (E002): the project is compiled instead.
    let out = rolec_in(dir.path(), &["lint", "b.role"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = rolec_in(dir.path(), &["build", "b.role", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let up = std::fs::read_to_string(dir.path().join("out/up.sql")).unwrap();
    assert!(up.contains("CREATE ROLE \"reader\"") && up.contains("GRANT \"reader\" TO \"alice\""), "{up}");
    // Without the project file, as before: the file alone.
    std::fs::remove_file(dir.path().join("rolec.toml")).unwrap();
    let out = rolec_in(dir.path(), &["lint", "b.role"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("E002"), "{}", stderr(&out));
}

#[test]
fn two_projects_under_one_folder_stay_apart() {
    let dir = tree(&[("one/rolec.toml", ""), ("one/a.role", A), ("two/rolec.toml", ""), ("two/b.role", B)]);
    let out = rolec_in(dir.path(), &["lint", "one"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Each project is linted in turn: two's user names a role only one declares.
    let out = rolec_in(dir.path(), &["lint", "one", "two/b.role"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("E002") && err.contains("two/b.role:1:"), "{err}");
    assert!(err.contains("one/rolec.toml: 0 error(s)") && err.contains("two/rolec.toml: 1 error(s)"), "{err}");
    // JSON: still one document.
    let out = rolec_in(dir.path(), &["lint", "one", "two", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> =
        json["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    // one's role is unused there (W040); two's user names an unknown role (E002).
    assert_eq!(codes, ["W040", "E002"]);
    // Other commands compile one policy: they name the projects and refuse.
    let out = rolec_in(dir.path(), &["build", "one", "two", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("one/rolec.toml") && stderr(&out).contains("two/rolec.toml"), "{}", stderr(&out));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn flags_override_the_project_file() {
    let maintain = "schema app {}\nrole m { grant maintain on table app.t }\n";
    let dir = tree(&[("rolec.toml", "target-version = 17\n"), ("p.role", maintain)]);
    let out = rolec_in(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = rolec_in(dir.path(), &["lint", "--target-version", "16"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("E018"), "{}", stderr(&out));
    std::fs::write(dir.path().join("rolec.toml"), "target-version = 16\n").unwrap();
    let out = rolec_in(dir.path(), &["lint", "p.role"]);
    assert!(out.status.code() == Some(1) && stderr(&out).contains("E018"), "{}", stderr(&out));
    let out = rolec_in(dir.path(), &["lint", "p.role", "--target-version", "17"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn set_in_the_project_file_and_on_the_command_line() {
    let policy = "let env = \"dev\"\nlet team = \"core\"\nrole \"app_{env}_{team}\" {}\n";
    let dir = tree(&[("rolec.toml", "[set]\nenv = \"prod\"\nteam = \"ops\"\n"), ("p.role", policy)]);
    let built = |args: &[&str]| {
        let out = rolec_in(dir.path(), &[&["build", "--out", "out"], args].concat());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read_to_string(dir.path().join("out/up.sql")).unwrap()
    };
    assert!(built(&[]).contains("CREATE ROLE \"app_prod_ops\""));
    // One name overridden, the other still from the file.
    assert!(built(&["--set", "env=test"]).contains("CREATE ROLE \"app_test_ops\""));
    std::fs::write(dir.path().join("rolec.toml"), "[set]\nregion = \"eu\"\n").unwrap();
    let out = rolec_in(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rolec.toml:2:1: [set] region"), "{}", stderr(&out));
}

#[test]
fn lint_levels_of_the_project_file() {
    let dir = tree(&[("rolec.toml", ""), ("p.role", "role unused {}\n")]);
    let out = rolec_in(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("W040") && stderr(&out).contains("1 warning(s)"), "{}", stderr(&out));
    std::fs::write(dir.path().join("rolec.toml"), "[lint]\nW040 = \"allow\"\n").unwrap();
    let out = rolec_in(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("W040") && stderr(&out).contains("0 warning(s)"), "{}", stderr(&out));
    // Every command that prints diagnostics leaves it out.
    let out = rolec_in(dir.path(), &["build", "--out", "out"]);
    assert!(out.status.success() && !stderr(&out).contains("W040"), "{}", stderr(&out));
    std::fs::write(dir.path().join("rolec.toml"), "[lint]\nwarnings = \"deny\"\n").unwrap();
    let out = rolec_in(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("W040") && stderr(&out).contains("(denied)"), "{}", stderr(&out));
    // One code denied, the others at the default.
    std::fs::write(dir.path().join("rolec.toml"), "[lint]\nW042 = \"deny\"\n").unwrap();
    assert_eq!(rolec_in(dir.path(), &["lint"]).status.code(), Some(0));
}

#[test]
fn a_bad_project_file_is_a_usage_error_at_its_line_and_column() {
    let dir = tree(&[("rolec.toml", "paths = [\"policy\"]\ntarget-verison = 16\n"), ("policy/a.role", A)]);
    for args in [&["lint"][..], &["lint", "policy/a.role"], &["build", "policy", "--out", "out"]] {
        let out = rolec_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("rolec.toml:2:1: ") && stderr(&out).contains("target-verison"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn fmt_without_paths_formats_the_project() {
    let dir = tree(&[
        ("rolec.toml", "paths = [\"policy\"]\n"),
        ("policy/a.role", "role   reader {}\n"),
        ("other.role", "role   x {}\n"),
    ]);
    let out = rolec_in(dir.path(), &["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "policy/a.role");
    let out = rolec_in(dir.path(), &["fmt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("policy/a.role")).unwrap(), "role reader {}\n");
    // Outside the project's paths: untouched.
    assert_eq!(std::fs::read_to_string(dir.path().join("other.role")).unwrap(), "role   x {}\n");
}

#[test]
fn a_path_the_project_leaves_out_is_refused_not_skipped() {
    let dir = tree(&[("rolec.toml", "paths = [\"policy\"]\n"), ("policy/a.role", A), ("stray.role", B)]);
    // Compiling the project without the file named would report nothing about it.
    let out = rolec_in(dir.path(), &["lint", "stray.role"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`stray.role` is inside the project of `rolec.toml` but not among its paths (policy)"),
        "{err}"
    );
    // The project's own places still stand for it: its root, a path, a file below, the file itself.
    for given in [".", "policy", "policy/a.role", "./policy/../policy/a.role", "rolec.toml"] {
        let out = rolec_in(dir.path(), &["lint", given]);
        assert_eq!(out.status.code(), Some(0), "{given}: {}", stderr(&out));
    }
}

#[test]
fn an_unknown_set_in_the_project_file_names_its_line() {
    let dir = tree(&[("rolec.toml", "target-version = 16\n\n[set]\nenv = \"prod\"\n"), ("p.role", A)]);
    let out = rolec_in(dir.path(), &["build", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rolec.toml:4:1: [set] env: the policy has no `let env`"), "{}", stderr(&out));
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn diff_compiles_the_project_on_both_sides_and_git_takes_the_project_at_the_revision() {
    let a = "let env = \"dev\"\nrole \"reader_{env}\" {}\nrole writer {}\n";
    let dir = tree(&[
        ("rolec.toml", "paths = [\"policy\"]\n[set]\nenv = \"prod\"\n"),
        ("policy/a.role", a),
        ("policy/b.role", "user alice { member of writer }\n"),
    ]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "old"]);
    std::fs::write(
        dir.path().join("policy/b.role"),
        "user alice { member of writer }\nuser bob { member of writer }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("rolec.toml"), "paths = [\"policy\"]\n[set]\nenv = \"stage\"\n").unwrap();
    // One file of each version stands for its project: b.role alone would name an unknown role.
    let out = rolec_in(dir.path(), &["diff", "git:HEAD", "policy/b.role"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sql = String::from_utf8_lossy(&out.stdout);
    let (up, down) = sql.split_once("-- migrate:down").unwrap();
    // The `[set]` of each revision's own rolec.toml: prod before, stage now.
    assert!(up.contains("CREATE ROLE \"bob\"") && up.contains("CREATE ROLE \"reader_stage\""), "{up}");
    assert!(up.contains("DROP ROLE \"reader_prod\""), "{up}");
    assert!(down.contains("DROP ROLE \"bob\"") && down.contains("CREATE ROLE \"reader_prod\""), "{down}");
    assert!(!sql.contains("reader_dev"), "{sql}");
}
