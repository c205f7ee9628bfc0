//! `rolec.toml` for the live commands, on a real throwaway cluster: `[live] manage` puts the
//! matching roles in the managed scope of `plan` and `check`, and `--manage` replaces it.

mod support;

use std::process::Output;

use support::pg::PgCluster;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn live_manage_of_the_project_file_and_its_flag() {
    let pg = PgCluster::start();
    pg.exec("postgres", "CREATE ROLE app_old; CREATE ROLE other_old;").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rolec.toml"), "[live]\nmanage = [\"app_*\"]\n").unwrap();
    std::fs::write(dir.path().join("p.role"), "role app_reader {}\n").unwrap();
    let conn = pg.conn_str("postgres");
    let rolec = |args: &[&str]| support::cli::rolec_command().args(args).current_dir(dir.path()).output().unwrap();

    let out = rolec(&["plan", "--db", &conn]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("DROP ROLE \"app_old\";"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("other_old"), "{}", stdout(&out));
    let out = rolec(&["check", "--db", &conn, "--quiet"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("app_old"), "{}", stdout(&out));

    // `--manage` replaces the file's globs.
    let out = rolec(&["plan", "--db", &conn, "--manage", "other_*", "p.role"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("DROP ROLE \"other_old\";"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("app_old"), "{}", stdout(&out));
}
