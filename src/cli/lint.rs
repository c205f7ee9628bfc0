//! `rolec lint`: every error and warning of a policy, or of each policy the paths belong to;
//! exit 1 when there is an error, or a warning at level `deny` (`[lint]` of `rolec.toml`, or
//! `--deny-warnings` for all) that no `// rolec: allow` silences. Warnings at level `allow`
//! are not reported.

use std::process::ExitCode;

use clap::Args;

use super::{print_json, report, Format, PolicyArgs};
use crate::diagnostics::render;

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
    let units = args.policy.units()?;
    let several = units.len() > 1;
    let mut failed = false;
    let mut json = Vec::new();
    for policy in &units {
        let mut ws = policy.load(policy.options())?;
        ws.free_syntax_trees();
        let diagnostics = policy.diagnostics(&ws);
        let n_err = diagnostics.iter().filter(|d| d.is_error()).count();
        let n_warn = diagnostics.len() - n_err;
        let denied = policy.lint_levels().denies_a_warning(&diagnostics) || (args.deny_warnings && n_warn > 0);
        failed |= n_err > 0 || denied;
        match args.format {
            // Several policies still make one JSON document.
            Format::Json => json.extend(render::json_records(&diagnostics, &ws)),
            format => {
                report(&ws, &diagnostics, format);
            }
        }
        if args.format == Format::Human {
            eprintln!(
                "{}{n_err} error(s), {n_warn} warning(s){}",
                if several { format!("{}: ", render::terminal_lines(&policy.unit_name())) } else { String::new() },
                if denied { " (denied)" } else { "" }
            );
        }
    }
    if args.format == Format::Json {
        print_json(&json, "rolec-lint/1");
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
