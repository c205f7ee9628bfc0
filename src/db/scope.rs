//! The names of the policy, as queries. A file's resolution asks the scope questions (is role
//! `x` declared, and where; what is schema `s`; which roles does `all roles` take) through
//! [`DbScope`], and each question is a query of its own: the file depends on the answers it
//! got, so renaming a role re-resolves only the files that name it (old name or new), not
//! every file of the policy. Declarations are keyed by their file and their place in it
//! ([`DeclKey`]): adding one moves the keys of its own file's later declarations only.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{syntax_tree, PolicyInput, SourceFile};
use crate::model::resolve::{DeclKey, GlobalScope, ScopeLayout, ScopeLookup, ScopeRole};
use crate::syntax::ast::SourceAst;

/// What of a file other files' resolution can see ([`crate::model::resolve::outline`]): equal
/// across edits inside role bodies and grants. Freed with the syntax trees by
/// [`super::Workspace::free_syntax_trees`].
#[salsa::tracked(lru = 0)]
pub fn outline(db: &dyn salsa::Database, file: SourceFile) -> Arc<SourceAst> {
    Arc::new(crate::model::resolve::outline(syntax_tree(db, file)))
}

/// How many outlines are kept once [`super::Workspace::free_syntax_trees`] frees them (0: all).
pub(super) fn keep_outlines(db: &mut dyn salsa::Database, capacity: usize) {
    outline::set_lru_capacity(db, capacity);
}

/// The names the policy declares, from every file's outline: reused while no outline changes.
/// Files' resolutions read it through the queries below, never directly.
#[salsa::tracked]
pub fn global_scope(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<GlobalScope> {
    let outlines: Vec<Arc<SourceAst>> = policy.files(db).iter().map(|f| outline(db, *f).clone()).collect();
    Arc::new(crate::model::resolve::scope(&outlines, policy.options(db)))
}

/// The `let`s, externals, template files and the files each file's roles extend: the same
/// after a role is renamed, added or removed.
#[salsa::tracked]
pub fn scope_layout(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<ScopeLayout> {
    global_scope(db, policy).shared_layout()
}

#[salsa::tracked]
pub fn role_declaration(db: &dyn salsa::Database, policy: PolicyInput, name: String) -> Option<DeclKey> {
    global_scope(db, policy).role(&name)
}

#[salsa::tracked]
pub fn schema_declaration(db: &dyn salsa::Database, policy: PolicyInput, name: String) -> Option<DeclKey> {
    global_scope(db, policy).schema(&name)
}

/// The names of the roles of the file at position `pos` (`None`: invalid or declared before).
#[salsa::tracked]
pub fn file_role_names(db: &dyn salsa::Database, policy: PolicyInput, pos: u32) -> Arc<Vec<Option<String>>> {
    Arc::new(global_scope(db, policy).file_role_names(pos as usize))
}

/// Every role declaration: read by files that use `all roles` or globs, or that name an
/// unknown role (for "did you mean").
#[salsa::tracked]
pub fn scope_roles(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<ScopeRole>> {
    global_scope(db, policy).shared_roles()
}

#[salsa::tracked]
pub fn schema_names(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<String>> {
    Arc::new(global_scope(db, policy).schema_names())
}

/// The scope as one file's resolution sees it: each answer from its query, asked once.
pub struct DbScope<'db> {
    db: &'db dyn salsa::Database,
    policy: PolicyInput,
    layout: Arc<ScopeLayout>,
    roles: RefCell<FxHashMap<String, Option<DeclKey>>>,
    files: RefCell<FxHashMap<usize, Arc<Vec<Option<String>>>>>,
    all: OnceCell<Arc<Vec<ScopeRole>>>,
}

impl<'db> DbScope<'db> {
    pub fn new(db: &'db dyn salsa::Database, policy: PolicyInput) -> Self {
        DbScope {
            db,
            policy,
            layout: scope_layout(db, policy).clone(),
            roles: RefCell::default(),
            files: RefCell::default(),
            all: OnceCell::new(),
        }
    }
}

impl ScopeLookup for DbScope<'_> {
    fn layout(&self) -> &ScopeLayout {
        &self.layout
    }

    fn role(&self, name: &str) -> Option<DeclKey> {
        if let Some(&known) = self.roles.borrow().get(name) {
            return known;
        }
        let found = *role_declaration(self.db, self.policy, name.to_string());
        self.roles.borrow_mut().insert(name.to_string(), found);
        found
    }

    fn schema(&self, name: &str) -> Option<DeclKey> {
        *schema_declaration(self.db, self.policy, name.to_string())
    }

    fn role_name(&self, (pos, i): DeclKey) -> Option<String> {
        let names = self
            .files
            .borrow_mut()
            .entry(pos)
            .or_insert_with(|| file_role_names(self.db, self.policy, pos as u32).clone())
            .clone();
        names.get(i)?.clone()
    }

    fn roles(&self) -> &[ScopeRole] {
        self.all.get_or_init(|| scope_roles(self.db, self.policy).clone())
    }

    fn schema_names(&self) -> Vec<String> {
        schema_names(self.db, self.policy).to_vec()
    }
}
