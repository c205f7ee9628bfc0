//! Chains of grants. A grant made by a role other than the object's owner (or, for a
//! membership on PostgreSQL 16+, by a role other than a superuser) rests on its grantor's grant
//! option (ADMIN option): when the grantor loses it, PostgreSQL refuses the revoke ("dependent
//! privileges exist") unless it is `CASCADE`, which also drops the dependent grants.
//!
//! The plan revokes the deepest grants first (a grantee's own grants before the grant it
//! holds), so that a revoke needs `CASCADE` only for dependent grants the plan keeps — those
//! to roles outside the scope, or to PUBLIC where the policy says nothing of it. [`analyse`]
//! finds them: the plan then says `CASCADE` and lists what it drops.

use std::collections::{HashMap, HashSet, VecDeque};

/// One grant of one privilege (or membership) on one object (or role), before and after the
/// plan: `None` when not held, else whether with grant option (ADMIN option).
#[derive(Clone, Debug)]
pub(crate) struct Grant<'a, P> {
    pub privilege: P,
    pub grantor: &'a str,
    /// `None`: PUBLIC.
    pub grantee: Option<&'a str>,
    pub before: Option<bool>,
    pub after: Option<bool>,
}

/// What [`analyse`] finds about the grants of one object.
#[derive(Debug, Default)]
pub(crate) struct Chains {
    /// Distance of each grantor from a root (the owner, a superuser) along grants with grant
    /// option, before the plan; roles no chain reaches are deepest.
    depth: HashMap<String, usize>,
    /// The grants the plan keeps that `CASCADE` drops, as indexes into the grants analysed,
    /// by the grantee whose grant option goes.
    dropped_by: HashMap<String, Vec<usize>>,
    /// The grantee (a role) of each grant analysed, by index.
    grantee_of: HashMap<usize, String>,
}

impl Chains {
    /// How deep `grantor` is: revokes of its grants run before those of shallower grantors.
    pub fn depth(&self, grantor: &str) -> usize {
        self.depth.get(grantor).copied().unwrap_or(usize::MAX)
    }

    /// The grantees whose lost grant option drops grants the plan keeps.
    pub fn losing(&self) -> impl Iterator<Item = &str> {
        self.dropped_by.keys().map(String::as_str)
    }

    /// The kept grants (indexes) that are dropped when `grantee` loses its grant option, and
    /// with them the grants resting on those.
    pub fn dropped_with(&self, grantee: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let mut queue = VecDeque::from([grantee.to_string()]);
        let mut seen = HashSet::new();
        while let Some(g) = queue.pop_front() {
            if !seen.insert(g.clone()) {
                continue;
            }
            for &i in self.dropped_by.get(&g).into_iter().flatten() {
                out.push(i);
                queue.extend(self.grantee_of.get(&i).cloned());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Depths and the grants `CASCADE` would drop, for the grants of one object (all privileges:
/// a chain is per privilege, the depth per role). `root`: a grantor whose grants rest on
/// nothing (the owner, a superuser).
pub(crate) fn analyse<P: Copy + Eq>(grants: &[Grant<'_, P>], root: &dyn Fn(&str) -> bool) -> Chains {
    let mut chains = Chains::default();
    // Depth: breadth first from the roots along grants held with grant option.
    let mut queue: VecDeque<(String, usize)> = VecDeque::new();
    for g in grants.iter().filter(|g| root(g.grantor)) {
        if !chains.depth.contains_key(g.grantor) {
            chains.depth.insert(g.grantor.to_string(), 0);
            queue.push_back((g.grantor.to_string(), 0));
        }
    }
    while let Some((holder, d)) = queue.pop_front() {
        for g in grants.iter().filter(|g| g.grantor == holder && g.before == Some(true)) {
            let Some(grantee) = g.grantee else { continue };
            if !chains.depth.contains_key(grantee) {
                chains.depth.insert(grantee.to_string(), d + 1);
                queue.push_back((grantee.to_string(), d + 1));
            }
        }
    }
    // What stays after the plan, and what falls with a grantor's lost grant option, to a
    // fixed point.
    let mut alive: Vec<bool> = grants.iter().map(|g| g.after.is_some()).collect();
    loop {
        let mut changed = false;
        for (i, g) in grants.iter().enumerate() {
            if !alive[i] || root(g.grantor) {
                continue;
            }
            let holds_option = grants.iter().enumerate().any(|(j, h)| {
                alive[j] && h.privilege == g.privilege && h.grantee == Some(g.grantor) && h.after == Some(true)
            });
            if !holds_option {
                alive[i] = false;
                changed = true;
                chains.dropped_by.entry(g.grantor.to_string()).or_default().push(i);
            }
        }
        if !changed {
            break;
        }
    }
    chains.grantee_of = grants.iter().enumerate().filter_map(|(i, g)| Some((i, g.grantee?.to_string()))).collect();
    chains
}
