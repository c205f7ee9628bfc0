//! Catalog snapshots: what exists in a database, as JSON (`rolec build|lint --catalog FILE`).
//!
//! The format (`docs/schemas/catalog.schema.json`, sample `examples/catalog.sample.json`):
//!
//! ```json
//! { "format": "rolec-catalog/1", "server_version": 150018, "databases": ["app"],
//!   "schemas": [{ "name": "app", "owner": "app_owner" }],
//!   "objects": [{ "kind": "table", "schema": "app", "name": "orders", "owner": "app_owner",
//!                 "tags": ["pii"] },
//!               { "kind": "function", "schema": "app", "name": "refund", "args": ["bigint"] }] }
//! ```
//!
//! Version 1 holds the inventory that limits and bulk grants are counted over. A snapshot of a
//! live database (`rolec snapshot --db URL`) adds `database`, `current_user`, `roles`,
//! `memberships`, `privileges` and `default_privileges` at the top level
//! ([`LiveFields`], read and compared by `rolec`'s live commands); they are optional, and a reader of the inventory
//! ignores them.
//!
//! Version 2 (`rolec-catalog/2`, written only for a snapshot of several databases of one
//! cluster, `rolec snapshot --database a --database b`) is version 1 — the first database's
//! inventory and live fields at the top level — plus `other_databases`: each other database's
//! inventory, privileges and default privileges ([`DatabaseSnapshot`]; roles and memberships
//! are cluster-wide, once at the top level). A reader of version 1 reads the top level of
//! either; this rolec reads both.

use serde::{Deserialize, Serialize};

use super::Object;

pub const FORMAT: &str = "rolec-catalog/1";
/// The format of a snapshot of several databases: [`FORMAT`] and `other_databases`.
pub const FORMAT_2: &str = "rolec-catalog/2";

/// Why a text is not a catalog snapshot this rolec reads.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Not JSON of the snapshot's shape; the JSON error knows the line and column.
    #[error("not a catalog snapshot: {0}")]
    NotSnapshot(serde_json::Error),
    /// The `format` field names another format.
    #[error("unknown catalog format `{0}`; this rolec reads `{FORMAT}` and `{FORMAT_2}`")]
    UnknownFormat(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Catalog {
    pub format: String,
    /// `server_version_num` of the database the snapshot was taken from.
    #[serde(default)]
    pub server_version: Option<u32>,
    #[serde(default)]
    pub databases: Vec<String>,
    #[serde(default)]
    pub schemas: Vec<CatalogSchema>,
    #[serde(default)]
    pub objects: Vec<CatalogObject>,
    /// What a snapshot of a live database adds; `None` when any of its fields is missing.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveFields>,
    /// Format 2: the other databases of a snapshot of several, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_databases: Vec<DatabaseSnapshot>,
}

/// What belongs to one database of a snapshot of several (format 2), after the first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DatabaseSnapshot {
    pub database: String,
    #[serde(default)]
    pub schemas: Vec<CatalogSchema>,
    #[serde(default)]
    pub objects: Vec<CatalogObject>,
    #[serde(default)]
    pub privileges: Vec<LivePrivilege>,
    #[serde(default)]
    pub default_privileges: Vec<LiveDefaultAcl>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CatalogSchema {
    pub name: String,
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CatalogKind {
    Table,
    View,
    Sequence,
    Function,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CatalogObject {
    pub kind: CatalogKind,
    pub schema: String,
    pub name: String,
    /// Argument types of a function, as SQL (`["integer", "text"]`).
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Catalog {
    /// Reads a snapshot; the error says what is wrong (for a usage error).
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog = serde_json::from_str(text).map_err(CatalogError::NotSnapshot)?;
        if catalog.format != FORMAT && catalog.format != FORMAT_2 {
            return Err(CatalogError::UnknownFormat(catalog.format));
        }
        Ok(catalog)
    }

    /// The schemas as inventory: `(schema, owner)`.
    pub fn schema_inventory(&self) -> impl Iterator<Item = (Object, Option<&str>)> {
        self.schemas.iter().map(|s| (Object::Schema { name: s.name.clone() }, s.owner.as_deref()))
    }

    /// The objects as inventory: `(object, tags, owner)`.
    pub fn inventory(&self) -> impl Iterator<Item = (Object, &[String], Option<&str>)> {
        self.objects.iter().map(|o| {
            let (schema, name) = (o.schema.clone(), o.name.clone());
            let object = match o.kind {
                CatalogKind::Table => Object::Table { schema, name },
                CatalogKind::View => Object::View { schema, name },
                CatalogKind::Sequence => Object::Sequence { schema, name },
                // Argument types in one spelling, as the policy's signatures are.
                CatalogKind::Function => Object::Routine {
                    schema,
                    name,
                    args: o.args.iter().map(|a| crate::pg::types::canonical_type(a)).collect(),
                },
            };
            (object, o.tags.as_slice(), o.owner.as_deref())
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
    /// ([`crate::pg::types::canonical_type`]).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses() {
        let sample = include_str!("../../examples/catalog.sample.json");
        let catalog = Catalog::parse(sample).unwrap();
        assert_eq!(catalog.format, FORMAT);
        assert!(catalog.inventory().count() >= 5);
        assert!(catalog.objects.iter().any(|o| o.kind == CatalogKind::Function && !o.args.is_empty()));
    }

    #[test]
    fn format_2_adds_other_databases() {
        let text = r#"{"format": "rolec-catalog/2", "schemas": [{"name": "a"}],
            "other_databases": [{"database": "b", "schemas": [{"name": "s"}]}]}"#;
        let catalog = Catalog::parse(text).unwrap();
        assert_eq!(catalog.schema_inventory().count(), 1, "the inventory is the first database's");
        assert_eq!(catalog.other_databases[0].database, "b");
        assert_eq!(catalog.other_databases[0].schemas[0].name, "s");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(Catalog::parse("{").unwrap_err().to_string().starts_with("not a catalog snapshot"));
        assert!(Catalog::parse(r#"{"format": "other/9"}"#).unwrap_err().to_string().contains("unknown catalog format"));
        assert!(Catalog::parse(
            r#"{"format": "rolec-catalog/1", "objects": [{"kind": "index", "schema": "a", "name": "b"}]}"#
        )
        .is_err());
    }
}
