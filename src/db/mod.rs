//! The salsa database: source files and build options are inputs; parsing, resolution,
//! lowering and diagnostics are tracked queries returning plain data. The command line and
//! the language server call the same queries.
//!
//! [`Workspace`] loads a policy from disk (following imports) into a database and maps spans
//! back to file positions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use salsa::Setter;

pub mod allows;
pub mod analysis;
pub mod file_diagnostics;
pub mod files;
pub mod model_rules;
pub mod scope;

pub use analysis::{analysis_diagnostics, membership_analysis, privilege_analysis};
pub use scope::{global_scope, outline};

use files::{CannotRead, ReadError};

use crate::diagnostics::render::SourceMap;
use crate::diagnostics::{Code, Diagnostic};
use crate::lower::Plan;
use crate::model::catalog::Catalog;
use crate::model::resolve::Part;
use crate::model::{BuildOptions, Resolved};
use crate::syntax::ast::{Import, ItemKind, SourceAst};
use crate::syntax::{FileId, Parsed, Span};

#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(copy)]
    pub id: FileId,
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: String,
}

#[salsa::input(debug)]
pub struct PolicyInput {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    #[returns(ref)]
    pub options: BuildOptions,
    /// Problems found while loading files (unreadable imports).
    #[returns(ref)]
    pub load_diagnostics: Vec<Diagnostic>,
    /// A catalog snapshot (`--catalog FILE`): inventory besides the policy's declarations.
    #[returns(ref)]
    pub catalog: Option<Catalog>,
}

/// A file parsed. With [`keep_parses`] on, from the file's last parse when there is one: the
/// same result (`tests/robustness.rs` compares the two over thousands of edits), in time
/// proportional to the items the edit touched. A command frees it once the policy is resolved
/// ([`Workspace::free_syntax_trees`]; `lru = 0`: kept until then).
#[salsa::tracked(lru = 0)]
pub fn parse(db: &dyn salsa::Database, file: SourceFile) -> Arc<Parsed> {
    let (text, id) = (file.text(db), file.id(db));
    if !KEEP_PARSES.load(std::sync::atomic::Ordering::Relaxed) {
        return Arc::new(crate::syntax::parse(text, id));
    }
    let old = LAST_PARSES.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned();
    let reparsed = old.and_then(|(old_text, old)| crate::syntax::reparse(&old_text, &old, text, id));
    let parsed = Arc::new(reparsed.unwrap_or_else(|| crate::syntax::parse(text, id)));
    LAST_PARSES.lock().unwrap_or_else(|e| e.into_inner()).insert(id, (Arc::from(text.as_str()), parsed.clone()));
    parsed
}

/// Whether [`parse`] keeps each file's last parse, so that the parse after an edit reads only
/// the items around it again ([`crate::syntax::reparse`], which equals a parse from scratch).
/// The language server turns it on; a command parses each file once.
static KEEP_PARSES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static LAST_PARSES: Mutex<FxHashMap<FileId, LastParse>> = Mutex::new(FxHashMap::with_hasher(rustc_hash::FxBuildHasher));

/// A file's text and its parse.
type LastParse = (Arc<str>, Arc<Parsed>);

/// Turns on keeping parses for [`parse`] (for an editor session).
pub fn keep_parses() {
    KEEP_PARSES.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The syntax tree alone: spans in it are item-relative, so it stays equal when an edit only
/// moves items, and nothing downstream re-runs.
#[salsa::tracked(lru = 0)]
pub fn syntax_tree(db: &dyn salsa::Database, file: SourceFile) -> Arc<SourceAst> {
    parse(db, file).ast.clone()
}

/// How many parses, trees and outlines salsa keeps when it evicts (0: all); see
/// [`Workspace::free_syntax_trees`].
fn keep_syntax(db: &mut Database, capacity: usize) {
    parse::set_lru_capacity(db, capacity);
    syntax_tree::set_lru_capacity(db, capacity);
    scope::keep_outlines(db, capacity);
}

/// Where a file's items start (spans are relative to them): kept apart from the tree, which a
/// command frees once the policy is resolved.
#[salsa::tracked(returns(ref))]
pub fn item_offsets(db: &dyn salsa::Database, file: SourceFile) -> Vec<u32> {
    parse(db, file).item_offsets.clone()
}

/// A file's syntax diagnostics, kept apart from the tree as [`item_offsets`] are.
#[salsa::tracked]
pub fn syntax_diagnostics(db: &dyn salsa::Database, file: SourceFile) -> Arc<Vec<Diagnostic>> {
    Arc::new(parse(db, file).diagnostics.clone())
}

/// Byte offsets of the starts of a file's lines, so that positions are found by binary search.
#[salsa::tracked(returns(ref))]
pub fn line_starts(db: &dyn salsa::Database, file: SourceFile) -> Vec<u32> {
    crate::diagnostics::render::line_starts(file.text(db))
}

/// One file resolved against the scope: re-runs when the file changes, or a file whose roles
/// it extends, or an answer it got from the scope ([`scope::DbScope`]).
#[salsa::tracked]
pub fn resolved_file(db: &dyn salsa::Database, policy: PolicyInput, file: SourceFile) -> Arc<Part> {
    let files = policy.files(db);
    let Some(pos) = files.iter().position(|f| *f == file) else { return Arc::default() };
    let tree =
        |p: usize, full: bool| if full { syntax_tree(db, files[p]).clone() } else { outline(db, files[p]).clone() };
    Arc::new(crate::model::resolve::resolve_file(&scope::DbScope::new(db, policy), pos, &tree, policy.options(db)))
}

/// The whole policy resolved: the files' parts combined ([`crate::model::resolve::combine`]).
#[salsa::tracked]
pub fn resolved(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Resolved> {
    let parts: Vec<Arc<Part>> = policy.files(db).iter().map(|f| resolved_file(db, policy, *f).clone()).collect();
    Arc::new(crate::model::resolve::combine(
        global_scope(db, policy),
        &parts,
        policy.options(db),
        policy.catalog(db).as_ref(),
    ))
}

/// Resolves the policy's files on every core (salsa memoizes the parts for [`resolved`]).
pub fn resolve_in_parallel(db: &Database, policy: PolicyInput) {
    let files = policy.files(db).clone();
    global_scope(db, policy);
    analysis::on_threads(
        db,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        files.len(),
        |db, i| _ = resolved_file(db, policy, files[i]),
    );
}

#[salsa::tracked]
pub fn plan(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Plan> {
    Arc::new(crate::lower::lower(&resolved(db, policy).model, policy.options(db)))
}

/// Every diagnostic of the policy, errors first, then in source order. Collected from the
/// memoized parts whenever asked, not memoized itself: the caller's list is the only copy, and
/// a large policy's warnings take tens of megabytes.
pub fn diagnostics(db: &dyn salsa::Database, policy: PolicyInput) -> Vec<Diagnostic> {
    let mut all: Vec<Diagnostic> = policy.load_diagnostics(db).clone();
    for f in policy.files(db) {
        all.extend(syntax_diagnostics(db, *f).iter().cloned());
    }
    all.extend(resolved(db, policy).diagnostics.iter().cloned());
    let analysis = analysis::analysis_diagnostics(db, policy).iter().flat_map(|part| part.iter());
    all.extend(lowering_diagnostics(db, policy).iter().cloned());
    let sound = is_sound(db, policy);
    if sound {
        all.extend(analysis.cloned());
    } else {
        let shown = shown_while_broken(db, policy);
        all.extend(analysis.filter(|d| shown.shows(d)).cloned());
    }
    // Inline allows, file by file (most files have none).
    for f in policy.files(db) {
        if allows::file_allows(db, *f).is_empty() {
            continue;
        }
        let id = f.id(db);
        let (own, rest): (Vec<Diagnostic>, Vec<Diagnostic>) = all.into_iter().partition(|d| d.primary.span.file == id);
        all = rest;
        all.extend(allows::apply(db, *f, &own, sound));
    }
    all.sort_by_key(|d| (d.severity(), d.primary.span.file, d.primary.span.item, d.primary.span.start));
    all
}

/// Whether the policy loads, parses and resolves without errors: lowering problems and policy
/// rules matter only then.
#[salsa::tracked(returns(copy))]
pub fn is_sound(db: &dyn salsa::Database, policy: PolicyInput) -> bool {
    let load = policy.load_diagnostics(db).iter().any(Diagnostic::is_error);
    let syntax = policy.files(db).iter().any(|f| syntax_diagnostics(db, *f).iter().any(Diagnostic::is_error));
    !load && !syntax && !resolved(db, policy).diagnostics.iter().any(Diagnostic::is_error)
}

/// Which analysis diagnostics are shown while the policy has errors. The analysis runs on
/// the part of the policy that resolved (a role that is not declared is absent from the
/// graph), so that a policy rule's breach shows next to an unknown name. Withheld until the
/// errors are fixed: findings about something absent (an unused role: the name that did not
/// resolve, or the text that did not parse, may be what uses it), and, while memberships form
/// a cycle, the whole analysis (PostgreSQL refuses the cycle, so what roles would reach
/// through it is no state a server can be in). Lowering's diagnostics (a secret's variable
/// not set, a value of the wrong form) are about one statement each and always shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalysisShown {
    AllButAbsences,
    Nothing,
}

impl AnalysisShown {
    pub fn shows(self, d: &Diagnostic) -> bool {
        match self {
            AnalysisShown::AllButAbsences => !d.code.reports_an_absence(),
            AnalysisShown::Nothing => false,
        }
    }
}

/// [`AnalysisShown`] of a policy with errors.
#[salsa::tracked(returns(copy))]
pub fn shown_while_broken(db: &dyn salsa::Database, policy: PolicyInput) -> AnalysisShown {
    if resolved(db, policy).diagnostics.iter().any(|d| d.code == crate::diagnostics::Code::MembershipCycle) {
        AnalysisShown::Nothing
    } else {
        AnalysisShown::AllButAbsences
    }
}

/// What lowering the policy would report ([`crate::lower::diagnostics`]), without lowering it.
#[salsa::tracked]
pub fn lowering_diagnostics(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<Vec<Diagnostic>> {
    Arc::new(crate::lower::diagnostics(&resolved(db, policy).model))
}

#[salsa::db]
#[derive(Clone, Default)]
pub struct Database {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database {}

impl Database {
    /// A database that records the name of every query it executes (for incrementality tests).
    pub fn with_execution_log() -> (Database, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock().expect("log lock").push(format!("{database_key:?}"));
            }
        })));
        (Database { storage }, log)
    }
}

/// A policy loaded into a database: the files given (roots) and every file they import.
pub struct Workspace {
    pub db: Database,
    pub policy: PolicyInput,
    /// Every file ever loaded, indexed by its `FileId`; the policy holds those reachable now.
    all: Vec<SourceFile>,
    by_path: HashMap<String, SourceFile>,
    roots: Vec<SourceFile>,
    /// In-memory sources (tests, benchmarks, an editor's buffers); empty: read from disk.
    memory: HashMap<String, String>,
    /// Bytes read from disk so far, held within [`files::POLICY`].
    read_bytes: u64,
    /// Paths a directory walk left out, one sentence each (see [`files::PolicyFiles`]).
    pub skipped: Vec<String>,
    /// A directory whose files [`Workspace::line_of`] names relative to it (the editor's
    /// workspace folder: the files are loaded by absolute path, but people read them from there).
    shown_from: Option<String>,
}

/// Where sources come from: the file system, or memory (tests, benchmarks, the editor).
pub enum Sources {
    Paths(Vec<PathBuf>),
    Memory(Vec<(String, String)>),
}

impl Workspace {
    /// Loads files and directories (every `*.role` below them) and everything they import.
    /// Fails only on a usage error: a path given on the command line that cannot be read.
    pub fn load(sources: Sources, options: BuildOptions) -> Result<Workspace, CannotRead> {
        Self::load_with(Database::default(), sources, options)
    }

    pub fn load_with(db: Database, sources: Sources, options: BuildOptions) -> Result<Workspace, CannotRead> {
        let policy = PolicyInput::new(&db, Vec::new(), options, Vec::new(), None);
        let mut ws = Workspace {
            db,
            policy,
            all: Vec::new(),
            by_path: HashMap::new(),
            roots: Vec::new(),
            memory: HashMap::new(),
            read_bytes: 0,
            skipped: Vec::new(),
            shown_from: None,
        };
        match sources {
            Sources::Paths(paths) => {
                let found = files::policy_files(&paths)?;
                for file in found.files {
                    // A file given twice is read (and counted against the limit) once.
                    let f = match ws.file_by_path(&display_path(&file)) {
                        Some(f) => f,
                        None => {
                            let text =
                                ws.read_from_disk(&file).map_err(|reason| CannotRead { path: file.clone(), reason })?;
                            ws.add_file(display_path(&file), text)
                        }
                    };
                    ws.roots.push(f);
                }
                ws.skipped = found.skipped;
            }
            Sources::Memory(files) => {
                for (path, text) in &files {
                    let f = ws.add_file(path.clone(), text.clone());
                    ws.roots.push(f);
                }
                ws.memory = files.into_iter().collect();
            }
        }
        ws.roots.dedup();
        ws.parse_in_parallel();
        ws.refresh_files();
        Ok(ws)
    }

    /// Parses the roots on every core (salsa memoizes the results for the queries that follow).
    /// Threads take the largest file left, so that one big file does not leave a core idle.
    fn parse_in_parallel(&self) {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(self.roots.len());
        if threads < 2 {
            return;
        }
        let mut by_size = self.roots.clone();
        by_size.sort_by_key(|f| std::cmp::Reverse(f.text(&self.db).len()));
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let db = self.db.clone();
                let (next, by_size) = (&next, &by_size);
                scope.spawn(move || {
                    while let Some(f) = by_size.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                        parse(&db, *f);
                    }
                });
            }
        });
    }

    fn add_file(&mut self, path: String, text: String) -> SourceFile {
        if let Some(f) = self.by_path.get(&path) {
            return *f;
        }
        let file = SourceFile::new(&self.db, FileId(self.all.len() as u32), path.clone(), text);
        self.all.push(file);
        self.by_path.insert(path, file);
        file
    }

    /// Sets the policy's files to the roots and everything they import, transitively (each
    /// file once, so import cycles end), loading imported files not seen before.
    fn refresh_files(&mut self) {
        let mut diags = Vec::new();
        let mut reachable: Vec<SourceFile> = self.roots.clone();
        let mut i = 0;
        while i < reachable.len() {
            let file = reachable[i];
            i += 1;
            let tree = syntax_tree(&self.db, file).clone();
            let importer = file.path(&self.db).clone();
            for item in &tree.items {
                let ItemKind::Import(import) = &item.kind else { continue };
                let loaded = match import {
                    Import::Std(name) => match crate::stdlib::module(name) {
                        Some(text) => Ok(self.add_file(crate::stdlib::module_path(name), text.to_string())),
                        None => Err(Diagnostic::new(
                            Code::ImportFailed,
                            item.span,
                            format!("there is no standard module `std.{name}`"),
                        )
                        .label("unknown module")
                        .help(format!(
                            "standard modules: {}",
                            crate::stdlib::MODULES.iter().map(|m| format!("`std.{m}`")).collect::<Vec<_>>().join(", ")
                        ))),
                    },
                    Import::Path(rel) => {
                        let target = resolve_import(&importer, rel);
                        match self.by_path.get(&target) {
                            Some(f) => Ok(*f),
                            None => match self.read(&target) {
                                Ok(text) => Ok(self.add_file(target, text)),
                                Err(e) => {
                                    let help = if matches!(e, ReadError::NotPolicyFile(_)) {
                                        "an import names a UTF-8 text file whose name ends in `.role`"
                                    } else {
                                        "paths are relative to the importing file"
                                    };
                                    Err(Diagnostic::new(
                                        Code::ImportFailed,
                                        item.span,
                                        format!("cannot read `{target}`: {e}"),
                                    )
                                    .label("imported here")
                                    .help(help))
                                }
                            },
                        }
                    }
                };
                match loaded {
                    Ok(f) if !reachable.contains(&f) => reachable.push(f),
                    Ok(_) => {}
                    Err(d) => diags.push(d),
                }
            }
        }
        if *self.policy.files(&self.db) != reachable {
            self.policy.set_files(&mut self.db).to(reachable);
        }
        if *self.policy.load_diagnostics(&self.db) != diags {
            self.policy.set_load_diagnostics(&mut self.db).to(diags);
        }
    }

    fn read(&mut self, path: &str) -> Result<String, ReadError> {
        if self.memory.is_empty() {
            self.read_from_disk(Path::new(path))
        } else {
            self.memory.get(path).cloned().ok_or(ReadError::NotFound)
        }
    }

    /// A policy file from disk ([`files::read_policy_file`]), counted against [`files::POLICY`].
    fn read_from_disk(&mut self, path: &Path) -> Result<String, ReadError> {
        let text = files::read_policy_file(path)?;
        let total = self.read_bytes + text.len() as u64;
        if total > files::POLICY.bytes {
            return Err(ReadError::PolicyOverLimit { total });
        }
        self.read_bytes = total;
        Ok(text)
    }

    /// The files of the policy: the roots and what they import.
    pub fn files(&self) -> &[SourceFile] {
        self.policy.files(&self.db)
    }

    pub fn file(&self, id: FileId) -> SourceFile {
        self.all[id.0 as usize]
    }

    pub fn file_by_path(&self, path: &str) -> Option<SourceFile> {
        self.by_path.get(path).copied()
    }

    /// Replaces a file's text (an editor change); queries re-run only where needed. Imports
    /// are followed again, so an added or removed import changes the policy's files.
    pub fn set_text(&mut self, file: SourceFile, text: String) {
        file.set_text(&mut self.db).to(text);
        self.refresh_files();
    }

    /// Sets (or clears) the catalog snapshot whose objects join the inventory.
    pub fn set_catalog(&mut self, catalog: Option<Catalog>) {
        self.policy.set_catalog(&mut self.db).to(catalog);
    }

    pub fn set_options(&mut self, options: BuildOptions) {
        self.policy.set_options(&mut self.db).to(options);
    }

    /// Every diagnostic of the policy; the analysis, when it applies, runs on every core.
    pub fn diagnostics(&self) -> Arc<Vec<Diagnostic>> {
        self.analyze_in_parallel();
        Arc::new(diagnostics(&self.db, self.policy))
    }

    /// Runs the analysis on every core, over what resolved (see [`AnalysisShown`] and
    /// [`analysis::analyze_in_parallel`]); the diagnostics queries then find it memoized.
    pub fn analyze_in_parallel(&self) {
        resolve_in_parallel(&self.db, self.policy);
        analysis::analyze_in_parallel(&self.db, self.policy);
    }

    /// The diagnostics of the analysis alone (policy rules and lint warnings), computed on
    /// every core, in parts (see [`analysis_diagnostics`]).
    pub fn analysis(&self) -> Arc<Vec<Arc<Vec<Diagnostic>>>> {
        resolve_in_parallel(&self.db, self.policy);
        analysis::analyze_in_parallel(&self.db, self.policy);
        analysis_diagnostics(&self.db, self.policy).clone()
    }

    /// Whether the policy loads, parses and resolves without errors ([`is_sound`]); the files
    /// are resolved on every core.
    pub fn is_sound(&self) -> bool {
        resolve_in_parallel(&self.db, self.policy);
        is_sound(&self.db, self.policy)
    }

    /// The policy resolved; its files are resolved on every core.
    /// The `sets` of the options that match no `let` of the policy (from the names the policy
    /// declares alone, so it stays cheap while role bodies are edited).
    pub fn unknown_sets(&self) -> Vec<String> {
        scope::global_scope(&self.db, self.policy).unknown_sets().to_vec()
    }

    pub fn resolved(&self) -> Arc<Resolved> {
        resolve_in_parallel(&self.db, self.policy);
        resolved(&self.db, self.policy).clone()
    }

    pub fn plan(&self) -> Arc<Plan> {
        resolve_in_parallel(&self.db, self.policy);
        plan(&self.db, self.policy).clone()
    }

    pub fn options(&self) -> &BuildOptions {
        self.policy.options(&self.db)
    }

    /// `path:line` of a span, for comments in the emitted SQL.
    pub fn line_of(&self, span: Span) -> String {
        let file = self.file(span.file);
        let offset = absolute_range(&self.db, file, span).start;
        let (line, _) =
            crate::diagnostics::render::line_col_indexed(file.text(&self.db), line_starts(&self.db, file), offset);
        format!("{}:{line}", self.shown_path(file))
    }

    /// A file's path as [`Workspace::line_of`] shows it.
    fn shown_path(&self, file: SourceFile) -> &str {
        let path = file.path(&self.db);
        self.shown_from.as_deref().and_then(|dir| path.strip_prefix(dir)).unwrap_or(path)
    }

    /// Names the files below `dir` relative to it in [`Workspace::line_of`].
    pub fn show_paths_from(&mut self, dir: &Path) {
        self.shown_from = Some(format!("{}/", dir.to_string_lossy().trim_end_matches('/')));
    }

    /// `up.sql` and `down.sql` of the plan ([`render_scripts`]). `secret` reads the environment
    /// variable of a password.
    pub fn render_scripts(
        &self,
        secret: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> (Result<String, Vec<Diagnostic>>, Result<String, Vec<Diagnostic>>) {
        render_scripts(&self.plan(), self.options(), &self.locator(), secret)
    }

    /// For a command that reads the policy once: resolves it on every core, then frees the
    /// syntax trees (and the files' outlines), which the stages after resolution do not read;
    /// a large policy's trees take more memory than its model. What those stages read of a
    /// parse is kept: where items start, the syntax diagnostics, the inline allows. A question
    /// that needs a tree afterwards parses its file again.
    pub fn free_syntax_trees(&mut self) {
        resolve_in_parallel(&self.db, self.policy);
        for &f in &self.all {
            item_offsets(&self.db, f);
            syntax_diagnostics(&self.db, f);
            allows::file_allows(&self.db, f);
        }
        // Each query keeps its one most recently used value: every tree is used once more here,
        // then all but the last freed.
        keep_syntax(&mut self.db, 1);
        for &f in &self.all {
            parse(&self.db, f);
            syntax_tree(&self.db, f);
            outline(&self.db, f);
        }
        salsa::Database::trigger_lru_eviction(&mut self.db);
        // Trees parsed from now on are kept, as in any workspace.
        keep_syntax(&mut self.db, 0);
    }

    /// Where the spans of the policy are, apart from the database ([`Locator`]).
    pub fn locator(&self) -> Locator {
        let files = self
            .all
            .iter()
            .map(|&file| LocatedFile {
                path: file.path(&self.db).clone(),
                shown: self.shown_path(file).to_string(),
                text: file.text(&self.db).clone(),
                item_offsets: item_offsets(&self.db, file).clone(),
                line_starts: line_starts(&self.db, file).clone(),
            })
            .collect();
        Locator { files }
    }
}

/// `up.sql` and `down.sql` of a plan, rendered side by side. `secret` reads the environment
/// variable of a password.
pub fn render_scripts(
    plan: &Plan,
    options: &BuildOptions,
    locator: &Locator,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> (Result<String, Vec<Diagnostic>>, Result<String, Vec<Diagnostic>>) {
    use crate::lower::script::{render, Direction};
    let locate = |span| locator.line_of(span);
    std::thread::scope(|scope| {
        let down = scope.spawn(|| render(plan, Direction::Down, options, &locate, secret));
        let up = render(plan, Direction::Up, options, &locate, secret);
        (up, down.join().expect("rendering does not panic"))
    })
}

impl SourceMap for Workspace {
    fn path(&self, file: FileId) -> String {
        self.file(file).path(&self.db).clone()
    }

    fn text(&self, file: FileId) -> &str {
        self.file(file).text(&self.db)
    }

    fn range(&self, span: Span) -> std::ops::Range<usize> {
        absolute_range(&self.db, self.file(span.file), span)
    }

    fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = self.file(file);
        crate::diagnostics::render::line_col_indexed(f.text(&self.db), line_starts(&self.db, f), offset)
    }
}

/// The policy's sources and where its spans are, without the database: scripts are rendered
/// on several threads with it, and `rolec build` frees the database before it lowers the
/// policy (its diagnostics are still rendered from here).
pub struct Locator {
    files: Vec<LocatedFile>,
}

/// A file's paths and text, where its items start (spans are relative to them) and where its
/// lines start.
struct LocatedFile {
    path: String,
    /// The path as [`Workspace::line_of`] shows it.
    shown: String,
    text: String,
    item_offsets: Vec<u32>,
    line_starts: Vec<u32>,
}

impl Locator {
    /// `path:line` of a span, as [`Workspace::line_of`] says it.
    pub fn line_of(&self, span: Span) -> String {
        let (line, _) = self.line_col(span.file, self.range(span).start);
        format!("{}:{line}", self.files[span.file.0 as usize].shown)
    }
}

impl SourceMap for Locator {
    fn path(&self, file: FileId) -> String {
        self.files[file.0 as usize].path.clone()
    }

    fn text(&self, file: FileId) -> &str {
        &self.files[file.0 as usize].text
    }

    fn range(&self, span: Span) -> std::ops::Range<usize> {
        offsets_range(&self.files[span.file.0 as usize].item_offsets, span)
    }

    fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = &self.files[file.0 as usize];
        crate::diagnostics::render::line_col_indexed(&f.text, &f.line_starts, offset)
    }
}

/// The byte range of a span in its file: the span is relative to its item's start.
fn absolute_range(db: &Database, file: SourceFile, span: Span) -> std::ops::Range<usize> {
    offsets_range(item_offsets(db, file), span)
}

/// The byte range of a span in the file `parsed` is the parse of (see [`absolute_range`]).
pub fn span_range(parsed: &Parsed, span: Span) -> std::ops::Range<usize> {
    offsets_range(&parsed.item_offsets, span)
}

/// The byte range of a span in a file whose items start at `item_offsets`.
pub fn offsets_range(item_offsets: &[u32], span: Span) -> std::ops::Range<usize> {
    let base = item_offsets.get(span.item as usize).copied().unwrap_or(0) as usize;
    base + span.start as usize..base + span.end as usize
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy().into_owned();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// An import path relative to the importing file, normalised (`a/../b` → `b`).
fn resolve_import(importer: &str, rel: &str) -> String {
    let base = Path::new(importer).parent().unwrap_or(Path::new(""));
    let joined = if Path::new(rel).is_absolute() { PathBuf::from(rel) } else { base.join(rel) };
    let mut parts: Vec<std::path::Component> = Vec::new();
    for c in joined.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if matches!(parts.last(), Some(std::path::Component::Normal(_))) => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    display_path(&parts.iter().collect::<PathBuf>())
}

impl Workspace {
    /// Adds a file the policy did not have (an editor opened it, or created it) as a root, or
    /// replaces the text of a file already loaded; imports are followed again.
    pub fn open_file(&mut self, path: String, text: String) -> SourceFile {
        match self.file_by_path(&path) {
            Some(file) => {
                if *file.text(&self.db) != text {
                    file.set_text(&mut self.db).to(text);
                }
                if !self.policy.files(&self.db).contains(&file) {
                    self.roots.push(file);
                }
                self.refresh_files();
                file
            }
            None => {
                let file = self.add_file(path, text);
                self.roots.push(file);
                self.refresh_files();
                file
            }
        }
    }
}
