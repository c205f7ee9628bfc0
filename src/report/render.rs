//! How an answer's reasons are written, in words and as JSON: membership chains, the grounds
//! of a privilege (now and on objects created later) and objects. Shared by `explain`,
//! `who-can` and hover; membership and grant indexes become `file:line` here.

use serde_json::{json, Value};

use crate::analysis::membership::{Chain, Step};
use crate::analysis::privileges::{FutureGrounds, Grounds, ObjectRef};
use crate::db::Workspace;
use crate::model::{Grantee, Model};
use crate::syntax::write;

/// `alice → team_a → developer (p.role:12, p.role:4)`; `superuser`; `itself`.
pub fn chain_text(ws: &Workspace, model: &Model, chain: &Chain) -> String {
    match chain {
        Chain::SameRole => "itself".to_string(),
        Chain::Superuser => "superuser".to_string(),
        Chain::Memberships(steps) => {
            let Some(first) = steps.first() else { return String::new() };
            let line = |s: &Step| model.memberships.get(s.membership).map(|m| ws.line_of(m.origin)).unwrap_or_default();
            let (before, after) = steps.parts();
            let mut lines: Vec<String> = before.iter().map(line).collect();
            if !after.is_empty() {
                lines.push("…".to_string());
                lines.extend(after.iter().map(line));
            }
            format!("{} ({})", steps.path(&first.member, str::to_string), lines.join(", "))
        }
    }
}

/// The chain as JSON: `{"kind": "memberships", "steps": [{member, role, admin, at}]}` (`admin`:
/// the membership is granted with admin option); for a long
/// chain, its first and last steps, with `left_out` steps not shown after the first
/// `left_out_after`.
pub fn chain_json(ws: &Workspace, model: &Model, chain: &Chain) -> Value {
    match chain {
        Chain::SameRole => json!({ "kind": "same_role" }),
        Chain::Superuser => json!({ "kind": "superuser" }),
        Chain::Memberships(steps) => {
            let shown: Vec<Value> = steps
                .shown()
                .iter()
                .map(|s| {
                    let membership = model.memberships.get(s.membership);
                    json!({
                        "member": s.member,
                        "role": s.role,
                        "admin": membership.is_some_and(|m| m.admin),
                        "at": membership.map(|m| ws.line_of(m.origin)),
                    })
                })
                .collect();
            if steps.left_out() == 0 {
                json!({ "kind": "memberships", "steps": shown })
            } else {
                json!({ "kind": "memberships", "steps": shown, "left_out": steps.left_out(), "left_out_after": steps.parts().0.len() })
            }
        }
    }
}

fn grant_at(ws: &Workspace, model: &Model, grant: usize) -> String {
    model.grants.get(grant).map(|g| ws.line_of(g.origin)).unwrap_or_default()
}

fn grantee(model: &Model, grant: usize) -> String {
    match model.grants.get(grant).map(|g| &g.grantee) {
        Some(Grantee::Role(r)) => r.clone(),
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
                via => format!(
                    "through role `{}` ({kind} at {}) via {}",
                    grantee(model, *grant),
                    grant_at(ws, model, *grant),
                    chain_text(ws, model, via)
                ),
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

fn default_at(ws: &Workspace, model: &Model, entry: usize) -> (String, &'static str, String) {
    match model.default_privileges.get(entry) {
        Some(d) => {
            let grantee = match &d.grantee {
                Grantee::Role(r) => r.clone(),
                Grantee::Public => "public".to_string(),
            };
            (ws.line_of(d.origin), if d.implied { "bulk grant" } else { "default privilege" }, grantee)
        }
        None => (String::new(), "default privilege", String::new()),
    }
}

/// Why, in words, for an object created later: `creator `o` owns it`, `direct default
/// privilege at p.role:7`, `through role `r` (bulk grant at p.role:3) via …`.
pub fn future_grounds_text(ws: &Workspace, model: &Model, grounds: &FutureGrounds) -> String {
    match grounds {
        FutureGrounds::Superuser => "superuser".to_string(),
        FutureGrounds::Owner { creator, via: Chain::SameRole } => format!("creator `{creator}` owns it"),
        FutureGrounds::Owner { creator, via } => {
            format!("creator `{creator}` owns it, via {}", chain_text(ws, model, via))
        }
        FutureGrounds::Default { entry, via } => {
            let (at, kind, grantee) = default_at(ws, model, *entry);
            match via {
                Chain::SameRole => format!("direct {kind} at {at}"),
                via => format!("through role `{grantee}` ({kind} at {at}) via {}", chain_text(ws, model, via)),
            }
        }
        FutureGrounds::DefaultPublic { entry } => {
            let (at, kind, _) = default_at(ws, model, *entry);
            format!("PUBLIC ({kind} at {at})")
        }
        FutureGrounds::Predefined { role, via: Chain::SameRole } => format!("predefined role `{role}`"),
        FutureGrounds::Predefined { role, via } => {
            format!("predefined role `{role}` via {}", chain_text(ws, model, via))
        }
        FutureGrounds::BuiltinPublic => "built-in default (PUBLIC)".to_string(),
    }
}

/// The grounds for an object created later as JSON: `via` as a chain, a default-privilege
/// index replaced by `grantee`, `at` and `implied` (from a bulk grant).
pub fn future_grounds_json(ws: &Workspace, model: &Model, grounds: &FutureGrounds) -> Value {
    let mut v = serde_json::to_value(grounds).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        match grounds {
            FutureGrounds::Owner { via, .. }
            | FutureGrounds::Default { via, .. }
            | FutureGrounds::Predefined { via, .. } => {
                map.insert("via".into(), chain_json(ws, model, via));
            }
            _ => {}
        }
        if let FutureGrounds::Default { entry, .. } | FutureGrounds::DefaultPublic { entry } = grounds {
            let (at, _, grantee) = default_at(ws, model, *entry);
            map.remove("entry");
            map.insert("grantee".into(), json!(grantee));
            map.insert("at".into(), json!(at));
            map.insert("implied".into(), json!(model.default_privileges.get(*entry).is_some_and(|d| d.implied)));
        }
    }
    v
}

/// ` (with grant option)` when the grant option has the same grounds, `; grant option: …`
/// when it has others, nothing without one.
pub(super) fn option_suffix<G: PartialEq>(
    grounds: Option<&G>,
    option: Option<&G>,
    text: impl Fn(&G) -> String,
) -> String {
    match (grounds, option) {
        (_, None) => String::new(),
        (Some(g), Some(o)) if g == o => " (with grant option)".to_string(),
        (Some(_), Some(o)) => format!("; grant option: {}", text(o)),
        (None, Some(o)) => format!("not held; grant option: {}", text(o)),
    }
}

/// `table app.orders`, `function app.f(integer)`, `column app.t.a`.
pub fn object_text(o: &ObjectRef) -> String {
    let q = |schema: &str, name: &str| format!("{}.{}", write::name(schema), write::name(name));
    match o {
        ObjectRef::Table { schema, name } => format!("table {}", q(schema, name)),
        ObjectRef::View { schema, name } => format!("view {}", q(schema, name)),
        ObjectRef::Sequence { schema, name } => format!("sequence {}", q(schema, name)),
        ObjectRef::Function { schema, name, args } => format!("function {}({})", q(schema, name), args.join(", ")),
        ObjectRef::Schema { name } => format!("schema {}", write::name(name)),
        ObjectRef::Database { name } => format!("database {}", write::name(name)),
        ObjectRef::Column { schema, table, column } => {
            format!("column ({}) of table {}", write::name(column), q(schema, table))
        }
    }
}
