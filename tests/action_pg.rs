//! The GitHub Action's steps (scripts/action.sh, run as action.yml runs it) and the Markdown of
//! `rolec plan --format markdown` / `rolec check --format markdown`, against a throwaway cluster
//! with names that Markdown would otherwise read (`|`, backticks).

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::pg::PgCluster;

const DB: &str = "postgres";

/// A role whose name holds a run of three backticks (an unused role: lint warning W040), and a
/// user whose name holds a `|` and a backtick.
const POLICY: &str = "role \"we```ird\" { }\nuser \"a|b`c\" { connection limit 3 }\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_policy(dir: &Path, policy: &str) -> String {
    let path = dir.join("roles.role");
    std::fs::write(&path, policy).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs scripts/action.sh as the action's second step runs it: (output, the summary file).
fn action(policy: &str, db: &str, dir: &Path) -> (Output, String) {
    let summary = dir.join("summary.md");
    let mut cmd = Command::new("bash");
    cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/action.sh"));
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("PG") {
            cmd.env_remove(var);
        }
    }
    let out = cmd
        .env("INPUT_POLICY", policy)
        .env("INPUT_TARGET_VERSION", "15")
        .env("ROLEC_DB", db)
        .env("ROLEC_BIN", env!("CARGO_BIN_EXE_rolec"))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", dir.join("output"))
        .output()
        .expect("cannot run bash");
    (out, std::fs::read_to_string(&summary).unwrap_or_default())
}

/// The cells of a Markdown table row, split at the `|` that are not escaped.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in row.trim().trim_start_matches('|').chars() {
        if c == '|' && !escaped {
            cells.push(String::new());
        } else {
            cells.last_mut().unwrap().push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    cells.pop(); // after the closing `|`
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

#[test]
fn the_action_annotates_the_lint_and_writes_the_plan_as_markdown_to_the_summary() {
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(dir.path(), POLICY);
    // The password (ignored by the cluster's trust authentication) must not reach the summary.
    let db = format!("{} password=s3cret-in-summary", pg.conn_str(DB));
    let (out, summary) = action(&policy, &db, dir.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}\n{summary}", text(&out.stderr));

    // The lint warning as a GitHub annotation on the policy file.
    assert!(stdout.contains(&format!("::warning file={policy},line=1,")), "{stdout}");
    assert!(stdout.contains("W040"), "{stdout}");

    assert!(summary.starts_with("## rolec plan\n"), "{summary}");
    assert!(!summary.contains("s3cret"), "{summary}");
    assert!(summary.contains("**2** changes, **0** destructive"), "{summary}");
    // The fence is longer than the name's run of three backticks, so the block holds to its end.
    let open = summary.find("\n````sql\n").unwrap_or_else(|| panic!("no four-backtick fence:\n{summary}"));
    let body = &summary[open + "\n````sql\n".len()..];
    let close = body.find("\n````\n").expect("the fence is closed");
    assert!(body[..close].contains("CREATE ROLE \"we```ird\""), "{summary}");
    assert!(body[..close].contains("CREATE ROLE \"a|b`c\""), "{summary}");
    assert_eq!(std::fs::read_to_string(dir.path().join("output")).unwrap(), "changes=true\n");

    // The plan was not applied: a second run plans the same.
    let (_, again) = action(&policy, &db, dir.path());
    assert_eq!(again, format!("{summary}{summary}"));
}

#[test]
fn a_policy_with_errors_fails_the_action_with_an_annotation_and_no_plan() {
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(dir.path(), "user u {\n  member of nosuch\n}\n");
    let (out, summary) = action(&policy, &pg.conn_str(DB), dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("::error file={policy},line=2,")), "{stdout}");
    assert!(summary.contains("## rolec lint") && !summary.contains("rolec plan"), "{summary}");
}

#[test]
fn check_markdown_is_a_table_whose_cells_names_cannot_split() {
    let pg = PgCluster::start();
    // On the server the user has another connection limit: drift.
    pg.exec(DB, "CREATE ROLE \"we```ird\"; CREATE ROLE \"a|b`c\" LOGIN CONNECTION LIMIT 5").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(dir.path(), POLICY);
    let conn = pg.conn_str(DB);
    let out =
        support::cli::rolec_command().args(["check", "--db", &conn, "--format", "markdown", &policy]).output().unwrap();
    let md = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{md}\n{}", text(&out.stderr));
    assert!(md.starts_with("## rolec check\n"), "{md}");
    assert!(md.contains("**drift**"), "{md}");
    let rows: Vec<Vec<String>> = md.lines().filter(|l| l.starts_with('|')).map(cells).collect();
    assert_eq!(rows[0], ["role", "item", "expected", "actual", "status"], "{md}");
    assert!(rows.iter().all(|r| r.len() == 5), "a name split a row:\n{md}");
    let drift: Vec<&Vec<String>> = rows.iter().filter(|r| r[4] == "✗").collect();
    assert_eq!(drift.len(), 1, "{md}");
    assert_eq!(drift[0][0], "a\\|b\\`c", "{md}");
    assert!(drift[0][2].contains('3') && drift[0][3].contains('5'), "{md}");
    assert!(rows.iter().any(|r| r[0] == "we\\`\\`\\`ird" && r[4] == "✓"), "{md}");
    // The repair, in a fence longer than any backticks in it.
    assert!(md.contains("`rolec apply` would run:\n\n```sql\nALTER ROLE \"a|b`c\""), "{md}");
}
