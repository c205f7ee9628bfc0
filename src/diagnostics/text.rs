//! Where text is and what of it may be shown: the positions every stage points at and the
//! characters no output prints raw. Below both `syntax` (which makes spans) and `diagnostics`
//! (which shows them), so that neither needs the other for these.

use serde::Serialize;

/// Identifies one source file of a policy. Assigned by the workspace; stable across edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A byte range inside top-level item `item` of file `file`, relative to that item's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub file: FileId,
    pub item: u32,
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// The smallest span covering both (same item assumed; otherwise `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file || self.item != other.item {
            return self;
        }
        Span { start: self.start.min(other.start), end: self.end.max(other.end), ..self }
    }
}

/// What is never printed raw is a fact of the readers of SQL and terminals: one home, in `pg`.
pub use crate::pg::quote::is_unprintable;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_covers_both_only_within_one_item() {
        let at = |item, start, end| Span { file: FileId(0), item, start, end };
        assert_eq!(at(0, 4, 6).to(at(0, 1, 5)), at(0, 1, 6));
        assert_eq!(at(0, 4, 6).to(at(1, 1, 5)), at(0, 4, 6));
    }

    #[test]
    fn line_breaks_and_escapes_are_unprintable() {
        for c in ['\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{1b}', '\u{2028}', '\u{2029}', '\0'] {
            assert!(is_unprintable(c), "{c:?}");
        }
        for c in ['a', ' ', 'é', '→', '`'] {
            assert!(!is_unprintable(c), "{c:?}");
        }
    }
}
