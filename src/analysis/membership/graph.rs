//! The membership graph of a model and its shape (the graph without names), as the salsa
//! queries keep them; the part of it a set of roles reaches.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::{Membership, Model, Role};
use crate::syntax::ast::AttributeKind;

/// The membership graph of a model, without positions: what [`reach`](super::reach) needs,
/// and nothing an edit elsewhere (a grant, a comment, a moved line) changes, so that the salsa
/// query built on it is reused after such edits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MembershipGraph {
    /// The model's roles, external roles, then roles named only as membership targets.
    pub(super) names: Vec<String>,
    pub(super) shape: GraphShape,
}

/// The membership graph without its names: equal after an edit that only renames roles, so
/// that what is computed from it (the part of the graph each chunk of roles reaches) is not
/// computed again.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GraphShape {
    pub target_version: u32,
    pub(super) superuser: Vec<bool>,
    /// The INHERIT attribute of each role (on unless the policy turns it off).
    pub(super) inherits: Vec<bool>,
    /// Each model membership, by model index.
    pub(super) edges: Vec<GraphEdge>,
    /// The memberships (edge indexes) of each member, in order.
    out: Vec<Vec<u32>>,
    /// The node of each of the model's roles, by position (a name declared twice has one).
    pub(super) role_ids: Vec<u32>,
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
    /// [`reach_graph`](super::reach_graph) needs to answer every question that starts at one
    /// of them, the same as over the whole graph. Nodes and edges keep their relative order;
    /// with the index, in the whole graph, of each edge kept.
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

    /// The number of nodes: the model's roles (a name declared twice once), external roles and
    /// names only memberships target.
    pub fn node_count(&self) -> usize {
        self.first_role.len()
    }

    /// Per node: whether it reaches, by one membership or more (active or not), a node that
    /// is `marked`. One breadth-first search backwards from the marked nodes.
    pub fn reaching_marked(&self, marked: &[bool]) -> Vec<bool> {
        let mut into: Vec<Vec<u32>> = vec![Vec::new(); self.node_count()];
        for &(a, b, ..) in &self.edges {
            into[b as usize].push(a);
        }
        let mut reaching = vec![false; self.node_count()];
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
        let mut used = vec![false; self.node_count()];
        for &(a, b, ..) in &self.edges {
            used[a as usize] = true;
            if a != b {
                used[b as usize] = true;
            }
        }
        used
    }
}
