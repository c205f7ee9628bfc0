//! One diagnostic model for every stage, and renderers for humans and machines.
//!
//! Diagnostics are plain values returned by queries. Messages follow one style: a lower-case
//! sentence, user input in backticks, always a span, a help line where one exists.

mod codes;
mod human;
pub mod render;
pub mod secrets;
pub mod suggest;
pub mod text;

pub use codes::Code;

use serde::Serialize;
use text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A machine-applicable fix: write `replacement` in place of the text under `span`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// Edits that fix the problem as the help line says, for tools to apply (editor code
    /// actions); renderers show the help line only.
    pub suggestions: Vec<Suggestion>,
    /// Source ranges that may hold a secret: masked whenever source text is shown.
    pub redact: Vec<Span>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label { span, message: String::new() },
            secondary: Vec::new(),
            help: None,
            suggestions: Vec::new(),
            redact: Vec::new(),
        }
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// The text under the primary span.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// An edit that fixes the problem: `replacement` as it is written in a policy (quoted
    /// where the name needs it), in place of the text under `span`.
    pub fn suggest(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.suggestions.push(Suggestion { span, replacement: replacement.into() });
        self
    }

    /// "did you mean `written`?" as the help line, and the edit that writes it in place of the
    /// text under `span`.
    pub fn did_you_mean(self, span: Span, written: impl Into<String>) -> Self {
        let written = written.into();
        self.help(format!("did you mean `{written}`?")).suggest(span, written)
    }

    pub fn redact(mut self, span: Span) -> Self {
        self.redact.push(span);
        self
    }
}
