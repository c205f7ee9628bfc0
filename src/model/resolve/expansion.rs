//! The bound on expansion: what `for` loops and templates may generate from one file.
//!
//! A few lines of nested `for` over long lists describe millions of roles, and templates that
//! use a template twice double at every level. Before a loop is unrolled or a template inlined,
//! the size of its expansion is computed from the syntax (without expanding), and an expansion
//! that would pass [`MAX_EXPANSION`] is refused with a diagnostic at the loop or the `use`.

use super::*;

/// How many declarations the `for` loops of one file, and (separately) the template uses of
/// its roles, may expand to. Memory and time stay proportional to the input times this bound.
pub const MAX_EXPANSION: u64 = 1_000_000;

impl<'a> Resolver<'a> {
    /// Whether the loop `l` may be unrolled in `env`, after `self.collected` declarations of
    /// its file: if not, reports it.
    pub(super) fn loop_fits(&mut self, l: &ForLoop, span: Span, env: &Env) -> bool {
        let size = self.loop_size(l, env);
        if self.collected.saturating_add(size) <= MAX_EXPANSION {
            return true;
        }
        let d = Diagnostic::new(
            Code::ExpansionLimit,
            span,
            format!("this `for` expands to {size} declarations, more than the limit of {MAX_EXPANSION} per file"),
        )
        .label("expands too far")
        .help("split the lists, or declare fewer combinations");
        self.error(d);
        false
    }

    /// The declarations loop `l` expands to in `env`: its list's length times what one turn
    /// declares (at least one: a turn is work too). Inner loops are measured with the first
    /// element bound, so the size is the product of the lists' lengths when inner lists do
    /// not depend on outer variables; when they do, the inner loop is checked again itself.
    fn loop_size(&mut self, l: &ForLoop, env: &Env) -> u64 {
        let Some(Val::List(values)) = self.quiet(|r| r.value(&l.iter, env)) else { return 0 };
        let Some(first) = values.first() else { return 0 };
        let inner = env.with(&l.var.text, first.clone());
        let turn = self.items_size(&l.items, &inner);
        (values.len() as u64).saturating_mul(turn.max(1))
    }

    /// The declarations `items` (one turn of a loop, or an `in database` block) expand to.
    fn items_size(&mut self, items: &[Item], env: &Env) -> u64 {
        items.iter().fold(0u64, |sum, item| {
            let size = match &item.kind {
                ItemKind::For(nested) => self.loop_size(nested, env),
                ItemKind::InDatabase(_, inner) => self.items_size(inner, env).max(1),
                _ => 1,
            };
            sum.saturating_add(size)
        })
    }

    /// Whether the outermost `use` `call` may be inlined after `self.inlined` statements of the
    /// file's roles: if not, reports it.
    pub(super) fn use_fits(&mut self, call: &TemplateUse) -> bool {
        let size = self.template_size(&call.name.text, 0);
        if self.inlined.saturating_add(size) <= MAX_EXPANSION {
            self.inlined += size;
            return true;
        }
        let d = Diagnostic::new(
            Code::ExpansionLimit,
            call.span,
            format!(
                "`{}()` expands to {size} statements, more than the limit of {MAX_EXPANSION} per file",
                call.name.text
            ),
        )
        .label("expands too far")
        .help("use each template once per role, not once per use in another template");
        self.error(d);
        false
    }

    /// The statements template `name` inlines: its own, and those of the templates it uses,
    /// however often (at most [`crate::syntax::MAX_DEPTH`] levels deep; a cycle or an unknown
    /// template counts nothing, it is reported when inlined).
    fn template_size(&mut self, name: &str, depth: usize) -> u64 {
        if let Some(&size) = self.template_sizes.get(name) {
            return size;
        }
        let Some(&(template, _)) = self.templates.get(name) else { return 0 };
        if depth >= crate::syntax::MAX_DEPTH {
            return 0;
        }
        let size = template.body.iter().fold(0u64, |sum, stmt| {
            let size = match &stmt.kind {
                StmtKind::Use(call) => self.template_size(&call.name.text, depth + 1),
                _ => 1,
            };
            sum.saturating_add(size)
        });
        self.template_sizes.insert(name.to_string(), size);
        size
    }
}
