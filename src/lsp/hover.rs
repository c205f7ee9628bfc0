//! Hover: the Markdown [`crate::report::hover`] writes for the name under the cursor, over
//! that name's range.

use gen_lsp_types::{Contents, Hover, HoverParams, MarkupContent, MarkupKind};

use super::{Failure, Server};

pub(crate) fn hover(server: &Server, p: HoverParams) -> Result<Option<Hover>, Failure> {
    let pos = p.text_document_position_params;
    let (Some(at), _) = server.occurrence_at(&pos.text_document.uri, pos.position)? else { return Ok(None) };
    let text = crate::report::hover::markdown(server.workspace(), &at.symbol);
    Ok(Some(Hover {
        contents: Contents::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: text }),
        range: Some(server.range(at.span)),
    }))
}
