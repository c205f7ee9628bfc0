//! Default privileges (`ALTER DEFAULT PRIVILEGES`) as statements: which model entries one
//! statement unites. The plan emits these statements and the privilege analysis replays them,
//! so both read them from here.

use std::collections::HashMap;

use super::{DefaultPrivilege, Grantee};
use crate::pg::{AclKind, Privilege};
use crate::syntax::ast::DefaultKind;

/// The kind of the objects an entry is for (functions and routines alike).
pub fn default_object_kind(kind: DefaultKind) -> AclKind {
    match kind {
        DefaultKind::Tables => AclKind::Relation,
        DefaultKind::Sequences => AclKind::Sequence,
        DefaultKind::Functions | DefaultKind::Routines => AclKind::Routine,
        DefaultKind::Types => AclKind::Type,
        DefaultKind::Schemas => AclKind::Schema,
    }
}

/// The `ALTER DEFAULT PRIVILEGES` statements `up.sql` runs, in order: one entry per (owner,
/// schema, kind, grantee, option, direction), privileges united, so two bulk grants that imply
/// the same default privileges emit one statement; a revoke between two grants of the same
/// grantee (or a grant between two revokes) keeps them apart. Each comes with the indexes of
/// the model entries it unites (in model order). The privilege analysis replays them to know
/// what objects created later get.
pub fn merged_default_privileges(all: &[DefaultPrivilege]) -> Vec<(DefaultPrivilege, Vec<usize>)> {
    let mut out: Vec<(DefaultPrivilege, Vec<usize>)> = Vec::new();
    type Key<'k> = (Option<&'k str>, &'k str, Option<&'k str>, DefaultKind, &'k Grantee, bool, bool);
    let mut index: HashMap<Key, usize> = HashMap::new();
    for (i, d) in all.iter().enumerate() {
        let kind = if d.kind == DefaultKind::Routines { DefaultKind::Functions } else { d.kind };
        let key =
            (d.database.as_deref(), d.owner.as_str(), d.schema.as_deref(), kind, &d.grantee, d.grant_option, d.revoke);
        match index.get(&key) {
            Some(&k) => {
                let (e, sources) = &mut out[k];
                sources.push(i);
                for p in &d.privileges {
                    if !e.privileges.contains(p) {
                        e.privileges.push(*p);
                    }
                }
                if e.privileges.contains(&Privilege::All) {
                    e.privileges = vec![Privilege::All];
                }
            }
            None => {
                // A grant after a revoke of the same grantee (or the reverse) starts a new
                // statement, so that the statements keep the policy's order.
                for option in [false, true] {
                    index.remove(&(key.0, key.1, key.2, key.3, key.4, option, !d.revoke));
                }
                index.insert(key, out.len());
                let mut d = d.clone();
                d.kind = kind;
                out.push((d, vec![i]));
            }
        }
    }
    out
}
