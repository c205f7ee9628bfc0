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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use super::checks::{self, allowed_on_default, allowed_on_object, check_length, check_privilege, reserved_role_name};
use super::values::{literal_kind, parse_duration, parse_timestamp, Env, Val};
use super::*;
use super::Grantee;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{self, *};
use crate::syntax::Span;

/// Resolves the syntax trees of all files of one policy.
pub fn resolve(files: &[Arc<SourceAst>], options: &BuildOptions) -> Resolved {
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
    r.implied_default_privileges();
    let cycles = checks::membership_cycles(&r.model.memberships);
    r.diags.extend(cycles);
    r.finish()
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

    // ------------------------------------------------------------------ pass 4: roles

    fn build_roles(&mut self) {
        // Schemas first: role bodies check schema references against them.
        for i in 0..self.schemas.len() {
            self.build_schema(i);
        }
        for i in 0..self.roles.len() {
            if self.roles[i].name.is_some() {
                self.build_role(i);
            }
        }
    }

    fn build_schema(&mut self, i: usize) {
        let (decl, env, span) = (self.schemas[i].0, self.schemas[i].1.clone(), self.schemas[i].2);
        let Some(name) = self.name(&decl.name, &env) else { return };
        if self.schema_index.get(&name) != Some(&i) {
            return;
        }
        let mut schema = Schema { name, owner: None, creators: Vec::new(), tags: Vec::new(), origin: span };
        for stmt in &decl.body {
            match &stmt.kind {
                StmtKind::Owner(n) => schema.owner = self.role_ref(n, &env),
                StmtKind::Creators(ns) => {
                    for n in ns {
                        if let Some(r) = self.role_ref(n, &env) {
                            schema.creators.push(r);
                        }
                    }
                }
                StmtKind::Tags(ts) => schema.tags = ts.iter().filter_map(|t| self.name(t, &env)).collect(),
                _ => {}
            }
        }
        self.model.schemas.push(schema);
    }

    fn build_role(&mut self, i: usize) {
        let name = self.roles[i].name.clone().expect("named role");
        let decl = self.roles[i].decl;
        let flat = self.flatten_role(i, &mut vec![i]);
        let mut role = Role {
            name: name.clone(),
            is_user: decl.is_user,
            attributes: BTreeMap::new(),
            connection_limit: None,
            valid_until: None,
            password: None,
            settings: Vec::new(),
            comment: (!decl.docs.is_empty()).then(|| decl.docs.join("\n")),
            tags: Vec::new(),
            origin: self.roles[i].span,
        };
        role.attributes.insert(AttributeKind::Login, decl.is_user);
        let mut memberships: Vec<Membership> = Vec::new();
        let mut grants: Vec<ObjectGrant> = Vec::new();
        for f in flat.iter() {
            match f {
                Flat::Stmt(stmt, env, site) => self.apply_stmt(stmt, env, site.unwrap_or(stmt.span), &mut role, &mut memberships, &mut grants),
                Flat::Without(w, env) => self.apply_without(w, env, &mut role, &mut memberships, &mut grants),
            }
        }
        self.redundant_statements(decl, &self.roles[i].env.clone(), &name);
        self.model.roles.push(role);
        self.model.memberships.extend(memberships);
        self.model.grants.extend(grants);
    }

    /// W004 for a membership or privilege that a role's own body states twice.
    fn redundant_statements(&mut self, decl: &RoleDecl, env: &Env, role: &str) {
        let mut members: HashMap<String, Span> = HashMap::new();
        let mut privileges: HashMap<(Object, Privilege), Span> = HashMap::new();
        let mut found = Vec::new();
        for stmt in &decl.body {
            match &stmt.kind {
                StmtKind::MemberOf(m) => {
                    for t in &m.targets {
                        let MemberTarget::Name(n) = t else { continue };
                        let Some(target) = self.quiet(|r| r.name(n, env)) else { continue };
                        if let Some(first) = members.insert(target.clone(), n.span) {
                            found.push((n.span, first, format!("`{role}` is already a member of `{target}`")));
                        }
                    }
                }
                StmtKind::Grant(g) => {
                    let Some(object) = self.quiet(|r| r.object(&g.target, env)) else { continue };
                    for p in &g.privs {
                        if let Some(first) = privileges.insert((object.clone(), p.privilege), p.span) {
                            found.push((p.span, first, format!("`{}` on {} is already granted", p.privilege.keyword(), object.describe())));
                        }
                    }
                }
                _ => {}
            }
        }
        for (span, first, message) in found {
            let d = Diagnostic::new(Code::Redundant, span, message).label("stated again").with_secondary(first, "first stated here");
            self.error(d);
        }
    }

    /// Runs `f` without keeping the diagnostics it reports (they are reported elsewhere).
    fn quiet<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let n = self.diags.len();
        let out = f(self);
        self.diags.truncate(n);
        out
    }

    /// The statements of role `i`: its template, then the role it extends, then its own body.
    fn flatten_role(&mut self, i: usize, stack: &mut Vec<usize>) -> Rc<Vec<Flat<'a>>> {
        if let Some(f) = self.flat_cache.get(&i) {
            return f.clone();
        }
        let (decl, env) = (self.roles[i].decl, self.roles[i].env.clone());
        let mut out = Vec::new();
        if let Some(call) = &decl.from_template {
            self.flatten_use(call, &env, &mut out, &mut Vec::new());
        }
        if let Some(base) = &decl.extends {
            if let Some(name) = self.name(base, &env) {
                match self.role_index.get(&name).copied() {
                    Some(b) if stack.contains(&b) => {
                        let d = Diagnostic::new(Code::BadExtends, base.span, format!("`extends {name}` forms a cycle"))
                            .label("extends itself through this chain")
                            .help("a role cannot be based on itself, directly or through other roles");
                        self.error(d);
                    }
                    Some(b) => {
                        stack.push(b);
                        let base_flat = self.flatten_role(b, stack);
                        stack.pop();
                        for f in base_flat.iter() {
                            out.push(match f {
                                Flat::Stmt(s, e, site) => Flat::Stmt(s, e.clone(), *site),
                                Flat::Without(w, e) => Flat::Without(w, e.clone()),
                            });
                        }
                    }
                    None => {
                        let help = self.suggest_role(&name);
                        let mut d = Diagnostic::new(Code::BadExtends, base.span, format!("`extends` names unknown role `{name}`"))
                            .label("no role of this name is declared");
                        if let Some(h) = help {
                            d = d.help(h);
                        }
                        self.error(d);
                    }
                }
            }
        }
        for stmt in &decl.body {
            self.flatten_stmt(stmt, &env, &mut out, &mut Vec::new());
        }
        let out = Rc::new(out);
        self.flat_cache.insert(i, out.clone());
        out
    }

    fn flatten_stmt(&mut self, stmt: &'a Stmt, env: &Env, out: &mut Vec<Flat<'a>>, templates: &mut Vec<String>) {
        match &stmt.kind {
            StmtKind::Use(call) => self.flatten_use(call, env, out, templates),
            StmtKind::Without(w) => out.push(Flat::Without(w, env.clone())),
            _ => out.push(Flat::Stmt(stmt, env.clone(), self.use_site)),
        }
    }

    fn flatten_use(&mut self, call: &'a TemplateUse, env: &Env, out: &mut Vec<Flat<'a>>, templates: &mut Vec<String>) {
        let Some(&(template, _)) = self.templates.get(&call.name.text) else {
            let mut d = Diagnostic::new(Code::UnknownTemplate, call.name.span, format!("unknown template `{}`", call.name.text))
                .label("no template of this name");
            let known: Vec<&str> = self.templates.keys().map(String::as_str).collect();
            if let Some(s) = closest(&call.name.text, known.into_iter()) {
                d = d.help(format!("did you mean `{s}`?"));
            } else if call.name.text == "reader" || call.name.text == "writer" {
                d = d.help("`reader` and `writer` come with `import std.access`");
            }
            self.error(d);
            return;
        };
        if templates.contains(&call.name.text) {
            let d = Diagnostic::new(Code::TemplateRecursion, call.span, format!("template `{}` uses itself", call.name.text))
                .label("recursive use")
                .help(format!("templates used on the way: {}", templates.join(" → ")));
            self.error(d);
            return;
        }
        let Some(bindings) = self.bind_args(call, template, env) else { return };
        let inner = self.globals.with_all(bindings);
        templates.push(call.name.text.clone());
        let outermost = self.use_site.is_none();
        if outermost {
            self.use_site = Some(call.span);
        }
        for stmt in &template.body {
            self.flatten_stmt(stmt, &inner, out, templates);
        }
        if outermost {
            self.use_site = None;
        }
        templates.pop();
        for w in &call.without {
            out.push(Flat::Without(w, env.clone()));
        }
    }

    /// Matches arguments to parameters: positional first, then by name, then defaults.
    fn bind_args(&mut self, call: &TemplateUse, template: &TemplateDecl, env: &Env) -> Option<Vec<(String, Val)>> {
        let mut bound: Vec<Option<(Val, Span)>> = vec![None; template.params.len()];
        let mut ok = true;
        let mut positional = 0;
        for arg in &call.args {
            let index = match &arg.name {
                Some(n) => match template.params.iter().position(|p| p.name.text == n.text) {
                    Some(i) => i,
                    None => {
                        let d = Diagnostic::new(Code::TemplateArgument, n.span, format!("template `{}` has no parameter `{}`", template.name.text, n.text))
                            .label("unknown parameter")
                            .with_secondary(template.name.span, "template declared here")
                            .help(format!("its parameters: {}", param_list(template)));
                        self.error(d);
                        ok = false;
                        continue;
                    }
                },
                None => {
                    positional += 1;
                    positional - 1
                }
            };
            if index >= template.params.len() {
                let d = Diagnostic::new(Code::TemplateArgument, arg.span, format!("template `{}` takes {} argument(s), this is one too many", template.name.text, template.params.len()))
                    .label("extra argument")
                    .with_secondary(template.name.span, "template declared here")
                    .help(format!("its parameters: {}", param_list(template)));
                self.error(d);
                ok = false;
                continue;
            }
            let param = &template.params[index];
            let Some(value) = self.value(&arg.value, env) else {
                ok = false;
                continue;
            };
            if !value.fits(param.ty) {
                let d = Diagnostic::new(
                    Code::TemplateArgument,
                    arg.value.span,
                    format!("parameter `{}` of `{}` is {}, this argument is {}", param.name.text, template.name.text, a(param.ty.as_str()), a(value.type_name())),
                )
                .label(format!("expected {}", a(param.ty.as_str())))
                .with_secondary(param.span, "parameter declared here");
                self.error(d);
                ok = false;
                bound[index] = Some((value, arg.span)); // reported; not "missing" as well
                continue;
            }
            if bound[index].is_some() {
                let d = Diagnostic::new(Code::TemplateArgument, arg.span, format!("parameter `{}` is given twice", param.name.text))
                    .label("given again here")
                    .with_secondary(param.span, "parameter declared here");
                self.error(d);
                ok = false;
                continue;
            }
            bound[index] = Some((value, arg.span));
        }
        let mut out = Vec::new();
        for (param, b) in template.params.iter().zip(bound) {
            match (b, &param.default) {
                (Some((v, _)), _) => out.push((param.name.text.clone(), v)),
                (None, Some(default)) => {
                    let v = self.value(default, &self.globals.clone())?;
                    out.push((param.name.text.clone(), v));
                }
                (None, None) => {
                    let d = Diagnostic::new(Code::TemplateArgument, call.span, format!("missing argument `{}` for template `{}`", param.name.text, template.name.text))
                        .label(format!("`{}` is not given", param.name.text))
                        .with_secondary(param.span, "parameter declared here, without a default");
                    self.error(d);
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// Applies one statement to the role being built; `origin` is where its effects are
    /// attributed (the statement, or the `use` of the template it comes from).
    fn apply_stmt(&mut self, stmt: &Stmt, env: &Env, origin: Span, role: &mut Role, memberships: &mut Vec<Membership>, grants: &mut Vec<ObjectGrant>) {
        let site = (origin != stmt.span).then_some(origin);
        match &stmt.kind {
            StmtKind::MemberOf(m) => self.member_of(m, stmt.span, site, env, role, memberships),
            StmtKind::Attribute(a) => {
                role.attributes.insert(a.kind, a.on);
            }
            StmtKind::ConnectionLimit(n) => {
                if *n < -1 {
                    self.error(Diagnostic::new(Code::InvalidValue, stmt.span, "a connection limit is -1 (no limit) or more").label("out of range"));
                } else {
                    role.connection_limit = Some(*n);
                }
            }
            StmtKind::ValidUntil(v) => role.valid_until = self.valid_until(v, env),
            StmtKind::Password(p) => role.password = self.password(p, env),
            StmtKind::Set { param, value, database } => {
                let Some(v) = self.value(value, env) else { return };
                let values = match v {
                    Val::List(items) => items.iter().filter_map(Val::as_text).collect(),
                    other => vec![other.as_text().unwrap_or_default()],
                };
                let database = match database {
                    Some(d) => match self.database_name(d, env) {
                        Some(name) => Some(name),
                        None => return,
                    },
                    None => None,
                };
                let param = param.text.to_ascii_lowercase();
                role.settings.retain(|s| !(s.param == param && s.database == database));
                role.settings.push(Setting { param, values, database, origin });
            }
            StmtKind::Comment(t) => role.comment = self.interpolate(t, env),
            StmtKind::Tags(ts) => role.tags = ts.iter().filter_map(|t| self.name(t, env)).collect(),
            StmtKind::Grant(g) => {
                if let Some(grant) = self.grant(g, env, Grantee::Role(role.name.clone()), false, origin) {
                    grants.push(grant);
                }
            }
            StmtKind::Revoke(_) => {
                let d = Diagnostic::new(Code::NotAllowedHere, stmt.span, "`revoke` is not allowed in a role")
                    .label("not allowed here")
                    .help("to leave out a privilege that a template or `extends` gives, write `without grant …`; `revoke` belongs in `public { … }` and `defaults` blocks");
                self.error(d);
            }
            StmtKind::ConnectFrom { cidr, database } => {
                if let Some(cidr) = self.cidr(cidr) {
                    let database = match database {
                        Some(d) => match self.database_name(d, env) {
                            Some(name) => Some(name),
                            None => return,
                        },
                        None => None,
                    };
                    self.model.hba.push(HbaRule { role: role.name.clone(), cidr, database, origin });
                }
            }
            StmtKind::Owner(_) | StmtKind::Creators(_) | StmtKind::Use(_) | StmtKind::Without(_) | StmtKind::Error => {}
        }
    }

    fn apply_without(&mut self, w: &Without, env: &Env, role: &mut Role, memberships: &mut Vec<Membership>, grants: &mut Vec<ObjectGrant>) {
        match w {
            Without::MemberOf(_, targets) => {
                let names = self.member_targets(targets, env, &role.name);
                memberships.retain(|m| !names.iter().any(|(n, _)| *n == m.role));
            }
            Without::Grant(span, g) => {
                let Some(removed) = self.grant(g, env, Grantee::Role(role.name.clone()), false, *span) else { return };
                for grant in grants.iter_mut().filter(|x| x.object == removed.object) {
                    if removed.privileges.contains(&Privilege::All) {
                        grant.privileges.clear();
                    } else {
                        grant.privileges.retain(|p| !removed.privileges.contains(p));
                    }
                }
                grants.retain(|x| !x.privileges.is_empty());
            }
            Without::Set(_, param) => {
                let param = param.text.to_ascii_lowercase();
                role.settings.retain(|s| s.param != param);
            }
            Without::Attribute(_, a) => {
                let default = a.kind == AttributeKind::Inherit || (a.kind == AttributeKind::Login && role.is_user);
                role.attributes.insert(a.kind, default);
            }
        }
    }

    fn member_of(&mut self, m: &MemberOf, span: Span, site: Option<Span>, env: &Env, role: &Role, memberships: &mut Vec<Membership>) {
        for c in &m.conditions {
            let d = Diagnostic::new(Code::UnsupportedCondition, *c, "PostgreSQL cannot enforce this condition on a membership")
                .label("not enforceable by PostgreSQL")
                .help("a membership can be bounded in time (`from … until …`, `for 4h`) and logins restricted by address (`connect from`); approvals and time-of-day rules need a process outside the database");
            self.error(d);
        }
        let v = self.options.target_version;
        if v < 16 {
            for (set, what) in [(m.inherit.is_some(), if m.inherit == Some(false) { "noinherit" } else { "inherit" }), (m.set.is_some(), "noset")] {
                if set {
                    let d = Diagnostic::new(Code::VersionFeature, span, format!("the `{what}` membership option needs PostgreSQL 16, the target is {v}"))
                        .label("per-membership option")
                        .help(if what == "noset" {
                            "build with `--target-version 16` or later".to_string()
                        } else {
                            "build with `--target-version 16`, or make the member role `noinherit` as a whole".to_string()
                        });
                    self.error(d);
                }
            }
        }
        let at = self.options.at;
        let from = m.from.as_ref().and_then(|v| self.timestamp(v, env));
        let until = m.until.as_ref().and_then(|v| self.timestamp(v, env));
        let duration = m.duration.as_ref().and_then(|v| self.duration(v, env));
        let (from, until) = match (from, until, duration) {
            (f, None, Some(d)) => (Some(f.unwrap_or(at)), Some(f.unwrap_or(at).saturating_add(d))),
            (f, u, Some(_)) => {
                let span = m.duration.as_ref().map(|d| d.span).unwrap_or(span);
                self.error(Diagnostic::new(Code::InvalidValue, span, "a membership has either `until` or `for`, not both").label("second end of the window"));
                (f, u)
            }
            (f, u, None) => (f, u),
        };
        if let (Some(f), Some(u)) = (from, until) {
            if u <= f {
                self.error(Diagnostic::new(Code::InvalidValue, span, "the membership window ends before it starts").label("empty window"));
            }
        }
        let empty_window = matches!((from, until), (Some(f), Some(u)) if u <= f);
        let active = from.is_none_or(|f| f <= at) && until.is_none_or(|u| at < u);
        let reason = m.reason.as_ref().and_then(|r| self.interpolate(r, env));
        for (target, tspan) in self.member_targets(&m.targets, env, &role.name) {
            if target == "pg_database_owner" {
                let d = Diagnostic::new(Code::NotAllowedHere, tspan, "`pg_database_owner` cannot have explicit members")
                    .label("PostgreSQL refuses this membership")
                    .help("its only member is the owner of the current database, implicitly");
                self.error(d);
                continue;
            }
            if !active && !empty_window {
                let when = match (from, until) {
                    (Some(f), _) if at < f => format!("it opens at {}", fmt_time(f)),
                    (_, Some(u)) => format!("it closed at {}", fmt_time(u)),
                    _ => "it is not open".to_string(),
                };
                let d = Diagnostic::new(Code::WindowClosed, tspan, format!("membership of `{}` in `{target}` is not granted: {when}", role.name))
                    .label("outside its window at build time")
                    .help("the window is evaluated at `--at` (default: now)");
                self.error(d);
            }
            memberships.retain(|x| x.role != target);
            memberships.push(Membership {
                role: target,
                member: role.name.clone(),
                admin: m.admin,
                inherit: m.inherit,
                set: m.set,
                from,
                until,
                active,
                reason: reason.clone(),
                origin: site.unwrap_or(tspan),
            });
        }
    }

    /// Role names named by `member of` targets; globs and `all roles` expand over declared roles.
    fn member_targets(&mut self, targets: &[MemberTarget], env: &Env, self_name: &str) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for t in targets {
            match t {
                MemberTarget::Name(n) => {
                    if let Some(r) = self.role_ref(n, env) {
                        out.push((r, n.span));
                    }
                }
                MemberTarget::AllRoles(span) => {
                    for inst in &self.roles {
                        if let Some(name) = &inst.name {
                            if !inst.decl.is_user && name != self_name {
                                out.push((name.clone(), *span));
                            }
                        }
                    }
                }
                MemberTarget::Glob { span, pattern } => {
                    let matcher = match globset::Glob::new(pattern) {
                        Ok(g) => g.compile_matcher(),
                        Err(e) => {
                            self.error(Diagnostic::new(Code::InvalidValue, *span, format!("`{pattern}` is not a valid glob: {e}")).label("invalid glob"));
                            continue;
                        }
                    };
                    let before = out.len();
                    for inst in &self.roles {
                        if let Some(name) = &inst.name {
                            if name != self_name && matcher.is_match(name) {
                                out.push((name.clone(), *span));
                            }
                        }
                    }
                    if out.len() == before {
                        let d = Diagnostic::new(Code::UnusedGlob, *span, format!("`{pattern}` matches no role of the policy"))
                            .label("matches nothing");
                        self.error(d);
                    }
                }
            }
        }
        out
    }

    // ------------------------------------------------------------------ pass 5: the rest

    fn build_rest(&mut self) {
        for (block, env) in std::mem::take(&mut self.defaults) {
            self.defaults_block(block, &env);
        }
        for (stmts, env) in std::mem::take(&mut self.publics) {
            for stmt in stmts {
                let (g, revoke) = match &stmt.kind {
                    StmtKind::Grant(g) => (g, false),
                    StmtKind::Revoke(g) => (g, true),
                    _ => continue,
                };
                if let Some(grant) = self.grant(g, &env, Grantee::Public, revoke, stmt.span) {
                    self.model.grants.push(grant);
                }
            }
        }
        for (grant, grantees, span, env) in std::mem::take(&mut self.top_grants) {
            for g in grantees {
                let grantee = match g {
                    ast::Grantee::Public(_) => Grantee::Public,
                    ast::Grantee::Role(n) => match self.role_ref(n, &env) {
                        Some(r) => Grantee::Role(r),
                        None => continue,
                    },
                };
                if let Some(grant) = self.grant(grant, &env, grantee, false, span) {
                    self.model.grants.push(grant);
                }
            }
        }
        for (decl, env) in std::mem::take(&mut self.objects) {
            let Some((schema, name)) = self.qname(&decl.name, &env) else { continue };
            let object = match decl.kind {
                ObjectKind::Table => Object::Table { schema, name },
                ObjectKind::View => Object::View { schema, name },
                ObjectKind::Sequence => Object::Sequence { schema, name },
                ObjectKind::Function => {
                    let args = decl.args.as_deref().unwrap_or(&[]).iter().filter_map(|t| self.type_sql(t, &env)).collect();
                    Object::Routine { schema, name, args }
                }
            };
            let mut tags = Vec::new();
            for stmt in &decl.body {
                if let StmtKind::Tags(ts) = &stmt.kind {
                    tags = ts.iter().filter_map(|t| self.name(t, &env)).collect();
                }
            }
            self.model.objects.push(InventoryObject { object, tags, origin: decl.name.span });
        }
        for (decl, env) in std::mem::take(&mut self.policies) {
            // Policies are analysed over the resolved model; here only their names are checked.
            for rule in &decl.rules {
                match &rule.kind {
                    RuleKind::Exclusive(names) => {
                        for n in names {
                            self.role_ref(n, &env);
                        }
                    }
                    RuleKind::Forbid { except, .. } => {
                        let _ = self.member_targets(except, &env, "");
                    }
                    RuleKind::MaxTablesTagged(..)
                    | RuleKind::MaxSchemas(_)
                    | RuleKind::MaxTables(_)
                    | RuleKind::MaxAdminRights(_)
                    | RuleKind::ForbidGrantToPublic { .. }
                    | RuleKind::MembershipsDeeperThan(_) => {}
                }
            }
        }
    }

    fn defaults_block(&mut self, block: &DefaultsBlock, env: &Env) {
        let owners: Vec<String> = block.for_roles.iter().filter_map(|n| self.role_ref(n, env)).collect();
        let schemas: Vec<Option<String>> = if block.in_schemas.is_empty() {
            vec![None]
        } else {
            block.in_schemas.iter().filter_map(|n| self.schema_ref(n, env).map(Some)).collect()
        };
        let scoped = !block.in_schemas.is_empty();
        for entry in &block.entries {
            if scoped && !entry.grant {
                let d = Diagnostic::new(Code::NotAllowedHere, entry.span, "`revoke` in schema-scoped defaults has no effect")
                    .label("PostgreSQL ignores this")
                    .help("per-schema default privileges can only add to the global ones; move this `revoke` to a `defaults for role …` block without `in schema`");
                self.error(d);
                continue;
            }
            if scoped && entry.kind == DefaultKind::Schemas {
                let d = Diagnostic::new(Code::NotAllowedHere, entry.kind_span, "default privileges on schemas cannot be limited to a schema")
                    .label("not allowed with `in schema`")
                    .help("move this entry to a `defaults for role …` block without `in schema`");
                self.error(d);
                continue;
            }
            let (allowed, what) = allowed_on_default(entry.kind);
            let privileges = self.privileges(&entry.privs, allowed, what);
            if privileges.is_empty() {
                continue;
            }
            let grantees: Vec<Grantee> = entry
                .grantees
                .iter()
                .filter_map(|g| match g {
                    ast::Grantee::Public(_) => Some(Grantee::Public),
                    ast::Grantee::Role(n) => self.role_ref(n, env).map(Grantee::Role),
                })
                .collect();
            for owner in &owners {
                for schema in &schemas {
                    for grantee in &grantees {
                        self.model.default_privileges.push(DefaultPrivilege {
                            owner: owner.clone(),
                            schema: schema.clone(),
                            kind: entry.kind,
                            grantee: grantee.clone(),
                            privileges: privileges.clone(),
                            grant_option: entry.grant_option,
                            revoke: !entry.grant,
                            implied: false,
                            origin: entry.span,
                        });
                    }
                }
            }
        }
    }

    /// `grant … on tables in schema S` also covers tables S's creators make later.
    fn implied_default_privileges(&mut self) {
        let mut implied = Vec::new();
        let mut warnings = Vec::new();
        for g in &self.model.grants {
            let Object::AllIn { kind, schema } = &g.object else { continue };
            if g.revoke {
                continue;
            }
            let creators: Vec<&String> = self.model.schemas.iter().find(|s| &s.name == schema).map(|s| s.creator_roles().collect()).unwrap_or_default();
            if creators.is_empty() {
                warnings.push(
                    Diagnostic::new(Code::SchemaWithoutOwner, g.origin, format!("this covers only the objects that exist now: schema `{schema}` declares no owner or creators"))
                        .label("existing objects only")
                        .help(format!("declare `schema {schema} {{ owner ROLE }}` so that objects created later are covered too")),
                );
            }
            let kind = match kind {
                BulkKind::Tables => DefaultKind::Tables,
                BulkKind::Sequences => DefaultKind::Sequences,
                BulkKind::Functions | BulkKind::Routines => DefaultKind::Functions,
            };
            for owner in creators {
                if g.grantee == Grantee::Role(owner.clone()) {
                    continue; // an owner has every privilege on its objects anyway
                }
                implied.push(DefaultPrivilege {
                    owner: owner.clone(),
                    schema: Some(schema.clone()),
                    kind,
                    grantee: g.grantee.clone(),
                    privileges: g.privileges.clone(),
                    grant_option: g.grant_option,
                    revoke: false,
                    implied: true,
                    origin: g.origin,
                });
            }
        }
        self.diags.extend(warnings);
        self.model.default_privileges.extend(implied);
    }

    // ------------------------------------------------------------------ grants and objects

    fn grant(&mut self, g: &Grant, env: &Env, grantee: Grantee, revoke: bool, span: Span) -> Option<ObjectGrant> {
        let object = self.object(&g.target, env)?;
        let (allowed, what) = allowed_on_object(&object);
        let privileges = self.privileges(&g.privs, allowed, what);
        if privileges.is_empty() {
            return None;
        }
        Some(ObjectGrant { grantee, privileges, object, grant_option: g.grant_option, revoke, origin: span })
    }

    /// The valid privileges of a list, deduplicated; reports the others.
    fn privileges(&mut self, privs: &[PrivSpan], allowed: &[Privilege], what: &str) -> Vec<Privilege> {
        let mut out = Vec::new();
        for p in privs {
            if let Some(d) = check_privilege(p.privilege, p.span, allowed, what, self.options.target_version) {
                self.error(d);
                continue;
            }
            if !out.contains(&p.privilege) {
                out.push(p.privilege);
            }
        }
        if out.contains(&Privilege::All) {
            out = vec![Privilege::All];
        }
        out
    }

    fn object(&mut self, t: &Target, env: &Env) -> Option<Object> {
        Some(match &t.kind {
            TargetKind::Table(q) => {
                let (schema, name) = self.qname(q, env)?;
                Object::Table { schema, name }
            }
            TargetKind::View(q) => {
                let (schema, name) = self.qname(q, env)?;
                Object::View { schema, name }
            }
            TargetKind::Sequence(q) => {
                let (schema, name) = self.qname(q, env)?;
                Object::Sequence { schema, name }
            }
            TargetKind::Function(q, args) => {
                let (schema, name) = self.qname(q, env)?;
                let args = args.iter().map(|a| self.type_sql(a, env)).collect::<Option<Vec<_>>>()?;
                Object::Routine { schema, name, args }
            }
            TargetKind::Schema(n) => Object::Schema { name: self.schema_ref(n, env)? },
            TargetKind::Database(n) => Object::Database { name: self.database_name(n, env)? },
            TargetKind::Type(q) => {
                let (schema, name) = self.qname(q, env)?;
                Object::Type { schema, name }
            }
            TargetKind::Domain(q) => {
                let (schema, name) = self.qname(q, env)?;
                Object::Domain { schema, name }
            }
            TargetKind::Columns { columns, table } => {
                let (schema, table) = self.qname(table, env)?;
                let columns = columns.iter().map(|c| self.identifier(c, env, "column")).collect::<Option<Vec<_>>>()?;
                Object::Columns { schema, table, columns }
            }
            TargetKind::AllIn { kind, schema } => Object::AllIn { kind: *kind, schema: self.schema_ref(schema, env)? },
        })
    }

    /// `schema.name`, the schema defaulting to `public`; the schema must be declared.
    fn qname(&mut self, q: &QName, env: &Env) -> Option<(String, String)> {
        let schema = match &q.schema {
            Some(s) => self.schema_ref(s, env)?,
            None => "public".to_string(),
        };
        let name = self.name(&q.name, env)?;
        if let Some(d) = check_length(&name, q.name.span, "object") {
            self.error(d);
            return None;
        }
        Some((schema, name))
    }

    /// A type in a function signature, as SQL text that is safe to print.
    fn type_sql(&mut self, t: &TypeName, env: &Env) -> Option<String> {
        let mut words = Vec::new();
        for w in &t.words {
            words.push(match &w.kind {
                NameKind::Bare(s) => {
                    let s = s.to_ascii_lowercase();
                    if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        s
                    } else {
                        crate::lower::sql::ident(&s)
                    }
                }
                NameKind::Quoted(_) => crate::lower::sql::ident(&self.name(w, env)?),
            });
        }
        let mut out = words.join(" ");
        if let Some(s) = &t.schema {
            out = format!("{}.{out}", crate::lower::sql::ident(&self.name(s, env)?));
        }
        if !t.modifier.is_empty() {
            out.push_str(&format!("({})", t.modifier.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")));
        }
        for _ in 0..t.array_dims {
            out.push_str("[]");
        }
        Some(out)
    }

    // ------------------------------------------------------------------ references

    /// A role that must exist: declared, external or predefined for the target version.
    fn role_ref(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = self.name(n, env)?;
        if self.role_index.contains_key(&name) || self.externals.contains_key(&name) {
            return Some(name);
        }
        match crate::stdlib::predefined_since(&name) {
            Some(since) if since <= self.options.target_version => return Some(name),
            Some(since) => {
                let d = Diagnostic::new(Code::VersionFeature, n.span, format!("`{name}` exists from PostgreSQL {since}; the target is {}", self.options.target_version))
                    .label("not in the target version")
                    .help(format!("build with `--target-version {since}` or later"));
                self.error(d);
                return None;
            }
            None => {}
        }
        if name == "public" {
            let d = Diagnostic::new(Code::ReservedName, n.span, "`public` is not a role here")
                .label("PUBLIC pseudo-role")
                .help("grant to PUBLIC in a `public { … }` block");
            self.error(d);
            return None;
        }
        let mut d = Diagnostic::new(Code::UnknownRole, n.span, format!("unknown role `{name}`")).label("not declared in this policy");
        d = match self.suggest_role(&name) {
            Some(h) => d.help(h),
            None => d.help(format!("declare it with `role {} {{ … }}`, or `external role {}` if it exists already", display_name(&name), display_name(&name))),
        };
        self.error(d);
        None
    }

    fn suggest_role(&self, name: &str) -> Option<String> {
        let candidates = self.role_index.keys().chain(self.externals.keys()).map(String::as_str);
        closest(name, candidates).map(|s| format!("did you mean `{}`?", display_name(s)))
    }

    fn schema_ref(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = self.name(n, env)?;
        if self.schema_index.contains_key(&name) || matches!(name.as_str(), "public" | "pg_catalog" | "information_schema") {
            return Some(name);
        }
        let mut d = Diagnostic::new(Code::UnknownSchema, n.span, format!("unknown schema `{name}`")).label("not declared in this policy");
        let known = self.schema_index.keys().map(String::as_str);
        d = match closest(&name, known) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("declare it with `schema {} {{ owner ROLE }}`", display_name(&name))),
        };
        self.error(d);
        None
    }

    // ------------------------------------------------------------------ names and values

    fn name(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = match &n.kind {
            NameKind::Bare(word) => match env.get(word) {
                Some(v) => match v.as_text() {
                    Some(t) => t,
                    None => {
                        let d = Diagnostic::new(Code::InvalidValue, n.span, format!("`{word}` is a list and cannot be used as a name"))
                            .label("a list")
                            .help(format!("iterate over it: `for x in {word} {{ … }}`"));
                        self.error(d);
                        return None;
                    }
                },
                None => word.to_ascii_lowercase(),
            },
            NameKind::Quoted(t) => self.interpolate(t, env)?,
        };
        if name.is_empty() {
            self.error(Diagnostic::new(Code::InvalidValue, n.span, "a name cannot be empty").label("empty name"));
            return None;
        }
        if name.contains('\0') {
            self.error(Diagnostic::new(Code::InvalidValue, n.span, "a name cannot contain a NUL character").label("NUL character"));
            return None;
        }
        Some(name)
    }

    /// A name PostgreSQL stores as an identifier: at most 63 bytes (E009).
    fn identifier(&mut self, n: &Name, env: &Env, what: &str) -> Option<String> {
        let name = self.name(n, env)?;
        if let Some(d) = check_length(&name, n.span, what) {
            self.error(d);
            return None;
        }
        Some(name)
    }

    fn database_name(&mut self, n: &Name, env: &Env) -> Option<String> {
        self.identifier(n, env, "database")
    }

    fn interpolate(&mut self, t: &ast::Template, env: &Env) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for part in &t.parts {
            match part {
                StrPart::Lit(s) => out.push_str(s),
                StrPart::Var(v) => match env.get(&v.text).map(|x| x.as_text()) {
                    Some(Some(text)) => out.push_str(&text),
                    Some(None) => {
                        let d = Diagnostic::new(Code::InvalidValue, v.span, format!("`{}` is a list and cannot be put in a string", v.text)).label("a list");
                        self.error(d);
                        ok = false;
                    }
                    None => {
                        let d = Diagnostic::new(Code::UnknownVariable, v.span, format!("unknown variable `{}`", v.text))
                            .label("not defined here")
                            .help("variables come from `let`, template parameters and `for`; write `\\{` for a literal brace");
                        self.error(d);
                        ok = false;
                    }
                },
            }
        }
        ok.then_some(out)
    }

    fn value(&mut self, v: &Value, env: &Env) -> Option<Val> {
        Some(match &v.kind {
            ValueKind::Str(t) => Val::Str(self.interpolate(t, env)?),
            ValueKind::Int(i) => Val::Int(*i),
            ValueKind::Duration(d) => {
                if parse_duration(d).is_none() {
                    self.error(Diagnostic::new(Code::InvalidValue, v.span, format!("`{d}` is out of range")).label("invalid duration"));
                    return None;
                }
                Val::Duration(d.clone())
            }
            ValueKind::Timestamp(t) => {
                if parse_timestamp(t).is_none() {
                    let d = Diagnostic::new(Code::InvalidValue, v.span, format!("`{t}` is not a valid date or timestamp"))
                        .label("invalid date")
                        .help("write `2025-12-31` or `2025-12-31T18:00:00Z`");
                    self.error(d);
                    return None;
                }
                Val::Timestamp(t.clone())
            }
            ValueKind::List(items) => Val::List(items.iter().map(|i| self.value(i, env)).collect::<Option<Vec<_>>>()?),
            ValueKind::Word(w) => match env.get(&w.text) {
                Some(v) => v.clone(),
                None => Val::Str(w.text.to_ascii_lowercase()),
            },
        })
    }

    fn timestamp(&mut self, v: &Value, env: &Env) -> Option<i64> {
        let val = self.value(v, env)?;
        let parsed = match &val {
            Val::Timestamp(t) | Val::Str(t) => parse_timestamp(t),
            _ => None,
        };
        if parsed.is_none() {
            let d = Diagnostic::new(Code::InvalidValue, v.span, format!("expected a date or timestamp, found {}", a(literal_kind(&v.kind))))
                .label("not a date")
                .help("write `2025-12-31` or `2025-12-31T18:00:00Z`");
            self.error(d);
        }
        parsed.map(|t| t.timestamp())
    }

    fn duration(&mut self, v: &Value, env: &Env) -> Option<i64> {
        match self.value(v, env)? {
            Val::Duration(d) => parse_duration(&d),
            other => {
                let d = Diagnostic::new(Code::InvalidValue, v.span, format!("expected a duration such as `4h`, found {}", a(other.type_name()))).label("not a duration");
                self.error(d);
                None
            }
        }
    }

    fn valid_until(&mut self, v: &Value, env: &Env) -> Option<String> {
        let val = self.value(v, env)?;
        if let Val::Str(s) = &val {
            if s.eq_ignore_ascii_case("infinity") {
                return Some("infinity".to_string());
            }
        }
        let t = self.timestamp(v, env)?;
        chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    fn password(&mut self, p: &Password, env: &Env) -> Option<PasswordSource> {
        match p {
            Password::Secret(t) => {
                let env_name = self.interpolate(t, env)?;
                if env_name.is_empty() || !env_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let d = Diagnostic::new(Code::InvalidValue, t.span, "a secret names an environment variable: letters, digits and `_`")
                        .label("not an environment variable name");
                    self.error(d);
                    return None;
                }
                Some(PasswordSource::Secret { env: env_name, origin: t.span })
            }
            Password::Scram(t) => {
                let text = self.interpolate(t, env)?;
                match crate::lower::scram::validate_verifier(&text) {
                    Ok(()) => Some(PasswordSource::Verifier(text)),
                    Err(why) => {
                        let d = Diagnostic::new(Code::MalformedVerifier, t.span, format!("this is not a valid SCRAM-SHA-256 verifier: {why}"))
                            .label("malformed verifier")
                            .help("PostgreSQL would store a malformed verifier as a plaintext password; copy it from `pg_authid.rolpassword` or use `secret(\"ENV\")`")
                            .redact(t.span);
                        self.error(d);
                        None
                    }
                }
            }
            Password::Plaintext(span) => {
                let d = Diagnostic::new(Code::PlaintextPassword, *span, "passwords must not be written in plain text")
                    .label("plaintext password")
                    .help("use `password secret(\"ENV_VAR\")` to read it from the environment at build time, or `password scram \"SCRAM-SHA-256$…\"`")
                    .redact(*span);
                self.error(d);
                None
            }
        }
    }

    fn cidr(&mut self, c: &Ident) -> Option<String> {
        let (addr, prefix) = match c.text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (c.text.as_str(), None),
        };
        let ip: Option<std::net::IpAddr> = addr.parse().ok();
        let max = match ip {
            Some(std::net::IpAddr::V4(_)) => 32,
            Some(std::net::IpAddr::V6(_)) => 128,
            None => 0,
        };
        let prefix_ok = prefix.is_none_or(|p| p.parse::<u32>().is_ok_and(|n| n <= max));
        if ip.is_none() || !prefix_ok {
            let d = Diagnostic::new(Code::InvalidValue, c.span, format!("`{}` is not an address range", c.text))
                .label("invalid address range")
                .help("write an address with a prefix length, such as `10.0.1.0/24` or `2001:db8::/32`");
            self.error(d);
            return None;
        }
        Some(match prefix {
            Some(_) => c.text.clone(),
            None => format!("{addr}/{max}"),
        })
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
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\"").replace('{', "\\{"))
    }
}

fn fmt_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
fn closest<'x>(name: &str, candidates: impl Iterator<Item = &'x str>) -> Option<&'x str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
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
