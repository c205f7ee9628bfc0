//! `rolec check --db URL POLICY`: a drift audit. Every role, attribute, setting, membership,
//! object privilege and default privilege the policy expects is reported present (✓) or
//! missing/different (✗, expected vs actual); roles the policy does not know that have access
//! to what it manages are reported (?). Exit codes: 0 no drift, 1 error, 2 drift (✗ or ?).

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::plan::{load_model, scope_for};
use super::LiveArgs;
use crate::live::connect::process_env;
use crate::live::diff::{Audit, Status};
use crate::live::{LiveState, Target};

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    live: LiveArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: CheckFormat,
    /// Show only drift (✗) and unknown access (?), not what matches
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
}

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let checked = crate::live::connect(&args.live.db, &process_env).map_err(|e| e.to_string()).and_then(|mut c| {
        let state = crate::live::introspect_with_windows(&mut c.client).map_err(|e| e.to_string())?;
        let Some(resolved) = load_model(&args.live.policy, &state)? else { return Ok(None) };
        let scope = scope_for(&resolved.model, &state, &args.live.manage, None)?;
        Ok(Some((c.target.clone(), crate::live::diff::audit(&resolved.model, &state, &scope), state)))
    });
    let (target, audit, state) = match checked {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(ExitCode::from(1)),
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    for w in &audit.plan.warnings {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(&w.to_string()));
    }
    match args.format {
        CheckFormat::Human => {
            print!("{}", crate::diagnostics::render::terminal_lines(&human(&target, &state, &audit, args.quiet)))
        }
        CheckFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json(&target, &state, &audit, args.quiet)).map_err(|e| e.to_string())?
        ),
    }
    Ok(if drifted(&audit) { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Whether anything differs: a ✗ or a ?, or a statement the plan would still run.
fn drifted(audit: &Audit) -> bool {
    !audit.plan.is_empty() || audit.findings.iter().any(|f| f.status != Status::Ok)
}

fn counts(audit: &Audit) -> (usize, usize, usize) {
    let n = |s: Status| audit.findings.iter().filter(|f| f.status == s).count();
    (n(Status::Ok), n(Status::Drift), n(Status::Unknown))
}

/// ✓/✗/? lines grouped by role, then a summary line.
pub fn human(target: &Target, state: &LiveState, audit: &Audit, quiet: bool) -> String {
    let version = format!("{}.{}", state.server_version / 10000, state.server_version % 10000);
    let mut out = format!("rolec check of {target} (PostgreSQL {version})\n");
    let mut by_role: BTreeMap<&str, Vec<&crate::live::diff::Finding>> = BTreeMap::new();
    for f in &audit.findings {
        if !(quiet && f.status == Status::Ok) {
            by_role.entry(f.role.as_str()).or_default().push(f);
        }
    }
    for (role, mut findings) in by_role {
        findings.sort_by_key(|f| f.item != "role"); // stable: the role itself first
        out.push_str(&format!("{role}\n"));
        for f in findings {
            let line = match f.status {
                Status::Ok => format!("  ✓ {}: {}\n", f.item, f.actual),
                Status::Drift => format!("  ✗ {}: expected {}, actual {}\n", f.item, f.expected, f.actual),
                Status::Unknown => format!("  ? {}: {} (a role the policy does not know)\n", f.item, f.actual),
            };
            out.push_str(&line);
        }
    }
    let (ok, drift, unknown) = counts(audit);
    let n = audit.plan.changes.len();
    let fix = if n == 0 {
        String::new()
    } else {
        format!("; `rolec apply` would run {n} statement{}", if n == 1 { "" } else { "s" })
    };
    out.push_str(&format!("{} checked: {ok} ✓, {drift} ✗, {unknown} ?{fix}\n", ok + drift + unknown));
    out.push_str(if drifted(audit) { "drift\n" } else { "no drift\n" });
    out
}

pub fn json(target: &Target, state: &LiveState, audit: &Audit, quiet: bool) -> serde_json::Value {
    let (ok, drift, unknown) = counts(audit);
    let findings: Vec<_> = audit.findings.iter().filter(|f| !(quiet && f.status == Status::Ok)).collect();
    serde_json::json!({
        "format": "rolec-check/1",
        "database": target.dbname,
        "user": target.user,
        "server_version": state.server_version,
        "drift": drifted(audit),
        "summary": {"ok": ok, "drift": drift, "unknown": unknown},
        "findings": findings,
        "plan": audit.plan.changes.iter().map(|c| c.sql.as_str()).collect::<Vec<_>>(),
        "warnings": audit.plan.warnings,
        "blockers": audit.plan.blockers,
    })
}
