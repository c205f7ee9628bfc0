//! Inline allows (`// rolec: allow W042`, see [`crate::syntax::allows`]) applied to the
//! diagnostics of a file, in the one place both readers of diagnostics go through: the whole
//! policy's list ([`super::diagnostics`], the commands) with [`apply`], and the per-file lists
//! the language server publishes ([`super::file_diagnostics`]) with its parts, so that an
//! allowed warning is gone everywhere and the two agree.

use std::sync::Arc;

use super::{item_offsets, parse, SourceFile};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::syntax::allows::Allow;
use crate::syntax::Span;

/// The allows of a file.
#[salsa::tracked]
pub fn file_allows(db: &dyn salsa::Database, file: SourceFile) -> Arc<Vec<Allow>> {
    let parsed = parse(db, file);
    let items: Vec<_> = parsed
        .ast
        .items
        .iter()
        .map(|item| {
            let base = parsed.item_offsets.get(item.span.item as usize).copied().unwrap_or(0) as usize;
            base + item.span.start as usize..base + item.span.end as usize
        })
        .collect();
    Arc::new(crate::syntax::allows::allows(file.text(db), &items))
}

/// `diagnostics` (those of `file`) without the warnings its allows cover, with the problems
/// of its allows ([`code_problems`], and [`unused`] when `sound`: warnings are reported only
/// for a sound policy).
pub fn apply(db: &dyn salsa::Database, file: SourceFile, diagnostics: &[Diagnostic], sound: bool) -> Vec<Diagnostic> {
    let (mut out, used) = silence(db, file, diagnostics);
    out.extend(code_problems(db, file));
    if sound {
        out.extend(unused(db, file, &used));
    }
    out
}

/// `diagnostics` without the warnings the allows of `file` cover, and for each code of each
/// allow (in order) whether it silenced one.
pub fn silence(db: &dyn salsa::Database, file: SourceFile, diagnostics: &[Diagnostic]) -> (Vec<Diagnostic>, Vec<bool>) {
    let allows = file_allows(db, file);
    let mut used = vec![false; allows.iter().map(|a| a.codes.len()).sum()];
    if allows.is_empty() {
        return (diagnostics.to_vec(), used);
    }
    let offsets = item_offsets(db, file);
    let absolute = |span: Span| super::offsets_range(offsets, span).start;
    let out = diagnostics
        .iter()
        .filter(|d| {
            if d.severity() == Severity::Error {
                return true;
            }
            let at = absolute(d.primary.span);
            let mut silenced = false;
            let codes = allows.iter().flat_map(|a| a.codes.iter().map(move |(code, _)| (code, a)));
            for (n, (code, a)) in codes.enumerate() {
                if code.eq_ignore_ascii_case(d.code.as_str()) && a.covers.contains(&at) {
                    used[n] = true;
                    silenced = true;
                }
            }
            !silenced
        })
        .cloned()
        .collect();
    (out, used)
}

/// W043 for each allow without a code and each code that is unknown or an error's: known
/// from the comment alone.
pub fn code_problems(db: &dyn salsa::Database, file: SourceFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for a in file_allows(db, file).iter() {
        if a.codes.is_empty() {
            let message = "this `rolec: allow` names no warning code".to_string();
            out.push(problem(db, file, a.comment.clone(), message, "no code"));
        }
        for (code, range) in &a.codes {
            let (message, label) = match Code::ALL.iter().find(|c| c.as_str().eq_ignore_ascii_case(code)) {
                None => (format!("`{code}` is not a diagnostic code"), "unknown code"),
                Some(c) if c.severity() == Severity::Error => {
                    (format!("`{c}` is an error: errors cannot be allowed, only warnings"), "an error's code")
                }
                Some(_) => continue,
            };
            out.push(problem(db, file, range.clone(), message, label));
        }
    }
    out
}

/// W043 for each warning code of an allow that silenced nothing (`used` as [`silence`] says).
pub fn unused(db: &dyn salsa::Database, file: SourceFile, used: &[bool]) -> Vec<Diagnostic> {
    let allows = file_allows(db, file);
    let codes = allows.iter().flat_map(|a| a.codes.iter());
    codes
        .zip(used)
        .filter(|(_, used)| !**used)
        .filter_map(|((code, range), _)| {
            let c = Code::ALL.iter().find(|c| c.as_str().eq_ignore_ascii_case(code))?;
            let message = format!("this allows `{c}` where no {c} warning is reported");
            let label = "silences nothing";
            (c.severity() == Severity::Warning).then(|| problem(db, file, range.clone(), message, label))
        })
        .collect()
}

/// A W043 at a byte range of the file: its span relative to the item it is in or follows
/// (a comment may lie between items, or before the first).
fn problem(
    db: &dyn salsa::Database,
    file: SourceFile,
    range: std::ops::Range<usize>,
    message: String,
    label: &str,
) -> Diagnostic {
    let offsets = item_offsets(db, file);
    let (item, base) = match offsets.partition_point(|o| *o as usize <= range.start).checked_sub(1) {
        Some(i) => (i as u32, offsets[i] as usize),
        None => (u32::MAX, 0),
    };
    let span = Span { file: file.id(db), item, start: (range.start - base) as u32, end: (range.end - base) as u32 };
    let mut d = Diagnostic::new(Code::UnusedAllow, span, message);
    d.primary.message = label.to_string();
    d.help = Some("remove the code from the comment, or correct it".to_string());
    d
}
