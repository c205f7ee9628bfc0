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

use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::analysis::membership::{Chain, Mode};
use crate::analysis::privileges::{bits, Grounds};
use crate::analysis::rules::seen::{LocalOrigins, Seen};
use crate::analysis::rules::table_bits::{relation_bits, schema_bits, set_bits, single_table};
use crate::diagnostics::Diagnostic;
use crate::model::{Grantee, Object, ObjectGrant, Policy, PolicyRule};
use crate::pg::privilege::public_schema_defaults;
use crate::pg::AclKind;
use crate::syntax::ast::BulkKind;

impl<'a> Seen<'a> {
    pub(crate) fn predefined(&self, limit: Limit) -> Option<(&'static str, Chain)> {
        // The predefined roles with some privilege on every object of the kind counted.
        let kind = if limit == Limit::Schemas { AclKind::Schema } else { AclKind::Relation };
        kind.predefined_with_any(self.view.ctx.target_version)
            .into_iter()
            .find_map(|p| self.view.members.answer(self.name(), p, Mode::Usage).map(|via| (p, via)))
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
                let cache = &self.view.table_bits;
                let mut acc: Vec<u64> = cache.schemas_of(ctx, Some(self.name()), &self.facts.grants).to_vec();
                let mut or = |b: &[u64]| acc.iter_mut().zip(b).for_each(|(a, b)| *a |= b);
                or(&cache.schemas_of(ctx, None, &ctx.public));
                for f in self.inherited() {
                    or(&cache.schemas_of(ctx, Some(&f.role.name), &f.grants));
                }
                let mut set = |i: usize| acc[i / 64] |= 1 << (i % 64);
                if self.builtin_public_schema() {
                    if let Ok(i) = ctx.known_schemas.binary_search_by(|s| s.as_str().cmp("public")) {
                        set(i);
                    }
                }
                for (owner, owned) in &ctx.owned_schemas {
                    if self.view.members.has(self.name(), owner, Mode::Usage) {
                        acc.iter_mut().zip(owned).for_each(|(a, b)| *a |= b);
                    }
                }
                acc.iter().map(|b| b.count_ones() as usize).sum()
            }
            Limit::Tables | Limit::Tagged(_) => {
                self.counted_tables(limit).iter().map(|b| b.count_ones() as usize).sum()
            }
        }
    }

    /// The known tables this role has a table privilege on, as a bit set over
    /// [`Context::tables`]: the same for every limit on tables (tags apart).
    pub(crate) fn all_tables(&self) -> Vec<u64> {
        let ctx = self.view.ctx;
        let words = ctx.tables.len().div_ceil(64);
        let mut acc = vec![0u64; words];
        if self.superuser || self.predefined(Limit::Tables).is_some() {
            for i in 0..ctx.tables.len() {
                acc[i / 64] |= 1 << (i % 64);
            }
        } else {
            let bits = &self.view.table_bits;
            let mut or = |b: &[u64]| acc.iter_mut().zip(b).for_each(|(a, b)| *a |= b);
            or(&bits.of(ctx, Some(self.name()), &self.facts.grants));
            or(&bits.of(ctx, None, &ctx.public));
            for r in self.view.members.granted_roles(self.name(), Mode::Usage) {
                if let Some(f) = (self.view.facts)(r) {
                    or(&bits.of(ctx, Some(r), &f.grants));
                }
            }
        }
        acc
    }

    /// The known tables a limit on tables counts for this role, as a bit set over
    /// [`Context::tables`].
    pub(crate) fn counted_tables(&self, limit: Limit) -> Vec<u64> {
        let ctx = self.view.ctx;
        let mut acc = self.tables.get_or_init(|| self.all_tables()).clone();
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
                let version = ctx.target_version;
                let mut by_schema: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for (i, (g, _)) in self.grants().iter().enumerate() {
                    if let Object::AllIn { kind: BulkKind::Tables, schema } = &g.object {
                        if relation_bits(&g.privileges, version) != 0 {
                            by_schema.entry(schema).or_default().push(i);
                        }
                    }
                }
                let mut singles: Vec<(usize, usize)> = Vec::new();
                let mut offset = 0;
                for f in std::iter::once(self.facts).chain(self.inherited()) {
                    singles.extend(
                        self.view
                            .table_bits
                            .singles(ctx, &f.role.name, &f.grants)
                            .iter()
                            .map(|&(t, k)| (t, offset + k)),
                    );
                    offset += f.grants.len();
                }
                singles.extend(
                    ctx.public
                        .iter()
                        .filter(|g| !g.revoke)
                        .enumerate()
                        .filter_map(|(k, g)| Some((single_table(ctx, g)?, offset + k))),
                );
                singles.sort_unstable();
                // Tables without a grant of their own share their schema's best grant. Tables
                // are attributed to a grant (or to the predefined role) first; the grounds,
                // with their chains, are built once per grant. The tables are sorted by
                // schema, so the schema's grants are looked up once per run of its tables,
                // and the single-table grants are walked alongside.
                let mut sources: Vec<(Option<usize>, usize)> = Vec::new();
                let counted = self.counted_tables(limit);
                let mut next_single = 0;
                let mut schema: Option<(&str, Option<usize>, &[usize])> = None;
                for t_index in set_bits(&counted) {
                    let t = &ctx.tables[t_index];
                    if tally.names.len() < MAX_NAMED {
                        tally.names.push(format!("`{}.{}`", t.schema, t.name));
                    }
                    tally.count += 1;
                    let source = if self.superuser {
                        None
                    } else {
                        if schema.is_none_or(|(s, ..)| s != t.schema) {
                            let bulk = by_schema.get(t.schema.as_str()).map(Vec::as_slice).unwrap_or_default();
                            schema = Some((t.schema.as_str(), self.best_index(bulk.iter().copied()), bulk));
                        }
                        let (_, schema_best, bulk) = schema.expect("set above");
                        while next_single < singles.len() && singles[next_single].0 < t_index {
                            next_single += 1;
                        }
                        let own = singles[next_single..].iter().take_while(|&&(x, _)| x == t_index).map(|&(_, i)| i);
                        if next_single < singles.len() && singles[next_single].0 == t_index {
                            self.best_index(own.chain(bulk.iter().copied()))
                        } else {
                            schema_best
                        }
                    };
                    match sources.last_mut() {
                        Some((s, n)) if *s == source => *n += 1,
                        _ => sources.push((source, 1)),
                    }
                }
                let predefined = OnceCell::new();
                for (source, n) in sources {
                    let grounds = match source {
                        _ if self.superuser => Some(Grounds::Superuser),
                        Some(i) => self.grant_grounds(i),
                        None => predefined
                            .get_or_init(|| {
                                self.predefined(limit).map(|(p, via)| Grounds::Predefined { role: p.to_string(), via })
                            })
                            .clone(),
                    };
                    if let Some(g) = grounds {
                        tally.grounds.push((g, None, n));
                    }
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
        // The first such grant in source order, among those this role sees (each role's
        // first is found once per chunk).
        let ctx = self.view.ctx;
        let cache = &self.view.table_bits;
        let own = std::iter::once(self.facts)
            .chain(self.inherited())
            .filter_map(|f| Some(&*f.grants[cache.first_unknown_bulk(ctx, Some(&f.role.name), &f.grants)?]));
        let public = cache.first_unknown_bulk(ctx, None, &ctx.public).map(|k| &*ctx.public[k]);
        own.chain(public).min_by_key(|g| (g.origin.file, g.origin.item, g.origin.start)).map(|g| match &g.object {
            Object::AllIn { schema, .. } => (Unknown::Bulk { schema: schema.clone(), grant: 0 }, Some(g)),
            _ => unreachable!("first_unknown_bulk finds bulk grants only"),
        })
    }
}
