//! TLS for live connections against a real PostgreSQL with `ssl=on`, a certificate chain made
//! by the test (tests/support/tls.rs) and pg_hba.conf accepting only TLS over TCP: each sslmode
//! of `rolec::live::tls::connect_one`, what connects, what is refused and why.

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use postgres::{Client, Config};
use rolec::live::tls::{connect_one, SslMode, TlsSettings};
use support::pg::{Listen, PgCluster};
use support::tls::{pki, write_file, ServerCert, CERT_USER};

/// Settings with `home` an empty directory of the test, so that the files of the user running
/// the tests (`~/.postgresql/...`) play no part.
fn settings(mode: SslMode, home: &Path) -> TlsSettings {
    TlsSettings { mode, home: Some(home.to_path_buf()), ..TlsSettings::default() }
}

fn with_root(mode: SslMode, home: &Path, root: &Path) -> TlsSettings {
    TlsSettings { root_cert: Some(root.display().to_string()), ..settings(mode, home) }
}

/// TCP to the cluster's address, the certificate checked against `host`.
fn connect_as(pg: &PgCluster, host: &str, user: &str, tls: &TlsSettings) -> Result<Client, String> {
    let addr = pg.tcp_address().expect("the cluster listens on TCP");
    let mut config = Config::new();
    config
        .host(host)
        .hostaddr(IpAddr::V4(addr))
        .port(support::pg::PORT)
        .user(user)
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(20));
    connect_one(&config, tls, host)
}

fn connect(pg: &PgCluster, host: &str, tls: &TlsSettings) -> Result<Client, String> {
    connect_as(pg, host, "postgres", tls)
}

/// Whether the connection uses TLS, as the server sees it.
fn uses_tls(client: &mut Client) -> bool {
    client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0)
}

#[track_caller]
fn refused(result: Result<Client, String>) -> String {
    match result {
        Ok(_) => panic!("connected, but should have been refused"),
        Err(e) => e,
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn each_sslmode_against_a_server_that_accepts_only_tls() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let home = temp_dir();
    let ca = pg.ca_file();

    let err = refused(connect(&pg, "localhost", &settings(SslMode::Disable, home.path())));
    assert!(err.contains("pg_hba.conf rejects connection") && err.contains("no encryption"), "{err}");
    assert!(err.contains("use sslmode=require"), "{err}");

    for mode in [SslMode::Allow, SslMode::Prefer, SslMode::Require] {
        let mut client = connect(&pg, "localhost", &settings(mode, home.path()))
            .unwrap_or_else(|e| panic!("sslmode={}: {e}", mode.as_str()));
        assert!(uses_tls(&mut client), "sslmode={}", mode.as_str());
    }
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
        let mut client = connect(&pg, "localhost", &with_root(mode, home.path(), &ca))
            .unwrap_or_else(|e| panic!("sslmode={}: {e}", mode.as_str()));
        assert!(uses_tls(&mut client), "sslmode={}", mode.as_str());
    }
    // verify-full against an IP address of the certificate.
    let addr = pg.tcp_address().unwrap().to_string();
    connect(&pg, &addr, &with_root(SslMode::VerifyFull, home.path(), &ca)).unwrap();

    // verify-* needs a root certificate: libpq's words, with the default file's path.
    let err = refused(connect(&pg, "localhost", &settings(SslMode::VerifyCa, home.path())));
    let default_root = home.path().join(".postgresql").join("root.crt");
    assert!(err.starts_with(&format!("root certificate file \"{}\" does not exist", default_root.display())), "{err}");
    // ... which, once there, is used.
    std::fs::create_dir(home.path().join(".postgresql")).unwrap();
    std::fs::copy(&ca, &default_root).unwrap();
    connect(&pg, "localhost", &settings(SslMode::VerifyFull, home.path())).unwrap();
}

#[test]
fn a_certificate_from_another_ca_is_refused_when_the_chain_is_checked() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let home = temp_dir();
    let wrong_ca = write_file(home.path(), "wrong-ca.crt", &pki().wrong_ca_pem, 0o644);

    let err = refused(connect(&pg, "localhost", &with_root(SslMode::VerifyCa, home.path(), &wrong_ca)));
    let expected = format!(
        "not signed by a trusted CA (unknown issuer; trusted: root certificate file \"{}\")",
        wrong_ca.display()
    );
    assert!(err.contains(&expected), "{err}");
    let err = refused(connect(&pg, "localhost", &with_root(SslMode::VerifyFull, home.path(), &wrong_ca)));
    assert!(err.contains("not signed by a trusted CA"), "{err}");
    // As libpq: with a root certificate file, require checks the chain too.
    let err = refused(connect(&pg, "localhost", &with_root(SslMode::Require, home.path(), &wrong_ca)));
    assert!(err.contains("not signed by a trusted CA"), "{err}");
    // prefer then tries without TLS, which this server refuses: both reasons are given.
    let err = refused(connect(&pg, "localhost", &with_root(SslMode::Prefer, home.path(), &wrong_ca)));
    assert!(err.contains("no encryption") && err.contains("not signed by a trusted CA"), "{err}");
}

#[test]
fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let home = temp_dir();
    let ca = pg.ca_file();
    let addr = pg.tcp_address().unwrap().to_string();

    let err = refused(connect(&pg, "db.example.com", &with_root(SslMode::VerifyFull, home.path(), &ca)));
    assert!(err.contains("does not match host name \"db.example.com\""), "{err}");
    assert!(err.ends_with(&format!("it names localhost, 127.0.0.1, {addr}")), "{err}");
    connect(&pg, "db.example.com", &with_root(SslMode::VerifyCa, home.path(), &ca)).unwrap();

    // A server whose certificate does not name the address connected to.
    let other = PgCluster::start_with(Listen::Tls(ServerCert::WithoutAddress));
    let addr = other.tcp_address().unwrap().to_string();
    let err = refused(connect(&other, &addr, &with_root(SslMode::VerifyFull, home.path(), &other.ca_file())));
    assert!(err.contains(&format!("does not match host name \"{addr}\"")), "{err}");
    connect(&other, &addr, &with_root(SslMode::VerifyCa, home.path(), &other.ca_file())).unwrap();
    connect(&other, "localhost", &with_root(SslMode::VerifyFull, home.path(), &other.ca_file())).unwrap();
}

#[test]
fn an_expired_certificate_is_refused_when_the_chain_is_checked() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Expired));
    let home = temp_dir();
    let err = refused(connect(&pg, "localhost", &with_root(SslMode::VerifyCa, home.path(), &pg.ca_file())));
    assert!(err.contains("the server's certificate has expired (valid until 2001-01-01"), "{err}");
    // require without a root certificate checks nothing.
    connect(&pg, "localhost", &settings(SslMode::Require, home.path())).unwrap();
}

#[test]
fn a_revoked_certificate_is_refused() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let home = temp_dir();
    let addr = pg.tcp_address().unwrap();
    let revoking = write_file(home.path(), "revoking.crl", &pki().crl(Some(addr)), 0o644);
    let tls = TlsSettings { crl: Some(revoking), ..with_root(SslMode::VerifyFull, home.path(), &pg.ca_file()) };
    let err = refused(connect(&pg, "localhost", &tls));
    assert!(err.contains("the server's certificate has been revoked"), "{err}");
    // A list that does not name it; the default file ~/.postgresql/root.crl.
    let dir = home.path().join(".postgresql");
    std::fs::create_dir(&dir).unwrap();
    write_file(&dir, "root.crl", &pki().crl(None), 0o644);
    connect(&pg, "localhost", &TlsSettings { crl: None, ..tls.clone() }).unwrap();
    write_file(&dir, "root.crl", &pki().crl(Some(addr)), 0o644);
    let err = refused(connect(&pg, "localhost", &TlsSettings { crl: None, ..tls }));
    assert!(err.contains("revoked"), "{err}");
}

#[test]
fn cert_authentication_needs_the_client_certificate() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    pg.exec("postgres", &format!("CREATE ROLE {CERT_USER} LOGIN")).unwrap();
    let home = temp_dir();
    let ca = pg.ca_file();
    let tls = with_root(SslMode::VerifyFull, home.path(), &ca);

    let err = refused(connect_as(&pg, "localhost", CERT_USER, &tls));
    assert!(err.contains("28000") && err.contains("certificate"), "{err}");
    let default_cert = home.path().join(".postgresql").join("postgresql.crt");
    assert!(
        err.contains(&format!(
            "no client certificate was sent: sslcert is not set and \"{}\" does not exist",
            default_cert.display()
        )),
        "{err}"
    );

    // sslcert and sslkey given.
    let files = temp_dir();
    let cert = write_file(files.path(), "client.crt", &pki().client_cert_pem, 0o644);
    let key = write_file(files.path(), "client.key", &pki().client_key_pem, 0o600);
    let given = TlsSettings { cert: Some(cert.clone()), key: Some(key.clone()), ..tls.clone() };
    let mut client = connect_as(&pg, "localhost", CERT_USER, &given).unwrap();
    let user: String = client.query_one("SELECT current_user::text", &[]).unwrap().get(0);
    assert_eq!(user, CERT_USER);

    // libpq's defaults in ~/.postgresql.
    let dir = home.path().join(".postgresql");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&cert, &default_cert).unwrap();
    let err = refused(connect_as(&pg, "localhost", CERT_USER, &tls));
    let default_key: PathBuf = dir.join("postgresql.key");
    assert!(
        err.contains(&format!("certificate present, but not private key file \"{}\"", default_key.display())),
        "{err}"
    );
    write_file(&dir, "postgresql.key", &pki().client_key_pem, 0o600);
    connect_as(&pg, "localhost", CERT_USER, &tls).unwrap();

    // A key others can read is refused, as libpq does.
    write_file(&dir, "postgresql.key", &pki().client_key_pem, 0o644);
    let err = refused(connect_as(&pg, "localhost", CERT_USER, &tls));
    assert!(
        err.contains(&format!("private key file \"{}\" has group or world access", default_key.display())),
        "{err}"
    );
}

#[test]
fn a_server_without_tls() {
    let pg = PgCluster::start_with(Listen::Tcp);
    let home = temp_dir();
    let ca = write_file(home.path(), "ca.crt", &pki().ca_pem, 0o644);
    for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
        let err = refused(connect(&pg, "localhost", &with_root(mode, home.path(), &ca)));
        let expected = format!("the server does not support TLS, which sslmode={} requires", mode.as_str());
        assert!(err.contains(&expected), "{err}");
    }
    for mode in [SslMode::Disable, SslMode::Allow, SslMode::Prefer] {
        let mut client = connect(&pg, "localhost", &settings(mode, home.path()))
            .unwrap_or_else(|e| panic!("sslmode={}: {e}", mode.as_str()));
        assert!(!uses_tls(&mut client), "sslmode={}", mode.as_str());
    }
}

#[test]
fn a_unix_socket_never_uses_tls() {
    let pg = PgCluster::start_with(Listen::Socket);
    let home = temp_dir();
    let mut config = Config::new();
    config.host_path(pg.dir()).port(support::pg::PORT).user("postgres").dbname("postgres");
    let host = pg.dir().display().to_string();
    // As libpq: even verify-full, and without a root certificate.
    connect_one(&config, &settings(SslMode::VerifyFull, home.path()), &host).unwrap();
}

#[test]
fn system_roots_ask_for_verify_full() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let home = temp_dir();
    let tls = TlsSettings { root_cert: Some("system".into()), ..settings(SslMode::Require, home.path()) };
    let err = refused(connect(&pg, "localhost", &tls));
    assert!(err.contains("weak sslmode \"require\" may not be used with sslrootcert=system"), "{err}");
    // The test CA is in no system store.
    let tls = TlsSettings { mode: SslMode::VerifyFull, ..tls };
    let err = refused(connect(&pg, "localhost", &tls));
    assert!(err.contains("not signed by a trusted CA") || err.contains("system's CA store"), "{err}");
}

#[test]
fn the_tls_harness_hands_out_a_verify_full_connection_string() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let conn = pg.conn_str("postgres");
    assert!(conn.contains("sslmode=verify-full") && conn.contains("host=localhost"), "{conn}");
    let dir = temp_dir();
    let out = support::psql::psql(
        &conn,
        dir.path(),
        "SELECT 'tls:' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();",
        None,
    )
    .unwrap();
    assert!(out.contains("tls:true"), "{out}");
    // Without TLS, TCP is refused; the harness's own connections use the socket.
    let plain = conn.replace("sslmode=verify-full", "sslmode=disable");
    let err = support::psql::psql(&plain, dir.path(), "SELECT 1;", None).unwrap_err();
    assert!(err.contains("no encryption"), "{err}");
    assert!(pg.query_bool("postgres", "SELECT true"));
}

/// The command line end to end: `--db` and `PGSSL*` carry the TLS settings to the live
/// commands, and a refusal names the host, the port, the sslmode and the reason.
#[test]
fn the_live_commands_connect_over_tls_and_say_why_they_cannot() {
    let pg = PgCluster::start_with(Listen::Tls(ServerCert::Valid));
    let home = temp_dir();
    let addr = pg.tcp_address().expect("the cluster listens on TCP");
    let ca = pg.ca_file();
    let wrong_ca = write_file(home.path(), "wrong-ca.crt", &pki().wrong_ca_pem, 0o644);
    let db = format!("host=localhost hostaddr={addr} port={} user=postgres dbname=postgres", support::pg::PORT);
    let snapshot = |db: &str, env: &[(&str, &str)]| {
        let mut cmd = support::cli::rolec_command();
        cmd.env("HOME", home.path()).args(["snapshot", "--db", db]).envs(env.iter().copied());
        cmd.output().unwrap()
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();

    let ok = snapshot(&format!("{db} sslmode=verify-full sslrootcert={}", ca.display()), &[]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("\"roles\""), "{}", text(&ok.stdout));
    // The same from the environment, as libpq reads it.
    let ca_text = ca.display().to_string();
    let ok = snapshot(&db, &[("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", &ca_text)]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));

    let wrong = snapshot(&format!("{db} sslmode=verify-full sslrootcert={}", wrong_ca.display()), &[]);
    assert!(!wrong.status.success(), "{}", text(&wrong.stderr));
    let err = text(&wrong.stderr);
    assert!(err.contains("localhost") && err.contains(&support::pg::PORT.to_string()), "{err}");
    assert!(err.contains("verify-full") && err.to_lowercase().contains("certificate"), "{err}");

    let plain = snapshot(&format!("{db} sslmode=disable"), &[]);
    assert!(!plain.status.success());
    assert!(text(&plain.stderr).contains("sslmode=require"), "{}", text(&plain.stderr));
}
