//! `rolec snapshot --db URL [-o FILE] [--database NAME]… [--databases-of PATH]`: the catalog
//! snapshot (format `rolec-catalog/1`) of a live database, with roles, memberships and
//! privileges; of several databases of one cluster, format `rolec-catalog/2` (the first at the
//! top level, the others in `other_databases`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::import::DatabasesArgs;
use crate::live::LiveState;

#[derive(Args)]
pub struct SnapshotArgs {
    /// The database: a libpq URL or key-value string (a service entry, the PG* variables,
    /// ~/.pgpass and libpq's defaults fill what it leaves out)
    #[arg(long, value_name = "URL", default_value = "")]
    db: String,
    /// Write the snapshot here instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    databases: DatabasesArgs,
}

pub fn run(args: SnapshotArgs) -> Result<ExitCode, String> {
    let Some(names) = args.databases.names()? else { return Ok(ExitCode::from(1)) };
    let states = match DatabasesArgs::read(&args.db, &names) {
        Ok(states) => states,
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let catalog = LiveState::to_catalog_of(&states).ok_or("no database to read")?;
    let json = serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, json).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => out!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
