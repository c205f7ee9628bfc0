//! rolec: a policy-as-code compiler for PostgreSQL roles and privileges.
//!
//! One pipeline, one module per stage:
//!
//! ```text
//! text ──syntax──▶ syntax tree ──model──▶ resolved model ──lower──▶ SQL plan ──▶ up.sql / down.sql
//!                                               └──analysis──▶ who reaches whom, with chains
//! ```
//!
//! Beside the pipeline: `pg` (what PostgreSQL is: privileges per object kind and version,
//! PUBLIC's built-in privileges, predefined roles, quoting, type and setting names, SCRAM; a
//! leaf that every layer reads these facts from), `diagnostics` (one model, several
//! renderers), `db` (salsa queries and the workspace that loads files), `format` (`rolec
//! fmt`), `stdlib`, `project` (`rolec.toml`: where a policy starts and the options its
//! readers share), `live` (read a live database, compare it with the model, apply the
//! difference), `report` (what `explain`, `who-can` and hover say, in words and as JSON),
//! `cli` (the only module that prints or reads the environment), and `lsp` (`rolec lsp`: the
//! language server, the only
//! module that knows LSP types; it talks over its connection, reads files the editor names,
//! and logs failed requests to stderr).
//!
//! Layers: what each module may use (`use crate::…` outside `#[cfg(test)]` code). A module
//! reaches only the layers below it; `tests/layering.rs` reads this table and fails when a
//! file reaches another layer.
//!
//! ```text
//! layer          may use
//! pg             -
//! drop_elsewhere -
//! stdlib         pg
//! diagnostics    pg
//! syntax         pg diagnostics
//! format         pg diagnostics syntax
//! model          pg diagnostics syntax stdlib drop_elsewhere
//! analysis       pg diagnostics syntax stdlib drop_elsewhere model
//! lower          pg diagnostics syntax stdlib drop_elsewhere model
//! db             pg diagnostics syntax stdlib drop_elsewhere model analysis lower
//! project        pg diagnostics
//! report         pg diagnostics syntax stdlib drop_elsewhere model analysis lower db
//! live           pg diagnostics syntax stdlib drop_elsewhere model lower db format
//! lsp            pg diagnostics syntax stdlib drop_elsewhere model analysis lower db format report project
//! cli            pg diagnostics syntax stdlib drop_elsewhere model analysis lower db format report live lsp project
//! ```
//!
//! Invariants:
//! - `syntax` knows nothing about salsa, name resolution or SQL; parsing never fails.
//! - `model`, `analysis` and `lower` are pure functions of their inputs; `db` wraps them in salsa queries
//!   whose results are plain data (no pest pairs, no petgraph graphs).
//! - Spans in the syntax tree are relative to their top-level item, so moving text around does
//!   not invalidate the analysis; `db::Workspace` (a `render::SourceMap`) turns them back into
//!   positions.
//! - A file is resolved against a global scope made from every file's outline (its syntax tree
//!   without bodies), never against another file's body unless one of its roles `extends` a
//!   role there: an edit inside a body re-resolves that file alone. The file asks the scope
//!   through `resolve::ScopeLookup`, one question (one salsa query) per name, so a rename
//!   re-resolves only the files that name the role.
//! - Every problem in a policy is a [`diagnostics::Diagnostic`] with a stable code; nothing
//!   in the library panics on bad input or prints.
//! - Secrets are read only while the scripts are rendered and never reach a diagnostic.
//!
//! The library in a few lines, as `rolec build` uses it:
//!
//! ```
//! use rolec::db::{Sources, Workspace};
//! use rolec::model::BuildOptions;
//!
//! let policy = "role reader {}\nuser alice { member of reader }\n";
//! let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), policy.into())]), BuildOptions::default()).unwrap();
//! assert!(ws.diagnostics().is_empty());
//! let (up, down) = ws.render_scripts(&|_env_var: &str| None);
//! assert!(up.unwrap().contains(r#"GRANT "reader" TO "alice";"#));
//! assert!(down.unwrap().contains(r#"DROP ROLE "alice";"#));
//! ```

pub mod analysis;
pub mod cli;
pub mod db;
pub mod diagnostics;
pub mod drop_elsewhere;
pub mod format;
pub mod live;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod pg;
pub mod project;
pub mod report;
pub mod stdlib;
pub mod syntax;
