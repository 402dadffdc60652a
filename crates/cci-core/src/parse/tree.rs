//! The parser's machinery: the token cursor, the tree being built (rowan's green-node
//! builder), syntax errors, and recovery by structure. Whitespace and comments are never
//! looked at by the grammar (`items`): the cursor attaches them to the tree as it goes, so the
//! layout of a file changes nothing but the trivia of its tree.
//!
//! One exception reports, never decides: an unclosed `{` is found before parsing (braces are
//! counted), and closed, for the sake of the errors that follow, before the first line after
//! it that starts in column 0 with a word (the next top-level block in any formatted file).
//! A file whose braces balance is parsed the same whatever its layout.

use super::lexer::{self, Kind, Token};
use super::syntax::{token_kind, SyntaxKind, SyntaxKind::*};
use crate::codes::Code;
use rowan::{Checkpoint, GreenNode, GreenNodeBuilder};
use std::collections::BTreeMap;

/// A syntax error: where, the code, and what to say.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub start: usize,
    pub end: usize,
    pub code: Code,
    pub message: String,
    pub label: String,
    pub help: String,
    /// A second place worth pointing at (the `{` of an unclosed block).
    pub also: Option<(usize, usize, String)>,
    /// What to write instead of the text from `start` to `end`, when that is certain.
    pub fix: Option<String>,
}

/// The deepest nesting of blocks, lists and calls a file may have. The language needs three
/// (policy, statement, condition); the bound keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

pub(super) struct Parser<'s> {
    pub(super) src: &'s str,
    tokens: Vec<Token>,
    /// The next token not yet in the tree.
    pos: usize,
    builder: GreenNodeBuilder<'static>,
    pub(super) errors: Vec<SyntaxError>,
    /// Unclosed `{`s closed before the token at this index, and how many.
    virtual_closes: BTreeMap<usize, usize>,
    /// How many blocks, lists and calls enclose the current position.
    pub(super) depth: usize,
}

impl<'s> Parser<'s> {
    pub(super) fn new(src: &'s str) -> Self {
        let tokens = lexer::tokens(src);
        let virtual_closes = unclosed_braces(src, &tokens);
        Parser {
            src,
            tokens,
            pos: 0,
            builder: GreenNodeBuilder::new(),
            errors: Vec::new(),
            virtual_closes,
            depth: 0,
        }
    }

    pub(super) fn finish(self) -> (GreenNode, Vec<SyntaxError>) {
        (self.builder.finish(), self.errors)
    }

    /// How many tokens are in the tree: moves on whenever a token is put in.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// The index of the next significant token (past trivia), or the end.
    fn next_index(&self) -> usize {
        let mut i = self.pos;
        while self.tokens.get(i).is_some_and(|t| t.is_trivia()) {
            i += 1;
        }
        i
    }

    /// The next significant token's kind and text; `None` at the end of the file (and where an
    /// unclosed block is closed).
    pub(super) fn peek(&self) -> Option<(SyntaxKind, &'s str)> {
        self.peek_nth(0)
    }

    /// The `n`-th significant token from here (0 is the next).
    pub(super) fn peek_nth(&self, n: usize) -> Option<(SyntaxKind, &'s str)> {
        let mut i = self.pos;
        let mut seen = 0;
        loop {
            while self.tokens.get(i).is_some_and(|t| t.is_trivia()) {
                i += 1;
            }
            if seen == 0 && self.virtual_closes.contains_key(&i) {
                return None;
            }
            let t = self.tokens.get(i)?;
            if seen == n {
                return Some((token_kind(t.kind), t.text(self.src)));
            }
            seen += 1;
            i += 1;
        }
    }

    /// Whether a newline separates the next significant token from the one after it.
    pub(super) fn next_two_on_one_line(&self) -> bool {
        let first = self.next_index();
        let mut i = first + 1;
        while let Some(t) = self.tokens.get(i) {
            match t.kind {
                Kind::Newline => return false,
                _ if t.is_trivia() => i += 1,
                _ => return true,
            }
        }
        false
    }

    /// Whether the next significant token is the first of its line.
    pub(super) fn at_line_start(&self) -> bool {
        let i = self.next_index();
        self.tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t.kind, Kind::Space))
            .is_none_or(|t| matches!(t.kind, Kind::Newline))
    }

    /// The byte range of the next significant token (empty at the end, after the last one).
    pub(super) fn next_range(&self) -> (usize, usize) {
        self.nth_range(0)
    }

    /// The byte range of the `n`-th significant token from here.
    pub(super) fn nth_range(&self, n: usize) -> (usize, usize) {
        let mut i = self.next_index();
        for _ in 0..n {
            i += 1;
            while self.tokens.get(i).is_some_and(|t| t.is_trivia()) {
                i += 1;
            }
        }
        match self.tokens.get(i) {
            Some(t) => (t.start, t.end),
            None => {
                let end = self.src.trim_end().len();
                (end, end)
            }
        }
    }

    /// Moves whitespace and comments into the tree, reporting a space that is not one the
    /// language knows (Unicode's other spaces).
    fn trivia(&mut self) {
        while let Some(t) = self.tokens.get(self.pos).copied() {
            if !t.is_trivia() {
                break;
            }
            let text = t.text(self.src);
            if let Some((i, c)) = text
                .char_indices()
                .find(|(_, c)| !matches!(c, ' ' | '\t' | '\r' | '\n'))
                .filter(|_| t.kind == Kind::Space)
            {
                self.error_at(
                    t.start + i,
                    t.start + i + c.len_utf8(),
                    Code::E0101,
                    format!("a space the language does not know (U+{:04X})", c as u32),
                    "not an ordinary space",
                    "separate words with spaces, tabs or newlines",
                );
            }
            self.builder.token(token_kind(t.kind).into(), text);
            self.pos += 1;
        }
    }

    /// Puts the next significant token into the tree.
    pub(super) fn bump(&mut self) {
        self.trivia();
        if let Some(t) = self.tokens.get(self.pos).copied() {
            self.builder
                .token(token_kind(t.kind).into(), t.text(self.src));
            self.pos += 1;
        }
    }

    /// Starts the root, before any token: every byte of the file is inside it.
    pub(super) fn start_root(&mut self) {
        self.builder.start_node(ROOT.into());
    }

    pub(super) fn start(&mut self, kind: SyntaxKind) {
        self.trivia();
        self.builder.start_node(kind.into());
    }

    pub(super) fn finish_node(&mut self) {
        self.builder.finish_node();
    }

    pub(super) fn checkpoint(&mut self) -> Checkpoint {
        self.trivia();
        self.builder.checkpoint()
    }

    /// Wraps what was built since `cp` in a node of `kind`.
    pub(super) fn wrap(&mut self, cp: Checkpoint, kind: SyntaxKind) {
        self.builder.start_node_at(cp, kind.into());
        self.builder.finish_node();
    }

    /// Whether an unclosed block is closed here; consumes that closing.
    pub(super) fn take_virtual_close(&mut self) -> bool {
        let i = self.next_index();
        match self.virtual_closes.get_mut(&i) {
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    self.virtual_closes.remove(&i);
                }
                true
            }
            None => false,
        }
    }

    pub(super) fn at_end(&self) -> bool {
        self.tokens[self.next_index()..].is_empty()
    }

    pub(super) fn error_at(
        &mut self,
        start: usize,
        end: usize,
        code: Code,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.errors.push(SyntaxError {
            start,
            end: end.max(start + 1).min(self.src.len().max(start)),
            code,
            message: message.into(),
            label: label.into(),
            help: help.into(),
            also: None,
            fix: None,
        });
    }

    /// A literal's error (`e`'s offsets are within the literal that starts at `start`).
    pub(super) fn literal_error(&mut self, start: usize, e: super::literals::LitError) {
        let (at, end) = (start + e.at, start + e.at + e.len);
        self.error_at(at, end, e.code, e.message, e.label, e.help);
        // The literal's certain fix (a bracket closed, a `/` dropped) goes with its error.
        if let Some(last) = self.errors.last_mut() {
            last.fix = e.fix;
        }
    }

    /// "expected X, found Y" at the next token.
    pub(super) fn expected(&mut self, what: &str, help: &str) {
        let (start, end) = self.next_range();
        let found = match self.peek() {
            None if self.at_end() => "the end of the file".to_string(),
            None => "the end of the block".to_string(),
            Some((_, text)) => format!("`{}`", clip(text)),
        };
        let help = if help.is_empty() {
            "blocks read `kind name { key = value }`, rules `allow tcp 443 from users to services \"purpose\"`"
        } else {
            help
        };
        self.error_at(
            start,
            end,
            Code::E0101,
            format!("expected {what}, found {found}"),
            format!("expected {what}"),
            help,
        );
    }

    /// Skips tokens into an `ERROR` node after a broken entry or item, up to where parsing can
    /// go on: the `}` that closes the enclosing block, the end of the file, or a word or string
    /// that starts a line (brackets opened on the way are skipped whole). `at_least_one`: skip
    /// the next token even if it is such a place, so parsing always moves on.
    pub(super) fn recover(&mut self, at_least_one: bool) {
        self.start(ERROR);
        let mut depth = 0usize;
        let mut first = true;
        while let Some((kind, text)) = self.peek() {
            let line_start = self.at_line_start();
            let starts_entry = kind == STRING
                || (kind == WORD
                    && text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
            let stop = depth == 0
                && (kind == R_BRACE || (line_start && starts_entry))
                && !(first && at_least_one);
            if stop {
                break;
            }
            match kind {
                L_BRACE | L_BRACK | L_PAREN => depth += 1,
                R_BRACE | R_BRACK | R_PAREN => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
            first = false;
        }
        self.finish_node();
    }

    /// Skips a whole bracketed group that nests too deep (it starts at the next token).
    pub(super) fn skip_group(&mut self) {
        self.start(ERROR);
        let mut depth = 0usize;
        while let Some((kind, _)) = self.peek() {
            match kind {
                L_BRACE | L_BRACK | L_PAREN => depth += 1,
                R_BRACE | R_BRACK | R_PAREN => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
            if depth == 0 {
                break;
            }
        }
        self.finish_node();
    }

    /// Whatever is left (trivia at the end of the file) into the tree.
    pub(super) fn rest(&mut self) {
        while self.pos < self.tokens.len() {
            self.bump();
        }
    }
}

/// A token's text as a message quotes it: at most 40 characters.
pub(super) fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}… ({} bytes)", &s[..i], s.len()),
        None => s.to_string(),
    }
}

/// Where unclosed `{`s are closed: each before the first token, after it, that starts a line
/// in column 0 and is a word (else at the end of the file).
fn unclosed_braces(src: &str, tokens: &[Token]) -> BTreeMap<usize, usize> {
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            Kind::Punct('{') => open.push(i),
            Kind::Punct('}') => {
                open.pop();
            }
            _ => {}
        }
    }
    let mut closes = BTreeMap::new();
    for o in open {
        let at = tokens[o + 1..]
            .iter()
            .position(|t| {
                t.kind == Kind::Word && (t.start == 0 || src.as_bytes()[t.start - 1] == b'\n')
            })
            .map_or(tokens.len(), |p| o + 1 + p);
        *closes.entry(at).or_insert(0) += 1;
    }
    closes
}
