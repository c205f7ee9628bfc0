//! The live state of a server: plain data read by [`super::introspect`], written as the
//! optional fields of a catalog snapshot, and compared with the policy by [`super::diff`].
//!
//! Roles, memberships, role settings, comments and databases are cluster-wide; object
//! privileges, default privileges and the inventory (schemas, objects) belong to the database
//! the connection reads. `grantee: null` is PUBLIC. Passwords are never read.

use serde::{Deserialize, Serialize};

use crate::model::catalog::{Catalog, CatalogObject, CatalogSchema, FORMAT};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LiveState {
    /// `server_version_num`, e.g. 150018.
    pub server_version: u32,
    /// The database object privileges and the inventory were read from.
    pub database: String,
    /// The role the connection runs as (never altered or dropped).
    pub current_user: String,
    pub databases: Vec<String>,
    pub roles: Vec<LiveRole>,
    pub memberships: Vec<LiveMembership>,
    pub privileges: Vec<LivePrivilege>,
    pub default_privileges: Vec<LiveDefaultAcl>,
    pub schemas: Vec<CatalogSchema>,
    pub objects: Vec<CatalogObject>,
}

impl LiveState {
    pub fn major(&self) -> u32 {
        self.server_version / 10000
    }

    pub fn role(&self, name: &str) -> Option<&LiveRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The snapshot of this state: the version-1 inventory plus the live fields.
    pub fn to_catalog(&self) -> Catalog {
        Catalog {
            format: FORMAT.to_string(),
            server_version: Some(self.server_version),
            databases: self.databases.clone(),
            schemas: self.schemas.clone(),
            objects: self.objects.clone(),
            live: Some(LiveFields {
                database: self.database.clone(),
                current_user: self.current_user.clone(),
                roles: self.roles.clone(),
                memberships: self.memberships.clone(),
                privileges: self.privileges.clone(),
                default_privileges: self.default_privileges.clone(),
            }),
        }
    }

    /// The state a snapshot holds, if it was taken from a live database.
    pub fn from_catalog(catalog: &Catalog) -> Option<LiveState> {
        let live = catalog.live.as_ref()?;
        Some(LiveState {
            server_version: catalog.server_version.unwrap_or(0),
            database: live.database.clone(),
            current_user: live.current_user.clone(),
            databases: catalog.databases.clone(),
            roles: live.roles.clone(),
            memberships: live.memberships.clone(),
            privileges: live.privileges.clone(),
            default_privileges: live.default_privileges.clone(),
            schemas: catalog.schemas.clone(),
            objects: catalog.objects.clone(),
        })
    }
}

/// The fields a snapshot of a live database adds to format 1 (flattened into the top level;
/// a reader of the plain inventory ignores them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LiveFields {
    pub database: String,
    pub current_user: String,
    pub roles: Vec<LiveRole>,
    pub memberships: Vec<LiveMembership>,
    pub privileges: Vec<LivePrivilege>,
    pub default_privileges: Vec<LiveDefaultAcl>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LiveRole {
    pub name: String,
    pub superuser: bool,
    pub createdb: bool,
    pub createrole: bool,
    pub login: bool,
    pub replication: bool,
    pub bypassrls: bool,
    pub inherit: bool,
    /// -1: no limit.
    pub connection_limit: i32,
    /// RFC 3339 in UTC, or `-infinity` (the password has always expired); `None` for no
    /// expiry (NULL or `infinity`).
    pub valid_until: Option<String>,
    pub settings: Vec<LiveSetting>,
    pub comment: Option<String>,
}

/// `ALTER ROLE … [IN DATABASE d] SET param = value`, as pg_db_role_setting stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LiveSetting {
    pub database: Option<String>,
    pub param: String,
    /// As stored: list values joined with `, `.
    pub value: String,
}

/// One row of pg_auth_members. On 14 and 15 `inherit` is the member's rolinherit and `set`
/// is true (the options do not exist there).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LiveMembership {
    pub role: String,
    pub member: String,
    pub grantor: Option<String>,
    pub admin: bool,
    pub inherit: bool,
    pub set: bool,
}

/// One privilege of one grantee on one object (an exploded ACL item; a NULL ACL is expanded
/// to the built-in default).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LivePrivilege {
    pub object: LiveObject,
    pub owner: String,
    /// `None`: PUBLIC.
    pub grantee: Option<String>,
    pub grantor: String,
    /// Upper case, as `privilege_type`: `SELECT`, `USAGE`, …
    pub privilege: String,
    pub grantable: bool,
}

/// An object privileges are granted on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveObject {
    /// Tables, partitioned tables, views, materialized views and foreign tables
    /// (`relkind` as stored: r, p, v, m, f).
    Table {
        schema: String,
        name: String,
        relkind: String,
    },
    Sequence {
        schema: String,
        name: String,
    },
    Column {
        schema: String,
        table: String,
        column: String,
    },
    /// Functions, procedures and aggregates (`prokind`: f, p, a, w); `args`: the input
    /// argument types as `regprocedure` writes them with `search_path = pg_catalog`
    /// ([`crate::model::sqltype::canonical_type`]).
    Routine {
        schema: String,
        name: String,
        args: Vec<String>,
        prokind: String,
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
}

/// One pg_default_acl entry: `FOR ROLE owner [IN SCHEMA schema]`, object kind, and the ACL it
/// stores (empty: everything revoked).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LiveDefaultAcl {
    pub owner: String,
    pub schema: Option<String>,
    /// `tables`, `sequences`, `functions`, `types`, `schemas`, `large_objects`.
    pub kind: String,
    pub acl: Vec<AclItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclItem {
    /// `None`: PUBLIC.
    pub grantee: Option<String>,
    pub privilege: String,
    pub grantable: bool,
}
