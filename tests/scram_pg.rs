//! rolec's SCRAM-SHA-256 verifiers against PostgreSQL's own.

mod support;

use std::time::{Duration, Instant};

use rolec::pg::scram;
use support::pg::{quote_ident, quote_literal, PgCluster};

/// Parses `SCRAM-SHA-256$<iter>:<salt>$...` independently of rolec's parser.
fn iterations_and_salt(stored: &str) -> (u32, Vec<u8>) {
    use base64::Engine as _;
    let rest = stored.strip_prefix("SCRAM-SHA-256$").expect("a SCRAM verifier");
    let (params, _keys) = rest.split_once('$').unwrap();
    let (iterations, salt) = params.split_once(':').unwrap();
    let salt = base64::engine::general_purpose::STANDARD.decode(salt).unwrap();
    (iterations.parse().unwrap(), salt)
}

fn stored_password(pg: &PgCluster, role: &str) -> String {
    let sql = format!("SELECT rolpassword FROM pg_authid WHERE rolname = {}", quote_literal(role));
    let rows = pg.query_strings("postgres", &sql);
    assert_eq!(rows.len(), 1, "{role}: {rows:?}");
    rows.into_iter().next().unwrap()
}

/// Lets PostgreSQL hash `password` and returns what it stored.
fn postgres_verifier(pg: &PgCluster, role: &str, password: &str, iterations: Option<u32>) -> String {
    let mut sql = String::from("SET password_encryption = 'scram-sha-256';");
    if let Some(n) = iterations {
        sql += &format!("SET scram_iterations = {n};");
    }
    sql += &format!("CREATE ROLE {} LOGIN PASSWORD {}", quote_ident(role), quote_literal(password));
    pg.exec("postgres", &sql).unwrap();
    stored_password(pg, role)
}

#[test]
fn verifier_equals_postgresqls() {
    let pg = PgCluster::start();
    let passwords = [
        "some pw",
        "x",
        "quote ' double \" backslash \\ dollar $ colon :",
        "a much longer password, longer than the 64-byte SHA-256 block size used by HMAC .........",
        // Non-ASCII but left unchanged by SASLprep (precomposed, NFKC-stable): raw UTF-8 agrees.
        "p\u{e4}ssw\u{f6}rd \u{65e5}\u{672c}",
    ];
    for (i, pw) in passwords.iter().enumerate() {
        let role = format!("x{i}");
        let stored = postgres_verifier(&pg, &role, pw, None);
        scram::validate_verifier(&stored).unwrap();
        let (iterations, salt) = iterations_and_salt(&stored);
        assert_eq!(iterations, 4096);
        assert_eq!(salt.len(), scram::SALT_LEN);
        assert_eq!(scram::verifier(pw, &salt, iterations), stored, "password {pw:?}");
        assert!(scram::parse_verifier(&stored).unwrap().matches(pw));
    }
    // Another iteration count (settable since PostgreSQL 16).
    if pg.major() >= 16 {
        let stored = postgres_verifier(&pg, "iter", "some pw", Some(1000));
        let (iterations, salt) = iterations_and_salt(&stored);
        assert_eq!(iterations, 1000);
        assert_eq!(scram::verifier("some pw", &salt, iterations), stored);
    }
}

/// PostgreSQL does not store an empty password (it clears it with a NOTICE): rolec must not
/// expect a verifier for "".
#[test]
fn empty_password_is_cleared_by_postgresql() {
    let pg = PgCluster::start();
    let notices = pg.exec_collect_notices("postgres", "CREATE ROLE e LOGIN PASSWORD ''").unwrap();
    assert!(notices.iter().any(|n| n.contains("empty string is not a valid password")), "{notices:?}");
    assert_eq!(stored_password(&pg, "e"), "<NULL>");
}

/// Documents the known divergence: PostgreSQL applies SASLprep (here: U+00A0 NO-BREAK SPACE is
/// mapped to a plain space), rolec hashes the raw UTF-8 bytes.
#[test]
fn non_ascii_password_changed_by_saslprep_differs() {
    let pg = PgCluster::start();
    let pw = "a\u{a0}b";
    assert!(scram::saslprep_may_change(pw));
    let stored = postgres_verifier(&pg, "nbsp", pw, None);
    let (iterations, salt) = iterations_and_salt(&stored);
    assert_ne!(scram::verifier(pw, &salt, iterations), stored);
    assert_eq!(scram::verifier("a b", &salt, iterations), stored);
}

#[test]
fn postgresql_stores_rolec_verifier_verbatim_and_accepts_the_password() {
    let pg = PgCluster::start();
    let (role, pw) = ("y", "correct horse battery staple");
    let verifier = scram::verifier(pw, &scram::deterministic_salt(role, pw), scram::DEFAULT_ITERATIONS);
    scram::validate_verifier(&verifier).unwrap();
    pg.exec("postgres", &format!("CREATE ROLE {} LOGIN PASSWORD {}", quote_ident(role), quote_literal(&verifier)))
        .unwrap();
    assert_eq!(stored_password(&pg, role), verifier);

    // Now log in with the password over SCRAM: require scram-sha-256 for `y` and reload.
    let hba = pg.query_strings("postgres", "SHOW hba_file").remove(0);
    let old = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("local all y scram-sha-256\n{old}")).unwrap();
    assert!(pg.query_bool("postgres", "SELECT pg_reload_conf()"));
    let connect = |password: &str| {
        let mut config: postgres::Config = pg.conn_str_as("postgres", role).parse().unwrap();
        config.password(password);
        config.connect(postgres::NoTls)
    };
    // The reload is asynchronous: wait until a wrong password is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match connect("wrong password") {
            Err(e) if e.as_db_error().map(|d| d.code().code()) == Some("28P01") => break,
            other => {
                assert!(Instant::now() < deadline, "hba reload not effective: {:?}", other.err());
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let mut client = connect(pw).expect("SCRAM login with the password rolec hashed");
    let who: String = client.query_one("SELECT current_user::text", &[]).unwrap().get(0);
    assert_eq!(who, "y");
}
