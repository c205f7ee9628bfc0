//! The standard library shipped inside the binary: `import std.NAME` modules and the
//! PostgreSQL predefined roles known per major version.

/// The source of `import std.NAME`.
pub fn module(name: &str) -> Option<&'static str> {
    match name {
        "base_roles" => Some(include_str!("../stdlib/base_roles.role")),
        "access" => Some(include_str!("../stdlib/access.role")),
        _ => None,
    }
}

pub const MODULES: &[&str] = &["access", "base_roles"];

/// The path shown in diagnostics for a stdlib module.
pub fn module_path(name: &str) -> String {
    format!("<std>/{name}.role")
}

const PREDEFINED: &str = include_str!("../stdlib/predefined_roles.txt");

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

pub const SUPPORTED_VERSIONS: &[u32] = &[14, 15, 16, 17, 18];
