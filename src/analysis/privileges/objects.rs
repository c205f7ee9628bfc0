//! The objects privileges are asked about ([`ObjectRef`]) and the keys grants are indexed by.

use serde::Serialize;

use crate::model::{Model, Object};
use crate::pg::types::canonical_type;
use crate::pg::AclKind;

/// One concrete object, as the `has_*_privilege` functions name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObjectRef {
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
    /// `args`: SQL type names (`integer`, `text`), in the canonical spelling of
    /// `crate::pg::types::canonical_type` as the model holds them; compared in that spelling.
    Function {
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
    /// A column of a table or view (`has_column_privilege`).
    Column {
        schema: String,
        table: String,
        column: String,
    },
}

/// Where grants are indexed: relations by (schema, name) whatever their kind, so that a
/// `table` grant on a view counts (PostgreSQL does not distinguish them either).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum PrivilegeTarget {
    Relation { schema: String, name: String },
    Function { schema: String, name: String, args: Vec<String> },
    Schema { name: String },
    Database { name: String },
    Column { schema: String, table: String, column: String },
}

impl ObjectRef {
    /// The kind of object, for the privileges that fit it.
    pub fn acl_kind(&self) -> AclKind {
        match self {
            ObjectRef::Table { .. } | ObjectRef::View { .. } => AclKind::Relation,
            ObjectRef::Sequence { .. } => AclKind::Sequence,
            ObjectRef::Function { .. } => AclKind::Routine,
            ObjectRef::Schema { .. } => AclKind::Schema,
            ObjectRef::Database { .. } => AclKind::Database,
            ObjectRef::Column { .. } => AclKind::Column,
        }
    }

    pub(super) fn key(&self) -> PrivilegeTarget {
        match self {
            ObjectRef::Table { schema, name }
            | ObjectRef::View { schema, name }
            | ObjectRef::Sequence { schema, name } => {
                PrivilegeTarget::Relation { schema: schema.clone(), name: name.clone() }
            }
            ObjectRef::Function { schema, name, args } => {
                PrivilegeTarget::Function { schema: schema.clone(), name: name.clone(), args: norm_args(args) }
            }
            ObjectRef::Schema { name } => PrivilegeTarget::Schema { name: name.clone() },
            ObjectRef::Database { name } => PrivilegeTarget::Database { name: name.clone() },
            ObjectRef::Column { schema, table, column } => {
                PrivilegeTarget::Column { schema: schema.clone(), table: table.clone(), column: column.clone() }
            }
        }
    }

    /// The schema a relation, function or column lives in.
    pub(super) fn schema(&self) -> Option<&str> {
        match self {
            ObjectRef::Table { schema, .. }
            | ObjectRef::View { schema, .. }
            | ObjectRef::Sequence { schema, .. }
            | ObjectRef::Function { schema, .. }
            | ObjectRef::Column { schema, .. } => Some(schema),
            ObjectRef::Schema { .. } | ObjectRef::Database { .. } => None,
        }
    }

    /// The inventory objects of a model, as object references.
    pub fn of_inventory(model: &Model) -> Vec<ObjectRef> {
        model.objects.iter().filter_map(|o| concrete(&o.object)).collect()
    }
}

fn norm_args(args: &[String]) -> Vec<String> {
    args.iter().map(|a| canonical_type(a)).collect()
}

/// The concrete object a model object names (not bulk grants and columns).
pub(super) fn concrete(object: &Object) -> Option<ObjectRef> {
    Some(match object {
        Object::Table { schema, name } => ObjectRef::Table { schema: schema.clone(), name: name.clone() },
        Object::View { schema, name } => ObjectRef::View { schema: schema.clone(), name: name.clone() },
        Object::Sequence { schema, name } => ObjectRef::Sequence { schema: schema.clone(), name: name.clone() },
        Object::Routine { schema, name, args } => {
            ObjectRef::Function { schema: schema.clone(), name: name.clone(), args: args.clone() }
        }
        Object::Schema { name } => ObjectRef::Schema { name: name.clone() },
        Object::Database { name } => ObjectRef::Database { name: name.clone() },
        _ => return None,
    })
}
