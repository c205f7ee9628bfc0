//! `exclusive a, b, …` (E030 / W030): no role or user in scope reaches two of the listed roles
//! through memberships (`pg_has_role(…, 'MEMBER')`: being able to `SET ROLE` is enough to act
//! as a role, so inheritance does not matter for separation of duties). Each (role, pair) is
//! reported once, at the first `member of` of the role's chain; both chains are labelled step
//! by step.

use crate::analysis::membership::{Step, Steps};
use rustc_hash::FxHashSet;
use std::collections::HashSet;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::analysis::membership::{Chain, MembershipAnalysis, Mode};
use crate::analysis::rules::{chain_text, code, step_label};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Membership, Policy, PolicyRule, Role};
use crate::syntax::Span;

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
    rule: &PolicyRule,
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
    rule: &PolicyRule,
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
    let mut labelled: FxHashSet<usize> = FxHashSet::from_iter([first.membership]);
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
