//! The difference between a policy and a live server: one comparison, read two ways — as the
//! statements that make the server match the policy ([`diff`], "a plan", [`plan`]) and as a
//! drift report item by item with the state the plan leads to ([`audit()`], [`mod@audit`]).
//!
//! The comparison is split by what it compares, each part a typed result with a `plan` and
//! an `audit` method: [`roles`] (attributes, connection limit, validity, password, comment)
//! with [`role_settings`], [`memberships`], [`default_privileges`], [`object_privileges`]
//! (objects keyed by [`object_key`]), and [`drops`]. What PostgreSQL is (privileges per kind
//! of object, built-in defaults, setting names) is read from [`crate::pg`]; privilege sets
//! with their grant options are in [`privileges`]; grants by other grantors than rolec and
//! what rests on them, in [`grantors`].
//!
//! Only the difference is emitted: a role whose privileges changed is altered, granted and
//! revoked, never dropped and re-created. Bulk grants (`… in schema S`) are expanded over the
//! objects that exist in the live database; object privileges are compared per object,
//! grantee and privilege, with the built-in defaults of NULL ACLs expanded (by the server,
//! see `introspect`) and those of absent global default-privilege entries expanded here.
//!
//! Order: create roles → attributes, settings and passwords → revoke memberships → grant
//! memberships → default privileges → object privileges (grants, then revokes) → comments →
//! drop roles. Memberships are revoked before they are granted so that turning an edge
//! around never makes a cycle; a plan runs in one transaction, so nobody sees the gap.

use std::collections::HashMap;

use super::scope::Scope;
use super::state::LiveState;
use crate::model::catalog::LiveRole;
use crate::model::{Model, Role};
use crate::pg::quote::ident;

pub mod audit;
pub mod databases;
pub(crate) mod default_privileges;
pub(crate) mod drops;
pub(crate) mod grantors;
pub(crate) mod memberships;
pub(crate) mod object_key;
pub(crate) mod object_privileges;
pub mod plan;
pub(crate) mod privileges;
pub(crate) mod role_settings;
pub(crate) mod roles;
pub mod windows;

pub use audit::{Audit, Finding, Status};
pub use plan::{statements_hash, Change, ChangePlan, MissingPassword, PasswordFrom, PlanPhase};

/// Computes the plan that makes `live` match `model` within `scope`.
pub fn diff(model: &Model, live: &LiveState, scope: &Scope) -> ChangePlan {
    plan::plan(&compare(model, live, scope))
}

/// Compares `model` with `live` within `scope` item by item ([`Finding`]s), computes the plan,
/// and the state it leads to. Roles outside the scope, not `postgres`/`pg_*`/the connecting
/// role and not declared (even as `external role`), with privileges on objects of the schemas
/// the policy names or membership in a managed role, are [`Status::Unknown`].
pub fn audit(model: &Model, live: &LiveState, scope: &Scope) -> Audit {
    let comparison = compare(model, live, scope);
    let plan = plan::plan(&comparison);
    let (mut findings, desired) = audit::audit(&comparison);
    audit::unknown_access(&comparison.cx, &mut findings);
    Audit { plan, findings, desired }
}

/// What the comparison reads, with indexes by name (thousands of roles).
pub(crate) struct Context<'a> {
    pub model: &'a Model,
    pub live: &'a LiveState,
    pub scope: &'a Scope,
    pub major: u32,
    /// What of the policy this comparison covers.
    pub part: Part,
    pub live_roles: HashMap<&'a str, &'a LiveRole>,
    pub model_roles: HashMap<&'a str, &'a Role>,
}

impl Context<'_> {
    /// Whether the plan drops `role` (managed, on the server, no longer declared).
    pub fn dropped(&self, role: &str) -> bool {
        self.scope.is_undeclared(role) && self.live_roles.contains_key(role)
    }

    /// Whether `role` is a superuser once the plan has altered the roles' attributes.
    pub fn superuser_after(&self, role: &str) -> bool {
        match self.model_roles.get(role) {
            Some(declared) if self.scope.manages(role) => {
                roles::wanted_attribute(declared, crate::syntax::ast::AttributeKind::Superuser, false)
            }
            _ => self.live_roles.get(role).is_some_and(|r| r.superuser),
        }
    }
}

/// The policy compared with the server within the scope, part by part, in the order the plan
/// and the audit list them.
pub(crate) struct Comparison<'a> {
    pub cx: Context<'a>,
    /// Declared roles the scope protects: left alone.
    pub protected: Vec<&'a str>,
    pub roles: Vec<roles::RoleComparison<'a>>,
    pub memberships: memberships::MembershipsComparison<'a>,
    pub default_privileges: Vec<default_privileges::DefaultAclComparison>,
    pub object_privileges: object_privileges::ObjectPrivilegesComparison,
    pub drops: Vec<drops::RoleDrop<'a>>,
}

pub(crate) fn compare<'a>(model: &'a Model, live: &'a LiveState, scope: &'a Scope) -> Comparison<'a> {
    compare_part(model, live, scope, Part::Whole)
}

/// What of a policy one comparison covers. A policy that names its databases is compared in
/// parts: the cluster-wide part once, each database's object-level part with that database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything, with the one database connected to.
    Whole,
    /// Roles, their attributes, settings and comments, memberships and drops.
    Cluster,
    /// Default and object privileges of the database connected to.
    Database,
}

pub(crate) fn compare_part<'a>(model: &'a Model, live: &'a LiveState, scope: &'a Scope, part: Part) -> Comparison<'a> {
    let cx = Context {
        model,
        live,
        scope,
        major: live.major(),
        part,
        live_roles: live.roles.iter().map(|r| (r.name.as_str(), r)).collect(),
        model_roles: model.roles.iter().map(|r| (r.name.as_str(), &**r)).collect(),
    };
    let (cluster, objects) = (part != Part::Database, part != Part::Cluster);
    let memberships = match cluster {
        true => memberships::compare(&cx),
        false => memberships::MembershipsComparison {
            v16: cx.major >= 16,
            current_user: &live.current_user,
            pairs: Vec::new(),
            windows: Default::default(),
            depth: Default::default(),
            cascades: Default::default(),
            cascaded: Default::default(),
        },
    };
    Comparison {
        protected: match cluster {
            true => model.roles.iter().filter(|r| scope.is_protected(&r.name)).map(|r| r.name.as_str()).collect(),
            false => Vec::new(),
        },
        roles: if cluster { roles::compare(&cx) } else { Vec::new() },
        memberships,
        default_privileges: if objects { default_privileges::compare(&cx) } else { Vec::new() },
        object_privileges: if objects { object_privileges::compare(&cx) } else { Default::default() },
        drops: if cluster { drops::compare(&cx) } else { Vec::new() },
        cx,
    }
}

/// A grantee in SQL: `PUBLIC` or the quoted role name.
fn grantee_sql(g: &Option<String>) -> String {
    match g {
        None => "PUBLIC".to_string(),
        Some(r) => ident(r),
    }
}
