//! W042 shadowed grant: a direct grant that a role whose privileges the grantee has already
//! gives (see the module documentation of [`crate::analysis::lint`]).

use crate::analysis::membership::Steps;

use crate::analysis::membership::{Chain, Mode};
use crate::analysis::rules::seen::Seen;
use crate::analysis::rules::table_bits::object_hash;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Grantee, ObjectGrant};
use crate::syntax::ast::Privilege;

impl<'a> Seen<'a> {
    /// W042: direct grants that a role whose privileges this role has already gives.
    pub(crate) fn shadowed(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let own: Vec<&ObjectGrant> = self.facts.grants.iter().filter(|g| !g.revoke).map(|g| &**g).collect();
        if own.is_empty() {
            return out;
        }
        let x = self.name();
        let mut hashes: Vec<u64> = own.iter().map(|g| object_hash(&g.object)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        // Inherited grants on the objects of the direct ones, in source order. Each role's
        // grants are sorted by hash once per chunk: they meet the direct ones in a merge.
        let mut inherited: Vec<&ObjectGrant> = Vec::new();
        let mut found: Vec<usize> = Vec::new();
        for bits in self.inherited() {
            let Some(facts) = bits.facts else { continue };
            found.clear();
            let (theirs, mut i, mut j) = (&bits.by_hash, 0, 0);
            while i < theirs.len() && j < hashes.len() {
                let (hash, k) = theirs[i];
                match hash.cmp(&hashes[j]) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        found.push(k);
                        i += 1;
                    }
                }
            }
            found.sort_unstable();
            inherited.extend(
                found
                    .iter()
                    .map(|&k| &*facts.grants[k])
                    .filter(|h| !h.revoke && own.iter().any(|g| g.object == h.object)),
            );
        }
        inherited.sort_by_key(|h| (h.origin.file, h.origin.item, h.origin.start));
        for g in own {
            for h in inherited.iter().filter(|h| h.object == g.object) {
                let Grantee::Role(r) = &h.grantee else { continue };
                if r == x || (g.grant_option && !h.grant_option) {
                    continue;
                }
                let shadowed = covered(&g.privileges, &h.privileges);
                if shadowed.len() < g.privileges.len() {
                    continue;
                }
                let Some(Chain::Memberships(steps)) = self.view.members.answer(x, r, Mode::Usage) else { continue };
                out.push(shadowed_diagnostic(g, h, x, r, &shadowed, &steps));
                break;
            }
        }
        out
    }
}

/// W042 for the direct grant `g` to `x`, shadowed by `h` to `r`, which `x` reaches by `steps`.
pub fn shadowed_diagnostic(
    g: &ObjectGrant,
    h: &ObjectGrant,
    x: &str,
    r: &str,
    shadowed: &[Privilege],
    steps: &Steps,
) -> Diagnostic {
    let privs = shadowed.iter().map(|p| format!("`{}`", p.keyword())).collect::<Vec<_>>().join(", ");
    let path = steps.quoted_path(x);
    Diagnostic::new(
        Code::ShadowedGrant,
        g.origin,
        format!(
            "{privs} on {} {} already granted to `{x}` through `{r}`",
            g.object.describe(),
            if shadowed.len() == 1 { "is" } else { "are" }
        ),
    )
    .label("granted again here")
    .with_secondary(h.origin, format!("granted to `{r}` here"))
    .help(format!(
        "`{x}` has the privileges of `{r}` ({path}); remove the direct grant unless it must outlive the membership"
    ))
}

/// The privileges of `direct` that `inherited` already gives (`all` covers every privilege).
pub fn covered(direct: &[Privilege], inherited: &[Privilege]) -> Vec<Privilege> {
    if inherited.contains(&Privilege::All) {
        return direct.to_vec();
    }
    direct.iter().copied().filter(|p| inherited.contains(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn all_covers_everything() {
        assert_eq!(
            covered(&[Privilege::Select, Privilege::Insert], &[Privilege::All]),
            vec![Privilege::Select, Privilege::Insert]
        );
        assert_eq!(covered(&[Privilege::Select, Privilege::Insert], &[Privilege::Select]), vec![Privilege::Select]);
        assert!(covered(&[Privilege::Insert], &[Privilege::Select]).is_empty());
    }
}
