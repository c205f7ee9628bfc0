//! The command line. Exit codes: 0 success, 1 the policy has errors, 2 usage errors.

/// `print!` for what the commands print: when the reader of standard output has gone
/// (`rolec who-can … | head`), the process ends as a command-line tool killed by SIGPIPE does
/// (exit status 141, nothing more printed), where `print!` would panic. An apply in progress
/// then ends with its transaction rolled back.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_out(format_args!($($arg)*)) };
}

/// `println!`, as [`out!`].
macro_rules! outln {
    () => { $crate::cli::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

mod apply;
mod build;
mod check;
mod color;
mod completions;
mod databases;
mod explain;
mod fmt;
mod graph;
mod import;
mod lint;
mod lsp;
mod man;
mod markdown;
mod migrate;
mod plan;
mod project;
mod snapshot;
mod usage;
mod who_can;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::db::{Sources, Workspace};
use crate::diagnostics::render::{self, SourceMap};
use crate::diagnostics::Diagnostic;
use crate::model::{BuildOptions, DEFAULT_TARGET_VERSION};

#[derive(Parser)]
#[command(name = "rolec", version, about = "Compile PostgreSQL role and privilege policies (*.role) to SQL")]
struct Cli {
    /// When to colour diagnostics: auto (when standard error is a terminal; NO_COLOR turns
    /// colour off, CLICOLOR_FORCE on), always or never
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value = "auto")]
    color: color::ColorWhen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a policy to DIR/up.sql and DIR/down.sql (and DIR/hba.conf for `connect from`)
    Build(build::BuildArgs),
    /// Report every error and warning of a policy (for pre-commit and CI)
    Lint(lint::LintArgs),
    /// Rewrite *.role files in the canonical layout (whitespace only)
    Fmt(fmt::FmtArgs),
    /// Draw the role hierarchy (Graphviz DOT, Mermaid, or SVG through Graphviz)
    Graph(graph::GraphArgs),
    /// Everything a role can do: attributes, roles reached and object privileges, with chains
    Explain(explain::ExplainArgs),
    /// Every role that can do one thing, with its grounds: rolec who-can "select on table app.t" policy/
    WhoCan(who_can::WhoCanArgs),
    /// Run the language server over stdin and stdout (for editors)
    Lsp(lsp::LspArgs),
    /// Write the catalog snapshot of a live database (roles, memberships, privileges, objects)
    Snapshot(snapshot::SnapshotArgs),
    /// The statements that make a live database match the policy (--detailed-exitcode: 2 = changes)
    Plan(plan::PlanArgs),
    /// Make a live database match the policy: the plan in one transaction, recorded in rolec.ledger
    Apply(apply::ApplyArgs),
    /// Drift audit of a live database against the policy: ✓/✗/? per item (exit 2 on drift)
    Check(check::CheckArgs),
    /// The migration between two versions of a policy (up and down SQL; flyway, sqitch, dbmate, golang-migrate)
    Diff(migrate::DiffArgs),
    /// Write the policy (*.role files) that describes a live database's roles and privileges
    Import(import::ImportArgs),
    /// Roles nobody uses: login roles not seen for N days (server logs, open sessions), unreached groups
    Usage(usage::UsageArgs),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command to a directory
    Man(man::ManArgs),
}

/// Options shared by the commands that compile a policy.
#[derive(Args, Clone)]
pub struct PolicyArgs {
    /// Policy files or directories (every *.role file below them); a path inside a project
    /// (a rolec.toml at or above it) stands for the whole project. Default: the project of the
    /// working directory
    #[arg(value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Override a `let`: NAME=VALUE (lists: comma-separated)
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    pub sets: Vec<(String, String)>,
    /// The instant time windows are evaluated at (RFC 3339 or YYYY-MM-DD; default: now)
    #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
    pub at: Option<i64>,
    /// PostgreSQL major version to emit SQL for (default: the project's target-version, else 15)
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub target_version: Option<u32>,
    /// A catalog snapshot (JSON, format rolec-catalog/1, or /2: its first database's) whose
    /// objects join the inventory
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// The project (`rolec.toml`) the paths belong to, once resolved ([`PolicyArgs::resolve`]).
    #[arg(skip)]
    pub project: Option<crate::project::Project>,
}

/// Options shared by the commands that compare a policy with a live database.
#[derive(Args, Clone)]
pub struct LiveArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The database: a libpq URL or key-value string (a service entry, the PG* variables,
    /// ~/.pgpass and libpq's defaults fill what it leaves out)
    #[arg(long, value_name = "URL", default_value = "")]
    pub db: String,
    /// Also manage the existing roles matching this glob (undeclared ones: plan and apply drop
    /// them, check reports them as drift)
    #[arg(long, value_name = "GLOB")]
    pub manage: Vec<String>,
    /// Of the databases the policy names (`databases a, b`), compare and change only NAME's
    /// object and default privileges (repeatable); roles and memberships are still compared
    #[arg(long = "database", value_name = "NAME")]
    pub databases: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

pub fn main() -> ExitCode {
    // The colour of clap's own help and usage errors follows the same decision as the
    // diagnostics', so `--color` is read before clap parses the rest.
    let early = color::from_args(std::env::args_os());
    let matches = Cli::command().color(color::clap_choice(early)).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    color::set(cli.color);
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Explain(args) => explain::run(args),
        Command::WhoCan(args) => who_can::run(args),
        Command::Lsp(args) => lsp::run(args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Check(args) => check::run(args),
        Command::Diff(args) => migrate::run(args),
        Command::Import(args) => import::run(args),
        Command::Usage(args) => usage::run(args),
        Command::Completions(args) => completions::run(args, &mut Cli::command()),
        Command::Man(args) => man::run(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(usage) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&usage.to_string()));
            ExitCode::from(2)
        }
    }
}

impl PolicyArgs {
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            sets: self.all_sets(),
            at: self.at.unwrap_or_else(|| chrono::Utc::now().timestamp()),
            target_version: self.target_version.unwrap_or(DEFAULT_TARGET_VERSION),
            ..BuildOptions::default()
        }
    }

    /// Loads the policy; a missing path or an unknown `--set` is a usage error.
    pub fn load(&self, options: BuildOptions) -> Result<Workspace, String> {
        let mut ws = Workspace::load(Sources::Paths(self.paths.clone()), options).map_err(|e| e.to_string())?;
        warn_skipped(&ws.skipped);
        if let Some(path) = &self.catalog {
            ws.set_catalog(Some(read_catalog(path)?));
        }
        if let Some(name) = ws.resolved().unknown_sets.first() {
            return Err(match &self.project {
                Some(p) if !self.sets.iter().any(|(n, _)| n == name) => {
                    let error = p.unknown_set(name);
                    crate::project::ProjectError { file: project::shown(&error.file), ..error }.to_string()
                }
                _ => format!("`--set {name}=…`: the policy has no `let {name}`"),
            });
        }
        Ok(ws)
    }
}

impl PolicyArgs {
    /// For commands that read a sound policy: resolves and loads it and prints its
    /// diagnostics; `None` when it has errors (the command then exits 1).
    pub fn load_sound(&self) -> Result<Option<Workspace>, String> {
        let policy = self.resolve()?;
        let ws = policy.load(policy.options())?;
        Ok((!report(&ws, &policy.diagnostics(&ws), Format::Human)).then_some(ws))
    }
}

/// Reads a catalog snapshot (`--catalog FILE`), within [`crate::db::files::CATALOG`].
pub fn read_catalog(path: &std::path::Path) -> Result<crate::model::catalog::Catalog, String> {
    let text = crate::db::files::read_text(path, crate::db::files::CATALOG)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    crate::model::catalog::Catalog::parse(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

/// Connects a live command to `--db` with the process environment (PG* variables, the
/// password and service files), printing what the user should know about how it connected.
pub fn connect_live(db: &str) -> Result<crate::live::Connection, crate::live::LiveError> {
    connect_live_to(db, None)
}

/// [`connect_live`] to database `database` of the same server instead of the one `db` names.
pub fn connect_live_to(db: &str, database: Option<&str>) -> Result<crate::live::Connection, crate::live::LiveError> {
    let conn = crate::live::connect::connect_to(db, database, &crate::live::connect::process_env)?;
    for w in &conn.warnings {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(w));
    }
    Ok(conn)
}

/// Writes to standard output for [`out!`]: a closed pipe ends the process with status 141
/// (128 + SIGPIPE, as the shell reports a process the signal ended); another error with 1.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        stdout_failed(e);
    }
}

/// Ends the process after a write to standard output failed: quietly with status 141 when the
/// reader went away (as a shell reports SIGPIPE), else with the error and status 1.
fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(1);
}

/// Writes bytes to standard output; a closed pipe ends the process as in [`write_out`].
fn write_stdout(bytes: &[u8], what: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        format!("cannot write {what}: {e}")
    })
}

/// Prints the paths a directory walk left out (a FIFO, a link out of the directory).
fn warn_skipped(skipped: &[String]) {
    for s in skipped {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(&s.to_string()));
    }
}

/// Prints diagnostics in the chosen format (JSON as `rolec lint` prints it); returns whether
/// any is an error.
pub fn report(ws: &Workspace, diagnostics: &[Diagnostic], format: Format) -> bool {
    report_as(ws, diagnostics, format, "rolec-lint/1")
}

/// [`report`], the JSON carrying `json_format` (`rolec-build/1`, …) as its format.
pub fn report_as(sources: &dyn SourceMap, diagnostics: &[Diagnostic], format: Format, json_format: &str) -> bool {
    match format {
        Format::Human => {
            // Written as the reports are rendered: a large policy's reports never sit in memory.
            let mut w = std::io::BufWriter::new(std::io::stderr().lock());
            let _ = render::write_human(diagnostics, sources, color::stderr(), &mut w);
            let _ = std::io::Write::flush(&mut w);
        }
        Format::Json => {
            print_json(&render::json_records(diagnostics, sources), json_format);
        }
        Format::Github => out!("{}", render::github(diagnostics, sources)),
    }
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Prints diagnostics rendered as JSON in the document of format `json_format` (versioned as
/// every JSON output: `{"diagnostics": […], "format": "rolec-lint/1"}`), as it is rendered.
fn print_json(records: &[render::JsonDiagnostic], json_format: &str) {
    use std::io::Write;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = render::write_json_document(json_format, records, &mut stdout)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        stdout_failed(e);
    }
}

fn parse_set(s: &str) -> Result<(String, String), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| "expected NAME=VALUE".to_string())?;
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!("`{name}` is not a variable name"));
    }
    Ok((name.to_string(), value.to_string()))
}

fn parse_at(s: &str) -> Result<i64, String> {
    crate::model::values::parse_timestamp(s)
        .map(|t| t.timestamp())
        .ok_or_else(|| "expected an RFC 3339 timestamp such as 2025-01-31T12:00:00Z".to_string())
}

fn parse_version(s: &str) -> Result<u32, String> {
    let v: u32 = s.parse().map_err(|_| "expected a PostgreSQL major version".to_string())?;
    if crate::pg::roles::SUPPORTED_VERSIONS.contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "supported versions: {}",
            crate::pg::roles::SUPPORTED_VERSIONS.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        ))
    }
}
