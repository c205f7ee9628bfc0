//! A file's role bodies — templates, `extends` and `without` flattened, then applied in order.

use super::*;

/// The options and window of one membership statement, shared by all its targets.
pub(super) struct MembershipTerms {
    admin: bool,
    inherit: Option<bool>,
    set: Option<bool>,
    from: Option<i64>,
    until: Option<i64>,
    /// The window ends before it starts (reported once, by [`Resolver::membership_terms`]).
    empty_window: bool,
    active: bool,
    duration: Option<i64>,
    reason: Option<String>,
}

impl<'a> Resolver<'a> {
    /// Builds the schemas and roles of the file at position `pos` (collected as its own),
    /// then the rest of its items. Schemas first: role bodies check schema references
    /// against them.
    pub(super) fn build_file(&mut self, pos: usize) {
        for i in 0..self.schemas.len() {
            if self.schemas[i].key.0 == pos {
                self.build_schema(i);
            }
        }
        for i in 0..self.roles.len() {
            let key = self.roles[i].key;
            if self.roles[i].key.0 != pos {
                continue;
            }
            if let Some(name) = self.scope.role_name(key) {
                self.build_role(key, name);
            }
        }
        self.build_rest();
    }

    pub(super) fn build_schema(&mut self, i: usize) {
        let s = &self.schemas[i];
        let (decl, env, span, key) = (s.decl, s.env.clone(), s.span, s.key);
        let Some(name) = self.name(&decl.name, &env) else { return };
        if self.scope.schema(&self.schema_key(&name, &env)) != Some(key) {
            return;
        }
        let database = self.database_of(&env);
        let mut schema = Schema { name, owner: None, creators: Vec::new(), tags: Vec::new(), database, origin: span };
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

    /// Builds role `key` (its file collected).
    pub(super) fn build_role(&mut self, key: DeclKey, name: String) {
        let Some(inst) = self.role_inst(key) else { return };
        let (decl, env, span) = (inst.decl, inst.env.clone(), inst.span);
        let flat = self.flatten_role(key, &mut vec![key]);
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
            origin: span,
        };
        role.attributes.insert(AttributeKind::Login, decl.is_user);
        let mut memberships: Vec<Membership> = Vec::new();
        let mut grants: Vec<ObjectGrant> = Vec::new();
        // The object each grant statement of the role's own body grants on, by its place in the
        // body, so that finding the ones it states twice does not evaluate them again.
        let mut grant_objects: Vec<Option<Object>> = vec![None; decl.body.len()];
        for f in flat.iter() {
            match f {
                Flat::Stmt(stmt, env, site, own) => {
                    let origin = site.unwrap_or(stmt.span);
                    let granted = self.apply_stmt(stmt, env, origin, &mut role, &mut memberships, &mut grants);
                    if let (Some(slot), Some(object)) = (own.and_then(|i| grant_objects.get_mut(i)), granted) {
                        *slot = Some(object);
                    }
                }
                Flat::Without(w, env) => self.apply_without(w, env, &mut role, &mut memberships, &mut grants),
            }
        }
        self.redundant_statements(decl, &env, &name, grant_objects);
        self.model.roles.push(std::sync::Arc::new(role));
        self.model.memberships.extend(memberships.into_iter().map(std::sync::Arc::new));
        self.model.grants.extend(grants.into_iter().map(std::sync::Arc::new));
    }

    /// W004 for a membership or privilege that a role's own body states twice. `grant_objects`
    /// holds the objects of the body's grant statements already resolved, by their place in it.
    pub(super) fn redundant_statements(
        &mut self,
        decl: &RoleDecl,
        env: &Env,
        role: &str,
        mut grant_objects: Vec<Option<Object>>,
    ) {
        let mut members: FxHashMap<String, Span> = FxHashMap::default();
        let mut privileges: FxHashMap<(Object, Privilege), Span> = FxHashMap::default();
        let mut found = Vec::new();
        for (index, stmt) in decl.body.iter().enumerate() {
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
                    let object = match grant_objects.get_mut(index).and_then(Option::take) {
                        Some(object) => object,
                        None => match self.quiet(|r| r.object(&g.target, env)) {
                            Some(object) => object,
                            None => continue,
                        },
                    };
                    for p in &g.privs {
                        if let Some(first) = privileges.insert((object.clone(), p.privilege), p.span) {
                            found.push((
                                p.span,
                                first,
                                format!("`{}` on {} is already granted", p.privilege.keyword(), object.describe()),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        for (span, first, message) in found {
            let d = Diagnostic::new(Code::Redundant, span, message)
                .label("stated again")
                .with_secondary(first, "first stated here");
            self.error(d);
        }
    }

    /// Runs `f` without keeping the diagnostics it reports (they are reported elsewhere).
    pub(super) fn quiet<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let n = self.diags.len();
        let out = f(self);
        self.diags.truncate(n);
        out
    }

    /// The statements of role `i`: its template, then the role it extends, then its own body.
    /// `i` is the role's key; its file must be collected, which the scope sees to for every
    /// role that is extended.
    pub(super) fn flatten_role(&mut self, i: DeclKey, stack: &mut Vec<DeclKey>) -> Rc<Vec<Flat<'a>>> {
        if let Some(f) = self.flat_cache.get(&i) {
            return f.clone();
        }
        let Some(inst) = self.role_inst(i) else { return Rc::default() };
        let (decl, env) = (inst.decl, inst.env.clone());
        let mut out = Vec::new();
        if let Some(call) = &decl.from_template {
            self.flatten_use(call, &env, &mut out, &mut Vec::new());
        }
        if let Some(base) = &decl.extends {
            if let Some(name) = self.name(base, &env) {
                match self.scope.role(&name) {
                    Some(b) if stack.contains(&b) => {
                        let d = Diagnostic::new(Code::BadExtends, base.span, format!("`extends {name}` forms a cycle"))
                            .label("extends itself through this chain")
                            .help("a role cannot be based on itself, directly or through other roles");
                        self.error(d);
                    }
                    Some(b) if self.extends_chain(b) > crate::syntax::MAX_DEPTH - 1 => {
                        // Reported once, at the role whose chain first crosses the limit; the
                        // roles that extend it take nothing from it.
                        if self.extends_chain(b) == crate::syntax::MAX_DEPTH {
                            let d = Diagnostic::new(
                                Code::BadExtends,
                                base.span,
                                format!(
                                    "`extends {name}` makes a chain of more than {} roles",
                                    crate::syntax::MAX_DEPTH
                                ),
                            )
                            .label("chain too long")
                            .help("let roles extend a common base instead of each other");
                            self.error(d);
                        }
                    }
                    Some(b) => {
                        stack.push(b);
                        let base_flat = self.flatten_role(b, stack);
                        stack.pop();
                        for f in base_flat.iter() {
                            out.push(match f {
                                // Not statements of this role's own body.
                                Flat::Stmt(s, e, site, _) => Flat::Stmt(s, e.clone(), *site, None),
                                Flat::Without(w, e) => Flat::Without(w, e.clone()),
                            });
                        }
                    }
                    None => {
                        let closest = self.suggest_role(&name);
                        let mut d = Diagnostic::new(
                            Code::BadExtends,
                            base.span,
                            format!("`extends` names unknown role `{name}`"),
                        )
                        .label("no role of this name is declared");
                        if let Some(s) = closest {
                            d = d.did_you_mean(base.span, display_name(&s));
                        }
                        self.error(d);
                    }
                }
            }
        }
        for (index, stmt) in decl.body.iter().enumerate() {
            self.flatten_stmt(stmt, Some(index), &env, &mut out, &mut Vec::new());
        }
        let out = Rc::new(out);
        self.flat_cache.insert(i, out.clone());
        out
    }

    /// How many roles the chain of `extends` from role `i` has (`i` included), counted up to
    /// one past [`crate::syntax::MAX_DEPTH`]: a loop, so that any length is measured without
    /// recursion. A cycle ends the count (it is reported on its own).
    fn extends_chain(&mut self, i: DeclKey) -> usize {
        let mut chain = vec![i];
        while chain.len() <= crate::syntax::MAX_DEPTH {
            let Some(inst) = self.role_inst(chain[chain.len() - 1]) else { break };
            let (decl, env) = (inst.decl, inst.env.clone());
            let Some(base) =
                self.quiet(|r| r.name(decl.extends.as_ref()?, &env)).and_then(|name| self.scope.role(&name))
            else {
                break;
            };
            if chain.contains(&base) {
                break;
            }
            chain.push(base);
        }
        chain.len()
    }

    /// `own` is the statement's place in the body of the role being flattened; `None` for a
    /// statement of a template.
    pub(super) fn flatten_stmt(
        &mut self,
        stmt: &'a Stmt,
        own: Option<usize>,
        env: &Env,
        out: &mut Vec<Flat<'a>>,
        templates: &mut Vec<String>,
    ) {
        match &stmt.kind {
            StmtKind::Use(call) => self.flatten_use(call, env, out, templates),
            StmtKind::Without(w) => out.push(Flat::Without(w, env.clone())),
            _ => out.push(Flat::Stmt(stmt, env.clone(), self.use_site, own)),
        }
    }

    pub(super) fn flatten_use(
        &mut self,
        call: &'a TemplateUse,
        env: &Env,
        out: &mut Vec<Flat<'a>>,
        templates: &mut Vec<String>,
    ) {
        let Some(&(template, _)) = self.templates.get(&call.name.text) else {
            let mut d = Diagnostic::new(
                Code::UnknownTemplate,
                call.name.span,
                format!("unknown template `{}`", call.name.text),
            )
            .label("no template of this name");
            let known: Vec<&str> = self.templates.keys().map(String::as_str).collect();
            if let Some(s) = self.closest(&call.name.text, known.into_iter()) {
                d = d.did_you_mean(call.name.span, s);
            } else if call.name.text == "reader" || call.name.text == "writer" {
                d = d.help("`reader` and `writer` come with `import std.access`");
            }
            self.error(d);
            return;
        };
        if templates.contains(&call.name.text) {
            let d = Diagnostic::new(
                Code::TemplateRecursion,
                call.span,
                format!("template `{}` uses itself", call.name.text),
            )
            .label("recursive use")
            .help(format!("templates used on the way: {}", templates.join(" → ")));
            self.error(d);
            return;
        }
        if templates.len() >= crate::syntax::MAX_DEPTH {
            let d = Diagnostic::new(
                Code::TemplateRecursion,
                call.span,
                format!("templates use each other more than {} levels deep", crate::syntax::MAX_DEPTH),
            )
            .label("nested too deeply")
            .help(format!("templates used on the way: {} → …", templates[..3].join(" → ")));
            self.error(d);
            return;
        }
        if templates.is_empty() && !self.use_fits(call) {
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
            self.flatten_stmt(stmt, None, &inner, out, templates);
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
    pub(super) fn bind_args(
        &mut self,
        call: &TemplateUse,
        template: &TemplateDecl,
        env: &Env,
    ) -> Option<Vec<(String, Val)>> {
        let mut bound: Vec<Option<(Val, Span)>> = vec![None; template.params.len()];
        let mut ok = true;
        let mut positional = 0;
        for arg in &call.args {
            let index = match &arg.name {
                Some(n) => match template.params.iter().position(|p| p.name.text == n.text) {
                    Some(i) => i,
                    None => {
                        let d = Diagnostic::new(
                            Code::TemplateArgument,
                            n.span,
                            format!("template `{}` has no parameter `{}`", template.name.text, n.text),
                        )
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
                let d = Diagnostic::new(
                    Code::TemplateArgument,
                    arg.span,
                    format!(
                        "template `{}` takes {} argument(s), this is one too many",
                        template.name.text,
                        template.params.len()
                    ),
                )
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
                    format!(
                        "parameter `{}` of `{}` is {}, this argument is {}",
                        param.name.text,
                        template.name.text,
                        a(param.ty.as_str()),
                        a(value.type_name())
                    ),
                )
                .label(format!("expected {}", a(param.ty.as_str())))
                .with_secondary(param.span, "parameter declared here");
                self.error(d);
                ok = false;
                bound[index] = Some((value, arg.span)); // reported; not "missing" as well
                continue;
            }
            if bound[index].is_some() {
                let d = Diagnostic::new(
                    Code::TemplateArgument,
                    arg.span,
                    format!("parameter `{}` is given twice", param.name.text),
                )
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
                    let d = Diagnostic::new(
                        Code::TemplateArgument,
                        call.span,
                        format!("missing argument `{}` for template `{}`", param.name.text, template.name.text),
                    )
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
    /// attributed (the statement, or the `use` of the template it comes from). Returns the
    /// object a grant statement grants on.
    pub(super) fn apply_stmt(
        &mut self,
        stmt: &Stmt,
        env: &Env,
        origin: Span,
        role: &mut Role,
        memberships: &mut Vec<Membership>,
        grants: &mut Vec<ObjectGrant>,
    ) -> Option<Object> {
        let site = (origin != stmt.span).then_some(origin);
        match &stmt.kind {
            StmtKind::MemberOf(m) => self.member_of(m, stmt.span, site, env, role, memberships),
            StmtKind::Attribute(a) => {
                role.attributes.insert(a.kind, a.on);
            }
            StmtKind::ConnectionLimit(n) => {
                if *n < -1 {
                    self.error(
                        Diagnostic::new(Code::InvalidValue, stmt.span, "a connection limit is -1 (no limit) or more")
                            .label("out of range"),
                    );
                } else {
                    role.connection_limit = Some(*n);
                }
            }
            StmtKind::ValidUntil(v) => role.valid_until = self.valid_until(v, env),
            StmtKind::Password(p) => role.password = self.password(p, env),
            StmtKind::Set { param, value, database } => {
                let v = self.value(value, env)?;
                let values = match v {
                    Val::List(items) => items.iter().filter_map(Val::as_text).collect(),
                    other => vec![other.as_text().unwrap_or_default()],
                };
                let database = match database {
                    Some(d) => match self.database_name(d, env) {
                        Some(name) => Some(name),
                        None => return None,
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
                    let object = grant.object.clone();
                    grants.push(grant);
                    return Some(object);
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
                            None => return None,
                        },
                        None => None,
                    };
                    self.model.hba.push(HbaRule { role: role.name.clone(), cidr, database, origin });
                }
            }
            StmtKind::Owner(_) | StmtKind::Creators(_) | StmtKind::Use(_) | StmtKind::Without(_) | StmtKind::Error => {}
        }
        None
    }

    pub(super) fn apply_without(
        &mut self,
        w: &Without,
        env: &Env,
        role: &mut Role,
        memberships: &mut Vec<Membership>,
        grants: &mut Vec<ObjectGrant>,
    ) {
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

    pub(super) fn member_of(
        &mut self,
        m: &MemberOf,
        span: Span,
        site: Option<Span>,
        env: &Env,
        role: &Role,
        memberships: &mut Vec<Membership>,
    ) {
        let terms = self.membership_terms(m, span, env);
        for (target, tspan) in self.member_targets(&m.targets, env, &role.name) {
            let origin = site.unwrap_or(tspan);
            if let Some(membership) = self.membership(&terms, target, role.name.clone(), tspan, origin) {
                memberships.retain(|x| x.role != membership.role);
                memberships.push(membership);
            }
        }
    }

    /// The options and window of a `member of` statement (or a top-level `grant ROLE to …`),
    /// evaluated once for all its targets; problems with them are reported here.
    pub(super) fn membership_terms(&mut self, m: &MemberOf, span: Span, env: &Env) -> MembershipTerms {
        for c in &m.conditions {
            let d = Diagnostic::new(Code::UnsupportedCondition, *c, "PostgreSQL cannot enforce this condition on a membership")
                .label("not enforceable by PostgreSQL")
                .help("a membership can be bounded in time (`from … until …`, `for 4h`) and logins restricted by address (`connect from`); approvals and time-of-day rules need a process outside the database");
            self.error(d);
        }
        let v = self.options.target_version;
        if v < 16 {
            for (set, what) in [
                (m.inherit.is_some(), if m.inherit == Some(false) { "noinherit" } else { "inherit" }),
                (m.set.is_some(), "noset"),
            ] {
                if set {
                    let d = Diagnostic::new(
                        Code::VersionFeature,
                        span,
                        format!("the `{what}` membership option needs PostgreSQL 16, the target is {v}"),
                    )
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
                self.error(
                    Diagnostic::new(Code::InvalidValue, span, "a membership has either `until` or `for`, not both")
                        .label("second end of the window"),
                );
                (f, u)
            }
            (f, u, None) => (f, u),
        };
        if let (Some(f), Some(u)) = (from, until) {
            if u <= f {
                self.error(
                    Diagnostic::new(Code::InvalidValue, span, "the membership window ends before it starts")
                        .label("empty window"),
                );
            }
        }
        MembershipTerms {
            admin: m.admin,
            inherit: m.inherit,
            set: m.set,
            from,
            until,
            empty_window: matches!((from, until), (Some(f), Some(u)) if u <= f),
            active: from.is_none_or(|f| f <= at) && until.is_none_or(|u| at < u),
            duration: if m.from.is_none() && m.until.is_none() { duration } else { None },
            reason: m.reason.as_ref().and_then(|r| self.interpolate(r, env)),
        }
    }

    /// The membership of `member` in `target` on `terms`, or `None` (reported at `at`, the
    /// target as written) when PostgreSQL refuses it. `origin` is where it is stated.
    pub(super) fn membership(
        &mut self,
        terms: &MembershipTerms,
        target: String,
        member: String,
        at: Span,
        origin: Span,
    ) -> Option<Membership> {
        if target == "pg_database_owner" {
            let d = Diagnostic::new(Code::NotAllowedHere, at, "`pg_database_owner` cannot have explicit members")
                .label("PostgreSQL refuses this membership")
                .help("its only member is the owner of the current database, implicitly");
            self.error(d);
            return None;
        }
        if !terms.active && !terms.empty_window {
            let when = match (terms.from, terms.until) {
                (Some(f), _) if self.options.at < f => format!("it opens at {}", fmt_time(f)),
                (_, Some(u)) => format!("it closed at {}", fmt_time(u)),
                _ => "it is not open".to_string(),
            };
            let d = Diagnostic::new(
                Code::WindowClosed,
                at,
                format!("membership of `{member}` in `{target}` is not granted: {when}"),
            )
            .label("outside its window at build time")
            .help("the window is evaluated at `--at` (default: now)");
            self.error(d);
        }
        Some(Membership {
            role: target,
            member,
            admin: terms.admin,
            inherit: terms.inherit,
            set: terms.set,
            from: terms.from,
            until: terms.until,
            active: terms.active,
            duration: terms.duration,
            reason: terms.reason.clone(),
            origin,
        })
    }

    /// Role names named by `member of` targets; globs and `all roles` expand over declared roles.
    pub(super) fn member_targets(
        &mut self,
        targets: &[MemberTarget],
        env: &Env,
        self_name: &str,
    ) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for t in targets {
            match t {
                MemberTarget::Name(n) => {
                    if let Some(r) = self.role_ref(n, env) {
                        out.push((r, n.span));
                    }
                }
                MemberTarget::AllRoles(span) => {
                    for role in self.scope.roles() {
                        if let Some(name) = &role.name {
                            if !role.is_user && name != self_name {
                                out.push((name.clone(), *span));
                            }
                        }
                    }
                }
                MemberTarget::Glob { span, pattern } => {
                    let matcher = match globset::Glob::new(pattern) {
                        Ok(g) => g.compile_matcher(),
                        Err(e) => {
                            self.error(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    *span,
                                    format!("`{pattern}` is not a valid glob: {e}"),
                                )
                                .label("invalid glob"),
                            );
                            continue;
                        }
                    };
                    let before = out.len();
                    for role in self.scope.roles() {
                        if let Some(name) = &role.name {
                            if name != self_name && matcher.is_match(name) {
                                out.push((name.clone(), *span));
                            }
                        }
                    }
                    if out.len() == before {
                        let d = Diagnostic::new(
                            Code::UnusedGlob,
                            *span,
                            format!("`{pattern}` matches no role of the policy"),
                        )
                        .label("matches nothing");
                        self.error(d);
                    }
                }
            }
        }
        out
    }
}
