//! `rolec usage --db URL --log FILE… [--days N] [--at T] [POLICY…]`: which roles nobody uses,
//! from the server's own records ([`crate::live::usage`]): the login roles not seen for N days
//! (by the logins of the log files read, and the sessions open now), the group roles no login
//! role reaches, and those only unused login roles reach. With a policy, each role it declares
//! is marked with its place. Exit codes: 0 reported, 1 a policy error, a log file that cannot be
//! read, or a connection or server error, 2 usage error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::explain::OutFormat;
use super::PolicyArgs;
use crate::diagnostics::render::{location, terminal_lines};
use crate::live::usage::log::FileSummary;
use crate::live::usage::{GroupStatus, UsageReport};
use crate::live::Target;
use crate::pg::quote::{ident, is_unprintable};

#[derive(Args)]
pub struct UsageArgs {
    /// The policy's files or directories (optional): the report marks the roles it declares.
    /// Put them before `--log`, or after `--`
    #[arg(value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
    /// The database: a libpq URL or key-value string (a service entry, the PG* variables,
    /// ~/.pgpass and libpq's defaults fill what it leaves out)
    #[arg(long, value_name = "URL", default_value = "")]
    db: String,
    /// The server's log files (csvlog, jsonlog, or stderr with the default log_line_prefix;
    /// gzip-compressed or not), written with log_connections=on
    #[arg(long = "log", value_name = "FILE", required = true, num_args = 1..)]
    logs: Vec<PathBuf>,
    /// A login role not seen for this many days is reported
    #[arg(long, value_name = "N", default_value_t = 90)]
    days: u32,
    /// The instant the report is made at (RFC 3339 or YYYY-MM-DD; default: now)
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_at)]
    at: Option<i64>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
}

pub fn run(args: UsageArgs) -> Result<ExitCode, String> {
    // The policy first: its errors do not wait for the server.
    let declared = if args.paths.is_empty() {
        None
    } else {
        let policy = PolicyArgs {
            paths: args.paths.clone(),
            sets: Vec::new(),
            at: args.at,
            target_version: None,
            catalog: None,
            project: None,
        }
        .resolve()?;
        let Some(ws) = policy.load_sound()? else {
            return Ok(ExitCode::from(1));
        };
        let places: HashMap<String, String> =
            ws.resolved().model.roles.iter().map(|r| (r.name.clone(), location(&ws, r.origin))).collect();
        Some(places)
    };
    let read = super::connect_live(&args.db).map_err(|e| e.to_string()).and_then(|mut c| {
        let server = crate::live::usage::read_server(&mut c.client).map_err(|e| e.to_string())?;
        Ok((c.target.clone(), server))
    });
    let (target, server) = match read {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {}", terminal_lines(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let (files, last_login) = match crate::live::usage::read_logs(&args.logs, &server.zones) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {}", shown(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let at = args.at.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let report = crate::live::usage::report(&server, files, &last_login, at, args.days);
    match args.format {
        OutFormat::Human => out!("{}", human(&target, &report, declared.as_ref())),
        OutFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&to_json(&target, &report, declared.as_ref())).map_err(|e| e.to_string())?
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// A time as RFC 3339 in UTC, to the second.
fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| t.to_string())
}

/// A path or message as one line of a report: a control character is written `\u{…}`.
fn shown(text: &str) -> String {
    text.chars().map(|c| if is_unprintable(c) { format!("\\u{{{:x}}}", c as u32) } else { c.to_string() }).collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Where the policy declares a role, as a report line ends; nothing without a policy.
fn declared_at(declared: Option<&HashMap<String, String>>, role: &str) -> String {
    match declared.map(|d| d.get(role)) {
        None => String::new(),
        Some(Some(place)) => format!("  declared at {}", shown(place)),
        Some(None) => "  not in the policy".to_string(),
    }
}

fn file_line(f: &FileSummary) -> String {
    let gzip = if f.gzip { ", gzip" } else { "" };
    let mut line = format!(
        "  {} ({}{gzip}): {}, {}",
        shown(&f.path.display().to_string()),
        f.form,
        plural(f.records as usize, "record", "records"),
        plural(f.logins as usize, "login", "logins")
    );
    if let Some(s) = &f.first_skipped {
        line.push_str(&format!(", {} skipped (the first at line {}: {})", f.skipped, s.line, shown(&s.reason)));
    }
    line + "\n"
}

pub fn human(target: &Target, r: &UsageReport, declared: Option<&HashMap<String, String>>) -> String {
    let mut out = format!("rolec usage of {}, at {}\n", shown(&target.to_string()), time(r.at));
    let span = match (r.logs_from, r.logs_to) {
        (Some(from), Some(to)) => format!("from {} to {}", time(from), time(to)),
        _ => "no record with a time".to_string(),
    };
    let logins: u64 = r.files.iter().map(|f| f.logins).sum();
    out.push_str(&format!(
        "logs read: {}, {}, {span}\n",
        plural(r.files.len(), "file", "files"),
        plural(logins as usize, "login", "logins")
    ));
    for f in &r.files {
        out.push_str(&file_line(f));
    }
    out.push_str(&format!("sessions open now (pg_stat_activity): {}\n", r.sessions));

    let never = match r.logs_from {
        Some(from) => format!("never in the logs read (they go back to {})", time(from)),
        None => "never in the logs read (they hold no record)".to_string(),
    };
    let seen_line = |l: &crate::live::usage::LoginRole| {
        let seen = match (l.last_seen, l.source) {
            (Some(t), Some(crate::live::usage::Source::PgStatActivity)) => {
                format!("last seen {} (a session open now)", time(t))
            }
            (Some(t), _) => format!("last seen {} (log)", time(t)),
            (None, _) => never.clone(),
        };
        format!("  {}  {seen}{}\n", ident(&l.role), declared_at(declared, &l.role))
    };
    let (recent, unused): (Vec<_>, Vec<_>) = r.login_roles.iter().partition(|l| l.recent);
    out.push_str(&format!(
        "\nlogin roles not seen for {} (since {}): {}\n",
        plural(r.days as usize, "day", "days"),
        time(r.since),
        unused.len()
    ));
    unused.iter().for_each(|l| out.push_str(&seen_line(l)));
    out.push_str(&format!(
        "login roles seen in the last {}: {}\n",
        plural(r.days as usize, "day", "days"),
        recent.len()
    ));
    recent.iter().for_each(|l| out.push_str(&seen_line(l)));

    let groups = |status: GroupStatus| r.group_roles.iter().filter(move |g| g.status == status);
    out.push_str(&format!("\ngroup roles no login role reaches: {}\n", groups(GroupStatus::Unreached).count()));
    for g in groups(GroupStatus::Unreached) {
        out.push_str(&format!("  {}{}\n", ident(&g.role), declared_at(declared, &g.role)));
    }
    out.push_str(&format!(
        "group roles reached only by login roles not seen for {}: {}\n",
        plural(r.days as usize, "day", "days"),
        groups(GroupStatus::ReachedOnlyByUnused).count()
    ));
    for g in groups(GroupStatus::ReachedOnlyByUnused) {
        out.push_str(&format!(
            "  {}  reached by {}{}\n",
            ident(&g.role),
            plural(g.reached_by, "login role", "login roles"),
            declared_at(declared, &g.role)
        ));
    }
    out
}

pub fn to_json(target: &Target, r: &UsageReport, declared: Option<&HashMap<String, String>>) -> serde_json::Value {
    let place = |role: &str| declared.and_then(|d| d.get(role)).cloned();
    let files: Vec<_> = r
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path.to_string_lossy(),
                "form": f.form,
                "gzip": f.gzip,
                "records": f.records,
                "logins": f.logins,
                "skipped": f.skipped,
                "first_skipped": f.first_skipped.as_ref().map(|s| json!({"line": s.line, "reason": s.reason})),
                "from": f.first.map(time),
                "to": f.last.map(time),
            })
        })
        .collect();
    let logins: Vec<_> = r
        .login_roles
        .iter()
        .map(|l| {
            json!({
                "role": l.role,
                "last_seen": l.last_seen.map(time),
                "source": l.source,
                "recent": l.recent,
                "declared": place(&l.role),
            })
        })
        .collect();
    let groups: Vec<_> = r
        .group_roles
        .iter()
        .map(|g| {
            json!({
                "role": g.role,
                "status": g.status,
                "reached_by": g.reached_by,
                "reached_by_recent": g.reached_by_recent,
                "declared": place(&g.role),
            })
        })
        .collect();
    json!({
        "format": "rolec-usage/1",
        "database": target.dbname,
        "user": target.user,
        "at": time(r.at),
        "days": r.days,
        "since": time(r.since),
        "policy": declared.is_some(),
        "logs": {"from": r.logs_from.map(time), "to": r.logs_to.map(time), "files": files},
        "sessions": r.sessions,
        "login_roles": logins,
        "group_roles": groups,
    })
}
