//! Privileges as bit sets, one bit per [`Privilege`], so that the privileges of many grants
//! combine with `|` and `&`. Which privileges fit which kind of object, and on which server
//! version, is read from [`crate::pg`].

use crate::pg::{AclKind, Privilege};

/// The bit of one privilege.
pub(crate) const fn bit(p: Privilege) -> u16 {
    1 << (p as u16)
}

/// The bit set of `privileges`.
pub(crate) fn bits(privileges: impl IntoIterator<Item = Privilege>) -> u16 {
    privileges.into_iter().fold(0, |m, p| m | bit(p))
}

/// The privileges that fit `kind` on a server of major `version`: what `ALL` stands for there.
pub(crate) fn fitting(kind: AclKind, version: u32) -> u16 {
    bits(kind.all_privileges(version))
}

/// The privileges of a grant on `kind` that fit it, `ALL` expanded.
pub(crate) fn mask(privileges: &[Privilege], kind: AclKind, version: u32) -> u16 {
    let all = fitting(kind, version);
    privileges.iter().fold(0, |m, &p| m | if p == Privilege::All { all } else { bit(p) & all })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Privilege::*;

    #[test]
    fn fitting_privileges_follow_the_version() {
        let table = bits([Select, Insert, Update, Delete, Truncate, References, Trigger]);
        assert_eq!(fitting(AclKind::Relation, 16), table);
        assert_eq!(fitting(AclKind::Relation, 17), table | bit(Maintain));
        assert_eq!(fitting(AclKind::Column, 17), bits([Select, Insert, Update, References]));
        assert_eq!(fitting(AclKind::Routine, 14), bit(Execute));
    }

    #[test]
    fn masks_expand_all_and_drop_what_does_not_fit() {
        assert_eq!(mask(&[All], AclKind::Schema, 15), bits([Usage, Create]));
        assert_eq!(mask(&[Select, Execute], AclKind::Sequence, 15), bit(Select));
        assert_eq!(mask(&[Maintain], AclKind::Relation, 16), 0);
        assert_eq!(mask(&[Maintain], AclKind::Relation, 17), bit(Maintain));
        assert_eq!(mask(&[], AclKind::Database, 17), 0);
    }
}
