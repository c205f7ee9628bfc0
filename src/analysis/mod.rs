//! Analyses of the resolved model: what the policy means once PostgreSQL applies it.
//!
//! Every analysis is a pure function of the [`Model`](crate::model::Model) (and build
//! options) returning plain data; `db` wraps them in tracked queries.
//!
//! - [`membership`]: which roles a role is a member of, has the privileges of (`USAGE`) and
//!   may `SET ROLE` to, as `pg_has_role` answers, with the shortest chain of memberships.
//! - [`rules`]: the rules of `policy { … }` blocks (exclusivity, forbidden attributes and
//!   grants to PUBLIC, admin rights, membership depth, limits), a file per rule, checked role
//!   by role, as diagnostics.
//! - [`lint`]: warnings that need no `policy` block (unused roles, windows closing soon,
//!   shadowed grants), a file per lint.
//! - [`privileges`]: which object privileges a role has, as `has_*_privilege` answers, with
//!   the grounds (grant and chain, PUBLIC, predefined role, built-in default, superuser).
//! - [`explain`]: everything one role can do (`rolec explain`); [`graph`]: the hierarchy as
//!   DOT or Mermaid (`rolec graph`).

pub mod explain;
pub mod graph;
pub mod lint;
pub mod membership;
pub mod privileges;
pub mod rules;

pub use membership::{reach, Chain, MembershipAnalysis, Mode, Step};
