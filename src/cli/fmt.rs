//! `rolec fmt`: rewrite files in the canonical layout, or with `--check` list those that are
//! not (exit 1). Files with syntax errors are left alone and reported.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::db::{Sources, Workspace};
use crate::diagnostics::{render, Code};
use crate::model::BuildOptions;

#[derive(Args)]
pub struct FmtArgs {
    /// Files or directories (every *.role file below them)
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    check: bool,
}

pub fn run(args: FmtArgs) -> Result<ExitCode, String> {
    let mut failed = false;
    let found = crate::db::files::policy_files(&args.paths).map_err(|e| e.to_string())?;
    super::warn_skipped(&found.skipped);
    for path in found.files {
        let text =
            crate::db::files::read_policy_file(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let shown = path.display().to_string();
        let ws = Workspace::load(Sources::Memory(vec![(shown.clone(), text.clone())]), BuildOptions::default())
            .map_err(|e| e.to_string())?;
        let file = ws.file_by_path(&shown).expect("loaded file");
        let parsed = crate::db::parse(&ws.db, file);
        let syntax: Vec<_> = parsed.diagnostics.iter().filter(|d| d.code == Code::Syntax).cloned().collect();
        if !syntax.is_empty() {
            eprint!("{}", render::concise(&syntax, &ws));
            eprintln!("{shown}: not formatted: fix the syntax errors first");
            failed = true;
            continue;
        }
        let formatted = crate::format::format(&text);
        if formatted == text {
            continue;
        }
        if args.check {
            println!("{shown}");
            failed = true;
        } else {
            std::fs::write(&path, formatted).map_err(|e| format!("cannot write `{shown}`: {e}"))?;
            eprintln!("formatted {shown}");
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
