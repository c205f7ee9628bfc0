//! The policy rules and lint warnings stated over the whole model at once: the plain
//! statement of what `rolec::db::analysis_diagnostics` computes role by role, the oracle that
//! tests compare the two with. It builds its diagnostics with the library's builders, so the
//! two differ only in what they find, never in how they word it.

use std::collections::{BTreeSet, HashSet};

use rolec::analysis::lint::shadowed_grant::{covered, shadowed_diagnostic};
use rolec::analysis::lint::{closing_windows, unused_role};
use rolec::analysis::membership::{Chain, MembershipAnalysis, Mode};
use rolec::analysis::privileges::{Grounds, ObjectRef, PrivilegeAnalysis};
use rolec::analysis::reach;
use rolec::analysis::rules::admin_rights::{admin_rights_of, too_many_admin_rights, AdminRights};
use rolec::analysis::rules::context::known_schemas;
use rolec::analysis::rules::depth::{deep_memberships, Depths};
use rolec::analysis::rules::exclusive::exclusive;
use rolec::analysis::rules::forbid_attribute;
use rolec::analysis::rules::forbid_public_grant::public_grants;
use rolec::analysis::rules::limits::{over_limit, unproven, Limit, Tally, Unknown};
use rolec::diagnostics::Diagnostic;
use rolec::model::catalog::Catalog;
use rolec::model::{Grantee, Model, Object, Policy, PolicyRule, Role, RuleKind};
use rolec::pg::AclKind;
use rolec::syntax::ast::{AttributeKind, BulkKind, Privilege};
use rolec::syntax::FileId;

/// Every policy rule and lint warning over the whole model at once.
pub fn diagnostics(
    model: &Model,
    target_version: u32,
    catalog: Option<&Catalog>,
    at: i64,
    library_files: &[FileId],
) -> Vec<Diagnostic> {
    let members = reach(model, target_version);
    let privileges = rolec::analysis::privileges::effective(model, &members);
    let mut out = check(model, &privileges, catalog);
    out.extend(lint(model, &members, at, library_files));
    out
}

/// Every violation of the policies of `model`: the rules that fail the build first, then the
/// `warn` rules, each in declaration order (`db::diagnostics` sorts them by position anyway).
/// `catalog`: the snapshot whose objects joined the inventory, if any (limits then take the
/// inventory as complete).
pub fn check(model: &Model, privileges: &PrivilegeAnalysis, catalog: Option<&Catalog>) -> Vec<Diagnostic> {
    let analysis = privileges.members();
    let mut out = Vec::new();
    // Rules that fail the build first, so that a (role, pair) stated by an error rule and by a
    // `warn` rule is reported as the error.
    let mut rules: Vec<(&Policy, &PolicyRule)> =
        model.policies.iter().flat_map(|p| p.rules.iter().map(move |r| (p, r))).collect();
    rules.sort_by_key(|(_, r)| r.warn);
    let mut exclusive_seen: HashSet<(String, String, String)> = HashSet::new();
    for (policy, rule) in rules {
        let in_scope = || model.roles.iter().map(|r| &**r).filter(|r| policy.scope.contains(r));
        match &rule.kind {
            RuleKind::Exclusive(roles) => {
                for role in in_scope() {
                    exclusive(&model.memberships, analysis, policy, rule, role, roles, &mut exclusive_seen, &mut out);
                }
            }
            RuleKind::Forbid { attribute, on, except } => {
                for role in in_scope().filter(|r| !except.contains(&r.name)) {
                    out.extend(forbid_attribute::check(policy, rule, role, *attribute, *on, except));
                }
            }
            // PUBLIC is not a role of any scope: `public_grants` checks this rule.
            RuleKind::ForbidGrantToPublic { .. } => {}
            RuleKind::MaxAdminRights(max) => {
                for role in in_scope() {
                    let rights = admin_rights(model, role);
                    if rights.count() as u64 > *max {
                        out.push(too_many_admin_rights(model, policy, rule, role, &rights, *max));
                    }
                }
            }
            RuleKind::MembershipsDeeperThan(max) => {
                let depths = Depths::new(&model.memberships);
                for role in in_scope() {
                    let chain = depths.longest_chain(&model.memberships, &role.name);
                    if chain.len() as u64 > *max {
                        out.push(deep_memberships(&model.memberships, policy, rule, role, &chain, *max));
                    }
                }
            }
            RuleKind::MaxSchemas(_) | RuleKind::MaxTables(_) | RuleKind::MaxTablesTagged { .. } => {
                let Some((limit, max)) = Limit::of(&rule.kind) else { continue };
                let known = Known::new(model, catalog, limit);
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
                                        limit_check(model, privileges, catalog, known, policy, rule, role, limit, max)
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

pub fn admin_rights(model: &Model, role: &Role) -> AdminRights {
    admin_rights_of(
        role,
        model.memberships.iter().map(|m| &**m).enumerate(),
        model.grants.iter().map(|g| &**g).enumerate(),
    )
}

/// The inventory tables and views a limit on tables counts over (each once).
fn known_tables(model: &Model, limit: Limit) -> Vec<ObjectRef> {
    let mut seen = BTreeSet::new();
    model
        .objects
        .iter()
        .filter(|o| match limit {
            Limit::Tagged(t) => o.tags.iter().any(|x| x == t),
            _ => true,
        })
        .filter_map(|o| match &o.object {
            Object::Table { schema, name } => Some(ObjectRef::Table { schema: schema.clone(), name: name.clone() }),
            Object::View { schema, name } => Some(ObjectRef::View { schema: schema.clone(), name: name.clone() }),
            _ => None,
        })
        .filter(|o| seen.insert(o.clone()))
        .collect()
}

/// What one limit rule counts over, computed once for all the roles in its scope.
pub struct Known {
    objects: Vec<ObjectRef>,
    /// The privileges a limit counts: those of tables or of schemas on any version (MAINTAIN
    /// does not fit before 17: the analysis answers `None` for it then).
    privileges: Vec<Privilege>,
    /// Bulk grants on tables of schemas whose tables are unknown: `(grant index, schema)`.
    unknown_bulk: Vec<(usize, String)>,
}

impl Known {
    pub fn new(model: &Model, catalog: Option<&Catalog>, limit: Limit) -> Known {
        let (objects, kind) = match limit {
            Limit::Schemas => (
                known_schemas(model, catalog).into_iter().map(|name| ObjectRef::Schema { name }).collect(),
                AclKind::Schema,
            ),
            Limit::Tables | Limit::Tagged(_) => (known_tables(model, limit), AclKind::Relation),
        };
        let privileges = kind.grantable().iter().copied().filter(|p| *p != Privilege::All).collect();
        let with_tables: BTreeSet<&str> = model
            .objects
            .iter()
            .filter_map(|o| match &o.object {
                Object::Table { schema, .. } | Object::View { schema, .. } => Some(schema.as_str()),
                _ => None,
            })
            .collect();
        let unknown_bulk = model
            .grants
            .iter()
            .enumerate()
            .filter_map(|(i, g)| match &g.object {
                Object::AllIn { kind: BulkKind::Tables, schema }
                    if !g.revoke && !with_tables.contains(schema.as_str()) =>
                {
                    Some((i, schema.clone()))
                }
                _ => None,
            })
            .collect();
        Known { objects, privileges, unknown_bulk }
    }
}

/// The objects a limit counts for `role`, each with the reason it counts.
pub fn counted(privileges: &PrivilegeAnalysis, known: &Known, role: &str) -> Vec<(ObjectRef, Grounds)> {
    known
        .objects
        .iter()
        .filter_map(|o| known.privileges.iter().find_map(|&p| privileges.answer(role, p, o)).map(|g| (o.clone(), g)))
        .collect()
}

/// Why the count of `limit` for `role` may miss objects (`None`: the count is exact).
pub fn unknown(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    catalog: Option<&Catalog>,
    known: &Known,
    role: &str,
    limit: Limit,
) -> Option<Unknown> {
    if catalog.is_some() {
        return None;
    }
    let members = privileges.members();
    if members.is_superuser(role) {
        return Some(Unknown::Superuser);
    }
    let kind = if limit == Limit::Schemas { AclKind::Schema } else { AclKind::Relation };
    for p in kind.predefined_with_any(privileges.target_version) {
        if let Some(via) = members.answer(role, p, Mode::Usage) {
            return Some(Unknown::Predefined { role: p.to_string(), via });
        }
    }
    if limit == Limit::Schemas {
        return None;
    }
    // The first such grant in source order.
    known
        .unknown_bulk
        .iter()
        .filter(|(i, _)| match &model.grants[*i].grantee {
            Grantee::Public => true,
            Grantee::Role(r) => members.has(role, r, Mode::Usage),
        })
        .min_by_key(|(i, _)| {
            let o = model.grants[*i].origin;
            (o.file, o.item, o.start, *i)
        })
        .map(|(i, schema)| Unknown::Bulk { schema: schema.clone(), grant: *i })
}

/// The diagnostic of one limit rule for one role in scope, if any.
#[allow(clippy::too_many_arguments)]
pub fn limit_check(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    catalog: Option<&Catalog>,
    known: &Known,
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    limit: Limit,
    max: u64,
) -> Option<Diagnostic> {
    let objects = counted(privileges, known, &role.name);
    if objects.len() as u64 > max {
        return Some(over_limit(
            model,
            privileges.members().is_superuser(&role.name),
            policy,
            rule,
            role,
            limit,
            max,
            &Tally::of(&objects),
        ));
    }
    let why = unknown(model, privileges, catalog, known, &role.name, limit)?;
    Some(unproven(model, policy, rule, role, limit, max, &why))
}

/// Every lint warning of `model` at instant `at`. `library_files`: the files of standard
/// modules, whose roles W040 does not report.
pub fn lint(model: &Model, analysis: &MembershipAnalysis, at: i64, library_files: &[FileId]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unused_roles(model, library_files, &mut out);
    closing_windows(&model.memberships, at, &mut out);
    shadowed_grants(model, analysis, &mut out);
    out
}

fn unused_roles(model: &Model, library_files: &[FileId], out: &mut Vec<Diagnostic>) {
    // Names used by anything but grants (shared with the role-by-role check), then grantees.
    let others = unused_role::used_names(model);
    let mut used: HashSet<&str> = others.iter().map(String::as_str).collect();
    for g in model.grants.iter().filter(|g| !g.revoke) {
        if let Grantee::Role(r) = &g.grantee {
            used.insert(r);
        }
    }
    for role in &model.roles {
        if role.is_user
            || role.attribute(AttributeKind::Login)
            || used.contains(role.name.as_str())
            || library_files.contains(&role.origin.file)
        {
            continue;
        }
        out.push(unused_role::diagnostic(role));
    }
}

fn shadowed_grants(model: &Model, analysis: &MembershipAnalysis, out: &mut Vec<Diagnostic>) {
    // Grants to roles by (object, grantee): a grant is compared only with the grants on the
    // same object to the few roles its grantee inherits from, not with every grant.
    let mut by_object: std::collections::HashMap<(&Object, &str), Vec<usize>> = std::collections::HashMap::new();
    for (i, h) in model.grants.iter().enumerate() {
        if let (Grantee::Role(r), false) = (&h.grantee, h.revoke) {
            by_object.entry((&h.object, r.as_str())).or_default().push(i);
        }
    }
    for g in &model.grants {
        let Grantee::Role(x) = &g.grantee else { continue };
        if g.revoke {
            continue;
        }
        let mut candidates: Vec<usize> = analysis
            .granted_roles(x, Mode::Usage)
            .filter_map(|r| by_object.get(&(&g.object, r)))
            .flatten()
            .copied()
            .collect();
        // In source order: the first grant written that shadows this one is named.
        candidates.sort_by_key(|&i| {
            (model.grants[i].origin.file, model.grants[i].origin.item, model.grants[i].origin.start, i)
        });
        for h in candidates.into_iter().map(|i| &model.grants[i]) {
            let Grantee::Role(r) = &h.grantee else { continue };
            if r == x || (g.grant_option && !h.grant_option) {
                continue;
            }
            let shadowed = covered(&g.privileges, &h.privileges);
            if shadowed.len() < g.privileges.len() {
                continue;
            }
            let Some(Chain::Memberships(steps)) = analysis.answer(x, r, Mode::Usage) else { continue };
            out.push(shadowed_diagnostic(g, h, x, r, &shadowed, &steps));
            break;
        }
    }
}
