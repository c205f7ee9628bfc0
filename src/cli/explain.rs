//! `rolec explain ROLE`: everything a role can do ([`crate::report::explain`] words it).
//! Exit 1 when the policy has errors; 2 when the policy has no such role.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::PolicyArgs;

#[derive(Args)]
pub struct ExplainArgs {
    /// The role or user to explain
    #[arg(value_name = "ROLE")]
    role: String,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Human,
    Json,
}

pub fn run(args: ExplainArgs) -> Result<ExitCode, String> {
    let Some(ws) = args.policy.load_sound()? else {
        return Ok(ExitCode::from(1));
    };
    match args.format {
        OutFormat::Human => out!("{}", crate::report::explain::human(&ws, &args.role).map_err(|e| e.to_string())?),
        OutFormat::Json => {
            let v = crate::report::explain::json(&ws, &args.role).map_err(|e| e.to_string())?;
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
    }
    Ok(ExitCode::SUCCESS)
}
