//! Running printed SQL through the real `psql`, as users do (`rolec plan … | psql -1`,
//! `psql -1 -f up.sql`), with psql variables defined so that an interpolated `:var` would show.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The psql variables every run defines: a `:var` or `:'var'` that psql interpolated would turn
/// into this text and change a name.
pub const PSQL_VARS: &[(&str, &str)] = &[("var", "INTERPOLATED"), ("ON_ERROR_STOP", "1")];

/// `psql -X -1` reading `script` from standard input (`file` None) or `-f file`, connected with
/// `conn` (a libpq key=value string), run in `cwd` (where a smuggled `\! touch x` would write).
/// `Err` holds psql's output when it exits non-zero.
pub fn psql(conn: &str, cwd: &Path, script: &str, file: Option<&Path>) -> Result<String, String> {
    let psql = std::env::var("ROLEC_PSQL").unwrap_or_else(|_| "psql".to_string());
    let mut cmd = Command::new(psql);
    cmd.current_dir(cwd).arg("-X").arg("-q").arg("-1").arg("-d").arg(conn);
    for (name, value) in PSQL_VARS {
        cmd.arg("-v").arg(format!("{name}={value}"));
    }
    if let Some(f) = file {
        cmd.arg("-f").arg(f);
    }
    for var in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGOPTIONS"] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run psql: {e}"))?;
    let mut stdin = child.stdin.take().unwrap();
    let input = if file.is_some() { String::new() } else { script.to_string() };
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().map_err(|e| format!("psql: {e}"))?;
    let _ = writer.join();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("psql exited with {}:\n{text}", out.status))
    }
}
