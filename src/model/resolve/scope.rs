//! Passes 1–3 over the outlines of all files: the names every file's resolution refers to.
//!
//! An outline is a syntax tree with what no other file can see taken out: role bodies,
//! schema bodies, and the items that only add to the model (grants, `defaults`, `public`,
//! objects, policies). An edit inside a role body leaves every outline equal, so the
//! [`GlobalScope`] is reused and only the edited file is resolved again.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::*;

/// What every file's resolution needs to know of the whole policy: the global `let`s, the
/// roles, schemas, external roles and templates, and where each file's declarations are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalScope {
    /// What stays the same while no `let`, external role, template or `extends` changes.
    pub(super) layout: Arc<ScopeLayout>,
    /// Per file, in policy order: the indexes of its roles and schemas among all declarations.
    pub(super) files: Vec<FileScope>,
    /// Every role declaration, in policy order (`for` loops unrolled).
    pub(super) roles: Arc<Vec<ScopeRole>>,
    /// Valid, first declarations: role name → index in `roles`.
    pub(super) role_index: FxHashMap<String, usize>,
    /// Valid, first declarations: schema name → index among all schema declarations.
    pub(super) schema_index: FxHashMap<String, usize>,
    /// External roles as declared, with where (the first time).
    pub(super) externals: FxHashMap<String, Span>,
    /// Valid external role names, sorted.
    pub(super) external_roles: Vec<String>,
    pub(super) managed_globs: Vec<String>,
    pub(super) unknown_sets: Vec<String>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// The part of the scope that renaming, adding or removing a role or schema leaves as it is:
/// the global `let`s, the external role names, the files that declare templates and the
/// files each file's roles extend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeLayout {
    /// Per file, in policy order: the other files whose roles its roles extend, directly or
    /// through others.
    pub(super) extended: Vec<Vec<usize>>,
    /// Global `let`s, `--set` overrides applied.
    pub(super) globals: Vec<(String, Val)>,
    /// Every name declared `external` (valid or not: a reference to one is not reported).
    pub(super) externals: Vec<String>,
    /// Files that declare templates.
    pub(super) template_files: Vec<usize>,
    /// `databases a, b`, in order (the first is the default database).
    pub(super) databases: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct FileScope {
    pub roles: Range<usize>,
    pub schemas: Range<usize>,
}

/// A role or schema declaration: the position of its file in the policy, and its place among
/// that file's declarations of its kind (`for` loops unrolled). Relative to its file, so that
/// adding a declaration to one file leaves the keys of every other file's as they were.
pub type DeclKey = (usize, usize);

impl GlobalScope {
    /// The key of declaration `global` (an index among all declarations of its kind), given
    /// the range of each file's declarations of that kind.
    fn key(&self, global: usize, range: fn(&FileScope) -> &Range<usize>) -> Option<DeclKey> {
        let pos = self.files.partition_point(|f| range(f).end <= global);
        let start = range(self.files.get(pos)?).start;
        (global >= start).then_some((pos, global - start))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeRole {
    /// `None`: the name is invalid or declared before (reported).
    pub(super) name: Option<String>,
    pub(super) is_user: bool,
    /// The position of its file in the policy.
    pub(super) file: usize,
}

/// What resolving one file asks of the scope. [`GlobalScope`] answers from its tables; the
/// database answers each question with a query of its own, so that a file is resolved again
/// only when an answer it got changes, not whenever any declaration of the policy does.
pub trait ScopeLookup {
    fn layout(&self) -> &ScopeLayout;
    /// The valid, first declaration of role `name`.
    fn role(&self, name: &str) -> Option<DeclKey>;
    /// The valid, first declaration of schema `name`.
    fn schema(&self, name: &str) -> Option<DeclKey>;
    /// The name of role declaration `key`, if valid and first.
    fn role_name(&self, key: DeclKey) -> Option<String>;
    /// Every role declaration (for `all roles`, globs and "did you mean").
    fn roles(&self) -> &[ScopeRole];
    /// Every valid schema name (for "did you mean").
    fn schema_names(&self) -> Vec<String>;
}

impl ScopeLookup for GlobalScope {
    fn layout(&self) -> &ScopeLayout {
        &self.layout
    }
    fn role(&self, name: &str) -> Option<DeclKey> {
        self.key(*self.role_index.get(name)?, |f| &f.roles)
    }
    fn schema(&self, name: &str) -> Option<DeclKey> {
        self.key(*self.schema_index.get(name)?, |f| &f.schemas)
    }
    fn role_name(&self, (pos, i): DeclKey) -> Option<String> {
        let f = self.files.get(pos)?;
        self.roles.get(f.roles.start + i).filter(|_| f.roles.start + i < f.roles.end)?.name.clone()
    }
    fn roles(&self) -> &[ScopeRole] {
        &self.roles
    }
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.schema_index.keys().cloned().collect();
        names.sort_unstable();
        names
    }
}

impl GlobalScope {
    /// `--set` names (or a project's `[set]` names) that match no `let`.
    pub fn unknown_sets(&self) -> &[String] {
        &self.unknown_sets
    }

    pub fn shared_layout(&self) -> Arc<ScopeLayout> {
        self.layout.clone()
    }

    pub fn shared_roles(&self) -> Arc<Vec<ScopeRole>> {
        self.roles.clone()
    }

    /// The part of the scope a file's resolution reads (see [`ScopeLookup`]) for the roles of
    /// file `pos`, in order.
    pub fn file_role_names(&self, pos: usize) -> Vec<Option<String>> {
        self.files
            .get(pos)
            .map(|f| self.roles[f.roles.clone()].iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default()
    }
}

/// The outline of a file's syntax tree (see the module comment). Items keep their indexes,
/// so that spans stay valid: an item taken out becomes [`ItemKind::Error`]. Spans of whole
/// items are emptied (they end where the item starts).
pub fn outline(tree: &SourceAst) -> SourceAst {
    SourceAst { items: tree.items.iter().map(outline_item).collect() }
}

fn outline_item(item: &Item) -> Item {
    let kind = match &item.kind {
        ItemKind::Role(decl) => ItemKind::Role(RoleDecl { docs: Vec::new(), body: Vec::new(), ..decl.clone() }),
        ItemKind::Schema(decl) => {
            ItemKind::Schema(SchemaDecl { docs: Vec::new(), body: Vec::new(), name: decl.name.clone() })
        }
        ItemKind::For(l) => ItemKind::For(ForLoop {
            var: l.var.clone(),
            iter: l.iter.clone(),
            items: l.items.iter().map(outline_item).collect(),
        }),
        ItemKind::InDatabase(n, items) => ItemKind::InDatabase(n.clone(), items.iter().map(outline_item).collect()),
        ItemKind::Template(_)
        | ItemKind::Let(_)
        | ItemKind::Import(_)
        | ItemKind::External(_)
        | ItemKind::Manage(_)
        | ItemKind::Databases(_)
        | ItemKind::Error => item.kind.clone(),
        ItemKind::Object(_)
        | ItemKind::Defaults(_)
        | ItemKind::Public(_)
        | ItemKind::Policy(_)
        | ItemKind::Grant(..)
        | ItemKind::GrantRole(..) => ItemKind::Error,
    };
    // An item's span grows with its body: only an import's is kept (the scope reports on it).
    let span = match kind {
        ItemKind::Import(_) => item.span,
        _ => Span { end: item.span.start, ..item.span },
    };
    Item { span, kind }
}

/// Passes 1–3 over the outlines of all files, in policy order.
pub fn scope(outlines: &[Arc<SourceAst>], options: &BuildOptions) -> GlobalScope {
    let empty = GlobalScope::default();
    let mut r = Resolver::new(options, &empty);
    r.collect_lets(outlines);
    for (pos, file) in outlines.iter().enumerate() {
        let (roles, schemas) = (r.roles.len(), r.schemas.len());
        r.collect_file(file, pos, Collect::Scope);
        if file.items.iter().any(declares_template) {
            Arc::make_mut(&mut r.built.layout).template_files.push(pos);
        }
        r.built.files.push(FileScope { roles: roles..r.roles.len(), schemas: schemas..r.schemas.len() });
    }
    r.name_roles_and_schemas();
    r.find_extended_files();
    let mut scope = std::mem::take(&mut r.built);
    let mut externals: Vec<String> = scope.externals.keys().cloned().collect();
    externals.sort_unstable();
    Arc::make_mut(&mut scope.layout).externals = externals;
    scope.diagnostics = std::mem::take(&mut r.diags);
    scope
}

fn declares_template(item: &Item) -> bool {
    match &item.kind {
        ItemKind::Template(_) => true,
        ItemKind::For(l) => l.items.iter().any(declares_template),
        _ => false,
    }
}

impl<'a> Resolver<'a> {
    // ------------------------------------------------------------------ pass 1: lets

    pub(super) fn collect_lets(&mut self, files: &'a [Arc<SourceAst>]) {
        let mut declared: HashMap<String, Span> = HashMap::new();
        let mut globals: Vec<(String, Val)> = Vec::new();
        for file in files {
            for item in &file.items {
                let ItemKind::Let(decl) = &item.kind else { continue };
                if let Some(first) = declared.get(&decl.name.text) {
                    let d = Diagnostic::new(
                        Code::Duplicate,
                        decl.name.span,
                        format!("`{}` is defined twice", decl.name.text),
                    )
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
                            let d = Diagnostic::new(
                                Code::BadOverride,
                                decl.value.span,
                                format!("`--set {}` does not fit: {why}", decl.name.text),
                            )
                            .label(format!("declared as {} here", a(value.type_name())));
                            self.error(d);
                        }
                    }
                }
                self.globals = self.globals.with(&decl.name.text, value.clone());
                globals.push((decl.name.text.clone(), value));
            }
        }
        let mut unknown = Vec::new();
        for (name, _) in &self.options.sets {
            if !declared.contains_key(name) && !unknown.contains(name) {
                unknown.push(name.clone());
            }
        }
        Arc::make_mut(&mut self.built.layout).globals = globals;
        self.built.unknown_sets = unknown;
        self.collect_databases(files);
    }

    /// `databases a, b`: the databases the policy covers, also the global list `databases`.
    fn collect_databases(&mut self, files: &'a [Arc<SourceAst>]) {
        let mut first: Option<Span> = None;
        for file in files {
            for item in &file.items {
                let ItemKind::Databases(names) = &item.kind else { continue };
                let Some(at) = names.first().map(|n| n.span) else { continue };
                if let Some(first) = first {
                    let d = Diagnostic::new(Code::Duplicate, at, "the policy's databases are declared twice")
                        .label("second declaration")
                        .with_secondary(first, "first declared here")
                        .help("list every database in one `databases` declaration");
                    self.error(d);
                    continue;
                }
                first = Some(at);
                if self.globals.get("databases").is_some() {
                    let d = Diagnostic::new(Code::Duplicate, at, "`databases` is also a `let`")
                        .label("declares the list `databases`")
                        .help("rename the `let`: `databases a, b` defines the list variable `databases`");
                    self.error(d);
                    continue;
                }
                let env = self.globals.clone();
                let mut databases: Vec<String> = Vec::new();
                for n in names {
                    let Some(db) = self.database_name(n, &env) else { continue };
                    if db.chars().any(crate::pg::quote::is_unprintable) {
                        let d = Diagnostic::new(
                            Code::InvalidValue,
                            n.span,
                            "a database name here cannot hold a line break or another control character",
                        )
                        .label("control character")
                        .help("the scripts `\\connect` to each database, and psql ends that line at a line break");
                        self.error(d);
                        continue;
                    }
                    if databases.contains(&db) {
                        let d = Diagnostic::new(Code::Duplicate, n.span, format!("database `{db}` is listed twice"))
                            .label("listed again");
                        self.error(d);
                        continue;
                    }
                    databases.push(db);
                }
                let list = Val::List(databases.iter().cloned().map(Val::Str).collect());
                self.globals = self.globals.with("databases", list.clone());
                let layout = Arc::make_mut(&mut self.built.layout);
                layout.globals.push(("databases".to_string(), list));
                layout.databases = databases;
            }
        }
    }

    // ------------------------------------------------------------------ pass 3: names

    pub(super) fn name_roles_and_schemas(&mut self) {
        for i in 0..self.roles.len() {
            let (decl, env, file) = (self.roles[i].decl, self.roles[i].env.clone(), self.roles[i].key.0);
            let name = self
                .name(&decl.name, &env)
                .filter(|name| self.check_role_name(name, decl.name.span))
                .filter(|name| self.first_declaration(name, decl.name.span));
            Arc::make_mut(&mut self.built.roles).push(ScopeRole { name: name.clone(), is_user: decl.is_user, file });
            if let Some(name) = name {
                self.built.role_index.insert(name, i);
            }
        }
        let mut externals: Vec<_> = self.built.externals.iter().map(|(n, s)| (n.clone(), *s)).collect();
        externals.sort();
        for (name, span) in externals {
            if self.check_role_name(&name, span) {
                self.built.external_roles.push(name);
            }
        }
        for i in 0..self.schemas.len() {
            let (decl, env, span) = (self.schemas[i].decl, self.schemas[i].env.clone(), self.schemas[i].span);
            let Some(name) = self.name(&decl.name, &env) else { continue };
            if let Some(d) = check_length(&name, span, "schema") {
                self.error(d);
                continue;
            }
            let name = self.schema_key(&name, &env);
            if let Some(&first) = self.built.schema_index.get(&name) {
                let name = name.split('\0').next().unwrap_or_default();
                let d = Diagnostic::new(Code::Duplicate, span, format!("schema `{name}` is declared twice"))
                    .label("second declaration")
                    .with_secondary(self.schemas[first].span, "first declared here");
                self.error(d);
                continue;
            }
            self.built.schema_index.insert(name, i);
        }
    }

    /// Whether `name` is declared here first: not by an earlier role, nor as external.
    fn first_declaration(&mut self, name: &str, span: Span) -> bool {
        if let Some(&first) = self.built.role_index.get(name) {
            let d = Diagnostic::new(Code::Duplicate, span, format!("role `{name}` is declared twice"))
                .label("second declaration")
                .with_secondary(self.roles[first].span, "first declared here")
                .help("merge the two declarations, or give one of them another name");
            self.error(d);
            return false;
        }
        if let Some(&ext) = self.built.externals.get(name) {
            let d = Diagnostic::new(Code::Duplicate, span, format!("role `{name}` is declared and also `external`"))
                .label("declared here")
                .with_secondary(ext, "declared external here")
                .help("a role is either managed by this policy or external, not both");
            self.error(d);
            return false;
        }
        true
    }

    pub(super) fn check_role_name(&mut self, name: &str, span: Span) -> bool {
        if reserved_role_name(name) {
            let d = Diagnostic::new(
                Code::ReservedName,
                span,
                format!("`{name}` is reserved by PostgreSQL and cannot name a role"),
            )
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

    /// For each file, the other files whose roles its roles extend, directly or through a
    /// chain of `extends`: its resolution reads their role bodies.
    fn find_extended_files(&mut self) {
        let mut reached: Vec<Vec<usize>> = vec![Vec::new(); self.built.files.len()];
        for i in 0..self.roles.len() {
            let file = self.roles[i].key.0;
            let mut seen = vec![i];
            let mut current = i;
            // Roles inline at most `MAX_DEPTH` roles of their chain (a longer one is an error).
            while let Some(base) = self.base_of(current).filter(|_| seen.len() < crate::syntax::MAX_DEPTH) {
                if seen.contains(&base) {
                    break;
                }
                seen.push(base);
                let base_file = self.built.roles[base].file;
                if base_file != file && !reached[file].contains(&base_file) {
                    reached[file].push(base_file);
                }
                current = base;
            }
        }
        for extended in &mut reached {
            extended.sort_unstable();
        }
        Arc::make_mut(&mut self.built.layout).extended = reached;
    }

    /// The role that role `i` extends, if declared.
    fn base_of(&mut self, i: usize) -> Option<usize> {
        let (decl, env) = (self.roles[i].decl, self.roles[i].env.clone());
        let name = self.quiet(|r| r.name(decl.extends.as_ref()?, &env))?;
        self.built.role_index.get(&name).copied()
    }
}
