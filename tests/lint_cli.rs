//! `rolec lint` as a command: the lint warnings (W040–W042) in the machine formats, and the
//! exit codes (0 with warnings only, 1 with an error).

use std::process::{Command, Output};

const WARNINGS: &str = "\
schema app { owner app_owner }
role app_owner {}
role unused {}
role reader { grant select on table app.t }
user alice {
  member of reader until 2025-06-05
  grant select on table app.t
}
";

fn lint(policy: &str, format: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.role");
    std::fs::write(&path, policy).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rolec"))
        .args(["lint", "--at", "2025-06-01", "--format", format])
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn json_lists_each_lint_warning_with_its_line() {
    let out = lint(WARNINGS, "json");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, u64, String)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let w = |c: &str, l| (c.to_string(), l, "warning".to_string());
    assert_eq!(found, vec![w("W040", 3), w("W041", 6), w("W042", 7)]);
}

#[test]
fn github_annotations_for_lint_warnings() {
    let out = lint(WARNINGS, "github");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (code, line) in [("W040", 3), ("W041", 6), ("W042", 7)] {
        assert!(
            lines.iter().any(|l| l.starts_with("::warning ")
                && l.contains(&format!(",line={line},"))
                && l.contains(&format!("title={code}::"))),
            "no {code} at line {line} in:\n{text}"
        );
    }
}

#[test]
fn an_error_exits_1() {
    let out = lint("role r { member of nope }\n", "json");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json.as_array().unwrap().iter().any(|d| d["code"] == "E002"));
}

/// The codes `rolec lint --format json` reports, sorted.
fn codes(policy: &str) -> Vec<String> {
    let out = lint(policy, "json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut codes: Vec<String> =
        json.as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
    codes.sort();
    codes
}

#[test]
fn lint_warnings_about_what_is_unused_wait_for_errors_to_be_fixed() {
    // With an error in the policy, the analysis runs on what resolved: the shadowed grant
    // (W042) and the closing window (W041) are reported, the unused role (W040) is not (the
    // name that does not resolve may be what uses it).
    let out = lint(&format!("{WARNINGS}role broken {{ member of nope }}\n"), "json");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&format!("{WARNINGS}role broken {{ member of nope }}\n")), ["E002", "W041", "W042"]);
    assert!(codes(WARNINGS).contains(&"W040".to_string()));
}

#[test]
fn a_policy_rule_is_checked_while_another_part_has_errors() {
    let policy = "\
role payments_approve {}
role payments_submit {}
user mallory { member of payments_approve, payments_submit }
user typo { member of payments_aprove }
policy separation { exclusive payments_approve, payments_submit }
";
    assert_eq!(codes(policy), ["E002", "E030"]);
    // Half a file that does not parse does not hide it either.
    let half = codes(&format!("{policy}user half {{ member of\n"));
    assert!(
        half.contains(&"E001".to_string()) && half.ends_with(&["E002".to_string(), "E030".to_string()]),
        "{half:?}"
    );
    // While memberships form a cycle, the analysis waits.
    let cycle = format!("{policy}role a {{ member of b }}\nrole b {{ member of a }}\n");
    assert!(!codes(&cycle).contains(&"E030".to_string()), "{:?}", codes(&cycle));
}

/// A role name or a source line with terminal control characters (an escape sequence, a carriage
/// return) is shown escaped, so a report can neither rewrite the terminal nor forge a line.
#[test]
fn control_characters_in_names_and_lines_never_reach_the_terminal() {
    // A raw escape sequence in the source line shown, and `\u{1b}` / `\r` escapes in the name
    // the messages quote.
    let policy = "role \"red\u{1b}[31m\" {}\nuser u { member of \"x\\u{1b}]0;title\\u{7}\\rforged\" } // \u{1b}[2J\n";
    let out = lint(policy, "human");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("E002"), "{stderr}");
    assert!(!stderr.contains(['\u{1b}', '\u{7}', '\r']), "a control character reached the terminal: {stderr:?}");
    assert!(stderr.contains(r"\u{1b}]0;title\u{7}\u{d}forged"), "the name is shown escaped: {stderr}");
}
