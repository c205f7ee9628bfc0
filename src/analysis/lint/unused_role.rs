//! W040 unused role: a group role nobody is a member of and that holds nothing (see the
//! module documentation of [`crate::analysis::lint`]).

use std::collections::BTreeSet;

use crate::analysis::rules::seen::Seen;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Grantee, Model, PolicyScope, Role, RuleKind};
use crate::syntax::ast::AttributeKind;

/// The names W040 takes as used, grants apart.
pub fn used_names(model: &Model) -> BTreeSet<String> {
    // Borrowed and hashed first: most names are used many times.
    let mut used: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for m in &model.memberships {
        if m.member != m.role {
            used.insert(&m.role);
        }
        used.insert(&m.member);
    }
    used.extend(used_apart_from_memberships(model));
    used.into_iter().map(str::to_string).collect()
}

/// [`used_names`] but for the members and roles of memberships (who are used).
pub fn used_apart_from_memberships(model: &Model) -> rustc_hash::FxHashSet<&str> {
    let mut used: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for s in &model.schemas {
        used.extend(s.owner.iter().map(String::as_str));
        used.extend(s.creators.iter().map(String::as_str));
    }
    for d in &model.default_privileges {
        used.insert(&d.owner);
        if let (Grantee::Role(r), false) = (&d.grantee, d.revoke) {
            used.insert(r);
        }
    }
    used.extend(model.hba.iter().map(|h| h.role.as_str()));
    for p in &model.policies {
        if let PolicyScope::Names(names) = &p.scope {
            used.extend(names.iter().map(String::as_str));
        }
        for r in &p.rules {
            match &r.kind {
                RuleKind::Exclusive(names) => used.extend(names.iter().map(|(n, _)| n.as_str())),
                RuleKind::Forbid { except, .. } => used.extend(except.iter().map(String::as_str)),
                _ => {}
            }
        }
    }
    used
}

impl<'a> Seen<'a> {
    /// W040: a group role nobody is a member of and that holds nothing.
    pub(crate) fn unused(&self) -> Option<Diagnostic> {
        let role = &self.facts.role;
        let ctx = self.view.ctx;
        if role.is_user
            || role.attribute(AttributeKind::Login)
            || (self.view.used)(&role.name)
            || ctx.library_files.contains(&role.origin.file)
            || self.facts.grants.iter().any(|g| !g.revoke)
        {
            return None;
        }
        Some(diagnostic(role))
    }
}

/// W040 for `role`.
pub fn diagnostic(role: &Role) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedRole,
        role.origin,
        format!("role `{}` is not used: no role is a member of it", role.name),
    )
    .label("declared here")
    .help(format!(
        "it holds no privileges and no roles either: add `member of {}` to a role or user, or remove it",
        role.name
    ))
}
