//! Policy rules (`policy { … }` blocks), one file per rule, each checked role by role so that
//! salsa can reuse the answers of every role an edit does not reach ([`check`]):
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

//!
//! A role's checks read its own declaration and the grants made to it ([`RoleFacts`]), the
//! facts of the roles whose privileges it has, a [`Context`] of what every role shares, and
//! the membership analysis of the part of the graph its chunk reaches ([`View`]). The same
//! rules stated over the whole model are the test oracle of `tests/support/whole_model.rs`.

use crate::analysis::membership::{Step, Steps};
use std::collections::HashSet;

use crate::analysis::membership::Mode;
use crate::analysis::rules::limits::Limit;
use crate::analysis::rules::seen::Seen;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Policy, PolicyRule, RuleKind};
use crate::syntax::Span;

pub mod admin_rights;
pub mod chunks;
pub mod context;
pub mod depth;
pub mod exclusive;
pub mod forbid_attribute;
pub mod forbid_public_grant;
pub mod limits;
pub mod origins;
pub(crate) mod seen;
pub mod table_bits;

pub use chunks::{chunk, ChunkRanges, RoleChunk, RoleFacts, CHUNK};
pub use context::{Context, GrantFacts, View};

pub fn code(rule: &PolicyRule, error: Code, warning: Code) -> Code {
    if rule.warn {
        warning
    } else {
        error
    }
}

/// A chain of memberships as text: `` `alice` → `team` → `approver` ``.
pub(crate) fn chain_text(role: &str, steps: &Steps) -> String {
    steps.quoted_path(role)
}

pub(crate) fn step_label(step: &Step) -> String {
    format!("`{}` → `{}` (member of)", step.member, step.role)
}

/// Whether the checks of `facts.role` read the membership graph beyond the role's own
/// memberships: a rule in scope that follows memberships (exclusivity, depth, limits), or own
/// grants while it reaches (`reaches_grants`) a role that holds grants (W042). When no role of
/// a chunk needs it, the chunk's checks see its roles' own memberships alone, and a long chain costs what its
/// length does, not the n²/2 pairs it reaches.
pub fn needs_reach(ctx: &Context, facts: &RoleFacts, reaches_grants: bool) -> bool {
    let follows_memberships = |rule: &PolicyRule| match rule.kind {
        RuleKind::Exclusive(_)
        | RuleKind::MembershipsDeeperThan(_)
        | RuleKind::MaxSchemas(_)
        | RuleKind::MaxTables(_)
        | RuleKind::MaxTablesTagged { .. } => true,
        // Admin rights are counted on the role's own memberships and grants.
        RuleKind::MaxAdminRights(_) | RuleKind::Forbid { .. } | RuleKind::ForbidGrantToPublic { .. } => false,
    };
    let in_scope = ctx.policies.iter().filter(|p| p.scope.contains(&facts.role));
    (reaches_grants && facts.grants.iter().any(|g| !g.revoke))
        || in_scope.flat_map(|p| &p.rules).any(follows_memberships)
}

/// Every diagnostic of the per-role rules for `facts.role`: policy rules (exclusivity,
/// forbidden attributes, admin rights, depth, limits) and lint warnings (unused role, shadowed
/// grants).
pub fn check<'a>(view: &'a View<'a>, facts: &'a RoleFacts) -> Vec<Diagnostic> {
    let role = &facts.role;
    let mut out = Vec::new();
    let seen = Seen::new(view, facts);
    let nodes = view.exclusive_nodes.get_or_init(|| {
        let node = |(name, _): &(String, Span)| view.members.node(name);
        view.ctx
            .policies
            .iter()
            .map(|p| {
                p.rules
                    .iter()
                    .map(|r| {
                        if let RuleKind::Exclusive(roles) = &r.kind {
                            roles.iter().map(node).collect()
                        } else {
                            Vec::new()
                        }
                    })
                    .collect()
            })
            .collect()
    });
    let me = seen.node;
    let mut rules: Vec<(&Policy, &PolicyRule, &[Option<u32>])> = view
        .ctx
        .policies
        .iter()
        .zip(nodes)
        .filter(|(p, _)| p.scope.contains(role))
        .flat_map(|(p, n)| p.rules.iter().zip(n).map(move |(r, n)| (p, r, n.as_slice())))
        .collect();
    // Rules that fail the build first, so that a pair stated by both is reported as the error.
    rules.sort_by_key(|(_, r, _)| r.warn);
    let mut exclusive_seen: HashSet<(String, String, String)> = HashSet::new();
    // The roles this role is a member of, looked up once for every `exclusive` rule.
    let member_of = std::cell::OnceCell::new();
    for (p, rule, listed) in rules {
        match &rule.kind {
            RuleKind::Exclusive(roles) => {
                // Most roles reach at most one of the roles: no chains to build then.
                // Nodes are compared, not names: a role is its node.
                let held = |((name, _), node): (&(String, Span), &Option<u32>)| match (me, node) {
                    (Some(me), Some(g)) => {
                        *g == me || member_of.get_or_init(|| view.members.has_nodes(me, Mode::Member))(*g)
                    }
                    (Some(_), None) => false,
                    (None, _) => *name == role.name,
                };
                if roles.iter().zip(listed).filter(|&x| held(x)).count() >= 2 {
                    exclusive::exclusive(
                        (view.memberships)(),
                        view.members,
                        p,
                        rule,
                        role,
                        roles,
                        &mut exclusive_seen,
                        &mut out,
                    );
                }
            }
            RuleKind::Forbid { attribute, on, except } => {
                out.extend(forbid_attribute::check(p, rule, role, *attribute, *on, except));
            }
            RuleKind::ForbidGrantToPublic { .. } => {}
            RuleKind::MaxAdminRights(max) => {
                let origins = seen.origins();
                let rights = admin_rights::admin_rights_of(
                    role,
                    (origins.memberships)().iter().map(|m| &**m).enumerate(),
                    origins.grants.iter().copied().enumerate(),
                );
                if rights.count() as u64 > *max {
                    out.push(admin_rights::too_many_admin_rights(&origins, p, rule, role, &rights, *max));
                }
            }
            RuleKind::MembershipsDeeperThan(max) => {
                let depths = (view.depths)();
                if depths.depth(&role.name) as u64 <= *max {
                    continue;
                }
                let memberships = (view.memberships)();
                let chain = depths.longest_chain(memberships, &role.name);
                if chain.len() as u64 > *max {
                    out.push(depth::deep_memberships(memberships, p, rule, role, &chain, *max));
                }
            }
            RuleKind::MaxSchemas(_) | RuleKind::MaxTables(_) | RuleKind::MaxTablesTagged { .. } => {
                let Some((limit, max)) = Limit::of(&rule.kind) else { continue };
                out.extend(seen.limit(p, rule, limit, max));
            }
        }
    }
    out.extend(seen.unused());
    out.extend(seen.shadowed());
    out
}
