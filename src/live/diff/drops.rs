//! Roles to drop: managed by the scope (declared before, matched by `--manage`, or created by
//! rolec), present on the server, no longer declared.

use super::audit::Finding;
use super::plan::{Change, ChangePlan, PlanPhase};
use super::Context;
use crate::live::state::LiveState;
use crate::pg::quote::ident;

/// A role to drop and what it owns in this database.
pub(crate) struct RoleDrop<'a> {
    pub role: &'a str,
    /// `schema `s``, `` `s.t` ``, `default privileges on tables`: what it owns here.
    pub owned: Vec<String>,
    /// The role that takes over what it owns (`--successor`), unless dropped too.
    pub successor: Option<&'a str>,
    pub database: &'a str,
    /// Created by rolec (`rolec.roles`) rather than only matched by `--manage`: retired.
    pub retired: bool,
}

pub(crate) fn compare<'a>(cx: &Context<'a>) -> Vec<RoleDrop<'a>> {
    let live = cx.live;
    let mut drops = Vec::new();
    for role in live.roles.iter().filter(|r| cx.scope.is_undeclared(&r.name)) {
        drops.push(RoleDrop {
            role: &role.name,
            owned: owned_by(live, &role.name),
            successor: cx.scope.successor().filter(|s| !cx.dropped(s)),
            database: &live.database,
            retired: cx.scope.is_retired(&role.name),
        });
    }
    drops
}

fn owned_by(live: &LiveState, role: &str) -> Vec<String> {
    let schemas =
        live.schemas.iter().filter(|s| s.owner.as_deref() == Some(role)).map(|s| format!("schema `{}`", s.name));
    let objects =
        live.objects.iter().filter(|o| o.owner.as_deref() == Some(role)).map(|o| format!("`{}.{}`", o.schema, o.name));
    let defaults =
        live.default_privileges.iter().filter(|d| d.owner == role).map(|d| format!("default privileges on {}", d.kind));
    schemas.chain(objects).chain(defaults).collect()
}

impl RoleDrop<'_> {
    /// With a successor, `REASSIGN OWNED` and `DROP OWNED` first; without one, a role that
    /// owns something blocks the plan. Then `DROP ROLE`.
    pub fn plan(&self, plan: &mut ChangePlan) {
        let (role, database) = (self.role, self.database);
        match self.successor {
            // With a successor, every role to drop hands over what it owns (objects here, and
            // shared objects such as databases, which the live state does not list).
            Some(s) => {
                let what = if self.owned.is_empty() { "what it owns".to_string() } else { self.owned.join(", ") };
                for sql in [format!("REASSIGN OWNED BY {} TO {};", ident(role), ident(s)), format!("DROP OWNED BY {};", ident(role))] {
                    let note = format!("`{role}` gives {what} to `{s}` in database `{database}` (this database only; other databases need the same)");
                    plan.push(Change::destructive(PlanPhase::DropRoles, sql, note));
                }
            }
            None if self.owned.is_empty() => {}
            None => plan.blockers.push(format!(
                "role `{role}` is to be dropped but owns {} in database `{database}`: reassign or drop them first (REASSIGN OWNED BY … TO …, in every database), or give `--successor ROLE`",
                self.owned.join(", "),
            )),
        }
        let note = if self.retired {
            "created by rolec (rolec.roles) and no longer declared: retired".to_string()
        } else {
            "managed but no longer declared".to_string()
        };
        let mut c = Change::destructive(PlanPhase::DropRoles, format!("DROP ROLE {};", ident(role)), note);
        c.drops_role = Some(role.to_string());
        plan.push(c);
    }

    /// What dropping the role needs in another database of the policy (`state`, read there),
    /// whose statements run in that database before `DROP ROLE` runs in the first: with a
    /// successor, `REASSIGN OWNED`; then `DROP OWNED` (what it still holds there: privileges,
    /// default privileges). Without a successor, what it owns there blocks the plan.
    pub fn plan_in(&self, state: &LiveState, plan: &mut ChangePlan) {
        let (role, database) = (self.role, state.database.as_str());
        let owned = owned_by(state, role);
        let mut statements = Vec::new();
        match self.successor {
            Some(s) => statements.push(format!("REASSIGN OWNED BY {} TO {};", ident(role), ident(s))),
            None if owned.is_empty() => {}
            None => {
                plan.blockers.push(format!(
                    "role `{role}` is to be dropped but owns {} in database `{database}`: give `--successor ROLE`, or reassign or drop them there first",
                    owned.join(", "),
                ));
                return;
            }
        }
        statements.push(format!("DROP OWNED BY {};", ident(role)));
        for sql in statements {
            let note = format!("`{role}` is dropped: what it owns or holds in database `{database}` goes first");
            plan.push(Change::destructive(PlanPhase::DropRoles, sql, note));
        }
    }

    /// The finding; the caller removes the role and what it holds from the desired state.
    pub fn audit(&self, findings: &mut Vec<Finding>) {
        let expected =
            if self.retired { "absent (created by rolec, not declared)" } else { "absent (managed, not declared)" };
        findings.push(Finding::new(false, self.role, "role", expected, "present"));
    }
}
