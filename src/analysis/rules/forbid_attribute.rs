//! `forbid ATTRIBUTE except …` (E031 / W031): no role in scope has the attribute.

use crate::analysis::rules::code;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Policy, PolicyRule, Role};
use crate::syntax::ast::AttributeKind;

/// The attribute's final value; INHERIT is on unless turned off, the others off unless on.
fn attribute_value(role: &Role, kind: AttributeKind) -> bool {
    role.attributes.get(&kind).copied().unwrap_or(kind == AttributeKind::Inherit)
}

/// The violation of `forbid ATTRIBUTE except …` by `role`, if it has the attribute set to `on`.
pub fn check(
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    kind: AttributeKind,
    on: bool,
    except: &[String],
) -> Option<Diagnostic> {
    (!except.contains(&role.name) && attribute_value(role, kind) == on)
        .then(|| forbidden_attribute(policy, rule, role, kind, on))
}

fn attribute_word(kind: AttributeKind, on: bool) -> String {
    if on {
        kind.keyword().to_string()
    } else {
        format!("no{}", kind.keyword())
    }
}

pub fn forbidden_attribute(
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    kind: AttributeKind,
    on: bool,
) -> Diagnostic {
    let word = attribute_word(kind, on);
    Diagnostic::new(
        code(rule, Code::ForbiddenAttribute, Code::ForbiddenAttributeWarn),
        role.origin,
        format!("`{}` has `{word}`, which policy `{}` forbids", role.name, policy.name),
    )
    .label(format!("`{word}` here"))
    .with_secondary(rule.origin, "forbidden by this rule")
    .help(format!("remove `{word}` from `{}`, or name it after `except` in the rule", role.name))
}
