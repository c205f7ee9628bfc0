//! The drift audit (`rolec check`): the comparison item by item, each with what the policy
//! expects and what the database has, and the state the plan leads to.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::object_key::ObjectKey;
use super::plan::ChangePlan;
use super::privileges::PrivilegeSet;
use super::{Comparison, Context};
use crate::live::state::LiveState;
use crate::model::catalog::LiveObject;
use crate::model::Model;
use crate::pg::Privilege;

/// Whether a checked item matches the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Present as the policy says (✓).
    Ok,
    /// Missing, different, or present when the policy says it should not be (✗).
    Drift,
    /// Access of a role the policy does not know to what the policy manages (?).
    Unknown,
}

/// One item of a drift audit: what the policy expects and what the database has.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    pub status: Status,
    /// The role the item belongs to (`PUBLIC` for what the policy says about PUBLIC).
    pub role: String,
    /// What is compared: `role`, `attribute login`, `member of r`, `TABLE "s"."t"`, …
    pub item: String,
    pub expected: String,
    pub actual: String,
    /// Why an item is expected when no grant names it: `from default privileges of "owner" in
    /// schema "s"` for a privilege default privileges gave an object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounds: Option<String>,
}

impl Finding {
    /// An item compared: [`Status::Ok`] when it matches, else [`Status::Drift`].
    pub(crate) fn new(
        ok: bool,
        role: &str,
        item: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Finding {
        let status = if ok { Status::Ok } else { Status::Drift };
        Finding {
            status,
            role: role.to_string(),
            item: item.into(),
            expected: expected.into(),
            actual: actual.into(),
            grounds: None,
        }
    }

    /// The same finding with its grounds.
    pub(crate) fn with_grounds(self, grounds: Option<String>) -> Finding {
        Finding { grounds, ..self }
    }
}

/// The same comparison as [`super::diff`], item by item, and the state the plan leads to.
#[derive(Clone, Debug)]
pub struct Audit {
    pub plan: ChangePlan,
    /// Every compared item, in the order the plan compares them, then unknown roles' access.
    pub findings: Vec<Finding>,
    /// The state `live` is in once the plan has run (what the policy wants, within the scope).
    pub desired: LiveState,
}

/// How a report names a grantee.
pub(crate) fn grantee_name(g: &Option<String>) -> String {
    g.clone().unwrap_or_else(|| "PUBLIC".to_string())
}

/// The findings of a comparison and the state the plan leads to.
pub(crate) fn audit(c: &Comparison<'_>) -> (Vec<Finding>, LiveState) {
    let cx = &c.cx;
    let mut findings = Vec::new();
    let mut desired = cx.live.clone();
    let mut wanted_roles = BTreeMap::new();
    for role in &c.roles {
        wanted_roles.insert(role.role.name.clone(), role.audit(&mut findings));
    }
    desired.memberships = c.memberships.audit(cx, &mut findings);
    desired.default_privileges = c.default_privileges.iter().filter_map(|d| d.audit(&mut findings)).collect();
    desired.privileges = c.object_privileges.audit(cx, &mut findings);
    for drop in &c.drops {
        drop.audit(&mut findings);
        desired.roles.retain(|r| r.name != drop.role);
        desired.default_privileges.retain(|d| d.owner != drop.role);
        desired.privileges.retain(|p| p.grantee.as_deref() != Some(drop.role));
    }
    desired.roles.retain(|r| !wanted_roles.contains_key(&r.name));
    desired.roles.extend(wanted_roles.into_values());
    (findings, desired)
}

/// Findings for roles the policy does not know ([`Status::Unknown`]): their privileges on
/// objects of the schemas the policy names, and their membership in managed roles.
pub(crate) fn unknown_access(cx: &Context<'_>, findings: &mut Vec<Finding>) {
    let (model, live, scope): (&Model, _, _) = (cx.model, cx.live, cx.scope);
    let mut schemas: BTreeSet<&str> = model.schemas.iter().map(|s| s.name.as_str()).collect();
    schemas.extend(model.default_privileges.iter().filter_map(|d| d.schema.as_deref()));
    schemas.extend(model.grants.iter().filter_map(|g| g.object.schema()));
    let declared: BTreeSet<&str> =
        model.roles.iter().map(|r| r.name.as_str()).chain(model.external_roles.iter().map(String::as_str)).collect();
    let known = |r: &str| declared.contains(r) || scope.manages(r) || scope.is_protected(r);
    let mut access: BTreeMap<(String, String), PrivilegeSet> = BTreeMap::new();
    for p in &live.privileges {
        let Some(g) = &p.grantee else { continue };
        let schema = match &p.object {
            LiveObject::Schema { name } => Some(name),
            LiveObject::Database { .. } => None,
            LiveObject::Table { schema, .. }
            | LiveObject::Sequence { schema, .. }
            | LiveObject::Column { schema, .. }
            | LiveObject::Routine { schema, .. }
            | LiveObject::Type { schema, .. }
            | LiveObject::Domain { schema, .. } => Some(schema),
        };
        if known(g) || *g == p.owner || !schema.is_some_and(|s| schemas.contains(s.as_str())) {
            continue;
        }
        let Some(privilege) = Privilege::from_sql(&p.privilege) else { continue };
        access
            .entry((g.clone(), ObjectKey::of(&p.object).label(Some(&p.object))))
            .or_default()
            .insert(privilege, p.grantable);
    }
    for ((role, item), privs) in access {
        let actual = privs.text();
        let expected = "no access".to_string();
        findings.push(Finding { status: Status::Unknown, role, item, expected, actual, grounds: None });
    }
    for m in &live.memberships {
        if scope.manages(&m.role) && !known(&m.member) {
            findings.push(Finding {
                status: Status::Unknown,
                role: m.member.clone(),
                item: format!("member of {}", m.role),
                expected: "not a member".to_string(),
                actual: "granted".to_string(),
                grounds: None,
            });
        }
    }
}
