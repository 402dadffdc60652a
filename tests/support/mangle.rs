//! Layouts of a site file that mean the same: what the parser must read as the file itself
//! (the language's whitespace is insignificant, but that a size's unit is on its number's
//! line), and what `fmt` must bring back to the one layout. Built from the file's tokens, so
//! strings and comments are never touched.

use cci_core::parse::lexer::{tokens, Kind};

/// The ways a layout is mangled.
pub const WAYS: &[&str] = &["unindented", "collapsed", "spaced", "one-line"];

/// `text` laid out the named way:
/// - `unindented`: no line starts with a space;
/// - `collapsed`: no space where none is needed (around `=`, `,`, brackets), one elsewhere;
/// - `spaced`: every line break doubled, and extra spaces between tokens;
/// - `one-line`: comments dropped and the whole file on one line;
/// - `uncommented` (not a layout, a reference): comments dropped, lines kept.
pub fn mangle(text: &str, way: &str) -> String {
    let toks = tokens(text);
    let mut out = String::with_capacity(text.len() * 2);
    for (i, t) in toks.iter().enumerate() {
        let s = t.text(text);
        let prev = i.checked_sub(1).map(|j| toks[j]);
        let next = toks.get(i + 1).copied();
        let tight = |k: Option<cci_core::parse::lexer::Token>| {
            k.is_some_and(|t| matches!(t.kind, Kind::Punct(_)))
        };
        match (way, t.kind) {
            ("unindented", Kind::Space) if prev.is_none_or(|p| p.kind == Kind::Newline) => {}
            ("collapsed", Kind::Space) => {
                let at_line_start = prev.is_none_or(|p| p.kind == Kind::Newline);
                let before_newline = next.is_none_or(|n| n.kind == Kind::Newline);
                if !(at_line_start || before_newline || tight(prev) || tight(next)) {
                    out.push(' ');
                }
            }
            ("spaced", Kind::Newline) => out.push_str("\n\n"),
            ("spaced", Kind::Space) => {
                out.push_str(s);
                out.push_str("  ");
            }
            ("one-line" | "uncommented", Kind::Comment) => {}
            ("one-line", Kind::Newline) => out.push(' '),
            _ => out.push_str(s),
        }
    }
    out
}
