//! The live commands against PostgreSQL over time. For random policies (roles, users,
//! memberships with admin options and time windows, grants including bulk grants and grant
//! options, schema owners and creators, `defaults` blocks, a `public` block): four applies
//! of the `rolec` binary at `--at` times that pass the windows, and between them random
//! out-of-band changes made with SQL as other roles (see `support/live_diff.rs`, `Kind`).
//! Around each apply:
//! - `rolec check --format json` before it reported exactly the changes then made: its plan
//!   is the list of statements the apply recorded in `rolec.ledger`, it has a ✗ finding iff
//!   the plan is not empty, and the ✗ findings and the statements name the same roles;
//! - after it, `rolec plan` is empty;
//! - after it, every answer of PostgreSQL equals what the policy means at that `--at`:
//!   `has_table/column/sequence/function/schema/database_privilege` for every policy role ×
//!   object × privilege, plainly and `WITH GRANT OPTION`, as `PrivilegeAnalysis::answer`;
//!   on the objects created later as `answer_future` (or a bulk grant, which the apply
//!   expands over them); `has_type_privilege` on types as the built-in default; `pg_has_role`
//!   for every policy role × every policy or hand-made role in each mode, as the membership
//!   analysis.
//!
//! `ROLEC_LIVEDIFF_KINDS` selects the change kinds (`all`, or names separated by commas;
//! default: all but `support::live_diff::NOT_YET`, and `NOT_YET_FROM_16` on 16+);
//! `PROPTEST_CASES` the number of policies (4); `ROLEC_PG_BIN` the server (15 by default;
//! 14 to 18).

#[path = "support/live_diff.rs"]
mod live_diff;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use live_diff::{kind_name, privilege, with_options, Case, Kind, Seed, DB, SETUP, TIMES};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rolec::analysis::membership::Mode;
use rolec::analysis::privileges::{effective, FutureKind, FutureObject, Grounds, ObjectRef, PrivilegeAnalysis};
use rolec::analysis::reach;
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use rolec::syntax::ast::Privilege;
use support::pg::{quote_ident as q, PgCluster};

// ---- what the policy means ----------------------------------------------------------------------

/// The analysis of a policy at one `--at`, and the roles whose objects created later the policy
/// gives default privileges (schema owners and creators, `defaults for role` roles).
struct Oracle {
    privileges: PrivilegeAnalysis,
    with_defaults: Vec<String>,
}

fn oracle(text: &str, version: u32, at: i64) -> Oracle {
    let options = BuildOptions { target_version: version, at, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), options)
        .expect("in-memory sources load");
    let errors: Vec<String> = ws
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    assert!(errors.is_empty(), "policy has errors: {errors:?}\n--- policy:\n{text}");
    let model = ws.resolved().model.clone();
    let mut with_defaults: Vec<String> = model
        .schemas
        .iter()
        .flat_map(|s| s.creator_roles().cloned())
        .chain(model.default_privileges.iter().map(|d| d.owner.clone()))
        .collect();
    with_defaults.sort();
    with_defaults.dedup();
    Oracle { privileges: effective(&model, &reach(&model, version)), with_defaults }
}

fn table_privileges(version: u32) -> Vec<&'static str> {
    let mut p = vec!["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];
    if version >= 17 {
        p.push("MAINTAIN");
    }
    p
}

const ROLES: &str = "pg_roles r";
const POLICY_ROLE: &str = "r.rolname ~ '^r[0-9]+$'";

/// One query per `has_*_privilege` over the inventory; each row: role, schema, name, column or
/// argument, privilege, answer.
/// A query, and how a row of it names the object.
type Query = (String, fn(&[String]) -> ObjectRef);

fn inventory_queries(version: u32) -> Vec<Query> {
    let tables = with_options(&table_privileges(version));
    vec![
        (
            format!("SELECT r.rolname, n.nspname, c.relname, c.relkind::text, p, has_table_privilege(r.oid, c.oid, p) FROM {ROLES}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{tables}]) p WHERE {POLICY_ROLE} AND n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v') AND c.relname !~ '^f'"),
            |r| if r[3] == "v" { ObjectRef::View { schema: r[1].clone(), name: r[2].clone() } } else { ObjectRef::Table { schema: r[1].clone(), name: r[2].clone() } },
        ),
        (
            format!("SELECT r.rolname, n.nspname, c.relname, a.attname, p, has_column_privilege(r.oid, c.oid, a.attname, p) FROM {ROLES}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE} AND n.nspname IN ('s0', 's1') AND c.relkind IN ('r', 'v') AND c.relname !~ '^f'", with_options(&["SELECT", "INSERT", "UPDATE", "REFERENCES"])),
            |r| ObjectRef::Column { schema: r[1].clone(), table: r[2].clone(), column: r[3].clone() },
        ),
        (
            format!("SELECT r.rolname, 's0', 'q', '', p, has_sequence_privilege(r.oid, 's0.q', p) FROM {ROLES}, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE}", with_options(&["USAGE", "SELECT", "UPDATE"])),
            |r| ObjectRef::Sequence { schema: r[1].clone(), name: r[2].clone() },
        ),
        (
            format!("SELECT r.rolname, 's0', 'f', 'integer', p, has_function_privilege(r.oid, 's0.f(integer)', p) FROM {ROLES}, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE}", with_options(&["EXECUTE"])),
            |r| ObjectRef::Function { schema: r[1].clone(), name: r[2].clone(), args: vec![r[3].clone()] },
        ),
        (
            format!("SELECT r.rolname, s, '', '', p, has_schema_privilege(r.oid, s, p) FROM {ROLES}, unnest(ARRAY['s0','s1','public']) s, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE}", with_options(&["USAGE", "CREATE"])),
            |r| ObjectRef::Schema { name: r[1].clone() },
        ),
        (
            format!("SELECT r.rolname, '{DB}', '', '', p, has_database_privilege(r.oid, '{DB}', p) FROM {ROLES}, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE}", with_options(&["CREATE", "CONNECT", "TEMPORARY"])),
            |r| ObjectRef::Database { name: r[1].clone() },
        ),
    ]
}

/// An object created out of band: its kind (`None`: a type), schema, name and creator.
#[derive(Clone, Debug)]
struct Created {
    kind: Option<FutureKind>,
    schema: String,
    name: String,
    creator: String,
}

/// One query per `has_*_privilege` over the objects created later (and the type `s0.ty`);
/// each row: role, schema, name, privilege, answer.
fn created_queries(version: u32) -> Vec<String> {
    let rel = |fun: &str, names: &str, privileges: String| {
        format!("SELECT r.rolname, n.nspname, c.relname, p, {fun}(r.oid, c.oid, p) FROM {ROLES}, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY[{privileges}]) p WHERE {POLICY_ROLE} AND c.relname ~ '{names}'")
    };
    vec![
        rel("has_table_privilege", "^f[tv]_", with_options(&table_privileges(version))),
        rel("has_sequence_privilege", "^fq_", with_options(&["USAGE", "SELECT", "UPDATE"])),
        format!("SELECT r.rolname, n.nspname, f.proname, p, has_function_privilege(r.oid, f.oid, p) FROM {ROLES}, pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE} AND f.proname ~ '^ff_'", with_options(&["EXECUTE"])),
        format!("SELECT r.rolname, '', n.nspname, p, has_schema_privilege(r.oid, n.oid, p) FROM {ROLES}, pg_namespace n, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE} AND n.nspname ~ '^fs_'", with_options(&["USAGE", "CREATE"])),
        format!("SELECT r.rolname, n.nspname, t.typname, p, has_type_privilege(r.oid, t.oid, p) FROM {ROLES}, pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace, unnest(ARRAY[{}]) p WHERE {POLICY_ROLE} AND t.typtype = 'e' AND (t.typname ~ '^fy_' OR t.typname = 'ty')", with_options(&["USAGE"])),
    ]
}

/// What the policy means for `role` on an object created later: what its creation gave (the
/// default privileges, `answer_future`), plus what a bulk grant gives it once it exists.
fn created_answer(o: &Oracle, role: &str, p: Privilege, option: bool, obj: &Created) -> bool {
    let members = o.privileges.members();
    let Some(kind) = obj.kind else {
        // Types: the built-in default (USAGE to PUBLIC); the option is the owner's.
        return !option || members.is_superuser(role) || members.has(role, &obj.creator, Mode::Usage);
    };
    // s2: a schema no default privilege names.
    let schema = (kind != FutureKind::Schema && obj.schema != "s2").then(|| obj.schema.clone());
    let future = FutureObject { kind, schema, creator: obj.creator.clone() };
    let at_creation = if option {
        o.privileges.answer_future_grant_option(role, p, &future)
    } else {
        o.privileges.answer_future(role, p, &future)
    };
    let (schema, name) = (obj.schema.clone(), obj.name.clone());
    let existing = match kind {
        FutureKind::Table if name.starts_with("fv_") => ObjectRef::View { schema, name },
        FutureKind::Table => ObjectRef::Table { schema, name },
        FutureKind::Sequence => ObjectRef::Sequence { schema, name },
        FutureKind::Function => ObjectRef::Function { schema, name, args: vec![] },
        FutureKind::Schema => return at_creation.is_some(),
    };
    let now = if option {
        o.privileges.answer_grant_option(role, p, &existing)
    } else {
        o.privileges.answer(role, p, &existing)
    };
    at_creation.is_some() || matches!(now, Some(Grounds::Grant { .. } | Grounds::Public { .. }))
}

/// The declarations that make the objects created later part of the oracle's inventory (as
/// they are of the live inventory the apply reads).
fn declarations(created: &[Created]) -> String {
    let mut out = String::new();
    for c in created.iter().filter(|c| c.schema != "s2") {
        let line = match c.kind {
            Some(FutureKind::Table) if c.name.starts_with("fv_") => format!("view {}.{}\n", c.schema, c.name),
            Some(FutureKind::Table) => format!("table {}.{}\n", c.schema, c.name),
            Some(FutureKind::Sequence) => format!("sequence {}.{}\n", c.schema, c.name),
            Some(FutureKind::Function) => format!("function {}.{}()\n", c.schema, c.name),
            _ => continue,
        };
        out.push_str(&line);
    }
    out
}

// ---- the run of one case ------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    policies: usize,
    changes: BTreeMap<&'static str, usize>,
    skipped: usize,
    applies: usize,
    statements: usize,
    answers: usize,
    created: usize,
}

struct Run<'a> {
    pg: &'a PgCluster,
    version: u32,
    kinds: &'a [Kind],
    case: &'a Case,
    policy: PathBuf,
    created: Vec<Created>,
    /// Grants made out of band by a non-owner grantor: (grantor, privilege, object, grantee).
    grantor_grants: Vec<(String, String, String, String)>,
    serial: usize,
    log: String,
    tally: &'a mut Tally,
}

fn rolec(args: &[&str]) -> Output {
    support::cli::rolec_command().args(args).output().expect("run rolec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether `sql` names `role` (as an identifier, quoted or not).
fn mentions(sql: &str, role: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    sql.match_indices(role).any(|(i, _)| {
        let before = sql[..i].chars().next_back();
        let after = sql[i + role.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

impl Run<'_> {
    fn roles(&self) -> Vec<String> {
        (0..self.case.n).map(|i| format!("r{i}")).collect()
    }

    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.pg
            .simple_rows(DB, sql)
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect()
    }

    fn ledger(&self) -> Vec<Vec<String>> {
        if !self.pg.query_bool(DB, "SELECT to_regclass('rolec.ledger') IS NOT NULL") {
            return Vec::new();
        }
        self.rows("SELECT array_to_json(statements)::text FROM rolec.ledger ORDER BY applied_at")
            .into_iter()
            .map(|r| serde_json::from_str(&r[0]).expect("statements as JSON"))
            .collect()
    }

    /// Four applies with the changes between them; the first problem found, as text.
    fn run(&mut self) -> Result<(), String> {
        // Schema owners exist before the first apply (rolec does not change owners).
        for (k, s) in self.case.schemas.iter().enumerate() {
            if let Some(o) = s.owner {
                let owner = format!("r{}", o % self.case.n);
                let sql = format!(
                    "DO $$BEGIN CREATE ROLE {0}; EXCEPTION WHEN duplicate_object THEN NULL; END$$; ALTER SCHEMA s{k} OWNER TO {0};",
                    q(&owner)
                );
                self.pg.exec(DB, &sql).map_err(|e| format!("{sql}: {e}"))?;
            }
        }
        let kinds = self.kinds.to_vec();
        std::fs::write(&self.policy, live_diff::policy_text(self.case, self.version, &kinds, false)).unwrap();
        let meant = live_diff::policy_text(self.case, self.version, &kinds, true);
        for (round, (at_text, at)) in TIMES.iter().enumerate() {
            if round > 0 {
                let last = oracle(&(meant.clone() + &declarations(&self.created)), self.version, TIMES[round - 1].1);
                for seed in self.case.changes[round - 1].clone() {
                    self.change(&last, seed);
                }
            }
            self.round(round, at_text)?;
            let o = oracle(&(meant.clone() + &declarations(&self.created)), self.version, *at);
            self.compare(&o).map_err(|e| format!("after apply {round} (--at {at_text}): {e}"))?;
        }
        Ok(())
    }

    /// check, apply, plan at `at`.
    fn round(&mut self, round: usize, at: &str) -> Result<(), String> {
        let conn = self.pg.conn_str(DB);
        let policy = self.policy.to_str().unwrap();
        let out = rolec(&["check", "--db", &conn, "--at", at, "--format", "json", policy]);
        let code = out.status.code().unwrap_or(-1);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("check {round} ({code}): {e}\n{}{}", text(&out.stdout), text(&out.stderr)))?;
        if code != 0 && code != 2 {
            return Err(format!("check {round} exited {code}: {}", text(&out.stderr)));
        }
        let planned: Vec<String> = serde_json::from_value(json["plan"].clone()).unwrap();
        let drift: Vec<(String, String)> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "drift")
            .map(|f| {
                (
                    f["role"].as_str().unwrap().to_string(),
                    format!("{}: expected {}, actual {}", f["item"], f["expected"], f["actual"]),
                )
            })
            .collect();
        let before = self.ledger().len();
        let out = rolec(&["apply", "--db", &conn, "--at", at, "--allow-drop", policy]);
        if !out.status.success() {
            return Err(format!("apply {round} failed: {}\n{}", text(&out.stderr), text(&out.stdout)));
        }
        let ledger = self.ledger();
        let applied = match &ledger[before..] {
            [] => Vec::new(),
            [one] => one.clone(),
            more => return Err(format!("apply {round} recorded {} plans", more.len())),
        };
        self.tally.applies += 1;
        self.tally.statements += applied.len();
        if planned != applied {
            return Err(format!(
                "check {round} planned\n  {}\nbut apply ran\n  {}",
                planned.join("\n  "),
                applied.join("\n  ")
            ));
        }
        if drift.is_empty() != applied.is_empty() {
            return Err(format!("check {round}: ✗ findings {drift:?}, but apply ran {applied:?}"));
        }
        for (role, item) in &drift {
            if !applied.iter().any(|s| mentions(s, role)) {
                return Err(format!("check {round}: ✗ {role} {item}, which no statement applied names: {applied:?}"));
            }
        }
        for s in &applied {
            if !drift.iter().any(|(role, _)| mentions(s, role)) {
                return Err(format!("apply {round} ran `{s}`, which no ✗ finding of check named: {drift:?}"));
            }
        }
        let out = rolec(&["plan", "--db", &conn, "--at", at, "--format", "json", policy]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("plan after apply {round}: {e}\n{}{}", text(&out.stdout), text(&out.stderr)))?;
        if json["changes"].as_array().is_none_or(|c| !c.is_empty()) {
            return Err(format!("the plan after apply {round} is not empty: {}", json["changes"]));
        }
        Ok(())
    }

    /// Every answer of the server against the oracle's.
    fn compare(&mut self, o: &Oracle) -> Result<(), String> {
        let mut problems = Vec::new();
        let roles = self.roles();
        let mut compared = 0;
        for (sql, object) in inventory_queries(self.version) {
            let rows = self.rows(&sql);
            for row in &rows {
                let (role, (p, option), server) = (&row[0], privilege(&row[4]), row[5] == "t");
                let obj = object(row);
                let ours = if option {
                    o.privileges.answer_grant_option(role, p, &obj)
                } else {
                    o.privileges.answer(role, p, &obj)
                };
                compared += 1;
                if server != ours.is_some() {
                    problems.push(format!("{obj:?} {role} {}: server {server}, policy {ours:?}", row[4]));
                }
            }
            if rows.is_empty() {
                problems.push(format!("no rows: {sql}"));
            }
        }
        let by_name: BTreeMap<(&str, &str), &Created> =
            self.created.iter().map(|c| ((c.schema.as_str(), c.name.as_str()), c)).collect();
        let ty = Created { kind: None, schema: "s0".into(), name: "ty".into(), creator: "postgres".into() };
        let mut seen = BTreeSet::new();
        for sql in created_queries(self.version) {
            for row in self.rows(&sql) {
                let (role, (p, option), server) = (&row[0], privilege(&row[3]), row[4] == "t");
                let key = if row[1].is_empty() {
                    (row[2].as_str(), row[2].as_str())
                } else {
                    (row[1].as_str(), row[2].as_str())
                };
                let obj = if row[2] == "ty" {
                    &ty
                } else {
                    by_name.get(&key).copied().ok_or(format!("unknown object {key:?}"))?
                };
                seen.insert(obj.name.clone());
                let ours = created_answer(o, role, p, option, obj);
                compared += 1;
                if server != ours {
                    problems.push(format!("{obj:?} {role} {}: server {server}, policy {ours}", row[3]));
                }
            }
        }
        if seen.len() != self.created.len() + 1 {
            problems.push(format!(
                "answers on {} objects created later, expected {}",
                seen.len().saturating_sub(1),
                self.created.len()
            ));
        }
        let modes: &[(Mode, &str)] = if self.version >= 16 {
            &[(Mode::Member, "MEMBER"), (Mode::Usage, "USAGE"), (Mode::Set, "SET")]
        } else {
            &[(Mode::Member, "MEMBER"), (Mode::Usage, "USAGE")]
        };
        let columns: Vec<String> = modes.iter().map(|m| format!("pg_has_role(r.oid, b.oid, '{}')", m.1)).collect();
        let sql = format!(
            "SELECT r.rolname, b.rolname, {} FROM {ROLES}, pg_roles b WHERE {POLICY_ROLE} AND b.rolname ~ '^[rxm][0-9]+$'",
            columns.join(", ")
        );
        let rows = self.rows(&sql);
        for row in &rows {
            for (i, (mode, name)) in modes.iter().enumerate() {
                let server = row[2 + i] == "t";
                let ours = o.privileges.members().answer(&row[0], &row[1], *mode);
                compared += 1;
                if server != ours.is_some() {
                    problems
                        .push(format!("pg_has_role({}, {}, {name}): server {server}, policy {ours:?}", row[0], row[1]));
                }
            }
        }
        if rows.len() < roles.len() * roles.len() {
            problems.push(format!("pg_has_role: {} pairs for {} roles", rows.len(), roles.len()));
        }
        self.tally.answers += compared;
        if problems.is_empty() {
            Ok(())
        } else {
            let n = problems.len();
            problems.truncate(25);
            Err(format!("{n} answers differ:\n  {}", problems.join("\n  ")))
        }
    }

    /// Runs an out-of-band change (as the roles it names, through `SET ROLE`) and logs it; one
    /// that is not possible now (nothing fits, or the server refuses it) is skipped.
    fn exec(&mut self, kind: Kind, sql: &str) -> bool {
        match self.pg.exec_collect_notices(DB, sql) {
            Ok(notices) => {
                let warned: Vec<&String> = notices.iter().filter(|n| n.starts_with("WARNING")).collect();
                self.log.push_str(&format!(
                    "  [{}] {sql}{}\n",
                    kind_name(kind),
                    if warned.is_empty() { String::new() } else { format!("  -- {warned:?}") }
                ));
                *self.tally.changes.entry(kind_name(kind)).or_default() += 1;
                true
            }
            Err(e) => {
                self.log.push_str(&format!(
                    "  [{}] (refused: {}) {sql}\n",
                    kind_name(kind),
                    e.lines().next().unwrap_or("")
                ));
                self.tally.skipped += 1;
                false
            }
        }
    }

    fn change(&mut self, last: &Oracle, seed: Seed) {
        let kinds: Vec<Kind> = self
            .kinds
            .iter()
            .copied()
            .filter(|k| !matches!(k, Kind::Windows | Kind::RelativeWindows | Kind::OwnerGrants))
            .collect();
        if kinds.is_empty() {
            return;
        }
        let kind = kinds[seed.kind % kinds.len()];
        let roles = self.roles();
        let pick = |x: u32| roles[x as usize % roles.len()].clone();
        let (a, b, c) = (seed.a as usize, seed.b, seed.c);
        self.serial += 1;
        let k = self.serial;
        let sql = match kind {
            Kind::Owner => {
                let (target, privileges) = OBJECTS[b as usize % OBJECTS.len()];
                let p = privileges[c as usize % privileges.len()];
                let (r, s) = (q(&pick(b / 7)), q(&pick(c / 7)));
                // A schema owner's own privileges: rolec leaves them alone (`owner-grants`).
                let owns = self.case.schemas.iter().enumerate().any(|(k, sc)| {
                    target == format!("SCHEMA s{k}")
                        && sc.owner.is_some_and(|o| q(&format!("r{}", o % self.case.n)) == r)
                });
                if a % 6 == 1 && owns && !self.kinds.contains(&Kind::OwnerGrants) {
                    return;
                }
                match a % 6 {
                    0 => format!("GRANT {p} ON {target} TO {r}{}", if c & 1 == 1 { " WITH GRANT OPTION" } else { "" }),
                    1 => format!("REVOKE {p} ON {target} FROM {r}"),
                    2 => format!("GRANT {s} TO {r}{}", if c & 2 == 2 { " WITH ADMIN OPTION" } else { "" }),
                    3 => format!("REVOKE {s} FROM {r}"),
                    4 if c & 1 == 0 => {
                        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {r} IN SCHEMA s0 GRANT SELECT ON TABLES TO {s}")
                    }
                    4 => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {r} GRANT USAGE ON SEQUENCES TO {s}"),
                    _ => format!(
                        "ALTER ROLE {r} {}",
                        ["CREATEDB", "CONNECTION LIMIT 3", "NOINHERIT", "LOGIN"][c as usize % 4]
                    ),
                }
            }
            Kind::Grantor => {
                let revoke = c % 3 == 2 && !self.grantor_grants.is_empty();
                if revoke {
                    let (x, p, target, y) = self.grantor_grants[a % self.grantor_grants.len()].clone();
                    format!("SET ROLE {}; REVOKE {p} ON {target} FROM {} CASCADE; RESET ROLE", q(&x), q(&y))
                } else {
                    let members = last.privileges.members();
                    let mut candidates = Vec::new();
                    for x in roles.iter().filter(|x| !members.is_superuser(x)) {
                        for (target, privileges) in OBJECTS {
                            for p in privileges.iter() {
                                let obj = object_ref(target);
                                let (pr, _) = privilege(p);
                                if let Some(g) = last.privileges.answer_grant_option(x, pr, &obj) {
                                    if !matches!(g, Grounds::Owner { .. } | Grounds::Superuser) {
                                        candidates.push((x.clone(), p.to_string(), target.to_string()));
                                    }
                                }
                            }
                        }
                    }
                    if candidates.is_empty() {
                        return;
                    }
                    let (x, p, target) = candidates[a % candidates.len()].clone();
                    let y = pick(b);
                    let option = if c & 1 == 1 { " WITH GRANT OPTION" } else { "" };
                    self.grantor_grants.push((x.clone(), p.clone(), target.clone(), y.clone()));
                    format!("SET ROLE {}; GRANT {p} ON {target} TO {}{option}; RESET ROLE", q(&x), q(&y))
                }
            }
            Kind::Admin => {
                let rows = self.rows("SELECT m.rolname, g.rolname FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid WHERE am.admin_option AND NOT m.rolsuper AND m.rolname ~ '^r[0-9]+$' AND g.rolname ~ '^r[0-9]+$' ORDER BY 1, 2");
                if rows.is_empty() {
                    return;
                }
                let row = &rows[a % rows.len()];
                let option = if c & 1 == 1 { " WITH ADMIN OPTION" } else { "" };
                format!("SET ROLE {}; GRANT {} TO {}{option}; RESET ROLE", q(&row[0]), q(&row[1]), q(&pick(b)))
            }
            Kind::CreatedWithDefaults | Kind::CreatedPlain => {
                let creators: Vec<String> = if kind == Kind::CreatedWithDefaults {
                    last.with_defaults.iter().filter(|r| roles.contains(r)).cloned().collect()
                } else {
                    roles.iter().filter(|r| !last.with_defaults.contains(r)).cloned().collect()
                };
                if creators.is_empty() {
                    return;
                }
                let creator = creators[a % creators.len()].clone();
                self.create(kind, &creator, ["s0", "s1", "s2"][b as usize % 3], c as usize % 6, k);
                return;
            }
            Kind::HandRoles => {
                let r = q(&pick(b));
                match a % 4 {
                    0 => format!("CREATE ROLE x{k}; GRANT x{k} TO {r}"),
                    1 => format!("CREATE ROLE x{k}; GRANT {r} TO x{k}"),
                    2 => format!("CREATE ROLE m{k} LOGIN; GRANT {r} TO m{k}; GRANT SELECT ON TABLE s0.t0 TO m{k}"),
                    _ => format!("CREATE ROLE x{k} LOGIN; GRANT USAGE ON SCHEMA s1 TO x{k}"),
                }
            }
            Kind::Windows | Kind::RelativeWindows | Kind::OwnerGrants => unreachable!(),
        };
        self.exec(kind, &sql);
    }

    /// `creator` creates an object of kind `what` in `schema` (a schema when `what` is 5),
    /// given for that moment what it needs (in the same transaction: nothing remains).
    fn create(&mut self, kind: Kind, creator: &str, schema: &str, what: usize, k: usize) {
        let cr = q(creator);
        let (prefix, future) = [
            ("ft", Some(FutureKind::Table)),
            ("fv", Some(FutureKind::Table)),
            ("fq", Some(FutureKind::Sequence)),
            ("ff", Some(FutureKind::Function)),
            ("fy", None),
            ("fs", Some(FutureKind::Schema)),
        ][what];
        let name = format!("{prefix}_{creator}_{k}");
        let (on, fun, target, needed) = if what == 5 {
            (format!("DATABASE {DB}"), "has_database_privilege", DB, &["CREATE"][..])
        } else {
            (format!("SCHEMA {schema}"), "has_schema_privilege", schema, &["USAGE", "CREATE"][..])
        };
        // Only what it lacks, so that revoking it afterwards takes nothing the policy gave.
        let lacking: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|p| {
                let sql = format!("SELECT {fun}({}, '{target}', '{p}')", support::pg::quote_literal(creator));
                !self.pg.query_bool(DB, &sql)
            })
            .collect();
        let object = match what {
            0 => format!("CREATE TABLE {schema}.{name} (a int)"),
            1 => format!("CREATE VIEW {schema}.{name} AS SELECT 1 AS a"),
            2 => format!("CREATE SEQUENCE {schema}.{name}"),
            3 => format!("CREATE FUNCTION {schema}.{name}() RETURNS integer LANGUAGE plnv AS 'BEGIN RETURN 1; END'"),
            4 => format!("CREATE TYPE {schema}.{name} AS ENUM ('a')"),
            _ => format!("CREATE SCHEMA {name}"),
        };
        let sql = if !lacking.is_empty() {
            let lacking = lacking.join(", ");
            format!("BEGIN; GRANT {lacking} ON {on} TO {cr}; SET ROLE {cr}; {object}; RESET ROLE; REVOKE {lacking} ON {on} FROM {cr}; COMMIT")
        } else {
            format!("SET ROLE {cr}; {object}; RESET ROLE")
        };
        if self.exec(kind, &sql) {
            let schema = if what == 5 { name.clone() } else { schema.to_string() };
            self.created.push(Created { kind: future, schema, name, creator: creator.to_string() });
            self.tally.created += 1;
        }
    }
}

/// The objects the out-of-band changes grant and revoke on, with their privileges.
const OBJECTS: &[(&str, &[&str])] = &[
    ("TABLE s0.t0", &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]),
    ("TABLE s0.t1", &["SELECT", "INSERT", "UPDATE", "DELETE"]),
    ("TABLE s1.t0", &["SELECT", "INSERT", "DELETE", "TRIGGER"]),
    ("TABLE s0.v", &["SELECT", "INSERT"]),
    ("SEQUENCE s0.q", &["USAGE", "SELECT", "UPDATE"]),
    ("FUNCTION s0.f(integer)", &["EXECUTE"]),
    ("SCHEMA s0", &["USAGE", "CREATE"]),
    ("SCHEMA s1", &["USAGE", "CREATE"]),
    ("DATABASE live", &["CREATE", "CONNECT", "TEMPORARY"]),
];

fn object_ref(target: &str) -> ObjectRef {
    let (kind, name) = target.split_once(' ').unwrap();
    let (schema, rest) = name.split_once('.').unwrap_or(("", name));
    match kind {
        "TABLE" if rest == "v" => ObjectRef::View { schema: schema.into(), name: rest.into() },
        "TABLE" => ObjectRef::Table { schema: schema.into(), name: rest.into() },
        "SEQUENCE" => ObjectRef::Sequence { schema: schema.into(), name: rest.into() },
        "FUNCTION" => ObjectRef::Function { schema: schema.into(), name: "f".into(), args: vec!["integer".into()] },
        "SCHEMA" => ObjectRef::Schema { name: rest.into() },
        _ => ObjectRef::Database { name: rest.into() },
    }
}

/// A fresh database `live` (from the template holding [`SETUP`]) and no roles but `before`.
fn reset(pg: &PgCluster, before: &[String]) {
    pg.exec("postgres", &format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)")).expect("drop the database");
    let extra: Vec<String> = pg
        .query_strings("postgres", "SELECT rolname FROM pg_roles ORDER BY 1")
        .into_iter()
        .filter(|r| !before.contains(r))
        .collect();
    if !extra.is_empty() {
        let names: Vec<String> = extra.iter().map(|r| q(r)).collect();
        pg.exec("postgres", &format!("DROP ROLE {}", names.join(", "))).expect("drop the roles of the last case");
    }
    pg.exec("postgres", &format!("CREATE DATABASE {DB} TEMPLATE inventory")).expect("create the database");
}

fn policy_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolec-livediff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn live_commands_agree_with_the_policy_over_out_of_band_changes() {
    let started = std::time::Instant::now();
    let pg = PgCluster::start();
    let version = pg.major().clamp(14, 18);
    let kinds = live_diff::kinds_from_env(version);
    pg.create_database("inventory");
    pg.exec("inventory", SETUP).expect("create the inventory");
    let before = pg.query_strings("postgres", "SELECT rolname FROM pg_roles ORDER BY 1");
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
    let mut runner =
        TestRunner::new(Config { cases, max_shrink_iters: 24, failure_persistence: None, ..Config::default() });
    let dir = policy_dir();
    let tally = std::cell::RefCell::new(Tally::default());
    let result = runner.run(&live_diff::case(version), |case| {
        reset(&pg, &before);
        let mut tally = tally.borrow_mut();
        tally.policies += 1;
        let mut run = Run {
            pg: &pg,
            version,
            kinds: &kinds,
            case: &case,
            policy: dir.join("p.role"),
            created: Vec::new(),
            grantor_grants: Vec::new(),
            serial: 0,
            log: String::new(),
            tally: &mut tally,
        };
        run.run().map_err(|e| {
            let policy = std::fs::read_to_string(Path::new(&run.policy)).unwrap_or_default();
            let msg = format!("{e}\n--- policy:\n{policy}--- out-of-band changes:\n{}", run.log);
            TestCaseError::fail(msg)
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        panic!("{e}");
    }
    let t = tally.into_inner();
    let kinds: Vec<&str> = kinds.iter().map(|k| kind_name(*k)).collect();
    eprintln!(
        "PostgreSQL {}, kinds {kinds:?}: {} policies (shrinking included), {} applies running {} statements, out-of-band changes {:?} ({} objects created later, {} refused by the server), {} answers compared in {:?}",
        pg.major(),
        t.policies,
        t.applies,
        t.statements,
        t.changes,
        t.created,
        t.skipped,
        t.answers,
        started.elapsed()
    );
    // Not vacuous: changes were made and applies had work to do.
    if cases >= 4 {
        assert!(t.changes.values().sum::<usize>() > 0 && t.statements > 0 && t.answers > 0);
    }
}
