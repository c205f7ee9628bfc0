//! `rolec build`: policy → DIR/up.sql, DIR/down.sql and DIR/hba.conf.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{report_as, Format, PolicyArgs};

/// The format of `rolec build --format json` (the diagnostics, as `rolec lint` prints them).
const JSON_FORMAT: &str = "rolec-build/1";
use crate::lower::script::render_hba;

#[derive(Args)]
pub struct BuildArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Directory to write up.sql, down.sql and hba.conf to (created if missing)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Make up.sql safe to run again (existence checks, duplicate/undefined errors caught)
    #[arg(long)]
    idempotent: bool,
    /// Serialize concurrent runs with pg_advisory_xact_lock (implies --idempotent)
    #[arg(long)]
    lock: bool,
    /// Emit roles, attributes, settings, comments and memberships only: no object privileges, no default privileges
    #[arg(long)]
    roles_only: bool,
    /// How to print diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: BuildArgs) -> Result<ExitCode, String> {
    let policy = args.policy.resolve()?;
    let mut options = policy.options();
    options.lock = args.lock;
    options.idempotent = args.idempotent || args.lock;
    options.roles_only = args.roles_only;
    let mut ws = policy.load(options.clone())?;
    ws.free_syntax_trees();
    let diagnostics = policy.diagnostics(&ws);
    if report_as(&ws, &diagnostics, args.format, JSON_FORMAT) {
        return Ok(ExitCode::from(1));
    }
    drop(diagnostics);
    // Lowering needs the resolved model and where spans are, nothing else the database holds
    // (the files' parts of the model, the analysis): it is freed, on another thread, before
    // the policy is lowered, which would otherwise be when a build holds the most.
    let (resolved, locator) = (ws.resolved(), ws.locator());
    crate::drop_elsewhere::drop_elsewhere(ws);
    let plan = crate::lower::lower(&resolved.model, &options);
    let secret = |name: &str| std::env::var(name).ok();
    let (up, down) = crate::db::render_scripts(&plan, &options, &locator, &secret);
    let (up, down) = match (up, down) {
        (Ok(up), Ok(down)) => (up, down),
        (up, down) => {
            let errors: Vec<_> = up.err().into_iter().chain(down.err()).flatten().collect();
            report_as(&locator, &errors, args.format, JSON_FORMAT);
            return Ok(ExitCode::from(1));
        }
    };
    std::fs::create_dir_all(&args.out).map_err(|e| format!("cannot create `{}`: {e}", args.out.display()))?;
    write(&args.out.join("up.sql"), &up)?;
    write(&args.out.join("down.sql"), &down)?;
    let hba_path = args.out.join("hba.conf");
    match render_hba(&plan, &|span| locator.line_of(span)) {
        Some(text) => write(&hba_path, &text)?,
        None => {
            // A file from an earlier build would describe rules the policy no longer has.
            let _ = std::fs::remove_file(&hba_path);
        }
    }
    if args.format == Format::Human {
        eprintln!(
            "wrote {} ({} statements) and {}{}",
            args.out.join("up.sql").display(),
            plan.up.len(),
            args.out.join("down.sql").display(),
            if plan.hba.is_empty() { String::new() } else { format!(" and {}", hba_path.display()) }
        );
    }
    // A large policy's model and plan take a while to free; the process ends now.
    std::mem::forget(plan);
    std::mem::forget(resolved);
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}
