//! What a limit counted for one role, and its diagnostics (E035/W035 over the limit, W036
//! unprovable).

use crate::analysis::privileges::ObjectRef;
use std::collections::BTreeMap;

use crate::analysis::membership::Chain;
use crate::analysis::privileges::Grounds;
use crate::analysis::rules::origins::Origins;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Policy, PolicyRule, Role, RuleKind};
use crate::syntax::Span;

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit<'a> {
    Schemas,
    Tables,
    Tagged(&'a str),
}

impl<'a> Limit<'a> {
    /// The limit of a rule, with its maximum; `None` for the other rules.
    pub fn of(rule: &'a RuleKind) -> Option<(Limit<'a>, u64)> {
        match rule {
            RuleKind::MaxSchemas(n) => Some((Limit::Schemas, *n)),
            RuleKind::MaxTables(n) => Some((Limit::Tables, *n)),
            RuleKind::MaxTablesTagged { tag, max } => Some((Limit::Tagged(tag), *max)),
            _ => None,
        }
    }

    /// The rule as written: `max tables tagged pci 10`.
    fn rule_text(self, max: u64) -> String {
        match self {
            Limit::Schemas => format!("max schemas {max}"),
            Limit::Tables => format!("max tables {max}"),
            Limit::Tagged(t) => format!("max tables tagged {t} {max}"),
        }
    }

    /// What is counted, plural: ``tables tagged `pci` ``.
    fn noun(self) -> String {
        match self {
            Limit::Schemas => "schemas".into(),
            Limit::Tables => "tables".into(),
            Limit::Tagged(t) => format!("tables tagged `{t}`"),
        }
    }

    fn plural(self, n: usize) -> String {
        if n == 1 {
            match self {
                Limit::Schemas => "schema".into(),
                Limit::Tables => "table".into(),
                Limit::Tagged(t) => format!("table tagged `{t}`"),
            }
        } else {
            self.noun()
        }
    }
}

/// Why a count within the limit is not a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unknown {
    Superuser,
    /// The role has the privileges of a predefined role that covers every schema and table.
    Predefined {
        role: String,
        via: Chain,
    },
    /// `model.grants[grant]` is a bulk grant on tables of `schema`, whose tables are unknown.
    Bulk {
        schema: String,
        grant: usize,
    },
}

fn first_membership(via: &Chain) -> Option<usize> {
    match via {
        Chain::Memberships(steps) => steps.first().map(|s| s.membership),
        _ => None,
    }
}

pub fn object_name(o: &ObjectRef) -> String {
    match o {
        ObjectRef::Table { schema, name } | ObjectRef::View { schema, name } | ObjectRef::Sequence { schema, name } => {
            format!("`{schema}.{name}`")
        }
        ObjectRef::Function { schema, name, args } => format!("`{schema}.{name}({})`", args.join(", ")),
        ObjectRef::Schema { name } | ObjectRef::Database { name } => format!("`{name}`"),
        ObjectRef::Column { schema, table, column } => format!("`{schema}.{table}.{column}`"),
    }
}

/// At most this many grants (or memberships) are labelled.
const MAX_LABELS: usize = 5;
/// At most this many objects are named in the help.
pub const MAX_NAMED: usize = 10;

/// What explains some of the objects a limit counted, as its diagnostic tells it: of the
/// chain of [`Grounds`], only the first membership is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Superuser,
    /// A grant (an index of the diagnostic's origins), to PUBLIC or to a role.
    Grant {
        grant: usize,
        public: bool,
    },
    /// The privileges of a predefined role, by the first membership of the chain to it.
    Predefined {
        role: String,
        membership: Option<usize>,
    },
    /// The privileges of the owner of a schema, by the first membership of the chain to it.
    Owner {
        owner: String,
        membership: Option<usize>,
    },
    BuiltinPublic,
}

impl Source {
    pub fn of(grounds: &Grounds) -> Source {
        match grounds {
            Grounds::Superuser => Source::Superuser,
            Grounds::Grant { grant, .. } => Source::Grant { grant: *grant, public: false },
            Grounds::Public { grant } => Source::Grant { grant: *grant, public: true },
            Grounds::Predefined { role, via } => {
                Source::Predefined { role: role.clone(), membership: first_membership(via) }
            }
            Grounds::Owner { owner, via } => Source::Owner { owner: owner.clone(), membership: first_membership(via) },
            Grounds::BuiltinPublic => Source::BuiltinPublic,
        }
    }
}

/// What a limit counted for one role, as its diagnostic shows it: how many objects, the
/// names of the first few, and the sources with how many objects each explains (the schema
/// for a source on a schema).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub count: usize,
    pub names: Vec<String>,
    pub sources: Vec<(Source, Option<String>, usize)>,
}

impl Tally {
    pub fn of(objects: &[(ObjectRef, Grounds)]) -> Tally {
        Tally {
            count: objects.len(),
            names: objects.iter().take(MAX_NAMED).map(|(o, _)| object_name(o)).collect(),
            sources: objects
                .iter()
                .map(|(o, g)| {
                    let schema = match o {
                        ObjectRef::Schema { name } => Some(name.clone()),
                        _ => None,
                    };
                    (Source::of(g), schema, 1)
                })
                .collect(),
        }
    }

    /// Counts one more object (`name`: its name as the help shows it).
    pub fn add(&mut self, name: impl FnOnce() -> String, grounds: &Grounds, schema: Option<&str>) {
        if self.names.len() < MAX_NAMED {
            self.names.push(name());
        }
        self.count += 1;
        let source = Source::of(grounds);
        match self.sources.last_mut() {
            Some((s, on, n)) if *s == source && on.as_deref() == schema => *n += 1,
            _ => self.sources.push((source, schema.map(str::to_string), 1)),
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn over_limit(
    model: &dyn Origins,
    superuser: bool,
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    limit: Limit,
    max: u64,
    tally: &Tally,
) -> Diagnostic {
    let n = tally.count;
    let code = if rule.warn { Code::TooManyObjectsWarn } else { Code::TooManyObjects };
    let message = if superuser {
        format!(
            "`{}` is a superuser and has privileges on all {n} {} known, the limit is {max} (policy `{}`)",
            role.name,
            limit.plural(n),
            policy.name
        )
    } else {
        format!(
            "`{}` has privileges on {n} {}, the limit is {max} (policy `{}`)",
            role.name,
            limit.plural(n),
            policy.name
        )
    };
    let mut d = Diagnostic::new(code, role.origin, message).label(if superuser {
        "a superuser: every privilege on every object"
    } else {
        "declared here"
    });
    let mut builtin = 0usize;
    if !superuser {
        // Where the privileges come from: grants and memberships, by how many objects each
        // explains, most first (ties in source order).
        let mut sources: BTreeMap<(u8, usize), (Span, Label, usize)> = BTreeMap::new();
        for (source, schema, count) in &tally.sources {
            let (key, span, label) = match source {
                Source::Grant { grant, public } => {
                    ((0, *grant), model.grant(*grant).origin, Label::Grant { grant: *grant, public: *public })
                }
                Source::Predefined { role: p, membership } => match membership {
                    Some(k) => ((1, *k), model.membership(*k).origin, Label::Predefined(p)),
                    None => continue,
                },
                Source::Owner { owner, membership } => match membership {
                    Some(k) => ((1, *k), model.membership(*k).origin, Label::OwnerVia(owner)),
                    None => {
                        let Some(name) = schema else { continue };
                        let Some((k, origin)) = model.schema(name) else { continue };
                        ((2, k), origin, Label::OwnedBy(owner))
                    }
                },
                Source::BuiltinPublic => {
                    builtin += count;
                    continue;
                }
                Source::Superuser => continue,
            };
            sources.entry(key).or_insert((span, label, 0)).2 += count;
        }
        let mut sources: Vec<_> = sources.into_values().collect();
        sources.sort_by_key(|s| std::cmp::Reverse(s.2));
        let kind = match limit {
            Limit::Schemas => "schema",
            _ => "table",
        };
        // Only the sources shown are labelled.
        for (span, label, count) in sources.into_iter().take(MAX_LABELS) {
            let s = if count == 1 { "" } else { "s" };
            d = d.with_secondary(span, format!("{}: {count} {kind}{s}", label.text(model)));
        }
    }
    let mut names = tally.names.clone();
    if n > MAX_NAMED {
        names.push(format!("and {} more", n - MAX_NAMED));
    }
    let mut help = format!("the {}: {}", limit.noun(), names.join(", "));
    if builtin > 0 {
        help.push_str("; USAGE on schema `public` is PostgreSQL's built-in default for every role");
    }
    d.with_secondary(rule.origin, "limit set here").help(help)
}

/// The label of a source of privileges in [`over_limit`], written only for the sources shown.
enum Label<'g> {
    Grant { grant: usize, public: bool },
    Predefined(&'g str),
    OwnerVia(&'g str),
    OwnedBy(&'g str),
}

impl Label<'_> {
    fn text(&self, model: &dyn Origins) -> String {
        match self {
            Label::Grant { grant, public } => {
                let to = if *public { " (to PUBLIC)" } else { "" };
                format!("grant on {}{to}", model.grant(*grant).object.describe())
            }
            Label::Predefined(p) => format!("the privileges of `{p}`"),
            Label::OwnerVia(owner) => format!("the privileges of `{owner}`, owner of the schema"),
            Label::OwnedBy(owner) => format!("owned by `{owner}`"),
        }
    }
}

pub fn unproven(
    model: &dyn Origins,
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    limit: Limit,
    max: u64,
    why: &Unknown,
) -> Diagnostic {
    let head = format!(
        "the limit `{}` of policy `{}` cannot be proven for `{}`",
        limit.rule_text(max),
        policy.name,
        role.name
    );
    let (objects, outside) = match limit {
        Limit::Schemas => ("schema", "the schemas the policy does not name are unknown"),
        _ => ("table", "the tables outside the inventory are unknown"),
    };
    let d = match why {
        Unknown::Superuser => Diagnostic::new(
            Code::LimitUnproven,
            role.origin,
            format!("{head}: it is a superuser, with every privilege on every {objects}, and {outside}"),
        )
        .label("a superuser"),
        Unknown::Predefined { role: p, via } => {
            let d = Diagnostic::new(
                Code::LimitUnproven,
                role.origin,
                format!("{head}: it has the privileges of `{p}`, on every {objects}, and {outside}"),
            )
            .label("declared here");
            match first_membership(via) {
                Some(k) => d.with_secondary(model.membership(k).origin, format!("the privileges of `{p}`")),
                None => d,
            }
        }
        Unknown::Bulk { schema, grant } => {
            return Diagnostic::new(
                Code::LimitUnproven,
                role.origin,
                format!("{head}: tables in schema `{schema}` are unknown"),
            )
            .label("declared here")
            .with_secondary(model.grant(*grant).origin, format!("a grant on every table of `{schema}`"))
            .with_secondary(rule.origin, "limit set here")
            .help(format!("declare them with `table {schema}.t {{ … }}` or pass `--catalog`"));
        }
    };
    d.with_secondary(rule.origin, "limit set here")
        .help("pass `--catalog` with a snapshot of the database, so that every object is known")
}
