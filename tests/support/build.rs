//! Compiling policies through the library API, the way `rolec build` does, for tests that run
//! the result on a server (tests/examples_pg.rs, tests/build_pg.rs).
//!
//! ```ignore
//! mod support;
//! use support::build::{compile, options_at, policy};
//!
//! let built = compile(policy(&[("p.role", "role r")]), options_at("2026-06-01"), &[]).unwrap();
//! pg.exec("postgres", &built.up).unwrap();
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rolec::db::{Sources, Workspace};
use rolec::diagnostics::{render, Code, Diagnostic};
use rolec::lower::script::{render as render_script, Direction};
use rolec::model::{BuildOptions, Model};

/// A copy of a snapshot in which a role's `VALID UNTIL 'infinity'` reads as no expiry (NULL):
/// the two mean the same to PostgreSQL, and `--idempotent` scripts write 'infinity' to take
/// back an earlier expiry where a plain `CREATE ROLE` leaves NULL.
pub fn expiry_normalized(s: &super::pg::CatalogSnapshot) -> super::pg::CatalogSnapshot {
    let mut out = s.clone();
    out.roles = s
        .roles
        .iter()
        .cloned()
        .map(|mut r| {
            if r.valid_until.as_deref() == Some("infinity") {
                r.valid_until = None;
            }
            r
        })
        .collect();
    out
}

/// The instant time windows are evaluated at unless a test says otherwise (`--at`).
pub const DEFAULT_AT: &str = "2026-06-01T00:00:00Z";

/// What `rolec build` writes, plus the warnings it reported.
#[derive(Clone, Debug)]
pub struct Built {
    pub up: String,
    pub down: String,
    /// The `pg_hba.conf` lines (without comments).
    pub hba: Vec<String>,
    /// Every diagnostic (warnings only, since the build succeeded).
    pub diagnostics: Vec<Diagnostic>,
    /// The diagnostics rendered as text (for assertion messages).
    pub rendered: String,
    /// The resolved model the scripts were lowered from.
    pub model: Model,
}

impl Built {
    /// The codes of the reported diagnostics, e.g. `["W003"]`.
    pub fn codes(&self) -> Vec<&'static str> {
        self.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }
}

/// Why a build produced no SQL.
#[derive(Clone, Debug)]
pub enum Failure {
    /// A usage error (exit code 2 of the command line): unreadable path, unknown `--set`.
    Usage(String),
    /// The policy has errors, or a secret is missing (exit code 1). Every diagnostic reported.
    Policy { diagnostics: Vec<Diagnostic>, rendered: String },
}

impl Failure {
    /// The codes of the diagnostics (empty for a usage error).
    pub fn codes(&self) -> Vec<&'static str> {
        match self {
            Failure::Usage(_) => Vec::new(),
            Failure::Policy { diagnostics, .. } => diagnostics.iter().map(|d| d.code.as_str()).collect(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Usage(u) => write!(f, "usage error: {u}"),
            Failure::Policy { rendered, .. } => write!(f, "policy errors:\n{rendered}"),
        }
    }
}

/// In-memory policy files.
pub fn policy(files: &[(&str, &str)]) -> Sources {
    Sources::Memory(files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect())
}

/// Seconds since the epoch of a date or RFC 3339 timestamp (as `--at` parses it).
pub fn timestamp(text: &str) -> i64 {
    rolec::model::values::parse_timestamp(text).unwrap_or_else(|| panic!("not a timestamp: {text:?}")).timestamp()
}

/// Default options evaluated at `at` (a date or timestamp).
pub fn options_at(at: &str) -> BuildOptions {
    BuildOptions { at: timestamp(at), ..BuildOptions::default() }
}

/// Compiles a policy like `rolec build` does: a usage error for an unknown `--set`, no SQL when
/// there is an error, `secret("NAME")` read from `env` (never from the process environment).
/// `options.lock` implies `idempotent`, as on the command line.
pub fn compile(sources: Sources, mut options: BuildOptions, env: &[(&str, &str)]) -> Result<Built, Failure> {
    options.idempotent |= options.lock;
    let ws = Workspace::load(sources, options.clone()).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(name) = ws.resolved().unknown_sets.first() {
        return Err(Failure::Usage(format!("`--set {name}=…`: the policy has no `let {name}`")));
    }
    let diagnostics: Vec<Diagnostic> = ws.diagnostics().to_vec();
    let rendered = render::human(&diagnostics, &ws, false);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure::Policy { diagnostics, rendered });
    }
    let plan = ws.plan();
    let env: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let locate = |span| ws.line_of(span);
    let secret = |name: &str| env.get(name).cloned();
    let up = render_script(&plan, Direction::Up, &options, &locate, &secret);
    let down = render_script(&plan, Direction::Down, &options, &locate, &secret);
    match (up, down) {
        (Ok(up), Ok(down)) => Ok(Built {
            up,
            down,
            hba: plan.hba.iter().map(|l| l.line.clone()).collect(),
            diagnostics,
            rendered,
            model: ws.resolved().model.clone(),
        }),
        (up, down) => {
            let errors: Vec<Diagnostic> = up.err().into_iter().chain(down.err()).flatten().collect();
            let rendered = render::human(&errors, &ws, false);
            Err(Failure::Policy { diagnostics: errors, rendered })
        }
    }
}

/// Like [`compile`], panicking with the diagnostics on failure.
#[track_caller]
pub fn compile_ok(sources: Sources, options: BuildOptions, env: &[(&str, &str)]) -> Built {
    match compile(sources, options, env) {
        Ok(b) => b,
        Err(f) => panic!("build failed: {f}"),
    }
}

/// Whether any diagnostic has `code`.
pub fn has_code(diagnostics: &[Diagnostic], code: Code) -> bool {
    diagnostics.iter().any(|d| d.code == code)
}

/// The contents of a `build.args` file: command-line arguments, one per line, plus lines
/// `env:NAME=VALUE` (environment variables for `secret("NAME")`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildArgs {
    pub options: BuildOptions,
    pub env: Vec<(String, String)>,
    /// Whether `--at` was given (otherwise `options.at` is [`DEFAULT_AT`]).
    pub at_given: bool,
    /// Whether `--target-version` was given (otherwise the default, 15).
    pub target_given: bool,
}

impl BuildArgs {
    /// `env` as borrowed pairs for [`compile`].
    pub fn env_pairs(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// Parses `build.args` text. Accepts `--set NAME=VALUE`, `--set=NAME=VALUE`, `--at TS`,
/// `--target-version N`, `--idempotent`, `--lock`; blank lines and lines starting with `#`
/// are ignored. Anything else is an error (so that a new option is not silently dropped).
pub fn parse_build_args(text: &str) -> Result<BuildArgs, String> {
    let mut args = BuildArgs { options: options_at(DEFAULT_AT), ..BuildArgs::default() };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    let value = |flag: &str, inline: Option<&str>, lines: &mut dyn Iterator<Item = &str>| {
        inline
            .map(str::to_owned)
            .or_else(|| lines.next().map(str::to_owned))
            .ok_or_else(|| format!("`{flag}` needs a value on the next line"))
    };
    while let Some(line) = lines.next() {
        if let Some(kv) = line.strip_prefix("env:") {
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("expected env:NAME=VALUE, found {line:?}"))?;
            args.env.push((k.to_owned(), v.to_owned()));
            continue;
        }
        let (flag, inline) = match line.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (line, None),
        };
        match flag {
            "--set" => {
                let kv = value(flag, inline, &mut lines)?;
                let (k, v) = kv.split_once('=').ok_or_else(|| format!("`--set {kv}`: expected NAME=VALUE"))?;
                args.options.sets.push((k.to_owned(), v.to_owned()));
            }
            "--at" => {
                let ts = value(flag, inline, &mut lines)?;
                args.options.at = rolec::model::values::parse_timestamp(&ts)
                    .ok_or_else(|| format!("`--at {ts}`: not a timestamp"))?
                    .timestamp();
                args.at_given = true;
            }
            "--target-version" => {
                let v = value(flag, inline, &mut lines)?;
                args.options.target_version = v.parse().map_err(|_| format!("`--target-version {v}`: not a number"))?;
                args.target_given = true;
            }
            "--idempotent" => args.options.idempotent = true,
            "--lock" => {
                args.options.lock = true;
                args.options.idempotent = true;
            }
            other => return Err(format!("unsupported line in build.args: {other:?}")),
        }
    }
    Ok(args)
}

/// One bundled example: `examples/<name>/`.
#[derive(Clone, Debug)]
pub struct Example {
    pub name: String,
    pub dir: PathBuf,
}

impl Example {
    /// A file of the example, if it exists.
    pub fn file(&self, name: &str) -> Option<String> {
        let p = self.dir.join(name);
        p.is_file().then(|| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
    }

    /// The example's build.args (defaults if there is none).
    pub fn build_args(&self) -> Result<BuildArgs, String> {
        match self.file("build.args") {
            Some(text) => parse_build_args(&text).map_err(|e| format!("build.args: {e}")),
            None => Ok(BuildArgs { options: options_at(DEFAULT_AT), ..BuildArgs::default() }),
        }
    }
}

/// Every directory under `root` that holds at least one `*.role` file, sorted by name.
pub fn examples(root: &Path) -> Vec<Example> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let has_role = std::fs::read_dir(&dir)
            .map(|es| es.flatten().any(|e| e.path().extension().is_some_and(|x| x == "role")))
            .unwrap_or(false);
        if has_role {
            out.push(Example { name: entry.file_name().to_string_lossy().into_owned(), dir });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The checks of a `checks.sql`: `(line number, statement)` of each non-blank line that is
/// not a `--` comment.
pub fn check_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("--"))
        .map(|(i, l)| (i, l.to_owned()))
        .collect()
}
