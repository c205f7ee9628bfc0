//! `rolec usage` on a real server's log: a cluster writes csvlog, jsonlog and stderr logs with
//! `log_connections=on`; some login roles connect, others never do; the real binary reads the
//! files the server wrote and the live catalog.

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::pg::PgCluster;

/// A login role whose name holds a line break and an escape sequence, and reads as a log line
/// (within the 63 bytes of a name).
const HOSTILE: &str = "ev\"il\nLOG:  connection authorized: user=x\u{1b}[2J";

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("cannot run rolec")
}

#[track_caller]
fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn login<'a>(report: &'a Value, role: &str) -> &'a Value {
    report["login_roles"].as_array().unwrap().iter().find(|r| r["role"] == role).unwrap_or_else(|| panic!("{role}"))
}

fn group(report: &Value, role: &str) -> String {
    let g = report["group_roles"].as_array().unwrap().iter().find(|r| r["role"] == role).unwrap();
    g["status"].as_str().unwrap().to_string()
}

/// The major version of the server binaries (`postgres --version`: `postgres (PostgreSQL) 15.8 …`).
fn server_major() -> u32 {
    let out = std::process::Command::new(support::pg::bin_dir().join("postgres")).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(2).unwrap_or_else(|| panic!("{text}"));
    version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or_else(|| panic!("{text}"))
}

/// A cluster logging every connection as csvlog, jsonlog (15+) and stderr through the
/// logging collector.
fn logging_cluster() -> PgCluster {
    let destinations = if server_major() >= 15 { "csvlog,jsonlog,stderr" } else { "csvlog,stderr" };
    let destination = format!("log_destination={destinations}");
    PgCluster::start_with_settings(&["logging_collector=on", &destination, "log_connections=on"])
}

/// The log files of the cluster, once each holds a login of `role` (the collector writes
/// them asynchronously).
fn log_files_with(pg: &PgCluster, role: &str) -> Vec<PathBuf> {
    let dir = pg.dir().join("data").join("log");
    let wanted = if pg.major() >= 15 { 3 } else { 2 };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).into_iter().flatten().map(|e| e.unwrap().path()).collect();
        files.sort();
        let logged = |f: &PathBuf| std::fs::read_to_string(f).unwrap_or_default().contains(role);
        if files.len() == wanted && files.iter().all(logged) {
            return files;
        }
        assert!(Instant::now() < deadline, "no login of {role:?} in {files:?}\n{}", pg.server_log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn days_from_now(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn usage_reads_the_logins_of_a_real_servers_logs() {
    let pg = logging_cluster();
    let hostile = support::pg::quote_ident(HOSTILE);
    pg.exec(
        "postgres",
        &format!(
            "CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE dave LOGIN;
             CREATE ROLE {hostile} LOGIN;
             CREATE ROLE app; CREATE ROLE base; CREATE ROLE ops; CREATE ROLE audit; CREATE ROLE lonely;
             GRANT app TO alice; GRANT base TO app; GRANT ops TO bob; GRANT audit TO carol; GRANT lonely TO app;
             REVOKE lonely FROM app;"
        ),
    )
    .unwrap();
    for role in ["alice", "bob", HOSTILE] {
        pg.exec_as("postgres", role, "SELECT 1").unwrap();
    }
    // dave's session stays open while rolec runs: pg_stat_activity sees it.
    let mut dave = pg.client_as("postgres", "dave");
    dave.simple_query("SELECT 1").unwrap();
    let files = log_files_with(&pg, "dave");
    let conn = pg.conn_str("postgres");
    let mut args = vec!["usage", "--db", &conn, "--format", "json", "--log"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));

    // 100 days on, with a 120-day window: every login of the logs is recent, carol never logged in.
    let at = days_from_now(100);
    let recent = json_of(&rolec(&[&args[..], &["--at", &at, "--days", "120"]].concat()));
    for role in ["alice", "bob", HOSTILE, "postgres"] {
        assert_eq!(login(&recent, role)["recent"], true, "{role}: {recent:#}");
        assert_eq!(login(&recent, role)["source"], "log", "{role}");
    }
    assert_eq!(login(&recent, "dave")["source"], "pg_stat_activity", "{recent:#}");
    assert_eq!(login(&recent, "carol")["last_seen"], Value::Null);
    assert_eq!(login(&recent, "carol")["recent"], false);
    assert_eq!(recent["sessions"], 1, "dave's, not rolec's own");
    // alice → app → base; bob → ops; carol (never seen) → audit; lonely: nobody.
    assert_eq!(group(&recent, "app"), "used");
    assert_eq!(group(&recent, "base"), "used");
    assert_eq!(group(&recent, "ops"), "used");
    assert_eq!(group(&recent, "audit"), "reached_only_by_unused");
    assert_eq!(group(&recent, "lonely"), "unreached");
    for f in recent["logs"]["files"].as_array().unwrap() {
        // Each file holds the logins of alice, bob, dave, the hostile role, and postgres's.
        let form = f["form"].as_str().unwrap();
        let expected_skips = u64::from(form == "stderr"); // the hostile name is uncertain there
        assert_eq!(f["skipped"], expected_skips, "{f:#}");
        assert!(f["logins"].as_u64().unwrap() >= 5 - expected_skips, "{f:#}");
    }
    assert!(recent["logs"]["from"].is_string());

    // The same logs with a 50-day window: the logins are too old now.
    let old = json_of(&rolec(&[&args[..], &["--at", &at, "--days", "50"]].concat()));
    assert_eq!(login(&old, "alice")["recent"], false);
    assert_eq!(login(&old, "alice")["last_seen"], login(&recent, "alice")["last_seen"]);
    assert_eq!(group(&old, "ops"), "reached_only_by_unused");
    drop(dave);
}

#[test]
fn usage_in_words_marks_the_policys_roles_and_prints_names_inert() {
    let pg = logging_cluster();
    let hostile = support::pg::quote_ident(HOSTILE);
    pg.exec(
        "postgres",
        &format!("CREATE ROLE alice LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE {hostile} LOGIN; CREATE ROLE lonely;"),
    )
    .unwrap();
    pg.exec_as("postgres", HOSTILE, "SELECT 1").unwrap();
    pg.exec_as("postgres", "alice", "SELECT 1").unwrap();
    let files = log_files_with(&pg, "alice");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.role");
    std::fs::write(&policy, "user carol {}\nrole lonely {}\n").unwrap();
    let conn = pg.conn_str("postgres");
    let at = days_from_now(100);
    let mut args = vec!["usage", "--db", &conn, "--at", &at, "--days", "120", policy.to_str().unwrap(), "--log"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = rolec(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.lines().any(|l| l.starts_with("  \"carol\"  never in the logs read (they go back to ")
            && l.contains(&format!("  declared at {}:1:", policy.display()))),
        "{text}"
    );
    assert!(text.contains(&format!("  \"lonely\"  declared at {}:2:", policy.display())), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("  \"alice\"  last seen ") && l.ends_with("not in the policy")),
        "{text}"
    );
    // The hostile name is one escaped line: no line of the report is forged, no escape sequence printed.
    assert!(text.contains("  U&\"ev\"\"il\\000aLOG:  connection authorized: user=x\\001b[2J\"  last seen "), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("LOG:")), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn a_log_file_that_cannot_be_read_is_an_error_naming_it() {
    let pg = PgCluster::start();
    let conn = pg.conn_str("postgres");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    let out = rolec(&["usage", "--db", &conn, "--log", missing.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with(&format!("error: {}: ", missing.display())), "{err}");
    // A directory is not a log file either.
    let out = rolec(&["usage", "--db", &conn, "--log", dir.path().to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}
