//! Object privileges, per object, grantee and privilege. Bulk grants (`… in schema S`) stand
//! for the objects the server has; only what an object's owner granted to others is compared.
//! Roles in scope are compared whole; PUBLIC only where the policy mentions it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::audit::{grantee_name, Finding};
use super::default_privileges::DefaultsGiven;
use super::object_key::{ObjectKey, ObjectKind};
use super::plan::{Change, ChangePlan, PlanPhase};
use super::privileges::{expand, grants_needed, keywords, revokes_needed, PrivilegeList, PrivilegeSet};
use super::{grantee_sql, Context};
use crate::model::catalog::{LiveObject, LivePrivilege};
use crate::model::{Grantee, Object};
use crate::pg::quote::ident;
use crate::pg::types::{canonical_type, same_type_unqualified};
use crate::syntax::ast::{BulkKind, Privilege};

/// One grantee (`None`: PUBLIC) on one object: what the policy wants and what the server has.
pub(crate) struct ObjectGranteeComparison {
    pub object: ObjectKey,
    pub grantee: Option<String>,
    pub want: PrivilegeSet,
    pub have: PrivilegeSet,
    /// Why `want` has privileges no grant names: the default privileges that gave them.
    pub grounds: Option<String>,
}

pub(crate) struct ObjectPrivilegesComparison {
    /// The server's objects, with their owners.
    pub objects: BTreeMap<ObjectKey, (LiveObject, String)>,
    /// By object and grantee.
    pub pairs: Vec<ObjectGranteeComparison>,
}

/// What the policy and the server have for one (object, grantee), before comparing.
#[derive(Default)]
struct Gathered {
    have: PrivilegeSet,
    granted: PrivilegeSet,
    revoked: Vec<Privilege>,
    /// PUBLIC mentioned by the policy on this object.
    mentioned: bool,
}

/// Routines by (schema, name, normalised argument types), for grants that name one.
type Routines<'k> = HashMap<(&'k str, &'k str, Vec<String>), &'k ObjectKey>;

pub(crate) fn compare(cx: &Context<'_>) -> ObjectPrivilegesComparison {
    let mut objects: BTreeMap<ObjectKey, (LiveObject, String)> = BTreeMap::new();
    let mut gathered: BTreeMap<(ObjectKey, Option<String>), Gathered> = BTreeMap::new();
    for p in &cx.live.privileges {
        let key = ObjectKey::of(&p.object);
        objects.entry(key.clone()).or_insert_with(|| (p.object.clone(), p.owner.clone()));
        if p.grantee.as_deref() == Some(p.owner.as_str()) || p.grantor != p.owner {
            continue;
        }
        let Some(privilege) = Privilege::from_sql(&p.privilege) else { continue };
        gathered.entry((key, p.grantee.clone())).or_default().have.insert(privilege, p.grantable);
    }
    let mut routines: Routines = HashMap::new();
    for k in objects.keys().filter(|k| k.kind == ObjectKind::Routine) {
        routines.entry((k.schema.as_deref().unwrap_or_default(), k.name.as_str(), k.args.clone())).or_insert(k);
    }
    for g in &cx.model.grants {
        let grantee = match &g.grantee {
            Grantee::Public => None,
            Grantee::Role(r) if cx.scope.manages(r) => Some(r.clone()),
            Grantee::Role(_) => continue,
        };
        for (key, privs) in expand_object(cx.major, &g.object, &g.privileges, &objects, &routines) {
            let entry = gathered.entry((key, grantee.clone())).or_default();
            // Managed grantees are compared whole; PUBLIC only where mentioned.
            entry.mentioned |= grantee.is_none();
            if g.revoke {
                entry.revoked.extend(privs);
            } else {
                for p in privs {
                    entry.granted.add(p, g.grant_option);
                }
            }
        }
    }
    let defaults = DefaultsGiven::of(cx);
    let mut pairs = Vec::new();
    for ((object, grantee), g) in gathered {
        let managed = grantee.as_deref().is_some_and(|r| cx.scope.manages(r));
        let mut grounds = None;
        // PUBLIC is not managed as a whole: only what the policy says about it changes.
        let want = if managed {
            let mut want = g.granted;
            if let Some((_, owner)) = objects.get(&object) {
                grounds = defaults.accept(&mut want, &g.have, &object, owner, &grantee);
            }
            want
        } else if g.mentioned {
            let mut w = g.have.clone();
            for p in g.granted.iter() {
                w.insert(p.privilege, p.grant_option || g.have.grant_option(p.privilege).unwrap_or(false));
            }
            for p in &g.revoked {
                w.remove(*p);
            }
            w
        } else {
            continue;
        };
        pairs.push(ObjectGranteeComparison { object, grantee, want, have: g.have, grounds });
    }
    ObjectPrivilegesComparison { objects, pairs }
}

/// The objects a grant target stands for, each with its privileges spelled out.
fn expand_object(
    major: u32,
    object: &Object,
    privileges: &[Privilege],
    live: &BTreeMap<ObjectKey, (LiveObject, String)>,
    routines: &Routines,
) -> Vec<(ObjectKey, PrivilegeList)> {
    let one = |key: ObjectKey| {
        let privs = expand(privileges, &key.kind.acl_kind().all_privileges(major).collect::<Vec<_>>());
        vec![(key, privs)]
    };
    let named = ObjectKey::in_schema;
    match object {
        Object::Table { schema, name } | Object::View { schema, name } => one(named(ObjectKind::Table, schema, name)),
        Object::Sequence { schema, name } => one(named(ObjectKind::Sequence, schema, name)),
        Object::Type { schema, name } | Object::Domain { schema, name } => one(named(ObjectKind::Type, schema, name)),
        Object::Schema { name } => one(ObjectKey::global(ObjectKind::Schema, name)),
        Object::Database { name } => one(ObjectKey::global(ObjectKind::Database, name)),
        Object::Routine { schema, name, args } => {
            let args: Vec<String> = args.iter().map(|a| canonical_type(a)).collect();
            // The live routine with these argument types; else the only one whose types
            // the policy names without schema (as the `search_path` would find them).
            let key =
                routines.get(&(schema.as_str(), name.as_str(), args.clone())).map(|k| (*k).clone()).or_else(|| {
                    let mut found = routines.iter().filter(|((s, n, live_args), _)| {
                        s == schema
                            && n == name
                            && live_args.len() == args.len()
                            && args.iter().zip(live_args).all(|(w, l)| same_type_unqualified(w, l))
                    });
                    match (found.next(), found.next()) {
                        (Some((_, k)), None) => Some((*k).clone()),
                        _ => None,
                    }
                });
            one(key.unwrap_or(ObjectKey { args, ..named(ObjectKind::Routine, schema, name) }))
        }
        Object::Columns { schema, table, columns } => columns
            .iter()
            .flat_map(|c| one(ObjectKey { column: Some(c.clone()), ..named(ObjectKind::Column, schema, table) }))
            .collect(),
        Object::AllIn { kind, schema } => live
            .iter()
            .filter(|(k, (o, _))| {
                k.schema.as_deref() == Some(schema)
                    && match (kind, o) {
                        (BulkKind::Tables, LiveObject::Table { .. }) => true,
                        (BulkKind::Sequences, LiveObject::Sequence { .. }) => true,
                        (BulkKind::Functions, LiveObject::Routine { prokind, .. }) => prokind != "p",
                        (BulkKind::Routines, LiveObject::Routine { .. }) => true,
                        _ => false,
                    }
            })
            .flat_map(|(k, _)| one(k.clone()))
            .collect(),
    }
}

/// A statement being built: `head`, privileges, `tail`, and the columns it applies to (the
/// same change to several columns of a table is one statement).
struct Pending {
    head: String,
    tail: String,
    privileges: PrivilegeList,
    columns: Vec<String>,
}

/// Statements in order, with the column statements indexed by (head, tail, privileges).
#[derive(Default)]
struct Statements {
    list: Vec<Pending>,
    columns: HashMap<(String, String, PrivilegeList), usize>,
}

impl Statements {
    fn add(&mut self, head: String, tail: String, privileges: PrivilegeList, column: Option<&String>) {
        let Some(c) = column else {
            self.list.push(Pending { head, tail, privileges, columns: Vec::new() });
            return;
        };
        let key = (head, tail, privileges);
        match self.columns.get(&key) {
            Some(&i) => self.list[i].columns.push(c.clone()),
            None => {
                self.columns.insert(key.clone(), self.list.len());
                let (head, tail, privileges) = key;
                self.list.push(Pending { head, tail, privileges, columns: vec![c.clone()] });
            }
        }
    }
}

impl ObjectPrivilegesComparison {
    fn live_object(&self, key: &ObjectKey) -> Option<&LiveObject> {
        self.objects.get(key).map(|(o, _)| o)
    }

    /// Grants, then revokes.
    pub fn plan(&self, plan: &mut ChangePlan) {
        let mut grants = Statements::default();
        let mut revokes = Statements::default();
        for pair in &self.pairs {
            let on = pair.object.sql(self.live_object(&pair.object));
            let to = grantee_sql(&pair.grantee);
            let column = pair.object.column.as_ref();
            for (privs, option) in grants_needed(&pair.want, &pair.have) {
                let with = if option { " WITH GRANT OPTION" } else { "" };
                grants.add("GRANT ".to_string(), format!(" ON {on} TO {to}{with};"), privs, column);
            }
            for (privs, option_only) in revokes_needed(&pair.want, &pair.have) {
                let what = if option_only { "GRANT OPTION FOR " } else { "" };
                revokes.add(format!("REVOKE {what}"), format!(" ON {on} FROM {to};"), privs, column);
            }
        }
        for s in grants.list.into_iter().chain(revokes.list) {
            let list = if s.columns.is_empty() {
                keywords(&s.privileges)
            } else {
                let cols = s.columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
                let each = s.privileges.iter().map(|p| format!("{} ({cols})", p.sql()));
                each.collect::<Vec<_>>().join(", ")
            };
            plan.push(Change::new(PlanPhase::ObjectPrivileges, format!("{}{list}{}", s.head, s.tail)));
        }
    }

    /// Findings for every compared (object, grantee) that has or should have privileges, and
    /// the server's privileges as the plan leaves them.
    pub fn audit(&self, cx: &Context<'_>, findings: &mut Vec<Finding>) -> Vec<LivePrivilege> {
        for pair in &self.pairs {
            let (w, h) = (&pair.want, &pair.have);
            if !(w.is_empty() && h.is_empty()) {
                let item = pair.object.label(self.live_object(&pair.object));
                let finding = Finding::new(w == h, &grantee_name(&pair.grantee), item, w.text(), h.text());
                findings.push(finding.with_grounds(pair.grounds.clone()));
            }
        }
        let compared: BTreeSet<(&ObjectKey, &Option<String>)> =
            self.pairs.iter().map(|p| (&p.object, &p.grantee)).collect();
        let mut privileges: Vec<LivePrivilege> = cx
            .live
            .privileges
            .iter()
            .filter(|p| {
                !compared.contains(&(&ObjectKey::of(&p.object), &p.grantee))
                    || p.grantee.as_deref() == Some(p.owner.as_str())
                    || p.grantor != p.owner
            })
            .cloned()
            .collect();
        for pair in &self.pairs {
            let (object, owner) = match self.objects.get(&pair.object) {
                Some((object, owner)) => (object.clone(), owner.clone()),
                None => (pair.object.object(), cx.live.current_user.clone()),
            };
            for held in pair.want.iter() {
                privileges.push(LivePrivilege {
                    object: object.clone(),
                    owner: owner.clone(),
                    grantee: pair.grantee.clone(),
                    grantor: owner.clone(),
                    privilege: held.privilege.sql().to_string(),
                    grantable: held.grant_option,
                });
            }
        }
        privileges.sort();
        privileges
    }
}
