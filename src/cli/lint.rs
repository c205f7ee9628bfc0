//! `rolec lint`: every error and warning of a policy; exit 1 when there is an error (or, with
//! `--deny-warnings`, a warning that no `// rolec: allow` silences).

use std::process::ExitCode;

use clap::Args;

use super::{report, Format, PolicyArgs};

#[derive(Args)]
pub struct LintArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// How to print diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit 1 when warnings remain too (allow one inline with `// rolec: allow CODE`)
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: LintArgs) -> Result<ExitCode, String> {
    let ws = args.policy.load(args.policy.options())?;
    let diagnostics = ws.diagnostics();
    let errors = report(&ws, &diagnostics, args.format);
    let n_err = diagnostics.iter().filter(|d| d.is_error()).count();
    let n_warn = diagnostics.len() - n_err;
    if args.format == Format::Human {
        eprintln!(
            "{n_err} error(s), {n_warn} warning(s){}",
            if args.deny_warnings && n_warn > 0 { " (denied)" } else { "" }
        );
    }
    Ok(if errors || (args.deny_warnings && n_warn > 0) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
