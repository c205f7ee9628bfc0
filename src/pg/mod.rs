//! What PostgreSQL is, in one place: object privileges per kind and server version and
//! PUBLIC's built-in ones ([`privilege`]), the supported versions and predefined roles
//! ([`roles`]), quoting of names and values ([`quote`]), type names ([`types`]), setting names
//! and stored setting values ([`settings`]), SCRAM password verifiers ([`scram`]) and the
//! server log's records of logins ([`server_log`]).
//!
//! A leaf: nothing here imports the rest of the crate, and every layer reads these facts from
//! here rather than keeping its own copy.

pub mod privilege;
pub mod quote;
pub mod roles;
pub mod scram;
pub mod server_log;
pub mod settings;
pub mod types;

pub use privilege::{AclKind, Privilege};
