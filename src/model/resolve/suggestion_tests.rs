//! "Did you mean" diagnostics carry the name as an edit: applying it fixes the policy.

use crate::db::{Sources, Workspace};
use crate::diagnostics::render::SourceMap;
use crate::diagnostics::{Code, Diagnostic, Suggestion};
use crate::model::BuildOptions;

const DECLARED: &str =
    "role reader {}\nrole \"Data Team\" {}\nschema app { owner reader }\ntemplate ro() { member of reader }\n";

/// The errors of `text` (the analysis' warnings, such as an unused `"Data Team"`, aside).
fn diagnostics(text: &str) -> (Workspace, Vec<Diagnostic>) {
    let ws = Workspace::load(Sources::Memory(vec![("p.role".into(), text.into())]), BuildOptions::default()).unwrap();
    let diagnostics = ws.diagnostics().iter().filter(|d| d.is_error()).cloned().collect();
    (ws, diagnostics)
}

/// The one suggestion of the one error of `DECLARED` + `typo`; the text with it applied.
fn suggestion(typo: &str) -> (Code, Suggestion, String) {
    let text = format!("{DECLARED}{typo}");
    let (ws, diagnostics) = diagnostics(&text);
    let [d] = diagnostics.as_slice() else { panic!("{typo}: {diagnostics:?}") };
    let [s] = d.suggestions.as_slice() else { panic!("{typo}: {d:?}") };
    let range = ws.range(s.span);
    let fixed = format!("{}{}{}", &text[..range.start], s.replacement, &text[range.end..]);
    (d.code, s.clone(), fixed)
}

#[test]
fn did_you_mean_is_an_edit_that_fixes_the_name() {
    for (typo, code, replacement) in [
        ("user u { member of readr }\n", Code::UnknownRole, "reader"),
        ("user u { member of \"Data Tem\" }\n", Code::UnknownRole, "\"Data Team\""),
        ("role u extends raeder {}\n", Code::BadExtends, "reader"),
        ("user u { use ro_() }\n", Code::UnknownTemplate, "ro"),
        ("user u { grant usage on schema ap }\n", Code::UnknownSchema, "app"),
    ] {
        let (got_code, s, fixed) = suggestion(typo);
        assert_eq!((got_code, s.replacement.as_str()), (code, replacement), "{typo}");
        let (_, left) = diagnostics(&fixed);
        assert!(!left.iter().any(Diagnostic::is_error), "{fixed}: {left:?}");
    }
}

#[test]
fn the_help_line_says_what_the_edit_writes() {
    let (_, diagnostics) = diagnostics(&format!("{DECLARED}user u {{ member of \"Data Tem\" }}\n"));
    assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `\"Data Team\"`?"));
}

#[test]
fn no_suggestion_without_a_close_name() {
    let (_, diagnostics) = diagnostics(&format!("{DECLARED}user u {{ member of zzzzzz }}\n"));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(diagnostics[0].suggestions.is_empty(), "{diagnostics:?}");
}
