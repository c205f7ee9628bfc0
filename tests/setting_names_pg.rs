//! Setting names as PostgreSQL reads them, checked on a real server: a part of a parameter
//! name that is a reserved (or type/function-name) keyword must be quoted, or the statement
//! is a syntax error (`SET ext.select = …`) or means something else (`RESET all`).

mod support;

use support::build::{compile_ok, options_at, policy, DEFAULT_AT};
use support::pg::PgCluster;

const DB: &str = "postgres";

/// Regression test for keyword parts of custom parameter names written bare.
#[test]
fn keyword_setting_names_apply_and_undo_on_the_server() {
    let pg = PgCluster::start();
    let text = "role r {\n  set ext.select = \"a\"\n  set ext.current_schema = \"b\"\n  set ext.between = \"c\"\n  \
                set work_mem = \"1MB\"\n}\n";
    let options = rolec::model::BuildOptions { target_version: pg.major().clamp(14, 18), ..options_at(DEFAULT_AT) };
    let built = compile_ok(policy(&[("s.role", text)]), options, &[]);
    assert!(built.up.contains(r#"SET ext."select" = 'a'"#), "{}", built.up);
    pg.exec(DB, &built.up).unwrap_or_else(|e| panic!("up.sql: {e}\n{}", built.up));
    let stored =
        "SELECT array_to_string(s.setconfig, '|') = 'ext.select=a|ext.current_schema=b|ext.between=c|work_mem=1MB' \
                  FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'r'";
    assert!(pg.query_bool(DB, stored), "settings as stored");
    pg.exec(DB, &built.down).unwrap_or_else(|e| panic!("down.sql: {e}\n{}", built.down));
    assert!(!pg.query_bool(DB, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'r')"), "down.sql drops r");
}
