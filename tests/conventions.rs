//! Command-line conventions, with the real binary: shell completions, the man page,
//! `--color` (with `NO_COLOR` and `CLICOLOR_FORCE`), `rolec fmt -` and `rolec fmt --diff`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SUBCOMMANDS: &[&str] = &["build", "lint", "fmt", "who-can", "plan", "check", "completions", "man"];

/// `rolec` without the colour variables of the environment the tests run in.
fn rolec() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolec"));
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env_remove("CLICOLOR");
    cmd
}

fn run(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn completions_name_every_subcommand_in_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = rolec().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}'s script does not name `{sub}`");
        }
        // fish writes long flags without their dashes (`-l deny-warnings`).
        assert!(script.contains("deny-warnings") && script.contains("color"), "{shell}: flags");
    }
    let out = rolec().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an unknown shell is a usage error");
}

#[test]
fn the_bash_script_is_valid_bash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rolec.bash");
    std::fs::write(&path, rolec().args(["completions", "bash"]).output().unwrap().stdout).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", text(&check.stderr));
    // Sourcing it registers the completion function for `rolec`.
    let script = format!("source {}; complete -p rolec", path.display());
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(out.status.success() && text(&out.stdout).contains("rolec"), "{}", text(&out.stderr));
}

/// The roff structure of a page: its title, the sections, and the commands it names.
fn assert_roff_page(page: &str, title: &str, names: &[&str]) {
    // roff writes a hyphen `\-`.
    let page = &page.replace("\\-", "-");
    assert!(page.lines().any(|l| l.starts_with(&format!(".TH {title} 1"))), "no .TH {title} 1 in:\n{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(page.contains(section), "{title}: no {section}");
    }
    for name in names {
        assert!(page.contains(name), "{title} does not name `{name}`");
    }
}

/// The page as `man` shows it (plain text), when groff is installed.
fn rendered(path: &Path) -> Option<String> {
    if !have("groff") {
        eprintln!("groff not installed: the man page is checked as roff only");
        return None;
    }
    // As man(1) runs it: the input's encoding recoded (-k), plain text without overstriking.
    let out = Command::new("groff").args(["-k", "-man", "-Tutf8", "-P-cbou", "-ww"]).arg(path).output().unwrap();
    assert!(out.status.success(), "groff: {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "groff warns: {}", text(&out.stderr));
    Some(text(&out.stdout))
}

#[test]
fn the_man_page_is_roff_that_renders() {
    let out = rolec().arg("man").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert_roff_page(&page, "rolec", SUBCOMMANDS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rolec.1");
    std::fs::write(&path, &page).unwrap();
    if let Some(shown) = rendered(&path) {
        assert!(shown.contains("NAME") && shown.contains("SYNOPSIS") && shown.contains("who-can"), "{shown}");
        assert!(!shown.contains(".SH"), "unrendered roff in:\n{shown}");
    }
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = rolec().args(["man", "--dir"]).arg(dir.path().join("man1")).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = |name: &str| std::fs::read_to_string(dir.path().join("man1").join(name)).unwrap();
    assert_roff_page(&page("rolec.1"), "rolec", SUBCOMMANDS);
    assert_roff_page(&page("rolec-lint.1"), "rolec-lint", &["--deny-warnings", "--format", "--color"]);
    assert_roff_page(&page("rolec-fmt.1"), "rolec-fmt", &["--diff", "--check"]);
    for sub in SUBCOMMANDS {
        if let Some(shown) = rendered(&dir.path().join("man1").join(format!("rolec-{sub}.1"))) {
            assert!(shown.contains(&format!("rolec {sub}")), "rolec-{sub}.1:\n{shown}");
        }
    }
}

/// A policy with one warning (W040).
const WARNING: &str = "role unused {}\n";

fn lint_stderr(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.role");
    std::fs::write(&path, WARNING).unwrap();
    let mut cmd = rolec();
    cmd.args(args).arg(&path).envs(env.iter().copied());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("W040"), "{err}");
    err
}

const ESC: char = '\u{1b}';

#[test]
fn color_follows_the_flag_then_the_variables_then_the_terminal() {
    // Standard error is a pipe here: `auto` alone means no colour.
    assert!(!lint_stderr(&["lint"], &[]).contains(ESC));
    assert!(lint_stderr(&["lint", "--color", "always"], &[]).contains(ESC));
    assert!(lint_stderr(&["--color=always", "lint"], &[]).contains(ESC), "global before the command");
    assert!(lint_stderr(&["lint"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!lint_stderr(&["lint"], &[("CLICOLOR_FORCE", "0")]).contains(ESC));
    assert!(!lint_stderr(&["lint"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESC));
    assert!(lint_stderr(&["lint"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]).contains(ESC));
    assert!(!lint_stderr(&["lint", "--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(lint_stderr(&["lint", "--color", "always"], &[("NO_COLOR", "1")]).contains(ESC));
}

#[test]
fn color_of_help_follows_the_same_decision() {
    let help = |args: &[&str], env: &[(&str, &str)]| {
        let out = rolec().args(args).envs(env.iter().copied()).output().unwrap();
        assert!(out.status.success());
        text(&out.stdout)
    };
    assert!(help(&["--color", "always", "--help"], &[]).contains(ESC));
    assert!(help(&["lint", "--help"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!help(&["lint", "--help", "--color=never"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!help(&["lint", "--help"], &[]).contains(ESC));
}

/// Laid out badly, but parses.
const UNFORMATTED: &str = "role reader {grant select on table app.t}\nuser   alice {\nmember of reader\n    }\n";

/// What `rolec fmt FILE` makes of a text.
fn formatted_in_place(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.role");
    std::fs::write(&path, text).unwrap();
    let out = rolec().arg("fmt").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", text_of(&out));
    std::fs::read_to_string(&path).unwrap()
}

fn text_of(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn fmt_dash_formats_standard_input_to_standard_output() {
    let out = run(rolec().args(["fmt", "-"]), UNFORMATTED);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let expected = formatted_in_place(UNFORMATTED);
    assert_ne!(expected, UNFORMATTED);
    assert_eq!(text(&out.stdout), expected);
    // Formatted text passes through unchanged, and `--check` then agrees.
    assert_eq!(text(&run(rolec().args(["fmt", "-"]), &expected).stdout), expected);
    assert_eq!(run(rolec().args(["fmt", "--check", "-"]), &expected).status.code(), Some(0));
    let check = run(rolec().args(["fmt", "--check", "-"]), UNFORMATTED);
    assert_eq!((check.status.code(), text(&check.stdout)), (Some(1), "<stdin>\n".to_string()));
}

#[test]
fn fmt_dash_names_stdin_in_a_syntax_error() {
    let out = run(rolec().args(["fmt", "-"]), "role a {}\nrole b { member of }\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing formatted is printed: {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.lines().any(|l| l.starts_with("<stdin>:2:") && l.contains("E001")), "{err}");
    let mixed = run(rolec().args(["fmt", "-", "x.role"]), "");
    assert_eq!(mixed.status.code(), Some(2), "{}", text_of(&mixed));
}

#[test]
fn fmt_diff_prints_a_patch_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, good) = (dir.path().join("bad.role"), dir.path().join("good.role"));
    // A plaintext password (an error for the compiler, but it parses) stays out of the diff.
    let unformatted = format!("{UNFORMATTED}user bob {{   password \"hunter2\" }}\n");
    std::fs::write(&bad, &unformatted).unwrap();
    std::fs::write(&good, formatted_in_place(UNFORMATTED)).unwrap();
    let out = rolec().current_dir(dir.path()).args(["fmt", "--diff", "bad.role", "good.role"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let diff = text(&out.stdout);
    assert!(diff.starts_with("--- bad.role\n+++ bad.role\n@@ "), "{diff}");
    assert!(!diff.contains("good.role"), "a formatted file has no diff: {diff}");
    assert!(!diff.contains("hunter2") && diff.contains("*******"), "{diff}");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), unformatted, "--diff writes nothing");
    // Without the password line the diff is a patch that formats the file.
    std::fs::write(&bad, UNFORMATTED).unwrap();
    let out = rolec().current_dir(dir.path()).args(["fmt", "--diff", "bad.role"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    if have("patch") {
        let patched = run(Command::new("patch").current_dir(dir.path()).args(["-p0", "--quiet"]), &text(&out.stdout));
        assert!(patched.status.success(), "patch: {}", text_of(&patched));
        assert_eq!(std::fs::read_to_string(&bad).unwrap(), formatted_in_place(UNFORMATTED));
    } else {
        eprintln!("patch not installed: the diff is not applied");
    }
    let clean = rolec().current_dir(dir.path()).args(["fmt", "--diff", "good.role"]).output().unwrap();
    assert_eq!((clean.status.code(), clean.stdout.len()), (Some(0), 0));
    let stdin = run(rolec().args(["fmt", "--diff", "-"]), UNFORMATTED);
    assert_eq!(stdin.status.code(), Some(1));
    assert!(text(&stdin.stdout).starts_with("--- <stdin>\n+++ <stdin>\n"), "{}", text(&stdin.stdout));
}

/// A reader that stops early (`rolec … | head`): each command that prints ends quietly with
/// status 141, as a process SIGPIPE ended, never with a panic. The outputs are larger than a
/// pipe's buffer, so the writes meet the closed pipe whenever the reader closes it.
#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let roles: String = (0..3000).map(|i| format!("role unused_{i} {{}}\n")).collect();
    std::fs::write(dir.path().join("p.role"), &roles).unwrap();
    let policy = dir.path().to_str().unwrap();
    for args in
        [vec!["lint", "--format", "json", policy], vec!["fmt", "-"], vec!["who-can", "select on table a.b", policy]]
    {
        let mut child =
            rolec().args(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(roles.as_bytes());
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
    }
}
