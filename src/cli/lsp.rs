//! `rolec lsp`: the language server over stdin and stdout (see [`crate::lsp`]).
//!
//! Clients name their transport on the command line (vscode-languageclient adds `--stdio`
//! to a server it starts with `TransportKind.stdio`). Standard input and output is the one
//! transport: `--stdio` is accepted, the others are refused with one line and exit 2, and
//! `--clientProcessId` is accepted and ignored (the server ends when its input closes).

use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct LspArgs {
    /// Talk over standard input and output (the default, and the only transport)
    #[arg(long)]
    stdio: bool,
    /// Accepted and ignored: the server ends when the client closes its input
    #[arg(long = "clientProcessId", value_name = "PID", hide = true)]
    client_process_id: Option<String>,
    /// Refused: only standard input and output
    #[arg(long, value_name = "NAME", hide = true)]
    pipe: Option<String>,
    /// Refused: only standard input and output
    #[arg(long, value_name = "PORT", hide = true)]
    socket: Option<String>,
    /// Refused: only standard input and output
    #[arg(long = "node-ipc", hide = true)]
    node_ipc: bool,
}

impl LspArgs {
    /// The transport flag given other than `--stdio`, as the client wrote it.
    fn other_transport(&self) -> Option<&'static str> {
        if self.pipe.is_some() {
            Some("--pipe")
        } else if self.socket.is_some() {
            Some("--socket")
        } else if self.node_ipc {
            Some("--node-ipc")
        } else {
            None
        }
    }
}

pub fn run(args: LspArgs) -> Result<ExitCode, String> {
    if let Some(flag) = args.other_transport() {
        return Err(format!(
            "`rolec lsp {flag}`: the language server talks over standard input and output only (use `--stdio` or no flag)"
        ));
    }
    let (transport, io_threads) = crate::lsp::transport::Transport::stdio();
    let served = crate::lsp::serve(&transport);
    drop(transport);
    io_threads.join().map_err(|e| e.to_string())?;
    served.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
