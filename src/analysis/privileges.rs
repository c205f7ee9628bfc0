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
//! Not modelled: default privileges (they concern future objects; the analysis answers for
//! objects that exist when `up.sql` runs), owners of tables/views/sequences/functions (the
//! policy does not state them), grant-option chains and `… WITH GRANT OPTION` questions, the
//! order of a PUBLIC grant and a PUBLIC revoke of the same privilege (a grant wins), types and
//! domains.
//!
//! Nothing is precomputed per role: the grants are indexed by object, and an answer looks up
//! the grants covering the object and asks the membership analysis for each grantee.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::membership::{Chain, MembershipAnalysis, Mode};
use crate::model::{Grantee, Model, Object};
use crate::syntax::ast::{BulkKind, Privilege};

/// One concrete object, as the `has_*_privilege` functions name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObjectRef {
    Table { schema: String, name: String },
    View { schema: String, name: String },
    Sequence { schema: String, name: String },
    /// `args`: SQL type names as the policy writes them (`integer`, `text`).
    Function { schema: String, name: String, args: Vec<String> },
    Schema { name: String },
    Database { name: String },
    /// A column of a table or view (`has_column_privilege`).
    Column { schema: String, table: String, column: String },
}

/// Why a role has a privilege on an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Grounds {
    Superuser,
    /// The role has the privileges of the object's declared owner.
    Owner { owner: String, via: Chain },
    /// `model.grants[grant]` grants it to PUBLIC.
    Public { grant: usize },
    /// `model.grants[grant]` grants it to a role `via` reaches (USAGE mode); `bulk`: the grant
    /// is `… in schema S`.
    Grant { via: Chain, grant: usize, bulk: bool },
    /// A predefined role (`pg_read_all_data`, `pg_write_all_data`, `pg_maintain`).
    Predefined { role: String, via: Chain },
    /// PostgreSQL's built-in default ACL gives it to PUBLIC.
    BuiltinPublic,
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
        Kind::Column => bit(Privilege::Select) | bit(Privilege::Insert) | bit(Privilege::Update) | bit(Privilege::References),
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
            ObjectRef::Table { schema, name } | ObjectRef::View { schema, name } | ObjectRef::Sequence { schema, name } => {
                Key::Relation { schema: schema.clone(), name: name.clone() }
            }
            ObjectRef::Function { schema, name, args } => Key::Function { schema: schema.clone(), name: name.clone(), args: norm_args(args) },
            ObjectRef::Schema { name } => Key::Schema { name: name.clone() },
            ObjectRef::Database { name } => Key::Database { name: name.clone() },
            ObjectRef::Column { schema, table, column } => Key::Column { schema: schema.clone(), table: table.clone(), column: column.clone() },
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
    args.iter().map(|a| a.trim().to_lowercase()).collect()
}

/// The concrete object a model object names (not bulk grants and columns).
fn concrete(object: &Object) -> Option<ObjectRef> {
    Some(match object {
        Object::Table { schema, name } => ObjectRef::Table { schema: schema.clone(), name: name.clone() },
        Object::View { schema, name } => ObjectRef::View { schema: schema.clone(), name: name.clone() },
        Object::Sequence { schema, name } => ObjectRef::Sequence { schema: schema.clone(), name: name.clone() },
        Object::Routine { schema, name, args } => ObjectRef::Function { schema: schema.clone(), name: name.clone(), args: args.clone() },
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
                    targets.push((Key::Column { schema: schema.clone(), table: table.clone(), column: c.clone() }, m, false));
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
                grants.entry(key).or_default().push(Entry { grant: i as u32, privileges: m, bulk });
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
    PrivilegeAnalysis { target_version: version, members: members.clone(), grants, public_revokes, schema_owners, grantees }
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
            ObjectRef::Column { schema, table, .. } => Some(Key::Relation { schema: schema.clone(), name: table.clone() }),
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
        for e in entries.into_iter().filter(|e| e.privileges & p != 0) {
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
        if best.is_some() {
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

    fn predefined(&self, role: &str, privilege: Privilege, kind: Kind) -> Option<Grounds> {
        use Privilege::*;
        let candidates: &[&str] = match (kind, privilege) {
            (Kind::Relation | Kind::Sequence | Kind::Column, Select) => &["pg_read_all_data"],
            (Kind::Relation | Kind::Sequence | Kind::Column, Insert | Update | Delete) => &["pg_write_all_data"],
            (Kind::Relation, Maintain) if self.target_version >= 17 => &["pg_maintain"],
            (Kind::Schema, Usage) => &["pg_read_all_data", "pg_write_all_data"],
            _ => &[],
        };
        candidates.iter().find_map(|r| self.members.answer(role, r, Mode::Usage).map(|via| Grounds::Predefined { role: r.to_string(), via }))
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
        let errors: Vec<String> = ws.diagnostics().iter().filter(|d| Diagnostic::is_error(d)).map(|d| d.message.clone()).collect();
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
            assert!(matches!(a.answer("a", Privilege::Select, &table("s0", t)), Some(Grounds::Grant { bulk: true, via: Chain::SameRole, .. })), "{t}");
        }
        assert!(!a.has("a", Privilege::Select, &table("s1", "t0")));
        assert!(matches!(a.answer("b", Privilege::Select, &table("s0", "t1")), Some(Grounds::Grant { via: Chain::Memberships(ref s), .. }) if s.len() == 1));
        assert!(!a.has("c", Privilege::Select, &table("s0", "t1")));
        let col = |c: &str| ObjectRef::Column { schema: "s1".into(), table: "t0".into(), column: c.into() };
        assert!(a.has("b", Privilege::Update, &col("a")) && !a.has("b", Privilege::Update, &col("b")));
        assert!(!a.has("b", Privilege::Update, &table("s1", "t0")));
        // Table-level grants answer for every column.
        assert!(a.has("a", Privilege::Select, &ObjectRef::Column { schema: "s0".into(), table: "t0".into(), column: "zz".into() }));
        let q = ObjectRef::Sequence { schema: "s0".into(), name: "q".into() };
        assert!(a.has("a", Privilege::Usage, &q) && a.has("a", Privilege::Update, &q));
        assert!(a.answer("a", Privilege::Delete, &q).is_none(), "does not fit a sequence");
        // Owner of a schema, through membership.
        assert!(matches!(a.answer("u", Privilege::Create, &ObjectRef::Schema { name: "s1".into() }), Some(Grounds::Owner { .. })));
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
        assert!(a.has("w", Privilege::Insert, &table("s0", "t0")) && !a.has("w", Privilege::Select, &table("s0", "t0")));
        for r in ["a", "w"] {
            assert!(matches!(a.answer(r, Privilege::Usage, &ObjectRef::Schema { name: "s0".into() }), Some(Grounds::Predefined { .. })));
        }
        let public = ObjectRef::Schema { name: "public".into() };
        assert_eq!(a.answer("n", Privilege::Usage, &public), Some(Grounds::BuiltinPublic));
        assert!(!a.has("n", Privilege::Create, &public) && !a.has("n", Privilege::Usage, &ObjectRef::Schema { name: "s0".into() }));
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
                text.push_str(&format!("role r{i} {{ grant select on tables in schema s{i}\n grant insert on table s{i}.t0 }}\n"));
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
