//! What one role's checks see ([`Seen`]): its own grants, those of the roles whose privileges
//! it has and PUBLIC's, with chains to them, gathered only when a check asks.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::membership::{Chain, Mode};
use crate::analysis::rules::chunks::RoleFacts;
use crate::analysis::rules::context::{Context, View};
use crate::analysis::rules::origins::Origins;
use crate::model::{Membership, ObjectGrant};
use crate::syntax::Span;

/// The grants one role sees: its own, those of the roles whose privileges it has, and those
/// to PUBLIC, with the length of the chain to each grantee.
pub(crate) struct Seen<'a> {
    pub(crate) view: &'a View<'a>,
    pub(crate) facts: &'a RoleFacts,
    pub(crate) superuser: bool,
    /// `(grant, chain length)`; PUBLIC's grants come last, with the length `usize::MAX`.
    /// Gathered only for the checks that list grants (most roles need none).
    pub(crate) grants: OnceCell<Vec<(&'a ObjectGrant, usize)>>,
    /// Chains (USAGE mode) to the roles asked about so far.
    pub(crate) chains: RefCell<FxHashMap<String, Option<Chain>>>,
    /// [`Seen::all_tables`], computed once.
    pub(crate) tables: OnceCell<Vec<u64>>,
}

/// The grants and memberships a role's diagnostics name, numbered locally.
pub(crate) struct LocalOrigins<'a> {
    pub(crate) grants: Vec<&'a ObjectGrant>,
    pub(crate) memberships: &'a dyn Fn() -> &'a [Arc<Membership>],
    pub(crate) ctx: &'a Context,
}

impl Origins for LocalOrigins<'_> {
    fn grant(&self, index: usize) -> &ObjectGrant {
        self.grants[index]
    }
    fn membership(&self, index: usize) -> &Membership {
        &(self.memberships)()[index]
    }
    fn schema(&self, name: &str) -> Option<(usize, Span)> {
        self.ctx.schema_owners.get(name).map(|(_, k, origin)| (*k, *origin))
    }
}

impl<'a> Seen<'a> {
    pub(crate) fn new(view: &'a View<'a>, facts: &'a RoleFacts) -> Seen<'a> {
        Seen {
            view,
            facts,
            superuser: view.members.is_superuser(&facts.role.name),
            grants: OnceCell::new(),
            chains: RefCell::default(),
            tables: OnceCell::new(),
        }
    }

    /// The grants this role sees, each with the length of the chain to its grantee: its own
    /// (0), those of the roles whose privileges it has, PUBLIC's (`usize::MAX`).
    pub(crate) fn grants(&self) -> &[(&'a ObjectGrant, usize)] {
        self.grants.get_or_init(|| {
            let view = self.view;
            let mut grants: Vec<(&ObjectGrant, usize)> =
                self.facts.grants.iter().filter(|g| !g.revoke).map(|g| (&**g, 0)).collect();
            let name = self.facts.role.name.as_str();
            for (r, len) in view.members.granted_roles_with_len(name, Mode::Usage) {
                if let Some(f) = (view.facts)(r) {
                    grants.extend(f.grants.iter().filter(|g| !g.revoke).map(|g| (&**g, len)));
                }
            }
            grants.extend(view.ctx.public.iter().filter(|g| !g.revoke).map(|g| (&**g, usize::MAX)));
            grants
        })
    }

    /// The facts of the roles whose privileges this role has.
    pub(crate) fn inherited(&self) -> impl Iterator<Item = &'a RoleFacts> + '_ {
        self.view.members.granted_roles(&self.facts.role.name, Mode::Usage).filter_map(|r| (self.view.facts)(r))
    }

    pub(crate) fn name(&self) -> &str {
        &self.facts.role.name
    }

    /// The chain (USAGE mode) from this role to a role, computed once per role asked about.
    pub(crate) fn via(&self, granted: &str) -> Option<Chain> {
        if let Some(c) = self.chains.borrow().get(granted) {
            return c.clone();
        }
        let c = self.view.members.answer(self.name(), granted, Mode::Usage);
        self.chains.borrow_mut().insert(granted.to_string(), c.clone());
        c
    }

    pub(crate) fn origins(&self) -> LocalOrigins<'a> {
        LocalOrigins {
            grants: self.grants().iter().map(|(g, _)| *g).collect(),
            memberships: self.view.memberships,
            ctx: self.view.ctx,
        }
    }
}
