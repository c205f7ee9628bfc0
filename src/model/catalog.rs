//! Catalog snapshots: what exists in a database, as JSON (`rolec build|lint --catalog FILE`).
//!
//! The format (`docs/catalog.schema.json`, sample `examples/catalog.sample.json`):
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
//! ([`crate::live::state::LiveFields`]); they are optional, and a reader of the inventory
//! ignores them.

use serde::{Deserialize, Serialize};

use super::Object;

pub const FORMAT: &str = "rolec-catalog/1";

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
    pub live: Option<crate::live::state::LiveFields>,
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
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let catalog: Catalog = serde_json::from_str(text).map_err(|e| format!("not a catalog snapshot: {e}"))?;
        if catalog.format != FORMAT {
            return Err(format!("unknown catalog format `{}`; this rolec reads `{FORMAT}`", catalog.format));
        }
        Ok(catalog)
    }

    /// The objects as inventory: `(object, tags)`.
    pub fn inventory(&self) -> impl Iterator<Item = (Object, &[String])> {
        self.objects.iter().map(|o| {
            let (schema, name) = (o.schema.clone(), o.name.clone());
            let object = match o.kind {
                CatalogKind::Table => Object::Table { schema, name },
                CatalogKind::View => Object::View { schema, name },
                CatalogKind::Sequence => Object::Sequence { schema, name },
                CatalogKind::Function => Object::Routine { schema, name, args: o.args.clone() },
            };
            (object, o.tags.as_slice())
        })
    }
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
    fn errors_say_what_is_wrong() {
        assert!(Catalog::parse("{").unwrap_err().starts_with("not a catalog snapshot"));
        assert!(Catalog::parse(r#"{"format": "other/9"}"#).unwrap_err().contains("unknown catalog format"));
        assert!(Catalog::parse(
            r#"{"format": "rolec-catalog/1", "objects": [{"kind": "index", "schema": "a", "name": "b"}]}"#
        )
        .is_err());
    }
}
