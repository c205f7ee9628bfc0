//! Syntax tree → resolved model: names evaluated, `let`/`for`/templates/`extends` expanded,
//! references checked. The model is plain data; lowering and analysis read only the model.

pub mod catalog;
pub(crate) mod checks;
mod default_privileges;
pub mod resolve;
pub mod values;

pub use default_privileges::{default_object_kind, merged_default_privileges};
pub use resolve::resolve;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::pg::AclKind;
use crate::syntax::ast::{AttributeKind, BulkKind, DefaultKind, Privilege};
use crate::syntax::Span;

/// What the command line adds to a policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BuildOptions {
    /// `--set NAME=VALUE`, in order.
    pub sets: Vec<(String, String)>,
    /// `--at`: the instant time windows are evaluated at, in seconds since the epoch.
    pub at: i64,
    /// `--target-version`: the PostgreSQL major version the SQL is for.
    pub target_version: u32,
    /// `--idempotent`: `up.sql` can run again on a database it already converged.
    pub idempotent: bool,
    /// `--lock`: scripts take an advisory lock so that concurrent runs serialize.
    pub lock: bool,
    /// `--roles-only`: scripts create roles, their attributes, settings, comments and
    /// memberships, and grant no object privileges and no default privileges.
    pub roles_only: bool,
}

pub const DEFAULT_TARGET_VERSION: u32 = 15;

impl BuildOptions {
    /// Whether scripts must be safe to run again: `--idempotent`, or `--lock` (which only
    /// makes sense for scripts that several runs may apply).
    pub fn rerunnable(&self) -> bool {
        self.idempotent || self.lock
    }
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            sets: Vec::new(),
            at: 0,
            target_version: DEFAULT_TARGET_VERSION,
            idempotent: false,
            lock: false,
            roles_only: false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    /// `--set` names that match no `let` (a usage error for the command line).
    pub unknown_sets: Vec<String>,
}

impl Drop for Resolved {
    fn drop(&mut self) {
        crate::drop_elsewhere::drop_elsewhere(std::mem::take(&mut self.model));
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Model {
    /// Roles the policy creates, in declaration order. Shared (as memberships and grants
    /// are), so that combining the files' parts and extracting the analysis' inputs copy no
    /// role.
    pub roles: Vec<std::sync::Arc<Role>>,
    /// Roles that exist already and are only referenced (`external role`).
    pub external_roles: Vec<String>,
    /// `manage roles matching "glob"`: existing roles plan/apply also manage (valid globs,
    /// in declaration order).
    pub managed_globs: Vec<String>,
    pub schemas: Vec<Schema>,
    pub memberships: Vec<std::sync::Arc<Membership>>,
    /// Shared, so that the analysis can hand grants to per-role queries without copying them.
    pub grants: Vec<std::sync::Arc<ObjectGrant>>,
    pub default_privileges: Vec<DefaultPrivilege>,
    pub hba: Vec<HbaRule>,
    pub objects: Vec<InventoryObject>,
    /// `policy` blocks, checked by [`crate::analysis::policy`].
    pub policies: Vec<Policy>,
    /// `databases a, b`: the databases of the cluster the policy covers, the default one
    /// first. Empty: everything belongs to the database the commands connect to.
    pub databases: Vec<String>,
}

impl Model {
    /// The databases whose objects the policy states, in order; `[None]` (the connected one)
    /// when it names none.
    pub fn database_list(&self) -> Vec<Option<&str>> {
        match self.databases.is_empty() {
            true => vec![None],
            false => self.databases.iter().map(|d| Some(d.as_str())).collect(),
        }
    }

    /// The policy as one database sees it: every role, membership, setting and policy rule,
    /// and of the object-level entries (grants, default privileges, schemas, inventory) only
    /// those of `database`. With `None` (a policy that names no database) the model itself.
    pub fn for_database(&self, database: Option<&str>) -> Model {
        let mut m = self.clone();
        if database.is_none() {
            return m;
        }
        m.grants.retain(|g| g.database.as_deref() == database);
        m.default_privileges.retain(|d| d.database.as_deref() == database);
        m.schemas.retain(|s| s.database.as_deref() == database);
        m.objects.retain(|o| o.database.as_deref() == database);
        m
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: String,
    pub is_user: bool,
    /// Every attribute with its final value (`login` is true for users unless overridden).
    pub attributes: BTreeMap<AttributeKind, bool>,
    pub connection_limit: Option<i64>,
    /// A timestamp, `infinity` or `-infinity`.
    pub valid_until: Option<String>,
    pub password: Option<PasswordSource>,
    pub settings: Vec<Setting>,
    pub comment: Option<String>,
    pub tags: Vec<String>,
    #[serde(skip)]
    pub origin: Span,
}

impl Role {
    pub fn attribute(&self, kind: AttributeKind) -> bool {
        self.attributes.get(&kind).copied().unwrap_or(false)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordSource {
    /// Read from environment variable `env` when the SQL is written.
    Secret {
        env: String,
        #[serde(skip)]
        origin: Span,
    },
    /// A validated SCRAM-SHA-256 verifier.
    #[serde(skip)]
    Verifier(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub param: String,
    /// One element for scalars; several for list settings such as `search_path`.
    pub values: Vec<String>,
    pub database: Option<String>,
    #[serde(skip)]
    pub origin: Span,
}

/// `GRANT role TO member`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub role: String,
    pub member: String,
    pub admin: bool,
    /// Per-membership INHERIT (16+); `None` keeps PostgreSQL's default.
    pub inherit: Option<bool>,
    /// Per-membership SET (16+); `None` keeps PostgreSQL's default.
    pub set: Option<bool>,
    /// Seconds since the epoch; `None` = unbounded.
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// Whether the window is open at build time (`--at`); closed memberships are not granted.
    pub active: bool,
    /// A relative window (`for 4h` without `from`), in seconds. Offline it starts at `--at`
    /// (`from` is `--at`, `until` `--at` + this); the live commands start it when an apply
    /// first grants the membership, as recorded in the database.
    pub duration: Option<i64>,
    pub reason: Option<String>,
    #[serde(skip)]
    pub origin: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grantee {
    Public,
    Role(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Object {
    Table {
        schema: String,
        name: String,
    },
    View {
        schema: String,
        name: String,
    },
    Sequence {
        schema: String,
        name: String,
    },
    /// Functions and procedures; `args` are SQL type names, already safe to print.
    Routine {
        schema: String,
        name: String,
        args: Vec<String>,
    },
    Schema {
        name: String,
    },
    Database {
        name: String,
    },
    Type {
        schema: String,
        name: String,
    },
    Domain {
        schema: String,
        name: String,
    },
    Columns {
        schema: String,
        table: String,
        columns: Vec<String>,
    },
    /// Every object of a kind that exists now in a schema.
    AllIn {
        kind: BulkKind,
        schema: String,
    },
}

impl Object {
    /// The kind of object PostgreSQL's ACLs see; for a bulk grant, the kind of its objects.
    pub fn acl_kind(&self) -> AclKind {
        match self {
            Object::Table { .. } | Object::View { .. } | Object::AllIn { kind: BulkKind::Tables, .. } => {
                AclKind::Relation
            }
            Object::Sequence { .. } | Object::AllIn { kind: BulkKind::Sequences, .. } => AclKind::Sequence,
            Object::Routine { .. } | Object::AllIn { kind: BulkKind::Functions | BulkKind::Routines, .. } => {
                AclKind::Routine
            }
            Object::Schema { .. } => AclKind::Schema,
            Object::Database { .. } => AclKind::Database,
            Object::Type { .. } | Object::Domain { .. } => AclKind::Type,
            Object::Columns { .. } => AclKind::Column,
        }
    }

    /// What PUBLIC holds on this object when nothing was granted or revoked (`acldefault`, and
    /// the `public` schema as `initdb` creates it) on PostgreSQL `version`.
    pub fn public_defaults(&self, version: u32) -> &'static [Privilege] {
        match self {
            Object::Schema { name } if name == "public" => crate::pg::privilege::public_schema_defaults(version),
            _ => self.acl_kind().public_defaults(),
        }
    }

    /// How messages name the object: ``table `app.orders` ``.
    /// The schema the object is in (for a schema, itself); `None` for a database.
    pub fn schema(&self) -> Option<&str> {
        match self {
            Object::Table { schema, .. }
            | Object::View { schema, .. }
            | Object::Sequence { schema, .. }
            | Object::Routine { schema, .. }
            | Object::Type { schema, .. }
            | Object::Domain { schema, .. }
            | Object::Columns { schema, .. }
            | Object::AllIn { schema, .. } => Some(schema),
            Object::Schema { name } => Some(name),
            Object::Database { .. } => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Object::Table { schema, name } => format!("table `{schema}.{name}`"),
            Object::View { schema, name } => format!("view `{schema}.{name}`"),
            Object::Sequence { schema, name } => format!("sequence `{schema}.{name}`"),
            Object::Routine { schema, name, args } => format!("function `{schema}.{name}({})`", args.join(", ")),
            Object::Schema { name } => format!("schema `{name}`"),
            Object::Database { name } => format!("database `{name}`"),
            Object::Type { schema, name } => format!("type `{schema}.{name}`"),
            Object::Domain { schema, name } => format!("domain `{schema}.{name}`"),
            Object::Columns { schema, table, columns } => {
                format!("columns ({}) of `{schema}.{table}`", columns.join(", "))
            }
            Object::AllIn { kind, schema } => format!(
                "{} in schema `{schema}`",
                match kind {
                    BulkKind::Tables => "tables",
                    BulkKind::Sequences => "sequences",
                    BulkKind::Functions => "functions",
                    BulkKind::Routines => "routines",
                }
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectGrant {
    pub grantee: Grantee,
    pub privileges: Vec<Privilege>,
    pub object: Object,
    pub grant_option: bool,
    /// A `revoke` (only in `public { … }`).
    pub revoke: bool,
    /// The database the object is in (`in database`); `None`: a policy that names no database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip)]
    pub origin: Span,
}

/// One `ALTER DEFAULT PRIVILEGES` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DefaultPrivilege {
    /// The role whose future objects get the privileges (`FOR ROLE`).
    pub owner: String,
    /// `None`: global, for objects in any schema.
    pub schema: Option<String>,
    pub kind: DefaultKind,
    pub grantee: Grantee,
    pub privileges: Vec<Privilege>,
    pub grant_option: bool,
    pub revoke: bool,
    /// Implied by a bulk grant (`… on tables in schema S`) rather than written in `defaults`.
    pub implied: bool,
    /// The database the entry is in; `None`: a policy that names no database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip)]
    pub origin: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub name: String,
    pub owner: Option<String>,
    pub creators: Vec<String>,
    pub tags: Vec<String>,
    /// The database the schema is in; `None`: a policy that names no database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip)]
    pub origin: Span,
}

impl Schema {
    /// The roles whose future objects in this schema bulk grants cover.
    pub fn creator_roles(&self) -> impl Iterator<Item = &String> {
        self.owner.iter().chain(self.creators.iter().filter(move |c| Some(*c) != self.owner.as_ref()))
    }
}

/// A `connect from` rule, lowered to pg_hba.conf lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HbaRule {
    pub role: String,
    pub cidr: String,
    pub database: Option<String>,
    #[serde(skip)]
    pub origin: Span,
}

/// A `table`/`view`/`sequence`/`function` declaration: inventory for analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventoryObject {
    pub object: Object,
    pub tags: Vec<String>,
    /// The role that owns it, as the catalog snapshot says (`None`: not known). An owner has
    /// every privilege on its object, with grant option.
    pub owner: Option<String>,
    /// The database the object is in; `None`: a policy that names no database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The declaration; `None` for an object known from a catalog snapshot.
    #[serde(skip)]
    pub origin: Option<Span>,
}

/// A `policy` block: rules the policy's own roles must satisfy (checked by
/// [`crate::analysis::policy::check`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub name: String,
    pub scope: PolicyScope,
    pub rules: Vec<PolicyRule>,
    #[serde(skip)]
    pub origin: Span,
}

/// `applies to …`: the roles a policy's rules are checked on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyScope {
    /// No `applies to`, or `applies to all`: every role and user.
    All,
    /// `applies to users`: roles declared with `user`.
    Users,
    /// `applies to roles`: roles declared with `role`.
    Roles,
    /// A name, a glob or a list, globs expanded over the declared roles and users.
    Names(Vec<String>),
}

impl PolicyScope {
    /// Whether the rules apply to `role`.
    pub fn contains(&self, role: &Role) -> bool {
        match self {
            PolicyScope::All => true,
            PolicyScope::Users => role.is_user,
            PolicyScope::Roles => !role.is_user,
            PolicyScope::Names(names) => names.contains(&role.name),
        }
    }
}

/// One rule of a policy; `warn` turns its violations into warnings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyRule {
    pub warn: bool,
    pub kind: RuleKind,
    #[serde(skip)]
    pub origin: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// `exclusive a, b, …`: no role may reach two of these roles. Each name with its span.
    Exclusive(#[serde(serialize_with = "names_only")] Vec<(String, Span)>),
    /// `forbid ATTRIBUTE except …`: no role in scope may have the attribute set to `on`.
    Forbid { attribute: AttributeKind, on: bool, except: Vec<String> },
    /// `forbid grant [PRIVS] on TARGET to public`; no privileges: any privilege.
    ForbidGrantToPublic { privileges: Vec<Privilege>, object: Object },
    /// `memberships deeper than N`.
    MembershipsDeeperThan(u64),
    /// `max admin rights N`.
    MaxAdminRights(u64),
    /// `max schemas N`, counted over effective privileges (`analysis::limits`).
    MaxSchemas(u64),
    /// `max tables N`, counted over the inventory's tables and views.
    MaxTables(u64),
    /// `max tables tagged TAG N`.
    MaxTablesTagged { tag: String, max: u64 },
}

fn names_only<S: serde::Serializer>(names: &[(String, Span)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter().map(|(n, _)| n))
}
