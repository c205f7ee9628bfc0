//! rolec: a policy-as-code compiler for PostgreSQL roles and privileges.
//!
//! One pipeline, one module per stage:
//!
//! ```text
//! text ──syntax──▶ syntax tree ──model──▶ resolved model ──lower──▶ SQL plan ──▶ up.sql / down.sql
//! ```
//!
//! Invariants:
//! - `syntax` knows nothing about salsa, name resolution or SQL; parsing never fails.
//! - `model` and `lower` are pure functions of their inputs; `db` wraps them in salsa queries
//!   whose results are plain data (no pest pairs, no petgraph graphs).
//! - Spans in the syntax tree are relative to their top-level item, so moving text around does
//!   not invalidate the analysis; `db::Workspace::locate` turns them back into positions.
//! - Every problem in a policy is a [`diagnostics::Diagnostic`] with a stable code; nothing
//!   in the library panics on bad input or prints.
//! - Secrets are read only while lowering and never reach a diagnostic.

pub mod cli;
pub mod db;
pub mod diagnostics;
pub mod format;
pub mod lower;
pub mod model;
pub mod stdlib;
pub mod syntax;
