//! Object privileges, per object, grantee and privilege. Bulk grants (`… in schema S`) stand
//! for the objects the server has. What the object's owner granted is compared with the policy
//! (rolec grants as the owner: a superuser's GRANT acts as the owner); what another grantor
//! granted with its grant option is out of band, compared grantor by grantor, and revoked as
//! that grantor (`SET ROLE`: an object's REVOKE has no working `GRANTED BY`), deepest grants
//! first, `CASCADE` only where grants the plan keeps rest on it (see [`super::grantors`]).
//! Roles in scope are compared whole; PUBLIC only where the policy mentions it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::audit::{grantee_name, Finding};
use super::default_privileges::DefaultsGiven;
use super::grantors::{analyse, Grant};
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

/// What one grantor other than the owner granted one grantee (`None`: PUBLIC) on one object,
/// for a grantee the policy decides, and what of it the plan revokes.
pub(crate) struct OtherGrantorComparison {
    pub object: ObjectKey,
    pub grantee: Option<String>,
    pub grantor: String,
    pub have: PrivilegeSet,
    /// All of it for a role in scope (the policy's privileges are granted by the owner); for
    /// PUBLIC, what the policy revokes from it.
    pub revoke: PrivilegeList,
    /// The grantor's depth in the object's chains of grants: deeper grants are revoked first.
    pub depth: usize,
    /// The schema the grantor needs USAGE on, for the time of its revoke, to find the object
    /// by name: it holds none granted by the schema's owner, now or after the plan's grants.
    pub lend_usage: Option<String>,
    /// The grantor is a superuser when the revoke runs. A superuser's REVOKE acts as the
    /// object's owner and leaves the grantor's own grants in place, so the attribute is lifted
    /// for the time of the revoke.
    pub lift_superuser: bool,
}

#[derive(Default)]
pub(crate) struct ObjectPrivilegesComparison {
    /// The server's objects, with their owners.
    pub objects: BTreeMap<ObjectKey, (LiveObject, String)>,
    /// By object and grantee.
    pub pairs: Vec<ObjectGranteeComparison>,
    /// Grants by other grantors than the owner, by object, grantee and grantor.
    pub other_grantors: Vec<OtherGrantorComparison>,
    /// The grants `CASCADE` drops when a grantee (a role) loses its grant option on an object,
    /// as a plan's note lists them; only where there are some.
    pub cascades: HashMap<(ObjectKey, String), Vec<(Privilege, String)>>,
    /// Those grants, to leave out of the desired state: (object, grantee, grantor, privilege).
    pub cascaded: HashSet<(ObjectKey, Option<String>, String, Privilege)>,
}

/// What the owner granted one grantee on an object, before and after the plan.
struct OwnerGrants {
    grantee: Option<String>,
    /// The policy decides it (a role in scope, PUBLIC where mentioned).
    compared: bool,
    before: PrivilegeSet,
    after: PrivilegeSet,
}

/// A grant by another grantor than the object's owner, as the server has it.
struct OtherGrant {
    grantee: Option<String>,
    grantor: String,
    privilege: Privilege,
    grantable: bool,
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
    // Grants by other grantors, by object (few: kept apart so that objects without them cost
    // nothing more).
    let mut others: BTreeMap<ObjectKey, Vec<OtherGrant>> = BTreeMap::new();
    // The owners' own privileges (their ACL entries), by object.
    let mut owned: HashMap<ObjectKey, PrivilegeSet> = HashMap::new();
    // (schema, role): USAGE granted by the schema's owner, now or by the plan.
    let mut schema_usage: HashSet<(String, String)> = HashSet::new();
    for p in &cx.live.privileges {
        // Another database of the policy: compared in its own part (see `databases::part_for`).
        if cx.part == super::Part::Database {
            if let LiveObject::Database { name } = &p.object {
                if *name != cx.live.database && cx.model.databases.contains(name) {
                    continue;
                }
            }
        }
        let key = ObjectKey::of(&p.object);
        objects.entry(key.clone()).or_insert_with(|| (p.object.clone(), p.owner.clone()));
        let Some(privilege) = Privilege::from_sql(&p.privilege) else { continue };
        if let (LiveObject::Schema { name }, Some(grantee), Privilege::Usage) = (&p.object, &p.grantee, privilege) {
            if p.grantor == p.owner {
                schema_usage.insert((name.clone(), grantee.clone()));
            }
        }
        if p.grantee.as_deref() == Some(p.owner.as_str()) {
            owned.entry(key).or_default().insert(privilege, p.grantable);
            continue;
        }
        if p.grantor != p.owner {
            let grant = OtherGrant {
                grantee: p.grantee.clone(),
                grantor: p.grantor.clone(),
                privilege,
                grantable: p.grantable,
            };
            others.entry(key).or_default().push(grant);
            continue;
        }
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
            // The owner holds every privilege on its object already (see `owners_own`).
            if grantee.is_some() && objects.get(&key).map(|(_, owner)| owner) == grantee.as_ref() {
                continue;
            }
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
    // The owner's grants on objects with grants by others, before and after the plan.
    let mut owner_grants: HashMap<ObjectKey, Vec<OwnerGrants>> = HashMap::new();
    for ((object, grantee), g) in gathered {
        if others.contains_key(&object) {
            let grants = OwnerGrants {
                grantee: grantee.clone(),
                compared: false,
                before: g.have.clone(),
                after: g.have.clone(),
            };
            owner_grants.entry(object.clone()).or_default().push(grants);
        }
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
        if let Some(owner) = owner_grants.get_mut(&object).and_then(|o| o.last_mut()) {
            owner.compared = true;
            owner.after = want.clone();
        }
        pairs.push(ObjectGranteeComparison { object, grantee, want, have: g.have, grounds });
    }
    pairs.extend(owners_own(cx, &objects, &owned, &defaults));
    // USAGE the plan leaves (or gives) a role on a schema, granted by the owner: the revokes of
    // other grantors run before the owner's.
    for p in pairs.iter().filter(|p| p.object.kind == ObjectKind::Schema) {
        if let (Some(grantee), Some(_)) = (&p.grantee, p.want.grant_option(Privilege::Usage)) {
            schema_usage.insert((p.object.name.clone(), grantee.clone()));
        }
    }
    let mut c = ObjectPrivilegesComparison {
        objects,
        pairs,
        other_grantors: Vec::new(),
        cascades: HashMap::new(),
        cascaded: HashSet::new(),
    };
    for (object, grants) in others {
        let owner = owner_grants.remove(&object).unwrap_or_default();
        c.compare_other_grantors(cx, object, grants, owner, &schema_usage);
    }
    c
}

/// The owners' own privileges where one is missing: an owner in scope holds every privilege on
/// its objects, with grant option (PostgreSQL's default ACL, and what the analysis answers), so
/// what was revoked from it by hand is granted back; nothing of an owner's is ever revoked.
/// Columns have no owner entries of their own; where the policy's default privileges say what
/// the owner holds on what it creates, they decide, and the owner's privileges are left as
/// they are.
fn owners_own(
    cx: &Context<'_>,
    objects: &BTreeMap<ObjectKey, (LiveObject, String)>,
    owned: &HashMap<ObjectKey, PrivilegeSet>,
    defaults: &DefaultsGiven,
) -> Vec<ObjectGranteeComparison> {
    let mut pairs = Vec::new();
    for (key, (_, owner)) in objects {
        if key.column.is_some() || !cx.scope.manages(owner) || cx.dropped(owner) || defaults.shape_owner(key, owner) {
            continue;
        }
        let have = owned.get(key).cloned().unwrap_or_default();
        let mut want = have.clone();
        for privilege in key.kind.acl_kind().all_privileges(cx.major) {
            if have.grant_option(privilege).is_none() {
                want.insert(privilege, true);
            }
        }
        if want != have {
            let grounds = Some("the owner's own privileges".to_string());
            pairs.push(ObjectGranteeComparison {
                object: key.clone(),
                grantee: Some(owner.clone()),
                want,
                have,
                grounds,
            });
        }
    }
    pairs
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
    /// Why the statement says `CASCADE` (never merged with others).
    note: Option<String>,
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
            self.list.push(Pending { head, tail, privileges, columns: Vec::new(), note: None });
            return;
        };
        let key = (head, tail, privileges);
        match self.columns.get(&key) {
            Some(&i) => self.list[i].columns.push(c.clone()),
            None => {
                self.columns.insert(key.clone(), self.list.len());
                let (head, tail, privileges) = key;
                self.list.push(Pending { head, tail, privileges, columns: vec![c.clone()], note: None });
            }
        }
    }
}

impl ObjectPrivilegesComparison {
    /// Compares what other grantors than the owner granted on `object` (to the grantees the
    /// policy decides) and finds the grants the revokes drop with `CASCADE`.
    fn compare_other_grantors(
        &mut self,
        cx: &Context<'_>,
        object: ObjectKey,
        others: Vec<OtherGrant>,
        owner_grants: Vec<OwnerGrants>,
        schema_usage: &HashSet<(String, String)>,
    ) {
        let owner = self.objects.get(&object).map(|(_, o)| o.clone()).unwrap_or_default();
        let public = owner_grants.iter().find(|o| o.grantee.is_none() && o.compared);
        let compared = |grantee: &Option<String>| match grantee {
            Some(r) => cx.scope.manages(r),
            None => public.is_some(),
        };
        let revoked = |g: &OtherGrant| match &g.grantee {
            Some(r) => cx.scope.manages(r),
            None => public.is_some_and(|p| p.after.grant_option(g.privilege).is_none()),
        };
        let mut grants: Vec<Grant<'_, Privilege>> = Vec::new();
        for o in &owner_grants {
            let mut privileges: Vec<Privilege> = o.before.iter().chain(o.after.iter()).map(|h| h.privilege).collect();
            privileges.sort_by_key(|p| p.sql());
            privileges.dedup();
            for privilege in privileges {
                grants.push(Grant {
                    privilege,
                    grantor: &owner,
                    grantee: o.grantee.as_deref(),
                    before: o.before.grant_option(privilege),
                    after: o.after.grant_option(privilege),
                });
            }
        }
        for g in &others {
            grants.push(Grant {
                privilege: g.privilege,
                grantor: &g.grantor,
                grantee: g.grantee.as_deref(),
                before: Some(g.grantable),
                after: (!revoked(g)).then_some(g.grantable),
            });
        }
        let root = |r: &str| r == owner || cx.live_roles.get(r).is_some_and(|x| x.superuser);
        let chains = analyse(&grants, &root);
        for holder in chains.losing() {
            let dropped = chains.dropped_with(holder);
            let text = dropped.iter().map(|&i| {
                let g = &grants[i];
                let grantee = grantee_name(&g.grantee.map(str::to_string));
                (g.privilege, format!("{} granted by {} to {grantee}", g.privilege.sql(), g.grantor))
            });
            self.cascades.insert((object.clone(), holder.to_string()), text.collect());
            for i in dropped {
                let g = &grants[i];
                let grantee = g.grantee.map(str::to_string);
                self.cascaded.insert((object.clone(), grantee, g.grantor.to_string(), g.privilege));
            }
        }
        let mut by: BTreeMap<(Option<String>, String), (PrivilegeSet, PrivilegeSet)> = BTreeMap::new();
        for g in others.iter().filter(|g| compared(&g.grantee)) {
            let (have, revoke) = by.entry((g.grantee.clone(), g.grantor.clone())).or_default();
            have.insert(g.privilege, g.grantable);
            if revoked(g) {
                revoke.insert(g.privilege, false);
            }
        }
        for ((grantee, grantor), (have, revoke)) in by {
            let lend_usage = object
                .schema
                .clone()
                .filter(|schema| !revoke.is_empty() && !schema_usage.contains(&(schema.clone(), grantor.clone())));
            let lift_superuser = cx.superuser_after(&grantor);
            self.other_grantors.push(OtherGrantorComparison {
                object: object.clone(),
                depth: chains.depth(&grantor),
                grantee,
                grantor,
                have,
                revoke: revoke.iter().map(|h| h.privilege).collect(),
                lend_usage,
                lift_superuser,
            });
        }
    }

    fn live_object(&self, key: &ObjectKey) -> Option<&LiveObject> {
        self.objects.get(key).map(|(o, _)| o)
    }

    /// What `CASCADE` drops when `grantee` loses its grant option for `privileges` on
    /// `object`, as a note; `None` when nothing rests on it.
    fn cascade_note(&self, object: &ObjectKey, grantee: &Option<String>, privileges: &[Privilege]) -> Option<String> {
        let dropped = self.cascades.get(&(object.clone(), grantee.clone()?))?;
        let dropped: Vec<&str> =
            dropped.iter().filter(|(p, _)| privileges.contains(p)).map(|(_, text)| text.as_str()).collect();
        (!dropped.is_empty())
            .then(|| format!("CASCADE also revokes the grants that rest on this one: {}", dropped.join("; ")))
    }

    /// Grants, then revokes: those of other grantors than the owners, deepest first (as the
    /// grantor), then the owners'.
    pub fn plan(&self, plan: &mut ChangePlan) {
        let mut grants = Statements::default();
        let mut revokes: BTreeMap<Reverse<usize>, Statements> = BTreeMap::new();
        let mut revoke = |depth: usize, head: String, tail: String, privs: PrivilegeList, column, note| {
            let statements = revokes.entry(Reverse(depth)).or_default();
            match note {
                None => statements.add(head, tail, privs, column),
                Some(note) => {
                    let columns = column.into_iter().cloned().collect();
                    statements.list.push(Pending { head, tail, privileges: privs, columns, note: Some(note) });
                }
            }
        };
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
                let note = self.cascade_note(&pair.object, &pair.grantee, &privs);
                let cascade = if note.is_some() { " CASCADE" } else { "" };
                revoke(0, format!("REVOKE {what}"), format!(" ON {on} FROM {to}{cascade};"), privs, column, note);
            }
        }
        for other in self.other_grantors.iter().filter(|o| !o.revoke.is_empty()) {
            let on = other.object.sql(self.live_object(&other.object));
            let to = grantee_sql(&other.grantee);
            let note = self.cascade_note(&other.object, &other.grantee, &other.revoke);
            let cascade = if note.is_some() { " CASCADE" } else { "" };
            let grantor = ident(&other.grantor);
            // A role finds an object by name only with USAGE on its schema: lent for the revoke.
            let (lend, give_back) = match &other.lend_usage {
                Some(schema) => (
                    format!("GRANT USAGE ON SCHEMA {} TO {grantor}; ", ident(schema)),
                    format!(" REVOKE USAGE ON SCHEMA {} FROM {grantor};", ident(schema)),
                ),
                None => (String::new(), String::new()),
            };
            let (lift, restore, note) = if other.lift_superuser {
                let why = format!(
                    "{} is a superuser, whose REVOKE acts as the owner: its SUPERUSER attribute is lifted for this \
                     revoke and given back in the same transaction",
                    other.grantor
                );
                let note = Some(note.map_or(why.clone(), |n| format!("{n}; {why}")));
                (format!("ALTER ROLE {grantor} NOSUPERUSER; "), format!(" ALTER ROLE {grantor} SUPERUSER;"), note)
            } else {
                (String::new(), String::new(), note)
            };
            let head = format!("{lend}{lift}SET ROLE {grantor}; REVOKE ");
            let tail = format!(" ON {on} FROM {to}{cascade}; RESET ROLE;{restore}{give_back}");
            revoke(other.depth, head, tail, other.revoke.clone(), other.object.column.as_ref(), note);
        }
        let revokes = revokes.into_values().flat_map(|s| s.list);
        for s in grants.list.into_iter().chain(revokes) {
            let list = if s.columns.is_empty() {
                keywords(&s.privileges)
            } else {
                let cols = s.columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
                let each = s.privileges.iter().map(|p| format!("{} ({cols})", p.sql()));
                each.collect::<Vec<_>>().join(", ")
            };
            let mut change = Change::new(PlanPhase::ObjectPrivileges, format!("{}{list}{}", s.head, s.tail));
            change.note = s.note;
            plan.push(change);
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
        let mut revoked: HashSet<(ObjectKey, Option<String>, String, Privilege)> = HashSet::new();
        for other in &self.other_grantors {
            if !other.revoke.is_empty() {
                let item =
                    format!("{} granted by {}", other.object.label(self.live_object(&other.object)), other.grantor);
                let mut expected = other.have.clone();
                for p in &other.revoke {
                    expected.remove(*p);
                }
                findings.push(Finding::new(
                    false,
                    &grantee_name(&other.grantee),
                    item,
                    expected.text(),
                    other.have.text(),
                ));
            }
            for p in &other.revoke {
                revoked.insert((other.object.clone(), other.grantee.clone(), other.grantor.clone(), *p));
            }
        }
        let compared: BTreeSet<(&ObjectKey, &Option<String>)> =
            self.pairs.iter().map(|p| (&p.object, &p.grantee)).collect();
        let mut privileges: Vec<LivePrivilege> = cx
            .live
            .privileges
            .iter()
            .filter(|p| {
                if p.grantor != p.owner && !(revoked.is_empty() && self.cascaded.is_empty()) {
                    let Some(privilege) = Privilege::from_sql(&p.privilege) else { return true };
                    let key = (ObjectKey::of(&p.object), p.grantee.clone(), p.grantor.clone(), privilege);
                    return !revoked.contains(&key) && !self.cascaded.contains(&key);
                }
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
        // An owner's privileges the plan gives back are pushed beside the ones it kept.
        privileges.dedup();
        privileges
    }
}
