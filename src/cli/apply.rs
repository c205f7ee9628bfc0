//! `rolec apply --db URL POLICY`: in one transaction under an advisory lock, reads the
//! database, makes the plan (printed), and runs it; with `--plan FILE` the plan must still be the
//! saved one. Destructive steps need `--allow-drop`. Exit codes: 0 applied (or nothing to do),
//! 1 error or refused (nothing changed).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::plan::{diff_with, load_model, plan_text, warn};
use super::LiveArgs;
use crate::live::connect::process_env;
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
}

pub fn run(args: ApplyArgs) -> Result<ExitCode, String> {
    match apply(&args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn apply(args: &ApplyArgs) -> Result<ExitCode, String> {
    let saved_hash = match &args.plan {
        Some(path) => {
            let text = crate::db::files::read_text(path, crate::db::files::PLAN).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("`{}` is not a saved plan: {e}", path.display()))?;
            if json["format"] != "rolec-plan/1" {
                return Err(format!("`{}` is not a saved plan (`rolec plan --format json`)", path.display()));
            }
            Some(json["hash"].as_str().ok_or_else(|| format!("`{}` has no plan hash", path.display()))?.to_string())
        }
        None => None,
    };
    let mut conn = crate::live::connect(&args.live.db, &process_env)?;
    let target = conn.target.clone();
    let successor = args.successor.as_deref();
    // The plan is made once, inside the transaction: what is printed is what runs.
    let plan_for = |state: &LiveState| {
        let resolved = load_model(&args.live.policy, state)?.ok_or("the policy has errors: nothing was applied")?;
        let plan = diff_with(&resolved.model, state, &args.live.manage, successor)?;
        warn(&plan);
        if saved_hash.is_none() {
            print!("{}", plan_text(&target, state.server_version, &plan));
        }
        Ok(plan)
    };
    let applied = crate::live::apply::apply(&mut conn, &plan_for, saved_hash.as_deref(), args.allow_drop, &process_env)?;
    let n = applied.plan.changes.len();
    if n == 0 {
        eprintln!("nothing to apply: the database matches the policy");
    } else {
        eprintln!("applied {n} statement{} (plan {}), recorded in rolec.ledger", if n == 1 { "" } else { "s" }, &applied.plan.hash()[..12]);
    }
    Ok(ExitCode::SUCCESS)
}
