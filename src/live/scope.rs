//! The managed scope: which roles of a server rolec may create, alter, grant to, revoke from
//! and drop. It is the policy's declared roles plus the roles matching `--manage` globs plus
//! the roles rolec created (`rolec.roles`), minus `external role`s, and never `postgres`, a
//! `pg_*` role or the role the connection runs as.

use std::collections::BTreeSet;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::LiveError;

#[derive(Clone, Debug)]
pub struct Scope {
    declared: BTreeSet<String>,
    external: BTreeSet<String>,
    patterns: GlobSet,
    current_user: String,
    /// Roles managed besides the declared and matched ones (`rolec diff`: the other version's).
    also: BTreeSet<String>,
    /// Roles applies created (`rolec.roles`): rolec's own, retired when no longer declared.
    created: BTreeSet<String>,
    /// Who gets the objects of a role to drop (`--successor`).
    successor: Option<String>,
}

impl Scope {
    /// `patterns` are globs over role names (`app_*`); an invalid one is a usage error.
    pub fn new<'a>(
        declared: impl IntoIterator<Item = &'a str>,
        external: impl IntoIterator<Item = &'a str>,
        patterns: &[String],
        current_user: &str,
    ) -> Result<Scope, LiveError> {
        let mut builder = GlobSetBuilder::new();
        for p in patterns {
            builder.add(
                Glob::new(p).map_err(|e| LiveError::ManagePattern { pattern: p.to_string(), reason: e.to_string() })?,
            );
        }
        Ok(Scope {
            declared: declared.into_iter().map(str::to_string).collect(),
            external: external.into_iter().map(str::to_string).collect(),
            patterns: builder.build().map_err(|e| LiveError::ManagePatterns(e.to_string()))?,
            current_user: current_user.to_string(),
            also: BTreeSet::new(),
            created: BTreeSet::new(),
            successor: None,
        })
    }

    /// Also manages these roles (dropped when undeclared).
    pub fn also_managing<'a>(mut self, roles: impl IntoIterator<Item = &'a str>) -> Scope {
        self.also.extend(roles.into_iter().map(str::to_string));
        self
    }

    /// The roles applies created (dropped when undeclared, without any `--manage` glob).
    pub fn with_created<'a>(mut self, roles: impl IntoIterator<Item = &'a str>) -> Scope {
        self.created.extend(roles.into_iter().map(str::to_string));
        self
    }

    /// Roles to drop that own objects give them to `successor` (REASSIGN OWNED, DROP OWNED).
    pub fn with_successor(mut self, successor: Option<String>) -> Scope {
        self.successor = successor;
        self
    }

    pub fn successor(&self) -> Option<&str> {
        self.successor.as_deref()
    }

    /// Roles rolec never touches, whatever the policy says.
    pub fn is_protected(&self, role: &str) -> bool {
        role == "postgres" || role.starts_with("pg_") || role == self.current_user
    }

    /// Whether rolec may change `role`.
    pub fn manages(&self, role: &str) -> bool {
        !self.is_protected(role)
            && !self.external.contains(role)
            && (self.declared.contains(role)
                || self.also.contains(role)
                || self.created.contains(role)
                || self.patterns.is_match(role))
    }

    /// Whether `role` is one rolec created that the policy no longer declares: it is retired.
    pub fn is_retired(&self, role: &str) -> bool {
        self.is_undeclared(role) && self.created.contains(role)
    }

    /// Whether `role` is managed but not declared: the plan drops it.
    pub fn is_undeclared(&self, role: &str) -> bool {
        self.manages(role) && !self.declared.contains(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope() {
        let s = Scope::new(["reader", "postgres", "me"], ["app_ext"], &["app_*".to_string()], "me").unwrap();
        assert!(s.manages("reader") && s.manages("app_old"));
        assert!(
            !s.manages("postgres")
                && !s.manages("pg_monitor")
                && !s.manages("me")
                && !s.manages("app_ext")
                && !s.manages("other")
        );
        assert!(s.is_undeclared("app_old") && !s.is_undeclared("reader"));
        assert!(Scope::new([], [], &["[".to_string()], "me").is_err());
        // Roles rolec created are its own, unless declared external (or protected).
        let s = Scope::new(["reader"], ["kept"], &[], "me").unwrap().with_created(["reader", "old", "kept", "me"]);
        assert!(s.is_retired("old") && s.manages("old"));
        assert!(!s.is_retired("reader") && !s.is_retired("kept") && !s.is_retired("me") && !s.manages("other"));
    }
}
