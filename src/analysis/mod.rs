//! Analyses of the resolved model: what the policy means once PostgreSQL applies it.
//!
//! Every analysis is a pure function of the [`Model`](crate::model::Model) (and build
//! options) returning plain data; `db` wraps them in tracked queries.
//!
//! - [`membership`]: which roles a role is a member of, has the privileges of (`USAGE`) and
//!   may `SET ROLE` to, as `pg_has_role` answers, with the shortest chain of memberships.
//! - [`policy`]: the rules of `policy { … }` blocks (exclusivity, forbidden attributes and
//!   grants to PUBLIC, admin rights, membership depth, limits), as diagnostics.
//! - [`limits`]: the policy limits on object privileges (`max schemas`, `max tables`, `max
//!   tables tagged`), counted over [`privileges`].
//! - [`lint`]: warnings that need no `policy` block (unused roles, windows closing soon,
//!   shadowed grants).
//! - [`privileges`]: which object privileges a role has, as `has_*_privilege` answers, with
//!   the grounds (grant and chain, PUBLIC, predefined role, built-in default, superuser).
//! - [`explain`]: everything one role can do (`rolec explain`); [`graph`]: the hierarchy as
//!   DOT or Mermaid (`rolec graph`).

pub mod explain;
pub mod graph;
pub mod limits;
pub mod lint;
pub mod membership;
pub mod policy;
pub mod privileges;
pub mod role_rules;

pub use membership::{reach, Chain, MembershipAnalysis, Mode, Step};

/// Every policy rule and lint warning over the whole model at once: the plain statement of
/// what `db::analysis_diagnostics` computes role by role, for tests to compare the two.
pub fn whole_model_diagnostics(
    model: &crate::model::Model,
    target_version: u32,
    catalog: Option<&crate::model::catalog::Catalog>,
    at: i64,
    library_files: &[crate::syntax::FileId],
) -> Vec<crate::diagnostics::Diagnostic> {
    let members = reach(model, target_version);
    let privileges = privileges::effective(model, &members);
    let mut out = policy::check(model, &privileges, catalog);
    out.extend(lint::lint(model, &members, at, library_files));
    out
}
