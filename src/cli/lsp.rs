//! `rolec lsp`: the language server over stdin and stdout (see [`crate::lsp`]).

use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct LspArgs {}

pub fn run(_args: LspArgs) -> Result<ExitCode, String> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    crate::lsp::run(connection).map_err(|e| e.to_string())?;
    io_threads.join().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
