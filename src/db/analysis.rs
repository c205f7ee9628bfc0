//! The analysis as salsa queries, cut so that an edit re-runs only what it reaches.
//!
//! ```text
//! resolved ─┬─ role_nodes, memberships ── membership_graph ─┬─ graph_shape (no names) ─┬─ used_nodes
//!           │                                               └─ other_node_names        └─ memberships_by_chunk
//!           ├─ chunk_role_names(c), used_apart_from_memberships ── chunk_used(c)
//!           │      graph_shape, chunk_role_names, other_node_names, chunk_memberships(c), chunk_used(c) ── chunk_view(c) ─┐
//!           ├─ rule_context (policies, inventory; per file: file_grant_facts) ──────────────────────────────────────────────┤
//!           ├─ grants_by_role ── role_chunk(c) ─────────────────────────────────────────────────────────────────────────────┴─ chunk_diagnostics(c)
//!           └───────────────────────────────────────────────────────────────────────────────────────────────────────────────── analysis_diagnostics
//! ```
//!
//! `resolved` changes with every edit that means something, but the extracted queries compare
//! equal when the part they extract did not change, and salsa then reuses what depends on
//! them. An edit to one user's grants changes one `role_chunk`, so one `chunk_diagnostics`
//! re-runs; the membership graph is not even built again. A chunk sees the membership graph
//! through its `chunk_view`, the part its roles reach, built from the graph's shape and the
//! names and memberships of the chunks reached: renaming a user leaves the shape equal and
//! changes the names of one chunk, so one view is built again; editing a user's memberships
//! changes the shape, so every view is built again, but only that user's chunk's differs.
//! The analysis of the whole graph ([`membership_analysis`]) is left to the commands and
//! hovers that ask about any role. [`analyze_in_parallel`] computes the parts on every core.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use sha2::Digest as _;

use super::{resolved, PolicyInput, SourceFile};
use crate::analysis::membership::{GraphShape, MembershipAnalysis, MembershipGraph, RoleNode};
use crate::analysis::rules::depth::Depths;
use crate::analysis::rules::{self as role_rules, ChunkRanges, Context, GrantFacts, RoleChunk, RoleFacts, View};
use crate::diagnostics::Diagnostic;
use crate::model::{Grantee, Membership};
use crate::syntax::FileId;

/// The roles as the membership graph sees them, and the external roles: equal across edits
/// that leave role names and the SUPERUSER and INHERIT attributes alone.
#[salsa::tracked]
pub fn role_nodes(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<(Vec<RoleNode>, Vec<String>)> {
    let model = &resolved(db, policy).model;
    Arc::new((model.roles.iter().map(|r| RoleNode::of(r)).collect(), model.external_roles.clone()))
}

/// The membership graph without positions, from [`role_nodes`] and [`memberships`]: not even
/// built again after an edit that leaves both equal (a grant edited, say).
#[salsa::tracked]
pub fn membership_graph(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<MembershipGraph> {
    let (roles, external) = &**role_nodes(db, policy);
    Arc::new(MembershipGraph::from_parts(roles, external, memberships(db, policy), policy.options(db).target_version))
}

/// Who reaches whom through memberships (`pg_has_role` for every pair of roles), for the
/// target version.
#[salsa::tracked]
pub fn membership_analysis(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<MembershipAnalysis> {
    Arc::new(crate::analysis::membership::reach_graph(membership_graph(db, policy)))
}

/// The model's memberships, with their positions (for the chains diagnostics show).
#[salsa::tracked]
pub fn memberships(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<Arc<Membership>>> {
    Arc::new(resolved(db, policy).model.memberships.clone())
}

/// The names W040 takes as used other than as the member or role of a membership (owners,
/// grantees of default privileges, names policies list): few, and rarely edited.
#[salsa::tracked]
pub fn used_apart_from_memberships(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<BTreeSet<String>> {
    Arc::new(
        crate::analysis::lint::unused_role::used_apart_from_memberships(&resolved(db, policy).model)
            .into_iter()
            .map(str::to_string)
            .collect(),
    )
}

/// The nodes of the membership graph that W040 takes as used for their memberships: every
/// member, and every role with a member other than itself. From the graph's shape, so the same
/// after a rename.
#[salsa::tracked]
pub fn used_nodes(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<bool>> {
    Arc::new(graph_shape(db, policy).used_nodes())
}

/// Where the chunks of roles are ([`ChunkRanges`]).
#[salsa::tracked]
pub fn chunk_ranges(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<ChunkRanges> {
    Arc::new(ChunkRanges::of(&resolved(db, policy).model))
}

/// How many chunks of roles the model has.
#[salsa::tracked]
pub fn chunk_count(db: &dyn salsa::Database, policy: PolicyInput) -> u32 {
    chunk_ranges(db, policy).count()
}

/// The membership graph without names ([`GraphShape`]): the same after a rename.
#[salsa::tracked]
pub fn graph_shape(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<GraphShape> {
    Arc::new(membership_graph(db, policy).shape().clone())
}

/// Per role of the model: whether it is granted something (a grant that is not a revoke).
/// Kept apart from [`nodes_reaching_grants`] so that an edit of a grant's privileges, which
/// leaves this list equal, does not walk the graph again.
#[salsa::tracked]
pub fn roles_holding_grants(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<bool>> {
    let (model, grants) = (&resolved(db, policy).model, grants_by_role(db, policy));
    Arc::new(grants.iter().map(|of_role| of_role.iter().any(|&k| !model.grants[k as usize].revoke)).collect())
}

/// Per node of the graph's shape: whether it reaches, by one membership or more, a role that
/// holds a grant (see [`role_rules::needs_reach`]).
#[salsa::tracked]
pub fn nodes_reaching_grants(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<bool>> {
    let (shape, holding) = (graph_shape(db, policy), roles_holding_grants(db, policy));
    let mut holds = vec![false; shape.node_count()];
    for (node, &holds_grant) in shape.role_nodes(0..holding.len()).into_iter().zip(holding.iter()) {
        holds[node as usize] |= holds_grant;
    }
    Arc::new(shape.reaching_marked(&holds))
}

/// Whether the checks of a chunk read the part of the graph its roles reach, or only its
/// roles (see [`role_rules::needs_reach`]).
#[salsa::tracked]
pub fn chunk_needs_reach(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> bool {
    let (ctx, own) = (rule_context(db, policy), role_chunk(db, policy, chunk));
    let nodes = graph_shape(db, policy).role_nodes(chunk_ranges(db, policy).range(chunk));
    let reaching = nodes_reaching_grants(db, policy);
    own.roles.iter().zip(nodes).any(|(f, n)| role_rules::needs_reach(ctx, f, reaching[n as usize]))
}

/// The names of the graph's nodes that are not the model's roles (external roles, names
/// only memberships target), by node.
#[salsa::tracked]
pub fn other_node_names(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<(u32, String)>> {
    let graph = membership_graph(db, policy);
    let shape = graph.shape();
    Arc::new(
        graph
            .names()
            .iter()
            .enumerate()
            .filter(|(n, _)| shape.first_role(*n as u32).is_none())
            .map(|(n, name)| (n as u32, name.clone()))
            .collect(),
    )
}

/// The names of the model's roles of one chunk, by position.
#[salsa::tracked]
pub fn chunk_role_names(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> Arc<Vec<String>> {
    let roles = &resolved(db, policy).model.roles;
    Arc::new(roles[chunk_ranges(db, policy).range(chunk)].iter().map(|r| r.name.clone()).collect())
}

/// Memberships with their model indexes, in model order.
pub type ChunkMemberships = Vec<(u32, Arc<Membership>)>;

/// The model's memberships with their model indexes, by the chunk of their member (where a
/// role of its name first is); the last list: those whose member is not one of the model's
/// roles.
#[salsa::tracked]
pub fn memberships_by_chunk(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<Arc<ChunkMemberships>>> {
    let (shape, ranges) = (graph_shape(db, policy), chunk_ranges(db, policy));
    let chunks = ranges.count() as usize;
    let mut by_chunk: Vec<ChunkMemberships> = vec![Vec::new(); chunks + 1];
    for (k, m) in memberships(db, policy).iter().enumerate() {
        by_chunk[member_chunk(shape, ranges, k as u32) as usize].push((k as u32, m.clone()));
    }
    Arc::new(by_chunk.into_iter().map(Arc::new).collect())
}

/// The list of [`memberships_by_chunk`] membership `k` is in: the chunk of its member, or the
/// last list.
fn member_chunk(shape: &GraphShape, ranges: &ChunkRanges, k: u32) -> u32 {
    shape.first_role(shape.member(k)).map_or(ranges.count(), |p| ranges.slot(p).0)
}

/// One list of [`memberships_by_chunk`]: equal while no membership of those members changes.
#[salsa::tracked]
pub fn chunk_memberships(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> Arc<ChunkMemberships> {
    memberships_by_chunk(db, policy).get(chunk as usize).cloned().unwrap_or_default()
}

/// The roles of one chunk that W040 takes as used ([`role_rules::used_names`]).
#[salsa::tracked]
pub fn chunk_used(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> Arc<Vec<String>> {
    let (shape, nodes, others) =
        (graph_shape(db, policy), used_nodes(db, policy), used_apart_from_memberships(db, policy));
    let names = chunk_role_names(db, policy, chunk);
    let used = names
        .iter()
        .zip(shape.role_nodes(chunk_ranges(db, policy).range(chunk)))
        .filter(|(name, node)| nodes[*node as usize] || others.contains(*name));
    Arc::new(used.map(|(name, _)| name.clone()).collect())
}

/// What the checks of one chunk can see of the memberships: the part of the graph its roles
/// reach ([`GraphShape::reached`]), made by [`ChunkView::part`] when the checks run. The view
/// holds what the part is made from (the graph's shape, and the names and memberships of the
/// chunks reached, all shared with the other views) and a digest of the part, not the part:
/// on a long chain each chunk reaches most of the graph, and a part kept per chunk would take
/// memory in n² / CHUNK. Built from the graph's shape and from the names and memberships of
/// the chunks reached, so that it is not built again after a rename or a membership edit
/// elsewhere; and equal (same digest) after such an edit in a chunk it reaches but not this
/// far, so that the chunk's checks are not run again.
#[derive(Debug)]
pub struct ChunkView {
    chunk: u32,
    /// Whether the checks read the part reached ([`chunk_needs_reach`]); if not, the part is
    /// the chunk's roles and their own memberships.
    needs_reach: bool,
    shape: Arc<GraphShape>,
    ranges: Arc<ChunkRanges>,
    /// The names of the model's roles of each chunk reached.
    names: FxHashMap<u32, Arc<Vec<String>>>,
    /// The names of the other nodes, when one is reached.
    others: Option<Arc<Vec<(u32, String)>>>,
    /// The memberships of each chunk (or the last list of [`memberships_by_chunk`]) reached.
    lists: FxHashMap<u32, Arc<ChunkMemberships>>,
    /// The chunk's roles that are used.
    pub used: Vec<String>,
    /// SHA-256 of the part.
    digest: [u8; 32],
}

/// Views are equal when the parts they make are.
impl PartialEq for ChunkView {
    fn eq(&self, other: &ChunkView) -> bool {
        (self.chunk, self.needs_reach, &self.digest, &self.used)
            == (other.chunk, other.needs_reach, &other.digest, &other.used)
    }
}

impl Eq for ChunkView {}

/// The part of the membership graph a chunk's roles reach (see [`ChunkView`]).
pub struct ChunkPart {
    /// Its roots are the chunk's roles.
    pub graph: MembershipGraph,
    /// The memberships of the part of the graph, in model order (the chains' indexes).
    pub memberships: Vec<Arc<Membership>>,
    /// Where the roles reached are: `(chunk, position in the chunk)`.
    pub slots: FxHashMap<String, (u32, u32)>,
}

impl ChunkView {
    /// The part of the graph the chunk's roles reach, in time and memory proportional to it.
    pub fn part(&self) -> ChunkPart {
        let (shape, ranges) = (&self.shape, &self.ranges);
        let roots = shape.role_nodes(ranges.range(self.chunk));
        let (nodes, kept) = reached(shape, &roots, self.needs_reach);
        let mut slots = FxHashMap::default();
        let names: Vec<String> = nodes
            .iter()
            .map(|&n| match shape.first_role(n) {
                Some(p) => {
                    let (c, i) = ranges.slot(p);
                    let name = self.names[&c][i as usize].clone();
                    slots.insert(name.clone(), (c, i));
                    name
                }
                None => {
                    let others = self.others.as_deref().expect("the other names of a node reached");
                    others.binary_search_by_key(&n, |(node, _)| *node).map(|i| others[i].1.clone()).unwrap_or_default()
                }
            })
            .collect();
        let memberships = kept
            .iter()
            .map(|&k| {
                let list = &self.lists[&member_chunk(shape, ranges, k)];
                let i =
                    list.binary_search_by_key(&k, |(i, _)| *i).expect("a membership is listed in its member's chunk");
                list[i].1.clone()
            })
            .collect();
        ChunkPart { graph: shape.part(&nodes, &kept, &roots, names), memberships, slots }
    }
}

impl ChunkPart {
    /// SHA-256 of everything the checks can see of the part.
    fn digest(&self) -> [u8; 32] {
        use std::hash::Hash;
        let mut sha = Sha(sha2::Sha256::default());
        self.graph.hash(&mut sha);
        for m in &self.memberships {
            let Membership { role, member, admin, inherit, set, from, until, active, duration, reason, origin } = &**m;
            (role, member, admin, inherit, set, from, until, active, duration, reason, origin).hash(&mut sha);
        }
        for name in self.graph.names() {
            self.slots.get(name).hash(&mut sha);
        }
        sha.0.finalize().into()
    }
}

/// A [`std::hash::Hasher`] that feeds SHA-256, for [`ChunkPart::digest`].
struct Sha(sha2::Sha256);

impl std::hash::Hasher for Sha {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }
}

/// The nodes and memberships of the part a chunk's `roots` see: what they reach, or their own
/// memberships alone when their checks do not follow memberships further.
fn reached(shape: &GraphShape, roots: &[u32], needs_reach: bool) -> (Vec<u32>, Vec<u32>) {
    if needs_reach {
        shape.reached(roots)
    } else {
        shape.reached_directly(roots)
    }
}

/// The [`ChunkView`] of chunk `chunk`.
#[salsa::tracked]
pub fn chunk_view(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> Arc<ChunkView> {
    let (shape, ranges) = (graph_shape(db, policy), chunk_ranges(db, policy));
    let roots = shape.role_nodes(ranges.range(chunk));
    let needs_reach = *chunk_needs_reach(db, policy, chunk);
    let (nodes, kept) = reached(shape, &roots, needs_reach);
    // Each chunk's lists are asked for once: the view depends on the chunks it reaches.
    let mut names: FxHashMap<u32, Arc<Vec<String>>> = FxHashMap::default();
    let mut others = None;
    for &n in &nodes {
        match shape.first_role(n) {
            Some(p) => {
                _ = names
                    .entry(ranges.slot(p).0)
                    .or_insert_with(|| chunk_role_names(db, policy, ranges.slot(p).0).clone())
            }
            None => _ = others.get_or_insert_with(|| other_node_names(db, policy).clone()),
        }
    }
    let mut lists: FxHashMap<u32, Arc<ChunkMemberships>> = FxHashMap::default();
    for &k in &kept {
        let c = member_chunk(shape, ranges, k);
        lists.entry(c).or_insert_with(|| chunk_memberships(db, policy, c).clone());
    }
    let used = chunk_used(db, policy, chunk).to_vec();
    let mut view = ChunkView {
        chunk,
        needs_reach,
        shape: shape.clone(),
        ranges: ranges.clone(),
        names,
        others,
        lists,
        used,
        digest: [0; 32],
    };
    view.digest = view.part().digest();
    Arc::new(view)
}

/// What every role's checks share (see [`Context`]): from the model, and from the facts of
/// each file's grants ([`file_grant_facts`]), so that an edit scans the grants of its file.
#[salsa::tracked]
pub fn rule_context(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Context> {
    let library: Vec<FileId> =
        policy.files(db).iter().filter(|f| f.path(db).starts_with("<std>/")).map(|f| f.id(db)).collect();
    let facts: Vec<Arc<[GrantFacts; 3]>> =
        policy.files(db).iter().map(|f| file_grant_facts(db, policy, *f).clone()).collect();
    let mut schemas = BTreeSet::new();
    let mut public = Vec::new();
    // In model order: every file's role grants, then every file's `public` blocks, then
    // every file's top-level grants.
    for list in 0..3 {
        for f in &facts {
            schemas.extend(f[list].schemas.iter().cloned());
            public.extend(f[list].public.iter().cloned());
        }
    }
    let grants = GrantFacts { schemas: schemas.into_iter().collect(), public };
    Arc::new(Context::with(
        &resolved(db, policy).model,
        policy.options(db).target_version,
        policy.catalog(db).as_ref(),
        library,
        grants,
    ))
}

/// The [`GrantFacts`] of one file's grants, by where they come in the model (see
/// [`crate::model::resolve::Part::grant_lists`]).
#[salsa::tracked]
pub fn file_grant_facts(db: &dyn salsa::Database, policy: PolicyInput, file: SourceFile) -> Arc<[GrantFacts; 3]> {
    Arc::new(super::resolved_file(db, policy, file).grant_lists().map(GrantFacts::of))
}

/// The model indexes of the grants to each role, by the role's position in the model (a
/// name declared twice shares its grants, as the rules over the whole model see them).
#[salsa::tracked]
pub fn grants_by_role(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<Vec<u32>>> {
    let model = &resolved(db, policy).model;
    // Borrowed names: no name is copied.
    let mut first: FxHashMap<&str, u32> = FxHashMap::with_capacity_and_hasher(model.roles.len(), Default::default());
    for (i, r) in model.roles.iter().enumerate() {
        first.entry(&r.name).or_insert(i as u32);
    }
    let mut by_role: Vec<Vec<u32>> = vec![Vec::new(); model.roles.len()];
    // Consecutive grants are mostly to the same role: the last one is tried before the map.
    let mut last: Option<(&str, u32)> = None;
    for (k, g) in model.grants.iter().enumerate() {
        if let Grantee::Role(r) = &g.grantee {
            let i = match last {
                Some((name, i)) if name == r => Some(i),
                _ => first.get(r.as_str()).copied(),
            };
            if let Some(i) = i {
                by_role[i as usize].push(k as u32);
                last = Some((r, i));
            }
        }
    }
    for (i, r) in model.roles.iter().enumerate() {
        let f = first[r.name.as_str()] as usize;
        if f != i {
            by_role[i] = by_role[f].clone();
        }
    }
    Arc::new(by_role)
}

/// The roles of one chunk with the grants made to them.
#[salsa::tracked]
pub fn role_chunk(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> Arc<RoleChunk> {
    let resolved = resolved(db, policy);
    let grants = grants_by_role(db, policy);
    Arc::new(role_rules::chunk(&resolved.model, grants, chunk_ranges(db, policy).range(chunk)))
}

/// The per-role rules (policy rules and lint warnings) for the roles of one chunk.
#[salsa::tracked]
pub fn chunk_diagnostics(db: &dyn salsa::Database, policy: PolicyInput, chunk: u32) -> Arc<Vec<Diagnostic>> {
    let own = role_chunk(db, policy, chunk);
    let seen = chunk_view(db, policy, chunk);
    let ctx = rule_context(db, policy);
    // The answers from the chunk's roles (the checks ask nothing else), computed here: the
    // view is made again after every change to the graph, the checks only when it changed.
    let part = seen.part();
    let members = &crate::analysis::membership::reach_from_roles(&part.graph);
    // The chunks of other roles are loaded when their facts are first read, so that the
    // checks depend on those they read (asking every role reached up front would cost as much
    // as the pairs reached: n²/2 on a chain).
    let chunks = part.slots.values().map(|&(c, _)| c as usize + 1).max().unwrap_or(0);
    let loaded: Vec<OnceCell<Arc<RoleChunk>>> =
        (0..chunks).map(|c| if c == chunk as usize { OnceCell::from(own.clone()) } else { OnceCell::new() }).collect();
    let facts = |name: &str| -> Option<&RoleFacts> {
        let &(c, i) = part.slots.get(name)?;
        loaded.get(c as usize)?.get_or_init(|| role_chunk(db, policy, c).clone()).roles.get(i as usize)
    };
    let memberships = || -> &[Arc<Membership>] { &part.memberships };
    let chunk_depths: OnceCell<Depths> = OnceCell::new();
    let depths = || -> &Depths { chunk_depths.get_or_init(|| Depths::new(&part.memberships)) };
    let used = |name: &str| seen.used.iter().any(|u| u == name);
    let view = View {
        members,
        ctx,
        facts: &facts,
        memberships: &memberships,
        depths: &depths,
        used: &used,
        table_bits: Default::default(),
        exclusive_nodes: Default::default(),
    };
    Arc::new(own.roles.iter().flat_map(|f| role_rules::check(&view, f)).collect())
}

/// Every diagnostic of the analysis (policy rules and lint warnings), in parts: one per chunk
/// of roles, then the rules over the whole policy (grants to PUBLIC, membership windows).
/// `db::diagnostics` includes them only when the policy parses and resolves without errors.
#[salsa::tracked]
pub fn analysis_diagnostics(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<Arc<Vec<Diagnostic>>>> {
    let chunks = *chunk_count(db, policy);
    let mut parts: Vec<Arc<Vec<Diagnostic>>> = (0..chunks).map(|c| chunk_diagnostics(db, policy, c).clone()).collect();
    parts.push(whole_policy_diagnostics(db, policy).clone());
    Arc::new(parts)
}

/// The rules that are not about one role: `forbid grant … to public` and W041.
#[salsa::tracked]
pub fn whole_policy_diagnostics(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<Diagnostic>> {
    let ctx = rule_context(db, policy);
    let mut out = crate::analysis::rules::forbid_public_grant::public_grants(&ctx.policies, &ctx.public);
    crate::analysis::lint::closing_windows(memberships(db, policy), policy.options(db).at, &mut out);
    Arc::new(out)
}

/// Computes the parts of [`analysis_diagnostics`] on every core, each thread on its own handle
/// on the database: first the extracted inputs side by side, then the chunks. Salsa memoizes
/// what the threads compute, so the query that follows only collects. After an edit, the
/// threads verify each part and re-run only those whose inputs changed.
pub fn analyze_in_parallel(db: &super::Database, policy: PolicyInput) {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if threads < 2 {
        return;
    }
    // The inputs first, the longest chain first (the graph, its shape, the memberships by
    // chunk); then the chunks, which wait for the inputs a thread is still computing (salsa
    // blocks on a query in progress elsewhere).
    let inputs: [fn(&super::Database, PolicyInput); 7] = [
        |db, p| _ = memberships_by_chunk(db, p),
        |db, p| _ = grants_by_role(db, p),
        |db, p| _ = rule_context(db, p),
        |db, p| _ = used_apart_from_memberships(db, p),
        |db, p| _ = used_nodes(db, p),
        |db, p| _ = other_node_names(db, p),
        |db, p| _ = whole_policy_diagnostics(db, p),
    ];
    let chunks = *chunk_count(db, policy) as usize;
    on_threads(db, threads, inputs.len() + chunks, |db, i| match inputs.get(i) {
        Some(input) => input(db, policy),
        None => _ = chunk_diagnostics(db, policy, (i - inputs.len()) as u32),
    });
}

/// Runs `job(db, i)` for every `i < n` on up to `threads` threads, each taking the next `i`.
pub(super) fn on_threads(db: &super::Database, threads: usize, n: usize, job: impl Fn(&super::Database, usize) + Sync) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(n) {
            let (db, next, job) = (db.clone(), &next, &job);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                job(&db, i);
            });
        }
    });
}

/// Effective object privileges (`has_*_privilege` answers with their grounds) for the
/// target version (see [`crate::analysis::privileges`]).
#[salsa::tracked]
pub fn privilege_analysis(
    db: &dyn salsa::Database,
    policy: PolicyInput,
) -> Arc<crate::analysis::privileges::PrivilegeAnalysis> {
    let members = membership_analysis(db, policy);
    Arc::new(crate::analysis::privileges::effective(&resolved(db, policy).model, members.as_ref()))
}
