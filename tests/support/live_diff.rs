//! The random policies and out-of-band change kinds of `tests/live_diff_prop_pg.rs`: the
//! policy generator (the inventory, grants and `defaults` entries of `tests/privileges_pg.rs`,
//! plus admin options and time windows), and the kinds a run switches on.

use std::fmt::Write as _;

use proptest::prelude::*;
use rolec::syntax::ast::Privilege;

/// The database every case runs in (made afresh from a template per case).
pub const DB: &str = "live";

/// The inventory: what the policies declare and the out-of-band changes act on. `s2` is a
/// schema no policy names, where anyone may create (it stands for "any other schema"); `ty`
/// is a type (the policies say nothing about types: PUBLIC has USAGE, the owner the option).
pub const SETUP: &str = "
CREATE SCHEMA s0;
CREATE SCHEMA s1;
CREATE TABLE s0.t0 (a int, b int);
CREATE TABLE s0.t1 (a int, b int);
CREATE TABLE s1.t0 (a int, b int);
CREATE VIEW s0.v AS SELECT a, b FROM s0.t0;
CREATE SEQUENCE s0.q;
CREATE FUNCTION s0.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1';
CREATE TYPE s0.ty AS ENUM ('a');
CREATE SCHEMA s2;
GRANT USAGE, CREATE ON SCHEMA s2 TO PUBLIC;
-- The validators of sql and plpgsql check that the creator may EXECUTE the new function,
-- which one whose default privileges revoke EXECUTE from itself and from PUBLIC may not: a
-- language without a validator for the functions created later.
CREATE FUNCTION public.nv_handler() RETURNS language_handler AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE C;
CREATE TRUSTED LANGUAGE plnv HANDLER public.nv_handler;
";

/// `--at` of the applies of a case, as rolec reads it and in seconds since the epoch: the
/// windows of the policies open and close between them.
pub const TIMES: [(&str, i64); 4] = [
    ("2026-06-01T00:00:00Z", 1_780_272_000),
    ("2026-06-01T02:00:00Z", 1_780_272_000 + 2 * 3600),
    ("2026-06-01T05:00:00Z", 1_780_272_000 + 5 * 3600),
    ("2026-07-11T00:00:00Z", 1_780_272_000 + 40 * 86400),
];

/// A kind of out-of-band change (or of policy feature whose effect shows over time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// As a superuser (acting as the objects' owner): grants and revokes of object privileges
    /// and memberships, default privileges, role attributes.
    Owner,
    /// Grants by a policy role holding the grant option (not the owner), and their revokes.
    Grantor,
    /// Memberships granted by a policy role holding ADMIN OPTION on the role.
    Admin,
    /// Tables, views, sequences, functions, types and schemas created later by the roles the
    /// policy gives default privileges (schema owners, creators, `defaults for role`).
    CreatedWithDefaults,
    /// The same, created by policy roles the policy gives no default privileges.
    CreatedPlain,
    /// Roles created by hand: unmanaged ones (members of policy roles, holding privileges,
    /// granted to policy roles) and ones matching the policy's `manage roles matching "m*"`.
    HandRoles,
    /// Absolute time windows on memberships (`from`, `until`), which the applies' `--at` pass.
    Windows,
    /// Relative windows (`for 4h`): they start at the first apply and end whatever `--at` says.
    RelativeWindows,
    /// A schema owner's own privileges on its schema: granted by the policy (it holds them
    /// anyway), revoked out of band (as the `owner` kind does otherwise).
    OwnerGrants,
}

pub const KINDS: [(Kind, &str); 9] = [
    (Kind::Owner, "owner"),
    (Kind::Grantor, "grantor"),
    (Kind::Admin, "admin"),
    (Kind::CreatedWithDefaults, "created-with-defaults"),
    (Kind::CreatedPlain, "created-plain"),
    (Kind::HandRoles, "hand-roles"),
    (Kind::Windows, "windows"),
    (Kind::RelativeWindows, "relative-windows"),
    (Kind::OwnerGrants, "owner-grants"),
];

/// The kinds rolec does not yet handle (each fails the test): off unless named in
/// `ROLEC_LIVEDIFF_KINDS`. Switch each on here once fixed.
pub const NOT_YET: &[Kind] = &[];

/// Kinds rolec does not yet handle on PostgreSQL 16 and later only.
pub const NOT_YET_FROM_16: &[Kind] = &[];

/// The kinds of this run: `ROLEC_LIVEDIFF_KINDS` (`all`, or names separated by commas),
/// else every kind but [`NOT_YET`] (and [`NOT_YET_FROM_16`] on 16+).
pub fn kinds_from_env(version: u32) -> Vec<Kind> {
    let Ok(value) = std::env::var("ROLEC_LIVEDIFF_KINDS") else {
        return KINDS
            .iter()
            .map(|k| k.0)
            .filter(|k| !(NOT_YET.contains(k) || (version >= 16 && NOT_YET_FROM_16.contains(k))))
            .collect();
    };
    if value.trim() == "all" {
        return KINDS.iter().map(|k| k.0).collect();
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            KINDS.iter().find(|k| k.1 == name).map(|k| k.0).unwrap_or_else(|| {
                panic!("ROLEC_LIVEDIFF_KINDS: unknown kind {name:?}; known: all, {:?}", KINDS.map(|k| k.1))
            })
        })
        .collect()
}

pub fn kind_name(kind: Kind) -> &'static str {
    KINDS.iter().find(|k| k.0 == kind).map(|k| k.1).unwrap_or("?")
}

/// Grants a role may hold; `maintain` ones only on 17+.
pub fn grant_catalog(version: u32) -> Vec<&'static str> {
    let mut g = vec![
        "grant select on table s0.t0",
        "grant insert, update on table s0.t0",
        "grant all on table s0.t1",
        "grant delete, truncate, references, trigger on table s1.t0",
        "grant select on view s0.v",
        "grant usage on sequence s0.q",
        "grant select, update on sequence s0.q",
        "grant execute on function s0.f(integer)",
        "grant select on column (a) of table s0.t1",
        "grant update, references on columns (a, b) of table s1.t0",
        "grant usage on schema s0",
        "grant create on schema s1",
        "grant all on schema s1",
        "grant create on database live",
        "grant select on tables in schema s0",
        "grant insert, delete on tables in schema s1",
        "grant all on tables in schema s0",
        "grant execute on functions in schema s0",
        "grant usage, select on sequences in schema s0",
        "grant select on table s0.t0 with grant option",
        "grant insert, update on tables in schema s1 with grant option",
        "grant usage on schema s0 with grant option",
        "grant execute on function s0.f(integer) with grant option",
        "grant update on column (a) of table s0.t1 with grant option",
        "grant connect, temporary on database live with grant option",
        "grant usage on sequence s0.q with grant option",
        "grant all on sequences in schema s0 with grant option",
    ];
    if version >= 17 {
        g.extend(["grant maintain on tables in schema s1", "grant maintain on table s0.t1 with grant option"]);
    }
    g
}

/// Entries of `defaults for role C [in schema S]` blocks: `{g}` a random role, `{o}` the
/// block's role. The first `SCOPED` may also appear with `in schema`.
const DEFAULTS: &[&str] = &[
    "grant select on tables to {g}",
    "grant insert, update on tables to {g} with grant option",
    "grant usage on sequences to {g}",
    "grant execute on functions to {g}",
    "grant select on tables to public",
    "grant execute on functions to public",
    "grant trigger on tables to {o}",
    // Global only.
    "grant usage on schemas to {g}",
    "grant create on schemas to {g} with grant option",
    "revoke execute on functions from public",
    "revoke all on tables from {o}",
    "revoke select on tables from {g}",
    "revoke usage on schemas from {o}",
];
const SCOPED: usize = 7;

/// Statements of the `public` block (distinct in object and privilege).
const PUBLIC: &[&str] = &[
    "grant select on table s1.t0",
    "revoke execute on function s0.f(integer)",
    "revoke temporary on database live",
    "grant usage on schema s1",
    "grant insert on tables in schema s0",
];

/// The windows a membership may have: `(policy, as the oracle reads it)`; 1–4 absolute,
/// 5–7 relative (the oracle's: from the first apply, `TIMES[0]`).
const WINDOWS: [(&str, &str); 8] = [
    ("", ""),
    (" from 2026-06-01T01:00:00Z", " from 2026-06-01T01:00:00Z"),
    (" until 2026-06-01T04:00:00Z", " until 2026-06-01T04:00:00Z"),
    (" from 2026-06-01T01:00:00Z until 2026-06-01T04:00:00Z", " from 2026-06-01T01:00:00Z until 2026-06-01T04:00:00Z"),
    (" from 2026-06-01T03:00:00Z until 2026-06-03", " from 2026-06-01T03:00:00Z until 2026-06-03"),
    (" for 4h", " from 2026-06-01T00:00:00Z until 2026-06-01T04:00:00Z"),
    (" for 1h", " from 2026-06-01T00:00:00Z until 2026-06-01T01:00:00Z"),
    (" for 90d", " from 2026-06-01T00:00:00Z until 2026-08-30"),
];

#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub user: bool,
    pub noinherit: bool,
    pub superuser: bool,
    pub grants: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct EdgeSpec {
    pub admin: bool,
    /// 16+: `None`, `Some(true)` = `inherit`, `Some(false)` = `noinherit`.
    pub inherit: Option<bool>,
    /// Index into [`WINDOWS`].
    pub window: usize,
}

/// `schema sK { owner …, creators […] }`: role indexes (modulo the number of roles).
#[derive(Clone, Debug)]
pub struct SchemaSpec {
    pub owner: Option<usize>,
    pub creators: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct DefaultsSpec {
    pub owner: usize,
    pub schema: Option<usize>,
    pub entries: Vec<(usize, usize)>,
}

/// One out-of-band change: an index into the kinds switched on, and numbers it picks with.
#[derive(Clone, Copy, Debug)]
pub struct Seed {
    pub kind: usize,
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub n: usize,
    pub roles: Vec<RoleSpec>,
    /// `r_i member of r_j` (j < i) at `i * (i - 1) / 2 + j`.
    pub edges: Vec<Option<EdgeSpec>>,
    pub public: Vec<usize>,
    pub schemas: Vec<SchemaSpec>,
    pub defaults: Vec<DefaultsSpec>,
    /// The changes before the second, third and fourth apply.
    pub changes: Vec<Vec<Seed>>,
}

pub const MAX_ROLES: usize = 7;

pub fn case(version: u32) -> impl Strategy<Value = Case> {
    let catalog = grant_catalog(version).len();
    let role = (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.05),
        prop::collection::btree_set(0..catalog, 0..4),
    )
        .prop_map(|(user, noinherit, superuser, grants)| RoleSpec {
            user,
            noinherit,
            superuser,
            grants: grants.into_iter().collect(),
        });
    let inherit = prop_oneof![2 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))];
    let window = prop_oneof![5 => Just(0usize), 4 => 1..WINDOWS.len()];
    let edge = prop::option::weighted(
        0.35,
        (prop::bool::weighted(0.3), inherit, window).prop_map(|(admin, inherit, window)| EdgeSpec {
            admin,
            inherit,
            window,
        }),
    );
    let public = prop_oneof![1 => Just(std::collections::BTreeSet::new()), 1 => prop::collection::btree_set(0..PUBLIC.len(), 1..3)];
    let schema = (prop::option::weighted(0.6, 0..MAX_ROLES), prop::collection::btree_set(0..MAX_ROLES, 0..3))
        .prop_map(|(owner, creators)| SchemaSpec { owner, creators: creators.into_iter().collect() });
    let defaults = (
        0..MAX_ROLES,
        prop::option::weighted(0.5, 0..2usize),
        prop::collection::vec((0..DEFAULTS.len(), 0..MAX_ROLES), 1..4),
    )
        .prop_map(|(owner, schema, entries)| DefaultsSpec { owner, schema, entries });
    let seed =
        (0..64usize, any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(kind, a, b, c)| Seed { kind, a, b, c });
    let changes = prop::collection::vec(prop::collection::vec(seed, 1..5), TIMES.len() - 1);
    (
        (
            4..=MAX_ROLES,
            prop::collection::vec(role, MAX_ROLES),
            prop::collection::vec(edge, MAX_ROLES * (MAX_ROLES - 1) / 2),
            public,
        ),
        prop::collection::vec(schema, 2),
        prop::collection::vec(defaults, 0..3),
        changes,
    )
        .prop_map(|((n, roles, edges, public), schemas, defaults, changes)| Case {
            n,
            roles,
            edges,
            public: public.into_iter().collect(),
            schemas,
            defaults,
            changes,
        })
}

/// The policy of a case. `oracle`: relative windows written as the absolute windows they
/// mean (from the first apply). Windows of a kind not switched on are left out.
pub fn policy_text(c: &Case, version: u32, kinds: &[Kind], oracle: bool) -> String {
    let catalog = grant_catalog(version);
    let mut out = String::from(
        "manage roles matching \"m*\"\ntable s0.t0\ntable s0.t1\ntable s1.t0\nview s0.v\nsequence s0.q\nfunction s0.f(integer)\n",
    );
    for (k, sc) in c.schemas.iter().enumerate() {
        let mut parts = Vec::new();
        if let Some(o) = sc.owner {
            parts.push(format!("owner r{}", o % c.n));
        }
        let creators: Vec<String> = sc.creators.iter().map(|r| format!("r{}", r % c.n)).collect();
        if !creators.is_empty() {
            parts.push(format!("creators [{}]", creators.join(", ")));
        }
        let _ = writeln!(out, "schema s{k} {{ {} }}", parts.join(", "));
    }
    for d in &c.defaults {
        let owner = format!("r{}", d.owner % c.n);
        let scope = d.schema.map(|s| format!(" in schema s{s}")).unwrap_or_default();
        let _ = writeln!(out, "defaults for role {owner}{scope} {{");
        for &(e, g) in &d.entries {
            let e = if d.schema.is_some() { e % SCOPED } else { e };
            let _ = writeln!(out, "  {}", DEFAULTS[e].replace("{g}", &format!("r{}", g % c.n)).replace("{o}", &owner));
        }
        out.push_str("}\n");
    }
    for i in 0..c.n {
        let r = &c.roles[i];
        let _ = writeln!(out, "{} r{i} {{", if r.user { "user" } else { "role" });
        if r.noinherit {
            out.push_str("  noinherit\n");
        }
        if r.superuser {
            out.push_str("  superuser\n");
        }
        for j in 0..i {
            let Some(e) = &c.edges[i * (i - 1) / 2 + j] else { continue };
            let _ = write!(out, "  member of r{j}");
            if e.admin {
                out.push_str(" with admin option");
            }
            if version >= 16 {
                match e.inherit {
                    Some(true) => out.push_str(" inherit"),
                    Some(false) => out.push_str(" noinherit"),
                    None => {}
                }
            }
            let on = match e.window {
                1..=4 => kinds.contains(&Kind::Windows),
                5.. => kinds.contains(&Kind::RelativeWindows),
                _ => false,
            };
            if on {
                let (policy, meant) = WINDOWS[e.window];
                out.push_str(if oracle { meant } else { policy });
            }
            out.push('\n');
        }
        for &g in &r.grants {
            let owned = |k: usize, s: &SchemaSpec| {
                s.owner.is_some_and(|o| o % c.n == i) && catalog[g].contains(&format!("on schema s{k}"))
            };
            if !kinds.contains(&Kind::OwnerGrants) && c.schemas.iter().enumerate().any(|(k, s)| owned(k, s)) {
                continue;
            }
            let _ = writeln!(out, "  {}", catalog[g]);
        }
        out.push_str("}\n");
    }
    if !c.public.is_empty() {
        out.push_str("public {\n");
        for &p in &c.public {
            let _ = writeln!(out, "  {}", PUBLIC[p]);
        }
        out.push_str("}\n");
    }
    out
}

/// A privilege as the `has_*_privilege` queries name it, and whether it is asked `WITH GRANT
/// OPTION`.
pub fn privilege(name: &str) -> (Privilege, bool) {
    let (name, option) = name.strip_suffix(" WITH GRANT OPTION").map_or((name, false), |p| (p, true));
    (Privilege::from_sql(name).unwrap_or_else(|| panic!("unknown privilege {name}")), option)
}

/// `'SELECT','SELECT WITH GRANT OPTION',…` for a list of privilege names.
pub fn with_options(privileges: &[&str]) -> String {
    privileges.iter().flat_map(|p| [format!("'{p}'"), format!("'{p} WITH GRANT OPTION'")]).collect::<Vec<_>>().join(",")
}
