//! The statements of role, schema, object and `public` blocks; grants and what they are on.

use pest::iterators::Pair;

use super::values::parse_attribute;
use super::{child, children, choice, Builder, Rule};
use crate::syntax::ast::*;

impl Builder<'_> {
    /// The statements of a block; text matched by `bad_rule` is explained by parsing it alone
    /// with `alone`.
    pub(super) fn block(&mut self, p: Pair<'_, Rule>, bad_rule: Rule, alone: Rule) -> Vec<Stmt> {
        self.check_closed(&p);
        let mut out = Vec::new();
        for c in p.into_inner() {
            let r = c.as_rule();
            if r == bad_rule {
                out.push(self.bad_stmt(c, alone));
            } else if matches!(r, Rule::role_stmt | Rule::schema_stmt | Rule::object_stmt | Rule::public_stmt) {
                out.push(self.stmt(c));
            }
        }
        // Trees are kept for as long as the policy is: no room for statements that never come.
        out.shrink_to_fit();
        out
    }

    /// A statement pair (`role_stmt`, `public_stmt`, …): its statement, or an `Error` statement
    /// when it cannot be read.
    pub(super) fn stmt(&mut self, p: Pair<'_, Rule>) -> Stmt {
        let span = self.tight_span(&p);
        let kind = match self.stmt_kind(p, span) {
            Some(kind) => kind,
            None => {
                self.unreadable(span);
                StmtKind::Error
            }
        };
        Stmt { span, kind }
    }

    fn stmt_kind(&mut self, p: Pair<'_, Rule>, span: Span) -> Option<StmtKind> {
        let c = choice(p)?;
        let kind = match c.as_rule() {
            Rule::member_stmt => StmtKind::MemberOf(Box::new(self.member_stmt(c)?)),
            Rule::without_stmt => StmtKind::Without(self.without(child(&c, Rule::without_body)?, Some(span))?),
            Rule::attribute => StmtKind::Attribute(parse_attribute(c.as_str())),
            Rule::connection_limit => {
                let n = child(&c, Rule::signed_int)?;
                match n.as_str().parse::<i64>() {
                    Ok(v) => StmtKind::ConnectionLimit(v),
                    Err(_) => {
                        self.syntax(self.span(&n), "the connection limit is too large");
                        StmtKind::Error
                    }
                }
            }
            Rule::valid_until => StmtKind::ValidUntil(self.value(child(&c, Rule::value)?)?),
            Rule::password_stmt => {
                let v = c
                    .into_inner()
                    .find(|v| matches!(v.as_rule(), Rule::secret_call | Rule::scram_password | Rule::string))?;
                StmtKind::Password(match v.as_rule() {
                    Rule::secret_call => Password::Secret(self.template(child(&v, Rule::string)?)?),
                    Rule::scram_password => Password::Scram(self.template(child(&v, Rule::string)?)?),
                    _ => Password::Plaintext(self.span(&v)),
                })
            }
            Rule::set_stmt => {
                let mut param = None;
                let mut value = None;
                let mut database = None;
                for x in c.into_inner() {
                    match x.as_rule() {
                        Rule::param_name => param = Some(self.ident(x)),
                        Rule::value => value = Some(self.value(x)?),
                        Rule::name => database = Some(self.name(x)?),
                        _ => {}
                    }
                }
                StmtKind::Set { param: param?, value: value?, database }
            }
            Rule::comment_stmt => StmtKind::Comment(self.template(child(&c, Rule::string)?)?),
            Rule::tags_stmt => StmtKind::Tags(self.bracketed_names(&c)?),
            Rule::grant_stmt | Rule::public_grant => StmtKind::Grant(self.grant(c)?),
            Rule::revoke_stmt | Rule::public_revoke => StmtKind::Revoke(self.grant(c)?),
            Rule::use_stmt => StmtKind::Use(self.template_use(&c)?),
            Rule::connect_stmt => {
                let mut cidr = None;
                let mut database = None;
                for x in c.into_inner() {
                    match x.as_rule() {
                        Rule::cidr => cidr = Some(self.ident(x)),
                        Rule::name => database = Some(self.name(x)?),
                        _ => {}
                    }
                }
                StmtKind::ConnectFrom { cidr: cidr?, database }
            }
            Rule::owner_stmt => StmtKind::Owner(self.name(child(&c, Rule::name)?)?),
            Rule::creators_stmt => StmtKind::Creators(self.bracketed_names(&c)?),
            _ => return None,
        };
        Some(kind)
    }

    /// The names of the `[…]` list of `p` (`tags`, `creators`).
    fn bracketed_names(&mut self, p: &Pair<'_, Rule>) -> Option<Vec<Name>> {
        let list = child(p, Rule::name_list_bracketed)?;
        children(&list, Rule::name).map(|n| self.name(n)).collect()
    }

    /// The targets and options of a `member_stmt` (or of a `grant_role_item`: its members).
    pub(super) fn member_stmt(&mut self, p: Pair<'_, Rule>) -> Option<MemberOf> {
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
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::member_target => m.targets.push(self.member_target(c)?),
                Rule::member_option => {
                    let o = choice(c)?;
                    match o.as_rule() {
                        Rule::with_admin => m.admin = true,
                        Rule::opt_noinherit => m.inherit = Some(false),
                        Rule::opt_inherit => m.inherit = Some(true),
                        Rule::opt_noset => m.set = Some(false),
                        Rule::window_from => m.from = Some(self.value(child(&o, Rule::value)?)?),
                        Rule::window_until => m.until = Some(self.value(child(&o, Rule::value)?)?),
                        Rule::window_for => m.duration = Some(self.value(child(&o, Rule::value)?)?),
                        Rule::reason => m.reason = Some(self.template(child(&o, Rule::string)?)?),
                        Rule::condition => m.conditions.push(self.span(&o)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Some(m)
    }

    /// A `member_target` pair, or one of its alternatives.
    pub(super) fn member_target(&mut self, p: Pair<'_, Rule>) -> Option<MemberTarget> {
        let c = if p.as_rule() == Rule::member_target { choice(p)? } else { p };
        let target = match c.as_rule() {
            Rule::all_roles => MemberTarget::AllRoles(self.span(&c)),
            Rule::glob => MemberTarget::Glob { span: self.span(&c), pattern: c.as_str().to_string() },
            _ => MemberTarget::Name(self.name(c)?),
        };
        Some(target)
    }

    /// `body` is a `without_body` pair; `span` overrides the clause span when known.
    fn without(&mut self, body: Pair<'_, Rule>, span: Option<Span>) -> Option<Without> {
        let body = if body.as_rule() == Rule::without_body { choice(body)? } else { body };
        let span = span.unwrap_or_else(|| self.span(&body));
        let without = match body.as_rule() {
            Rule::without_member => Without::MemberOf(
                span,
                children(&body, Rule::member_target).map(|t| self.member_target(t)).collect::<Option<_>>()?,
            ),
            Rule::without_grant => Without::Grant(span, self.grant(body)?),
            Rule::without_set => Without::Set(span, self.ident(child(&body, Rule::param_name)?)),
            Rule::attribute => Without::Attribute(span, parse_attribute(body.as_str())),
            _ => return None,
        };
        Some(without)
    }

    /// `name(args) without …`: the template use of a `role_template` (`role r: t(…)`) or
    /// `use_stmt` pair.
    pub(super) fn template_use(&mut self, p: &Pair<'_, Rule>) -> Option<TemplateUse> {
        let mut call = self.template_call(child(p, Rule::template_call)?)?;
        call.without = children(p, Rule::without_clause)
            .map(|w| self.without(child(&w, Rule::without_body)?, None))
            .collect::<Option<_>>()?;
        Some(call)
    }

    fn template_call(&mut self, p: Pair<'_, Rule>) -> Option<TemplateUse> {
        let span = self.span(&p);
        let name = self.ident(child(&p, Rule::ident)?);
        let args = children(&p, Rule::arg)
            .map(|a| {
                let span = self.span(&a);
                let value = self.value(child(&a, Rule::value)?)?;
                let name = child(&a, Rule::ident).map(|n| self.ident(n));
                Some(Arg { span, name, value })
            })
            .collect::<Option<_>>()?;
        Some(TemplateUse { span, name, args, without: Vec::new() })
    }

    /// The privileges, target and grant option of a grant or revoke pair (of any kind).
    pub(super) fn grant(&mut self, p: Pair<'_, Rule>) -> Option<Grant> {
        let mut g = Grant {
            privs: Vec::new(),
            target: Target {
                span: self.span(&p),
                kind: TargetKind::Schema(Name { span: self.span(&p), kind: NameKind::Bare(String::new()) }),
            },
            grant_option: false,
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::privileges => g.privs = self.privileges(c),
                Rule::target => g.target = self.target(c)?,
                Rule::grant_option => g.grant_option = true,
                _ => {}
            }
        }
        Some(g)
    }

    pub(super) fn privileges(&mut self, p: Pair<'_, Rule>) -> Vec<PrivSpan> {
        children(&p, Rule::privilege)
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

    pub(super) fn target(&mut self, p: Pair<'_, Rule>) -> Option<Target> {
        let span = self.span(&p);
        let c = choice(p)?;
        let kind = match c.as_rule() {
            Rule::column_target => {
                let mut columns = Vec::new();
                let mut table = None;
                for x in c.into_inner() {
                    match x.as_rule() {
                        Rule::name => columns.push(self.name(x)?),
                        Rule::qname => table = Some(self.qname(x)?),
                        _ => {}
                    }
                }
                TargetKind::Columns { columns, table: table? }
            }
            Rule::bulk_target => {
                let kind = match child(&c, Rule::bulk_kind)?.as_str() {
                    "tables" => BulkKind::Tables,
                    "sequences" => BulkKind::Sequences,
                    "functions" => BulkKind::Functions,
                    _ => BulkKind::Routines,
                };
                TargetKind::AllIn { kind, schema: self.name(child(&c, Rule::name)?)? }
            }
            Rule::table_target => TargetKind::Table(self.qname(child(&c, Rule::qname)?)?),
            Rule::view_target => TargetKind::View(self.qname(child(&c, Rule::qname)?)?),
            Rule::sequence_target => TargetKind::Sequence(self.qname(child(&c, Rule::qname)?)?),
            Rule::function_target => {
                let q = self.qname(child(&c, Rule::qname)?)?;
                let args = self.func_args(child(&c, Rule::func_args)?)?;
                TargetKind::Function(q, args)
            }
            Rule::schema_target => TargetKind::Schema(self.name(child(&c, Rule::name)?)?),
            Rule::database_target => TargetKind::Database(self.name(child(&c, Rule::name)?)?),
            Rule::type_target => TargetKind::Type(self.qname(child(&c, Rule::qname)?)?),
            Rule::domain_target => TargetKind::Domain(self.qname(child(&c, Rule::qname)?)?),
            _ => return None,
        };
        Some(Target { span, kind })
    }

    /// The argument types of a `func_args` pair (`function f(int, text)`).
    pub(super) fn func_args(&mut self, p: Pair<'_, Rule>) -> Option<Vec<TypeName>> {
        children(&p, Rule::type_name).map(|t| self.type_name(t)).collect()
    }

    fn type_name(&mut self, t: Pair<'_, Rule>) -> Option<TypeName> {
        let span = self.span(&t);
        let mut ty = TypeName { span, schema: None, words: Vec::new(), modifier: Vec::new(), array_dims: 0 };
        // `schema.type`: the first two words with a `.` between them (quoted or not).
        let (text, offset) = (t.as_str(), t.as_span().start());
        let mut has_dot = false;
        let mut first_word_end = None;
        let mut words = Vec::new();
        for x in t.into_inner() {
            match x.as_rule() {
                Rule::type_word => {
                    let (start, end) = (x.as_span().start(), x.as_span().end());
                    if let (Some(prev), 1) = (first_word_end, words.len()) {
                        has_dot = text.get(prev - offset..start - offset).is_some_and(|between| between.trim() == ".");
                    }
                    first_word_end.get_or_insert(end);
                    words.push(self.name(choice(x)?)?);
                }
                Rule::type_modifier => {
                    ty.modifier = children(&x, Rule::int).map(|n| n.as_str().parse().unwrap_or(u32::MAX)).collect()
                }
                Rule::array_suffix => ty.array_dims += 1,
                _ => {}
            }
        }
        if has_dot && words.len() >= 2 {
            ty.schema = Some(words.remove(0));
        }
        ty.words = words;
        Some(ty)
    }
}
