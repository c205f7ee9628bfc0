//! The policy's rules (`policy { … }` blocks) over a live server: `exclusive`, `forbid`, the
//! `max` limits and membership depth, checked on what the server has, roles outside the
//! managed scope and grants made by hand included.
//!
//! The live state is made into a model ([`live_model`]): the policy's model with its roles,
//! memberships and object privileges replaced by the server's, and its `policy` blocks and
//! inventory kept. The rules then run over it through [`crate::db::model_rules`], the same
//! per-role checks the compiler runs, so a violation is found and worded as the compiler finds
//! and words it. Whatever the server has that the policy does not state carries a span of its
//! own ([`on_server`]), so that each violation lists what it rests on that is on the server
//! only; a violation that rests on the policy alone is the compiler's to report, and is left out.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::scope::Scope;
use super::state::LiveState;
use crate::diagnostics::Diagnostic;
use crate::model::catalog::{LiveObject, LiveRole};
use crate::model::{Grantee, Membership, Model, Object, ObjectGrant, Role};
use crate::pg::Privilege;
use crate::syntax::ast::AttributeKind;
use crate::syntax::{FileId, Span};

/// The file of the spans of what is on the server but not in the policy: no file of the
/// workspace, so such a span is never rendered as a source position.
const SERVER: FileId = FileId(u32::MAX);
/// The span of a role the policy does not declare, or whose attributes differ on the server.
const SERVER_ROLE: Span = Span { file: SERVER, item: 0, start: 0, end: 0 };
/// The span of a membership or an object privilege the policy does not state.
const SERVER_GRANT: Span = Span { file: SERVER, item: 1, start: 0, end: 0 };

/// Whether a span stands for something on the server that the policy does not state.
pub fn on_server(span: Span) -> bool {
    span.file == SERVER
}

/// A rule of the policy broken on the server.
#[derive(Clone, Debug, Serialize)]
pub struct RuleViolation {
    /// The role that breaks the rule; `None`: PUBLIC (`forbid grant … to public`).
    pub role: Option<String>,
    /// The compiler's diagnostic: code, message, the chain in its labels and help. Spans on
    /// the server ([`on_server`]) have no source position.
    #[serde(skip)]
    pub diagnostic: Diagnostic,
    /// What the violation rests on that is on the server but not in the policy.
    pub live: Vec<String>,
}

/// Whether the policy has rules to check.
pub fn has_rules(policy: &Model) -> bool {
    policy.policies.iter().any(|p| !p.rules.is_empty())
}

/// The violations of the policy's rules on `state`; empty when the policy has no rules.
/// `postgres`, `pg_*` roles and the connecting role (never changed by rolec) are checked only
/// when the policy declares them; their memberships count for everyone else's chains.
pub fn violations(policy: &Model, state: &LiveState, scope: &Scope) -> Vec<RuleViolation> {
    if !has_rules(policy) {
        return Vec::new();
    }
    let model = live_model(policy, state, scope);
    let catalog = state.to_catalog();
    let declared: HashMap<&str, &Role> = policy.roles.iter().map(|r| (r.name.as_str(), &**r)).collect();
    let mut out = Vec::new();
    for (role, d) in crate::db::model_rules::policy_violations(&model, state.major(), Some(&catalog)) {
        let mut live = Vec::new();
        if let Some(name) = role.as_deref() {
            match (declared.get(name), state.role(name)) {
                (None, _) => live.push(format!("role `{name}` is on the server, not in the policy")),
                (Some(declared), Some(on_server)) => {
                    let differ = differing_attributes(declared, on_server);
                    if !differ.is_empty() {
                        live.push(format!("`{name}` has {} on the server, not in the policy", differ.join(", ")));
                    }
                }
                (Some(_), None) => {}
            }
        }
        let labels = std::iter::once(&d.primary).chain(&d.secondary);
        for l in labels.filter(|l| l.span == SERVER_GRANT) {
            live.push(format!("{} is on the server, not in the policy", l.message));
        }
        if !live.is_empty() {
            out.push(RuleViolation { role, diagnostic: d, live });
        }
    }
    out
}

/// The attributes `role` has on the server with another value than the policy gives it
/// (`superuser`, `nocreaterole`, …).
fn differing_attributes(declared: &Role, live: &LiveRole) -> Vec<String> {
    AttributeKind::EACH
        .into_iter()
        .filter(|k| declared.attributes.get(k).copied().unwrap_or(*k == AttributeKind::Inherit) != attribute(live, *k))
        .map(|k| if attribute(live, k) { k.keyword().to_string() } else { format!("no{}", k.keyword()) })
        .collect()
}

fn attribute(role: &LiveRole, kind: AttributeKind) -> bool {
    match kind {
        AttributeKind::Login => role.login,
        AttributeKind::Superuser => role.superuser,
        AttributeKind::Createdb => role.createdb,
        AttributeKind::Createrole => role.createrole,
        AttributeKind::Replication => role.replication,
        AttributeKind::Bypassrls => role.bypassrls,
        AttributeKind::Inherit => role.inherit,
    }
}

/// The policy's model with the server's roles, memberships (from every grantor, one per
/// member and role) and object privileges (the owners' own left out, as the comparison leaves
/// them out). What the policy states keeps its span; the rest gets a span [`on_server`].
pub fn live_model(policy: &Model, state: &LiveState, scope: &Scope) -> Model {
    let declared: HashMap<&str, &Arc<Role>> = policy.roles.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut roles = Vec::new();
    let mut external_roles = Vec::new();
    for live in &state.roles {
        let policy_role = declared.get(live.name.as_str());
        if policy_role.is_none() && scope.is_protected(&live.name) {
            // A graph node, not a role the rules check.
            external_roles.push(live.name.clone());
            continue;
        }
        let attributes: BTreeMap<AttributeKind, bool> =
            AttributeKind::EACH.into_iter().map(|k| (k, attribute(live, k))).collect();
        let role = match policy_role {
            Some(r) => Role {
                origin: if differing_attributes(r, live).is_empty() { r.origin } else { SERVER_ROLE },
                attributes,
                ..Role::clone(r)
            },
            None => Role {
                name: live.name.clone(),
                is_user: live.login,
                attributes,
                connection_limit: None,
                valid_until: None,
                password: None,
                settings: Vec::new(),
                comment: None,
                tags: Vec::new(),
                origin: SERVER_ROLE,
            },
        };
        roles.push(Arc::new(role));
    }
    Model {
        roles,
        external_roles,
        memberships: live_memberships(policy, state),
        grants: live_grants(policy, state),
        ..policy.clone()
    }
}

/// One membership per (role, member), whatever the number of grantors: PostgreSQL makes the
/// member a member once any grantor granted it, with the options of any grant.
fn live_memberships(policy: &Model, state: &LiveState) -> Vec<Arc<Membership>> {
    let stated: HashMap<(&str, &str), Span> = policy
        .memberships
        .iter()
        .filter(|m| m.active)
        .map(|m| ((m.role.as_str(), m.member.as_str()), m.origin))
        .collect();
    let mut merged: BTreeMap<(&str, &str), Membership> = BTreeMap::new();
    for m in &state.memberships {
        let key = (m.role.as_str(), m.member.as_str());
        let entry = merged.entry(key).or_insert_with(|| Membership {
            role: m.role.clone(),
            member: m.member.clone(),
            admin: false,
            inherit: Some(false),
            set: Some(false),
            from: None,
            until: None,
            duration: None,
            active: true,
            reason: None,
            origin: stated.get(&key).copied().unwrap_or(SERVER_GRANT),
        });
        entry.admin |= m.admin;
        entry.inherit = Some(entry.inherit == Some(true) || m.inherit);
        entry.set = Some(entry.set == Some(true) || m.set);
    }
    merged.into_values().map(Arc::new).collect()
}

/// The object privileges on the server, one grant per grantee, object and grant option. The
/// owners' own privileges are left out (the comparison never touches them, and the compiler
/// does not count ownership as a grant), and so are PUBLIC's built-in ones.
fn live_grants(policy: &Model, state: &LiveState) -> Vec<Arc<ObjectGrant>> {
    let mut merged: BTreeMap<(Grantee, Object, bool), Vec<Privilege>> = BTreeMap::new();
    for p in &state.privileges {
        if p.grantee.as_deref() == Some(p.owner.as_str()) {
            continue;
        }
        let Some(privilege) = Privilege::from_sql(&p.privilege) else { continue };
        let object = object(&p.object);
        // What PUBLIC holds by default (EXECUTE on functions, USAGE on `public`, …) was
        // granted by no one: `forbid grant … to public` is about grants.
        if p.grantee.is_none() && !p.grantable && object.public_defaults(state.major()).contains(&privilege) {
            continue;
        }
        let grantee = p.grantee.clone().map_or(Grantee::Public, Grantee::Role);
        let privileges = merged.entry((grantee, object, p.grantable)).or_default();
        if !privileges.contains(&privilege) {
            privileges.push(privilege);
        }
    }
    merged
        .into_iter()
        .map(|((grantee, object, grant_option), privileges)| {
            // The policy's grant of exactly these privileges keeps its span.
            let stated = policy.grants.iter().find(|g| {
                !g.revoke
                    && g.grantee == grantee
                    && g.object == object
                    && g.grant_option == grant_option
                    && privileges.iter().all(|p| g.privileges.contains(p))
            });
            Arc::new(ObjectGrant {
                grantee,
                privileges,
                object,
                grant_option,
                revoke: false,
                database: None,
                origin: stated.map_or(SERVER_GRANT, |g| g.origin),
            })
        })
        .collect()
}

/// A live object as the policy names it.
fn object(o: &LiveObject) -> Object {
    match o.clone() {
        LiveObject::Table { schema, name, relkind } if relkind == "v" || relkind == "m" => {
            Object::View { schema, name }
        }
        LiveObject::Table { schema, name, .. } => Object::Table { schema, name },
        LiveObject::Sequence { schema, name } => Object::Sequence { schema, name },
        LiveObject::Column { schema, table, column } => Object::Columns { schema, table, columns: vec![column] },
        LiveObject::Routine { schema, name, args, .. } => Object::Routine { schema, name, args },
        LiveObject::Schema { name } => Object::Schema { name },
        LiveObject::Database { name } => Object::Database { name },
        LiveObject::Type { schema, name } => Object::Type { schema, name },
        LiveObject::Domain { schema, name } => Object::Domain { schema, name },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{LiveMembership, LivePrivilege};

    fn live_role(name: &str) -> LiveRole {
        LiveRole {
            name: name.to_string(),
            superuser: false,
            createdb: false,
            createrole: false,
            login: false,
            replication: false,
            bypassrls: false,
            inherit: true,
            connection_limit: -1,
            valid_until: None,
            settings: Vec::new(),
            comment: None,
        }
    }

    #[test]
    fn the_live_model_merges_grantors_and_leaves_out_owners_and_public_defaults() {
        let membership = |grantor: &str, admin: bool| LiveMembership {
            role: "approver".into(),
            member: "bob".into(),
            grantor: Some(grantor.into()),
            admin,
            inherit: true,
            set: true,
        };
        let function = LiveObject::Routine { schema: "s".into(), name: "f".into(), args: vec![], prokind: "f".into() };
        let privilege = |grantee: Option<&str>, privilege: &str| LivePrivilege {
            object: function.clone(),
            owner: "owner".into(),
            grantee: grantee.map(str::to_string),
            grantor: "owner".into(),
            privilege: privilege.into(),
            grantable: false,
        };
        let state = LiveState {
            server_version: 160000,
            current_user: "postgres".into(),
            roles: ["postgres", "approver", "bob", "owner"].into_iter().map(live_role).collect(),
            memberships: vec![membership("postgres", false), membership("owner", true)],
            privileges: vec![
                privilege(Some("owner"), "EXECUTE"),
                privilege(None, "EXECUTE"),
                privilege(Some("bob"), "EXECUTE"),
            ],
            ..LiveState::default()
        };
        let scope = Scope::new([], [], &[], "postgres").unwrap();
        let model = live_model(&Model::default(), &state, &scope);
        let names: Vec<&str> = model.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["approver", "bob", "owner"], "postgres is left to the graph");
        assert_eq!(model.external_roles, ["postgres"]);
        assert_eq!(model.memberships.len(), 1, "one membership for two grantors");
        assert!(model.memberships[0].admin && model.memberships[0].origin == SERVER_GRANT);
        let grants: Vec<(&Grantee, &[Privilege])> =
            model.grants.iter().map(|g| (&g.grantee, g.privileges.as_slice())).collect();
        assert_eq!(grants, [(&Grantee::Role("bob".into()), &[Privilege::Execute][..])]);
    }
}
