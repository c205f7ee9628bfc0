//! Privilege sets as the comparison holds them: typed privileges, each with its grant option,
//! listed in keyword order (the order statements and reports show them in).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::syntax::ast::Privilege;

/// A privilege ordered by its keyword, so that sets iterate as they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ByKeyword(Privilege);

impl Ord for ByKeyword {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.sql().cmp(other.0.sql())
    }
}

impl PartialOrd for ByKeyword {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One privilege held, and whether the holder may grant it on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    pub privilege: Privilege,
    pub grant_option: bool,
}

/// The privileges one grantee holds on one object (or in one default-privilege entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PrivilegeSet(BTreeMap<ByKeyword, bool>);

impl PrivilegeSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `privilege` is held, and if so with grant option.
    pub fn grant_option(&self, privilege: Privilege) -> Option<bool> {
        self.0.get(&ByKeyword(privilege)).copied()
    }

    /// Sets `privilege`, replacing its grant option.
    pub fn insert(&mut self, privilege: Privilege, grant_option: bool) {
        self.0.insert(ByKeyword(privilege), grant_option);
    }

    /// Adds `privilege`; a grant option once given stays.
    pub fn add(&mut self, privilege: Privilege, grant_option: bool) {
        *self.0.entry(ByKeyword(privilege)).or_insert(false) |= grant_option;
    }

    pub fn remove(&mut self, privilege: Privilege) {
        self.0.remove(&ByKeyword(privilege));
    }

    /// In keyword order.
    pub fn iter(&self) -> impl Iterator<Item = Held> + '_ {
        self.0.iter().map(|(p, o)| Held { privilege: p.0, grant_option: *o })
    }

    /// `privileges` held without grant option.
    pub fn plain(privileges: &[Privilege]) -> PrivilegeSet {
        PrivilegeSet(privileges.iter().map(|p| (ByKeyword(*p), false)).collect())
    }

    /// As a check shows it: `INSERT (grantable), SELECT`, or `none`.
    pub fn text(&self) -> String {
        if self.is_empty() {
            return "none".to_string();
        }
        let item = |h: Held| {
            let keyword = h.privilege.sql();
            if h.grant_option {
                format!("{keyword} (grantable)")
            } else {
                keyword.to_string()
            }
        };
        self.iter().map(item).collect::<Vec<_>>().join(", ")
    }
}

/// Privileges named in a statement, in keyword order.
pub(crate) type PrivilegeList = Vec<Privilege>;

/// Keywords of a list, comma separated.
pub(crate) fn keywords(privileges: &[Privilege]) -> String {
    privileges.iter().map(|p| p.sql()).collect::<Vec<_>>().join(", ")
}

/// Privileges to grant to go from `have` to `want`: `(privileges, with grant option)` groups.
pub(crate) fn grants_needed(want: &PrivilegeSet, have: &PrivilegeSet) -> Vec<(PrivilegeList, bool)> {
    let mut plain = Vec::new();
    let mut option = Vec::new();
    for w in want.iter() {
        match have.grant_option(w.privilege) {
            None if w.grant_option => option.push(w.privilege),
            None => plain.push(w.privilege),
            Some(false) if w.grant_option => option.push(w.privilege),
            Some(_) => {}
        }
    }
    [(plain, false), (option, true)].into_iter().filter(|(p, _)| !p.is_empty()).collect()
}

/// Privileges to revoke to go from `have` to `want`: `(privileges, grant option only)` groups.
pub(crate) fn revokes_needed(want: &PrivilegeSet, have: &PrivilegeSet) -> Vec<(PrivilegeList, bool)> {
    let mut all = Vec::new();
    let mut option = Vec::new();
    for h in have.iter() {
        match want.grant_option(h.privilege) {
            None => all.push(h.privilege),
            Some(false) if h.grant_option => option.push(h.privilege),
            Some(_) => {}
        }
    }
    [(all, false), (option, true)].into_iter().filter(|(p, _)| !p.is_empty()).collect()
}

/// The privileges a policy statement names, `all` spelled out as `all_of` (the object kind's),
/// in keyword order without repeats.
pub(crate) fn expand(privileges: &[Privilege], all_of: &[Privilege]) -> PrivilegeList {
    let mut out: Vec<ByKeyword> = Vec::new();
    for p in privileges {
        if *p == Privilege::All {
            out.extend(all_of.iter().map(|p| ByKeyword(*p)));
        } else {
            out.push(ByKeyword(*p));
        }
    }
    out.sort();
    out.dedup();
    out.into_iter().map(|p| p.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Privilege::*;

    fn set(items: &[(Privilege, bool)]) -> PrivilegeSet {
        let mut s = PrivilegeSet::default();
        for (p, o) in items {
            s.insert(*p, *o);
        }
        s
    }

    #[test]
    fn grant_and_revoke_sets() {
        assert_eq!(
            grants_needed(&set(&[(Select, false), (Update, true)]), &set(&[(Select, false)])),
            vec![(vec![Update], true)]
        );
        assert_eq!(
            revokes_needed(&set(&[(Select, false)]), &set(&[(Select, true), (Delete, false)])),
            vec![(vec![Delete], false), (vec![Select], true)]
        );
    }

    #[test]
    fn listed_in_keyword_order() {
        let s = set(&[(Update, false), (Select, true), (Delete, false)]);
        assert_eq!(s.text(), "DELETE, SELECT (grantable), UPDATE");
        assert_eq!(keywords(&expand(&[Usage, All, Select], &[Update, Select])), "SELECT, UPDATE, USAGE");
        assert_eq!(PrivilegeSet::default().text(), "none");
    }
}
