//! `rolec who-can "QUESTION" <FILE|DIR>...`: every role and user of the policy that can do one
//! thing, each with its grounds. The question is one argument ([`crate::report::question`]
//! lists its forms; [`crate::report::who_can`] answers it).
//!
//! Exit 1 when the policy has errors; 2 when the question does not parse or names an unknown
//! role.

use std::process::ExitCode;

use clap::Args;

use super::explain::OutFormat;
use super::PolicyArgs;

#[derive(Args)]
pub struct WhoCanArgs {
    /// The question, quoted: "select on table app.orders", "execute on function app.f(int)",
    /// "usage on schema app", "update on column (a) of table app.t", "member of admin",
    /// "select on future tables in schema app created by app_owner" (objects created later),
    /// "grant select on table app.orders" (who holds it with grant option)
    #[arg(value_name = "QUESTION")]
    question: String,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
}

pub fn run(args: WhoCanArgs) -> Result<ExitCode, String> {
    // The question first: a question that does not parse is a usage error before any file is read.
    let question = crate::report::question::parse(&args.question).map_err(|e| e.to_string())?;
    let Some(ws) = args.policy.load_sound()? else {
        return Ok(ExitCode::from(1));
    };
    match args.format {
        OutFormat::Human => {
            out!("{}", crate::report::who_can::human(&ws, &question).map_err(|e| e.to_string())?)
        }
        OutFormat::Json => {
            let v = crate::report::who_can::json(&ws, &question).map_err(|e| e.to_string())?;
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
    }
    Ok(ExitCode::SUCCESS)
}
