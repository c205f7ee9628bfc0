//! Which policy a command compiles: the project (`rolec.toml`) that the paths on the command
//! line, or the working directory, belong to, with the flags over the file's options; paths
//! outside any project are compiled as they are. One file of a multi-file policy is never
//! compiled alone: a path inside a project stands for the whole project.

use std::path::{Component, Path, PathBuf};

use super::{LiveArgs, PolicyArgs};
use crate::db::Workspace;
use crate::diagnostics::Diagnostic;
use crate::project::{self, LintLevels, Project};

impl PolicyArgs {
    /// The one policy the paths name (see [`PolicyArgs::units`]); paths in several policies
    /// are a usage error naming them.
    pub fn resolve(&self) -> Result<PolicyArgs, String> {
        let mut units = self.units()?;
        if units.len() > 1 {
            let names: Vec<String> = units.iter().map(PolicyArgs::unit_name).collect();
            return Err(format!(
                "the paths belong to {} policies ({}): give the paths of one (only `rolec lint` reads several)",
                units.len(),
                names.join(", ")
            ));
        }
        Ok(units.remove(0))
    }

    /// The policies the paths name, in the order of the paths: each project (`rolec.toml`) a
    /// path is in, whole and with its options under the flags, then the paths outside any
    /// project, together. No paths: the project of the working directory.
    pub fn units(&self) -> Result<Vec<PolicyArgs>, String> {
        if self.paths.is_empty() {
            return Ok(vec![self.with_project(working_directory_project()?)]);
        }
        // Each project file with the paths given inside its project.
        let mut files: Vec<(PathBuf, Vec<&PathBuf>)> = Vec::new();
        let mut loose = Vec::new();
        for path in &self.paths {
            // A missing path is reported as such (in the reader's words), not taken for a place
            // in a project.
            if std::fs::metadata(path).is_err() {
                crate::db::files::policy_files(std::slice::from_ref(path)).map_err(|e| e.to_string())?;
            }
            match project::find_file(path) {
                Some(file) => match files.iter_mut().find(|(f, _)| *f == file) {
                    Some((_, given)) => given.push(path),
                    None => files.push((file, vec![path])),
                },
                None => loose.push(path.clone()),
            }
        }
        let mut units = Vec::new();
        for (file, given) in files {
            let project = project::load(&file).map_err(|e| e.to_string())?;
            // A file the project leaves out would silently not be compiled at all.
            if let Some(outside) = given.iter().find(|path| !covers(&project, path)) {
                let paths: Vec<String> = project.paths.iter().map(|p| shown(p).display().to_string()).collect();
                return Err(format!(
                    "`{}` is inside the project of `{}` but not among its paths ({}): add it to `paths` there, \
                     or move it",
                    outside.display(),
                    shown(&project.file).display(),
                    paths.join(", ")
                ));
            }
            units.push(self.with_project(project));
        }
        if !loose.is_empty() {
            units.push(PolicyArgs { paths: loose, ..self.clone() });
        }
        Ok(units)
    }

    /// These flags over `project`'s options, compiling the project's paths (spelled as on the
    /// command line when one was given, else relative to the working directory).
    fn with_project(&self, project: Project) -> PolicyArgs {
        let spelled = |p: &PathBuf| {
            let given = self.paths.iter().find(|g| std::path::absolute(g).is_ok_and(|a| &a == p));
            given.cloned().unwrap_or_else(|| shown(p))
        };
        PolicyArgs {
            paths: project.paths.iter().map(spelled).collect(),
            sets: self.sets.clone(),
            at: self.at,
            target_version: self.target_version.or(project.target_version),
            catalog: self.catalog.clone().or_else(|| project.catalog.as_deref().map(shown)),
            project: Some(project),
        }
    }

    /// The `let` values: the project's `[set]`, each replaced by a `--set` of the same name.
    pub fn all_sets(&self) -> Vec<(String, String)> {
        let flagged = |name: &str| self.sets.iter().any(|(n, _)| n == name);
        let from_file = self.project.iter().flat_map(|p| &p.sets).filter(|(n, _)| !flagged(n));
        from_file.chain(&self.sets).cloned().collect()
    }

    /// How messages name this policy: its project file, or its paths.
    pub fn unit_name(&self) -> String {
        match &self.project {
            Some(p) => shown(&p.file).display().to_string(),
            None => {
                let paths: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
                format!("{} (outside any project)", paths.join(" "))
            }
        }
    }

    /// The levels of warnings (the project's `[lint]`; the defaults outside a project).
    pub fn lint_levels(&self) -> LintLevels {
        self.project.as_ref().map(|p| p.lint.clone()).unwrap_or_default()
    }

    /// The policy's diagnostics that are reported: warnings at level `allow` left out. When
    /// none is left out, the workspace's own list (a large policy's warnings are not copied).
    pub fn diagnostics(&self, ws: &Workspace) -> std::sync::Arc<Vec<Diagnostic>> {
        let all = ws.diagnostics();
        let levels = self.lint_levels();
        if all.iter().all(|d| levels.level(d.code) != crate::project::Level::Allow) {
            return all;
        }
        std::sync::Arc::new(levels.reported(&all))
    }
}

impl LiveArgs {
    /// [`PolicyArgs::resolve`], `--manage` replacing the project's `[live] manage`.
    pub fn resolve(&self) -> Result<LiveArgs, String> {
        let policy = self.policy.resolve()?;
        let manage = match &policy.project {
            Some(p) if self.manage.is_empty() => p.manage.clone(),
            _ => self.manage.clone(),
        };
        Ok(LiveArgs { policy, db: self.db.clone(), manage, databases: self.databases.clone() })
    }
}

/// Whether a path given inside `project` names the project: the project file, one of its
/// paths or a place below one, or a directory holding one of them.
fn covers(project: &Project, given: &Path) -> bool {
    let Ok(given) = std::path::absolute(given).map(|p| lexical(&p)) else { return false };
    given == lexical(&project.file)
        || project
            .paths
            .iter()
            .map(|p| lexical(p))
            .any(|p| given.starts_with(&p) || (given.is_dir() && p.starts_with(&given)))
}

/// `path` with its `.` and `..` components taken away as written (not through symbolic links),
/// so that two spellings of one place compare equal.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The project of the working directory; none is a usage error.
pub fn working_directory_project() -> Result<Project, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    project::find(&cwd).map_err(|e| e.to_string())?.ok_or_else(|| {
        format!(
            "no FILE|DIR given, and no {} in `{}` or above it: give the policy's files or directories, \
             or create {} at the policy's root",
            project::FILE_NAME,
            cwd.display(),
            project::FILE_NAME
        )
    })
}

/// `path` (absolute) as messages and source comments show it: relative to the working
/// directory when it is below it, or below a directory above it (`../policy`).
pub fn shown(path: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else { return path.to_path_buf() };
    if let Ok(below) = path.strip_prefix(&cwd) {
        return if below.as_os_str().is_empty() { PathBuf::from(".") } else { below.to_path_buf() };
    }
    // `..` is taken from the working directory as the kernel resolves it, so it names the
    // directory above only when `path` is below one of its (lexical) ancestors.
    for (up, ancestor) in cwd.ancestors().enumerate().skip(1) {
        if let Ok(below) = path.strip_prefix(ancestor) {
            if below.components().any(|c| matches!(c, Component::ParentDir)) || ancestor.parent().is_none() {
                break;
            }
            let mut relative: PathBuf = std::iter::repeat_n("..", up).collect();
            relative.push(below);
            return relative;
        }
    }
    path.to_path_buf()
}
