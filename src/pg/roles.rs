//! Roles as PostgreSQL knows them: the server versions rolec supports, the predefined roles of
//! each version, the names it reserves and the length it allows, and the role attributes with
//! their keywords and `CREATE ROLE`'s defaults.

use serde::Serialize;

const PREDEFINED: &str = include_str!("../../stdlib/predefined_roles.txt");

/// The PostgreSQL major versions rolec reads, writes and tests against.
pub const SUPPORTED_VERSIONS: &[u32] = &[14, 15, 16, 17, 18];

/// `(name, first major version)` of every predefined role.
pub fn predefined_roles() -> impl Iterator<Item = (&'static str, u32)> {
    PREDEFINED.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).filter_map(|l| {
        let mut it = l.split_whitespace();
        Some((it.next()?, it.next()?.parse().ok()?))
    })
}

/// The first major version that has predefined role `name`, if it is one.
pub fn predefined_since(name: &str) -> Option<u32> {
    predefined_roles().find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Names PostgreSQL reserves for roles (42939), lower-cased.
pub fn reserved_role_name(name: &str) -> bool {
    matches!(name, "public" | "none" | "current_user" | "session_user" | "current_role") || name.starts_with("pg_")
}

/// The longest name PostgreSQL keeps, in bytes (`NAMEDATALEN - 1`); longer names are
/// truncated with a NOTICE.
pub const MAX_NAME_BYTES: usize = 63;

/// A role attribute (`LOGIN`, `SUPERUSER`, …) that `CREATE ROLE` and `ALTER ROLE` set on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeKind {
    Login,
    Superuser,
    Createdb,
    Createrole,
    Replication,
    Bypassrls,
    Inherit,
}

impl AttributeKind {
    /// Every attribute, in the order `ALTER ROLE … WITH` lists them.
    pub const EACH: [AttributeKind; 7] = [
        AttributeKind::Login,
        AttributeKind::Superuser,
        AttributeKind::Createdb,
        AttributeKind::Createrole,
        AttributeKind::Replication,
        AttributeKind::Bypassrls,
        AttributeKind::Inherit,
    ];

    /// The keyword as the policy language writes it (lower case).
    pub fn keyword(self) -> &'static str {
        match self {
            AttributeKind::Login => "login",
            AttributeKind::Superuser => "superuser",
            AttributeKind::Createdb => "createdb",
            AttributeKind::Createrole => "createrole",
            AttributeKind::Replication => "replication",
            AttributeKind::Bypassrls => "bypassrls",
            AttributeKind::Inherit => "inherit",
        }
    }

    /// The SQL keyword that sets the attribute `on` (`LOGIN`) or off (`NOLOGIN`).
    pub fn sql(self, on: bool) -> &'static str {
        match (self, on) {
            (AttributeKind::Login, true) => "LOGIN",
            (AttributeKind::Login, false) => "NOLOGIN",
            (AttributeKind::Superuser, true) => "SUPERUSER",
            (AttributeKind::Superuser, false) => "NOSUPERUSER",
            (AttributeKind::Createdb, true) => "CREATEDB",
            (AttributeKind::Createdb, false) => "NOCREATEDB",
            (AttributeKind::Createrole, true) => "CREATEROLE",
            (AttributeKind::Createrole, false) => "NOCREATEROLE",
            (AttributeKind::Replication, true) => "REPLICATION",
            (AttributeKind::Replication, false) => "NOREPLICATION",
            (AttributeKind::Bypassrls, true) => "BYPASSRLS",
            (AttributeKind::Bypassrls, false) => "NOBYPASSRLS",
            (AttributeKind::Inherit, true) => "INHERIT",
            (AttributeKind::Inherit, false) => "NOINHERIT",
        }
    }

    /// What `CREATE ROLE` gives a role that does not say: INHERIT on, everything else off.
    pub fn create_role_default(self) -> bool {
        self == AttributeKind::Inherit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_roles_with_their_versions() {
        assert_eq!(predefined_since("pg_read_all_data"), Some(14));
        assert_eq!(predefined_since("pg_create_subscription"), Some(16));
        assert_eq!(predefined_since("pg_maintain"), Some(17));
        assert_eq!(predefined_since("app"), None);
        assert!(predefined_roles().all(|(name, since)| reserved_role_name(name) && since <= 18));
    }

    #[test]
    fn reserved_names() {
        for name in ["public", "none", "current_user", "session_user", "current_role", "pg_x"] {
            assert!(reserved_role_name(name), "{name}");
        }
        assert!(!reserved_role_name("app") && !reserved_role_name("publicity"));
    }

    #[test]
    fn attributes_with_keywords_and_defaults() {
        for kind in AttributeKind::EACH {
            assert_eq!(kind.sql(true), kind.keyword().to_ascii_uppercase());
            assert_eq!(kind.sql(false), format!("NO{}", kind.sql(true)));
            assert_eq!(kind.create_role_default(), kind == AttributeKind::Inherit);
        }
        assert!(AttributeKind::EACH.windows(2).all(|w| w[0] < w[1]));
    }
}
