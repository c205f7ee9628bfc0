//! What an answer shows: the memberships of a chain, elided in the middle when it is long.

use serde::Serialize;

/// One membership of a chain: `member` is a member of `role`, granted by
/// `model.memberships[membership]` (whose `origin` points at the `member of`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    pub member: String,
    pub role: String,
    pub membership: usize,
}

/// Why `pg_has_role(role, granted, mode)` is true.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "steps")]
pub enum Chain {
    /// `role` and `granted` are the same role.
    SameRole,
    /// `role` is a superuser: a member of every role, with every mode.
    Superuser,
    /// A shortest chain `role → … → granted`; the first step's member is `role`, the last
    /// step's role is `granted`, each step's role is the next step's member. Never empty.
    /// A chain longer than [`LONGEST_SHOWN_CHAIN`] keeps only its first and last steps.
    Memberships(Steps),
}

/// Chains of more memberships than this are kept and shown elided: their first and last
/// [`SHOWN_AT_EACH_END`] memberships, with the number left out between. Each of n roles on
/// a chain reaches the others by chains of up to n memberships: in full, n²/2 of them.
pub const LONGEST_SHOWN_CHAIN: usize = 12;

/// The memberships an elided chain keeps at its start and at its end.
pub const SHOWN_AT_EACH_END: usize = LONGEST_SHOWN_CHAIN / 2;

/// The memberships of a chain as kept: all of them, or the first and the last
/// [`SHOWN_AT_EACH_END`] with the number left out between.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Steps {
    /// In chain order: the steps before the ones left out, then those after.
    shown: Vec<Step>,
    /// How many steps are left out after the first `before` shown ones.
    left_out: usize,
    before: usize,
}

impl Steps {
    /// Every step of a chain.
    pub fn full(steps: Vec<Step>) -> Steps {
        let before = steps.len();
        Steps { shown: steps, left_out: 0, before }
    }

    /// The first steps of a chain, `left_out` steps not kept, then its last steps.
    pub fn elided(mut first: Vec<Step>, left_out: usize, last: Vec<Step>) -> Steps {
        let before = first.len();
        first.extend(last);
        Steps { shown: first, left_out, before }
    }

    /// The number of memberships of the chain, those left out included.
    pub fn len(&self) -> usize {
        self.shown.len() + self.left_out
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// How many memberships are left out between [`Self::parts`].
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// The steps kept, in chain order (not connected where steps are left out).
    pub fn shown(&self) -> &[Step] {
        &self.shown
    }

    /// The steps kept before and after those left out (after: empty when none are).
    pub fn parts(&self) -> (&[Step], &[Step]) {
        self.shown.split_at(self.before)
    }

    /// The first membership of the chain.
    pub fn first(&self) -> Option<&Step> {
        self.shown.first()
    }

    /// The roles of the chain joined by ` → ` from `role` (the member of its first step), each
    /// spelled by `name`, with `… 19,987 more …` (memberships) where steps are left out.
    pub fn path(&self, role: &str, name: impl Fn(&str) -> String) -> String {
        self.write_path(role, |out, n| out.push_str(&name(n)))
    }

    /// [`Self::path`] with each role in backquotes: `` `alice` → `team` ``.
    pub fn quoted_path(&self, role: &str) -> String {
        self.write_path(role, |out, n| {
            out.push('`');
            out.push_str(n);
            out.push('`');
        })
    }

    /// [`Self::path`], each name written by `name` into the one string.
    fn write_path(&self, role: &str, name: impl Fn(&mut String, &str)) -> String {
        let (before, after) = self.parts();
        let mut out = String::new();
        name(&mut out, role);
        for s in before {
            out.push_str(" → ");
            name(&mut out, &s.role);
        }
        if let Some(resumed) = after.first() {
            out.push_str(&format!(" → … {} more … → ", thousands(self.left_out)));
            name(&mut out, &resumed.member);
            for s in after {
                out.push_str(" → ");
                name(&mut out, &s.role);
            }
        }
        out
    }
}

/// `19987` as `19,987`.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
