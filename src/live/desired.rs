//! The state a policy leads to without a live database, for `rolec diff`: a base state holding
//! the inventory (objects with their owners and built-in privileges) and the state the plan
//! from that base leads to ([`super::diff::audit`]'s desired state).
//!
//! The migration between two versions is then plain `diff`: the new policy against the old
//! version's state (up), the old policy against the new version's state (down).

use super::diff::{audit, diff, ChangePlan};
use super::scope::Scope;
use super::state::LiveState;
use super::LiveError;
use crate::model::catalog::Catalog;
use crate::model::catalog::{LiveObject, LivePrivilege};
use crate::model::{Model, Object};
use crate::pg::types::canonical_type;
use crate::pg::AclKind;
use crate::syntax::ast::Privilege;

/// The role a migration is assumed to run as (grants it makes are recorded as its).
pub const MIGRATION_USER: &str = "postgres";

/// The base a migration starts from: a live snapshot as it is, or else the inventory of the
/// models and the catalog, each object with its owner's privileges and PUBLIC's built-in ones.
pub fn base_state(models: &[&Model], catalog: Option<&Catalog>, major: u32) -> LiveState {
    if let Some(mut state) = catalog.and_then(LiveState::from_catalog) {
        if state.server_version == 0 {
            state.server_version = major * 10000;
        }
        return state;
    }
    let mut state = LiveState {
        server_version: major * 10000,
        database: "postgres".to_string(),
        current_user: MIGRATION_USER.to_string(),
        ..LiveState::default()
    };
    if let Some(c) = catalog {
        state.schemas = c.schemas.clone();
        state.objects = c.objects.clone();
        state.databases = c.databases.clone();
    }
    // Owners as the catalog says, else the role migrations run as.
    let schema_owner = |schema: &str| -> String {
        catalog
            .and_then(|c| c.schemas.iter().find(|s| s.name == schema).and_then(|s| s.owner.clone()))
            .unwrap_or_else(|| MIGRATION_USER.to_string())
    };
    let object_owner = |schema: &str, name: &str| -> String {
        catalog
            .and_then(|c| c.objects.iter().find(|o| o.schema == schema && o.name == name).and_then(|o| o.owner.clone()))
            .unwrap_or_else(|| schema_owner(schema))
    };
    let mut objects: Vec<(LiveObject, String)> = Vec::new();
    let mut schemas: Vec<String> = models.iter().flat_map(|m| m.schemas.iter().map(|s| s.name.clone())).collect();
    if let Some(c) = catalog {
        schemas.extend(c.schemas.iter().map(|s| s.name.clone()));
    }
    // The inventory, and every object a grant names (so that bulk grants expand alike in both
    // versions).
    for m in models {
        let named = m.grants.iter().map(|g| &g.object);
        for o in m.objects.iter().map(|o| &o.object).chain(named) {
            let columns_table;
            let o = match o {
                Object::Columns { schema, table, .. } => {
                    columns_table = Object::Table { schema: schema.clone(), name: table.clone() };
                    &columns_table
                }
                Object::Schema { name } => {
                    schemas.push(name.clone());
                    continue;
                }
                other => other,
            };
            let (object, schema, name) = match o {
                Object::Table { schema, name } => (
                    LiveObject::Table { schema: schema.clone(), name: name.clone(), relkind: "r".to_string() },
                    schema,
                    name,
                ),
                Object::View { schema, name } => (
                    LiveObject::Table { schema: schema.clone(), name: name.clone(), relkind: "v".to_string() },
                    schema,
                    name,
                ),
                Object::Sequence { schema, name } => {
                    (LiveObject::Sequence { schema: schema.clone(), name: name.clone() }, schema, name)
                }
                Object::Routine { schema, name, args } => (
                    LiveObject::Routine {
                        schema: schema.clone(),
                        name: name.clone(),
                        args: args.iter().map(|a| canonical_type(a)).collect(),
                        prokind: "f".to_string(),
                    },
                    schema,
                    name,
                ),
                Object::Type { schema, name } => {
                    (LiveObject::Type { schema: schema.clone(), name: name.clone() }, schema, name)
                }
                Object::Domain { schema, name } => {
                    (LiveObject::Domain { schema: schema.clone(), name: name.clone() }, schema, name)
                }
                _ => continue,
            };
            schemas.push(schema.clone());
            let owner = object_owner(schema, name);
            objects.push((object, owner));
        }
    }
    schemas.sort();
    schemas.dedup();
    for s in schemas {
        let owner = schema_owner(&s);
        objects.push((LiveObject::Schema { name: s }, owner));
    }
    objects.sort();
    objects.dedup();
    for (object, owner) in objects {
        let kind = match &object {
            LiveObject::Table { .. } => Some(AclKind::Relation),
            LiveObject::Sequence { .. } => Some(AclKind::Sequence),
            LiveObject::Routine { .. } => Some(AclKind::Routine),
            LiveObject::Type { .. } | LiveObject::Domain { .. } => Some(AclKind::Type),
            LiveObject::Schema { .. } => Some(AclKind::Schema),
            LiveObject::Database { .. } | LiveObject::Column { .. } => None,
        };
        // The owner holds every privilege of the object; PUBLIC its built-in ones.
        let own: Vec<Privilege> = kind.map(|k| k.all_privileges(major).collect()).unwrap_or_default();
        let public: &[Privilege] = kind.map(|k| k.public_defaults()).unwrap_or(&[]);
        let row = |grantee: Option<String>, privilege: &Privilege| LivePrivilege {
            object: object.clone(),
            owner: owner.clone(),
            grantee,
            grantor: owner.clone(),
            privilege: privilege.sql().to_string(),
            grantable: false,
        };
        let rows: Vec<LivePrivilege> =
            own.iter().map(|p| row(Some(owner.clone()), p)).chain(public.iter().map(|p| row(None, p))).collect();
        state.privileges.extend(rows);
    }
    state
}

/// The scope of one version of a policy in a migration: its roles, plus the other version's
/// (dropped when this version does not declare them).
pub fn migration_scope(model: &Model, other: &Model, state: &LiveState) -> Result<Scope, LiveError> {
    Ok(Scope::new(
        model.roles.iter().map(|r| r.name.as_str()),
        model.external_roles.iter().map(String::as_str),
        &[],
        &state.current_user,
    )?
    .also_managing(other.roles.iter().map(|r| r.name.as_str())))
}

/// The statements from `old` to `new` (up) and back (down), from `base`. A role one version
/// drops that owns objects gives them to `successor` when there is one.
pub fn migration(
    old: &Model,
    new: &Model,
    base: &LiveState,
    successor: Option<&str>,
) -> Result<(ChangePlan, ChangePlan), LiveError> {
    let old_scope = migration_scope(old, new, base)?.with_successor(successor.map(str::to_string));
    let new_scope = migration_scope(new, old, base)?.with_successor(successor.map(str::to_string));
    let old_state = audit(old, base, &old_scope).desired;
    let new_state = audit(new, base, &new_scope).desired;
    let up = diff(new, &old_state, &new_scope);
    let down = diff(old, &new_state, &old_scope);
    Ok((up, down))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;

    fn model(text: &str) -> Model {
        let ws = Workspace::load(
            Sources::Memory(vec![("p.role".into(), text.into())]),
            BuildOptions { target_version: 16, ..Default::default() },
        )
        .unwrap();
        let resolved = ws.resolved();
        assert!(resolved.diagnostics.iter().all(|d| !d.is_error()), "{:?}", resolved.diagnostics);
        resolved.model.clone()
    }

    fn sql(plan: &ChangePlan) -> Vec<&str> {
        plan.changes.iter().map(|c| c.sql.as_str()).collect()
    }

    #[test]
    fn a_migration_is_only_the_difference_both_ways() {
        let old = model("schema app\ntable app.t\nrole r { grant select on tables in schema app }\nrole gone {}\nuser u { member of r }\n");
        let new = model("schema app\ntable app.t\nrole r { grant select, insert on tables in schema app\n createdb }\nuser u {}\nuser v { member of r }\n");
        let base = base_state(&[&old, &new], None, 16);
        let (up, down) = migration(&old, &new, &base, None).unwrap();
        assert_eq!(
            sql(&up),
            vec![
                r#"CREATE ROLE "v" WITH LOGIN;"#,
                r#"ALTER ROLE "r" WITH CREATEDB;"#,
                r#"REVOKE "r" FROM "u";"#,
                r#"GRANT "r" TO "v" WITH INHERIT TRUE, SET TRUE;"#,
                r#"GRANT INSERT ON TABLE "app"."t" TO "r";"#,
                r#"DROP ROLE "gone";"#,
            ]
        );
        assert!(up.changes[2].destructive, "revoking from a user");
        assert_eq!(
            sql(&down),
            vec![
                r#"CREATE ROLE "gone";"#,
                r#"ALTER ROLE "r" WITH NOCREATEDB;"#,
                r#"GRANT "r" TO "u" WITH INHERIT TRUE, SET TRUE;"#,
                r#"REVOKE INSERT ON TABLE "app"."t" FROM "r";"#,
                r#"DROP ROLE "v";"#,
            ]
        );
        // The same version twice: nothing.
        let (up, down) = migration(&new, &new, &base, None).unwrap();
        assert!(up.is_empty() && down.is_empty(), "{:?} {:?}", sql(&up), sql(&down));
    }

    #[test]
    fn the_desired_state_is_what_the_plan_leads_to() {
        let m = model("schema app\ntable app.t\nrole r { grant usage on schema app\n set work_mem = \"8MB\" }\n");
        let base = base_state(&[&m], None, 16);
        let scope = migration_scope(&m, &m, &base).unwrap();
        let a = audit(&m, &base, &scope);
        assert!(!a.plan.is_empty());
        assert!(a
            .findings
            .iter()
            .any(|f| f.role == "r" && f.item == "role" && f.status == super::super::diff::Status::Drift));
        let again = audit(&m, &a.desired, &scope);
        assert!(again.plan.is_empty(), "{:?}", sql(&again.plan));
        assert!(again.findings.iter().all(|f| f.status == super::super::diff::Status::Ok), "{:?}", again.findings);
    }
}
