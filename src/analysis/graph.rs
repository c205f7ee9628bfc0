//! The role hierarchy as a picture: Graphviz DOT and Mermaid text, from the model alone.
//!
//! [`RoleGraph::of`] builds the nodes and edges once; [`RoleGraph::dot`] and
//! [`RoleGraph::mermaid`] render them. Both outputs are deterministic: nodes sorted by name,
//! edges by (member, granted role).
//!
//! - One node per role: the policy's users (ellipses) and group roles (boxes), its external
//!   roles and the predefined roles it grants (dashed boxes; predefined ones grey).
//! - One edge per membership open at build time (`active`), from the member to the granted
//!   role. Memberships whose window is closed at `--at` are left out, as `up.sql` does not
//!   grant them. An edge is labelled with its non-default options (`admin`, `noinherit`,
//!   `noset`) and dashed when it does not inherit: `noinherit` is the effective option, so it
//!   also marks the memberships of a member that is `noinherit` as a whole.
//!
//! Role names can contain anything: DOT ids are quoted strings with `"` and `\` escaped (and
//! line breaks as `\n`); Mermaid ids are generated (`n0`, `n1`, …) and names appear only in
//! quoted labels, with `"`, `#`, `<`, `>`, `&`, `` ` ``, `\` and control characters as entity
//! codes.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::Model;
use crate::syntax::ast::AttributeKind;

/// What a node stands for; decides how it is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    /// A `user` of the policy (a login role).
    User,
    /// A `role` of the policy (a group role).
    Group,
    /// An `external role`, or a role the policy names but does not declare.
    External,
    /// A PostgreSQL predefined role (`pg_monitor`, …).
    Predefined,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
}

/// `member` is a member of `role` (indexes into [`RoleGraph::nodes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub member: usize,
    pub role: usize,
    pub admin: bool,
    /// Whether the member has the privileges of the role through this membership.
    pub inherit: bool,
    /// Whether the member may `SET ROLE` to the role through this membership.
    pub set: bool,
    /// The index of the membership in `model.memberships`.
    pub membership: usize,
}

impl Edge {
    /// The non-default options, in a fixed order: `admin`, `noinherit`, `noset`.
    pub fn options(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.admin {
            out.push("admin");
        }
        if !self.inherit {
            out.push("noinherit");
        }
        if !self.set {
            out.push("noset");
        }
        out
    }
}

/// The role hierarchy: nodes sorted by name, edges sorted by (member, role).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleGraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl RoleGraph {
    /// The nodes and edges of a model: every role and external role, the other roles that
    /// active memberships grant, and one edge per active membership.
    pub fn of(model: &Model) -> RoleGraph {
        let mut kinds: BTreeMap<&str, NodeKind> = BTreeMap::new();
        for r in &model.external_roles {
            kinds.insert(r, NodeKind::External);
        }
        for r in &model.roles {
            kinds.insert(&r.name, if r.is_user { NodeKind::User } else { NodeKind::Group });
        }
        let active: Vec<(usize, &crate::model::Membership)> = model.memberships.iter().enumerate().filter(|(_, m)| m.active).collect();
        for (_, m) in &active {
            for name in [&m.member, &m.role] {
                kinds.entry(name).or_insert_with(|| if crate::stdlib::predefined_since(name).is_some() { NodeKind::Predefined } else { NodeKind::External });
            }
        }
        let index: BTreeMap<&str, usize> = kinds.keys().enumerate().map(|(i, n)| (*n, i)).collect();
        let nodes = kinds.iter().map(|(name, kind)| Node { name: name.to_string(), kind: *kind }).collect();

        // INHERIT is on unless the policy turns it off (PostgreSQL's default for other roles).
        let inherits: BTreeMap<&str, bool> = model.roles.iter().map(|r| (r.name.as_str(), r.attributes.get(&AttributeKind::Inherit).copied().unwrap_or(true))).collect();
        let mut edges: Vec<Edge> = active
            .iter()
            .map(|(k, m)| Edge {
                member: index[m.member.as_str()],
                role: index[m.role.as_str()],
                admin: m.admin,
                inherit: m.inherit.unwrap_or_else(|| inherits.get(m.member.as_str()).copied().unwrap_or(true)),
                set: m.set.unwrap_or(true),
                membership: *k,
            })
            .collect();
        // Node indexes follow name order, so this sorts by (member name, role name).
        edges.sort_by_key(|e| (e.member, e.role, e.membership));
        RoleGraph { nodes, edges }
    }

    /// Graphviz DOT: `digraph roles { … }`, members below the roles they are granted.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph roles {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for n in &self.nodes {
            let attrs = match n.kind {
                NodeKind::User => "shape=ellipse",
                NodeKind::Group => "shape=box",
                NodeKind::External => "shape=box, style=dashed",
                NodeKind::Predefined => "shape=box, style=dashed, color=gray40, fontcolor=gray40",
            };
            let _ = writeln!(out, "  {} [{attrs}];", dot_quote(&n.name));
        }
        for e in &self.edges {
            let mut attrs = Vec::new();
            let options = e.options();
            if !options.is_empty() {
                attrs.push(format!("label={}", dot_quote(&options.join(", "))));
            }
            if !e.inherit {
                attrs.push("style=dashed".to_string());
            }
            let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
            let _ = writeln!(out, "  {} -> {}{attrs};", dot_quote(&self.nodes[e.member].name), dot_quote(&self.nodes[e.role].name));
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid: `flowchart BT`, nodes `n0`, `n1`, … labelled with the role names.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart BT\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let label = mermaid_label(&n.name);
            let _ = match n.kind {
                NodeKind::User => writeln!(out, "  n{i}([{label}])"),
                NodeKind::Group => writeln!(out, "  n{i}[{label}]"),
                NodeKind::External => writeln!(out, "  n{i}[{label}]:::external"),
                NodeKind::Predefined => writeln!(out, "  n{i}[{label}]:::predefined"),
            };
        }
        for e in &self.edges {
            let arrow = if e.inherit { "-->" } else { "-.->" };
            let options = e.options();
            let label = if options.is_empty() { String::new() } else { format!("|{}|", mermaid_label(&options.join(", "))) };
            let _ = writeln!(out, "  n{} {arrow}{label} n{}", e.member, e.role);
        }
        if self.nodes.iter().any(|n| n.kind == NodeKind::External) {
            out.push_str("  classDef external stroke-dasharray: 5 5\n");
        }
        if self.nodes.iter().any(|n| n.kind == NodeKind::Predefined) {
            out.push_str("  classDef predefined stroke-dasharray: 5 5, color: #666\n");
        }
        out
    }
}

/// The role hierarchy of a model in Graphviz DOT.
pub fn dot(model: &Model) -> String {
    RoleGraph::of(model).dot()
}

/// The role hierarchy of a model as a Mermaid flowchart.
pub fn mermaid(model: &Model) -> String {
    RoleGraph::of(model).mermaid()
}

/// A DOT quoted string: `"` and `\` escaped, line breaks written `\n` / `\r`.
pub fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Mermaid quoted label: `"` as `#quot;`; `#`, `<`, `>`, `&`, `` ` ``, `\` and control
/// characters as numeric entity codes, so that nothing in a name is read as syntax, markup,
/// an escape or an entity.
pub fn mermaid_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' | '<' | '>' | '&' | '`' | '\\' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(dot_quote(r#"x"; DROP\"#), r#""x\"; DROP\\""#);
        assert_eq!(dot_quote("a\nb"), r#""a\nb""#);
        assert_eq!(mermaid_label(r#"x"<#>&`"#), r#""x#quot;#60;#35;#62;#38;#96;""#);
        assert_eq!(mermaid_label("a\nb"), "\"a#10;b\"");
        assert_eq!(mermaid_label(r"a\"), "\"a#92;\"");
    }

    #[test]
    fn empty_model() {
        assert_eq!(dot(&Model::default()), "digraph roles {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n}\n");
        assert_eq!(mermaid(&Model::default()), "flowchart BT\n");
    }
}
