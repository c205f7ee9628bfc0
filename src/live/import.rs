//! `rolec import`: the policy that describes a live database, so that `rolec plan` against the
//! same database shows no change.
//!
//! The files are factored for reading: `groups.role` (roles without LOGIN), `users.role` (roles
//! with LOGIN), each in dependency order (a role after the roles it is a member of), and
//! `schemas.role` (the `manage` globs, `external role`s, schemas with their owners, default
//! privileges and what PUBLIC may do). Everything is run through the formatter.
//!
//! Several databases of a cluster ([`import_databases`]): the roles and memberships once, and in
//! `schemas.role` the `databases a, b` declaration and one `in database` block per database with
//! its schemas, grants (`grant … to ROLE`), `public` block and default privileges.
//!
//! Exactness: every statement is chosen so that the model it resolves to makes [`super::diff`]
//! empty. Object privileges become `… in schema S` only where the grantee has those privileges
//! on every object of the kind in S *and* the default privileges the bulk grant implies for the
//! schema's owner exist already; the rest stays per object. Passwords are never read: a LOGIN
//! role gets a placeholder comment.

use std::collections::{BTreeMap, BTreeSet};

use super::scope::Scope;
use super::state::LiveState;
use crate::model::catalog::{LiveObject, LiveRole};
use crate::pg::AclKind;

/// One file of the imported policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedFile {
    pub name: String,
    pub text: String,
}

/// privilege → grantable
type Privs = BTreeMap<String, bool>;

/// The policy for `state`: the roles matching `globs` (every role when there is none), minus
/// `postgres`, `pg_*` roles and the connecting role. An invalid glob is an error.
pub fn import(state: &LiveState, globs: &[String]) -> Result<Vec<ImportedFile>, super::LiveError> {
    let patterns = if globs.is_empty() { vec!["*".to_string()] } else { globs.to_vec() };
    let scope = Scope::new([], [], &patterns, &state.current_user)?;
    Importer::new(state, scope, globs).run(&[])
}

/// The policy for several databases of one cluster: `databases` in order, each as read in it.
/// Roles and memberships (cluster-wide) are read from the first; the policy names the
/// databases (`databases a, b`) and says what each holds in an `in database` block.
pub fn import_databases(databases: &[&LiveState], globs: &[String]) -> Result<Vec<ImportedFile>, super::LiveError> {
    let Some(first) = databases.first() else { return Ok(Vec::new()) };
    let patterns = if globs.is_empty() { vec!["*".to_string()] } else { globs.to_vec() };
    let scope = Scope::new([], [], &patterns, &first.current_user)?;
    Importer::new(first, scope, globs).run(databases)
}

struct Importer<'a> {
    state: &'a LiveState,
    scope: Scope,
    globs: &'a [String],
    major: u32,
    /// Roles referenced that the policy must declare `external`.
    referenced: BTreeSet<String>,
}

/// grantee (`None`: PUBLIC) → privileges
type GranteeAcl = BTreeMap<Option<String>, Privs>;

/// Object privileges of one grantee, per object.
type Acl = BTreeMap<LiveObject, Privs>;

impl<'a> Importer<'a> {
    fn new(state: &'a LiveState, scope: Scope, globs: &'a [String]) -> Importer<'a> {
        Importer { state, scope, globs, major: state.major(), referenced: BTreeSet::new() }
    }

    fn in_scope(&self, role: &str) -> bool {
        self.scope.manages(role) && self.state.role(role).is_some()
    }

    /// A role name as the policy writes it; out-of-scope roles become `external`.
    fn role_ref(&mut self, role: &str) -> String {
        if !self.in_scope(role) && !role.starts_with("pg_") {
            self.referenced.insert(role.to_string());
        }
        name(role)
    }

    fn run(mut self, databases: &[&LiveState]) -> Result<Vec<ImportedFile>, super::LiveError> {
        let several = !databases.is_empty();
        let parts: Vec<DatabasePart> = match several {
            true => databases.iter().map(|s| self.database_part(s, true)).collect(),
            false => vec![self.database_part(self.state, false)],
        };
        // One database: each role's grants in its body; several: in each database's block.
        let mut body_grants = if several { BTreeMap::new() } else { parts[0].grants.clone() };
        let (groups, users) = self.roles(&mut body_grants);
        let mut head = String::from("// Imported from a live database by `rolec import`.\n");
        for g in self.globs {
            head.push_str(&format!("manage roles matching {}\n", string(g)));
        }
        if !self.referenced.is_empty() {
            head.push_str(&format!(
                "external role {}\n",
                self.referenced.iter().map(|r| name(r)).collect::<Vec<_>>().join(", ")
            ));
        }
        let schemas_file = match several {
            false => format!("{head}\n{}", parts[0].text(false)),
            true => {
                let names: Vec<String> = databases.iter().map(|s| object_name(&s.database)).collect();
                let mut text = format!("{head}databases {}\n", names.join(", "));
                for (db, part) in names.iter().zip(&parts) {
                    text.push_str(&format!("\nin database {db} {{\n{}}}\n", part.text(true)));
                }
                text
            }
        };

        let mut files = Vec::new();
        for (file, text) in [("groups.role", groups), ("users.role", users), ("schemas.role", schemas_file)] {
            if !text.trim().is_empty() {
                files.push(ImportedFile { name: file.to_string(), text: crate::format::format(&text) });
            }
        }
        Ok(files)
    }

    /// The roles (cluster-wide), groups and users apart, each with the grant lines `grants`
    /// holds for it.
    fn roles(&mut self, grants: &mut BTreeMap<String, Vec<String>>) -> (String, String) {
        let state = self.state;
        let roles: Vec<&LiveRole> = state.roles.iter().filter(|r| self.in_scope(&r.name)).collect();
        let mut memberships: BTreeMap<&str, BTreeMap<&str, (bool, bool, bool)>> = BTreeMap::new();
        for m in &state.memberships {
            if !self.in_scope(&m.member) {
                continue;
            }
            memberships
                .entry(m.member.as_str())
                .or_default()
                .entry(m.role.as_str())
                .and_modify(|e| e.0 |= m.admin)
                .or_insert((m.admin, m.inherit, m.set));
        }
        let order = dependency_order(&roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), &memberships);
        let mut groups = String::new();
        let mut users = String::new();
        for role_name in order {
            let Some(role) = state.role(role_name) else { continue };
            let mut body: Vec<String> = Vec::new();
            for (flag, word) in [
                (role.superuser, "superuser"),
                (role.createdb, "createdb"),
                (role.createrole, "createrole"),
                (role.replication, "replication"),
                (role.bypassrls, "bypassrls"),
                (!role.inherit, "noinherit"),
            ] {
                if flag {
                    body.push(word.to_string());
                }
            }
            if role.connection_limit != -1 {
                body.push(format!("connection limit {}", role.connection_limit));
            }
            match role.valid_until.as_deref() {
                Some(v @ "-infinity") => body.push(format!("valid until {}", string(v))),
                Some(v) => body.push(format!("valid until {v}")),
                None => {}
            }
            if role.login {
                body.push(format!("// password secret(\"{}\")  (passwords are not imported)", env_name(&role.name)));
            }
            if let Some(c) = &role.comment {
                body.push(format!("comment {}", string(c)));
            }
            for s in &role.settings {
                let db = match &s.database {
                    Some(d) => format!(" in database {}", object_name(d)),
                    None => String::new(),
                };
                body.push(format!("set {} = {}{db}", s.param, setting_value(&s.param, &s.value)));
            }
            if let Some(ms) = memberships.get(role_name) {
                for (group, (admin, inherit, set)) in ms {
                    let mut line = format!("member of {}", self.role_ref(group));
                    if *admin {
                        line.push_str(" with admin option");
                    }
                    if self.major >= 16 {
                        if *inherit != role.inherit {
                            line.push_str(if *inherit { " inherit" } else { " noinherit" });
                        }
                        if !*set {
                            line.push_str(" noset");
                        }
                    }
                    body.push(line);
                }
            }
            body.extend(grants.remove(role_name).unwrap_or_default());
            let head = format!("{} {}", if role.login { "user" } else { "role" }, name(role_name));
            let text = if body.is_empty() {
                format!("{head} {{}}\n")
            } else {
                format!("{head} {{\n{}\n}}\n", body.join("\n"))
            };
            let out = if role.login { &mut users } else { &mut groups };
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&text);
        }
        (groups, users)
    }

    /// What one database holds: object privileges (per grantee), schemas, default privileges
    /// and what PUBLIC may do. `several`: the database is one of several in one policy.
    fn database_part(&mut self, state: &LiveState, several: bool) -> DatabasePart {
        // Object privileges granted to others, by the owner or by another grantor with the grant
        // option: the policy says what each grantee holds, whoever granted it (rolec grants it
        // again as the owner and revokes the other grantor's grant).
        let mut acls: BTreeMap<Option<String>, Acl> = BTreeMap::new();
        let mut objects: BTreeMap<LiveObject, String> = BTreeMap::new();
        for p in &state.privileges {
            // Of a policy over several databases, each database's block says what may be done
            // with it (the privileges of the others are read there too).
            if matches!(&p.object, LiveObject::Database { name } if several && *name != state.database) {
                continue;
            }
            objects.entry(p.object.clone()).or_insert_with(|| p.owner.clone());
            if p.grantee.as_deref() == Some(p.owner.as_str()) {
                continue;
            }
            if let Some(g) = &p.grantee {
                if !self.in_scope(g) {
                    continue;
                }
            }
            let e = acls
                .entry(p.grantee.clone())
                .or_default()
                .entry(p.object.clone())
                .or_default()
                .entry(p.privilege.clone())
                .or_insert(false);
            *e |= p.grantable;
        }
        let schema_owner: BTreeMap<&str, &str> =
            state.schemas.iter().filter_map(|s| Some((s.name.as_str(), s.owner.as_deref()?))).collect();
        let live_defaults: BTreeMap<(String, Option<String>, String), GranteeAcl> = state
            .default_privileges
            .iter()
            .map(|d| {
                let mut acl: BTreeMap<Option<String>, Privs> = BTreeMap::new();
                for item in &d.acl {
                    *acl.entry(item.grantee.clone()).or_default().entry(item.privilege.clone()).or_insert(false) |=
                        item.grantable;
                }
                ((d.owner.clone(), d.schema.clone(), d.kind.clone()), acl)
            })
            .collect();

        // Bulk grants, and the default privileges they imply (left out of `defaults`).
        let mut implied: BTreeMap<(String, String, String, String), Privs> = BTreeMap::new();
        let mut bulk: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (grantee, acl) in acls.iter_mut() {
            let Some(grantee) = grantee else { continue };
            for (kind, default_kind) in [("tables", "tables"), ("sequences", "sequences"), ("functions", "functions")] {
                let mut by_schema: BTreeMap<&str, Vec<&LiveObject>> = BTreeMap::new();
                for o in objects.keys() {
                    if let Some(s) = bulk_schema(o, kind) {
                        by_schema.entry(s).or_default().push(o);
                    }
                }
                for (schema, objs) in by_schema {
                    let Some(owner) = schema_owner.get(schema).copied() else { continue };
                    if owner == grantee {
                        continue;
                    }
                    // Privileges on every object, and those grantable on every object.
                    let mut common: Option<Privs> = None;
                    for o in &objs {
                        let have = acl.get(*o).cloned().unwrap_or_default();
                        common = Some(match common {
                            None => have,
                            Some(c) => c.into_iter().filter_map(|(p, g)| have.get(&p).map(|h| (p, g && *h))).collect(),
                        });
                    }
                    let Some(common) = common else { continue };
                    // Only what the owner's default privileges in the schema already give.
                    let defaults = live_defaults
                        .get(&(owner.to_string(), Some(schema.to_string()), default_kind.to_string()))
                        .and_then(|a| a.get(&Some(grantee.clone())));
                    let factored: Privs = common
                        .into_iter()
                        .filter_map(|(p, g)| {
                            let d = *defaults?.get(&p)?;
                            Some((p, g && d))
                        })
                        .collect();
                    if factored.is_empty() {
                        continue;
                    }
                    for o in &objs {
                        if let Some(have) = acl.get_mut(*o) {
                            have.retain(|p, g| match factored.get(p) {
                                Some(f) => *g && !*f,
                                None => true,
                            });
                        }
                    }
                    for (privs, option) in split(&factored) {
                        bulk.entry(grantee.clone()).or_default().push(format!(
                            "grant {} on {kind} in schema {}{}",
                            privs,
                            object_name(schema),
                            if option { " with grant option" } else { "" }
                        ));
                    }
                    implied.insert(
                        (owner.to_string(), schema.to_string(), default_kind.to_string(), grantee.clone()),
                        factored,
                    );
                }
            }
            acl.retain(|_, p| !p.is_empty());
        }

        let mut grants: BTreeMap<String, Vec<String>> = bulk;
        for (grantee, acl) in &acls {
            if let Some(g) = grantee {
                grants.entry(g.clone()).or_default().extend(grant_lines(acl));
            }
        }
        // Default privileges.
        let mut default_blocks: BTreeMap<(String, Option<String>), Vec<String>> = BTreeMap::new();
        for ((owner, schema, kind), acl) in &live_defaults {
            if kind == "large_objects" {
                continue;
            }
            let baseline = if schema.is_none() { builtin_default(kind, owner, self.major) } else { BTreeMap::new() };
            let grantees: BTreeSet<&Option<String>> = acl.keys().chain(baseline.keys()).collect();
            let mut lines = Vec::new();
            for g in grantees {
                if let Some(r) = g {
                    if !self.in_scope(r) {
                        continue;
                    }
                }
                let empty = Privs::new();
                let mut have = acl.get(g).cloned().unwrap_or_default();
                if let (Some(s), Some(r)) = (schema, g) {
                    if let Some(i) = implied.get(&(owner.clone(), s.clone(), kind.clone(), r.clone())) {
                        have.retain(|p, o| match i.get(p) {
                            Some(io) => *o && !*io,
                            None => true,
                        });
                    }
                }
                let base = baseline.get(g).unwrap_or(&empty);
                let to = match g {
                    None => "public".to_string(),
                    Some(r) => self.role_ref(r),
                };
                let grants: Privs = have
                    .iter()
                    .filter(|(p, o)| base.get(*p).is_none_or(|b| **o && !*b))
                    .map(|(p, o)| (p.clone(), *o))
                    .collect();
                for (privs, option) in split(&grants) {
                    lines.push(format!(
                        "grant {privs} on {kind} to {to}{}",
                        if option { " with grant option" } else { "" }
                    ));
                }
                let revokes: Vec<String> = base
                    .keys()
                    .filter(|p| !have.contains_key(*p) && !acl.get(g).is_some_and(|a| a.contains_key(*p)))
                    .map(|p| p.to_ascii_lowercase())
                    .collect();
                if !revokes.is_empty() {
                    let what = if revokes.len() > 1 && revokes.len() == base.len() {
                        "all".to_string()
                    } else {
                        revokes.join(", ")
                    };
                    lines.push(format!("revoke {what} on {kind} from {to}"));
                }
            }
            if !lines.is_empty() {
                default_blocks.entry((owner.clone(), schema.clone())).or_default().extend(lines);
            }
        }
        let mut defaults = String::new();
        for ((owner, schema), lines) in default_blocks {
            let owner = self.role_ref(&owner);
            let in_schema = schema.as_ref().map(|s| format!(" in schema {}", object_name(s))).unwrap_or_default();
            defaults.push_str(&format!("\ndefaults for role {owner}{in_schema} {{\n{}\n}}\n", lines.join("\n")));
        }

        // What PUBLIC may do, compared with the built-in defaults.
        let mut public_lines = Vec::new();
        let public_acl = acls.get(&None).cloned().unwrap_or_default();
        for object in objects.keys() {
            let default = public_default(object);
            let have: BTreeSet<&str> =
                public_acl.get(object).map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
            let grant: Vec<String> =
                have.iter().filter(|p| !default.contains(*p)).map(|p| p.to_ascii_lowercase()).collect();
            let revoke: Vec<String> =
                default.iter().filter(|p| !have.contains(*p)).map(|p| p.to_ascii_lowercase()).collect();
            for (verb, privs) in [("grant", grant), ("revoke", revoke)] {
                if !privs.is_empty() {
                    public_lines.push(format!("{verb} {} on {}", privs.join(", "), target(object)));
                }
            }
        }

        // Schemas (their owners are roles too).
        let mut schemas = String::new();
        for s in &state.schemas {
            let owner = match &s.owner {
                Some(o) => format!(" {{ owner {} }}", self.role_ref(o)),
                None => String::new(),
            };
            schemas.push_str(&format!("schema {}{owner}\n", object_name(&s.name)));
        }
        DatabasePart { grants, schemas, public_lines, defaults }
    }
}

/// What [`Importer::database_part`] found in one database.
struct DatabasePart {
    /// grantee → `grant PRIVS on TARGET [with grant option]` (as a role's body says it)
    grants: BTreeMap<String, Vec<String>>,
    schemas: String,
    public_lines: Vec<String>,
    defaults: String,
}

impl DatabasePart {
    /// The part as policy text: with the grants as top-level `grant … to ROLE` lines when
    /// `top_level` (in an `in database` block), else without them (in the roles' bodies).
    fn text(&self, top_level: bool) -> String {
        let mut text = self.schemas.clone();
        if top_level {
            for (role, lines) in &self.grants {
                for line in lines {
                    let (grant, option) = match line.strip_suffix(" with grant option") {
                        Some(g) => (g, " with grant option"),
                        None => (line.as_str(), ""),
                    };
                    text.push_str(&format!("{grant} to {}{option}\n", name(role)));
                }
            }
        }
        if !self.public_lines.is_empty() {
            text.push_str(&format!("\npublic {{\n{}\n}}\n", self.public_lines.join("\n")));
        }
        text.push_str(&self.defaults);
        text
    }
}

/// The schema of `o` if a bulk grant of `kind` covers it.
fn bulk_schema<'o>(o: &'o LiveObject, kind: &str) -> Option<&'o str> {
    match (o, kind) {
        (LiveObject::Table { schema, .. }, "tables") | (LiveObject::Sequence { schema, .. }, "sequences") => {
            Some(schema)
        }
        (LiveObject::Routine { schema, prokind, .. }, "functions") if prokind != "p" => Some(schema),
        _ => None,
    }
}

/// `(privileges, with grant option)` statements for a privilege map.
fn split(privs: &Privs) -> Vec<(String, bool)> {
    let plain: Vec<String> = privs.iter().filter(|(_, o)| !**o).map(|(p, _)| p.to_ascii_lowercase()).collect();
    let option: Vec<String> = privs.iter().filter(|(_, o)| **o).map(|(p, _)| p.to_ascii_lowercase()).collect();
    [(plain, false), (option, true)]
        .into_iter()
        .filter(|(p, _)| !p.is_empty())
        .map(|(p, o)| (p.join(", "), o))
        .collect()
}

/// The `grant` lines of one grantee: per object, columns of a table grouped per privilege.
fn grant_lines(acl: &Acl) -> Vec<String> {
    let mut lines = Vec::new();
    // (schema, table, privilege, option) → columns
    let mut columns: BTreeMap<(String, String, String, bool), Vec<String>> = BTreeMap::new();
    for (object, privs) in acl {
        if let LiveObject::Column { schema, table, column } = object {
            for (p, o) in privs {
                columns.entry((schema.clone(), table.clone(), p.clone(), *o)).or_default().push(column.clone());
            }
            continue;
        }
        for (privs, option) in split(privs) {
            lines.push(format!(
                "grant {privs} on {}{}",
                target(object),
                if option { " with grant option" } else { "" }
            ));
        }
    }
    // Privileges with the same columns in one statement.
    let mut merged: BTreeMap<(String, String, Vec<String>, bool), Vec<String>> = BTreeMap::new();
    for ((schema, table, p, o), cols) in columns {
        merged.entry((schema, table, cols, o)).or_default().push(p.to_ascii_lowercase());
    }
    for ((schema, table, cols, o), privs) in merged {
        let cols: Vec<String> = cols.iter().map(|c| object_name(c)).collect();
        lines.push(format!(
            "grant {} on column ({}) of table {}.{}{}",
            privs.join(", "),
            cols.join(", "),
            object_name(&schema),
            object_name(&table),
            if o { " with grant option" } else { "" }
        ));
    }
    lines
}

/// How a grant names an object.
fn target(o: &LiveObject) -> String {
    let q = |s: &str, n: &str| format!("{}.{}", object_name(s), object_name(n));
    match o {
        LiveObject::Table { schema, name: n, .. } => format!("table {}", q(schema, n)),
        LiveObject::Sequence { schema, name: n } => format!("sequence {}", q(schema, n)),
        LiveObject::Column { schema, table, column } => {
            format!("column ({}) of table {}", object_name(column), q(schema, table))
        }
        LiveObject::Routine { schema, name: n, args, prokind } => {
            let kind = if prokind == "p" { "procedure" } else { "function" };
            format!("{kind} {}({})", q(schema, n), args.join(", "))
        }
        LiveObject::Schema { name: n } => format!("schema {}", object_name(n)),
        LiveObject::Database { name: n } => format!("database {}", object_name(n)),
        LiveObject::Type { schema, name: n } => format!("type {}", q(schema, n)),
        LiveObject::Domain { schema, name: n } => format!("domain {}", q(schema, n)),
    }
}

/// What PUBLIC has on an object by default (acldefault; the `public` schema is compared as
/// any other schema).
fn public_default(o: &LiveObject) -> Vec<&'static str> {
    let kind = match o {
        LiveObject::Database { .. } => AclKind::Database,
        LiveObject::Routine { .. } => AclKind::Routine,
        LiveObject::Type { .. } | LiveObject::Domain { .. } => AclKind::Type,
        _ => return Vec::new(),
    };
    kind.public_defaults().iter().map(|p| p.sql()).collect()
}

/// What a global default-privilege entry that does not exist stands for: everything for the
/// owner, and PUBLIC's built-in privileges.
fn builtin_default(kind: &str, owner: &str, major: u32) -> BTreeMap<Option<String>, Privs> {
    let mut acl = BTreeMap::new();
    let Some(kind) = AclKind::of_default_acl(kind) else {
        acl.insert(Some(owner.to_string()), Privs::new());
        return acl;
    };
    acl.insert(
        Some(owner.to_string()),
        kind.all_privileges_sql(major).iter().map(|p| (p.to_string(), false)).collect(),
    );
    let public = kind.public_defaults();
    if !public.is_empty() {
        acl.insert(None, public.iter().map(|p| (p.sql().to_string(), false)).collect());
    }
    acl
}

/// Roles after the roles they are members of, then by name.
fn dependency_order<'r>(
    roles: &[&'r str],
    memberships: &BTreeMap<&str, BTreeMap<&str, (bool, bool, bool)>>,
) -> Vec<&'r str> {
    let set: BTreeSet<&str> = roles.iter().copied().collect();
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    fn visit<'r>(
        r: &'r str,
        set: &BTreeSet<&'r str>,
        m: &BTreeMap<&str, BTreeMap<&'r str, (bool, bool, bool)>>,
        depth: &mut BTreeMap<&'r str, usize>,
        guard: usize,
    ) -> usize {
        if let Some(d) = depth.get(r) {
            return *d;
        }
        let d = if guard > 1000 {
            0
        } else {
            m.get(r)
                .map(|groups| {
                    groups
                        .keys()
                        .filter(|g| set.contains(*g))
                        .map(|g| visit(g, set, m, depth, guard + 1) + 1)
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0)
        };
        depth.insert(r, d);
        d
    }
    let mut out: Vec<&str> = roles.to_vec();
    for r in roles {
        visit(r, &set, memberships, &mut depth, 0);
    }
    out.sort_by_key(|r| (depth[r], *r));
    out
}

/// Words of the language a bare name must not be (they would read as keywords).
const KEYWORDS: &[&str] = &[
    "all",
    "public",
    "roles",
    "users",
    "role",
    "user",
    "with",
    "from",
    "until",
    "for",
    "reason",
    "inherit",
    "noinherit",
    "noset",
    "in",
    "on",
    "to",
    "of",
    "schema",
    "table",
    "view",
    "sequence",
    "function",
    "procedure",
    "routine",
    "database",
    "type",
    "domain",
    "column",
    "columns",
    "tables",
    "sequences",
    "functions",
    "routines",
    "types",
    "schemas",
    "grant",
    "revoke",
    "member",
    "without",
    "set",
    "external",
    "defaults",
    "policy",
    "template",
    "let",
    "import",
    "manage",
    "owner",
    "creators",
    "tags",
    "comment",
    "use",
    "connect",
    "login",
    "nologin",
    "superuser",
    "createdb",
    "createrole",
    "replication",
    "bypassrls",
    "admin",
    "option",
    "when",
    "if",
    "during",
    "between",
    "requires",
    "approved",
    "unless",
    "extends",
    "matching",
];

/// A name: bare when it reads back the same (lower case, no keyword), else double-quoted.
pub fn name(n: &str) -> String {
    let mut chars = n.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&n);
    if bare {
        n.to_string()
    } else {
        string(n)
    }
}

/// A schema, object, column or database name: bare when it reads back the same.
pub fn object_name(n: &str) -> String {
    let bare = n.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        n.to_string()
    } else {
        string(n)
    }
}

/// A setting's value: a list when it is one (`search_path = ["app", "public"]`), else a string.
/// A list that PostgreSQL stored with quoted elements (`"$user", "My Schema", public`) is read
/// back into its values.
fn setting_value(param: &str, v: &str) -> String {
    let values = crate::pg::settings::stored_values(param, v);
    if values.len() > 1 || values.first().is_some_and(|only| only != v) {
        return match values.as_slice() {
            [only] => string(only),
            _ => format!("[{}]", values.iter().map(|p| string(p)).collect::<Vec<_>>().join(", ")),
        };
    }
    let parts: Vec<&str> = v.split(", ").collect();
    if parts.len() > 1 && parts.iter().all(|p| !p.is_empty() && !p.contains(['"', '\'', ',']) && p.trim() == *p) {
        format!("[{}]", parts.iter().map(|p| string(p)).collect::<Vec<_>>().join(", "))
    } else {
        string(v)
    }
}

pub use crate::syntax::write::string;

/// The environment variable a placeholder password names: `APP_USER_PASSWORD`.
fn env_name(role: &str) -> String {
    let mut s: String =
        role.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        s.insert(0, '_');
    }
    s + "_PASSWORD"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_strings() {
        assert_eq!(name("readers"), "readers");
        assert_eq!(name("App Owner"), "\"App Owner\"");
        assert_eq!(name("all"), "\"all\"");
        assert_eq!(name("Mixed"), "\"Mixed\"");
        assert_eq!(string("a\"b{c}\\\n"), "\"a\\\"b\\{c}\\\\\\n\"");
        assert_eq!(env_name("jane.smith"), "JANE_SMITH_PASSWORD");
    }
}
