//! The diagnostics of one file (the language server publishes per file): the same as
//! [`super::diagnostics`] restricted to the file, without collecting and sorting the whole
//! policy's on every edit.
//!
//! Every source of diagnostics is grouped by file once per change of that source, and each
//! analysis part (a chunk of roles, then the whole-policy rules) separately, so that an edit
//! that changes one chunk's diagnostics re-runs `file_diagnostics` only for the files that
//! chunk reports in: [`analysis_parts_of_files`] tells which parts those are, and stays equal
//! (salsa then reuses every other file's list) while the set does not change.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::analysis::{chunk_count, chunk_diagnostics, whole_policy_diagnostics};
use super::{allows, is_sound, lowering_diagnostics, parse, resolved, shown_while_broken, PolicyInput, SourceFile};
use crate::diagnostics::Diagnostic;
use crate::syntax::FileId;

type ByFile = FxHashMap<FileId, Vec<Diagnostic>>;

fn by_file<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> ByFile {
    let mut out = ByFile::default();
    for d in diagnostics {
        out.entry(d.primary.span.file).or_default().push(d.clone());
    }
    out
}

#[salsa::tracked]
fn resolution_by_file(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<ByFile> {
    Arc::new(by_file(&resolved(db, policy).diagnostics))
}

#[salsa::tracked]
fn lowering_by_file(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<ByFile> {
    Arc::new(by_file(lowering_diagnostics(db, policy).iter()))
}

/// The analysis parts, in the order of [`super::analysis_diagnostics`]: one per chunk of
/// roles, then the whole-policy rules.
#[salsa::tracked]
fn analysis_parts(db: &dyn salsa::Database, policy: PolicyInput) -> u32 {
    chunk_count(db, policy) + 1
}

#[salsa::tracked]
fn analysis_part_by_file(db: &dyn salsa::Database, policy: PolicyInput, part: u32) -> Arc<ByFile> {
    if part + 1 < *analysis_parts(db, policy) {
        Arc::new(by_file(chunk_diagnostics(db, policy, part).iter()))
    } else {
        Arc::new(by_file(whole_policy_diagnostics(db, policy).iter()))
    }
}

/// The analysis parts that report in each file, in order.
#[salsa::tracked]
pub fn analysis_parts_of_files(db: &dyn salsa::Database, policy: PolicyInput) -> Arc<FxHashMap<FileId, Vec<u32>>> {
    let mut out: FxHashMap<FileId, Vec<u32>> = FxHashMap::default();
    for part in 0..*analysis_parts(db, policy) {
        for file in analysis_part_by_file(db, policy, part).keys() {
            out.entry(*file).or_default().push(part);
        }
    }
    Arc::new(out)
}

/// Every diagnostic whose primary span is in `file`, errors first, then in source order:
/// the diagnostics of [`super::diagnostics`] in that file, in the same order. A file without
/// source diagnostics shares its list with [`file_policy_diagnostics`].
///
/// `no_eq` here and in [`file_policy_diagnostics`]: the lists they get are compared already
/// (the analysis' list of the file, by salsa; this list, by the language server before it
/// converts it), and a large file's list of thousands of diagnostics costs milliseconds to
/// compare again at each step.
#[salsa::tracked(no_eq)]
pub fn file_diagnostics(db: &dyn salsa::Database, policy: PolicyInput, file: SourceFile) -> Arc<Vec<Diagnostic>> {
    let (source, policy) = (file_source_diagnostics(db, policy, file), file_policy_diagnostics(db, policy, file));
    if source.is_empty() {
        return policy.clone(); // sorted already
    }
    Arc::new(merged(source, policy))
}

/// The diagnostics of loading, parsing and resolving that are in `file`, with its inline
/// allows applied ([`super::allows`]: the warnings they cover left out, the problems of their
/// codes added).
#[salsa::tracked]
pub fn file_source_diagnostics(
    db: &dyn salsa::Database,
    policy: PolicyInput,
    file: SourceFile,
) -> Arc<Vec<Diagnostic>> {
    let found = source_diagnostics_found(db, policy, file);
    if allows::file_allows(db, file).is_empty() {
        return Arc::new(found);
    }
    let (mut out, _) = allows::silence(db, file, &found);
    out.extend(allows::code_problems(db, file));
    Arc::new(out)
}

/// [`file_source_diagnostics`] before the allows.
fn source_diagnostics_found(db: &dyn salsa::Database, policy: PolicyInput, file: SourceFile) -> Vec<Diagnostic> {
    let id = file.id(db);
    let mut out: Vec<Diagnostic> =
        policy.load_diagnostics(db).iter().filter(|d| d.primary.span.file == id).cloned().collect();
    // Parse diagnostics are in their own file.
    out.extend(parse(db, file).diagnostics.iter().filter(|d| d.primary.span.file == id).cloned());
    out.extend(resolution_by_file(db, policy).get(&id).into_iter().flatten().cloned());
    out
}

/// The diagnostics of lowering and of the analysis that are in `file`, sorted as [`merged`]
/// sorts: the analysis' as [`shown_while_broken`] says while the policy has errors. With the
/// file's inline allows applied: the warnings they cover left out, and (once the policy is
/// sound) W043 for an allowed code that silenced nothing in the whole file.
#[salsa::tracked(no_eq)]
pub fn file_policy_diagnostics(
    db: &dyn salsa::Database,
    policy: PolicyInput,
    file: SourceFile,
) -> Arc<Vec<Diagnostic>> {
    let sound = is_sound(db, policy);
    let found = if sound {
        file_analysis_diagnostics(db, policy, file)
    } else {
        file_diagnostics_while_broken(db, policy, file)
    };
    if allows::file_allows(db, file).is_empty() {
        return found.clone();
    }
    let (out, _) = allows::silence(db, file, found);
    if !sound {
        return Arc::new(out);
    }
    let all: Vec<Diagnostic> =
        source_diagnostics_found(db, policy, file).into_iter().chain(found.iter().cloned()).collect();
    let (_, used) = allows::silence(db, file, &all);
    Arc::new(merged(&out, &allows::unused(db, file, &used)))
}

/// [`file_policy_diagnostics`] of a sound policy. Kept apart so that while a file is half
/// typed, the lists of the last sound policy stay memoized: when it is sound again, every
/// other file's list is the same, not even copied.
#[salsa::tracked]
fn file_analysis_diagnostics(db: &dyn salsa::Database, policy: PolicyInput, file: SourceFile) -> Arc<Vec<Diagnostic>> {
    let id = file.id(db);
    let mut out: Vec<Diagnostic> = lowering_by_file(db, policy).get(&id).into_iter().flatten().cloned().collect();
    out.extend(analysis_of_file(db, policy, id));
    out.sort_by_key(sort_key);
    Arc::new(out)
}

/// [`file_policy_diagnostics`] of a policy with errors: lowering's, and the analysis' findings
/// that are shown then.
#[salsa::tracked]
fn file_diagnostics_while_broken(
    db: &dyn salsa::Database,
    policy: PolicyInput,
    file: SourceFile,
) -> Arc<Vec<Diagnostic>> {
    let (shown, id) = (shown_while_broken(db, policy), file.id(db));
    let mut out: Vec<Diagnostic> = lowering_by_file(db, policy).get(&id).into_iter().flatten().cloned().collect();
    out.extend(analysis_of_file(db, policy, id).filter(|d| shown.shows(d)));
    out.sort_by_key(sort_key);
    Arc::new(out)
}

fn analysis_of_file(
    db: &dyn salsa::Database,
    policy: PolicyInput,
    id: FileId,
) -> impl Iterator<Item = Diagnostic> + '_ {
    let parts = analysis_parts_of_files(db, policy).get(&id).cloned().unwrap_or_default();
    parts
        .into_iter()
        .flat_map(move |part| analysis_part_by_file(db, policy, part).get(&id).cloned().unwrap_or_default())
}

/// A file's source diagnostics and policy diagnostics in one list, errors first, then in
/// source order (stable, as the sort of the whole policy's: equal keys keep the order of
/// loading, parsing, resolution, lowering, analysis).
pub fn merged(source: &[Diagnostic], policy: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = source.iter().chain(policy).cloned().collect();
    out.sort_by_key(sort_key);
    out
}

/// The order of a file's diagnostics: errors first, then in source order.
pub fn sort_key(d: &Diagnostic) -> (crate::diagnostics::Severity, u32, u32) {
    (d.severity(), d.primary.span.item, d.primary.span.start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Database, Sources, Workspace};
    use crate::model::BuildOptions;

    /// The per-file lists are the whole policy's, file by file.
    fn check(ws: &Workspace) {
        let all = ws.diagnostics();
        let mut total = 0;
        for f in ws.files() {
            let id = f.id(&ws.db);
            let expected: Vec<Diagnostic> = all.iter().filter(|d| d.primary.span.file == id).cloned().collect();
            let got = file_diagnostics(&ws.db, ws.policy, *f);
            assert_eq!(**got, expected, "{}", f.path(&ws.db));
            total += got.len();
        }
        // Nothing outside the policy's files (load diagnostics are in importing files).
        assert_eq!(total, all.len());
    }

    const A: &str = "role reader { grant usage on schema app\n grant select on tables in schema app }\nschema app { owner owner_role }\nuser owner_role {}\n";
    const B: &str =
        "user alice { member of reader\n member of reader }\nuser bob { superuser }\npolicy p { forbid superuser }\n";

    #[test]
    fn the_same_as_the_whole_policy_file_by_file() {
        let (db, log) = Database::with_execution_log();
        // Two chunks of roles in a.role, each with a warning, then b.role's roles.
        let mut a_text = A.to_string();
        for i in 0..126 {
            a_text.push_str(&format!("role g{i} {{ grant usage on schema app\n grant usage on schema app }}\n"));
        }
        let sources = vec![("/p/a.role".to_string(), a_text.clone()), ("/p/b.role".to_string(), B.to_string())];
        let mut ws = Workspace::load_with(db, Sources::Memory(sources), BuildOptions::default()).expect("loads");
        check(&ws);
        assert!(!ws.diagnostics().is_empty());
        let b = ws.file_by_path("/p/b.role").expect("b");
        let a = ws.file_by_path("/p/a.role").expect("a");
        assert!(file_diagnostics(&ws.db, ws.policy, a).len() >= 126);
        // A change in b.role's meaning: a.role's list is reused.
        log.lock().expect("log").clear();
        ws.set_text(b, B.replace("user bob { superuser }", "user bob { superuser\n member of owner_role }"));
        check(&ws);
        let events = std::mem::take(&mut *log.lock().expect("log"));
        let count = |name: &str| events.iter().filter(|e| e.starts_with(name)).count();
        assert_eq!(count("file_source_diagnostics("), 1, "only b.role's list is made again: {events:?}");
        assert!(count("file_diagnostics(") <= 1 && count("file_policy_diagnostics(") <= 1, "{events:?}");
        // A syntax error leaves the parse and resolution diagnostics alone; then the repair.
        ws.set_text(b, "user alice { member of".to_string());
        check(&ws);
        ws.set_text(b, B.to_string());
        check(&ws);
        // An unknown role (a resolution error) and an import that cannot be read.
        assert!(!file_diagnostics(&ws.db, ws.policy, a).is_empty());
        ws.set_text(a, format!("import \"missing.role\"\n{a_text}user carol {{ member of nobody }}\n"));
        check(&ws);
    }

    /// An inline allow silences its warning in the per-file lists (what the language server
    /// publishes) as in the whole policy's, and an allow that silences nothing is W043 in both.
    #[test]
    fn inline_allows_apply_to_the_per_file_lists() {
        use crate::diagnostics::render::SourceMap;
        let text = "role unused {}\nrole kept {} // rolec: allow W040\n// rolec: allow W042\nrole other {}\n";
        let sources = vec![("/p/a.role".to_string(), text.to_string())];
        let ws = Workspace::load(Sources::Memory(sources), BuildOptions::default()).expect("loads");
        check(&ws);
        let a = ws.file_by_path("/p/a.role").expect("a");
        let codes: Vec<(&str, usize)> = file_diagnostics(&ws.db, ws.policy, a)
            .iter()
            .map(|d| (d.code.as_str(), ws.line_col(d.primary.span.file, ws.range(d.primary.span).start).0))
            .collect();
        assert_eq!(codes, vec![("W040", 1), ("W043", 3), ("W040", 4)]);
    }
}
