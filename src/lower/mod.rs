//! Resolved model → SQL plan: statements ordered through a dependency graph, each paired with
//! the statement that undoes it.
//!
//! Order: create roles → attributes and settings → memberships → default privileges → object
//! grants → comments. Within that order a statement also waits for the creation of every role
//! it names. `down` is the reverse of `up`, statement by statement.

mod hba;
mod order;
pub mod script;

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::model::{default_object_kind, merged_default_privileges};
use crate::model::{
    BuildOptions, DefaultPrivilege, Grantee, Membership, Model, Object, ObjectGrant, PasswordSource, Role,
};
use crate::pg::quote::{do_block, ident, literal, qualified};
use crate::pg::settings::setting_name;
use crate::syntax::ast::{AttributeKind, BulkKind, DefaultKind, Privilege};
use crate::syntax::Span;

pub use hba::HbaLine;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    CreateRoles,
    Attributes,
    Memberships,
    DefaultPrivileges,
    ObjectGrants,
    Comments,
}

/// The text of a statement; a password is filled in only when the script is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Sql {
    Text {
        sql: String,
    },
    /// `ALTER ROLE role PASSWORD …` with a verifier computed from environment variable `env`.
    SecretPassword {
        role: String,
        env: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Statement {
    pub phase: Phase,
    pub sql: Sql,
    /// Where in the policy the statement comes from.
    #[serde(skip)]
    pub origin: Option<Span>,
    /// A note printed above the statement (a membership's window, say).
    pub note: Option<String>,
    /// The database it runs in (object and default privileges of a policy that names its
    /// databases); `None`: cluster-wide, or the connected database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub up: Vec<Statement>,
    pub down: Vec<Statement>,
    pub hba: Vec<HbaLine>,
    /// The policy's `databases`, in order: the scripts `\connect` to each for its statements.
    #[serde(skip)]
    pub databases: Vec<String>,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl Drop for Plan {
    fn drop(&mut self) {
        crate::drop_elsewhere::drop_elsewhere((std::mem::take(&mut self.up), std::mem::take(&mut self.down)));
    }
}

/// Each statement of the up script and the statement of the down script that undoes it, if
/// any, in two lists side by side: the plan is ordered in them, in place, and becomes the
/// scripts without another copy (a large policy's plan is the largest thing a build holds).
/// The roles each statement names, which its place in the order depends on, are kept beside
/// them until the order is known.
struct Pairs {
    up: Vec<Statement>,
    down: Vec<Option<Statement>>,
    names: Vec<order::Names>,
}

impl Pairs {
    /// Room for `capacity` statements: the lists are never grown by doubling, whose slack and
    /// copies would make lowering the peak of a build's memory.
    fn with_capacity(capacity: usize) -> Pairs {
        Pairs {
            up: Vec::with_capacity(capacity),
            down: Vec::with_capacity(capacity),
            names: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, names: order::Names, (up, down): (Statement, Option<Statement>)) {
        self.up.push(up);
        self.down.push(down);
        self.names.push(names);
    }
}

/// How many statements [`lower`] makes at most for `model`: one per membership, default
/// privilege and object grant, and for each role its creation, attributes, settings, password
/// and comment (two more when scripts must run again).
fn statements_at_most(model: &Model, rerunnable: bool) -> usize {
    let per_role = |r: &Role| {
        2 + 2 * usize::from(rerunnable)
            + usize::from(r.password.is_some())
            + r.settings.len()
            + usize::from(r.comment.is_some())
    };
    model.roles.iter().map(|r| per_role(r)).sum::<usize>()
        + model.memberships.len()
        + model.default_privileges.len()
        + model.grants.len()
}

/// Puts items in the order `order` gives (`order[k]` is the index of the item that goes to
/// `k`, each index once) by calling `swap(i, j)` on them: one pass for every list kept side
/// by side with the items.
fn permute(order: &[usize], mut swap: impl FnMut(usize, usize)) {
    let mut to = vec![usize::MAX; order.len()];
    for (k, &i) in order.iter().enumerate() {
        assert_eq!(to[i], usize::MAX, "each statement is ordered once");
        to[i] = k;
    }
    // Each swap puts one item where it goes.
    for i in 0..to.len() {
        while to[i] != i {
            let j = to[i];
            swap(i, j);
            to.swap(i, j);
        }
    }
}

/// Lowers a model whose diagnostics had no errors.
pub fn lower(model: &Model, options: &BuildOptions) -> Plan {
    let v = options.target_version;
    let rerunnable = options.rerunnable();
    let at_most = statements_at_most(model, rerunnable);
    let mut pairs = Pairs::with_capacity(at_most);
    let index: std::collections::HashMap<&str, u32> =
        model.roles.iter().enumerate().map(|(i, r)| (r.name.as_str(), i as u32)).collect();
    // The roles of the policy among `names` (others exist already, or are not the policy's).
    let mine = |names: [Option<&str>; 2]| names.map(|n| n.and_then(|n| index.get(n).copied()));

    for (i, role) in model.roles.iter().enumerate() {
        pairs.push([Some(i as u32), None], create_role(role, rerunnable));
    }
    for (i, role) in model.roles.iter().enumerate() {
        let roles = [Some(i as u32), None];
        if let Some(sql) = alter_attributes(role, rerunnable) {
            pairs.push(roles, (stmt(Phase::Attributes, sql, role.origin), None));
        }
        if rerunnable {
            // The role may exist from an earlier run: take back settings and a comment that the
            // policy no longer has. Passwords are left alone: a role without `password` in the
            // policy may have one set by hand, and wiping it would lock its user out.
            let name = ident(&role.name);
            pairs.push(roles, (stmt(Phase::Attributes, reset_settings(&role.name), role.origin), None));
            if role.comment.is_none() {
                pairs.push(
                    roles,
                    (stmt(Phase::Comments, format!("COMMENT ON ROLE {name} IS NULL;"), role.origin), None),
                );
            }
        }
        match &role.password {
            Some(PasswordSource::Secret { env, origin }) => pairs.push(
                roles,
                (
                    Statement {
                        phase: Phase::Attributes,
                        sql: Sql::SecretPassword { role: role.name.clone(), env: env.clone() },
                        origin: Some(*origin),
                        note: None,
                        database: None,
                    },
                    None,
                ),
            ),
            Some(PasswordSource::Verifier(verifier)) => {
                let sql = format!("ALTER ROLE {} PASSWORD {};", ident(&role.name), literal(verifier));
                pairs.push(roles, (stmt(Phase::Attributes, sql, role.origin), None));
            }
            None => {}
        }
        for s in &role.settings {
            let scope = s.database.as_ref().map(|d| format!(" IN DATABASE {}", ident(d))).unwrap_or_default();
            // An empty list (`search_path = []`) is the empty string, as `SET x = ''`.
            let values: Vec<String> =
                if s.values.is_empty() { vec![literal("")] } else { s.values.iter().map(|x| literal(x)).collect() };
            let sql = format!(
                "ALTER ROLE {}{scope} SET {} = {};",
                ident(&role.name),
                setting_name(&s.param),
                values.join(", ")
            );
            pairs.push(roles, (stmt(Phase::Attributes, sql, s.origin), None));
        }
    }
    if rerunnable {
        // A membership whose window has closed may have been granted by an earlier run.
        for m in model.memberships.iter().filter(|m| !m.active) {
            let sql = format!("REVOKE {} FROM {};", ident(&m.role), ident(&m.member));
            let mut up = stmt(
                Phase::Memberships,
                do_block(&format!("{sql} EXCEPTION WHEN undefined_object THEN NULL;")),
                m.origin,
            );
            up.note = Some("outside its time window at build time: revoked if an earlier run granted it".to_string());
            pairs.push(mine([Some(m.role.as_str()), Some(m.member.as_str())]), (up, None));
        }
    }
    for m in model.memberships.iter().filter(|m| m.active) {
        let mut up = stmt(Phase::Memberships, grant_membership(m, v), m.origin);
        up.note = membership_note(m);
        let down = stmt(Phase::Memberships, format!("REVOKE {} FROM {};", ident(&m.role), ident(&m.member)), m.origin);
        pairs.push(mine([Some(m.role.as_str()), Some(m.member.as_str())]), (up, Some(down)));
    }
    // `--roles-only`: the privileges are left to another tool (or another build).
    let (default_privileges, grants) = match options.roles_only {
        true => (&[][..], &[][..]),
        false => (&model.default_privileges[..], &model.grants[..]),
    };
    for d in merge_default_privileges(default_privileges) {
        let grantee = match &d.grantee {
            Grantee::Role(g) => Some(g.as_str()),
            Grantee::Public => None,
        };
        let (up, down) = default_privilege_sql(&d);
        pairs.push(
            mine([Some(d.owner.as_str()), grantee]),
            (
                stmt_in(Phase::DefaultPrivileges, up, d.origin, &d.database),
                down.map(|x| stmt_in(Phase::DefaultPrivileges, x, d.origin, &d.database)),
            ),
        );
    }
    for g in grants {
        let grantee = match &g.grantee {
            Grantee::Role(r) => Some(r.as_str()),
            Grantee::Public => None,
        };
        let (up, down) = object_grant_sql(g, v);
        pairs.push(
            mine([grantee, None]),
            (
                stmt_in(Phase::ObjectGrants, up, g.origin, &g.database),
                down.map(|d| stmt_in(Phase::ObjectGrants, d, g.origin, &g.database)),
            ),
        );
    }
    for (i, role) in model.roles.iter().enumerate() {
        if let Some(c) = &role.comment {
            let sql = format!("COMMENT ON ROLE {} IS {};", ident(&role.name), literal(c));
            pairs.push([Some(i as u32), None], (stmt(Phase::Comments, sql, role.origin), None));
        }
    }

    debug_assert!(pairs.up.len() <= at_most, "{} statements, {at_most} foreseen", pairs.up.len());
    let Pairs { mut up, mut down, names } = pairs;
    let phases: Vec<Phase> = up.iter().map(|s| s.phase).collect();
    let order = order::order(&phases, &names, model.roles.len());
    drop(names);
    assert_eq!(order.len(), up.len(), "each statement is ordered once");
    permute(&order, |i, j| {
        up.swap(i, j);
        down.swap(i, j);
    });
    let mut plan = Plan::default();
    plan.up = up;
    let mut downs: Vec<Statement> = down.into_iter().flatten().collect();
    if rerunnable {
        for d in &mut downs {
            tolerate_missing(d);
        }
    }
    downs.reverse();
    plan.down = downs;
    let (hba, diags) = hba::lines(&model.hba);
    plan.databases = model.databases.clone();
    plan.hba = hba;
    plan.diagnostics = diags;
    plan
}

/// What [`lower`] reports about a model (names that cannot be written to pg_hba.conf),
/// without lowering it: diagnostics after each edit need no plan.
pub fn diagnostics(model: &Model) -> Vec<Diagnostic> {
    hba::lines(&model.hba).1
}

fn stmt(phase: Phase, sql: String, origin: Span) -> Statement {
    Statement { phase, sql: Sql::Text { sql }, origin: Some(origin), note: None, database: None }
}

/// [`stmt`] in `database`.
fn stmt_in(phase: Phase, sql: String, origin: Span, database: &Option<String>) -> Statement {
    Statement { database: database.clone(), ..stmt(phase, sql, origin) }
}

fn create_role(role: &Role, idempotent: bool) -> (Statement, Option<Statement>) {
    let name = ident(&role.name);
    if idempotent {
        // Another session may create the role between a check and the CREATE: catch both
        // SQLSTATEs a duplicate can raise (42710, and 23505 under concurrency).
        let up =
            do_block(&format!("CREATE ROLE {name}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;"));
        let down = format!("DROP ROLE IF EXISTS {name};");
        (stmt(Phase::CreateRoles, up, role.origin), Some(stmt(Phase::CreateRoles, down, role.origin)))
    } else {
        let up = format!("CREATE ROLE {name};");
        let down = format!("DROP ROLE {name};");
        (stmt(Phase::CreateRoles, up, role.origin), Some(stmt(Phase::CreateRoles, down, role.origin)))
    }
}

/// The attributes that differ from `CREATE ROLE`'s defaults; with `rerunnable`, every attribute
/// spelled out so that an existing role converges (a missing `valid until` then also resets an
/// earlier expiry). Leaving defaults out keeps plain scripts runnable by a CREATEROLE deployer,
/// which may not even name SUPERUSER, REPLICATION or BYPASSRLS.
fn alter_attributes(role: &Role, rerunnable: bool) -> Option<String> {
    let mut parts = Vec::new();
    for kind in AttributeKind::EACH {
        let default = kind.create_role_default();
        let value = role.attributes.get(&kind).copied().unwrap_or(default);
        if rerunnable || value != default {
            parts.push(kind.sql(value).to_string());
        }
    }
    let limit = role.connection_limit.unwrap_or(-1);
    if rerunnable || limit != -1 {
        parts.push(format!("CONNECTION LIMIT {limit}"));
    }
    match &role.valid_until {
        Some(v) => parts.push(format!("VALID UNTIL {}", literal(v))),
        None if rerunnable => parts.push("VALID UNTIL 'infinity'".to_string()),
        None => {}
    }
    (!parts.is_empty()).then(|| format!("ALTER ROLE {} WITH {};", ident(&role.name), parts.join(" ")))
}

/// Removes every setting of a role, in all databases and per database, so that the `SET`s
/// that follow leave exactly the policy's.
fn reset_settings(role: &str) -> String {
    let lit = literal(role);
    do_block(&format!(
        "DECLARE d name; BEGIN EXECUTE format('ALTER ROLE %I RESET ALL', {lit}); \
         FOR d IN SELECT db.datname FROM pg_catalog.pg_db_role_setting s \
         JOIN pg_catalog.pg_database db ON db.oid = s.setdatabase \
         JOIN pg_catalog.pg_roles r ON r.oid = s.setrole WHERE r.rolname = {lit} \
         LOOP EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET ALL', {lit}, d); END LOOP; END"
    ))
}

fn grant_membership(m: &Membership, version: u32) -> String {
    let mut options = Vec::new();
    if version >= 16 {
        if m.admin {
            options.push("ADMIN TRUE".to_string());
        }
        if let Some(i) = m.inherit {
            options.push(format!("INHERIT {}", if i { "TRUE" } else { "FALSE" }));
        }
        if let Some(s) = m.set {
            options.push(format!("SET {}", if s { "TRUE" } else { "FALSE" }));
        }
    } else if m.admin {
        options.push("ADMIN OPTION".to_string());
    }
    let with = if options.is_empty() { String::new() } else { format!(" WITH {}", options.join(", ")) };
    format!("GRANT {} TO {}{with};", ident(&m.role), ident(&m.member))
}

fn membership_note(m: &Membership) -> Option<String> {
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
    };
    let mut parts = Vec::new();
    if let Some(f) = m.from {
        parts.push(format!("from {}", fmt(f)));
    }
    if let Some(u) = m.until {
        parts.push(format!("until {} (revoked by the first plan/apply after that)", fmt(u)));
    }
    if let Some(r) = &m.reason {
        parts.push(format!("reason: {r}"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn privileges_sql(privs: &[Privilege], columns: Option<&[String]>) -> String {
    let cols = columns
        .map(|c| format!(" ({})", c.iter().map(|x| ident(x)).collect::<Vec<_>>().join(", ")))
        .unwrap_or_default();
    privs.iter().map(|p| format!("{}{cols}", p.sql())).collect::<Vec<_>>().join(", ")
}

fn grantee_sql(g: &Grantee) -> String {
    match g {
        Grantee::Public => "PUBLIC".to_string(),
        Grantee::Role(r) => ident(r),
    }
}

fn object_sql(o: &Object) -> String {
    match o {
        Object::Table { schema, name } | Object::View { schema, name } => format!("TABLE {}", qualified(schema, name)),
        Object::Sequence { schema, name } => format!("SEQUENCE {}", qualified(schema, name)),
        Object::Routine { schema, name, args } => format!("ROUTINE {}({})", qualified(schema, name), args.join(", ")),
        Object::Schema { name } => format!("SCHEMA {}", ident(name)),
        Object::Database { name } => format!("DATABASE {}", ident(name)),
        Object::Type { schema, name } => format!("TYPE {}", qualified(schema, name)),
        Object::Domain { schema, name } => format!("DOMAIN {}", qualified(schema, name)),
        Object::Columns { schema, table, .. } => format!("TABLE {}", qualified(schema, table)),
        Object::AllIn { kind, schema } => {
            let k = match kind {
                BulkKind::Tables => "TABLES",
                BulkKind::Sequences => "SEQUENCES",
                BulkKind::Functions => "FUNCTIONS",
                BulkKind::Routines => "ROUTINES",
            };
            format!("ALL {k} IN SCHEMA {}", ident(schema))
        }
    }
}

/// The statement of a grant and the one that undoes it, if any.
fn object_grant_sql(g: &ObjectGrant, version: u32) -> (String, Option<String>) {
    let columns = match &g.object {
        Object::Columns { columns, .. } => Some(columns.as_slice()),
        _ => None,
    };
    let privs = privileges_sql(&g.privileges, columns);
    let on = object_sql(&g.object);
    let to = grantee_sql(&g.grantee);
    let option = if g.grant_option { " WITH GRANT OPTION" } else { "" };
    let revoke = format!("REVOKE {privs} ON {on} FROM {to};");
    if !g.revoke {
        return (format!("GRANT {privs} ON {on} TO {to}{option};"), Some(revoke));
    }
    // A revoke from PUBLIC is undone by granting back what PUBLIC has by default; a privilege
    // PUBLIC never has by default was not there to take away.
    let defaults = g.object.public_defaults(version);
    let back: Vec<Privilege> = if g.privileges.contains(&Privilege::All) {
        defaults.to_vec()
    } else {
        g.privileges.iter().copied().filter(|p| defaults.contains(p)).collect()
    };
    let down = (!back.is_empty()).then(|| format!("GRANT {} ON {on} TO {to};", privileges_sql(&back, columns)));
    (revoke, down)
}

fn default_kind_sql(k: DefaultKind) -> &'static str {
    match k {
        DefaultKind::Tables => "TABLES",
        DefaultKind::Sequences => "SEQUENCES",
        DefaultKind::Functions => "FUNCTIONS",
        DefaultKind::Routines => "ROUTINES",
        DefaultKind::Types => "TYPES",
        DefaultKind::Schemas => "SCHEMAS",
    }
}

fn default_privilege_sql(d: &DefaultPrivilege) -> (String, Option<String>) {
    let scope = d.schema.as_ref().map(|s| format!(" IN SCHEMA {}", ident(s))).unwrap_or_default();
    let head = format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}{scope}", ident(&d.owner));
    let privs = privileges_sql(&d.privileges, None);
    let kind = default_kind_sql(d.kind);
    let to = grantee_sql(&d.grantee);
    let option = if d.grant_option { " WITH GRANT OPTION" } else { "" };
    let revoke = format!("{head} REVOKE {privs} ON {kind} FROM {to};");
    if !d.revoke {
        let up = format!("{head} GRANT {privs} ON {kind} TO {to}{option};");
        if d.schema.is_some() {
            return (up, Some(revoke));
        }
        // A global entry starts from the built-in default (the owner has every privilege,
        // PUBLIC has EXECUTE on functions and USAGE on types): revoking those would leave an
        // entry behind (and block DROP ROLE). Only what the grant added is taken back.
        let public = default_object_kind(d.kind).public_defaults();
        let builtin = |p: Privilege| match &d.grantee {
            Grantee::Role(r) => *r == d.owner,
            // Where PUBLIC has anything by default (functions, types) it has all there is.
            Grantee::Public => public.contains(&p) || (p == Privilege::All && !public.is_empty()),
        };
        let (kept, added): (Vec<Privilege>, Vec<Privilege>) = d.privileges.iter().partition(|p| builtin(**p));
        let mut down = Vec::new();
        if d.grant_option && !kept.is_empty() {
            down.push(format!("{head} REVOKE GRANT OPTION FOR {} ON {kind} FROM {to};", privileges_sql(&kept, None)));
        }
        if !added.is_empty() {
            down.push(format!("{head} REVOKE {} ON {kind} FROM {to};", privileges_sql(&added, None)));
        }
        return (up, (!down.is_empty()).then(|| down.join(" ")));
    }
    // Undo a revoke by granting back only what the built-in defaults hold: everything for the
    // owner itself, EXECUTE on functions and USAGE on types for PUBLIC.
    let back: Vec<Privilege> = match &d.grantee {
        Grantee::Role(r) if *r == d.owner => d.privileges.clone(),
        Grantee::Public => {
            let defaults = default_object_kind(d.kind).public_defaults();
            if d.privileges.contains(&Privilege::All) {
                defaults.to_vec()
            } else {
                d.privileges.iter().copied().filter(|p| defaults.contains(p)).collect()
            }
        }
        Grantee::Role(_) => Vec::new(),
    };
    let down = (!back.is_empty()).then(|| format!("{head} GRANT {} ON {kind} TO {to};", privileges_sql(&back, None)));
    (revoke, down)
}

/// The default-privilege entries as statements ([`merged_default_privileges`]).
fn merge_default_privileges(all: &[DefaultPrivilege]) -> Vec<DefaultPrivilege> {
    merged_default_privileges(all).into_iter().map(|(d, _)| d).collect()
}

/// `--idempotent` down scripts skip statements whose role or object is already gone.
fn tolerate_missing(s: &mut Statement) {
    if let Sql::Text { sql: text } = &s.sql {
        if text.starts_with("DROP ROLE IF EXISTS") {
            return;
        }
        let body = format!("{text} EXCEPTION WHEN undefined_object OR undefined_table OR undefined_function OR invalid_schema_name THEN NULL;");
        s.sql = Sql::Text { sql: do_block(&body) };
    }
}

#[cfg(test)]
mod tests {
    use super::permute;
    use proptest::prelude::*;

    proptest! {
        /// Moving items in place puts each where the order says, as picking them one by one
        /// would.
        #[test]
        fn permute_is_the_order_picked(order in (0usize..200).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())) {
            let mut items: Vec<String> = (0..order.len()).map(|i| format!("s{i}")).collect();
            let picked: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            permute(&order, |i, j| items.swap(i, j));
            prop_assert_eq!(items, picked);
        }
    }
}
