//! Policy rules (`policy { … }` blocks) checked over the resolved model and the membership
//! analysis. The rules that need only memberships and role attributes are checked here:
//!
//! - `exclusive a, b, …` (E030 / W030): no role or user in scope reaches two of the listed
//!   roles through memberships (`pg_has_role(…, 'MEMBER')`: being able to `SET ROLE` is enough
//!   to act as a role, so inheritance does not matter for separation of duties). Each
//!   (role, pair) is reported once, at the first `member of` of the role's chain; both chains
//!   are labelled step by step.
//! - `forbid ATTRIBUTE except …` (E031 / W031): no role in scope has the attribute.
//! - `forbid grant [PRIVS] on TARGET to public` (E032 / W032): no grant of the policy gives
//!   (one of) these privileges on that object to PUBLIC.
//! - `max admin rights N` (E033 / W033): a role in scope holds at most N admin rights
//!   directly (see [`admin_rights`]).
//! - `memberships deeper than N` (W034, always a warning): no role in scope has a chain of
//!   memberships longer than N.
//!
//! - `max schemas N`, `max tables N`, `max tables tagged T N` (E035 / W035, W036 when the
//!   limit cannot be proven): counted over effective object privileges, see
//!   [`crate::analysis::limits`].
//!
//! `warn` in front of a rule reports its violations with the W-code of the same number.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::analysis::limits::Origins;
use crate::analysis::limits::{self, Limit};
use crate::analysis::membership::{Chain, MembershipAnalysis, Mode, Step, Steps};
use crate::analysis::privileges::PrivilegeAnalysis;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::catalog::Catalog;
use crate::model::{Grantee, Membership, Model, Object, ObjectGrant, Policy, Role, Rule, RuleCheck};
use crate::syntax::ast::{AttributeKind, BulkKind, Privilege};
use crate::syntax::Span;

/// Every violation of the policies of `model`: the rules that fail the build first, then the
/// `warn` rules, each in declaration order (`db::diagnostics` sorts them by position anyway).
/// `catalog`: the snapshot whose objects joined the inventory, if any (limits then take the
/// inventory as complete).
pub fn check(model: &Model, privileges: &PrivilegeAnalysis, catalog: Option<&Catalog>) -> Vec<Diagnostic> {
    let analysis = privileges.members();
    let mut out = Vec::new();
    // Rules that fail the build first, so that a (role, pair) stated by an error rule and by a
    // `warn` rule is reported as the error.
    let mut rules: Vec<(&Policy, &Rule)> =
        model.policies.iter().flat_map(|p| p.rules.iter().map(move |r| (p, r))).collect();
    rules.sort_by_key(|(_, r)| r.warn);
    let mut exclusive_seen: HashSet<(String, String, String)> = HashSet::new();
    for (policy, rule) in rules {
        let in_scope = || model.roles.iter().map(|r| &**r).filter(|r| policy.scope.contains(r));
        match &rule.kind {
            RuleCheck::Exclusive(roles) => {
                for role in in_scope() {
                    exclusive(&model.memberships, analysis, policy, rule, role, roles, &mut exclusive_seen, &mut out);
                }
            }
            RuleCheck::Forbid { attribute, on, except } => {
                for role in in_scope().filter(|r| !except.contains(&r.name)) {
                    if attribute_value(role, *attribute) == *on {
                        out.push(forbidden_attribute(policy, rule, role, *attribute, *on));
                    }
                }
            }
            // PUBLIC is not a role of any scope: `public_grants` checks this rule.
            RuleCheck::ForbidGrantToPublic { .. } => {}
            RuleCheck::MaxAdminRights(max) => {
                for role in in_scope() {
                    let rights = admin_rights(model, role);
                    if rights.count() as u64 > *max {
                        out.push(too_many_admin_rights(model, policy, rule, role, &rights, *max));
                    }
                }
            }
            RuleCheck::MembershipsDeeperThan(max) => {
                let depths = Depths::new(&model.memberships);
                for role in in_scope() {
                    let chain = depths.longest_chain(&model.memberships, &role.name);
                    if chain.len() as u64 > *max {
                        out.push(deep_memberships(&model.memberships, policy, rule, role, &chain, *max));
                    }
                }
            }
            RuleCheck::MaxSchemas(_) | RuleCheck::MaxTables(_) | RuleCheck::MaxTablesTagged { .. } => {
                let Some((limit, max)) = Limit::of(&rule.kind) else { continue };
                let known = limits::Known::new(model, catalog, limit);
                let roles: Vec<&Role> = in_scope().collect();
                // Roles are counted independently: split them over the cores, keeping their order.
                let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
                let chunk = roles.len().div_ceil(threads).max(1);
                let found: Vec<Vec<Diagnostic>> = std::thread::scope(|scope| {
                    let workers: Vec<_> = roles
                        .chunks(chunk)
                        .map(|part| {
                            let known = &known;
                            scope.spawn(move || {
                                part.iter()
                                    .filter_map(|role| {
                                        limits::check(model, privileges, catalog, known, policy, rule, role, limit, max)
                                    })
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    workers.into_iter().map(|w| w.join().expect("counting does not panic")).collect()
                });
                out.extend(found.into_iter().flatten());
            }
        }
    }
    out.extend(public_grants(&model.policies, &model.grants));
    out
}

/// The `forbid grant … to public` rules over the grants to PUBLIC among `grants` (PUBLIC is
/// not a role of any scope: the rule applies whatever `applies to` says).
pub fn public_grants(policies: &[Policy], grants: &[std::sync::Arc<ObjectGrant>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut rules: Vec<(&Policy, &Rule)> = policies.iter().flat_map(|p| p.rules.iter().map(move |r| (p, r))).collect();
    rules.sort_by_key(|(_, r)| r.warn);
    for (policy, rule) in rules {
        let RuleCheck::ForbidGrantToPublic { privileges, object } = &rule.kind else { continue };
        for g in grants {
            if g.grantee == Grantee::Public && !g.revoke && covers(object, &g.object) {
                let overlap = overlapping(privileges, &g.privileges);
                if !overlap.is_empty() {
                    out.push(public_grant(policy, rule, g, &overlap));
                }
            }
        }
    }
    out
}

pub fn code(rule: &Rule, error: Code, warning: Code) -> Code {
    if rule.warn {
        warning
    } else {
        error
    }
}

/// A chain of memberships as text: `` `alice` → `team` → `approver` ``.
fn chain_text(role: &str, steps: &Steps) -> String {
    steps.path(role, |n| format!("`{n}`"))
}

fn step_label(step: &Step) -> String {
    format!("`{}` → `{}` (member of)", step.member, step.role)
}

// ---------------------------------------------------------------------------------- exclusive

/// The memberships by which `role` is a member of `granted` (`MEMBER` mode); empty when they
/// are the same role. `rolec graph` draws the same chains.
///
/// For a superuser the analysis answers "member of everything"; here only its memberships
/// count: reporting every superuser under every `exclusive` rule would be noise (a superuser
/// bypasses every check anyway; `forbid superuser` is the rule for them).
pub fn member_chain(
    memberships: &[Arc<Membership>],
    analysis: &MembershipAnalysis,
    role: &str,
    granted: &str,
) -> Option<Steps> {
    match analysis.answer(role, granted, Mode::Member)? {
        Chain::SameRole => Some(Steps::full(Vec::new())),
        Chain::Memberships(steps) => Some(steps),
        Chain::Superuser => shortest_chain(memberships, role, granted).map(Steps::full),
    }
}

/// The model indexes of every membership of the chain [`member_chain`] gives, those an
/// elided chain leaves out included.
pub fn member_chain_memberships(
    memberships: &[Arc<Membership>],
    analysis: &MembershipAnalysis,
    role: &str,
    granted: &str,
) -> Option<Vec<usize>> {
    let steps = member_chain(memberships, analysis, role, granted)?;
    if steps.left_out() == 0 {
        return Some(steps.shown().iter().map(|s| s.membership).collect());
    }
    analysis.chain_memberships(role, granted, Mode::Member)
}

/// A shortest chain of active memberships from `role` to `granted` (breadth-first).
fn shortest_chain(memberships: &[Arc<Membership>], role: &str, granted: &str) -> Option<Vec<Step>> {
    if role == granted {
        return Some(Vec::new());
    }
    let mut prev: HashMap<&str, usize> = HashMap::new();
    let mut queue = VecDeque::from([role]);
    while let Some(a) = queue.pop_front() {
        for (k, m) in memberships.iter().enumerate() {
            if !m.active || m.member != a || m.role == role || prev.contains_key(m.role.as_str()) {
                continue;
            }
            prev.insert(&m.role, k);
            if m.role == granted {
                let mut steps = Vec::new();
                let mut cur = granted;
                while cur != role {
                    let k = prev[cur];
                    let m = &memberships[k];
                    steps.push(Step { member: m.member.clone(), role: m.role.clone(), membership: k });
                    cur = &m.member;
                }
                steps.reverse();
                return Some(steps);
            }
            queue.push_back(&m.role);
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
pub fn exclusive(
    memberships: &[Arc<Membership>],
    analysis: &MembershipAnalysis,
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    exclusive: &[(String, Span)],
    seen: &mut HashSet<(String, String, String)>,
    out: &mut Vec<Diagnostic>,
) {
    let chains: Vec<Option<Steps>> =
        exclusive.iter().map(|(g, _)| member_chain(memberships, analysis, &role.name, g)).collect();
    for i in 0..exclusive.len() {
        for j in i + 1..exclusive.len() {
            let (Some(ca), Some(cb)) = (&chains[i], &chains[j]) else { continue };
            let (a, b) = (&exclusive[i].0, &exclusive[j].0);
            let key = if a < b {
                (role.name.clone(), a.clone(), b.clone())
            } else {
                (role.name.clone(), b.clone(), a.clone())
            };
            if !seen.insert(key) {
                continue;
            }
            out.push(exclusive_diagnostic(memberships, policy, rule, role, (a, ca), (b, cb)));
        }
    }
}

fn exclusive_diagnostic(
    memberships: &[Arc<Membership>],
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    (a, ca): (&String, &Steps),
    (b, cb): (&String, &Steps),
) -> Diagnostic {
    // At least one chain has a step: `a` and `b` are different roles. Of a long chain, the
    // steps shown in the help are labelled.
    let steps: Vec<&Step> = ca.shown().iter().chain(cb.shown()).collect();
    let first = steps[0];
    let mut d = Diagnostic::new(
        code(rule, Code::ExclusiveRoles, Code::ExclusiveRolesWarn),
        memberships[first.membership].origin,
        format!("`{}` holds both `{a}` and `{b}`", role.name),
    )
    .label(step_label(first));
    let mut labelled = HashSet::from([first.membership]);
    for s in &steps[1..] {
        if labelled.insert(s.membership) {
            d = d.with_secondary(memberships[s.membership].origin, step_label(s));
        }
    }
    let describe = |c: &Steps| if c.is_empty() { "it is that role".to_string() } else { chain_text(&role.name, c) };
    d.with_secondary(rule.origin, format!("`{a}` and `{b}` are exclusive in policy `{}`", policy.name)).help(format!(
        "to `{a}`: {}; to `{b}`: {}; remove a membership of one of these chains",
        describe(ca),
        describe(cb)
    ))
}

// ---------------------------------------------------------------------------------- forbid

/// The attribute's final value; INHERIT is on unless turned off, the others off unless on.
fn attribute_value(role: &Role, kind: AttributeKind) -> bool {
    role.attributes.get(&kind).copied().unwrap_or(kind == AttributeKind::Inherit)
}

fn attribute_word(kind: AttributeKind, on: bool) -> String {
    if on {
        kind.keyword().to_string()
    } else {
        format!("no{}", kind.keyword())
    }
}

pub fn forbidden_attribute(policy: &Policy, rule: &Rule, role: &Role, kind: AttributeKind, on: bool) -> Diagnostic {
    let word = attribute_word(kind, on);
    Diagnostic::new(
        code(rule, Code::ForbiddenAttribute, Code::ForbiddenAttributeWarn),
        role.origin,
        format!("`{}` has `{word}`, which policy `{}` forbids", role.name, policy.name),
    )
    .label(format!("`{word}` here"))
    .with_secondary(rule.origin, "forbidden by this rule")
    .help(format!("remove `{word}` from `{}`, or name it after `except` in the rule", role.name))
}

// ---------------------------------------------------------------------------------- public grants

/// Whether a rule's object covers a granted object: the same object, an object of the kind
/// in the schema of a `… in schema S` rule, or columns of a forbidden table.
fn covers(rule: &Object, granted: &Object) -> bool {
    if rule == granted {
        return true;
    }
    match (rule, granted) {
        (Object::AllIn { kind, schema }, g) => match (kind, g) {
            (
                BulkKind::Tables,
                Object::Table { schema: s, .. } | Object::View { schema: s, .. } | Object::Columns { schema: s, .. },
            ) => s == schema,
            (BulkKind::Sequences, Object::Sequence { schema: s, .. }) => s == schema,
            (BulkKind::Functions | BulkKind::Routines, Object::Routine { schema: s, .. }) => s == schema,
            (BulkKind::Functions, Object::AllIn { kind: BulkKind::Routines, schema: s })
            | (BulkKind::Routines, Object::AllIn { kind: BulkKind::Functions, schema: s }) => s == schema,
            _ => false,
        },
        (Object::Table { schema, name }, Object::Columns { schema: s, table, .. }) => s == schema && table == name,
        _ => false,
    }
}

/// The granted privileges the rule forbids (a rule without privileges forbids them all).
fn overlapping(forbidden: &[Privilege], granted: &[Privilege]) -> Vec<Privilege> {
    if forbidden.is_empty() || forbidden.contains(&Privilege::All) {
        return granted.to_vec();
    }
    if granted.contains(&Privilege::All) {
        return forbidden.to_vec();
    }
    granted.iter().copied().filter(|p| forbidden.contains(p)).collect()
}

fn public_grant(policy: &Policy, rule: &Rule, g: &ObjectGrant, privileges: &[Privilege]) -> Diagnostic {
    let privs = privileges.iter().map(|p| format!("`{}`", p.keyword())).collect::<Vec<_>>().join(", ");
    Diagnostic::new(
        code(rule, Code::ForbiddenPublicGrant, Code::ForbiddenPublicGrantWarn),
        g.origin,
        format!("{privs} on {} is granted to PUBLIC, which policy `{}` forbids", g.object.describe(), policy.name),
    )
    .label("granted to PUBLIC here")
    .with_secondary(rule.origin, "forbidden by this rule")
    .help("PUBLIC is every role, present and future; grant to a role instead")
}

// ---------------------------------------------------------------------------------- admin rights

/// The admin rights a role holds directly: its attributes among SUPERUSER, CREATEROLE,
/// CREATEDB, BYPASSRLS and REPLICATION; each active membership it holds WITH ADMIN OPTION;
/// each grant (one per `grant` statement) it holds WITH GRANT OPTION.
///
/// Not counted yet: rights inherited through memberships (a member of a role with ADMIN
/// OPTION on another role can use it through INHERIT), and `defaults` with grant option.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AdminRights {
    pub attributes: Vec<AttributeKind>,
    /// Model indexes of memberships with ADMIN OPTION.
    pub admin_memberships: Vec<usize>,
    /// Model indexes of grants with GRANT OPTION.
    pub grant_options: Vec<usize>,
}

impl AdminRights {
    pub fn count(&self) -> usize {
        self.attributes.len() + self.admin_memberships.len() + self.grant_options.len()
    }
}

const ADMIN_ATTRIBUTES: [AttributeKind; 5] = [
    AttributeKind::Superuser,
    AttributeKind::Createrole,
    AttributeKind::Createdb,
    AttributeKind::Bypassrls,
    AttributeKind::Replication,
];

pub fn admin_rights(model: &Model, role: &Role) -> AdminRights {
    admin_rights_of(
        role,
        model.memberships.iter().map(|m| &**m).enumerate(),
        model.grants.iter().map(|g| &**g).enumerate(),
    )
}

/// [`admin_rights`] from some memberships and grants, numbered as the caller's [`Origins`]
/// numbers them (those of other roles are skipped).
pub fn admin_rights_of<'a>(
    role: &Role,
    memberships: impl Iterator<Item = (usize, &'a Membership)>,
    grants: impl Iterator<Item = (usize, &'a ObjectGrant)>,
) -> AdminRights {
    AdminRights {
        attributes: ADMIN_ATTRIBUTES.into_iter().filter(|k| role.attribute(*k)).collect(),
        admin_memberships: memberships
            .filter(|(_, m)| m.active && m.admin && m.member == role.name)
            .map(|(k, _)| k)
            .collect(),
        grant_options: grants
            .filter(|(_, g)| g.grant_option && !g.revoke && matches!(&g.grantee, Grantee::Role(r) if *r == role.name))
            .map(|(k, _)| k)
            .collect(),
    }
}

pub fn too_many_admin_rights(
    model: &dyn Origins,
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    rights: &AdminRights,
    max: u64,
) -> Diagnostic {
    let label = if rights.attributes.is_empty() {
        "declared here".to_string()
    } else {
        let plural = if rights.attributes.len() > 1 { "s" } else { "" };
        format!(
            "attribute{plural} {}",
            rights.attributes.iter().map(|k| format!("`{}`", k.keyword())).collect::<Vec<_>>().join(", ")
        )
    };
    let mut d = Diagnostic::new(
        code(rule, Code::TooManyAdminRights, Code::TooManyAdminRightsWarn),
        role.origin,
        format!(
            "`{}` holds {} admin rights directly, more than the {max} policy `{}` allows",
            role.name,
            rights.count(),
            policy.name
        ),
    )
    .label(label);
    for &k in &rights.admin_memberships {
        let m = model.membership(k);
        d = d.with_secondary(m.origin, format!("ADMIN OPTION on `{}`", m.role));
    }
    for &k in &rights.grant_options {
        let g = model.grant(k);
        let privs = g.privileges.iter().map(|p| format!("`{}`", p.keyword())).collect::<Vec<_>>().join(", ");
        d = d.with_secondary(g.origin, format!("GRANT OPTION for {privs} on {}", g.object.describe()));
    }
    d.with_secondary(rule.origin, "limit set here")
        .help("admin rights are the attributes superuser, createrole, createdb, bypassrls and replication, each membership WITH ADMIN OPTION and each grant WITH GRANT OPTION; rights inherited through memberships are not counted")
}

// ---------------------------------------------------------------------------------- depth

/// The longest chain of active memberships from each role (a longest path in the membership
/// graph). The graph is acyclic once the policy resolves without errors; a cycle (E006,
/// reported elsewhere) is cut where the search meets it, so this never loops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Depths {
    index: HashMap<String, usize>,
    /// Per node: length of its longest chain, and the membership of its first step.
    best: Vec<(usize, Option<usize>)>,
}

impl Depths {
    pub fn new(memberships: &[Arc<Membership>]) -> Self {
        let mut index: HashMap<String, usize> = HashMap::new();
        for m in memberships {
            for n in [&m.member, &m.role] {
                let next = index.len();
                if !index.contains_key(n.as_str()) {
                    index.insert(n.clone(), next);
                }
            }
        }
        let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); index.len()];
        for (k, m) in memberships.iter().enumerate() {
            if m.active {
                adj[index[m.member.as_str()]].push((index[m.role.as_str()], k));
            }
        }
        // Iterative depth-first search (no recursion: chains may be long in generated
        // policies). 0 = not seen, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; index.len()];
        let mut best = vec![(0, None); index.len()];
        for start in 0..index.len() {
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            let mut stack = vec![(start, 0usize)];
            while let Some(top) = stack.last_mut() {
                let (n, pos) = *top;
                if let Some(&(t, _)) = adj[n].get(pos) {
                    top.1 += 1;
                    if state[t] == 0 {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    continue;
                }
                // Children on the stack (state 1) close a cycle: not followed.
                let mut b: (usize, Option<usize>) = (0, None);
                for &(t, k) in &adj[n] {
                    if state[t] == 2 && best[t].0 + 1 > b.0 {
                        b = (best[t].0 + 1, Some(k));
                    }
                }
                best[n] = b;
                state[n] = 2;
                stack.pop();
            }
        }
        Depths { index, best }
    }

    /// A longest chain of memberships starting at `role` (empty when it is a member of none).
    pub fn longest_chain(&self, memberships: &[Arc<Membership>], role: &str) -> Vec<Step> {
        let mut steps = Vec::new();
        let Some(&(mut n)) = self.index.get(role) else { return steps };
        while let Some(k) = self.best[n].1 {
            let m = &memberships[k];
            steps.push(Step { member: m.member.clone(), role: m.role.clone(), membership: k });
            n = self.index[m.role.as_str()];
            if steps.len() > self.best.len() {
                break; // defensive: never longer than the number of roles
            }
        }
        steps
    }
}

pub fn deep_memberships(
    memberships: &[Arc<Membership>],
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    chain: &[Step],
    max: u64,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::DeepMemberships,
        role.origin,
        format!(
            "`{}` is {} memberships deep, more than the {max} policy `{}` allows",
            role.name,
            chain.len(),
            policy.name
        ),
    )
    .label("the chain starts here");
    for s in chain {
        d = d.with_secondary(memberships[s.membership].origin, step_label(s));
    }
    d.with_secondary(rule.origin, "limit set here").help(format!(
        "the chain: {}; a flatter hierarchy is easier to review",
        chain_text(&role.name, &Steps::full(chain.to_vec()))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::reach;
    use crate::db::{Sources, Workspace};
    use crate::model::{BuildOptions, Membership, PolicyScope};
    use crate::syntax::FileId;

    /// `(code, message)` of every policy violation of a policy that resolves without errors.
    fn violations(text: &str) -> Vec<(String, String)> {
        let ws =
            Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), BuildOptions::default()).unwrap();
        let resolved = ws.resolved();
        let errors: Vec<&String> = resolved.diagnostics.iter().filter(|d| d.is_error()).map(|d| &d.message).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let analysis = reach(&resolved.model, 15);
        let privileges = crate::analysis::privileges::effective(&resolved.model, &analysis);
        check(&resolved.model, &privileges, None)
            .into_iter()
            .map(|d| (d.code.as_str().to_string(), d.message))
            .collect()
    }

    fn messages(text: &str) -> Vec<String> {
        violations(text).into_iter().map(|(c, m)| format!("{c} {m}")).collect()
    }

    const ROLES: &str = "role a {}\nrole b {}\nrole both { member of a, b }\nuser u { member of both }\nuser v { member of a }\nuser w { member of b }\n";

    #[test]
    fn scope_filters_the_roles_checked() {
        let all = messages(&format!("{ROLES}policy p {{ exclusive a, b }}\n"));
        assert_eq!(all, ["E030 `both` holds both `a` and `b`", "E030 `u` holds both `a` and `b`"]);
        let users = messages(&format!("{ROLES}policy p applies to users {{ exclusive a, b }}\n"));
        assert_eq!(users, ["E030 `u` holds both `a` and `b`"]);
        let roles = messages(&format!("{ROLES}policy p applies to roles {{ exclusive a, b }}\n"));
        assert_eq!(roles, ["E030 `both` holds both `a` and `b`"]);
        let list = messages(&format!("{ROLES}policy p applies to [v, w] {{ exclusive a, b }}\n"));
        assert!(list.is_empty(), "{list:?}");
        let glob = messages(&format!("{ROLES}policy p applies to bo* {{ exclusive a, b }}\n"));
        assert_eq!(glob, ["E030 `both` holds both `a` and `b`"]);
        // A glob that matches nothing is an empty scope, not a warning.
        let none = messages(&format!("{ROLES}policy p applies to zz* {{ exclusive a, b }}\n"));
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn scope_of_the_model() {
        let ws = Workspace::load(
            Sources::Memory(vec![(
                "t.role".into(),
                format!("{ROLES}policy p applies to [u, \"b*\", both] {{ exclusive a, b }}\n"),
            )]),
            BuildOptions::default(),
        )
        .unwrap();
        // In a list, `"b*"` is a name, not a glob — and no role is called `b*`.
        assert!(ws.resolved().diagnostics.iter().any(|d| d.code == Code::UnknownRole));
        let ws = Workspace::load(
            Sources::Memory(vec![(
                "t.role".into(),
                format!("{ROLES}policy p applies to [u, both, u] {{ exclusive a, b }}\n"),
            )]),
            BuildOptions::default(),
        )
        .unwrap();
        assert_eq!(ws.resolved().model.policies[0].scope, PolicyScope::Names(vec!["u".into(), "both".into()]));
    }

    #[test]
    fn each_role_and_pair_is_reported_once() {
        // The same pair in two rules and in two policies, in both orders.
        let text =
            format!("{ROLES}policy p {{\n  exclusive a, b\n  exclusive b, a\n}}\npolicy q {{ exclusive a, b, a }}\n");
        assert_eq!(messages(&text), ["E030 `both` holds both `a` and `b`", "E030 `u` holds both `a` and `b`"]);
        // An error rule wins over a `warn` rule for the same pair, whatever the order.
        let text = format!("{ROLES}policy p {{ warn exclusive a, b }}\npolicy q {{ exclusive b, a }}\n");
        assert_eq!(messages(&text), ["E030 `both` holds both `b` and `a`", "E030 `u` holds both `b` and `a`"]);
        let text = format!("{ROLES}policy p {{ warn exclusive a, b }}\n");
        assert_eq!(messages(&text), ["W030 `both` holds both `a` and `b`", "W030 `u` holds both `a` and `b`"]);
    }

    #[test]
    fn superusers_count_only_through_memberships() {
        let text = "role a {}\nrole b {}\nuser root { superuser }\nuser boss {\n  superuser\n  member of a, b\n}\npolicy p { exclusive a, b }\n";
        assert_eq!(messages(text), ["E030 `boss` holds both `a` and `b`"]);
    }

    #[test]
    fn limits_on_objects_are_checked() {
        let text = "schema app { owner o }\nrole o {}\nuser u { grant select on tables in schema app }\ntable app.t { tags [s] }\npolicy p applies to users { max schemas 0\n max tables 0\n max tables tagged s 0 }\n";
        let codes: Vec<String> = violations(text).into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, ["E035", "E035"], "tables and tagged tables; `u` has no privilege on schema `app`");
    }

    fn span() -> Span {
        Span { file: FileId(0), item: 0, start: 0, end: 0 }
    }

    fn membership(member: &str, role: &str) -> Arc<Membership> {
        Arc::new(Membership {
            role: role.into(),
            member: member.into(),
            admin: false,
            inherit: None,
            set: None,
            from: None,
            until: None,
            active: true,
            reason: None,
            origin: span(),
        })
    }

    #[test]
    fn depth_is_defensive_about_cycles() {
        // A cycle a → b → a (E006 elsewhere) with c → a and d → c: the search ends.
        let model = Model {
            memberships: vec![membership("a", "b"), membership("b", "a"), membership("c", "a"), membership("d", "c")],
            ..Model::default()
        };
        let depths = Depths::new(&model.memberships);
        for r in ["a", "b", "c", "d"] {
            let chain = depths.longest_chain(&model.memberships, r);
            assert!(chain.len() <= 4, "{r}: {chain:?}");
            for w in chain.windows(2) {
                assert_eq!(w[0].role, w[1].member);
            }
        }
        assert_eq!(depths.longest_chain(&model.memberships, "d").len(), 3, "d → c → a → b, where the cycle is cut");
        assert!(depths.longest_chain(&model.memberships, "unknown").is_empty());
    }

    #[test]
    fn depth_follows_the_longest_chain_and_active_memberships() {
        let mut model = Model {
            memberships: vec![membership("u", "x"), membership("u", "a"), membership("a", "b"), membership("b", "c")],
            ..Model::default()
        };
        let chain: Vec<String> = Depths::new(&model.memberships)
            .longest_chain(&model.memberships, "u")
            .into_iter()
            .map(|s| s.role)
            .collect();
        assert_eq!(chain, ["a", "b", "c"]);
        Arc::make_mut(&mut model.memberships[2]).active = false;
        assert_eq!(Depths::new(&model.memberships).longest_chain(&model.memberships, "u").len(), 1);
    }

    #[test]
    fn public_grant_coverage() {
        let t = Object::Table { schema: "app".into(), name: "t".into() };
        let cols = Object::Columns { schema: "app".into(), table: "t".into(), columns: vec!["c".into()] };
        let all = Object::AllIn { kind: BulkKind::Tables, schema: "app".into() };
        assert!(covers(&t, &t) && covers(&t, &cols) && covers(&all, &t) && covers(&all, &cols));
        assert!(!covers(&t, &all), "a rule on one table does not cover a bulk grant");
        assert!(!covers(&Object::AllIn { kind: BulkKind::Tables, schema: "other".into() }, &t));
        assert_eq!(overlapping(&[], &[Privilege::Select]), [Privilege::Select]);
        assert_eq!(overlapping(&[Privilege::Insert], &[Privilege::All]), [Privilege::Insert]);
        assert!(overlapping(&[Privilege::Insert], &[Privilege::Select]).is_empty());
    }
}
