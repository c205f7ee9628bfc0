//! What PostgreSQL is, as far as the comparison needs it: privilege keywords, which privileges
//! each kind of object takes, the built-in ACL of a missing global default-privilege entry, and
//! how a configuration parameter is named in SQL. Each fact is one function here.

use crate::lower::sql::ident;
use crate::syntax::ast::{AttributeKind, Privilege};

/// The role attributes: kind, `CREATE ROLE`'s default, keyword when on, keyword when off.
pub(crate) const ATTRIBUTES: [(AttributeKind, bool, &str, &str); 7] = crate::lower::ATTRIBUTE_KEYWORDS;

/// A privilege as SQL and the server (`aclexplode`'s `privilege_type`) spell it.
pub(crate) fn privilege_keyword(p: Privilege) -> &'static str {
    match p {
        Privilege::Select => "SELECT",
        Privilege::Insert => "INSERT",
        Privilege::Update => "UPDATE",
        Privilege::Delete => "DELETE",
        Privilege::Truncate => "TRUNCATE",
        Privilege::References => "REFERENCES",
        Privilege::Trigger => "TRIGGER",
        Privilege::Maintain => "MAINTAIN",
        Privilege::Usage => "USAGE",
        Privilege::Create => "CREATE",
        Privilege::Connect => "CONNECT",
        Privilege::Temporary => "TEMPORARY",
        Privilege::Execute => "EXECUTE",
        Privilege::All => "ALL",
    }
}

/// The privilege a server's `privilege_type` names; `None` for one no object here takes
/// (such as `SET` on parameters).
pub(crate) fn privilege_from_keyword(keyword: &str) -> Option<Privilege> {
    use Privilege::*;
    [
        Select, Insert, Update, Delete, Truncate, References, Trigger, Maintain, Usage, Create, Connect, Temporary,
        Execute,
    ]
    .into_iter()
    .find(|p| privilege_keyword(*p) == keyword)
}

/// The privileges of tables (and views): MAINTAIN from PostgreSQL 17.
pub(crate) fn table_privileges(major: u32) -> &'static [Privilege] {
    use Privilege::*;
    if major >= 17 {
        &[Delete, Insert, Maintain, References, Select, Trigger, Truncate, Update]
    } else {
        &[Delete, Insert, References, Select, Trigger, Truncate, Update]
    }
}

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

/// The privileges an object of `kind` takes (what `all` stands for on it).
pub(crate) fn object_privileges(kind: ObjectKind, major: u32) -> &'static [Privilege] {
    use Privilege::*;
    match kind {
        ObjectKind::Table => table_privileges(major),
        ObjectKind::Sequence => &[Select, Update, Usage],
        ObjectKind::Column => &[Insert, References, Select, Update],
        ObjectKind::Routine => &[Execute],
        ObjectKind::Schema => &[Create, Usage],
        ObjectKind::Database => &[Connect, Create, Temporary],
        ObjectKind::Type => &[Usage],
    }
}

/// The privileges a default-privilege entry of `kind` (as `pg_default_acl` is read:
/// `tables`, `sequences`, `functions`, `types`, `schemas`, `large_objects`) takes.
pub(crate) fn default_kind_privileges(kind: &str, major: u32) -> &'static [Privilege] {
    use Privilege::*;
    match kind {
        "tables" => table_privileges(major),
        "sequences" => &[Select, Update, Usage],
        "functions" => &[Execute],
        "types" => &[Usage],
        "schemas" => &[Create, Usage],
        "large_objects" => &[Select, Update],
        _ => &[],
    }
}

/// What PUBLIC holds on a new object of `kind` (acldefault): EXECUTE on routines, USAGE on
/// types. The owner holds all of [`object_privileges`].
pub(crate) fn builtin_public_privileges(kind: ObjectKind) -> &'static [Privilege] {
    match kind {
        ObjectKind::Routine => &[Privilege::Execute],
        ObjectKind::Type => &[Privilege::Usage],
        _ => &[],
    }
}

/// What PUBLIC holds by default on new objects of a default-privilege kind (acldefault).
pub(crate) fn default_kind_public_privileges(kind: &str) -> &'static [Privilege] {
    match kind {
        "functions" => builtin_public_privileges(ObjectKind::Routine),
        "types" => builtin_public_privileges(ObjectKind::Type),
        _ => &[],
    }
}

/// A configuration parameter name in SQL (letters, digits, `_`, `.`; checked by the grammar):
/// each dotted part quoted unless it is a plain lower-case word.
pub(crate) fn setting_name(param: &str) -> String {
    param
        .split('.')
        .map(|part| {
            if !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                part.to_string()
            } else {
                ident(part)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_round_trip() {
        for &p in table_privileges(17).iter().chain(object_privileges(ObjectKind::Database, 15)) {
            assert_eq!(privilege_from_keyword(privilege_keyword(p)), Some(p));
        }
        assert_eq!(privilege_from_keyword("ALL"), None);
        assert_eq!(privilege_from_keyword("SET"), None);
    }

    #[test]
    fn privilege_lists_are_in_keyword_order() {
        let kinds = [ObjectKind::Table, ObjectKind::Sequence, ObjectKind::Column, ObjectKind::Database];
        for list in kinds.iter().map(|k| object_privileges(*k, 17)) {
            assert!(list.windows(2).all(|w| privilege_keyword(w[0]) < privilege_keyword(w[1])));
        }
    }

    #[test]
    fn setting_names() {
        assert_eq!(setting_name("work_mem"), "work_mem");
        assert_eq!(setting_name("my.Opt"), "my.\"Opt\"");
    }
}
