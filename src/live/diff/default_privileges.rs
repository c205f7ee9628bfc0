//! Default privileges (`ALTER DEFAULT PRIVILEGES`), per owner, schema (or global) and kind.
//! A global entry the server does not have stands for the built-in default (acldefault).

use std::collections::{BTreeMap, BTreeSet};

use super::audit::{grantee_name, Finding};
use super::object_key::ObjectKey;
use super::plan::{Change, ChangePlan, PlanPhase};
use super::privileges::{expand, grants_needed, keywords, revokes_needed, PrivilegeSet};
use super::{grantee_sql, Context};
use crate::model::catalog::{AclItem, LiveDefaultAcl};
use crate::model::{default_object_kind, merged_default_privileges, Grantee};
use crate::pg::quote::ident;
use crate::pg::{AclKind, Privilege};
use crate::syntax::ast::DefaultKind;

/// A grantee (`None`: PUBLIC) → what it holds.
pub(crate) type Acl = BTreeMap<Option<String>, PrivilegeSet>;

/// One grantee of one entry: what the policy wants and what the server has.
pub(crate) struct GranteeComparison {
    pub grantee: Option<String>,
    pub want: PrivilegeSet,
    pub have: PrivilegeSet,
}

/// One default-privilege entry.
pub(crate) struct DefaultAclComparison {
    pub owner: String,
    /// `None`: global.
    pub schema: Option<String>,
    /// As `pg_default_acl` is read: `tables`, `functions`, …
    pub kind: String,
    /// The grantees in scope (managed, or named by the policy for this entry).
    pub grantees: Vec<GranteeComparison>,
    /// The whole entry as the server has it (built-in default expanded).
    pub have: Acl,
    /// What the server shows as no entry at all.
    pub builtin: Acl,
}

/// The kind of entry a policy statement makes.
fn default_kind(k: DefaultKind) -> &'static str {
    match k {
        DefaultKind::Tables => "tables",
        DefaultKind::Sequences => "sequences",
        DefaultKind::Functions | DefaultKind::Routines => "functions",
        DefaultKind::Types => "types",
        DefaultKind::Schemas => "schemas",
    }
}

/// What a global default-privilege entry that does not exist stands for (acldefault): all
/// privileges for the owner, and PUBLIC's built-in ones.
fn builtin_default_acl(kind: &str, owner: &str, major: u32) -> Acl {
    let mut acl = Acl::new();
    let kind = AclKind::of_default_acl(kind);
    acl.insert(Some(owner.to_string()), PrivilegeSet::plain(&all_privileges(kind, major)));
    let public = kind.map_or(&[][..], AclKind::public_defaults);
    if !public.is_empty() {
        acl.insert(None, PrivilegeSet::plain(public));
    }
    acl
}

/// What `ALL` stands for in a default-privilege entry of `kind` (none for a kind rolec does not
/// know).
fn all_privileges(kind: Option<AclKind>, major: u32) -> Vec<Privilege> {
    kind.map(|k| k.all_privileges(major).collect()).unwrap_or_default()
}

/// (owner, schema, kind)
type EntryKey = (String, Option<String>, String);

pub(crate) fn compare(cx: &Context<'_>) -> Vec<DefaultAclComparison> {
    let major = cx.major;
    // What an entry absent from the server stands for.
    let absent = |key: &EntryKey| if key.1.is_none() { builtin_default_acl(&key.2, &key.0, major) } else { Acl::new() };
    let mut want: BTreeMap<EntryKey, Acl> = BTreeMap::new();
    let mut mentioned: BTreeSet<(EntryKey, Option<String>)> = BTreeSet::new();
    let mut have: BTreeMap<EntryKey, Acl> = BTreeMap::new();
    for e in &cx.live.default_privileges {
        let acl = have.entry((e.owner.clone(), e.schema.clone(), e.kind.clone())).or_default();
        for item in &e.acl {
            let Some(privilege) = Privilege::from_sql(&item.privilege) else { continue };
            acl.entry(item.grantee.clone()).or_default().insert(privilege, item.grantable);
        }
    }
    let grantee_of = |g: &Grantee| match g {
        Grantee::Public => None,
        Grantee::Role(r) => Some(r.clone()),
    };
    for d in &cx.model.default_privileges {
        let key = (d.owner.clone(), d.schema.clone(), default_kind(d.kind).to_string());
        want.entry(key.clone()).or_insert_with(|| absent(&key));
        mentioned.insert((key, grantee_of(&d.grantee)));
    }
    for d in &cx.model.default_privileges {
        let key = (d.owner.clone(), d.schema.clone(), default_kind(d.kind).to_string());
        let privileges = expand(&d.privileges, &all_privileges(AclKind::of_default_acl(&key.2), major));
        let acl = want.entry(key).or_default().entry(grantee_of(&d.grantee)).or_default();
        for p in privileges {
            if d.revoke {
                acl.remove(p);
            } else {
                acl.add(p, d.grant_option);
            }
        }
    }
    // Entries that exist only live: the policy wants the built-in default (global) or
    // nothing (per schema) there.
    for key in have.keys() {
        if !want.contains_key(key) {
            want.insert(key.clone(), absent(key));
        }
    }
    let mut out = Vec::new();
    for (key, want_acl) in want {
        let have_acl = have.get(&key).cloned().unwrap_or_else(|| absent(&key));
        let names: BTreeSet<&Option<String>> = want_acl.keys().chain(have_acl.keys()).collect();
        let mut grantees = Vec::new();
        for g in names {
            let in_scope = match g {
                Some(r) => cx.scope.manages(r) || mentioned.contains(&(key.clone(), g.clone())),
                None => mentioned.contains(&(key.clone(), None)),
            };
            if in_scope {
                let want = want_acl.get(g).cloned().unwrap_or_default();
                let have = have_acl.get(g).cloned().unwrap_or_default();
                grantees.push(GranteeComparison { grantee: g.clone(), want, have });
            }
        }
        let builtin = absent(&key);
        let (owner, schema, kind) = key;
        out.push(DefaultAclComparison { owner, schema, kind, grantees, have: have_acl, builtin });
    }
    out
}

impl DefaultAclComparison {
    pub fn plan(&self, plan: &mut ChangePlan) {
        let head = format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {}{}",
            ident(&self.owner),
            self.schema.as_ref().map(|s| format!(" IN SCHEMA {}", ident(s))).unwrap_or_default()
        );
        let kind_sql = self.kind.to_ascii_uppercase().replace('_', " ");
        for g in &self.grantees {
            let to = grantee_sql(&g.grantee);
            for (privs, option) in grants_needed(&g.want, &g.have) {
                let with = if option { " WITH GRANT OPTION" } else { "" };
                plan.push(Change::new(
                    PlanPhase::DefaultPrivileges,
                    format!("{head} GRANT {} ON {kind_sql} TO {to}{with};", keywords(&privs)),
                ));
            }
            for (privs, option_only) in revokes_needed(&g.want, &g.have) {
                let what = if option_only { "GRANT OPTION FOR " } else { "" };
                plan.push(Change::new(
                    PlanPhase::DefaultPrivileges,
                    format!("{head} REVOKE {what}{} ON {kind_sql} FROM {to};", keywords(&privs)),
                ));
            }
        }
    }

    /// Findings for the grantees in scope (but for an owner's own unchanged privileges), and
    /// the entry as the plan leaves it (`None` when the server then shows no entry).
    pub fn audit(&self, findings: &mut Vec<Finding>) -> Option<LiveDefaultAcl> {
        let (owner, kind) = (&self.owner, &self.kind);
        let mut result = self.have.clone();
        for g in &self.grantees {
            let (w, h) = (&g.want, &g.have);
            let both_empty = w.is_empty() && h.is_empty();
            let owner_unchanged = g.grantee.as_deref() == Some(owner.as_str()) && w == h;
            if !both_empty && !owner_unchanged {
                let item = format!(
                    "default privileges on {kind} for role {owner}{}",
                    self.schema.as_ref().map(|s| format!(" in schema {s}")).unwrap_or_default()
                );
                findings.push(Finding::new(w == h, &grantee_name(&g.grantee), item, w.text(), h.text()));
            }
            if w.is_empty() {
                result.remove(&g.grantee);
            } else {
                result.insert(g.grantee.clone(), w.clone());
            }
        }
        // The server removes an entry that stands for the built-in default (or for nothing).
        if result == self.builtin {
            return None;
        }
        let acl = result
            .iter()
            .flat_map(|(g, privs)| {
                privs.iter().map(move |h| AclItem {
                    grantee: g.clone(),
                    privilege: h.privilege.sql().to_string(),
                    grantable: h.grant_option,
                })
            })
            .collect();
        Some(LiveDefaultAcl { owner: owner.clone(), schema: self.schema.clone(), kind: kind.clone(), acl })
    }
}

/// What the policy's default privileges give the objects a role creates: the entries `up.sql`'s
/// `ALTER DEFAULT PRIVILEGES` statements leave, replayed in order from the same statements
/// ([`merged_default_privileges`]) as the privilege analysis replays for `explain` and `who-can`
/// ("future tables in schema S created by R"). A new object gets the global entry of its
/// creator (its owner) and kind united with the entry of its schema (PostgreSQL's
/// `get_user_default_acl`). The built-in default is left out: it gives only the owner and
/// PUBLIC, which are never accepted this way.
pub(crate) struct DefaultsGiven {
    /// (owner, schema (`None`: global), kind) → grantee → privileges, from policy statements.
    entries: BTreeMap<(String, Option<String>, AclKind), Acl>,
}

impl DefaultsGiven {
    pub fn of(cx: &Context<'_>) -> DefaultsGiven {
        let mut entries: BTreeMap<(String, Option<String>, AclKind), Acl> = BTreeMap::new();
        for (d, _) in merged_default_privileges(&cx.model.default_privileges) {
            let kind = default_object_kind(d.kind);
            let privileges = expand(&d.privileges, &all_privileges(Some(kind), cx.major));
            let grantee = match &d.grantee {
                Grantee::Public => None,
                Grantee::Role(r) => Some(r.clone()),
            };
            let acl = entries.entry((d.owner.clone(), d.schema.clone(), kind)).or_default();
            let held = acl.entry(grantee).or_default();
            for p in privileges {
                if d.revoke {
                    held.remove(p);
                } else {
                    held.add(p, d.grant_option);
                }
            }
        }
        DefaultsGiven { entries }
    }

    /// Whether the policy's default privileges say what `owner` itself holds on the objects
    /// like `key` it creates (`defaults for role o { revoke … from o }`): then they, not the
    /// owner's built-in rights, decide its own privileges.
    pub fn shape_owner(&self, key: &ObjectKey, owner: &str) -> bool {
        let kind = key.kind.acl_kind();
        let me = Some(owner.to_string());
        [None, key.schema.clone()]
            .into_iter()
            .any(|schema| self.entries.get(&(owner.to_string(), schema, kind)).is_some_and(|acl| acl.contains_key(&me)))
    }

    /// Adds to `want` what `have` holds of what the defaults give `grantee` on `key` (owned by
    /// `owner`), with the grant option only where both have it: a privilege default ACLs gave
    /// an object is expected when present, never granted by a plan. The grounds of what was
    /// added (`from default privileges of "owner" in schema "s"`), `None` when nothing was.
    pub fn accept(
        &self,
        want: &mut PrivilegeSet,
        have: &PrivilegeSet,
        key: &ObjectKey,
        owner: &str,
        grantee: &Option<String>,
    ) -> Option<String> {
        let kind = key.kind.acl_kind();
        // A new schema takes only the global entry; a schema's objects the global entry and
        // the entry of their schema.
        let schemas = match &key.schema {
            Some(s) => vec![None, Some(s.clone())],
            None => vec![None],
        };
        let mut grounds: Vec<String> = Vec::new();
        for schema in &schemas {
            let entry = (owner.to_string(), schema.clone(), kind);
            let Some(given) = self.entries.get(&entry).and_then(|acl| acl.get(grantee)) else { continue };
            for h in have.iter() {
                let Some(option) = given.grant_option(h.privilege) else { continue };
                let wanted = want.grant_option(h.privilege);
                let option = option && h.grant_option;
                if wanted.is_some_and(|w| w || !option) {
                    continue; // the policy grants it anyway
                }
                want.insert(h.privilege, option);
                let from = format!(
                    "from default privileges of {}{}",
                    ident(owner),
                    schema.as_ref().map(|s| format!(" in schema {}", ident(s))).unwrap_or_default()
                );
                if !grounds.contains(&from) {
                    grounds.push(from);
                }
            }
        }
        (!grounds.is_empty()).then(|| grounds.join("; "))
    }
}
