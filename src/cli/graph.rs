//! `rolec graph`: the role hierarchy as Graphviz DOT, a Mermaid flowchart, or SVG (DOT piped
//! through Graphviz's `dot -Tsvg`). The diagnostics go to standard error. Exit 1 when the
//! policy has errors, except violations of its `policy` rules: the graph is drawn then, with
//! the violations of `exclusive` rules marked (see [`crate::analysis::graph`]). Exit 2 on usage
//! errors and when SVG is asked for but Graphviz is not installed.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use clap::{Args, ValueEnum};

use super::{report, Format, PolicyArgs};
use crate::analysis::graph::RoleGraph;

#[derive(Args)]
pub struct GraphArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format (svg needs Graphviz's `dot` on PATH)
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
    /// Write the graph to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

pub fn run(args: GraphArgs) -> Result<ExitCode, String> {
    let policy = args.policy.resolve()?;
    let ws = policy.load(policy.options())?;
    let diagnostics = policy.diagnostics(&ws);
    report(&ws, &diagnostics, Format::Human);
    // Violations of policy rules are what the graph shows: only other errors stop it. Rules
    // are checked on a sound model only (`db::diagnostics`), so their codes imply one.
    if diagnostics.iter().any(|d| d.is_error() && !d.code.is_policy_violation()) {
        return Ok(ExitCode::from(1));
    }
    let graph = RoleGraph::of(&ws.resolved().model, crate::db::membership_analysis(&ws.db, ws.policy));
    let bytes = match args.format {
        GraphFormat::Dot => graph.dot().into_bytes(),
        GraphFormat::Mermaid => graph.mermaid().into_bytes(),
        GraphFormat::Svg => svg(&graph.dot())?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => super::write_stdout(&bytes, "the graph")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `dot -Tsvg` on the DOT text.
fn svg(dot: &str) -> Result<Vec<u8>, String> {
    let mut child = match Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("`--format svg` needs Graphviz, which is not installed (no `dot` on PATH); install Graphviz, or use `--format dot` or `--format mermaid`".to_string())
        }
        Err(e) => return Err(format!("cannot run Graphviz's `dot`: {e}")),
    };
    // Write on another thread so that a large graph cannot deadlock on full pipes.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| format!("cannot run Graphviz's `dot`: {e}"))?;
    let written = writer.join().unwrap_or(Ok(()));
    if !output.status.success() {
        return Err(format!(
            "Graphviz's `dot -Tsvg` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    written.map_err(|e| format!("cannot write to Graphviz's `dot`: {e}"))?;
    Ok(output.stdout)
}
