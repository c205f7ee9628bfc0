//! What the per-role checks share ([`Context`], extracted from the model once per revision)
//! and what they read besides a role's own facts ([`View`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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
    /// For each tag a limit names, the known tables with that tag, as a bit set over
    /// [`Self::tables`].
    pub tagged: BTreeMap<String, Vec<u64>>,
    /// Declared schema owners: schema → (owner, index of the schema in the model, origin).
    pub schema_owners: BTreeMap<String, (String, usize, Span)>,
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
        let schema_owners = model
            .schemas
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((s.name.clone(), (s.owner.clone()?, k, s.origin))))
            .collect();
        Context {
            target_version,
            policies: model.policies.clone(),
            complete_inventory: catalog.is_some(),
            known_schemas: known_schemas_with(model, catalog, &grants.schemas).into_iter().collect(),
            tables,
            schemas_with_tables,
            tagged,
            schema_owners,
            public: grants.public,
            library_files,
        }
    }
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
    pub table_bits: TableBits,
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
