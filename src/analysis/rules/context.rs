//! What the per-role checks share ([`Context`], extracted from the model once per revision)
//! and what they read besides a role's own facts ([`View`]).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::membership::MembershipAnalysis;
use crate::analysis::rules::chunks::RoleFacts;
use crate::analysis::rules::depth::Depths;
use crate::analysis::rules::table_bits::TableBits;
use crate::model::catalog::Catalog;
use crate::model::{Grantee, Membership, Model, Object, ObjectGrant, Policy, RuleKind};
use crate::syntax::{FileId, Span};

/// A known table or view, for the limits on tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KnownTable {
    pub schema: String,
    pub name: String,
    pub view: bool,
    pub tags: Vec<String>,
}

/// What the per-role rules share, extracted from the model once per revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub target_version: u32,
    pub policies: Vec<Policy>,
    /// A catalog snapshot was given: the inventory is complete.
    pub complete_inventory: bool,
    /// The schemas a `max schemas` limit counts over, sorted.
    pub known_schemas: Vec<String>,
    /// The known tables and views, sorted, each once.
    pub tables: Vec<KnownTable>,
    /// Schemas with at least one known table or view.
    pub schemas_with_tables: BTreeSet<String>,
    /// The positions in [`Self::tables`] of each schema's known tables: a grant's table is
    /// found by one hash and a search among its schema's names, not among every table.
    pub table_ranges: FxHashMap<String, Range<u32>>,
    /// The position in [`Self::tables`] of each table by a hash of its name (see
    /// [`table_key`]), `u32::MAX` for names that share a hash: one lookup per grant, the name
    /// compared once.
    pub table_keys: FxHashMap<u64, u32>,
    /// For each tag a limit names, the known tables with that tag, as a bit set over
    /// [`Self::tables`].
    pub tagged: BTreeMap<String, Vec<u64>>,
    /// Declared schema owners: schema → (owner, index of the schema in the model, origin).
    pub schema_owners: BTreeMap<String, (String, usize, Span)>,
    /// Each owner of known schemas, with the schemas it owns as a bit set over
    /// [`Self::known_schemas`]: a role's count asks once per owner, not once per schema.
    pub owned_schemas: Vec<(String, Vec<u64>)>,
    /// Grants and revokes to PUBLIC.
    pub public: Vec<Arc<ObjectGrant>>,
    /// Files of standard modules (their roles are never unused).
    pub library_files: Vec<FileId>,
}

/// What the context needs of the model's grants, found by whoever holds them (per file, in
/// the database, so that an edit scans the grants of one file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrantFacts {
    /// The schemas the grants name, sorted, each once.
    pub schemas: Vec<String>,
    /// Grants and revokes to PUBLIC, in model order.
    pub public: Vec<Arc<ObjectGrant>>,
}

impl GrantFacts {
    pub fn of<'g>(grants: impl IntoIterator<Item = &'g Arc<ObjectGrant>> + Clone) -> GrantFacts {
        GrantFacts {
            schemas: grant_schemas(grants.clone()),
            public: grants.into_iter().filter(|g| g.grantee == Grantee::Public).cloned().collect(),
        }
    }
}

impl Context {
    pub fn of(model: &Model, target_version: u32, catalog: Option<&Catalog>, library_files: Vec<FileId>) -> Context {
        Context::with(model, target_version, catalog, library_files, GrantFacts::of(&model.grants))
    }

    /// [`Context::of`], with the facts of the model's grants already found.
    pub fn with(
        model: &Model,
        target_version: u32,
        catalog: Option<&Catalog>,
        library_files: Vec<FileId>,
        grants: GrantFacts,
    ) -> Context {
        let mut tables: Vec<KnownTable> = model
            .objects
            .iter()
            .filter_map(|o| match &o.object {
                Object::Table { schema, name } => {
                    Some(KnownTable { schema: schema.clone(), name: name.clone(), view: false, tags: o.tags.clone() })
                }
                Object::View { schema, name } => {
                    Some(KnownTable { schema: schema.clone(), name: name.clone(), view: true, tags: o.tags.clone() })
                }
                _ => None,
            })
            .collect();
        tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        // The first declaration of a name counts (as the inventory order would).
        tables.dedup_by(|b, a| a.schema == b.schema && a.name == b.name);
        let schemas_with_tables = tables.iter().map(|t| t.schema.clone()).collect();
        let tags: BTreeSet<&str> = model
            .policies
            .iter()
            .flat_map(|p| &p.rules)
            .filter_map(|r| match &r.kind {
                RuleKind::MaxTablesTagged { tag, .. } => Some(tag.as_str()),
                _ => None,
            })
            .collect();
        let tagged = tags
            .into_iter()
            .map(|tag| {
                let mut bits = vec![0u64; tables.len().div_ceil(64)];
                for (i, _) in tables.iter().enumerate().filter(|(_, t)| t.tags.iter().any(|x| x == tag)) {
                    bits[i / 64] |= 1 << (i % 64);
                }
                (tag.to_string(), bits)
            })
            .collect();
        let schema_owners: BTreeMap<String, (String, usize, Span)> = model
            .schemas
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((s.name.clone(), (s.owner.clone()?, k, s.origin))))
            .collect();
        let mut table_ranges: FxHashMap<String, Range<u32>> = FxHashMap::default();
        for (i, t) in tables.iter().enumerate() {
            let range = table_ranges.entry(t.schema.clone()).or_insert(i as u32..i as u32);
            range.end = i as u32 + 1;
        }
        let mut table_keys: FxHashMap<u64, u32> = FxHashMap::default();
        for (i, t) in tables.iter().enumerate() {
            table_keys.entry(table_key(&t.schema, &t.name)).and_modify(|k| *k = u32::MAX).or_insert(i as u32);
        }
        let known_schemas: Vec<String> = known_schemas_with(model, catalog, &grants.schemas).into_iter().collect();
        let mut owned: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for (i, s) in known_schemas.iter().enumerate() {
            if let Some((owner, ..)) = schema_owners.get(s) {
                let bits = owned.entry(owner.as_str()).or_insert_with(|| vec![0u64; known_schemas.len().div_ceil(64)]);
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        let owned_schemas = owned.into_iter().map(|(owner, bits)| (owner.to_string(), bits)).collect();
        Context {
            target_version,
            policies: model.policies.clone(),
            complete_inventory: catalog.is_some(),
            known_schemas,
            tables,
            schemas_with_tables,
            table_ranges,
            table_keys,
            tagged,
            schema_owners,
            owned_schemas,
            public: grants.public,
            library_files,
        }
    }
}

impl Context {
    /// The positions in [`Self::tables`] of the known tables of `schema` (empty when none).
    pub fn tables_in(&self, schema: &str) -> Range<usize> {
        self.table_ranges.get(schema).map_or(0..0, |r| r.start as usize..r.end as usize)
    }

    /// The position in [`Self::tables`] of the known table or view `schema.name`.
    pub fn table(&self, schema: &str, name: &str) -> Option<usize> {
        match self.table_keys.get(&table_key(schema, name)) {
            None => None,
            Some(&u32::MAX) => self.search_table(schema, name),
            Some(&i) => {
                let t = &self.tables[i as usize];
                (t.name == name && t.schema == schema).then_some(i as usize)
            }
        }
    }

    /// [`Self::table`] by a search among the names of the schema's tables.
    fn search_table(&self, schema: &str, name: &str) -> Option<usize> {
        let range = self.tables_in(schema);
        let start = range.start;
        self.tables[range].binary_search_by(|t| t.name.as_str().cmp(name)).ok().map(|i| start + i)
    }
}

/// The key of a table in [`Context::table_keys`].
pub fn table_key(schema: &str, name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (schema, name).hash(&mut h);
    h.finish()
}

/// What the checks of one role read besides its own facts.
pub struct View<'a> {
    pub members: &'a MembershipAnalysis,
    pub ctx: &'a Context,
    /// The facts of another role of the model.
    pub facts: &'a dyn Fn(&str) -> Option<&'a RoleFacts>,
    /// The memberships of the part of the graph the role's chunk reaches (the chains of
    /// `members` number them).
    pub memberships: &'a dyn Fn() -> &'a [Arc<Membership>],
    /// Longest chains, loaded only for `memberships deeper than`.
    pub depths: &'a dyn Fn() -> &'a Depths,
    /// Whether a role is used other than by holding grants (W040): a member, an owner or
    /// creator, the owner or grantee of default privileges (see [`used_names`]).
    pub used: &'a dyn Fn(&str) -> bool,
    /// The known tables each role's own grants cover, computed once per role.
    pub table_bits: TableBits<'a>,
    /// The nodes of the roles each `exclusive` rule lists, by policy and rule (computed once).
    pub exclusive_nodes: std::cell::OnceCell<Vec<Vec<Vec<Option<u32>>>>>,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;

    /// The model of a policy without errors.
    fn model(text: &str) -> Model {
        let files = vec![("p.role".into(), text.to_string())];
        let ws = Workspace::load(Sources::Memory(files), BuildOptions::default()).unwrap();
        let errors: Vec<String> = ws.diagnostics().iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        ws.resolved().model.clone()
    }

    const POLICY: &str = "schema app { owner o }
schema other
schema reports
role o
table app.t2 { tags [pii] }
table app.t1
view app.v { tags [pii, hot] }
table other.t { tags [hot] }
role r {
  grant select on tables in schema reports
  grant usage on schema app
}
public {
  revoke create on schema app from public
}
policy p { max tables tagged pii 1 }
";

    #[test]
    fn the_context_lists_the_known_tables_sorted_with_their_tags_as_bits() {
        let model = model(POLICY);
        let ctx = Context::of(&model, 15, None, Vec::new());
        let names: Vec<(&str, &str, bool)> =
            ctx.tables.iter().map(|t| (t.schema.as_str(), t.name.as_str(), t.view)).collect();
        assert_eq!(names, [("app", "t1", false), ("app", "t2", false), ("app", "v", true), ("other", "t", false)]);
        assert_eq!(ctx.schemas_with_tables, BTreeSet::from(["app".to_string(), "other".to_string()]));
        // Only the tags a limit names get a bit set: `pii` is app.t2 (bit 1) and app.v (bit 2).
        assert_eq!(ctx.tagged, BTreeMap::from([("pii".to_string(), vec![0b110])]));
        assert_eq!(ctx.schema_owners.get("app").map(|(owner, k, _)| (owner.as_str(), *k)), Some(("o", 0)));
        // Each known table is found by its schema's range, as a search over every table finds it.
        for (i, t) in ctx.tables.iter().enumerate() {
            assert_eq!(ctx.table(&t.schema, &t.name), Some(i));
            assert_eq!(ctx.search_table(&t.schema, &t.name), Some(i));
        }
        // Names that share a hash are searched for: the answers are the same.
        let mut shared = ctx.clone();
        shared.table_keys.values_mut().for_each(|k| *k = u32::MAX);
        for (i, t) in ctx.tables.iter().enumerate() {
            assert_eq!(shared.table(&t.schema, &t.name), Some(i));
        }
        assert_eq!((shared.table("app", "t3"), shared.table("zz", "t")), (None, None));
        assert_eq!((ctx.table("app", "t3"), ctx.table("reports", "t1"), ctx.table("zz", "t")), (None, None, None));
        assert_eq!((ctx.tables_in("app"), ctx.tables_in("other"), ctx.tables_in("reports")), (0..3, 3..4, 0..0));
        // `o` owns `app`, the first of the known schemas `app`, `other`, `reports`.
        assert_eq!(ctx.owned_schemas, [("o".to_string(), vec![0b1])]);
        assert_eq!(ctx.public.len(), 1);
        assert!(!ctx.complete_inventory);
        assert_eq!(ctx.policies.len(), 1);
    }

    #[test]
    fn known_schemas_come_from_declarations_objects_grants_and_the_catalog() {
        let model = model(POLICY);
        let ctx = Context::of(&model, 15, None, Vec::new());
        assert_eq!(ctx.known_schemas, ["app", "other", "reports"]);
        let catalog: Catalog =
            serde_json::from_str(r#"{"format": "rolec-catalog/1", "schemas": [{"name": "audit"}], "objects": []}"#)
                .unwrap();
        let ctx = Context::of(&model, 15, Some(&catalog), Vec::new());
        assert_eq!(ctx.known_schemas, ["app", "audit", "other", "reports"]);
        assert!(ctx.complete_inventory);
    }

    #[test]
    fn grant_schemas_are_each_named_once_sorted() {
        let model = model(
            "schema a\nschema b\nrole r {\n  grant select on table b.t\n  grant select on table b.u\n  grant usage on schema a\n  grant select on table b.v\n}\n",
        );
        assert_eq!(grant_schemas(&model.grants), ["a", "b"]);
        assert_eq!(GrantFacts::of(&model.grants).schemas, ["a", "b"]);
        assert!(GrantFacts::of(&model.grants).public.is_empty());
    }
}
