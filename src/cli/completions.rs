//! `rolec completions SHELL`: the completion script of a shell, generated from the same clap
//! definition the command line is parsed with, so it never falls behind a new flag.

use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

pub fn run(args: CompletionsArgs, command: &mut clap::Command) -> Result<ExitCode, String> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, command, "rolec", &mut out);
    super::write_stdout(&out, "the completion script")?;
    Ok(ExitCode::SUCCESS)
}
