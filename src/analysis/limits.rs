//! Policy limits on object privileges: `max schemas N`, `max tables N`, `max tables tagged T N`
//! (E035 / W035, and W036 when a limit cannot be proven), counted over effective privileges
//! ([`PrivilegeAnalysis`]).
//!
//! - `max schemas N`: the schemas the policy knows (declared, named by a grant or an inventory
//!   object, listed by the catalog snapshot, and `public` only when named) on which the role
//!   has USAGE or CREATE, as `has_schema_privilege` answers (so the built-in USAGE on `public`
//!   counts, as in PostgreSQL).
//! - `max tables N`: the inventory tables and views (`table`/`view` declarations and catalog
//!   objects) on which the role has a table privilege (SELECT, INSERT, UPDATE, DELETE,
//!   TRUNCATE, REFERENCES, TRIGGER, and MAINTAIN from 17), as `has_table_privilege` answers.
//!   Column privileges alone do not count.
//! - `max tables tagged T N`: the same, over the inventory objects tagged T.
//!
//! A count over the limit is a violation (E035, W035 for a `warn` rule) — for a superuser too:
//! it has every privilege on every known object. A count within the limit is a proof only if
//! no object the role may have privileges on is unknown. Without a catalog snapshot, the
//! limit cannot be proven (W036) when the role
//! - has (directly or through INHERIT memberships) a bulk grant `… on tables in schema S` and
//!   no table or view of S is known (tables limits);
//! - has the privileges of `pg_read_all_data`, `pg_write_all_data` (or `pg_maintain` from 17),
//!   which cover every schema and table, known or not;
//! - is a superuser.
//!
//! With a catalog snapshot (`--catalog`), the inventory is taken as complete: a schema without
//! objects in the snapshot has none.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::analysis::membership::{Chain, Mode};
use crate::analysis::privileges::{Grounds, ObjectRef, PrivilegeAnalysis};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::catalog::Catalog;
use crate::model::{Grantee, Membership, Model, Object, ObjectGrant, Policy, Role, Rule, RuleCheck};
use crate::syntax::ast::{BulkKind, Privilege};
use crate::syntax::Span;

/// Where the grants, memberships and schemas that grounds and chains name by index come
/// from: the model itself, or the few grants one role can see (the per-role checks of
/// [`crate::analysis::role_rules`] number them locally).
pub trait Origins {
    fn grant(&self, index: usize) -> &ObjectGrant;
    fn membership(&self, index: usize) -> &Membership;
    /// The index and declaration of a schema.
    fn schema(&self, name: &str) -> Option<(usize, Span)>;
}

impl Origins for Model {
    fn grant(&self, index: usize) -> &ObjectGrant {
        &self.grants[index]
    }
    fn membership(&self, index: usize) -> &Membership {
        &self.memberships[index]
    }
    fn schema(&self, name: &str) -> Option<(usize, Span)> {
        self.schemas.iter().position(|s| s.name == name).map(|k| (k, self.schemas[k].origin))
    }
}

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit<'a> {
    Schemas,
    Tables,
    Tagged(&'a str),
}

impl<'a> Limit<'a> {
    /// The limit of a rule, with its maximum; `None` for the other rules.
    pub fn of(rule: &'a RuleCheck) -> Option<(Limit<'a>, u64)> {
        match rule {
            RuleCheck::MaxSchemas(n) => Some((Limit::Schemas, *n)),
            RuleCheck::MaxTables(n) => Some((Limit::Tables, *n)),
            RuleCheck::MaxTablesTagged { tag, max } => Some((Limit::Tagged(tag), *max)),
            _ => None,
        }
    }

    /// The rule as written: `max tables tagged pci 10`.
    fn rule_text(self, max: u64) -> String {
        match self {
            Limit::Schemas => format!("max schemas {max}"),
            Limit::Tables => format!("max tables {max}"),
            Limit::Tagged(t) => format!("max tables tagged {t} {max}"),
        }
    }

    /// What is counted, plural: ``tables tagged `pci` ``.
    fn noun(self) -> String {
        match self {
            Limit::Schemas => "schemas".into(),
            Limit::Tables => "tables".into(),
            Limit::Tagged(t) => format!("tables tagged `{t}`"),
        }
    }

    fn plural(self, n: usize) -> String {
        if n == 1 {
            match self {
                Limit::Schemas => "schema".into(),
                Limit::Tables => "table".into(),
                Limit::Tagged(t) => format!("table tagged `{t}`"),
            }
        } else {
            self.noun()
        }
    }
}

/// The table privileges a limit on tables counts (MAINTAIN does not fit before 17: the
/// analysis answers `None` for it then).
const TABLE_PRIVILEGES: [Privilege; 8] = [
    Privilege::Select,
    Privilege::Insert,
    Privilege::Update,
    Privilege::Delete,
    Privilege::Truncate,
    Privilege::References,
    Privilege::Trigger,
    Privilege::Maintain,
];

const SCHEMA_PRIVILEGES: [Privilege; 2] = [Privilege::Usage, Privilege::Create];

/// The schemas a `max schemas` limit counts over.
pub fn known_schemas(model: &Model, catalog: Option<&Catalog>) -> BTreeSet<String> {
    known_schemas_with(model, catalog, &grant_schemas(&model.grants))
}

/// The schemas grants name, each once, sorted.
pub fn grant_schemas<'g>(grants: impl IntoIterator<Item = &'g Arc<ObjectGrant>>) -> Vec<String> {
    // Borrowed and hashed first: most grants name a schema already seen.
    let mut names: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    // Consecutive grants mostly name the same schema: only a change is looked up.
    let mut last = None;
    for schema in grants.into_iter().filter_map(|g| g.object.schema()) {
        if last != Some(schema) {
            names.insert(schema);
            last = Some(schema);
        }
    }
    let mut names: Vec<String> = names.into_iter().map(str::to_string).collect();
    names.sort_unstable();
    names
}

/// [`known_schemas`], with the schemas the model's grants name already found.
pub fn known_schemas_with(model: &Model, catalog: Option<&Catalog>, grant_schemas: &[String]) -> BTreeSet<String> {
    let mut names: rustc_hash::FxHashSet<&str> = model.schemas.iter().map(|s| s.name.as_str()).collect();
    names.extend(model.objects.iter().filter_map(|o| o.object.schema()));
    names.extend(grant_schemas.iter().map(String::as_str));
    if let Some(c) = catalog {
        names.extend(c.schemas.iter().map(|s| s.name.as_str()));
    }
    names.into_iter().map(str::to_string).collect()
}

/// The inventory tables and views a limit on tables counts over (each once).
fn known_tables(model: &Model, limit: Limit) -> Vec<ObjectRef> {
    let mut seen = BTreeSet::new();
    model
        .objects
        .iter()
        .filter(|o| match limit {
            Limit::Tagged(t) => o.tags.iter().any(|x| x == t),
            _ => true,
        })
        .filter_map(|o| match &o.object {
            Object::Table { schema, name } => Some(ObjectRef::Table { schema: schema.clone(), name: name.clone() }),
            Object::View { schema, name } => Some(ObjectRef::View { schema: schema.clone(), name: name.clone() }),
            _ => None,
        })
        .filter(|o| seen.insert(o.clone()))
        .collect()
}

/// What one limit rule counts over, computed once for all the roles in its scope.
pub struct Known {
    objects: Vec<ObjectRef>,
    privileges: &'static [Privilege],
    /// Bulk grants on tables of schemas whose tables are unknown: `(grant index, schema)`.
    unknown_bulk: Vec<(usize, String)>,
}

impl Known {
    pub fn new(model: &Model, catalog: Option<&Catalog>, limit: Limit) -> Known {
        let (objects, privileges): (Vec<ObjectRef>, &'static [Privilege]) = match limit {
            Limit::Schemas => (
                known_schemas(model, catalog).into_iter().map(|name| ObjectRef::Schema { name }).collect(),
                &SCHEMA_PRIVILEGES,
            ),
            Limit::Tables | Limit::Tagged(_) => (known_tables(model, limit), &TABLE_PRIVILEGES),
        };
        let with_tables: BTreeSet<&str> = model
            .objects
            .iter()
            .filter_map(|o| match &o.object {
                Object::Table { schema, .. } | Object::View { schema, .. } => Some(schema.as_str()),
                _ => None,
            })
            .collect();
        let unknown_bulk = model
            .grants
            .iter()
            .enumerate()
            .filter_map(|(i, g)| match &g.object {
                Object::AllIn { kind: BulkKind::Tables, schema }
                    if !g.revoke && !with_tables.contains(schema.as_str()) =>
                {
                    Some((i, schema.clone()))
                }
                _ => None,
            })
            .collect();
        Known { objects, privileges, unknown_bulk }
    }
}

/// The objects a limit counts for `role`, each with the reason it counts.
pub fn counted(privileges: &PrivilegeAnalysis, known: &Known, role: &str) -> Vec<(ObjectRef, Grounds)> {
    known
        .objects
        .iter()
        .filter_map(|o| known.privileges.iter().find_map(|&p| privileges.answer(role, p, o)).map(|g| (o.clone(), g)))
        .collect()
}

/// Why a count within the limit is not a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unknown {
    Superuser,
    /// The role has the privileges of a predefined role that covers every schema and table.
    Predefined {
        role: String,
        via: Chain,
    },
    /// `model.grants[grant]` is a bulk grant on tables of `schema`, whose tables are unknown.
    Bulk {
        schema: String,
        grant: usize,
    },
}

/// Why the count of `limit` for `role` may miss objects (`None`: the count is exact).
pub fn unknown(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    catalog: Option<&Catalog>,
    known: &Known,
    role: &str,
    limit: Limit,
) -> Option<Unknown> {
    if catalog.is_some() {
        return None;
    }
    let members = privileges.members();
    if members.is_superuser(role) {
        return Some(Unknown::Superuser);
    }
    let mut predefined = vec!["pg_read_all_data", "pg_write_all_data"];
    if limit != Limit::Schemas && privileges.target_version >= 17 {
        predefined.push("pg_maintain");
    }
    for p in predefined {
        if let Some(via) = members.answer(role, p, Mode::Usage) {
            return Some(Unknown::Predefined { role: p.to_string(), via });
        }
    }
    if limit == Limit::Schemas {
        return None;
    }
    // The first such grant in source order.
    known
        .unknown_bulk
        .iter()
        .filter(|(i, _)| match &model.grants[*i].grantee {
            Grantee::Public => true,
            Grantee::Role(r) => members.has(role, r, Mode::Usage),
        })
        .min_by_key(|(i, _)| {
            let o = model.grants[*i].origin;
            (o.file, o.item, o.start, *i)
        })
        .map(|(i, schema)| Unknown::Bulk { schema: schema.clone(), grant: *i })
}

/// The diagnostic of one limit rule for one role in scope, if any.
#[allow(clippy::too_many_arguments)]
pub fn check(
    model: &Model,
    privileges: &PrivilegeAnalysis,
    catalog: Option<&Catalog>,
    known: &Known,
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    limit: Limit,
    max: u64,
) -> Option<Diagnostic> {
    let objects = counted(privileges, known, &role.name);
    if objects.len() as u64 > max {
        return Some(over_limit(
            model,
            privileges.members().is_superuser(&role.name),
            policy,
            rule,
            role,
            limit,
            max,
            &Tally::of(&objects),
        ));
    }
    let why = unknown(model, privileges, catalog, known, &role.name, limit)?;
    Some(unproven(model, policy, rule, role, limit, max, &why))
}

fn first_membership(via: &Chain) -> Option<usize> {
    match via {
        Chain::Memberships(steps) => steps.first().map(|s| s.membership),
        _ => None,
    }
}

pub fn object_name(o: &ObjectRef) -> String {
    match o {
        ObjectRef::Table { schema, name } | ObjectRef::View { schema, name } | ObjectRef::Sequence { schema, name } => {
            format!("`{schema}.{name}`")
        }
        ObjectRef::Function { schema, name, args } => format!("`{schema}.{name}({})`", args.join(", ")),
        ObjectRef::Schema { name } | ObjectRef::Database { name } => format!("`{name}`"),
        ObjectRef::Column { schema, table, column } => format!("`{schema}.{table}.{column}`"),
    }
}

/// At most this many grants (or memberships) are labelled.
const MAX_LABELS: usize = 5;
/// At most this many objects are named in the help.
pub const MAX_NAMED: usize = 10;

/// What a limit counted for one role, as its diagnostic shows it: how many objects, the
/// names of the first few, and the grounds with how many objects each explains (the schema
/// for grounds on a schema).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub count: usize,
    pub names: Vec<String>,
    pub grounds: Vec<(Grounds, Option<String>, usize)>,
}

impl Tally {
    pub fn of(objects: &[(ObjectRef, Grounds)]) -> Tally {
        Tally {
            count: objects.len(),
            names: objects.iter().take(MAX_NAMED).map(|(o, _)| object_name(o)).collect(),
            grounds: objects
                .iter()
                .map(|(o, g)| {
                    let schema = match o {
                        ObjectRef::Schema { name } => Some(name.clone()),
                        _ => None,
                    };
                    (g.clone(), schema, 1)
                })
                .collect(),
        }
    }

    /// Counts one more object (`name`: its name as the help shows it).
    pub fn add(&mut self, name: impl FnOnce() -> String, grounds: &Grounds, schema: Option<&str>) {
        if self.names.len() < MAX_NAMED {
            self.names.push(name());
        }
        self.count += 1;
        match self.grounds.last_mut() {
            Some((g, s, n)) if g == grounds && s.as_deref() == schema => *n += 1,
            _ => self.grounds.push((grounds.clone(), schema.map(str::to_string), 1)),
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn over_limit(
    model: &dyn Origins,
    superuser: bool,
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    limit: Limit,
    max: u64,
    tally: &Tally,
) -> Diagnostic {
    let n = tally.count;
    let code = if rule.warn { Code::TooManyObjectsWarn } else { Code::TooManyObjects };
    let message = if superuser {
        format!(
            "`{}` is a superuser and has privileges on all {n} {} known, the limit is {max} (policy `{}`)",
            role.name,
            limit.plural(n),
            policy.name
        )
    } else {
        format!(
            "`{}` has privileges on {n} {}, the limit is {max} (policy `{}`)",
            role.name,
            limit.plural(n),
            policy.name
        )
    };
    let mut d = Diagnostic::new(code, role.origin, message).label(if superuser {
        "a superuser: every privilege on every object"
    } else {
        "declared here"
    });
    let mut builtin = 0usize;
    if !superuser {
        // Where the privileges come from: grants and memberships, by how many objects each
        // explains, most first (ties in source order).
        let mut sources: BTreeMap<(u8, usize), (Span, String, usize)> = BTreeMap::new();
        for (g, schema, count) in &tally.grounds {
            let (key, span, label) = match g {
                Grounds::Grant { grant, .. } | Grounds::Public { grant } => {
                    let gr = model.grant(*grant);
                    let to = if matches!(g, Grounds::Public { .. }) { " (to PUBLIC)" } else { "" };
                    ((0, *grant), gr.origin, format!("grant on {}{to}", gr.object.describe()))
                }
                Grounds::Predefined { role: p, via } => match first_membership(via) {
                    Some(k) => ((1, k), model.membership(k).origin, format!("the privileges of `{p}`")),
                    None => continue,
                },
                Grounds::Owner { owner, via } => match first_membership(via) {
                    Some(k) => (
                        (1, k),
                        model.membership(k).origin,
                        format!("the privileges of `{owner}`, owner of the schema"),
                    ),
                    None => {
                        let Some(name) = schema else { continue };
                        let Some((k, origin)) = model.schema(name) else { continue };
                        ((2, k), origin, format!("owned by `{owner}`"))
                    }
                },
                Grounds::BuiltinPublic => {
                    builtin += count;
                    continue;
                }
                Grounds::Superuser => continue,
            };
            sources.entry(key).or_insert((span, label, 0)).2 += count;
        }
        let mut sources: Vec<_> = sources.into_values().collect();
        sources.sort_by_key(|s| std::cmp::Reverse(s.2));
        let kind = match limit {
            Limit::Schemas => "schema",
            _ => "table",
        };
        for (span, label, count) in sources.into_iter().take(MAX_LABELS) {
            let s = if count == 1 { "" } else { "s" };
            d = d.with_secondary(span, format!("{label}: {count} {kind}{s}"));
        }
    }
    let mut names = tally.names.clone();
    if n > MAX_NAMED {
        names.push(format!("and {} more", n - MAX_NAMED));
    }
    let mut help = format!("the {}: {}", limit.noun(), names.join(", "));
    if builtin > 0 {
        help.push_str("; USAGE on schema `public` is PostgreSQL's built-in default for every role");
    }
    d.with_secondary(rule.origin, "limit set here").help(help)
}

pub fn unproven(
    model: &dyn Origins,
    policy: &Policy,
    rule: &Rule,
    role: &Role,
    limit: Limit,
    max: u64,
    why: &Unknown,
) -> Diagnostic {
    let head = format!(
        "the limit `{}` of policy `{}` cannot be proven for `{}`",
        limit.rule_text(max),
        policy.name,
        role.name
    );
    let (objects, outside) = match limit {
        Limit::Schemas => ("schema", "the schemas the policy does not name are unknown"),
        _ => ("table", "the tables outside the inventory are unknown"),
    };
    let d = match why {
        Unknown::Superuser => Diagnostic::new(
            Code::LimitUnproven,
            role.origin,
            format!("{head}: it is a superuser, with every privilege on every {objects}, and {outside}"),
        )
        .label("a superuser"),
        Unknown::Predefined { role: p, via } => {
            let d = Diagnostic::new(
                Code::LimitUnproven,
                role.origin,
                format!("{head}: it has the privileges of `{p}`, on every {objects}, and {outside}"),
            )
            .label("declared here");
            match first_membership(via) {
                Some(k) => d.with_secondary(model.membership(k).origin, format!("the privileges of `{p}`")),
                None => d,
            }
        }
        Unknown::Bulk { schema, grant } => {
            return Diagnostic::new(
                Code::LimitUnproven,
                role.origin,
                format!("{head}: tables in schema `{schema}` are unknown"),
            )
            .label("declared here")
            .with_secondary(model.grant(*grant).origin, format!("a grant on every table of `{schema}`"))
            .with_secondary(rule.origin, "limit set here")
            .help(format!("declare them with `table {schema}.t {{ … }}` or pass `--catalog`"));
        }
    };
    d.with_secondary(rule.origin, "limit set here")
        .help("pass `--catalog` with a snapshot of the database, so that every object is known")
}

#[cfg(test)]
mod tests {
    use crate::analysis::privileges::effective;
    use crate::analysis::reach;
    use crate::db::{Sources, Workspace};
    use crate::model::catalog::Catalog;
    use crate::model::BuildOptions;

    /// `code message` of every policy violation, with a catalog snapshot or not.
    fn run(text: &str, catalog: Option<&str>, version: u32) -> Vec<String> {
        let options = BuildOptions { target_version: version, ..Default::default() };
        let mut ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), options).unwrap();
        let catalog = catalog.map(|c| Catalog::parse(c).unwrap());
        ws.set_catalog(catalog.clone());
        let resolved = ws.resolved();
        let errors: Vec<&String> = resolved.diagnostics.iter().filter(|d| d.is_error()).map(|d| &d.message).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let model = &resolved.model;
        let privileges = effective(model, &reach(model, version));
        let direct: Vec<String> = super::super::policy::check(model, &privileges, catalog.as_ref())
            .into_iter()
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect();
        // The role-by-role queries say the same (lint warnings apart).
        let mut tracked: Vec<String> = crate::db::analysis_diagnostics(&ws.db, ws.policy)
            .iter()
            .flat_map(|part| part.iter())
            .filter(|d| !d.code.as_str().starts_with("W04"))
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect();
        let mut sorted = direct.clone();
        sorted.sort();
        tracked.sort();
        assert_eq!(sorted, tracked);
        direct
    }

    fn lint(text: &str) -> Vec<String> {
        run(text, None, 15)
    }

    const INVENTORY: &str = "schema app { owner app_owner }\nschema hr { owner app_owner }\nrole app_owner\ntable app.a { tags [pci] }\ntable app.b { tags [pci] }\nview app.v\ntable hr.people { tags [pci] }\n";

    #[test]
    fn tables_are_counted_over_effective_privileges() {
        let text = format!("{INVENTORY}role reader {{ grant select on tables in schema app }}\nuser u {{ member of reader }}\nuser n {{\n  noinherit\n  member of reader\n}}\npolicy p applies to users {{ max tables 2 }}\n");
        assert_eq!(lint(&text), ["E035 `u` has privileges on 3 tables, the limit is 2 (policy `p`)"]);
        let text = text.replace("max tables 2", "warn max tables 3");
        assert!(lint(&text).is_empty());
        let text = text.replace("warn max tables 3", "warn max tables 1");
        assert_eq!(lint(&text), ["W035 `u` has privileges on 3 tables, the limit is 1 (policy `p`)"]);
    }

    #[test]
    fn tagged_tables_and_single_grants() {
        let text = format!("{INVENTORY}user u {{\n  grant select on table app.a\n  grant insert on table hr.people\n  grant select on view app.v\n}}\npolicy p {{ max tables tagged pci 1 }}\n");
        assert_eq!(lint(&text), ["E035 `u` has privileges on 2 tables tagged `pci`, the limit is 1 (policy `p`)"]);
        assert!(lint(&text.replace("tagged pci 1", "tagged pci 2")).is_empty());
        assert!(lint(&text.replace("tagged pci 1", "tagged other 0")).is_empty());
    }

    #[test]
    fn schemas_count_usage_create_owners_and_builtin_public() {
        let text = format!("{INVENTORY}user u {{\n  grant usage on schema app\n  grant usage on schema public\n}}\nuser o {{ member of app_owner }}\npolicy p applies to users {{ max schemas 1 }}\n");
        let out = lint(&text);
        assert_eq!(
            out,
            [
                "E035 `u` has privileges on 2 schemas, the limit is 1 (policy `p`)",
                "E035 `o` has privileges on 3 schemas, the limit is 1 (policy `p`)"
            ]
        );
        // Without a grant naming it, `public` is not counted.
        let text =
            format!("{INVENTORY}user o {{ member of app_owner }}\npolicy p applies to users {{ max schemas 2 }}\n");
        assert!(lint(&text).is_empty());
    }

    #[test]
    fn unknown_tables_make_a_limit_unprovable() {
        let text = "schema app { owner o }\nschema empty { owner o }\nrole o\nrole reader { grant select on tables in schema empty }\nuser u { member of reader }\npolicy p applies to users { max tables 10 }\n";
        assert_eq!(lint(text), ["W036 the limit `max tables 10` of policy `p` cannot be proven for `u`: tables in schema `empty` are unknown"]);
        // Schemas are not concerned.
        assert!(lint(&text.replace("max tables 10", "max schemas 10")).is_empty());
        // A catalog snapshot is complete: a schema without objects in it has none.
        let catalog = r#"{"format": "rolec-catalog/1", "objects": [{"kind": "table", "schema": "app", "name": "t"}]}"#;
        assert!(run(text, Some(catalog), 15).is_empty());
        // Once the schema's tables are known, the count is exact.
        let declared = format!("{text}table empty.t\n");
        assert!(lint(&declared).is_empty());
        // Over the limit is proven even when some tables are unknown.
        let text = "schema app { owner o }\nschema x { owner o }\nrole o\ntable app.t\ntable app.u\nuser u {\n  grant select on tables in schema x\n  grant select on tables in schema app\n}\npolicy p { max tables 1 }\n";
        assert_eq!(lint(text), ["E035 `u` has privileges on 2 tables, the limit is 1 (policy `p`)"]);
    }

    #[test]
    fn superusers_and_predefined_roles() {
        let text = format!("{INVENTORY}user root {{ superuser }}\nuser r {{ member of pg_read_all_data }}\npolicy p applies to users {{\n  max tables 3\n  max schemas 5\n}}\n");
        assert_eq!(
            lint(&text),
            [
                "E035 `root` is a superuser and has privileges on all 4 tables known, the limit is 3 (policy `p`)",
                "E035 `r` has privileges on 4 tables, the limit is 3 (policy `p`)",
                "W036 the limit `max schemas 5` of policy `p` cannot be proven for `root`: it is a superuser, with every privilege on every schema, and the schemas the policy does not name are unknown",
                "W036 the limit `max schemas 5` of policy `p` cannot be proven for `r`: it has the privileges of `pg_read_all_data`, on every schema, and the schemas the policy does not name are unknown",
            ]
        );
        let catalog = r#"{"format": "rolec-catalog/1", "schemas": [{"name": "app"}, {"name": "hr"}, {"name": "x"}]}"#;
        assert_eq!(run(&text, Some(catalog), 15).len(), 2, "a catalog makes the schema counts exact");
    }

    #[test]
    fn maintain_counts_from_17() {
        let text = format!("{INVENTORY}user m {{ grant maintain on table app.a }}\npolicy p {{ max tables 0 }}\n");
        assert_eq!(run(&text, None, 17), ["E035 `m` has privileges on 1 table, the limit is 0 (policy `p`)"]);
    }
}
