//! Analyses of the resolved model: what the policy means once PostgreSQL applies it.
//!
//! Every analysis is a pure function of the [`Model`](crate::model::Model) (and build
//! options) returning plain data; `db` wraps them in tracked queries.
//!
//! - [`membership`]: which roles a role is a member of, has the privileges of (`USAGE`) and
//!   may `SET ROLE` to, as `pg_has_role` answers, with the shortest chain of memberships.
//! - [`policy`]: the rules of `policy { … }` blocks (exclusivity, forbidden attributes and
//!   grants to PUBLIC, admin rights, membership depth), as diagnostics.
//! - [`lint`]: warnings that need no `policy` block (unused roles, windows closing soon,
//!   shadowed grants).

pub mod graph;
pub mod lint;
pub mod membership;
pub mod policy;
pub mod privileges;

pub use membership::{reach, Chain, MembershipAnalysis, Mode, Step};
