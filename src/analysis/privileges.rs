//! Effective object privileges, as PostgreSQL's `has_table_privilege`,
//! `has_column_privilege`, `has_sequence_privilege`, `has_function_privilege`,
//! `has_schema_privilege` and `has_database_privilege` answer them once `up.sql` has run,
//! with the reason ([`Grounds`]) when the answer is true.
//!
//! Rules, in the order the reasons are preferred:
//! - a superuser has every privilege that fits the object;
//! - the owner (only known for schemas with a declared `owner`), and every role that has the
//!   owner's privileges (USAGE-mode membership), has every privilege on it;
//! - a grant of the policy (`model.grants`, not revokes) to a role the asking role has the
//!   privileges of (USAGE mode, see [`MembershipAnalysis`]); `all` expands to the object kind's
//!   privileges (MAINTAIN from 17); bulk grants (`… in schema S`) cover the inventory objects of
//!   S (`tables`: tables and views; `sequences`; `functions`/`routines`: functions);
//!   table-level grants also answer `has_column_privilege`;
//! - a grant to PUBLIC;
//! - the predefined roles `pg_read_all_data` (SELECT on relations, USAGE on schemas),
//!   `pg_write_all_data` (INSERT/UPDATE/DELETE on relations, USAGE on schemas) and, from 17,
//!   `pg_maintain` (MAINTAIN on relations), as PostgreSQL's aclchk.c applies them;
//! - the built-in default ACL (acldefault): PUBLIC has EXECUTE on functions, CONNECT and
//!   TEMPORARY on databases, USAGE on schema `public` (and CREATE up to 14), unless a
//!   `public { revoke … }` takes it away.
//!
//! Grant options ([`PrivilegeAnalysis::answer_grant_option`], `has_*_privilege(…, 'X WITH
//! GRANT OPTION')`): a superuser; every role with the privileges of a schema's declared owner
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
//! Not modelled: owners of existing tables/views/sequences/functions (the policy does not
//! state them), grantors (who granted a grant option further), the order of a PUBLIC grant and
//! a PUBLIC revoke of the same privilege (a grant wins), types and domains (also as objects
//! created later).
//!
//! Nothing is precomputed per role: the grants are indexed by object, and an answer looks up
//! the grants covering the object and asks the membership analysis for each grantee.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::membership::{Chain, MembershipAnalysis, Mode};
use crate::model::{Grantee, Model, Object};
use crate::syntax::ast::{BulkKind, DefaultKind, Privilege};

/// One concrete object, as the `has_*_privilege` functions name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObjectRef {
    Table {
        schema: String,
        name: String,
    },
    View {
        schema: String,
        name: String,
    },
    Sequence {
        schema: String,
        name: String,
    },
    /// `args`: SQL type names as the policy writes them (`integer`, `text`).
    Function {
        schema: String,
        name: String,
        args: Vec<String>,
    },
    Schema {
        name: String,
    },
    Database {
        name: String,
    },
    /// A column of a table or view (`has_column_privilege`).
    Column {
        schema: String,
        table: String,
        column: String,
    },
}

/// Why a role has a privilege on an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Grounds {
    Superuser,
    /// The role has the privileges of the object's declared owner.
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

/// The kinds of objects default privileges apply to (`ALTER DEFAULT PRIVILEGES … ON TABLES`,
/// `SEQUENCES`, `FUNCTIONS`/`ROUTINES`, `SCHEMAS`). Views take the defaults of tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FutureKind {
    Table,
    Sequence,
    Function,
    Schema,
}

impl FutureKind {
    pub const ALL: [FutureKind; 4] =
        [FutureKind::Table, FutureKind::Sequence, FutureKind::Function, FutureKind::Schema];

    fn kind(self) -> Kind {
        match self {
            FutureKind::Table => Kind::Relation,
            FutureKind::Sequence => Kind::Sequence,
            FutureKind::Function => Kind::Function,
            FutureKind::Schema => Kind::Schema,
        }
    }

    /// The kind of a `defaults` entry; `None` for types (not analysed).
    pub fn of_default(kind: DefaultKind) -> Option<FutureKind> {
        match kind {
            DefaultKind::Tables => Some(FutureKind::Table),
            DefaultKind::Sequences => Some(FutureKind::Sequence),
            DefaultKind::Functions | DefaultKind::Routines => Some(FutureKind::Function),
            DefaultKind::Schemas => Some(FutureKind::Schema),
            DefaultKind::Types => None,
        }
    }

    /// `tables`, `sequences`, `functions`, `schemas`.
    pub fn plural(self) -> &'static str {
        match self {
            FutureKind::Table => "tables",
            FutureKind::Sequence => "sequences",
            FutureKind::Function => "functions",
            FutureKind::Schema => "schemas",
        }
    }

    /// Whether PostgreSQL knows the privilege on this kind of object (MAINTAIN from 17).
    pub fn fits(self, privilege: Privilege, version: u32) -> bool {
        privilege != Privilege::All && fitting(self.kind(), version) & bit(privilege) != 0
    }
}

/// An object that does not exist yet: one that role `creator` (its owner) creates later, in
/// schema `schema`. `schema: None` stands for a schema without per-schema default privileges
/// for the creator; it is ignored for schemas (which live in no schema).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FutureObject {
    pub kind: FutureKind,
    pub schema: Option<String>,
    pub creator: String,
}

impl FutureObject {
    /// `future tables in schema app created by app_owner`; `future tables created by
    /// app_owner` when no schema is named.
    pub fn describe(&self) -> String {
        match (&self.schema, self.kind) {
            (Some(s), k) if k != FutureKind::Schema => {
                format!("future {} in schema {s} created by {}", k.plural(), self.creator)
            }
            (_, k) => format!("future {} created by {}", k.plural(), self.creator),
        }
    }
}

/// Why a role has (or can grant) a privilege on an object created later.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FutureGrounds {
    Superuser,
    /// The role has the privileges of the creator, which owns the new object: the built-in
    /// owner privileges (no global default took them away), or, for a grant option, the
    /// owner's implicit grant options.
    Owner {
        creator: String,
        via: Chain,
    },
    /// `model.default_privileges[entry]` (an `ALTER DEFAULT PRIVILEGES … GRANT`, explicit or
    /// implied by a bulk grant) gives it to a role `via` reaches (USAGE mode).
    Default {
        entry: usize,
        via: Chain,
    },
    /// `model.default_privileges[entry]` gives it to PUBLIC.
    DefaultPublic {
        entry: usize,
    },
    /// A predefined role (`pg_read_all_data`, `pg_write_all_data`, `pg_maintain`).
    Predefined {
        role: String,
        via: Chain,
    },
    /// PostgreSQL's built-in default ACL gives it to PUBLIC (EXECUTE on functions).
    BuiltinPublic,
}

/// One grantee's entry in a default ACL, with the model default-privilege entries that gave
/// each bit (`(bits, index)` in the order granted; bits no pair covers are built in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct AclItem {
    grantee: Grantee,
    privileges: u16,
    options: u16,
    privileges_from: Vec<(u16, u32)>,
    options_from: Vec<(u16, u32)>,
}

/// A default ACL as pg_default_acl stores it: the complete ACL for a global entry, only the
/// additions for a per-schema one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
struct DefaultAcl {
    items: Vec<AclItem>,
}

impl DefaultAcl {
    /// acldefault: the owner has every privilege (grant options are implicit); PUBLIC has
    /// EXECUTE on functions.
    fn builtin(kind: FutureKind, owner: &str, version: u32) -> DefaultAcl {
        let mut acl = DefaultAcl::default();
        acl.item(&Grantee::Role(owner.to_string())).privileges = fitting(kind.kind(), version);
        if kind == FutureKind::Function {
            acl.item(&Grantee::Public).privileges = bit(Privilege::Execute);
        }
        acl
    }

    fn item(&mut self, grantee: &Grantee) -> &mut AclItem {
        let i = match self.items.iter().position(|i| &i.grantee == grantee) {
            Some(i) => i,
            None => {
                self.items.push(AclItem {
                    grantee: grantee.clone(),
                    privileges: 0,
                    options: 0,
                    privileges_from: Vec::new(),
                    options_from: Vec::new(),
                });
                self.items.len() - 1
            }
        };
        &mut self.items[i]
    }

    /// `GRANT` bits `m` (each from one of `sources`); grant options only to roles (PostgreSQL
    /// refuses them for PUBLIC).
    fn grant(&mut self, grantee: &Grantee, m: u16, option: bool, sources: &[(u16, u32)]) {
        let option = option && *grantee != Grantee::Public;
        let item = self.item(grantee);
        item.privileges |= m;
        item.privileges_from.extend(sources.iter().map(|&(b, i)| (b & m, i)).filter(|&(b, _)| b != 0));
        if option {
            item.options |= m;
            item.options_from.extend(sources.iter().map(|&(b, i)| (b & m, i)).filter(|&(b, _)| b != 0));
        }
    }

    /// `REVOKE` bits `m`: the privileges and their grant options.
    fn revoke(&mut self, grantee: &Grantee, m: u16) {
        let item = self.item(grantee);
        item.privileges &= !m;
        item.options &= !m;
        for from in [&mut item.privileges_from, &mut item.options_from] {
            for (b, _) in from.iter_mut() {
                *b &= !m;
            }
            from.retain(|(b, _)| *b != 0);
        }
    }
}

/// The kinds of objects, for the privileges that fit them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Relation,
    Sequence,
    Function,
    Schema,
    Database,
    Column,
}

/// Where grants are indexed: relations by (schema, name) whatever their kind, so that a
/// `table` grant on a view counts (PostgreSQL does not distinguish them either).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Key {
    Relation { schema: String, name: String },
    Function { schema: String, name: String, args: Vec<String> },
    Schema { name: String },
    Database { name: String },
    Column { schema: String, table: String, column: String },
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
    grants: BTreeMap<Key, Vec<Entry>>,
    /// PUBLIC revokes, per object (they take away the built-in default).
    public_revokes: BTreeMap<Key, u16>,
    /// Declared schema owners.
    schema_owners: BTreeMap<String, String>,
    /// The grantee of each model grant, by model index.
    grantees: Vec<Grantee>,
    /// Default ACLs after `up.sql`, by (creator, schema, kind): `None` for the global entry.
    future: BTreeMap<(String, Option<String>, FutureKind), DefaultAcl>,
}

const fn bit(p: Privilege) -> u16 {
    1 << (p as u16)
}

const TABLE_BITS: u16 = bit(Privilege::Select)
    | bit(Privilege::Insert)
    | bit(Privilege::Update)
    | bit(Privilege::Delete)
    | bit(Privilege::Truncate)
    | bit(Privilege::References)
    | bit(Privilege::Trigger);

fn fitting(kind: Kind, version: u32) -> u16 {
    match kind {
        Kind::Relation => TABLE_BITS | if version >= 17 { bit(Privilege::Maintain) } else { 0 },
        Kind::Sequence => bit(Privilege::Usage) | bit(Privilege::Select) | bit(Privilege::Update),
        Kind::Function => bit(Privilege::Execute),
        Kind::Schema => bit(Privilege::Usage) | bit(Privilege::Create),
        Kind::Database => bit(Privilege::Create) | bit(Privilege::Connect) | bit(Privilege::Temporary),
        Kind::Column => {
            bit(Privilege::Select) | bit(Privilege::Insert) | bit(Privilege::Update) | bit(Privilege::References)
        }
    }
}

fn mask(privileges: &[Privilege], kind: Kind, version: u32) -> u16 {
    let all = fitting(kind, version);
    privileges.iter().fold(0, |m, &p| m | if p == Privilege::All { all } else { bit(p) & all })
}

impl ObjectRef {
    fn kind(&self) -> Kind {
        match self {
            ObjectRef::Table { .. } | ObjectRef::View { .. } => Kind::Relation,
            ObjectRef::Sequence { .. } => Kind::Sequence,
            ObjectRef::Function { .. } => Kind::Function,
            ObjectRef::Schema { .. } => Kind::Schema,
            ObjectRef::Database { .. } => Kind::Database,
            ObjectRef::Column { .. } => Kind::Column,
        }
    }

    fn key(&self) -> Key {
        match self {
            ObjectRef::Table { schema, name }
            | ObjectRef::View { schema, name }
            | ObjectRef::Sequence { schema, name } => Key::Relation { schema: schema.clone(), name: name.clone() },
            ObjectRef::Function { schema, name, args } => {
                Key::Function { schema: schema.clone(), name: name.clone(), args: norm_args(args) }
            }
            ObjectRef::Schema { name } => Key::Schema { name: name.clone() },
            ObjectRef::Database { name } => Key::Database { name: name.clone() },
            ObjectRef::Column { schema, table, column } => {
                Key::Column { schema: schema.clone(), table: table.clone(), column: column.clone() }
            }
        }
    }

    /// The schema a relation, function or column lives in.
    fn schema(&self) -> Option<&str> {
        match self {
            ObjectRef::Table { schema, .. }
            | ObjectRef::View { schema, .. }
            | ObjectRef::Sequence { schema, .. }
            | ObjectRef::Function { schema, .. }
            | ObjectRef::Column { schema, .. } => Some(schema),
            ObjectRef::Schema { .. } | ObjectRef::Database { .. } => None,
        }
    }

    /// The inventory objects of a model, as object references.
    pub fn of_inventory(model: &Model) -> Vec<ObjectRef> {
        model.objects.iter().filter_map(|o| concrete(&o.object)).collect()
    }
}

fn norm_args(args: &[String]) -> Vec<String> {
    args.iter().map(|a| crate::model::sqltype::canonical_type(a)).collect()
}

/// The concrete object a model object names (not bulk grants and columns).
fn concrete(object: &Object) -> Option<ObjectRef> {
    Some(match object {
        Object::Table { schema, name } => ObjectRef::Table { schema: schema.clone(), name: name.clone() },
        Object::View { schema, name } => ObjectRef::View { schema: schema.clone(), name: name.clone() },
        Object::Sequence { schema, name } => ObjectRef::Sequence { schema: schema.clone(), name: name.clone() },
        Object::Routine { schema, name, args } => {
            ObjectRef::Function { schema: schema.clone(), name: name.clone(), args: args.clone() }
        }
        Object::Schema { name } => ObjectRef::Schema { name: name.clone() },
        Object::Database { name } => ObjectRef::Database { name: name.clone() },
        _ => return None,
    })
}

/// Indexes the grants of the model by object; bulk grants are expanded over the inventory.
pub fn effective(model: &Model, members: &MembershipAnalysis) -> PrivilegeAnalysis {
    let version = members.target_version;
    let mut grants: BTreeMap<Key, Vec<Entry>> = BTreeMap::new();
    let mut public_revokes: BTreeMap<Key, u16> = BTreeMap::new();
    let inventory = ObjectRef::of_inventory(model);
    for (i, g) in model.grants.iter().enumerate() {
        let mut targets: Vec<(Key, u16, bool)> = Vec::new();
        match &g.object {
            Object::Columns { schema, table, columns } => {
                let m = mask(&g.privileges, Kind::Column, version);
                for c in columns {
                    targets.push((
                        Key::Column { schema: schema.clone(), table: table.clone(), column: c.clone() },
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
                        targets.push((o.key(), mask(&g.privileges, o.kind(), version), true));
                    }
                }
            }
            other => {
                if let Some(o) = concrete(other) {
                    targets.push((o.key(), mask(&g.privileges, o.kind(), version), false));
                }
            }
        }
        for (key, m, bulk) in targets {
            if m == 0 {
                continue;
            }
            if g.revoke {
                if g.grantee == Grantee::Public {
                    *public_revokes.entry(key).or_default() |= m;
                }
            } else {
                let options = if g.grant_option && g.grantee != Grantee::Public { m } else { 0 };
                grants.entry(key).or_default().push(Entry { grant: i as u32, privileges: m, options, bulk });
            }
        }
    }
    let schema_owners = model.schemas.iter().filter_map(|s| Some((s.name.clone(), s.owner.clone()?))).collect();
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
        schema_owners,
        grantees,
        future,
    }
}

/// Replays the `ALTER DEFAULT PRIVILEGES` statements of `up.sql`, in their order.
fn default_acls(model: &Model, version: u32) -> BTreeMap<(String, Option<String>, FutureKind), DefaultAcl> {
    let mut out: BTreeMap<(String, Option<String>, FutureKind), DefaultAcl> = BTreeMap::new();
    for (d, sources) in crate::model::merged_default_privileges(&model.default_privileges) {
        let Some(kind) = FutureKind::of_default(d.kind) else { continue };
        let m = mask(&d.privileges, kind.kind(), version);
        if m == 0 {
            continue;
        }
        let schema = if kind == FutureKind::Schema { None } else { d.schema.clone() };
        let global = schema.is_none();
        let acl = out.entry((d.owner.clone(), schema, kind)).or_insert_with(|| {
            if global {
                DefaultAcl::builtin(kind, &d.owner, version)
            } else {
                DefaultAcl::default()
            }
        });
        if d.revoke {
            acl.revoke(&d.grantee, m);
        } else {
            let sources: Vec<(u16, u32)> = sources
                .iter()
                .map(|&i| (mask(&model.default_privileges[i].privileges, kind.kind(), version), i as u32))
                .collect();
            acl.grant(&d.grantee, m, d.grant_option, &sources);
        }
    }
    out
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

fn chain_len(c: &Chain) -> usize {
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
        let kind = object.kind();
        let p = bit(privilege);
        if privilege == Privilege::All || fitting(kind, self.target_version) & p == 0 {
            return None;
        }
        if self.members.is_superuser(role) {
            return Some(Grounds::Superuser);
        }
        if let ObjectRef::Schema { name } = object {
            if let Some(owner) = self.schema_owners.get(name) {
                if let Some(via) = self.members.answer(role, owner, Mode::Usage) {
                    return Some(Grounds::Owner { owner: owner.clone(), via });
                }
            }
        }
        let key = object.key();
        // Grants on the object itself; for a column, also table-level grants.
        let table_key = match object {
            ObjectRef::Column { schema, table, .. } => {
                Some(Key::Relation { schema: schema.clone(), name: table.clone() })
            }
            _ => None,
        };
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

    /// What `role` would have on an object created later: `has_*_privilege(role, new object,
    /// privilege)` once `object.creator` creates it (in `object.schema`). `Some` with the
    /// reason when true; a privilege that does not fit the kind, and `all`, are `None`.
    pub fn answer_future(&self, role: &str, privilege: Privilege, object: &FutureObject) -> Option<FutureGrounds> {
        self.future_in(role, privilege, object, false)
    }

    /// Like [`answer_future`](Self::answer_future), `… WITH GRANT OPTION`.
    pub fn answer_future_grant_option(
        &self,
        role: &str,
        privilege: Privilege,
        object: &FutureObject,
    ) -> Option<FutureGrounds> {
        self.future_in(role, privilege, object, true)
    }

    /// The (creator, schema, kind) default ACLs `up.sql` leaves (`None`: the global entry),
    /// for listing the objects created later that the policy says something about.
    pub fn future_scopes(&self) -> impl Iterator<Item = FutureObject> + '_ {
        self.future.keys().map(|(creator, schema, kind)| FutureObject {
            kind: *kind,
            schema: schema.clone(),
            creator: creator.clone(),
        })
    }

    fn future_in(
        &self,
        role: &str,
        privilege: Privilege,
        object: &FutureObject,
        option: bool,
    ) -> Option<FutureGrounds> {
        let kind = object.kind.kind();
        let p = bit(privilege);
        if !object.kind.fits(privilege, self.target_version) {
            return None;
        }
        if self.members.is_superuser(role) {
            return Some(FutureGrounds::Superuser);
        }
        let creator = &object.creator;
        if option {
            // The owner implicitly holds every grant option, whatever its ACL entry says.
            if let Some(via) = self.members.answer(role, creator, Mode::Usage) {
                return Some(FutureGrounds::Owner { creator: creator.clone(), via });
            }
        }
        let fallback = DefaultAcl::builtin(object.kind, creator, self.target_version);
        let mut global = self.future.get(&(creator.clone(), None, object.kind)).unwrap_or(&fallback);
        let mut schema = match (&object.schema, object.kind) {
            (Some(s), k) if k != FutureKind::Schema => self.future.get(&(creator.clone(), Some(s.clone()), k)),
            _ => None,
        };
        // PostgreSQL's aclmerge returns NULL when both ACLs are empty, and a NULL ACL is the
        // built-in default: a global entry that revoked everything from everyone gives the new
        // object the built-in privileges back, unless a per-schema entry adds something.
        let empty = |acl: &DefaultAcl| acl.items.iter().all(|i| i.privileges == 0);
        if empty(global) && schema.is_none_or(empty) {
            global = &fallback;
            schema = None;
        }
        let mut best: Option<FutureGrounds> = None;
        let mut best_len = usize::MAX;
        let mut public: Option<FutureGrounds> = None;
        let mut builtin_public = false;
        for item in global.items.iter().chain(schema.into_iter().flat_map(|a| a.items.iter())) {
            let (bits, from) =
                if option { (item.options, &item.options_from) } else { (item.privileges, &item.privileges_from) };
            if bits & p == 0 {
                continue;
            }
            let entry = from.iter().find(|(b, _)| b & p != 0).map(|&(_, i)| i as usize);
            match (&item.grantee, entry) {
                (Grantee::Public, Some(entry)) => {
                    public.get_or_insert(FutureGrounds::DefaultPublic { entry });
                }
                (Grantee::Public, None) => builtin_public = true,
                (Grantee::Role(g), entry) => {
                    if let Some(via) = self.members.answer(role, g, Mode::Usage) {
                        let len = chain_len(&via);
                        if len < best_len {
                            best_len = len;
                            best = Some(match entry {
                                Some(entry) => FutureGrounds::Default { entry, via },
                                None => FutureGrounds::Owner { creator: g.clone(), via },
                            });
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
        if let Some(Grounds::Predefined { role, via }) = self.predefined(role, privilege, kind) {
            return Some(FutureGrounds::Predefined { role, via });
        }
        builtin_public.then_some(FutureGrounds::BuiltinPublic)
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

    fn predefined(&self, role: &str, privilege: Privilege, kind: Kind) -> Option<Grounds> {
        use Privilege::*;
        let candidates: &[&str] = match (kind, privilege) {
            (Kind::Relation | Kind::Sequence | Kind::Column, Select) => &["pg_read_all_data"],
            (Kind::Relation | Kind::Sequence | Kind::Column, Insert | Update | Delete) => &["pg_write_all_data"],
            (Kind::Relation, Maintain) if self.target_version >= 17 => &["pg_maintain"],
            (Kind::Schema, Usage) => &["pg_read_all_data", "pg_write_all_data"],
            _ => &[],
        };
        candidates.iter().find_map(|r| {
            self.members.answer(role, r, Mode::Usage).map(|via| Grounds::Predefined { role: r.to_string(), via })
        })
    }

    fn builtin_public(&self, object: &ObjectRef) -> u16 {
        match object {
            ObjectRef::Function { .. } => bit(Privilege::Execute),
            ObjectRef::Database { .. } => bit(Privilege::Connect) | bit(Privilege::Temporary),
            ObjectRef::Schema { name } if name == "public" => {
                bit(Privilege::Usage) | if self.target_version <= 14 { bit(Privilege::Create) } else { 0 }
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::membership::reach;
    use crate::db::{Sources, Workspace};
    use crate::diagnostics::Diagnostic;
    use crate::model::BuildOptions;

    fn analysis(text: &str, version: u32) -> PrivilegeAnalysis {
        let options = BuildOptions { target_version: version, ..Default::default() };
        let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), options).unwrap();
        let errors: Vec<String> =
            ws.diagnostics().iter().filter(|d| Diagnostic::is_error(d)).map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let a = crate::db::privilege_analysis(&ws.db, ws.policy);
        let model = &ws.resolved().model;
        let a: &PrivilegeAnalysis = a.as_ref();
        assert_eq!(*a, effective(model, &reach(model, version)));
        a.clone()
    }

    fn table(s: &str, n: &str) -> ObjectRef {
        ObjectRef::Table { schema: s.into(), name: n.into() }
    }

    const INVENTORY: &str = "schema s0 {}\nschema s1 { owner so }\nrole so\ntable s0.t0\ntable s0.t1\nview s0.v\nsequence s0.q\nfunction s0.f(integer)\ntable s1.t0\n";

    #[test]
    fn grants_bulk_columns_and_inheritance() {
        let text = format!(
            "{INVENTORY}role a {{\n  grant select on tables in schema s0\n  grant update on column (a) of table s1.t0\n  grant all on sequence s0.q\n}}\nrole b {{ member of a }}\nrole c {{\n  noinherit\n  member of a\n}}\nuser u {{ member of so }}\n"
        );
        let a = analysis(&text, 15);
        for t in ["t0", "t1", "v"] {
            assert!(
                matches!(
                    a.answer("a", Privilege::Select, &table("s0", t)),
                    Some(Grounds::Grant { bulk: true, via: Chain::SameRole, .. })
                ),
                "{t}"
            );
        }
        assert!(!a.has("a", Privilege::Select, &table("s1", "t0")));
        assert!(
            matches!(a.answer("b", Privilege::Select, &table("s0", "t1")), Some(Grounds::Grant { via: Chain::Memberships(ref s), .. }) if s.len() == 1)
        );
        assert!(!a.has("c", Privilege::Select, &table("s0", "t1")));
        let col = |c: &str| ObjectRef::Column { schema: "s1".into(), table: "t0".into(), column: c.into() };
        assert!(a.has("b", Privilege::Update, &col("a")) && !a.has("b", Privilege::Update, &col("b")));
        assert!(!a.has("b", Privilege::Update, &table("s1", "t0")));
        // Table-level grants answer for every column.
        assert!(a.has(
            "a",
            Privilege::Select,
            &ObjectRef::Column { schema: "s0".into(), table: "t0".into(), column: "zz".into() }
        ));
        let q = ObjectRef::Sequence { schema: "s0".into(), name: "q".into() };
        assert!(a.has("a", Privilege::Usage, &q) && a.has("a", Privilege::Update, &q));
        assert!(a.answer("a", Privilege::Delete, &q).is_none(), "does not fit a sequence");
        // Owner of a schema, through membership.
        assert!(matches!(
            a.answer("u", Privilege::Create, &ObjectRef::Schema { name: "s1".into() }),
            Some(Grounds::Owner { .. })
        ));
        assert!(!a.has("u", Privilege::Create, &ObjectRef::Schema { name: "s0".into() }));
    }

    #[test]
    fn builtin_public_predefined_and_revokes() {
        let text = format!(
            "{INVENTORY}role a {{ member of pg_read_all_data }}\nrole w {{ member of pg_write_all_data }}\nrole n\npublic {{\n  revoke execute on function s0.f(integer) from public\n  grant select on table s0.t1 to public\n}}\n"
        );
        let a = analysis(&text, 15);
        let f = ObjectRef::Function { schema: "s0".into(), name: "f".into(), args: vec!["integer".into()] };
        assert!(!a.has("a", Privilege::Execute, &f));
        let db = ObjectRef::Database { name: "postgres".into() };
        assert_eq!(a.answer("w", Privilege::Connect, &db), Some(Grounds::BuiltinPublic));
        assert!(!a.has("w", Privilege::Create, &db));
        assert!(matches!(a.answer("w", Privilege::Select, &table("s0", "t1")), Some(Grounds::Public { .. })));
        assert!(matches!(a.answer("a", Privilege::Select, &table("s0", "t0")), Some(Grounds::Predefined { .. })));
        assert!(!a.has("a", Privilege::Insert, &table("s0", "t0")));
        assert!(
            a.has("w", Privilege::Insert, &table("s0", "t0")) && !a.has("w", Privilege::Select, &table("s0", "t0"))
        );
        for r in ["a", "w"] {
            assert!(matches!(
                a.answer(r, Privilege::Usage, &ObjectRef::Schema { name: "s0".into() }),
                Some(Grounds::Predefined { .. })
            ));
        }
        let public = ObjectRef::Schema { name: "public".into() };
        assert_eq!(a.answer("n", Privilege::Usage, &public), Some(Grounds::BuiltinPublic));
        assert!(
            !a.has("n", Privilege::Create, &public)
                && !a.has("n", Privilege::Usage, &ObjectRef::Schema { name: "s0".into() })
        );
        assert!(analysis(&text, 14).has("n", Privilege::Create, &public));
        // MAINTAIN fits relations from 17 only.
        let text = format!("{INVENTORY}role m {{ grant all on table s0.t0 }}\n");
        assert!(!analysis(&text, 16).has("m", Privilege::Maintain, &table("s0", "t0")));
        assert!(analysis(&text, 17).has("m", Privilege::Maintain, &table("s0", "t0")));
        assert!(analysis(&text, 17).has("m", Privilege::Trigger, &table("s0", "t0")));
    }

    #[test]
    fn superuser_has_every_fitting_privilege() {
        let a = analysis(&format!("{INVENTORY}user boss {{\n  superuser\n  noinherit\n}}\n"), 15);
        assert_eq!(a.answer("boss", Privilege::Truncate, &table("s0", "t0")), Some(Grounds::Superuser));
        assert_eq!(a.answer("boss", Privilege::Execute, &table("s0", "t0")), None);
    }

    fn future(kind: FutureKind, schema: Option<&str>, creator: &str) -> FutureObject {
        FutureObject { kind, schema: schema.map(str::to_string), creator: creator.into() }
    }

    #[test]
    fn default_privileges_for_objects_created_later() {
        let text = "schema app { owner o, creators [c] }\nschema other {}\nrole o\nrole c\nrole r { grant select on tables in schema app }\nrole w { member of r }\nrole n {\n  noinherit\n  member of r\n}\nrole x\nrole y\ndefaults for role o {\n  revoke execute on functions from public\n  grant usage on sequences to x\n  grant usage on schemas to y\n}\ndefaults for role o in schema app {\n  grant execute on functions to y with grant option\n  grant execute on functions to public\n}\n";
        let a = analysis(text, 15);
        let model = a_model(text);
        let d = |g: &Option<FutureGrounds>| match g {
            Some(FutureGrounds::Default { entry, .. }) => Some(model.default_privileges[*entry].clone()),
            _ => None,
        };
        let t_app_o = future(FutureKind::Table, Some("app"), "o");
        // Bulk grants cover tables the owner and the creators make later in that schema only.
        let g = a.answer_future("r", Privilege::Select, &t_app_o);
        assert!(matches!(g, Some(FutureGrounds::Default { via: Chain::SameRole, .. })), "{g:?}");
        assert!(d(&g).is_some_and(|e| e.implied));
        assert!(matches!(
            a.answer_future("w", Privilege::Select, &t_app_o),
            Some(FutureGrounds::Default { via: Chain::Memberships(_), .. })
        ));
        assert!(a.answer_future("n", Privilege::Select, &t_app_o).is_none());
        assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, Some("app"), "c")).is_some());
        assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, Some("other"), "o")).is_none());
        assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, None, "o")).is_none());
        assert!(a.answer_future("r", Privilege::Insert, &t_app_o).is_none());
        // The creator owns what it creates; a member of a creator too.
        assert!(matches!(
            a.answer_future("o", Privilege::Truncate, &t_app_o),
            Some(FutureGrounds::Owner { via: Chain::SameRole, .. })
        ));
        assert!(a.answer_future("r", Privilege::Select, &future(FutureKind::Table, Some("app"), "x")).is_none());
        // Global entries apply in every schema; per-schema ones add to them.
        for s in [None, Some("app"), Some("other")] {
            assert!(matches!(
                a.answer_future("x", Privilege::Usage, &future(FutureKind::Sequence, s, "o")),
                Some(FutureGrounds::Default { .. })
            ));
            assert!(a.answer_future("x", Privilege::Usage, &future(FutureKind::Sequence, s, "c")).is_none());
        }
        // PUBLIC's EXECUTE: revoked globally for o, given back in app; built in for c.
        let f = |s: Option<&str>, c: &str| future(FutureKind::Function, s, c);
        assert_eq!(a.answer_future("x", Privilege::Execute, &f(None, "o")), None);
        assert_eq!(a.answer_future("x", Privilege::Execute, &f(Some("other"), "o")), None);
        assert!(matches!(
            a.answer_future("x", Privilege::Execute, &f(Some("app"), "o")),
            Some(FutureGrounds::DefaultPublic { .. })
        ));
        assert_eq!(a.answer_future("x", Privilege::Execute, &f(Some("app"), "c")), Some(FutureGrounds::BuiltinPublic));
        assert!(matches!(
            a.answer_future("y", Privilege::Execute, &f(Some("app"), "o")),
            Some(FutureGrounds::Default { .. })
        ));
        // Grant options: the creator's, and `with grant option` entries; never PUBLIC's.
        assert!(matches!(
            a.answer_future_grant_option("y", Privilege::Execute, &f(Some("app"), "o")),
            Some(FutureGrounds::Default { .. })
        ));
        assert_eq!(a.answer_future_grant_option("x", Privilege::Execute, &f(Some("app"), "o")), None);
        assert_eq!(a.answer_future_grant_option("r", Privilege::Select, &t_app_o), None);
        assert!(matches!(
            a.answer_future_grant_option("o", Privilege::Select, &t_app_o),
            Some(FutureGrounds::Owner { .. })
        ));
        // Schemas created later: global entries only; the schema named is ignored.
        assert!(a.answer_future("y", Privilege::Usage, &future(FutureKind::Schema, None, "o")).is_some());
        assert!(a.answer_future("y", Privilege::Usage, &future(FutureKind::Schema, Some("app"), "o")).is_some());
        assert!(a.answer_future("y", Privilege::Create, &future(FutureKind::Schema, None, "o")).is_none());
        // Privileges that do not fit the kind.
        assert_eq!(a.answer_future("o", Privilege::Execute, &t_app_o), None);
        assert_eq!(a.answer_future("o", Privilege::All, &t_app_o), None);
        let scopes: Vec<FutureObject> = a.future_scopes().collect();
        assert!(
            scopes.contains(&future(FutureKind::Table, Some("app"), "c"))
                && scopes.contains(&future(FutureKind::Function, None, "o"))
        );
    }

    fn a_model(text: &str) -> crate::model::Model {
        let ws =
            Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), BuildOptions::default()).unwrap();
        ws.resolved().model.clone()
    }

    #[test]
    fn default_privileges_revoked_from_the_creator_and_replayed_in_order() {
        let text = "schema app {}\nrole o\nrole m { member of o }\nrole x\nuser su { superuser }\nrole reader { member of pg_read_all_data }\ndefaults for role o {\n  revoke all on tables from o\n  grant select on tables to x\n  revoke select on tables from x\n  grant insert on tables to x\n}\ndefaults for role o in schema app {\n  grant select on tables to o\n}\n";
        for version in [15, 17] {
            let a = analysis(text, version);
            let t = |s: Option<&str>| future(FutureKind::Table, s, "o");
            // The owner keeps its grant options, not the privileges a global default revoked.
            for r in ["o", "m"] {
                assert_eq!(a.answer_future(r, Privilege::Select, &t(None)), None);
                assert!(matches!(
                    a.answer_future(r, Privilege::Select, &t(Some("app"))),
                    Some(FutureGrounds::Default { .. })
                ));
                assert_eq!(a.answer_future(r, Privilege::Insert, &t(Some("app"))), None);
                assert!(matches!(
                    a.answer_future_grant_option(r, Privilege::Insert, &t(None)),
                    Some(FutureGrounds::Owner { .. })
                ));
            }
            assert_eq!(a.answer_future("x", Privilege::Select, &t(None)), None);
            assert!(a.answer_future("x", Privilege::Insert, &t(None)).is_some());
            assert_eq!(a.answer_future("su", Privilege::Delete, &t(None)), Some(FutureGrounds::Superuser));
            assert_eq!(a.answer_future_grant_option("su", Privilege::Delete, &t(None)), Some(FutureGrounds::Superuser));
            assert!(matches!(
                a.answer_future("reader", Privilege::Select, &t(None)),
                Some(FutureGrounds::Predefined { .. })
            ));
            assert_eq!(a.answer_future_grant_option("reader", Privilege::Select, &t(None)), None);
            assert_eq!(a.answer_future("o", Privilege::Maintain, &t(None)), None);
            assert_eq!(
                a.answer_future("x", Privilege::Maintain, &future(FutureKind::Table, None, "x")).is_some(),
                version >= 17
            );
        }
        // A grant, a revoke and a grant again of the same privilege: the last one wins.
        let text = "role o\nrole x\ndefaults for role o {\n  grant select on tables to x\n  revoke select on tables from x\n  grant select, update on tables to x\n}\n";
        let a = analysis(text, 15);
        let g = a.answer_future("x", Privilege::Select, &future(FutureKind::Table, None, "o"));
        assert!(matches!(g, Some(FutureGrounds::Default { entry: 2, .. })), "{g:?}");
    }

    #[test]
    fn grant_options_follow_usage_membership() {
        let text = format!(
            "{INVENTORY}role a {{\n  grant select on table s0.t0 with grant option\n  grant insert on table s0.t0\n  grant update on tables in schema s0 with grant option\n  grant usage on schema s0 with grant option\n}}\nrole b {{ member of a }}\nrole c {{\n  noinherit\n  member of a\n}}\nrole rd {{ member of pg_read_all_data }}\nuser u {{ member of so }}\nuser boss {{ superuser }}\npublic {{\n  grant select on table s0.t1 to public\n}}\n"
        );
        let a = analysis(&text, 16);
        let t0 = table("s0", "t0");
        assert!(matches!(
            a.answer_grant_option("a", Privilege::Select, &t0),
            Some(Grounds::Grant { via: Chain::SameRole, bulk: false, .. })
        ));
        assert!(matches!(
            a.answer_grant_option("b", Privilege::Select, &t0),
            Some(Grounds::Grant { via: Chain::Memberships(_), .. })
        ));
        assert_eq!(a.answer_grant_option("c", Privilege::Select, &t0), None);
        assert!(a.has("a", Privilege::Insert, &t0) && a.answer_grant_option("a", Privilege::Insert, &t0).is_none());
        assert!(matches!(
            a.answer_grant_option("b", Privilege::Update, &table("s0", "t1")),
            Some(Grounds::Grant { bulk: true, .. })
        ));
        let col = ObjectRef::Column { schema: "s0".into(), table: "t0".into(), column: "a".into() };
        assert!(a.answer_grant_option("a", Privilege::Select, &col).is_some());
        assert!(a.answer_grant_option("a", Privilege::Usage, &ObjectRef::Schema { name: "s0".into() }).is_some());
        // PUBLIC grants, predefined roles and built-in defaults give no grant option.
        assert!(
            a.has("b", Privilege::Select, &table("s0", "t1"))
                && a.answer_grant_option("rd", Privilege::Select, &table("s0", "t1")).is_none()
        );
        assert!(a.has("rd", Privilege::Select, &t0) && a.answer_grant_option("rd", Privilege::Select, &t0).is_none());
        let db = ObjectRef::Database { name: "postgres".into() };
        assert!(a.has("b", Privilege::Connect, &db) && a.answer_grant_option("b", Privilege::Connect, &db).is_none());
        // The owner of a schema (and who has its privileges) and a superuser hold every option.
        assert!(matches!(
            a.answer_grant_option("u", Privilege::Create, &ObjectRef::Schema { name: "s1".into() }),
            Some(Grounds::Owner { .. })
        ));
        assert_eq!(a.answer_grant_option("boss", Privilege::Trigger, &t0), Some(Grounds::Superuser));
        assert_eq!(a.answer_grant_option("boss", Privilege::Execute, &t0), None);
    }

    #[test]
    fn ten_thousand_roles_times_the_inventory() {
        // 100 schemas × 10 tables; 10,000 roles in layers, each with a grant or a membership.
        let mut text = String::new();
        for s in 0..100 {
            text.push_str(&format!("schema s{s} {{}}\n"));
            for t in 0..10 {
                text.push_str(&format!("table s{s}.t{t}\n"));
            }
        }
        for i in 0..10_000 {
            if i < 100 {
                text.push_str(&format!(
                    "role r{i} {{ grant select on tables in schema s{i}\n grant insert on table s{i}.t0 }}\n"
                ));
            } else {
                text.push_str(&format!("role r{i} {{ member of r{}, r{} }}\n", i - 100, (i * 7) % (i - 1)));
            }
        }
        let options = BuildOptions { target_version: 16, ..Default::default() };
        let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text)]), options).unwrap();
        let model = ws.resolved().model.clone();
        let members = reach(&model, 16);
        let start = std::time::Instant::now();
        let a = effective(&model, &members);
        let built = start.elapsed();
        let objects = ObjectRef::of_inventory(&model);
        assert_eq!(objects.len(), 1000);
        let start = std::time::Instant::now();
        // Every tenth table (one per schema), so that the debug build stays quick: 1,000,000
        // answers (about 3 s in a debug build, 0.5 s in release).
        let mut yes = 0usize;
        for i in 0..10_000 {
            let r = format!("r{i}");
            for o in objects.iter().step_by(10) {
                yes += a.has(&r, Privilege::Select, o) as usize;
            }
        }
        let answered = start.elapsed();
        eprintln!("privileges: index {built:?}; 10,000 roles x 100 tables (SELECT) in {answered:?}, {yes} true");
        assert!(yes > 0);
        assert!(answered.as_secs() < 60, "{answered:?}");
    }
}
