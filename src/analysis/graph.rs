//! The role hierarchy as a picture: Graphviz DOT and Mermaid text, from the model and its
//! membership analysis.
//!
//! [`RoleGraph::of`] builds the nodes, edges and marks once; [`RoleGraph::dot`] and
//! [`RoleGraph::mermaid`] render them. Both outputs are deterministic: nodes sorted by name,
//! edges by (member, granted role), exclusive pairs by (role, role, policy).
//!
//! - One node per role: the policy's users (ellipses) and group roles (boxes), its external
//!   roles and the predefined roles it grants or names in `exclusive` rules (dashed boxes;
//!   predefined ones grey).
//! - One edge per membership open at build time (`active`), from the member to the granted
//!   role. Memberships whose window is closed at `--at` are left out, as `up.sql` does not
//!   grant them. An edge is labelled with its non-default options (`admin`, `noinherit`,
//!   `noset`) and dashed when it does not inherit: `noinherit` is the effective option, so it
//!   also marks the memberships of a member that is `noinherit` as a whole.
//! - Exclusive pairs and their violations (`policy { exclusive a, b, … }`, see
//!   [`crate::analysis::policy`]): each pair of roles an `exclusive` rule lists gets an
//!   undirected dashed edge labelled `exclusive (policy NAME)` (DOT: `dir=none`; Mermaid: a
//!   `-.-` link), red for a rule that fails the build and orange for a `warn` rule. Each role
//!   in a rule's scope that reaches two of its roles (`MEMBER` mode, the chains of the E030 /
//!   W030 diagnostic, from [`MembershipAnalysis`]) is a violation: its node is filled and
//!   outlined red (orange when only `warn` rules are broken; Mermaid classes `violation` and
//!   `violationwarn`), and the membership edges of its two shortest chains are drawn red (or
//!   orange) and thick. A legend (a DOT graph label, Mermaid `%%` comments) says so when the
//!   graph has marks.
//!
//! Role names can contain anything: DOT ids are quoted strings with `"` and `\` escaped (and
//! line breaks as `\n`); Mermaid ids are generated (`n0`, `n1`, …) and names appear only in
//! quoted labels, with `"`, `#`, `<`, `>`, `&`, `` ` ``, `\` and control characters as entity
//! codes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::analysis::membership::MembershipAnalysis;
use crate::analysis::rules::exclusive::member_chain_memberships;
use crate::model::{Model, Policy, PolicyRule, RuleKind};
use crate::syntax::ast::AttributeKind;
use crate::syntax::Span;

/// An `exclusive` rule with its policy and the roles it lists.
type ExclusiveRule<'m> = (&'m Policy, &'m PolicyRule, &'m [(String, Span)]);

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

/// The weight of a mark: from a `warn` rule, or from a rule that fails the build. A mark
/// that several rules put on the same node or edge takes the heavier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// A `warn` rule (W030): drawn orange.
    Warn,
    /// A rule that fails the build (E030): drawn red.
    Error,
}

impl Level {
    fn of(rule: &PolicyRule) -> Level {
        if rule.warn {
            Level::Warn
        } else {
            Level::Error
        }
    }

    /// The colour of the mark, a name both Graphviz and CSS know.
    pub fn color(self) -> &'static str {
        match self {
            Level::Warn => "orange",
            Level::Error => "red",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    /// The role breaks an `exclusive` rule (the heaviest level among the rules it breaks).
    pub violation: Option<Level>,
}

/// Two roles an `exclusive` rule of `policy` keeps apart (indexes into [`RoleGraph::nodes`],
/// `a < b`). The same pair in several rules of one policy is drawn once, at the heavier level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExclusivePair {
    pub a: usize,
    pub b: usize,
    pub policy: String,
    pub level: Level,
}

/// `role` reaches both `a` and `b` (node indexes, `a < b`), which an `exclusive` rule of
/// `policy` keeps apart. Each (role, pair) once, from a rule that fails the build when there is
/// one, as the E030 / W030 diagnostics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub role: usize,
    pub a: usize,
    pub b: usize,
    pub policy: String,
    pub level: Level,
    /// The memberships (indexes into `model.memberships`) of the shortest chains from `role`
    /// to `a` and to `b`, sorted, without repeats.
    pub memberships: Vec<usize>,
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
    /// The membership is on a chain of a [`Violation`] (the heaviest level among them).
    pub violation: Option<Level>,
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

/// The role hierarchy: nodes sorted by name, edges sorted by (member, role), and the marks of
/// `exclusive` rules: pairs sorted by (a, b, policy), violations by (role, a, b).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleGraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub pairs: Vec<ExclusivePair>,
    pub violations: Vec<Violation>,
}

impl RoleGraph {
    /// The nodes and edges of a model: every role and external role, the other roles that
    /// active memberships grant or `exclusive` rules name, and one edge per active membership;
    /// with the exclusive pairs and their violations, whose chains come from `analysis` (the
    /// analysis of this model, any target version: `MEMBER` mode does not depend on it).
    pub fn of(model: &Model, analysis: &MembershipAnalysis) -> RoleGraph {
        let mut kinds: BTreeMap<&str, NodeKind> = BTreeMap::new();
        for r in &model.external_roles {
            kinds.insert(r, NodeKind::External);
        }
        for r in &model.roles {
            kinds.insert(&r.name, if r.is_user { NodeKind::User } else { NodeKind::Group });
        }
        let active: Vec<(usize, &crate::model::Membership)> =
            model.memberships.iter().map(|m| &**m).enumerate().filter(|(_, m)| m.active).collect();
        for (_, m) in &active {
            for name in [&m.member, &m.role] {
                kinds.entry(name).or_insert_with(|| other_kind(name));
            }
        }
        // Rules that fail the build first, as the checker, so that a (role, pair) stated by an
        // error rule and by a `warn` rule is marked as the error.
        let mut rules: Vec<ExclusiveRule> = model
            .policies
            .iter()
            .flat_map(|p| {
                p.rules.iter().filter_map(move |r| {
                    if let RuleKind::Exclusive(roles) = &r.kind {
                        Some((p, r, roles.as_slice()))
                    } else {
                        None
                    }
                })
            })
            .collect();
        rules.sort_by_key(|(_, r, _)| r.warn);
        for (_, _, roles) in &rules {
            for (name, _) in *roles {
                kinds.entry(name).or_insert_with(|| other_kind(name));
            }
        }
        let index: BTreeMap<&str, usize> = kinds.keys().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut nodes: Vec<Node> =
            kinds.iter().map(|(name, kind)| Node { name: name.to_string(), kind: *kind, violation: None }).collect();

        // INHERIT is on unless the policy turns it off (PostgreSQL's default for other roles).
        let inherits: BTreeMap<&str, bool> = model
            .roles
            .iter()
            .map(|r| (r.name.as_str(), r.attributes.get(&AttributeKind::Inherit).copied().unwrap_or(true)))
            .collect();
        let mut edges: Vec<Edge> = active
            .iter()
            .map(|(k, m)| Edge {
                member: index[m.member.as_str()],
                role: index[m.role.as_str()],
                admin: m.admin,
                inherit: m.inherit.unwrap_or_else(|| inherits.get(m.member.as_str()).copied().unwrap_or(true)),
                set: m.set.unwrap_or(true),
                membership: *k,
                violation: None,
            })
            .collect();
        // Node indexes follow name order, so this sorts by (member name, role name).
        edges.sort_by_key(|e| (e.member, e.role, e.membership));

        let ordered = |x: usize, y: usize| if x < y { (x, y) } else { (y, x) };
        let mut pairs: BTreeMap<(usize, usize, &str), Level> = BTreeMap::new();
        let mut violations: BTreeMap<(usize, usize, usize), Violation> = BTreeMap::new();
        for (policy, rule, roles) in &rules {
            let level = Level::of(rule);
            let distinct = |i: usize, j: usize| roles[i].0 != roles[j].0;
            for i in 0..roles.len() {
                for j in (i + 1..roles.len()).filter(|&j| distinct(i, j)) {
                    let (a, b) = ordered(index[roles[i].0.as_str()], index[roles[j].0.as_str()]);
                    let mark = pairs.entry((a, b, policy.name.as_str())).or_insert(level);
                    *mark = (*mark).max(level);
                }
            }
            for role in model.roles.iter().filter(|r| policy.scope.contains(r)) {
                let chains: Vec<_> = roles
                    .iter()
                    .map(|(g, _)| member_chain_memberships(&model.memberships, analysis, &role.name, g))
                    .collect();
                for i in 0..roles.len() {
                    for j in (i + 1..roles.len()).filter(|&j| distinct(i, j)) {
                        let (Some(ca), Some(cb)) = (&chains[i], &chains[j]) else { continue };
                        let (a, b) = ordered(index[roles[i].0.as_str()], index[roles[j].0.as_str()]);
                        let r = index[role.name.as_str()];
                        violations.entry((r, a, b)).or_insert_with(|| {
                            let memberships: BTreeSet<usize> = ca.iter().chain(cb).copied().collect();
                            Violation {
                                role: r,
                                a,
                                b,
                                policy: policy.name.clone(),
                                level,
                                memberships: memberships.into_iter().collect(),
                            }
                        });
                    }
                }
            }
        }
        let pairs = pairs
            .into_iter()
            .map(|((a, b, policy), level)| ExclusivePair { a, b, policy: policy.to_string(), level })
            .collect();
        let violations: Vec<Violation> = violations.into_values().collect();
        let by_membership: BTreeMap<usize, usize> = edges.iter().enumerate().map(|(i, e)| (e.membership, i)).collect();
        for v in &violations {
            nodes[v.role].violation = nodes[v.role].violation.max(Some(v.level));
            // Chains follow active memberships only, which are all edges.
            for k in &v.memberships {
                if let Some(&i) = by_membership.get(k) {
                    edges[i].violation = edges[i].violation.max(Some(v.level));
                }
            }
        }
        RoleGraph { nodes, edges, pairs, violations }
    }

    /// Whether the graph has exclusive pairs or violations to draw.
    pub fn has_marks(&self) -> bool {
        !self.pairs.is_empty() || !self.violations.is_empty()
    }

    /// The legend of the marks present, one line each.
    fn legend(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.pairs.is_empty() {
            out.push("dashed lines without arrow: roles an exclusive rule keeps apart (red: the rule fails the build; orange: warn rule)");
        }
        if !self.violations.is_empty() {
            out.push("red (orange: warn rule) roles reach two exclusive roles; thick red (orange) edges are their shortest chains");
        }
        out
    }

    /// Graphviz DOT: `digraph roles { … }`, members below the roles they are granted.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph roles {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        let legend = self.legend();
        if !legend.is_empty() {
            let _ = writeln!(
                out,
                "  graph [label={}, labelloc=b, fontname=\"Helvetica\", fontsize=10];",
                dot_quote(&legend.join("\n"))
            );
        }
        for n in &self.nodes {
            let (shape, mut style, gray) = match n.kind {
                NodeKind::User => ("ellipse", vec![], false),
                NodeKind::Group => ("box", vec![], false),
                NodeKind::External => ("box", vec!["dashed"], false),
                NodeKind::Predefined => ("box", vec!["dashed"], true),
            };
            let mut attrs = vec![format!("shape={shape}")];
            if let Some(level) = n.violation {
                style.push("filled");
                let fill = match level {
                    Level::Error => "#ffe0e0",
                    Level::Warn => "#fff0d0",
                };
                attrs.push(format!(
                    "style={}",
                    if style.len() > 1 { dot_quote(&style.join(",")) } else { style.join(",") }
                ));
                attrs.push(format!("color={}, penwidth=2, fillcolor={}", level.color(), dot_quote(fill)));
            } else if !style.is_empty() {
                attrs.push(format!("style={}", style.join(",")));
            }
            if gray {
                if n.violation.is_none() {
                    attrs.push("color=gray40".to_string());
                }
                attrs.push("fontcolor=gray40".to_string());
            }
            let _ = writeln!(out, "  {} [{}];", dot_quote(&n.name), attrs.join(", "));
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
            if let Some(level) = e.violation {
                attrs.push(format!("color={}, penwidth=2.5", level.color()));
            }
            let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
            let _ = writeln!(
                out,
                "  {} -> {}{attrs};",
                dot_quote(&self.nodes[e.member].name),
                dot_quote(&self.nodes[e.role].name)
            );
        }
        for p in &self.pairs {
            let color = p.level.color();
            let label = dot_quote(&format!("exclusive (policy {})", p.policy));
            let _ = writeln!(
                out,
                "  {} -> {} [dir=none, constraint=false, style=dashed, color={color}, fontcolor={color}, label={label}];",
                dot_quote(&self.nodes[p.a].name),
                dot_quote(&self.nodes[p.b].name)
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid: `flowchart BT`, nodes `n0`, `n1`, … labelled with the role names.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart BT\n");
        for line in self.legend() {
            let _ = writeln!(out, "  %% {line}");
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let label = mermaid_label(&n.name);
            let class = match (n.violation, n.kind) {
                (Some(Level::Error), _) => ":::violation",
                (Some(Level::Warn), _) => ":::violationwarn",
                (None, NodeKind::External) => ":::external",
                (None, NodeKind::Predefined) => ":::predefined",
                (None, NodeKind::User | NodeKind::Group) => "",
            };
            let _ = match n.kind {
                NodeKind::User => writeln!(out, "  n{i}([{label}]){class}"),
                _ => writeln!(out, "  n{i}[{label}]{class}"),
            };
        }
        // Links are numbered in the order they are written: `linkStyle` styles them by number.
        let mut styled: BTreeMap<(&str, Level), Vec<usize>> = BTreeMap::new();
        for (k, e) in self.edges.iter().enumerate() {
            let arrow = if e.inherit { "-->" } else { "-.->" };
            let options = e.options();
            let label =
                if options.is_empty() { String::new() } else { format!("|{}|", mermaid_label(&options.join(", "))) };
            let _ = writeln!(out, "  n{} {arrow}{label} n{}", e.member, e.role);
            if let Some(level) = e.violation {
                styled.entry(("chain", level)).or_default().push(k);
            }
        }
        for (k, p) in self.pairs.iter().enumerate() {
            let _ = writeln!(
                out,
                "  n{} -.-|{}| n{}",
                p.a,
                mermaid_label(&format!("exclusive (policy {})", p.policy)),
                p.b
            );
            styled.entry(("pair", p.level)).or_default().push(self.edges.len() + k);
        }
        for ((what, level), links) in &styled {
            let links = links.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            let color = level.color();
            let _ = match *what {
                "chain" => writeln!(out, "  linkStyle {links} stroke:{color},stroke-width:3px"),
                _ => writeln!(out, "  linkStyle {links} stroke:{color},color:{color}"),
            };
        }
        if self.nodes.iter().any(|n| n.kind == NodeKind::External && n.violation.is_none()) {
            out.push_str("  classDef external stroke-dasharray: 5 5\n");
        }
        if self.nodes.iter().any(|n| n.kind == NodeKind::Predefined && n.violation.is_none()) {
            out.push_str("  classDef predefined stroke-dasharray: 5 5, color: #666\n");
        }
        if self.nodes.iter().any(|n| n.violation == Some(Level::Error)) {
            out.push_str("  classDef violation stroke:red,stroke-width:3px,fill:#ffe0e0\n");
        }
        if self.nodes.iter().any(|n| n.violation == Some(Level::Warn)) {
            out.push_str("  classDef violationwarn stroke:orange,stroke-width:3px,fill:#fff0d0\n");
        }
        out
    }
}

/// The kind of a role the policy does not declare.
fn other_kind(name: &str) -> NodeKind {
    if crate::pg::roles::predefined_since(name).is_some() {
        NodeKind::Predefined
    } else {
        NodeKind::External
    }
}

/// The graph of a model with its own membership analysis (`MEMBER` mode, the same at every
/// target version).
fn graph_of(model: &Model) -> RoleGraph {
    RoleGraph::of(model, &crate::analysis::membership::reach(model, crate::model::DEFAULT_TARGET_VERSION))
}

/// The role hierarchy of a model in Graphviz DOT.
pub fn dot(model: &Model) -> String {
    graph_of(model).dot()
}

/// The role hierarchy of a model as a Mermaid flowchart.
pub fn mermaid(model: &Model) -> String {
    graph_of(model).mermaid()
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

    /// The graph of a policy, with its E030 / W030 messages.
    fn graph(text: &str) -> (RoleGraph, Vec<String>) {
        use crate::db::{Sources, Workspace};
        let ws = Workspace::load(
            Sources::Memory(vec![("t.role".into(), text.into())]),
            crate::model::BuildOptions::default(),
        )
        .unwrap();
        let messages =
            ws.diagnostics().iter().filter(|d| d.code.as_str().ends_with("030")).map(|d| d.message.clone()).collect();
        let graph = RoleGraph::of(&ws.resolved().model, crate::db::membership_analysis(&ws.db, ws.policy));
        (graph, messages)
    }

    fn names(g: &RoleGraph, v: &Violation) -> (String, String, String) {
        (g.nodes[v.role].name.clone(), g.nodes[v.a].name.clone(), g.nodes[v.b].name.clone())
    }

    #[test]
    fn violations_are_those_the_checker_reports() {
        // A superuser counts through its memberships only; a listed role that reaches another
        // breaks the rule itself (an empty chain to itself).
        let text = "role a {}\nrole b {}\nrole x { member of a }\nuser root { superuser }\nuser boss {\n  superuser\n  member of x, b\n}\n\
            policy p { exclusive a, b\n warn exclusive x, a }\n";
        let (g, messages) = graph(text);
        let found: Vec<_> = g.violations.iter().map(|v| names(&g, v)).collect();
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(found, [s("boss", "a", "b"), s("boss", "a", "x"), s("x", "a", "x")]);
        assert_eq!(messages.len(), found.len(), "{messages:?}");
        assert_eq!(g.violations.iter().map(|v| v.level).collect::<Vec<_>>(), [Level::Error, Level::Warn, Level::Warn]);
        let x = &g.violations[2];
        assert_eq!(x.memberships.len(), 1);
        // boss → x → a and boss → b: three memberships, all drawn at the error level.
        let boss = g.nodes.iter().position(|n| n.name == "boss").unwrap();
        assert_eq!(g.nodes[boss].violation, Some(Level::Error));
        assert_eq!(g.edges.iter().filter(|e| e.violation == Some(Level::Error)).count(), 3);
        assert!(g.nodes.iter().all(|n| n.name == "boss" || n.name == "x" || n.violation.is_none()));
        assert_eq!(g.pairs.len(), 2);
    }

    #[test]
    fn roles_named_only_by_rules_are_nodes() {
        let (g, _) = graph("role a {}\npolicy p { exclusive a, pg_monitor }\n");
        let kinds: Vec<_> = g.nodes.iter().map(|n| (n.name.as_str(), n.kind)).collect();
        assert_eq!(kinds, [("a", NodeKind::Group), ("pg_monitor", NodeKind::Predefined)]);
        assert_eq!(g.pairs, [ExclusivePair { a: 0, b: 1, policy: "p".into(), level: Level::Error }]);
        assert!(g.violations.is_empty());
    }

    #[test]
    fn empty_model() {
        assert_eq!(dot(&Model::default()), "digraph roles {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n}\n");
        assert_eq!(mermaid(&Model::default()), "flowchart BT\n");
    }
}
