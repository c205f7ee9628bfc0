//! Memberships of roles in scope: granted, revoked, and their options (ADMIN; INHERIT and SET
//! from PostgreSQL 16, where one membership may be granted by several grantors).
//!
//! From 16, a membership granted by a role that is neither a superuser nor the connecting role
//! (with its ADMIN option) is out of band: the policy's memberships are those rolec grants, so
//! such a grant is revoked `GRANTED BY` its grantor, and the membership granted by rolec if the
//! policy wants it. Revokes run deepest grant first, with `CASCADE` only where grants the plan
//! keeps rest on the ADMIN option revoked (see [`super::grantors`]).

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::audit::Finding;
use super::grantors::{analyse, Grant};
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
    /// The server's rows, one per grantor; empty when not granted. For a membership the policy
    /// wants, only those of rolec's grantors (the connecting role, superusers).
    pub have: Vec<&'a LiveMembership>,
    /// For a membership the policy wants (16+): the rows of other grantors, revoked.
    pub others: Vec<&'a LiveMembership>,
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
    /// (role, grantor) → the grantor's depth in the role's chains of grants (16+, only for
    /// roles with grants by others than superusers): deeper grants are revoked first.
    pub depth: HashMap<(String, String), usize>,
    /// (role, member) → the grants `CASCADE` drops when the member loses its ADMIN option.
    pub cascades: HashMap<(String, String), Vec<String>>,
    /// Those grants: (role, member, grantor).
    pub cascaded: HashSet<(String, String, Option<String>)>,
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
    let v16 = live.major() >= 16;
    // rolec's grantors: what a superuser grants is recorded as granted by the bootstrap superuser.
    let own = |grantor: &Option<String>| match grantor {
        None => true,
        Some(g) => g == &live.current_user || cx.live_roles.get(g.as_str()).is_some_and(|r| r.superuser),
    };
    let mut pairs: BTreeMap<(String, String), MembershipComparison> = BTreeMap::new();
    for ((role, member), rows) in have {
        let want = want.remove(&(role.clone(), member.clone()));
        let window = window_of.remove(&(role.clone(), member.clone()));
        let revokes_from_user = want.is_none() && {
            let expired = window.as_ref().is_some_and(|w| !w.open)
                || model.memberships.iter().any(|m| !m.active && m.role == role && m.member == member);
            live.role(&member).is_some_and(|r| r.login) && !expired
        };
        let (rows, others) =
            if want.is_some() && v16 { rows.into_iter().partition(|r| own(&r.grantor)) } else { (rows, Vec::new()) };
        let pair = MembershipComparison {
            role: role.clone(),
            member: member.clone(),
            want,
            have: rows,
            others,
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
            others: Vec::new(),
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
                others: Vec::new(),
                revokes_from_user: false,
                window: Some(window),
            };
            pairs.insert((role, member), pair);
        }
    }
    let mut c = MembershipsComparison {
        v16,
        current_user: &live.current_user,
        pairs: pairs.into_values().collect(),
        windows: windows::book(&timed, &live.windows, &|m| scope.manages(m) && !cx.dropped(m)),
        depth: HashMap::new(),
        cascades: HashMap::new(),
        cascaded: HashSet::new(),
    };
    if v16 {
        chains(cx, &mut c, &own);
    }
    c
}

/// Depths and what `CASCADE` drops, for the roles with memberships granted by others than
/// rolec's grantors (16+: before, a membership does not rest on its grantor's ADMIN option).
fn chains(cx: &Context<'_>, c: &mut MembershipsComparison<'_>, own: &dyn Fn(&Option<String>) -> bool) {
    let live = cx.live;
    let roles: HashSet<&str> = live.memberships.iter().filter(|m| !own(&m.grantor)).map(|m| m.role.as_str()).collect();
    if roles.is_empty() {
        return;
    }
    // What the revokes leave of each compared row: (role, member, grantor) → ADMIN option.
    let mut after: HashMap<(&str, &str, Option<&str>), Option<bool>> = HashMap::new();
    for pair in c.pairs.iter().filter(|p| roles.contains(p.role.as_str())) {
        let admin = pair.want.map(|w| w.admin);
        for row in &pair.have {
            let kept = admin.map(|a| a && row.admin);
            after.insert((&row.role, &row.member, row.grantor.as_deref()), kept);
        }
        for row in &pair.others {
            after.insert((&row.role, &row.member, row.grantor.as_deref()), None);
        }
    }
    let mut by_role: BTreeMap<&str, Vec<Grant<'_, ()>>> = BTreeMap::new();
    for m in live.memberships.iter().filter(|m| roles.contains(m.role.as_str())) {
        let before = Some(m.admin);
        let compared = cx.scope.manages(&m.member) && !cx.dropped(&m.member) && !cx.dropped(&m.role);
        let after = match after.get(&(m.role.as_str(), m.member.as_str(), m.grantor.as_deref())) {
            Some(a) => *a,
            None if compared => None,
            None => before,
        };
        let grant = Grant {
            privilege: (),
            grantor: m.grantor.as_deref().unwrap_or(""),
            grantee: Some(&m.member),
            before,
            after,
        };
        by_role.entry(&m.role).or_default().push(grant);
    }
    // A superuser's grants rest on nothing; the connecting role's on its own ADMIN option.
    let root = |g: &str| g.is_empty() || cx.live_roles.get(g).is_some_and(|r| r.superuser);
    for (role, grants) in by_role {
        let chains = analyse(&grants, &root);
        for g in &grants {
            c.depth.insert((role.to_string(), g.grantor.to_string()), chains.depth(g.grantor));
        }
        for holder in chains.losing() {
            let dropped = chains.dropped_with(holder);
            let text = dropped.iter().map(|&i| {
                let g = &grants[i];
                format!("{} granted by {} to {}", role, g.grantor, g.grantee.unwrap_or_default())
            });
            c.cascades.insert((role.to_string(), holder.to_string()), text.collect());
            for i in dropped {
                let g = &grants[i];
                let grantor = (!g.grantor.is_empty()).then(|| g.grantor.to_string());
                c.cascaded.insert((role.to_string(), g.grantee.unwrap_or_default().to_string(), grantor));
            }
        }
    }
}

impl MembershipsComparison<'_> {
    /// The grants `CASCADE` drops when `member` loses its ADMIN option on `role`, as a note.
    fn cascade_note(&self, role: &str, member: &str) -> Option<String> {
        let dropped = self.cascades.get(&(role.to_string(), member.to_string()))?;
        Some(format!("CASCADE also revokes the memberships granted on its ADMIN option: {}", dropped.join("; ")))
    }

    /// How deep `grantor`'s grants of `role` are (0 but where others than superusers grant).
    fn depth(&self, role: &str, grantor: &Option<String>) -> usize {
        let key = (role.to_string(), grantor.clone().unwrap_or_default());
        self.depth.get(&key).copied().unwrap_or(0)
    }

    /// Revokes of memberships the policy does not grant and of those other grantors granted
    /// (deepest grant first), then grants and option changes.
    pub fn plan(&self, plan: &mut ChangePlan) {
        plan.windows.record.extend(self.windows.record.iter().cloned());
        plan.windows.forget.extend(self.windows.forget.iter().cloned());
        let v16 = self.v16;
        let granted_by = |grantor: &Option<String>| match grantor {
            Some(g) if v16 && g != self.current_user => format!(" GRANTED BY {}", ident(g)),
            _ => String::new(),
        };
        let cascade =
            |pair: &MembershipComparison, row: &LiveMembership| match self.cascade_note(&pair.role, &pair.member) {
                Some(note) if row.admin => (" CASCADE", Some(note)),
                _ => ("", None),
            };
        let mut revokes: Vec<(usize, Change)> = Vec::new();
        for pair in self.pairs.iter().filter(|p| p.want.is_none()) {
            let mut rows: Vec<&LiveMembership> = pair.have.clone();
            rows.dedup_by(|a, b| a.grantor == b.grantor);
            if !v16 {
                rows.truncate(1);
            }
            let closed = pair.window.as_ref().filter(|w| !w.open);
            for row in rows {
                let (cascade, cascade_note) = cascade(pair, row);
                let by = granted_by(&row.grantor);
                let sql = format!("REVOKE {} FROM {}{by}{cascade};", ident(&pair.role), ident(&pair.member));
                if let Some(w) = closed {
                    plan.windows.applied.push((sql.clone(), w.clone()));
                }
                let mut change = if pair.revokes_from_user {
                    let note = format!("revokes a membership from the login role `{}` (a user)", pair.member);
                    Change::destructive(PlanPhase::RevokeMemberships, sql, note)
                } else if let Some(w) = closed {
                    Change { note: Some(w.closed_text()), ..Change::new(PlanPhase::RevokeMemberships, sql) }
                } else {
                    Change::new(PlanPhase::RevokeMemberships, sql)
                };
                if let Some(c) = cascade_note {
                    change.note = Some(change.note.map_or(c.clone(), |n| format!("{n}; {c}")));
                }
                revokes.push((self.depth(&pair.role, &row.grantor), change));
            }
        }
        for pair in self.pairs.iter().filter(|p| p.want.is_some()) {
            for row in &pair.others {
                let (cascade, note) = cascade(pair, row);
                let by = granted_by(&row.grantor);
                let sql = format!("REVOKE {} FROM {}{by}{cascade};", ident(&pair.role), ident(&pair.member));
                let mut change = Change::new(PlanPhase::RevokeMemberships, sql);
                change.note = note;
                revokes.push((self.depth(&pair.role, &row.grantor), change));
            }
        }
        revokes.sort_by_key(|(depth, _)| Reverse(*depth));
        for (_, change) in revokes {
            plan.push(change);
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
                    let (cascade, note) = cascade(pair, row);
                    let mut change = Change::new(
                        PlanPhase::RevokeMemberships,
                        format!("REVOKE ADMIN OPTION FOR {r} FROM {m}{by}{cascade};"),
                    );
                    change.note = note;
                    plan.push(change);
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
        for pair in &self.pairs {
            for row in &pair.others {
                let item = format!("member of {} granted by {}", pair.role, row.grantor.as_deref().unwrap_or("?"));
                findings.push(Finding::new(false, &pair.member, item, "not granted", options_text(&[row])));
            }
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
        .filter(|m| !c.cascaded.contains(&(m.role.clone(), m.member.clone(), m.grantor.clone())))
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
