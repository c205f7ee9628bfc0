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

/// A policy file (`policy.role`) in a temporary directory of its own, beside which a test may
/// write other files (a saved plan, build output).
pub struct PolicyFile {
    pub dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
}

impl PolicyFile {
    /// The path, as a command-line argument.
    pub fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// Writes `text` to a new [`PolicyFile`].
pub fn policy_file(text: &str) -> PolicyFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.role");
    std::fs::write(&path, text).unwrap();
    PolicyFile { dir, path }
}

/// `rolec ARGS` run to the end ([`rolec_command`]).
pub fn rolec(args: &[&str]) -> std::process::Output {
    let mut cmd = rolec_command();
    cmd.args(args);
    cmd.output().expect("cannot run rolec")
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Fails the test, showing rolec's output, unless the command succeeded.
#[track_caller]
pub fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "rolec failed ({:?}):\n{}\n{}",
        out.status.code(),
        text(&out.stderr),
        text(&out.stdout)
    );
}
