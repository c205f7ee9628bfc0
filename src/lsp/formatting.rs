//! Formatting through [`crate::format`] (as `rolec fmt`): one edit replacing the whole file,
//! none when it is formatted already; a file with syntax errors is left alone.

use gen_lsp_types::{DocumentFormattingParams, Range, TextEdit};

use super::{Failure, Server};
use crate::diagnostics::Code;

pub(crate) fn format(server: &Server, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>, Failure> {
    let file = server.known_file(&p.text_document.uri)?;
    let parsed = crate::db::parse(&server.workspace().db, file);
    if parsed.diagnostics.iter().any(|d| d.code == Code::Syntax) {
        return Ok(None);
    }
    let text = server.text(file);
    let formatted = crate::format::format(text);
    if formatted == text {
        return Ok(Some(Vec::new()));
    }
    let range = Range { start: server.position(file, 0), end: server.position(file, text.len()) };
    Ok(Some(vec![TextEdit { range, new_text: formatted }]))
}
