//! Projects: one policy per `rolec.toml`, as `rolec lint` reads it, so that two projects under
//! one workspace folder (`envs/prod`, `envs/staging`) stay apart.
//!
//! The [`Router`] finds the project files under every workspace folder (and the one above a
//! folder, if any), gives each project its own [`Server`] (its own database), and gives each
//! folder one more for the `*.role` files outside every project (a folder without project
//! files is served as one policy, as before projects existed). A file opened outside every
//! folder joins the project found by walking up from it, loaded then, or else a policy of
//! such files.
//!
//! Each message goes to the policy holding its file: the nearest project above the file when
//! that project's policy has it, else the first policy that has it (a file imported from
//! elsewhere). Text changes go to every policy holding the file, so that an imported file has
//! one text everywhere; diagnostics of a file are published by its owner alone.
//!
//! Options: `rolec.toml` wins over the client's (`initializationOptions.targetVersion`). A
//! project file that cannot be read or is wrong gets one error diagnostic on itself, and its
//! project keeps its last good options (the defaults, at first).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use gen_lsp_types::{Diagnostic, DiagnosticSeverity, Position, Range, Uri};
use lsp_server::{Notification, Request, Response};

use super::{convert, Server};
use crate::model::BuildOptions;
use crate::project::{self, Project, ProjectError};

/// The walk for project files stops after this many directories (a home directory opened by
/// mistake must not keep the server from starting).
const MAX_DIRECTORIES: usize = 20_000;

/// Directory names the walk for project files does not enter (besides hidden ones).
const SKIPPED_DIRECTORIES: [&str; 2] = ["target", "node_modules"];

/// What one policy holds.
#[derive(Clone, Debug, PartialEq)]
enum Scope {
    /// A project, with the options it is served with (its last good ones).
    Project(Project),
    /// The `*.role` files of a workspace folder.
    Folder(PathBuf),
    /// Files opened outside every folder and project.
    Loose,
}

/// A policy to serve: what it holds, and the roots of the projects whose files it leaves out
/// (nested projects, or the projects inside a folder).
#[derive(Clone, Debug, PartialEq)]
struct Spec {
    scope: Scope,
    excluded: Vec<PathBuf>,
}

struct Policy {
    spec: Spec,
    server: Server,
    /// Why the project's files or catalog could not be read (shown on its `rolec.toml`).
    problem: Option<Problem>,
}

/// A problem of a project file: where in it (1-based line and column), and what.
#[derive(Clone, Debug, PartialEq)]
struct Problem {
    file: PathBuf,
    at: Option<(usize, usize)>,
    message: String,
}

impl From<ProjectError> for Problem {
    fn from(e: ProjectError) -> Problem {
        Problem { file: e.file, at: e.at, message: e.message }
    }
}

/// Routes each message to the policy of its file (see the module's documentation).
pub(crate) struct Router {
    /// The client's options (the editor's settings).
    client: BuildOptions,
    folders: Vec<PathBuf>,
    /// Project files found by walking up from files opened outside every folder.
    outside: Vec<PathBuf>,
    /// Projects first (the deepest roots first), then folders, then the loose files; never empty.
    policies: Vec<Policy>,
    /// The last options of each project file that could be read.
    last_good: HashMap<PathBuf, Project>,
    /// Problems of the project files themselves, by file.
    problems: BTreeMap<PathBuf, Problem>,
    /// Project files with problems published on them, with those problems.
    problems_shown: HashMap<PathBuf, Vec<Problem>>,
    /// URIs published by policies that were dropped, to clear unless another publishes them.
    dropped: Vec<Uri>,
    /// Each file's owner at the last publication.
    owners: HashMap<String, usize>,
}

impl Router {
    pub(crate) fn new(folders: Vec<PathBuf>, client: BuildOptions) -> Router {
        let mut router = Router {
            client,
            folders,
            outside: Vec::new(),
            policies: Vec::new(),
            last_good: HashMap::new(),
            problems: BTreeMap::new(),
            problems_shown: HashMap::new(),
            dropped: Vec::new(),
            owners: HashMap::new(),
        };
        router.replan();
        router
    }

    // ------------------------------------------------------------------ the policies

    /// The policies the folders and project files call for; the problems of project files.
    fn specs(&mut self) -> Vec<Spec> {
        let mut files: Vec<PathBuf> = Vec::new();
        for folder in &self.folders {
            files.extend(project_files_under(folder));
            files.extend(project::find_file(folder));
        }
        files.extend(self.outside.iter().filter(|f| f.is_file()).cloned());
        files.sort();
        files.dedup();
        self.problems.clear();
        let mut projects = Vec::new();
        for file in files {
            let project = match project::load(&file) {
                Ok(p) => {
                    self.last_good.insert(file.clone(), p.clone());
                    p
                }
                Err(e) => {
                    self.problems.insert(file.clone(), e.into());
                    self.last_good.get(&file).cloned().unwrap_or_else(|| defaults(&file))
                }
            };
            projects.push(project);
        }
        // The deepest first: the nearest project above a file is the first that contains it.
        projects.sort_by_key(|p| std::cmp::Reverse(p.root.components().count()));
        let roots: Vec<PathBuf> = projects.iter().map(|p| p.root.clone()).collect();
        let mut specs: Vec<Spec> = projects
            .into_iter()
            .map(|p| Spec {
                excluded: roots.iter().filter(|r| **r != p.root && r.starts_with(&p.root)).cloned().collect(),
                scope: Scope::Project(p),
            })
            .collect();
        for folder in &self.folders {
            let excluded = roots.iter().filter(|r| r.starts_with(folder) || folder.starts_with(r)).cloned().collect();
            specs.push(Spec { scope: Scope::Folder(folder.clone()), excluded });
        }
        specs.push(Spec { scope: Scope::Loose, excluded: Vec::new() });
        specs
    }

    /// Loads the server of a policy.
    fn build(&self, spec: &Spec) -> (Server, Option<Problem>) {
        let keep = |files: Vec<PathBuf>| -> Vec<PathBuf> {
            files.into_iter().filter(|f| !spec.excluded.iter().any(|r| f.starts_with(r))).collect()
        };
        match &spec.scope {
            Scope::Project(p) => {
                let mut options = self.client.clone();
                if let Some(v) = p.target_version {
                    options.target_version = v;
                }
                options.sets = p.sets.clone();
                let problem = |message: String| Problem { file: p.file.clone(), at: None, message };
                let (files, mut problem) = match crate::db::files::policy_files(&p.paths) {
                    Ok(found) => (keep(found.files), None),
                    Err(e) => (Vec::new(), Some(problem(e.to_string()))),
                };
                let mut server = Server::load(files, options, Some(&p.root));
                server.lint = p.lint.clone();
                if let Some(path) = &p.catalog {
                    match read_catalog(path) {
                        Ok(catalog) => server.ws.set_catalog(Some(catalog)),
                        Err(message) => problem = Some(self::Problem { file: p.file.clone(), at: None, message }),
                    }
                }
                (server, problem)
            }
            Scope::Folder(folder) if spec.excluded.is_empty() => {
                (Server::load(vec![folder.clone()], self.client.clone(), Some(folder)), None)
            }
            Scope::Folder(folder) => {
                let files = crate::db::files::policy_files(std::slice::from_ref(folder))
                    .map(|found| keep(found.files))
                    .unwrap_or_default();
                (Server::load(files, self.client.clone(), Some(folder)), None)
            }
            Scope::Loose => (Server::load(Vec::new(), self.client.clone(), None), None),
        }
    }

    /// Finds the projects again and reloads the policies whose scope changed; the files open
    /// in the policies dropped are opened again in the new ones, with their text.
    fn replan(&mut self) {
        let specs = self.specs();
        let mut old = std::mem::take(&mut self.policies);
        for spec in specs {
            if let Some(k) = old.iter().position(|p| p.spec == spec) {
                self.policies.push(old.remove(k));
                continue;
            }
            let (server, problem) = self.build(&spec);
            self.policies.push(Policy { spec, server, problem });
        }
        let mut reopened = HashSet::new();
        for policy in &old {
            self.dropped.extend(policy.server.published_uris());
            for (path, uri, text) in policy.server.open_documents() {
                if !reopened.insert(path.clone()) {
                    continue;
                }
                let mut targets = self.holders(&path);
                if targets.is_empty() {
                    targets.push(self.by_location(Path::new(&path)).unwrap_or(self.policies.len() - 1));
                }
                let open = open_notification(&uri, text);
                for i in targets {
                    self.policies[i].server.handle_notification(open.clone());
                }
            }
        }
    }

    /// The policy of the nearest project above `path`, else of the folder holding it.
    fn by_location(&self, path: &Path) -> Option<usize> {
        let scoped = |p: &Policy| match &p.spec.scope {
            Scope::Project(project) => path.starts_with(&project.root),
            _ => false,
        };
        let folder = |p: &Policy| matches!(&p.spec.scope, Scope::Folder(f) if path.starts_with(f));
        self.policies.iter().position(scoped).or_else(|| self.policies.iter().position(folder))
    }

    /// The policies whose files include `path`.
    fn holders(&self, path: &str) -> Vec<usize> {
        (0..self.policies.len()).filter(|&i| self.policies[i].server.holds(path)).collect()
    }

    /// The policy that serves `path`: its nearest project's when that holds it, else the
    /// first that holds it.
    fn owner(&self, path: &str) -> Option<usize> {
        let holders = self.holders(path);
        match self.by_location(Path::new(path)) {
            Some(i) if holders.contains(&i) => Some(i),
            _ => holders.first().copied(),
        }
    }

    /// The policy a file no policy holds joins: by location, else the project found by walking
    /// up from it (loaded now), else the loose files'.
    fn home_of_new(&mut self, path: &str) -> usize {
        if let Some(i) = self.by_location(Path::new(path)) {
            return i;
        }
        if let Some(file) = project::find_file(Path::new(path)) {
            if !self.outside.contains(&file) {
                self.outside.push(file);
                self.replan();
            }
            if let Some(i) = self.by_location(Path::new(path)) {
                return i;
            }
        }
        self.policies.len() - 1
    }

    // ------------------------------------------------------------------ messages

    pub(crate) fn handle_request(&mut self, req: Request) -> Response {
        if req.method == "workspace/symbol" {
            return self.workspace_symbols(req);
        }
        let path = req
            .params
            .pointer("/textDocument/uri")
            .and_then(|u| serde_json::from_value::<Uri>(u.clone()).ok())
            .map(|u| convert::uri_to_path(&u));
        let i = path
            .and_then(|p| self.owner(&p).or_else(|| self.by_location(Path::new(&p))))
            .unwrap_or(self.policies.len() - 1);
        self.policies[i].server.handle_request(req)
    }

    /// The symbols of every policy.
    fn workspace_symbols(&mut self, req: Request) -> Response {
        let mut all = Vec::new();
        for policy in &mut self.policies {
            let response = policy.server.handle_request(req.clone());
            match response.response_result {
                Ok(serde_json::Value::Array(symbols)) => all.extend(symbols),
                Ok(serde_json::Value::Null) => {}
                _ => return response,
            }
        }
        Response::new_ok(req.id, all)
    }

    /// Applies a notification; returns the policies whose text changed.
    pub(crate) fn handle_notification(&mut self, n: Notification) -> Vec<usize> {
        match n.method.as_str() {
            "textDocument/didOpen" | "textDocument/didChange" | "textDocument/didClose" => {
                let Some(uri) = n.params.pointer("/textDocument/uri").and_then(|u| u.as_str()) else {
                    return Vec::new();
                };
                let Ok(uri) = serde_json::from_value::<Uri>(uri.into()) else { return Vec::new() };
                let path = convert::uri_to_path(&uri);
                let mut targets = self.holders(&path);
                if targets.is_empty() && n.method != "textDocument/didClose" {
                    targets.push(self.home_of_new(&path));
                }
                targets.retain(|&i| self.policies[i].server.handle_notification(n.clone()));
                targets
            }
            "workspace/didChangeWatchedFiles" => {
                let Ok(p) = serde_json::from_value::<gen_lsp_types::DidChangeWatchedFilesParams>(n.params) else {
                    return Vec::new();
                };
                let mut replan = false;
                let mut per_policy: BTreeMap<usize, Vec<gen_lsp_types::FileEvent>> = BTreeMap::new();
                for event in p.changes {
                    let path = convert::uri_to_path(&event.uri);
                    if Path::new(&path).file_name().is_some_and(|n| n == project::FILE_NAME) {
                        replan = true;
                        continue;
                    }
                    let mut targets = self.holders(&path);
                    if targets.is_empty() {
                        targets.push(self.by_location(Path::new(&path)).unwrap_or(self.policies.len() - 1));
                    }
                    for i in targets {
                        per_policy.entry(i).or_default().push(event.clone());
                    }
                }
                let mut touched = Vec::new();
                for (i, changes) in per_policy {
                    let params = gen_lsp_types::DidChangeWatchedFilesParams { changes };
                    let n = Notification::new("workspace/didChangeWatchedFiles".into(), params);
                    if self.policies[i].server.handle_notification(n) {
                        touched.push(i);
                    }
                }
                if replan {
                    // After the `*.role` events, so that the policies loaded again read them.
                    self.replan();
                    return (0..self.policies.len()).collect();
                }
                touched
            }
            "workspace/didChangeWorkspaceFolders" => {
                let Ok(p) = serde_json::from_value::<gen_lsp_types::DidChangeWorkspaceFoldersParams>(n.params) else {
                    return Vec::new();
                };
                let path_of = |f: &gen_lsp_types::WorkspaceFolder| PathBuf::from(convert::uri_to_path(&f.uri));
                let removed: Vec<PathBuf> = p.event.removed.iter().map(path_of).collect();
                self.folders.retain(|f| !removed.contains(f));
                for folder in p.event.added.iter().filter(|f| f.uri.as_ref().starts_with("file://")) {
                    let folder = path_of(folder);
                    if !self.folders.contains(&folder) {
                        self.folders.push(folder);
                    }
                }
                self.replan();
                (0..self.policies.len()).collect()
            }
            _ => Vec::new(),
        }
    }

    // ------------------------------------------------------------------ publishing

    /// Publishes the diagnostics of every policy.
    pub(crate) fn publish_all(&mut self, connection: &super::transport::Transport) {
        let all: Vec<usize> = (0..self.policies.len()).collect();
        self.publish(connection, &all);
    }

    /// Publishes what changed in the policies `touched` (every policy when a file changed
    /// owner), clears the files no policy publishes any more, and the project files' problems.
    pub(crate) fn publish(&mut self, connection: &super::transport::Transport, touched: &[usize]) {
        let mut owners: HashMap<String, usize> = HashMap::new();
        for (i, policy) in self.policies.iter().enumerate() {
            for path in policy.server.paths() {
                owners.entry(path).or_insert(i);
            }
        }
        // The nearest project above a file wins over the first policy holding it.
        for (path, owner) in owners.iter_mut() {
            if let Some(i) = self.by_location(Path::new(path)).filter(|&i| self.policies[i].server.holds(path)) {
                *owner = i;
            }
        }
        let all: Vec<usize>;
        let touched = if owners == self.owners {
            touched
        } else {
            all = (0..self.policies.len()).collect();
            &all
        };
        let mut gone = std::mem::take(&mut self.dropped);
        for &i in touched {
            let owns = |path: &str| owners.get(path) == Some(&i);
            gone.extend(self.policies[i].server.publish_diagnostics(connection, &owns));
        }
        gone.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
        gone.dedup();
        for uri in gone {
            if !self.policies.iter().any(|p| p.server.shows_diagnostics(&uri)) {
                super::diagnostics::send(connection, &uri, &[]);
            }
        }
        self.owners = owners;
        self.publish_problems(connection);
    }

    /// The errors on each project file with problems: it cannot be read, its files or catalog
    /// cannot, or a `[set]` name matches no `let` of the policy as it is now. Sent when they
    /// change; an empty list on the files fixed since.
    fn publish_problems(&mut self, connection: &super::transport::Transport) {
        let mut problems: BTreeMap<PathBuf, Vec<Problem>> =
            self.problems.iter().map(|(file, p)| (file.clone(), vec![p.clone()])).collect();
        for policy in &self.policies {
            let Scope::Project(project) = &policy.spec.scope else { continue };
            // A file that cannot be read has that one problem.
            if problems.contains_key(&project.file) {
                continue;
            }
            let mut found: Vec<Problem> = policy.problem.iter().cloned().collect();
            found.extend(policy.server.ws.unknown_sets().iter().map(|name| Problem::from(project.unknown_set(name))));
            if !found.is_empty() {
                problems.insert(project.file.clone(), found);
            }
        }
        let fixed: Vec<PathBuf> = self.problems_shown.keys().filter(|f| !problems.contains_key(*f)).cloned().collect();
        for file in fixed {
            self.problems_shown.remove(&file);
            if let Some(uri) = convert::path_to_uri(&file.to_string_lossy()) {
                super::diagnostics::send(connection, &uri, &[]);
            }
        }
        for (file, found) in problems {
            if self.problems_shown.get(&file) == Some(&found) {
                continue;
            }
            let Some(uri) = convert::path_to_uri(&file.to_string_lossy()) else { continue };
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let diagnostics: Vec<Diagnostic> = found.iter().map(|p| diagnostic(&text, p)).collect();
            super::diagnostics::send(connection, &uri, &diagnostics);
            self.problems_shown.insert(file, found);
        }
    }
}

/// A problem as a diagnostic: from its place to the end of its line (the start of the file
/// when the text is not at fault).
fn diagnostic(text: &str, problem: &Problem) -> Diagnostic {
    let (line, column) = problem.at.unwrap_or((1, 1));
    let line_text = text.lines().nth(line - 1).unwrap_or_default();
    let utf16 = |chars: usize| line_text.chars().take(chars).map(char::len_utf16).sum::<usize>() as u32;
    let start = Position { line: (line - 1) as u32, character: utf16(column - 1) };
    let end = Position { line: start.line, character: utf16(usize::MAX).max(start.character) };
    Diagnostic {
        range: Range { start, end },
        severity: Some(DiagnosticSeverity::Error),
        source: Some("rolec".into()),
        message: gen_lsp_types::Message::String(problem.message.clone()),
        ..Default::default()
    }
}

/// A project file's project with the defaults (its own file could not be read).
fn defaults(file: &Path) -> Project {
    let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
    Project { file: file.to_path_buf(), paths: vec![root.clone()], root, ..Project::default() }
}

/// Reads a catalog snapshot (`catalog = …`), within [`crate::db::files::CATALOG`].
fn read_catalog(path: &Path) -> Result<crate::model::catalog::Catalog, String> {
    let text = crate::db::files::read_text(path, crate::db::files::CATALOG)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    crate::model::catalog::Catalog::parse(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

/// The project files at or below `folder`, sorted. Hidden directories, `target` and
/// `node_modules` are not entered, links are not followed, and the walk stops after
/// [`MAX_DIRECTORIES`].
fn project_files_under(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![folder.to_path_buf()];
    let mut entered = 0;
    while let Some(dir) = dirs.pop() {
        entered += 1;
        if entered > MAX_DIRECTORIES {
            eprintln!("rolec lsp: more than {MAX_DIRECTORIES} directories under `{}`", folder.display());
            break;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                let name = name.to_string_lossy();
                if !name.starts_with('.') && !SKIPPED_DIRECTORIES.contains(&name.as_ref()) {
                    dirs.push(entry.path());
                }
            } else if kind.is_file() && name == project::FILE_NAME {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

fn open_notification(uri: &Uri, text: String) -> Notification {
    Notification::new(
        "textDocument/didOpen".into(),
        serde_json::json!({ "textDocument": { "uri": uri, "languageId": "rolec", "version": 0, "text": text } }),
    )
}
