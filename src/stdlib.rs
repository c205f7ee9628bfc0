//! The standard library shipped inside the binary: the `import std.NAME` modules.

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
