//! The answers: which roles a role reaches in each mode, found by breadth-first searches over
//! the memberships that count in that mode, with the last few rows kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::graph::{GraphShape, MembershipGraph};
use super::{Chain, Mode, Step, Steps, LONGEST_SHOWN_CHAIN, SHOWN_AT_EACH_END};
use crate::model::Model;

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
    pub(super) set: Option<Vec<Vec<(u32, u32)>>>,
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
    // One bit per node: cheaper than hashing, and as big as the graph the analysis holds.
    let mut seen = vec![0u64; adj.len().div_ceil(64)];
    let mut insert = |node: u32| {
        let (word, bit) = (node as usize / 64, 1u64 << (node % 64));
        let new = seen[word] & bit == 0;
        seen[word] |= bit;
        new
    };
    insert(start);
    // Each node with its depth and `head_end`.
    let mut queue = VecDeque::from([(start, 0u32, start)]);
    let mut out = Vec::new();
    while let Some((a, depth, head_end)) = queue.pop_front() {
        for &(b, k) in &adj[a as usize] {
            if insert(b) {
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

    /// [`Self::granted_roles_with_len`] by node, from a node.
    pub fn granted_nodes_with_len(&self, role: u32, mode: Mode) -> Vec<(u32, usize)> {
        self.row(role, mode).iter().map(|e| (e.node, e.depth as usize)).collect()
    }

    /// How many nodes (roles) the analysis knows: nodes are `0..node_count()`.
    pub fn node_count(&self) -> usize {
        self.names.len()
    }

    /// The name of a node.
    pub fn name(&self, node: u32) -> &str {
        &self.names[node as usize]
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

    /// [`Self::has_node`] from one role to many: its row is looked up once.
    pub fn has_nodes(&self, role: u32, mode: Mode) -> impl Fn(u32) -> bool {
        let superuser = self.superuser[role as usize];
        let row = self.row(role, mode);
        move |granted| superuser || row.binary_search_by_key(&granted, |e| e.node).is_ok()
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
