//! `rolec lint` as a command: the lint warnings (W040–W042) in the machine formats, the exit
//! codes (0 with warnings only, 1 with an error or, with `--deny-warnings`, a warning), and
//! inline allows (`// rolec: allow W042`).

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
    lint_with(policy, format, &[])
}

fn lint_with(policy: &str, format: &str, flags: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.role");
    std::fs::write(&path, policy).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rolec"))
        .args(["lint", "--at", "2025-06-01", "--format", format])
        .args(flags)
        .arg(&path)
        .output()
        .unwrap()
}

/// The diagnostics of `rolec lint --format json`: `{"format": "rolec-lint/1", "diagnostics": […]}`.
fn diagnostics(out: &Output) -> Vec<serde_json::Value> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format"], "rolec-lint/1");
    json["diagnostics"].as_array().unwrap().clone()
}

/// (code, line) of each diagnostic, sorted.
fn codes_at(out: &Output) -> Vec<(String, u64)> {
    let mut found: Vec<(String, u64)> = diagnostics(out)
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["line"].as_u64().unwrap()))
        .collect();
    found.sort();
    found
}

#[test]
fn json_lists_each_lint_warning_with_its_line() {
    let out = lint(WARNINGS, "json");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut found: Vec<(String, u64, String)> = diagnostics(&out)
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
    assert!(diagnostics(&out).iter().any(|d| d["code"] == "E002"));
}

/// The codes `rolec lint --format json` reports, sorted.
fn codes(policy: &str) -> Vec<String> {
    let out = lint(policy, "json");
    let mut codes: Vec<String> = diagnostics(&out).iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
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
    // A statement's own problem in what a build writes (a name pg_hba.conf cannot hold) too.
    let hba = format!("{policy}user \"sam\\nx\" {{ connect from 10.0.0.0/8 }}\n");
    assert_eq!(codes(&hba), ["E002", "E017", "E030"]);
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

#[test]
fn deny_warnings_fails_on_a_warning_and_passes_a_clean_policy() {
    let out = lint_with(WARNINGS, "human", &["--deny-warnings"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 error(s), 3 warning(s) (denied)"));
    assert_eq!(lint_with(WARNINGS, "json", &["--deny-warnings"]).status.code(), Some(1));
    assert_eq!(lint(WARNINGS, "json").status.code(), Some(0), "without the flag, warnings pass");
    let clean = lint_with("role reader {}\nuser alice { member of reader }\n", "json", &["--deny-warnings"]);
    assert_eq!((clean.status.code(), codes_at(&clean)), (Some(0), vec![]));
}

/// WARNINGS with an allow for each of its warnings: W040 above its item, W042 at the end of
/// its line, W041 above its line inside a block.
const ALLOWED: &str = "\
schema app { owner app_owner }
role app_owner {}
// rolec: allow W040 kept for the reporting tool
role unused {}
role reader { grant select on table app.t }
user alice {
  // rolec: allow W041, W030
  member of reader until 2025-06-05
  grant select on table app.t // rolec: allow W042
}
";

#[test]
fn inline_allows_silence_the_warnings_they_cover() {
    let out = lint_with(ALLOWED, "json", &["--deny-warnings"]);
    // W030 is a code that was not reported where the comment covers it.
    assert_eq!(codes_at(&out), vec![("W043".to_string(), 7)], "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(1));
    let all_used = ALLOWED.replace(", W030", "");
    let out = lint_with(&all_used, "json", &["--deny-warnings"]);
    assert_eq!((out.status.code(), codes_at(&out)), (Some(0), vec![]), "{}", String::from_utf8_lossy(&out.stdout));
    // An allow covers only its own line or item: moved to another role, W040 is back.
    let moved = all_used.replace(
        "// rolec: allow W040 kept for the reporting tool\nrole unused {}\nrole reader",
        "role unused {}\n// rolec: allow W040\nrole reader",
    );
    assert_ne!(moved, all_used);
    assert_eq!(codes_at(&lint(&moved, "json")), vec![("W040".to_string(), 3), ("W043".to_string(), 4)]);
}

#[test]
fn an_allow_of_an_error_or_an_unknown_code_is_reported() {
    let policy = "role r { member of nope } // rolec: allow E002\n// rolec: allow W999\nrole s {}\n";
    let out = lint(policy, "json");
    assert_eq!(out.status.code(), Some(1));
    let found = codes_at(&out);
    assert_eq!(found, vec![("E002".to_string(), 1), ("W043".to_string(), 1), ("W043".to_string(), 2)]);
    let messages: Vec<String> = diagnostics(&out).iter().map(|d| d["message"].as_str().unwrap().to_string()).collect();
    assert!(messages.iter().any(|m| m.contains("errors cannot be allowed")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`W999` is not a diagnostic code")), "{messages:?}");
}

/// (code, line, column) of each report of the human rendering, in the order written: the code
/// from the report's first line, the position from the `╭─[ file:line:column ]` line after it.
fn human_reports(stderr: &str) -> Vec<(String, u64, u64)> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(code) = line.strip_prefix('[').and_then(|l| l.split_once(']')).map(|(c, _)| c) else { continue };
        let at = lines[i + 1].split("─[ ").nth(1).and_then(|l| l.strip_suffix(" ]")).expect("a location line");
        let mut parts = at.rsplitn(3, ':');
        let column = parts.next().unwrap().parse().unwrap();
        let line = parts.next().unwrap().parse().unwrap();
        found.push((code.to_string(), line, column));
    }
    found
}

/// More reports than one thread renders at a time: the human rendering writes every report, in
/// the order of the JSON list (regression test for the reports rendered on several threads).
#[test]
fn many_human_reports_come_out_in_order() {
    // Each role states the same grant twice (W004): 700 reports, three threads' chunks of 256.
    let mut policy = String::from("schema app { owner app_owner }\nrole app_owner {}\n");
    for i in 0..700 {
        policy += &format!("role r{i} {{\n  grant select on table app.t\n  grant select on table app.t\n}}\n");
    }
    let json = lint(&policy, "json");
    let expected: Vec<(String, u64, u64)> = diagnostics(&json)
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(expected.len(), 700);
    let human = lint(&policy, "human");
    assert_eq!(human.status.code(), Some(0));
    let stderr = String::from_utf8(human.stderr).unwrap();
    assert_eq!(human_reports(&stderr), expected);
    assert!(
        stderr.ends_with(&format!("0 error(s), {} warning(s)\n", expected.len())),
        "{}",
        &stderr[stderr.len() - 200..]
    );
}
