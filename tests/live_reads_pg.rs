//! How the live commands read a server: the catalogs in a few messages (a plan waits on the
//! server, not on round trips), and values sent as text read back exactly, whatever the names
//! hold.

mod support;

use rolec::live::state::LiveState;
use rolec::model::catalog::LiveObject;
use support::cli::{policy_file, rolec_command};
use support::pg::PgCluster;

const DB: &str = "postgres";

fn state(pg: &PgCluster) -> LiveState {
    let mut c = rolec::live::connect(&pg.conn_str(DB), &|_| None).unwrap();
    rolec::live::introspect(&mut c.client).unwrap()
}

/// The messages rolec sent, as the server logged them with `log_statement = all`: one entry per
/// simple query (however many statements it holds) and per execution of the extended protocol.
/// An entry's lines after the first are those that do not start with the prefix.
fn messages(log: &str) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    for line in log.lines() {
        match line.starts_with("app=") {
            true => entries.push(line.to_string()),
            false => {
                if let Some(last) = entries.last_mut() {
                    last.push('\n');
                    last.push_str(line);
                }
            }
        }
    }
    entries
        .into_iter()
        .filter(|l| l.starts_with("app=rolec ") && (l.contains("LOG:  statement: ") || l.contains("LOG:  execute ")))
        .collect()
}

#[test]
fn a_plan_reads_the_catalogs_in_a_few_messages() {
    let pg = PgCluster::start();
    for sql in ["ALTER SYSTEM SET log_statement = 'all'", "ALTER SYSTEM SET log_line_prefix = 'app=%a '"] {
        pg.exec(DB, sql).unwrap();
    }
    assert!(pg.query_bool(DB, "SELECT pg_reload_conf()"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let policy = policy_file("role app_reader {}\nuser alice { member of app_reader }\n");
    let out = rolec_command().args(["plan", "--db", &pg.conn_str(DB), policy.arg()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sent = messages(&pg.server_log());
    // BEGIN, the version, every catalog read, ROLLBACK; then what may be read of rolec.windows
    // and rolec.roles (absent here). One query per catalog took 14.
    assert!(sent.len() <= 6, "{} messages:\n{}", sent.len(), sent.join("\n"));
    assert!(sent.iter().any(|l| l.contains("pg_auth_members") && l.contains("pg_default_acl")), "{sent:#?}");
}

#[test]
fn names_and_argument_types_read_as_text_are_exact() {
    let pg = PgCluster::start();
    // Names that break naive parsing of PostgreSQL's text forms: array and record delimiters,
    // quotes, backslashes, a newline, `t`, `NULL`.
    pg.exec(
        DB,
        r#"CREATE ROLE "own,{er}";
           CREATE ROLE "NULL";
           CREATE ROLE "t";
           CREATE ROLE "g ""a"",b\{c}
x";
           CREATE SCHEMA "s""{1}" AUTHORIZATION "own,{er}";
           CREATE TYPE "s""{1}"."t,""x}" AS (a int);
           CREATE DOMAIN "s""{1}"."NULL" AS text;
           CREATE FUNCTION "s""{1}"."f(x)"(a "s""{1}"."t,""x}", b "s""{1}"."NULL"[], c text) RETURNS int
             LANGUAGE sql AS 'select 1';
           GRANT EXECUTE ON FUNCTION "s""{1}"."f(x)"("s""{1}"."t,""x}", "s""{1}"."NULL"[], text) TO "NULL";
           ALTER DEFAULT PRIVILEGES FOR ROLE "own,{er}" IN SCHEMA "s""{1}"
             GRANT SELECT, UPDATE ON TABLES TO "g ""a"",b\{c}
x", "t" WITH GRANT OPTION;
           COMMENT ON ROLE "t" IS 'a {comment}, "quoted"';"#,
    )
    .unwrap();
    let state = state(&pg);
    // The same facts read over the extended protocol, as PostgreSQL's binary forms.
    let mut c = pg.client(DB);
    c.batch_execute("SET search_path = pg_catalog").unwrap();
    let args: Vec<String> = c
        .query_one(
            "SELECT ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i)
             FROM pg_proc p WHERE proname = 'f(x)'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(args.len(), 3);
    let args: Vec<String> = args.iter().map(|a| rolec::pg::types::canonical_type(a)).collect();
    let routine = state
        .privileges
        .iter()
        .find(|p| matches!(&p.object, LiveObject::Routine { name, .. } if name == "f(x)"))
        .expect("the function's privileges");
    assert_eq!(
        routine.object,
        LiveObject::Routine { schema: "s\"{1}".into(), name: "f(x)".into(), args: args.clone(), prokind: "f".into() }
    );
    let function = state.objects.iter().find(|o| o.name == "f(x)").expect("the function in the inventory");
    assert_eq!(function.args, args);
    assert!(state.privileges.iter().any(|p| p.object == routine.object && p.grantee.as_deref() == Some("NULL")));

    let mut acl: Vec<(String, String, bool)> = c
        .query(
            "SELECT pg_get_userbyid(a.grantee)::text, a.privilege_type::text, a.is_grantable
             FROM pg_default_acl d, aclexplode(d.defaclacl) a",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    acl.sort();
    let defaults = state.default_privileges.iter().find(|d| d.owner == "own,{er}").expect("the default privileges");
    assert_eq!(defaults.schema.as_deref(), Some("s\"{1}"));
    let mut read: Vec<(String, String, bool)> = defaults
        .acl
        .iter()
        .map(|a| (a.grantee.clone().unwrap_or_default(), a.privilege.clone(), a.grantable))
        .collect();
    read.sort();
    assert_eq!(read, acl);
    assert_eq!(read.len(), 4);

    let t = state.roles.iter().find(|r| r.name == "t").expect("role t");
    assert_eq!(t.comment.as_deref(), Some("a {comment}, \"quoted\""));
    assert!(state.roles.iter().any(|r| r.name == "g \"a\",b\\{c}\nx"));
    assert!(state.schemas.iter().any(|s| s.name == "s\"{1}" && s.owner.as_deref() == Some("own,{er}")));
}
