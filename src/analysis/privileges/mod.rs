//! Effective object privileges, as PostgreSQL's `has_table_privilege`,
//! `has_column_privilege`, `has_sequence_privilege`, `has_function_privilege`,
//! `has_schema_privilege` and `has_database_privilege` answer them once `up.sql` has run,
//! with the reason ([`Grounds`]) when the answer is true.
//!
//! Rules, in the order the reasons are preferred:
//! - a superuser has every privilege that fits the object;
//! - the owner (a schema's declared `owner`, else the owner a catalog snapshot names for a
//!   schema, relation or function; a column's is its table's), and every role that has the
//!   owner's privileges (USAGE-mode membership), has every privilege on it;
//! - a grant of the policy (`model.grants`, not revokes) to a role the asking role has the
//!   privileges of (USAGE mode, see [`MembershipAnalysis`]); `all` expands to the object kind's
//!   privileges (MAINTAIN from 17); bulk grants (`… in schema S`) cover the inventory objects of
//!   S (`tables`: tables and views; `sequences`; `functions`/`routines`: functions);
//!   table-level grants also answer `has_column_privilege`;
//! - a grant to PUBLIC, unless a revoke from PUBLIC after it (in `up.sql` order, which is
//!   the model's) took it back;
//! - the predefined roles `pg_read_all_data` (SELECT on relations, USAGE on schemas),
//!   `pg_write_all_data` (INSERT/UPDATE/DELETE on relations, USAGE on schemas) and, from 17,
//!   `pg_maintain` (MAINTAIN on relations), as PostgreSQL's aclchk.c applies them;
//! - the built-in default ACL (acldefault): PUBLIC has EXECUTE on functions, CONNECT and
//!   TEMPORARY on databases, USAGE on schema `public` (and CREATE up to 14), unless a
//!   `public { revoke … }` takes it away.
//!
//! Grant options ([`PrivilegeAnalysis::answer_grant_option`], `has_*_privilege(…, 'X WITH
//! GRANT OPTION')`): a superuser; every role with the privileges of the object's owner
//! (the owner implicitly holds every grant option); a grant `with grant option` to a role the
//! asking role has the privileges of (USAGE mode, like the privilege itself). PUBLIC, the
//! predefined roles and the built-in defaults never give grant options.
//!
//! Objects created later ([`FutureObject`], [`PrivilegeAnalysis::answer_future`]): the
//! `ALTER DEFAULT PRIVILEGES` statements of `up.sql` (explicit `defaults` blocks and those
//! bulk grants imply for a schema's owner and creators), replayed in the order `up.sql` runs
//! them, give per creator and kind a global default ACL (starting from the built-in one: the
//! creator, as owner, has every privilege; PUBLIC has EXECUTE on functions) and per schema an
//! ACL of additions. A new object's ACL is the global one united with its schema's, as
//! PostgreSQL's `get_user_default_acl` does; it is then read like any ACL (USAGE-mode
//! membership, PUBLIC, predefined roles, superuser; the creator's members implicitly hold
//! every grant option, even for privileges a global default took from the creator). As in
//! PostgreSQL (aclmerge), when both ACLs are empty the new object gets the built-in default.
//!
//! Not modelled: owners of existing tables/views/sequences/functions without a catalog
//! snapshot (the policy does not state them), grantors (who granted a grant option further),
//! types and domains (also as objects created later).
//!
//! Nothing is precomputed per role: the grants are indexed by object, and an answer looks up
//! the grants covering the object and asks the membership analysis for each grantee.

mod bits;
mod future;
mod objects;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::membership::{Chain, MembershipAnalysis, Mode};
use crate::model::{Grantee, Model, Object};
use crate::pg::privilege::public_schema_defaults;
use crate::pg::{AclKind, Privilege};
use crate::syntax::ast::BulkKind;

pub(crate) use bits::{bit, bits, fitting, mask};
use future::{default_acls, DefaultAcl};
pub use future::{FutureGrounds, FutureKind, FutureObject};
pub use objects::ObjectRef;
use objects::{concrete, PrivilegeTarget};

/// Why a role has a privilege on an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Grounds {
    Superuser,
    /// The role has the privileges of the object's owner (declared, or named by the catalog).
    Owner {
        owner: String,
        via: Chain,
    },
    /// `model.grants[grant]` grants it to PUBLIC.
    Public {
        grant: usize,
    },
    /// `model.grants[grant]` grants it to a role `via` reaches (USAGE mode); `bulk`: the grant
    /// is `… in schema S`.
    Grant {
        via: Chain,
        grant: usize,
        bulk: bool,
    },
    /// A predefined role (`pg_read_all_data`, `pg_write_all_data`, `pg_maintain`).
    Predefined {
        role: String,
        via: Chain,
    },
    /// PostgreSQL's built-in default ACL gives it to PUBLIC.
    BuiltinPublic,
}

/// A grant (or PUBLIC revoke) covering one object: the privileges as a bit set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Entry {
    grant: u32,
    privileges: u16,
    /// The privileges granted `with grant option` (never to PUBLIC).
    options: u16,
    bulk: bool,
}

/// The answers of the `has_*_privilege` functions for the objects of a model. Plain data;
/// built by [`effective`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrivilegeAnalysis {
    pub target_version: u32,
    members: MembershipAnalysis,
    /// Grants to roles and to PUBLIC, per object.
    grants: BTreeMap<PrivilegeTarget, Vec<Entry>>,
    /// PUBLIC revokes, per object (they take away the built-in default).
    public_revokes: BTreeMap<PrivilegeTarget, u16>,
    /// Object owners: declared schema owners, then the owners a catalog snapshot names.
    owners: BTreeMap<PrivilegeTarget, String>,
    /// The grantee of each model grant, by model index.
    grantees: Vec<Grantee>,
    /// Default ACLs after `up.sql`, by (creator, schema, kind): `None` for the global entry.
    future: BTreeMap<(String, Option<String>, FutureKind), DefaultAcl>,
}

/// Indexes the grants of the model by object; bulk grants are expanded over the inventory.
pub fn effective(model: &Model, members: &MembershipAnalysis) -> PrivilegeAnalysis {
    let version = members.target_version;
    let mut grants: BTreeMap<PrivilegeTarget, Vec<Entry>> = BTreeMap::new();
    let mut public_revokes: BTreeMap<PrivilegeTarget, u16> = BTreeMap::new();
    let inventory = ObjectRef::of_inventory(model);
    for (i, g) in model.grants.iter().enumerate() {
        let mut targets: Vec<(PrivilegeTarget, u16, bool)> = Vec::new();
        match &g.object {
            Object::Columns { schema, table, columns } => {
                let m = mask(&g.privileges, AclKind::Column, version);
                for c in columns {
                    targets.push((
                        PrivilegeTarget::Column { schema: schema.clone(), table: table.clone(), column: c.clone() },
                        m,
                        false,
                    ));
                }
            }
            Object::AllIn { kind, schema } => {
                for o in &inventory {
                    let fits = matches!(
                        (kind, o),
                        (BulkKind::Tables, ObjectRef::Table { .. } | ObjectRef::View { .. })
                            | (BulkKind::Sequences, ObjectRef::Sequence { .. })
                            | (BulkKind::Functions | BulkKind::Routines, ObjectRef::Function { .. })
                    );
                    if fits && o.schema() == Some(schema.as_str()) {
                        targets.push((o.key(), mask(&g.privileges, o.acl_kind(), version), true));
                    }
                }
            }
            other => {
                if let Some(o) = concrete(other) {
                    targets.push((o.key(), mask(&g.privileges, o.acl_kind(), version), false));
                }
            }
        }
        for (key, m, bulk) in targets {
            if m == 0 {
                continue;
            }
            if g.revoke {
                if g.grantee == Grantee::Public {
                    revoke_from_public(&mut grants, model, &key, m);
                    *public_revokes.entry(key).or_default() |= m;
                }
            } else {
                let options = if g.grant_option && g.grantee != Grantee::Public { m } else { 0 };
                grants.entry(key).or_default().push(Entry { grant: i as u32, privileges: m, options, bulk });
            }
        }
    }
    let mut owners: BTreeMap<PrivilegeTarget, String> = BTreeMap::new();
    let declared = model
        .schemas
        .iter()
        .filter_map(|s| Some((PrivilegeTarget::Schema { name: s.name.clone() }, s.owner.as_ref()?)));
    let catalog = model.objects.iter().filter_map(|o| Some((concrete(&o.object)?.key(), o.owner.as_ref()?)));
    for (key, owner) in declared.chain(catalog) {
        owners.entry(key).or_insert_with(|| owner.clone());
    }
    let grantees: Vec<Grantee> = model.grants.iter().map(|g| g.grantee.clone()).collect();
    // Entries of an object sorted by grantee, so that `answer` looks up the few grantees a
    // role reaches instead of scanning every grant on a popular object.
    for entries in grants.values_mut() {
        entries.sort_by(|a, b| grantee_name(&grantees, a.grant).cmp(&grantee_name(&grantees, b.grant)));
    }
    let future = default_acls(model, version);
    PrivilegeAnalysis {
        target_version: version,
        members: members.clone(),
        grants,
        public_revokes,
        owners,
        grantees,
        future,
    }
}

/// A revoke from PUBLIC takes back what the grants to PUBLIC before it gave (`up.sql` runs
/// them in model order, the last statement wins); on a relation, also on its columns, as
/// PostgreSQL's table-level REVOKE does.
fn revoke_from_public(
    grants: &mut BTreeMap<PrivilegeTarget, Vec<Entry>>,
    model: &Model,
    key: &PrivilegeTarget,
    m: u16,
) {
    let take_back = |entries: &mut Vec<Entry>| {
        for e in entries.iter_mut().filter(|e| model.grants[e.grant as usize].grantee == Grantee::Public) {
            e.privileges &= !m;
        }
    };
    if let Some(entries) = grants.get_mut(key) {
        take_back(entries);
    }
    if let PrivilegeTarget::Relation { schema, name } = key {
        let first = PrivilegeTarget::Column { schema: schema.clone(), table: name.clone(), column: String::new() };
        for (k, entries) in grants.range_mut(first..) {
            match k {
                PrivilegeTarget::Column { schema: s, table, .. } if s == schema && table == name => take_back(entries),
                _ => break,
            }
        }
    }
}

/// The grantee of a grant as a sort key: `None` for PUBLIC.
fn grantee_name(grantees: &[Grantee], grant: u32) -> Option<&str> {
    match grantees.get(grant as usize) {
        Some(Grantee::Role(r)) => Some(r.as_str()),
        _ => None,
    }
}

/// Objects with more grants than this are searched by grantee rather than scanned.
const SCAN_LIMIT: usize = 16;

pub(super) fn chain_len(c: &Chain) -> usize {
    match c {
        Chain::SameRole | Chain::Superuser => 0,
        Chain::Memberships(s) => s.len(),
    }
}

impl PrivilegeAnalysis {
    /// `has_*_privilege(role, object, privilege)`: `Some` with the reason when true. A
    /// privilege that does not fit the object (an error in PostgreSQL), and `all`, are `None`.
    pub fn answer(&self, role: &str, privilege: Privilege, object: &ObjectRef) -> Option<Grounds> {
        self.answer_in(role, privilege, object, false)
    }

    /// `has_*_privilege(role, object, 'PRIVILEGE WITH GRANT OPTION')`: `Some` with the reason
    /// when `role` can grant `privilege` on `object` to others: a superuser, the privileges of
    /// a schema's owner, or a grant `with grant option` to a role it has the privileges of.
    pub fn answer_grant_option(&self, role: &str, privilege: Privilege, object: &ObjectRef) -> Option<Grounds> {
        self.answer_in(role, privilege, object, true)
    }

    fn answer_in(&self, role: &str, privilege: Privilege, object: &ObjectRef, option: bool) -> Option<Grounds> {
        let kind = object.acl_kind();
        let p = bit(privilege);
        if privilege == Privilege::All || fitting(kind, self.target_version) & p == 0 {
            return None;
        }
        if self.members.is_superuser(role) {
            return Some(Grounds::Superuser);
        }
        let key = object.key();
        // Grants on the object itself; for a column, also table-level grants.
        let table_key = match object {
            ObjectRef::Column { schema, table, .. } => {
                Some(PrivilegeTarget::Relation { schema: schema.clone(), name: table.clone() })
            }
            _ => None,
        };
        // The owner (of a column: of its table) has every privilege and every grant option.
        if let Some(owner) = self.owners.get(table_key.as_ref().unwrap_or(&key)) {
            if let Some(via) = self.members.answer(role, owner, Mode::Usage) {
                return Some(Grounds::Owner { owner: owner.clone(), via });
            }
        }
        let mut entries: Vec<&Entry> = Vec::new();
        for list in [Some(&key), table_key.as_ref()].into_iter().flatten().filter_map(|k| self.grants.get(k)) {
            if list.len() <= SCAN_LIMIT {
                entries.extend(list.iter());
                continue;
            }
            let mut take = |grantee: Option<&str>| {
                let lo = list.partition_point(|e| grantee_name(&self.grantees, e.grant) < grantee);
                entries.extend(list[lo..].iter().take_while(|e| grantee_name(&self.grantees, e.grant) == grantee));
            };
            take(None);
            take(Some(role));
            for r in self.members.granted_roles(role, Mode::Usage) {
                take(Some(r));
            }
        }
        let mut best: Option<Grounds> = None;
        let mut best_len = usize::MAX;
        let mut public = None;
        for e in entries.into_iter().filter(|e| if option { e.options } else { e.privileges } & p != 0) {
            match &self.grant_grantee(e.grant) {
                Grantee::Public => {
                    public.get_or_insert(Grounds::Public { grant: e.grant as usize });
                }
                Grantee::Role(g) => {
                    if let Some(via) = self.members.answer(role, g, Mode::Usage) {
                        let len = chain_len(&via);
                        if len < best_len {
                            best_len = len;
                            best = Some(Grounds::Grant { via, grant: e.grant as usize, bulk: e.bulk });
                        }
                    }
                }
            }
        }
        if best.is_some() || option {
            return best;
        }
        if public.is_some() {
            return public;
        }
        if let Some(g) = self.predefined(role, privilege, kind) {
            return Some(g);
        }
        if self.builtin_public(object) & p != 0 && self.public_revokes.get(&key).copied().unwrap_or(0) & p == 0 {
            return Some(Grounds::BuiltinPublic);
        }
        None
    }

    /// Whether `role` has `privilege` on `object`.
    pub fn has(&self, role: &str, privilege: Privilege, object: &ObjectRef) -> bool {
        self.answer(role, privilege, object).is_some()
    }

    /// The membership analysis the answers are built on.
    pub fn members(&self) -> &MembershipAnalysis {
        &self.members
    }

    fn grant_grantee(&self, grant: u32) -> Grantee {
        self.grantees.get(grant as usize).cloned().unwrap_or(Grantee::Public)
    }

    fn predefined(&self, role: &str, privilege: Privilege, kind: AclKind) -> Option<Grounds> {
        let candidates = kind.predefined_holders(privilege, self.target_version);
        candidates.iter().find_map(|r| {
            self.members.answer(role, r, Mode::Usage).map(|via| Grounds::Predefined { role: r.to_string(), via })
        })
    }

    /// What PUBLIC holds on `object` by default (acldefault, and the schema `public` as
    /// `initdb` creates it).
    fn builtin_public(&self, object: &ObjectRef) -> u16 {
        let defaults = match object {
            ObjectRef::Schema { name } if name == "public" => public_schema_defaults(self.target_version),
            _ => object.acl_kind().public_defaults(),
        };
        bits(defaults.iter().copied())
    }
}
