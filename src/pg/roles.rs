//! Roles as PostgreSQL knows them: the server versions rolec supports, the predefined roles of
//! each version, the names it reserves and the length it allows.

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
}
