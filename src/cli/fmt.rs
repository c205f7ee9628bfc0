//! `rolec fmt`: rewrite files in the canonical layout, or with `--check` list those that are
//! not (exit 1), or with `--diff` print what would change as a unified diff (exit 1 when
//! something would). `rolec fmt -` formats standard input to standard output; with no path,
//! the files of the working directory's project (`rolec.toml`). Files with syntax errors are
//! left alone and reported.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::db::{Sources, Workspace};
use crate::diagnostics::{render, Code};
use crate::model::BuildOptions;

/// How standard input is named in messages.
const STDIN: &str = "<stdin>";

#[derive(Args)]
pub struct FmtArgs {
    /// Files or directories (every *.role file below them), or `-` for standard input.
    /// Default: the files of the project (rolec.toml) of the working directory
    #[arg(value_name = "FILE|DIR|-")]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any
    #[arg(long, conflicts_with = "diff")]
    check: bool,
    /// Change nothing; print a unified diff of what formatting would change and exit 1 if
    /// anything would
    #[arg(long)]
    diff: bool,
}

pub fn run(args: FmtArgs) -> Result<ExitCode, String> {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            return Err("`-` (standard input) cannot be formatted together with files".to_string());
        }
        return stdin(&args);
    }
    let paths = if args.paths.is_empty() {
        let project = super::project::working_directory_project()?;
        project.paths.iter().map(|p| super::project::shown(p)).collect()
    } else {
        args.paths.clone()
    };
    let mut failed = false;
    let found = crate::db::files::policy_files(&paths).map_err(|e| e.to_string())?;
    super::warn_skipped(&found.skipped);
    for path in found.files {
        let text =
            crate::db::files::read_policy_file(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let shown = path.display().to_string();
        let Some(formatted) = format_checked(&shown, &text)? else {
            failed = true;
            continue;
        };
        if formatted == text {
            continue;
        }
        if args.check {
            outln!("{shown}");
            failed = true;
        } else if args.diff {
            super::write_stdout(diff(&shown, &text, &formatted).as_bytes(), "the diff")?;
            failed = true;
        } else {
            std::fs::write(&path, formatted).map_err(|e| format!("cannot write `{shown}`: {e}"))?;
            eprintln!("formatted {shown}");
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `rolec fmt -`: the formatted text on standard output (or, with `--check` or `--diff`,
/// whether and how it would change).
fn stdin(args: &FmtArgs) -> Result<ExitCode, String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
    let Some(formatted) = format_checked(STDIN, &text)? else {
        return Ok(ExitCode::from(1));
    };
    let changed = formatted != text;
    if args.check {
        if changed {
            outln!("{STDIN}");
        }
    } else if args.diff {
        super::write_stdout(diff(STDIN, &text, &formatted).as_bytes(), "the diff")?;
    } else {
        super::write_stdout(formatted.as_bytes(), "the formatted text")?;
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if changed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The text in the canonical layout; `None` (with its syntax errors printed) when it does not
/// parse.
fn format_checked(shown: &str, text: &str) -> Result<Option<String>, String> {
    let ws = Workspace::load(Sources::Memory(vec![(shown.to_string(), text.to_string())]), BuildOptions::default())
        .map_err(|e| e.to_string())?;
    let file = ws.file_by_path(shown).expect("loaded file");
    let parsed = crate::db::parse(&ws.db, file);
    let syntax: Vec<_> = parsed.diagnostics.iter().filter(|d| d.code == Code::Syntax).cloned().collect();
    if !syntax.is_empty() {
        eprint!("{}", render::concise(&syntax, &ws));
        eprintln!("{}: not formatted: fix the syntax errors first", render::terminal_lines(shown));
        return Ok(None);
    }
    Ok(Some(crate::format::format(text)))
}

/// A unified diff (`--- path` / `+++ path`, three lines of context) from `old` to `new`, as
/// `patch -p0` applies it. Password literals are masked and control characters shown as `?`
/// (formatting changes whitespace only, so the masked texts differ where the texts do).
fn diff(shown: &str, old: &str, new: &str) -> String {
    let (old, new) = (render::printable_source(old), render::printable_source(new));
    let name = render::terminal_lines(shown);
    similar::TextDiff::from_lines(&old, &new).unified_diff().context_radius(3).header(&name, &name).to_string()
}
