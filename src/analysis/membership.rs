//! Role membership as PostgreSQL evaluates it: `pg_has_role(role, granted, mode)` for every
//! pair of roles, with the shortest chain of memberships that makes the answer true.
//!
//! The three modes:
//! - [`Mode::Member`]: `role` is `granted`, or reaches it through any chain of memberships.
//! - [`Mode::Usage`]: a chain where every step inherits. Up to PostgreSQL 15 a step
//!   "a member of b" inherits when the member `a` has the INHERIT attribute (read live); from 16
//!   when the membership's `inherit_option` is true, which defaults, at grant time, to the
//!   member's INHERIT attribute (`member of x noinherit` / `inherit` set it explicitly).
//! - [`Mode::Set`]: a chain where every step has `set_option` (16+, default true; `noset`
//!   turns it off). Before 16 the mode does not exist in PostgreSQL and equals `Member`.
//!
//! A superuser has every mode on every role. Only memberships open at build time (`active`)
//! are granted, so only they count. Roles the policy does not create (external and
//! predefined roles) may be targets; their own memberships are unknown and taken as none.
//!
//! Assumption for 16+: the scripts set role attributes before they grant memberships (they
//! do: `Phase::Attributes` precedes `Phase::Memberships`), so the default `inherit_option` of a
//! grant is the member's final INHERIT attribute. An external member is taken as INHERIT
//! (PostgreSQL's default).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rustc_hash::{FxHashMap, FxHashSet};

use serde::Serialize;

use crate::model::{Membership, Model, Role};
use crate::syntax::ast::AttributeKind;

/// The `mode` argument of `pg_has_role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Member,
    Usage,
    Set,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Member, Mode::Usage, Mode::Set];

    /// The SQL spelling: `MEMBER`, `USAGE`, `SET`.
    pub fn sql(self) -> &'static str {
        match self {
            Mode::Member => "MEMBER",
            Mode::Usage => "USAGE",
            Mode::Set => "SET",
        }
    }
}

/// One membership of a chain: `member` is a member of `role`, granted by
/// `model.memberships[membership]` (whose `origin` points at the `member of`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    pub member: String,
    pub role: String,
    pub membership: usize,
}

/// Why `pg_has_role(role, granted, mode)` is true.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "steps")]
pub enum Chain {
    /// `role` and `granted` are the same role.
    SameRole,
    /// `role` is a superuser: a member of every role, with every mode.
    Superuser,
    /// A shortest chain `role → … → granted`; the first step's member is `role`, the last
    /// step's role is `granted`, each step's role is the next step's member. Never empty.
    /// A chain longer than [`LONGEST_SHOWN_CHAIN`] keeps only its first and last steps.
    Memberships(Steps),
}

/// Chains of more memberships than this are kept and shown elided: their first and last
/// [`SHOWN_AT_EACH_END`] memberships, with the number left out between. Each of n roles on
/// a chain reaches the others by chains of up to n memberships: in full, n²/2 of them.
pub const LONGEST_SHOWN_CHAIN: usize = 12;

/// The memberships an elided chain keeps at its start and at its end.
pub const SHOWN_AT_EACH_END: usize = LONGEST_SHOWN_CHAIN / 2;

/// The memberships of a chain as kept: all of them, or the first and the last
/// [`SHOWN_AT_EACH_END`] with the number left out between.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Steps {
    /// In chain order: the steps before the ones left out, then those after.
    shown: Vec<Step>,
    /// How many steps are left out after the first `before` shown ones.
    left_out: usize,
    before: usize,
}

impl Steps {
    /// Every step of a chain.
    pub fn full(steps: Vec<Step>) -> Steps {
        let before = steps.len();
        Steps { shown: steps, left_out: 0, before }
    }

    /// The first steps of a chain, `left_out` steps not kept, then its last steps.
    pub fn elided(mut first: Vec<Step>, left_out: usize, last: Vec<Step>) -> Steps {
        let before = first.len();
        first.extend(last);
        Steps { shown: first, left_out, before }
    }

    /// The number of memberships of the chain, those left out included.
    pub fn len(&self) -> usize {
        self.shown.len() + self.left_out
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// How many memberships are left out between [`Self::parts`].
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// The steps kept, in chain order (not connected where steps are left out).
    pub fn shown(&self) -> &[Step] {
        &self.shown
    }

    /// The steps kept before and after those left out (after: empty when none are).
    pub fn parts(&self) -> (&[Step], &[Step]) {
        self.shown.split_at(self.before)
    }

    /// The first membership of the chain.
    pub fn first(&self) -> Option<&Step> {
        self.shown.first()
    }

    /// The roles of the chain joined by ` → ` from `role` (the member of its first step), each
    /// spelled by `name`, with `… 19,987 more …` (memberships) where steps are left out.
    pub fn path(&self, role: &str, name: impl Fn(&str) -> String) -> String {
        let (before, after) = self.parts();
        let mut names: Vec<String> =
            std::iter::once(role).chain(before.iter().map(|s| s.role.as_str())).map(&name).collect();
        if let Some(resumed) = after.first() {
            names.push(format!("… {} more …", thousands(self.left_out)));
            names.extend(
                std::iter::once(resumed.member.as_str()).chain(after.iter().map(|s| s.role.as_str())).map(&name),
            );
        }
        names.join(" → ")
    }
}

/// `19987` as `19,987`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Who reaches whom, per mode: the answers of `pg_has_role` for the roles of a model.
/// Built by [`reach`]. It keeps the memberships that count in each mode, not what each role
/// reaches (on a chain of n roles that is n²/2 pairs per mode): the roles one role reaches,
/// with a shortest chain to each, are found when asked for, by one breadth-first search,
/// and the last few such rows are kept for the questions that follow about the same role.
#[derive(Debug, Serialize)]
pub struct MembershipAnalysis {
    /// The PostgreSQL major version the answers are for.
    pub target_version: u32,
    /// Every role that appears: the model's roles, external roles, then roles named only as
    /// membership targets (predefined roles), each once.
    names: Vec<String>,
    index: FxHashMap<String, u32>,
    superuser: Vec<bool>,
    /// `(member, role)` node indexes of each model membership, by model index.
    ends: Vec<(u32, u32)>,
    /// Per mode, per member (node index): the memberships that count in that mode, as
    /// `(role, model index)`, in model order.
    member: Vec<Vec<(u32, u32)>>,
    usage: Vec<Vec<(u32, u32)>>,
    /// `None` before PostgreSQL 16, where SET is MEMBER.
    set: Option<Vec<Vec<(u32, u32)>>>,
    /// The roles questions may start from (`None`: every role); from another role the
    /// analysis knows of no membership.
    sources: Option<Vec<bool>>,
    /// The rows computed last, most recent last (see [`Self::row`]).
    #[serde(skip)]
    rows: Mutex<Vec<(u32, Mode, Arc<Row>)>>,
}

/// The roles one role reaches in one mode (not itself), sorted by node index: a BFS tree.
type Row = [Reached];

/// One role of a [`Row`].
#[derive(Clone, Copy, Debug)]
struct Reached {
    node: u32,
    /// The model index of the last membership of a shortest chain to `node`.
    edge: u32,
    /// The number of memberships of that chain.
    depth: u32,
    /// The role that chain reaches after [`SHOWN_AT_EACH_END`] steps (`node` when it is no
    /// longer): an elided chain's first steps end there, found without walking the rest.
    head_end: u32,
}

/// How many rows [`MembershipAnalysis`] keeps: a role's three modes and one more.
const ROWS_KEPT: usize = 4;

impl Clone for MembershipAnalysis {
    fn clone(&self) -> MembershipAnalysis {
        let MembershipAnalysis { target_version, names, index, superuser, ends, member, usage, set, sources, rows: _ } =
            self;
        MembershipAnalysis {
            target_version: *target_version,
            names: names.clone(),
            index: index.clone(),
            superuser: superuser.clone(),
            ends: ends.clone(),
            member: member.clone(),
            usage: usage.clone(),
            set: set.clone(),
            sources: sources.clone(),
            rows: Mutex::default(),
        }
    }
}

/// Equal when the answers are: the rows kept are a cache.
impl PartialEq for MembershipAnalysis {
    fn eq(&self, other: &MembershipAnalysis) -> bool {
        type Key<'a> = (
            u32,
            &'a [String],
            &'a [bool],
            &'a [(u32, u32)],
            &'a [Vec<(u32, u32)>],
            &'a [Vec<(u32, u32)>],
            &'a Option<Vec<Vec<(u32, u32)>>>,
            &'a Option<Vec<bool>>,
        );
        fn key(a: &MembershipAnalysis) -> Key<'_> {
            (a.target_version, &a.names, &a.superuser, &a.ends, &a.member, &a.usage, &a.set, &a.sources)
        }
        key(self) == key(other)
    }
}

impl Eq for MembershipAnalysis {}

/// The membership graph of a model, without positions: what [`reach`] needs, and nothing
/// an edit elsewhere (a grant, a comment, a moved line) changes, so that the salsa query
/// built on it is reused after such edits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MembershipGraph {
    /// The model's roles, external roles, then roles named only as membership targets.
    names: Vec<String>,
    shape: GraphShape,
}

/// The membership graph without its names: equal after an edit that only renames roles, so
/// that what is computed from it (the part of the graph each chunk of roles reaches) is not
/// computed again.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GraphShape {
    pub target_version: u32,
    superuser: Vec<bool>,
    /// The INHERIT attribute of each role (on unless the policy turns it off).
    inherits: Vec<bool>,
    /// Each model membership, by model index.
    edges: Vec<GraphEdge>,
    /// The memberships (edge indexes) of each member, in order.
    out: Vec<Vec<u32>>,
    /// The node of each of the model's roles, by position (a name declared twice has one).
    role_ids: Vec<u32>,
    /// The first position among the model's roles of each node; `u32::MAX` for an external
    /// role or a role named only as a membership target.
    first_role: Vec<u32>,
}

/// `(member, role, inherit option, set option, active)` of one membership.
type GraphEdge = (u32, u32, Option<bool>, Option<bool>, bool);

/// What the membership graph needs of a role: its name, SUPERUSER and INHERIT (on unless the
/// policy turns it off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleNode {
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
}

impl RoleNode {
    pub fn of(role: &Role) -> RoleNode {
        RoleNode {
            name: role.name.clone(),
            superuser: role.attributes.get(&AttributeKind::Superuser).copied().unwrap_or(false),
            inherit: role.attributes.get(&AttributeKind::Inherit).copied().unwrap_or(true),
        }
    }
}

impl MembershipGraph {
    pub fn of(model: &Model, target_version: u32) -> MembershipGraph {
        let roles: Vec<RoleNode> = model.roles.iter().map(|r| RoleNode::of(r)).collect();
        Self::from_parts(&roles, &model.external_roles, &model.memberships, target_version)
    }

    /// The graph of the model's roles, its external roles and its memberships.
    pub fn from_parts(
        roles: &[RoleNode],
        external_roles: &[String],
        memberships: &[Arc<Membership>],
        target_version: u32,
    ) -> MembershipGraph {
        fn add<'m>(by_name: &mut FxHashMap<&'m str, u32>, names: &mut Vec<String>, name: &'m str) -> u32 {
            *by_name.entry(name).or_insert_with(|| {
                names.push(name.to_string());
                names.len() as u32 - 1
            })
        }
        let mut names: Vec<String> = Vec::with_capacity(roles.len());
        // Borrowed: a name is copied once, into `names`.
        let mut by_name: FxHashMap<&str, u32> = FxHashMap::with_capacity_and_hasher(roles.len(), Default::default());
        let mut add = |name, names: &mut Vec<String>| add(&mut by_name, names, name);
        let role_ids: Vec<u32> = roles.iter().map(|r| add(&r.name, &mut names)).collect();
        for r in external_roles {
            add(r, &mut names);
        }
        let edges = memberships
            .iter()
            .map(|m| (add(&m.member, &mut names), add(&m.role, &mut names), m.inherit, m.set, m.active))
            .collect();
        let n = names.len();
        let mut superuser = vec![false; n];
        let mut inherits = vec![true; n];
        for (&i, r) in role_ids.iter().zip(roles) {
            superuser[i as usize] = r.superuser;
            inherits[i as usize] = r.inherit;
        }
        MembershipGraph::new(target_version, names, superuser, inherits, edges, role_ids)
    }

    fn new(
        target_version: u32,
        names: Vec<String>,
        superuser: Vec<bool>,
        inherits: Vec<bool>,
        edges: Vec<GraphEdge>,
        role_ids: Vec<u32>,
    ) -> MembershipGraph {
        let shape = GraphShape::new(target_version, names.len(), superuser, inherits, edges, role_ids);
        MembershipGraph { names, shape }
    }

    /// The part of the graph that `roots` reach through memberships (active or not): what
    /// [`reach_graph`] needs to answer every question that starts at one of them, the same as
    /// over the whole graph. Nodes and edges keep their relative order; with the index, in
    /// the whole graph, of each edge kept.
    pub fn restricted(&self, roots: &[u32]) -> (MembershipGraph, Vec<u32>) {
        let (nodes, kept) = self.shape.reached(roots);
        let names = nodes.iter().map(|&n| self.names[n as usize].clone()).collect();
        (self.shape.part(&nodes, &kept, roots, names), kept)
    }

    /// The roles of the graph, in node order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn shape(&self) -> &GraphShape {
        &self.shape
    }
}

impl GraphShape {
    fn new(
        target_version: u32,
        nodes: usize,
        superuser: Vec<bool>,
        inherits: Vec<bool>,
        edges: Vec<GraphEdge>,
        role_ids: Vec<u32>,
    ) -> GraphShape {
        let mut out = vec![Vec::new(); nodes];
        for (k, e) in edges.iter().enumerate() {
            out[e.0 as usize].push(k as u32);
        }
        let mut first_role = vec![u32::MAX; nodes];
        for (p, &n) in role_ids.iter().enumerate().rev() {
            first_role[n as usize] = p as u32;
        }
        GraphShape { target_version, superuser, inherits, edges, out, role_ids, first_role }
    }

    /// The nodes `roots` reach through memberships (active or not), sorted, and the edges out
    /// of them (sorted): in time proportional to what is reached, not to the graph.
    pub fn reached(&self, roots: &[u32]) -> (Vec<u32>, Vec<u32>) {
        let mut seen: rustc_hash::FxHashSet<u32> = roots.iter().copied().collect();
        let mut stack: Vec<u32> = roots.to_vec();
        let mut kept: Vec<u32> = Vec::new();
        while let Some(a) = stack.pop() {
            for &k in &self.out[a as usize] {
                kept.push(k);
                let b = self.edges[k as usize].1;
                if seen.insert(b) {
                    stack.push(b);
                }
            }
        }
        let mut nodes: Vec<u32> = seen.into_iter().collect();
        nodes.sort_unstable();
        kept.sort_unstable();
        kept.dedup(); // a node twice among the roots (a name declared twice)
        (nodes, kept)
    }

    /// The nodes `roots` reach by one membership, with `roots`, sorted, and those memberships
    /// (sorted): the part [`GraphShape::reached`] gives, cut after one step.
    pub fn reached_directly(&self, roots: &[u32]) -> (Vec<u32>, Vec<u32>) {
        let mut kept: Vec<u32> = roots.iter().flat_map(|&r| self.out[r as usize].iter().copied()).collect();
        kept.sort_unstable();
        kept.dedup(); // a node twice among the roots (a name declared twice)
        let mut nodes: Vec<u32> = roots.iter().copied().chain(kept.iter().map(|&k| self.edges[k as usize].1)).collect();
        nodes.sort_unstable();
        nodes.dedup();
        (nodes, kept)
    }

    /// The graph of `nodes` and `kept` (from [`GraphShape::reached`]) with their `names`, its
    /// model roles the `roots`.
    pub fn part(&self, nodes: &[u32], kept: &[u32], roots: &[u32], names: Vec<String>) -> MembershipGraph {
        let local = |n: u32| nodes.binary_search(&n).expect("a node reached") as u32;
        let edges = kept.iter().map(|&k| {
            let (a, b, inherit, set, active) = self.edges[k as usize];
            (local(a), local(b), inherit, set, active)
        });
        let pick = |v: &[bool]| nodes.iter().map(|&n| v[n as usize]).collect();
        let roles = roots.iter().map(|&r| local(r)).collect();
        MembershipGraph::new(
            self.target_version,
            names,
            pick(&self.superuser),
            pick(&self.inherits),
            edges.collect(),
            roles,
        )
    }

    /// The nodes of the model's roles at `positions` (clamped to the model's roles).
    pub fn role_nodes(&self, positions: std::ops::Range<usize>) -> Vec<u32> {
        let end = positions.end.min(self.role_ids.len());
        (positions.start.min(end)..end).map(|p| self.role_ids[p]).collect()
    }

    /// The first position among the model's roles of a role with the name of `node`, if any.
    pub fn first_role(&self, node: u32) -> Option<u32> {
        self.first_role.get(node as usize).copied().filter(|&p| p != u32::MAX)
    }

    /// The member of membership (edge) `k`.
    pub fn member(&self, k: u32) -> u32 {
        self.edges[k as usize].0
    }

    /// Per node: whether it reaches, by one membership or more (active or not), a node that
    /// is `marked`. One breadth-first search backwards from the marked nodes.
    pub fn reaching_marked(&self, marked: &[bool]) -> Vec<bool> {
        let mut into: Vec<Vec<u32>> = vec![Vec::new(); self.first_role.len()];
        for &(a, b, ..) in &self.edges {
            into[b as usize].push(a);
        }
        let mut reaching = vec![false; self.first_role.len()];
        let mut stack: Vec<u32> =
            (0..marked.len().min(reaching.len()) as u32).filter(|&n| marked[n as usize]).collect();
        while let Some(b) = stack.pop() {
            for &a in &into[b as usize] {
                if !reaching[a as usize] {
                    reaching[a as usize] = true;
                    stack.push(a);
                }
            }
        }
        reaching
    }

    /// Per node: whether it is the member of a membership, or the role of one whose member
    /// is another role.
    pub fn used_nodes(&self) -> Vec<bool> {
        let mut used = vec![false; self.first_role.len()];
        for &(a, b, ..) in &self.edges {
            used[a as usize] = true;
            if a != b {
                used[b as usize] = true;
            }
        }
        used
    }
}

/// The answers for every role of the model and every mode: the roles it reaches and a
/// shortest chain to each, each role's found when first asked for (one breadth-first search
/// per role and mode asked about).
pub fn reach(model: &Model, target_version: u32) -> MembershipAnalysis {
    reach_graph(&MembershipGraph::of(model, target_version))
}

/// [`reach`] over a graph already extracted from the model.
pub fn reach_graph(graph: &MembershipGraph) -> MembershipAnalysis {
    reach_from(graph, None)
}

/// The answers for the questions that start at the graph's model roles only (for a
/// [`MembershipGraph::restricted`] graph: its roots); asked from another role, the analysis
/// knows of no membership.
pub fn reach_from_roles(graph: &MembershipGraph) -> MembershipAnalysis {
    reach_from(graph, Some(&graph.shape.role_ids))
}

fn reach_from(graph: &MembershipGraph, sources: Option<&[u32]>) -> MembershipAnalysis {
    let MembershipGraph { names, shape: GraphShape { target_version, superuser, inherits, edges, .. } } = graph;
    let n = names.len();
    let index: FxHashMap<String, u32> = names.iter().enumerate().map(|(i, s)| (s.clone(), i as u32)).collect();
    let v16 = *target_version >= 16;
    let mut member: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    let mut usage: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    let mut set: Vec<Vec<(u32, u32)>> = vec![Vec::new(); if v16 { n } else { 0 }];
    for (k, &(a, b, inherit, set_option, active)) in edges.iter().enumerate() {
        if !active {
            continue;
        }
        let edge = (b, k as u32);
        member[a as usize].push(edge);
        let inherit = if v16 { inherit.unwrap_or(inherits[a as usize]) } else { inherits[a as usize] };
        if inherit {
            usage[a as usize].push(edge);
        }
        if v16 && set_option.unwrap_or(true) {
            set[a as usize].push(edge);
        }
    }
    let ends = edges.iter().map(|&(a, b, ..)| (a, b)).collect();
    let sources = sources.map(|roots| {
        let mut is_source = vec![false; n];
        for &s in roots {
            is_source[s as usize] = true;
        }
        is_source
    });
    let set = v16.then_some(set);
    MembershipAnalysis {
        target_version: *target_version,
        names: names.clone(),
        index,
        superuser: superuser.clone(),
        ends,
        member,
        usage,
        set,
        sources,
        rows: Mutex::default(),
    }
}

/// The nodes `start` reaches over `adj` (not `start` itself), sorted, each with the edge it
/// was first reached by: in time proportional to what is reached.
fn bfs(adj: &[Vec<(u32, u32)>], start: u32) -> Vec<Reached> {
    let mut seen: FxHashSet<u32> = FxHashSet::default();
    seen.insert(start);
    // Each node with its depth and `head_end`.
    let mut queue = VecDeque::from([(start, 0u32, start)]);
    let mut out = Vec::new();
    while let Some((a, depth, head_end)) = queue.pop_front() {
        for &(b, k) in &adj[a as usize] {
            if seen.insert(b) {
                let depth = depth + 1;
                let head_end = if depth as usize <= SHOWN_AT_EACH_END { b } else { head_end };
                out.push(Reached { node: b, edge: k, depth, head_end });
                queue.push_back((b, depth, head_end));
            }
        }
    }
    out.sort_unstable_by_key(|r| r.node);
    out
}

/// The roles that reach one role in one mode, found by one breadth-first search over the
/// memberships reversed: [`MembershipAnalysis::reaching`].
pub struct Reaching<'a> {
    analysis: &'a MembershipAnalysis,
    granted: String,
    /// Per node that reaches `granted` (`u32::MAX`: none): the number of memberships of a
    /// shortest chain, the model index of its first membership, and the role it reaches
    /// [`SHOWN_AT_EACH_END`] steps before `granted` (itself when nearer).
    to_go: Vec<(u32, u32, u32)>,
}

impl<'a> Reaching<'a> {
    /// `answer(role, granted, mode)` of the analysis, the same chain included.
    pub fn answer(&self, role: &str) -> Option<Chain> {
        let a = self.analysis;
        if role == self.granted {
            return Some(Chain::SameRole);
        }
        let r = *a.index.get(role)?;
        if a.superuser[r as usize] {
            return Some(Chain::Superuser);
        }
        a.index.get(&self.granted)?;
        if !a.sources.as_ref().is_none_or(|s| s[r as usize]) {
            return None;
        }
        let (depth, ..) = self.to_go[r as usize];
        if depth == u32::MAX {
            return None;
        }
        let depth = depth as usize;
        // The chain `answer` gives: at each role, its first membership (in model order) to a
        // role one step nearer; a breadth-first search from `role` finds that one first.
        let walk = |from: u32, count: usize| -> Vec<Step> {
            let mut cur = from;
            (0..count)
                .map(|_| {
                    let k = self.to_go[cur as usize].1;
                    let (member, role) = a.ends[k as usize];
                    cur = role;
                    Step {
                        member: a.names[member as usize].clone(),
                        role: a.names[role as usize].clone(),
                        membership: k as usize,
                    }
                })
                .collect()
        };
        Some(Chain::Memberships(if depth <= LONGEST_SHOWN_CHAIN {
            Steps::full(walk(r, depth))
        } else {
            let first = walk(r, SHOWN_AT_EACH_END);
            let last = walk(self.to_go[r as usize].2, SHOWN_AT_EACH_END);
            Steps::elided(first, depth - 2 * SHOWN_AT_EACH_END, last)
        }))
    }
}

impl MembershipAnalysis {
    /// `pg_has_role(role, granted, mode)`: `Some` with the reason when true, `None` when false
    /// (also for a role the analysis does not know, unless it is `granted` itself).
    pub fn answer(&self, role: &str, granted: &str, mode: Mode) -> Option<Chain> {
        if role == granted {
            return Some(Chain::SameRole);
        }
        let r = *self.index.get(role)?;
        if self.superuser[r as usize] {
            return Some(Chain::Superuser);
        }
        let g = *self.index.get(granted)?;
        let row = self.row(r, mode);
        let entry = |node: u32| row.binary_search_by_key(&node, |e| e.node).ok().map(|i| row[i]);
        let depth = entry(g)?.depth as usize;
        // The `count` steps of the chain that end at `to`, walked back from it.
        let walk = |to: u32, count: usize| -> Option<Vec<Step>> {
            let mut steps = Vec::with_capacity(count);
            let mut cur = to;
            for _ in 0..count {
                let k = entry(cur)?.edge;
                let (member, role) = self.ends[k as usize];
                steps.push(Step {
                    member: self.names[member as usize].clone(),
                    role: self.names[role as usize].clone(),
                    membership: k as usize,
                });
                cur = member;
            }
            steps.reverse();
            Some(steps)
        };
        Some(Chain::Memberships(if depth <= LONGEST_SHOWN_CHAIN {
            Steps::full(walk(g, depth)?)
        } else {
            let first = walk(entry(g)?.head_end, SHOWN_AT_EACH_END)?;
            Steps::elided(first, depth - 2 * SHOWN_AT_EACH_END, walk(g, SHOWN_AT_EACH_END)?)
        }))
    }

    /// The model indexes of every membership of the chain [`Self::answer`] gives, in order
    /// (none for the same role or a superuser's blanket membership).
    pub fn chain_memberships(&self, role: &str, granted: &str, mode: Mode) -> Option<Vec<usize>> {
        let (r, g) = (*self.index.get(role)?, *self.index.get(granted)?);
        if r == g || self.superuser[r as usize] {
            return Some(Vec::new());
        }
        let row = self.row(r, mode);
        let mut out = Vec::new();
        let mut cur = g;
        while cur != r {
            let k = row.binary_search_by_key(&cur, |e| e.node).ok().map(|i| row[i].edge)?;
            out.push(k as usize);
            cur = self.ends[k as usize].0;
        }
        out.reverse();
        Some(out)
    }

    /// [`Self::granted_roles`], each with the number of memberships of the chain
    /// [`answer`](Self::answer) gives.
    pub fn granted_roles_with_len(&self, role: &str, mode: Mode) -> Vec<(&str, usize)> {
        let Some(&r) = self.index.get(role) else { return Vec::new() };
        self.row(r, mode).iter().map(|e| (self.names[e.node as usize].as_str(), e.depth as usize)).collect()
    }

    /// The roles that reach `granted` in `mode`, to ask [`Reaching::answer`] what
    /// [`Self::answer`] would for each: one breadth-first search in all, not one per role.
    pub fn reaching(&self, granted: &str, mode: Mode) -> Reaching<'_> {
        let n = self.names.len();
        let mut to_go = vec![(u32::MAX, u32::MAX, u32::MAX); n];
        if let Some(&g) = self.index.get(granted) {
            let edges = self.edges(mode);
            let mut members: Vec<Vec<u32>> = vec![Vec::new(); n];
            for (a, out) in edges.iter().enumerate() {
                for &(b, _) in out {
                    members[b as usize].push(a as u32);
                }
            }
            to_go[g as usize] = (0, u32::MAX, g);
            let mut order = vec![g];
            let mut next = 0;
            while let Some(&b) = order.get(next) {
                next += 1;
                let depth = to_go[b as usize].0 + 1;
                for &a in &members[b as usize] {
                    if to_go[a as usize].0 == u32::MAX {
                        to_go[a as usize].0 = depth;
                        order.push(a);
                    }
                }
            }
            // Nearest first: a role's next step is settled before the role.
            for &a in &order[1..] {
                let depth = to_go[a as usize].0;
                let Some(&(b, k)) = edges[a as usize].iter().find(|&&(b, _)| to_go[b as usize].0 == depth - 1) else {
                    continue;
                };
                let tail_start = if depth as usize <= SHOWN_AT_EACH_END { a } else { to_go[b as usize].2 };
                to_go[a as usize] = (depth, k, tail_start);
            }
        }
        Reaching { analysis: self, granted: granted.to_string(), to_go }
    }

    /// The node of a role, for [`Self::has_node`].
    pub fn node(&self, role: &str) -> Option<u32> {
        self.index.get(role).copied()
    }

    /// [`Self::has`] for two nodes (different roles).
    pub fn has_node(&self, role: u32, granted: u32, mode: Mode) -> bool {
        self.superuser[role as usize] || self.row(role, mode).binary_search_by_key(&granted, |e| e.node).is_ok()
    }

    /// Whether `pg_has_role(role, granted, mode)` is true.
    pub fn has(&self, role: &str, granted: &str, mode: Mode) -> bool {
        if role == granted {
            return true;
        }
        let Some(&r) = self.index.get(role) else { return false };
        self.superuser[r as usize]
            || self.index.get(granted).is_some_and(|&g| self.row(r, mode).binary_search_by_key(&g, |e| e.node).is_ok())
    }

    /// The roles `role` reaches through memberships in `mode` (not itself; a superuser's
    /// blanket rights are not listed), in the order of [`roles`](Self::roles).
    pub fn granted_roles(&self, role: &str, mode: Mode) -> impl Iterator<Item = &str> {
        let row = self.index.get(role).map(|&r| self.row(r, mode)).unwrap_or_default();
        (0..row.len()).map(move |i| self.names[row[i].node as usize].as_str())
    }

    /// Every role the analysis knows: the model's roles, external roles, then other roles
    /// named as membership targets.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Whether the policy makes `role` a superuser.
    pub fn is_superuser(&self, role: &str) -> bool {
        self.index.get(role).is_some_and(|&r| self.superuser[r as usize])
    }

    /// The memberships that count in `mode`, by member.
    fn edges(&self, mode: Mode) -> &[Vec<(u32, u32)>] {
        match mode {
            Mode::Member => &self.member,
            Mode::Usage => &self.usage,
            Mode::Set => self.set.as_deref().unwrap_or(&self.member),
        }
    }

    /// The row of `role` in `mode`: kept from a question before, or found now.
    fn row(&self, role: u32, mode: Mode) -> Arc<Row> {
        // Before 16 SET is MEMBER: one row for both.
        let mode = if mode == Mode::Set && self.set.is_none() { Mode::Member } else { mode };
        let mut rows = self.rows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(i) = rows.iter().position(|&(r, m, _)| (r, m) == (role, mode)) {
            let kept = rows.remove(i);
            let row = kept.2.clone();
            rows.push(kept);
            return row;
        }
        let asked = self.sources.as_ref().is_none_or(|s| s[role as usize]);
        let row: Arc<Row> = if asked { bfs(self.edges(mode), role).into() } else { Arc::new([]) };
        if rows.len() == ROWS_KEPT {
            rows.remove(0);
        }
        rows.push((role, mode, row.clone()));
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::diagnostics::Diagnostic;
    use crate::model::BuildOptions;

    /// 2026-06-01T00:00:00Z
    const AT: i64 = 1_780_272_000;

    fn model(text: &str, version: u32) -> Model {
        let options = BuildOptions { target_version: version, at: AT, ..Default::default() };
        let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), options).unwrap();
        let errors: Vec<String> =
            ws.diagnostics().iter().filter(|d| Diagnostic::is_error(d)).map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        ws.resolved().model.clone()
    }

    fn analysis(text: &str, version: u32) -> (Model, MembershipAnalysis) {
        let m = model(text, version);
        let a = reach(&m, version);
        (m, a)
    }

    /// The chain as `a>b>c`, `same`, `superuser` or `-` (false).
    fn path(a: &MembershipAnalysis, role: &str, granted: &str, mode: Mode) -> String {
        match a.answer(role, granted, mode) {
            None => "-".into(),
            Some(Chain::SameRole) => "same".into(),
            Some(Chain::Superuser) => "superuser".into(),
            Some(Chain::Memberships(steps)) => {
                let (before, after) = steps.parts();
                for part in [before, after] {
                    for w in part.windows(2) {
                        assert_eq!(w[0].role, w[1].member, "steps connect");
                    }
                }
                assert_eq!(after.is_empty(), steps.left_out() == 0);
                let shown = steps.shown();
                assert_eq!(shown[0].member, role);
                assert_eq!(shown.last().unwrap().role, granted);
                let mut s = shown[0].member.clone();
                for st in before {
                    s.push('>');
                    s.push_str(&st.role);
                }
                if let Some(resumed) = after.first() {
                    s.push_str(&format!(">~{}~>{}", steps.left_out(), resumed.member));
                }
                for st in after {
                    s.push('>');
                    s.push_str(&st.role);
                }
                s
            }
        }
    }

    /// `(MEMBER, USAGE, SET)` chains.
    fn modes(a: &MembershipAnalysis, role: &str, granted: &str) -> [String; 3] {
        Mode::ALL.map(|m| path(a, role, granted, m))
    }

    const CHAIN: &str =
        "role a\nrole b { member of a }\nrole c {\n  noinherit\n  member of b\n}\nuser u { member of c }\n";

    #[test]
    fn noinherit_attribute_on_15_is_live_per_member() {
        let (_, a) = analysis(CHAIN, 15);
        // u inherits c; c does not inherit b (its attribute), so u has nothing beyond c.
        assert_eq!(modes(&a, "u", "c"), ["u>c", "u>c", "u>c"]);
        assert_eq!(modes(&a, "u", "b"), ["u>c>b", "-", "u>c>b"]);
        assert_eq!(modes(&a, "u", "a"), ["u>c>b>a", "-", "u>c>b>a"]);
        assert_eq!(modes(&a, "c", "b"), ["c>b", "-", "c>b"]);
        // b inherits a.
        assert_eq!(modes(&a, "b", "a"), ["b>a", "b>a", "b>a"]);
    }

    #[test]
    fn on_16_the_attribute_is_only_the_default_of_the_membership() {
        let (_, a) = analysis(CHAIN, 16);
        // Same answers: c's grant defaults to INHERIT FALSE.
        assert_eq!(modes(&a, "u", "b"), ["u>c>b", "-", "u>c>b"]);
        // An explicit option beats the attribute, both ways.
        let text = "role a\nrole b\nrole c {\n  noinherit\n  member of b inherit\n}\nuser u { member of c noinherit\n member of a }\n";
        let (_, a) = analysis(text, 16);
        assert_eq!(modes(&a, "c", "b"), ["c>b", "c>b", "c>b"]);
        assert_eq!(modes(&a, "u", "c"), ["u>c", "-", "u>c"]);
        assert_eq!(modes(&a, "u", "b"), ["u>c>b", "-", "u>c>b"]);
        assert_eq!(modes(&a, "u", "a"), ["u>a", "u>a", "u>a"]);
    }

    #[test]
    fn noset_blocks_set_role_but_not_membership_or_usage() {
        let text = "role a\nrole b { member of a }\nuser u { member of b noset }\nuser v { member of b }\n";
        let (_, a) = analysis(text, 17);
        assert_eq!(modes(&a, "u", "b"), ["u>b", "u>b", "-"]);
        assert_eq!(modes(&a, "u", "a"), ["u>b>a", "u>b>a", "-"]);
        assert_eq!(modes(&a, "v", "a"), ["v>b>a", "v>b>a", "v>b>a"]);
        assert!(!a.has("u", "a", Mode::Set));
        assert!(a.has("u", "a", Mode::Usage));
    }

    #[test]
    fn superuser_has_every_role_in_every_mode() {
        let text = "role a\nrole b { noinherit }\nuser boss {\n  superuser\n  noinherit\n}\nexternal role ext\n";
        let (_, a) = analysis(text, 16);
        for g in ["a", "b", "ext", "pg_read_all_data", "nobody_known"] {
            assert_eq!(modes(&a, "boss", g), ["superuser", "superuser", "superuser"], "{g}");
        }
        assert_eq!(modes(&a, "boss", "boss"), ["same", "same", "same"]);
        assert_eq!(modes(&a, "a", "b"), ["-", "-", "-"]);
        assert!(a.is_superuser("boss") && !a.is_superuser("a"));
        // Superuser is not inherited.
        let (_, a) = analysis("user boss { superuser }\nrole r { member of boss }\nrole x\n", 15);
        assert_eq!(modes(&a, "r", "x"), ["-", "-", "-"]);
        assert_eq!(modes(&a, "r", "boss"), ["r>boss", "r>boss", "r>boss"]);
    }

    #[test]
    fn external_and_predefined_roles_end_chains() {
        let text = "external role ext\nrole a { member of ext, pg_read_all_data }\nuser u { member of a }\n";
        let (m, a) = analysis(text, 15);
        assert_eq!(modes(&a, "u", "ext"), ["u>a>ext", "u>a>ext", "u>a>ext"]);
        assert_eq!(
            modes(&a, "u", "pg_read_all_data"),
            ["u>a>pg_read_all_data", "u>a>pg_read_all_data", "u>a>pg_read_all_data"]
        );
        // Their own memberships are unknown: none.
        assert_eq!(a.granted_roles("ext", Mode::Member).count(), 0);
        assert_eq!(modes(&a, "ext", "ext"), ["same", "same", "same"]);
        assert_eq!(modes(&a, "ext", "a"), ["-", "-", "-"]);
        // Unknown names: only the same role.
        assert_eq!(modes(&a, "ghost", "ghost"), ["same", "same", "same"]);
        assert_eq!(modes(&a, "ghost", "a"), ["-", "-", "-"]);
        assert_eq!(modes(&a, "u", "ghost"), ["-", "-", "-"]);
        // A membership whose member is outside the model (a hand-built model) is followed,
        // and an external member inherits (PostgreSQL's default).
        let mut m = m;
        m.memberships.push(Arc::new(crate::model::Membership {
            member: "ext".into(),
            role: "pg_monitor".into(),
            ..(*m.memberships[0]).clone()
        }));
        let a = reach(&m, 15);
        assert_eq!(modes(&a, "u", "pg_monitor"), ["u>a>ext>pg_monitor", "u>a>ext>pg_monitor", "u>a>ext>pg_monitor"]);
        let roles: Vec<&str> = a.roles().collect();
        assert_eq!(roles, ["a", "u", "ext", "pg_read_all_data", "pg_monitor"]);
    }

    #[test]
    fn closed_windows_are_not_granted() {
        let text = "role a\nrole b { member of a from 2020-01-01 until 2020-02-01 }\nuser u {\n  member of b\n  member of a from 2030-01-01\n}\n";
        let (m, a) = analysis(text, 16);
        assert_eq!(m.memberships.iter().filter(|x| !x.active).count(), 2);
        assert_eq!(modes(&a, "u", "b"), ["u>b", "u>b", "u>b"]);
        assert_eq!(modes(&a, "u", "a"), ["-", "-", "-"]);
        assert_eq!(modes(&a, "b", "a"), ["-", "-", "-"]);
    }

    #[test]
    fn the_shortest_chain_is_reported_with_model_indexes() {
        // u reaches a by u>b>c>d>a and by u>e>a; and USAGE only by the long way, since e
        // does not inherit (u has e's privileges, not a's through e).
        let text = "role a\nrole d { member of a }\nrole c { member of d }\nrole b { member of c }\nrole e {\n  noinherit\n  member of a\n}\nuser u { member of b, e }\n";
        let (m, a) = analysis(text, 15);
        assert_eq!(modes(&a, "u", "a"), ["u>e>a", "u>b>c>d>a", "u>e>a"]);
        let Some(Chain::Memberships(steps)) = a.answer("u", "a", Mode::Member) else { panic!() };
        for s in steps.shown() {
            let ms = &m.memberships[s.membership];
            assert_eq!((&ms.member, &ms.role), (&s.member, &s.role));
        }
        let granted: Vec<&str> = a.granted_roles("u", Mode::Usage).collect();
        assert_eq!(granted, ["a", "d", "c", "b", "e"]);
    }

    #[test]
    fn set_equals_member_before_16() {
        let (_, a) = analysis(CHAIN, 14);
        for (r, g) in [("u", "a"), ("u", "b"), ("c", "a"), ("a", "u")] {
            assert_eq!(a.answer(r, g, Mode::Set), a.answer(r, g, Mode::Member), "{r} {g}");
        }
    }

    #[test]
    fn thousands_of_roles() {
        // A layered hierarchy: 3000 roles, each a member of two roles of the layer below.
        let mut text = String::new();
        let layers = 30;
        let width = 100;
        for l in 0..layers {
            for i in 0..width {
                text.push_str(&format!("role r{l}_{i}"));
                if l > 0 {
                    text.push_str(&format!(" {{ member of r{}_{i}, r{}_{} }}", l - 1, l - 1, (i + 1) % width));
                }
                text.push('\n');
            }
        }
        let m = model(&text, 16);
        let start = std::time::Instant::now();
        let a = reach(&m, 16);
        let took = start.elapsed();
        assert!(took.as_secs() < 20, "{took:?}");
        assert!(matches!(a.answer("r29_0", "r0_0", Mode::Usage), Some(Chain::Memberships(s)) if s.len() == 29));
        assert_eq!(
            a.granted_roles("r29_0", Mode::Member).count(),
            (1..layers).map(|d| (d + 1).min(width)).sum::<usize>()
        );
        // The lengths counted in one pass are those of the chains `answer` builds.
        for role in ["r29_0", "r15_7", "r1_99"] {
            for (granted, len) in a.granted_roles_with_len(role, Mode::Usage) {
                let Some(Chain::Memberships(steps)) = a.answer(role, granted, Mode::Usage) else {
                    panic!("{role} reaches {granted}")
                };
                assert_eq!(len, steps.len(), "{role} → {granted}");
            }
        }
    }

    /// Every answer of [`MembershipAnalysis::reaching`] is that of `answer`, chain included.
    fn reaching_answers_as_answer(a: &MembershipAnalysis) {
        let roles: Vec<&str> = a.roles().chain(["ghost"]).collect();
        for mode in Mode::ALL {
            for granted in &roles {
                let reaching = a.reaching(granted, mode);
                for role in &roles {
                    assert_eq!(reaching.answer(role), a.answer(role, granted, mode), "{role} → {granted} {mode:?}");
                }
            }
        }
    }

    #[test]
    fn long_chains_keep_their_first_and_last_steps() {
        let mut text = String::from("role r0\n");
        for i in 1..40 {
            text += &format!("role r{i} {{ member of r{} }}\n", i - 1);
        }
        let (m, a) = analysis(&text, 16);
        let shown = |from: usize, to: usize| (to..=from).rev().map(|i| format!("r{i}")).collect::<Vec<_>>().join(">");
        // Up to the bound, in full.
        assert_eq!(path(&a, "r12", "r0", Mode::Member), shown(12, 0));
        // Beyond it, the first and last steps, with the number left out.
        assert_eq!(path(&a, "r13", "r0", Mode::Member), format!("{}>~1~>{}", shown(13, 7), shown(6, 0)));
        assert_eq!(path(&a, "r39", "r0", Mode::Usage), format!("{}>~27~>{}", shown(39, 33), shown(6, 0)));
        assert_eq!(path(&a, "r39", "r20", Mode::Set), format!("{}>~7~>{}", shown(39, 33), shown(26, 20)));
        let Some(Chain::Memberships(steps)) = a.answer("r39", "r0", Mode::Member) else { panic!() };
        assert_eq!((steps.len(), steps.shown().len()), (39, LONGEST_SHOWN_CHAIN));
        for s in steps.shown() {
            let ms = &m.memberships[s.membership];
            assert_eq!((&ms.member, &ms.role), (&s.member, &s.role));
        }
        assert_eq!(steps.path("r39", |n| format!("`{n}`")).split(" → ").nth(7), Some("… 27 more …"));
        assert_eq!(thousands(19_987), "19,987");
        assert_eq!(thousands(987), "987");
        assert_eq!(thousands(1_000_000), "1,000,000");
        reaching_answers_as_answer(&a);
    }

    #[test]
    fn one_search_over_reversed_memberships_answers_as_one_per_role() {
        for version in [15, 16] {
            let (_, a) = analysis(CHAIN, version);
            reaching_answers_as_answer(&a);
            let text = "role a\nrole b\nrole c { member of a\n member of b noset }\nrole d { member of b, a }\nuser boss { superuser }\nuser u { member of c, d }\nexternal role ext\nrole e { noinherit\n member of ext, c }\n";
            let text = if version < 16 { text.replace(" noset", "") } else { text.to_string() };
            let (_, a) = analysis(&text, version);
            reaching_answers_as_answer(&a);
        }
        // Many chains of the same length: the same one is chosen.
        let mut text = String::new();
        for l in 0..20 {
            for i in 0..6 {
                text.push_str(&format!("role r{l}_{i}"));
                if l > 0 {
                    text.push_str(&format!(" {{ member of r{}_{}, r{}_{i} }}", l - 1, (i + 1) % 6, l - 1));
                }
                text.push('\n');
            }
        }
        let (_, a) = analysis(&text, 16);
        reaching_answers_as_answer(&a);
        // Asked of the part of the graph some roles reach, from other roles: none.
        let m = model(CHAIN, 16);
        let graph = MembershipGraph::of(&m, 16);
        let (part, _) = graph.restricted(&graph.shape().role_nodes(1..2));
        reaching_answers_as_answer(&reach_from_roles(&part));
    }

    #[test]
    fn tracked_query_follows_the_target_version() {
        let mut ws = Workspace::load(
            Sources::Memory(vec![("t.role".into(), CHAIN.into())]),
            BuildOptions { target_version: 15, ..Default::default() },
        )
        .unwrap();
        let a = crate::db::membership_analysis(&ws.db, ws.policy);
        assert_eq!(a.target_version, 15);
        assert!(a.set.is_none());
        ws.set_options(BuildOptions { target_version: 17, ..Default::default() });
        let a = crate::db::membership_analysis(&ws.db, ws.policy);
        assert_eq!(a.target_version, 17);
        assert_eq!(path(a, "u", "a", Mode::Set), "u>c>b>a");
        let plain: &MembershipAnalysis = a;
        assert!(serde_json::to_string(plain).unwrap().contains("\"usage\""));
    }

    /// The answers over the part of the graph a role reaches are those over the whole graph,
    /// chains included, for every role and mode.
    #[test]
    fn the_part_a_role_reaches_answers_as_the_whole_graph() {
        let policy = "external role ext\nrole base {}\nrole admin { superuser }\nrole a { member of base }\nrole b { noinherit\n member of a }\nrole c { member of b, ext }\nrole d { member of c\n member of a until 2000-01-01 }\nrole e { member of d, admin }\nrole f { member of a, b }\nuser u1 { member of e, f }\nuser u2 { member of f }\n";
        for version in [15, 16] {
            let options =
                crate::model::BuildOptions { target_version: version, at: 1_700_000_000, ..Default::default() };
            let ws =
                crate::db::Workspace::load(crate::db::Sources::Memory(vec![("p.role".into(), policy.into())]), options)
                    .expect("loads");
            assert!(!ws.diagnostics().iter().any(|d| d.is_error()), "{:?}", ws.diagnostics());
            let model = &ws.resolved().model;
            let graph = MembershipGraph::of(model, version);
            let whole = reach_graph(&graph);
            assert!(whole.granted_roles("u1", Mode::Member).count() >= 6, "a deep hierarchy");
            for (p, role) in model.roles.iter().enumerate() {
                let (part, _) = graph.restricted(&graph.shape().role_nodes(p..p + 1));
                let seen = reach_from_roles(&part);
                for mode in [Mode::Member, Mode::Usage, Mode::Set] {
                    let name = role.name.as_str();
                    assert_eq!(
                        seen.granted_roles(name, mode).collect::<Vec<_>>(),
                        whole.granted_roles(name, mode).collect::<Vec<_>>(),
                        "{name} {mode:?} v{version}"
                    );
                    assert_eq!(seen.is_superuser(name), whole.is_superuser(name));
                    for other in whole.roles() {
                        // Chains name memberships by their index in each graph: compare the roles.
                        let chain = |a: &MembershipAnalysis| match a.answer(name, other, mode) {
                            Some(Chain::Memberships(steps)) => {
                                format!("{:?}", steps.shown().iter().map(|s| (&s.member, &s.role)).collect::<Vec<_>>())
                            }
                            other => format!("{other:?}"),
                        };
                        assert_eq!(chain(&seen), chain(&whole), "{name} → {other} {mode:?} v{version}");
                    }
                }
            }
        }
    }
}
