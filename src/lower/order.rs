//! Statement order: a dependency graph (petgraph) walked in topological order.
//!
//! Edges: the creation of a role precedes every statement that names it, and every statement
//! of a phase precedes every statement of the next phase (through one barrier node per phase,
//! so the graph stays linear in size). Among statements that are ready, the earliest phase and
//! then the earliest in source order goes first, which makes the output deterministic.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::{Phase, Statement};

const PHASES: [Phase; 6] = [
    Phase::CreateRoles,
    Phase::Attributes,
    Phase::Memberships,
    Phase::DefaultPrivileges,
    Phase::ObjectGrants,
    Phase::Comments,
];

/// Indices of `statements` in execution order.
pub fn order(statements: &[&Statement]) -> Vec<usize> {
    let mut graph: DiGraph<Option<usize>, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..statements.len()).map(|i| graph.add_node(Some(i))).collect();
    let barriers: Vec<NodeIndex> = PHASES.iter().map(|_| graph.add_node(None)).collect();
    let phase_index = |p: Phase| PHASES.iter().position(|x| *x == p).expect("known phase");

    let mut creator: HashMap<&str, NodeIndex> = HashMap::new();
    for (s, &n) in statements.iter().zip(&nodes) {
        if s.phase == Phase::CreateRoles {
            if let Some(r) = s.roles.first() {
                creator.insert(r, n);
            }
        }
    }
    for (s, &n) in statements.iter().zip(&nodes) {
        let p = phase_index(s.phase);
        // barrier(p) → statement → barrier(p + 1)
        graph.add_edge(barriers[p], n, ());
        if p + 1 < barriers.len() {
            graph.add_edge(n, barriers[p + 1], ());
        }
        for r in &s.roles {
            if let Some(&c) = creator.get(r.as_str()) {
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
        Some(i) => (phase_index(statements[i].phase), 1, i),
        None => (barriers.iter().position(|b| *b == n).unwrap_or(0), 0, 0),
    };
    let mut indegree: Vec<usize> =
        graph.node_indices().map(|n| graph.neighbors_directed(n, Direction::Incoming).count()).collect();
    type Ready = BinaryHeap<Reverse<((usize, usize, usize), NodeIndex)>>;
    let mut ready: Ready =
        graph.node_indices().filter(|n| indegree[n.index()] == 0).map(|n| Reverse((key(n), n))).collect();
    let mut out = Vec::with_capacity(statements.len());
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
    debug_assert_eq!(out.len(), statements.len(), "the statement graph has no cycles by construction");
    out
}
