//! `max admin rights N` (E033 / W033): a role in scope holds at most N admin rights directly
//! (see [`AdminRights`]).

use crate::analysis::rules::code;
use crate::analysis::rules::origins::Origins;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Grantee, Membership, Model, ObjectGrant, Policy, PolicyRule, Role};
use crate::syntax::ast::AttributeKind;

/// The admin rights a role holds directly: its attributes among SUPERUSER, CREATEROLE,
/// CREATEDB, BYPASSRLS and REPLICATION; each active membership it holds WITH ADMIN OPTION;
/// each grant (one per `grant` statement) it holds WITH GRANT OPTION.
///
/// Not counted yet: rights inherited through memberships (a member of a role with ADMIN
/// OPTION on another role can use it through INHERIT), and `defaults` with grant option.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AdminRights {
    pub attributes: Vec<AttributeKind>,
    /// Model indexes of memberships with ADMIN OPTION.
    pub admin_memberships: Vec<usize>,
    /// Model indexes of grants with GRANT OPTION.
    pub grant_options: Vec<usize>,
}

impl AdminRights {
    pub fn count(&self) -> usize {
        self.attributes.len() + self.admin_memberships.len() + self.grant_options.len()
    }
}

const ADMIN_ATTRIBUTES: [AttributeKind; 5] = [
    AttributeKind::Superuser,
    AttributeKind::Createrole,
    AttributeKind::Createdb,
    AttributeKind::Bypassrls,
    AttributeKind::Replication,
];

pub fn admin_rights(model: &Model, role: &Role) -> AdminRights {
    admin_rights_of(
        role,
        model.memberships.iter().map(|m| &**m).enumerate(),
        model.grants.iter().map(|g| &**g).enumerate(),
    )
}

/// [`admin_rights`] from some memberships and grants, numbered as the caller's [`Origins`]
/// numbers them (those of other roles are skipped).
pub fn admin_rights_of<'a>(
    role: &Role,
    memberships: impl Iterator<Item = (usize, &'a Membership)>,
    grants: impl Iterator<Item = (usize, &'a ObjectGrant)>,
) -> AdminRights {
    AdminRights {
        attributes: ADMIN_ATTRIBUTES.into_iter().filter(|k| role.attribute(*k)).collect(),
        admin_memberships: memberships
            .filter(|(_, m)| m.active && m.admin && m.member == role.name)
            .map(|(k, _)| k)
            .collect(),
        grant_options: grants
            .filter(|(_, g)| g.grant_option && !g.revoke && matches!(&g.grantee, Grantee::Role(r) if *r == role.name))
            .map(|(k, _)| k)
            .collect(),
    }
}

pub fn too_many_admin_rights(
    model: &dyn Origins,
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    rights: &AdminRights,
    max: u64,
) -> Diagnostic {
    let label = if rights.attributes.is_empty() {
        "declared here".to_string()
    } else {
        let plural = if rights.attributes.len() > 1 { "s" } else { "" };
        format!(
            "attribute{plural} {}",
            rights.attributes.iter().map(|k| format!("`{}`", k.keyword())).collect::<Vec<_>>().join(", ")
        )
    };
    let mut d = Diagnostic::new(
        code(rule, Code::TooManyAdminRights, Code::TooManyAdminRightsWarn),
        role.origin,
        format!(
            "`{}` holds {} admin rights directly, more than the {max} policy `{}` allows",
            role.name,
            rights.count(),
            policy.name
        ),
    )
    .label(label);
    for &k in &rights.admin_memberships {
        let m = model.membership(k);
        d = d.with_secondary(m.origin, format!("ADMIN OPTION on `{}`", m.role));
    }
    for &k in &rights.grant_options {
        let g = model.grant(k);
        let privs = g.privileges.iter().map(|p| format!("`{}`", p.keyword())).collect::<Vec<_>>().join(", ");
        d = d.with_secondary(g.origin, format!("GRANT OPTION for {privs} on {}", g.object.describe()));
    }
    d.with_secondary(rule.origin, "limit set here")
        .help("admin rights are the attributes superuser, createrole, createdb, bypassrls and replication, each membership WITH ADMIN OPTION and each grant WITH GRANT OPTION; rights inherited through memberships are not counted")
}
