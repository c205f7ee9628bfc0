//! Counting a role's tables and schemas without asking about every (role, object) pair: each
//! role's own grants become a bit set over the known tables (a bulk grant sets its schema's
//! range) and one over the known schemas ([`RoleBits`]), computed once per role and chunk; a
//! role's count is the population of the OR over itself, PUBLIC and the roles whose privileges
//! it has.

use std::cell::OnceCell;
use std::sync::Arc;

use crate::analysis::privileges::mask;
use crate::analysis::rules::chunks::RoleFacts;
use crate::analysis::rules::context::{Context, View};
use crate::model::{Object, ObjectGrant};
use crate::pg::{AclKind, Privilege};
use crate::syntax::ast::BulkKind;

pub(crate) fn object_hash(o: &Object) -> u64 {
    use std::hash::{Hash, Hasher};
    // Only a filter before the objects are compared: a fast hash is enough.
    let mut h = rustc_hash::FxHasher::default();
    o.hash(&mut h);
    h.finish()
}

/// What the checks of one role read of another role's own grants (or PUBLIC's), computed once
/// per role and chunk: every role that reaches it reads the same.
pub(crate) struct RoleBits<'a> {
    /// The role's facts; `None` for PUBLIC and for roles the policy does not declare.
    pub(crate) facts: Option<&'a RoleFacts>,
    /// The known tables its grants give a table privilege on, over [`Context::tables`].
    pub(crate) tables: Box<[u64]>,
    /// The known schemas its grants give USAGE or CREATE on, and those it owns (whoever has
    /// its privileges has the owner's), over [`Context::known_schemas`].
    pub(crate) schemas: Box<[u64]>,
    /// `(known table, position of the grant among the role's grants)` of its single-table
    /// grants, by grant.
    pub(crate) singles: Box<[(usize, usize)]>,
    /// `(first position of the schema in [`Context::tables`], position of the grant among
    /// the role's grants that are not revokes)` of its bulk grants on the tables of a schema
    /// with known tables, by grant.
    pub(crate) bulk: Box<[(u32, usize)]>,
    /// How many grants it has, and how many of them are not revokes.
    pub(crate) grants: usize,
    pub(crate) live: usize,
    /// `(hash of the object, position)` of each of its grants, sorted: grants on the objects
    /// of another role's grants are found by a merge.
    pub(crate) by_hash: Box<[(u64, usize)]>,
    /// The first (in source order) of its bulk grants on tables of a schema without known
    /// tables, as a position among its grants.
    pub(crate) first_unknown_bulk: Option<usize>,
}

impl<'a> RoleBits<'a> {
    /// The bits of `grants`, the grants of `owner` (`None`: PUBLIC's).
    pub(crate) fn of(ctx: &Context, grants: &[Arc<ObjectGrant>], owner: Option<&str>) -> RoleBits<'a> {
        let version = ctx.target_version;
        let mut tables = vec![0u64; ctx.tables.len().div_ceil(64)];
        let mut schemas = vec![0u64; ctx.known_schemas.len().div_ceil(64)];
        let mut singles = Vec::new();
        let mut bulk = Vec::new();
        let set = |bits: &mut [u64], i: usize| bits[i / 64] |= 1 << (i % 64);
        let mut live = 0;
        // The first (in source order) bulk grant on tables of a schema without known tables.
        let mut first_unknown_bulk: Option<usize> = None;
        let source_order = |k: usize| {
            let o = grants[k].origin;
            (o.file, o.item, o.start)
        };
        for (k, g) in grants.iter().enumerate() {
            if g.revoke {
                continue;
            }
            let live_k = live;
            live += 1;
            let relation = relation_bits(&g.privileges, version) != 0;
            match &g.object {
                Object::AllIn { kind: BulkKind::Tables, schema } => {
                    let range = ctx.tables_in(schema);
                    if range.is_empty() {
                        if first_unknown_bulk.is_none_or(|first| source_order(k) < source_order(first)) {
                            first_unknown_bulk = Some(k);
                        }
                    } else if relation {
                        bulk.push((range.start as u32, live_k));
                        set_range(&mut tables, range);
                    }
                }
                Object::Table { schema, name } | Object::View { schema, name } if relation => {
                    if let Some(i) = ctx.table(schema, name) {
                        set(&mut tables, i);
                        singles.push((i, k));
                    }
                }
                Object::Schema { name } if schema_bits(&g.privileges, version) != 0 => {
                    if let Ok(i) = ctx.known_schemas.binary_search(name) {
                        set(&mut schemas, i);
                    }
                }
                _ => {}
            }
        }
        if let Some(owner) = owner {
            if let Ok(i) = ctx.owned_schemas.binary_search_by(|(o, _)| o.as_str().cmp(owner)) {
                schemas.iter_mut().zip(&ctx.owned_schemas[i].1).for_each(|(a, b)| *a |= b);
            }
        }
        let mut by_hash: Box<[(u64, usize)]> =
            grants.iter().enumerate().map(|(k, g)| (object_hash(&g.object), k)).collect();
        by_hash.sort_unstable();
        RoleBits {
            facts: None,
            tables: tables.into(),
            schemas: schemas.into(),
            singles: singles.into(),
            bulk: bulk.into(),
            grants: grants.len(),
            live,
            by_hash,
            first_unknown_bulk,
        }
    }
}

/// What the checks of one chunk compute once per role they look at ([`RoleBits`], by node of
/// the chunk's membership analysis) and once for PUBLIC. Counting a role's tables is then an
/// OR over the roles whose privileges it has, however many grants they hold.
#[derive(Default)]
pub struct TableBits<'a> {
    roles: OnceCell<Box<[OnceCell<Box<RoleBits<'a>>>]>>,
    public: OnceCell<RoleBits<'a>>,
}

impl<'a> TableBits<'a> {
    /// The bits of the role at `node` of `view.members`.
    pub(crate) fn role(&self, view: &View<'a>, node: u32) -> &RoleBits<'a> {
        let roles = self.roles.get_or_init(|| (0..view.members.node_count()).map(|_| OnceCell::new()).collect());
        roles[node as usize].get_or_init(|| {
            let name = view.members.name(node);
            let facts = (view.facts)(name);
            let grants = facts.map_or(&[][..], |f| &f.grants);
            Box::new(RoleBits { facts, ..RoleBits::of(view.ctx, grants, Some(name)) })
        })
    }

    /// The bits of PUBLIC's grants.
    pub(crate) fn public(&self, ctx: &Context) -> &RoleBits<'a> {
        self.public.get_or_init(|| RoleBits::of(ctx, &ctx.public, None))
    }
}

/// Sets the bits of `range`, a word at a time.
pub(crate) fn set_range(bits: &mut [u64], range: std::ops::Range<usize>) {
    let mut i = range.start;
    while i < range.end {
        let (word, bit) = (i / 64, i % 64);
        let n = (64 - bit).min(range.end - i);
        let mask = if n == 64 { u64::MAX } else { ((1u64 << n) - 1) << bit };
        bits[word] |= mask;
        i += n;
    }
}

/// The positions of the bits set in a bit set, in order.
pub(crate) fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, &b)| {
        let mut rest = b;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + i
            })
        })
    })
}

/// How many bits are set.
pub(crate) fn population(bits: &[u64]) -> usize {
    bits.iter().map(|b| b.count_ones() as usize).sum()
}

/// The known table a grant on one table or view names, if it gives a table privilege.
pub(crate) fn single_table(ctx: &Context, g: &ObjectGrant) -> Option<usize> {
    match &g.object {
        Object::Table { schema, name } | Object::View { schema, name }
            if !g.revoke && relation_bits(&g.privileges, ctx.target_version) != 0 =>
        {
            ctx.table(schema, name)
        }
        _ => None,
    }
}

/// The privileges of a grant that fit a relation, as a bit set (MAINTAIN from 17).
pub(crate) fn relation_bits(privileges: &[Privilege], version: u32) -> u16 {
    mask(privileges, AclKind::Relation, version)
}

/// The privileges of a grant that fit a schema, as a bit set (the same on every version).
pub(crate) fn schema_bits(privileges: &[Privilege], version: u32) -> u16 {
    mask(privileges, AclKind::Schema, version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::{BuildOptions, Grantee, Model};

    const POLICY: &str = "schema app { owner o }\nschema hr { owner o }\nschema empty { owner o }\nrole o {}\n\
        table app.b\ntable app.a\nview hr.v\ntable hr.c\n\
        role u {\n  grant select on tables in schema app\n  grant update on table hr.c\n  grant usage on schema hr\n  \
        grant usage on sequence app.s\n  grant select on tables in schema empty\n}\n";

    fn model() -> Model {
        let files = vec![("p.role".into(), POLICY.to_string())];
        Workspace::load(Sources::Memory(files), BuildOptions::default()).unwrap().resolved().model.clone()
    }

    fn grants_to(model: &Model, role: &str) -> Vec<Arc<ObjectGrant>> {
        model.grants.iter().filter(|g| g.grantee == Grantee::Role(role.into())).cloned().collect()
    }

    fn set(bits: &[u64]) -> Vec<usize> {
        set_bits(bits).collect()
    }

    #[test]
    fn a_range_of_bits_is_set_as_bit_by_bit() {
        for (start, end) in [(0, 0), (0, 1), (3, 64), (0, 64), (63, 65), (5, 200), (64, 128), (70, 71)] {
            let mut words = vec![0u64; 4];
            set_range(&mut words, start..end);
            assert_eq!(set(&words), (start..end).collect::<Vec<_>>(), "{start}..{end}");
        }
    }

    #[test]
    fn a_role_s_grants_as_bits_over_the_known_tables_and_schemas() {
        let model = model();
        let ctx = Context::of(&model, 15, None, Vec::new());
        let names: Vec<String> = ctx.tables.iter().map(|t| format!("{}.{}", t.schema, t.name)).collect();
        assert_eq!(names, ["app.a", "app.b", "hr.c", "hr.v"], "sorted");
        let grants = grants_to(&model, "u");
        let bits = RoleBits::of(&ctx, &grants, Some("u"));
        // The bulk grant sets its schema's range; the single grant its table; USAGE on a
        // sequence and a bulk grant in a schema without known tables set nothing.
        assert_eq!(set(&bits.tables), [0, 1, 2]);
        assert_eq!(&*bits.singles, [(2, 1)], "hr.c, by the second grant");
        assert_eq!(&*bits.bulk, [(0, 0)], "app's tables start at 0; the bulk grant on empty is not listed");
        assert_eq!(bits.live, 5);
        let schema = |name: &str| ctx.known_schemas.binary_search(&name.to_string()).unwrap();
        assert_eq!(set(&bits.schemas), [schema("hr")]);
        assert_eq!(bits.first_unknown_bulk, Some(4), "the grant on tables in schema empty");
        let mut by_hash: Vec<(u64, usize)> = grants.iter().map(|g| object_hash(&g.object)).zip(0..).collect();
        by_hash.sort_unstable();
        assert_eq!(&*bits.by_hash, by_hash, "every grant, by hash");
        // The owner of schemas has them, without a grant.
        let owner = RoleBits::of(&ctx, &[], Some("o"));
        assert_eq!(set(&owner.schemas), [schema("app"), schema("empty"), schema("hr")]);
        assert!(set(&owner.tables).is_empty());
        assert_eq!((owner.first_unknown_bulk, owner.live), (None, 0));
    }
}
