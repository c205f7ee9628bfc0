//! The project file, `rolec.toml`: where a policy starts and the options every reader of it
//! shares (the command line, the language server, the pre-commit hooks), so that they agree
//! on what the policy is.
//!
//! It is found as Cargo finds `Cargo.toml`: in the directory of a file or the working
//! directory, or the nearest one above. An empty file marks a policy root with the defaults.
//! Every key is optional:
//!
//! ```toml
//! paths = ["policy"]         # the policy's files and folders, relative to this file (default ".")
//! target-version = 16        # --target-version
//! catalog = "catalog.json"   # --catalog
//!
//! [set]                      # --set NAME=VALUE (lists: comma-separated)
//! env = "prod"
//!
//! [live]
//! manage = ["app_*"]         # --manage
//!
//! [lint]                     # levels of warnings: "allow", "warn" (the default) or "deny"
//! warnings = "deny"          # every warning (as --deny-warnings)
//! W040 = "allow"             # one code; errors cannot be lowered
//! ```
//!
//! Flags given on the command line override the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::{Code, Diagnostic, Severity};

/// The name of the project file.
pub const FILE_NAME: &str = "rolec.toml";

/// The largest project file read (it holds a few options, never a policy).
const MAX_BYTES: u64 = 1 << 20;

/// A project: its root (the directory of `rolec.toml`) and its options, paths made absolute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    /// The directory holding `rolec.toml`.
    pub root: PathBuf,
    /// The project file itself.
    pub file: PathBuf,
    /// The policy's files and folders (`[root]` when the file names none).
    pub paths: Vec<PathBuf>,
    pub target_version: Option<u32>,
    /// `[set]`, by name.
    pub sets: Vec<(String, String)>,
    /// Where each `[set]` name is written in the file (1-based line and column), by name: an
    /// error about a name (no `let` of it) points there.
    pub set_positions: BTreeMap<String, (usize, usize)>,
    pub catalog: Option<PathBuf>,
    /// `[live] manage`.
    pub manage: Vec<String>,
    pub lint: LintLevels,
}

/// What `[lint]` says of warnings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LintLevels {
    /// The level of every warning without its own (`warnings = …`).
    pub warnings: Level,
    /// Levels of single warning codes.
    pub codes: BTreeMap<Code, Level>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported; does not fail `lint`.
    #[default]
    Warn,
    /// Reported; fails `lint` as an error would.
    Deny,
}

impl LintLevels {
    /// The level of a diagnostic's code (errors are always `Deny`).
    pub fn level(&self, code: Code) -> Level {
        if code.severity() == Severity::Error {
            return Level::Deny;
        }
        self.codes.get(&code).copied().unwrap_or(self.warnings)
    }

    /// `diagnostics` without the warnings at level `Allow`.
    pub fn reported(&self, diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
        diagnostics.iter().filter(|d| self.reports(d)).cloned().collect()
    }

    /// Whether `d` is reported: it is not a warning at level `Allow`.
    pub fn reports(&self, d: &Diagnostic) -> bool {
        self.level(d.code) != Level::Allow
    }

    /// Whether a warning among `diagnostics` is at level `Deny` (it fails `lint` as an error does).
    pub fn denies_a_warning(&self, diagnostics: &[Diagnostic]) -> bool {
        diagnostics.iter().any(|d| !d.is_error() && self.level(d.code) == Level::Deny)
    }
}

/// A project file that cannot be used: the file, and where in it when the text is at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}{}: {message}", file.display(), at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ProjectError {
    pub file: PathBuf,
    /// Line and column (1-based), when the text is at fault.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProject {
    paths: Option<Vec<String>>,
    target_version: Option<toml::Spanned<u32>>,
    #[serde(default)]
    set: BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>,
    catalog: Option<String>,
    #[serde(default)]
    live: RawLive,
    #[serde(default)]
    lint: BTreeMap<toml::Spanned<String>, Level>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLive {
    #[serde(default)]
    manage: Vec<String>,
}

/// The project of `start` (a file or a directory): the nearest `rolec.toml` in it or above it.
/// `None` when there is none up to the file system's root.
pub fn find(start: &Path) -> Result<Option<Project>, ProjectError> {
    match find_file(start) {
        Some(file) => load(&file).map(Some),
        None => Ok(None),
    }
}

/// The nearest `rolec.toml` at or above `start` (a file's own directory first).
pub fn find_file(start: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(start).ok()?;
    let first = if absolute.is_dir() { absolute.as_path() } else { absolute.parent()? };
    first.ancestors().map(|dir| dir.join(FILE_NAME)).find(|candidate| candidate.is_file())
}

/// Reads and checks the project file `file`.
pub fn load(file: &Path) -> Result<Project, ProjectError> {
    let error = |at, message: String| ProjectError { file: file.to_path_buf(), at, message };
    let size = std::fs::metadata(file).map_err(|e| error(None, format!("cannot read: {e}")))?.len();
    if size > MAX_BYTES {
        return Err(error(None, format!("is {size} bytes, more than a project file's limit of {MAX_BYTES}")));
    }
    let text = std::fs::read_to_string(file).map_err(|e| error(None, format!("cannot read: {e}")))?;
    let root = std::path::absolute(file)
        .ok()
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    parse(&text, &root).map_err(|(span, message)| error(span.map(|s| line_column(&text, s)), message))
}

impl Project {
    /// The error for a `[set]` name that names no `let` of the policy, at the name's place:
    /// "rolec.toml:5:1: [set] env: the policy has no `let env`".
    pub fn unknown_set(&self, name: &str) -> ProjectError {
        ProjectError {
            file: self.file.clone(),
            at: self.set_positions.get(name).copied(),
            message: format!("[set] {name}: the policy has no `let {name}`"),
        }
    }
}

/// The project described by `text`, whose file sits in `root`; an error with the byte offset
/// it concerns, when known.
fn parse(text: &str, root: &Path) -> Result<Project, (Option<usize>, String)> {
    let raw: RawProject = toml::from_str(text).map_err(|e| (e.span().map(|s| s.start), e.message().to_string()))?;
    let target_version = match raw.target_version {
        Some(v) if !crate::pg::roles::SUPPORTED_VERSIONS.contains(v.get_ref()) => {
            let supported = crate::pg::roles::SUPPORTED_VERSIONS.iter().map(u32::to_string).collect::<Vec<_>>();
            return Err((
                Some(v.span().start),
                format!("target-version {} is not supported (supported: {})", v.get_ref(), supported.join(", ")),
            ));
        }
        v => v.map(toml::Spanned::into_inner),
    };
    let mut sets = Vec::new();
    let mut set_positions = BTreeMap::new();
    for (name, value) in raw.set {
        let (name_at, value_at) = (name.span().start, value.span().start);
        let name = name.into_inner();
        let value = match value.into_inner() {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s.clone()),
                    other => {
                        Err((Some(value_at), format!("[set] {name}: a list holds strings, not a {}", other.type_str())))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            other => {
                return Err((
                    Some(value_at),
                    format!(
                        "[set] {name}: expected a string, a number, a boolean or a list, not a {}",
                        other.type_str()
                    ),
                ))
            }
        };
        set_positions.insert(name.clone(), line_column(text, name_at));
        sets.push((name, value));
    }
    let mut lint = LintLevels::default();
    for (key, level) in raw.lint {
        if key.get_ref() == "warnings" {
            lint.warnings = level;
            continue;
        }
        let code = Code::ALL.iter().copied().find(|c| c.as_str() == key.get_ref()).ok_or_else(|| {
            (Some(key.span().start), format!("[lint] `{}` is neither `warnings` nor a diagnostic code", key.get_ref()))
        })?;
        if code.severity() == Severity::Error && level != Level::Deny {
            return Err((Some(key.span().start), format!("[lint] {code} is an error; its level cannot be lowered")));
        }
        lint.codes.insert(code, level);
    }
    let paths = match raw.paths {
        Some(paths) if !paths.is_empty() => paths.iter().map(|p| root.join(p)).collect(),
        _ => vec![root.to_path_buf()],
    };
    Ok(Project {
        root: root.to_path_buf(),
        file: root.join(FILE_NAME),
        paths,
        target_version,
        sets,
        set_positions,
        catalog: raw.catalog.map(|c| root.join(c)),
        manage: raw.live.manage,
        lint,
    })
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Project, (Option<usize>, String)> {
        parse(text, Path::new("/p"))
    }

    #[test]
    fn an_empty_file_is_a_root_with_the_defaults() {
        let p = parsed("").unwrap();
        assert_eq!(p.paths, vec![PathBuf::from("/p")]);
        assert_eq!(p.target_version, None);
        assert_eq!(p.lint.level(Code::UnusedRole), Level::Warn);
    }

    #[test]
    fn every_key_is_read() {
        let p = parsed(
            "paths = [\"policy\", \"more/x.role\"]\ntarget-version = 16\ncatalog = \"c.json\"\n\
             [set]\nenv = \"prod\"\nteams = [\"a\", \"b\"]\nn = 3\n[live]\nmanage = [\"app_*\"]\n\
             [lint]\nwarnings = \"deny\"\nW040 = \"allow\"\n",
        )
        .unwrap();
        assert_eq!(p.paths, vec![PathBuf::from("/p/policy"), PathBuf::from("/p/more/x.role")]);
        assert_eq!(p.target_version, Some(16));
        assert_eq!(p.catalog, Some(PathBuf::from("/p/c.json")));
        assert_eq!(
            p.sets,
            vec![("env".into(), "prod".into()), ("n".into(), "3".into()), ("teams".into(), "a,b".into())]
        );
        assert_eq!(p.set_positions.get("teams"), Some(&(6, 1)));
        assert_eq!(p.unknown_set("n").to_string(), "/p/rolec.toml:7:1: [set] n: the policy has no `let n`");
        assert_eq!(p.manage, vec!["app_*".to_string()]);
        assert_eq!(p.lint.level(Code::UnusedRole), Level::Allow);
        assert_eq!(p.lint.level(Code::ShadowedGrant), Level::Deny);
        assert_eq!(p.lint.level(Code::UnknownRole), Level::Deny);
        let span =
            crate::diagnostics::text::Span { file: crate::diagnostics::text::FileId(0), item: 0, start: 0, end: 0 };
        let found = [Diagnostic::new(Code::UnusedRole, span, "u"), Diagnostic::new(Code::UnknownRole, span, "e")];
        assert_eq!(p.lint.reported(&found).iter().map(|d| d.code).collect::<Vec<_>>(), [Code::UnknownRole]);
        assert!(!p.lint.denies_a_warning(&found));
        assert!(p.lint.denies_a_warning(&[Diagnostic::new(Code::ShadowedGrant, span, "s")]));
    }

    #[test]
    fn mistakes_name_their_place() {
        let text = "paths = [\"a\"]\ntarget-verison = 16\n";
        let (at, message) = parsed(text).unwrap_err();
        assert_eq!(line_column(text, at.unwrap()), (2, 1));
        assert!(message.contains("target-verison"), "{message}");
        let text = "target-version = 9\n";
        let (at, message) = parsed(text).unwrap_err();
        assert_eq!(line_column(text, at.unwrap()), (1, 18));
        assert!(message.contains("not supported"), "{message}");
        let text = "[lint]\nE002 = \"allow\"\n";
        let (at, message) = parsed(text).unwrap_err();
        assert_eq!(line_column(text, at.unwrap()), (2, 1));
        assert!(message.contains("cannot be lowered"), "{message}");
        let text = "[lint]\nW999 = \"allow\"\n";
        assert!(parsed(text).unwrap_err().1.contains("W999"));
        let text = "[lint]\nW040 = \"ignore\"\n";
        assert!(parsed(text).is_err());
        let text = "[set]\nteams = [\"a\", 1]\n";
        let (at, message) = parsed(text).unwrap_err();
        assert_eq!(line_column(text, at.unwrap()), (2, 9));
        assert!(message.contains("a list holds strings"), "{message}");
    }

    #[test]
    fn the_nearest_file_above_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("envs/prod");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join("roles.role"), "").unwrap();
        assert_eq!(find_file(&inner.join("roles.role")).filter(|f| f.starts_with(dir.path())), None);
        std::fs::write(dir.path().join(FILE_NAME), "").unwrap();
        std::fs::write(inner.join(FILE_NAME), "target-version = 17\n").unwrap();
        let project = find(&inner.join("roles.role")).unwrap().unwrap();
        assert_eq!(project.root, std::path::absolute(&inner).unwrap());
        assert_eq!(project.target_version, Some(17));
        assert_eq!(find(&dir.path().join("envs")).unwrap().unwrap().root, std::path::absolute(dir.path()).unwrap());
        std::fs::write(inner.join(FILE_NAME), "paths = 3\n").unwrap();
        let error = find(&inner).unwrap_err();
        assert_eq!(error.at, Some((1, 9)));
        assert!(error.to_string().starts_with(&format!("{}:1:9: ", inner.join(FILE_NAME).display())), "{error}");
    }
}
