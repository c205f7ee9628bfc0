//! `rolec check --db URL POLICY`: a drift audit. Every role, attribute, setting, membership,
//! object privilege and default privilege the policy expects is reported present (✓) or
//! missing/different (✗, expected vs actual); roles the policy does not know that have access
//! to what it manages are reported (?). The policy's rules are checked over the server's roles,
//! memberships and privileges, those outside the policy included (see [`crate::live::rules`]).
//! Exit codes: 0 no drift, 1 error, 2 drift (✗, ?, or a rule broken on the server).

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::plan::scope_for;
use super::LiveArgs;
use crate::db::Workspace;
use crate::diagnostics::render::location;
use crate::live::diff::{Audit, Status};
use crate::live::rules::{on_server, RuleViolation};
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
    /// A summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`
    Markdown,
}

pub fn run(mut args: CheckArgs) -> Result<ExitCode, String> {
    args.live = args.live.resolve()?;
    let checked = super::databases::read(&args.live).and_then(|c| {
        let Some(c) = c else { return Ok(None) };
        let resolved = c.ws.resolved();
        let scope = scope_for(&resolved.model, &c.state, &args.live.manage, None)?;
        let audit = match c.several() {
            true => crate::live::diff::databases::audit(&resolved.model, &c.state, &c.compared(), &scope),
            false => crate::live::diff::audit(&resolved.model, &c.state, &scope),
        };
        // The rules over what the server has: for several databases, every compared one's
        // privileges together.
        let mut server = c.state.clone();
        if c.several() {
            server.privileges = c.compared().iter().flat_map(|d| d.state.privileges.iter().cloned()).collect();
        }
        let rules = broken_rules(&crate::live::rules::violations(&resolved.model, &server, &scope), &c.ws);
        Ok(Some((c.target().clone(), Checked { audit, rules }, c.state)))
    });
    let (target, checked, state) = match checked {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(ExitCode::from(1)),
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    for w in &checked.audit.plan.warnings {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(&w.to_string()));
    }
    match args.format {
        CheckFormat::Human => {
            out!("{}", crate::diagnostics::render::terminal_lines(&human(&target, &state, &checked, args.quiet)))
        }
        CheckFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json(&target, &state, &checked, args.quiet)).map_err(|e| e.to_string())?
        ),
        CheckFormat::Markdown => out!("{}", markdown(&target, &state, &checked, args.quiet)),
    }
    Ok(if drifted(&checked) { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// What `check` found: the comparison item by item, and the rules broken on the server.
pub struct Checked {
    pub audit: Audit,
    pub rules: Vec<BrokenRule>,
}

/// A rule of the policy broken on the server, as `check` reports it and `plan` warns of it.
#[derive(Clone, Debug, Serialize)]
pub struct BrokenRule {
    pub code: &'static str,
    pub severity: crate::diagnostics::Severity,
    /// The role that breaks the rule; `null`: PUBLIC.
    pub role: Option<String>,
    /// The compiler's message.
    pub message: String,
    /// The compiler's help: the chains of memberships, and what would fix it.
    pub help: Option<String>,
    /// What the violation rests on that is on the server but not in the policy.
    pub live: Vec<String>,
    /// The places of the policy the violation names (the rule, declarations, memberships).
    pub policy: Vec<PolicyPlace>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PolicyPlace {
    /// `path:line:column`.
    pub at: String,
    pub label: String,
}

/// The violations with the positions of what they name in the policy.
pub fn broken_rules(violations: &[RuleViolation], ws: &Workspace) -> Vec<BrokenRule> {
    violations
        .iter()
        .map(|v| {
            let d = &v.diagnostic;
            let labels = std::iter::once(&d.primary).chain(&d.secondary);
            BrokenRule {
                code: d.code.as_str(),
                severity: d.severity(),
                role: v.role.clone(),
                message: d.message.clone(),
                help: d.help.clone(),
                live: v.live.clone(),
                policy: labels
                    .filter(|l| !on_server(l.span))
                    .map(|l| PolicyPlace { at: location(ws, l.span), label: l.message.clone() })
                    .collect(),
            }
        })
        .collect()
}

impl BrokenRule {
    pub fn is_error(&self) -> bool {
        self.severity == crate::diagnostics::Severity::Error
    }

    /// The violation, then indented: the help, what is on the server only, the policy's places.
    pub fn lines(&self, indent: &str) -> String {
        let mark = if self.is_error() { "✗" } else { "!" };
        let mut out = format!("{indent}{mark} rule {}: {} [live]\n", self.code, self.message);
        if let Some(h) = &self.help {
            out.push_str(&format!("{indent}    {h}\n"));
        }
        for l in &self.live {
            out.push_str(&format!("{indent}    live: {l}\n"));
        }
        for p in &self.policy {
            out.push_str(&format!("{indent}    {}: {}\n", p.at, p.label));
        }
        out
    }
}

/// Whether anything differs: a ✗ or a ?, a rule broken on the server (an error, not a `warn`
/// rule), or a statement the plan would still run.
fn drifted(checked: &Checked) -> bool {
    let audit = &checked.audit;
    !audit.plan.is_empty()
        || audit.findings.iter().any(|f| f.status != Status::Ok)
        || checked.rules.iter().any(BrokenRule::is_error)
}

fn counts(audit: &Audit) -> (usize, usize, usize) {
    let n = |s: Status| audit.findings.iter().filter(|f| f.status == s).count();
    (n(Status::Ok), n(Status::Drift), n(Status::Unknown))
}

/// ✓/✗/? lines grouped by role (the rules a role breaks on the server after its findings),
/// then a summary line.
pub fn human(target: &Target, state: &LiveState, checked: &Checked, quiet: bool) -> String {
    let audit = &checked.audit;
    let version = format!("{}.{}", state.server_version / 10000, state.server_version % 10000);
    let mut out = format!("rolec check of {target} (PostgreSQL {version})\n");
    let mut by_role: BTreeMap<&str, (Vec<&crate::live::diff::Finding>, Vec<&BrokenRule>)> = BTreeMap::new();
    for f in &audit.findings {
        if !(quiet && f.status == Status::Ok) {
            by_role.entry(f.role.as_str()).or_default().0.push(f);
        }
    }
    for r in &checked.rules {
        by_role.entry(r.role.as_deref().unwrap_or("PUBLIC")).or_default().1.push(r);
    }
    for (role, (mut findings, rules)) in by_role {
        findings.sort_by_key(|f| f.item != "role"); // stable: the role itself first
        out.push_str(&format!("{role}\n"));
        for f in findings {
            let line = match f.status {
                Status::Ok => match &f.grounds {
                    Some(grounds) => format!("  ✓ {}: {} ({grounds})\n", f.item, f.actual),
                    None => format!("  ✓ {}: {}\n", f.item, f.actual),
                },
                Status::Drift => format!("  ✗ {}: expected {}, actual {}\n", f.item, f.expected, f.actual),
                Status::Unknown => format!("  ? {}: {} (a role the policy does not know)\n", f.item, f.actual),
            };
            out.push_str(&line);
        }
        for r in rules {
            out.push_str(&r.lines("  "));
        }
    }
    let (ok, drift, unknown) = counts(audit);
    let n = audit.plan.changes.len();
    let fix = if n == 0 {
        String::new()
    } else {
        format!("; `rolec apply` would run {n} statement{}", if n == 1 { "" } else { "s" })
    };
    let broken = checked.rules.len();
    let rules = if broken == 0 {
        String::new()
    } else {
        format!("; {broken} rule violation{} on the server", if broken == 1 { "" } else { "s" })
    };
    out.push_str(&format!("{} checked: {ok} ✓, {drift} ✗, {unknown} ?{rules}{fix}\n", ok + drift + unknown));
    out.push_str(if drifted(checked) { "drift\n" } else { "no drift\n" });
    out
}

/// The audit as Markdown: a heading with the target, the counts, a table of the findings (the
/// rules broken on the server as rows of their own) and the statements `apply` would run.
pub fn markdown(target: &Target, state: &LiveState, checked: &Checked, quiet: bool) -> String {
    use super::markdown::{fenced, table};
    let audit = &checked.audit;
    let version = format!("{}.{}", state.server_version / 10000, state.server_version % 10000);
    let mut out = format!("## rolec check\n\n{} (PostgreSQL {version})\n\n", super::markdown::target(target));
    let (ok, drift, unknown) = counts(audit);
    out.push_str(&format!(
        "**{}** checked: {ok} ✓, {drift} ✗, {unknown} ?, {} rule violation(s) on the server: **{}**\n",
        ok + drift + unknown,
        checked.rules.len(),
        if drifted(checked) { "drift" } else { "no drift" }
    ));
    let status = |s: Status| match s {
        Status::Ok => "✓",
        Status::Drift => "✗",
        Status::Unknown => "?",
    };
    let findings = audit.findings.iter().filter(|f| !(quiet && f.status == Status::Ok));
    let rows: Vec<Vec<String>> = findings
        .map(|f| {
            let actual = match &f.grounds {
                Some(g) => format!("{} ({g})", f.actual),
                None => f.actual.clone(),
            };
            vec![f.role.clone(), f.item.clone(), f.expected.clone(), actual, status(f.status).to_string()]
        })
        .chain(checked.rules.iter().map(|r| {
            let role = r.role.clone().unwrap_or_else(|| "PUBLIC".to_string());
            let mark = if r.is_error() { "✗" } else { "!" };
            vec![role, format!("rule {}", r.code), String::new(), r.message.clone(), mark.to_string()]
        }))
        .collect();
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&table(&["role", "item", "expected", "actual", "status"], rows));
    }
    if !audit.plan.is_empty() {
        let sql: Vec<&str> = audit.plan.changes.iter().map(|c| c.sql.as_str()).collect();
        out.push_str(&format!("\n`rolec apply` would run:\n\n{}", fenced("sql", &sql.join("\n"))));
    }
    out
}

pub fn json(target: &Target, state: &LiveState, checked: &Checked, quiet: bool) -> serde_json::Value {
    let audit = &checked.audit;
    let (ok, drift, unknown) = counts(audit);
    let findings: Vec<_> = audit.findings.iter().filter(|f| !(quiet && f.status == Status::Ok)).collect();
    serde_json::json!({
        "format": "rolec-check/1",
        "database": target.dbname,
        "user": target.user,
        "server_version": state.server_version,
        "drift": drifted(checked),
        "summary": {"ok": ok, "drift": drift, "unknown": unknown, "rules": checked.rules.len()},
        "findings": findings,
        "rules": checked.rules,
        "plan": audit.plan.changes.iter().map(|c| c.sql.as_str()).collect::<Vec<_>>(),
        "warnings": audit.plan.warnings,
        "blockers": audit.plan.blockers,
    })
}
