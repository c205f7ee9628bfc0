//! Statement order: a dependency graph (petgraph) walked in topological order.
//!
//! Edges: the creation of a role precedes every statement that names it, and every statement
//! of a phase precedes every statement of the next phase (through one barrier node per phase,
//! so the graph stays linear in size). Among statements that are ready, the earliest phase and
//! then the earliest in source order goes first, which makes the output deterministic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::Phase;

/// The roles of the policy a statement names (at most two: a membership's role and member, a
/// default privilege's owner and grantee), by their index in the model. A role's creation
/// names the role alone.
pub type Names = [Option<u32>; 2];

const PHASES: [Phase; 6] = [
    Phase::CreateRoles,
    Phase::Attributes,
    Phase::Memberships,
    Phase::DefaultPrivileges,
    Phase::ObjectGrants,
    Phase::Comments,
];

/// Indices of the statements in execution order, given each statement's phase and the roles
/// it names, out of `roles` roles.
pub fn order(phases: &[Phase], names: &[Names], roles: usize) -> Vec<usize> {
    let mut graph: DiGraph<Option<usize>, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..phases.len()).map(|i| graph.add_node(Some(i))).collect();
    let barriers: Vec<NodeIndex> = PHASES.iter().map(|_| graph.add_node(None)).collect();
    let phase_index = |p: Phase| PHASES.iter().position(|x| *x == p).expect("known phase");

    let mut creator: Vec<Option<NodeIndex>> = vec![None; roles];
    for ((phase, named), &n) in phases.iter().zip(names).zip(&nodes) {
        if let (Phase::CreateRoles, [Some(r), _]) = (phase, named) {
            creator[*r as usize] = Some(n);
        }
    }
    for ((phase, named), &n) in phases.iter().zip(names).zip(&nodes) {
        let p = phase_index(*phase);
        // barrier(p) → statement → barrier(p + 1)
        graph.add_edge(barriers[p], n, ());
        if p + 1 < barriers.len() {
            graph.add_edge(n, barriers[p + 1], ());
        }
        for r in named.iter().flatten() {
            if let Some(c) = creator[*r as usize] {
                if c != n {
                    graph.add_edge(c, n, ());
                }
            }
        }
    }
    for w in barriers.windows(2) {
        graph.add_edge(w[0], w[1], ());
    }

    // Kahn's algorithm with a priority queue: (phase, source index); barriers go first.
    let key = |n: NodeIndex| match graph[n] {
        Some(i) => (phase_index(phases[i]), 1, i),
        None => (barriers.iter().position(|b| *b == n).unwrap_or(0), 0, 0),
    };
    let mut indegree: Vec<usize> =
        graph.node_indices().map(|n| graph.neighbors_directed(n, Direction::Incoming).count()).collect();
    type Ready = BinaryHeap<Reverse<((usize, usize, usize), NodeIndex)>>;
    let mut ready: Ready =
        graph.node_indices().filter(|n| indegree[n.index()] == 0).map(|n| Reverse((key(n), n))).collect();
    let mut out = Vec::with_capacity(phases.len());
    while let Some(Reverse((_, n))) = ready.pop() {
        if let Some(i) = graph[n] {
            out.push(i);
        }
        for m in graph.neighbors_directed(n, Direction::Outgoing) {
            indegree[m.index()] -= 1;
            if indegree[m.index()] == 0 {
                ready.push(Reverse((key(m), m)));
            }
        }
    }
    debug_assert_eq!(out.len(), phases.len(), "the statement graph has no cycles by construction");
    out
}
