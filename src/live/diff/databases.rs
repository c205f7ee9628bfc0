//! A policy that names its databases (`databases a, b`) compared with a cluster: the
//! cluster-wide part (roles, attributes, settings, comments, memberships, drops) once, with the
//! policy's first database, and each database's object-level part (default and object
//! privileges) only with the policy's entries for that database — so that what one database
//! needs never revokes what another one has.
//!
//! The plan: cluster-wide statements that come before privileges (roles, attributes,
//! memberships), then each database's default and object privileges in the policy's order,
//! then comments and drops. Each statement names its database ([`Change::database`]).

use std::collections::BTreeSet;

use super::audit::{self, Audit};
use super::plan::{self, Change, ChangePlan, PlanPhase};
use super::{compare_part, Part};
use crate::live::scope::Scope;
use crate::live::state::LiveState;
use crate::model::{Model, Object};

/// One database of the cluster as read for the comparison.
pub struct DatabaseState<'a> {
    pub name: &'a str,
    pub state: &'a LiveState,
}

/// The plan over the cluster: `cluster` is the state read in the policy's first database (for
/// the cluster-wide part), `databases` the databases compared (all the policy names, or those
/// `--database` keeps).
pub fn diff(model: &Model, cluster: &LiveState, databases: &[DatabaseState<'_>], scope: &Scope) -> ChangePlan {
    audit_or_plan(model, cluster, databases, scope, false).plan
}

/// [`diff`] with the drift audit and the state the plan leads to (object privileges and default
/// privileges of every database compared, together).
pub fn audit(model: &Model, cluster: &LiveState, databases: &[DatabaseState<'_>], scope: &Scope) -> Audit {
    audit_or_plan(model, cluster, databases, scope, true)
}

fn audit_or_plan(
    model: &Model,
    cluster: &LiveState,
    databases: &[DatabaseState<'_>],
    scope: &Scope,
    with_audit: bool,
) -> Audit {
    let whole = compare_part(model, cluster, scope, Part::Cluster);
    let mut result = plan::plan(&whole);
    let mut cluster_changes = std::mem::take(&mut result.changes);
    let (mut findings, mut desired) = if with_audit { audit::audit(&whole) } else { (Vec::new(), cluster.clone()) };
    desired.privileges.clear();
    desired.default_privileges.clear();
    let mut unknown: BTreeSet<(String, String)> = BTreeSet::new();
    let mut per_database: Vec<Change> = Vec::new();
    for db in databases {
        let part = part_for(model, db.name);
        let comparison = compare_part(&part, db.state, scope, Part::Database);
        let p = plan::plan(&comparison);
        for w in p.warnings.into_iter().chain(p.blockers.iter().cloned()) {
            let list = if p.blockers.contains(&w) { &mut result.blockers } else { &mut result.warnings };
            if !list.contains(&w) {
                list.push(w);
            }
        }
        per_database.extend(p.changes.into_iter().map(|c| Change { database: Some(db.name.to_string()), ..c }));
        if with_audit {
            let (mut found, state) = audit::audit(&comparison);
            audit::unknown_access(&comparison.cx, &mut found);
            for mut f in found {
                // A membership of an unknown role is cluster-wide: reported once.
                if f.item.starts_with("member of ") {
                    if unknown.insert((f.role.clone(), f.item.clone())) {
                        findings.push(f);
                    }
                    continue;
                }
                f.item = format!("in database {}: {}", db.name, f.item);
                findings.push(f);
            }
            desired.privileges.extend(state.privileges);
            desired.default_privileges.extend(state.default_privileges);
        }
    }
    let late = |c: &Change| c.phase > PlanPhase::ObjectPrivileges;
    let (mut after, before): (Vec<Change>, Vec<Change>) = cluster_changes.drain(..).partition(late);
    // A role to drop gives up what it owns or holds in each other database before DROP ROLE.
    let mut drops_elsewhere = Vec::new();
    for db in databases.iter().filter(|db| db.name != cluster.database) {
        for d in &whole.drops {
            let mut p = ChangePlan::default();
            d.plan_in(db.state, &mut p);
            result.blockers.extend(p.blockers);
            let changes = p.changes.into_iter().map(|c| Change { database: Some(db.name.to_string()), ..c });
            drops_elsewhere.extend(changes);
        }
    }
    // The first database's drop statements say where they run (psql reads the plan in order).
    for c in after.iter_mut().filter(|c| c.phase == PlanPhase::DropRoles && c.database.is_none()) {
        c.database = Some(cluster.database.clone());
    }
    let at = after.iter().position(|c| c.drops_role.is_some()).unwrap_or(after.len());
    after.splice(at..at, drops_elsewhere);
    result.changes = before.into_iter().chain(per_database).chain(after).collect();
    Audit { plan: result, findings, desired }
}

/// The policy's part for database `name`: its entries, with the grants on databases moved to
/// the part of the database they name. PostgreSQL keeps one ACL per database, which every
/// database reads: each is compared once, in its own database's part, wherever the policy
/// writes the grant. A grant on a database the policy does not name stays where it is written.
fn part_for(model: &Model, name: &str) -> Model {
    let mut part = model.for_database(Some(name));
    let on = |g: &crate::model::ObjectGrant| match &g.object {
        Object::Database { name } if model.databases.contains(name) => Some(name.clone()),
        _ => None,
    };
    part.grants.retain(|g| on(g).is_none_or(|d| d == name));
    let moved = model.grants.iter().filter(|g| g.database.as_deref() != Some(name) && on(g).as_deref() == Some(name));
    part.grants.extend(moved.cloned());
    part
}
