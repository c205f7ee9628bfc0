//! Resolution: evaluates names and values, expands `for`, templates and `extends`, and checks
//! every reference. Three steps, so that an edit re-resolves only the file it is in:
//!
//! 1. [`scope`] (`scope.rs`), over the outlines of all files: `let`s (with `--set`
//!    overrides), `for` loops unrolled, templates registered, role and schema names evaluated
//!    and checked (reserved, too long, duplicate);
//! 2. [`resolve_file`], for one file against the scope: its role bodies flattened (template →
//!    extends → own statements) and applied in order, so that a `without` removes what came
//!    before it (`roles.rs`); its grants, defaults, public blocks, inventory and policies
//!    (`objects.rs`);
//! 3. [`combine`]: the files' parts in policy order, then what needs all of them: catalog
//!    inventory, default privileges implied by bulk grants, membership cycles.
//!
//! [`resolve`] runs the three on a whole policy; the database runs them as queries. `names.rs`
//! evaluates names and values and checks references.

mod expansion;
mod names;
mod objects;
mod roles;
mod scope;
#[cfg(test)]
mod suggestion_tests;

pub use expansion::MAX_EXPANSION;
pub use scope::{outline, scope, DeclKey, GlobalScope, ScopeLayout, ScopeLookup, ScopeRole};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::catalog::Catalog;
use super::checks::{self, allowed_on_default, allowed_on_object, check_length, check_privilege, reserved_role_name};
use super::values::{literal_kind, parse_duration, parse_timestamp, Env, Val};
use super::Grantee;
use super::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{self, *};
use crate::syntax::Span;

/// Resolves the syntax trees of all files of one policy.
pub fn resolve(files: &[Arc<SourceAst>], options: &BuildOptions, catalog: Option<&Catalog>) -> Resolved {
    let outlines: Vec<Arc<SourceAst>> = files.iter().map(|f| Arc::new(outline(f))).collect();
    let scope = &scope(&outlines, options);
    let parts: Vec<Arc<Part>> =
        (0..files.len()).map(|pos| Arc::new(resolve_file(scope, pos, &|p, _| files[p].clone(), options))).collect();
    combine(scope, &parts, options, catalog)
}

/// What one file adds to the model, with the diagnostics of resolving it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Part {
    /// Its roles with their memberships, grants and pg_hba rules; its schemas, `defaults`,
    /// inventory and policies.
    model: Model,
    /// Grants of `public { … }` blocks and top-level grants, which come after every role's
    /// grants in the model.
    public_grants: Vec<Arc<ObjectGrant>>,
    top_grants: Vec<Arc<ObjectGrant>>,
    /// Its memberships by member (the indexes in `model.memberships`), and the roles they
    /// make members of: what `combine` needs to look for cycles among the groups alone
    /// without reading every membership of the policy.
    members: Vec<(String, Vec<u32>)>,
    targets: Vec<String>,
    /// Where the memberships of top-level `grant ROLE to …` begin in `model.memberships`
    /// (they come last): `combine` keeps a pair stated twice once.
    role_grants_from: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Part {
    /// Its grants, by where they come in the model: role bodies, `public { … }` blocks,
    /// top-level grants.
    pub fn grant_lists(&self) -> [&[Arc<ObjectGrant>]; 3] {
        [&self.model.grants, &self.public_grants, &self.top_grants]
    }

    fn new(
        model: Model,
        public_grants: Vec<Arc<ObjectGrant>>,
        top_grants: Vec<Arc<ObjectGrant>>,
        role_grants_from: usize,
        diagnostics: Vec<Diagnostic>,
    ) -> Part {
        let mut members: Vec<(String, Vec<u32>)> = Vec::new();
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        for (k, m) in model.memberships.iter().enumerate() {
            let i = *index.entry(&m.member).or_insert_with(|| {
                members.push((m.member.clone(), Vec::new()));
                members.len() - 1
            });
            members[i].1.push(k as u32);
        }
        let mut targets: Vec<String> = model.memberships.iter().map(|m| m.role.clone()).collect();
        targets.sort_unstable();
        targets.dedup();
        let role_grants_from = role_grants_from.min(model.memberships.len());
        Part { model, public_grants, top_grants, members, targets, role_grants_from, diagnostics }
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        crate::drop_elsewhere::drop_elsewhere(std::mem::take(&mut self.model));
    }
}

/// Resolves the file at position `pos` of the policy. `tree(p, full)` gives the syntax tree of
/// the file at position `p`: read only for the file itself, the files whose roles its roles
/// extend (`full`) and the files that declare templates (whose outline suffices).
pub fn resolve_file(
    scope: &dyn ScopeLookup,
    pos: usize,
    tree: &dyn Fn(usize, bool) -> Arc<SourceAst>,
    options: &BuildOptions,
) -> Part {
    let layout = scope.layout();
    let extended = &layout.extended[pos];
    let mut needed: Vec<usize> = extended.iter().chain(&layout.template_files).copied().chain([pos]).collect();
    needed.sort_unstable();
    needed.dedup();
    let full = |p: usize| p == pos || extended.binary_search(&p).is_ok();
    let trees: Vec<(usize, Arc<SourceAst>)> = needed.into_iter().map(|p| (p, tree(p, full(p)))).collect();
    let mut r = Resolver::new(options, scope);
    for (p, file) in &trees {
        let collect = if *p == pos { Collect::Own } else { Collect::Other { roles: full(*p) } };
        r.collect_file(file, *p, collect);
    }
    r.build_file(pos);
    // Diagnostics reported twice are dropped once, by `combine`, over every part.
    Part::new(
        std::mem::take(&mut r.model),
        std::mem::take(&mut r.public_grants),
        std::mem::take(&mut r.top_grants_built),
        r.role_grants_from,
        std::mem::take(&mut r.diags),
    )
}

/// The model of the whole policy: the files' parts in order, the catalog's inventory, the
/// default privileges implied by bulk grants, and membership cycles.
pub fn combine(
    scope: &GlobalScope,
    parts: &[Arc<Part>],
    options: &BuildOptions,
    catalog: Option<&Catalog>,
) -> Resolved {
    let mut r = Resolver::new(options, scope);
    r.diags.extend(scope.diagnostics.iter().cloned());
    let m = &mut r.model;
    m.external_roles = scope.external_roles.clone();
    m.databases = scope.layout.databases.clone();
    m.managed_globs = scope.managed_globs.clone();
    let roles = parts.iter().map(|p| p.model.roles.len()).sum();
    m.roles.reserve(roles);
    for part in parts {
        m.roles.extend(part.model.roles.iter().cloned());
        m.schemas.extend(part.model.schemas.iter().cloned());
        m.memberships.extend(part.model.memberships.iter().cloned());
        m.grants.extend(part.model.grants.iter().cloned());
        m.default_privileges.extend(part.model.default_privileges.iter().cloned());
        m.hba.extend(part.model.hba.iter().cloned());
        m.objects.extend(part.model.objects.iter().cloned());
        m.policies.extend(part.model.policies.iter().cloned());
        r.diags.extend(part.diagnostics.iter().cloned());
    }
    for part in parts {
        r.model.grants.extend(part.public_grants.iter().cloned());
    }
    for part in parts {
        r.model.grants.extend(part.top_grants.iter().cloned());
    }
    if let Some(catalog) = catalog {
        r.add_catalog_inventory(catalog);
    }
    r.implied_default_privileges();
    let has_members: rustc_hash::FxHashSet<&str> =
        parts.iter().flat_map(|p| p.targets.iter().map(String::as_str)).collect();
    let mut candidates = Vec::new();
    let mut offset = 0;
    for part in parts {
        for (member, memberships) in &part.members {
            if has_members.contains(member.as_str()) {
                candidates.extend(memberships.iter().map(|&k| offset + k as usize));
            }
        }
        offset += part.model.memberships.len();
    }
    candidates.sort_unstable();
    let cycles = checks::membership_cycles(&r.model.memberships, &candidates);
    r.diags.extend(cycles);
    r.drop_restated_memberships(parts);
    r.finish(scope.unknown_sets.clone())
}

impl Resolver<'_> {
    /// A membership that a top-level `grant ROLE to …` states again is kept once: a role's own
    /// `member of` wins (with its options), else the first grant that states it.
    fn drop_restated_memberships(&mut self, parts: &[Arc<Part>]) {
        let memberships = &mut self.model.memberships;
        if parts.iter().all(|p| p.role_grants_from == p.model.memberships.len()) {
            return;
        }
        let mut granted = vec![false; memberships.len()];
        let mut offset = 0;
        for p in parts {
            granted[offset + p.role_grants_from..offset + p.model.memberships.len()].fill(true);
            offset += p.model.memberships.len();
        }
        let keep: Vec<bool> = {
            let pairs = memberships.iter().map(|m| (m.role.as_str(), m.member.as_str()));
            let stated: rustc_hash::FxHashSet<(&str, &str)> =
                pairs.clone().zip(&granted).filter(|(_, g)| !**g).map(|(pair, _)| pair).collect();
            let mut seen = rustc_hash::FxHashSet::default();
            pairs.zip(&granted).map(|(pair, g)| !*g || (!stated.contains(&pair) && seen.insert(pair))).collect()
        };
        let mut keep = keep.into_iter();
        memberships.retain(|_| keep.next().unwrap_or(true));
    }

    /// Objects of a catalog snapshot join the declared inventory; a declaration of the same
    /// object wins (its tags are the policy's) and takes the catalog's owner. The catalog's
    /// schemas join it too, with their owners.
    fn add_catalog_inventory(&mut self, catalog: &Catalog) {
        let declared: HashMap<Object, usize> =
            self.model.objects.iter().enumerate().map(|(k, o)| (o.object.clone(), k)).collect();
        let schemas = catalog.schema_inventory().map(|(schema, owner)| (schema, &[][..], owner));
        for (object, tags, owner) in schemas.chain(catalog.inventory()) {
            match declared.get(&object) {
                Some(&k) => self.model.objects[k].owner = owner.map(str::to_string),
                None => self.model.objects.push(InventoryObject {
                    object,
                    tags: tags.to_vec(),
                    owner: owner.map(str::to_string),
                    database: self.model.databases.first().cloned(),
                    origin: None,
                }),
            }
        }
    }
}

/// A role declaration as collected, with the scope of its `for` loops.
struct RoleInst<'a> {
    decl: &'a RoleDecl,
    env: Env,
    span: Span,
    /// Its file and place in it.
    key: DeclKey,
}

struct SchemaInst<'a> {
    decl: &'a SchemaDecl,
    env: Env,
    span: Span,
    /// Its file and place in it.
    key: DeclKey,
}

/// What collecting a file's items keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collect {
    /// Everything the scope is made of (from an outline).
    Scope,
    /// Everything: the file being resolved.
    Own,
    /// Templates, and role declarations if `roles` (another file, whose roles are extended).
    Other { roles: bool },
}

/// A statement of a role body after templates and `extends` are inlined, with its scope and,
/// for statements of a template, the outermost `use` that brought them in: what the statement
/// produces is attributed there, in the user's own file.
///
/// A statement also carries its place in the body of the role the list is for (`None` for one
/// of a template or of a role extended): what W004 compares.
enum Flat<'a> {
    Stmt(&'a Stmt, Env, Option<Span>, Option<usize>),
    Without(&'a Without, Env),
}

struct Resolver<'a> {
    options: &'a BuildOptions,
    /// The policy's scope, to resolve one file against.
    scope: &'a dyn ScopeLookup,
    /// The scope being built (passes 1–3).
    built: GlobalScope,
    diags: Vec<Diagnostic>,
    globals: Env,
    templates: FxHashMap<String, (&'a TemplateDecl, Span)>,
    /// The role declarations of the files collected.
    roles: Vec<RoleInst<'a>>,
    /// Role key → index in `roles`.
    role_at: FxHashMap<DeclKey, usize>,
    /// The place in its file the next role (schema) declaration collected gets.
    next_role: usize,
    next_schema: usize,
    schemas: Vec<SchemaInst<'a>>,
    defaults: Vec<(&'a DefaultsBlock, Env)>,
    publics: Vec<(&'a [Stmt], Env)>,
    objects: Vec<(&'a ObjectDecl, Env)>,
    policies: Vec<(&'a PolicyDecl, Env)>,
    top_grants: Vec<(&'a Grant, &'a [ast::Grantee], Span, Env)>,
    /// Top-level `grant ROLE, … to MEMBER, …`.
    role_grants: Vec<(&'a [ast::Name], &'a MemberOf, Span, Env)>,
    /// Where the memberships of `role_grants` begin in `model.memberships`.
    role_grants_from: usize,
    /// What `public { … }` blocks and top-level grants resolve to (see [`Part`]).
    public_grants: Vec<Arc<ObjectGrant>>,
    top_grants_built: Vec<Arc<ObjectGrant>>,
    flat_cache: FxHashMap<DeclKey, Rc<Vec<Flat<'a>>>>,
    /// While a template is being inlined: the span of the outermost `use`.
    use_site: Option<Span>,
    /// Declarations collected so far from the file being collected, `for` loops unrolled
    /// (see [`MAX_EXPANSION`]).
    collected: u64,
    /// Statements the outermost template uses of the roles built so far inline.
    inlined: u64,
    /// Statements each template inlines, once measured.
    template_sizes: FxHashMap<String, u64>,
    /// Comparisons "did you mean" may still make (see [`SUGGESTION_BUDGET`]).
    suggestion_budget: std::cell::Cell<usize>,
    model: Model,
}

impl<'a> Resolver<'a> {
    fn new(options: &'a BuildOptions, scope: &'a dyn ScopeLookup) -> Self {
        let globals = Env::default().with_all(scope.layout().globals.iter().cloned());
        Resolver {
            options,
            scope,
            built: GlobalScope::default(),
            diags: Vec::new(),
            globals,
            templates: FxHashMap::default(),
            roles: Vec::new(),
            role_at: FxHashMap::default(),
            next_role: 0,
            next_schema: 0,
            schemas: Vec::new(),
            defaults: Vec::new(),
            publics: Vec::new(),
            objects: Vec::new(),
            policies: Vec::new(),
            top_grants: Vec::new(),
            role_grants: Vec::new(),
            role_grants_from: usize::MAX,
            public_grants: Vec::new(),
            top_grants_built: Vec::new(),
            flat_cache: FxHashMap::default(),
            use_site: None,
            collected: 0,
            inlined: 0,
            template_sizes: FxHashMap::default(),
            suggestion_budget: std::cell::Cell::new(SUGGESTION_BUDGET),
            model: Model::default(),
        }
    }

    fn finish(self, unknown_sets: Vec<String>) -> Resolved {
        let mut seen = HashSet::new();
        let diagnostics = self.diags.into_iter().filter(|d| seen.insert(d.clone())).collect();
        Resolved { model: self.model, diagnostics, unknown_sets }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The declaration of role `key`, if its file was collected.
    fn role_inst(&self, key: DeclKey) -> Option<&RoleInst<'a>> {
        self.role_at.get(&key).map(|&i| &self.roles[i])
    }

    // ------------------------------------------------------------------ collecting items

    fn collect_file(&mut self, file: &'a SourceAst, pos: usize, collect: Collect) {
        let env = self.globals.clone();
        (self.next_role, self.next_schema, self.collected) = (0, 0, 0);
        for item in &file.items {
            self.collect_item(item, &env, true, pos, collect);
        }
    }

    fn collect_item(&mut self, item: &'a Item, env: &Env, top: bool, file: usize, collect: Collect) {
        let own = collect == Collect::Own;
        self.collected += 1;
        match &item.kind {
            ItemKind::Role(decl) => {
                let key = (file, self.next_role);
                self.next_role += 1;
                if !matches!(collect, Collect::Other { roles: false }) {
                    self.role_at.insert(key, self.roles.len());
                    self.roles.push(RoleInst { decl, env: env.clone(), span: decl.name.span, key });
                }
            }
            ItemKind::Template(decl) => {
                if !top {
                    self.not_here(decl.name.span, "`template` is only allowed at the top level of a file");
                    if self.templates.contains_key(&decl.name.text) {
                        return; // the same declaration, seen again in the next iteration
                    }
                }
                if let Some((_, first)) = self.templates.get(&decl.name.text) {
                    let d = Diagnostic::new(
                        Code::Duplicate,
                        decl.name.span,
                        format!("template `{}` is defined twice", decl.name.text),
                    )
                    .label("second definition")
                    .with_secondary(*first, "first defined here");
                    self.error(d);
                } else {
                    self.templates.insert(decl.name.text.clone(), (decl, decl.name.span));
                }
            }
            ItemKind::Let(decl) if !top => {
                self.not_here(decl.name.span, "`let` is only allowed at the top level of a file")
            }
            ItemKind::Let(_) | ItemKind::Error => {}
            ItemKind::Import(_) if !top => {
                self.not_here(item.span, "`import` is only allowed at the top level of a file")
            }
            ItemKind::Import(_) => {}
            ItemKind::Databases(names) if !top => {
                if let Some(n) = names.first() {
                    self.not_here(n.span, "`databases` is only allowed at the top level of a file")
                }
            }
            ItemKind::Databases(_) => {}
            ItemKind::InDatabase(n, items) => {
                let Some(database) = self.database_ref(n, env) else { return };
                let inner = env.with(DATABASE_VAR, Val::Str(database));
                for item in items {
                    if in_database_item(&item.kind) {
                        self.collect_item(item, &inner, false, file, collect);
                    } else if own {
                        self.not_here(
                            item.span,
                            "only schemas, grants, `defaults`, `public` blocks, inventory and `for` belong to a database",
                        );
                    }
                }
            }
            ItemKind::For(l) => {
                let Some(iter) = self.value(&l.iter, env) else { return };
                let Val::List(values) = iter else {
                    let d = Diagnostic::new(
                        Code::InvalidValue,
                        l.iter.span,
                        format!("`for` needs a list, this is {}", a(iter.type_name())),
                    )
                    .label("not a list")
                    .help("write a list such as `[\"a\", \"b\"]` or the name of a `let` that holds one");
                    self.error(d);
                    return;
                };
                // At the `for` keyword: the same span in an outline as in the full tree.
                let keyword = Span { end: item.span.start + "for".len() as u32, ..item.span };
                if !self.loop_fits(l, keyword, env) {
                    return;
                }
                for v in values {
                    let inner = env.with(&l.var.text, v);
                    for item in &l.items {
                        self.collect_item(item, &inner, false, file, collect);
                    }
                }
            }
            ItemKind::External(names) if collect == Collect::Scope => {
                for n in names {
                    let Some(name) = self.name(n, env) else { continue };
                    self.built.externals.entry(name).or_insert(n.span);
                }
            }
            ItemKind::Manage(globs) if collect == Collect::Scope => self.manage(globs, env),
            ItemKind::External(_) | ItemKind::Manage(_) => {}
            ItemKind::Schema(decl) => {
                let key = (file, self.next_schema);
                self.next_schema += 1;
                if matches!(collect, Collect::Scope | Collect::Own) {
                    self.schemas.push(SchemaInst { decl, env: env.clone(), span: decl.name.span, key });
                }
            }
            ItemKind::Object(decl) if own => self.objects.push((decl, env.clone())),
            ItemKind::Defaults(block) if own => self.defaults.push((block, env.clone())),
            ItemKind::Public(stmts) if own => self.publics.push((stmts, env.clone())),
            ItemKind::Policy(decl) if own => self.policies.push((decl, env.clone())),
            ItemKind::Grant(grant, grantees) if own => self.top_grants.push((grant, grantees, item.span, env.clone())),
            ItemKind::GrantRole(roles, members) if own => {
                self.role_grants.push((roles, members, item.span, env.clone()))
            }
            ItemKind::Object(_)
            | ItemKind::Defaults(_)
            | ItemKind::Public(_)
            | ItemKind::Policy(_)
            | ItemKind::Grant(..)
            | ItemKind::GrantRole(..) => {}
        }
    }

    /// `manage roles matching "glob", …`
    fn manage(&mut self, globs: &[ast::Template], env: &Env) {
        for t in globs {
            let Some(glob) = self.interpolate(t, env) else { continue };
            match globset::Glob::new(&glob) {
                Ok(_) if !glob.is_empty() => {
                    if !self.built.managed_globs.contains(&glob) {
                        self.built.managed_globs.push(glob);
                    }
                }
                Ok(_) => self.error(
                    Diagnostic::new(Code::InvalidValue, t.span, "an empty glob matches no role")
                        .label("empty")
                        .help("write a glob over role names such as `\"app_*\"`"),
                ),
                Err(e) => {
                    let d = Diagnostic::new(
                        Code::InvalidValue,
                        t.span,
                        format!("`{glob}` is not a valid glob: {}", e.kind()),
                    )
                    .label("malformed glob")
                    .help("`*` matches any run of characters, `?` one character and `[abc]` one of a set");
                    self.error(d);
                }
            }
        }
    }

    fn not_here(&mut self, span: Span, message: &str) {
        self.error(Diagnostic::new(Code::NotAllowedHere, span, message.to_string()).label("not allowed here"));
    }
}

/// The variable that holds, inside `in database NAME { … }`, the database the items belong to
/// (a name no policy can write).
pub(super) const DATABASE_VAR: &str = "\u{0}database";

/// Whether an item may stand inside `in database { … }` (and inside a `for` there).
fn in_database_item(kind: &ItemKind) -> bool {
    match kind {
        ItemKind::Schema(_)
        | ItemKind::Object(_)
        | ItemKind::Defaults(_)
        | ItemKind::Public(_)
        | ItemKind::Grant(..)
        | ItemKind::Error => true,
        ItemKind::For(l) => l.items.iter().all(|i| in_database_item(&i.kind)),
        _ => false,
    }
}

/// A noun with its indefinite article: `an int`, `a list`.
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {noun}")
}

fn param_list(t: &TemplateDecl) -> String {
    if t.params.is_empty() {
        return "none".to_string();
    }
    t.params.iter().map(|p| format!("`{}: {}`", p.name.text, p.ty.as_str())).collect::<Vec<_>>().join(", ")
}

/// How a name is written in the language: bare when that reads back the same, else quoted.
fn display_name(name: &str) -> String {
    let bare = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        name.to_string()
    } else {
        crate::syntax::write::string(name)
    }
}

fn fmt_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// How many names "did you mean" may compare in one resolution: enough for every typo a person
/// makes, and a bound on the time a policy with thousands of unknown names can take.
const SUGGESTION_BUDGET: usize = 500_000;

impl Resolver<'_> {
    /// The candidate closest to `name`, if it is close enough to be a typo (and the suggestion
    /// budget is not spent).
    fn closest<'x>(&self, name: &str, candidates: impl Iterator<Item = &'x str>) -> Option<&'x str> {
        crate::diagnostics::suggest::closest(name, candidates, &self.suggestion_budget)
    }
}
