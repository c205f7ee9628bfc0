//! `connect from` → pg_hba.conf lines: for each role, one `host` line per allowed range, then
//! `reject` lines so that the role cannot log in over TCP from anywhere else.

use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::HbaRule;
use crate::syntax::Span;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct HbaLine {
    pub line: String,
    #[serde(skip)]
    pub origin: Span,
}

pub fn lines(rules: &[HbaRule]) -> (Vec<HbaLine>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    let mut roles: Vec<&str> = Vec::new();
    for r in rules {
        if !roles.contains(&r.role.as_str()) {
            roles.push(&r.role);
        }
    }
    for role in roles {
        let mine: Vec<&HbaRule> = rules.iter().filter(|r| r.role == role).collect();
        let Some(role_token) = token(role) else {
            diags.push(unquotable(mine[0].origin, role));
            continue;
        };
        for r in &mine {
            let db = match &r.database {
                Some(d) => match token(d) {
                    Some(t) => t,
                    None => {
                        diags.push(unquotable(r.origin, d));
                        continue;
                    }
                },
                None => "all".to_string(),
            };
            out.push(HbaLine {
                line: format!("host    {db:<16} {role_token:<24} {:<20} scram-sha-256", r.cidr),
                origin: r.origin,
            });
        }
        for any in ["0.0.0.0/0", "::/0"] {
            out.push(HbaLine {
                line: format!("host    {:<16} {role_token:<24} {any:<20} reject", "all"),
                origin: mine[0].origin,
            });
        }
    }
    (out, diags)
}

/// A quoted pg_hba.conf token (quoting keeps `all`, `+group` and `@file` literal). pg_hba.conf
/// has no escape for a double quote or a line break inside a token.
fn token(name: &str) -> Option<String> {
    (!name.contains(['"', '\n', '\r'])).then(|| format!("\"{name}\""))
}

fn unquotable(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, span, format!("`{}` cannot be written to pg_hba.conf", name.escape_default()))
        .label("contains a double quote or a line break")
        .help("pg_hba.conf cannot quote such a name; rename the role or the database")
}
