//! Syntax diagnostics: catch-alls explained by parsing their text alone, pest's errors worded
//! for people, unclosed blocks and nesting too deep.

use pest::iterators::Pair;
use pest::Parser as _;

use super::{Builder, RolecParser, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::*;

/// The diagnostic of text that cannot be read, where nothing more precise is known.
fn unreadable_text(span: Span) -> Diagnostic {
    Diagnostic::new(Code::Syntax, span, "this text cannot be read here").label("unexpected here")
}

impl Builder<'_> {
    /// A catch-all matched: explain it by parsing its text alone with `alone`.
    pub(super) fn bad(&mut self, pair: Pair<'_, Rule>, alone: Rule) -> Item {
        let span = self.span(&pair);
        let start = pair.as_span().start();
        let text = pair.as_str();
        if let Some(d) = self.unclosed(text, start) {
            self.diags.push(d);
            return Item { span, kind: ItemKind::Error };
        }
        let d = match RolecParser::parse(alone, text) {
            Err(err) => self.pest_error(err, start, text),
            Ok(_) => unreadable_text(span),
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

    pub(super) fn bad_stmt(&mut self, pair: Pair<'_, Rule>, alone: Rule) -> Stmt {
        let item = self.bad(pair, alone);
        Stmt { span: item.span, kind: StmtKind::Error }
    }

    pub(super) fn pest_error(&self, err: pest::error::Error<Rule>, offset: usize, text: &str) -> Diagnostic {
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
    pub(super) fn check_closed(&mut self, block: &Pair<'_, Rule>) {
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

    /// A `for` or list nested deeper than [`crate::syntax::MAX_DEPTH`]: reported, and left out, so
    /// that every later pass over the tree recurses a bounded depth.
    pub(super) fn too_deep(&mut self, span: Span, what: &str) {
        let d = Diagnostic::new(
            Code::Syntax,
            span,
            format!("{what} nest more than {} levels deep here", crate::syntax::MAX_DEPTH),
        )
        .label("nested too deeply")
        .help("flatten the nesting");
        self.diags.push(d);
    }

    pub(super) fn syntax(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(Code::Syntax, span, message));
    }

    /// Text the grammar matched but the builder could not read: a child the grammar promises
    /// is missing (only a change of the grammar could do that). Its item or statement becomes
    /// an `Error` node with this diagnostic, so that such a change cannot make parsing panic.
    pub(super) fn unreadable(&mut self, span: Span) {
        self.diags.push(unreadable_text(span));
    }
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
    match seen.as_slice() {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {}", rest.join(", "), last),
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
