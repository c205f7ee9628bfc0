//! Time windows that end on a live server: a relative window (`member of admin for 4h`) starts
//! when an apply first grants the membership (recorded in `rolec.windows`) and ends 4 hours
//! later whatever `--at` later runs use; `plan` shows the revoke, `check` reports it, `apply`
//! performs it, the ledger records reason and window; and the shipped expiry schedule
//! (examples/expiry) runs it. Real throwaway clusters (PostgreSQL 15 by default; `ROLEC_PG_BIN`
//! selects another), the real `rolec` binary.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::cli::{rolec, text};
use support::pg::PgCluster;

const DB: &str = "postgres";
const T0: &str = "2026-06-01T00:00:00Z";
const T0_1H: &str = "2026-06-01T01:00:00Z";
const T0_4H: &str = "2026-06-01T04:00:00Z";
const T0_5H: &str = "2026-06-01T05:00:00Z";
const T0_6H: &str = "2026-06-01T06:00:00Z";

/// Fails the test unless the command succeeded; its standard output.
#[track_caller]
fn ok(out: &Output) -> String {
    support::cli::ok(out);
    text(&out.stdout)
}

struct Policy {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Policy {
    fn new(text: &str) -> Policy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.role");
        std::fs::write(&path, text).unwrap();
        Policy { _dir: dir, path }
    }

    fn set(&self, text: &str) {
        std::fs::write(&self.path, text).unwrap();
    }

    fn s(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

fn apply(pg: &PgCluster, policy: &Policy, at: &str) -> Output {
    rolec(&["apply", "--db", &pg.conn_str(DB), "--at", at, policy.s()])
}

/// `rolec plan --format json --detailed-exitcode`: (statements, exit code).
fn plan(pg: &PgCluster, policy: &Policy, at: &str) -> (Vec<String>, i32) {
    let out =
        rolec(&["plan", "--db", &pg.conn_str(DB), "--format", "json", "--detailed-exitcode", "--at", at, policy.s()]);
    let code = out.status.code().unwrap_or(-1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e} ({code}): {}\n{}", text(&out.stdout), text(&out.stderr)));
    let changes = json["changes"].as_array().unwrap().iter().map(|c| c["sql"].as_str().unwrap().to_string()).collect();
    (changes, code)
}

/// `rolec check` (human): (output, exit code).
fn check(pg: &PgCluster, policy: &Policy, at: &str) -> (String, i32) {
    let out = rolec(&["check", "--db", &pg.conn_str(DB), "--at", at, policy.s()]);
    (text(&out.stdout), out.status.code().unwrap_or(-1))
}

fn member(pg: &PgCluster, member: &str, role: &str) -> bool {
    pg.query_bool(DB, &format!("SELECT pg_has_role('{member}', '{role}', 'MEMBER')"))
}

/// The recorded windows: (role, member, started_at, ends_at, duration, reason) as text in UTC.
fn windows(pg: &PgCluster) -> Vec<Vec<Option<String>>> {
    pg.simple_rows(
        DB,
        "SELECT role, member, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), duration::text, reason
         FROM rolec.windows ORDER BY 1, 2",
    )
}

fn row(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some(v.to_string())).collect()
}

/// The statement granting `role` to `member` as plans write it: from PostgreSQL 16 with the
/// membership's options.
fn grant(pg: &PgCluster, role: &str, member: &str) -> String {
    let options = if pg.major() >= 16 { " WITH INHERIT TRUE, SET TRUE" } else { "" };
    format!(r#"GRANT "{role}" TO "{member}"{options};"#)
}

/// A granted membership's options as `check` shows them: from PostgreSQL 16 with INHERIT and SET.
fn options(pg: &PgCluster) -> &'static str {
    if pg.major() >= 16 {
        "admin false, inherit true, set true"
    } else {
        "admin false"
    }
}

const ONCALL: &str = "role admin {}\nuser oncall { member of admin for 4h reason \"INC-1 disk full\" }\n";

#[test]
fn a_relative_window_ends_four_hours_after_the_apply_that_granted_it() {
    let pg = PgCluster::start();
    let policy = Policy::new(ONCALL);
    let out = ok(&apply(&pg, &policy, T0));
    assert!(out.contains(&grant(&pg, "admin", "oncall")), "{out}");
    assert!(out.contains("-- window: for 4h from the apply that grants it; reason: INC-1 disk full"), "{out}");
    assert!(member(&pg, "oncall", "admin"));
    assert_eq!(windows(&pg), vec![row(&["admin", "oncall", T0, T0_4H, "04:00:00", "INC-1 disk full"])]);

    // An hour later the window is open: nothing to do, no drift.
    assert_eq!(plan(&pg, &policy, T0_1H), (Vec::<String>::new(), 0));
    let (report, code) = check(&pg, &policy, T0_1H);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains(&format!(
            "✓ member of admin: granted ({}); window for 4h from {T0} until {T0_4H}; reason: INC-1 disk full",
            options(&pg)
        )),
        "{report}"
    );

    // Five hours later it has ended, although each run's --at is later: plan revokes, check ✗.
    assert_eq!(plan(&pg, &policy, T0_5H), (vec![r#"REVOKE "admin" FROM "oncall";"#.to_string()], 2));
    let (report, code) = check(&pg, &policy, T0_5H);
    assert_eq!(code, 2, "{report}");
    assert!(
        report.contains(&format!("✗ member of admin: expected not granted: its window (for 4h from {T0} until {T0_4H}; reason: INC-1 disk full) has ended, actual granted ({})", options(&pg))),
        "{report}"
    );
    // Apply revokes it without --allow-drop (the policy's window closed), with a note.
    let out = ok(&apply(&pg, &policy, T0_5H));
    assert!(out.contains("-- its window (for 4h from 2026-06-01T00:00:00Z until 2026-06-01T04:00:00Z; reason: INC-1 disk full) has ended\nREVOKE \"admin\" FROM \"oncall\";"), "{out}");
    assert!(!member(&pg, "oncall", "admin"));

    // The ledger has the reason and the window of both statements.
    let ledger = pg.simple_rows(DB, "SELECT windows::text FROM rolec.ledger ORDER BY applied_at");
    let ledger: Vec<serde_json::Value> =
        ledger.iter().map(|r| serde_json::from_str(r[0].as_deref().unwrap()).unwrap()).collect();
    let entry = |sql: &str| serde_json::json!([{"statement": sql, "reason": "INC-1 disk full", "from": T0, "until": T0_4H, "duration": "4h"}]);
    assert_eq!(ledger, vec![entry(&grant(&pg, "admin", "oncall")), entry(r#"REVOKE "admin" FROM "oncall";"#)]);

    // A later run does not start the window again: nothing to apply, still revoked, same record.
    let out = apply(&pg, &policy, T0_6H);
    ok(&out);
    assert!(text(&out.stderr).contains("nothing to apply"), "{}", text(&out.stderr));
    assert!(!member(&pg, "oncall", "admin"));
    assert_eq!(windows(&pg), vec![row(&["admin", "oncall", T0, T0_4H, "04:00:00", "INC-1 disk full"])]);
    let (report, code) = check(&pg, &policy, T0_6H);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("✓ member of admin: not granted: its window (for 4h from"), "{report}");
}

#[test]
fn a_window_starts_again_only_when_the_policy_asks_again() {
    let pg = PgCluster::start();
    let policy = Policy::new("role admin {}\nrole helper { member of admin for 4h reason \"INC-1\" }\n");
    ok(&apply(&pg, &policy, T0));
    ok(&apply(&pg, &policy, T0_5H));
    assert!(!member(&pg, "helper", "admin"));

    // A longer duration moves the end of the same window: open again until T0 + 8h.
    policy.set("role admin {}\nrole helper { member of admin for 8h reason \"INC-1\" }\n");
    assert_eq!(plan(&pg, &policy, T0_5H).0, vec![grant(&pg, "admin", "helper")]);
    ok(&apply(&pg, &policy, T0_5H));
    assert_eq!(windows(&pg), vec![row(&["admin", "helper", T0, "2026-06-01T08:00:00Z", "08:00:00", "INC-1"])]);
    assert_eq!(plan(&pg, &policy, "2026-06-01T09:00:00Z").0, vec![r#"REVOKE "admin" FROM "helper";"#]);
    ok(&apply(&pg, &policy, "2026-06-01T09:00:00Z"));

    // A new reason is a new request: its window starts at the next apply.
    policy.set("role admin {}\nrole helper { member of admin for 4h reason \"INC-2\" }\n");
    ok(&apply(&pg, &policy, "2026-06-01T10:00:00Z"));
    assert!(member(&pg, "helper", "admin"));
    let started = row(&["admin", "helper", "2026-06-01T10:00:00Z", "2026-06-01T14:00:00Z", "04:00:00", "INC-2"]);
    assert_eq!(windows(&pg), vec![started]);

    // Without the window in the policy the record is forgotten; the same request later is new.
    policy.set("role admin {}\nrole helper {}\n");
    ok(&apply(&pg, &policy, "2026-06-01T11:00:00Z"));
    assert!(!member(&pg, "helper", "admin"));
    assert_eq!(windows(&pg), Vec::<Vec<Option<String>>>::new());
    policy.set("role admin {}\nrole helper { member of admin for 4h reason \"INC-2\" }\n");
    ok(&apply(&pg, &policy, "2026-06-02T00:00:00Z"));
    assert!(member(&pg, "helper", "admin"));
    assert_eq!(
        windows(&pg),
        vec![row(&["admin", "helper", "2026-06-02T00:00:00Z", "2026-06-02T04:00:00Z", "04:00:00", "INC-2"])]
    );
}

#[test]
fn a_membership_granted_before_its_window_starts_its_window_at_the_next_apply() {
    let pg = PgCluster::start();
    pg.exec(DB, "CREATE ROLE admin; CREATE ROLE helper; GRANT admin TO helper;").unwrap();
    let policy = Policy::new("role admin {}\nrole helper { member of admin for 4h }\n");
    // Nothing to run, but the apply records when the window started.
    ok(&apply(&pg, &policy, T0));
    assert_eq!(windows(&pg), vec![vec![s("admin"), s("helper"), s(T0), s(T0_4H), s("04:00:00"), None]]);
    assert_eq!(plan(&pg, &policy, T0_5H).0, vec![r#"REVOKE "admin" FROM "helper";"#]);
    // An absolute window keeps working: evaluated at --at.
    policy.set("role admin {}\nrole helper { member of admin from 2026-01-01 until 2026-06-01T02:00:00Z }\n");
    assert_eq!(plan(&pg, &policy, T0_1H).0, Vec::<String>::new());
    assert_eq!(plan(&pg, &policy, T0_5H).0, vec![r#"REVOKE "admin" FROM "helper";"#]);
    let (report, code) = check(&pg, &policy, T0_5H);
    assert_eq!(code, 2, "{report}");
    assert!(report.contains("✗ member of admin: expected not granted: it is outside its window (from 2026-01-01T00:00:00Z until 2026-06-01T02:00:00Z)"), "{report}");
    // The apply under this policy forgets the relative window's record.
    ok(&apply(&pg, &policy, T0_5H));
    assert_eq!(windows(&pg), Vec::<Vec<Option<String>>>::new());
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn a_ledger_from_before_windows_gains_the_column_and_keeps_its_rows() {
    let pg = PgCluster::start();
    pg.exec(
        DB,
        "CREATE SCHEMA rolec;
         CREATE TABLE rolec.ledger (applied_at timestamptz NOT NULL DEFAULT now(),
             applied_by text NOT NULL DEFAULT session_user, plan_hash text NOT NULL, statements text[] NOT NULL);
         INSERT INTO rolec.ledger (plan_hash, statements) VALUES ('old', '{\"CREATE ROLE x;\"}');",
    )
    .unwrap();
    let policy = Policy::new(ONCALL);
    ok(&apply(&pg, &policy, T0));
    let rows = pg.simple_rows(DB, "SELECT plan_hash, windows->0->>'reason' FROM rolec.ledger ORDER BY applied_at");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], vec![s("old"), None]);
    assert_eq!(rows[1][1], s("INC-1 disk full"));
}

#[test]
fn a_deployer_that_may_not_create_the_window_table_is_told_what_to_grant() {
    let pg = PgCluster::start();
    pg.exec(
        DB,
        "CREATE ROLE deployer LOGIN CREATEROLE; CREATE SCHEMA rolec;
         CREATE TABLE rolec.ledger (applied_at timestamptz NOT NULL DEFAULT now(),
             applied_by text NOT NULL DEFAULT session_user, plan_hash text NOT NULL, statements text[] NOT NULL,
             windows jsonb);
         GRANT USAGE ON SCHEMA rolec TO deployer; GRANT INSERT ON rolec.ledger TO deployer;
         CREATE ROLE admin; CREATE ROLE helper; GRANT admin TO deployer WITH ADMIN OPTION;",
    )
    .unwrap();
    let policy = Policy::new("external role deployer\nrole admin {}\nrole helper { member of admin for 4h }\n");
    let conn = pg.conn_str_as(DB, "deployer");
    let out = rolec(&["apply", "--db", &conn, "--at", T0, policy.s()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains(r#"cannot create rolec.windows (when relative time windows started): "deployer" needs USAGE and CREATE on schema rolec; an administrator grants them once: GRANT USAGE, CREATE ON SCHEMA rolec TO "deployer";"#),
        "{err}"
    );
    assert!(!member(&pg, "helper", "admin"), "nothing applied");
    // Once granted, the apply creates the table and records the window.
    pg.exec(DB, "GRANT CREATE ON SCHEMA rolec TO deployer").unwrap();
    ok(&rolec(&["apply", "--db", &conn, "--at", T0, policy.s()]));
    assert!(member(&pg, "helper", "admin"));
    assert_eq!(windows(&pg).len(), 1);
    // A reader that may not read the table is refused rather than shown a window that never ends.
    pg.exec(DB, "CREATE ROLE auditor LOGIN").unwrap();
    let out = rolec(&["plan", "--db", &pg.conn_str_as(DB, "auditor"), "--at", T0_5H, policy.s()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("GRANT SELECT ON rolec.windows TO \"auditor\""));
}

/// The scheduled expiry as shipped: the crontab line, the systemd service and the Kubernetes
/// CronJob all run `rolec-expiry.sh`; the script, run with a moved clock, ends the window.
#[test]
fn the_shipped_expiry_schedule_revokes_an_ended_window() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/expiry");
    let script = dir.join("rolec-expiry.sh");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let cron_line = read("crontab").lines().find(|l| l.starts_with("*/5 ")).map(str::to_string).unwrap();
    let command = cron_line.split_whitespace().nth(5).unwrap();
    assert_eq!(command, "/usr/local/bin/rolec-expiry.sh");
    assert!(read("rolec-expiry.service").contains("\nExecStart=/usr/local/bin/rolec-expiry.sh\n"));
    assert!(read("rolec-expiry.timer").contains("\nOnCalendar=*:0/5\n"));
    assert!(read("cronjob.yaml").contains(r#"command: ["/usr/local/bin/rolec-expiry.sh"]"#));
    for var in ["ROLEC_DB", "ROLEC_POLICY"] {
        assert!(read("crontab").contains(&format!("\n{var}=")) && read("rolec-expiry.service").contains(var));
        assert!(read("cronjob.yaml").contains(&format!("name: {var}")));
    }

    let pg = PgCluster::start();
    let policy = Policy::new(ONCALL);
    let run = |at: &str| {
        std::process::Command::new("sh")
            .arg(&script)
            .args(["--at", at])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ROLEC", env!("CARGO_BIN_EXE_rolec"))
            .env("ROLEC_DB", pg.conn_str(DB))
            .env("ROLEC_POLICY", &policy.path)
            .output()
            .unwrap()
    };
    ok(&run(T0));
    assert!(member(&pg, "oncall", "admin"));
    ok(&run(T0_1H));
    assert!(member(&pg, "oncall", "admin"), "still inside the window");
    let out = ok(&run(T0_5H));
    assert!(out.contains(r#"REVOKE "admin" FROM "oncall";"#), "{out}");
    assert!(!member(&pg, "oncall", "admin"), "the window ended");
    ok(&run(T0_6H));
    assert!(!member(&pg, "oncall", "admin"), "a later run does not start it again");
    // Without its settings the script says what is missing.
    let out = std::process::Command::new("sh").arg(&script).env_clear().output().unwrap();
    assert!(!out.status.success() && text(&out.stderr).contains("ROLEC_DB"), "{}", text(&out.stderr));
}
