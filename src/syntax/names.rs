//! Where names occur in a syntax tree: every definition and reference of a role, template,
//! schema, variable (`let`, template parameter, `for` variable) and import, with its span.
//! Used by the language server for definitions, references and rename.
//!
//! The rules follow the resolver's: a bare name is folded to lower case unless a variable of
//! that name is in scope (then it is a reference to the variable); a quoted name is kept as
//! written, and one with `{var}` parts names no fixed role (only its variables are found).

use std::collections::HashMap;

use super::ast::*;
use super::Span;

/// What a name stands for. Two occurrences name the same thing when their symbols are equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A role or user, by its name as PostgreSQL sees it.
    Role(String),
    Template(String),
    Schema(String),
    /// A `let`, template parameter or `for` variable, identified by its definition.
    Variable {
        name: String,
        def: Span,
    },
    /// An `import "path"` (the path as written); the span is the whole import.
    Import(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub span: Span,
    /// A declaration (`role x`, `external role x`, `template t`, `let v`, a parameter).
    pub def: bool,
}

/// What every file of a policy sees: the `let`s (global) and the templates' parameters.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    pub lets: Vec<(String, Span)>,
    pub templates: HashMap<String, Vec<(String, ParamType, Span)>>,
}

impl Globals {
    /// Adds the `let`s and templates of one file.
    pub fn add(&mut self, ast: &SourceAst) {
        for item in &ast.items {
            self.add_item(item);
        }
    }

    fn add_item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Let(l) => self.lets.push((l.name.text.clone(), l.name.span)),
            ItemKind::Template(t) => {
                let params = t.params.iter().map(|p| (p.name.text.clone(), p.ty, p.name.span)).collect();
                self.templates.entry(t.name.text.clone()).or_insert(params);
            }
            ItemKind::For(f) => f.items.iter().for_each(|i| self.add_item(i)),
            ItemKind::InDatabase(_, items) => items.iter().for_each(|i| self.add_item(i)),
            // `databases a, b` is also the list variable `databases`.
            ItemKind::Databases(names) => {
                if let Some(first) = names.first() {
                    self.lets.push(("databases".to_string(), first.span));
                }
            }
            _ => {}
        }
    }
}

/// Every occurrence of a name in one file, in source order of the walk.
pub fn occurrences(ast: &SourceAst, globals: &Globals) -> Vec<Occurrence> {
    let mut w = Walker { globals, vars: globals.lets.clone(), out: Vec::new() };
    for item in &ast.items {
        w.item(item);
    }
    w.out
}

/// A name as PostgreSQL sees it, when it does not depend on a variable.
pub fn literal_name(n: &Name) -> Option<String> {
    match &n.kind {
        NameKind::Bare(w) => Some(w.to_ascii_lowercase()),
        NameKind::Quoted(t) => literal_template(t),
    }
}

fn literal_template(t: &Template) -> Option<String> {
    let mut s = String::new();
    for p in &t.parts {
        match p {
            StrPart::Lit(l) => s.push_str(l),
            StrPart::Var(_) => return None,
        }
    }
    Some(s)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NameOf {
    Role,
    Schema,
    /// A database, column, object or tag: no symbol, but it may be a variable.
    Other,
}

struct Walker<'g> {
    globals: &'g Globals,
    /// Variables in scope, innermost last.
    vars: Vec<(String, Span)>,
    out: Vec<Occurrence>,
}

impl Walker<'_> {
    fn push(&mut self, symbol: Symbol, span: Span, def: bool) {
        self.out.push(Occurrence { symbol, span, def });
    }

    fn var(&self, name: &str) -> Option<Span> {
        self.vars.iter().rev().find(|(n, _)| n == name).map(|(_, s)| *s)
    }

    fn scoped(&mut self, bindings: impl IntoIterator<Item = (String, Span)>, f: impl FnOnce(&mut Self)) {
        let n = self.vars.len();
        self.vars.extend(bindings);
        f(self);
        self.vars.truncate(n);
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Role(d) => {
                self.name(&d.name, NameOf::Role, true);
                if let Some(t) = &d.from_template {
                    self.template_use(t);
                }
                if let Some(e) = &d.extends {
                    self.name(e, NameOf::Role, false);
                }
                self.stmts(&d.body);
            }
            ItemKind::Template(t) => {
                self.push(Symbol::Template(t.name.text.clone()), t.name.span, true);
                for p in &t.params {
                    self.push(Symbol::Variable { name: p.name.text.clone(), def: p.name.span }, p.name.span, true);
                    if let Some(v) = &p.default {
                        self.value(v);
                    }
                }
                let params = t.params.iter().map(|p| (p.name.text.clone(), p.name.span));
                self.scoped(params, |w| w.stmts(&t.body));
            }
            ItemKind::Let(l) => {
                self.push(Symbol::Variable { name: l.name.text.clone(), def: l.name.span }, l.name.span, true);
                self.value(&l.value);
            }
            ItemKind::For(f) => {
                self.value(&f.iter);
                self.push(Symbol::Variable { name: f.var.text.clone(), def: f.var.span }, f.var.span, true);
                self.scoped([(f.var.text.clone(), f.var.span)], |w| f.items.iter().for_each(|i| w.item(i)));
            }
            ItemKind::Import(Import::Path(p)) => self.push(Symbol::Import(p.clone()), item.span, false),
            ItemKind::Import(Import::Std(_)) | ItemKind::Manage(_) | ItemKind::Databases(_) | ItemKind::Error => {}
            ItemKind::InDatabase(_, items) => items.iter().for_each(|i| self.item(i)),
            ItemKind::External(names) => names.iter().for_each(|n| self.name(n, NameOf::Role, true)),
            ItemKind::Schema(d) => {
                self.name(&d.name, NameOf::Schema, true);
                self.stmts(&d.body);
            }
            ItemKind::Object(d) => {
                self.qname(&d.name);
                self.stmts(&d.body);
            }
            ItemKind::Defaults(b) => {
                b.for_roles.iter().for_each(|n| self.name(n, NameOf::Role, false));
                b.in_schemas.iter().for_each(|n| self.name(n, NameOf::Schema, false));
                for e in &b.entries {
                    self.grantees(&e.grantees);
                }
            }
            ItemKind::Public(stmts) => self.stmts(stmts),
            ItemKind::Policy(p) => {
                if let Some(Scope::Targets(t)) = &p.applies_to {
                    self.targets(t);
                }
                for r in &p.rules {
                    match &r.kind {
                        RuleKind::Exclusive(names) => names.iter().for_each(|n| self.name(n, NameOf::Role, false)),
                        RuleKind::Forbid { except, .. } => self.targets(except),
                        RuleKind::ForbidGrantToPublic { target, .. } => self.target(target),
                        RuleKind::MaxTablesTagged(n, _) => self.name(n, NameOf::Other, false),
                        _ => {}
                    }
                }
            }
            ItemKind::Grant(g, grantees) => {
                self.target(&g.target);
                self.grantees(grantees);
            }
            ItemKind::GrantRole(roles, members) => {
                roles.iter().for_each(|n| self.name(n, NameOf::Role, false));
                self.member_of(members);
            }
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::MemberOf(m) => self.member_of(m),
            StmtKind::Without(w) => self.without(w),
            StmtKind::ValidUntil(v) => self.value(v),
            StmtKind::Password(Password::Secret(t) | Password::Scram(t)) | StmtKind::Comment(t) => self.template(t),
            StmtKind::Set { value, database, .. } => {
                self.value(value);
                if let Some(d) = database {
                    self.name(d, NameOf::Other, false);
                }
            }
            StmtKind::Tags(names) => names.iter().for_each(|n| self.name(n, NameOf::Other, false)),
            StmtKind::Grant(g) | StmtKind::Revoke(g) => self.target(&g.target),
            StmtKind::Use(u) => self.template_use(u),
            StmtKind::ConnectFrom { database: Some(d), .. } => self.name(d, NameOf::Other, false),
            StmtKind::Owner(n) => self.name(n, NameOf::Role, false),
            StmtKind::Creators(names) => names.iter().for_each(|n| self.name(n, NameOf::Role, false)),
            _ => {}
        }
    }

    fn member_of(&mut self, m: &MemberOf) {
        self.targets(&m.targets);
        for v in [&m.from, &m.until, &m.duration].into_iter().flatten() {
            self.value(v);
        }
        if let Some(r) = &m.reason {
            self.template(r);
        }
    }

    fn without(&mut self, w: &Without) {
        match w {
            Without::MemberOf(_, targets) => self.targets(targets),
            Without::Grant(_, g) => self.target(&g.target),
            Without::Set(..) | Without::Attribute(..) => {}
        }
    }

    fn targets(&mut self, targets: &[MemberTarget]) {
        for t in targets {
            if let MemberTarget::Name(n) = t {
                self.name(n, NameOf::Role, false);
            }
        }
    }

    fn grantees(&mut self, grantees: &[Grantee]) {
        for g in grantees {
            if let Grantee::Role(n) = g {
                self.name(n, NameOf::Role, false);
            }
        }
    }

    fn template_use(&mut self, u: &TemplateUse) {
        self.push(Symbol::Template(u.name.text.clone()), u.name.span, false);
        let params = self.globals.templates.get(&u.name.text).cloned().unwrap_or_default();
        for (i, arg) in u.args.iter().enumerate() {
            let param = match &arg.name {
                Some(n) => params.iter().find(|p| p.0 == n.text),
                None => params.get(i),
            };
            if let (Some(n), Some(p)) = (&arg.name, param) {
                self.push(Symbol::Variable { name: p.0.clone(), def: p.2 }, n.span, false);
            }
            // A role or schema passed as an argument is a reference to it.
            let kind = match param.map(|p| p.1) {
                Some(ParamType::Role) => Some(NameOf::Role),
                Some(ParamType::Schema) => Some(NameOf::Schema),
                _ => None,
            };
            match (&arg.value.kind, kind) {
                (ValueKind::Word(w), Some(kind)) if self.var(&w.text).is_none() => {
                    self.symbol(kind, w.text.to_ascii_lowercase(), w.span, false);
                }
                (ValueKind::Str(t), Some(kind)) if literal_template(t).is_some() => {
                    self.symbol(kind, literal_template(t).unwrap_or_default(), arg.value.span, false);
                }
                _ => self.value(&arg.value),
            }
        }
        for w in &u.without {
            self.without(w);
        }
    }

    fn symbol(&mut self, kind: NameOf, key: String, span: Span, def: bool) {
        match kind {
            NameOf::Role => self.push(Symbol::Role(key), span, def),
            NameOf::Schema => self.push(Symbol::Schema(key), span, def),
            NameOf::Other => {}
        }
    }

    fn name(&mut self, n: &Name, kind: NameOf, def: bool) {
        match &n.kind {
            NameKind::Bare(w) => match self.var(w) {
                Some(d) => self.push(Symbol::Variable { name: w.clone(), def: d }, n.span, false),
                None => self.symbol(kind, w.to_ascii_lowercase(), n.span, def),
            },
            NameKind::Quoted(t) => match literal_template(t) {
                Some(key) => self.symbol(kind, key, n.span, def),
                None => self.template(t),
            },
        }
    }

    fn qname(&mut self, q: &QName) {
        if let Some(s) = &q.schema {
            self.name(s, NameOf::Schema, false);
        }
        self.name(&q.name, NameOf::Other, false);
    }

    fn target(&mut self, t: &Target) {
        match &t.kind {
            TargetKind::Table(q)
            | TargetKind::View(q)
            | TargetKind::Sequence(q)
            | TargetKind::Type(q)
            | TargetKind::Domain(q)
            | TargetKind::Function(q, _) => self.qname(q),
            TargetKind::Schema(n) | TargetKind::AllIn { schema: n, .. } => self.name(n, NameOf::Schema, false),
            TargetKind::Database(n) => self.name(n, NameOf::Other, false),
            TargetKind::Columns { table, .. } => self.qname(table),
        }
    }

    fn template(&mut self, t: &Template) {
        for p in &t.parts {
            if let StrPart::Var(i) = p {
                if let Some(d) = self.var(&i.text) {
                    self.push(Symbol::Variable { name: i.text.clone(), def: d }, i.span, false);
                }
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match &v.kind {
            ValueKind::Str(t) => self.template(t),
            ValueKind::Word(i) => {
                if let Some(d) = self.var(&i.text) {
                    self.push(Symbol::Variable { name: i.text.clone(), def: d }, i.span, false);
                }
            }
            ValueKind::List(items) => items.iter().for_each(|v| self.value(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, FileId};

    fn symbols(text: &str) -> Vec<(Symbol, String, bool)> {
        let parsed = parse(text, FileId(0));
        let mut g = Globals::default();
        g.add(&parsed.ast);
        occurrences(&parsed.ast, &g)
            .into_iter()
            .map(|o| {
                let base = parsed.item_offsets[o.span.item as usize] as usize;
                (o.symbol, text[base + o.span.start as usize..base + o.span.end as usize].to_string(), o.def)
            })
            .collect()
    }

    #[test]
    fn roles_variables_and_templates() {
        let text = "let team = \"Ops\"\ntemplate reader(s: schema, boss: role) { grant usage on schema s; member of boss }\nrole Reader: reader(app, boss = admin) { member of \"admin\", team }\nschema app { owner admin }\n";
        let found = symbols(text);
        let role = |n: &str| Symbol::Role(n.to_string());
        assert!(found.contains(&(role("reader"), "Reader".into(), true)));
        assert!(found.contains(&(role("admin"), "admin".into(), false)));
        assert!(found.contains(&(role("admin"), "\"admin\"".into(), false)));
        assert!(found.contains(&(Symbol::Schema("app".into()), "app".into(), false)));
        assert!(found.contains(&(Symbol::Schema("app".into()), "app".into(), true)));
        assert!(found.contains(&(Symbol::Template("reader".into()), "reader".into(), false)));
        // `team` and `s` are variables, not roles or schemas.
        assert!(!found.iter().any(|(s, _, _)| *s == role("team") || *s == Symbol::Schema("s".into())));
        let vars: Vec<&String> =
            found.iter().filter(|(s, _, _)| matches!(s, Symbol::Variable { .. })).map(|(_, t, _)| t).collect();
        assert_eq!(vars, ["team", "s", "boss", "s", "boss", "boss", "team"]);
    }
}
