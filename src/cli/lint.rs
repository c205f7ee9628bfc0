//! `rolec lint`: every error and warning of a policy; exit 1 when there is an error.

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
}

pub fn run(args: LintArgs) -> Result<ExitCode, String> {
    let ws = args.policy.load(args.policy.options())?;
    let diagnostics = ws.diagnostics();
    let errors = report(&ws, &diagnostics, args.format);
    if args.format == Format::Human {
        let n_err = diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("{n_err} error(s), {} warning(s)", diagnostics.len() - n_err);
    }
    Ok(if errors { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
