//! Memberships of roles in scope: granted, revoked, and their options (ADMIN; INHERIT and SET
//! from PostgreSQL 16, where one membership may be granted by several grantors).

use std::collections::BTreeMap;

use super::audit::Finding;
use super::plan::{Change, ChangePlan, PlanPhase};
use super::roles::wanted_attribute;
use super::windows::{self, Window, WindowBook};
use super::Context;
use crate::model::catalog::LiveMembership;
use crate::pg::quote::ident;
use crate::syntax::ast::AttributeKind;

/// The options the policy wants a membership to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MembershipOptions {
    pub admin: bool,
    pub inherit: bool,
    pub set: bool,
}

/// One (role, member) pair the policy or the server has, for a member in scope.
pub(crate) struct MembershipComparison<'a> {
    pub role: String,
    pub member: String,
    /// `None`: the policy does not grant it.
    pub want: Option<MembershipOptions>,
    /// The server's rows, one per grantor; empty when not granted.
    pub have: Vec<&'a LiveMembership>,
    /// Revoking it takes a membership from a user (a login role), and the policy's time
    /// window for it did not just close.
    pub revokes_from_user: bool,
    /// The policy's window (and reason) for it: open when `want` is set, else closed.
    pub window: Option<Window>,
}

/// The memberships of members in scope, by (role, member).
pub(crate) struct MembershipsComparison<'a> {
    /// From PostgreSQL 16: per-membership INHERIT and SET, several grantors, `GRANTED BY`.
    pub v16: bool,
    pub current_user: &'a str,
    pub pairs: Vec<MembershipComparison<'a>>,
    /// What an apply records of the relative windows (`rolec.windows`).
    pub windows: WindowBook,
}

pub(crate) fn compare<'a>(cx: &Context<'a>) -> MembershipsComparison<'a> {
    let (model, live, scope) = (cx.model, cx.live, cx.scope);
    // The windows of the policy's memberships in scope, relative ones from their records.
    let mut window_of: BTreeMap<(String, String), Window> = BTreeMap::new();
    let mut timed = Vec::new();
    for m in model.memberships.iter().filter(|m| scope.manages(&m.member)) {
        if let Some(w) = windows::evaluate(m, &live.windows) {
            window_of.entry((m.role.clone(), m.member.clone())).or_insert_with(|| w.clone());
            timed.push((&**m, w));
        }
    }
    let open =
        |m: &crate::model::Membership| window_of.get(&(m.role.clone(), m.member.clone())).map_or(m.active, |w| w.open);
    let mut want: BTreeMap<(String, String), MembershipOptions> = BTreeMap::new();
    for m in model.memberships.iter().filter(|m| scope.manages(&m.member) && open(m)) {
        let member_inherit = cx
            .model_roles
            .get(m.member.as_str())
            .map(|r| wanted_attribute(r, AttributeKind::Inherit, true))
            .unwrap_or(true);
        let options = MembershipOptions {
            admin: false,
            inherit: m.inherit.unwrap_or(member_inherit),
            set: m.set.unwrap_or(true),
        };
        want.entry((m.role.clone(), m.member.clone())).or_insert(options).admin |= m.admin;
    }
    let mut have: BTreeMap<(String, String), Vec<&LiveMembership>> = BTreeMap::new();
    for m in &live.memberships {
        if scope.manages(&m.member) && !cx.dropped(&m.member) && !cx.dropped(&m.role) {
            have.entry((m.role.clone(), m.member.clone())).or_default().push(m);
        }
    }
    let mut pairs: BTreeMap<(String, String), MembershipComparison> = BTreeMap::new();
    for ((role, member), rows) in have {
        let want = want.remove(&(role.clone(), member.clone()));
        let window = window_of.remove(&(role.clone(), member.clone()));
        let revokes_from_user = want.is_none() && {
            let expired = window.as_ref().is_some_and(|w| !w.open)
                || model.memberships.iter().any(|m| !m.active && m.role == role && m.member == member);
            live.role(&member).is_some_and(|r| r.login) && !expired
        };
        let pair = MembershipComparison {
            role: role.clone(),
            member: member.clone(),
            want,
            have: rows,
            revokes_from_user,
            window,
        };
        pairs.insert((role, member), pair);
    }
    for ((role, member), options) in want {
        let window = window_of.remove(&(role.clone(), member.clone()));
        let pair = MembershipComparison {
            role: role.clone(),
            member: member.clone(),
            want: Some(options),
            have: Vec::new(),
            revokes_from_user: false,
            window,
        };
        pairs.insert((role, member), pair);
    }
    // Closed windows of memberships not granted: nothing to do, but `check` shows them.
    for ((role, member), window) in window_of.into_iter().filter(|(_, w)| !w.open && w.bounded()) {
        if !cx.dropped(&member) && !cx.dropped(&role) && !pairs.contains_key(&(role.clone(), member.clone())) {
            let pair = MembershipComparison {
                role: role.clone(),
                member: member.clone(),
                want: None,
                have: Vec::new(),
                revokes_from_user: false,
                window: Some(window),
            };
            pairs.insert((role, member), pair);
        }
    }
    MembershipsComparison {
        v16: live.major() >= 16,
        current_user: &live.current_user,
        pairs: pairs.into_values().collect(),
        windows: windows::book(&timed, &live.windows, &|m| scope.manages(m) && !cx.dropped(m)),
    }
}

impl MembershipsComparison<'_> {
    /// Revokes of memberships the policy does not grant, then grants and option changes.
    pub fn plan(&self, plan: &mut ChangePlan) {
        plan.windows.record.extend(self.windows.record.iter().cloned());
        plan.windows.forget.extend(self.windows.forget.iter().cloned());
        let v16 = self.v16;
        let granted_by = |grantor: &Option<String>| match grantor {
            Some(g) if v16 && g != self.current_user => format!(" GRANTED BY {}", ident(g)),
            _ => String::new(),
        };
        for pair in self.pairs.iter().filter(|p| p.want.is_none()) {
            let mut grantors: Vec<&Option<String>> = pair.have.iter().map(|r| &r.grantor).collect();
            grantors.dedup();
            if !v16 {
                grantors.truncate(1);
            }
            let closed = pair.window.as_ref().filter(|w| !w.open);
            for g in grantors {
                let sql = format!("REVOKE {} FROM {}{};", ident(&pair.role), ident(&pair.member), granted_by(g));
                if let Some(w) = closed {
                    plan.windows.applied.push((sql.clone(), w.clone()));
                }
                plan.push(if pair.revokes_from_user {
                    let note = format!("revokes a membership from the login role `{}` (a user)", pair.member);
                    Change::destructive(PlanPhase::RevokeMemberships, sql, note)
                } else if let Some(w) = closed {
                    Change { note: Some(w.closed_text()), ..Change::new(PlanPhase::RevokeMemberships, sql) }
                } else {
                    Change::new(PlanPhase::RevokeMemberships, sql)
                });
            }
        }
        for pair in &self.pairs {
            let Some(MembershipOptions { admin, inherit, set }) = pair.want else { continue };
            let (r, m) = (ident(&pair.role), ident(&pair.member));
            if pair.have.is_empty() {
                let mut options = Vec::new();
                if v16 {
                    if admin {
                        options.push("ADMIN TRUE".to_string());
                    }
                    options.push(format!("INHERIT {}", if inherit { "TRUE" } else { "FALSE" }));
                    options.push(format!("SET {}", if set { "TRUE" } else { "FALSE" }));
                } else if admin {
                    options.push("ADMIN OPTION".to_string());
                }
                let with = if options.is_empty() { String::new() } else { format!(" WITH {}", options.join(", ")) };
                let mut change = Change::new(PlanPhase::GrantMemberships, format!("GRANT {r} TO {m}{with};"));
                if let Some(w) = &pair.window {
                    plan.windows.applied.push((change.sql.clone(), w.clone()));
                    change.note = Some(format!("window: {}", w.describe()));
                }
                plan.push(change);
                continue;
            }
            // The membership exists (on 16+ maybe from several grantors): fix its options.
            if admin && !pair.have.iter().any(|x| x.admin) {
                plan.push(Change::new(
                    PlanPhase::GrantMemberships,
                    format!("GRANT {r} TO {m} WITH ADMIN {};", if v16 { "TRUE" } else { "OPTION" }),
                ));
            }
            for row in &pair.have {
                let by = granted_by(&row.grantor);
                if !admin && row.admin {
                    plan.push(Change::new(
                        PlanPhase::RevokeMemberships,
                        format!("REVOKE ADMIN OPTION FOR {r} FROM {m}{by};"),
                    ));
                }
                if !v16 {
                    continue;
                }
                for (option, want, have) in [("INHERIT", inherit, row.inherit), ("SET", set, row.set)] {
                    if want && !have {
                        plan.push(Change::new(
                            PlanPhase::GrantMemberships,
                            format!("GRANT {r} TO {m} WITH {option} TRUE{by};"),
                        ));
                    } else if !want && have {
                        plan.push(Change::new(
                            PlanPhase::RevokeMemberships,
                            format!("REVOKE {option} OPTION FOR {r} FROM {m}{by};"),
                        ));
                    }
                }
            }
        }
    }

    /// Findings for the memberships (the policy's, then those only the server has), and the
    /// memberships of the desired state.
    pub fn audit(&self, cx: &Context<'_>, findings: &mut Vec<Finding>) -> Vec<LiveMembership> {
        let v16 = self.v16;
        let text = |o: MembershipOptions| {
            if v16 {
                format!("granted (admin {}, inherit {}, set {})", o.admin, o.inherit, o.set)
            } else {
                format!("granted (admin {})", o.admin)
            }
        };
        // Admin counts when any grantor's row has it; inherit and set are fixed row by row, so
        // rows that disagree are `mixed`.
        let options_text = |rows: &[&LiveMembership]| {
            if rows.is_empty() {
                return "not granted".to_string();
            }
            let admin = rows.iter().any(|r| r.admin);
            if !v16 {
                return format!("granted (admin {admin})");
            }
            let all = |f: &dyn Fn(&LiveMembership) -> bool| match (rows.iter().all(|r| f(r)), rows.iter().any(|r| f(r)))
            {
                (true, _) => "true",
                (false, false) => "false",
                (false, true) => "mixed",
            };
            format!("granted (admin {admin}, inherit {}, set {})", all(&|r| r.inherit), all(&|r| r.set))
        };
        // A window is shown with what the policy expects, and with what is granted when it matches.
        let window = |w: &Option<Window>| match w {
            Some(w) if w.bounded() => format!("; window {}", w.describe()),
            _ => String::new(),
        };
        for pair in &self.pairs {
            let Some(want) = pair.want else { continue };
            let (expected, actual) = (text(want), options_text(&pair.have));
            let ok = expected == actual;
            let window = window(&pair.window);
            let actual = if ok { format!("{actual}{window}") } else { actual };
            findings.push(Finding::new(
                ok,
                &pair.member,
                format!("member of {}", pair.role),
                format!("{expected}{window}"),
                actual,
            ));
        }
        for pair in self.pairs.iter().filter(|p| p.want.is_none()) {
            let actual = options_text(&pair.have);
            let expected = match pair.window.as_ref().filter(|w| !w.open) {
                Some(w) => format!("not granted: {}", w.closed_text()),
                None => "not granted".to_string(),
            };
            let ok = pair.have.is_empty();
            let actual = if ok { expected.clone() } else { actual };
            findings.push(Finding::new(ok, &pair.member, format!("member of {}", pair.role), expected, actual));
        }
        desired_memberships(self, cx)
    }
}

/// The memberships once the plan has run: those of members out of scope as they are (but
/// of dropped roles), and the policy's, one row per grantor kept (admin on the first).
fn desired_memberships(c: &MembershipsComparison<'_>, cx: &Context<'_>) -> Vec<LiveMembership> {
    let live = cx.live;
    let mut kept: Vec<LiveMembership> = live
        .memberships
        .iter()
        .filter(|m| !cx.scope.manages(&m.member) && !cx.dropped(&m.role) && !cx.dropped(&m.member))
        .cloned()
        .collect();
    for pair in &c.pairs {
        let Some(MembershipOptions { admin, inherit, set }) = pair.want else { continue };
        let grantors: Vec<Option<String>> = if pair.have.is_empty() {
            vec![Some(live.current_user.clone())]
        } else {
            pair.have.iter().map(|r| r.grantor.clone()).collect()
        };
        for (i, grantor) in grantors.into_iter().enumerate() {
            kept.push(LiveMembership {
                role: pair.role.clone(),
                member: pair.member.clone(),
                grantor,
                admin: admin && i == 0,
                inherit,
                set,
            });
        }
    }
    kept
}
