//! Checks that need only a name or a small table: privileges per object type, role names,
//! and membership cycles.

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

use super::{Membership, Object};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{BulkKind, DefaultKind, Privilege};
use crate::syntax::Span;

use crate::pg::privilege::AclKind;
pub use crate::pg::roles::{reserved_role_name, MAX_NAME_BYTES};

/// The privileges PostgreSQL accepts on an object, and the object's name for messages.
pub fn allowed_on_object(object: &Object) -> (&'static [Privilege], &'static str) {
    let (kind, what) = match object {
        Object::Table { .. } => (AclKind::Relation, "a table"),
        Object::View { .. } => (AclKind::Relation, "a view"),
        Object::Sequence { .. } => (AclKind::Sequence, "a sequence"),
        Object::Routine { .. } => (AclKind::Routine, "a function"),
        Object::Schema { .. } => (AclKind::Schema, "a schema"),
        Object::Database { .. } => (AclKind::Database, "a database"),
        Object::Type { .. } => (AclKind::Type, "a type"),
        Object::Domain { .. } => (AclKind::Type, "a domain"),
        Object::Columns { .. } => (AclKind::Column, "columns"),
        Object::AllIn { kind: BulkKind::Tables, .. } => (AclKind::Relation, "tables"),
        Object::AllIn { kind: BulkKind::Sequences, .. } => (AclKind::Sequence, "sequences"),
        Object::AllIn { kind: BulkKind::Functions | BulkKind::Routines, .. } => (AclKind::Routine, "functions"),
    };
    (kind.grantable(), what)
}

pub fn allowed_on_default(kind: DefaultKind) -> (&'static [Privilege], &'static str) {
    let what = match kind {
        DefaultKind::Tables => "tables",
        DefaultKind::Sequences => "sequences",
        DefaultKind::Functions | DefaultKind::Routines => "functions",
        DefaultKind::Types => "types",
        DefaultKind::Schemas => "schemas",
    };
    (super::default_object_kind(kind).grantable(), what)
}

/// E007 for a privilege that does not fit, E018 for MAINTAIN before PostgreSQL 17.
pub fn check_privilege(
    privilege: Privilege,
    span: Span,
    allowed: &[Privilege],
    what: &str,
    target_version: u32,
) -> Option<Diagnostic> {
    if !allowed.contains(&privilege) {
        let list: Vec<_> =
            allowed.iter().filter(|p| p.exists_on(target_version)).map(|p| format!("`{}`", p.keyword())).collect();
        return Some(
            Diagnostic::new(
                Code::PrivilegeMismatch,
                span,
                format!("`{}` does not apply to {what}", privilege.keyword()),
            )
            .label(format!("not a privilege of {what}"))
            .help(format!("privileges on {what}: {}", list.join(", "))),
        );
    }
    if let Some(since) = privilege.since().filter(|since| target_version < *since) {
        return Some(
            Diagnostic::new(
                Code::VersionFeature,
                span,
                format!("`{}` needs PostgreSQL {since}, the target is {target_version}", privilege.keyword()),
            )
            .label(format!("PostgreSQL {since} and later"))
            .help(format!("build with `--target-version {since}` or drop this privilege")),
        );
    }
    None
}

/// E009 for a name PostgreSQL would truncate; `what` is "role", "schema", … for the message.
pub fn check_length(name: &str, span: Span, what: &str) -> Option<Diagnostic> {
    (name.len() > MAX_NAME_BYTES).then(|| {
        Diagnostic::new(
            Code::NameTooLong,
            span,
            format!("the {what} name is {} bytes long; PostgreSQL allows {MAX_NAME_BYTES}", name.len()),
        )
        .label("too long")
        .help("PostgreSQL would silently truncate it, and two long names could become one")
    })
}

/// One E006 per cycle in the membership graph (a member of itself, directly or not).
///
/// `candidates`: the indexes of the memberships that may be on a cycle, in order: at least
/// those whose member has members (a member that nobody is a member of, a user most often,
/// is on no cycle), so that the graph holds the groups alone.
pub fn membership_cycles(memberships: &[Arc<Membership>], candidates: &[usize]) -> Vec<Diagnostic> {
    let mut graph: DiGraph<&str, usize> = DiGraph::new();
    let mut nodes: HashMap<&str, NodeIndex> = HashMap::new();
    for &i in candidates {
        let m = &memberships[i];
        let a = *nodes.entry(&m.member).or_insert_with(|| graph.add_node(&m.member));
        let b = *nodes.entry(&m.role).or_insert_with(|| graph.add_node(&m.role));
        graph.add_edge(a, b, i);
    }
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(&graph) {
        let self_loop = scc.len() == 1 && graph.find_edge(scc[0], scc[0]).is_some();
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let cycle = find_cycle(&graph, &scc);
        let first = &memberships[cycle[0]];
        let path: Vec<&str> =
            cycle.iter().map(|&e| memberships[e].member.as_str()).chain([first.member.as_str()]).collect();
        let mut d = Diagnostic::new(
            Code::MembershipCycle,
            first.origin,
            format!("membership cycle: {}", path.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" → ")),
        )
        .label(format!("`{}` is a member of `{}`", first.member, first.role))
        .help("PostgreSQL refuses circular memberships (0LP01); remove one of these `member of`");
        for &e in &cycle[1..] {
            let m = &memberships[e];
            d = d.with_secondary(m.origin, format!("`{}` is a member of `{}`", m.member, m.role));
        }
        out.push(d);
    }
    out
}

/// Edge indices (membership indices) of one cycle inside a strongly connected component.
fn find_cycle(graph: &DiGraph<&str, usize>, scc: &[NodeIndex]) -> Vec<usize> {
    let start = *scc.iter().min_by_key(|n| graph[**n]).unwrap();
    let in_scc = |n: NodeIndex| scc.contains(&n);
    // Breadth-first search from `start` back to `start`, staying inside the component.
    let mut prev: HashMap<NodeIndex, (NodeIndex, usize)> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut edges: Vec<_> = graph.edges(n).map(|e| (petgraph::visit::EdgeRef::target(&e), *e.weight())).collect();
        edges.sort_by_key(|(_, w)| *w);
        for (t, w) in edges {
            if t == start {
                let mut path = vec![w];
                let mut cur = n;
                while cur != start {
                    let (p, pw) = prev[&cur];
                    path.push(pw);
                    cur = p;
                }
                path.reverse();
                return path;
            }
            if in_scc(t) && !prev.contains_key(&t) {
                prev.insert(t, (n, w));
                queue.push_back(t);
            }
        }
    }
    Vec::new()
}
