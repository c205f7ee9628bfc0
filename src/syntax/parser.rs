//! From text to [`SourceAst`]: pest does the recognising, this module builds the tree.
//!
//! Parsing never fails. Text that matched a catch-all rule of the grammar becomes an
//! `Error` item or statement plus a diagnostic, found by parsing that text alone with the rule
//! that was meant, so the message says what was expected where.

use pest::iterators::Pair;
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::*;
use crate::diagnostics::{Code, Diagnostic};

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
        Ok(mut pairs) => pairs.next().expect("file rule").into_inner(),
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
    /// How many `for` blocks and lists enclose what is being built (see [`super::MAX_DEPTH`]).
    depth: usize,
}

fn inner(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner()
}

fn first(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    pair.into_inner().next().expect("grammar guarantees a child")
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
        // The last token: the end of the last pair without children (inner rules may carry the
        // skipped text too).
        let end = pair
            .clone()
            .into_inner()
            .flatten()
            .filter(|p| p.clone().into_inner().next().is_none())
            .map(|p| p.as_span().end())
            .max()
            .unwrap_or(pair.as_span().end());
        self.span_of(start, end)
    }

    fn span_of(&self, start: usize, end: usize) -> Span {
        Span {
            file: self.file,
            item: self.item,
            start: start.saturating_sub(self.base) as u32,
            end: end.saturating_sub(self.base) as u32,
        }
    }

    // ------------------------------------------------------------------ errors

    /// A catch-all matched: explain it by parsing its text alone with `alone`.
    fn bad(&mut self, pair: Pair<'_, Rule>, alone: Rule) -> Item {
        let span = self.span(&pair);
        let start = pair.as_span().start();
        let text = pair.as_str();
        if let Some(d) = self.unclosed(text, start) {
            self.diags.push(d);
            return Item { span, kind: ItemKind::Error };
        }
        let d = match RolecParser::parse(alone, text) {
            Err(err) => self.pest_error(err, start, text),
            Ok(_) => Diagnostic::new(Code::Syntax, span, "this text cannot be read here").label("unexpected here"),
        };
        self.diags.push(d);
        Item { span, kind: ItemKind::Error }
    }

    /// A comment, string or block that is opened and never closed explains the error better
    /// than what the grammar expected at the end of the text.
    fn unclosed(&self, text: &str, offset: usize) -> Option<Diagnostic> {
        let trimmed = text.trim_start();
        let lead = text.len() - trimmed.len();
        if trimmed.starts_with("/*") && !trimmed.contains("*/") {
            let span = self.span_of(offset + lead, offset + lead + 2);
            return Some(
                Diagnostic::new(Code::Syntax, span, "this comment is never closed")
                    .label("opened here")
                    .help("close it with `*/`"),
            );
        }
        // Scan outside strings and comments for an unmatched `{` or a string without its end.
        let bytes = text.as_bytes();
        let mut open_braces: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' => {
                    let start = i;
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None | Some(b'\n') => {
                                let span = self.span_of(offset + start, offset + start + 1);
                                return Some(
                                    Diagnostic::new(Code::Syntax, span, "this string is never closed")
                                        .label("opened here")
                                        .help("end it with `\"` on the same line"),
                                );
                            }
                            Some(b'\\') => i += 2,
                            Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                            Some(b'"') => break,
                            Some(_) => i += 1,
                        }
                    }
                }
                b'{' => open_braces.push(i),
                b'}' => {
                    open_braces.pop();
                }
                _ => {}
            }
            i += 1;
        }
        let first_open = *open_braces.first()?;
        let span = self.span_of(offset + first_open, offset + first_open + 1);
        Some(
            Diagnostic::new(Code::Syntax, span, "this `{` is never closed (no matching `}`)")
                .label("opened here")
                .help("add the matching `}`"),
        )
    }

    fn bad_stmt(&mut self, pair: Pair<'_, Rule>, alone: Rule) -> Stmt {
        let item = self.bad(pair, alone);
        Stmt { span: item.span, kind: StmtKind::Error }
    }

    fn pest_error(&self, err: pest::error::Error<Rule>, offset: usize, text: &str) -> Diagnostic {
        let pos = match err.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((a, _)) => a,
        };
        let found = found_token(&text[pos.min(text.len())..]);
        let end = pos + found.len().max(if pos < text.len() { 1 } else { 0 });
        let span = self.span_of(offset + pos, offset + end.min(text.len()));
        let expected = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => describe_rules(positives),
            pest::error::ErrorVariant::CustomError { message } if message == "stack limit reached" => {
                // pest stops before the native stack runs out (`{`, `[`, `(` or `/*` nested
                // thousands deep): say so, rather than name the rules it was trying.
                let d = Diagnostic::new(
                    Code::Syntax,
                    span,
                    "the text nests too deeply here to be read (braces, brackets or comments)",
                )
                .label("nested too deeply");
                return d.help("flatten the nesting");
            }
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        let found_text = if found.is_empty() {
            "the end of the statement".to_string()
        } else if crate::diagnostics::secrets::in_password_literal(text, pos) {
            // The message is shown in every format, unmasked.
            "a password (not shown)".to_string()
        } else {
            format!("`{found}`")
        };
        Diagnostic::new(Code::Syntax, span, format!("expected {expected}, found {found_text}"))
            .label(format!("expected {expected}"))
    }

    /// Reports a block whose `}` is missing (the grammar lets it end at the end of the file).
    fn check_closed(&mut self, block: &Pair<'_, Rule>) {
        if block.clone().into_inner().any(|c| c.as_rule() == Rule::block_end && c.as_str() == "}") {
            return;
        }
        let start = block.as_span().start();
        let span = self.span_of(start, start + 1);
        self.diags.push(
            Diagnostic::new(Code::Syntax, span, "this `{` is never closed (no matching `}`)")
                .label("opened here")
                .help("add the matching `}`"),
        );
    }

    /// A `for` or list nested deeper than [`super::MAX_DEPTH`]: reported, and left out, so
    /// that every later pass over the tree recurses a bounded depth.
    fn too_deep(&mut self, span: Span, what: &str) {
        let d =
            Diagnostic::new(Code::Syntax, span, format!("{what} nest more than {} levels deep here", super::MAX_DEPTH))
                .label("nested too deeply")
                .help("flatten the nesting");
        self.diags.push(d);
    }

    fn syntax(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(Code::Syntax, span, message));
    }

    // ------------------------------------------------------------------ items

    fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        let p = first(pair);
        let kind = match p.as_rule() {
            Rule::role_item => ItemKind::Role(self.role_item(p)),
            Rule::template_item => ItemKind::Template(self.template_item(p)),
            Rule::let_item => {
                let mut it = inner(p).skip(1);
                let name = self.ident(it.next().unwrap());
                let value = self.value(it.next().unwrap());
                ItemKind::Let(LetDecl { name, value })
            }
            Rule::for_item if self.depth >= super::MAX_DEPTH => {
                self.too_deep(span, "`for` loops");
                ItemKind::Error
            }
            Rule::for_item => {
                self.depth += 1;
                let mut it = inner(p).skip(1);
                let var = self.ident(it.next().unwrap());
                let _in = it.next();
                let iter = self.value(it.next().unwrap());
                let mut items = Vec::new();
                let block = it.next().unwrap();
                self.check_closed(&block);
                for c in inner(block) {
                    match c.as_rule() {
                        Rule::item => items.push(self.item(c)),
                        Rule::bad_item_in_block => items.push(self.bad(c, Rule::item_alone)),
                        _ => {}
                    }
                }
                self.depth -= 1;
                ItemKind::For(ForLoop { var, iter, items })
            }
            Rule::import_item => {
                let target = inner(p).nth(1).unwrap();
                match target.as_rule() {
                    Rule::std_path => ItemKind::Import(Import::Std(target.as_str()["std.".len()..].to_string())),
                    _ => {
                        let t = self.template(target);
                        ItemKind::Import(Import::Path(literal_text(&t)))
                    }
                }
            }
            Rule::external_item => ItemKind::External(inner(p).skip(2).map(|n| self.name(n)).collect()),
            Rule::manage_item => ItemKind::Manage(inner(p).skip(3).map(|s| self.template(s)).collect()),
            Rule::schema_item => {
                let mut docs = Vec::new();
                let mut name = None;
                let mut body = Vec::new();
                for c in inner(p) {
                    match c.as_rule() {
                        Rule::doc_comment => docs.push(doc_text(&c)),
                        Rule::name => name = Some(self.name(c)),
                        Rule::schema_block => body = self.block(c, Rule::bad_schema_stmt, Rule::schema_stmt_alone),
                        _ => {}
                    }
                }
                ItemKind::Schema(SchemaDecl { docs, name: name.unwrap(), body })
            }
            Rule::object_item => {
                let mut it = inner(p);
                let kind = match it.next().unwrap().as_str() {
                    "table" => ObjectKind::Table,
                    "view" => ObjectKind::View,
                    "sequence" => ObjectKind::Sequence,
                    _ => ObjectKind::Function,
                };
                let name = self.qname(it.next().unwrap());
                let mut args = None;
                let mut body = Vec::new();
                for c in it {
                    match c.as_rule() {
                        Rule::func_args => args = Some(self.func_args(c)),
                        Rule::object_block => body = self.block(c, Rule::bad_object_stmt, Rule::object_stmt_alone),
                        _ => {}
                    }
                }
                ItemKind::Object(ObjectDecl { kind, name, args, body })
            }
            Rule::defaults_item => ItemKind::Defaults(self.defaults_item(p)),
            Rule::public_item => {
                let block = inner(p).nth(1).unwrap();
                ItemKind::Public(self.block(block, Rule::bad_public_stmt, Rule::public_stmt_alone))
            }
            Rule::policy_item => ItemKind::Policy(self.policy_item(p)),
            Rule::grant_item => {
                let grantees =
                    inner(p.clone()).filter(|c| c.as_rule() == Rule::grantee).map(|g| self.grantee(g)).collect();
                ItemKind::Grant(self.grant(p), grantees)
            }
            r => unreachable!("item rule {r:?}"),
        };
        Item { span, kind }
    }

    fn role_item(&mut self, p: Pair<'_, Rule>) -> RoleDecl {
        let mut decl = RoleDecl {
            is_user: false,
            docs: Vec::new(),
            name: Name { span: self.span(&p), kind: NameKind::Bare(String::new()) },
            from_template: None,
            extends: None,
            body: Vec::new(),
        };
        for c in inner(p) {
            match c.as_rule() {
                Rule::doc_comment => decl.docs.push(doc_text(&c)),
                Rule::kw_user => decl.is_user = true,
                Rule::kw_role => {}
                Rule::name => decl.name = self.name(c),
                Rule::role_template => {
                    let mut it = inner(c);
                    let mut call = self.template_call(it.next().unwrap());
                    call.without = it.map(|w| self.without(inner(w).nth(1).unwrap(), None)).collect();
                    decl.from_template = Some(call);
                }
                Rule::role_extends => decl.extends = Some(self.name(inner(c).nth(1).unwrap())),
                Rule::role_block => decl.body = self.block(c, Rule::bad_role_stmt, Rule::role_stmt_alone),
                _ => {}
            }
        }
        decl
    }

    fn template_item(&mut self, p: Pair<'_, Rule>) -> TemplateDecl {
        let mut decl = TemplateDecl {
            docs: Vec::new(),
            name: Ident { span: self.span(&p), text: String::new() },
            params: Vec::new(),
            body: Vec::new(),
        };
        for c in inner(p) {
            match c.as_rule() {
                Rule::doc_comment => decl.docs.push(doc_text(&c)),
                Rule::ident => decl.name = self.ident(c),
                Rule::param => {
                    let span = self.span(&c);
                    let mut it = inner(c);
                    let name = self.ident(it.next().unwrap());
                    let ty = match it.next().unwrap().as_str() {
                        "role" => ParamType::Role,
                        "schema" => ParamType::Schema,
                        "string" => ParamType::String,
                        "int" => ParamType::Int,
                        "duration" => ParamType::Duration,
                        _ => ParamType::List,
                    };
                    let default = it.next().map(|v| self.value(v));
                    decl.params.push(Param { span, name, ty, default });
                }
                Rule::role_block => decl.body = self.block(c, Rule::bad_role_stmt, Rule::role_stmt_alone),
                _ => {}
            }
        }
        decl
    }

    fn defaults_item(&mut self, p: Pair<'_, Rule>) -> DefaultsBlock {
        let mut block = DefaultsBlock { for_roles: Vec::new(), in_schemas: Vec::new(), entries: Vec::new() };
        let mut in_schema = false;
        for c in inner(p) {
            match c.as_rule() {
                Rule::kw_schema => in_schema = true,
                Rule::name if in_schema => block.in_schemas.push(self.name(c)),
                Rule::name => block.for_roles.push(self.name(c)),
                Rule::defaults_block => {
                    self.check_closed(&c);
                    for s in inner(c) {
                        match s.as_rule() {
                            Rule::defaults_stmt => block.entries.push(self.default_entry(first(s))),
                            Rule::bad_defaults_stmt => {
                                self.bad_stmt(s, Rule::defaults_stmt_alone);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        block
    }

    fn default_entry(&mut self, p: Pair<'_, Rule>) -> DefaultEntry {
        let span = self.span(&p);
        let grant = p.as_rule() == Rule::default_grant;
        let mut entry = DefaultEntry {
            span,
            grant,
            privs: Vec::new(),
            kind: DefaultKind::Tables,
            kind_span: span,
            grantees: Vec::new(),
            grant_option: false,
        };
        for c in inner(p) {
            match c.as_rule() {
                Rule::privileges => entry.privs = self.privileges(c),
                Rule::default_kind => {
                    entry.kind_span = self.span(&c);
                    entry.kind = match c.as_str() {
                        "tables" => DefaultKind::Tables,
                        "sequences" => DefaultKind::Sequences,
                        "functions" => DefaultKind::Functions,
                        "routines" => DefaultKind::Routines,
                        "types" => DefaultKind::Types,
                        _ => DefaultKind::Schemas,
                    }
                }
                Rule::grantee => entry.grantees.push(self.grantee(c)),
                Rule::grant_option => entry.grant_option = true,
                _ => {}
            }
        }
        entry
    }

    fn grantee(&mut self, p: Pair<'_, Rule>) -> Grantee {
        let c = first(p);
        match c.as_rule() {
            Rule::kw_public => Grantee::Public(self.span(&c)),
            _ => Grantee::Role(self.name(c)),
        }
    }

    fn policy_item(&mut self, p: Pair<'_, Rule>) -> PolicyDecl {
        let mut decl = PolicyDecl {
            docs: Vec::new(),
            name: Ident { span: self.span(&p), text: String::new() },
            applies_to: None,
            rules: Vec::new(),
        };
        for c in inner(p) {
            match c.as_rule() {
                Rule::doc_comment => decl.docs.push(doc_text(&c)),
                Rule::ident => decl.name = self.ident(c),
                Rule::applies_to => decl.applies_to = Some(self.scope(inner(c).nth(2).unwrap())),
                Rule::policy_block => {
                    self.check_closed(&c);
                    for s in inner(c) {
                        match s.as_rule() {
                            Rule::policy_stmt => {
                                if let Some(rule) = self.rule(s) {
                                    decl.rules.push(rule);
                                }
                            }
                            Rule::bad_policy_stmt => {
                                self.bad_stmt(s, Rule::policy_stmt_alone);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        decl
    }

    fn scope(&mut self, p: Pair<'_, Rule>) -> Scope {
        let c = first(p);
        match c.as_rule() {
            Rule::scope_users => Scope::Users,
            Rule::scope_roles => Scope::Roles,
            Rule::scope_all => Scope::All,
            Rule::name_list_bracketed => Scope::Targets(inner(c).map(|n| MemberTarget::Name(self.name(n))).collect()),
            _ => Scope::Targets(vec![self.member_target(c)]),
        }
    }

    fn rule(&mut self, p: Pair<'_, Rule>) -> Option<PolicyRule> {
        let span = self.tight_span(&p);
        let mut warn = false;
        let mut kind = None;
        for c in inner(p) {
            match c.as_rule() {
                Rule::warn_flag => warn = true,
                Rule::rule_exclusive => {
                    kind = Some(RuleKind::Exclusive(inner(c).skip(1).map(|n| self.name(n)).collect()))
                }
                Rule::rule_max => {
                    let mut it = inner(c).skip(1);
                    let what = it.next().unwrap();
                    let n = self.uint(it.next().unwrap());
                    kind = Some(match what.as_rule() {
                        Rule::max_schemas => RuleKind::MaxSchemas(n),
                        Rule::max_tables => RuleKind::MaxTables(n),
                        Rule::max_admin => RuleKind::MaxAdminRights(n),
                        _ => RuleKind::MaxTablesTagged(self.name(inner(what).nth(2).unwrap()), n),
                    });
                }
                Rule::rule_forbid => {
                    let mut it = inner(c).skip(1);
                    let attribute = parse_attribute(it.next().unwrap().as_str());
                    let except =
                        it.filter(|x| x.as_rule() == Rule::member_target).map(|t| self.member_target(t)).collect();
                    kind = Some(RuleKind::Forbid { attribute, except });
                }
                Rule::rule_forbid_grant => {
                    let mut privs = Vec::new();
                    let mut target = None;
                    for x in inner(c) {
                        match x.as_rule() {
                            Rule::privileges => privs = self.privileges(x),
                            Rule::target => target = Some(self.target(x)),
                            _ => {}
                        }
                    }
                    kind = Some(RuleKind::ForbidGrantToPublic { privs, target: target.unwrap() });
                }
                Rule::rule_deeper => kind = Some(RuleKind::MembershipsDeeperThan(self.uint(inner(c).nth(3).unwrap()))),
                _ => {}
            }
        }
        kind.map(|kind| PolicyRule { span, warn, kind })
    }

    // ------------------------------------------------------------------ statements

    fn block(&mut self, p: Pair<'_, Rule>, bad_rule: Rule, alone: Rule) -> Vec<Stmt> {
        self.check_closed(&p);
        let mut out = Vec::new();
        for c in inner(p) {
            let r = c.as_rule();
            if r == bad_rule {
                out.push(self.bad_stmt(c, alone));
            } else if matches!(r, Rule::role_stmt | Rule::schema_stmt | Rule::object_stmt | Rule::public_stmt) {
                out.push(self.stmt(c));
            }
        }
        out
    }

    fn stmt(&mut self, p: Pair<'_, Rule>) -> Stmt {
        let span = self.tight_span(&p);
        let c = first(p);
        let kind = match c.as_rule() {
            Rule::member_stmt => StmtKind::MemberOf(self.member_stmt(c)),
            Rule::without_stmt => StmtKind::Without(self.without(inner(c).nth(1).unwrap(), Some(span))),
            Rule::attribute => StmtKind::Attribute(parse_attribute(c.as_str())),
            Rule::connection_limit => {
                let n = inner(c).nth(2).unwrap();
                match n.as_str().parse::<i64>() {
                    Ok(v) => StmtKind::ConnectionLimit(v),
                    Err(_) => {
                        self.syntax(self.span(&n), "the connection limit is too large");
                        StmtKind::Error
                    }
                }
            }
            Rule::valid_until => StmtKind::ValidUntil(self.value(inner(c).nth(2).unwrap())),
            Rule::password_stmt => {
                let v = inner(c).nth(1).unwrap();
                StmtKind::Password(match v.as_rule() {
                    Rule::secret_call => Password::Secret(self.template(inner(v).nth(1).unwrap())),
                    Rule::scram_password => Password::Scram(self.template(inner(v).nth(1).unwrap())),
                    _ => Password::Plaintext(self.span(&v)),
                })
            }
            Rule::set_stmt => {
                let mut param = None;
                let mut value = None;
                let mut database = None;
                for x in inner(c) {
                    match x.as_rule() {
                        Rule::param_name => param = Some(self.ident(x)),
                        Rule::value => value = Some(self.value(x)),
                        Rule::name => database = Some(self.name(x)),
                        _ => {}
                    }
                }
                StmtKind::Set { param: param.unwrap(), value: value.unwrap(), database }
            }
            Rule::comment_stmt => StmtKind::Comment(self.template(inner(c).nth(1).unwrap())),
            Rule::tags_stmt => StmtKind::Tags(inner(inner(c).nth(1).unwrap()).map(|n| self.name(n)).collect()),
            Rule::grant_stmt | Rule::public_grant => StmtKind::Grant(self.grant(c)),
            Rule::revoke_stmt | Rule::public_revoke => StmtKind::Revoke(self.grant(c)),
            Rule::use_stmt => {
                let mut it = inner(c).skip(1);
                let mut call = self.template_call(it.next().unwrap());
                call.without = it.map(|w| self.without(inner(w).nth(1).unwrap(), None)).collect();
                StmtKind::Use(call)
            }
            Rule::connect_stmt => {
                let mut cidr = None;
                let mut database = None;
                for x in inner(c) {
                    match x.as_rule() {
                        Rule::cidr => cidr = Some(self.ident(x)),
                        Rule::name => database = Some(self.name(x)),
                        _ => {}
                    }
                }
                StmtKind::ConnectFrom { cidr: cidr.unwrap(), database }
            }
            Rule::owner_stmt => StmtKind::Owner(self.name(inner(c).nth(1).unwrap())),
            Rule::creators_stmt => StmtKind::Creators(inner(inner(c).nth(1).unwrap()).map(|n| self.name(n)).collect()),
            Rule::public_stmt => return self.stmt(c),
            r => unreachable!("statement rule {r:?}"),
        };
        Stmt { span, kind }
    }

    fn member_stmt(&mut self, p: Pair<'_, Rule>) -> MemberOf {
        let mut m = MemberOf {
            targets: Vec::new(),
            admin: false,
            inherit: None,
            set: None,
            from: None,
            until: None,
            duration: None,
            reason: None,
            conditions: Vec::new(),
        };
        for c in inner(p) {
            match c.as_rule() {
                Rule::member_target => m.targets.push(self.member_target(c)),
                Rule::member_option => {
                    let o = first(c);
                    match o.as_rule() {
                        Rule::with_admin => m.admin = true,
                        Rule::opt_noinherit => m.inherit = Some(false),
                        Rule::opt_inherit => m.inherit = Some(true),
                        Rule::opt_noset => m.set = Some(false),
                        Rule::window_from => m.from = Some(self.value(inner(o).nth(1).unwrap())),
                        Rule::window_until => m.until = Some(self.value(inner(o).nth(1).unwrap())),
                        Rule::window_for => m.duration = Some(self.value(inner(o).nth(1).unwrap())),
                        Rule::reason => m.reason = Some(self.template(inner(o).nth(1).unwrap())),
                        Rule::condition => m.conditions.push(self.span(&o)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        m
    }

    fn member_target(&mut self, p: Pair<'_, Rule>) -> MemberTarget {
        let c = if p.as_rule() == Rule::member_target { first(p) } else { p };
        match c.as_rule() {
            Rule::all_roles => MemberTarget::AllRoles(self.span(&c)),
            Rule::glob => MemberTarget::Glob { span: self.span(&c), pattern: c.as_str().to_string() },
            _ => MemberTarget::Name(self.name(c)),
        }
    }

    /// `body` is a `without_body` pair; `span` overrides the clause span when known.
    fn without(&mut self, body: Pair<'_, Rule>, span: Option<Span>) -> Without {
        let body = if body.as_rule() == Rule::without_body { first(body) } else { body };
        let span = span.unwrap_or_else(|| self.span(&body));
        match body.as_rule() {
            Rule::without_member => {
                Without::MemberOf(span, inner(body).skip(2).map(|t| self.member_target(t)).collect())
            }
            Rule::without_grant => Without::Grant(span, self.grant(body)),
            Rule::without_set => Without::Set(span, self.ident(inner(body).nth(1).unwrap())),
            _ => Without::Attribute(span, parse_attribute(body.as_str())),
        }
    }

    fn template_call(&mut self, p: Pair<'_, Rule>) -> TemplateUse {
        let span = self.span(&p);
        let mut it = inner(p);
        let name = self.ident(it.next().unwrap());
        let args = it
            .map(|a| {
                let span = self.span(&a);
                let mut parts: Vec<_> = inner(a).collect();
                let value = self.value(parts.pop().unwrap());
                let name = parts.pop().map(|n| self.ident(n));
                Arg { span, name, value }
            })
            .collect();
        TemplateUse { span, name, args, without: Vec::new() }
    }

    fn grant(&mut self, p: Pair<'_, Rule>) -> Grant {
        let mut g = Grant {
            privs: Vec::new(),
            target: Target {
                span: self.span(&p),
                kind: TargetKind::Schema(Name { span: self.span(&p), kind: NameKind::Bare(String::new()) }),
            },
            grant_option: false,
        };
        for c in inner(p) {
            match c.as_rule() {
                Rule::privileges => g.privs = self.privileges(c),
                Rule::target => g.target = self.target(c),
                Rule::grant_option => g.grant_option = true,
                _ => {}
            }
        }
        g
    }

    fn privileges(&mut self, p: Pair<'_, Rule>) -> Vec<PrivSpan> {
        inner(p)
            .map(|c| {
                let word = c.as_str().split_whitespace().next().unwrap_or("");
                let privilege = match word {
                    "select" => Privilege::Select,
                    "insert" => Privilege::Insert,
                    "update" => Privilege::Update,
                    "delete" => Privilege::Delete,
                    "truncate" => Privilege::Truncate,
                    "references" => Privilege::References,
                    "trigger" => Privilege::Trigger,
                    "maintain" => Privilege::Maintain,
                    "usage" => Privilege::Usage,
                    "create" => Privilege::Create,
                    "connect" => Privilege::Connect,
                    "temporary" | "temp" => Privilege::Temporary,
                    "execute" => Privilege::Execute,
                    _ => Privilege::All,
                };
                PrivSpan { span: self.span(&c), privilege }
            })
            .collect()
    }

    fn target(&mut self, p: Pair<'_, Rule>) -> Target {
        let span = self.span(&p);
        let c = first(p);
        let rule = c.as_rule();
        let mut it = inner(c);
        let kind = match rule {
            Rule::column_target => {
                let mut columns = Vec::new();
                let mut table = None;
                for x in it {
                    match x.as_rule() {
                        Rule::name => columns.push(self.name(x)),
                        Rule::qname => table = Some(self.qname(x)),
                        _ => {}
                    }
                }
                TargetKind::Columns { columns, table: table.unwrap() }
            }
            Rule::bulk_target => {
                let kind = match it.next().unwrap().as_str() {
                    "tables" => BulkKind::Tables,
                    "sequences" => BulkKind::Sequences,
                    "functions" => BulkKind::Functions,
                    _ => BulkKind::Routines,
                };
                TargetKind::AllIn { kind, schema: self.name(it.nth(2).unwrap()) }
            }
            Rule::table_target => TargetKind::Table(self.qname(it.nth(1).unwrap())),
            Rule::view_target => TargetKind::View(self.qname(it.nth(1).unwrap())),
            Rule::sequence_target => TargetKind::Sequence(self.qname(it.nth(1).unwrap())),
            Rule::function_target => {
                let q = self.qname(it.nth(1).unwrap());
                let args = self.func_args(it.next().unwrap());
                TargetKind::Function(q, args)
            }
            Rule::schema_target => TargetKind::Schema(self.name(it.nth(1).unwrap())),
            Rule::database_target => TargetKind::Database(self.name(it.nth(1).unwrap())),
            Rule::type_target => TargetKind::Type(self.qname(it.nth(1).unwrap())),
            _ => TargetKind::Domain(self.qname(it.nth(1).unwrap())),
        };
        Target { span, kind }
    }

    fn func_args(&mut self, p: Pair<'_, Rule>) -> Vec<TypeName> {
        inner(p)
            .map(|t| {
                let span = self.span(&t);
                let mut ty = TypeName { span, schema: None, words: Vec::new(), modifier: Vec::new(), array_dims: 0 };
                // `schema.type`: the first two words with a `.` between them (quoted or not).
                let (text, offset) = (t.as_str(), t.as_span().start());
                let mut has_dot = false;
                let mut first_word_end = None;
                let mut words = Vec::new();
                for x in inner(t) {
                    match x.as_rule() {
                        Rule::type_word => {
                            let (start, end) = (x.as_span().start(), x.as_span().end());
                            if let (Some(prev), 1) = (first_word_end, words.len()) {
                                has_dot = text
                                    .get(prev - offset..start - offset)
                                    .is_some_and(|between| between.trim() == ".");
                            }
                            first_word_end.get_or_insert(end);
                            words.push(self.name(first(x)));
                        }
                        Rule::type_modifier => {
                            ty.modifier = inner(x).map(|n| n.as_str().parse().unwrap_or(u32::MAX)).collect()
                        }
                        Rule::array_suffix => ty.array_dims += 1,
                        _ => {}
                    }
                }
                if has_dot && words.len() >= 2 {
                    ty.schema = Some(words.remove(0));
                }
                ty.words = words;
                ty
            })
            .collect()
    }

    // ------------------------------------------------------------------ names and values

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident { span: self.span(&p), text: p.as_str().to_string() }
    }

    fn uint(&mut self, p: Pair<'_, Rule>) -> u64 {
        match p.as_str().parse() {
            Ok(v) => v,
            Err(_) => {
                self.syntax(self.span(&p), "this number is too large");
                u64::MAX
            }
        }
    }

    fn name(&mut self, p: Pair<'_, Rule>) -> Name {
        let span = self.span(&p);
        let c = if p.as_rule() == Rule::name { first(p) } else { p };
        match c.as_rule() {
            Rule::quoted | Rule::string => Name { span, kind: NameKind::Quoted(self.template(c)) },
            _ => Name { span, kind: NameKind::Bare(c.as_str().to_string()) },
        }
    }

    fn qname(&mut self, p: Pair<'_, Rule>) -> QName {
        let span = self.span(&p);
        let mut names: Vec<Name> = inner(p).map(|n| self.name(n)).collect();
        let name = names.pop().unwrap();
        QName { span, schema: names.pop(), name }
    }

    fn value(&mut self, p: Pair<'_, Rule>) -> Value {
        let span = self.span(&p);
        let c = if p.as_rule() == Rule::value { first(p) } else { p };
        let kind = match c.as_rule() {
            Rule::list if self.depth >= super::MAX_DEPTH => {
                self.too_deep(span, "lists");
                ValueKind::List(Vec::new())
            }
            Rule::list => {
                self.depth += 1;
                let values = inner(c).map(|v| self.value(v)).collect();
                self.depth -= 1;
                ValueKind::List(values)
            }
            Rule::duration => ValueKind::Duration(c.as_str().to_string()),
            Rule::timestamp => ValueKind::Timestamp(c.as_str().to_string()),
            Rule::int_value => match c.as_str().parse() {
                Ok(v) => ValueKind::Int(v),
                Err(_) => {
                    self.syntax(span, "this number is too large");
                    ValueKind::Int(0)
                }
            },
            Rule::string => ValueKind::Str(self.template(c)),
            _ => ValueKind::Word(self.ident(c)),
        };
        Value { span, kind }
    }

    /// PostgreSQL cannot store a NUL character in a name or any other text; `\0` is not an
    /// escape (it would otherwise read as a plain `0`).
    fn nul(&mut self, span: Span) {
        self.diags.push(
            Diagnostic::new(Code::InvalidValue, span, "a string cannot contain a NUL character")
                .label("NUL character")
                .help("PostgreSQL cannot store `\\0` in a name or a value: remove it"),
        );
    }

    /// A string with escapes (`\"` or `""`, `\\`, `\n`, `\t`, `\r`, `\u{HEX}`, `\{`, `\}`) and `{var}`
    /// interpolations.
    fn template(&mut self, p: Pair<'_, Rule>) -> Template {
        let span = self.span(&p);
        let inner_pair = first(p);
        let raw = inner_pair.as_str();
        let start = inner_pair.as_span().start();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = raw.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\\' => match chars.next() {
                    Some((_, 'n')) => lit.push('\n'),
                    Some((_, 't')) => lit.push('\t'),
                    Some((_, 'r')) => lit.push('\r'),
                    Some((_, 'u')) if chars.peek().is_some_and(|&(_, c)| c == '{') => {
                        chars.next();
                        let mut hex = String::new();
                        let mut end = None;
                        for (j, c) in chars.by_ref() {
                            if c == '}' {
                                end = Some(j + 1);
                                break;
                            }
                            hex.push(c);
                        }
                        let span = self.span_of(start + i, start + end.unwrap_or(raw.len()));
                        let code = end.and(u32::from_str_radix(&hex, 16).ok()).filter(|_| (1..=6).contains(&hex.len()));
                        match code.map(char::from_u32) {
                            Some(Some('\0')) => self.nul(span),
                            Some(Some(c)) => lit.push(c),
                            _ => self.diags.push(
                                Diagnostic::new(Code::InvalidValue, span, "expected a Unicode character as `\\u{HEX}`")
                                    .label("not a character")
                                    .help("write one to six hexadecimal digits of a Unicode scalar value, such as `\\u{1b}`"),
                            ),
                        }
                    }
                    Some((_, c @ ('0' | '\0'))) => self.nul(self.span_of(start + i, start + i + 1 + c.len_utf8())),
                    Some((_, c)) => lit.push(c),
                    None => {}
                },
                '\0' => self.nul(self.span_of(start + i, start + i + 1)),
                '"' => {
                    chars.next(); // `""` inside a string is one `"`, as in SQL
                    lit.push('"');
                }
                '{' => {
                    let mut var = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        var.push(c);
                    }
                    let vspan = self.span_of(start + i, start + i + var.len() + 2);
                    let valid = !var.is_empty() && var.chars().all(|c| c.is_alphanumeric() || c == '_');
                    if !closed || !valid {
                        self.diags.push(
                            Diagnostic::new(
                                Code::Syntax,
                                vspan,
                                "expected a variable name and `}` after `{` in a string",
                            )
                            .label("interpolation")
                            .help("write `\\{` for a literal brace"),
                        );
                        continue;
                    }
                    if !lit.is_empty() {
                        parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(StrPart::Var(Ident {
                        span: self.span_of(start + i + 1, start + i + 1 + var.len()),
                        text: var,
                    }));
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() || parts.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Template { span, parts }
    }
}

fn parse_attribute(word: &str) -> Attribute {
    let (on, base) = match word.strip_prefix("no") {
        Some(rest) => (false, rest),
        None => (true, word),
    };
    let kind = match base {
        "login" => AttributeKind::Login,
        "superuser" => AttributeKind::Superuser,
        "createdb" => AttributeKind::Createdb,
        "createrole" => AttributeKind::Createrole,
        "replication" => AttributeKind::Replication,
        "bypassrls" => AttributeKind::Bypassrls,
        _ => AttributeKind::Inherit,
    };
    Attribute { kind, on }
}

fn doc_text(p: &Pair<'_, Rule>) -> String {
    let s = p.as_str().trim_end_matches(['\n', '\r']);
    let s = s.strip_prefix("///").unwrap_or(s);
    s.strip_prefix(' ').unwrap_or(s).to_string()
}

/// The literal text of a template without interpolations (imports take no variables).
fn literal_text(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            StrPart::Lit(s) => s.clone(),
            StrPart::Var(v) => format!("{{{}}}", v.text),
        })
        .collect()
}

/// The token at the start of `rest`, for "found …" in messages.
fn found_token(rest: &str) -> &str {
    let rest_line = rest.split(['\n', '\r']).next().unwrap_or("");
    let word_end = rest_line
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(rest_line.len());
    if word_end > 0 {
        &rest_line[..word_end]
    } else {
        rest_line.chars().next().map(|c| &rest_line[..c.len_utf8()]).unwrap_or("")
    }
}

/// Human descriptions of what the grammar expected, deduplicated, in a stable order.
fn describe_rules(rules: &[Rule]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in rules {
        let d = describe(*r);
        if !seen.contains(&d) {
            seen.push(d);
        }
    }
    match seen.len() {
        0 => "something else".to_string(),
        1 => seen.remove(0),
        _ => {
            let last = seen.pop().unwrap();
            format!("{} or {}", seen.join(", "), last)
        }
    }
}

fn describe(rule: Rule) -> String {
    let name = format!("{rule:?}");
    if let Some(kw) = name.strip_prefix("kw_") {
        return format!("`{kw}`");
    }
    let text = match rule {
        Rule::EOI => "the end of the statement",
        Rule::item | Rule::role_item => "a declaration (`role`, `user`, `template`, `schema`, `let`, …)",
        Rule::role_stmt => "a role statement (`member of`, `grant`, `set`, an attribute, …)",
        Rule::schema_stmt => "`owner`, `creators`, `tags` or `comment`",
        Rule::object_stmt => "`tags` or `comment`",
        Rule::defaults_stmt => "`grant` or `revoke`",
        Rule::public_stmt => "`grant` or `revoke`",
        Rule::policy_stmt => "a policy rule (`exclusive`, `max`, `forbid`, `warn`, …)",
        Rule::name | Rule::quoted | Rule::qname => "a name",
        Rule::ident => "a name",
        Rule::string => "a string in double quotes",
        Rule::value => "a value",
        Rule::int | Rule::signed_int | Rule::int_value => "a number",
        Rule::privileges | Rule::privilege => "a privilege (`select`, `usage`, `execute`, …)",
        Rule::target => "an object (`table`, `schema`, `tables in schema`, …)",
        Rule::member_target => "a role name",
        Rule::member_option => "a membership option (`with admin option`, `noinherit`, `until`, …)",
        Rule::attribute => "a role attribute (`login`, `createdb`, …)",
        Rule::without_body => "`member of`, `grant`, `set` or an attribute",
        Rule::param => "a parameter (`name: type`)",
        Rule::param_type => "a parameter type (`role`, `schema`, `string`, `int`, `duration`, `list`)",
        Rule::arg => "an argument",
        Rule::template_call => "a template call (`name(…)`)",
        Rule::default_kind => "`tables`, `sequences`, `functions`, `routines`, `types` or `schemas`",
        Rule::bulk_kind => "`tables`, `sequences`, `functions` or `routines`",
        Rule::grantee => "a role name or `public`",
        Rule::grant_option => "`with grant option`",
        Rule::cidr => "an address range such as `10.0.0.0/8`",
        Rule::func_args => "argument types in parentheses",
        Rule::type_name | Rule::type_word => "a type name",
        Rule::scope => "`users`, `roles`, `all`, a glob or a list",
        Rule::role_block
        | Rule::schema_block
        | Rule::object_block
        | Rule::defaults_block
        | Rule::public_block
        | Rule::policy_block
        | Rule::for_block => "`{`",
        Rule::role_template => "`:`",
        Rule::role_extends => "`extends`",
        Rule::with_admin => "`with admin option`",
        Rule::std_path => "`std.module`",
        Rule::doc_comment => "a doc comment",
        Rule::scope_users => "`users`",
        Rule::scope_roles => "`roles`",
        Rule::scope_all => "`all`",
        Rule::warn_flag => "`warn`",
        Rule::timestamp => "a date or timestamp",
        Rule::duration => "a duration such as `4h`",
        Rule::list => "a list",
        Rule::object_kind => "`table`, `view`, `sequence` or `function`",
        _ => return name.replace('_', " "),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_character_in_a_string_is_refused_where_it_stands() {
        for (text, column) in
            [("role \"a\0b\" {}\n", 7), ("role \"a\\0b\" {}\n", 7), ("role r { comment \"\\\0\" }\n", 18)]
        {
            let parsed = parse(text, FileId(0));
            let codes: Vec<(Code, u32)> = parsed.diagnostics.iter().map(|d| (d.code, d.primary.span.start)).collect();
            assert_eq!(codes.len(), 1, "{text:?}: {codes:?}");
            assert_eq!(codes[0].0, Code::InvalidValue, "{text:?}");
            assert_eq!(
                &text[column as usize..column as usize + 1],
                if text.contains("\\") { "\\" } else { "\0" },
                "{text:?}: {codes:?}"
            );
        }
    }

    #[test]
    fn unicode_escapes_read_a_character_or_are_refused_where_they_stand() {
        let name = |text: &str| format!("{:?}", parse(text, FileId(0)).ast);
        assert!(name("role \"a\\u{1b}b\\rc\" {}\n").contains(r#""a\u{1b}b\rc""#));
        // `\u` without a brace is still the letter, as any other escaped character.
        assert!(name("role \"\\uv\" {}\n").contains(r#""uv""#));
        for text in [
            "role \"a\\u{}\" {}\n",
            "role \"a\\u{110000}\" {}\n",
            "role \"a\\u{d800}\" {}\n",
            "role \"a\\u{zz}\" {}\n",
            "role \"a\\u{1b\" {}\n",
            "role \"a\\u{0}\" {}\n",
        ] {
            let parsed = parse(text, FileId(0));
            let found: Vec<(Code, u32)> = parsed.diagnostics.iter().map(|d| (d.code, d.primary.span.start)).collect();
            assert_eq!(found, vec![(Code::InvalidValue, 7)], "{text:?}");
        }
    }
}
