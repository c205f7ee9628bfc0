//! `rolec apply --db URL POLICY`: in one transaction under an advisory lock, reads the
//! database, makes the plan (printed), and runs it; with `--plan FILE` the plan must still be the
//! saved one (and the saved file's changes must match its hash). Destructive steps need
//! `--allow-drop`. An attempt aborted by a conflict with another session is made again. Exit
//! codes: 0 applied (or nothing to do), 1 error or refused (nothing changed).

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::plan::{diff_with, plan_text, scope_for, warn, with_live_catalog};
use super::LiveArgs;
use crate::live::connect::process_env;
use crate::live::diff::databases::DatabaseState;
use crate::live::LiveState;

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    live: LiveArgs,
    /// Apply only if the plan is still this saved one (`rolec plan --format json > FILE`)
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Run destructive steps (DROP ROLE, REASSIGN/DROP OWNED, revoking a membership from a login role)
    #[arg(long)]
    allow_drop: bool,
    /// A role to drop that owns objects gives them to ROLE (REASSIGN OWNED, then DROP OWNED; in
    /// the connected database)
    #[arg(long, value_name = "ROLE")]
    successor: Option<String>,
    /// Why this apply is run (a ticket, a change request), recorded in rolec.ledger
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

pub fn run(mut args: ApplyArgs) -> Result<ExitCode, String> {
    args.live = args.live.resolve()?;
    match apply(&args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {}", crate::diagnostics::render::terminal_lines(&e.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}

fn apply(args: &ApplyArgs) -> Result<ExitCode, String> {
    let saved_hash = args.plan.as_deref().map(saved_plan_hash).transpose()?;
    // The connections: the policy's first database (or `--db`'s), and the other databases it
    // names that are compared.
    let cluster = super::databases::read(&args.live)?.ok_or("the policy has errors: nothing was applied")?;
    let (several, main_compared) = (cluster.several(), cluster.main_compared);
    let mut conn = cluster.main;
    // The policy loaded for the read above, compared again with each state read under the lock.
    let ws = RefCell::new(cluster.ws);
    let mut others: Vec<(String, crate::live::Connection)> =
        cluster.others.into_iter().map(|(n, c, _)| (n, c)).collect();
    let names: Vec<String> = others.iter().map(|(n, _)| n.clone()).collect();
    let target = conn.target.clone();
    let successor = args.successor.as_deref();
    // The plan is made inside the transaction: what is printed is what runs. An attempt tried
    // again after a conflict makes it again; it is printed again only if it changed.
    let printed: Cell<Option<String>> = Cell::new(None);
    let plan_for = |state: &LiveState, states: &[LiveState]| {
        let resolved = {
            let mut ws = ws.borrow_mut();
            if !with_live_catalog(&args.live.policy, &mut ws, state) {
                return Err("the policy has errors: nothing was applied".to_string());
            }
            ws.resolved()
        };
        let plan = if several {
            let scope = scope_for(&resolved.model, state, &args.live.manage, successor)?;
            let main = main_compared.then(|| DatabaseState { name: &target.dbname, state });
            let compared: Vec<DatabaseState> = main
                .into_iter()
                .chain(names.iter().zip(states).map(|(name, state)| DatabaseState { name, state }))
                .collect();
            crate::live::diff::databases::diff(&resolved.model, state, &compared, &scope)
        } else {
            diff_with(&resolved.model, state, &args.live.manage, successor)?
        };
        let before = printed.replace(Some(plan.hash()));
        if before.as_deref() == Some(plan.hash().as_str()) {
            return Ok(plan);
        }
        warn(&plan);
        if saved_hash.is_none() {
            if before.is_some() {
                outln!("-- the plan changed while waiting for another session; made again:");
            }
            out!("{}", plan_text(&target, state.server_version, &plan));
        }
        Ok(plan)
    };
    let applied = crate::live::apply::apply_in(
        &mut conn,
        &mut others,
        &plan_for,
        &crate::live::apply::ApplyOptions {
            saved_hash: saved_hash.as_deref(),
            allow_drop: args.allow_drop,
            secret: &process_env,
            reason: args.reason.as_deref(),
        },
    )
    .map_err(|e| e.to_string())?;
    for (i, conflict) in applied.conflicts.iter().enumerate() {
        let first = conflict.lines().next().unwrap_or_default();
        eprintln!(
            "warning: attempt {} of {} was aborted by a conflict with another session ({first}) and made again",
            i + 1,
            crate::live::apply::ATTEMPTS
        );
    }
    let n = applied.plan.changes.len();
    let windows = &applied.plan.windows;
    if n == 0 && !windows.is_empty() {
        eprintln!(
            "nothing to apply; rolec.windows: {} time window{} recorded, {} forgotten",
            windows.record.len(),
            if windows.record.len() == 1 { "" } else { "s" },
            windows.forget.len()
        );
    } else if n == 0 {
        eprintln!("nothing to apply: the database matches the policy");
    } else {
        eprintln!(
            "applied {n} statement{} (plan {}), recorded in rolec.ledger",
            if n == 1 { "" } else { "s" },
            &applied.plan.hash()[..12]
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The hash of a saved plan (`rolec plan --format json`), checked against the changes the file
/// lists: a reviewer reads those, so a file whose statements were edited (or added or removed)
/// after `plan` wrote it is refused before anything connects.
fn saved_plan_hash(path: &Path) -> Result<String, String> {
    let file = path.display();
    let text =
        crate::db::files::read_text(path, crate::db::files::PLAN).map_err(|e| format!("cannot read `{file}`: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("`{file}` is not a saved plan: {e}"))?;
    if json["format"] != "rolec-plan/1" {
        return Err(format!("`{file}` is not a saved plan (`rolec plan --format json`)"));
    }
    let hash = json["hash"].as_str().ok_or_else(|| format!("`{file}` has no plan hash"))?;
    let changes = json["changes"].as_array().ok_or_else(|| format!("`{file}` lists no changes"))?;
    let statements = changes
        .iter()
        .enumerate()
        .map(|(i, c)| c["sql"].as_str().ok_or_else(|| format!("`{file}`: change {} has no `sql`", i + 1)))
        .collect::<Result<Vec<&str>, String>>()?;
    if crate::live::diff::statements_hash(statements) != hash {
        return Err(format!("`{file}`: the listed changes do not match the plan's hash (the file was edited after `rolec plan` wrote it): nothing was applied"));
    }
    Ok(hash.to_string())
}
