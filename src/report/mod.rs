//! What `rolec explain`, `rolec who-can` and the language server's hover say, as text and as
//! JSON. The analysis answers with plain data (chains of memberships, grounds with grant
//! indexes); this module words it and places every membership and grant at its `file:line`.
//! The command line prints what it returns and the language server wraps it in Markdown; the
//! module itself prints nothing and reads no environment.
//!
//! - [`explain`]: everything one role can do.
//! - [`question`] parses a who-can question; [`who_can`] answers it.
//! - [`hover`]: the Markdown shown for a name under the cursor.
//! - `render`: chains, grounds and objects in words and as JSON, shared by the three.

pub mod explain;
pub mod hover;
pub mod question;
mod render;
pub mod who_can;

pub use question::{Question, QuestionError};

/// Why a report cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The policy has no role of that name; `close` holds up to three names near it, closest
    /// first.
    #[error("the policy has no role `{name}`{}", did_you_mean(.close))]
    UnknownRole { name: String, close: Vec<String> },
}

/// `; did you mean `a` or `b`?`, or nothing without names.
fn did_you_mean(close: &[String]) -> String {
    if close.is_empty() {
        return String::new();
    }
    let names: Vec<String> = close.iter().map(|r| format!("`{r}`")).collect();
    format!("; did you mean {}?", names.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;

    fn workspace(text: &str) -> Workspace {
        Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), BuildOptions::default()).unwrap()
    }

    #[test]
    fn an_unknown_role_names_up_to_three_close_roles() {
        let ws = workspace("role reader {}\nrole readers {}\nrole reads {}\nrole reade {}\nrole writer {}\n");
        let err = explain::human(&ws, "reade_").unwrap_err();
        let ReportError::UnknownRole { name, close } = &err;
        assert_eq!((name.as_str(), close.len()), ("reade_", 3), "{close:?}");
        assert_eq!(err.to_string(), "the policy has no role `reade_`; did you mean `reade` or `reader` or `readers`?");
        assert_eq!(
            who_can::human(&ws, &Question::Role(crate::analysis::membership::Mode::Member, "xyz".into())),
            Err(ReportError::UnknownRole { name: "xyz".into(), close: vec![] })
        );
        assert_eq!(
            ReportError::UnknownRole { name: "xyz".into(), close: vec![] }.to_string(),
            "the policy has no role `xyz`"
        );
    }

    /// The JSON of `explain` and `who-can` place memberships at their `file:line`.
    #[test]
    fn reports_place_memberships_at_their_lines() {
        let ws = workspace("role reader {}\nuser alice { member of reader }\n");
        assert_eq!(
            explain::human(&ws, "alice").unwrap().lines().find(|l| l.contains("reader")),
            Some("  reader [MEMBER, USAGE]: alice → reader (p.role:2)")
        );
        let v = who_can::json(&ws, &question::parse("member of reader").unwrap()).unwrap();
        assert_eq!(v["roles"][0]["role"], "alice");
        assert_eq!(v["roles"][0]["chain"]["steps"][0]["at"], "p.role:2");
        assert_eq!(
            who_can::human(&ws, &question::parse("usage of reader").unwrap()).unwrap(),
            "usage of reader:\n  alice: alice → reader (p.role:2)\n"
        );
    }

    /// Hover on a role shows exactly what `rolec explain` prints, after the role's doc comments.
    #[test]
    fn hover_on_a_role_is_the_explain_text() {
        let ws = workspace("/// Reads.\nrole reader {}\nuser alice { member of reader }\n");
        let text = explain::human(&ws, "reader").unwrap();
        use crate::syntax::names::Symbol;
        assert_eq!(hover::markdown(&ws, &Symbol::Role("reader".into())), format!("Reads.\n\n```text\n{text}```"));
        assert_eq!(
            hover::markdown(&ws, &Symbol::Role("pg_monitor".into())),
            "predefined role `pg_monitor` (PostgreSQL 10 and later)"
        );
        assert_eq!(hover::markdown(&ws, &Symbol::Role("nobody".into())), "unknown role `nobody`");
    }
}
