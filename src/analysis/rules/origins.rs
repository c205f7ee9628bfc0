//! Where the grants, memberships and schemas a diagnostic names by index come from.

use crate::model::{Membership, Model, ObjectGrant};
use crate::syntax::Span;

/// Where the grants, memberships and schemas that grounds and chains name by index come
/// from: the model itself, or the few grants one role can see (the per-role checks of
/// [`crate::analysis::role_rules`] number them locally).
pub trait Origins {
    fn grant(&self, index: usize) -> &ObjectGrant;
    fn membership(&self, index: usize) -> &Membership;
    /// The index and declaration of a schema.
    fn schema(&self, name: &str) -> Option<(usize, Span)>;
}

impl Origins for Model {
    fn grant(&self, index: usize) -> &ObjectGrant {
        &self.grants[index]
    }
    fn membership(&self, index: usize) -> &Membership {
        &self.memberships[index]
    }
    fn schema(&self, name: &str) -> Option<(usize, Span)> {
        self.schemas.iter().position(|s| s.name == name).map(|k| (k, self.schemas[k].origin))
    }
}
