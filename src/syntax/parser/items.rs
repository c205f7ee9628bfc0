//! Top-level declarations (`role`, `template`, `schema`, `for`, `policy`, …) and the rules of
//! `policy` blocks.

use pest::iterators::Pair;

use super::values::{doc_text, literal_text, parse_attribute};
use super::{child, children, choice, Builder, Rule};
use crate::syntax::ast::*;
use crate::syntax::MAX_DEPTH;

impl Builder<'_> {
    /// An `item` pair: its declaration, or an `Error` item when it cannot be read.
    pub(super) fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        let kind = match self.item_kind(pair, span) {
            Some(kind) => kind,
            None => {
                self.unreadable(span);
                ItemKind::Error
            }
        };
        Item { span, kind }
    }

    /// The items of a `for` or `in database` block.
    fn block_items(&mut self, block: Pair<'_, Rule>) -> Vec<Item> {
        self.check_closed(&block);
        let mut items = Vec::new();
        for c in block.into_inner() {
            match c.as_rule() {
                Rule::item => items.push(self.item(c)),
                Rule::bad_item_in_block => items.push(self.bad(c, Rule::item_alone)),
                _ => {}
            }
        }
        items
    }

    fn item_kind(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<ItemKind> {
        let p = choice(pair)?;
        let kind = match p.as_rule() {
            Rule::role_item => ItemKind::Role(self.role_item(p)?),
            Rule::template_item => ItemKind::Template(self.template_item(p)?),
            Rule::let_item => {
                let name = self.ident(child(&p, Rule::ident)?);
                let value = self.value(child(&p, Rule::value)?)?;
                ItemKind::Let(LetDecl { name, value })
            }
            Rule::for_item if self.depth >= MAX_DEPTH => {
                self.too_deep(span, "`for` loops");
                ItemKind::Error
            }
            Rule::for_item => {
                let (var, iter, block) =
                    (child(&p, Rule::ident)?, child(&p, Rule::value)?, child(&p, Rule::for_block)?);
                // The list iterated over counts as nested in the loop.
                self.depth += 1;
                let var = self.ident(var);
                let iter = self.value(iter);
                let items = self.block_items(block);
                self.depth -= 1;
                ItemKind::For(ForLoop { var, iter: iter?, items })
            }
            Rule::in_database_item if self.depth >= MAX_DEPTH => {
                self.too_deep(span, "blocks");
                ItemKind::Error
            }
            Rule::in_database_item => {
                let (name, block) = (child(&p, Rule::name)?, child(&p, Rule::for_block)?);
                self.depth += 1;
                let name = self.name(name);
                let items = self.block_items(block);
                self.depth -= 1;
                ItemKind::InDatabase(name?, items)
            }
            Rule::databases_item => {
                ItemKind::Databases(children(&p, Rule::name).map(|n| self.name(n)).collect::<Option<_>>()?)
            }
            Rule::import_item => {
                let target = p.into_inner().find(|c| matches!(c.as_rule(), Rule::std_path | Rule::string))?;
                match target.as_rule() {
                    Rule::std_path => ItemKind::Import(Import::Std(target.as_str().strip_prefix("std.")?.to_string())),
                    _ => ItemKind::Import(Import::Path(literal_text(&self.template(target)?))),
                }
            }
            Rule::external_item => {
                ItemKind::External(children(&p, Rule::name).map(|n| self.name(n)).collect::<Option<_>>()?)
            }
            Rule::manage_item => {
                ItemKind::Manage(children(&p, Rule::string).map(|s| self.template(s)).collect::<Option<_>>()?)
            }
            Rule::schema_item => {
                let mut docs = Vec::new();
                let mut name = None;
                let mut body = Vec::new();
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::doc_comment => docs.push(doc_text(&c)),
                        Rule::name => name = Some(self.name(c)?),
                        Rule::schema_block => body = self.block(c, Rule::bad_schema_stmt, Rule::schema_stmt_alone),
                        _ => {}
                    }
                }
                ItemKind::Schema(SchemaDecl { docs, name: name?, body })
            }
            Rule::object_item => {
                let kind = match child(&p, Rule::object_kind)?.as_str() {
                    "table" => ObjectKind::Table,
                    "view" => ObjectKind::View,
                    "sequence" => ObjectKind::Sequence,
                    _ => ObjectKind::Function,
                };
                let name = self.qname(child(&p, Rule::qname)?)?;
                let mut args = None;
                let mut body = Vec::new();
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::func_args => args = Some(self.func_args(c)?),
                        Rule::object_block => body = self.block(c, Rule::bad_object_stmt, Rule::object_stmt_alone),
                        _ => {}
                    }
                }
                ItemKind::Object(ObjectDecl { kind, name, args, body })
            }
            Rule::defaults_item => ItemKind::Defaults(self.defaults_item(p)?),
            Rule::public_item => {
                let block = child(&p, Rule::public_block)?;
                ItemKind::Public(self.block(block, Rule::bad_public_stmt, Rule::public_stmt_alone))
            }
            Rule::policy_item => ItemKind::Policy(self.policy_item(p)?),
            Rule::grant_item => {
                let grantees = children(&p, Rule::grantee).map(|g| self.grantee(g)).collect::<Option<_>>()?;
                ItemKind::Grant(self.grant(p)?, grantees)
            }
            Rule::grant_role_item => {
                let roles = children(&p, Rule::name).map(|n| self.name(n)).collect::<Option<_>>()?;
                ItemKind::GrantRole(roles, self.member_stmt(p)?)
            }
            _ => return None,
        };
        Some(kind)
    }

    fn role_item(&mut self, p: Pair<'_, Rule>) -> Option<RoleDecl> {
        let mut decl = RoleDecl {
            is_user: false,
            docs: Vec::new(),
            name: Name { span: self.span(&p), kind: NameKind::Bare(String::new()) },
            from_template: None,
            extends: None,
            body: Vec::new(),
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::doc_comment => decl.docs.push(doc_text(&c)),
                Rule::kw_user => decl.is_user = true,
                Rule::kw_role => {}
                Rule::name => decl.name = self.name(c)?,
                Rule::role_template => decl.from_template = Some(self.template_use(&c)?),
                Rule::role_extends => decl.extends = Some(self.name(child(&c, Rule::name)?)?),
                Rule::role_block => decl.body = self.block(c, Rule::bad_role_stmt, Rule::role_stmt_alone),
                _ => {}
            }
        }
        Some(decl)
    }

    fn template_item(&mut self, p: Pair<'_, Rule>) -> Option<TemplateDecl> {
        let mut decl = TemplateDecl {
            docs: Vec::new(),
            name: Ident { span: self.span(&p), text: String::new() },
            params: Vec::new(),
            body: Vec::new(),
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::doc_comment => decl.docs.push(doc_text(&c)),
                Rule::ident => decl.name = self.ident(c),
                Rule::param => {
                    let span = self.span(&c);
                    let name = self.ident(child(&c, Rule::ident)?);
                    let ty = match child(&c, Rule::param_type)?.as_str() {
                        "role" => ParamType::Role,
                        "schema" => ParamType::Schema,
                        "string" => ParamType::String,
                        "int" => ParamType::Int,
                        "duration" => ParamType::Duration,
                        _ => ParamType::List,
                    };
                    let default = match child(&c, Rule::value) {
                        Some(v) => Some(self.value(v)?),
                        None => None,
                    };
                    decl.params.push(Param { span, name, ty, default });
                }
                Rule::role_block => decl.body = self.block(c, Rule::bad_role_stmt, Rule::role_stmt_alone),
                _ => {}
            }
        }
        Some(decl)
    }

    fn defaults_item(&mut self, p: Pair<'_, Rule>) -> Option<DefaultsBlock> {
        let mut block = DefaultsBlock { for_roles: Vec::new(), in_schemas: Vec::new(), entries: Vec::new() };
        let mut in_schema = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_schema => in_schema = true,
                Rule::name if in_schema => block.in_schemas.push(self.name(c)?),
                Rule::name => block.for_roles.push(self.name(c)?),
                Rule::defaults_block => {
                    self.check_closed(&c);
                    for s in c.into_inner() {
                        match s.as_rule() {
                            Rule::defaults_stmt => match choice(s.clone()).and_then(|e| self.default_entry(e)) {
                                Some(entry) => block.entries.push(entry),
                                None => self.unreadable(self.tight_span(&s)),
                            },
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
        Some(block)
    }

    fn default_entry(&mut self, p: Pair<'_, Rule>) -> Option<DefaultEntry> {
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
        for c in p.into_inner() {
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
                Rule::grantee => entry.grantees.push(self.grantee(c)?),
                Rule::grant_option => entry.grant_option = true,
                _ => {}
            }
        }
        Some(entry)
    }

    /// A `grantee` pair: `public` or a role.
    pub(super) fn grantee(&mut self, p: Pair<'_, Rule>) -> Option<Grantee> {
        let c = choice(p)?;
        match c.as_rule() {
            Rule::kw_public => Some(Grantee::Public(self.span(&c))),
            Rule::name => Some(Grantee::Role(self.name(c)?)),
            _ => None,
        }
    }

    fn policy_item(&mut self, p: Pair<'_, Rule>) -> Option<PolicyDecl> {
        let mut decl = PolicyDecl {
            docs: Vec::new(),
            name: Ident { span: self.span(&p), text: String::new() },
            applies_to: None,
            rules: Vec::new(),
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::doc_comment => decl.docs.push(doc_text(&c)),
                Rule::ident => decl.name = self.ident(c),
                Rule::applies_to => decl.applies_to = Some(self.scope(child(&c, Rule::scope)?)?),
                Rule::policy_block => {
                    self.check_closed(&c);
                    for s in c.into_inner() {
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
        Some(decl)
    }

    fn scope(&mut self, p: Pair<'_, Rule>) -> Option<Scope> {
        let c = choice(p)?;
        let scope = match c.as_rule() {
            Rule::scope_users => Scope::Users,
            Rule::scope_roles => Scope::Roles,
            Rule::scope_all => Scope::All,
            Rule::name_list_bracketed => Scope::Targets(
                children(&c, Rule::name).map(|n| self.name(n).map(MemberTarget::Name)).collect::<Option<_>>()?,
            ),
            Rule::member_target => Scope::Targets(vec![self.member_target(c)?]),
            _ => return None,
        };
        Some(scope)
    }

    /// A `policy_stmt` pair: its rule, or `None` (and a diagnostic) when it cannot be read.
    fn rule(&mut self, p: Pair<'_, Rule>) -> Option<PolicyRule> {
        let span = self.tight_span(&p);
        let warn = child(&p, Rule::warn_flag).is_some();
        let kind = p.into_inner().find(|c| c.as_rule() != Rule::warn_flag).and_then(|c| self.rule_kind(c));
        match kind {
            Some(kind) => Some(PolicyRule { span, warn, kind }),
            None => {
                self.unreadable(span);
                None
            }
        }
    }

    fn rule_kind(&mut self, c: Pair<'_, Rule>) -> Option<RuleKind> {
        let kind = match c.as_rule() {
            Rule::rule_exclusive => {
                RuleKind::Exclusive(children(&c, Rule::name).map(|n| self.name(n)).collect::<Option<_>>()?)
            }
            Rule::rule_max => {
                let what = c.clone().into_inner().find(|x| {
                    matches!(
                        x.as_rule(),
                        Rule::max_schemas | Rule::max_tables | Rule::max_admin | Rule::max_tables_tagged
                    )
                })?;
                let n = self.uint(child(&c, Rule::int)?);
                match what.as_rule() {
                    Rule::max_schemas => RuleKind::MaxSchemas(n),
                    Rule::max_tables => RuleKind::MaxTables(n),
                    Rule::max_admin => RuleKind::MaxAdminRights(n),
                    _ => RuleKind::MaxTablesTagged(self.name(child(&what, Rule::name)?)?, n),
                }
            }
            Rule::rule_forbid => {
                let attribute = parse_attribute(child(&c, Rule::attribute)?.as_str());
                let except = children(&c, Rule::member_target).map(|t| self.member_target(t)).collect::<Option<_>>()?;
                RuleKind::Forbid { attribute, except }
            }
            Rule::rule_forbid_grant => {
                let mut privs = Vec::new();
                let mut target = None;
                for x in c.into_inner() {
                    match x.as_rule() {
                        Rule::privileges => privs = self.privileges(x),
                        Rule::target => target = Some(self.target(x)?),
                        _ => {}
                    }
                }
                RuleKind::ForbidGrantToPublic { privs, target: target? }
            }
            Rule::rule_deeper => RuleKind::MembershipsDeeperThan(self.uint(child(&c, Rule::int)?)),
            _ => return None,
        };
        Some(kind)
    }
}
