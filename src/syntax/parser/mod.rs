//! From text to [`SourceAst`]: pest does the recognising, this module builds the tree.
//!
//! Parsing never fails. Text that matched a catch-all rule of the grammar becomes an
//! `Error` item or statement plus a diagnostic, found by parsing that text alone with the rule
//! that was meant, so the message says what was expected where.
//!
//! The tree is built by rule, never by position: each builder looks up the children it needs
//! by the grammar rule that made them ([`child`], [`children`], [`choice`]), and a child that
//! is missing (the grammar rules it out, so only a grammar change could bring it) makes the
//! builder return `None`, which turns the enclosing item or statement into an `Error` node
//! with a diagnostic rather than a panic.
//!
//! - this file: the entry points ([`parse`], [`reparse`]) and the [`Builder`]'s spans;
//! - `errors`: catch-alls, pest errors and the other syntax diagnostics;
//! - `items`: top-level declarations and policy rules;
//! - `stmts`: statements of blocks, grants and their targets;
//! - `values`: names, values and strings.

mod errors;
mod items;
mod stmts;
mod values;

use pest::iterators::Pair;
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::*;
use crate::diagnostics::Diagnostic;

#[derive(Parser)]
#[grammar = "../grammar/rolec.pest"]
struct RolecParser;

/// The result of parsing one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub ast: std::sync::Arc<SourceAst>,
    /// Absolute byte offset of each top-level item; spans are relative to these.
    pub item_offsets: Vec<u32>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn parse(text: &str, file: FileId) -> Parsed {
    let mut items = Vec::new();
    let mut out = Parsed { ast: Default::default(), item_offsets: Vec::new(), diagnostics: Vec::new() };
    let pairs = match RolecParser::parse(Rule::file, text) {
        Ok(mut pairs) => match pairs.next() {
            Some(file_pair) => file_pair.into_inner(),
            // `file` always makes one pair; still, never panic.
            None => {
                out.item_offsets.push(0);
                let mut b = Builder { file, item: 0, base: 0, diags: &mut out.diagnostics, depth: 0 };
                b.unreadable(b.span_of(0, text.len()));
                return out;
            }
        },
        Err(err) => {
            // The grammar has catch-alls at every level, so this is not expected; still, never panic.
            out.item_offsets.push(0);
            let b = Builder { file, item: 0, base: 0, diags: &mut out.diagnostics, depth: 0 };
            let d = b.pest_error(err, 0, text);
            out.diagnostics.push(d);
            return out;
        }
    };
    for pair in pairs {
        // Not EOI, nor stray doc comments.
        if matches!(pair.as_rule(), Rule::item | Rule::bad_item) {
            let start = pair.as_span().start();
            items.push(build_item(&mut out, file, pair, start));
        }
    }
    out.ast = std::sync::Arc::new(SourceAst { items });
    out
}

/// The next top-level item of `out`, from an `item` or `bad_item` pair that starts at byte
/// `start` of the file: its offset recorded, its diagnostics added.
fn build_item(out: &mut Parsed, file: FileId, pair: Pair<'_, Rule>, start: usize) -> Item {
    let index = out.item_offsets.len() as u32;
    out.item_offsets.push(start as u32);
    // Spans are relative to the item: `base` is its start in the text the pair is from.
    let mut b = Builder { file, item: index, base: pair.as_span().start(), diags: &mut out.diagnostics, depth: 0 };
    if pair.as_rule() == Rule::item {
        b.item(pair)
    } else {
        b.bad(pair, Rule::item_alone)
    }
}

/// [`parse`] of `text`, reusing what a parse of `old_text` found before and after the edit
/// that made `text`: only the items around the edit are parsed again. `None` when the edit
/// adds or removes items before others (the spans of the items after it name their item by
/// index), or `old` has no items: then parse the whole text.
///
/// Why this equals [`parse`]: `file` is a loop over items that keeps no state but the
/// position, and pest does not look behind. Items wholly before the edit (but the two just
/// before it, whose parse may have looked ahead into it) parse as they did. From there the
/// loop is run again one turn at a time ([`Rule::file_step`], on the rest of the text, so
/// lookahead sees what the whole parse would) until an item starts after the edit where an old
/// item started: from that item on, the text is the old one, and so is its parse.
pub fn reparse(old_text: &str, old: &Parsed, text: &str, file: FileId) -> Option<Parsed> {
    let offsets = &old.item_offsets;
    if offsets.len() != old.ast.items.len() || offsets.is_empty() {
        return None;
    }
    let prefix = old_text.bytes().zip(text.bytes()).take_while(|(a, b)| a == b).count();
    let room = old_text.len().min(text.len()) - prefix;
    let suffix = old_text.bytes().rev().zip(text.bytes().rev()).take(room).take_while(|(a, b)| a == b).count();
    let edit_end = text.len() - suffix;
    let delta = text.len() as i64 - old_text.len() as i64;
    // The first item to parse again: two before the one the edit starts in (reading an item
    // may peek at the first token of the next). Reading the items kept must not have looked
    // further: no catch-all took part (one scans for a closing brace to the end of the
    // text), and every block comment was closed (an unclosed `/*` is read to the end too).
    let mut first = offsets.partition_point(|&o| (o as usize) <= prefix).saturating_sub(3);
    if first > 0
        && (old.diagnostics.iter().any(|d| (d.primary.span.item as usize) < first)
            || !comments_closed(&old_text[..offsets[first] as usize]))
    {
        first = 0;
    }
    let mut out = Parsed { ast: Default::default(), item_offsets: offsets[..first].to_vec(), diagnostics: Vec::new() };
    out.diagnostics.extend(old.diagnostics.iter().filter(|d| (d.primary.span.item as usize) < first).cloned());
    let mut items: Vec<Item> = old.ast.items[..first].to_vec();
    let mut at = if first == 0 { 0 } else { offsets[first] as usize };
    loop {
        let step = RolecParser::parse(Rule::file_step, &text[at..]).ok()?.next()?;
        let end = at + step.as_span().end();
        let Some(pair) = step.into_inner().find(|p| matches!(p.as_rule(), Rule::item | Rule::bad_item)) else {
            break; // the end of the text
        };
        let start = at + pair.as_span().start();
        if start >= edit_end {
            let old_start = start as i64 - delta;
            if let Ok(j) = offsets.binary_search(&(old_start as u32)) {
                if j != items.len() {
                    return None;
                }
                out.item_offsets.extend(offsets[j..].iter().map(|&o| (o as i64 + delta) as u32));
                items.extend(old.ast.items[j..].iter().cloned());
                out.diagnostics.extend(old.diagnostics.iter().filter(|d| d.primary.span.item as usize >= j).cloned());
                break;
            }
        }
        items.push(build_item(&mut out, file, pair, start));
        at = end;
    }
    out.ast = std::sync::Arc::new(SourceAst { items });
    Some(out)
}

/// Whether every `/*` of `text` is closed in it, comments nesting as the grammar has them
/// (`/*` inside a string counts too: an over-estimate is safe).
fn comments_closed(text: &str) -> bool {
    let (bytes, mut depth, mut i) = (text.as_bytes(), 0usize, 0);
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => (depth, i) = (depth + 1, i + 2),
            (b'*', b'/') if depth > 0 => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    depth == 0
}

struct Builder<'d> {
    file: FileId,
    item: u32,
    base: usize,
    diags: &'d mut Vec<Diagnostic>,
    /// How many `for` blocks and lists enclose what is being built (see [`crate::syntax::MAX_DEPTH`]).
    depth: usize,
}

/// The first child of `pair` made by `rule`.
fn child<'i>(pair: &Pair<'i, Rule>, rule: Rule) -> Option<Pair<'i, Rule>> {
    pair.clone().into_inner().find(|c| c.as_rule() == rule)
}

/// The children of `pair` made by `rule`, in order.
fn children<'i>(pair: &Pair<'i, Rule>, rule: Rule) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.clone().into_inner().filter(move |c| c.as_rule() == rule)
}

/// The alternative that matched, for a rule that is a choice of others (`item`, `value`,
/// `target`, …): its only child. The caller matches on its rule.
fn choice(pair: Pair<'_, Rule>) -> Option<Pair<'_, Rule>> {
    pair.into_inner().next()
}

impl Builder<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.span_of(s.start(), s.end())
    }

    /// The span of a statement without the whitespace and comments pest skipped after its last
    /// token (while trying an optional part that was not there).
    fn tight_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        // The last token: the last pair without children (inner rules may carry the skipped
        // text too), reached through last children: pairs follow the text and do not overlap,
        // so it ends after every other one.
        let mut last = pair.clone();
        while let Some(inner) = last.clone().into_inner().next_back() {
            last = inner;
        }
        self.span_of(start, last.as_span().end())
    }

    fn span_of(&self, start: usize, end: usize) -> Span {
        Span {
            file: self.file,
            item: self.item,
            start: start.saturating_sub(self.base) as u32,
            end: end.saturating_sub(self.base) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    /// Runs `build` on the pair of rule `given` read from `text`; returns the diagnostics.
    fn build_from(given: Rule, text: &str, build: impl FnOnce(&mut Builder<'_>, Pair<'_, Rule>)) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let pair = RolecParser::parse(given, text).expect("the text parses").next().expect("one pair");
        let mut b = Builder { file: FileId(0), item: 0, base: 0, diags: &mut diags, depth: 0 };
        build(&mut b, pair);
        diags
    }

    #[test]
    fn a_pair_of_an_unexpected_rule_becomes_an_error_node_not_a_panic() {
        // A statement where an item is expected, and an item where a statement is.
        let diags = build_from(Rule::role_stmt, "grant select on table t", |b, pair| {
            assert_eq!(b.item(pair).kind, ItemKind::Error);
        });
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::Syntax]);
        let diags = build_from(Rule::item, "role r {}", |b, pair| {
            assert_eq!(b.stmt(pair).kind, StmtKind::Error);
        });
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::Syntax]);
    }

    /// The grammar's fast paths (one `/` before any comment, statements tried before the
    /// declaration check, strings and doc comments scanned to their end) read what the plain
    /// rules read.
    #[test]
    fn comments_strings_and_statements_read_as_written() {
        let text =
            "//// not a doc\n/// Doc.\nrole r { // c\n  grant select /* a /* nested */ b */ on table t //// four\n  \
                    comment \"a\\\"b\"\"c\\\\d\" // trailing\n  tags [x]\n}\n";
        let parsed = parse(text, FileId(0));
        assert_eq!(parsed.diagnostics, vec![]);
        let [item] = parsed.ast.items.as_slice() else { panic!("one item: {:?}", parsed.ast) };
        let ItemKind::Role(role) = &item.kind else { panic!("a role: {item:?}") };
        assert_eq!(role.docs, vec!["Doc.".to_string()]);
        // A statement's span ends at its last token, before the comment that follows.
        let base = parsed.item_offsets[0] as usize;
        let grant = role.body[0].span;
        assert_eq!(
            &text[base + grant.start as usize..base + grant.end as usize],
            "grant select /* a /* nested */ b */ on table t"
        );
        let StmtKind::Comment(comment) = &role.body[1].kind else { panic!("a comment: {:?}", role.body[1]) };
        assert_eq!(comment.parts, vec![StrPart::Lit("a\"b\"c\\d".to_string())]);
        // A declaration word ends a block whose `}` is missing; other junk is one bad statement.
        let parsed = parse("role a {\n  grant select on table t\n  oops here\nuser b {}\n", FileId(0));
        assert_eq!(parsed.ast.items.len(), 2);
        assert_eq!(parsed.diagnostics.len(), 2, "{:?}", parsed.diagnostics);
    }

    #[test]
    fn children_are_found_by_rule() {
        let pair = RolecParser::parse(Rule::let_item, "let x = [a, b]").expect("parses").next().expect("a pair");
        assert_eq!(child(&pair, Rule::ident).map(|p| p.as_str()), Some("x"));
        assert_eq!(child(&pair, Rule::string), None);
        let value = child(&pair, Rule::value).expect("a value");
        let list = choice(value).expect("an alternative");
        assert_eq!(list.as_rule(), Rule::list);
        assert_eq!(children(&list, Rule::value).map(|v| v.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
    }
}
