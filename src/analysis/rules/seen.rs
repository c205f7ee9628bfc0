//! What one role's checks see ([`Seen`]): its own grants, those of the roles whose privileges
//! it has and PUBLIC's, with chains to them, gathered only when a check asks.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::membership::{Chain, Mode};
use crate::analysis::rules::chunks::RoleFacts;
use crate::analysis::rules::context::{Context, View};
use crate::analysis::rules::limits::Unknown;
use crate::analysis::rules::origins::Origins;
use crate::analysis::rules::table_bits::RoleBits;
use crate::model::{Membership, ObjectGrant};
use crate::syntax::Span;

/// The grants one role sees: its own, those of the roles whose privileges it has, and those
/// to PUBLIC, with the length of the chain to each grantee.
pub(crate) struct Seen<'a> {
    pub(crate) view: &'a View<'a>,
    pub(crate) facts: &'a RoleFacts,
    pub(crate) superuser: bool,
    /// The role's node in `view.members` (every role of a chunk has one).
    pub(crate) node: Option<u32>,
    /// The nodes of the roles whose privileges it has (USAGE mode), each with the length of
    /// the chain to it, in the order of [`MembershipAnalysis::granted_roles`].
    ///
    /// [`MembershipAnalysis::granted_roles`]: crate::analysis::membership::MembershipAnalysis::granted_roles
    pub(crate) reached: OnceCell<Vec<(u32, usize)>>,
    /// `(grant, chain length)`; PUBLIC's grants come last, with the length `usize::MAX`.
    /// Gathered only for the checks that list grants (most roles need none).
    pub(crate) grants: OnceCell<Vec<(&'a ObjectGrant, usize)>>,
    /// Chains (USAGE mode) to the roles asked about so far.
    pub(crate) chains: RefCell<FxHashMap<String, Option<Chain>>>,
    /// [`Seen::all_tables`], computed once.
    pub(crate) tables: OnceCell<Vec<u64>>,
    /// The role's own [`RoleBits`] when it has no node (never so for the roles of a chunk).
    pub(crate) own: OnceCell<RoleBits<'a>>,
    /// [`Seen::predefined`] for the limit on schemas and for those on tables: each limit
    /// asks, and asks again for its diagnostic.
    pub(crate) predefined: [OnceCell<Option<(&'static str, Chain)>>; 2],
    /// Why a limit on tables cannot be proven (the same for every such limit), see
    /// [`Seen::unknown`].
    pub(crate) unknown_tables: OnceCell<Option<(Unknown, Option<&'a ObjectGrant>)>>,
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
            node: view.members.node(&facts.role.name),
            reached: OnceCell::new(),
            chains: RefCell::default(),
            tables: OnceCell::new(),
            own: OnceCell::new(),
            predefined: Default::default(),
            unknown_tables: OnceCell::new(),
        }
    }

    /// The nodes of the roles whose privileges this role has, with the length of the chain
    /// to each.
    pub(crate) fn reached(&self) -> &[(u32, usize)] {
        self.reached.get_or_init(|| match self.node {
            Some(node) => self.view.members.granted_nodes_with_len(node, Mode::Usage),
            None => Vec::new(),
        })
    }

    /// The [`RoleBits`] of this role's own grants.
    pub(crate) fn own_bits(&self) -> &RoleBits<'a> {
        match self.node {
            Some(node) => self.view.table_bits.role(self.view, node),
            None => self.own.get_or_init(|| RoleBits {
                facts: Some(self.facts),
                ..RoleBits::of(self.view.ctx, &self.facts.grants, Some(self.name()))
            }),
        }
    }

    /// The [`RoleBits`] of each role whose privileges this role has, with the length of the
    /// chain to it.
    pub(crate) fn reached_bits(&self) -> impl Iterator<Item = (&RoleBits<'a>, usize)> + '_ {
        self.reached().iter().map(|&(node, len)| (self.view.table_bits.role(self.view, node), len))
    }

    /// The grants this role sees, each with the length of the chain to its grantee: its own
    /// (0), those of the roles whose privileges it has, PUBLIC's (`usize::MAX`).
    pub(crate) fn grants(&self) -> &[(&'a ObjectGrant, usize)] {
        self.grants.get_or_init(|| {
            let view = self.view;
            let mut grants: Vec<(&ObjectGrant, usize)> =
                self.facts.grants.iter().filter(|g| !g.revoke).map(|g| (&**g, 0)).collect();
            for (f, len) in self.reached_bits().filter_map(|(bits, len)| Some((bits.facts?, len))) {
                grants.extend(f.grants.iter().filter(|g| !g.revoke).map(|g| (&**g, len)));
            }
            grants.extend(view.ctx.public.iter().filter(|g| !g.revoke).map(|g| (&**g, usize::MAX)));
            grants
        })
    }

    /// The [`RoleBits`] of the roles whose privileges this role has and that the policy
    /// declares (those that can hold grants).
    pub(crate) fn inherited(&self) -> impl Iterator<Item = &RoleBits<'a>> + '_ {
        self.reached_bits().map(|(bits, _)| bits).filter(|bits| bits.facts.is_some())
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
