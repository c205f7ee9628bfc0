//! The `rolec` binary as a test runs it.

use std::process::Command;

/// `rolec` with no `PG*` variable of the environment the tests run in (rolec reads them as
/// libpq does: PGHOST, PGSERVICE, PGSSLMODE, PGPASSFILE, ...), so that only what a test passes
/// (`--db`, its own variables) decides where it connects.
pub fn rolec_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolec"));
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("PG") {
            cmd.env_remove(var);
        }
    }
    cmd
}
