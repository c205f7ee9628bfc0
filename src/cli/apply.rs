//! `rolec apply --db URL POLICY`: runs the plan in one transaction under an advisory lock.
//! The plan is made again inside the transaction and must be the one shown (or the saved one
//! given with `--plan FILE`); destructive steps need `--allow-drop`. Exit codes: 0 applied (or
//! nothing to do), 1 error or refused (nothing changed).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::plan::{diff_with, human, load_model, warn, Planned};
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
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("`{}` is not a saved plan: {e}", path.display()))?;
            if json["format"] != "rolec-plan/1" {
                return Err(format!("`{}` is not a saved plan (`rolec plan --format json`)", path.display()));
            }
            Some(json["hash"].as_str().ok_or_else(|| format!("`{}` has no plan hash", path.display()))?.to_string())
        }
        None => None,
    };
    let mut conn = crate::live::connect(&args.live.db, &process_env)?;
    let state = crate::live::introspect(&mut conn.client)?;
    let Some(resolved) = load_model(&args.live.policy, &state)? else { return Ok(ExitCode::from(1)) };
    let successor = args.successor.as_deref();
    let plan = diff_with(&resolved.model, &state, &args.live.manage, successor)?;
    warn(&plan);
    let expected = match saved_hash {
        Some(h) => {
            if h != plan.hash() {
                return Err("the database or the policy changed since the saved plan was made: nothing was applied".to_string());
            }
            h
        }
        None => {
            print!("{}", human(&Planned { target: conn.target.clone(), state, plan: plan.clone() }));
            plan.hash()
        }
    };
    let plan_for = |s: &LiveState| diff_with(&resolved.model, s, &args.live.manage, successor);
    let applied = crate::live::apply::apply(&mut conn, &plan_for, &expected, args.allow_drop, &process_env)?;
    let n = applied.plan.changes.len();
    if n == 0 {
        eprintln!("nothing to apply: the database matches the policy");
    } else {
        eprintln!("applied {n} statement{} (plan {}), recorded in rolec.ledger", if n == 1 { "" } else { "s" }, &expected[..12]);
    }
    Ok(ExitCode::SUCCESS)
}
