//! `rolec snapshot --db URL [-o FILE]`: the catalog snapshot (format `rolec-catalog/1`) of a
//! live database, with roles, memberships and privileges.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct SnapshotArgs {
    /// The database: a libpq URL or key-value string (a service entry, the PG* variables,
    /// ~/.pgpass and libpq's defaults fill what it leaves out)
    #[arg(long, value_name = "URL", default_value = "")]
    db: String,
    /// Write the snapshot here instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: SnapshotArgs) -> Result<ExitCode, String> {
    let state = match super::connect_live(&args.db).and_then(|mut c| crate::live::introspect(&mut c.client)) {
        Ok(state) => state,
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let json = serde_json::to_string_pretty(&state.to_catalog()).map_err(|e| e.to_string())? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, json).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => out!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
