//! A file's grants and their objects, `defaults`, `public`, top-level grants, inventory and
//! policies; default privileges implied by bulk grants.

use super::*;

impl<'a> Resolver<'a> {
    pub(super) fn build_rest(&mut self) {
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
                    self.public_grants.push(std::sync::Arc::new(grant));
                }
            }
        }
        for (grant, grantees, span, env) in std::mem::take(&mut self.top_grants) {
            for g in grantees {
                let grantee = match g {
                    ast::Grantee::Public(span) if grant.grant_option => {
                        self.grant_option_to_public(*span);
                        continue;
                    }
                    ast::Grantee::Public(_) => Grantee::Public,
                    ast::Grantee::Role(n) => match self.role_ref(n, &env) {
                        Some(r) => Grantee::Role(r),
                        None => continue,
                    },
                };
                if let Some(grant) = self.grant(grant, &env, grantee, false, span) {
                    self.top_grants_built.push(std::sync::Arc::new(grant));
                }
            }
        }
        self.role_grants_from = self.model.memberships.len();
        for (roles, members, span, env) in std::mem::take(&mut self.role_grants) {
            self.grant_roles(roles, members, span, &env);
        }
        for (decl, env) in std::mem::take(&mut self.objects) {
            let Some((schema, name)) = self.qname(&decl.name, &env) else { continue };
            let object = match decl.kind {
                ObjectKind::Table => Object::Table { schema, name },
                ObjectKind::View => Object::View { schema, name },
                ObjectKind::Sequence => Object::Sequence { schema, name },
                ObjectKind::Function => {
                    let args =
                        decl.args.as_deref().unwrap_or(&[]).iter().filter_map(|t| self.type_sql(t, &env)).collect();
                    Object::Routine { schema, name, args }
                }
            };
            let mut tags = Vec::new();
            for stmt in &decl.body {
                if let StmtKind::Tags(ts) = &stmt.kind {
                    tags = ts.iter().filter_map(|t| self.name(t, &env)).collect();
                }
            }
            let database = self.database_of(&env);
            self.model.objects.push(InventoryObject {
                object,
                tags,
                owner: None,
                database,
                origin: Some(decl.name.span),
            });
        }
        for (decl, env) in std::mem::take(&mut self.policies) {
            let policy = self.policy(decl, &env);
            self.model.policies.push(policy);
        }
    }

    /// `grant ROLE, … to MEMBER, … [options]`: each member named or matched becomes a member
    /// of each role (a role is never made a member of itself). A pair the policy states
    /// elsewhere as well is kept once, by `combine`.
    pub(super) fn grant_roles(&mut self, roles: &[ast::Name], members: &MemberOf, span: Span, env: &Env) {
        let terms = self.membership_terms(members, span, env);
        for n in roles {
            let Some(role) = self.role_ref(n, env) else { continue };
            for (member, mspan) in self.member_targets(&members.targets, env, &role) {
                if let Some(m) = self.membership(&terms, role.clone(), member, mspan, mspan) {
                    self.model.memberships.push(std::sync::Arc::new(m));
                }
            }
        }
    }

    /// A policy with its names checked, its scope expanded and its objects evaluated; rules
    /// with a problem are reported and left out.
    fn policy(&mut self, decl: &PolicyDecl, env: &Env) -> super::Policy {
        let scope = match &decl.applies_to {
            None | Some(Scope::All) => PolicyScope::All,
            Some(Scope::Users) => PolicyScope::Users,
            Some(Scope::Roles) => PolicyScope::Roles,
            Some(Scope::Targets(targets)) => PolicyScope::Names(self.scope_names(targets, env)),
        };
        let mut rules = Vec::new();
        for rule in &decl.rules {
            let kind = match &rule.kind {
                ast::RuleKind::Exclusive(names) => {
                    let mut roles: Vec<(String, Span)> = Vec::new();
                    for n in names {
                        if let Some(r) = self.role_ref(n, env) {
                            if !roles.iter().any(|(x, _)| *x == r) {
                                roles.push((r, n.span));
                            }
                        }
                    }
                    (roles.len() == names.len()).then_some(crate::model::RuleKind::Exclusive(roles))
                }
                ast::RuleKind::Forbid { attribute, except } => {
                    let except = self.member_targets(except, env, "").into_iter().map(|(n, _)| n).collect();
                    Some(crate::model::RuleKind::Forbid { attribute: attribute.kind, on: attribute.on, except })
                }
                ast::RuleKind::ForbidGrantToPublic { privs, target } => self.object(target, env).and_then(|object| {
                    let (allowed, what) = allowed_on_object(&object);
                    let privileges = self.privileges(privs, allowed, what);
                    // Privileges were written but none is valid (each reported): drop the rule.
                    (privs.is_empty() || !privileges.is_empty())
                        .then_some(crate::model::RuleKind::ForbidGrantToPublic { privileges, object })
                }),
                ast::RuleKind::MembershipsDeeperThan(n) => Some(crate::model::RuleKind::MembershipsDeeperThan(*n)),
                ast::RuleKind::MaxAdminRights(n) => Some(crate::model::RuleKind::MaxAdminRights(*n)),
                ast::RuleKind::MaxSchemas(n) => Some(crate::model::RuleKind::MaxSchemas(*n)),
                ast::RuleKind::MaxTables(n) => Some(crate::model::RuleKind::MaxTables(*n)),
                ast::RuleKind::MaxTablesTagged(tag, n) => {
                    self.name(tag, env).map(|tag| crate::model::RuleKind::MaxTablesTagged { tag, max: *n })
                }
            };
            if let Some(kind) = kind {
                rules.push(crate::model::PolicyRule { warn: rule.warn, kind, origin: rule.span });
            }
        }
        super::Policy { name: decl.name.text.clone(), scope, rules, origin: decl.name.span }
    }

    /// The roles an `applies to` names: names must exist; globs expand over declared roles
    /// and users. Unlike in `member of`, a glob that matches nothing is not reported: a policy
    /// may well state rules for roles that are not written yet.
    fn scope_names(&mut self, targets: &[MemberTarget], env: &Env) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in targets {
            match t {
                MemberTarget::Name(n) => out.extend(self.role_ref(n, env)),
                MemberTarget::AllRoles(_) => {
                    out.extend(self.scope.roles().iter().filter(|r| !r.is_user).filter_map(|r| r.name.clone()))
                }
                MemberTarget::Glob { span, pattern } => match globset::Glob::new(pattern) {
                    Ok(g) => {
                        let m = g.compile_matcher();
                        out.extend(self.scope.roles().iter().filter_map(|r| r.name.clone()).filter(|n| m.is_match(n)));
                    }
                    Err(e) => {
                        self.error(
                            Diagnostic::new(Code::InvalidValue, *span, format!("`{pattern}` is not a valid glob: {e}"))
                                .label("invalid glob"),
                        );
                    }
                },
            }
        }
        let mut seen = HashSet::new();
        out.retain(|n| seen.insert(n.clone()));
        out
    }

    pub(super) fn defaults_block(&mut self, block: &DefaultsBlock, env: &Env) {
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
                let d = Diagnostic::new(
                    Code::NotAllowedHere,
                    entry.kind_span,
                    "default privileges on schemas cannot be limited to a schema",
                )
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
                    ast::Grantee::Public(span) if entry.grant && entry.grant_option => {
                        self.grant_option_to_public(*span);
                        None
                    }
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
                            database: self.database_of(env),
                            origin: entry.span,
                        });
                    }
                }
            }
        }
    }

    /// E024: PostgreSQL refuses a grant option for PUBLIC (`0LP01 grant options can only be
    /// granted to roles`), so the scripts would fail; the grant is left out.
    fn grant_option_to_public(&mut self, span: Span) {
        let d = Diagnostic::new(Code::GrantOptionToPublic, span, "PUBLIC cannot hold a grant option")
            .label("granted `with grant option` to PUBLIC")
            .help("grant options can only be granted to roles: grant to PUBLIC without `with grant option`, and `with grant option` to a role");
        self.error(d);
    }

    /// `grant … on tables in schema S` also covers tables S's creators make later.
    pub(super) fn implied_default_privileges(&mut self) {
        let mut implied = Vec::new();
        let mut warnings = Vec::new();
        for g in &self.model.grants {
            let Object::AllIn { kind, schema } = &g.object else { continue };
            if g.revoke {
                continue;
            }
            let creators: Vec<&String> = self
                .model
                .schemas
                .iter()
                .find(|s| &s.name == schema && s.database == g.database)
                .map(|s| s.creator_roles().collect())
                .unwrap_or_default();
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
                    database: g.database.clone(),
                    origin: g.origin,
                });
            }
        }
        self.diags.extend(warnings);
        self.model.default_privileges.extend(implied);
    }

    // ------------------------------------------------------------------ grants and objects

    pub(super) fn grant(
        &mut self,
        g: &Grant,
        env: &Env,
        grantee: Grantee,
        revoke: bool,
        span: Span,
    ) -> Option<ObjectGrant> {
        let object = self.object(&g.target, env)?;
        let (allowed, what) = allowed_on_object(&object);
        let privileges = self.privileges(&g.privs, allowed, what);
        if privileges.is_empty() {
            return None;
        }
        let database = self.database_of(env);
        Some(ObjectGrant { grantee, privileges, object, grant_option: g.grant_option, revoke, database, origin: span })
    }

    /// The valid privileges of a list, deduplicated; reports the others.
    pub(super) fn privileges(&mut self, privs: &[PrivSpan], allowed: &[Privilege], what: &str) -> Vec<Privilege> {
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

    pub(super) fn object(&mut self, t: &Target, env: &Env) -> Option<Object> {
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
    pub(super) fn qname(&mut self, q: &QName, env: &Env) -> Option<(String, String)> {
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
    pub(super) fn type_sql(&mut self, t: &TypeName, env: &Env) -> Option<String> {
        let mut words = Vec::new();
        for w in &t.words {
            words.push(match &w.kind {
                NameKind::Bare(s) => {
                    let s = s.to_ascii_lowercase();
                    if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        s
                    } else {
                        crate::pg::quote::ident(&s)
                    }
                }
                NameKind::Quoted(_) => crate::pg::quote::ident(&self.name(w, env)?),
            });
        }
        let mut out = words.join(" ");
        if let Some(s) = &t.schema {
            out = format!("{}.{out}", crate::pg::quote::ident(&self.name(s, env)?));
        }
        if !t.modifier.is_empty() {
            out.push_str(&format!("({})", t.modifier.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")));
        }
        for _ in 0..t.array_dims {
            out.push_str("[]");
        }
        // One spelling per type (`int4`, `int` and `integer` are one), so that a routine is one
        // object in the analysis, explain, who-can and the plan, as it is in PostgreSQL.
        Some(crate::pg::types::canonical_type(&out))
    }
}
