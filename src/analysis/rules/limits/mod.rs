//! Policy limits on object privileges: `max schemas N`, `max tables N`, `max tables tagged T N`
//! (E035 / W035, and W036 when a limit cannot be proven), counted over effective privileges
//! (`crate::analysis::privileges`).
//!
//! - `max schemas N`: the schemas the policy knows (declared, named by a grant or an inventory
//!   object, listed by the catalog snapshot, and `public` only when named) on which the role
//!   has USAGE or CREATE, as `has_schema_privilege` answers (so the built-in USAGE on `public`
//!   counts, as in PostgreSQL).
//! - `max tables N`: the inventory tables and views (`table`/`view` declarations and catalog
//!   objects) on which the role has a table privilege (SELECT, INSERT, UPDATE, DELETE,
//!   TRUNCATE, REFERENCES, TRIGGER, and MAINTAIN from 17), as `has_table_privilege` answers.
//!   Column privileges alone do not count.
//! - `max tables tagged T N`: the same, over the inventory objects tagged T.
//!
//! A count over the limit is a violation (E035, W035 for a `warn` rule) — for a superuser too:
//! it has every privilege on every known object. A count within the limit is a proof only if
//! no object the role may have privileges on is unknown. Without a catalog snapshot, the
//! limit cannot be proven (W036) when the role
//! - has (directly or through INHERIT memberships) a bulk grant `… on tables in schema S` and
//!   no table or view of S is known (tables limits);
//! - has the privileges of `pg_read_all_data`, `pg_write_all_data` (or `pg_maintain` from 17),
//!   which cover every schema and table, known or not;
//! - is a superuser.
//!
//! With a catalog snapshot (`--catalog`), the inventory is taken as complete: a schema without
//! objects in the snapshot has none.

mod report;

pub use report::*;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analysis::membership::{Chain, Mode};
use crate::analysis::privileges::{bits, Grounds};
use crate::analysis::rules::seen::{LocalOrigins, Seen};
use crate::analysis::rules::table_bits::{population, schema_bits, set_bits, set_range, single_table, RoleBits};
use crate::diagnostics::Diagnostic;
use crate::model::{Grantee, Object, ObjectGrant, Policy, PolicyRule};
use crate::pg::privilege::public_schema_defaults;
use crate::pg::AclKind;

/// The schema whose tables [`Seen::counted`] is walking: the positions of its tables, its
/// bulk grants (`(first table, grant)`) and the best of them.
#[derive(Clone)]
struct SchemaRun<'g> {
    tables: std::ops::Range<usize>,
    bulk: &'g [(u32, usize)],
    best: Option<usize>,
}

impl<'a> Seen<'a> {
    /// The predefined role with some privilege on every object the limit counts whose
    /// privileges this role has, with the chain to it.
    pub(crate) fn predefined(&self, limit: Limit) -> Option<(&'static str, Chain)> {
        let kind = if limit == Limit::Schemas { AclKind::Schema } else { AclKind::Relation };
        let cell = &self.predefined[usize::from(kind != AclKind::Schema)];
        cell.get_or_init(|| {
            kind.predefined_with_any(self.view.ctx.target_version)
                .into_iter()
                .find_map(|p| self.view.members.answer(self.name(), p, Mode::Usage).map(|via| (p, via)))
        })
        .clone()
    }

    /// `max schemas|tables|tables tagged`: E035/W035 over the limit, W036 when unprovable.
    pub(crate) fn limit(&self, p: &Policy, rule: &PolicyRule, limit: Limit, max: u64) -> Option<Diagnostic> {
        let count = self.count(limit);
        if count as u64 > max {
            let tally = self.counted(limit);
            debug_assert_eq!(tally.count, count);
            return Some(over_limit(&self.origins(), self.superuser, p, rule, &self.facts.role, limit, max, &tally));
        }
        let (why, grant) = self.unknown(limit)?;
        let origins = LocalOrigins {
            grants: grant.into_iter().collect(),
            memberships: self.view.memberships,
            ctx: self.view.ctx,
        };
        Some(unproven(&origins, p, rule, &self.facts.role, limit, max, &why))
    }

    /// How many objects the limit counts for this role.
    pub(crate) fn count(&self, limit: Limit) -> usize {
        let ctx = self.view.ctx;
        match limit {
            Limit::Schemas => {
                if self.superuser || self.predefined(Limit::Schemas).is_some() {
                    return ctx.known_schemas.len();
                }
                // Each role's bits hold the schemas it owns: whoever has its privileges
                // has the owner's.
                let mut acc: Vec<u64> = self.own_bits().schemas.to_vec();
                let mut or = |b: &[u64]| acc.iter_mut().zip(b).for_each(|(a, b)| *a |= b);
                or(&self.view.table_bits.public(ctx).schemas);
                for (bits, _) in self.reached_bits() {
                    or(&bits.schemas);
                }
                if self.builtin_public_schema() {
                    if let Ok(i) = ctx.known_schemas.binary_search_by(|s| s.as_str().cmp("public")) {
                        acc[i / 64] |= 1 << (i % 64);
                    }
                }
                population(&acc)
            }
            Limit::Tables => population(self.all_tables()),
            Limit::Tagged(tag) => match ctx.tagged.get(tag) {
                Some(mask) => self.all_tables().iter().zip(mask).map(|(a, m)| (a & m).count_ones() as usize).sum(),
                None => 0,
            },
        }
    }

    /// The known tables this role has a table privilege on, as a bit set over
    /// [`Context::tables`]: the same for every limit on tables (tags apart), computed once.
    pub(crate) fn all_tables(&self) -> &[u64] {
        self.tables.get_or_init(|| {
            let ctx = self.view.ctx;
            let mut acc = vec![0u64; ctx.tables.len().div_ceil(64)];
            if self.superuser || self.predefined(Limit::Tables).is_some() {
                set_range(&mut acc, 0..ctx.tables.len());
            } else {
                let mut or = |b: &[u64]| acc.iter_mut().zip(b).for_each(|(a, b)| *a |= b);
                or(&self.own_bits().tables);
                or(&self.view.table_bits.public(ctx).tables);
                for bits in self.inherited() {
                    or(&bits.tables);
                }
            }
            acc
        })
    }

    /// The known tables a limit on tables counts for this role, as a bit set over
    /// [`Context::tables`].
    pub(crate) fn counted_tables(&self, limit: Limit) -> Vec<u64> {
        let ctx = self.view.ctx;
        let mut acc = self.all_tables().to_vec();
        if let Limit::Tagged(tag) = limit {
            match ctx.tagged.get(tag) {
                Some(mask) => acc.iter_mut().zip(mask).for_each(|(a, m)| *a &= m),
                None => acc.fill(0),
            }
        }
        acc
    }

    /// The objects counted, with their grounds (as [`limits::counted`] lists them), for a
    /// role over its limit. Grant indexes are those of [`Self::origins`].
    pub(crate) fn counted(&self, limit: Limit) -> Tally {
        let ctx = self.view.ctx;
        let mut tally = Tally::default();
        match limit {
            Limit::Schemas => {
                let mut by_schema: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for (i, (g, _)) in self.grants().iter().enumerate() {
                    if let Object::Schema { name } = &g.object {
                        if schema_bits(&g.privileges, ctx.target_version) != 0 {
                            by_schema.entry(name).or_default().push(i);
                        }
                    }
                }
                for s in &ctx.known_schemas {
                    let covering = by_schema.get(s.as_str()).map(Vec::as_slice).unwrap_or_default();
                    if let Some(g) = self.schema_grounds(s, covering) {
                        tally.add(|| format!("`{s}`"), &g, Some(s));
                    }
                }
            }
            Limit::Tables | Limit::Tagged(_) => {
                // The grants covering each table: by schema (bulk) and by table, as indexes
                // into `self.grants()` (own grants, then each inherited role's, then PUBLIC's).
                // Bulk grants as `(first table of the schema, grant)`, sorted: the grants of a
                // schema are a run, in the order of `self.grants()`.
                let mut bulk: Vec<(u32, usize)> = Vec::new();
                let mut singles: Vec<(usize, usize)> = Vec::new();
                // Bulk grants are numbered among the grants that are not revokes (as
                // `self.grants()` lists them), single-table grants among all of each role's.
                let (mut live_offset, mut offset) = (0, 0);
                for bits in std::iter::once(self.own_bits()).chain(self.inherited()) {
                    bulk.extend(bits.bulk.iter().map(|&(s, k)| (s, live_offset + k)));
                    singles.extend(bits.singles.iter().map(|&(t, k)| (t, offset + k)));
                    live_offset += bits.live;
                    offset += bits.grants;
                }
                bulk.extend(self.view.table_bits.public(ctx).bulk.iter().map(|&(s, k)| (s, live_offset + k)));
                singles.extend(
                    ctx.public
                        .iter()
                        .filter(|g| !g.revoke)
                        .enumerate()
                        .filter_map(|(k, g)| Some((single_table(ctx, g)?, offset + k))),
                );
                bulk.sort_unstable();
                // By table, then grant (both fit in 32 bits): one comparison of integers.
                singles.sort_unstable_by_key(|&(t, i)| ((t as u64) << 32) | i as u64);
                // Tables without a grant of their own share their schema's best grant. Tables
                // are attributed to a grant (or to the predefined role) first, the sources
                // built once per grant. The tables are sorted by schema, so the schema's
                // grants are looked up once per run of its tables, and the single-table grants
                // are walked alongside.
                let mut sources: Vec<(Option<usize>, usize)> = Vec::new();
                let counted = self.counted_tables(limit);
                let mut next_single = 0;
                let mut schema: Option<SchemaRun> = None;
                fn indexes(grants: &[(u32, usize)]) -> impl Iterator<Item = usize> + '_ {
                    grants.iter().map(|&(_, i)| i)
                }
                for t_index in set_bits(&counted) {
                    let t = &ctx.tables[t_index];
                    if tally.names.len() < MAX_NAMED {
                        tally.names.push(format!("`{}.{}`", t.schema, t.name));
                    }
                    tally.count += 1;
                    let source = if self.superuser {
                        None
                    } else {
                        if !schema.as_ref().is_some_and(|s| s.tables.contains(&t_index)) {
                            let tables = ctx.tables_in(&t.schema);
                            let start = tables.start as u32;
                            let run = &bulk[bulk.partition_point(|&(s, _)| s < start)..];
                            let run = &run[..run.partition_point(|&(s, _)| s == start)];
                            schema = Some(SchemaRun { tables, best: self.best_index(indexes(run)), bulk: run });
                        }
                        let SchemaRun { best: schema_best, bulk: run, .. } = schema.clone().expect("set above");
                        while next_single < singles.len() && singles[next_single].0 < t_index {
                            next_single += 1;
                        }
                        let own = singles[next_single..].iter().take_while(|&&(x, _)| x == t_index).map(|&(_, i)| i);
                        if next_single < singles.len() && singles[next_single].0 == t_index {
                            self.best_index(own.chain(indexes(run)))
                        } else {
                            schema_best
                        }
                    };
                    match sources.last_mut() {
                        Some((s, n)) if *s == source => *n += 1,
                        _ => sources.push((source, 1)),
                    }
                }
                // The diagnostic adds up the tables of each source, whatever their order.
                sources.sort_by_key(|&(source, _)| source);
                sources.dedup_by(|(source, n), (kept, total)| {
                    let same = source == kept;
                    if same {
                        *total += *n;
                    }
                    same
                });
                for (source, n) in sources {
                    let source = match source {
                        _ if self.superuser => Source::Superuser,
                        Some(i) => Source::Grant { grant: i, public: self.grants()[i].0.grantee == Grantee::Public },
                        None => match self.predefined(limit) {
                            Some((role, via)) => Source::of(&Grounds::Predefined { role: role.to_string(), via }),
                            None => continue,
                        },
                    };
                    tally.sources.push((source, None, n));
                }
            }
        }
        tally
    }

    /// The best grant among `candidates` (indexes into [`Self::grants`]): the shortest chain,
    /// a grant to PUBLIC only when there is no other.
    pub(crate) fn best_index(&self, candidates: impl Iterator<Item = usize>) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        let mut public = None;
        for i in candidates {
            let (g, depth) = self.grants()[i];
            if g.grantee == Grantee::Public {
                public.get_or_insert(i);
                continue;
            }
            let len = depth;
            if best.is_none_or(|(_, l)| len < l) {
                best = Some((i, len));
            }
        }
        best.map(|(i, _)| i).or(public)
    }

    /// The grounds a grant (index into [`Self::grants`]) gives.
    pub(crate) fn grant_grounds(&self, i: usize) -> Option<Grounds> {
        let (g, _) = self.grants()[i];
        match &g.grantee {
            Grantee::Public => Some(Grounds::Public { grant: i }),
            Grantee::Role(r) => {
                Some(Grounds::Grant { via: self.via(r)?, grant: i, bulk: matches!(g.object, Object::AllIn { .. }) })
            }
        }
    }

    pub(crate) fn best(&self, candidates: impl Iterator<Item = usize>) -> Option<Grounds> {
        self.grant_grounds(self.best_index(candidates)?)
    }

    /// Why the role has USAGE or CREATE on a schema (for a diagnostic); `covering`: the
    /// indexes of the grants on the schema that give one of them.
    pub(crate) fn schema_grounds(&self, schema: &str, covering: &[usize]) -> Option<Grounds> {
        if self.superuser {
            return Some(Grounds::Superuser);
        }
        if let Some((owner, _, _)) = self.view.ctx.schema_owners.get(schema) {
            if let Some(via) = self.via(owner) {
                return Some(Grounds::Owner { owner: owner.clone(), via });
            }
        }
        if let Some(g) = self.best(covering.iter().copied()) {
            return Some(g);
        }
        if let Some((p, via)) = self.predefined(Limit::Schemas) {
            return Some(Grounds::Predefined { role: p.to_string(), via });
        }
        (schema == "public" && self.builtin_public_schema()).then_some(Grounds::BuiltinPublic)
    }

    /// Whether PostgreSQL's built-in USAGE (and CREATE up to 14) on schema `public` is left
    /// to PUBLIC.
    pub(crate) fn builtin_public_schema(&self) -> bool {
        let ctx = self.view.ctx;
        let builtin = bits(public_schema_defaults(ctx.target_version).iter().copied());
        let revoked = ctx
            .public
            .iter()
            .filter(|g| g.revoke && matches!(&g.object, Object::Schema { name } if name == "public"))
            .fold(0, |m, g| m | schema_bits(&g.privileges, ctx.target_version));
        builtin & !revoked != 0
    }

    /// Why the count may miss objects (W036), with the grant a bulk reason names (index 0 of
    /// its origins); `None` when the count is exact.
    pub(crate) fn unknown(&self, limit: Limit) -> Option<(Unknown, Option<&'a ObjectGrant>)> {
        if self.view.ctx.complete_inventory {
            return None;
        }
        if self.superuser {
            return Some((Unknown::Superuser, None));
        }
        if let Some((p, via)) = self.predefined(limit) {
            return Some((Unknown::Predefined { role: p.to_string(), via }, None));
        }
        if limit == Limit::Schemas {
            return None;
        }
        self.unknown_tables
            .get_or_init(|| {
                // The first such grant in source order, among those this role sees (each
                // role's first is found once per chunk).
                let ctx = self.view.ctx;
                let first =
                    |bits: &RoleBits<'a>, grants: &'a [Arc<ObjectGrant>]| Some(&*grants[bits.first_unknown_bulk?]);
                let own = first(self.own_bits(), &self.facts.grants);
                let inherited = self.inherited().filter_map(|bits| first(bits, &bits.facts?.grants));
                let public = first(self.view.table_bits.public(ctx), &ctx.public);
                own.into_iter()
                    .chain(inherited)
                    .chain(public)
                    .min_by_key(|g| (g.origin.file, g.origin.item, g.origin.start))
                    .map(|g| match &g.object {
                        Object::AllIn { schema, .. } => (Unknown::Bulk { schema: schema.clone(), grant: 0 }, Some(g)),
                        _ => unreachable!("first_unknown_bulk finds bulk grants only"),
                    })
            })
            .clone()
    }
}
