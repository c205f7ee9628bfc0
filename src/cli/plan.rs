//! `rolec plan --db URL POLICY`: the statements that make a live database match the policy.
//! Exit codes: 0 success (with `--detailed-exitcode`: no change), 1 error, 2 (with
//! `--detailed-exitcode`) changes pending.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::check::{broken_rules, BrokenRule};
use super::{report, Format, LiveArgs, PolicyArgs};
use crate::db::Workspace;
use crate::live::{ChangePlan, LiveState, Scope, Target};
use crate::model::Model;
use crate::pg::quote::comment;
use crate::pg::quote::psql_connect;

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    live: LiveArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: PlanFormat,
    /// Exit 0 when there is nothing to change, 1 on errors, 2 when changes are pending
    #[arg(long)]
    detailed_exitcode: bool,
    /// A role to drop that owns objects gives them to ROLE (REASSIGN OWNED, then DROP OWNED)
    #[arg(long, value_name = "ROLE")]
    successor: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Json,
    /// A summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`
    Markdown,
}

/// A policy compared with a live database: what `plan` prints and `apply` runs.
pub struct Planned {
    pub target: Target,
    pub state: LiveState,
    pub plan: ChangePlan,
    /// The policy's rules that the database the plan leaves still breaks (through roles,
    /// memberships or privileges outside the managed scope): warnings.
    pub rules: Vec<BrokenRule>,
}

/// The policy loaded (parsed and resolved) for a server's `server_version_num`, before its
/// inventory is read ([`with_live_catalog`] adds it).
pub fn load_for_version(policy: &PolicyArgs, server_version: u32) -> Result<Workspace, String> {
    let mut options = policy.options();
    let major = server_version / 10000;
    if crate::pg::roles::SUPPORTED_VERSIONS.contains(&major) {
        options.target_version = major;
    }
    policy.load(options)
}

/// The live inventory of `state` joins the policy unless `--catalog` is given, and the
/// diagnostics are printed; false when the policy has errors.
pub fn with_live_catalog(policy: &PolicyArgs, ws: &mut Workspace, state: &LiveState) -> bool {
    if policy.catalog.is_none() {
        // The live inventory is what bulk grants and limits count.
        ws.set_catalog(Some(state.to_catalog()));
    }
    !report(ws, &policy.diagnostics(ws), Format::Human)
}

/// The plan for a live state: the policy's roles plus the `manage roles matching` and
/// `--manage` globs are in scope.
#[allow(dead_code)] // for callers that never drop with a successor
pub fn diff_for(model: &Model, state: &LiveState, manage: &[String]) -> Result<ChangePlan, String> {
    diff_with(model, state, manage, None)
}

/// The managed scope of a policy on a live state (`--manage` globs, the roles rolec created,
/// `--successor`).
pub fn scope_for(
    model: &Model,
    state: &LiveState,
    manage: &[String],
    successor: Option<&str>,
) -> Result<Scope, String> {
    let globs: Vec<String> = model.managed_globs.iter().chain(manage).cloned().collect();
    let scope = Scope::new(
        model.roles.iter().map(|r| r.name.as_str()),
        model.external_roles.iter().map(String::as_str),
        &globs,
        &state.current_user,
    )
    .map_err(|e| e.to_string())?
    .with_created(state.created_roles.iter().map(String::as_str));
    if let Some(s) = successor {
        if scope.is_undeclared(s) {
            return Err(format!("`--successor {s}`: that role is to be dropped"));
        }
        if state.role(s).is_none() && !model.roles.iter().any(|r| r.name == s) {
            return Err(format!("`--successor {s}`: no such role"));
        }
    }
    Ok(scope.with_successor(successor.map(str::to_string)))
}

/// [`diff_for`] with a successor for the objects of roles to drop.
pub fn diff_with(
    model: &Model,
    state: &LiveState,
    manage: &[String],
    successor: Option<&str>,
) -> Result<ChangePlan, String> {
    Ok(crate::live::diff(model, state, &scope_for(model, state, manage, successor)?))
}

/// Reads the database (each database the policy names) and computes the plan. `Err` is a
/// message for an error (exit 1); `Ok(None)` means the policy has errors (printed).
pub fn plan(live: &LiveArgs, successor: Option<&str>) -> Result<Option<Planned>, String> {
    let Some(c) = super::databases::read(live)? else { return Ok(None) };
    let resolved = c.ws.resolved();
    let model = &resolved.model;
    let scope = scope_for(model, &c.state, &live.manage, successor)?;
    let has_rules = crate::live::rules::has_rules(model);
    let (plan, desired) = if c.several() {
        let compared = c.compared();
        match has_rules {
            true => {
                let audit = crate::live::diff::databases::audit(model, &c.state, &compared, &scope);
                (audit.plan, Some(audit.desired))
            }
            false => (crate::live::diff::databases::diff(model, &c.state, &compared, &scope), None),
        }
    } else {
        let plan = crate::live::diff(model, &c.state, &scope);
        (plan, has_rules.then(|| crate::live::diff::audit(model, &c.state, &scope).desired))
    };
    // The rules over the state the plan leads to: what the plan cannot fix, as it lies
    // outside the managed scope.
    let rules = match desired {
        Some(desired) => broken_rules(&crate::live::rules::violations(model, &desired, &scope), &c.ws),
        None => Vec::new(),
    };
    Ok(Some(Planned { target: c.target().clone(), state: c.state, plan, rules }))
}

pub fn run(mut args: PlanArgs) -> Result<ExitCode, String> {
    args.live = args.live.resolve()?;
    let planned = plan(&args.live, args.successor.as_deref());
    let planned = match planned {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(ExitCode::from(1)),
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    warn(&planned.plan);
    for r in &planned.rules {
        eprint!(
            "{}",
            crate::diagnostics::render::terminal_lines(&format!(
                "warning: after this plan the database still breaks a rule, outside the managed scope:\n{}",
                r.lines("  ")
            ))
        );
    }
    match args.format {
        PlanFormat::Human => out!("{}", human(&planned)),
        PlanFormat::Json => outln!("{}", serde_json::to_string_pretty(&json(&planned)).map_err(|e| e.to_string())?),
        PlanFormat::Markdown => out!("{}", markdown(&planned)),
    }
    Ok(if args.detailed_exitcode && !planned.plan.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// The plan as SQL with comments: it can be read, or run with psql.
pub fn human(p: &Planned) -> String {
    plan_text(&p.target, p.state.server_version, &p.plan)
}

/// [`human`] from its parts, for `apply`, which prints a plan it keeps.
pub fn plan_text(target: &Target, server_version: u32, plan: &ChangePlan) -> String {
    let version = format!("{}.{}", server_version / 10000, server_version % 10000);
    let mut out = format!("{}\n", comment(&format!("rolec plan for {target} (PostgreSQL {version})")));
    if plan.is_empty() {
        out.push_str("-- no changes: the database matches the policy\n");
        return out;
    }
    let n = plan.changes.len();
    let destructive = plan.changes.iter().filter(|c| c.destructive).count();
    out.push_str(&format!(
        "-- {n} change{}{}\n",
        if n == 1 { "" } else { "s" },
        if destructive > 0 { format!(", {destructive} destructive") } else { String::new() }
    ));
    // A policy over several databases: psql connects to each before its statements.
    let mut connected: Option<&str> = None;
    for c in &plan.changes {
        if let Some(db) = c.database.as_deref().filter(|db| connected != Some(*db)) {
            match psql_connect(db) {
                Some(line) => out.push_str(&format!("{line}\n")),
                None => out.push_str(&comment(&format!("in database {db}:"))),
            }
            connected = Some(db);
        }
        if let Some(note) = &c.note {
            out.push_str(&comment(note));
            out.push('\n');
        }
        if c.destructive {
            out.push_str("-- DESTRUCTIVE\n");
        }
        out.push_str(&c.sql);
        out.push('\n');
    }
    out
}

/// The plan as Markdown: a heading with the target, the counts, the warnings, and the
/// statements (as [`human`] prints them) in a fenced `sql` block.
pub fn markdown(p: &Planned) -> String {
    use super::markdown::{fenced, target, text};
    let version = format!("{}.{}", p.state.server_version / 10000, p.state.server_version % 10000);
    let mut out = format!("## rolec plan\n\n{} (PostgreSQL {version})\n\n", target(&p.target));
    let n = p.plan.changes.len();
    if n == 0 {
        out.push_str("No changes: the database matches the policy.\n");
    } else {
        let destructive = p.plan.changes.iter().filter(|c| c.destructive).count();
        out.push_str(&format!("**{n}** change{}, **{destructive}** destructive\n", if n == 1 { "" } else { "s" }));
    }
    let notes = p.plan.warnings.iter().map(|w| format!("warning: {w}"));
    let notes = notes.chain(p.plan.blockers.iter().map(|b| format!("blocked: {b} (apply refuses this plan)")));
    let notes = notes.chain(p.rules.iter().map(|r| format!("rule {} still broken: {}", r.code, r.message)));
    let notes: Vec<String> = notes.map(|l| format!("- {}\n", text(&l))).collect();
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes.concat());
    }
    if n > 0 {
        out.push('\n');
        out.push_str(&fenced("sql", &human(p)));
    }
    out
}

pub fn json(p: &Planned) -> serde_json::Value {
    serde_json::json!({
        "format": "rolec-plan/1",
        "database": p.target.dbname,
        "user": p.target.user,
        "server_version": p.state.server_version,
        "hash": p.plan.hash(),
        "destructive": p.plan.is_destructive(),
        "changes": p.plan.changes,
        "warnings": p.plan.warnings,
        "blockers": p.plan.blockers,
        "rules": p.rules,
    })
}

pub fn warn(plan: &ChangePlan) {
    for w in &plan.warnings {
        eprintln!("warning: {}", crate::diagnostics::render::terminal_lines(&w.to_string()));
    }
    for b in &plan.blockers {
        eprintln!("warning: {} (apply refuses this plan)", crate::diagnostics::render::terminal_lines(&b.to_string()));
    }
}
