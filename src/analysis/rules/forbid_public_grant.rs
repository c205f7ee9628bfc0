//! `forbid grant [PRIVS] on TARGET to public` (E032 / W032): no grant of the policy gives (one
//! of) these privileges on that object to PUBLIC. PUBLIC is not a role of any scope: the rule
//! applies whatever `applies to` says, over the whole policy at once.

use crate::analysis::rules::code;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Grantee, Object, ObjectGrant, Policy, PolicyRule, RuleKind};
use crate::syntax::ast::{BulkKind, Privilege};

/// The `forbid grant … to public` rules over the grants to PUBLIC among `grants` (PUBLIC is
/// not a role of any scope: the rule applies whatever `applies to` says).
pub fn public_grants(policies: &[Policy], grants: &[std::sync::Arc<ObjectGrant>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut rules: Vec<(&Policy, &PolicyRule)> =
        policies.iter().flat_map(|p| p.rules.iter().map(move |r| (p, r))).collect();
    rules.sort_by_key(|(_, r)| r.warn);
    for (policy, rule) in rules {
        let RuleKind::ForbidGrantToPublic { privileges, object } = &rule.kind else { continue };
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

fn public_grant(policy: &Policy, rule: &PolicyRule, g: &ObjectGrant, privileges: &[Privilege]) -> Diagnostic {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::BulkKind;

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
