//! Lint warnings over the resolved model: findings that are not wrong for PostgreSQL but
//! usually are for the policy's author. `rolec lint` and `rolec build` report them alike
//! (through `db::diagnostics`); while the policy has errors, over what resolved, without
//! W040 (see `db::AnalysisShown`).
//!
//! - W040 unused role: a role declared with `role` (no LOGIN) that no other role is a member
//!   of (a membership counts whether its window is open or not: W003 reports closed ones) and
//!   that holds nothing a member could use: no object grant, no default privileges to it, no
//!   membership in another role. It also owns or creates in no schema, owns no `defaults`, has
//!   no `connect from` rule and is named by no `policy` rule. Roles that hold privileges or
//!   other roles but have no members are not reported: policies often define the access roles
//!   and leave their members to another system (an identity provider, a migration tool).
//!   Roles with LOGIN are never unused (someone logs in as them). Roles declared in a standard
//!   module (`import std.…`) are exempt: they are meant for applications to use (`SET ROLE
//!   anonymous` from a connection pooler). The caller passes the files of standard modules
//!   (`db` knows their paths; the model does not).
//! - W041 window closing soon: an active membership whose `until` is at most 14 days after
//!   `--at`. (A window that has closed is W003, reported while resolving.) Windows that start at
//!   `--at` itself are relative ones (`for 4h` without `from`): they always close soon, on
//!   purpose, and are not reported.
//! - W042 shadowed grant: a role is granted a privilege on an object directly and already has
//!   it on the same object (the same [`Object`] value) through a role whose privileges it has
//!   (`pg_has_role(…, 'USAGE')`, i.e. through inheriting memberships), for every privilege of
//!   the direct grant (`all` covers every privilege): the direct grant can be removed as a
//!   whole. A grant that only partly overlaps (`grant usage, create` beside an inherited
//!   `usage`) is not reported. A direct grant `with grant option` is not shadowed by one
//!   without. Superusers' blanket rights do not count.

pub mod shadowed_grant;
pub mod unused_role;
pub mod window_closing;

pub use window_closing::{closing_windows, CLOSING_SOON_SECONDS};
