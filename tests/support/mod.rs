//! Shared helpers for integration tests (`mod support;` in a test file).
// Each test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

pub mod build;
pub mod cli;
pub mod lsp;
pub mod pg;
pub mod psql;
pub mod tls;
pub mod whole_model;
