//! Everything rolec prints as SQL stays inert whatever the names in it contain: `build`'s
//! up.sql/down.sql (plain and `--idempotent --lock`), `plan`'s output and every layout of
//! `diff` are piped to the real `psql` (with psql variables defined) against a throwaway
//! cluster, and the catalog must then be exactly what the policy says — a sentinel role
//! `victim` survives and no `\!` shell command runs.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use rolec::syntax::write::string as q;
use support::pg::{quote_ident, quote_literal, PgCluster};
use support::psql::psql;

const DB: &str = "postgres";
const AT: &str = "2026-06-01";

/// Role names that try every way out of an identifier, a comment or a line.
fn hostile_roles() -> Vec<&'static str> {
    vec![
        "bob\nDROP ROLE victim; --",
        "x\n\\! touch pwned_1\n",
        "*/ /* -- ; DROP ROLE victim;",
        "q'\"\\'; DROP ROLE victim; --",
        "ls\u{2028}\\! touch pwned_2\u{2029}ps\u{85}nel",
        "$$ $rolec$ $$; DROP ROLE victim; $$",
        ":var :'var' :\"var\" :{?var}",
        "vt\u{b}ff\u{c}esc\u{1b}[2J tab\t",
        "-- migrate:down\n-- migrate:down x",
        "\\\\! touch pwned_3",
        "\n\\! touch pwned_4",
    ]
}

/// A schema and a table with hostile names that the tests create and the policy grants on.
const SCHEMA: &str = "sch\n\\! touch pwned_s\n;";
const TABLE: &str = "tab:var\n-- migrate:down z";

/// The policy declaring `roles` (a prefix of [`hostile_roles`] in the old version of a diff):
/// memberships with a hostile reason, a comment, settings, a password from the environment and
/// grants on the hostile schema and table.
fn policy(roles: &[&str]) -> String {
    let mut text = String::from("/// policy with hostile names\n");
    text.push_str(&format!("schema {}\n", q(SCHEMA)));
    for (i, name) in roles.iter().enumerate() {
        let kind = if i == 0 { "user" } else { "role" };
        text.push_str(&format!("{kind} {} {{\n", q(name)));
        if i == 0 {
            text.push_str("  password secret(\"BOB_PW\")\n");
        }
        if i > 0 {
            let reason = "r\n\\! touch pwned_r\n-- migrate:down y';";
            text.push_str(&format!(
                "  member of {} from 2025-01-01 until 2099-01-01 reason {}\n",
                q(roles[i - 1]),
                q(reason)
            ));
        }
        if i == 2 {
            text.push_str(&format!("  grant usage on schema {}\n", q(SCHEMA)));
            text.push_str(&format!("  grant select on table {}.{}\n", q(SCHEMA), q(TABLE)));
        }
        if i % 3 == 1 {
            text.push_str(&format!(
                "  comment {}\n",
                q(&format!("c{i}\n\\! touch pwned_c\n-- migrate:down w'; DROP ROLE victim; --\u{2028}:var"))
            ));
        }
        if i % 4 == 3 {
            // A placeholder parameter: PostgreSQL stores its value as given.
            text.push_str(&format!("  set app.note = {}\n", q("a\nb\\! touch pwned_p :var' $$")));
        }
        text.push_str("}\n");
    }
    text
}

/// A policy directory whose one file has a hostile name (it appears in `-- file:line` comments).
fn policy_dir(parent: &Path, dir: &str, text: &str) -> PathBuf {
    let dir = parent.join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p\nDROP ROLE victim; --\n\\! touch pwned_f.role"), text).unwrap();
    dir
}

fn rolec(args: &[&str], cwd: &Path) -> Output {
    support::cli::rolec_command()
        .args(args)
        .current_dir(cwd)
        .env("BOB_PW", "s3cret-bob")
        .output()
        .expect("cannot run rolec")
}

#[track_caller]
fn rolec_ok(args: &[&str], cwd: &Path) -> String {
    let out = rolec(args, cwd);
    assert!(out.status.success(), "rolec {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A cluster with the sentinel role, the hostile schema and table, and a scratch directory
/// where psql runs.
struct Setup {
    pg: PgCluster,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let pg = PgCluster::start();
        pg.exec(DB, "CREATE ROLE victim").unwrap();
        pg.exec(
            DB,
            &format!("CREATE SCHEMA {0}; CREATE TABLE {0}.{1} (id int)", quote_ident(SCHEMA), quote_ident(TABLE)),
        )
        .unwrap();
        Setup { pg, dir: tempfile::tempdir().unwrap() }
    }

    fn conn(&self) -> String {
        self.pg.conn_str(DB)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a script through psql (from standard input, or the file) and checks that nothing
    /// escaped.
    #[track_caller]
    fn psql(&self, what: &str, script: &str, file: Option<&Path>) {
        if let Err(e) = psql(&self.conn(), self.path(), script, file) {
            panic!(
                "{what}: {e}\n--- script:\n{}",
                file.map(|f| std::fs::read_to_string(f).unwrap()).unwrap_or(script.to_string())
            );
        }
        self.assert_inert(what);
    }

    #[track_caller]
    fn assert_inert(&self, what: &str) {
        assert!(
            self.pg.query_bool(DB, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'victim')"),
            "{what}: the sentinel role was dropped"
        );
        let pwned: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("pwned"))
            .collect();
        assert!(pwned.is_empty(), "{what}: psql ran a shell command: {pwned:?}");
    }

    /// The roles of the cluster other than `postgres`, `pg_*` and the sentinel.
    fn roles(&self) -> BTreeSet<String> {
        self.pg.query_strings(DB, "SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' AND rolname NOT IN ('postgres', 'victim')").into_iter().collect()
    }

    /// `rolec plan --detailed-exitcode` of `dir`: 0 when the database matches the policy.
    fn plan_code(&self, dir: &Path, extra: &[&str]) -> (i32, String) {
        let conn = self.conn();
        let mut args = vec!["plan", "--db", &conn, "--at", AT, "--detailed-exitcode"];
        args.extend_from_slice(extra);
        args.push(dir.to_str().unwrap());
        let out = rolec(&args, self.path());
        (
            out.status.code().unwrap_or(-1),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    }

    /// The database matches the policy in `dir` (declaring exactly `roles`).
    #[track_caller]
    fn assert_matches(&self, what: &str, dir: &Path, roles: &[&str], extra: &[&str]) {
        let expected: BTreeSet<String> = roles.iter().map(|r| r.to_string()).collect();
        assert_eq!(self.roles(), expected, "{what}: the roles are not those of the policy");
        let (code, out) = self.plan_code(dir, extra);
        assert_eq!(code, 0, "{what}: the database does not match the policy:\n{out}");
        let members: BTreeSet<(String, String)> = self
            .pg
            .simple_rows(DB, "SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member")
            .into_iter()
            .map(|row| (row[0].clone().unwrap(), row[1].clone().unwrap()))
            .filter(|(r, _)| !r.starts_with("pg_"))
            .collect();
        let declared: BTreeSet<(String, String)> =
            roles.windows(2).map(|w| (w[0].to_string(), w[1].to_string())).collect();
        assert_eq!(members, declared, "{what}: the memberships are not those of the policy");
    }
}

#[test]
fn psql_reads_a_backslash_or_a_variable_inside_quotes_as_text() {
    let s = Setup::new();
    let name = "a\n\\! touch pwned_q\n:var :'var'";
    s.psql("a quoted identifier across lines", &format!("CREATE ROLE {};\n", quote_ident(name)), None);
    assert_eq!(s.roles(), BTreeSet::from([name.to_string()]));
    s.psql(
        "a string across lines",
        &format!("COMMENT ON ROLE {} IS {};\n", quote_ident(name), quote_literal(name)),
        None,
    );
    assert_eq!(
        s.pg.query_strings(DB, "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname LIKE 'a%'"),
        vec![name.to_string()]
    );
}

#[test]
fn build_scripts_with_hostile_names_are_inert_in_psql() {
    let s = Setup::new();
    let roles = hostile_roles();
    let dir = policy_dir(s.path(), "policy", &policy(&roles));
    let baseline = s.pg.snapshot(DB);
    for flags in [&[][..], &["--idempotent", "--lock"][..]] {
        let out = s.path().join("out");
        let mut args = vec!["build", dir.to_str().unwrap(), "--out", out.to_str().unwrap(), "--at", AT];
        args.extend_from_slice(flags);
        rolec_ok(&args, s.path());
        let up = std::fs::read_to_string(out.join("up.sql")).unwrap();
        assert!(
            up.contains("p\\nDROP ROLE victim; --\\n\\! touch pwned_f.role:"),
            "the file name is escaped in `-- file:line`:\n{up}"
        );
        s.psql(&format!("build {flags:?} up.sql"), "", Some(&out.join("up.sql")));
        s.assert_matches(&format!("build {flags:?} up.sql"), &dir, &roles, &[]);
        s.psql(&format!("build {flags:?} down.sql"), "", Some(&out.join("down.sql")));
        s.pg.snapshot(DB).assert_same(&baseline, &format!("build {flags:?} down.sql"));
    }
}

#[test]
fn plan_with_hostile_names_piped_to_psql_is_inert() {
    let s = Setup::new();
    // Live roles with names the policy language cannot even spell (a carriage return): a login
    // role whose membership the plan revokes (with a note naming it), and a role to drop that
    // owns a table (REASSIGN OWNED to a successor, with a note naming both).
    let carol = "carol\r\n\\! touch pwned_5\r-- migrate:down";
    let group = "grp\r\\! touch pwned_6";
    let old = "old\r\\! touch pwned_7\nDROP ROLE victim; --";
    s.pg.exec(
        DB,
        &format!("CREATE ROLE {0} LOGIN; CREATE ROLE {1}; GRANT {1} TO {0}", quote_ident(carol), quote_ident(group)),
    )
    .unwrap();
    s.pg.exec(
        DB,
        &format!(
            "CREATE ROLE {0}; CREATE TABLE public.owned_by_old (id int); ALTER TABLE public.owned_by_old OWNER TO {0}",
            quote_ident(old)
        ),
    )
    .unwrap();
    let roles = hostile_roles();
    let mut text = policy(&roles);
    text.push_str("manage roles matching \"old*\"\n");
    // The two live roles, in scope by declaration; the language has no escape for `\r`, so
    // they are named through variables set on the command line.
    text.push_str("let carol = \"?\"\nlet grp = \"?\"\nuser \"{carol}\" {}\nrole \"{grp}\" {}\n");
    let dir = policy_dir(s.path(), "policy", &text);
    let carol_set = format!("carol={carol}");
    let group_set = format!("grp={group}");
    let successor = roles[1];
    let extra = ["--set", &carol_set, "--set", &group_set, "--successor", successor];
    let conn = s.conn();
    let mut args = vec!["plan", "--db", &conn, "--at", AT];
    args.extend_from_slice(&extra);
    args.push(dir.to_str().unwrap());
    let plan = rolec_ok(&args, s.path());
    assert!(plan.lines().all(|l| !l.starts_with('\\')), "a line starts with a backslash:\n{plan}");
    s.psql("rolec plan | psql", &plan, None);
    let mut expected = roles.clone();
    expected.extend([carol, group]);
    let all: Vec<&str> = expected.clone();
    let members_ok = s.roles();
    assert_eq!(members_ok, all.iter().map(|r| r.to_string()).collect(), "the old role is dropped, the others exist");
    let (code, out) = s.plan_code(&dir, &extra);
    assert_eq!(code, 0, "a second plan is empty:\n{out}");
    assert!(
        !s.pg.query_bool(
            DB,
            &format!("SELECT pg_has_role({}, {}, 'MEMBER')", quote_literal(carol), quote_literal(group))
        ),
        "carol's membership is revoked"
    );
    assert_eq!(
        s.pg.query_strings(DB, "SELECT tableowner FROM pg_tables WHERE tablename = 'owned_by_old'"),
        vec![successor.to_string()]
    );
}

/// The markers dbmate splits a file at (`^--\s*migrate:(up|down)` followed by nothing or by
/// options after a space), with their line numbers.
fn dbmate_markers(text: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let Some(rest) = line.strip_prefix("--") else {
            continue;
        };
        let rest = rest.trim_start();
        for kind in ["up", "down"] {
            if let Some(after) = rest.strip_prefix("migrate:").and_then(|r| r.strip_prefix(kind)) {
                if after.is_empty() || after.starts_with(char::is_whitespace) {
                    out.push((i, kind));
                }
            }
        }
    }
    out
}

/// A dbmate file's up and down parts, as dbmate reads them.
fn dbmate_split(text: &str) -> (String, String) {
    let markers = dbmate_markers(text);
    assert_eq!(markers.iter().map(|m| m.1).collect::<Vec<_>>(), ["up", "down"], "dbmate markers:\n{text}");
    let lines: Vec<&str> = text.split('\n').collect();
    (lines[markers[0].0 + 1..markers[1].0].join("\n"), lines[markers[1].0 + 1..].join("\n"))
}

#[test]
fn diff_migrations_with_hostile_names_are_inert_in_psql_in_every_layout() {
    let s = Setup::new();
    let new_roles = hostile_roles();
    // The old version: fewer roles, one the new version no longer declares.
    let mut old_roles: Vec<&str> = new_roles[..5].to_vec();
    old_roles.push("gone\n\\! touch pwned_g");
    let old_dir = policy_dir(s.path(), "old", &policy(&old_roles));
    let new_dir = policy_dir(s.path(), "new", &policy(&new_roles));
    let baseline = s.pg.snapshot(DB);
    let built = s.path().join("built-old");
    rolec_ok(&["build", old_dir.to_str().unwrap(), "--out", built.to_str().unwrap(), "--at", AT], s.path());

    // (layout, the up and down scripts it wrote, each a file or a text to pipe)
    let diff = |layout: &str| -> (String, String) {
        let out = s.path().join(format!("diff-{layout}"));
        let _ = std::fs::remove_dir_all(&out);
        let (old, new) = (old_dir.to_str().unwrap(), new_dir.to_str().unwrap());
        let mut args = vec!["diff", old, new, "--at", AT, "--version", "20260601000000"];
        if layout == "stdout" {
            let text = rolec_ok(&args, s.path());
            return dbmate_split(&text);
        }
        args.extend(["--layout", layout, "-o", out.to_str().unwrap()]);
        rolec_ok(&args, s.path());
        let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
        match layout {
            "plain" => (read("up.sql"), read("down.sql")),
            "flyway" => (read("V20260601000000__roles.sql"), read("U20260601000000__roles.sql")),
            "dbmate" => dbmate_split(&read("20260601000000_roles.sql")),
            "golang-migrate" => (read("20260601000000_roles.up.sql"), read("20260601000000_roles.down.sql")),
            "sqitch" => {
                let deploy = read("deploy/roles.sql");
                let verify = read("verify/roles.sql");
                (format!("{deploy}\n{verify}"), read("revert/roles.sql"))
            }
            _ => unreachable!(),
        }
    };
    for layout in ["stdout", "plain", "flyway", "sqitch", "dbmate", "golang-migrate"] {
        let (up, down) = diff(layout);
        for script in [&up, &down] {
            assert!(
                script.lines().all(|l| !l.starts_with('\\')),
                "{layout}: a line starts with a backslash:\n{script}"
            );
            assert!(dbmate_markers(script).is_empty(), "{layout}: a line reads as a dbmate marker:\n{script}");
        }
        s.psql(&format!("{layout}: old up.sql"), "", Some(&built.join("up.sql")));
        s.psql(&format!("{layout}: up"), &up, None);
        s.assert_matches(&format!("{layout}: up"), &new_dir, &new_roles, &[]);
        s.psql(&format!("{layout}: down"), &down, None);
        s.assert_matches(&format!("{layout}: down"), &old_dir, &old_roles, &[]);
        s.psql(&format!("{layout}: old down.sql"), "", Some(&built.join("down.sql")));
        s.pg.snapshot(DB).assert_same(&baseline, &format!("{layout}: back to the start"));
    }
}
