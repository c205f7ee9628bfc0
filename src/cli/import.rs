//! `rolec import --db URL [-o DIR] [--manage GLOB]… [--database NAME]… [--databases-of PATH]`:
//! writes the policy (`*.role` files) that describes a live database's roles, memberships and
//! privileges — or several databases' of one cluster, as one policy (`databases a, b`). Exit
//! codes: 0 written, 1 connection or server error (or the policy of `--databases-of` has
//! errors), 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::live::LiveState;

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
    #[command(flatten)]
    databases: DatabasesArgs,
}

/// Which databases of the server `import` and `snapshot` read.
#[derive(Args)]
pub struct DatabasesArgs {
    /// Read database NAME of the server `--db` names (same host, port and user; repeatable, in
    /// order: the roles are read in the first), as one policy over several databases
    #[arg(long = "database", value_name = "NAME")]
    databases: Vec<String>,
    /// Read the databases the policy at PATH names (`databases a, b`), in its order; with
    /// `--database`, only those of them
    #[arg(long = "databases-of", value_name = "FILE|DIR")]
    databases_of: Option<PathBuf>,
}

impl DatabasesArgs {
    /// The databases to read, in order (empty: the one `--db` names, as before); `Ok(None)`
    /// when the policy of `--databases-of` has errors (printed).
    pub fn names(&self) -> Result<Option<Vec<String>>, String> {
        let mut names: Vec<String> = Vec::new();
        for d in &self.databases {
            if !names.contains(d) {
                names.push(d.clone());
            }
        }
        let Some(path) = &self.databases_of else { return Ok(Some(names)) };
        let policy = super::PolicyArgs {
            paths: vec![path.clone()],
            sets: Vec::new(),
            at: None,
            target_version: None,
            catalog: None,
            project: None,
        };
        let Some(ws) = policy.load_sound()? else { return Ok(None) };
        let declared = ws.resolved().model.databases.clone();
        if declared.is_empty() {
            return Err(format!(
                "`--databases-of {}`: the policy names no databases (`databases a, b`)",
                path.display()
            ));
        }
        let kept = super::databases::selected(&declared, &names)?;
        Ok(Some(kept.into_iter().cloned().collect()))
    }

    /// The state of each database to read (one, `--db`'s, when `names` is empty); the error
    /// names the database.
    pub fn read(db: &str, names: &[String]) -> Result<Vec<LiveState>, String> {
        if names.is_empty() {
            let mut c = super::connect_live(db).map_err(|e| e.to_string())?;
            return Ok(vec![crate::live::introspect(&mut c.client).map_err(|e| e.to_string())?]);
        }
        let mut states = Vec::new();
        for name in names {
            let mut c = super::connect_live_to(db, Some(name)).map_err(|e| e.to_string())?;
            states.push(crate::live::introspect(&mut c.client).map_err(|e| format!("database `{name}`: {e}"))?);
        }
        Ok(states)
    }
}

pub fn run(args: ImportArgs) -> Result<ExitCode, String> {
    let Some(names) = args.databases.names()? else { return Ok(ExitCode::from(1)) };
    let states = match DatabasesArgs::read(&args.db, &names) {
        Ok(states) => states,
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let files = match names.is_empty() {
        true => crate::live::import::import(&states[0], &args.manage),
        false => crate::live::import::import_databases(&states.iter().collect::<Vec<_>>(), &args.manage),
    }
    .map_err(|e| e.to_string())?;
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
