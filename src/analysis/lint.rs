//! Lint warnings over the resolved model: findings that are not wrong for PostgreSQL but
//! usually are for the policy's author. `rolec lint` and `rolec build` report them alike
//! (through `db::lint_diagnostics`), only once the policy parses and resolves without errors.
//!
//! - W040 unused role: a role declared with `role` (no LOGIN) that no other role is a member
//!   of (a membership counts whether its window is open or not: W003 reports closed ones) and
//!   that holds nothing a member could use: no object grant, no default privileges to it, no
//!   membership in another role. It also owns or creates in no schema, owns no `defaults`, has
//!   no `connect from` rule and is named by no `policy` rule. Roles that hold privileges or
//!   other roles but have no members are not reported: policies often define the access roles
//!   and leave their members to another system (an identity provider, a migration tool).
//!   Roles with LOGIN are never unused (someone logs in as them). Roles declared in a standard
//!   module (`import std.…`) are exempt: they are meant for applications to use (`SET ROLE
//!   anonymous` from a connection pooler). The caller passes the files of standard modules
//!   (`db` knows their paths; the model does not).
//! - W041 window closing soon: an active membership whose `until` is at most 14 days after
//!   `--at`. (A window that has closed is W003, reported while resolving.) Windows that start at
//!   `--at` itself are relative ones (`for 4h` without `from`): they always close soon, on
//!   purpose, and are not reported.
//! - W042 shadowed grant: a role is granted a privilege on an object directly and already has
//!   it on the same object (the same [`Object`] value) through a role whose privileges it has
//!   (`pg_has_role(…, 'USAGE')`, i.e. through inheriting memberships), for every privilege of
//!   the direct grant (`all` covers every privilege): the direct grant can be removed as a
//!   whole. A grant that only partly overlaps (`grant usage, create` beside an inherited
//!   `usage`) is not reported. A direct grant `with grant option` is not shadowed by one
//!   without. Superusers' blanket rights do not count.

use std::collections::HashSet;

use crate::analysis::membership::{Chain, MembershipAnalysis, Mode, Steps};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Grantee, Model, ObjectGrant};
use crate::syntax::ast::{AttributeKind, Privilege};
use crate::syntax::FileId;

/// How close to `--at` the end of a membership window must be for W041.
pub const CLOSING_SOON_SECONDS: i64 = 14 * 24 * 3600;

/// Every lint warning of `model` at instant `at`. `library_files`: the files of standard
/// modules, whose roles W040 does not report.
pub fn lint(model: &Model, analysis: &MembershipAnalysis, at: i64, library_files: &[FileId]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unused_roles(model, library_files, &mut out);
    closing_windows(&model.memberships, at, &mut out);
    shadowed_grants(model, analysis, &mut out);
    out
}

fn unused_roles(model: &Model, library_files: &[FileId], out: &mut Vec<Diagnostic>) {
    // Names used by anything but grants (shared with the role-by-role check), then grantees.
    let others = crate::analysis::role_rules::used_names(model);
    let mut used: HashSet<&str> = others.iter().map(String::as_str).collect();
    for g in model.grants.iter().filter(|g| !g.revoke) {
        if let Grantee::Role(r) = &g.grantee {
            used.insert(r);
        }
    }
    for role in &model.roles {
        if role.is_user
            || role.attribute(AttributeKind::Login)
            || used.contains(role.name.as_str())
            || library_files.contains(&role.origin.file)
        {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::UnusedRole,
                role.origin,
                format!("role `{}` is not used: no role is a member of it", role.name),
            )
            .label("declared here")
            .help(format!(
                "it holds no privileges and no roles either: add `member of {}` to a role or user, or remove it",
                role.name
            )),
        );
    }
}

pub fn closing_windows(memberships: &[std::sync::Arc<crate::model::Membership>], at: i64, out: &mut Vec<Diagnostic>) {
    for m in memberships {
        let Some(until) = m.until else { continue };
        if !m.active || until <= at || until - at > CLOSING_SOON_SECONDS || m.from == Some(at) {
            continue;
        }
        let days = (until - at) / 86_400;
        let when = match days {
            0 => "in less than a day".to_string(),
            1 => "in 1 day".to_string(),
            n => format!("in {n} days"),
        };
        out.push(
            Diagnostic::new(
                Code::WindowClosingSoon,
                m.origin,
                format!("membership of `{}` in `{}` closes at {} ({when})", m.member, m.role, fmt_time(until)),
            )
            .label("window closes soon")
            .help("extend the window, or remove the membership once it has closed"),
        );
    }
}

fn shadowed_grants(model: &Model, analysis: &MembershipAnalysis, out: &mut Vec<Diagnostic>) {
    // Grants to roles by (object, grantee): a grant is compared only with the grants on the
    // same object to the few roles its grantee inherits from, not with every grant.
    let mut by_object: std::collections::HashMap<(&crate::model::Object, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, h) in model.grants.iter().enumerate() {
        if let (Grantee::Role(r), false) = (&h.grantee, h.revoke) {
            by_object.entry((&h.object, r.as_str())).or_default().push(i);
        }
    }
    for g in &model.grants {
        let Grantee::Role(x) = &g.grantee else { continue };
        if g.revoke {
            continue;
        }
        let mut candidates: Vec<usize> = analysis
            .granted_roles(x, Mode::Usage)
            .filter_map(|r| by_object.get(&(&g.object, r)))
            .flatten()
            .copied()
            .collect();
        // In source order: the first grant written that shadows this one is named.
        candidates.sort_by_key(|&i| {
            (model.grants[i].origin.file, model.grants[i].origin.item, model.grants[i].origin.start, i)
        });
        for h in candidates.into_iter().map(|i| &model.grants[i]) {
            let Grantee::Role(r) = &h.grantee else { continue };
            if r == x || (g.grant_option && !h.grant_option) {
                continue;
            }
            let shadowed = covered(&g.privileges, &h.privileges);
            if shadowed.len() < g.privileges.len() {
                continue;
            }
            let Some(Chain::Memberships(steps)) = analysis.answer(x, r, Mode::Usage) else { continue };
            out.push(shadowed_diagnostic(g, h, x, r, &shadowed, &steps));
            break;
        }
    }
}

/// W042 for the direct grant `g` to `x`, shadowed by `h` to `r`, which `x` reaches by `steps`.
pub fn shadowed_diagnostic(
    g: &ObjectGrant,
    h: &ObjectGrant,
    x: &str,
    r: &str,
    shadowed: &[Privilege],
    steps: &Steps,
) -> Diagnostic {
    let privs = shadowed.iter().map(|p| format!("`{}`", p.keyword())).collect::<Vec<_>>().join(", ");
    let path = steps.path(x, |n| format!("`{n}`"));
    Diagnostic::new(
        Code::ShadowedGrant,
        g.origin,
        format!(
            "{privs} on {} {} already granted to `{x}` through `{r}`",
            g.object.describe(),
            if shadowed.len() == 1 { "is" } else { "are" }
        ),
    )
    .label("granted again here")
    .with_secondary(h.origin, format!("granted to `{r}` here"))
    .help(format!(
        "`{x}` has the privileges of `{r}` ({path}); remove the direct grant unless it must outlive the membership"
    ))
}

/// The privileges of `direct` that `inherited` already gives (`all` covers every privilege).
pub fn covered(direct: &[Privilege], inherited: &[Privilege]) -> Vec<Privilege> {
    if inherited.contains(&Privilege::All) {
        return direct.to_vec();
    }
    direct.iter().copied().filter(|p| inherited.contains(p)).collect()
}

fn fmt_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_covers_everything() {
        assert_eq!(
            covered(&[Privilege::Select, Privilege::Insert], &[Privilege::All]),
            vec![Privilege::Select, Privilege::Insert]
        );
        assert_eq!(covered(&[Privilege::Select, Privilege::Insert], &[Privilege::Select]), vec![Privilege::Select]);
        assert!(covered(&[Privilege::Insert], &[Privilege::Select]).is_empty());
    }
}
