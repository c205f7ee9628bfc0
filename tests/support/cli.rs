//! The `rolec` binary as a test runs it.

use std::process::Command;

/// `rolec` with no `PG*` connection variable of the environment the tests run in, so that
/// only what a test passes (`--db`, its own variables) decides where it connects.
pub fn rolec_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolec"));
    for var in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
        cmd.env_remove(var);
    }
    cmd
}
