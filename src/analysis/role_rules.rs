//! The rules that concern one role at a time, checked role by role so that salsa can reuse
//! the answers of every role an edit does not reach.
//!
//! [`crate::analysis::policy::check`] states the policy rules over the whole model; this
//! module states the same rules (and the per-role lint warnings) for one role, from what that
//! role can see:
//!
//! - its own declaration and the grants made to it ([`RoleFacts`]),
//! - the facts of the roles whose privileges it has (USAGE-mode memberships),
//! - a [`Context`] of the things every role shares: the policies, the inventory, the grants to
//!   PUBLIC, schema owners,
//! - whether it is used by non-grant statements,
//! - the membership analysis of the part of the graph it reaches, and those memberships.
//!
//! Each of these is a separate salsa query (`db::analysis`), extracted from the model and
//! equal from one revision to the next unless the edit touched it: an edit to one user's
//! grants re-runs the checks of that user's chunk of roles only.
//!
//! Limits are counted without asking about every (role, object) pair: each role's own grants
//! become a bit set over the known tables (a bulk grant sets its schema's range) and one over
//! the known schemas, computed once per role and chunk ([`TableBits`]); a role's count is the
//! population of the OR over itself, PUBLIC and the roles whose privileges it has. Only a role
//! over its limit has its objects listed, with the grounds the diagnostic shows.
//! `tests/robustness.rs` checks on generated policies that this module reports exactly what
//! the whole-model rules ([`super::whole_model_diagnostics`]) report.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::limits::{self, Limit, Origins, Tally, Unknown};
use crate::analysis::membership::{Chain, MembershipAnalysis, Mode};
use crate::analysis::policy::{self, Depths};
use crate::analysis::privileges::Grounds;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::catalog::Catalog;
use crate::model::{Grantee, Membership, Model, Object, ObjectGrant, Policy, PolicyScope, Role, Rule, RuleCheck};
use crate::syntax::ast::{AttributeKind, BulkKind, Privilege};
use crate::syntax::{FileId, Span};

/// One role of the policy and the grants made to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleFacts {
    pub role: Arc<Role>,
    pub grants: Vec<Arc<ObjectGrant>>,
}

fn object_hash(o: &Object) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    o.hash(&mut h);
    h.finish()
}

/// Consecutive roles of the model, checked together (one salsa query per chunk keeps the
/// number of queries small; a chunk's roles are usually declared in the same file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleChunk {
    pub roles: Vec<RoleFacts>,
}

impl Drop for RoleChunk {
    fn drop(&mut self) {
        // Old chunks hold the last references to the grants of the previous revision.
        if !self.roles.is_empty() {
            crate::drop_elsewhere::drop_elsewhere(std::mem::take(&mut self.roles));
        }
    }
}

/// How many roles one chunk holds.
pub const CHUNK: usize = 32;

/// A known table or view, for the limits on tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KnownTable {
    pub schema: String,
    pub name: String,
    pub view: bool,
    pub tags: Vec<String>,
}

/// What the per-role rules share, extracted from the model once per revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub target_version: u32,
    pub policies: Vec<Policy>,
    /// A catalog snapshot was given: the inventory is complete.
    pub complete_inventory: bool,
    /// The schemas a `max schemas` limit counts over, sorted.
    pub known_schemas: Vec<String>,
    /// The known tables and views, sorted, each once.
    pub tables: Vec<KnownTable>,
    /// Schemas with at least one known table or view.
    pub schemas_with_tables: BTreeSet<String>,
    /// For each tag a limit names, the known tables with that tag, as a bit set over
    /// [`Self::tables`].
    pub tagged: BTreeMap<String, Vec<u64>>,
    /// Declared schema owners: schema → (owner, index of the schema in the model, origin).
    pub schema_owners: BTreeMap<String, (String, usize, Span)>,
    /// Grants and revokes to PUBLIC.
    pub public: Vec<Arc<ObjectGrant>>,
    /// Files of standard modules (their roles are never unused).
    pub library_files: Vec<FileId>,
}

/// What the context needs of the model's grants, found by whoever holds them (per file, in
/// the database, so that an edit scans the grants of one file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrantFacts {
    /// The schemas the grants name, sorted, each once.
    pub schemas: Vec<String>,
    /// Grants and revokes to PUBLIC, in model order.
    pub public: Vec<Arc<ObjectGrant>>,
}

impl GrantFacts {
    pub fn of<'g>(grants: impl IntoIterator<Item = &'g Arc<ObjectGrant>> + Clone) -> GrantFacts {
        GrantFacts {
            schemas: limits::grant_schemas(grants.clone()),
            public: grants.into_iter().filter(|g| g.grantee == Grantee::Public).cloned().collect(),
        }
    }
}

impl Context {
    pub fn of(model: &Model, target_version: u32, catalog: Option<&Catalog>, library_files: Vec<FileId>) -> Context {
        Context::with(model, target_version, catalog, library_files, GrantFacts::of(&model.grants))
    }

    /// [`Context::of`], with the facts of the model's grants already found.
    pub fn with(
        model: &Model,
        target_version: u32,
        catalog: Option<&Catalog>,
        library_files: Vec<FileId>,
        grants: GrantFacts,
    ) -> Context {
        let mut tables: Vec<KnownTable> = model
            .objects
            .iter()
            .filter_map(|o| match &o.object {
                Object::Table { schema, name } => {
                    Some(KnownTable { schema: schema.clone(), name: name.clone(), view: false, tags: o.tags.clone() })
                }
                Object::View { schema, name } => {
                    Some(KnownTable { schema: schema.clone(), name: name.clone(), view: true, tags: o.tags.clone() })
                }
                _ => None,
            })
            .collect();
        tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        // The first declaration of a name counts (as the inventory order would).
        tables.dedup_by(|b, a| a.schema == b.schema && a.name == b.name);
        let schemas_with_tables = tables.iter().map(|t| t.schema.clone()).collect();
        let tags: BTreeSet<&str> = model
            .policies
            .iter()
            .flat_map(|p| &p.rules)
            .filter_map(|r| match &r.kind {
                RuleCheck::MaxTablesTagged { tag, .. } => Some(tag.as_str()),
                _ => None,
            })
            .collect();
        let tagged = tags
            .into_iter()
            .map(|tag| {
                let mut bits = vec![0u64; tables.len().div_ceil(64)];
                for (i, _) in tables.iter().enumerate().filter(|(_, t)| t.tags.iter().any(|x| x == tag)) {
                    bits[i / 64] |= 1 << (i % 64);
                }
                (tag.to_string(), bits)
            })
            .collect();
        let schema_owners = model
            .schemas
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((s.name.clone(), (s.owner.clone()?, k, s.origin))))
            .collect();
        Context {
            target_version,
            policies: model.policies.clone(),
            complete_inventory: catalog.is_some(),
            known_schemas: limits::known_schemas_with(model, catalog, &grants.schemas).into_iter().collect(),
            tables,
            schemas_with_tables,
            tagged,
            schema_owners,
            public: grants.public,
            library_files,
        }
    }
}

/// The names W040 takes as used, grants apart.
pub fn used_names(model: &Model) -> BTreeSet<String> {
    // Borrowed and hashed first: most names are used many times.
    let mut used: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for m in &model.memberships {
        if m.member != m.role {
            used.insert(&m.role);
        }
        used.insert(&m.member);
    }
    used.extend(used_apart_from_memberships(model));
    used.into_iter().map(str::to_string).collect()
}

/// [`used_names`] but for the members and roles of memberships (who are used).
pub fn used_apart_from_memberships(model: &Model) -> rustc_hash::FxHashSet<&str> {
    let mut used: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for s in &model.schemas {
        used.extend(s.owner.iter().map(String::as_str));
        used.extend(s.creators.iter().map(String::as_str));
    }
    for d in &model.default_privileges {
        used.insert(&d.owner);
        if let (Grantee::Role(r), false) = (&d.grantee, d.revoke) {
            used.insert(r);
        }
    }
    used.extend(model.hba.iter().map(|h| h.role.as_str()));
    for p in &model.policies {
        if let PolicyScope::Names(names) = &p.scope {
            used.extend(names.iter().map(String::as_str));
        }
        for r in &p.rules {
            match &r.kind {
                RuleCheck::Exclusive(names) => used.extend(names.iter().map(|(n, _)| n.as_str())),
                RuleCheck::Forbid { except, .. } => used.extend(except.iter().map(String::as_str)),
                _ => {}
            }
        }
    }
    used
}

/// The roles at `positions` of the model (one chunk, see [`ChunkRanges`]), each with the
/// grants made to it.
pub fn chunk(model: &Model, grants_of: &[Vec<u32>], positions: std::ops::Range<usize>) -> RoleChunk {
    let roles = model.roles.iter().zip(grants_of).skip(positions.start).take(positions.len());
    RoleChunk {
        roles: roles
            .map(|(r, grants)| RoleFacts {
                role: r.clone(),
                grants: grants.iter().map(|&k| model.grants[k as usize].clone()).collect(),
            })
            .collect(),
    }
}

/// The chunks of a model: its roles in declaration order, [`CHUNK`] at a time, a chunk never
/// holding roles of two files, so that adding a role to one file leaves the chunks of the
/// other files as they were (only their positions move).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkRanges {
    /// The position of the first role of each chunk.
    starts: Vec<u32>,
    roles: u32,
}

impl ChunkRanges {
    pub fn of(model: &Model) -> ChunkRanges {
        let mut starts = Vec::new();
        let mut last: Option<(FileId, usize)> = None;
        for (p, role) in model.roles.iter().enumerate() {
            let file = role.origin.file;
            match last {
                Some((f, start)) if f == file && p - start < CHUNK => {}
                _ => {
                    starts.push(p as u32);
                    last = Some((file, p));
                }
            }
        }
        ChunkRanges { starts, roles: model.roles.len() as u32 }
    }

    pub fn count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// The positions of the roles of chunk `c` (empty past the last chunk).
    pub fn range(&self, c: u32) -> std::ops::Range<usize> {
        let Some(&start) = self.starts.get(c as usize) else { return 0..0 };
        let end = self.starts.get(c as usize + 1).copied().unwrap_or(self.roles);
        start as usize..end as usize
    }

    /// `(chunk, position in the chunk)` of the role at position `p`.
    pub fn slot(&self, p: u32) -> (u32, u32) {
        let c = self.starts.partition_point(|&s| s <= p).saturating_sub(1);
        (c as u32, p - self.starts.get(c).copied().unwrap_or(0))
    }
}

/// What the checks of one role read besides its own facts.
pub struct View<'a> {
    pub members: &'a MembershipAnalysis,
    pub ctx: &'a Context,
    /// The facts of another role of the model.
    pub facts: &'a dyn Fn(&str) -> Option<&'a RoleFacts>,
    /// The memberships of the part of the graph the role's chunk reaches (the chains of
    /// `members` number them).
    pub memberships: &'a dyn Fn() -> &'a [Arc<Membership>],
    /// Longest chains, loaded only for `memberships deeper than`.
    pub depths: &'a dyn Fn() -> &'a Depths,
    /// Whether a role is used other than by holding grants (W040): a member, an owner or
    /// creator, the owner or grantee of default privileges (see [`used_names`]).
    pub used: &'a dyn Fn(&str) -> bool,
    /// The known tables each role's own grants cover, computed once per role.
    pub table_bits: TableBits,
    /// The nodes of the roles each `exclusive` rule lists, by policy and rule (computed once).
    pub exclusive_nodes: std::cell::OnceCell<Vec<Vec<Vec<Option<u32>>>>>,
}

/// What the checks of one chunk compute once per role they look at: the known tables and
/// schemas its own grants give a privilege on (bit sets over [`Context::tables`] and
/// [`Context::known_schemas`]; PUBLIC apart), the known tables its single-table grants name,
/// and a hash of each grant's object. Counting a role's tables is then an OR over the roles
/// whose privileges it has, however many grants they hold.
#[derive(Default)]
pub struct TableBits {
    bits: RefCell<FxHashMap<String, Rc<[u64]>>>,
    public: std::cell::OnceCell<Rc<[u64]>>,
    /// The same over [`Context::known_schemas`], for the grants on schemas.
    schemas: RefCell<FxHashMap<String, Rc<[u64]>>>,
    public_schemas: std::cell::OnceCell<Rc<[u64]>>,
    singles: RefCell<FxHashMap<String, Singles>>,
    /// A hash of the object of each of a role's grants, to find grants on the same object.
    hashes: RefCell<FxHashMap<String, Rc<[u64]>>>,
    /// The first (in source order) of a role's bulk grants on tables of a schema without
    /// known tables, as a position among its grants.
    unknown_bulk: RefCell<FxHashMap<String, Option<usize>>>,
    public_unknown_bulk: std::cell::OnceCell<Option<usize>>,
}

/// The positions of the bits set in a bit set, in order.
fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
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

/// `(known table, position of the grant among the role's grants)`, sorted by grant.
type Singles = Rc<[(usize, usize)]>;

impl TableBits {
    fn first_unknown_bulk(&self, ctx: &Context, role: Option<&str>, grants: &[Arc<ObjectGrant>]) -> Option<usize> {
        let compute = || {
            grants
                .iter()
                .enumerate()
                .filter(|(_, g)| !g.revoke && matches!(&g.object, Object::AllIn { kind: BulkKind::Tables, schema } if !ctx.schemas_with_tables.contains(schema)))
                .min_by_key(|(_, g)| (g.origin.file, g.origin.item, g.origin.start))
                .map(|(k, _)| k)
        };
        let Some(r) = role else { return *self.public_unknown_bulk.get_or_init(compute) };
        if let Some(k) = self.unknown_bulk.borrow().get(r) {
            return *k;
        }
        let k = compute();
        self.unknown_bulk.borrow_mut().insert(r.to_string(), k);
        k
    }

    fn object_hashes(&self, role: &str, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        if let Some(h) = self.hashes.borrow().get(role) {
            return h.clone();
        }
        let h: Rc<[u64]> = grants.iter().map(|g| object_hash(&g.object)).collect();
        self.hashes.borrow_mut().insert(role.to_string(), h.clone());
        h
    }

    /// The known tables a role's own single-table grants name: `(table, grant position)`,
    /// computed once per role.
    fn singles(&self, ctx: &Context, role: &str, grants: &[Arc<ObjectGrant>]) -> Singles {
        if let Some(s) = self.singles.borrow().get(role) {
            return s.clone();
        }
        let singles: Singles =
            grants.iter().enumerate().filter_map(|(k, g)| Some((single_table(ctx, g)?, k))).collect();
        self.singles.borrow_mut().insert(role.to_string(), singles.clone());
        singles
    }

    fn of(&self, ctx: &Context, role: Option<&str>, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        match role {
            None => self.public.get_or_init(|| Self::compute(ctx, grants)).clone(),
            Some(r) => {
                if let Some(bits) = self.bits.borrow().get(r) {
                    return bits.clone();
                }
                let bits = Self::compute(ctx, grants);
                self.bits.borrow_mut().insert(r.to_string(), bits.clone());
                bits
            }
        }
    }

    /// The known schemas a role's own grants give USAGE or CREATE on (`None`: PUBLIC).
    fn schemas_of(&self, ctx: &Context, role: Option<&str>, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        let compute = || -> Rc<[u64]> {
            let mut bits = vec![0u64; ctx.known_schemas.len().div_ceil(64)];
            for g in grants.iter().filter(|g| !g.revoke && schema_bits(&g.privileges) != 0) {
                if let Object::Schema { name } = &g.object {
                    if let Ok(i) = ctx.known_schemas.binary_search(name) {
                        bits[i / 64] |= 1 << (i % 64);
                    }
                }
            }
            bits.into()
        };
        match role {
            None => self.public_schemas.get_or_init(compute).clone(),
            Some(r) => {
                if let Some(bits) = self.schemas.borrow().get(r) {
                    return bits.clone();
                }
                let bits = compute();
                self.schemas.borrow_mut().insert(r.to_string(), bits.clone());
                bits
            }
        }
    }

    fn compute(ctx: &Context, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        let mut bits = vec![0u64; ctx.tables.len().div_ceil(64)];
        let mut set = |i: usize| bits[i / 64] |= 1 << (i % 64);
        for g in grants.iter().filter(|g| !g.revoke && relation_bits(&g.privileges, ctx.target_version) != 0) {
            match &g.object {
                Object::AllIn { kind: BulkKind::Tables, schema } => {
                    let start = ctx.tables.partition_point(|t| t.schema < *schema);
                    let end = ctx.tables.partition_point(|t| t.schema <= *schema);
                    (start..end).for_each(&mut set);
                }
                Object::Table { schema, name } | Object::View { schema, name } => {
                    if let Ok(i) = ctx.tables.binary_search_by(|t| {
                        (t.schema.as_str(), t.name.as_str()).cmp(&(schema.as_str(), name.as_str()))
                    }) {
                        set(i);
                    }
                }
                _ => {}
            }
        }
        bits.into()
    }
}

/// Whether the checks of `facts.role` read the membership graph beyond the role itself: a
/// rule in scope that follows memberships (exclusivity, depth, admin rights, limits), or own
/// grants while it reaches (`reaches_grants`) a role that holds grants (W042). When no role of
/// a chunk needs it, the chunk's checks see the role alone, and a long chain costs what its
/// length does, not the n²/2 pairs it reaches.
pub fn needs_reach(ctx: &Context, facts: &RoleFacts, reaches_grants: bool) -> bool {
    let follows_memberships = |rule: &Rule| match rule.kind {
        RuleCheck::Exclusive(_)
        | RuleCheck::MembershipsDeeperThan(_)
        | RuleCheck::MaxAdminRights(_)
        | RuleCheck::MaxSchemas(_)
        | RuleCheck::MaxTables(_)
        | RuleCheck::MaxTablesTagged { .. } => true,
        RuleCheck::Forbid { .. } | RuleCheck::ForbidGrantToPublic { .. } => false,
    };
    let in_scope = ctx.policies.iter().filter(|p| p.scope.contains(&facts.role));
    (reaches_grants && facts.grants.iter().any(|g| !g.revoke))
        || in_scope.flat_map(|p| &p.rules).any(follows_memberships)
}

/// Every diagnostic of the per-role rules for `facts.role`: policy rules (exclusivity,
/// forbidden attributes, admin rights, depth, limits) and lint warnings (unused role, shadowed
/// grants).
pub fn check<'a>(view: &'a View<'a>, facts: &'a RoleFacts) -> Vec<Diagnostic> {
    let role = &facts.role;
    let mut out = Vec::new();
    let seen = Seen::new(view, facts);
    let nodes = view.exclusive_nodes.get_or_init(|| {
        let node = |(name, _): &(String, Span)| view.members.node(name);
        view.ctx
            .policies
            .iter()
            .map(|p| {
                p.rules
                    .iter()
                    .map(|r| {
                        if let RuleCheck::Exclusive(roles) = &r.kind {
                            roles.iter().map(node).collect()
                        } else {
                            Vec::new()
                        }
                    })
                    .collect()
            })
            .collect()
    });
    let me = view.members.node(&role.name);
    let mut rules: Vec<(&Policy, &Rule, &[Option<u32>])> = view
        .ctx
        .policies
        .iter()
        .zip(nodes)
        .filter(|(p, _)| p.scope.contains(role))
        .flat_map(|(p, n)| p.rules.iter().zip(n).map(move |(r, n)| (p, r, n.as_slice())))
        .collect();
    // Rules that fail the build first, so that a pair stated by both is reported as the error.
    rules.sort_by_key(|(_, r, _)| r.warn);
    let mut exclusive_seen: HashSet<(String, String, String)> = HashSet::new();
    for (p, rule, listed) in rules {
        match &rule.kind {
            RuleCheck::Exclusive(roles) => {
                // Most roles reach at most one of the roles: no chains to build then.
                let held = |((name, _), node): (&(String, Span), &Option<u32>)| match (me, node) {
                    _ if *name == role.name => true,
                    (Some(me), Some(g)) => view.members.has_node(me, *g, Mode::Member),
                    _ => false,
                };
                if roles.iter().zip(listed).filter(|&x| held(x)).count() >= 2 {
                    policy::exclusive(
                        (view.memberships)(),
                        view.members,
                        p,
                        rule,
                        role,
                        roles,
                        &mut exclusive_seen,
                        &mut out,
                    );
                }
            }
            RuleCheck::Forbid { attribute, on, except } => {
                if !except.contains(&role.name)
                    && role.attributes.get(attribute).copied().unwrap_or(*attribute == AttributeKind::Inherit) == *on
                {
                    out.push(policy::forbidden_attribute(p, rule, role, *attribute, *on));
                }
            }
            RuleCheck::ForbidGrantToPublic { .. } => {}
            RuleCheck::MaxAdminRights(max) => {
                let origins = seen.origins();
                let rights = policy::admin_rights_of(
                    role,
                    (origins.memberships)().iter().map(|m| &**m).enumerate(),
                    origins.grants.iter().copied().enumerate(),
                );
                if rights.count() as u64 > *max {
                    out.push(policy::too_many_admin_rights(&origins, p, rule, role, &rights, *max));
                }
            }
            RuleCheck::MembershipsDeeperThan(max) => {
                let memberships = (view.memberships)();
                let chain = (view.depths)().longest_chain(memberships, &role.name);
                if chain.len() as u64 > *max {
                    out.push(policy::deep_memberships(memberships, p, rule, role, &chain, *max));
                }
            }
            RuleCheck::MaxSchemas(_) | RuleCheck::MaxTables(_) | RuleCheck::MaxTablesTagged { .. } => {
                let Some((limit, max)) = Limit::of(&rule.kind) else { continue };
                out.extend(seen.limit(p, rule, limit, max));
            }
        }
    }
    out.extend(seen.unused());
    out.extend(seen.shadowed());
    out
}

/// The grants one role sees: its own, those of the roles whose privileges it has, and those
/// to PUBLIC, with the length of the chain to each grantee.
struct Seen<'a> {
    view: &'a View<'a>,
    facts: &'a RoleFacts,
    superuser: bool,
    /// `(grant, chain length)`; PUBLIC's grants come last, with the length `usize::MAX`.
    /// Gathered only for the checks that list grants (most roles need none).
    grants: OnceCell<Vec<(&'a ObjectGrant, usize)>>,
    /// Chains (USAGE mode) to the roles asked about so far.
    chains: RefCell<FxHashMap<String, Option<Chain>>>,
    /// [`Seen::all_tables`], computed once.
    tables: OnceCell<Vec<u64>>,
}

/// The grants and memberships a role's diagnostics name, numbered locally.
struct LocalOrigins<'a> {
    grants: Vec<&'a ObjectGrant>,
    memberships: &'a dyn Fn() -> &'a [Arc<Membership>],
    ctx: &'a Context,
}

impl Origins for LocalOrigins<'_> {
    fn grant(&self, index: usize) -> &ObjectGrant {
        self.grants[index]
    }
    fn membership(&self, index: usize) -> &Membership {
        &(self.memberships)()[index]
    }
    fn schema(&self, name: &str) -> Option<(usize, Span)> {
        self.ctx.schema_owners.get(name).map(|(_, k, origin)| (*k, *origin))
    }
}

/// The known table a grant on one table or view names, if it gives a table privilege.
fn single_table(ctx: &Context, g: &ObjectGrant) -> Option<usize> {
    match &g.object {
        Object::Table { schema, name } | Object::View { schema, name }
            if !g.revoke && relation_bits(&g.privileges, ctx.target_version) != 0 =>
        {
            ctx.tables
                .binary_search_by(|t| (t.schema.as_str(), t.name.as_str()).cmp(&(schema.as_str(), name.as_str())))
                .ok()
        }
        _ => None,
    }
}

const fn bit(p: Privilege) -> u16 {
    1 << (p as u16)
}

/// The privileges of a grant that fit a relation, as a bit set (MAINTAIN from 17).
fn relation_bits(privileges: &[Privilege], version: u32) -> u16 {
    let fitting = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
        Privilege::Maintain,
    ]
    .into_iter()
    .filter(|p| *p != Privilege::Maintain || version >= 17)
    .fold(0, |m, p| m | bit(p));
    privileges.iter().fold(0, |m, &p| m | if p == Privilege::All { fitting } else { bit(p) & fitting })
}

fn schema_bits(privileges: &[Privilege]) -> u16 {
    let fitting = bit(Privilege::Usage) | bit(Privilege::Create);
    privileges.iter().fold(0, |m, &p| m | if p == Privilege::All { fitting } else { bit(p) & fitting })
}

impl<'a> Seen<'a> {
    fn new(view: &'a View<'a>, facts: &'a RoleFacts) -> Seen<'a> {
        Seen {
            view,
            facts,
            superuser: view.members.is_superuser(&facts.role.name),
            grants: OnceCell::new(),
            chains: RefCell::default(),
            tables: OnceCell::new(),
        }
    }

    /// The grants this role sees, each with the length of the chain to its grantee: its own
    /// (0), those of the roles whose privileges it has, PUBLIC's (`usize::MAX`).
    fn grants(&self) -> &[(&'a ObjectGrant, usize)] {
        self.grants.get_or_init(|| {
            let view = self.view;
            let mut grants: Vec<(&ObjectGrant, usize)> =
                self.facts.grants.iter().filter(|g| !g.revoke).map(|g| (&**g, 0)).collect();
            let name = self.facts.role.name.as_str();
            for (r, len) in view.members.granted_roles_with_len(name, Mode::Usage) {
                if let Some(f) = (view.facts)(r) {
                    grants.extend(f.grants.iter().filter(|g| !g.revoke).map(|g| (&**g, len)));
                }
            }
            grants.extend(view.ctx.public.iter().filter(|g| !g.revoke).map(|g| (&**g, usize::MAX)));
            grants
        })
    }

    /// The facts of the roles whose privileges this role has.
    fn inherited(&self) -> impl Iterator<Item = &'a RoleFacts> + '_ {
        self.view.members.granted_roles(&self.facts.role.name, Mode::Usage).filter_map(|r| (self.view.facts)(r))
    }

    fn name(&self) -> &str {
        &self.facts.role.name
    }

    /// The chain (USAGE mode) from this role to a role, computed once per role asked about.
    fn via(&self, granted: &str) -> Option<Chain> {
        if let Some(c) = self.chains.borrow().get(granted) {
            return c.clone();
        }
        let c = self.view.members.answer(self.name(), granted, Mode::Usage);
        self.chains.borrow_mut().insert(granted.to_string(), c.clone());
        c
    }

    fn origins(&self) -> LocalOrigins<'a> {
        LocalOrigins {
            grants: self.grants().iter().map(|(g, _)| *g).collect(),
            memberships: self.view.memberships,
            ctx: self.view.ctx,
        }
    }

    fn predefined(&self, limit: Limit) -> Option<(&'static str, Chain)> {
        let mut roles = vec!["pg_read_all_data", "pg_write_all_data"];
        if limit != Limit::Schemas && self.view.ctx.target_version >= 17 {
            roles.push("pg_maintain");
        }
        roles.into_iter().find_map(|p| self.view.members.answer(self.name(), p, Mode::Usage).map(|via| (p, via)))
    }

    /// `max schemas|tables|tables tagged`: E035/W035 over the limit, W036 when unprovable.
    fn limit(&self, p: &Policy, rule: &Rule, limit: Limit, max: u64) -> Option<Diagnostic> {
        let count = self.count(limit);
        if count as u64 > max {
            let tally = self.counted(limit);
            debug_assert_eq!(tally.count, count);
            return Some(limits::over_limit(
                &self.origins(),
                self.superuser,
                p,
                rule,
                &self.facts.role,
                limit,
                max,
                &tally,
            ));
        }
        let (why, grant) = self.unknown(limit)?;
        let origins = LocalOrigins {
            grants: grant.into_iter().collect(),
            memberships: self.view.memberships,
            ctx: self.view.ctx,
        };
        Some(limits::unproven(&origins, p, rule, &self.facts.role, limit, max, &why))
    }

    /// How many objects the limit counts for this role.
    fn count(&self, limit: Limit) -> usize {
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
                for (i, s) in ctx.known_schemas.iter().enumerate() {
                    if ctx
                        .schema_owners
                        .get(s.as_str())
                        .is_some_and(|(owner, ..)| self.view.members.has(self.name(), owner, Mode::Usage))
                    {
                        set(i);
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
    fn all_tables(&self) -> Vec<u64> {
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
    fn counted_tables(&self, limit: Limit) -> Vec<u64> {
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
    fn counted(&self, limit: Limit) -> Tally {
        let ctx = self.view.ctx;
        let mut tally = Tally::default();
        match limit {
            Limit::Schemas => {
                let mut by_schema: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for (i, (g, _)) in self.grants().iter().enumerate() {
                    if let Object::Schema { name } = &g.object {
                        if schema_bits(&g.privileges) != 0 {
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
                    if tally.names.len() < limits::MAX_NAMED {
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
    fn best_index(&self, candidates: impl Iterator<Item = usize>) -> Option<usize> {
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
    fn grant_grounds(&self, i: usize) -> Option<Grounds> {
        let (g, _) = self.grants()[i];
        match &g.grantee {
            Grantee::Public => Some(Grounds::Public { grant: i }),
            Grantee::Role(r) => {
                Some(Grounds::Grant { via: self.via(r)?, grant: i, bulk: matches!(g.object, Object::AllIn { .. }) })
            }
        }
    }

    fn best(&self, candidates: impl Iterator<Item = usize>) -> Option<Grounds> {
        self.grant_grounds(self.best_index(candidates)?)
    }

    /// Why the role has USAGE or CREATE on a schema (for a diagnostic); `covering`: the
    /// indexes of the grants on the schema that give one of them.
    fn schema_grounds(&self, schema: &str, covering: &[usize]) -> Option<Grounds> {
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
    fn builtin_public_schema(&self) -> bool {
        let ctx = self.view.ctx;
        let builtin = bit(Privilege::Usage) | if ctx.target_version <= 14 { bit(Privilege::Create) } else { 0 };
        let revoked = ctx
            .public
            .iter()
            .filter(|g| g.revoke && matches!(&g.object, Object::Schema { name } if name == "public"))
            .fold(0, |m, g| m | schema_bits(&g.privileges));
        builtin & !revoked != 0
    }

    /// Why the count may miss objects (W036), with the grant a bulk reason names (index 0 of
    /// its origins); `None` when the count is exact.
    fn unknown(&self, limit: Limit) -> Option<(Unknown, Option<&'a ObjectGrant>)> {
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

    /// W040: a group role nobody is a member of and that holds nothing.
    fn unused(&self) -> Option<Diagnostic> {
        let role = &self.facts.role;
        let ctx = self.view.ctx;
        if role.is_user
            || role.attribute(AttributeKind::Login)
            || (self.view.used)(&role.name)
            || ctx.library_files.contains(&role.origin.file)
            || self.facts.grants.iter().any(|g| !g.revoke)
        {
            return None;
        }
        Some(
            Diagnostic::new(
                Code::UnusedRole,
                role.origin,
                format!("role `{}` is not used: no role is a member of it", role.name),
            )
            .label("declared here")
            .help(format!(
                "it holds no privileges and no roles either: add `member of {}` to a role or user, or remove it",
                role.name
            )),
        )
    }

    /// W042: direct grants that a role whose privileges this role has already gives.
    fn shadowed(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let own: Vec<&ObjectGrant> = self.facts.grants.iter().filter(|g| !g.revoke).map(|g| &**g).collect();
        if own.is_empty() {
            return out;
        }
        let x = self.name();
        let cache = &self.view.table_bits;
        let mut hashes: Vec<u64> = own.iter().map(|g| object_hash(&g.object)).collect();
        hashes.sort_unstable();
        // Inherited grants on the objects of the direct ones, in source order.
        let mut inherited: Vec<&ObjectGrant> = self
            .inherited()
            .flat_map(|f| {
                let h = cache.object_hashes(&f.role.name, &f.grants);
                f.grants.iter().zip((0..h.len()).map(move |i| h[i]))
            })
            .filter(|(h, hash)| {
                !h.revoke && hashes.binary_search(hash).is_ok() && own.iter().any(|g| g.object == h.object)
            })
            .map(|(h, _)| &**h)
            .collect();
        inherited.sort_by_key(|h| (h.origin.file, h.origin.item, h.origin.start));
        for g in own {
            for h in inherited.iter().filter(|h| h.object == g.object) {
                let Grantee::Role(r) = &h.grantee else { continue };
                if r == x || (g.grant_option && !h.grant_option) {
                    continue;
                }
                let shadowed = crate::analysis::lint::covered(&g.privileges, &h.privileges);
                if shadowed.len() < g.privileges.len() {
                    continue;
                }
                let Some(Chain::Memberships(steps)) = self.view.members.answer(x, r, Mode::Usage) else { continue };
                out.push(crate::analysis::lint::shadowed_diagnostic(g, h, x, r, &shadowed, &steps));
                break;
            }
        }
        out
    }
}
