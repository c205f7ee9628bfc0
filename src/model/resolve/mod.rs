//! Resolution: evaluates names and values, expands `for`, templates and `extends`, and checks
//! every reference. Runs in ordered passes over all files of a policy:
//!
//! 1. `let`s (with `--set` overrides) → global scope;
//! 2. items collected, `for` loops unrolled, templates registered;
//! 3. role and schema names evaluated and checked (reserved, too long, duplicate);
//! 4. role bodies flattened (template → extends → own statements) and applied in order, so a
//!    `without` removes what came before it;
//! 5. defaults, public blocks, inventory, policies; default privileges implied by bulk grants;
//! 6. membership cycles.
//!
//! Files: this one holds the passes up to naming; `roles.rs` flattens and applies role bodies;
//! `objects.rs` handles grants, defaults and the other items; `names.rs` evaluates names and
//! values and checks references.

mod names;
mod objects;
mod roles;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use super::checks::{self, allowed_on_default, allowed_on_object, check_length, check_privilege, reserved_role_name};
use super::values::{literal_kind, parse_duration, parse_timestamp, Env, Val};
use super::catalog::Catalog;
use super::*;
use super::Grantee;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{self, *};
use crate::syntax::Span;

/// Resolves the syntax trees of all files of one policy.
pub fn resolve(files: &[Arc<SourceAst>], options: &BuildOptions, catalog: Option<&Catalog>) -> Resolved {
    let mut r = Resolver::new(options);
    r.collect_lets(files);
    for file in files {
        let env = r.globals.clone();
        for item in &file.items {
            r.collect_item(item, &env, true);
        }
    }
    r.name_roles_and_schemas();
    r.build_roles();
    r.build_rest();
    if let Some(catalog) = catalog {
        r.add_catalog_inventory(catalog);
    }
    r.implied_default_privileges();
    let cycles = checks::membership_cycles(&r.model.memberships);
    r.diags.extend(cycles);
    r.finish()
}

impl Resolver<'_> {
    /// Objects of a catalog snapshot join the declared inventory; a declaration of the same
    /// object wins (its tags are the policy's).
    fn add_catalog_inventory(&mut self, catalog: &Catalog) {
        let declared: HashSet<Object> = self.model.objects.iter().map(|o| o.object.clone()).collect();
        for (object, tags) in catalog.inventory() {
            if !declared.contains(&object) {
                self.model.objects.push(InventoryObject { object, tags: tags.to_vec(), origin: None });
            }
        }
    }
}

struct RoleInst<'a> {
    decl: &'a RoleDecl,
    env: Env,
    span: Span,
    name: Option<String>,
}

/// A statement of a role body after templates and `extends` are inlined, with its scope and,
/// for statements of a template, the outermost `use` that brought them in: what the statement
/// produces is attributed there, in the user's own file.
enum Flat<'a> {
    Stmt(&'a Stmt, Env, Option<Span>),
    Without(&'a Without, Env),
}

struct Resolver<'a> {
    options: &'a BuildOptions,
    diags: Vec<Diagnostic>,
    globals: Env,
    unknown_sets: Vec<String>,
    templates: HashMap<String, (&'a TemplateDecl, Span)>,
    roles: Vec<RoleInst<'a>>,
    role_index: HashMap<String, usize>,
    externals: HashMap<String, Span>,
    schemas: Vec<(&'a SchemaDecl, Env, Span)>,
    schema_index: HashMap<String, usize>,
    defaults: Vec<(&'a DefaultsBlock, Env)>,
    publics: Vec<(&'a [Stmt], Env)>,
    objects: Vec<(&'a ObjectDecl, Env)>,
    policies: Vec<(&'a PolicyDecl, Env)>,
    top_grants: Vec<(&'a Grant, &'a [ast::Grantee], Span, Env)>,
    flat_cache: HashMap<usize, Rc<Vec<Flat<'a>>>>,
    /// While a template is being inlined: the span of the outermost `use`.
    use_site: Option<Span>,
    /// Comparisons "did you mean" may still make (see [`SUGGESTION_BUDGET`]).
    suggestion_budget: std::cell::Cell<usize>,
    model: Model,
}

impl<'a> Resolver<'a> {
    fn new(options: &'a BuildOptions) -> Self {
        Resolver {
            options,
            diags: Vec::new(),
            globals: Env::default(),
            unknown_sets: Vec::new(),
            templates: HashMap::new(),
            roles: Vec::new(),
            role_index: HashMap::new(),
            externals: HashMap::new(),
            schemas: Vec::new(),
            schema_index: HashMap::new(),
            defaults: Vec::new(),
            publics: Vec::new(),
            objects: Vec::new(),
            policies: Vec::new(),
            top_grants: Vec::new(),
            flat_cache: HashMap::new(),
            use_site: None,
            suggestion_budget: std::cell::Cell::new(SUGGESTION_BUDGET),
            model: Model::default(),
        }
    }

    fn finish(self) -> Resolved {
        let mut seen = HashSet::new();
        let diagnostics = self.diags.into_iter().filter(|d| seen.insert(d.clone())).collect();
        Resolved { model: self.model, diagnostics, unknown_sets: self.unknown_sets }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    // ------------------------------------------------------------------ pass 1: lets

    fn collect_lets(&mut self, files: &'a [Arc<SourceAst>]) {
        let mut declared: HashMap<String, Span> = HashMap::new();
        for file in files {
            for item in &file.items {
                let ItemKind::Let(decl) = &item.kind else { continue };
                if let Some(first) = declared.get(&decl.name.text) {
                    let d = Diagnostic::new(Code::Duplicate, decl.name.span, format!("`{}` is defined twice", decl.name.text))
                        .label("second definition")
                        .with_secondary(*first, "first defined here");
                    self.error(d);
                    continue;
                }
                declared.insert(decl.name.text.clone(), decl.name.span);
                let env = self.globals.clone();
                let Some(mut value) = self.value(&decl.value, &env) else { continue };
                if let Some((_, text)) = self.options.sets.iter().rev().find(|(n, _)| *n == decl.name.text) {
                    match Val::parse_override(text, &value) {
                        Ok(v) => value = v,
                        Err(why) => {
                            let d = Diagnostic::new(Code::BadOverride, decl.value.span, format!("`--set {}` does not fit: {why}", decl.name.text))
                                .label(format!("declared as {} here", a(value.type_name())));
                            self.error(d);
                        }
                    }
                }
                self.globals = self.globals.with(&decl.name.text, value);
            }
        }
        for (name, _) in &self.options.sets {
            if !declared.contains_key(name) && !self.unknown_sets.contains(name) {
                self.unknown_sets.push(name.clone());
            }
        }
    }

    // ------------------------------------------------------------------ pass 2: items

    fn collect_item(&mut self, item: &'a Item, env: &Env, top: bool) {
        match &item.kind {
            ItemKind::Role(decl) => self.roles.push(RoleInst { decl, env: env.clone(), span: decl.name.span, name: None }),
            ItemKind::Template(decl) => {
                if !top {
                    self.not_here(decl.name.span, "`template` is only allowed at the top level of a file");
                    if self.templates.contains_key(&decl.name.text) {
                        return; // the same declaration, seen again in the next iteration
                    }
                }
                if let Some((_, first)) = self.templates.get(&decl.name.text) {
                    let d = Diagnostic::new(Code::Duplicate, decl.name.span, format!("template `{}` is defined twice", decl.name.text))
                        .label("second definition")
                        .with_secondary(*first, "first defined here");
                    self.error(d);
                } else {
                    self.templates.insert(decl.name.text.clone(), (decl, decl.name.span));
                }
            }
            ItemKind::Let(decl) if !top => self.not_here(decl.name.span, "`let` is only allowed at the top level of a file"),
            ItemKind::Let(_) | ItemKind::Error => {}
            ItemKind::Import(_) if !top => self.not_here(item.span, "`import` is only allowed at the top level of a file"),
            ItemKind::Import(_) => {}
            ItemKind::For(l) => {
                let Some(iter) = self.value(&l.iter, env) else { return };
                let Val::List(values) = iter else {
                    let d = Diagnostic::new(Code::InvalidValue, l.iter.span, format!("`for` needs a list, this is {}", a(iter.type_name())))
                        .label("not a list")
                        .help("write a list such as `[\"a\", \"b\"]` or the name of a `let` that holds one");
                    self.error(d);
                    return;
                };
                for v in values {
                    let inner = env.with(&l.var.text, v);
                    for item in &l.items {
                        self.collect_item(item, &inner, false);
                    }
                }
            }
            ItemKind::External(names) => {
                for n in names {
                    let Some(name) = self.name(n, env) else { continue };
                    self.externals.entry(name).or_insert(n.span);
                }
            }
            ItemKind::Manage(globs) => {
                for t in globs {
                    let Some(glob) = self.interpolate(t, env) else { continue };
                    match globset::Glob::new(&glob) {
                        Ok(_) if !glob.is_empty() => {
                            if !self.model.managed_globs.contains(&glob) {
                                self.model.managed_globs.push(glob);
                            }
                        }
                        Ok(_) => self.error(Diagnostic::new(Code::InvalidValue, t.span, "an empty glob matches no role").label("empty").help("write a glob over role names such as `\"app_*\"`")),
                        Err(e) => {
                            let d = Diagnostic::new(Code::InvalidValue, t.span, format!("`{glob}` is not a valid glob: {}", e.kind()))
                                .label("malformed glob")
                                .help("`*` matches any run of characters, `?` one character and `[abc]` one of a set");
                            self.error(d);
                        }
                    }
                }
            }
            ItemKind::Schema(decl) => self.schemas.push((decl, env.clone(), decl.name.span)),
            ItemKind::Object(decl) => self.objects.push((decl, env.clone())),
            ItemKind::Defaults(block) => self.defaults.push((block, env.clone())),
            ItemKind::Public(stmts) => self.publics.push((stmts, env.clone())),
            ItemKind::Policy(decl) => self.policies.push((decl, env.clone())),
            ItemKind::Grant(grant, grantees) => self.top_grants.push((grant, grantees, item.span, env.clone())),
        }
    }

    fn not_here(&mut self, span: Span, message: &str) {
        self.error(Diagnostic::new(Code::NotAllowedHere, span, message.to_string()).label("not allowed here"));
    }

    // ------------------------------------------------------------------ pass 3: names

    fn name_roles_and_schemas(&mut self) {
        for i in 0..self.roles.len() {
            let (decl, env) = (self.roles[i].decl, self.roles[i].env.clone());
            let Some(name) = self.name(&decl.name, &env) else { continue };
            if !self.check_role_name(&name, decl.name.span) {
                continue;
            }
            if let Some(&first) = self.role_index.get(&name) {
                let d = Diagnostic::new(Code::Duplicate, decl.name.span, format!("role `{name}` is declared twice"))
                    .label("second declaration")
                    .with_secondary(self.roles[first].span, "first declared here")
                    .help("merge the two declarations, or give one of them another name");
                self.error(d);
                continue;
            }
            if let Some(&ext) = self.externals.get(&name) {
                let d = Diagnostic::new(Code::Duplicate, decl.name.span, format!("role `{name}` is declared and also `external`"))
                    .label("declared here")
                    .with_secondary(ext, "declared external here")
                    .help("a role is either managed by this policy or external, not both");
                self.error(d);
                continue;
            }
            self.role_index.insert(name.clone(), i);
            self.roles[i].name = Some(name);
        }
        let mut externals: Vec<_> = self.externals.iter().map(|(n, s)| (n.clone(), *s)).collect();
        externals.sort();
        for (name, span) in externals {
            if self.check_role_name(&name, span) {
                self.model.external_roles.push(name);
            }
        }
        for i in 0..self.schemas.len() {
            let (decl, env, span) = (self.schemas[i].0, self.schemas[i].1.clone(), self.schemas[i].2);
            let Some(name) = self.name(&decl.name, &env) else { continue };
            if let Some(d) = check_length(&name, span, "schema") {
                self.error(d);
                continue;
            }
            if let Some(&first) = self.schema_index.get(&name) {
                let d = Diagnostic::new(Code::Duplicate, span, format!("schema `{name}` is declared twice"))
                    .label("second declaration")
                    .with_secondary(self.schemas[first].2, "first declared here");
                self.error(d);
                continue;
            }
            self.schema_index.insert(name, i);
        }
    }

    fn check_role_name(&mut self, name: &str, span: Span) -> bool {
        if reserved_role_name(name) {
            let d = Diagnostic::new(Code::ReservedName, span, format!("`{name}` is reserved by PostgreSQL and cannot name a role"))
                .label("reserved name")
                .help("names `public`, `none`, `current_user`, `session_user`, `current_role` and `pg_…` are reserved");
            self.error(d);
            return false;
        }
        if let Some(d) = check_length(name, span, "role") {
            self.error(d);
            return false;
        }
        true
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
    /// The candidate closest to `name` by edit distance, if it is close enough to be a typo
    /// (and the suggestion budget is not spent).
    fn closest<'x>(&self, name: &str, candidates: impl Iterator<Item = &'x str>) -> Option<&'x str> {
        let limit = (name.chars().count() / 3).max(1);
        let len = name.chars().count();
        let mut best = None;
        for c in candidates {
            let left = self.suggestion_budget.get();
            if left == 0 {
                return None;
            }
            self.suggestion_budget.set(left - 1);
            if c.chars().count().abs_diff(len) > limit {
                continue;
            }
            let d = edit_distance(name, c);
            if d <= limit && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
                best = Some((d, c));
            }
        }
        best.map(|(_, c)| c)
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}
