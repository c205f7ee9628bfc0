//! `rolec explain ROLE`: everything a role can do, each with the chain of memberships or the
//! grant that gives it (`file:line`). Exit 1 when the policy has errors; 2 when the policy has
//! no such role.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use super::PolicyArgs;
use crate::analysis::explain::{explain, known_roles, Explanation};
use crate::analysis::membership::Chain;
use crate::analysis::privileges::{Grounds, ObjectRef};
use crate::db::Workspace;
use crate::model::Model;

#[derive(Args)]
pub struct ExplainArgs {
    /// The role or user to explain
    #[arg(value_name = "ROLE")]
    role: String,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Human,
    Json,
}

pub fn run(args: ExplainArgs) -> Result<ExitCode, String> {
    let Some(ws) = args.policy.load_sound()? else {
        return Ok(ExitCode::from(1));
    };
    let resolved = ws.resolved();
    let model = &resolved.model;
    let members = crate::db::membership_analysis(&ws.db, ws.policy);
    let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
    let Some(e) = explain(model, members, privileges, &args.role) else {
        return Err(unknown_role(model, &args.role));
    };
    match args.format {
        OutFormat::Human => print!("{}", human(&ws, model, &e)),
        OutFormat::Json => println!("{}", serde_json::to_string_pretty(&to_json(&ws, model, &e)).unwrap_or_default()),
    }
    Ok(ExitCode::SUCCESS)
}

/// "the policy has no role `x`", with the closest names.
pub fn unknown_role(model: &Model, name: &str) -> String {
    let mut close: Vec<(usize, String)> =
        known_roles(model).into_iter().map(|r| (distance(&r.to_lowercase(), &name.to_lowercase()), r)).filter(|(d, r)| *d <= 2.max(r.len() / 3)).collect();
    close.sort();
    let mut msg = format!("the policy has no role `{name}`");
    if !close.is_empty() {
        let names: Vec<String> = close.iter().take(3).map(|(_, r)| format!("`{r}`")).collect();
        msg.push_str(&format!("; did you mean {}?", names.join(" or ")));
    }
    msg
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `alice → team_a → developer (p.role:12, p.role:4)`; `superuser`; `itself`.
pub fn chain_text(ws: &Workspace, model: &Model, chain: &Chain) -> String {
    match chain {
        Chain::SameRole => "itself".to_string(),
        Chain::Superuser => "superuser".to_string(),
        Chain::Memberships(steps) => {
            let mut names = vec![steps[0].member.clone()];
            names.extend(steps.iter().map(|s| s.role.clone()));
            let lines: Vec<String> = steps.iter().map(|s| model.memberships.get(s.membership).map(|m| ws.line_of(m.origin)).unwrap_or_default()).collect();
            format!("{} ({})", names.join(" → "), lines.join(", "))
        }
    }
}

/// The chain as JSON: `{"kind": "memberships", "steps": [{member, role, at}]}`.
pub fn chain_json(ws: &Workspace, model: &Model, chain: &Chain) -> Value {
    match chain {
        Chain::SameRole => json!({ "kind": "same_role" }),
        Chain::Superuser => json!({ "kind": "superuser" }),
        Chain::Memberships(steps) => {
            let steps: Vec<Value> = steps
                .iter()
                .map(|s| json!({ "member": s.member, "role": s.role, "at": model.memberships.get(s.membership).map(|m| ws.line_of(m.origin)) }))
                .collect();
            json!({ "kind": "memberships", "steps": steps })
        }
    }
}

fn grant_at(ws: &Workspace, model: &Model, grant: usize) -> String {
    model.grants.get(grant).map(|g| ws.line_of(g.origin)).unwrap_or_default()
}

fn grantee(model: &Model, grant: usize) -> String {
    match model.grants.get(grant).map(|g| &g.grantee) {
        Some(crate::model::Grantee::Role(r)) => r.clone(),
        _ => "public".to_string(),
    }
}

/// Why, in words: `direct grant at p.role:7`, `through role `readers` (grant at p.role:3) via …`.
pub fn grounds_text(ws: &Workspace, model: &Model, grounds: &Grounds) -> String {
    match grounds {
        Grounds::Superuser => "superuser".to_string(),
        Grounds::Owner { owner, via: Chain::SameRole } => format!("owner `{owner}`"),
        Grounds::Owner { owner, via } => format!("owner `{owner}`, via {}", chain_text(ws, model, via)),
        Grounds::Public { grant } => format!("PUBLIC (grant at {})", grant_at(ws, model, *grant)),
        Grounds::Grant { via, grant, bulk } => {
            let kind = if *bulk { "bulk grant" } else { "grant" };
            match via {
                Chain::SameRole => format!("direct {kind} at {}", grant_at(ws, model, *grant)),
                via => format!("through role `{}` ({kind} at {}) via {}", grantee(model, *grant), grant_at(ws, model, *grant), chain_text(ws, model, via)),
            }
        }
        Grounds::Predefined { role, via: Chain::SameRole } => format!("predefined role `{role}`"),
        Grounds::Predefined { role, via } => format!("predefined role `{role}` via {}", chain_text(ws, model, via)),
        Grounds::BuiltinPublic => "built-in default (PUBLIC)".to_string(),
    }
}

/// The grounds as JSON: the analysis's fields, with `via` as a chain with `file:line`s and a
/// grant index replaced by `grantee` and `at`.
pub fn grounds_json(ws: &Workspace, model: &Model, grounds: &Grounds) -> Value {
    let mut v = serde_json::to_value(grounds).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        match grounds {
            Grounds::Owner { via, .. } | Grounds::Grant { via, .. } | Grounds::Predefined { via, .. } => {
                map.insert("via".into(), chain_json(ws, model, via));
            }
            _ => {}
        }
        if let Grounds::Grant { grant, .. } | Grounds::Public { grant } = grounds {
            map.remove("grant");
            map.insert("grantee".into(), json!(grantee(model, *grant)));
            map.insert("at".into(), json!(grant_at(ws, model, *grant)));
        }
    }
    v
}

/// `table app.orders`, `function app.f(integer)`, `column app.t.a`.
pub fn object_text(o: &ObjectRef) -> String {
    match o {
        ObjectRef::Table { schema, name } => format!("table {schema}.{name}"),
        ObjectRef::View { schema, name } => format!("view {schema}.{name}"),
        ObjectRef::Sequence { schema, name } => format!("sequence {schema}.{name}"),
        ObjectRef::Function { schema, name, args } => format!("function {schema}.{name}({})", args.join(", ")),
        ObjectRef::Schema { name } => format!("schema {name}"),
        ObjectRef::Database { name } => format!("database {name}"),
        ObjectRef::Column { schema, table, column } => format!("column ({column}) of table {schema}.{table}"),
    }
}

pub(crate) fn human(ws: &Workspace, model: &Model, e: &Explanation) -> String {
    let mut out = String::new();
    let what = if e.external { "external role" } else if e.is_user { "user" } else { "role" };
    out.push_str(&format!("{what} {}\n", e.role));
    if !e.external {
        let attrs: Vec<String> = e.attributes.iter().map(|(k, on)| format!("{}{}", if *on { "" } else { "no" }, k.keyword())).collect();
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
            let modes: Vec<&str> = (a..group.len()).filter(|&b| group[b].chain == group[a].chain).map(|b| {
                done[b] = true;
                group[b].mode.sql()
            }).collect();
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
        out.push_str(&format!("    {}: {}\n", p.privilege.keyword(), grounds_text(ws, model, &p.grounds)));
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
        .map(|p| json!({ "object": p.object, "privilege": p.privilege, "grounds": grounds_json(ws, model, &p.grounds) }))
        .collect();
    json!({
        "role": e.role,
        "user": e.is_user,
        "external": e.external,
        "attributes": e.attributes,
        "roles": roles,
        "privileges": privileges,
    })
}
