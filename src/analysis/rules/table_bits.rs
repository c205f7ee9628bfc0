//! Counting a role's tables and schemas without asking about every (role, object) pair: each
//! role's own grants become a bit set over the known tables (a bulk grant sets its schema's
//! range) and one over the known schemas, computed once per role and chunk; a role's count is
//! the population of the OR over itself, PUBLIC and the roles whose privileges it has.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::privileges::mask;
use crate::analysis::rules::context::Context;
use crate::model::{Object, ObjectGrant};
use crate::pg::{AclKind, Privilege};
use crate::syntax::ast::BulkKind;

pub(crate) fn object_hash(o: &Object) -> u64 {
    use std::hash::{Hash, Hasher};
    // Only a filter before the objects are compared: a fast hash is enough.
    let mut h = rustc_hash::FxHasher::default();
    o.hash(&mut h);
    h.finish()
}

/// What the checks of one chunk compute once per role they look at: the known tables and
/// schemas its own grants give a privilege on (bit sets over [`Context::tables`] and
/// [`Context::known_schemas`]; PUBLIC apart), the known tables its single-table grants name,
/// and a hash of each grant's object. Counting a role's tables is then an OR over the roles
/// whose privileges it has, however many grants they hold.
#[derive(Default)]
pub struct TableBits {
    pub(crate) bits: RefCell<FxHashMap<String, Rc<[u64]>>>,
    pub(crate) public: std::cell::OnceCell<Rc<[u64]>>,
    /// The same over [`Context::known_schemas`], for the grants on schemas.
    pub(crate) schemas: RefCell<FxHashMap<String, Rc<[u64]>>>,
    pub(crate) public_schemas: std::cell::OnceCell<Rc<[u64]>>,
    pub(crate) singles: RefCell<FxHashMap<String, Singles>>,
    /// A hash of the object of each of a role's grants, to find grants on the same object.
    pub(crate) hashes: RefCell<FxHashMap<String, Rc<[u64]>>>,
    /// The first (in source order) of a role's bulk grants on tables of a schema without
    /// known tables, as a position among its grants.
    pub(crate) unknown_bulk: RefCell<FxHashMap<String, Option<usize>>>,
    pub(crate) public_unknown_bulk: std::cell::OnceCell<Option<usize>>,
}

/// The positions of the bits set in a bit set, in order.
pub(crate) fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, &b)| {
        let mut rest = b;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + i
            })
        })
    })
}

/// `(known table, position of the grant among the role's grants)`, sorted by grant.
pub(crate) type Singles = Rc<[(usize, usize)]>;

impl TableBits {
    pub(crate) fn first_unknown_bulk(
        &self,
        ctx: &Context,
        role: Option<&str>,
        grants: &[Arc<ObjectGrant>],
    ) -> Option<usize> {
        let compute = || {
            grants
                .iter()
                .enumerate()
                .filter(|(_, g)| !g.revoke && matches!(&g.object, Object::AllIn { kind: BulkKind::Tables, schema } if !ctx.schemas_with_tables.contains(schema)))
                .min_by_key(|(_, g)| (g.origin.file, g.origin.item, g.origin.start))
                .map(|(k, _)| k)
        };
        let Some(r) = role else { return *self.public_unknown_bulk.get_or_init(compute) };
        if let Some(k) = self.unknown_bulk.borrow().get(r) {
            return *k;
        }
        let k = compute();
        self.unknown_bulk.borrow_mut().insert(r.to_string(), k);
        k
    }

    pub(crate) fn object_hashes(&self, role: &str, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        if let Some(h) = self.hashes.borrow().get(role) {
            return h.clone();
        }
        let h: Rc<[u64]> = grants.iter().map(|g| object_hash(&g.object)).collect();
        self.hashes.borrow_mut().insert(role.to_string(), h.clone());
        h
    }

    /// The known tables a role's own single-table grants name: `(table, grant position)`,
    /// computed once per role.
    pub(crate) fn singles(&self, ctx: &Context, role: &str, grants: &[Arc<ObjectGrant>]) -> Singles {
        if let Some(s) = self.singles.borrow().get(role) {
            return s.clone();
        }
        let singles: Singles =
            grants.iter().enumerate().filter_map(|(k, g)| Some((single_table(ctx, g)?, k))).collect();
        self.singles.borrow_mut().insert(role.to_string(), singles.clone());
        singles
    }

    pub(crate) fn of(&self, ctx: &Context, role: Option<&str>, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        match role {
            None => self.public.get_or_init(|| Self::compute(ctx, grants)).clone(),
            Some(r) => {
                if let Some(bits) = self.bits.borrow().get(r) {
                    return bits.clone();
                }
                let bits = Self::compute(ctx, grants);
                self.bits.borrow_mut().insert(r.to_string(), bits.clone());
                bits
            }
        }
    }

    /// The known schemas a role's own grants give USAGE or CREATE on (`None`: PUBLIC).
    pub(crate) fn schemas_of(&self, ctx: &Context, role: Option<&str>, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        let compute = || -> Rc<[u64]> {
            let mut bits = vec![0u64; ctx.known_schemas.len().div_ceil(64)];
            for g in grants.iter().filter(|g| !g.revoke && schema_bits(&g.privileges, ctx.target_version) != 0) {
                if let Object::Schema { name } = &g.object {
                    if let Ok(i) = ctx.known_schemas.binary_search(name) {
                        bits[i / 64] |= 1 << (i % 64);
                    }
                }
            }
            bits.into()
        };
        match role {
            None => self.public_schemas.get_or_init(compute).clone(),
            Some(r) => {
                if let Some(bits) = self.schemas.borrow().get(r) {
                    return bits.clone();
                }
                let bits = compute();
                self.schemas.borrow_mut().insert(r.to_string(), bits.clone());
                bits
            }
        }
    }

    pub(crate) fn compute(ctx: &Context, grants: &[Arc<ObjectGrant>]) -> Rc<[u64]> {
        let mut bits = vec![0u64; ctx.tables.len().div_ceil(64)];
        let mut set = |i: usize| bits[i / 64] |= 1 << (i % 64);
        for g in grants.iter().filter(|g| !g.revoke && relation_bits(&g.privileges, ctx.target_version) != 0) {
            match &g.object {
                Object::AllIn { kind: BulkKind::Tables, schema } => ctx.tables_in(schema).for_each(&mut set),
                Object::Table { schema, name } | Object::View { schema, name } => {
                    if let Some(i) = ctx.table(schema, name) {
                        set(i);
                    }
                }
                _ => {}
            }
        }
        bits.into()
    }
}

/// The known table a grant on one table or view names, if it gives a table privilege.
pub(crate) fn single_table(ctx: &Context, g: &ObjectGrant) -> Option<usize> {
    match &g.object {
        Object::Table { schema, name } | Object::View { schema, name }
            if !g.revoke && relation_bits(&g.privileges, ctx.target_version) != 0 =>
        {
            ctx.table(schema, name)
        }
        _ => None,
    }
}

/// The privileges of a grant that fit a relation, as a bit set (MAINTAIN from 17).
pub(crate) fn relation_bits(privileges: &[Privilege], version: u32) -> u16 {
    mask(privileges, AclKind::Relation, version)
}

/// The privileges of a grant that fit a schema, as a bit set (the same on every version).
pub(crate) fn schema_bits(privileges: &[Privilege], version: u32) -> u16 {
    mask(privileges, AclKind::Schema, version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::{BuildOptions, Grantee, Model};

    const POLICY: &str = "schema app { owner o }\nschema hr { owner o }\nschema empty { owner o }\nrole o {}\n\
        table app.b\ntable app.a\nview hr.v\ntable hr.c\n\
        role u {\n  grant select on tables in schema app\n  grant update on table hr.c\n  grant usage on schema hr\n  \
        grant usage on sequence app.s\n  grant select on tables in schema empty\n}\n";

    fn model() -> Model {
        let files = vec![("p.role".into(), POLICY.to_string())];
        Workspace::load(Sources::Memory(files), BuildOptions::default()).unwrap().resolved().model.clone()
    }

    fn grants_to(model: &Model, role: &str) -> Vec<Arc<ObjectGrant>> {
        model.grants.iter().filter(|g| g.grantee == Grantee::Role(role.into())).cloned().collect()
    }

    fn set(bits: &[u64]) -> Vec<usize> {
        set_bits(bits).collect()
    }

    #[test]
    fn a_role_s_grants_as_bits_over_the_known_tables_and_schemas() {
        let model = model();
        let ctx = Context::of(&model, 15, None, Vec::new());
        let names: Vec<String> = ctx.tables.iter().map(|t| format!("{}.{}", t.schema, t.name)).collect();
        assert_eq!(names, ["app.a", "app.b", "hr.c", "hr.v"], "sorted");
        let grants = grants_to(&model, "u");
        let bits = TableBits::default();
        // The bulk grant sets its schema's range; the single grant its table; USAGE on a
        // sequence and a bulk grant in a schema without known tables set nothing.
        assert_eq!(set(&bits.of(&ctx, Some("u"), &grants)), [0, 1, 2]);
        assert_eq!(&*bits.singles(&ctx, "u", &grants), [(2, 1)], "hr.c, by the second grant");
        let hr = ctx.known_schemas.binary_search(&"hr".to_string()).unwrap();
        assert_eq!(set(&bits.schemas_of(&ctx, Some("u"), &grants)), [hr]);
        assert_eq!(bits.first_unknown_bulk(&ctx, Some("u"), &grants), Some(4), "the grant on tables in schema empty");
        // Computed once per role: a second question with other grants gets the first answer.
        assert_eq!(set(&bits.of(&ctx, Some("u"), &[])), [0, 1, 2]);
        assert!(set(&bits.of(&ctx, Some("o"), &[])).is_empty());
    }
}
