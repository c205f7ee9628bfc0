//! Object privileges as PostgreSQL defines them: which privileges fit which kind of object on
//! which server version, what `ALL` stands for, and what PUBLIC holds on a new object
//! (`acldefault`). The policy checks, the plan, the privilege analysis and the live commands
//! all read these facts from here.

use serde::Serialize;

/// A privilege keyword of `GRANT`, `ALL` included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    Maintain,
    Usage,
    Create,
    Connect,
    Temporary,
    Execute,
    All,
}

use Privilege::*;

impl Privilege {
    /// Every privilege but `ALL`, in the order answers list them.
    pub const EACH: [Privilege; 13] = [
        Select, Insert, Update, Delete, Truncate, References, Trigger, Maintain, Usage, Create, Connect, Temporary,
        Execute,
    ];

    /// The keyword as the policy language writes it (lower case).
    pub fn keyword(self) -> &'static str {
        match self {
            Select => "select",
            Insert => "insert",
            Update => "update",
            Delete => "delete",
            Truncate => "truncate",
            References => "references",
            Trigger => "trigger",
            Maintain => "maintain",
            Usage => "usage",
            Create => "create",
            Connect => "connect",
            Temporary => "temporary",
            Execute => "execute",
            All => "all",
        }
    }

    /// The keyword as SQL and `aclexplode`'s `privilege_type` spell it (`SELECT`, `TEMPORARY`).
    pub fn sql(self) -> &'static str {
        match self {
            Select => "SELECT",
            Insert => "INSERT",
            Update => "UPDATE",
            Delete => "DELETE",
            Truncate => "TRUNCATE",
            References => "REFERENCES",
            Trigger => "TRIGGER",
            Maintain => "MAINTAIN",
            Usage => "USAGE",
            Create => "CREATE",
            Connect => "CONNECT",
            Temporary => "TEMPORARY",
            Execute => "EXECUTE",
            All => "ALL",
        }
    }

    /// The privilege `privilege_type` names (`SELECT`); `None` for `ALL` and for one no object
    /// rolec manages takes (such as `SET` on parameters).
    pub fn from_sql(keyword: &str) -> Option<Privilege> {
        Privilege::EACH.into_iter().find(|p| p.sql() == keyword)
    }

    /// The first major version that has this privilege, when it is newer than every supported
    /// version: MAINTAIN came with PostgreSQL 17 (before, `GRANT MAINTAIN` is a syntax error).
    pub fn since(self) -> Option<u32> {
        (self == Maintain).then_some(17)
    }

    /// Whether a server of major `version` knows this privilege.
    pub fn exists_on(self, version: u32) -> bool {
        self.since().is_none_or(|since| version >= since)
    }
}

/// A kind of object as PostgreSQL's ACLs tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclKind {
    /// Tables, views, materialized views, foreign tables (not sequences).
    Relation,
    Sequence,
    /// Columns of a relation.
    Column,
    /// Functions, procedures, aggregates.
    Routine,
    Schema,
    Database,
    /// Types and domains.
    Type,
    LargeObject,
}

impl AclKind {
    /// The privileges `GRANT` accepts on this kind, on the newest version, `ALL` last: the order
    /// rolec lists them in.
    pub fn grantable(self) -> &'static [Privilege] {
        match self {
            AclKind::Relation => &[Select, Insert, Update, Delete, Truncate, References, Trigger, Maintain, All],
            AclKind::Sequence => &[Usage, Select, Update, All],
            AclKind::Column => &[Select, Insert, Update, References, All],
            AclKind::Routine => &[Execute, All],
            AclKind::Schema => &[Usage, Create, All],
            AclKind::Database => &[Create, Connect, Temporary, All],
            AclKind::Type => &[Usage, All],
            AclKind::LargeObject => &[Select, Update, All],
        }
    }

    /// Whether `privilege` fits this kind on some version (see [`Privilege::exists_on`]).
    pub fn accepts(self, privilege: Privilege) -> bool {
        self.grantable().contains(&privilege)
    }

    /// What `ALL` grants on this kind on a server of major `version`, which is also what the
    /// owner holds by default.
    pub fn all_privileges(self, version: u32) -> impl Iterator<Item = Privilege> {
        self.grantable().iter().copied().filter(move |p| *p != All && p.exists_on(version))
    }

    /// [`Self::all_privileges`] as `privilege_type` spells them, in alphabetical order: how the
    /// live state lists them.
    pub fn all_privileges_sql(self, version: u32) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.all_privileges(version).map(Privilege::sql).collect();
        out.sort_unstable();
        out
    }

    /// What PUBLIC holds on a new object of this kind (`acldefault`): EXECUTE on routines, USAGE
    /// on types and domains, CONNECT and TEMPORARY on databases. The `public` schema that
    /// `initdb` creates has more: [`public_schema_defaults`].
    pub fn public_defaults(self) -> &'static [Privilege] {
        match self {
            AclKind::Routine => &[Execute],
            AclKind::Type => &[Usage],
            AclKind::Database => &[Connect, Temporary],
            _ => &[],
        }
    }

    /// The predefined roles that hold `privilege` on every object of this kind on a server of
    /// major `version`, as aclchk.c applies them: `pg_read_all_data` SELECT on relations and
    /// USAGE on schemas, `pg_write_all_data` INSERT, UPDATE and DELETE on relations and USAGE on
    /// schemas, `pg_maintain` MAINTAIN on tables (from 17).
    pub fn predefined_holders(self, privilege: Privilege, version: u32) -> &'static [&'static str] {
        use AclKind::{Column, Relation, Schema, Sequence};
        if !privilege.exists_on(version) {
            return &[];
        }
        match (self, privilege) {
            (Relation | Sequence | Column, Select) => &["pg_read_all_data"],
            (Relation | Sequence | Column, Insert | Update | Delete) => &["pg_write_all_data"],
            (Relation, Maintain) => &["pg_maintain"],
            (Schema, Usage) => &["pg_read_all_data", "pg_write_all_data"],
            _ => &[],
        }
    }

    /// The predefined roles that hold some privilege on every object of this kind on a server
    /// of major `version` ([`Self::predefined_holders`]), each once, in the order of
    /// [`Self::all_privileges`].
    pub fn predefined_with_any(self, version: u32) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for role in self.all_privileges(version).flat_map(|p| self.predefined_holders(p, version)) {
            if !out.contains(role) {
                out.push(role);
            }
        }
        out
    }

    /// The kind of the objects a `pg_default_acl` entry is for, by the name rolec reads it
    /// under (`tables`, `sequences`, `functions`, `types`, `schemas`, `large_objects`).
    pub fn of_default_acl(kind: &str) -> Option<AclKind> {
        match kind {
            "tables" => Some(AclKind::Relation),
            "sequences" => Some(AclKind::Sequence),
            "functions" => Some(AclKind::Routine),
            "types" => Some(AclKind::Type),
            "schemas" => Some(AclKind::Schema),
            "large_objects" => Some(AclKind::LargeObject),
            _ => None,
        }
    }
}

/// What PUBLIC holds on the schema `public` as `initdb` creates it: USAGE, and up to
/// PostgreSQL 14 also CREATE (since 15 the schema is owned by `pg_database_owner`).
pub fn public_schema_defaults(version: u32) -> &'static [Privilege] {
    if version <= 14 {
        &[Usage, Create]
    } else {
        &[Usage]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_on(kind: AclKind, version: u32) -> Vec<&'static str> {
        kind.all_privileges(version).map(Privilege::keyword).collect()
    }

    #[test]
    fn privileges_per_kind_and_version() {
        let table = ["select", "insert", "update", "delete", "truncate", "references", "trigger"];
        for version in [14, 15, 16] {
            assert_eq!(all_on(AclKind::Relation, version), table);
        }
        for version in [17, 18] {
            assert_eq!(all_on(AclKind::Relation, version), [&table[..], &["maintain"]].concat());
        }
        assert_eq!(all_on(AclKind::Sequence, 17), ["usage", "select", "update"]);
        assert_eq!(all_on(AclKind::Column, 17), ["select", "insert", "update", "references"]);
        assert_eq!(all_on(AclKind::Routine, 14), ["execute"]);
        assert_eq!(all_on(AclKind::Schema, 14), ["usage", "create"]);
        assert_eq!(all_on(AclKind::Database, 14), ["create", "connect", "temporary"]);
        assert_eq!(all_on(AclKind::Type, 14), ["usage"]);
        assert_eq!(all_on(AclKind::LargeObject, 18), ["select", "update"]);
        assert_eq!(AclKind::Sequence.all_privileges_sql(14), ["SELECT", "UPDATE", "USAGE"]);
        assert_eq!(
            AclKind::Relation.all_privileges_sql(17),
            ["DELETE", "INSERT", "MAINTAIN", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"]
        );
    }

    #[test]
    fn privileges_that_do_not_fit() {
        assert!(AclKind::Relation.accepts(Maintain) && AclKind::Relation.accepts(All));
        assert!(!AclKind::Sequence.accepts(Maintain) && !AclKind::Sequence.accepts(Delete));
        assert!(!AclKind::Column.accepts(Delete) && !AclKind::Routine.accepts(Usage));
        assert!(!AclKind::Schema.accepts(Connect) && !AclKind::Type.accepts(Select));
        assert!(!Maintain.exists_on(16) && Maintain.exists_on(17) && Select.exists_on(14));
        // `ALL` is last, as the help texts list it.
        for kind in [AclKind::Relation, AclKind::Sequence, AclKind::Column, AclKind::Database] {
            assert_eq!(kind.grantable().last(), Some(&All));
        }
    }

    #[test]
    fn what_public_holds_by_default() {
        assert_eq!(AclKind::Routine.public_defaults(), [Execute]);
        assert_eq!(AclKind::Type.public_defaults(), [Usage]);
        assert_eq!(AclKind::Database.public_defaults(), [Connect, Temporary]);
        assert!(AclKind::Relation.public_defaults().is_empty() && AclKind::Schema.public_defaults().is_empty());
        assert_eq!(public_schema_defaults(14), [Usage, Create]);
        assert_eq!(public_schema_defaults(15), [Usage]);
    }

    #[test]
    fn sql_spellings() {
        for p in Privilege::EACH {
            assert_eq!(p.sql(), p.keyword().to_ascii_uppercase());
        }
        assert_eq!(AclKind::of_default_acl("functions"), Some(AclKind::Routine));
        assert_eq!(AclKind::of_default_acl("large_objects"), Some(AclKind::LargeObject));
        assert_eq!(AclKind::of_default_acl("views"), None);
        assert_eq!(Privilege::from_sql("TEMPORARY"), Some(Temporary));
        assert_eq!(Privilege::from_sql("ALL"), None);
        assert_eq!(Privilege::from_sql("SET"), None);
        for p in Privilege::EACH {
            assert_eq!(Privilege::from_sql(p.sql()), Some(p));
        }
    }

    #[test]
    fn predefined_roles_holding_privileges() {
        assert_eq!(AclKind::Relation.predefined_holders(Select, 14), ["pg_read_all_data"]);
        assert_eq!(AclKind::Column.predefined_holders(Update, 14), ["pg_write_all_data"]);
        assert!(AclKind::Relation.predefined_holders(Maintain, 16).is_empty());
        assert_eq!(AclKind::Relation.predefined_holders(Maintain, 17), ["pg_maintain"]);
        assert!(AclKind::Sequence.predefined_holders(Maintain, 17).is_empty());
        assert!(AclKind::Routine.predefined_holders(Execute, 17).is_empty());
        assert_eq!(AclKind::Relation.predefined_with_any(16), ["pg_read_all_data", "pg_write_all_data"]);
        assert_eq!(AclKind::Relation.predefined_with_any(17), ["pg_read_all_data", "pg_write_all_data", "pg_maintain"]);
        assert_eq!(AclKind::Schema.predefined_with_any(17), ["pg_read_all_data", "pg_write_all_data"]);
    }
}
