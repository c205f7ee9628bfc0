//! Live databases: connect, read the state of a server, and compare it with a policy.
//!
//! ```text
//! --db URL ──connect──▶ client ──introspect──▶ LiveState ─┐
//! policy ──model──▶ Model ───────────────────────────────┴─diff──▶ Change list (plan)
//!                                                          └─audit─▶ findings (check) + desired state
//! two policy versions ──desired::base_state──▶ base ──audit──▶ each version's state ──diff──▶ up/down
//! ```
//!
//! Invariants:
//! - Nothing here prints or reads the process environment except through the `Env` the
//!   caller passes to [`connect`]; the command line (`cli::snapshot`, `cli::plan`) prints.
//! - Passwords are never read from the server, and a password given to connect never appears
//!   in an error.
//! - [`diff`] is a pure function of the model, the live state and the managed scope: it never
//!   touches `postgres`, `pg_*`, the connecting role, or roles outside the scope.

pub mod apply;
pub mod connect;
pub mod conninfo;
pub mod deployer;
pub mod desired;
pub mod diff;
pub mod error;
pub mod import;
pub mod introspect;
pub mod ledger;
pub mod pgpass;
pub mod role_table;
pub mod rolec_schema;
pub mod rules;
pub mod scope;
pub mod state;
pub mod tls;
pub mod usage;
pub mod window_table;

pub use connect::{connect, Connection, Target};
pub use diff::{diff, Change, ChangePlan};
pub use error::LiveError;
pub use introspect::{introspect, introspect_with_windows, introspect_with_windows_telling};
pub use scope::Scope;
pub use state::LiveState;
