//! `rolec man`: the manual page (roff) of rolec on standard output, or with `--dir DIR` one
//! page per command (`rolec.1`, `rolec-lint.1`, …) in DIR, generated from the clap definition.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct ManArgs {
    /// Write rolec.1 and one page per command (rolec-build.1, …) to DIR (created if missing)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(args: ManArgs, command: clap::Command) -> Result<ExitCode, String> {
    let mut command = command.version(env!("CARGO_PKG_VERSION"));
    // Global flags (`--color`) reach the commands' pages.
    command.build();
    match &args.dir {
        None => super::write_stdout(&page(command)?, "the manual page")?,
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            write(&dir.join("rolec.1"), &page(command.clone())?)?;
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                // A command's page is named and titled as man(1) finds it: rolec-lint(1). clap
                // names commands with static strings; the process ends right after.
                let name: &'static str = Box::leak(format!("rolec-{}", sub.get_name()).into_boxed_str());
                let sub = sub.clone().name(name).bin_name(format!("rolec {}", sub.get_name()));
                let sub = sub.version(env!("CARGO_PKG_VERSION"));
                write(&dir.join(format!("{name}.1")), &page(sub)?)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn page(command: clap::Command) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out).map_err(|e| format!("cannot render the manual page: {e}"))?;
    Ok(out)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}
