//! What `rolec explain ROLE` prints: everything a role can do, each with the chain of
//! memberships or the grant that gives it (`file:line`), whether it can grant it further
//! (`with grant option`), and what it gets on objects created later (default privileges,
//! section "on objects created later"). The language server's hover on a role shows the same
//! text.

use serde_json::{json, Value};

use super::render::{
    chain_json, chain_text, future_grounds_json, future_grounds_text, grounds_json, grounds_text, object_text,
    option_suffix,
};
use super::ReportError;
use crate::analysis::explain::{explain, future_objects, known_roles, Explanation};
use crate::analysis::privileges::ObjectRef;
use crate::db::Workspace;
use crate::model::Model;

/// The text `rolec explain ROLE` prints; an error when the policy has no such role.
pub fn human(ws: &Workspace, role: &str) -> Result<String, ReportError> {
    let resolved = ws.resolved();
    role_text(ws, &resolved.model, role).ok_or_else(|| unknown_role(&resolved.model, role))
}

/// The text `rolec explain ROLE` prints, `None` when the policy has no such role (hover then
/// says what else the name may be).
pub fn human_if_known(ws: &Workspace, role: &str) -> Option<String> {
    role_text(ws, &ws.resolved().model, role)
}

fn role_text(ws: &Workspace, model: &Model, role: &str) -> Option<String> {
    let members = crate::db::membership_analysis(&ws.db, ws.policy);
    let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
    let e = explain(model, members, privileges, role)?;
    // The section on objects created later is shown only when the policy has such objects.
    let later = !future_objects(model, privileges).is_empty();
    Some(text(ws, model, &e, later))
}

/// What `rolec explain ROLE --format json` prints; an error when the policy has no such role.
pub fn json(ws: &Workspace, role: &str) -> Result<Value, ReportError> {
    let resolved = ws.resolved();
    let model = &resolved.model;
    let members = crate::db::membership_analysis(&ws.db, ws.policy);
    let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
    let Some(e) = explain(model, members, privileges, role) else {
        return Err(unknown_role(model, role));
    };
    Ok(to_json(ws, model, &e))
}

/// "the policy has no role `x`", with the closest names.
pub(super) fn unknown_role(model: &Model, name: &str) -> ReportError {
    let mut close: Vec<(usize, String)> = known_roles(model)
        .into_iter()
        .map(|r| (crate::diagnostics::suggest::edit_distance(&r.to_lowercase(), &name.to_lowercase()), r))
        .filter(|(d, r)| *d <= 2.max(r.len() / 3))
        .collect();
    close.sort();
    ReportError::UnknownRole { name: name.to_string(), close: close.into_iter().take(3).map(|(_, r)| r).collect() }
}

fn text(ws: &Workspace, model: &Model, e: &Explanation, later: bool) -> String {
    let mut out = String::new();
    let what = if e.external {
        "external role"
    } else if e.is_user {
        "user"
    } else {
        "role"
    };
    out.push_str(&format!("{what} {}\n", e.role));
    if !e.external {
        let attrs: Vec<String> =
            e.attributes.iter().map(|(k, on)| format!("{}{}", if *on { "" } else { "no" }, k.keyword())).collect();
        out.push_str(&format!("attributes: {}\n", attrs.join(", ")));
    }
    if e.attributes.get(&crate::syntax::ast::AttributeKind::Superuser) == Some(&true) {
        out.push_str("superuser: member of every role, every privilege on every object\n");
    }
    out.push_str("roles:\n");
    if e.roles.is_empty() {
        out.push_str("  (none)\n");
    }
    // One line per granted role and chain, the modes the chain gives together.
    let mut i = 0;
    while i < e.roles.len() {
        let granted = &e.roles[i].role;
        let mut j = i;
        while j < e.roles.len() && &e.roles[j].role == granted {
            j += 1;
        }
        let group = &e.roles[i..j];
        let mut done = vec![false; group.len()];
        for a in 0..group.len() {
            if done[a] {
                continue;
            }
            let modes: Vec<&str> = (a..group.len())
                .filter(|&b| group[b].chain == group[a].chain)
                .map(|b| {
                    done[b] = true;
                    group[b].mode.sql()
                })
                .collect();
            out.push_str(&format!("  {granted} [{}]: {}\n", modes.join(", "), chain_text(ws, model, &group[a].chain)));
        }
        i = j;
    }
    out.push_str("privileges:\n");
    if e.privileges.is_empty() {
        out.push_str("  (none)\n");
    }
    let mut last: Option<&ObjectRef> = None;
    for p in &e.privileges {
        if last != Some(&p.object) {
            out.push_str(&format!("  {}\n", object_text(&p.object)));
            last = Some(&p.object);
        }
        let option = option_suffix(Some(&p.grounds), p.grant_option.as_ref(), |g| grounds_text(ws, model, g));
        out.push_str(&format!("    {}: {}{option}\n", p.privilege.keyword(), grounds_text(ws, model, &p.grounds)));
    }
    if later {
        out.push_str("on objects created later:\n");
        if e.future.is_empty() {
            out.push_str("  (none)\n");
        }
        let mut last = None;
        for p in &e.future {
            if last != Some(&p.object) {
                out.push_str(&format!("  {}\n", p.object.describe()));
                last = Some(&p.object);
            }
            let held = p.grounds.as_ref().map(|g| future_grounds_text(ws, model, g)).unwrap_or_default();
            let option =
                option_suffix(p.grounds.as_ref(), p.grant_option.as_ref(), |g| future_grounds_text(ws, model, g));
            out.push_str(&format!("    {}: {held}{option}\n", p.privilege.keyword()));
        }
    }
    out
}

fn to_json(ws: &Workspace, model: &Model, e: &Explanation) -> Value {
    let roles: Vec<Value> = e
        .roles
        .iter()
        .map(|r| json!({ "role": r.role, "mode": r.mode, "chain": chain_json(ws, model, &r.chain) }))
        .collect();
    let privileges: Vec<Value> = e
        .privileges
        .iter()
        .map(|p| {
            json!({
                "object": p.object,
                "privilege": p.privilege,
                "grounds": grounds_json(ws, model, &p.grounds),
                "grant_option": p.grant_option.as_ref().map(|g| grounds_json(ws, model, g)),
            })
        })
        .collect();
    let future: Vec<Value> = e
        .future
        .iter()
        .map(|p| {
            json!({
                "object": p.object,
                "description": p.object.describe(),
                "privilege": p.privilege,
                "grounds": p.grounds.as_ref().map(|g| future_grounds_json(ws, model, g)),
                "grant_option": p.grant_option.as_ref().map(|g| future_grounds_json(ws, model, g)),
            })
        })
        .collect();
    json!({
        "format": "rolec-explain/1",
        "role": e.role,
        "user": e.is_user,
        "external": e.external,
        "attributes": e.attributes,
        "roles": roles,
        "privileges": privileges,
        "created_later": future,
    })
}
