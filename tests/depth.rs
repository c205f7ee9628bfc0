//! Hostile nesting and expansion against the real binary: each ends in a diagnostic that
//! names its file, line and column and exits 1, never in a stack overflow (exit 134) or in
//! memory out of proportion to the input. The binary runs with its address space capped
//! (`ulimit -v`), so an expansion that grows without bound fails the test instead of the
//! machine.

use std::path::Path;
use std::process::Command;

/// Address space the binary may use, in KiB: a few times what these inputs need.
const ADDRESS_SPACE_KIB: u64 = 1_500_000;

/// `rolec lint` on a policy of one file `p.role` holding `text`, under the address-space cap:
/// its exit code (`None` when a signal ended it) and its standard error.
fn lint(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.role"), text).unwrap();
    run(&["lint", "p.role"], dir.path())
}

fn run(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let script = format!("ulimit -v {ADDRESS_SPACE_KIB}; exec \"$0\" \"$@\"");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_rolec"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A list of `n` strings.
fn list(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| format!("\"x{i}\"")).collect();
    format!("[{}]", items.join(", "))
}

#[test]
fn nested_for_over_long_lists_is_refused_before_expanding() {
    // 300 × 300 × 300 = 27 million roles from 2 KB.
    let text = format!("let l = {}\nfor a in l {{\n  for b in l {{\n    for c in l {{\n      role \"r_{{a}}_{{b}}_{{c}}\" {{}}\n    }}\n  }}\n}}\n", list(300));
    let (code, stderr) = lint(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "[E023] Error: this `for` expands to 27000000 declarations, more than the limit of 1000000 per file"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("p.role:2:1"), "the outermost `for`: {stderr}");
}

#[test]
fn for_within_the_limit_expands() {
    let text = format!("let l = {}\nfor a in l {{\n  for b in l {{\n    user \"r_{{a}}_{{b}}\"\n  }}\n}}\n", list(20));
    let (code, stderr) = lint(&text);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn templates_that_double_at_every_level_are_refused_before_inlining() {
    // Each template uses the next one twice: 2^25 statements from 30 lines.
    let mut text = String::new();
    for i in 0..25 {
        text += &format!("template t{i}() {{\n  use t{}()\n  use t{}()\n}}\n", i + 1, i + 1);
    }
    text += "template t25() { login }\nuser u : t0() {}\n";
    let (code, stderr) = lint(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("[E023] Error: `t0()` expands to 33554432 statements, more than the limit of 1000000 per file"),
        "{stderr}"
    );
    assert!(stderr.contains("p.role:102:10"), "at the outermost use: {stderr}");
}

#[test]
fn a_thousand_chained_templates_end_in_a_diagnostic() {
    let mut text: String = (0..999).map(|i| format!("template t{i}() {{ use t{}() }}\n", i + 1)).collect();
    text += "template t999() {}\nuser u : t0() {}\n";
    let (code, stderr) = lint(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("[E021] Error: templates use each other more than 32 levels deep"), "{stderr}");
    assert!(stderr.contains("p.role:32:"), "at the use that crosses the limit: {stderr}");
}

#[test]
fn deeply_nested_for_loops_end_in_a_diagnostic() {
    // Deep enough to overflow a 2 MiB analysis thread when recursed into.
    let n = 1_000;
    let text = format!("let l = [\"a\"]\n{}user x\n{}", "for v in l {\n".repeat(n), "}\n".repeat(n));
    for command in ["lint", "fmt"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.role"), &text).unwrap();
        let (code, stderr) = run(&[command, "p.role"], dir.path());
        assert_eq!(code, Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("E001") && stderr.contains("`for` loops nest more than 32 levels deep here"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("p.role:34:1"), "{command}, at the 33rd `for`: {stderr}");
    }
}

#[test]
fn deeply_nested_lists_end_in_a_diagnostic() {
    let n = 1_000;
    let text = format!("let l = {}{}\nuser x\n", "[".repeat(n), "]".repeat(n));
    let (code, stderr) = lint(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("[E001] Error: lists nest more than 32 levels deep here"), "{stderr}");
    assert!(stderr.contains("p.role:1:41"), "at the 33rd `[`: {stderr}");
}

#[test]
fn text_nested_beyond_the_parsers_stack_ends_in_a_diagnostic() {
    for text in [
        "{".repeat(100_000),
        "[".repeat(100_000),
        "/*".repeat(100_000),
        format!("let l = {}{}", "[".repeat(100_000), "]".repeat(100_000)),
    ] {
        let (code, stderr) = lint(&text);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("E001") && stderr.contains("p.role:1:"), "{}", &stderr[..stderr.len().min(500)]);
    }
}

#[test]
fn long_extends_chains_end_in_a_diagnostic() {
    // Declared last to first, so that inlining would recurse down the whole chain.
    let n = 2_000;
    let mut text: String = (0..n - 1).map(|i| format!("role e{i} extends e{} {{ login }}\n", i + 1)).collect();
    text += &format!("role e{} {{}}\n", n - 1);
    let (code, stderr) = lint(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("[E022] Error: `extends e{}` makes a chain of more than 32 roles", n - 32)),
        "{stderr}"
    );
    assert_eq!(stderr.matches("E022").count(), 1, "reported once: {stderr}");
}
