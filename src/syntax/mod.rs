//! Text → syntax tree. Knows nothing about salsa, resolution or SQL.
//!
//! Invariant: parsing never fails; it returns a tree plus diagnostics, and every unparsable
//! piece of text becomes an `Error` node with exactly one diagnostic.

pub mod allows;
pub mod ast;
pub mod names;
mod parser;
pub mod write;

pub use ast::{FileId, Span};

/// How deep a policy may nest: `for` loops and lists (in the syntax tree), templates using
/// templates and roles extending roles (when they are inlined). Deeper input is an error,
/// reported where the limit is crossed, so that no pass recurses more than this many levels
/// (a thread of the analysis has a 2 MiB stack).
pub const MAX_DEPTH: usize = 32;
pub use parser::{parse, reparse, Parsed};
