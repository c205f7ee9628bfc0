//! What `rolec who-can QUESTION` prints: every role and user of the policy that can do one
//! thing ([`Question`]), each with its grounds; first, what every role has through PUBLIC.

use serde_json::{json, Value};

use super::explain::unknown_role;
use super::render::{chain_json, chain_text, future_grounds_json, future_grounds_text, grounds_json, grounds_text};
use super::{Question, ReportError};
use crate::analysis::explain::{
    objects, public_future_grounds, public_grounds, who_can, who_can_future, who_can_grant, who_reaches,
};
use crate::analysis::membership::{Chain, Mode};
use crate::analysis::privileges::{FutureGrounds, FutureObject, Grounds, ObjectRef};
use crate::db::Workspace;
use crate::model::Model;
use crate::pg::types::canonical_type;
use crate::syntax::ast::Privilege;

/// The text `rolec who-can QUESTION` prints; an error when the question names a role the
/// policy does not have.
pub fn human(ws: &Workspace, question: &Question) -> Result<String, ReportError> {
    let resolved = ws.resolved();
    let model = &resolved.model;
    let mut out = String::new();
    // Each answer as one section: its title, what every role has through PUBLIC, then who.
    let (title, public, who): (String, Option<String>, Vec<(String, String)>) = match answer(ws, model, question)? {
        Answer::Role { title, who, .. } => {
            (title, None, who.into_iter().map(|(r, chain)| (r, chain_text(ws, model, &chain))).collect())
        }
        Answer::Privilege { title, public, who, .. } => (
            title,
            public.map(|g| grounds_text(ws, model, &g)),
            who.into_iter().map(|(r, g)| (r, grounds_text(ws, model, &g))).collect(),
        ),
        Answer::Future { title, public, who, .. } => (
            title,
            public.map(|g| future_grounds_text(ws, model, &g)),
            who.into_iter().map(|(r, g)| (r, future_grounds_text(ws, model, &g))).collect(),
        ),
    };
    out.push_str(&format!("{title}:\n"));
    if let Some(every) = public {
        out.push_str(&format!("  (every role) {every}\n"));
    }
    if who.is_empty() {
        out.push_str("  nobody\n");
    }
    for (r, why) in &who {
        out.push_str(&format!("  {r}: {why}\n"));
    }
    Ok(out)
}

/// What `rolec who-can QUESTION --format json` prints; an error when the question names a
/// role the policy does not have.
pub fn json(ws: &Workspace, question: &Question) -> Result<Value, ReportError> {
    let resolved = ws.resolved();
    let model = &resolved.model;
    let is_user = |r: &str| model.roles.iter().any(|x| x.name == r && x.is_user);
    let mut json = match answer(ws, model, question)? {
        Answer::Role { title, mode, granted, who } => {
            let roles: Vec<Value> = who
                .iter()
                .map(|(r, c)| json!({ "role": r, "user": is_user(r), "chain": chain_json(ws, model, c) }))
                .collect();
            json!({ "question": title, "mode": mode, "granted": granted, "roles": roles })
        }
        Answer::Privilege { title, privilege, grant_option, object, public, who } => {
            let roles: Vec<Value> = who
                .iter()
                .map(|(r, g)| json!({ "role": r, "user": is_user(r), "grounds": grounds_json(ws, model, g) }))
                .collect();
            json!({
                "question": title,
                "privilege": privilege,
                "grant_option": grant_option,
                "object": object,
                "public": public.as_ref().map(|g| grounds_json(ws, model, g)),
                "roles": roles,
            })
        }
        Answer::Future { title, privilege, grant_option, object, public, who } => {
            let roles: Vec<Value> = who
                .iter()
                .map(|(r, g)| json!({ "role": r, "user": is_user(r), "grounds": future_grounds_json(ws, model, g) }))
                .collect();
            json!({
                "question": title,
                "privilege": privilege,
                "grant_option": grant_option,
                "object": object,
                "public": public.as_ref().map(|g| future_grounds_json(ws, model, g)),
                "roles": roles,
            })
        }
    };
    // Versioned as every JSON output.
    if let Value::Object(map) = &mut json {
        map.insert("format".into(), json!("rolec-who-can/1"));
    }
    Ok(json)
}

/// A question answered, before it is written: its title (`select on table app.t`), what
/// every role has through PUBLIC, and the roles that can, each with its reason.
enum Answer {
    Role {
        title: String,
        mode: Mode,
        granted: String,
        who: Vec<(String, Chain)>,
    },
    Privilege {
        title: String,
        privilege: Privilege,
        grant_option: bool,
        object: ObjectRef,
        public: Option<Grounds>,
        who: Vec<(String, Grounds)>,
    },
    Future {
        title: String,
        privilege: Privilege,
        grant_option: bool,
        object: FutureObject,
        public: Option<FutureGrounds>,
        who: Vec<(String, FutureGrounds)>,
    },
}

fn answer(ws: &Workspace, model: &Model, question: &Question) -> Result<Answer, ReportError> {
    let members = crate::db::membership_analysis(&ws.db, ws.policy);
    let privileges = crate::db::privilege_analysis(&ws.db, ws.policy);
    Ok(match question {
        Question::Role(mode, granted) => {
            if !members.roles().any(|r| r == granted) {
                return Err(unknown_role(model, granted));
            }
            let who = who_reaches(model, members, granted, *mode);
            let title = format!("{} of {}", mode.sql().to_lowercase(), crate::syntax::write::name(granted));
            Answer::Role { title, mode: *mode, granted: granted.clone(), who }
        }
        Question::Privilege(privilege, object) | Question::GrantOption(privilege, object) => {
            let grant_option = matches!(question, Question::GrantOption(..));
            let privilege = *privilege;
            let object = known_object(model, object.clone());
            let (who, public) = if grant_option {
                (who_can_grant(model, privileges, privilege, &object), None)
            } else {
                (who_can(model, privileges, privilege, &object), public_grounds(privileges, privilege, &object))
            };
            let title = format!(
                "{}{} on {}",
                if grant_option { "grant " } else { "" },
                privilege.keyword(),
                super::render::object_text(&object)
            );
            Answer::Privilege { title, privilege, grant_option, object, public, who }
        }
        Question::Future { privilege, object, grant_option } => {
            let (privilege, grant_option) = (*privilege, *grant_option);
            if !members.roles().any(|r| r == object.creator) {
                return Err(unknown_role(model, &object.creator));
            }
            let who = who_can_future(model, privileges, privilege, object, grant_option);
            let public = if grant_option { None } else { public_future_grounds(privileges, privilege, object) };
            let title =
                format!("{}{} on {}", if grant_option { "grant " } else { "" }, privilege.keyword(), object.describe());
            Answer::Future { title, privilege, grant_option, object: object.clone(), public, who }
        }
    })
}

/// The object as the policy knows it: a function asked with `int` for a declared `integer`
/// (one canonical type spelling), a `table` that the policy declares as a view or sequence.
fn known_object(model: &Model, asked: ObjectRef) -> ObjectRef {
    let known = objects(model);
    if known.contains(&asked) {
        return asked;
    }
    known
        .into_iter()
        .find(|k| match (k, &asked) {
            (ObjectRef::Function { schema, name, args }, ObjectRef::Function { schema: s, name: n, args: a }) => {
                schema == s
                    && name == n
                    && args.len() == a.len()
                    && args.iter().zip(a).all(|(x, y)| canonical_type(x) == canonical_type(y))
            }
            (
                ObjectRef::View { schema, name } | ObjectRef::Sequence { schema, name },
                ObjectRef::Table { schema: s, name: n },
            ) => schema == s && name == n,
            _ => false,
        })
        .unwrap_or(asked)
}
