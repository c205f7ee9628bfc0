//! Analyses of the resolved model: what the policy means once PostgreSQL applies it.
//!
//! Every analysis is a pure function of the [`Model`](crate::model::Model) (and build
//! options) returning plain data; `db` wraps them in tracked queries.
//!
//! - [`membership`]: which roles a role is a member of, has the privileges of (`USAGE`) and
//!   may `SET ROLE` to, as `pg_has_role` answers, with the shortest chain of memberships.

pub mod membership;

pub use membership::{reach, Chain, MembershipAnalysis, Mode, Step};
