//! `rolec import --db URL [-o DIR] [--manage GLOB]…`: writes the policy (`*.role` files) that
//! describes a live database's roles, memberships and privileges. Exit codes: 0 written, 1
//! connection or server error, 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct ImportArgs {
    /// The database: a libpq URL or key-value string (a service entry, the PG* variables,
    /// ~/.pgpass and libpq's defaults fill what it leaves out)
    #[arg(long, value_name = "URL", default_value = "")]
    db: String,
    /// Write groups.role, users.role and schemas.role into this directory (created if needed)
    /// instead of printing them
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Import only the roles matching this glob (repeatable; written as `manage roles matching`)
    #[arg(long, value_name = "GLOB")]
    manage: Vec<String>,
}

pub fn run(args: ImportArgs) -> Result<ExitCode, String> {
    let state = match super::connect_live(&args.db).and_then(|mut c| crate::live::introspect(&mut c.client)) {
        Ok(state) => state,
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let files = crate::live::import::import(&state, &args.manage).map_err(|e| e.to_string())?;
    match &args.output {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            for f in &files {
                let path = dir.join(&f.name);
                std::fs::write(&path, &f.text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
        None => {
            for (i, f) in files.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                outln!("// ---- {}", f.name);
                out!("{}", f.text);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
