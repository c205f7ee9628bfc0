//! The policy rules over a model that has no source files: the state of a live server, made
//! into a model by `live::rules`. The same per-role checks as [`super::analysis`] runs
//! ([`crate::analysis::rules::check`], one implementation per rule), over one view of the
//! whole membership graph: a live model is built once per command and never edited, so the
//! incremental cut into salsa queries (per file, per chunk) would have nothing to reuse.

use std::cell::OnceCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::membership::{reach_graph, MembershipGraph};
use crate::analysis::rules::depth::Depths;
use crate::analysis::rules::forbid_public_grant::public_grants;
use crate::analysis::rules::{self as role_rules, Context, RoleFacts, View};
use crate::diagnostics::Diagnostic;
use crate::model::catalog::Catalog;
use crate::model::{Grantee, Membership, Model, ObjectGrant};

/// Every violation of the model's `policy` rules (policy-rule codes only, no lint), each with
/// the role that breaks the rule (`None`: a grant to PUBLIC). Nothing when there are no rules.
pub fn policy_violations(
    model: &Model,
    target_version: u32,
    catalog: Option<&Catalog>,
) -> Vec<(Option<String>, Diagnostic)> {
    if model.policies.iter().all(|p| p.rules.is_empty()) {
        return Vec::new();
    }
    let ctx = Context::of(model, target_version, catalog, Vec::new());
    let members = reach_graph(&MembershipGraph::of(model, target_version));
    let mut grants: FxHashMap<&str, Vec<Arc<ObjectGrant>>> = FxHashMap::default();
    for g in &model.grants {
        if let Grantee::Role(r) = &g.grantee {
            grants.entry(r.as_str()).or_default().push(g.clone());
        }
    }
    let facts: Vec<RoleFacts> = model
        .roles
        .iter()
        .map(|r| RoleFacts { role: r.clone(), grants: grants.get(r.name.as_str()).cloned().unwrap_or_default() })
        .collect();
    let index: FxHashMap<&str, usize> = model.roles.iter().enumerate().map(|(i, r)| (r.name.as_str(), i)).collect();
    let facts_of = |name: &str| -> Option<&RoleFacts> { index.get(name).map(|&i| &facts[i]) };
    // The graph is the whole model's: chains number the model's memberships.
    let memberships = || -> &[Arc<Membership>] { &model.memberships };
    let depths_once: OnceCell<Depths> = OnceCell::new();
    let depths = || -> &Depths { depths_once.get_or_init(|| Depths::new(&model.memberships)) };
    // W040 (unused role) is lint, not a rule: every role counts as used.
    let used = |_: &str| true;
    let view = View {
        members: &members,
        ctx: &ctx,
        facts: &facts_of,
        memberships: &memberships,
        depths: &depths,
        used: &used,
        table_bits: Default::default(),
        exclusive_nodes: Default::default(),
    };
    let mut out: Vec<(Option<String>, Diagnostic)> = Vec::new();
    for f in &facts {
        let broken = role_rules::check(&view, f).into_iter().filter(|d| d.code.is_policy_violation());
        out.extend(broken.map(|d| (Some(f.role.name.clone()), d)));
    }
    out.extend(public_grants(&ctx.policies, &ctx.public).into_iter().map(|d| (None, d)));
    out
}
