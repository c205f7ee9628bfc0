fn main() {
    let p = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let parsed = rolec::syntax::parse(&text, rolec::syntax::FileId(0));
    println!("{} items", parsed.ast.items.len());
    for d in &parsed.diagnostics {
        let off = parsed.item_offsets[d.primary.span.item as usize] + d.primary.span.start;
        let line = text[..off as usize].matches('\n').count() + 1;
        println!("{}:{} {} {}", line, d.primary.span.start, d.code, d.message);
    }
    if std::env::args().nth(2).is_some() { println!("{:#?}", parsed.ast); }
}
