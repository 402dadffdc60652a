//! Source text to a lossless syntax tree, and the tree to [`ast::File`].
//!
//! One lexer (`lexer`, every byte in one token) feeds one parser (`tree` holds the machinery,
//! `items` the grammar) that builds a rowan tree (`syntax`) holding every byte of the file,
//! comments and whitespace included, with its syntax errors. Recovery is by structure: a
//! broken entry is skipped to the `}` that closes its block or to the next line that starts
//! with a word, brackets opened on the way skipped whole; so one run reports every broken
//! entry, and layout never decides whether a file is valid (`grammar/cci.lark` is the same
//! grammar, and a test checks they accept the same files, whitespace mangled included). The
//! AST the resolver reads is a typed view of the tree (`lower`); the formatter (`crate::format`)
//! and the editor support read the tree itself.
//!
//! Why not a parser generator: what matters is the error — each function knows what it
//! expected, where, and what would fix it — and the literals (sizes, CIDRs, ranges, AWS ids)
//! are read from a word's text by plain functions (`literals`).

use crate::ast::File;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::span::{FileId, Span};

mod items;
pub mod lexer;
mod literals;
mod lower;
mod rule;
pub mod syntax;
mod tree;
mod values;

pub use literals::{is_name, AWS_ID_PREFIXES};
pub use syntax::{SyntaxKind, SyntaxNode, SyntaxToken};
pub use tree::{SyntaxError, MAX_DEPTH};

/// The tree of a text and its syntax errors.
pub struct Parsed {
    pub green: rowan::GreenNode,
    pub errors: Vec<SyntaxError>,
}

impl Parsed {
    pub fn root(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }
}

/// Parses a text into its syntax tree.
pub fn parse_tree(text: &str) -> Parsed {
    let mut p = tree::Parser::new(text);
    p.file();
    let (green, mut errors) = p.finish();
    errors.sort_by_key(|e| (e.start, e.end));
    Parsed { green, errors }
}

/// Parses one file. Returns what could be parsed and every syntax error found.
pub fn parse_file(text: &str, file: FileId) -> (File, Diagnostics) {
    lower_parsed(&parse_tree(text), file)
}

/// The AST of a parsed file, and its syntax errors as diagnostics.
pub fn lower_parsed(parsed: &Parsed, file: FileId) -> (File, Diagnostics) {
    let ast = lower::Lower { file }.file(&parsed.root());
    let mut diags = Diagnostics::default();
    for e in &parsed.errors {
        diags.push(to_diagnostic(e, file));
    }
    (ast, diags)
}

/// The comments under `node` (which starts at `offset`), read from the green tree: no cursor
/// per token, so a language server's edit does not pay for a second walk of the whole file.
fn green_comments<'a>(
    node: &'a rowan::GreenNodeData,
    offset: usize,
    out: &mut Vec<(usize, &'a str)>,
) {
    let mut at = offset;
    for child in node.children() {
        match child {
            rowan::NodeOrToken::Node(n) => green_comments(n, at, out),
            rowan::NodeOrToken::Token(t) if t.kind() == SyntaxKind::COMMENT.into() => {
                out.push((at, t.text()));
            }
            rowan::NodeOrToken::Token(_) => {}
        }
        at += usize::from(child.text_len());
    }
}

/// What `init` and `import` write before a decision only the operator can make:
/// `# TODO(cci-dsl): what to decide`.
pub const OPEN_DECISION: &str = "TODO(cci-dsl)";

/// Each `# TODO(cci-dsl): ...` comment is an error (E0108) until the operator has decided and
/// deleted it, so a site fresh from `init` or `import` does not build with its placeholders.
/// Not a syntax error (`fmt` formats such a file): the pipeline asks for them on the site.
pub fn open_decisions(green: &rowan::GreenNodeData, file: FileId, diags: &mut Diagnostics) {
    let mut comments = Vec::new();
    green_comments(green, 0, &mut comments);
    for (start, text) in comments {
        let body = text.trim_start_matches('#').trim_start();
        let Some(what) = body.strip_prefix(OPEN_DECISION) else {
            continue;
        };
        let what = what.trim_start_matches(':').trim();
        let span = Span::new(file, start, start + text.len());
        diags.push(
            Diagnostic::new(Code::E0108, span, "a decision is left open")
                .label("left open by `init` or `import`")
                .help(if what.is_empty() {
                    "decide, then delete this comment".to_string()
                } else {
                    format!("decide {what}, then delete this comment")
                }),
        );
    }
}

fn to_diagnostic(e: &SyntaxError, file: FileId) -> Diagnostic {
    let mut d =
        Diagnostic::new(e.code, Span::new(file, e.start, e.end), &e.message).label(e.label.clone());
    if let Some((s, l, t)) = &e.also {
        d = d.with(Span::new(file, *s, s + l), t.clone());
    }
    if let Some(r) = &e.fix {
        d = d.fix(Span::new(file, e.start, e.end), r, format!("write `{r}`"));
    }
    d.help(e.help.clone())
}
