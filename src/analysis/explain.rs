//! `rolec explain` and `rolec who-can`: everything a role can do, and every role that can do
//! one thing, each answer with the reason ([`Chain`] for memberships, [`Grounds`] for object
//! privileges). Plain data over the [`MembershipAnalysis`] and [`PrivilegeAnalysis`]; the
//! `report` module turns membership and grant indexes into `file:line`.
//!
//! The objects looked at: the inventory (`table …` declarations and a catalog snapshot), every
//! concrete object named in a grant (tables, views, sequences, functions, schemas, databases,
//! columns) and every declared schema. Objects created later ([`FutureObject`]): the tables,
//! sequences and functions each declared schema's owner and creators make in it, and every
//! (creator, schema, kind) a default privilege names.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::analysis::membership::{Chain, MembershipAnalysis, Mode};
use crate::analysis::privileges::{FutureGrounds, FutureKind, FutureObject, Grounds, ObjectRef, PrivilegeAnalysis};
use crate::model::{Model, Object};
use crate::syntax::ast::{AttributeKind, Privilege};

/// Every privilege keyword but `all`, in the order answers are listed.
pub const PRIVILEGES: [Privilege; 13] = Privilege::EACH;

/// What one role can do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub role: String,
    pub is_user: bool,
    /// An `external role`: its attributes and memberships are not known.
    pub external: bool,
    /// Every attribute with its final value (empty for an external role).
    pub attributes: BTreeMap<AttributeKind, bool>,
    /// The roles it reaches, per mode, each with a shortest chain; a superuser reaches every
    /// role the policy knows (the chain says superuser).
    pub roles: Vec<Reached>,
    /// Every effective privilege on the objects the policy knows, with its grounds.
    pub privileges: Vec<Effective>,
    /// What it gets on objects created later ([`future_objects`]): every privilege it would
    /// have or could grant.
    pub future: Vec<FutureEffective>,
}

/// `pg_has_role(role, granted, mode)` is true because of `chain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reached {
    pub role: String,
    pub mode: Mode,
    pub chain: Chain,
}

/// The role has `privilege` on `object` because of `grounds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Effective {
    pub object: ObjectRef,
    pub privilege: Privilege,
    pub grounds: Grounds,
    /// Why it can grant the privilege to others (`WITH GRANT OPTION`), if it can.
    pub grant_option: Option<Grounds>,
}

/// On an object created later, the role would have `privilege` because of `grounds`, and
/// could grant it because of `grant_option` (a creator's members hold the grant option even
/// for a privilege a default took away from the creator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FutureEffective {
    pub object: FutureObject,
    pub privilege: Privilege,
    pub grounds: Option<FutureGrounds>,
    pub grant_option: Option<FutureGrounds>,
}

/// The policy's roles and users, then its external roles.
pub fn known_roles(model: &Model) -> Vec<String> {
    model.roles.iter().map(|r| r.name.clone()).chain(model.external_roles.iter().cloned()).collect()
}

/// The concrete objects the policy knows: the inventory, objects named in grants (columns one
/// by one), declared schemas; each once, in that order.
pub fn objects(model: &Model) -> Vec<ObjectRef> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |o: ObjectRef, out: &mut Vec<ObjectRef>| {
        if seen.insert(o.clone()) {
            out.push(o);
        }
    };
    for o in ObjectRef::of_inventory(model) {
        push(o, &mut out);
    }
    for g in &model.grants {
        let refs: Vec<ObjectRef> = match &g.object {
            Object::Table { schema, name } => vec![ObjectRef::Table { schema: schema.clone(), name: name.clone() }],
            Object::View { schema, name } => vec![ObjectRef::View { schema: schema.clone(), name: name.clone() }],
            Object::Sequence { schema, name } => {
                vec![ObjectRef::Sequence { schema: schema.clone(), name: name.clone() }]
            }
            Object::Routine { schema, name, args } => {
                vec![ObjectRef::Function { schema: schema.clone(), name: name.clone(), args: args.clone() }]
            }
            Object::Schema { name } => vec![ObjectRef::Schema { name: name.clone() }],
            Object::Database { name } => vec![ObjectRef::Database { name: name.clone() }],
            Object::Columns { schema, table, columns } => columns
                .iter()
                .map(|c| ObjectRef::Column { schema: schema.clone(), table: table.clone(), column: c.clone() })
                .collect(),
            Object::AllIn { schema, .. } => vec![ObjectRef::Schema { name: schema.clone() }],
            Object::Type { .. } | Object::Domain { .. } => vec![],
        };
        for o in refs {
            // A relation known under another kind (a `table` grant on a declared view) once.
            if let ObjectRef::Table { schema, name } = &o {
                if out.iter().any(|x| matches!(x, ObjectRef::View { schema: s, name: n } | ObjectRef::Sequence { schema: s, name: n } if s == schema && n == name)) {
                    continue;
                }
            }
            push(o, &mut out);
        }
    }
    for s in &model.schemas {
        push(ObjectRef::Schema { name: s.name.clone() }, &mut out);
    }
    out
}

/// The objects created later that the policy says something about: every kind of object that
/// a creator makes in a schema where it has default privileges or is a declared owner or
/// creator, and in any schema without per-schema defaults (`schema: None`, schemas included)
/// where it has global defaults — each kind, not only those the defaults name, so that explain
/// lists what who-can answers (the owner's own rights, PUBLIC's built-in ones). Sorted by
/// creator, schema, kind.
pub fn future_objects(model: &Model, privileges: &PrivilegeAnalysis) -> Vec<FutureObject> {
    let mut scopes: Vec<(String, Option<String>)> = privileges.future_scopes().map(|o| (o.creator, o.schema)).collect();
    for s in &model.schemas {
        scopes.extend(s.creator_roles().map(|c| (c.clone(), Some(s.name.clone()))));
    }
    let mut out = Vec::new();
    for (creator, schema) in scopes {
        for kind in FutureKind::ALL {
            if kind != FutureKind::Schema || schema.is_none() {
                out.push(FutureObject { kind, schema: schema.clone(), creator: creator.clone() });
            }
        }
    }
    out.sort_by(|a, b| (&a.creator, &a.schema, a.kind).cmp(&(&b.creator, &b.schema, b.kind)));
    out.dedup();
    out
}

/// Everything `role` can do; `None` when the policy has no such role (neither declared nor
/// external).
pub fn explain(
    model: &Model,
    members: &MembershipAnalysis,
    privileges: &PrivilegeAnalysis,
    role: &str,
) -> Option<Explanation> {
    let declared = model.roles.iter().find(|r| r.name == role);
    let external = declared.is_none() && model.external_roles.iter().any(|r| r == role);
    if declared.is_none() && !external {
        return None;
    }
    let mut roles = Vec::new();
    // A superuser is a member of every role, in every mode (as `pg_has_role` answers): every
    // role the analysis knows, each by [`Chain::Superuser`].
    let granted: Vec<&str> = if members.is_superuser(role) {
        members.roles().filter(|&r| r != role).collect()
    } else {
        members.granted_roles(role, Mode::Member).collect()
    };
    for granted in granted {
        for mode in Mode::ALL {
            if mode == Mode::Set && members.target_version < 16 {
                // Before 16 SET is MEMBER: not a separate answer.
                continue;
            }
            if let Some(chain) = members.answer(role, granted, mode) {
                roles.push(Reached { role: granted.to_string(), mode, chain });
            }
        }
    }
    let mut effective = Vec::new();
    for object in objects(model) {
        for privilege in PRIVILEGES {
            if let Some(grounds) = privileges.answer(role, privilege, &object) {
                let grant_option = privileges.answer_grant_option(role, privilege, &object);
                effective.push(Effective { object: object.clone(), privilege, grounds, grant_option });
            }
        }
    }
    let mut future = Vec::new();
    for object in future_objects(model, privileges) {
        for privilege in PRIVILEGES {
            let grounds = privileges.answer_future(role, privilege, &object);
            let grant_option = privileges.answer_future_grant_option(role, privilege, &object);
            if grounds.is_some() || grant_option.is_some() {
                future.push(FutureEffective { object: object.clone(), privilege, grounds, grant_option });
            }
        }
    }
    Some(Explanation {
        role: role.to_string(),
        is_user: declared.is_some_and(|r| r.is_user),
        external,
        attributes: declared.map(|r| r.attributes.clone()).unwrap_or_default(),
        roles,
        privileges: effective,
        future,
    })
}

/// The policy's roles (declared and external, not `granted` itself) that reach `granted` in
/// `mode`, each with its chain; superusers included.
pub fn who_reaches(model: &Model, members: &MembershipAnalysis, granted: &str, mode: Mode) -> Vec<(String, Chain)> {
    let reaching = members.reaching(granted, mode);
    known_roles(model)
        .into_iter()
        .filter(|r| r != granted)
        .filter_map(|r| reaching.answer(&r).map(|c| (r, c)))
        .collect()
}

/// The policy's roles (declared and external) that have `privilege` on `object`, each with
/// its grounds.
pub fn who_can(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    privilege: Privilege,
    object: &ObjectRef,
) -> Vec<(String, Grounds)> {
    known_roles(model).into_iter().filter_map(|r| privileges.answer(&r, privilege, object).map(|g| (r, g))).collect()
}

/// The policy's roles that can grant `privilege` on `object` (`WITH GRANT OPTION`), each
/// with its grounds.
pub fn who_can_grant(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    privilege: Privilege,
    object: &ObjectRef,
) -> Vec<(String, Grounds)> {
    known_roles(model)
        .into_iter()
        .filter_map(|r| privileges.answer_grant_option(&r, privilege, object).map(|g| (r, g)))
        .collect()
}

/// The policy's roles that would have `privilege` (or, with `grant_option`, could grant it)
/// on an object created later, each with its grounds.
pub fn who_can_future(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    privilege: Privilege,
    object: &FutureObject,
    grant_option: bool,
) -> Vec<(String, FutureGrounds)> {
    known_roles(model)
        .into_iter()
        .filter_map(|r| {
            if grant_option {
                privileges.answer_future_grant_option(&r, privilege, object)
            } else {
                privileges.answer_future(&r, privilege, object)
            }
            .map(|g| (r, g))
        })
        .collect()
}

/// What any role would have on an object created later without anything of its own.
pub fn public_future_grounds(
    privileges: &PrivilegeAnalysis,
    privilege: Privilege,
    object: &FutureObject,
) -> Option<FutureGrounds> {
    privileges
        .answer_future("\u{0}public", privilege, object)
        .filter(|g| matches!(g, FutureGrounds::DefaultPublic { .. } | FutureGrounds::BuiltinPublic))
}

/// What any role has on `object` without anything of its own: a grant to PUBLIC or the
/// built-in default (asked for a name no role can have).
pub fn public_grounds(privileges: &PrivilegeAnalysis, privilege: Privilege, object: &ObjectRef) -> Option<Grounds> {
    privileges
        .answer("\u{0}public", privilege, object)
        .filter(|g| matches!(g, Grounds::Public { .. } | Grounds::BuiltinPublic))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;

    #[test]
    fn chains_and_grounds() {
        let text = "schema app {}\ntable app.t\nrole a { grant select on tables in schema app }\nrole b { member of a }\nuser u { member of b }\n";
        let ws = Workspace::load(
            Sources::Memory(vec![("t.role".into(), text.into())]),
            BuildOptions { target_version: 16, ..Default::default() },
        )
        .unwrap();
        let model = &ws.resolved().model;
        let members = crate::db::membership_analysis(&ws.db, ws.policy);
        let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
        let e = explain(model, members, privileges, "u").unwrap();
        assert_eq!(e.roles.iter().filter(|r| r.role == "a").count(), 3);
        let t = ObjectRef::Table { schema: "app".into(), name: "t".into() };
        assert!(e.privileges.iter().any(|p| p.object == t
            && p.privilege == Privilege::Select
            && matches!(p.grounds, Grounds::Grant { bulk: true, .. })));
        assert!(explain(model, members, privileges, "nobody").is_none());
        let who: Vec<String> = who_can(model, privileges, Privilege::Select, &t).into_iter().map(|(r, _)| r).collect();
        assert_eq!(who, ["a", "b", "u"]);
        let who: Vec<String> = who_reaches(model, members, "a", Mode::Member).into_iter().map(|(r, _)| r).collect();
        assert_eq!(who, ["b", "u"]);
    }

    #[test]
    fn grant_options_and_objects_created_later() {
        let text = "schema app { owner o }\ntable app.t\nrole o\nrole a { grant select on tables in schema app with grant option }\nuser u { member of a }\nrole x\ndefaults for role o {\n  grant usage on sequences to x\n}\n";
        let ws =
            Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), BuildOptions::default()).unwrap();
        let model = &ws.resolved().model;
        let members = crate::db::membership_analysis(&ws.db, ws.policy);
        let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
        let scopes = future_objects(model, privileges);
        let later =
            |kind, schema: Option<&str>| FutureObject { kind, schema: schema.map(str::to_string), creator: "o".into() };
        assert_eq!(
            scopes,
            [
                later(FutureKind::Table, None),
                later(FutureKind::Sequence, None),
                later(FutureKind::Function, None),
                later(FutureKind::Schema, None),
                later(FutureKind::Table, Some("app")),
                later(FutureKind::Sequence, Some("app")),
                later(FutureKind::Function, Some("app"))
            ]
        );
        let e = explain(model, members, privileges, "u").unwrap();
        let t = ObjectRef::Table { schema: "app".into(), name: "t".into() };
        assert!(e
            .privileges
            .iter()
            .any(|p| p.object == t && p.privilege == Privilege::Select && p.grant_option.is_some()));
        assert!(e.future.iter().any(|p| p.object == later(FutureKind::Table, Some("app"))
            && p.privilege == Privilege::Select
            && p.grounds.is_some()
            && p.grant_option.is_some()));
        assert!(!e.future.iter().any(|p| p.object.kind == FutureKind::Sequence));
        let who: Vec<String> =
            who_can_grant(model, privileges, Privilege::Select, &t).into_iter().map(|(r, _)| r).collect();
        assert_eq!(who, ["a", "u"], "the schema owner does not own the table");
        let who: Vec<String> =
            who_can_future(model, privileges, Privilege::Usage, &later(FutureKind::Sequence, Some("app")), false)
                .into_iter()
                .map(|(r, _)| r)
                .collect();
        assert_eq!(who, ["o", "x"]);
        assert_eq!(
            public_future_grounds(privileges, Privilege::Execute, &later(FutureKind::Function, None)),
            Some(FutureGrounds::BuiltinPublic)
        );
    }
}
