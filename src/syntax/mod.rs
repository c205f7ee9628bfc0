//! Text → syntax tree. Knows nothing about salsa, resolution or SQL.
//!
//! Invariant: parsing never fails; it returns a tree plus diagnostics, and every unparsable
//! piece of text becomes an `Error` node with exactly one diagnostic.

pub mod ast;
pub mod names;
mod parser;
pub mod write;

pub use ast::{FileId, Span};
pub use parser::{parse, reparse, Parsed};
