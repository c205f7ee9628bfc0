//! `rolec diff OLD NEW`: the migration between two versions of a policy, as up and down SQL
//! with only the difference (grants and revokes, never drop-and-recreate), written plainly or
//! as the files of a migration tool. OLD may be a git revision (`git:REV`: NEW's path at REV;
//! `REV:PATH`). Exit codes: 0 success, 1 the policy has errors or git fails, 2 usage errors.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args, ValueEnum};

use super::PolicyArgs;
use crate::live::desired::{base_state, migration};
use crate::live::diff::PasswordFrom;
use crate::live::ChangePlan;
use crate::model::DEFAULT_TARGET_VERSION;
use crate::pg::quote::{comment, ident, literal};

#[derive(Args)]
pub struct DiffArgs {
    /// The old version: a file or directory, `git:REV` (NEW's path at revision REV) or `REV:PATH`
    #[arg(value_name = "OLD")]
    old: String,
    /// The new version: a file or directory
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Write the migration to DIR (default: print both scripts; with --layout: the current directory)
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// The files to write: up.sql/down.sql, or those a migration tool expects
    #[arg(long, value_enum, default_value = "plain")]
    layout: Layout,
    /// Migration name (file names, sqitch change name)
    #[arg(long, default_value = "roles")]
    name: String,
    /// Migration version (default: the UTC time, YYYYMMDDHHMMSS)
    #[arg(long)]
    version: Option<String>,
    /// Override a `let`: NAME=VALUE (lists: comma-separated), in both versions
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::parse_set)]
    sets: Vec<(String, String)>,
    /// The instant time windows are evaluated at (RFC 3339 or YYYY-MM-DD; default: now)
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_at)]
    at: Option<i64>,
    /// PostgreSQL major version to emit SQL for (default: a live snapshot's given with --catalog,
    /// else the project's `target-version`, else 17)
    #[arg(long, value_name = "VERSION", value_parser = super::parse_version)]
    target_version: Option<u32>,
    /// A role one version drops that owns objects gives them to ROLE (REASSIGN OWNED, DROP OWNED)
    #[arg(long, value_name = "ROLE")]
    successor: Option<String>,
    /// A catalog snapshot whose objects bulk grants expand over (a `rolec snapshot` is the base
    /// the migration starts from)
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    Plain,
    Flyway,
    Sqitch,
    Dbmate,
    GolangMigrate,
}

pub fn run(args: DiffArgs) -> Result<ExitCode, String> {
    if args.name.is_empty() || !args.name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
        return Err(format!("`--name {}`: use letters, digits, `_` and `-`", args.name));
    }
    if let Some(v) = &args.version {
        if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '_') {
            return Err(format!("`--version {v}`: use digits (and `.` or `_`)"));
        }
    }
    // NEW inside a project stands for the whole project, and `git:REV` for that project at REV
    // (its `rolec.toml` then included).
    let new_project_root = crate::project::find_file(&args.new).and_then(|f| f.parent().map(Path::to_path_buf));
    let old = match OldVersion::resolve(&args.old, new_project_root.as_deref().unwrap_or(&args.new)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let side = |path: &Path| {
        PolicyArgs {
            paths: vec![path.to_path_buf()],
            sets: args.sets.clone(),
            at: args.at,
            target_version: args.target_version,
            catalog: args.catalog.clone(),
            project: None,
        }
        .resolve()
    };
    let (mut old_policy, mut new_policy) = (side(&old.path)?, side(&args.new)?);
    let catalog = match &new_policy.catalog {
        Some(path) => Some(super::read_catalog(path)?),
        None => None,
    };
    // A live snapshot says which server the migration is for; both versions compile for it.
    let live_version = catalog.as_ref().filter(|c| c.live.is_some()).and_then(|c| c.server_version).map(|v| v / 10000);
    let major = match live_version {
        Some(v) if args.target_version.is_none() && crate::pg::roles::SUPPORTED_VERSIONS.contains(&v) => v,
        _ => new_policy.target_version.unwrap_or(DEFAULT_TARGET_VERSION),
    };
    old_policy.target_version = Some(major);
    new_policy.target_version = Some(major);
    old_policy.catalog.clone_from(&new_policy.catalog);
    let at = args.at.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let load = |p: &PolicyArgs| -> Result<Option<crate::db::Workspace>, String> {
        let mut options = p.options();
        options.at = at;
        let ws = p.load(options)?;
        Ok((!super::report(&ws, &p.diagnostics(&ws), super::Format::Human)).then_some(ws))
    };
    let (Some(old_ws), Some(new_ws)) = (load(&old_policy)?, load(&new_policy)?) else { return Ok(ExitCode::from(1)) };
    let (old_model, new_model) = (old_ws.resolved(), new_ws.resolved());
    let base = base_state(&[&old_model.model, &new_model.model], catalog.as_ref(), major);
    let (up, down) =
        migration(&old_model.model, &new_model.model, &base, args.successor.as_deref()).map_err(|e| e.to_string())?;
    for w in up.warnings.iter().chain(&down.warnings) {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(&w.to_string()));
    }
    for b in up.blockers.iter().chain(&down.blockers) {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(&b.to_string()));
    }
    let (up_sql, down_sql) = (script(&up, "up"), script(&down, "down"));
    if up.is_empty() && down.is_empty() {
        eprintln!("no changes: the two versions of the policy grant the same");
        return Ok(ExitCode::SUCCESS);
    }
    if args.output.is_none() && args.layout == Layout::Plain {
        out!("-- migrate:up\n{up_sql}\n-- migrate:down\n{down_sql}");
        return Ok(ExitCode::SUCCESS);
    }
    let dir = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    let version = args.version.clone().unwrap_or_else(|| chrono::Utc::now().format("%Y%m%d%H%M%S").to_string());
    let written = write(&dir, args.layout, &args.name, &version, &up_sql, &down_sql, &new_model.model)
        .map_err(|e| format!("cannot write the migration: {e}"))?;
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The statements of a plan as a script. Passwords from a SCRAM verifier are set; those from
/// an environment variable stay a comment (set them when deploying).
fn script(plan: &ChangePlan, direction: &str) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str(&format!("-- rolec diff ({direction}): no changes\n"));
        return out;
    }
    for c in &plan.changes {
        if let Some(note) = &c.note {
            out.push_str(&comment(note));
            out.push('\n');
        }
        if c.destructive {
            out.push_str("-- DESTRUCTIVE\n");
        }
        match (&c.password, c.executable(&|_| None)) {
            (Some(PasswordFrom::Env { role, env }), _) => {
                out.push_str(&comment(&format!("ALTER ROLE {} PASSWORD …; (the password of `{role}` comes from environment variable {env}: set it when deploying)", ident(role))))
            }
            (_, Ok(sql)) => out.push_str(&sql),
            (_, Err(_)) => out.push_str(&c.sql),
        }
        out.push('\n');
    }
    out
}

fn write(
    dir: &Path,
    layout: Layout,
    name: &str,
    version: &str,
    up: &str,
    down: &str,
    new: &crate::model::Model,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let tx = |sql: &str| format!("BEGIN;\n\n{sql}\nCOMMIT;\n");
    let files: Vec<(PathBuf, String)> = match layout {
        Layout::Plain => vec![(dir.join("up.sql"), up.to_string()), (dir.join("down.sql"), down.to_string())],
        Layout::Flyway => vec![
            (dir.join(format!("V{version}__{name}.sql")), up.to_string()),
            (dir.join(format!("U{version}__{name}.sql")), down.to_string()),
        ],
        Layout::Dbmate => {
            vec![(dir.join(format!("{version}_{name}.sql")), format!("-- migrate:up\n{up}\n-- migrate:down\n{down}"))]
        }
        Layout::GolangMigrate => vec![
            (dir.join(format!("{version}_{name}.up.sql")), tx(up)),
            (dir.join(format!("{version}_{name}.down.sql")), tx(down)),
        ],
        Layout::Sqitch => {
            let verify: String = new
                .roles
                .iter()
                .map(|r| {
                    format!(
                        "SELECT 1 / pg_catalog.count(*) FROM pg_catalog.pg_roles WHERE rolname = {};\n",
                        literal(&r.name)
                    )
                })
                .collect();
            vec![
                (dir.join("deploy").join(format!("{name}.sql")), format!("-- Deploy {name}\n{}", tx(up))),
                (dir.join("revert").join(format!("{name}.sql")), format!("-- Revert {name}\n{}", tx(down))),
                (
                    dir.join("verify").join(format!("{name}.sql")),
                    format!("-- Verify {name}: the roles of the policy exist\nBEGIN;\n\n{verify}\nROLLBACK;\n"),
                ),
            ]
        }
    };
    // The sqitch plan is read before anything is written: one that cannot be read stops the
    // whole migration, and it is never replaced (it holds the project's history).
    let sqitch_plan = match layout {
        Layout::Sqitch => {
            let plan = dir.join("sqitch.plan");
            let mut text = match std::fs::symlink_metadata(&plan) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    "%syntax-version=1.0.0\n%project=roles\n\n".to_string()
                }
                _ => crate::db::files::read_text(&plan, crate::db::files::SQITCH_PLAN)
                    .map_err(|why| std::io::Error::other(format!("cannot read `{}`: {why}", plan.display())))?,
            };
            if !text.ends_with('\n') {
                text.push('\n');
            }
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
            text.push_str(&format!("{name} {now} rolec <rolec@localhost> # role changes {version} (rolec diff)\n"));
            Some((plan, text))
        }
        _ => None,
    };
    let mut written = Vec::new();
    for (path, text) in files.into_iter().chain(sqitch_plan) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// The old version of the policy: a path, or files read from git into a temporary directory
/// (removed when dropped).
struct OldVersion {
    path: PathBuf,
    temp: Option<PathBuf>,
}

impl Drop for OldVersion {
    fn drop(&mut self) {
        if let Some(t) = &self.temp {
            let _ = std::fs::remove_dir_all(t);
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}

fn git_text(dir: &Path, args: &[&str]) -> Result<String, String> {
    Ok(String::from_utf8_lossy(&git(dir, args)?).trim_end_matches('\n').to_string())
}

impl OldVersion {
    fn resolve(old: &str, new: &Path) -> Result<OldVersion, String> {
        if Path::new(old).exists() {
            return Ok(OldVersion { path: PathBuf::from(old), temp: None });
        }
        let (rev, rel) = if let Some(rev) = old.strip_prefix("git:") {
            // NEW's path, relative to the top of its repository.
            let new = new.canonicalize().map_err(|e| format!("`{}`: {e}", new.display()))?;
            let dir = if new.is_dir() { new.clone() } else { new.parent().map(Path::to_path_buf).unwrap_or_default() };
            let top = PathBuf::from(git_text(&dir, &["rev-parse", "--show-toplevel"])?)
                .canonicalize()
                .map_err(|e| e.to_string())?;
            let rel = new
                .strip_prefix(&top)
                .map_err(|_| format!("`{}` is not inside the git repository {}", new.display(), top.display()))?;
            (rev.to_string(), (top, rel.to_string_lossy().into_owned()))
        } else if let Some((rev, path)) = old.split_once(':') {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            let top = PathBuf::from(git_text(&cwd, &["rev-parse", "--show-toplevel"])?);
            let rel = if let Some(abs) = path.strip_prefix('/') {
                Path::new("/")
                    .join(abs)
                    .strip_prefix(&top)
                    .map(|p| p.to_string_lossy().into_owned())
                    .map_err(|_| format!("`{path}` is not inside the git repository {}", top.display()))?
            } else {
                format!("{}{}", git_text(&cwd, &["rev-parse", "--show-prefix"])?, path.trim_start_matches("./"))
            };
            (rev.to_string(), (top, rel))
        } else {
            return Err(format!(
                "`{old}`: no such file or directory (a git revision is written `git:REV` or `REV:PATH`)"
            ));
        };
        let (top, rel) = rel;
        let rel = rel.trim_end_matches('/').to_string();
        let spec = if rel.is_empty() { ".".to_string() } else { rel.clone() };
        let listing = git_text(&top, &["ls-tree", "-r", "--name-only", &rev, "--", &spec])?;
        let files: Vec<&str> = listing.lines().filter(|l| !l.is_empty()).collect();
        if files.is_empty() {
            return Err(format!("`{}` does not exist at revision {rev}", if rel.is_empty() { "." } else { &rel }));
        }
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let temp = std::env::temp_dir().join(format!("rolec-diff-{}-{nanos}", std::process::id()));
        let version = OldVersion { path: temp.join(&rel), temp: Some(temp.clone()) };
        for file in files {
            let bytes = git(&top, &["show", &format!("{rev}:{file}")])?;
            let path = temp.join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
        }
        Ok(version)
    }
}
