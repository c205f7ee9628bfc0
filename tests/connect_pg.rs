//! Connecting like libpq, end to end: the `rolec` binary against real clusters, with the
//! password file, service files, several hosts and `application_name`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use support::pg::{quote_ident, quote_literal, PgCluster};

const DB: &str = "postgres";

/// `rolec` with an empty environment but for `vars` (HOME included), so that nothing of the
/// machine's (~/.pgpass, PG* variables) decides where it connects.
fn rolec(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rolec"));
    cmd.env_clear().args(args).envs(vars.iter().copied()).output().expect("cannot run rolec")
}

fn all_output(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn socket_dir(pg: &PgCluster) -> String {
    pg.dir().to_string_lossy().into_owned()
}

fn write_file(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A LOGIN role `user` with `password`, which must log in with it over the socket
/// (scram-sha-256 in pg_hba.conf); returns once the server asks for the password.
fn password_login(pg: &PgCluster, user: &str, password: &str) {
    let sql = format!(
        "SET password_encryption = 'scram-sha-256'; CREATE ROLE {} LOGIN PASSWORD {}",
        quote_ident(user),
        quote_literal(password)
    );
    pg.exec(DB, &sql).unwrap();
    let hba = pg.query_strings(DB, "SHOW hba_file").remove(0);
    let old = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("local all {user} scram-sha-256\n{old}")).unwrap();
    assert!(pg.query_bool(DB, "SELECT pg_reload_conf()"));
    // The reload is asynchronous: wait until a login without a password is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pg.try_client_as(DB, user).is_ok() {
        assert!(Instant::now() < deadline, "hba reload not effective");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_password_file_logs_in_and_is_ignored_when_others_may_read_it() {
    let pg = PgCluster::start();
    password_login(&pg, "alice", "pw:with\\escapes");
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap();
    let dir = socket_dir(&pg);
    let db = format!("host={dir} user=alice dbname={DB}");
    let pgpass = home.path().join(".pgpass");
    // The first line matches another user; the socket directory is the host name.
    let lines = format!("*:*:*:bob:not-this\n{dir}:5432:*:alice:pw\\:with\\\\escapes\n");
    write_file(&pgpass, &lines, 0o600);

    // ~/.pgpass
    let out = rolec(&["snapshot", "--db", &db], &[("HOME", home_s)]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"alice\""));

    // PGPASSFILE, elsewhere; the password never appears.
    let other = home.path().join("elsewhere");
    std::fs::rename(&pgpass, &other).unwrap();
    let passfile = other.to_str().unwrap();
    let out = rolec(&["snapshot", "--db", &db], &[("HOME", home_s), ("PGPASSFILE", passfile)]);
    assert!(out.status.success(), "{}", all_output(&out));
    let out = rolec(&["snapshot", "--db", &db], &[("HOME", home_s)]);
    assert!(!out.status.success());
    let text = all_output(&out);
    assert!(text.contains("password missing") && text.contains("PGPASSFILE"), "{text}");

    // Group- or world-readable: ignored with a warning.
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = rolec(&["snapshot", "--db", &db], &[("HOME", home_s), ("PGPASSFILE", passfile)]);
    let text = all_output(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("warning: password file \"{passfile}\" has group or world access")), "{text}");

    // A wrong password from the file: the error says where it came from, never the password.
    write_file(&other, &format!("{dir}:*:*:alice:wrong-secret\n"), 0o600);
    let out = rolec(&["snapshot", "--db", &db], &[("HOME", home_s), ("PGPASSFILE", passfile)]);
    let text = all_output(&out);
    assert!(text.contains("28P01") && text.contains(&format!("password retrieved from file \"{passfile}\"")), "{text}");
    assert!(!text.contains("wrong-secret"), "{text}");
}

#[test]
fn a_service_names_the_server_and_wins_over_the_environment() {
    let pg = PgCluster::start();
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap();
    let dir = socket_dir(&pg);
    let file = home.path().join("services.conf");
    write_file(&file, &format!("[app]\nhost={dir}\nuser=postgres\ndbname={DB}\n"), 0o644);
    let file_s = file.to_str().unwrap();
    // PGHOST points nowhere: the service's host comes first (libpq's order).
    let nowhere = home.path().join("no-server");
    let env = [("HOME", home_s), ("PGSERVICEFILE", file_s), ("PGHOST", nowhere.to_str().unwrap())];
    for (db, service) in [("service=app", None), ("", Some("app"))] {
        let mut vars = env.to_vec();
        vars.extend(service.map(|s| ("PGSERVICE", s)));
        let out = rolec(&["snapshot", "--db", db], &vars);
        assert!(out.status.success(), "{db:?} {service:?}: {}", all_output(&out));
    }
    // ~/.pg_service.conf when PGSERVICEFILE is unset.
    std::fs::rename(&file, home.path().join(".pg_service.conf")).unwrap();
    let out = rolec(&["snapshot", "--db", "service=app"], &[("HOME", home_s), ("PGSYSCONFDIR", home_s)]);
    assert!(out.status.success(), "{}", all_output(&out));
    // An unknown service is an error.
    let out = rolec(&["snapshot", "--db", "service=nope"], &[("HOME", home_s), ("PGSYSCONFDIR", home_s)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(all_output(&out).contains("definition of service \"nope\" not found"), "{}", all_output(&out));
}

/// `rolec plan` against `db`: its output and whether it succeeded.
fn plan(db: &str, policy: &Path) -> (bool, String) {
    let out = rolec(&["plan", "--db", db, policy.to_str().unwrap()], &[("HOME", "/nonexistent")]);
    (out.status.success(), all_output(&out))
}

fn policy(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.role");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn hosts_are_tried_in_order() {
    let pg = PgCluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let policy = policy(tmp.path(), "role reader {}\n");
    let down = tmp.path().join("down");
    let dir = socket_dir(&pg);
    let (ok, text) = plan(&format!("host={},{dir} user=postgres dbname={DB}", down.display()), &policy);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("on `{dir}` port 5432")), "{text}");
    // Every host down: each is named with its port and reason, and the sslmode.
    let (ok, text) = plan(&format!("host={0},{0} port=5432,5433 user=postgres", down.display()), &policy);
    assert!(!ok);
    assert!(
        text.contains("cannot connect to database `postgres` as `postgres` (sslmode=prefer), no host accepted:"),
        "{text}"
    );
    for port in [5432, 5433] {
        assert!(text.contains(&format!("`{}` port {port}: ", down.display())), "{text}");
    }
}

#[test]
fn read_write_skips_a_standby() {
    // The first host is a real hot standby of the second (a streaming base backup).
    if !PgCluster::standby_supported() {
        eprintln!("skipped: no pg_basebackup beside the server binaries (ROLEC_PG_BIN)");
        return;
    }
    let primary = PgCluster::start();
    let read_only = PgCluster::start_standby_of(&primary);
    assert_eq!(read_only.query_strings(DB, "SELECT pg_is_in_recovery()::text"), ["true"]);
    let tmp = tempfile::tempdir().unwrap();
    let policy = policy(tmp.path(), "role conn_test_reader {}\n");
    let hosts = format!("host={},{} user=postgres dbname={DB}", socket_dir(&read_only), socket_dir(&primary));
    let exists =
        |pg: &PgCluster| pg.query_bool(DB, "SELECT count(*) = 1 FROM pg_roles WHERE rolname = 'conn_test_reader'");
    let apply = |db: &str| {
        let out = rolec(&["apply", "--db", db, policy.to_str().unwrap()], &[("HOME", "/nonexistent")]);
        (out.status.success(), all_output(&out))
    };
    // Without target_session_attrs the first host is taken, and the apply fails there.
    let (ok, text) = apply(&hosts);
    assert!(!ok && text.contains("read-only transaction"), "{text}");
    let (ok, text) = apply(&format!("{hosts} target_session_attrs=read-write"));
    assert!(ok, "{text}");
    assert!(exists(&primary));
    // Nothing writable: each host's reason.
    let (ok, text) =
        plan(&format!("host={} user=postgres target_session_attrs=read-write", socket_dir(&read_only)), &policy);
    assert!(!ok && text.contains("session is read-only"), "{text}");
}

#[test]
fn application_name_is_rolec_unless_given() {
    let pg = PgCluster::start();
    // Seen by the server in the session (pg_stat_activity)...
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    let sql = "SELECT application_name::text FROM pg_stat_activity WHERE pid = pg_backend_pid()";
    let name: String = c.client.query_one(sql, &[]).unwrap().get(0);
    assert_eq!(name, "rolec");
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|v| (v == "PGAPPNAME").then(|| "from-env".into())).unwrap();
    let name: String = c.client.query_one(sql, &[]).unwrap().get(0);
    assert_eq!(name, "from-env");
    // ...and in the server log of the statements a command runs.
    for sql in ["ALTER SYSTEM SET log_statement = 'all'", "ALTER SYSTEM SET log_line_prefix = 'app=%a '"] {
        pg.exec(DB, sql).unwrap();
    }
    assert!(pg.query_bool(DB, "SELECT pg_reload_conf()"));
    std::thread::sleep(Duration::from_millis(300));
    for (extra, name) in [("", "rolec"), (" application_name=deploy-42", "deploy-42")] {
        let db = format!("{}{extra}", pg.conn_str(DB));
        let out = rolec(&["snapshot", "--db", &db], &[("HOME", "/nonexistent")]);
        assert!(out.status.success(), "{}", all_output(&out));
        let log = pg.server_log();
        assert!(log.lines().any(|l| l.starts_with(&format!("app={name} ")) && l.contains("pg_")), "{name}:\n{log}");
    }
}

#[test]
fn no_user_anywhere_is_the_os_user() {
    let pg = PgCluster::start();
    let os_user = String::from_utf8(std::process::Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let os_user = os_user.trim();
    // No PGUSER, USER or LOGNAME; a role named like the OS user does not exist, so the error names it.
    let out =
        rolec(&["snapshot", "--db", &format!("host={} dbname={DB}", socket_dir(&pg))], &[("HOME", "/nonexistent")]);
    let text = all_output(&out);
    assert!(!out.status.success());
    assert!(
        text.contains(&format!("as `{os_user}`")) && text.contains(&format!("role \"{os_user}\" does not exist")),
        "{text}"
    );
    pg.exec(DB, &format!("CREATE ROLE {} LOGIN", quote_ident(os_user))).unwrap();
    let out =
        rolec(&["snapshot", "--db", &format!("host={} dbname={DB}", socket_dir(&pg))], &[("HOME", "/nonexistent")]);
    assert!(out.status.success(), "{}", all_output(&out));
}

/// A server that accepts the connection and then never answers: `connect_timeout` bounds the
/// whole attempt, as in libpq, and the command says so instead of waiting forever.
#[test]
fn connect_timeout_bounds_a_server_that_never_answers() {
    // The kernel completes the TCP handshake for the listener's backlog; nobody ever reads.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let db = format!("host=127.0.0.1 port={port} user=u dbname=d sslmode=disable connect_timeout=2");
    let started = Instant::now();
    let out = rolec_within_20s(&["snapshot", "--db", &db], &[("HOME", "/nonexistent")]);
    assert!(!out.status.success());
    let text = all_output(&out);
    assert!(text.contains("127.0.0.1") && text.contains(&port) && text.contains("timeout expired"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    drop(silent);
}

/// Runs rolec, failing the test if it has not finished within 20 s.
fn rolec_within_20s(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut child = support::cli::rolec_command()
        .args(args)
        .envs(vars.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("rolec {args:?} still waits after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A FIFO where a connection setting names a file (the service file, a root certificate, a
/// client certificate, the password file) is refused or skipped at once, never waited on.
#[test]
fn a_fifo_for_a_connection_file_never_holds_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo = fifo.to_str().unwrap();
    let home = ("HOME", "/nonexistent");
    let out = rolec_within_20s(&["snapshot", "--db", "service=x"], &[("PGSERVICEFILE", fifo), home]);
    assert!(all_output(&out).contains("service \"x\" not found"), "{}", all_output(&out));
    let tcp = "host=localhost hostaddr=127.0.0.1 port=1 user=u";
    let db = format!("{tcp} sslmode=verify-full sslrootcert={fifo}");
    let out = rolec_within_20s(&["snapshot", "--db", &db], &[home]);
    assert!(all_output(&out).contains("not a regular file (a FIFO)"), "{}", all_output(&out));
    let db = format!("{tcp} sslmode=require sslcert={fifo} sslkey={fifo}");
    let out = rolec_within_20s(&["snapshot", "--db", &db], &[home]);
    assert!(all_output(&out).contains("not a regular file (a FIFO)"), "{}", all_output(&out));
    let out = rolec_within_20s(&["snapshot", "--db", tcp], &[("PGPASSFILE", fifo), home]);
    assert!(!out.status.success() && all_output(&out).contains("not a plain file"), "{}", all_output(&out));
}
