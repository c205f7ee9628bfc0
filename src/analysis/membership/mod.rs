//! Role membership as PostgreSQL evaluates it: `pg_has_role(role, granted, mode)` for every
//! pair of roles, with the shortest chain of memberships that makes the answer true.
//!
//! The three modes:
//! - [`Mode::Member`]: `role` is `granted`, or reaches it through any chain of memberships.
//! - [`Mode::Usage`]: a chain where every step inherits. Up to PostgreSQL 15 a step
//!   "a member of b" inherits when the member `a` has the INHERIT attribute (read live); from 16
//!   when the membership's `inherit_option` is true, which defaults, at grant time, to the
//!   member's INHERIT attribute (`member of x noinherit` / `inherit` set it explicitly).
//! - [`Mode::Set`]: a chain where every step has `set_option` (16+, default true; `noset`
//!   turns it off). Before 16 the mode does not exist in PostgreSQL and equals `Member`.
//!
//! A superuser has every mode on every role. Only memberships open at build time (`active`)
//! are granted, so only they count. Roles the policy does not create (external and
//! predefined roles) may be targets; their own memberships are unknown and taken as none.
//!
//! Assumption for 16+: the scripts set role attributes before they grant memberships (they
//! do: `Phase::Attributes` precedes `Phase::Memberships`), so the default `inherit_option` of a
//! grant is the member's final INHERIT attribute. An external member is taken as INHERIT
//! (PostgreSQL's default).
//!
//! Files: `chain` what an answer shows (steps, elided chains); `graph` the membership graph
//! and its shape, as the salsa queries keep them; `reach` the searches that answer.

mod chain;
mod graph;
mod reach;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use chain::{Chain, Step, Steps, LONGEST_SHOWN_CHAIN, SHOWN_AT_EACH_END};
pub use graph::{GraphShape, MembershipGraph, RoleNode};
pub use reach::{reach, reach_from_roles, reach_graph, MembershipAnalysis, Reaching};

/// The `mode` argument of `pg_has_role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Member,
    Usage,
    Set,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Member, Mode::Usage, Mode::Set];

    /// The SQL spelling: `MEMBER`, `USAGE`, `SET`.
    pub fn sql(self) -> &'static str {
        match self {
            Mode::Member => "MEMBER",
            Mode::Usage => "USAGE",
            Mode::Set => "SET",
        }
    }
}
