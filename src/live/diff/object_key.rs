//! An object as object privileges are compared on it: table and view alike, domain and type
//! alike, a routine by its normalised argument types.

use crate::model::catalog::LiveObject;
use crate::pg::quote::{ident, qualified};
use crate::pg::types::canonical_type;
use crate::pg::AclKind;

/// The kinds of object privileges are compared on (a view is a table, a domain a type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ObjectKind {
    Table,
    Sequence,
    Column,
    Routine,
    Schema,
    Database,
    Type,
}

impl ObjectKind {
    /// The kind as PostgreSQL's ACLs know it, for the privileges it takes.
    pub fn acl_kind(self) -> AclKind {
        match self {
            ObjectKind::Table => AclKind::Relation,
            ObjectKind::Sequence => AclKind::Sequence,
            ObjectKind::Column => AclKind::Column,
            ObjectKind::Routine => AclKind::Routine,
            ObjectKind::Schema => AclKind::Schema,
            ObjectKind::Database => AclKind::Database,
            ObjectKind::Type => AclKind::Type,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ObjectKey {
    pub kind: ObjectKind,
    pub schema: Option<String>,
    pub name: String,
    pub args: Vec<String>,
    pub column: Option<String>,
}

impl ObjectKey {
    /// An object in a schema, without arguments or column.
    pub fn in_schema(kind: ObjectKind, schema: &str, name: &str) -> ObjectKey {
        ObjectKey { kind, schema: Some(schema.to_string()), name: name.to_string(), args: Vec::new(), column: None }
    }

    /// A schema or a database.
    pub fn global(kind: ObjectKind, name: &str) -> ObjectKey {
        ObjectKey { kind, schema: None, name: name.to_string(), args: Vec::new(), column: None }
    }

    pub fn of(o: &LiveObject) -> ObjectKey {
        let k = ObjectKey::in_schema;
        match o {
            LiveObject::Table { schema, name, .. } => k(ObjectKind::Table, schema, name),
            LiveObject::Sequence { schema, name } => k(ObjectKind::Sequence, schema, name),
            LiveObject::Column { schema, table, column } => {
                ObjectKey { column: Some(column.clone()), ..k(ObjectKind::Column, schema, table) }
            }
            LiveObject::Routine { schema, name, args, .. } => ObjectKey {
                args: args.iter().map(|a| canonical_type(a)).collect(),
                ..k(ObjectKind::Routine, schema, name)
            },
            LiveObject::Schema { name } => ObjectKey::global(ObjectKind::Schema, name),
            LiveObject::Database { name } => ObjectKey::global(ObjectKind::Database, name),
            LiveObject::Type { schema, name } | LiveObject::Domain { schema, name } => {
                k(ObjectKind::Type, schema, name)
            }
        }
    }

    /// `TABLE "s"."t"`, `ROUTINE "s"."f"(integer)`, …
    pub fn sql(&self, live: Option<&LiveObject>) -> String {
        let q = || qualified(self.schema.as_deref().unwrap_or_default(), &self.name);
        match self.kind {
            ObjectKind::Table | ObjectKind::Column => format!("TABLE {}", q()),
            ObjectKind::Sequence => format!("SEQUENCE {}", q()),
            ObjectKind::Routine => {
                let routine = match live {
                    Some(LiveObject::Routine { prokind, .. }) if prokind == "p" => "PROCEDURE",
                    Some(LiveObject::Routine { .. }) => "FUNCTION",
                    _ => "ROUTINE",
                };
                format!("{routine} {}({})", q(), self.args.join(", "))
            }
            ObjectKind::Schema => format!("SCHEMA {}", ident(&self.name)),
            ObjectKind::Database => format!("DATABASE {}", ident(&self.name)),
            ObjectKind::Type => format!("TYPE {}", q()),
        }
    }

    /// How a check names the object: its SQL form, with the column.
    pub fn label(&self, live: Option<&LiveObject>) -> String {
        match &self.column {
            Some(c) => format!("{} ({})", self.sql(live), ident(c)),
            None => self.sql(live),
        }
    }

    /// The object a key stands for when the live state does not have it.
    pub fn object(&self) -> LiveObject {
        let (schema, name) = (self.schema.clone().unwrap_or_default(), self.name.clone());
        match self.kind {
            ObjectKind::Table => LiveObject::Table { schema, name, relkind: "r".to_string() },
            ObjectKind::Sequence => LiveObject::Sequence { schema, name },
            ObjectKind::Column => {
                LiveObject::Column { schema, table: name, column: self.column.clone().unwrap_or_default() }
            }
            ObjectKind::Routine => {
                LiveObject::Routine { schema, name, args: self.args.clone(), prokind: "f".to_string() }
            }
            ObjectKind::Schema => LiveObject::Schema { name },
            ObjectKind::Database => LiveObject::Database { name },
            ObjectKind::Type => LiveObject::Type { schema, name },
        }
    }
}
