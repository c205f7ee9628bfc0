//! Names and values: evaluation in a scope, and references to roles and schemas.

use super::*;

impl<'a> Resolver<'a> {
    /// A role that must exist: declared, external or predefined for the target version.
    pub(super) fn role_ref(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = self.name(n, env)?;
        if self.scope.role(&name).is_some() || self.scope.layout().externals.binary_search(&name).is_ok() {
            return Some(name);
        }
        match crate::pg::roles::predefined_since(&name) {
            Some(since) if since <= self.options.target_version => return Some(name),
            Some(since) => {
                let d = Diagnostic::new(
                    Code::VersionFeature,
                    n.span,
                    format!("`{name}` exists from PostgreSQL {since}; the target is {}", self.options.target_version),
                )
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
        let mut d = Diagnostic::new(Code::UnknownRole, n.span, format!("unknown role `{name}`"))
            .label("not declared in this policy");
        d = match self.suggest_role(&name) {
            Some(s) => d.did_you_mean(n.span, display_name(&s)),
            None => d.help(format!(
                "declare it with `role {} {{ … }}`, or `external role {}` if it exists already",
                display_name(&name),
                display_name(&name)
            )),
        };
        self.error(d);
        None
    }

    /// The declared or external role `name` is most likely a typo of.
    pub(super) fn suggest_role(&self, name: &str) -> Option<String> {
        let declared = self.scope.roles().iter().filter_map(|r| r.name.as_deref());
        let candidates = declared.chain(self.scope.layout().externals.iter().map(String::as_str));
        self.closest(name, candidates).map(str::to_string)
    }

    pub(super) fn schema_ref(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = self.name(n, env)?;
        if self.scope.schema(&self.schema_key(&name, env)).is_some()
            || matches!(name.as_str(), "public" | "pg_catalog" | "information_schema")
        {
            return Some(name);
        }
        let mut d = Diagnostic::new(Code::UnknownSchema, n.span, format!("unknown schema `{name}`"))
            .label("not declared in this policy");
        // Keys of schemas in other databases than this one's are left out.
        let db = self.schema_key("", env);
        let known: Vec<String> = self
            .scope
            .schema_names()
            .into_iter()
            .filter_map(|k| k.strip_suffix(db.as_str()).map(str::to_string))
            .collect();
        d = match self.closest(&name, known.iter().map(String::as_str)) {
            // The help names the schema as it is known; the edit writes it as a policy spells it.
            Some(s) => d.help(format!("did you mean `{s}`?")).suggest(n.span, display_name(s)),
            None => d.help(format!("declare it with `schema {} {{ owner ROLE }}`", display_name(&name))),
        };
        self.error(d);
        None
    }

    // ------------------------------------------------------------------ names and values

    pub(super) fn name(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = match &n.kind {
            NameKind::Bare(word) => match env.get(word) {
                Some(v) => match v.as_text() {
                    Some(t) => t,
                    None => {
                        let d = Diagnostic::new(
                            Code::InvalidValue,
                            n.span,
                            format!("`{word}` is a list and cannot be used as a name"),
                        )
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
            self.error(
                Diagnostic::new(Code::InvalidValue, n.span, "a name cannot contain a NUL character")
                    .label("NUL character"),
            );
            return None;
        }
        Some(name)
    }

    /// A name PostgreSQL stores as an identifier: at most 63 bytes (E009).
    pub(super) fn identifier(&mut self, n: &Name, env: &Env, what: &str) -> Option<String> {
        let name = self.name(n, env)?;
        if let Some(d) = check_length(&name, n.span, what) {
            self.error(d);
            return None;
        }
        Some(name)
    }

    pub(super) fn database_name(&mut self, n: &Name, env: &Env) -> Option<String> {
        self.identifier(n, env, "database")
    }

    /// The database of an `in database NAME` block: one the `databases` declaration lists (E025).
    pub(super) fn database_ref(&mut self, n: &Name, env: &Env) -> Option<String> {
        let name = self.database_name(n, env)?;
        let declared = self.declared_databases().to_vec();
        if declared.contains(&name) {
            return Some(name);
        }
        let mut d = Diagnostic::new(Code::UnknownDatabase, n.span, format!("unknown database `{name}`"))
            .label("not declared in this policy");
        d = match (declared.is_empty(), self.closest(&name, declared.iter().map(String::as_str))) {
            (_, Some(s)) => d.help(format!("did you mean `{s}`?")).suggest(n.span, display_name(s)),
            (true, None) => {
                d.help(format!("declare the databases the policy covers: `databases {}`", display_name(&name)))
            }
            (false, None) => d.help(format!(
                "add it to the policy's `databases` declaration ({})",
                declared.iter().map(|x| display_name(x)).collect::<Vec<_>>().join(", ")
            )),
        };
        self.error(d);
        None
    }

    /// The database the object-level items in `env` belong to: their `in database` block's,
    /// else the policy's first (`None` when it declares none).
    pub(super) fn database_of(&self, env: &Env) -> Option<String> {
        match env.get(super::DATABASE_VAR) {
            Some(Val::Str(d)) => Some(d.clone()),
            _ => self.declared_databases().first().cloned(),
        }
    }

    /// The policy's `databases`: from the scope being built (pass 1 reads them first), else
    /// from the scope a file is resolved against.
    fn declared_databases(&self) -> &[String] {
        match self.built.layout.databases.is_empty() {
            true => &self.scope.layout().databases,
            false => &self.built.layout.databases,
        }
    }

    /// How the scope knows schema `name` of the database items in `env` belong to: schemas of
    /// different databases may share a name.
    pub(super) fn schema_key(&self, name: &str, env: &Env) -> String {
        match self.database_of(env) {
            Some(db) if self.declared_databases().len() > 1 => format!("{name}\u{0}{db}"),
            _ => name.to_string(),
        }
    }

    pub(super) fn interpolate(&mut self, t: &ast::Template, env: &Env) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for part in &t.parts {
            match part {
                StrPart::Lit(s) => out.push_str(s),
                StrPart::Var(v) => {
                    match env.get(&v.text).map(|x| x.as_text()) {
                        Some(Some(text)) => out.push_str(&text),
                        Some(None) => {
                            let d = Diagnostic::new(
                                Code::InvalidValue,
                                v.span,
                                format!("`{}` is a list and cannot be put in a string", v.text),
                            )
                            .label("a list");
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
                    }
                }
            }
        }
        ok.then_some(out)
    }

    pub(super) fn value(&mut self, v: &Value, env: &Env) -> Option<Val> {
        Some(match &v.kind {
            ValueKind::Str(t) => Val::Str(self.interpolate(t, env)?),
            ValueKind::Int(i) => Val::Int(*i),
            ValueKind::Duration(d) => {
                if parse_duration(d).is_none() {
                    self.error(
                        Diagnostic::new(Code::InvalidValue, v.span, format!("`{d}` is out of range"))
                            .label("invalid duration"),
                    );
                    return None;
                }
                Val::Duration(d.clone())
            }
            ValueKind::Timestamp(t) => {
                if parse_timestamp(t).is_none() {
                    let d =
                        Diagnostic::new(Code::InvalidValue, v.span, format!("`{t}` is not a valid date or timestamp"))
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

    pub(super) fn timestamp(&mut self, v: &Value, env: &Env) -> Option<i64> {
        let val = self.value(v, env)?;
        let parsed = match &val {
            Val::Timestamp(t) | Val::Str(t) => parse_timestamp(t),
            _ => None,
        };
        if parsed.is_none() {
            let d = Diagnostic::new(
                Code::InvalidValue,
                v.span,
                format!("expected a date or timestamp, found {}", a(literal_kind(&v.kind))),
            )
            .label("not a date")
            .help("write `2025-12-31` or `2025-12-31T18:00:00Z`");
            self.error(d);
        }
        parsed.map(|t| t.timestamp())
    }

    pub(super) fn duration(&mut self, v: &Value, env: &Env) -> Option<i64> {
        match self.value(v, env)? {
            Val::Duration(d) => parse_duration(&d),
            other => {
                let d = Diagnostic::new(
                    Code::InvalidValue,
                    v.span,
                    format!("expected a duration such as `4h`, found {}", a(other.type_name())),
                )
                .label("not a duration");
                self.error(d);
                None
            }
        }
    }

    pub(super) fn valid_until(&mut self, v: &Value, env: &Env) -> Option<String> {
        let val = self.value(v, env)?;
        if let Val::Str(s) = &val {
            // `-infinity` is an expiry in the past (no password login ever), not `infinity`.
            for special in ["infinity", "-infinity"] {
                if s.eq_ignore_ascii_case(special) {
                    return Some(special.to_string());
                }
            }
        }
        let t = self.timestamp(v, env)?;
        chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    pub(super) fn password(&mut self, p: &Password, env: &Env) -> Option<PasswordSource> {
        match p {
            Password::Secret(t) => {
                let env_name = self.interpolate(t, env)?;
                if env_name.is_empty() || !env_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let d = Diagnostic::new(
                        Code::InvalidValue,
                        t.span,
                        "a secret names an environment variable: letters, digits and `_`",
                    )
                    .label("not an environment variable name");
                    self.error(d);
                    return None;
                }
                Some(PasswordSource::Secret { env: env_name, origin: t.span })
            }
            Password::Scram(t) => {
                let text = self.interpolate(t, env)?;
                match crate::pg::scram::validate_verifier(&text) {
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

    pub(super) fn cidr(&mut self, c: &Ident) -> Option<String> {
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
